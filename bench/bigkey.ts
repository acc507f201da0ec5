/**
 * Big key stall benchmark (issue #6, "Big keys").
 *
 * One collection of `fields` elements (default 1M: a hash `f:<i>` -> 16
 * bytes, a sorted set, a list or a set of `m:<i>`) is loaded on one
 * standalone Shardis node and moved to another with one MIGRATE, while a
 * probe client on each node sends a PING every `pingEveryMs` ms and records
 * every reply. Reported:
 *   - maxStallMs: the longest time between two consecutive PONGs on either
 *     node (a node that stops serving for 2 s shows a 2 s gap),
 *   - p999Ms: the 99.9th percentile of PING round trips (both nodes),
 *   - migrateMs: MIGRATE's own duration,
 * and per node (sourceMaxStallMs, targetMaxStallMs); idleMaxStallMs is the
 * longest gap over as long a period right after, with nothing to do (on a
 * shared machine, scheduling noise alone makes gaps of tens of ms), and
 * cpuMaxStallMs the most CPU time a node's event-loop thread used between
 * two of its PONGs (from /proc/<pid>/task/<pid>/stat, 10 ms resolution),
 * which that noise does not inflate: a node busy for 1 s of CPU before
 * answering shows 1000. loadCpuMaxStallMs is that measure on the source
 * while the key was loaded by ordinary writes: V8's garbage collection of
 * a heap this big alone costs main-thread pauses of that order.
 *
 * `chunked: false` starts the nodes with SHARDIS_MIGRATE_CHUNK_MIN=off, so
 * MIGRATE uses the one-shot DUMP/RESTORE path (the behaviour before the
 * chunked transfer): the "before" figure.
 *
 * CLI: `node dist/bench/bigkey.js [--fields N] [--type hash|zset|list|set|all]
 * [--rounds N] [--only-chunked]` prints a table of before/after per type
 * (medians over the rounds, which alternate the variants). The CPU columns
 * are per node (source / target); "CPU used" is each whole process's CPU
 * time during the MIGRATE (its cost, which other load barely inflates).
 *
 * Last measured (2026-11-26, `--type <t> --rounds 3 --only-chunked`, 1M
 * elements, busy 2-core machine), most CPU between two PONGs, source /
 * target, before -> after the target stopped rehashing or copying whole
 * collections (DenseMap index segments, pre-sizing from the first chunk):
 * hash 20/130 -> 30/70 ms, zset 30/150 -> 30/80 ms, list 20/60 -> 20/50 ms,
 * set 20/190 -> 20/70 ms; CPU used and MIGRATE time unchanged within noise
 * (hash 1.8/3.3 s, 6.7 -> 5.8 s). DenseMap's element tables are now
 * paged and need no pre-sized arrays: `--type all --rounds 1
 * --only-chunked` (2026-11-26 ~05:55) gave target 30 / 30 / 40 / 20 ms
 * (hash / zset / list / set), the rest being garbage collection and a
 * skiplist's or list's one pre-sized buffer.
 */
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { startShardis, type RunningServer } from '../test/helpers/servers.js';
import { cpuMs } from './processes.js';
import { encode, once, open } from './raw-resp.js';
import { median } from './stats.js';

export type BigKeyType = 'hash' | 'zset' | 'list' | 'set';

export interface BigKeyOptions {
  /** Elements in the collection. @default 1_000_000 (100_000 when `quick`) */
  fields?: number;
  /** Shorthand for 100k elements when `fields` is not given. @default false */
  quick?: boolean;
  /** @default 'hash' */
  type?: BigKeyType;
  /** Chunked MIGRATE (true) or the one-shot path (false). @default true */
  chunked?: boolean;
  /** Period of each probe's PINGs. @default 2 */
  pingEveryMs?: number;
}

