/**
 * `shardis create`: forms a cluster from running, empty cluster-mode nodes.
 *
 * Plan: from `host:port...` and `--replicas N`, the first n/(N+1) nodes are
 * primaries with the 16384 slots split evenly in order, the rest replicas
 * handed out round robin; from a cluster.json (the `npm start` format:
 * `host`, `nodes: [{ port, role, slots?, of? }]`) the roles and slots are
 * taken as written (primaries without `slots` split what is left evenly).
 * Steps, as redis-cli does: CLUSTER ADDSLOTSRANGE on each primary, a
 * distinct SET-CONFIG-EPOCH on every node, CLUSTER MEET from every node to
 * the first (with its bus port, read from its CLUSTER NODES), wait until
 * every node knows every other, CLUSTER REPLICATE on replicas, then wait for
 * cluster_state:ok everywhere. Nodes must be empty: no keys, no slots, no
 * other known node.
 */
import { readFileSync } from 'node:fs';
import { SLOT_COUNT } from '../../src/router/slot.js';
import { formatSlotRanges, parseSlotRanges, slotRanges } from '../../src/router/slot-map.js';
import { AdminConnection, AdminError, parseAddr } from './conn.js';

export interface CreateNode {
  addr: string;
  host: string;
  port: number;
  role: 'primary' | 'replica';
  slots: number[];
  /** Address of the primary, for a replica. */
  of: string | null;
}

export function planFromAddrs(addrs: string[], replicas: number): CreateNode[] {
  const primariesCount = Math.floor(addrs.length / (replicas + 1));
  if (primariesCount < 3) throw new AdminError(`A cluster needs at least 3 primaries: ${addrs.length} nodes with --replicas ${replicas} give ${primariesCount}; add nodes or lower --replicas`);
  const nodes = addrs.map((a, i) => {
    const { host, port } = parseAddr(a);
    return { addr: `${host}:${port}`, host, port, role: i < primariesCount ? 'primary' : 'replica', slots: [], of: null } as CreateNode;
  });
  splitSlots(nodes.filter((n) => n.role === 'primary'), Array.from({ length: SLOT_COUNT }, (_, s) => s));
  nodes.slice(primariesCount).forEach((n, i) => (n.of = nodes[i % primariesCount]!.addr));
  return nodes;
}

function splitSlots(prims: CreateNode[], free: number[]): void {
  let at = 0;
  prims.forEach((p, i) => {
    const n = Math.floor(free.length / prims.length) + (i < free.length % prims.length ? 1 : 0);
    p.slots = free.slice(at, at + n);
    at += n;
  });
}

export function planFromFile(path: string): CreateNode[] {
  let cfg: { host?: string; nodes?: { port: number; role: string; slots?: string; of?: number }[] };
  try {
    cfg = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new AdminError(`Cannot read ${path}: ${(err as Error).message}`);
  }
  const host = cfg.host ?? '127.0.0.1';
  if (!Array.isArray(cfg.nodes) || cfg.nodes.length === 0) throw new AdminError(`${path} lists no nodes; expected { "nodes": [{ "port": 7000, "role": "primary" }, ...] }`);
  const nodes: CreateNode[] = cfg.nodes.map((n) => {
    if (n.role !== 'primary' && n.role !== 'replica') throw new AdminError(`${path}: node ${n.port} has role '${n.role}'; use "primary" or "replica"`);
    return { addr: `${host}:${n.port}`, host, port: n.port, role: n.role, slots: n.slots ? parseSlotRanges(n.slots) : [], of: n.role === 'replica' ? `${host}:${n.of}` : null };
  });
  const taken = new Uint8Array(SLOT_COUNT);
  for (const n of nodes) for (const s of n.slots) {
    if (taken[s]) throw new AdminError(`${path}: slot ${s} is given to two primaries`);
    taken[s] = 1;
  }
  const prims = nodes.filter((n) => n.role === 'primary');
  const bare = prims.filter((n) => n.slots.length === 0);
  if (bare.length) splitSlots(bare, Array.from({ length: SLOT_COUNT }, (_, s) => s).filter((s) => !taken[s]));
  for (const n of nodes) if (n.role === 'replica' && !prims.some((p) => p.addr === n.of)) throw new AdminError(`${path}: replica ${n.port} follows ${n.of}, which is not a primary of the file`);
  return nodes;
}

