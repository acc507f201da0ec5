/**
 * `npm start` (dist/scripts/start.js) with a temporary cluster.json on
 * OS-picked ports: forms the cluster, prints the table, stops every node on
 * SIGTERM, and a second start restores the same cluster from its data
 * directories without re-forming it.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, ROOT } from '../helpers/servers.js';
import { RawClient } from '../helpers/resp.js';

const START = join(ROOT, 'dist', 'scripts', 'start.js');

interface Run {
  proc: ChildProcess;
  out: () => string;
}

function run(configPath: string): Run {
  const proc = spawn(process.execPath, [START, configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return { proc, out: () => out };
}

async function waitOutput(r: Run, re: RegExp, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!re.test(r.out())) {
    if (r.proc.exitCode !== null) throw new Error(`start.js exited early:\n${r.out()}`);
    if (Date.now() > end) throw new Error(`Timed out waiting for ${re}:\n${r.out()}`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

function stopRun(r: Run): Promise<number | null> {
  return new Promise((resolve) => {
    if (r.proc.exitCode !== null) return resolve(r.proc.exitCode);
    r.proc.once('exit', (code) => resolve(code));
    r.proc.kill('SIGTERM');
  });
}

async function text(port: number, ...args: string[]): Promise<string> {
  const c = await RawClient.connect(port);
  try {
    return await c.text(...args);
  } finally {
    c.close();
  }
}

async function refused(port: number): Promise<boolean> {
  try {
    (await RawClient.connect(port)).close();
    return false;
  } catch {
    return true;
  }
}

describe('npm start', () => {
  const dir = mkdtempSync(join(tmpdir(), 'shardis-start-'));
  const runs: Run[] = [];
  afterAll(async () => {
    await Promise.all(runs.map(stopRun));
    rmSync(dir, { recursive: true, force: true });
  });

  it('npm start forms the cluster of cluster.json, stops it on SIGTERM and brings the same cluster back', async () => {
    const nodes = [];
    for (const slots of ['0-5460', '5461-10922', '10923-16383']) nodes.push({ port: await freePort(), busPort: await freePort(), role: 'primary', slots });
    const cfgPath = join(dir, 'cluster.json');
    writeFileSync(cfgPath, JSON.stringify({ host: '127.0.0.1', dataDir: 'data', options: { 'cluster-node-timeout': 2000 }, nodes }));

    const first = run(cfgPath);
    runs.push(first);
    await waitOutput(first, /Connect with: redis-cli -c -p (\d+)/);
    expect(first.out()).toMatch(/Shardis cluster formed: cluster_state:ok after \d+ ms/);
    expect(first.out()).toContain(`redis-cli -c -p ${nodes[0]!.port}`);
    expect(first.out()).toMatch(new RegExp(`127\\.0\\.0\\.1:${nodes[1]!.port}\\s+primary\\s+5461-10922\\s+[0-9a-f]{40}`));
    const before: string[] = [];
    for (const n of nodes) {
      expect(await text(n.port, 'CLUSTER', 'INFO')).toContain('cluster_state:ok\r\n');
      before.push(await text(n.port, 'CLUSTER', 'MYID'));
    }
    expect(await text(nodes[0]!.port, 'SET', 'key:0', 'kept')).toBe('+OK\r\n');
    expect(await stopRun(first)).toBe(0);
    for (const n of nodes) expect(await refused(n.port)).toBe(true);

    const second = run(cfgPath);
    runs.push(second);
    await waitOutput(second, /Connect with: redis-cli -c -p/);
    expect(second.out()).toMatch(/restored from its data directories: cluster_state:ok/);
    for (let i = 0; i < nodes.length; i++) expect(await text(nodes[i]!.port, 'CLUSTER', 'MYID')).toBe(before[i]);
    // Bus links come back a moment after cluster_state:ok (slots are known from nodes.conf).
    let view = '';
    for (let i = 0; i < 100; i++) {
      view = await text(nodes[2]!.port, 'CLUSTER', 'NODES');
      if (!view.includes(' disconnected')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(view).toMatch(/ master - \d+ \d+ 1 connected 0-5460\n/);
    expect(view).toMatch(/ myself,master - \d+ \d+ 3 connected 10923-16383\n/);
    expect(await stopRun(second)).toBe(0);
  }, 180_000);
});
