/**
 * `npm start [cluster.json]`: brings up the local cluster that cluster.json
 * describes and keeps it running until Ctrl-C / SIGTERM.
 *
 * 1. Reads cluster.json (`host`, `dataDir`, `options` passed to every node
 *    as `--<directive> <value>`, and `nodes`: `{ port, busPort?, role:
 *    "primary" | "replica", slots?: "0-5460,...", of?: <primary port> }`).
 * 2. Starts one shardis-server per node with `--cluster-enabled yes` and its
 *    own data directory `<dataDir>/<port>` (its nodes.conf and log live there).
 * 3. If the nodes already form the cluster (a second `npm start`: every node
 *    came back from its nodes.conf with its id, epochs and slots) nothing is
 *    changed. If all are fresh, forms it: ADDSLOTSRANGE per primary,
 *    SET-CONFIG-EPOCH 1..N, CLUSTER MEET to the first node, REPLICATE for
 *    replicas. Anything in between is refused with a message.
 * 4. Waits until every node reports cluster_state:ok, prints a table of
 *    nodes, roles and slot ranges and how to connect, and the time it took.
 * 5. On SIGINT/SIGTERM stops every node with SIGTERM (they save their
 *    config), SIGKILL after 10 s, then exits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseSlotRanges, slotRanges, formatSlotRanges } from '../src/router/slot-map.js';
import { SERVER_NODE_FLAGS } from '../src/node/node-flags.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SERVER_MAIN = join(ROOT, 'dist', 'src', 'node', 'main.js');

interface NodeSpec {
  port: number;
  busPort?: number;
  role: 'primary' | 'replica';
  slots?: string;
  /** Port of the primary a replica follows. */
  of?: number;
}

interface ClusterFile {
  host?: string;
  dataDir?: string;
  options?: Record<string, string | number | boolean>;
  nodes: NodeSpec[];
}

interface Running {
  spec: NodeSpec;
  dir: string;
  proc: ChildProcess;
  exited: boolean;
}

type Reply = string | number | null | Error | Reply[];

/** Sends one command on a new connection and resolves with the parsed reply. */
function command(host: string, port: number, args: string[], timeoutMs = 5000): Promise<Reply> {
  return new Promise((resolvePromise, reject) => {
    const sock = connect({ host, port });
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`Cannot reach ${host}:${port}: no reply within ${timeoutMs} ms`));
    }, timeoutMs);
    sock.on('connect', () => {
      let out = `*${args.length}\r\n`;
      for (const a of args) out += `$${Buffer.byteLength(a, 'latin1')}\r\n${a}\r\n`;
      sock.write(out, 'latin1');
    });
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      const r = parseReply(buf, 0);
      if (r === undefined) return;
      clearTimeout(timer);
      sock.destroy();
      resolvePromise(r[0]);
    });
    sock.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

function parseReply(b: Buffer, pos: number): [Reply, number] | undefined {
  const lf = b.indexOf(10, pos);
  if (lf < 0) return undefined;
  const head = b.toString('latin1', pos + 1, lf - 1);
  const t = String.fromCharCode(b[pos]!);
  if (t === '+') return [head, lf + 1];
  if (t === '-') return [new Error(head), lf + 1];
  if (t === ':') return [Number(head), lf + 1];
  if (t === '$' || t === '=') {
    const n = Number(head);
    if (n < 0) return [null, lf + 1];
    if (b.length < lf + 1 + n + 2) return undefined;
    const s = b.toString('latin1', lf + 1, lf + 1 + n);
    return [t === '=' ? s.slice(4) : s, lf + 1 + n + 2];
  }
  if (t === '*') {
    const n = Number(head);
    const out: Reply[] = [];
    let p = lf + 1;
    for (let i = 0; i < n; i++) {
      const r = parseReply(b, p);
      if (r === undefined) return undefined;
      out.push(r[0]);
      p = r[1];
    }
    return [out, p];
  }
  return [null, lf + 1];
}

/** `command`, retried a few times on connection errors (a loaded machine may reset a fresh connection). */
async function commandRetry(host: string, port: number, args: string[]): Promise<Reply> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await command(host, port, args);
    } catch (err) {
      if (attempt >= 4) throw err;
      await sleep(100 * (attempt + 1));
    }
  }
}