export function formatCreatePlan(nodes: CreateNode[]): string {
  return nodes.map((n) => (n.role === 'primary' ? `  M ${n.addr} slots ${formatSlotRanges(n.slots) || '(none)'} (${n.slots.length} slots)` : `  S ${n.addr} replica of ${n.of}`)).join('\n');
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function text(v: unknown): string {
  return Buffer.isBuffer(v) ? v.toString('latin1') : String(v);
}

export async function runCreate(nodes: CreateNode[], log: (m: string) => void): Promise<void> {
  const conns: AdminConnection[] = [];
  try {
    for (const n of nodes) conns.push(await AdminConnection.open(n.host, n.port));
    const bus: number[] = [];
    const ids: string[] = [];
    for (let i = 0; i < nodes.length; i++) {
      const c = conns[i]!;
      const r = await c.send(['CLUSTER', 'NODES']);
      if (r instanceof Error) throw new AdminError(`${nodes[i]!.addr} is not in cluster mode (${r.message}); start it with --cluster-enabled yes`);
      const lines = text(r).trim().split('\n');
      const me = lines.find((l) => l.includes('myself'))!.split(' ');
      if (lines.length > 1 || me.length > 8 || Number(await c.call('DBSIZE')) > 0) {
        throw new AdminError(`${nodes[i]!.addr} is not empty: it holds keys or slots or knows other nodes; reset it with CLUSTER RESET HARD (after FLUSHALL) or pick another node`);
      }
      ids.push(me[0]!);
      const m = /@(\d+)/.exec(me[1]!);
      bus.push(m ? Number(m[1]) : nodes[i]!.port + 10000);
    }
    for (let i = 0; i < nodes.length; i++) {
      const n = nodes[i]!;
      for (const r of slotRanges(n.slots)) await conns[i]!.call('CLUSTER', 'ADDSLOTSRANGE', r.start, r.end);
      await conns[i]!.call('CLUSTER', 'SET-CONFIG-EPOCH', i + 1);
    }
    log('Slots assigned, epochs set; joining the nodes...');
    const first = nodes[0]!;
    for (let i = 1; i < nodes.length; i++) await conns[i]!.call('CLUSTER', 'MEET', first.host, first.port, bus[0]!);
    for (let i = 0; i < nodes.length; i++) {
      for (let t = 0; ; t++) {
        const lines = text(await conns[i]!.call('CLUSTER', 'NODES')).trim().split('\n');
        if (lines.length === nodes.length && !lines.some((l) => /handshake|noaddr/.test(l))) break;
        if (t > 600) throw new AdminError(`${nodes[i]!.addr} did not learn every node in 60 s; check that the bus ports are reachable`);
        await sleep(100);
      }
    }
    for (let i = 0; i < nodes.length; i++) {
      const n = nodes[i]!;
      if (n.role !== 'replica') continue;
      const pid = ids[nodes.findIndex((x) => x.addr === n.of)]!;
      for (let t = 0; ; t++) {
        const r = await conns[i]!.send(['CLUSTER', 'REPLICATE', pid]);
        if (!(r instanceof Error)) break;
        if (t > 100) throw new AdminError(`${n.addr} refused CLUSTER REPLICATE ${pid}: ${r.message}`);
        await sleep(100);
      }
    }
    log('Waiting for cluster_state:ok on every node...');
    for (let i = 0; i < nodes.length; i++) {
      for (let t = 0; ; t++) {
        if (text(await conns[i]!.call('CLUSTER', 'INFO')).includes('cluster_state:ok')) break;
        if (t > 600) throw new AdminError(`${nodes[i]!.addr} did not reach cluster_state:ok in 60 s; run shardis check ${nodes[i]!.addr}`);
        await sleep(100);
      }
    }
  } finally {
    for (const c of conns) c.close();
  }
}
