/**
 * Cluster benchmark rows (issue #4): `redis-benchmark --cluster -t set,get`
 * against a 3-primary Shardis cluster and a 3-primary Redis cluster, same
 * run, alternating, median of the rounds; and the time `npm start`'s cluster
 * formation takes to reach `cluster_state:ok` (measured here by forming a
 * 3-node Shardis cluster on free ports the way scripts/start.ts does).
 *
 * Fairness. Both clusters get the same command line (clients, requests, key
 * space). redis-benchmark --cluster reads CLUSTER NODES from the seed, asks
 * every master CONFIG GET save / appendonly, then runs one thread per
 * master with its share of the clients (17/17/16 for -c 50), each client
 * sending `key:{tag}:__rand_int__` with a tag hashing to its master's
 * slots: one key per master, no redirections. The threads share the request
 * budget, so a faster master serves more of it, on both clusters alike.
 * Each round runs every test on the two clusters back to back, the first
 * one alternating, so neither always runs after the other's warm-up or GC
 * debt. The ratio is the median of the per-round ratios: this host's speed
 * drifts by tens of percent over minutes, and a pair of runs 20 s apart
 * shares the drift where two medians taken over the whole bench need not.
 *
 * What the ratio measures. Three servers and three load threads share the
 * machine's two cores, so throughput is bounded by CPU per request (server
 * plus client), unlike the single-node rows where one client thread is the
 * limit. The table therefore also gives the servers' CPU time per request
 * (user + system of the three node processes, from /proc), which noise
 * from other processes barely moves.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { freeClusterPort, startRedisCluster } from '../test/client/helpers/redis-cluster.js';
import { ROOT } from '../test/helpers/servers.js';
import { cpuMs } from './processes.js';
import { median } from './stats.js';

const QUICK = process.argv.includes('--quick');
const roundsArg = process.argv.indexOf('--rounds');
const ROUNDS = roundsArg > 0 ? Number(process.argv[roundsArg + 1]) : QUICK ? 1 : 5;
if (!Number.isInteger(ROUNDS) || ROUNDS < 1) throw new Error('--rounds takes a positive integer');


/**
 * Requests per run. redis-benchmark --cluster runs one thread per master and
 * stops its clock on the main thread's 250 ms tick after the last reply (its
 * throughput figure is always n / (k * 0.25 s + a few ms)): at 100,000
 * requests, about 2 s, each figure could be up to 12% low, and a ratio of
 * two of them off by as much either way. At 1,000,000 (about 20 s) the error
 * is under 1.5%.
 */
const REQUESTS = QUICK ? 20000 : 1_000_000;
const TESTS = ['SET', 'GET'];

/** Pid of the process listening on `port` (Linux `ss`), or undefined. */
function pidOfPort(port: number): number | undefined {
  const r = spawnSync('ss', ['-Hltnp', `sport = :${port}`], { encoding: 'utf8' });
  const m = /pid=(\d+)/.exec(r.stdout ?? '');
  return m ? Number(m[1]) : undefined;
}

/** User + system CPU seconds of `pids` so far (0 for a pid that cannot be read). */
function cpuSeconds(pids: readonly number[]): number {
  let ms = 0;
  for (const pid of pids) {
    try {
      ms += cpuMs(pid);
    } catch {
      // Not Linux, or the process is gone: no CPU figure.
    }
  }
  return ms / 1000;
}

/** One redis-benchmark --cluster run of test `t`: requests/s and server CPU microseconds per request. */
function bench(port: number, pids: readonly number[], t: string): { rps: number; cpuUs: number } {
  const before = cpuSeconds(pids);
  const r = spawnSync('redis-benchmark', ['--cluster', '-h', '127.0.0.1', '-p', String(port), '-t', t.toLowerCase(), '-c', '50', '-n', String(REQUESTS), '--csv'], { encoding: 'utf8' });
  const cpu = cpuSeconds(pids) - before;
  for (const line of r.stdout.split('\n')) {
    const m = /^"([^"]+)","([\d.]+)"/.exec(line);
    if (m && m[1] === t) return { rps: Number(m[2]), cpuUs: (cpu * 1e6) / REQUESTS };
  }
  throw new Error(`redis-benchmark --cluster failed on ${port}: ${r.stdout}${r.stderr}`);
}