async function must(host: string, port: number, args: string[]): Promise<Reply> {
  const r = await commandRetry(host, port, args);
  if (r instanceof Error) throw new Error(`Cannot run '${args.join(' ')}' on ${host}:${port}: ${r.message}`);
  return r;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function loadClusterFile(path: string): ClusterFile {
  let cfg: ClusterFile;
  try {
    cfg = JSON.parse(readFileSync(path, 'utf8')) as ClusterFile;
  } catch (err) {
    throw new Error(`Cannot read the cluster description ${path}: ${(err as Error).message}`);
  }
  if (!Array.isArray(cfg.nodes) || cfg.nodes.length === 0) throw new Error(`Cannot start the cluster as ${path} lists no nodes`);
  const covered = new Set<number>();
  for (const n of cfg.nodes) {
    if (!Number.isInteger(n.port) || n.port <= 0 || n.port > 65535) throw new Error(`Cannot start the cluster as a node of ${path} has port ${n.port}`);
    if (n.role === 'primary') {
      for (const s of parseSlotRanges(n.slots ?? '')) {
        if (covered.has(s)) throw new Error(`Cannot start the cluster as slot ${s} is given to two primaries in ${path}`);
        covered.add(s);
      }
    } else if (n.role === 'replica') {
      if (!cfg.nodes.some((p) => p.role === 'primary' && p.port === n.of)) throw new Error(`Cannot start the cluster as replica ${n.port} follows no primary ('of' must be a primary's port)`);
    } else throw new Error(`Cannot start the cluster as node ${n.port} has role '${String(n.role)}' (primary or replica)`);
  }
  return cfg;
}

/** Starts one node and resolves once it printed its ready line. */
function startNode(cfg: ClusterFile, spec: NodeSpec, dataDir: string): Promise<Running> {
  const host = cfg.host ?? '127.0.0.1';
  const dir = join(dataDir, String(spec.port));
  mkdirSync(dir, { recursive: true });
  const args = [...SERVER_NODE_FLAGS, SERVER_MAIN, '--port', String(spec.port), '--bind', host, '--cluster-enabled', 'yes', '--dir', dir, '--cluster-config-file', 'nodes.conf'];
  if (spec.busPort !== undefined) args.push('--cluster-port', String(spec.busPort));
  for (const [k, v] of Object.entries(cfg.options ?? {})) args.push(`--${k}`, typeof v === 'boolean' ? (v ? 'yes' : 'no') : String(v));
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const log = createWriteStream(join(dir, 'shardis.log'), { flags: 'a' });
  proc.stdout!.pipe(log);
  proc.stderr!.pipe(log);
  const running: Running = { spec, dir, proc, exited: false };
  return new Promise((resolvePromise, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`Cannot start node ${spec.port}: not ready within 20 s (log: ${join(dir, 'shardis.log')})`)), 20_000);
    const onData = (d: Buffer): void => {
      out += d.toString();
      if (out.includes('Ready to accept connections')) {
        clearTimeout(timer);
        proc.stdout!.off('data', onData);
        resolvePromise(running);
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    proc.once('exit', (code) => {
      running.exited = true;
      clearTimeout(timer);
      reject(new Error(`Cannot start node ${spec.port}: it exited with code ${code}\n${out.trim()}`));
    });
  });
}

interface NodeView {
  id: string;
  knownNodes: number;
  ok: boolean;
  slotsAssigned: number;
}

async function view(host: string, port: number): Promise<NodeView> {
  const id = (await must(host, port, ['CLUSTER', 'MYID'])) as string;
  const info = (await must(host, port, ['CLUSTER', 'INFO'])) as string;
  const field = (name: string): string => new RegExp(`${name}:(\\S+)`).exec(info)?.[1] ?? '';
  return { id, knownNodes: Number(field('cluster_known_nodes')), ok: field('cluster_state') === 'ok', slotsAssigned: Number(field('cluster_slots_assigned')) };
}

/** Forms the cluster from fresh nodes. */
async function form(cfg: ClusterFile, host: string): Promise<void> {
  const primaries = cfg.nodes.filter((n) => n.role === 'primary');
  for (let i = 0; i < primaries.length; i++) {
    const p = primaries[i]!;
    const ranges = slotRanges(parseSlotRanges(p.slots ?? ''));
    if (ranges.length > 0) await must(host, p.port, ['CLUSTER', 'ADDSLOTSRANGE', ...ranges.flatMap((r) => [String(r.start), String(r.end)])]);
    await must(host, p.port, ['CLUSTER', 'SET-CONFIG-EPOCH', String(i + 1)]);
  }
  const first = cfg.nodes[0]!;
  const firstBus = first.busPort ?? first.port + 10000;
  for (const n of cfg.nodes.slice(1)) await must(host, n.port, ['CLUSTER', 'MEET', host, String(first.port), String(firstBus)]);
  const replicas = cfg.nodes.filter((n) => n.role === 'replica');
  if (replicas.length === 0) return;
  // A replica can follow its primary once it knows it.
  const primaryIds = new Map<number, string>();
  for (const p of primaries) primaryIds.set(p.port, (await must(host, p.port, ['CLUSTER', 'MYID'])) as string);
  for (const r of replicas) {
    const masterId = primaryIds.get(r.of!)!;
    const end = Date.now() + 15_000;
    for (;;) {
      const res = await commandRetry(host, r.port, ['CLUSTER', 'REPLICATE', masterId]);
      if (!(res instanceof Error)) break;
      if (Date.now() > end) throw new Error(`Cannot make ${r.port} a replica of ${r.of}: ${res.message}`);
      await sleep(200);
    }
  }
}

