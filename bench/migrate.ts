/**
 * Slot migration benchmark rows (issue #6).
 *
 * 1. Throughput. KEYS keys (100-byte values) are loaded into the slots one
 *    primary of a fresh 3-primary cluster owns (0-5460, as `redis-cli
 *    --cluster create` splits them), spread evenly: keys `key:<i>` are kept
 *    while their slot (the router's keySlot) still has room, and loaded with
 *    one MSET per slot, pipelined on a raw connection to that primary. Then
 *    every slot moves to another primary with
 *      - `shardis migrate` (its default, --method migrate: MIGRATE ... KEYS,
 *        as redis-cli, several slots and batches in flight) on a real
 *        Redis 7 cluster,
 *      - `redis-cli --cluster reshard` (default pipeline, 10 keys per MIGRATE),
 *      - `redis-cli --cluster reshard --cluster-pipeline 100`,
 *      - `shardis migrate` on a Shardis cluster,
 *      - `shardis migrate --method transfer` (opt-in, no MIGRATE:
 *        WATCH+PTTL+DUMP on the source, RESTORE on the target, MULTI DEL
 *        EXEC on the source) on the Redis cluster and on the Shardis cluster.
 *    keys/s = KEYS / wall time of the tool's process (start to exit, so
 *    both tools pay for their own planning). Beside it, the CPU time per
 *    key of the tool's process (user + system, from /usr/bin/time), of the
 *    source and of the target (/proc/<pid>/stat): on a small machine their
 *    sum bounds the rate, and it is steadier than wall time while other
 *    work shares the cores. Every variant gets a fresh
 *    cluster (cheaper than moving 5461 slots back, and no state carries
 *    over); the rounds alternate the variants. A last row gives the bound
 *    both tools share on Redis: MIGRATE alone, issued back to back between
 *    two standalone servers.
 * 2. Latency. While the tool runs, one ClusterClient (following MOVED and
 *    ASK) issues GETs on random loaded keys, one at a time and at most
 *    PROBE_RATE a second (a steady client, not a second load), and records
 *    each request's latency; a GET answered with nil or an error is counted
 *    (it would mean a key was unreachable mid-migration).
 * 3. Big key stall. A 1M-field hash moves with one MIGRATE between two
 *    Redis servers while a PING every 2 ms on source and target records the
 *    longest gap between PONGs, bench/bigkey.ts's method (Redis serializes,
 *    sends and waits for the RESTORE with its event loop stopped). The
 *    Shardis figure comes from bench/bigkey.ts `measureBigKeyStall`
 *    (chunked transfer) when it is built.
 *
 * Options: `--quick` (100k keys, 100k fields), `--rounds N` (default 1: a
 * 1M-key reshard by redis-cli takes about a minute), `--only-throughput`,
 * `--only-bigkey`, `--variant <part of a label>` (runs only matching
 * variants, prints no table), `--shardis-args '--batch 500'` (extra options
 * for `shardis migrate`, for tuning).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { ClusterClient } from '../src/client/index.js';
import { keySlot } from '../src/router/slot.js';
import { redisCli, startRedisCluster, startShardisCluster, type RunningCluster } from '../test/client/helpers/redis-cluster.js';
import { ROOT, startRedis } from '../test/helpers/servers.js';
import { encode, once, open } from './raw-resp.js';
import { cpuMs } from './processes.js';
import { median } from './stats.js';

const argv = process.argv.slice(2);
const QUICK = argv.includes('--quick');
const ROUNDS = argv.includes('--rounds') ? Number(argv[argv.indexOf('--rounds') + 1]) : 1;
const KEYS = QUICK ? 100_000 : 1_000_000;
const BIG_FIELDS = QUICK ? 100_000 : 1_000_000;
const VALUE = 'v'.repeat(100);
/** Extra `shardis migrate` options (tuning runs; the table uses the CLI's defaults). */
const SHARDIS_EXTRA = argv.includes('--shardis-args') ? argv[argv.indexOf('--shardis-args') + 1]!.split(/\s+/).filter(Boolean) : [];
/** Period of the big key row's PINGs (as bench/bigkey.ts). */
const PING_EVERY_MS = 2;
/** GETs per second (at most) of the latency probe. */
const PROBE_RATE = 1000;
const SHARDIS_CLI = join(ROOT, 'dist', 'scripts', 'shardis.js');
const HERE = dirname(fileURLToPath(import.meta.url));

