/**
 * Cluster-wide SCAN that stays correct while slots move.
 *
 * Guarantee (Redis SCAN's, extended to the cluster): every key that exists
 * for the whole iteration is yielded at least once per slot ownership, and in
 * fact exactly once, because duplicates are filtered per slot.
 *
 * Algorithm: slots are "pending" until covered. Each round groups the pending
 * slots by their current primary and runs a full SCAN on that node, yielding
 * only keys whose slot belongs to the group. After a node's scan the map is
 * refreshed; the group's slots that the node still owns and that are not being
 * migrated away (no `[slot->-id]` in its CLUSTER NODES line) are covered, the
 * others stay pending for the next round, on their new owner. Keys already
 * yielded for a still-pending slot are remembered and not yielded again.
 * Unassigned slots hold no keys and are skipped.
 */
import type { Endpoint } from './errors.js';
import { nodeKey } from './connection-pool.js';
import { slotOf } from './routing.js';
import { SLOT_COUNT } from '../router/slot.js';
import type { Arg } from './resp.js';

/** Options of `scanIterator`. */
export interface ScanOptions {
  /** MATCH pattern. */
  readonly match?: string;
  /** COUNT hint per SCAN call. @default 1000 */
  readonly count?: number;
  /** TYPE filter. */
  readonly type?: string;
  /** Give up after this many rounds of slot moves. @default 100 */
  readonly maxRounds?: number;
}

/** What the scan needs from the client. */
export interface ScanHost {
  refresh(): Promise<void>;
  /** Slot → primary (current view). */
  owners(): (Endpoint | undefined)[];
  /** Direct call to one node, bulk replies as Buffers. */
  callNode(node: Endpoint, args: readonly Arg[]): Promise<unknown>;
}

/** Slots `node` is migrating away, from the myself line of CLUSTER NODES (empty if unsupported). */
async function migratingSlots(host: ScanHost, node: Endpoint): Promise<Set<number>> {
  const out = new Set<number>();
  let text: string;
  try {
    const r = await host.callNode(node, ['CLUSTER', 'NODES']);
    text = Buffer.isBuffer(r) ? r.toString('latin1') : String(r);
  } catch {
    return out;
  }
  for (const line of text.split('\n')) {
    const fields = line.split(' ');
    if (!(fields[2] ?? '').split(',').includes('myself')) continue;
    for (const f of fields.slice(8)) {
      const m = /^\[(\d+)->-/.exec(f);
      if (m) out.add(Number(m[1]));
    }
  }
  return out;
}

/** See the module comment. */
export async function* scanCluster(host: ScanHost, options: ScanOptions & { readonly asBuffer?: boolean }): AsyncIterableIterator<string | Buffer> {
  const count = options.count ?? 1000;
  const maxRounds = options.maxRounds ?? 100;
  const covered = new Uint8Array(SLOT_COUNT);
  const yielded = new Map<number, Set<string>>();
  await host.refresh();
  for (let round = 0; ; round++) {
    const owners = host.owners();
    const groups = new Map<string, { node: Endpoint; slots: Set<number> }>();
    for (let s = 0; s < SLOT_COUNT; s++) {
      const o = owners[s];
      if (covered[s] || o === undefined) continue;
      const k = nodeKey(o);
      let g = groups.get(k);
      if (g === undefined) groups.set(k, (g = { node: o, slots: new Set() }));
      g.slots.add(s);
    }
    if (groups.size === 0) return;
    if (round >= maxRounds) throw new Error(`Cannot finish the scan as slots kept moving for ${maxRounds} rounds`);
    for (const { node, slots } of groups.values()) {
      let cursor = '0';
      do {
        const args: Arg[] = ['SCAN', cursor, 'COUNT', count];
        if (options.match !== undefined) args.push('MATCH', options.match);
        if (options.type !== undefined) args.push('TYPE', options.type);
        const reply = (await host.callNode(node, args)) as [Buffer, Buffer[]];
        cursor = reply[0].toString('latin1');
        for (const key of reply[1]) {
          const s = slotOf(key);
          if (!slots.has(s)) continue;
          const id = key.toString('latin1');
          let seen = yielded.get(s);
          if (seen === undefined) yielded.set(s, (seen = new Set()));
          if (seen.has(id)) continue;
          seen.add(id);
          yield options.asBuffer ? key : key.toString('utf8');
        }
      } while (cursor !== '0');
      await host.refresh();
      const after = host.owners();
      const migrating = await migratingSlots(host, node);
      const k = nodeKey(node);
      for (const s of slots) {
        const o = after[s];
        if (o !== undefined && nodeKey(o) === k && !migrating.has(s)) {
          covered[s] = 1;
          yielded.delete(s);
        }
      }
    }
  }
}