/** Starts a Shardis cluster with scripts/start.js on free ports; resolves with the ports and the time until every node reports cluster_state:ok. */
async function startShardisCluster(): Promise<{ ports: number[]; ms: number; stop: () => Promise<void> }> {
  const taken = new Set<number>();
  const ports = [await freeClusterPort(taken), await freeClusterPort(taken), await freeClusterPort(taken)];
  const dir = mkdtempSync(join(tmpdir(), 'shardis-bench-cluster-'));
  const config = join(dir, 'cluster.json');
  const third = Math.floor(16384 / 3);
  writeFileSync(
    config,
    JSON.stringify({
      host: '127.0.0.1',
      dataDir: join(dir, 'data'),
      options: { 'cluster-node-timeout': 2000 },
      nodes: ports.map((port, i) => ({
        port,
        role: 'primary',
        slots: i === 0 ? `0-${third - 1}` : i === 1 ? `${third}-${2 * third - 1}` : `${2 * third}-16383`,
      })),
    }),
  );
  const t0 = performance.now();
  const proc: ChildProcess = spawn(process.execPath, [join(ROOT, 'dist', 'scripts', 'start.js'), config], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Shardis cluster not ok within 60 s:\n${out}`)), 60_000);
    // Every node, not just the seed: a node that has not yet learnt the
    // whole slot map answers CLUSTERDOWN, and redis-benchmark spins on it.
    const check = (): void => {
      const ok = ports.every((p) => spawnSync('redis-cli', ['-p', String(p), 'CLUSTER', 'INFO'], { encoding: 'utf8' }).stdout.includes('cluster_state:ok'));
      if (ok) {
        clearTimeout(timer);
        resolve();
      } else setTimeout(check, 20);
    };
    proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`scripts/start.js exited with ${code}:\n${out}`));
    });
    check();
  });
  const ms = performance.now() - t0;
  return {
    ports,
    ms,
    stop: () =>
      new Promise<void>((resolve) => {
        proc.removeAllListeners('exit');
        proc.once('exit', () => {
          rmSync(dir, { recursive: true, force: true });
          resolve();
        });
        proc.kill('SIGINT');
      }),
  };
}

async function main(): Promise<void> {
  const redis = await startRedisCluster(3);
  let shardis: Awaited<ReturnType<typeof startShardisCluster>> | undefined;
  try {
    shardis = await startShardisCluster();
    const sh = shardis;
    const side = (ports: readonly number[]) => ({
      port: ports[0]!,
      pids: ports.map(pidOfPort).filter((p) => p !== undefined),
      rps: {} as Record<string, number[]>,
      cpu: {} as Record<string, number[]>,
    });
    const s = side(sh.ports);
    const r = side(redis.ports);
    const ratios: Record<string, number[]> = {};
    for (let round = 0; round < ROUNDS; round++) {
      for (let ti = 0; ti < TESTS.length; ti++) {
        const t = TESTS[ti]!;
        const order = (round + ti) % 2 === 0 ? [s, r] : [r, s];
        for (const x of order) {
          const v = bench(x.port, x.pids, t);
          (x.rps[t] ??= []).push(v.rps);
          (x.cpu[t] ??= []).push(v.cpuUs);
        }
        (ratios[t] ??= []).push(s.rps[t]!.at(-1)! / r.rps[t]!.at(-1)!);
      }
    }
    const withCpu = s.pids.length === 3 && r.pids.length === 3;
    console.log(`\n### redis-benchmark --cluster -t set,get -c 50 -n ${REQUESTS}, 3 primaries each (${ROUNDS} rounds, each test run on both back to back)\n`);
    console.log(`| test | Shardis | Redis 7 | ratio (median of rounds) | ratio per round | target |${withCpu ? ' server CPU/request Shardis | Redis 7 |' : ''}`);
    console.log(`|---|---:|---:|---:|---|---|${withCpu ? '---:|---:|' : ''}`);
    for (const k of TESTS) {
      const a = median(s.rps[k] ?? [0]);
      const b = median(r.rps[k] ?? [0]);
      const ratio = median(ratios[k] ?? [0]);
      const perRound = (ratios[k] ?? []).map((x) => x.toFixed(2)).join(', ');
      const cpu = withCpu ? ` ${median(s.cpu[k]!).toFixed(1)} us | ${median(r.cpu[k]!).toFixed(1)} us |` : '';
      console.log(
        `| ${k} | ${Math.round(a).toLocaleString('en-US')} req/s | ${Math.round(b).toLocaleString('en-US')} req/s | ${ratio.toFixed(2)} | ${perRound} | >= 0.9x ${ratio >= 0.9 ? 'met' : 'MISSED'} |${cpu}`,
      );
    }
    console.log(`\nTime from launching scripts/start.js (3 fresh primaries) to cluster_state:ok on every node: ${Math.round(shardis.ms)} ms`);
  } finally {
    await Promise.all([redis.stop(), shardis?.stop()]);
  }
}

main().catch((err: Error) => {
  console.error(err.stack ?? err.message);
  process.exit(1);
});