function printTable(cfg: ClusterFile, host: string, nodesText: string, elapsedMs: number, formed: boolean): void {
  const lines = nodesText.split('\n').filter((l) => l !== '');
  const byPort = new Map<number, string[]>();
  for (const l of lines) {
    const f = l.split(' ');
    const port = Number(/:(\d+)@/.exec(f[1]!)?.[1]);
    byPort.set(port, f);
  }
  const rows: string[][] = [['NODE', 'ROLE', 'SLOTS', 'ID']];
  for (const n of cfg.nodes) {
    const f = byPort.get(n.port);
    const role = f?.[2]?.includes('slave') ? `replica of ${cfg.nodes.find((p) => byPort.get(p.port)?.[0] === f[3])?.port ?? f[3]}` : 'primary';
    const slots = f ? formatSlotRanges(parseSlotRanges(f.slice(8).filter((t) => !t.startsWith('[')).join(' ')), ',') : '?';
    rows.push([`${host}:${n.port}`, role, slots === '' ? '-' : slots, f?.[0] ?? '?']);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  process.stdout.write(`\nShardis cluster ${formed ? 'formed' : 'restored from its data directories'}: cluster_state:ok after ${elapsedMs} ms\n\n`);
  for (const r of rows) process.stdout.write(r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd() + '\n');
  process.stdout.write(`\nConnect with: redis-cli -c -p ${cfg.nodes[0]!.port}\nPress Ctrl-C to stop every node.\n`);
}

async function main(): Promise<void> {
  const t0 = Date.now();
  const file = resolve(process.argv[2] ?? process.env.SHARDIS_CLUSTER ?? join(ROOT, 'cluster.json'));
  const cfg = loadClusterFile(file);
  const host = cfg.host ?? '127.0.0.1';
  const dataDirRaw = cfg.dataDir ?? '.shardis';
  const dataDir = isAbsolute(dataDirRaw) ? dataDirRaw : join(dirname(file), dataDirRaw);
  if (!existsSync(SERVER_MAIN)) throw new Error(`Cannot start the cluster as ${SERVER_MAIN} is missing: run 'npm run build' first`);

  const running: Running[] = [];
  let stopping = false;
  const stopAll = async (code: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    process.stdout.write('\nStopping every node...\n');
    await Promise.all(
      running.map(
        (r) =>
          new Promise<void>((res) => {
            if (r.exited) return res();
            const kill = setTimeout(() => r.proc.kill('SIGKILL'), 10_000);
            r.proc.once('exit', () => {
              clearTimeout(kill);
              res();
            });
            r.proc.kill('SIGTERM');
          }),
      ),
    );
    process.stdout.write('All nodes stopped.\n');
    process.exit(code);
  };
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));

  try {
    const started = await Promise.allSettled(cfg.nodes.map((n) => startNode(cfg, n, dataDir)));
    for (const s of started) if (s.status === 'fulfilled') running.push(s.value);
    const failed = started.find((s) => s.status === 'rejected') as PromiseRejectedResult | undefined;
    if (failed) throw failed.reason as Error;
    for (const r of running) {
      r.proc.once('exit', (code, signal) => {
        r.exited = true;
        if (!stopping) process.stderr.write(`Node ${r.spec.port} exited (${signal ?? code}); see ${join(r.dir, 'shardis.log')}\n`);
      });
    }

    const views = await Promise.all(cfg.nodes.map((n) => view(host, n.port)));
    const fresh = views.every((v) => v.knownNodes === 1 && v.slotsAssigned === 0);
    const complete = views.every((v) => v.knownNodes === cfg.nodes.length);
    let formed = false;
    if (fresh) {
      await form(cfg, host);
      formed = true;
    } else if (!complete) {
      throw new Error(
        `Cannot start the cluster as the data directories under ${dataDir} hold a partial cluster ` +
          `(known nodes: ${views.map((v) => v.knownNodes).join(', ')}); remove ${dataDir} to start afresh`,
      );
    }
    const deadline = Date.now() + 60_000;
    for (;;) {
      const vs = await Promise.all(cfg.nodes.map((n) => view(host, n.port)));
      if (vs.every((v) => v.ok && v.knownNodes === cfg.nodes.length)) break;
      if (Date.now() > deadline) throw new Error('Cannot bring the cluster to cluster_state:ok within 60 s');
      await sleep(100);
    }
    const nodesText = (await must(host, cfg.nodes[0]!.port, ['CLUSTER', 'NODES'])) as string;
    printTable(cfg, host, nodesText, Date.now() - t0, formed);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    await stopAll(1);
  }
}

main().catch((err: Error) => {
  process.stderr.write(`${err.stack ?? err.message}\n`);
  process.exit(1);
});
