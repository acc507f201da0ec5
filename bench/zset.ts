/**
 * Sorted set throughput: Shardis versus real Redis 7 (issue #3).
 *
 * Starts shardis-server (from dist/) and redis-server on free ports, fills a
 * sorted set of N members (default 1,000,000) in each with pipelined ZADD
 * batches over a raw socket, then measures two read commands with C
 * concurrent connections (default 50) of redis-benchmark (a C load
 * generator, so the generator does not compete with the Node server as a
 * Node one would), each sending one command and waiting for its reply
 * before the next (no pipelining), with `-r` drawing random numbers:
 *
 *  - `ZCARD zbench`: O(1), the cost of the command path alone (baseline);
 *  - `ZRANK zbench m<random>`: a rank lookup (O(log N));
 *  - `ZRANGE zbench <random> +inf BYSCORE LIMIT 0 10`: a score range from a
 *    random start (O(log N + 10)), and the same with REV from +inf down to
 *    a random score.
 *
 * Member i is `m` + i on 12 digits with score i. Servers alternate for
 * each round and the median of the rounds is reported. Beside requests/s
 * the table gives each server's CPU time per request (user + system time
 * from /proc/<pid>/stat over the round, divided by the requests): on a
 * shared machine throughput swings with whatever else runs, while the CPU
 * a server spends per request moves much less, so its ratio (Redis's
 * µs / Shardis's µs) says more about the code. ZRANK minus ZCARD is the
 * cost of the lookup itself. Not a test: run
 * `node dist/bench/zset.js [members] [connections] [requests] [rounds]`.
 */
import { spawnSync } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { startRedis, startShardis, type RunningServer } from '../test/helpers/servers.js';
import { cpuMs } from './processes.js';
import { median } from './stats.js';

// `npm run bench -- --quick` passes --quick: fewer requests, one round.
const QUICK = process.argv.includes('--quick');
const POSITIONAL = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const MEMBERS = Number(POSITIONAL[0] ?? 1_000_000);
const CONNECTIONS = Number(POSITIONAL[1] ?? 50);
const REQUESTS = Number(POSITIONAL[2] ?? (QUICK ? 20_000 : 100_000));
const ROUNDS = Number(POSITIONAL[3] ?? (QUICK ? 1 : 3));
const BATCH = 1000;
const KEY = 'zbench';

function encode(args: readonly string[]): string {
  let s = `*${args.length}\r\n`;
  for (const a of args) s += `$${a.length}\r\n${a}\r\n`;
  return s;
}

/** Length of the complete RESP reply at `pos` in `b`, or -1 if incomplete. */
function replyLength(b: Buffer, pos: number): number {
  if (pos >= b.length) return -1;
  const lf = b.indexOf(10, pos);
  if (lf < 0) return -1;
  const t = b[pos]!;
  const n = Number(b.toString('latin1', pos + 1, lf - 1));
  const after = lf + 1;
  if (t === 0x24 /* $ */) {
    if (n < 0) return after - pos;
    return b.length < after + n + 2 ? -1 : after + n + 2 - pos;
  }
  if (t === 0x2a /* * */) {
    let p = after;
    for (let i = 0; i < n; i++) {
      const l = replyLength(b, p);
      if (l < 0) return -1;
      p += l;
    }
    return p - pos;
  }
  return after - pos;
}

class Conn {
  #sock: Socket;
  #buf: Buffer = Buffer.alloc(0);
  #waiting: ((reply: Buffer) => void)[] = [];

