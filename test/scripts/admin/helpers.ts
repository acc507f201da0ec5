/**
 * Running the admin CLI (dist/scripts/shardis.js) in tests, and writing and
 * verifying a known keyspace through the ClusterClient. Clusters come from
 * test/client/helpers/redis-cluster.ts (OS-picked ports).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { ClusterClient } from '../../../src/client/index.js';
import { keySlot } from '../../../src/router/slot.js';
import { freePort, ROOT, startRedis } from '../../helpers/servers.js';
import { redisCli } from '../../client/helpers/redis-cluster.js';
import { launch, newNode, stopAll } from '../../node/cluster/helpers.js';

/** Any running cluster: Shardis (test/client/helpers) or Redis (test/helpers). */
export interface ClusterLike {
  readonly ports: readonly number[];
}

export const SHARDIS = join(ROOT, 'dist', 'scripts', 'shardis.js');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Starts the CLI; `done` resolves when it exits. */
export function startCli(args: string[]): { proc: ChildProcess; done: Promise<CliRun>; output: () => string } {
  const proc = spawn(process.execPath, [SHARDIS, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  proc.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<CliRun>((resolve) => proc.once('close', (code) => resolve({ code, stdout, stderr })));
  return { proc, done, output: () => stdout + stderr };
}

/** Runs the CLI to completion. */
export function cli(...args: string[]): Promise<CliRun> {
  return startCli(args).done;
}

/** Runs the CLI with --json and parses stdout. */
export async function cliJson<T>(...args: string[]): Promise<{ code: number | null; json: T; stderr: string }> {
  const r = await cli(...args, '--json');
  try {
    return { code: r.code, json: JSON.parse(r.stdout) as T, stderr: r.stderr };
  } catch {
    throw new Error(`shardis ${args.join(' ')} did not print JSON (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  }
}

/** `count` keys `prefix:i` = `v:i`, written through a ClusterClient. */
export async function writeKeys(c: ClusterLike, prefix: string, count: number): Promise<string[]> {
  const client = new ClusterClient({ seeds: c.ports.map(addr), refreshInterval: 0 });
  const keys = Array.from({ length: count }, (_, i) => `${prefix}:${i}`);
  try {
    for (let i = 0; i < keys.length; i += 500) {
      await Promise.all(keys.slice(i, i + 500).map((k) => client.call('SET', k, `v:${k}`)));
    }
  } finally {
    await client.close();
  }
  return keys;
}

/** Keys whose value read through a fresh ClusterClient is not `v:<key>`. */
export async function missingKeys(c: ClusterLike, keys: string[]): Promise<string[]> {
  const client = new ClusterClient({ seeds: c.ports.map(addr), refreshInterval: 0 });
  const missing: string[] = [];
  try {
    for (let i = 0; i < keys.length; i += 500) {
      const chunk = keys.slice(i, i + 500);
      const vals = await Promise.all(chunk.map((k) => client.call('GET', k)));
      vals.forEach((v, j) => {
        const got = Buffer.isBuffer(v) ? v.toString('latin1') : v;
        if (got !== `v:${chunk[j]}`) missing.push(chunk[j]!);
      });
    }
  } finally {
    await client.close();
  }
  return missing;
}

/** Port of the node that owns `slot` in the view of node `port`. */
export function ownerPortOf(c: ClusterLike, slot: number, port = c.ports[0]!): number {
  const lines = redisCli(port, 'CLUSTER', 'NODES').split('\n');
  for (const line of lines) {
    const f = line.trim().split(' ');
    for (const r of f.slice(8)) {
      const m = /^(\d+)(?:-(\d+))?$/.exec(r);
      if (m && slot >= Number(m[1]) && slot <= Number(m[2] ?? m[1])) return Number(f[1]!.split('@')[0]!.split(':').pop());
    }
  }
  return -1;
}

/** Number of `keys` each node holds physically (DBSIZE is not enough: it counts every key). */
export function keysPerSlot(keys: string[]): Map<number, string[]> {
  const m = new Map<number, string[]>();
  for (const k of keys) {
    const s = keySlot(k);
    if (!m.has(s)) m.set(s, []);
    m.get(s)!.push(k);
  }
  return m;
}

export const addr = (port: number): string => `127.0.0.1:${port}`;

/** A running cluster-mode node that belongs to no cluster yet (OS-picked client and bus ports). */
export async function startEmptyNode(kind: 'shardis' | 'redis'): Promise<{ port: number; stop(): Promise<void> }> {
  if (kind === 'redis') {
    const s = await startRedis(['--cluster-enabled', 'yes', '--cluster-port', String(await freePort()), '--cluster-node-timeout', '2000']);
    return { port: s.port, stop: () => s.stop() };
  }
  const n = await newNode();
  try {
    await launch(n);
  } catch (err) {
    await stopAll([n]);
    throw err;
  }
  return { port: n.port, stop: () => stopAll([n]) };
}
