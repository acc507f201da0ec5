/**
 * Memory of many small hashes: Shardis versus real Redis (issue #3).
 *
 * Starts shardis-server (from dist/) and redis-server on free ports, loads
 * the same 100,000 hashes of 10 fields into each with pipelined HSET over a
 * raw socket, and prints the VmRSS of each process (from /proc/<pid>/status)
 * before and after the load, and the ratios. Not a test: run it with
 * `node dist/bench/small-hashes.js [hashes] [fields]` after building.
 *
 * Hashes are `hash:<i>`, fields `field<j>`, values `value-<i mod 1000>-<j>`
 * (8 to 13 bytes), so every hash stays in the listpack encoding.
 * `SHARDIS_NODE_FLAGS="--max-semi-space-size=2"` passes flags to the
 * server's node process, to see what the V8 heap settings cost.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SERVER_NODE_FLAGS } from '../src/node/node-flags.js';
import { freePort, rssKb, waitReady } from './processes.js';

const HASHES = Number(process.argv[2] ?? 100_000);
const FIELDS = Number(process.argv[3] ?? 10);
const BATCH = 1000;
const SERVER_MAIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'node', 'main.js');

function command(args: string[]): string {
  let s = `*${args.length}\r\n`;
  for (const a of args) s += `$${Buffer.byteLength(a, 'latin1')}\r\n${a}\r\n`;
  return s;
}

/** Sends `batches` of commands, waiting for one reply line per command after each batch. */
async function load(port: number): Promise<void> {
  const sock: Socket = connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    sock.once('connect', resolve);
    sock.once('error', reject);
  });
  let pendingLines = 0;
  let wake: (() => void) | undefined;
  sock.on('data', (d: Buffer) => {
    for (let i = 0; i < d.length; i++) if (d[i] === 10) pendingLines--;
    if (pendingLines <= 0 && wake) {
      const w = wake;
      wake = undefined;
      w();
    }
  });
  for (let start = 0; start < HASHES; start += BATCH) {
    let chunk = '';
    const end = Math.min(HASHES, start + BATCH);
    for (let i = start; i < end; i++) {
      const args = ['HSET', `hash:${i}`];
      for (let j = 0; j < FIELDS; j++) args.push(`field${j}`, `value-${i % 1000}-${j}`);
      chunk += command(args);
    }
    pendingLines += end - start;
    const done = new Promise<void>((resolve) => (wake = resolve));
    sock.write(chunk, 'latin1');
    await done;
  }
  sock.destroy();
}

async function measure(name: string, proc: ChildProcess, port: number): Promise<{ before: number; after: number }> {
  const before = rssKb(proc.pid!);
  const t0 = process.hrtime.bigint();
  await load(port);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  // Let the server settle (Node's GC finishes sweeping after the burst).
  await new Promise((r) => setTimeout(r, 3000));
  const after = rssKb(proc.pid!);
  console.log(`${name.padEnd(8)} RSS before ${(before / 1024).toFixed(1)} MiB, after ${(after / 1024).toFixed(1)} MiB, growth ${((after - before) / 1024).toFixed(1)} MiB (load took ${ms.toFixed(0)} ms)`);
  return { before, after };
}

async function main(): Promise<void> {
  const shardisPort = await freePort();
  // SHARDIS_NODE_FLAGS: V8/Node flags for the server process (e.g. --max-semi-space-size=2), to compare heap settings.
  const nodeFlags = (process.env.SHARDIS_NODE_FLAGS ?? '').split(' ').filter((f) => f !== '');
  const shardis = spawn(process.execPath, [...SERVER_NODE_FLAGS, ...nodeFlags, SERVER_MAIN, '--port', String(shardisPort), '--bind', '127.0.0.1', '--save', ''], { stdio: ['ignore', 'pipe', 'pipe'] });
  const redisPort = await freePort();
  const redis = spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    await Promise.all([waitReady(shardis, 'shardis-server'), waitReady(redis, 'redis-server')]);
    console.log(`Loading ${HASHES} hashes of ${FIELDS} fields into each server`);
    const s = await measure('shardis', shardis, shardisPort);
    const r = await measure('redis', redis, redisPort);
    console.log(`RSS ratio shardis/redis: ${(s.after / r.after).toFixed(2)} (total), ${((s.after - s.before) / (r.after - r.before)).toFixed(2)} (growth only)`);
  } finally {
    shardis.kill('SIGKILL');
    redis.kill('SIGKILL');
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
