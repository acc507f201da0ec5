/**
 * `npm run bench`: Shardis against real Redis 7 on the same machine in the
 * same run, printed as ratios.
 *
 * Method. Both servers are started on loopback on free ports. Each
 * redis-benchmark test runs alternately against Shardis and Redis for
 * `ROUNDS` rounds, and the median requests/s of each is reported with the
 * ratio Shardis/Redis. The machine is small and noisy (2 cores, shared by
 * the load generator and the server), so only medians and ratios mean much.
 * Further sections (memory, collections, cluster, client) are separate
 * scripts under bench/ run in turn; each prints its own table.
 *
 * Options: `--quick` (fewer requests, one round), `--only <section>[,<section>...]`.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startRedis, startShardis, type RunningServer } from '../test/helpers/servers.js';
import { median } from './stats.js';

const args = process.argv.slice(2);
const QUICK = args.includes('--quick');
/** `--only a,b`: run just these sections. */
const ONLY = args.includes('--only') ? new Set(args[args.indexOf('--only') + 1]!.split(',')) : undefined;
const ROUNDS = QUICK ? 1 : 3;
const HERE = dirname(fileURLToPath(import.meta.url));

export interface Row {
  name: string;
  shardis: number;
  redis: number;
  unit: string;
  /** Minimum acceptable ratio (higher is better) or maximum (for memory). */
  target?: { min?: number; max?: number };
}


/** Prints rows as a Markdown table (the README quotes it). */
export function printTable(title: string, rows: Row[]): void {
  console.log(`\n### ${title}\n`);
  console.log('| test | Shardis | Redis 7 | ratio | target |');
  console.log('|---|---:|---:|---:|---|');
  for (const r of rows) {
    const ratio = r.shardis / r.redis;
    const t = r.target;
    const target = t?.min !== undefined ? `>= ${t.min}x ${ratio >= t.min ? 'met' : 'MISSED'}` : t?.max !== undefined ? `<= ${t.max}x ${ratio <= t.max ? 'met' : 'MISSED'}` : '';
    console.log(`| ${r.name} | ${fmt(r.shardis)} ${r.unit} | ${fmt(r.redis)} ${r.unit} | ${ratio.toFixed(2)} | ${target} |`);
  }
}

function fmt(n: number): string {
  return n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(1);
}

/** Runs redis-benchmark and returns requests/s per test name (lower-case, as in its CSV). */
function redisBenchmark(port: number, extra: string[]): Map<string, number> {
  const r = spawnSync('redis-benchmark', ['-h', '127.0.0.1', '-p', String(port), '--csv', ...extra], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`Cannot run redis-benchmark: ${r.stderr || r.stdout}`);
  if (/WARNING/.test(r.stderr)) console.log(`  redis-benchmark warned on port ${port}: ${r.stderr.trim()}`);
  const out = new Map<string, number>();
  for (const line of r.stdout.split('\n')) {
    const m = /^"([^"]+)","([\d.]+)"/.exec(line);
    if (m) out.set(m[1]!.toLowerCase().split(' ')[0]!, Number(m[2]));
  }
  return out;
}

interface ThroughputCase {
  name: string;
  tests: string;
  extra: string[];
  target: number;
}

async function throughput(): Promise<void> {
  const n = QUICK ? 20000 : 100000;
  const cases: ThroughputCase[] = [
    { name: '', tests: 'set,get,incr,mset', extra: ['-c', '50', '-n', String(n)], target: 0.9 },
    { name: ' -P 16', tests: 'set,get,incr,mset', extra: ['-c', '50', '-n', String(n * 5), '-P', '16'], target: 0.6 },
    { name: '', tests: 'lpush,lpop,lrange_100,sadd,hset,zadd', extra: ['-c', '50', '-n', String(n)], target: 0.8 },
  ];
  const shardis = await startShardis();
  const redis = await startRedis();
  try {
    for (const c of cases) {
      const samples = new Map<string, { s: number[]; r: number[] }>();
      for (let round = 0; round < ROUNDS; round++) {
        for (const [who, srv] of [['s', shardis], ['r', redis]] as const) {
          const res = redisBenchmark((srv as RunningServer).port, ['-t', c.tests, ...c.extra]);
          for (const [t, rps] of res) {
            const e = samples.get(t) ?? { s: [], r: [] };
            e[who].push(rps);
            samples.set(t, e);
          }
        }
      }
      const rows: Row[] = [];
      for (const [t, e] of samples) {
        rows.push({ name: `${t.toUpperCase()}${c.name}`, shardis: median(e.s), redis: median(e.r), unit: 'req/s', target: { min: t === 'mset' || t === 'incr' ? 0 : c.target } });
      }
      for (const r of rows) if (r.target?.min === 0) delete r.target;
      printTable(`redis-benchmark -t ${c.tests} ${c.extra.join(' ')} (median of ${ROUNDS})`, rows);
    }
  } finally {
    await Promise.all([shardis.stop(), redis.stop()]);
  }
}

/** Runs another bench script (dist/bench/<name>.js) if it exists, passing its output through. */
function runScript(name: string): Promise<void> {
  const file = join(HERE, `${name}.js`);
  if (!existsSync(file)) {
    console.log(`\n(bench/${name}: not built)`);
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [file, ...(QUICK ? ['--quick'] : [])], { stdio: 'inherit' });
    p.on('exit', (code) => {
      if (code !== 0) console.log(`bench/${name} exited with code ${code}`);
      resolve();
    });
  });
}

const SECTIONS: Record<string, () => Promise<void>> = {
  throughput,
  memory: () => runScript('memory'),
  'small-hashes': () => runScript('small-hashes'),
  zset: () => runScript('zset'),
  cluster: () => runScript('cluster'),
  'io-floor': () => runScript('io-floor'),
  client: () => runScript('client'),
  migrate: () => runScript('migrate'),
};

async function main(): Promise<void> {
  console.log(`# Shardis vs Redis ${spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).stdout.match(/v=(\S+)/)?.[1] ?? '?'}, node ${process.version}, ${new Date().toISOString()}`);
  for (const [name, run] of Object.entries(SECTIONS)) {
    if (ONLY && !ONLY.has(name)) continue;
    await run();
  }
}

main().catch((err: Error) => {
  console.error(err.stack ?? err.message);
  process.exit(1);
});
