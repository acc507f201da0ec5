/**
 * shardis-server end to end (dist/src/node/main.js as a child process): the
 * ready line, configuration files and options, startup failures with clear
 * messages and exit status 1, and clean exits (status 0) on SIGTERM, SIGINT
 * and SHUTDOWN.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RawClient } from '../helpers/resp.js';
import { SERVER_MAIN, startShardis } from '../helpers/servers.js';
import { SERVER_NODE_FLAGS } from '../../src/node/node-flags.js';

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs shardis-server with `args` until it exits by itself. */
function runToExit(args: string[]): Promise<Exit> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, [...SERVER_NODE_FLAGS, SERVER_MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
    proc.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

function exitOf(s: Awaited<ReturnType<typeof startShardis>>): Promise<number | null> {
  return new Promise((resolve) => {
    if (s.proc.exitCode !== null) resolve(s.proc.exitCode);
    else s.proc.once('exit', (code) => resolve(code));
  });
}

describe('shardis-server', () => {
  it('shardis-server prints a ready line naming the bound address and port', async () => {
    const s = await startShardis();
    try {
      expect(s.output()).toMatch(/Ready to accept connections tcp on 127\.0\.0\.1 port \d+/);
      const r = await RawClient.connect(s.port);
      expect(await r.text('PING')).toBe('+PONG\r\n');
      r.close();
    } finally {
      await s.stop();
    }
  });

  it('shardis-server exits 1 with a clear message for an unknown directive', async () => {
    const res = await runToExit(['--port', '0', '--no-such-directive', 'x']);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('FATAL CONFIG FILE ERROR');
    expect(res.stderr).toContain("'no-such-directive x'");
    expect(res.stderr).toContain('Bad directive or wrong number of arguments');
  });

  it('shardis-server exits 1 with the reason for a bad value', async () => {
    const res = await runToExit(['--port', 'abc']);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain("argument couldn't be parsed into an integer");
  });

  it('shardis-server exits 1 when the config file cannot be read', async () => {
    const res = await runToExit(['/nonexistent/shardis.conf']);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain("can't open config file '/nonexistent/shardis.conf'");
  });

  it('shardis-server exits 1 with a clear message when the port is busy', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const res = await runToExit(['--port', String(port), '--bind', '127.0.0.1']);
      expect(res.code).toBe(1);
      expect(res.stderr).toContain(`Cannot listen on 127.0.0.1:${port} as the address is already in use`);
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });

  it('shardis-server reads a config file, command-line options win, and CONFIG REWRITE updates it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shardis-main-'));
    const file = join(dir, 'shardis.conf');
    writeFileSync(file, '# test config\nmaxmemory 2mb\nhz 20\nsave 900 1\nsave 300 10\nrequirepass "p w"\n');
    const proc = spawn(process.execPath, [...SERVER_NODE_FLAGS, SERVER_MAIN, file, '--port', '0', '--bind', '127.0.0.1', '--hz', '30'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const port = await new Promise<number>((resolve, reject) => {
      proc.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /port (\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      proc.once('exit', () => reject(new Error(out)));
    });
    const r = await RawClient.connect(port);
    try {
      expect(await r.text('AUTH', 'p w')).toBe('+OK\r\n');
      expect(await r.text('CONFIG', 'GET', 'maxmemory')).toBe('*2\r\n$9\r\nmaxmemory\r\n$7\r\n2097152\r\n');
      expect(await r.text('CONFIG', 'GET', 'hz')).toBe('*2\r\n$2\r\nhz\r\n$2\r\n30\r\n');
      expect(await r.text('CONFIG', 'GET', 'save')).toBe('*2\r\n$4\r\nsave\r\n$12\r\n900 1 300 10\r\n');
      expect(await r.text('CONFIG', 'SET', 'maxmemory', '3mb')).toBe('+OK\r\n');
      expect(await r.text('CONFIG', 'REWRITE')).toBe('+OK\r\n');
      const text = readFileSync(file, 'latin1');
      expect(text.startsWith('# test config\nmaxmemory 3145728\nhz 30\nsave 900 1\nsave 300 10\nrequirepass "p w"\n')).toBe(true);
    } finally {
      r.close();
      proc.kill('SIGTERM');
      await new Promise((resolve) => proc.once('exit', resolve));
    }
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`shardis-server shuts down cleanly on ${signal} with exit status 0`, async () => {
      const s = await startShardis();
      const exited = exitOf(s);
      s.proc.kill(signal);
      expect(await exited).toBe(0);
      expect(s.output()).toContain(`Received ${signal} scheduling shutdown`);
      await s.stop();
    });
  }

  it('SHUTDOWN ends the process with exit status 0', async () => {
    const s = await startShardis();
    const exited = exitOf(s);
    const r = await RawClient.connect(s.port);
    r.write('*1\r\n$8\r\nSHUTDOWN\r\n');
    expect(await exited).toBe(0);
    await r.waitClosed();
    await s.stop();
  });

  const haveBenchmark = spawnSync('redis-benchmark', ['--version']).status === 0;
  it.skipIf(!haveBenchmark)('redis-benchmark runs against shardis-server without a CONFIG warning', async () => {
    const s = await startShardis();
    try {
      const res = await new Promise<{ out: string; code: number | null }>((resolve) => {
        const p = spawn('redis-benchmark', ['-h', '127.0.0.1', '-p', String(s.port), '-t', 'set,get', '-n', '200', '-q'], {
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        p.stdout.on('data', (d: Buffer) => (out += d.toString()));
        p.stderr.on('data', (d: Buffer) => (out += d.toString()));
        p.once('exit', (code) => resolve({ out, code }));
      });
      expect(res.code).toBe(0);
      expect(res.out).not.toContain('Could not fetch server CONFIG');
      expect(res.out).toMatch(/SET: [\d.]+ requests per second/);
    } finally {
      await s.stop();
    }
  });
});