/*-----------------------------------------------------------------------------
 * Raw RESP helpers
 *----------------------------------------------------------------------------*/



/**
 * Sends `commands` (RESP text) to `port` with up to `window` in flight and
 * resolves when every reply has arrived. Replies must be single-line
 * (+OK, :n); an error reply rejects.
 */
async function pipeline(port: number, commands: readonly string[], window = 32): Promise<void> {
  const sock = await open(port);
  let sent = 0;
  let acked = 0;
  let pending = '';
  try {
    await new Promise<void>((resolve, reject) => {
      const pump = (): void => {
        while (sent < commands.length && sent - acked < window) sock.write(commands[sent++]!, 'latin1');
      };
      sock.on('data', (d: Buffer) => {
        pending += d.toString('latin1');
        let nl: number;
        while ((nl = pending.indexOf('\r\n')) >= 0) {
          const line = pending.slice(0, nl);
          pending = pending.slice(nl + 2);
          if (line.startsWith('-')) return reject(new Error(`Cannot load on port ${port}: ${line}`));
          acked++;
        }
        if (acked === commands.length) resolve();
        else pump();
      });
      sock.once('error', reject);
      if (commands.length === 0) resolve();
      else pump();
    });
  } finally {
    sock.destroy();
  }
}

/*-----------------------------------------------------------------------------
 * Keys, clusters, tools
 *----------------------------------------------------------------------------*/

/**
 * `count` keys spread evenly over slots lo..hi, grouped by slot: `key:<i>`
 * for increasing i, kept while its slot holds fewer than its share.
 */
function keysInSlots(lo: number, hi: number, count: number): string[][] {
  const n = hi - lo + 1;
  const bySlot: string[][] = Array.from({ length: n }, () => []);
  const share = (s: number): number => Math.floor(count / n) + (s < count % n ? 1 : 0);
  let left = count;
  for (let i = 0; left > 0; i++) {
    const k = `key:${i}`;
    const s = keySlot(k) - lo;
    if (s < 0 || s >= n || bySlot[s]!.length >= share(s)) continue;
    bySlot[s]!.push(k);
    left--;
  }
  return bySlot;
}

interface Topology {
  source: { port: number; id: string };
  target: { port: number; id: string };
  lo: number;
  hi: number;
}

/** The primary owning slot 0 (the source, its one slot range) and another primary (the target). */
function topology(c: RunningCluster): Topology {
  const masters = redisCli(c.ports[0]!, 'CLUSTER', 'NODES')
    .split('\n')
    .map((l) => l.trim().split(' '))
    .filter((f) => f[2]!.includes('master'))
    .map((f) => ({ id: f[0]!, port: Number(f[1]!.split('@')[0]!.split(':').pop()), ranges: f.slice(8) }));
  const src = masters.find((m) => m.ranges.some((r) => r.startsWith('0-')));
  if (!src || src.ranges.length !== 1) throw new Error(`Cannot find a primary owning one range from slot 0: ${JSON.stringify(masters)}`);
  const [lo, hi] = src.ranges[0]!.split('-').map(Number) as [number, number];
  const tgt = masters.find((m) => m.id !== src.id)!;
  return { source: { port: src.port, id: src.id }, target: { port: tgt.port, id: tgt.id }, lo, hi };
}

const TIME = '/usr/bin/time';
const TIME_MARK = 'tool-cpu-seconds:';

/**
 * Runs a tool to completion; resolves with its wall time, its CPU time in
 * ms (user + system, through /usr/bin/time; NaN without it) and (the tail
 * of) its output.
 */
