/**
 * A real Redis 7 cluster for tests and benchmarks: `n` redis-server processes
 * in cluster mode on free ports of 127.0.0.1 (each bus port = port + 10000
 * must be free too), formed with `redis-cli --cluster create`. `stop()`
 * kills them and removes their directories.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RealCluster {
  readonly ports: number[];
  stop(): Promise<void>;
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** `count` ports p such that p and p+10000 are both free, from a per-process range. */
export async function freeClusterPorts(count: number): Promise<number[]> {
  const out: number[] = [];
  // 20000-39999 keeps port+10000 below 50000 and away from npm start's 7000-7005/17000-17005.
  let p = 20000 + ((process.pid * 37) % 18000);
  for (let tries = 0; out.length < count && tries < 5000; tries++, p = p + 1 >= 40000 ? 20000 : p + 1) {
    if ((await portFree(p)) && (await portFree(p + 10000))) out.push(p);
  }
  if (out.length < count) throw new Error(`Cannot find ${count} free port pairs for a cluster`);
  return out;
}

function waitReady(proc: ChildProcess, re: RegExp, what: string): Promise<void> {
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Cannot start ${what}: not ready in 15 s:\n${out}`)), 15_000);
    proc.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (re.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Cannot start ${what}: exited with ${code}:\n${out}`));
    });
  });
}

/** Starts `primaries` redis-server nodes in cluster mode and forms a cluster of them. */
export async function startRedisCluster(primaries = 3): Promise<RealCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'redis-cluster-'));
  const ports = await freeClusterPorts(primaries);
  const procs: ChildProcess[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(
      procs.map(
        (p) =>
          new Promise<void>((resolve) => {
            if (p.exitCode !== null || p.signalCode !== null) return resolve();
            p.once('exit', () => resolve());
            p.kill('SIGKILL');
          }),
      ),
    );
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const port of ports) {
      const p = spawn(
        'redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes', '--cluster-config-file', join(dir, `nodes-${port}.conf`),
          '--cluster-node-timeout', '2000', '--save', '', '--appendonly', 'no', '--dir', dir],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      procs.push(p);
      await waitReady(p, /Ready to accept connections/, `redis-server on ${port}`);
    }
    const r = spawnSync('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-yes'], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`Cannot form the Redis cluster: ${r.stdout}${r.stderr}`);
    // Wait until every node reports cluster_state:ok.
    for (const port of ports) {
      for (let i = 0; ; i++) {
        const info = spawnSync('redis-cli', ['-p', String(port), 'CLUSTER', 'INFO'], { encoding: 'utf8' }).stdout;
        if (info.includes('cluster_state:ok')) break;
        if (i > 100) throw new Error(`Cannot form the Redis cluster: node ${port} never reported cluster_state:ok`);
        await new Promise((res) => setTimeout(res, 100));
      }
    }
    return { ports, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
