/**
 * `shardis del-node <node> <id>`: removes a node that owns no slot from the
 * cluster `<node>` belongs to.
 *
 * Checks first, changing nothing: the node to remove owns no slot in any
 * node's opinion (else: the exact migrate/rebalance command that empties
 * it), no slot is open to or from it (else: shardis fix), and every other
 * node is reachable (one that cannot be told to forget would bring the node
 * back by gossip). Steps, as `redis-cli --cluster del-node` does:
 *   1. each replica of the removed node is moved to the reachable primary
 *      with the fewest replicas (CLUSTER REPLICATE), because a replica
 *      refuses to forget its primary ("Can't forget my master!"); if a
 *      replica still answers that (it became one meanwhile), it is moved
 *      then and asked again;
 *   2. CLUSTER FORGET <id> on every other node, all at once: a node forgets
 *      for 60 s only, so they must all forget before gossip reintroduces it
 *      ("Unknown node" counts as done, so a rerun is harmless);
 *   3. CLUSTER RESET SOFT on the removed node, if reachable, so it forgets
 *      the cluster too. redis-cli then shuts it down; we leave it running,
 *      alone and empty of slots: stop it yourself.
 */
import { AdminError } from './conn.js';
import { findNode, label, primaries, type AdminNode, type ClusterView } from './view.js';
import { formatSlotRanges } from '../../src/router/slot-map.js';
import { SLOT_COUNT } from '../../src/router/slot.js';

export interface DelNodePlan {
  node: AdminNode;
  /** Every other node: each gets CLUSTER FORGET. */
  others: AdminNode[];
  /** Replicas of the removed node and the primary each will follow instead. */
  moves: { replica: AdminNode; to: AdminNode }[];
}

export interface DelNodeResult {
  removed: true;
  node: string;
  id: string;
  forgottenBy: string[];
  movedReplicas: { replica: string; to: string }[];
  /** True if CLUSTER RESET SOFT was sent (false: the node was unreachable). */
  reset: boolean;
}

/** Primary (≠ `not`) with the fewest replicas in the view, ties by address. */
function leastReplicated(view: ClusterView, not: AdminNode, extra: Map<AdminNode, number>): AdminNode | undefined {
  const count = (p: AdminNode): number => view.nodes.filter((n) => n.primaryId === p.id).length + (extra.get(p) ?? 0);
  return primaries(view).filter((p) => p !== not && !p.failed).sort((a, b) => count(a) - count(b) || a.addr.localeCompare(b.addr, 'en', { numeric: true }))[0];
}

/** Checks that `ref` (id, id prefix or host:port) can be removed; throws an AdminError naming the node and the fix. */
export function planDelNode(view: ClusterView, ref: string): DelNodePlan {
  const seed = view.seed;
  let node: AdminNode;
  try {
    node = findNode(view, ref);
  } catch (err) {
    // A run cut short after some FORGETs: the seed forgot it, others did not.
    const still = view.nodes.filter((n) => n.lines?.some((l) => !l.flags.includes('myself') && (l.addr === ref || (ref.length >= 4 && l.id.startsWith(ref)))));
    if (still.length > 0) throw new AdminError(`${seed} has forgotten '${ref}' already, but ${still.map((n) => n.addr).join(', ')} still know${still.length === 1 ? 's' : ''} it; finish the removal from there: shardis del-node ${still[0]!.addr} ${ref}`);
    throw err;
  }
  const others = view.nodes.filter((n) => n !== node);
  if (others.length === 0) throw new AdminError(`${label(node)} is the only node of its cluster; there is nothing to remove it from`);
  const seedNode = others.find((n) => n.addr === seed && n.conn) ?? others.find((n) => n.conn);
  if (!seedNode) throw new AdminError(`No other node of the cluster of ${seed} is reachable; start them, then run del-node again`);

  // Slots it owns in anyone's opinion (its own first): all must go first.
  const owned = new Set<number>();
  for (const n of view.nodes) if (n.owners) for (let s = 0; s < SLOT_COUNT; s++) if (n.owners[s] === node.id) owned.add(s);
  if (owned.size > 0) {
    const slots = [...owned].sort((a, b) => a - b);
    const to = primaries(view).filter((p) => p !== node).sort((a, b) => slotsOf(a) - slotsOf(b))[0];
    const entry = seedNode.addr;
    throw new AdminError(`${label(node)} still owns ${slots.length} slots (${formatSlotRanges(slots)}); migrate them first: shardis rebalance ${entry} --weight ${node.addr}=0 --yes (spreads them over the other primaries)${to ? ` or shardis migrate ${entry} --from ${node.addr} --to ${to.addr} --slots ${formatSlotRanges(slots)} --yes` : ''}; then run del-node again`);
  }
  const open = view.nodes.flatMap((n) => [
    ...[...n.migrating].filter(([, peer]) => n === node || peer === node.id).map(([s]) => s),
    ...[...n.importing].filter(([, peer]) => n === node || peer === node.id).map(([s]) => s),
  ]);
  if (open.length > 0) throw new AdminError(`Slots ${[...new Set(open)].sort((a, b) => a - b).join(',')} are open to or from ${label(node)}; close them with shardis fix ${seedNode.addr} --yes, then run del-node again`);
  const down = others.filter((n) => !n.conn);
  if (down.length > 0) throw new AdminError(`${down.map((n) => `${label(n)} (${n.error})`).join(', ')} cannot be reached; a node not told to forget ${label(node)} would bring it back by gossip: bring ${down.length > 1 ? 'them' : 'it'} back (or remove ${down.length > 1 ? 'them' : 'it'} first), then run del-node again`);

  const moves: DelNodePlan['moves'] = [];
  const extra = new Map<AdminNode, number>();
  for (const replica of others.filter((n) => n.primaryId === node.id)) {
    const to = leastReplicated(view, node, extra);
    if (!to) throw new AdminError(`${label(replica)} replicates ${label(node)} and no other healthy primary can take it; remove ${replica.addr} first (shardis del-node ${seedNode.addr} ${replica.id})`);
    extra.set(to, (extra.get(to) ?? 0) + 1);
    moves.push({ replica, to });
  }
  return { node, others, moves };
}