function runTool(cmd: string, args: string[]): Promise<{ ms: number; cpuMs: number; code: number | null; out: string }> {
  const timed = existsSync(TIME);
  return new Promise((resolve) => {
    const t0 = performance.now();
    const p = timed ? spawn(TIME, ['-f', `${TIME_MARK} %U %S`, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'] }) : spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const keep = (d: Buffer): void => {
      out = (out + d.toString('latin1')).slice(-8000);
    };
    p.stdout.on('data', keep);
    p.stderr.on('data', keep);
    p.once('close', (code) => {
      const m = new RegExp(`${TIME_MARK} ([\\d.]+) ([\\d.]+)`).exec(out);
      resolve({ ms: performance.now() - t0, cpuMs: m ? (Number(m[1]) + Number(m[2])) * 1000 : NaN, code, out });
    });
  });
}

/** CPU time (user + system) of process `pid` so far, in ms, from /proc/<pid>/stat (NaN if unreadable). */
function cpuMsOf(pid: number): number {
  try {
    return cpuMs(pid);
  } catch {
    return NaN;
  }
}

/** The process id of the node on `port` (INFO server). */
function pidOf(port: number): number {
  const m = /process_id:(\d+)/.exec(redisCli(port, 'INFO', 'server'));
  return m ? Number(m[1]) : NaN;
}

interface Latency {
  p50: number;
  p999: number;
  max: number;
  count: number;
  /** GETs answered with nil or an error. */
  misses: number;
}

function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** One ClusterClient GETting random `keys`, one request at a time (at most PROBE_RATE/s), until stopped. */
async function startProbe(seeds: readonly string[], keys: readonly string[]): Promise<{ stop(): Promise<Latency> }> {
  const client = new ClusterClient({ seeds });
  await client.connect();
  const lat: number[] = [];
  let misses = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const k = keys[Math.floor(Math.random() * keys.length)]!;
      const t0 = performance.now();
      try {
        if ((await client.call('GET', k)) === null) misses++;
      } catch {
        misses++;
      }
      const took = performance.now() - t0;
      lat.push(took);
      // About PROBE_RATE GETs/s: a steady client, not a second load generator
      // competing with the migration for the two cores.
      if (took < 1000 / PROBE_RATE) await new Promise((r) => setTimeout(r, 1000 / PROBE_RATE - took));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      await client.close();
      const s = lat.sort((a, b) => a - b);
      return { p50: percentile(s, 0.5), p999: percentile(s, 0.999), max: s[s.length - 1] ?? NaN, count: s.length, misses };
    },
  };
}

type Tool = 'shardis migrate' | 'shardis migrate --method transfer' | 'redis-cli reshard' | 'redis-cli reshard --cluster-pipeline 100';

interface Run {
  keysPerSec: number;
  ms: number;
  /** CPU microseconds per key of the tool's process, the source and the target (NaN where unknown). */
  cpu: { tool: number; source: number; target: number };
  lat: Latency;
  /** The tool failed only on the source's last SETSLOT NODE (it had already become a replica). */
  replicaRace: boolean;
}

const keyCache = new Map<string, string[][]>();

