/**
 * Client benchmark (not a test): SET then GET, 100 commands in flight, on a
 * real 3-primary Redis cluster and on a 3-primary Shardis cluster (both
 * started on free ports, formed with redis-cli), comparing ClusterClient,
 * ioredis `Cluster` (enableAutoPipelining) and node-redis `createCluster` in
 * the same run. Prints a table of ops/s.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/client.js [--ops 200000] [--inflight 100] [--rounds 3] [--cluster redis|shardis|both]
 *
 * Each client gets its own key prefix; keys spread over all slots. A round
 * runs every client once in turn; the median round per client is reported
 * (the machine is small and shared: medians, not bests).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Cluster as IoRedisCluster } from 'ioredis';
import { createCluster } from 'redis';
import { ClusterClient } from '../src/client/index.js';
import { median } from './stats.js';
import { SERVER_NODE_FLAGS } from '../src/node/node-flags.js';

interface Kv {
  set(k: string, v: string): Promise<unknown>;
  get(k: string): Promise<unknown>;
  close(): Promise<void>;
}

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? dflt : Number(process.argv[i + 1]);
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

const SERVER_MAIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'node', 'main.js');

/** Starts `n` cluster nodes of `kind` on free ports (bus port = port + 10000) and joins them with redis-cli. */
async function startCluster(n: number, kind: 'redis' | 'shardis'): Promise<{ ports: number[]; stop: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-cluster-'));
  const procs: ChildProcess[] = [];
  const ports: number[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(
      procs.map(
        (p) =>
          new Promise<void>((resolve) => {
            if (p.exitCode !== null) return resolve();
            p.once('exit', () => resolve());
            p.kill('SIGTERM');
          }),
      ),
    );
    rmSync(dir, { recursive: true, force: true });
  };
  while (ports.length < n) {
    const port = 20000 + Math.floor(Math.random() * 35000);
    if (ports.includes(port) || !(await portFree(port)) || !(await portFree(port + 10000))) continue;
    const proc =
      kind === 'redis'
        ? spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes', '--cluster-config-file', join(dir, `nodes-${port}.conf`), '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: ['ignore', 'pipe', 'inherit'] })
        : spawn(process.execPath, [...SERVER_NODE_FLAGS, SERVER_MAIN, '--port', String(port), '--bind', '127.0.0.1', '--dir', mkdtempSync(join(dir, 'node-')), '--cluster-enabled', 'yes', '--cluster-port', String(port + 10000)], { stdio: ['ignore', 'pipe', 'inherit'] });
    procs.push(proc);
    await new Promise<void>((resolve, reject) => {
      let out = '';
      proc.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('Ready to accept connections')) resolve();
      });
      proc.once('exit', () => reject(new Error(`redis-server on ${port} exited:\n${out}`)));
    });
    ports.push(port);
  }
  const r = spawnSync('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-yes'], { encoding: 'utf8' });
  if (r.status !== 0) {
    await stop();
    throw new Error(`Cannot create the cluster: ${r.stdout}${r.stderr}`);
  }
  for (const port of ports) {
    while (!spawnSync('redis-cli', ['-p', String(port), 'CLUSTER', 'INFO'], { encoding: 'utf8' }).stdout.includes('cluster_state:ok')) {
      await new Promise((res) => setTimeout(res, 50));
    }
  }
  return { ports, stop };
}

/** `ops` commands of `kind`, `inflight` at a time; returns ops/s. */
async function run(kv: Kv, prefix: string, kind: 'set' | 'get', ops: number, inflight: number): Promise<number> {
  let next = 0;
  const value = 'x'.repeat(16);
  const worker = async (): Promise<void> => {
    while (next < ops) {
      const i = next++;
      const key = prefix + (i % 10000);
      if (kind === 'set') await kv.set(key, value);
      else await kv.get(key);
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: inflight }, worker));
  return (ops / (performance.now() - t0)) * 1000;
}

async function bench(kind: 'redis' | 'shardis', ops: number, inflight: number, rounds: number): Promise<Record<string, { set: number; get: number }>> {
  const cluster = await startCluster(3, kind);
  const seeds = cluster.ports.map((p) => ({ host: '127.0.0.1', port: p }));
  const makers: Record<string, () => Promise<Kv>> = {
    ClusterClient: async () => {
      const c = new ClusterClient({ seeds });
      await c.connect();
      return { set: (k, v) => c.set(k, v), get: (k) => c.get(k), close: () => c.close() };
    },
    'ioredis Cluster (autopipelining)': async () => {
      const c = new IoRedisCluster(seeds, { enableAutoPipelining: true });
      await new Promise<void>((resolve, reject) => {
        c.once('ready', () => resolve());
        c.once('error', reject);
      });
      return {
        set: (k, v) => c.set(k, v),
        get: (k) => c.get(k),
        close: async () => {
          await c.quit();
        },
      };
    },
    'node-redis createCluster': async () => {
      const c = createCluster({ rootNodes: seeds.map((s) => ({ url: `redis://${s.host}:${s.port}` })) });
      await c.connect();
      return {
        set: (k, v) => c.set(k, v),
        get: (k) => c.get(k),
        close: async () => {
          await c.close();
        },
      };
    },
  };
  const samples: Record<string, { set: number[]; get: number[] }> = {};
  try {
    for (let r = 0; r < rounds; r++) {
      for (const [name, make] of Object.entries(makers)) {
        const kv = await make();
        const prefix = `bench:${name.split(' ')[0]}:`;
        await run(kv, prefix, 'set', Math.min(ops, 20_000), inflight); // warm-up
        const set = await run(kv, prefix, 'set', ops, inflight);
        const get = await run(kv, prefix, 'get', ops, inflight);
        await kv.close();
        const b = (samples[name] ??= { set: [], get: [] });
        b.set.push(set);
        b.get.push(get);
        process.stderr.write(`${kind} round ${r + 1} ${name}: SET ${Math.round(set)} GET ${Math.round(get)} ops/s\n`);
      }
    }
  } finally {
    await cluster.stop();
  }
  const medians: Record<string, { set: number; get: number }> = {};
  for (const [name, b] of Object.entries(samples)) medians[name] = { set: median(b.set), get: median(b.get) };
  return medians;
}


async function main(): Promise<void> {
  const ops = arg('ops', 200_000);
  const inflight = arg('inflight', 100);
  const rounds = arg('rounds', 3);
  const i = process.argv.indexOf('--cluster');
  const which = i === -1 ? 'both' : process.argv[i + 1];
  const kinds = which === 'both' ? (['redis', 'shardis'] as const) : ([which as 'redis' | 'shardis'] as const);
  const results: [string, Record<string, { set: number; get: number }>][] = [];
  for (const kind of kinds) results.push([kind, await bench(kind, ops, inflight, rounds)]);
  console.log(`\n3-primary clusters on 127.0.0.1; ${ops} SET then ${ops} GET, ${inflight} in flight; median of ${rounds} rounds\n`);
  console.log('| cluster | client | SET ops/s | GET ops/s |');
  console.log('|---|---|---:|---:|');
  for (const [kind, best] of results) {
    for (const [name, b] of Object.entries(best)) console.log(`| ${kind === 'redis' ? 'Redis 7.0' : 'Shardis'} | ${name} | ${Math.round(b.set)} | ${Math.round(b.get)} |`);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
