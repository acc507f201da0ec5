/**
 * `shardis add-node <new> <existing> [--replica-of <id>]`: joins a running,
 * empty cluster-mode node to the cluster `existing` belongs to.
 *
 * Checks first, changing nothing (so --dry-run shows every refusal): the new
 * node answers, is in cluster mode, is not already a node of the cluster
 * (by address or id), and is empty: it knows no other node, owns no slot and
 * holds no key. `--replica-of` must name a reachable primary of the cluster.
 * Steps, as `redis-cli --cluster add-node` does: the function libraries of
 * the existing node, if any, are copied (FUNCTION DUMP, FUNCTION RESTORE: the
 * cluster does not spread them); CLUSTER MEET from the new
 * node to the existing one (with the existing node's bus port, read from its
 * CLUSTER NODES); wait until every reachable node lists the new one (out of
 * handshake) and the new node lists every node of the cluster; then, with
 * `--replica-of`, CLUSTER REPLICATE <primary-id> on the new node and wait
 * until the other nodes see it as that primary's replica. An error reply to
 * REPLICATE is reported as is: the node then stays in the cluster as an
 * empty primary. An OK from a node whose INFO replication does not then say
 * role:slave (a server without replication, such as Shardis today) is
 * reported as an error too: the cluster lists it as a replica, but it holds
 * no copy of the data.
 * Unlike redis-cli, which refuses to add a node while `--cluster check`
 * fails, open slots are only reported: joining does not touch them.
 */
import { formatSlotRanges } from '../../src/router/slot-map.js';
import { AdminConnection, AdminError, parseAddr } from './conn.js';
import { findNode, label, parseClusterNodes, type AdminNode, type ClusterView, type NodeLine } from './view.js';

export interface AddNodePlan {
  /** `host:port` of the new node. */
  addr: string;
  id: string;
  conn: AdminConnection;
  /** The node the new one meets (the `<existing>` argument). */
  meet: { node: AdminNode; ip: string; busPort: number };
  replicaOf: AdminNode | null;
  /** Nodes of the cluster that cannot be reached: they will learn the new node by gossip. */
  unreachable: AdminNode[];
  /** Slots open (migrating or importing) somewhere: reported, not refused (redis-cli refuses). */
  openSlots: number[];
}