/** A fresh cluster, KEYS keys in the source's slots, every slot moved by `tool` while a client reads. */
async function migrateRun(kind: 'redis' | 'shardis', tool: Tool): Promise<Run> {
  const cluster = kind === 'redis' ? await startRedisCluster(3) : await startShardisCluster(3);
  try {
    const t = topology(cluster);
    const cacheKey = `${t.lo}-${t.hi}`;
    let bySlot = keyCache.get(cacheKey);
    if (!bySlot) keyCache.set(cacheKey, (bySlot = keysInSlots(t.lo, t.hi, KEYS)));
    await pipeline(t.source.port, bySlot.filter((ks) => ks.length > 0).map((ks) => encode(['MSET', ...ks.flatMap((k) => [k, VALUE])])));
    const loaded = Number(redisCli(t.source.port, 'DBSIZE'));
    if (loaded !== KEYS) throw new Error(`Loaded ${loaded} keys on ${t.source.port}, expected ${KEYS}`);

    const flat = bySlot.flat();
    const probe = await startProbe(cluster.seeds, flat);
    const [srcPid, tgtPid] = [pidOf(t.source.port), pidOf(t.target.port)];
    const [src0, tgt0] = [cpuMsOf(srcPid), cpuMsOf(tgtPid)];
    const run =
      tool.startsWith('shardis migrate')
        ? await runTool(process.execPath, [SHARDIS_CLI, 'migrate', `127.0.0.1:${t.source.port}`, '--from', `127.0.0.1:${t.source.port}`, '--to', `127.0.0.1:${t.target.port}`, '--slots', `${t.lo}-${t.hi}`, '--yes', '--json', ...(tool === 'shardis migrate' ? [] : ['--method', 'transfer']), ...SHARDIS_EXTRA])
        : await runTool('redis-cli', [
            '--cluster', 'reshard', `127.0.0.1:${t.source.port}`,
            '--cluster-from', t.source.id, '--cluster-to', t.target.id, '--cluster-slots', String(t.hi - t.lo + 1), '--cluster-yes',
            ...(tool === 'redis-cli reshard' ? [] : ['--cluster-pipeline', '100']),
          ]);
    const [src1, tgt1] = [cpuMsOf(srcPid), cpuMsOf(tgtPid)];
    const lat = await probe.stop();
    // Redis 7 turns a primary that lost its last slot into a replica of the
    // new owner, as soon as the target's SETSLOT NODE reaches it by the bus;
    // the tool's own SETSLOT NODE on the source then fails (redis-cli ignores
    // that error since Redis issue #9223). Tolerated here, and flagged in
    // the output, once every key has arrived.
    const replicaRace = run.code !== 0 && /Please use SETSLOT only with masters/.test(run.out);
    if (run.code !== 0 && !replicaRace) throw new Error(`${tool} on the ${kind} cluster exited with ${run.code}:\n${run.out}`);
    // The source may now be a replica syncing the target's keys: count its keys only if it is still a primary.
    const sourceIsPrimary = redisCli(t.source.port, 'ROLE').startsWith('master');
    const left = sourceIsPrimary ? Number(redisCli(t.source.port, 'DBSIZE')) : 0;
    const arrived = Number(redisCli(t.target.port, 'DBSIZE'));
    if (left !== 0 || arrived !== KEYS) throw new Error(`${tool} on the ${kind} cluster left ${left} keys on the source and ${arrived} on the target (expected 0 and ${KEYS})`);
    const perKey = (ms: number): number => (ms * 1000) / KEYS;
    return { keysPerSec: KEYS / (run.ms / 1000), ms: run.ms, cpu: { tool: perKey(run.cpuMs), source: perKey(src1 - src0), target: perKey(tgt1 - tgt0) }, lat, replicaRace };
  } finally {
    await cluster.stop();
  }
}

/**
 * What Redis's own MIGRATE sustains here, without any tool: `n` keys moved
 * between two standalone servers by MIGRATE ... KEYS, 100 keys each, sent
 * back to back by one client. Both tools on the Redis cluster drive this
 * same blocking command, so it bounds them.
 */
async function redisMigrateCeiling(n: number): Promise<number> {
  const [src, dst] = await Promise.all([startRedis(), startRedis()]);
  try {
    const keys = Array.from({ length: n }, (_, i) => `key:${i}`);
    const load: string[] = [];
    const moves: string[] = [];
    for (let i = 0; i < n; i += 100) {
      const batch = keys.slice(i, i + 100);
      load.push(encode(['MSET', ...batch.flatMap((k) => [k, VALUE])]));
      moves.push(encode(['MIGRATE', '127.0.0.1', String(dst.port), '', '0', '60000', 'KEYS', ...batch]));
    }
    await pipeline(src.port, load);
    const t0 = performance.now();
    await pipeline(src.port, moves, 1);
    const ms = performance.now() - t0;
    const arrived = await once(dst.port, ['DBSIZE']);
    if (arrived !== `:${n}`) throw new Error(`MIGRATE ceiling run: the target holds ${arrived.slice(1)} keys, expected ${n}`);
    return n / (ms / 1000);
  } finally {
    await Promise.all([src.stop(), dst.stop()]);
  }
}

/*-----------------------------------------------------------------------------
 * Big key stall
 *----------------------------------------------------------------------------*/

interface Stall {
  maxStallMs: number;
  p999Ms: number;
  migrateMs: number;
}

/**
 * A PING to `port` every PING_EVERY_MS (never two outstanding) until
 * `stop()`: the longest gap between two PONGs and the round trips. The
 * same method as bench/bigkey.ts, so the Redis and Shardis rows compare.
 */
