/**
 * `shardis rebalance`: evens out slots among primaries by weight.
 *
 * Each reachable primary gets a weight (1, or `--weight <node>=<w>`; a
 * primary with no slot weighs 0 unless --use-empty). Its fair share is
 * 16384 * w / W slots, rounded down, with the remainder handed out one by
 * one to the largest weights. If no primary is off its share by more than
 * `threshold` percent there is nothing to do. Otherwise donors (above their
 * share) give their highest slots to receivers (below it), greedily pairing
 * the largest surplus with the largest deficit; every move is one
 * `migrate` plan (same per-slot protocol). Open slots are refused up front:
 * after an interruption, `fix` closes them, then rebalance plans afresh.
 */
import { SLOT_COUNT } from '../../src/router/slot.js';
import { AdminError } from './conn.js';
import { findNode, label, ownSlots, primaries, type AdminNode, type ClusterView } from './view.js';

export interface RebalanceMove {
  from: AdminNode;
  to: AdminNode;
  slots: number[];
}

export interface RebalancePlan {
  shares: { node: AdminNode; weight: number; owned: number; target: number }[];
  moves: RebalanceMove[];
  /** Largest deviation from the fair share, in percent. */
  maxDeviation: number;
}

/** `weights`: `<node>=<w>` strings, node as host:port or id prefix. */
export function planRebalance(view: ClusterView, weights: string[], threshold: number, useEmpty: boolean): RebalancePlan {
  const prims = primaries(view);
  if (prims.length === 0) throw new AdminError(`No reachable primary in the cluster of ${view.seed}`);
  const open = view.nodes.flatMap((n) => [...n.migrating.keys(), ...n.importing.keys()]);
  if (open.length > 0) throw new AdminError(`Slots ${[...new Set(open)].sort((a, b) => a - b).join(',')} are open; close them with shardis fix ${view.seed} (or finish them with shardis migrate), then rebalance`);
  const weightOf = new Map<AdminNode, number>();
  for (const n of prims) weightOf.set(n, useEmpty || ownSlots(n).length > 0 ? 1 : 0);
  for (const w of weights) {
    const i = w.lastIndexOf('=');
    const value = Number(w.slice(i + 1));
    if (i <= 0 || !Number.isFinite(value) || value < 0) throw new AdminError(`--weight ${w}: expected <node>=<weight>, e.g. 3d290b7e=2`);
    const node = findNode(view, w.slice(0, i));
    if (!weightOf.has(node)) throw new AdminError(`--weight ${w}: ${label(node)} is not a reachable primary`);
    weightOf.set(node, value);
  }
  const total = [...weightOf.values()].reduce((a, b) => a + b, 0);
  if (total === 0) throw new AdminError('Every primary has weight 0; give one a weight or pass --use-empty');
  const shares = prims.map((node) => ({ node, weight: weightOf.get(node)!, owned: ownSlots(node).length, target: Math.floor((SLOT_COUNT * weightOf.get(node)!) / total) }));
  let rest = SLOT_COUNT - shares.reduce((a, s) => a + s.target, 0);
  // The remainder goes to the heaviest, then to those owning most (fewest moves).
  for (const s of [...shares].sort((a, b) => b.weight - a.weight || b.owned - a.owned || a.node.addr.localeCompare(b.node.addr))) {
    if (rest === 0) break;
    if (s.weight > 0) {
      s.target++;
      rest--;
    }
  }
  let maxDeviation = 0;
  for (const s of shares) {
    const dev = s.target === 0 ? (s.owned > 0 ? 100 : 0) : (Math.abs(s.owned - s.target) / s.target) * 100;
    maxDeviation = Math.max(maxDeviation, dev);
  }
  const plan: RebalancePlan = { shares, moves: [], maxDeviation };
  if (maxDeviation <= threshold) return plan;
  const donors = shares.filter((s) => s.owned > s.target).map((s) => ({ node: s.node, surplus: s.owned - s.target, slots: ownSlots(s.node) }));
  const receivers = shares.filter((s) => s.owned < s.target).map((s) => ({ node: s.node, deficit: s.target - s.owned }));
  for (;;) {
    donors.sort((a, b) => b.surplus - a.surplus);
    receivers.sort((a, b) => b.deficit - a.deficit);
    const d = donors[0];
    const r = receivers[0];
    if (!d || !r || d.surplus === 0 || r.deficit === 0) break;
    const n = Math.min(d.surplus, r.deficit);
    const slots = d.slots.splice(d.slots.length - n, n);
    plan.moves.push({ from: d.node, to: r.node, slots });
    d.surplus -= n;
    r.deficit -= n;
  }
  return plan;
}
