/**
 * The cluster as the admin CLI sees it: CLUSTER NODES from the seed lists the
 * nodes; then every reachable node is asked for its own CLUSTER NODES, so
 * each node's opinion (slot owners, open slots) can be compared. Open slots
 * (`[slot->-id]` migrating, `[slot-<-id]` importing) appear only on the line
 * a node writes about itself ("myself").
 */
import { SLOT_COUNT } from '../../src/router/slot.js';
import { AdminConnection, AdminError, parseAddr } from './conn.js';

export interface NodeLine {
  id: string;
  host: string;
  port: number;
  addr: string;
  flags: string[];
  /** Primary id for a replica, null for a primary. */
  primaryId: string | null;
  slots: number[];
  /** slot → target id (this node is migrating it). Only on the myself line. */
  migrating: Map<number, string>;
  /** slot → source id (this node is importing it). Only on the myself line. */
  importing: Map<number, string>;
}

/** One node as seen by itself, with its connection and its opinion of the cluster. */
export interface AdminNode {
  id: string;
  addr: string;
  host: string;
  port: number;
  isPrimary: boolean;
  primaryId: string | null;
  failed: boolean;
  conn: AdminConnection | null;
  /** Its own CLUSTER NODES lines, null if it could not be reached. */
  lines: NodeLine[] | null;
  /** owner id per slot, in this node's opinion ('' = unassigned). */
  owners: string[] | null;
  migrating: Map<number, string>;
  importing: Map<number, string>;
  /** Why it could not be reached. */
  error: string | null;
}

export interface ClusterView {
  seed: string;
  nodes: AdminNode[];
  byId: Map<string, AdminNode>;
  close(): void;
}

/** Parses CLUSTER NODES output; `defaultHost` replaces an empty announced host. */
export function parseClusterNodes(text: string, defaultHost: string): NodeLine[] {
  const out: NodeLine[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    const f = line.split(' ');
    const addrPart = f[1]!.split(',')[0]!.split('@')[0]!;
    const i = addrPart.lastIndexOf(':');
    const host = addrPart.slice(0, i) || defaultHost;
    const port = Number(addrPart.slice(i + 1));
    const node: NodeLine = {
      id: f[0]!, host, port, addr: `${host}:${port}`, flags: f[2]!.split(','),
      primaryId: f[3] === '-' ? null : f[3]!, slots: [], migrating: new Map(), importing: new Map(),
    };
    for (const s of f.slice(8)) {
      let m = /^\[(\d+)->-([0-9a-f]+)\]$/.exec(s);
      if (m) { node.migrating.set(Number(m[1]), m[2]!); continue; }
      m = /^\[(\d+)-<-([0-9a-f]+)\]$/.exec(s);
      if (m) { node.importing.set(Number(m[1]), m[2]!); continue; }
      m = /^(\d+)(?:-(\d+))?$/.exec(s);
      if (m) {
        const a = Number(m[1]);
        const b = m[2] === undefined ? a : Number(m[2]);
        for (let x = a; x <= b; x++) node.slots.push(x);
      }
    }
    out.push(node);
  }
  return out;
}

function ownersOf(lines: NodeLine[]): string[] {
  const owners = new Array<string>(SLOT_COUNT).fill('');
  for (const l of lines) for (const s of l.slots) owners[s] = l.id;
  return owners;
}

function asText(v: unknown): string {
  return Buffer.isBuffer(v) ? v.toString('latin1') : String(v);
}

/**
 * Loads the view from `seed` (host:port). Unreachable non-seed nodes are kept
 * with `conn = null` and `error` set; an unreachable seed throws.
 */