function slotsOf(n: AdminNode): number {
  let k = 0;
  if (n.owners) for (let s = 0; s < SLOT_COUNT; s++) if (n.owners[s] === n.id) k++;
  return k;
}

export function formatDelNodePlan(p: DelNodePlan): string {
  const what = p.node.isPrimary ? 'a primary with no slot' : `a replica${p.node.primaryId ? ` of ${p.node.primaryId.slice(0, 8)}` : ''}`;
  return [
    `Removing ${label(p.node)}, ${what}`,
    ...p.moves.map((m) => `  CLUSTER REPLICATE ${m.to.id} on ${label(m.replica)} (it replicates the removed node; now ${label(m.to)})`),
    `  CLUSTER FORGET ${p.node.id} on ${p.others.length} node(s): ${p.others.map((n) => n.addr).join(', ')}`,
    p.node.conn
      ? `  CLUSTER RESET SOFT on ${p.node.addr}: it forgets the cluster and keeps running alone (unlike redis-cli, shardis does not shut it down; stop it yourself)`
      : `  ${p.node.addr} is unreachable (${p.node.error}): no CLUSTER RESET; if it ever comes back, CLUSTER RESET HARD it before reuse`,
  ].join('\n');
}

/** Runs the plan; `log` gets one line per step. */
export async function runDelNode(view: ClusterView, p: DelNodePlan, log: (m: string) => void): Promise<DelNodeResult> {
  const { node } = p;
  const moved: DelNodeResult['movedReplicas'] = [];
  const replicate = async (replica: AdminNode, to: AdminNode): Promise<void> => {
    log(`${label(replica)} as a replica of ${label(to)}`);
    const r = await replica.conn!.send(['CLUSTER', 'REPLICATE', to.id]);
    if (r instanceof Error) throw new AdminError(`${replica.addr} refused CLUSTER REPLICATE ${to.id}: ${r.message}; it still replicates ${label(node)}, which is therefore not removed. Remove ${replica.addr} first (shardis del-node ${view.seed} ${replica.id}) or fix the cause and run del-node again`);
    moved.push({ replica: replica.addr, to: to.id });
  };
  for (const m of p.moves) await replicate(m.replica, m.to);

  log(`Sending CLUSTER FORGET ${node.id} to ${p.others.length} node(s)...`);
  const forget = (n: AdminNode): Promise<unknown> => n.conn!.send(['CLUSTER', 'FORGET', node.id]);
  const replies = await Promise.all(p.others.map(forget));
  const failed: string[] = [];
  for (let i = 0; i < replies.length; i++) {
    const n = p.others[i]!;
    let r = replies[i];
    if (r instanceof Error && /can't forget my master/i.test(r.message)) {
      // It became a replica of the removed node after the plan: move it, ask again.
      const to = leastReplicated(view, node, new Map());
      if (!to) throw new AdminError(`${n.addr} refused CLUSTER FORGET: ${r.message}; no other healthy primary can take it as a replica: remove ${n.addr} first`);
      await replicate(n, to);
      r = await forget(n);
    }
    if (r instanceof Error && !/unknown node/i.test(r.message)) failed.push(`${n.addr}: ${r.message}`);
  }
  if (failed.length > 0) throw new AdminError(`CLUSTER FORGET ${node.id} was refused by ${failed.join('; ')}; fix the cause and run the same del-node command again within 60 s, before the nodes that forgot it learn it again by gossip`);

  let reset = false;
  if (node.conn) {
    log(`Sending CLUSTER RESET SOFT to ${node.addr} (it keeps running; shut it down yourself if it is not to be reused)...`);
    const r = await node.conn.send(['CLUSTER', 'RESET', 'SOFT']);
    if (r instanceof Error) throw new AdminError(`The cluster forgot ${label(node)}, but ${node.addr} refused CLUSTER RESET SOFT: ${r.message}; it still believes it is in the cluster: FLUSHALL it and run CLUSTER RESET SOFT there, or shut it down`);
    reset = true;
  }
  return { removed: true, node: node.addr, id: node.id, forgottenBy: p.others.map((n) => n.addr), movedReplicas: moved, reset };
}