async function pingLoop(port: number): Promise<{ stop(): Promise<{ maxGap: number; rtts: number[] }> }> {
  const sock = await open(port);
  const rtts: number[] = [];
  let maxGap = 0;
  let last = performance.now();
  let sentAt = 0;
  let running = true;
  let finished: () => void = () => {};
  const done = new Promise<void>((r) => (finished = r));
  let buf = '';
  const ping = (): void => {
    sentAt = performance.now();
    sock.write('*1\r\n$4\r\nPING\r\n');
  };
  sock.on('data', (d: Buffer) => {
    buf += d.toString('latin1');
    for (; buf.startsWith('+PONG\r\n'); buf = buf.slice(7)) {
      const now = performance.now();
      rtts.push(now - sentAt);
      maxGap = Math.max(maxGap, now - last);
      last = now;
      if (!running) return finished();
      setTimeout(ping, Math.max(0, PING_EVERY_MS - (now - sentAt)));
    }
  });
  ping();
  return {
    async stop() {
      running = false;
      await done;
      sock.destroy();
      return { maxGap, rtts };
    },
  };
}


/**
 * Redis side of the big key row: a `fields`-field hash (`f:<i>` -> 16
 * bytes) moved with one MIGRATE between two standalone servers (the same
 * code path as in a cluster: Redis's MIGRATE is blocking either way).
 */
async function redisBigKeyStall(fields: number): Promise<Stall> {
  const [src, dst] = await Promise.all([startRedis(), startRedis()]);
  try {
    const batches: string[] = [];
    for (let i = 0; i < fields; i += 1000) {
      const args = ['HSET', 'big'];
      for (let j = i; j < Math.min(fields, i + 1000); j++) args.push(`f:${j}`, String(j).padStart(16, '0'));
      batches.push(encode(args));
    }
    await pipeline(src.port, batches, 8);
    const hlen = await once(src.port, ['HLEN', 'big']);
    if (hlen !== `:${fields}`) throw new Error(`Cannot load the big hash: HLEN replied ${hlen}`);
    const pings = await Promise.all([pingLoop(src.port), pingLoop(dst.port)]);
    await new Promise((r) => setTimeout(r, 200));
    const t0 = performance.now();
    const reply = await once(src.port, ['MIGRATE', '127.0.0.1', String(dst.port), 'big', '0', '60000']);
    const migrateMs = performance.now() - t0;
    await new Promise((r) => setTimeout(r, 200));
    const [ps, pt] = await Promise.all(pings.map((p) => p.stop()));
    if (reply !== '+OK') throw new Error(`Redis MIGRATE of the big hash replied ${reply}`);
    const moved = await once(dst.port, ['HLEN', 'big']);
    if (moved !== `:${fields}`) throw new Error(`The big hash arrived with HLEN ${moved}`);
    const rtts = [...ps!.rtts, ...pt!.rtts].sort((a, b) => a - b);
    return { maxStallMs: Math.max(ps!.maxGap, pt!.maxGap), p999Ms: percentile(rtts, 0.999), migrateMs };
  } finally {
    await Promise.all([src.stop(), dst.stop()]);
  }
}

/**
 * Shardis side of the big key row: bench/bigkey.ts `measureBigKeyStall`
 * (another engineer's chunked big-key transfer), called only if it is built.
 */
async function shardisBigKeyStall(fields: number): Promise<Stall | undefined> {
  const file = join(HERE, 'bigkey.js');
  if (!existsSync(file)) return undefined;
  const mod = (await import(pathToFileURL(file).href)) as { measureBigKeyStall?: (opts: { fields: number; type: 'hash' }) => Promise<Stall> };
  if (typeof mod.measureBigKeyStall !== 'function') return undefined;
  return mod.measureBigKeyStall({ fields, type: 'hash' });
}

/*-----------------------------------------------------------------------------
 * Report
 *----------------------------------------------------------------------------*/

function fmt(n: number): string {
  if (!Number.isFinite(n)) return 'n/a';
  return n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(n >= 10 ? 1 : 2);
}

const RACE_NOTE = ' (exited 1: SETSLOT NODE on the source after it had become a replica; every key had moved)';