export async function loadCluster(seed: string): Promise<ClusterView> {
  const { host, port } = parseAddr(seed);
  const seedConn = await AdminConnection.open(host, port);
  const conns: AdminConnection[] = [seedConn];
  const close = (): void => { for (const c of conns) c.close(); };
  try {
    const text = await seedConn.send(['CLUSTER', 'NODES']);
    if (text instanceof Error) {
      throw new AdminError(/cluster support disabled/i.test(text.message)
        ? `${seed} is not in cluster mode; start it with --cluster-enabled yes`
        : `${seed} refused CLUSTER NODES: ${text.message}`);
    }
    const seedLines = parseClusterNodes(asText(text), host);
    const nodes: AdminNode[] = [];
    await Promise.all(seedLines.map(async (l) => {
      const myself = l.flags.includes('myself');
      const failed = l.flags.includes('fail') || l.flags.includes('noaddr') || l.flags.includes('handshake');
      const node: AdminNode = {
        id: l.id, addr: myself ? `${host}:${port}` : l.addr, host: myself ? host : l.host, port: myself ? port : l.port,
        isPrimary: l.flags.includes('master'), primaryId: l.primaryId, failed,
        conn: null, lines: null, owners: null, migrating: new Map(), importing: new Map(), error: null,
      };
      nodes.push(node);
      try {
        const conn = myself ? seedConn : await AdminConnection.open(node.host, node.port, 3000);
        if (!myself) conns.push(conn);
        node.conn = conn;
        const own = myself ? seedLines : parseClusterNodes(asText(await conn.call('CLUSTER', 'NODES')), node.host);
        node.lines = own;
        node.owners = ownersOf(own);
        const me = own.find((x) => x.flags.includes('myself'));
        if (me) {
          node.migrating = me.migrating;
          node.importing = me.importing;
        }
      } catch (err) {
        node.error = (err as Error).message;
      }
    }));
    nodes.sort((a, b) => (a.isPrimary === b.isPrimary ? a.addr.localeCompare(b.addr, 'en', { numeric: true }) : a.isPrimary ? -1 : 1));
    return { seed, nodes, byId: new Map(nodes.map((n) => [n.id, n])), close };
  } catch (err) {
    close();
    throw err;
  }
}

/** Reachable primaries. */
export function primaries(view: ClusterView): AdminNode[] {
  return view.nodes.filter((n) => n.isPrimary && n.conn !== null);
}

/** Finds a node by `host:port`, full id or unique id prefix (at least 4 characters). */
export function findNode(view: ClusterView, ref: string): AdminNode {
  const byAddr = view.nodes.find((n) => n.addr === ref || (ref.startsWith(':') && n.port === Number(ref.slice(1))));
  if (byAddr) return byAddr;
  if (/^\d+$/.test(ref)) {
    const byPort = view.nodes.filter((n) => n.port === Number(ref));
    if (byPort.length === 1) return byPort[0]!;
  }
  const byId = view.nodes.filter((n) => ref.length >= 4 && n.id.startsWith(ref));
  if (byId.length === 1) return byId[0]!;
  if (byId.length > 1) throw new AdminError(`Node '${ref}' is ambiguous: ${byId.map((n) => n.addr).join(', ')} match; give more of the id or host:port`);
  throw new AdminError(`No node '${ref}' in the cluster of ${view.seed}; known nodes: ${view.nodes.map((n) => `${n.addr} (${n.id.slice(0, 8)})`).join(', ')}`);
}

/** The owner of every slot in the seed's opinion (the first reachable node). */
export function seedOwners(view: ClusterView): string[] {
  const n = view.nodes.find((x) => x.addr === view.seed && x.owners) ?? view.nodes.find((x) => x.owners);
  return n?.owners ?? new Array<string>(SLOT_COUNT).fill('');
}

/** Slots a node owns in its own opinion. */
export function ownSlots(n: AdminNode): number[] {
  const out: number[] = [];
  if (!n.owners) return out;
  for (let s = 0; s < SLOT_COUNT; s++) if (n.owners[s] === n.id) out.push(s);
  return out;
}

/** Short label: `127.0.0.1:7000 (3d290b7e)`. */
export function label(n: AdminNode): string {
  return `${n.addr} (${n.id.slice(0, 8)})`;
}
