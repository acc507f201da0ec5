/**
 * `shardis check`: the health of a cluster as a list of problems.
 *
 * - coverage: every slot has an owner in the seed's opinion;
 * - agreement: every reachable node names the same owner for every slot;
 * - open slots: any node migrating or importing a slot;
 * - keys in the wrong slot: a primary holding keys (CLUSTER COUNTKEYSINSLOT,
 *   pipelined over the 16384 slots) in a slot it neither owns nor imports;
 * - nodes that are unreachable or flagged as failing.
 * The command exits 1 if the list is not empty.
 */
import { SLOT_COUNT } from '../../src/router/slot.js';
import { formatSlotRanges } from '../../src/router/slot-map.js';
import type { AdminConnection } from './conn.js';
import { label, ownSlots, seedOwners, type AdminNode, type ClusterView } from './view.js';

export interface CheckResult {
  ok: boolean;
  nodes: { id: string; addr: string; role: 'primary' | 'replica'; slots: string; slotCount: number; reachable: boolean }[];
  uncovered: number[];
  /** Nodes whose opinion differs from the seed's: how many slots differ. */
  disagreements: { node: string; slots: number[] }[];
  openSlots: { node: string; slot: number; state: 'migrating' | 'importing'; peer: string }[];
  wrongSlotKeys: { node: string; slot: number; keys: number }[];
  unreachable: { node: string; error: string }[];
  failing: string[];
  problems: string[];
}

/** COUNTKEYSINSLOT for every slot on one node, pipelined. */
export async function countKeysPerSlot(conn: AdminConnection): Promise<Uint32Array> {
  const counts = new Uint32Array(SLOT_COUNT);
  const CHUNK = 2048;
  for (let base = 0; base < SLOT_COUNT; base += CHUNK) {
    const replies = await Promise.all(
      Array.from({ length: Math.min(CHUNK, SLOT_COUNT - base) }, (_, i) => conn.call('CLUSTER', 'COUNTKEYSINSLOT', base + i)),
    );
    for (let i = 0; i < replies.length; i++) counts[base + i] = Number(replies[i]);
  }
  return counts;
}

export async function runCheck(view: ClusterView): Promise<CheckResult> {
  const owners = seedOwners(view);
  const r: CheckResult = {
    ok: true, nodes: [], uncovered: [], disagreements: [], openSlots: [], wrongSlotKeys: [], unreachable: [], failing: [], problems: [],
  };
  for (const n of view.nodes) {
    const mine = ownSlots(n);
    r.nodes.push({ id: n.id, addr: n.addr, role: n.isPrimary ? 'primary' : 'replica', slots: formatSlotRanges(mine), slotCount: mine.length, reachable: n.conn !== null });
    if (n.conn === null) {
      r.unreachable.push({ node: label(n), error: n.error ?? 'unreachable' });
      r.problems.push(`${n.error ?? `Cannot reach ${n.addr}`}`);
    }
    if (n.failed) {
      r.failing.push(label(n));
      r.problems.push(`Node ${label(n)} is flagged as failing or without address; bring it back or remove it with CLUSTER FORGET`);
    }
  }
  for (let s = 0; s < SLOT_COUNT; s++) if (owners[s] === '') r.uncovered.push(s);
  if (r.uncovered.length > 0) r.problems.push(`${r.uncovered.length} slots are not covered: ${formatSlotRanges(r.uncovered)}; run shardis fix ${view.seed} --yes`);

  for (const n of view.nodes) {
    if (!n.owners) continue;
    const diff: number[] = [];
    for (let s = 0; s < SLOT_COUNT; s++) if (n.owners[s] !== owners[s]) diff.push(s);
    if (diff.length > 0) {
      r.disagreements.push({ node: label(n), slots: diff });
      r.problems.push(`Node ${label(n)} disagrees with ${view.seed} about the owner of ${diff.length} slots: ${formatSlotRanges(diff)}`);
    }
    for (const [slot, peer] of n.migrating) r.openSlots.push({ node: label(n), slot, state: 'migrating', peer });
    for (const [slot, peer] of n.importing) r.openSlots.push({ node: label(n), slot, state: 'importing', peer });
  }
  for (const o of r.openSlots) {
    r.problems.push(`Node ${o.node} has slot ${o.slot} ${o.state} ${o.state === 'migrating' ? 'to' : 'from'} ${o.peer.slice(0, 8)}; finish it with shardis migrate or run shardis fix ${view.seed}`);
  }

  await Promise.all(view.nodes.filter((n) => n.isPrimary && n.conn && n.owners).map(async (n: AdminNode) => {
    const counts = await countKeysPerSlot(n.conn!);
    for (let s = 0; s < SLOT_COUNT; s++) {
      if (counts[s]! > 0 && n.owners![s] !== n.id && !n.importing.has(s)) {
        r.wrongSlotKeys.push({ node: label(n), slot: s, keys: counts[s]! });
      }
    }
  }));
  for (const w of r.wrongSlotKeys) r.problems.push(`Node ${w.node} holds ${w.keys} keys in slot ${w.slot}, which it does not own; run shardis fix ${view.seed}`);
  r.ok = r.problems.length === 0;
  return r;
}

export function formatCheck(view: ClusterView, r: CheckResult): string {
  const out: string[] = [`Checking the cluster of ${view.seed}: ${view.nodes.length} nodes`];
  for (const n of r.nodes) {
    out.push(`  ${n.role === 'primary' ? 'M' : 'S'} ${n.id} ${n.addr}${n.reachable ? '' : ' UNREACHABLE'}  ${n.slotCount} slots${n.slotCount ? ` [${n.slots}]` : ''}`);
  }
  out.push(r.uncovered.length === 0 ? '[OK] All 16384 slots covered.' : `[ERR] ${r.uncovered.length} slots not covered.`);
  out.push(r.disagreements.length === 0 ? '[OK] All nodes agree about slots configuration.' : `[ERR] ${r.disagreements.length} nodes disagree about slots configuration.`);
  out.push(r.openSlots.length === 0 ? '[OK] No open slots.' : `[ERR] ${new Set(r.openSlots.map((o) => o.slot)).size} open slots.`);
  out.push(r.wrongSlotKeys.length === 0 ? '[OK] No keys in slots their node does not own.' : `[ERR] ${r.wrongSlotKeys.length} slots hold keys on a node that does not own them.`);
  for (const p of r.problems) out.push(`  - ${p}`);
  out.push(r.ok ? 'Cluster OK.' : `Cluster has ${r.problems.length} problem(s).`);
  return out.join('\n');
}