export interface BigKeyStall {
  maxStallMs: number;
  p999Ms: number;
  migrateMs: number;
  sourceMaxStallMs: number;
  targetMaxStallMs: number;
  /** Longest PONG gap on either node over as long a period with no MIGRATE (the machine's noise floor). */
  idleMaxStallMs: number;
  /** Most CPU time either node's main thread used between two of its PONGs (10 ms resolution): the stall without the machine's noise. */
  cpuMaxStallMs: number;
  /** cpuMaxStallMs of the source alone. */
  sourceCpuMaxStallMs: number;
  /** cpuMaxStallMs of the target alone. */
  targetCpuMaxStallMs: number;
  /** CPU time the source / target process (all threads) used during the MIGRATE: its cost, which noise barely inflates. */
  sourceCpuMs: number;
  targetCpuMs: number;
  /** The same measure on the source while the key was being loaded (HSET/ZADD/RPUSH/SADD of 1000 elements each). */
  loadCpuMaxStallMs: number;
}



/** Counts complete top-level RESP replies of simple kinds (+, -, :, $) in `buf`; returns [count, rest]. */
function countReplies(buf: string): [number, string] {
  let n = 0;
  let p = 0;
  for (;;) {
    const nl = buf.indexOf('\r\n', p);
    if (nl < 0) break;
    if (buf[p] === '$') {
      const len = Number(buf.slice(p + 1, nl));
      const end = len < 0 ? nl + 2 : nl + 2 + len + 2;
      if (end > buf.length) break;
      p = end;
    } else p = nl + 2;
    n++;
  }
  return [n, buf.slice(p)];
}

/** Sends `cmds` with at most `window` unanswered; resolves when all are answered. */
async function pipeline(port: number, cmds: readonly string[], window = 8): Promise<void> {
  const s = await open(port);
  await new Promise<void>((resolve, reject) => {
    let sent = 0;
    let answered = 0;
    let buf = '';
    const fill = (): void => {
      while (sent < cmds.length && sent - answered < window) s.write(cmds[sent++]!, 'latin1');
    };
    s.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      if (buf.includes('-')) {
        const err = /(^|\r\n)-([^\r]*)/.exec(buf);
        if (err) reject(new Error(`Load failed: ${err[2]}`));
      }
      const [n, rest] = countReplies(buf);
      buf = rest;
      answered += n;
      if (answered === cmds.length) resolve();
      else fill();
    });
    s.once('error', reject);
    fill();
  });
  s.destroy();
}


/**
 * A PING every `every` ms (never two outstanding); the longest gap between
 * PONGs, the round trips, and the most CPU time the server process used
 * on its main thread within one gap (read from /proc at each PONG): a
 * stall measure that other processes competing for the cores do not inflate.
 */
async function probe(port: number, pid: number, every: number): Promise<{ stop(): Promise<{ maxGap: number; maxCpuGap: number; rtts: number[] }> }> {
  const s = await open(port);
  const rtts: number[] = [];
  let maxGap = 0;
  let maxCpuGap = 0;
  let lastCpu = cpuMs(pid, true);
  let last = performance.now();
  let sentAt = 0;
  let running = true;
  let timer: NodeJS.Timeout | undefined;
  let finished: () => void = () => {};
  const done = new Promise<void>((r) => (finished = r));
  let buf = '';
  const ping = (): void => {
    timer = undefined;
    sentAt = performance.now();
    s.write('*1\r\n$4\r\nPING\r\n');
  };
  s.on('data', (d: Buffer) => {
    buf += d.toString('latin1');
    while (buf.startsWith('+PONG\r\n')) {
      buf = buf.slice(7);
      const now = performance.now();
      rtts.push(now - sentAt);
      if (now - last > maxGap) maxGap = now - last;
      last = now;
      const cpu = cpuMs(pid, true);
      if (cpu - lastCpu > maxCpuGap) maxCpuGap = cpu - lastCpu;
      lastCpu = cpu;
      if (!running) {
        finished();
        return;
      }
      const wait = every - (now - sentAt);
      if (wait > 0) timer = setTimeout(ping, wait);
      else ping();
    }
  });
  ping();
  return {
    async stop() {
      running = false;
      if (timer !== undefined) {
        clearTimeout(timer);
        ping();
      }
      await done;
      s.destroy();
      return { maxGap, maxCpuGap, rtts };
    },
  };
}