const TOOLS: readonly { kind: 'redis' | 'shardis'; tool: Tool; label: string }[] = [
  { kind: 'redis', tool: 'shardis migrate', label: 'shardis migrate, Redis cluster' },
  { kind: 'redis', tool: 'redis-cli reshard', label: 'redis-cli reshard (pipeline 10), Redis cluster' },
  { kind: 'redis', tool: 'redis-cli reshard --cluster-pipeline 100', label: 'redis-cli reshard --cluster-pipeline 100, Redis cluster' },
  { kind: 'shardis', tool: 'shardis migrate', label: 'shardis migrate, Shardis cluster' },
  { kind: 'redis', tool: 'shardis migrate --method transfer', label: 'shardis migrate --method transfer, Redis cluster' },
  { kind: 'shardis', tool: 'shardis migrate --method transfer', label: 'shardis migrate --method transfer, Shardis cluster' },
];

/** One run's line: rate, time, CPU per key, GET latencies. */
function runLine(r: Run): string {
  const c = r.cpu;
  return `${fmt(r.keysPerSec)} keys/s (${(r.ms / 1000).toFixed(1)} s), CPU us/key tool ${fmt(c.tool)} source ${fmt(c.source)} target ${fmt(c.target)} sum ${fmt(c.tool + c.source + c.target)}, GET p50 ${fmt(r.lat.p50)} ms p99.9 ${fmt(r.lat.p999)} ms max ${fmt(r.lat.max)} ms over ${r.lat.count} GETs, ${r.lat.misses} missed${r.replicaRace ? RACE_NOTE : ''}`;
}