  private constructor(sock: Socket) {
    this.#sock = sock;
    sock.setNoDelay(true);
    sock.on('data', (d: Buffer) => {
      this.#buf = this.#buf.length === 0 ? d : Buffer.concat([this.#buf as Uint8Array, d as Uint8Array]);
      let p = 0;
      for (;;) {
        const l = replyLength(this.#buf, p);
        if (l < 0) break;
        const r = this.#buf.subarray(p, p + l);
        p += l;
        this.#waiting.shift()?.(r);
      }
      this.#buf = p === this.#buf.length ? Buffer.alloc(0) : this.#buf.subarray(p);
    });
  }

  static open(port: number): Promise<Conn> {
    return new Promise((resolve, reject) => {
      const s = connect(port, '127.0.0.1', () => resolve(new Conn(s)));
      s.once('error', reject);
    });
  }

  /** Sends one already encoded request and resolves with its reply. */
  send(raw: string): Promise<Buffer> {
    return new Promise((resolve) => {
      this.#waiting.push(resolve);
      this.#sock.write(raw, 'latin1');
    });
  }

  close(): void {
    this.#sock.destroy();
  }
}

/** Loads MEMBERS members with pipelined ZADD batches (up to 8 in flight). */
async function fill(port: number): Promise<void> {
  const c = await Conn.open(port);
  await c.send(encode(['DEL', KEY]));
  const inflight: Promise<Buffer>[] = [];
  for (let i = 0; i < MEMBERS; i += BATCH) {
    const args = ['ZADD', KEY];
    for (let j = i; j < Math.min(MEMBERS, i + BATCH); j++) args.push(String(j), member(j));
    inflight.push(c.send(encode(args)));
    if (inflight.length >= 8) {
      const r = await inflight.shift()!;
      if (r[0] !== 0x3a) throw new Error(`Cannot fill the sorted set: ZADD replied ${r.toString('latin1')}`);
    }
  }
  await Promise.all(inflight);
  const card = (await c.send(encode(['ZCARD', KEY]))).toString('latin1');
  if (card !== `:${MEMBERS}\r\n`) throw new Error(`Cannot fill the sorted set: ZCARD replied ${card.trim()}`);
  const rank = (await c.send(encode(['ZRANK', KEY, member(MEMBERS - 1)]))).toString('latin1');
  if (rank !== `:${MEMBERS - 1}\r\n`) throw new Error(`Cannot check the sorted set: ZRANK replied ${rank.trim()}`);
  c.close();
}

/**
 * Member `i`: `m` and i on 12 digits, the way redis-benchmark expands
 * `__rand_int__` with `-r`, so `ZRANK zbench m__rand_int__` hits members.
 */
function member(i: number): string {
  return 'm' + String(i).padStart(12, '0');
}

/**
 * Runs one redis-benchmark custom command (`__rand_int__` replaced by a
 * random number below MEMBERS) with CONNECTIONS clients and no pipelining;
 * returns requests/s.
 */
function load(port: number, command: string[]): number {
  const r = spawnSync(
    'redis-benchmark',
    ['-h', '127.0.0.1', '-p', String(port), '-c', String(CONNECTIONS), '-n', String(REQUESTS), '-r', String(MEMBERS), '--csv', ...command],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`Cannot run redis-benchmark: ${r.stderr || r.stdout}`);
  const m = /^"[^"]*","([\d.]+)"/m.exec(r.stdout);
  if (!m) throw new Error(`Cannot read redis-benchmark output: ${r.stdout}`);
  return Number(m[1]);
}

/** Runs `load` against `s` and returns [requests/s, server CPU µs per request]. */
function measure(s: RunningServer, command: string[]): [number, number] {
  const c0 = cpuMs(s.proc.pid!);
  const rps = load(s.port, command);
  return [rps, ((cpuMs(s.proc.pid!) - c0) * 1000) / REQUESTS];
}

async function main(): Promise<void> {
  let shardis: RunningServer | undefined;
  let redis: RunningServer | undefined;
  try {
    [shardis, redis] = await Promise.all([startShardis(), startRedis()]);
    for (const [name, s] of [['shardis', shardis], ['redis', redis]] as const) {
      const t0 = performance.now();
      await fill(s.port);
      console.log(`filled ${MEMBERS.toLocaleString('en-US')} members into ${name} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }
    const cases: [string, string[]][] = [
      ['ZCARD (baseline: the command path alone)', ['ZCARD', KEY]],
      ['ZRANK random member', ['ZRANK', KEY, 'm__rand_int__']],
      ['ZRANGE BYSCORE LIMIT 0 10', ['ZRANGE', KEY, '__rand_int__', '+inf', 'BYSCORE', 'LIMIT', '0', '10']],
      ['ZRANGE BYSCORE REV LIMIT 0 10', ['ZRANGE', KEY, '+inf', '__rand_int__', 'BYSCORE', 'REV', 'LIMIT', '0', '10']],
    ];
    console.log(`\nredis-benchmark, ${CONNECTIONS} connections, no pipelining, ${REQUESTS} requests x ${ROUNDS} rounds, median requests/s and server CPU time per request\n`);
    console.log('| test | Shardis | Redis 7 | ratio | target | Shardis CPU/req | Redis CPU/req | CPU ratio |');
    console.log('|---|---:|---:|---:|---|---:|---:|---:|');
    for (const [name, command] of cases) {
      const sh: number[] = [];
      const rd: number[] = [];
      const shCpu: number[] = [];
      const rdCpu: number[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        const [a, ac] = measure(shardis, command);
        const [b, bc] = measure(redis, command);
        sh.push(a);
        shCpu.push(ac);
        rd.push(b);
        rdCpu.push(bc);
      }
      const a = median(sh);
      const b = median(rd);
      const ratio = a / b;
      const ac = median(shCpu);
      const bc = median(rdCpu);
      console.log(
        `| ${name} | ${Math.round(a).toLocaleString('en-US')} | ${Math.round(b).toLocaleString('en-US')} | ${ratio.toFixed(2)} | >= 0.8x ${ratio >= 0.8 ? 'met' : 'MISSED'} | ${ac.toFixed(1)} µs | ${bc.toFixed(1)} µs | ${(bc / ac).toFixed(2)} |`,
      );
    }
  } finally {
    await Promise.all([shardis?.stop(), redis?.stop()]);
  }
}

await main();