function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** Loading commands for `n` elements of `type` under key `big`, 1000 elements per command. */
function loadCommands(type: BigKeyType, n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i += 1000) {
    const args = [type === 'hash' ? 'HSET' : type === 'zset' ? 'ZADD' : type === 'list' ? 'RPUSH' : 'SADD', 'big'];
    for (let j = i; j < Math.min(n, i + 1000); j++) {
      if (type === 'hash') args.push(`f:${j}`, String(j).padStart(16, '0'));
      else if (type === 'zset') args.push(String(j % 10007), `m:${j}`);
      else args.push(`m:${j}`);
    }
    out.push(encode(args));
  }
  return out;
}

const SIZE_CMD: Record<BigKeyType, string> = { hash: 'HLEN', zset: 'ZCARD', list: 'LLEN', set: 'SCARD' };

async function startPair(chunked: boolean): Promise<[RunningServer, RunningServer]> {
  const saved = process.env['SHARDIS_MIGRATE_CHUNK_MIN'];
  if (chunked) delete process.env['SHARDIS_MIGRATE_CHUNK_MIN'];
  else process.env['SHARDIS_MIGRATE_CHUNK_MIN'] = 'off';
  try {
    return await Promise.all([startShardis(), startShardis()]);
  } finally {
    if (saved === undefined) delete process.env['SHARDIS_MIGRATE_CHUNK_MIN'];
    else process.env['SHARDIS_MIGRATE_CHUNK_MIN'] = saved;
  }
}

/**
 * Moves one big collection between two fresh Shardis nodes with MIGRATE
 * while both are PINGed (see the module comment); checks that it arrived
 * whole and left the source.
 */
export async function measureBigKeyStall(opts: BigKeyOptions = {}): Promise<BigKeyStall> {
  const fields = opts.fields ?? (opts.quick ? 100_000 : 1_000_000);
  const type = opts.type ?? 'hash';
  const every = opts.pingEveryMs ?? 2;
  const [src, dst] = await startPair(opts.chunked ?? true);
  try {
    // The same probes while the key is loaded by ordinary writes: what any client workload on a key this big costs.
    const [ls, lt] = await Promise.all([probe(src.port, src.proc.pid!, every), probe(dst.port, dst.proc.pid!, every)]);
    await pipeline(src.port, loadCommands(type, fields));
    const [lsr] = await Promise.all([ls.stop(), lt.stop()]);
    const size = await once(src.port, [SIZE_CMD[type], 'big']);
    if (size !== `:${fields}`) throw new Error(`Cannot load the big ${type}: ${SIZE_CMD[type]} replied ${size}`);
    const [ps, pt] = await Promise.all([probe(src.port, src.proc.pid!, every), probe(dst.port, dst.proc.pid!, every)]);
    await new Promise((r) => setTimeout(r, 200));
    const cpu0 = [cpuMs(src.proc.pid!), cpuMs(dst.proc.pid!)];
    const t0 = performance.now();
    const reply = await once(src.port, ['MIGRATE', '127.0.0.1', String(dst.port), 'big', '0', '60000']);
    const migrateMs = performance.now() - t0;
    const sourceCpuMs = cpuMs(src.proc.pid!) - cpu0[0]!;
    const targetCpuMs = cpuMs(dst.proc.pid!) - cpu0[1]!;
    await new Promise((r) => setTimeout(r, 200));
    const [rs, rt] = await Promise.all([ps.stop(), pt.stop()]);
    // The noise floor: the same probes for as long, with nothing to do.
    const [bs, bt] = await Promise.all([probe(src.port, src.proc.pid!, every), probe(dst.port, dst.proc.pid!, every)]);
    await new Promise((r) => setTimeout(r, migrateMs + 400));
    const [qs, qt] = await Promise.all([bs.stop(), bt.stop()]);
    if (reply !== '+OK') throw new Error(`MIGRATE of the big ${type} replied ${reply}`);
    const moved = await once(dst.port, [SIZE_CMD[type], 'big']);
    if (moved !== `:${fields}`) throw new Error(`The big ${type} arrived with ${SIZE_CMD[type]} ${moved}`);
    const left = await once(src.port, ['EXISTS', 'big']);
    if (left !== ':0') throw new Error(`The big ${type} is still on the source after MIGRATE`);
    const rtts = [...rs.rtts, ...rt.rtts].sort((a, b) => a - b);
    return {
      maxStallMs: Math.max(rs.maxGap, rt.maxGap),
      p999Ms: percentile(rtts, 0.999),
      migrateMs,
      sourceMaxStallMs: rs.maxGap,
      targetMaxStallMs: rt.maxGap,
      idleMaxStallMs: Math.max(qs.maxGap, qt.maxGap),
      cpuMaxStallMs: Math.max(rs.maxCpuGap, rt.maxCpuGap),
      sourceCpuMaxStallMs: rs.maxCpuGap,
      targetCpuMaxStallMs: rt.maxCpuGap,
      loadCpuMaxStallMs: lsr.maxCpuGap,
      sourceCpuMs,
      targetCpuMs,
    };
  } finally {
    await Promise.all([src.stop(), dst.stop()]);
  }
}