async function throughput(): Promise<void> {
  const only = argv.includes('--variant') ? argv[argv.indexOf('--variant') + 1]! : undefined;
  if (only !== undefined) {
    // Iteration aid: one variant, no table.
    for (const t of TOOLS.filter((x) => x.label.includes(only))) {
      const r = await migrateRun(t.kind, t.tool);
      console.log(`${t.label}: ${runLine(r)}`);
    }
    return;
  }
  const runs = new Map<string, Run[]>(TOOLS.map((t) => [t.label, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const t of TOOLS) {
      const r = await migrateRun(t.kind, t.tool);
      console.log(`  round ${round + 1}: ${t.label}: ${runLine(r)}`);
      runs.get(t.label)!.push(r);
    }
  }
  const ceilingKeys = Math.min(KEYS, 200_000);
  const ceiling = await redisMigrateCeiling(ceilingKeys);
  const med = (label: string, f: (r: Run) => number): number => median(runs.get(label)!.map(f));
  const [ours, cli10, cli100, onShardis, viaTransfer, viaTransferOnShardis] = TOOLS.map((t) => t.label) as [string, string, string, string, string, string];
  const best = Math.max(med(cli10, (r) => r.keysPerSec), med(cli100, (r) => r.keysPerSec));
  const note = ROUNDS === 1 ? '1 round (a 1M-key reshard by redis-cli takes a minute or more)' : `median of ${ROUNDS} rounds`;
  const k = KEYS >= 1_000_000 ? `${KEYS / 1_000_000}M` : `${KEYS / 1000}k`;

  console.log(`\n### Slot migration: ${k} keys (100-byte values) in 5,461 slots moved between two primaries of a 3-primary cluster (${note})\n`);
  console.log('| test | Shardis | Redis 7 | ratio | target |');
  console.log('|---|---:|---:|---:|---|');
  const row = (name: string, s: number, r: number, unit: string, min?: number): void => {
    const ratio = s / r;
    console.log(`| ${name} | ${fmt(s)} ${unit} | ${fmt(r)} ${unit} | ${ratio.toFixed(2)} | ${min !== undefined ? `>= ${min}x ${ratio >= min ? 'met' : 'MISSED'}` : ''} |`);
  };
  const ourRate = med(ours, (r) => r.keysPerSec);
  row('shardis migrate vs redis-cli reshard, Redis cluster', ourRate, med(cli10, (r) => r.keysPerSec), 'keys/s');
  row('shardis migrate vs redis-cli reshard --cluster-pipeline 100, Redis cluster', ourRate, med(cli100, (r) => r.keysPerSec), 'keys/s');
  row('shardis migrate vs best redis-cli reshard, Redis cluster', ourRate, best, 'keys/s', 3);
  row('shardis migrate on Shardis vs best redis-cli reshard on Redis', med(onShardis, (r) => r.keysPerSec), best, 'keys/s');
  row('GET p99.9 during shardis migrate vs during redis-cli reshard --cluster-pipeline 100, Redis cluster', med(ours, (r) => r.lat.p999), med(cli100, (r) => r.lat.p999), 'ms');
  const cpuSum = (r: Run): number => r.cpu.tool + r.cpu.source + r.cpu.target;
  row('CPU per key (tool + source + target): shardis migrate vs redis-cli reshard --cluster-pipeline 100, Redis cluster', med(ours, cpuSum), med(cli100, cpuSum), 'us');
  row('shardis migrate --method transfer vs best redis-cli reshard, Redis cluster', med(viaTransfer, (r) => r.keysPerSec), best, 'keys/s', 3);
  row('shardis migrate --method transfer on Shardis vs best redis-cli reshard on Redis', med(viaTransferOnShardis, (r) => r.keysPerSec), best, 'keys/s');
  row('CPU per key (tool + source + target): shardis migrate --method transfer vs redis-cli reshard --cluster-pipeline 100, Redis cluster', med(viaTransfer, cpuSum), med(cli100, cpuSum), 'us');

  console.log(`\nGETs on random moving keys during the migration (one ClusterClient, one request at a time, following MOVED/ASK; ${note})\n`);
  console.log('| tool, cluster | keys/s | time | CPU us/key: tool | source | target | GET p50 | GET p99.9 | GET max | GETs | nil or error |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const t of TOOLS) {
    const m = (f: (r: Run) => number): number => med(t.label, f);
    console.log(`| ${t.label} | ${fmt(m((r) => r.keysPerSec))} | ${(m((r) => r.ms) / 1000).toFixed(1)} s | ${fmt(m((r) => r.cpu.tool))} | ${fmt(m((r) => r.cpu.source))} | ${fmt(m((r) => r.cpu.target))} | ${fmt(m((r) => r.lat.p50))} ms | ${fmt(m((r) => r.lat.p999))} ms | ${fmt(m((r) => r.lat.max))} ms | ${fmt(m((r) => r.lat.count))} | ${m((r) => r.lat.misses)} |`);
  }
  console.log(`| (bound) Redis MIGRATE alone: ${ceilingKeys / 1000}k keys, 100 per MIGRATE, back to back, standalone servers | ${fmt(ceiling)} | | | | | | | | | |`);
  const raced = TOOLS.filter((t) => runs.get(t.label)!.some((r) => r.replicaRace)).map((t) => t.label);
  if (raced.length) console.log(`\nExited 1 after moving every key (${raced.join('; ')}): the source, left without slots, had already become a replica of the target when the tool sent it SETSLOT NODE for the last slot (redis-cli ignores that reply since Redis issue #9223).`);
}

async function bigKey(): Promise<void> {
  const redis = await redisBigKeyStall(BIG_FIELDS);
  const shardis = await shardisBigKeyStall(BIG_FIELDS);
  const f = BIG_FIELDS >= 1_000_000 ? `${BIG_FIELDS / 1_000_000}M` : `${BIG_FIELDS / 1000}k`;
  console.log(`\n### Source stall while a ${f}-field hash moves with MIGRATE (a PING every 2 ms on source and target; 1 round)\n`);
  if (!shardis) {
    console.log('(Shardis side not measured: bench/bigkey.ts measureBigKeyStall is not built yet)\n');
    console.log('| measure | Redis 7 MIGRATE |');
    console.log('|---|---:|');
    console.log(`| longest PING gap | ${fmt(redis.maxStallMs)} ms |`);
    console.log(`| PING p99.9 | ${fmt(redis.p999Ms)} ms |`);
    console.log(`| MIGRATE time | ${fmt(redis.migrateMs)} ms |`);
    return;
  }
  console.log('| measure | Shardis (chunked) | Redis 7 MIGRATE | ratio |');
  console.log('|---|---:|---:|---:|');
  for (const [name, k] of [['longest PING gap', 'maxStallMs'], ['PING p99.9', 'p999Ms'], ['migrate time', 'migrateMs']] as const) {
    console.log(`| ${name} | ${fmt(shardis[k])} ms | ${fmt(redis[k])} ms | ${(shardis[k] / redis[k]).toFixed(3)} |`);
  }
}

async function main(): Promise<void> {
  if (!argv.includes('--only-bigkey')) await throughput();
  if (!argv.includes('--only-throughput')) await bigKey();
}

main().catch((err: Error) => {
  console.error(err.stack ?? err.message);
  process.exit(1);
});