export interface AddNodeResult {
  added: true;
  node: string;
  id: string;
  role: 'primary' | 'replica';
  replicaOf: string | null;
  /** Reachable nodes that list the new node at the end. */
  knownBy: number;
  /** For a replica: master_link_status from its INFO replication right after REPLICATE ('down' while the first sync runs). */
  replicationLink: string | null;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function text(v: unknown): string {
  return Buffer.isBuffer(v) ? v.toString('latin1') : String(v);
}

async function nodesOf(conn: AdminConnection, host: string): Promise<NodeLine[]> {
  return parseClusterNodes(text(await conn.call('CLUSTER', 'NODES')), host);
}

/**
 * Checks the new node `newAddr` against the cluster of `view` (loaded from
 * `<existing>`) and returns the plan, holding an open connection to the new
 * node (the caller closes `plan.conn`). Throws an AdminError naming the node
 * and the fix on any refusal.
 */
export async function planAddNode(view: ClusterView, newAddr: string, replicaOf: string | undefined): Promise<AddNodePlan> {
  const { host, port } = parseAddr(newAddr);
  const addr = `${host}:${port}`;
  const seed = view.seed;
  const known = view.nodes.find((n) => n.addr === addr);
  if (known) throw new AdminError(`${addr} is already a node of the cluster of ${seed} (id ${known.id.slice(0, 8)}); nothing to add. To add it afresh, remove it first with shardis del-node ${seed} ${known.id}`);
  const meetNode = view.nodes.find((n) => n.addr === seed && n.conn);
  if (!meetNode) throw new AdminError(`Cannot reach ${seed}: ${view.nodes.find((n) => n.addr === seed)?.error ?? 'not in its own CLUSTER NODES'}`);
  let primary: AdminNode | null = null;
  if (replicaOf !== undefined) {
    primary = findNode(view, replicaOf);
    if (!primary.isPrimary) {
      const of = primary.primaryId ? view.byId.get(primary.primaryId) : undefined;
      throw new AdminError(`--replica-of ${replicaOf}: ${label(primary)} is a replica; name a primary${of ? `, e.g. its primary ${of.id}` : ''}`);
    }
    if (!primary.conn || primary.failed) throw new AdminError(`--replica-of ${replicaOf}: ${label(primary)} is ${primary.failed ? 'failing' : `unreachable (${primary.error})`}; pick a healthy primary (shardis info ${seed})`);
  }

  const conn = await AdminConnection.open(host, port);
  try {
    const r = await conn.send(['CLUSTER', 'NODES']);
    if (r instanceof Error) {
      throw new AdminError(/cluster support disabled/i.test(r.message)
        ? `${addr} is not in cluster mode; restart it with --cluster-enabled yes (cluster-enabled yes in its config)`
        : `${addr} refused CLUSTER NODES: ${r.message}`);
    }
    const lines = parseClusterNodes(text(r), host);
    const me = lines.find((l) => l.flags.includes('myself'));
    if (!me) throw new AdminError(`${addr} does not list itself in CLUSTER NODES; is it a cluster node?`);
    const sameId = view.byId.get(me.id);
    if (sameId) throw new AdminError(`${addr} is already known to the cluster of ${seed} as ${label(sameId)} (same node id ${me.id.slice(0, 8)}); nothing to add. If it moved, remove the old entry with shardis del-node ${seed} ${me.id}, then CLUSTER RESET HARD on ${addr} and add it again`);
    const keys = Number(await conn.call('DBSIZE'));
    const why = [
      lines.length > 1 ? `it knows ${lines.length - 1} other node(s)` : '',
      me.slots.length > 0 ? `it owns ${me.slots.length} slots` : '',
      keys > 0 ? `it holds ${keys} keys` : '',
    ].filter((x) => x !== '');
    if (why.length > 0) throw new AdminError(`${addr} is not empty: ${why.join(', ')}; a node joins a cluster empty: FLUSHALL and CLUSTER RESET HARD on it (this deletes its data), or pick another node`);

    // The IP and bus port of the node to meet, from its own "myself" line
    // (ip:port@cport): MEET takes an IP, and the seed may be a host name.
    const own = text(await meetNode.conn!.call('CLUSTER', 'NODES')).split('\n').find((l) => l.includes('myself'));
    const m = own ? /^([^:]*):\d+@(\d+)/.exec(own.split(' ')[1] ?? '') : null;
    const busPort = m ? Number(m[2]) : meetNode.port + 10000;
    const ip = m?.[1] || meetNode.host;
    return { addr, id: me.id, conn, meet: { node: meetNode, ip, busPort }, replicaOf: primary, unreachable: view.nodes.filter((n) => !n.conn),
      openSlots: [...new Set(view.nodes.flatMap((n) => [...n.migrating.keys(), ...n.importing.keys()]))].sort((x, y) => x - y) };
  } catch (err) {
    conn.close();
    throw err;
  }
}

export function formatAddNodePlan(p: AddNodePlan): string {
  const lines = [
    `Adding ${p.addr} (${p.id.slice(0, 8)}) ${p.replicaOf ? `as a replica of ${label(p.replicaOf)}` : 'as an empty primary (give it slots with shardis rebalance --use-empty)'}`,
    `  CLUSTER MEET ${p.meet.ip} ${p.meet.node.port} ${p.meet.busPort} on ${p.addr}`,
    '  wait until every node knows it and it knows every node',
  ];
  if (p.replicaOf) lines.push(`  CLUSTER REPLICATE ${p.replicaOf.id} on ${p.addr}`);
  for (const n of p.unreachable) lines.push(`  ! ${label(n)} is unreachable (${n.error}); it will learn the new node by gossip once back`);
  if (p.openSlots.length) lines.push(`  ! slots ${formatSlotRanges(p.openSlots)} are open (a migration is under way or was cut short); adding a node does not touch them: finish them with shardis migrate or shardis fix`);
  return lines.join('\n');
}

/**
 * Polls every `ms / 100` until `done()` is true; throws `failure` after `ms`.
 */
async function waitUntil(ms: number, failure: () => string, done: () => Promise<boolean>): Promise<void> {
  const end = performance.now() + ms;
  for (;;) {
    if (await done()) return;
    if (performance.now() > end) throw new AdminError(failure());
    await sleep(100);
  }
}

/** Runs the plan; `log` gets one line per step. `timeoutMs` bounds each wait. */
export async function runAddNode(view: ClusterView, p: AddNodePlan, log: (m: string) => void, timeoutMs = 60_000): Promise<AddNodeResult> {
  const { node: meet, ip, busPort } = p.meet;
  const host = parseAddr(p.addr).host;
  // Functions are not spread by the cluster: copy them, as redis-cli does.
  const libs = await meet.conn!.send(['FUNCTION', 'LIST']);
  if (Array.isArray(libs) && libs.length > 0) {
    log(`Copying ${libs.length} function librar${libs.length === 1 ? 'y' : 'ies'} from ${meet.addr} (FUNCTION DUMP, FUNCTION RESTORE)...`);
    const payload = await meet.conn!.callBuf('FUNCTION', 'DUMP');
    const r = await p.conn.send(['FUNCTION', 'RESTORE', payload as Buffer]);
    if (r instanceof Error) throw new AdminError(`${p.addr} refused FUNCTION RESTORE of the ${libs.length} function libraries of ${meet.addr}: ${r.message}; nothing was changed in the cluster. Fix the node's functions (FUNCTION FLUSH on it if they are stale) and run add-node again`);
  }
  log(`Sending CLUSTER MEET ${ip} ${meet.port} ${busPort} to ${p.addr}...`);
  await p.conn.call('CLUSTER', 'MEET', ip, meet.port, busPort);

  // Joined: every reachable node lists the new one out of handshake, and the
  // new node lists every node of the cluster (by id, so out of handshake too).
  const reachable = view.nodes.filter((n) => n.conn);
  const ids = view.nodes.map((n) => n.id);
  const lagging = new Set<AdminNode | null>([...reachable, null]);
  log('Waiting until every node knows the new one...');
  await waitUntil(timeoutMs, () => `${p.addr} did not join in ${timeoutMs / 1000} s: ${[...lagging].map((n) => (n ? `${n.addr} does not know it yet` : `it does not know every node yet`)).join('; ')}; check that the bus ports are reachable (${p.addr} must reach ${ip}:${busPort}), then run shardis check ${view.seed}`, async () => {
    for (const n of [...lagging]) {
      if (n === null) {
        const mine = await nodesOf(p.conn, host);
        if (ids.every((id) => mine.some((l) => l.id === id && !l.flags.includes('handshake')))) lagging.delete(null);
      } else {
        const theirs = await nodesOf(n.conn!, n.host);
        if (theirs.some((l) => l.id === p.id && !l.flags.includes('handshake') && !l.flags.includes('noaddr'))) lagging.delete(n);
      }
    }
    return lagging.size === 0;
  });

  let link: string | null = null;
  if (p.replicaOf) {
    const primary = p.replicaOf;
    log(`Configuring ${p.addr} as a replica of ${label(primary)}...`);
    const r = await p.conn.send(['CLUSTER', 'REPLICATE', primary.id]);
    if (r instanceof Error) {
      throw new AdminError(`${p.addr} joined the cluster as an empty primary, but refused CLUSTER REPLICATE ${primary.id}: ${r.message}; it is not a replica of ${label(primary)}. Remove it with shardis del-node ${view.seed} ${p.id}, or leave it as a primary`);
    }
    // An OK is not enough: a server without replication may accept the role
    // in the cluster table and still copy nothing. Redis sets role:slave at once.
    const info = text(await p.conn.call('INFO', 'replication'));
    const role = /^role:(\w+)/m.exec(info)?.[1] ?? '?';
    if (role !== 'slave') {
      throw new AdminError(`${p.addr} answered OK to CLUSTER REPLICATE ${primary.id} and the cluster lists it as a replica of ${label(primary)}, but it does not replicate: its INFO replication says role:${role}, so it holds no copy of that primary's data (this server does not implement replication). Remove it with shardis del-node ${view.seed} ${p.id}, or keep it knowing it is no backup`);
    }
    link = /^master_link_status:(\w+)/m.exec(info)?.[1] ?? null;
    const laggingReplica = new Set(reachable);
    await waitUntil(timeoutMs, () => `${p.addr} answered OK to CLUSTER REPLICATE, but ${[...laggingReplica].map((n) => n.addr).join(', ')} do not show it as a replica of ${label(primary)} after ${timeoutMs / 1000} s; run shardis check ${view.seed}`, async () => {
      for (const n of [...laggingReplica]) {
        const line = (await nodesOf(n.conn!, n.host)).find((l) => l.id === p.id);
        if (line?.primaryId === primary.id) laggingReplica.delete(n);
      }
      return laggingReplica.size === 0;
    });
  }
  return { added: true, node: p.addr, id: p.id, role: p.replicaOf ? 'replica' : 'primary', replicaOf: p.replicaOf?.id ?? null, knownBy: reachable.length, replicationLink: link };
}
