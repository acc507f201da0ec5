/**
 * Starting servers for tests: Shardis from `dist/` (built by `npm test`'s
 * pretest) and real Redis 7 for differential tests. Every server listens on
 * 127.0.0.1 on a port the OS picked, and `stop()` must be called (use
 * `afterAll`/`afterEach`).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SERVER_NODE_FLAGS } from '../../src/node/node-flags.js';

/** The repository root: the nearest folder above this file holding package.json (works from dist/ too). */
export const ROOT = findRoot(dirname(fileURLToPath(import.meta.url)));

function findRoot(dir: string): string {
  for (let d = dir; ; d = dirname(d)) {
    if (existsSync(join(d, 'package.json'))) return d;
    if (dirname(d) === d) throw new Error(`Cannot find the repository root above ${dir}`);
  }
}
export const SERVER_MAIN = join(ROOT, 'dist', 'src', 'node', 'main.js');

export interface RunningServer {
  readonly port: number;
  readonly proc: ChildProcess;
  /** Everything the process printed so far. */
  output(): string;
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1, as the OS assigns it. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function waitForLine(proc: ChildProcess, re: RegExp, what: string, timeoutMs = 15_000): Promise<{ match: RegExpMatchArray; output: () => string }> {
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Cannot start ${what}: no ready line within ${timeoutMs} ms. Output:\n${out}`)), timeoutMs);
    const onData = (d: Buffer): void => {
      out += d.toString();
      const m = out.match(re);
      if (m) {
        clearTimeout(timer);
        resolve({ match: m, output: () => out });
      }
    };
    proc.stdout?.on('data', onData);
    proc.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Cannot start ${what}: it exited with code ${code}. Output:\n${out}`));
    });
  });
}

/** Stops `proc` (SIGTERM, SIGKILL after 5 s), then runs `cleanup`; resolves at once if it already exited. */
export function stopper(proc: ChildProcess, cleanup?: () => void): () => Promise<void> {
  return () =>
    new Promise<void>((resolve) => {
      if (proc.exitCode !== null || proc.signalCode !== null) {
        cleanup?.();
        resolve();
        return;
      }
      const kill = setTimeout(() => proc.kill('SIGKILL'), 5000);
      proc.once('exit', () => {
        clearTimeout(kill);
        cleanup?.();
        resolve();
      });
      proc.kill('SIGTERM');
    });
}

/** Starts `shardis-server --port 0 ...args` and resolves once it is ready. */
export async function startShardis(args: string[] = []): Promise<RunningServer> {
  const dir = mkdtempSync(join(tmpdir(), 'shardis-test-'));
  const proc = spawn(process.execPath, [...SERVER_NODE_FLAGS, SERVER_MAIN, '--port', '0', '--bind', '127.0.0.1', '--dir', dir, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const { match, output } = await waitForLine(proc, /Ready to accept connections tcp on \S+ port (\d+)/, 'shardis-server');
  return {
    port: Number(match[1]),
    proc,
    output,
    stop: stopper(proc, () => rmSync(dir, { recursive: true, force: true })),
  };
}

/** True if `redis-server` is installed. */
export function haveRedis(): boolean {
  return spawnSync('redis-server', ['--version']).status === 0;
}

/**
 * Whether tests that need real Redis can run. In CI (`CI` set) a missing
 * redis-server is an error, never a silent skip; locally the tests are skipped.
 */
export function redisAvailable(): boolean {
  if (haveRedis()) return true;
  if (process.env.CI) throw new Error('Cannot run differential tests as redis-server is not installed (CI must install redis-server)');
  return false;
}

/** Starts a real redis-server on a free port with persistence off. */
export async function startRedis(args: string[] = []): Promise<RunningServer> {
  const dir = mkdtempSync(join(tmpdir(), 'redis-test-'));
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const { output } = await waitForLine(proc, /Ready to accept connections/, 'redis-server');
      return { port, proc, output, stop: stopper(proc, () => rmSync(dir, { recursive: true, force: true })) };
    } catch (err) {
      if (attempt >= 3) throw err;
    }
  }
}
