/**
 * Real clusters for integration tests and the benchmark: N redis-server
 * processes in cluster mode on free ports (bus port = port + 10000 must be
 * free too), joined with `redis-cli --cluster create`. Always `stop()`.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SERVER_NODE_FLAGS } from '../../../src/node/node-flags.js';

/** A running cluster: its seed addresses and a way to stop it. */
export interface RunningCluster {
  readonly name: string;
  readonly ports: readonly number[];
  /** `127.0.0.1:port` of every node. */
  readonly seeds: readonly string[];
  stop(): Promise<void>;
}

/** A way to start a cluster; the integration suite runs once per factory. */
export interface ClusterFactory {
  readonly name: string;
  /** True if the cluster can be started here (throws in CI when it should but cannot). */
  available(): boolean;
  start(primaries: number): Promise<RunningCluster>;
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** A free port whose bus port (port + 10000) is free as well. */
export async function freeClusterPort(taken: Set<number>): Promise<number> {
  for (;;) {
    const port = 20000 + Math.floor(Math.random() * 35000);
    if (taken.has(port) || taken.has(port + 10000)) continue;
    if ((await portFree(port)) && (await portFree(port + 10000))) {
      taken.add(port);
      taken.add(port + 10000);
      return port;
    }
  }
}

function waitReady(proc: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`Cannot start redis-server: no ready line. Output:\n${out}`)), 15_000);
    const onData = (d: Buffer): void => {
      out += d.toString();
      if (out.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    };
    proc.stdout?.on('data', onData);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Cannot start redis-server: exited with ${code}. Output:\n${out}`));
    });
  });
}

function stopProc(proc: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
    const kill = setTimeout(() => proc.kill('SIGKILL'), 5000);
    proc.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    proc.kill('SIGTERM');
  });
}

/** Starts `primaries` real Redis nodes and forms a cluster with redis-cli. */
export async function startRedisCluster(primaries = 3): Promise<RunningCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'redis-cluster-'));
  const taken = new Set<number>();
  const procs: ChildProcess[] = [];
  const ports: number[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(procs.map(stopProc));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < primaries; i++) {
      const port = await freeClusterPort(taken);
      const proc = spawn(
        'redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes', '--cluster-config-file', join(dir, `nodes-${port}.conf`), '--cluster-node-timeout', '2000', '--save', '', '--appendonly', 'no', '--dir', dir],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      procs.push(proc);
      ports.push(port);
      await waitReady(proc);
    }
    const create = spawnSync('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-yes'], { encoding: 'utf8', timeout: 30_000 });
    if (create.status !== 0) throw new Error(`Cannot create the cluster: ${create.stdout}\n${create.stderr}`);
    // Wait until every node reports cluster_state:ok.
    for (const port of ports) {
      for (let i = 0; ; i++) {
        const info = spawnSync('redis-cli', ['-p', String(port), 'CLUSTER', 'INFO'], { encoding: 'utf8' });
        if (info.stdout.includes('cluster_state:ok')) break;
        if (i > 200) throw new Error(`Cannot create the cluster: node ${port} never reached cluster_state:ok`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { name: 'redis', ports, seeds: ports.map((p) => `127.0.0.1:${p}`), stop };
}

/** Runs redis-cli against one node and returns stdout (trimmed). */
export function redisCli(port: number, ...args: string[]): string {
  const r = spawnSync('redis-cli', ['-p', String(port), ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`redis-cli ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout.trim();
}

/** Moves `slot` to the node on `toPort` the way redis-cli reshard does; `during` runs while it is open. */
export async function moveSlot(c: RunningCluster, slot: number, toPort: number, during?: () => Promise<void>): Promise<void> {
  const fromPort = c.ports.find((p) => redisCli(p, 'CLUSTER', 'SLOTS').length > 0 && ownerPort(c, slot) === p)!;
  if (fromPort === toPort) return;
  const toId = redisCli(toPort, 'CLUSTER', 'MYID');
  const fromId = redisCli(fromPort, 'CLUSTER', 'MYID');
  redisCli(toPort, 'CLUSTER', 'SETSLOT', String(slot), 'IMPORTING', fromId);
  redisCli(fromPort, 'CLUSTER', 'SETSLOT', String(slot), 'MIGRATING', toId);
  const keys = redisCli(fromPort, 'CLUSTER', 'GETKEYSINSLOT', String(slot), '1000');
  const names = keys === '' ? [] : keys.split('\n');
  // Move half the keys, let the caller act mid-migration (ASK territory), then the rest.
  const half = Math.ceil(names.length / 2);
  if (half > 0) redisCli(fromPort, 'MIGRATE', '127.0.0.1', String(toPort), '', '0', '5000', 'KEYS', ...names.slice(0, half));
  if (during) await during();
  if (names.length > half) redisCli(fromPort, 'MIGRATE', '127.0.0.1', String(toPort), '', '0', '5000', 'KEYS', ...names.slice(half));
  for (const p of [toPort, fromPort, ...c.ports.filter((x) => x !== toPort && x !== fromPort)]) {
    const r = redisCli(p, 'CLUSTER', 'SETSLOT', String(slot), 'NODE', toId);
    if (r !== 'OK') throw new Error(`Cannot close the migration of slot ${slot}: ${r}`);
  }
}

/** The port of the node owning `slot` in the first node's view, or -1. */
export function ownerPort(c: RunningCluster, slot: number): number {
  const out = redisCli(c.ports[0]!, '--no-raw', 'CLUSTER', 'SLOTS');
  // Parse the human-readable form: ranges of "start", "end", then node host/port.
  const nums = [...out.matchAll(/\(integer\) (\d+)/g)].map((m) => Number(m[1]));
  for (let i = 0; i + 2 < nums.length; i += 3) {
    if (slot >= nums[i]! && slot <= nums[i + 1]!) return nums[i + 2]!;
  }
  return -1;
}

/**
 * Starts `primaries` Shardis nodes (from dist/) in cluster mode and forms a
 * cluster with `redis-cli --cluster create`, exactly as for Redis.
 */
export async function startShardisCluster(primaries = 3): Promise<RunningCluster> {
  const { SERVER_MAIN } = await import('../../helpers/servers.js');
  const dir = mkdtempSync(join(tmpdir(), 'shardis-cluster-'));
  const taken = new Set<number>();
  const procs: ChildProcess[] = [];
  const ports: number[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(procs.map(stopProc));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < primaries; i++) {
      const port = await freeClusterPort(taken);
      const nodeDir = mkdtempSync(join(dir, 'node-'));
      const proc = spawn(process.execPath, [...SERVER_NODE_FLAGS, SERVER_MAIN, '--port', String(port), '--bind', '127.0.0.1', '--dir', nodeDir, '--cluster-enabled', 'yes', '--cluster-port', String(port + 10000), '--cluster-node-timeout', '5000'], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      procs.push(proc);
      ports.push(port);
      await waitReady(proc);
    }
    const create = spawnSync('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-yes'], { encoding: 'utf8', timeout: 60_000 });
    if (create.status !== 0) throw new Error(`Cannot create the Shardis cluster: ${create.stdout}\n${create.stderr}`);
    for (const port of ports) {
      for (let i = 0; ; i++) {
        const info = spawnSync('redis-cli', ['-p', String(port), 'CLUSTER', 'INFO'], { encoding: 'utf8' });
        if (info.stdout.includes('cluster_state:ok')) break;
        if (i > 400) throw new Error(`Cannot create the Shardis cluster: node ${port} never reached cluster_state:ok`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { name: 'shardis', ports, seeds: ports.map((p) => `127.0.0.1:${p}`), stop };
}
