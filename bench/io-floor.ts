/**
 * How much of the cluster ratio the runtime leaves us (issue #4's
 * throughput row). The cluster benchmark puts three servers and three
 * redis-benchmark threads on this machine's two cores, so throughput is set
 * by CPU per request. This benchmark runs that same load shape against
 * three kinds of server, in the same run:
 *  - Redis 7, three one-node clusters (cluster mode, all slots each);
 *  - the I/O floor (bench/io-floor-server.ts): a Node.js process on
 *    Shardis's own fast I/O path that only finds request boundaries and
 *    answers `+OK`, i.e. the least any Node.js server pays per request;
 *  - Shardis, three one-node clusters like Redis's (routing included).
 * Three `redis-benchmark -c 17` processes, one per server, run at once
 * (what `redis-benchmark --cluster -c 50` does with its thread per master,
 * without the redirection bookkeeping), so the floor can take part: it
 * cannot answer CLUSTER NODES. Throughput is all requests over the wall
 * time until the last of the three finishes.
 *
 * Each round runs every test on the three kinds back to back, the first kind
 * rotating; ratios are medians of per-round ratios (the host's speed drifts
 * over minutes). Server CPU per request is user + system time of the three
 * server processes (/proc).
 *
 *   node dist/bench/io-floor.js [--quick] [--rounds N] [--requests N]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { freeClusterPort, redisCli } from '../test/client/helpers/redis-cluster.js';
import { ROOT, stopper } from '../test/helpers/servers.js';
import { SERVER_NODE_FLAGS } from '../src/node/node-flags.js';
import { cpuMs, waitReady } from './processes.js';
import { median } from './stats.js';

const QUICK = process.argv.includes('--quick');
function numberArg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isInteger(v) || v < 1) throw new Error(`${name} takes a positive integer`);
  return v;
}
const ROUNDS = numberArg('--rounds', QUICK ? 1 : 5);
/** Requests per server per run (three servers run at once). */
const REQUESTS = numberArg('--requests', QUICK ? 20_000 : 200_000);
const CLIENTS = 17;
const TESTS = ['set', 'get'] as const;

type Kind = 'redis' | 'floor' | 'shardis';
const KINDS: readonly Kind[] = ['redis', 'floor', 'shardis'];
const LABEL: Record<Kind, string> = { redis: 'Redis 7', floor: 'Node.js I/O floor', shardis: 'Shardis' };

interface Running {
  readonly port: number;
  readonly proc: ChildProcess;
}

function command(kind: Kind, port: number, dir: string): [string, string[]] {
  const cluster = ['--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`];
  const common = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir];
  if (kind === 'redis') return ['redis-server', [...common, ...cluster]];
  if (kind === 'floor') return [process.execPath, [...SERVER_NODE_FLAGS, join(ROOT, 'dist', 'bench', 'io-floor-server.js'), String(port)]];
  return [process.execPath, [...SERVER_NODE_FLAGS, join(ROOT, 'dist', 'src', 'node', 'main.js'), ...common, ...cluster]];
}

async function start(kind: Kind, taken: Set<number>, dir: string): Promise<Running> {
  const port = await freeClusterPort(taken);
  const [bin, args] = command(kind, port, dir);
  const proc = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    await waitReady(proc, `${LABEL[kind]} on port ${port}`);
    if (kind !== 'floor') {
      // A one-node cluster owning every slot: requests are routed as in the cluster benchmark, never redirected.
      redisCli(port, 'CLUSTER', 'ADDSLOTSRANGE', '0', '16383');
      for (let i = 0; !redisCli(port, 'CLUSTER', 'INFO').includes('cluster_state:ok'); i++) {
        if (i > 300) throw new Error(`${LABEL[kind]} on port ${port} never reached cluster_state:ok`);
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  } catch (err) {
    await stopper(proc)();
    throw err;
  }
  return { port, proc };
}

/** One redis-benchmark process; resolves when it exits (rejects on failure). */
function load(port: number, test: string, requests: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn('redis-benchmark', ['-h', '127.0.0.1', '-p', String(port), '-t', test, '-c', String(CLIENTS), '-n', String(requests), '-q'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.once('error', reject);
    p.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`redis-benchmark on port ${port} exited with ${code}: ${err}`))));
  });
}

