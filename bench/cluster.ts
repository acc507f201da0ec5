/**
 * Cluster benchmark rows (issue #4): `redis-benchmark --cluster -t set,get`
 * against a 3-primary Shardis cluster and a 3-primary Redis cluster, same
 * run, alternating, median of the rounds; and the time `npm start`'s cluster
 * formation takes to reach `cluster_state:ok` (measured here by forming a
 * 3-node Shardis cluster on free ports the way scripts/start.ts does).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { freeClusterPort, startRedisCluster } from '../test/client/helpers/redis-cluster.js';
import { ROOT } from '../test/helpers/servers.js';
import { median } from './stats.js';

const QUICK = process.argv.includes('--quick');
const ROUNDS = QUICK ? 1 : 3;


function bench(port: number): Map<string, number> {
  const n = QUICK ? 20000 : 100000;
  const r = spawnSync('redis-benchmark', ['--cluster', '-h', '127.0.0.1', '-p', String(port), '-t', 'set,get', '-c', '50', '-n', String(n), '--csv'], { encoding: 'utf8' });
  const out = new Map<string, number>();
  for (const line of r.stdout.split('\n')) {
    const m = /^"([^"]+)","([\d.]+)"/.exec(line);
    if (m) out.set(m[1]!, Number(m[2]));
  }
  if (out.size === 0) throw new Error(`redis-benchmark --cluster failed on ${port}: ${r.stdout}${r.stderr}`);
  return out;
}

/** Starts a Shardis cluster with scripts/start.js on free ports; resolves with the ports and the time to cluster_state:ok. */
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
    const check = (): void => {
      const info = spawnSync('redis-cli', ['-p', String(ports[0]), 'CLUSTER', 'INFO'], { encoding: 'utf8' }).stdout;
      if (info.includes('cluster_state:ok')) {
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
    const s: Record<string, number[]> = {};
    const r: Record<string, number[]> = {};
    for (let round = 0; round < ROUNDS; round++) {
      for (const [k, v] of bench(shardis.ports[0]!)) (s[k] ??= []).push(v);
      for (const [k, v] of bench(redis.ports[0]!)) (r[k] ??= []).push(v);
    }
    console.log(`\n### redis-benchmark --cluster -t set,get -c 50, 3 primaries each (median of ${ROUNDS})\n`);
    console.log('| test | Shardis | Redis 7 | ratio | target |');
    console.log('|---|---:|---:|---:|---|');
    for (const k of Object.keys(r)) {
      const a = median(s[k] ?? [0]);
      const b = median(r[k]!);
      console.log(`| ${k} | ${Math.round(a).toLocaleString('en-US')} req/s | ${Math.round(b).toLocaleString('en-US')} req/s | ${(a / b).toFixed(2)} | >= 0.9x ${a / b >= 0.9 ? 'met' : 'MISSED'} |`);
    }
    console.log(`\nTime from launching scripts/start.js (3 fresh primaries) to cluster_state:ok: ${Math.round(shardis.ms)} ms`);
  } finally {
    await Promise.all([redis.stop(), shardis?.stop()]);
  }
}

main().catch((err: Error) => {
  console.error(err.stack ?? err.message);
  process.exit(1);
});
