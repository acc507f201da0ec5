/** `shardis info`: keys (DBSIZE), slots and role of every node. */
import { formatSlotRanges } from '../../src/router/slot-map.js';
import { ownSlots, type ClusterView } from './view.js';

export interface InfoRow {
  id: string;
  addr: string;
  role: 'primary' | 'replica';
  primaryId: string | null;
  keys: number | null;
  slots: number;
  ranges: string;
  replicas: number;
  error: string | null;
}

export async function runInfo(view: ClusterView): Promise<InfoRow[]> {
  return Promise.all(view.nodes.map(async (n) => {
    const mine = ownSlots(n);
    let keys: number | null = null;
    let error = n.error;
    if (n.conn) {
      try {
        keys = Number(await n.conn.call('DBSIZE'));
      } catch (err) {
        error = (err as Error).message;
      }
    }
    return {
      id: n.id, addr: n.addr, role: n.isPrimary ? 'primary' : 'replica', primaryId: n.primaryId, keys,
      slots: mine.length, ranges: formatSlotRanges(mine), replicas: view.nodes.filter((x) => x.primaryId === n.id).length, error,
    } satisfies InfoRow;
  }));
}

export function formatInfo(rows: InfoRow[]): string {
  const out: string[] = [];
  let keys = 0;
  let prim = 0;
  for (const r of rows) {
    if (r.role === 'primary') {
      prim++;
      keys += r.keys ?? 0;
      out.push(`${r.addr} (${r.id.slice(0, 8)}) primary -> ${r.keys ?? '?'} keys | ${r.slots} slots | ${r.replicas} replicas${r.error ? ` | ${r.error}` : ''}`);
    } else {
      out.push(`${r.addr} (${r.id.slice(0, 8)}) replica of ${r.primaryId?.slice(0, 8) ?? '?'} -> ${r.keys ?? '?'} keys${r.error ? ` | ${r.error}` : ''}`);
    }
  }
  out.push(`${keys} keys in ${prim} primaries, ${(keys / 16384).toFixed(2)} keys per slot on average.`);
  return out.join('\n');
}