/** Runs `test` on three servers at once: requests/s over the wall time, and server CPU microseconds per request. */
async function run(servers: readonly Running[], test: string, requests = REQUESTS): Promise<{ rps: number; cpuUs: number }> {
  const pids = servers.map((s) => s.proc.pid!);
  const cpu0 = pids.reduce((a, p) => a + cpuMs(p), 0);
  const t0 = performance.now();
  await Promise.all(servers.map((s) => load(s.port, test, requests)));
  const secs = (performance.now() - t0) / 1000;
  const cpu = pids.reduce((a, p) => a + cpuMs(p), 0) - cpu0;
  const total = requests * servers.length;
  return { rps: total / secs, cpuUs: (cpu * 1000) / total };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'shardis-io-floor-'));
  const taken = new Set<number>();
  const servers = new Map<Kind, Running[]>();
  try {
    for (const kind of KINDS) {
      const three: Running[] = [];
      servers.set(kind, three);
      for (let i = 0; i < 3; i++) three.push(await start(kind, taken, dir));
    }
    // Warm-up: every server's code paths compiled, and the GET keys exist.
    for (const kind of KINDS) for (const t of TESTS) await run(servers.get(kind)!, t, Math.min(REQUESTS, 50_000));
    const rps = new Map<string, number[]>();
    const cpu = new Map<string, number[]>();
    const ratios = new Map<string, number[]>();
    const push = (m: Map<string, number[]>, k: string, v: number): void => void (m.get(k) ?? m.set(k, []).get(k)!).push(v);
    for (let round = 0; round < ROUNDS; round++) {
      for (const [ti, t] of TESTS.entries()) {
        const first = (round + ti) % KINDS.length;
        const order = [...KINDS.slice(first), ...KINDS.slice(0, first)];
        const got = new Map<Kind, number>();
        for (const kind of order) {
          const r = await run(servers.get(kind)!, t);
          got.set(kind, r.rps);
          push(rps, `${t}/${kind}`, r.rps);
          push(cpu, `${t}/${kind}`, r.cpuUs);
        }
        push(ratios, `${t}/floor`, got.get('floor')! / got.get('redis')!);
        push(ratios, `${t}/shardis`, got.get('shardis')! / got.get('redis')!);
        push(ratios, `${t}/ours`, got.get('shardis')! / got.get('floor')!);
      }
    }
    const f = (k: string, m: Map<string, number[]>): number => median(m.get(k)!);
    const per = (k: string): string => ratios.get(k)!.map((x) => x.toFixed(2)).join(', ');
    console.log(`\n### I/O floor: 3 servers, 3 x redis-benchmark -c ${CLIENTS} -n ${REQUESTS} at once (${ROUNDS} rounds)\n`);
    console.log('| test | Redis 7 | Node.js I/O floor | Shardis | floor / Redis | Shardis / Redis | Shardis / floor | server CPU/request Redis, floor, Shardis |');
    console.log('|---|---:|---:|---:|---:|---:|---:|---|');
    for (const t of TESTS) {
      const r = (kind: Kind): string => `${Math.round(f(`${t}/${kind}`, rps)).toLocaleString('en-US')} req/s`;
      const c = KINDS.map((kind) => `${f(`${t}/${kind}`, cpu).toFixed(1)}`).join(' / ');
      console.log(
        `| ${t.toUpperCase()} | ${r('redis')} | ${r('floor')} | ${r('shardis')} | ${f(`${t}/floor`, ratios).toFixed(2)} | ${f(`${t}/shardis`, ratios).toFixed(2)} | ${f(`${t}/ours`, ratios).toFixed(2)} | ${c} us |`,
      );
    }
    console.log('\nPer-round ratios:');
    for (const t of TESTS) console.log(`- ${t.toUpperCase()}: floor / Redis ${per(`${t}/floor`)}; Shardis / Redis ${per(`${t}/shardis`)}; Shardis / floor ${per(`${t}/ours`)}`);
  } finally {
    await Promise.all([...servers.values()].flat().map((s) => stopper(s.proc)()));
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: Error) => {
  console.error(err.stack ?? err.message);
  process.exit(1);
});