/*-----------------------------------------------------------------------------
 * CLI
 *----------------------------------------------------------------------------*/

function fmt(n: number): string {
  return n >= 100 ? String(Math.round(n)) : n.toFixed(1);
}

async function main(argv: string[]): Promise<void> {
  const arg = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const fields = Number(arg('--fields') ?? 1_000_000);
  const rounds = Number(arg('--rounds') ?? 1);
  const t = arg('--type') ?? 'all';
  const types: BigKeyType[] = t === 'all' ? ['hash', 'zset', 'list', 'set'] : [t as BigKeyType];
  const variants = argv.includes('--only-chunked') ? [true] : [false, true];
  console.log(`Big key MIGRATE, ${fields} elements, ${rounds} round(s); PING every 2 ms on source and target; medians\n`);
  console.log('| type | MIGRATE path | longest PING gap (source / target) | CPU between two PONGs (source / target) | same while loading | PING p99.9 | MIGRATE time | CPU used (source / target) | idle longest gap |');
  console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const type of types) {
    const runs = new Map<boolean, BigKeyStall[]>(variants.map((v) => [v, []]));
    for (let r = 0; r < rounds; r++) {
      for (const chunked of r % 2 === 0 ? variants : [...variants].reverse()) runs.get(chunked)!.push(await measureBigKeyStall({ fields, type, chunked }));
    }
    for (const chunked of variants) {
      const xs = runs.get(chunked)!;
      const m = (k: keyof BigKeyStall): number => median(xs.map((x) => x[k]));
      console.log(
        `| ${type} | ${chunked ? 'chunked' : 'one-shot (before)'} | ${fmt(m('maxStallMs'))} ms (${fmt(m('sourceMaxStallMs'))} / ${fmt(m('targetMaxStallMs'))}) | ${fmt(m('cpuMaxStallMs'))} ms (${fmt(m('sourceCpuMaxStallMs'))} / ${fmt(m('targetCpuMaxStallMs'))}) | ${fmt(m('loadCpuMaxStallMs'))} ms | ${fmt(m('p999Ms'))} ms | ${fmt(m('migrateMs'))} ms | ${fmt(m('sourceCpuMs'))} / ${fmt(m('targetCpuMs'))} ms | ${fmt(m('idleMaxStallMs'))} ms |`,
      );
    }
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv.slice(2)).catch((err: Error) => {
    console.error(err.stack ?? err.message);
    process.exit(1);
  });
}
