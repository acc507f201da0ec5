/**
 * Memory of many small string keys: Shardis versus real Redis (issue #2's
 * target: RSS at most 1.5x Redis's for 1M keys).
 *
 * Starts shardis-server (through its launcher `bin/shardis-server.js`, so
 * the V8 flags it passes count) and redis-server on free ports, loads the
 * same keys `key:<N>` → 10-byte value (`N` zero-padded to 10 digits) into
 * each with pipelined MSET batches over a raw socket, waits for the servers
 * to settle, and prints each process's VmRSS (from /proc/<pid>/status) and
 * the ratio. Not a test: run `node dist/bench/memory.js [keys]` after
 * building (or `npm run bench -- --only memory`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SERVER_NODE_FLAGS } from '../src/node/node-flags.js';
import { freePort, rssKb, waitReady } from './processes.js';

const KEYS = Number(process.argv[2] ?? 1_000_000);
/** Keys per MSET. */
const BATCH = 1000;
/** MSETs sent before waiting for their replies. */
const WINDOW = 20;
/** Idle time after loading before RSS is read (V8's memory reducer acts after a few idle seconds). */
const SETTLE_MS = Number(process.env.SETTLE_MS ?? 3000);
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const LAUNCHER = join(ROOT, 'bin', 'shardis-server.js');

/** One MSET of keys [start, end) as RESP bytes. */
function msetBatch(start: number, end: number): string {
  let s = `*${1 + 2 * (end - start)}\r\n$4\r\nMSET\r\n`;
  for (let i = start; i < end; i++) {
    const k = `key:${i}`;
    s += `$${k.length}\r\n${k}\r\n$10\r\n${String(i).padStart(10, '0')}\r\n`;
  }
  return s;
}

/** Loads KEYS keys with up to WINDOW MSETs in flight; rejects on any reply but +OK. */
async function load(port: number): Promise<void> {
  const sock: Socket = connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    sock.once('connect', resolve);
    sock.once('error', reject);
  });
  const batches = Math.ceil(KEYS / BATCH);
  let sent = 0;
  let acked = 0;
  let pending = '';
  await new Promise<void>((resolve, reject) => {
    const pump = (): void => {
      while (sent < batches && sent - acked < WINDOW) {
        const start = sent * BATCH;
        sock.write(msetBatch(start, Math.min(KEYS, start + BATCH)), 'latin1');
        sent++;
      }
    };
    sock.on('data', (d: Buffer) => {
      pending += d.toString('latin1');
      let nl: number;
      while ((nl = pending.indexOf('\r\n')) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 2);
        if (line !== '+OK') {
          reject(new Error(`Cannot load keys: server replied ${line}`));
          return;
        }
        acked++;
      }
      if (acked === batches) resolve();
      else pump();
    });
    sock.once('error', reject);
    pump();
  });
  sock.destroy();
}

async function measure(name: string, proc: ChildProcess, port: number): Promise<{ before: number; after: number }> {
  const before = rssKb(proc.pid!);
  const t0 = process.hrtime.bigint();
  await load(port);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  await new Promise((r) => setTimeout(r, SETTLE_MS));
  const after = rssKb(proc.pid!);
  console.log(
    `${name.padEnd(8)} RSS before ${(before / 1024).toFixed(1)} MiB, after ${(after / 1024).toFixed(1)} MiB, ` +
      `growth ${((after - before) / 1024).toFixed(1)} MiB (load took ${ms.toFixed(0)} ms)`,
  );
  return { before, after };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'shardis-bench-memory-'));
  const shardisPort = await freePort();
  // SHARDIS_NODE_FLAGS: extra node/V8 flags, to measure their effect.
  const flags = (process.env.SHARDIS_NODE_FLAGS ?? '').split(' ').filter((f) => f !== '');
  const shardis = spawn(process.execPath, [...SERVER_NODE_FLAGS, ...flags, LAUNCHER, '--port', String(shardisPort), '--bind', '127.0.0.1', '--save', '', '--dir', dir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const redisPort = await freePort();
  const redis = spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  try {
    await Promise.all([waitReady(shardis, 'shardis-server'), waitReady(redis, 'redis-server')]);
    console.log(`Loading ${KEYS} keys (key:N -> 10-byte value) into each server with MSET batches of ${BATCH}`);
    const s = await measure('shardis', shardis, shardisPort);
    const r = await measure('redis', redis, redisPort);
    const ratio = s.after / r.after;
    console.log(`RSS ratio shardis/redis: ${ratio.toFixed(2)} (target <= 1.50: ${ratio <= 1.5 ? 'met' : 'NOT met'})`);
  } finally {
    shardis.kill('SIGKILL');
    redis.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
