/**
 * `shardis map`: who owns each slot, as runs of slots per owner, plus a
 * 128 x 16 grid (one cell per 8 slots, a letter per primary, `*` for a cell
 * shared by several owners, `.` for unassigned), coloured per node on a TTY.
 */
import { SLOT_COUNT } from '../../src/router/slot.js';
import { seedOwners, type ClusterView } from './view.js';

export interface MapRun {
  start: number;
  end: number;
  owner: string | null;
  addr: string | null;
}

const COLOURS = [31, 32, 33, 34, 35, 36, 91, 92, 93, 94, 95, 96];

export function slotRuns(view: ClusterView): MapRun[] {
  const owners = seedOwners(view);
  const runs: MapRun[] = [];
  for (let s = 0; s < SLOT_COUNT; s++) {
    const o = owners[s]!;
    const last = runs[runs.length - 1];
    if (last && (last.owner ?? '') === o) last.end = s;
    else runs.push({ start: s, end: s, owner: o || null, addr: o ? (view.byId.get(o)?.addr ?? null) : null });
  }
  return runs;
}

export function formatMap(view: ClusterView, colour: boolean): string {
  const owners = seedOwners(view);
  // Letters in the order of each owner's first slot.
  const ids = [...new Set(owners.filter((o) => o !== ''))];
  const letter = new Map(ids.map((id, i) => [id, String.fromCharCode(i < 26 ? 65 + i : 97 + ((i - 26) % 26))]));
  const paint = (id: string, text: string): string => (colour ? `\x1b[${COLOURS[ids.indexOf(id) % COLOURS.length]}m${text}\x1b[0m` : text);
  const out: string[] = [];
  for (const id of ids) out.push(paint(id, `${letter.get(id)} = ${view.byId.get(id)?.addr ?? '?'} (${id.slice(0, 8)})`));
  out.push('');
  for (const r of slotRuns(view)) {
    const range = r.start === r.end ? `${r.start}` : `${r.start}-${r.end}`;
    out.push(r.owner ? paint(r.owner, `${range.padEnd(12)} ${letter.get(r.owner)} ${r.addr ?? '?'} (${r.owner.slice(0, 8)})`) : `${range.padEnd(12)} . unassigned`);
  }
  out.push('');
  const PER = 8;
  const COLS = 128;
  for (let row = 0; row < SLOT_COUNT / (PER * COLS); row++) {
    let line = `${String(row * PER * COLS).padStart(5)} `;
    for (let c = 0; c < COLS; c++) {
      const base = (row * COLS + c) * PER;
      const cell = new Set(owners.slice(base, base + PER));
      if (cell.size > 1) line += '*';
      else {
        const o = owners[base]!;
        line += o === '' ? '.' : paint(o, letter.get(o)!);
      }
    }
    out.push(line);
  }
  return out.join('\n');
}
