/**
 * `shardis create` on fresh Shardis nodes (OS-picked ports): from a list of
 * addresses and from a cluster.json; refuses a node that is not empty.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { redisAvailable } from '../../helpers/servers.js';
import { launch, newNode, stopAll, type ClusterTestNode } from '../../node/cluster/helpers.js';
import { addr, cli, cliJson, missingKeys, writeKeys } from './helpers.js';
import type { InfoRow } from '../../../scripts/admin/info.js';

async function freshNodes(n: number, into: ClusterTestNode[]): Promise<ClusterTestNode[]> {
  const nodes = await Promise.all(Array.from({ length: n }, () => newNode()));
  into.push(...nodes);
  await Promise.all(nodes.map((x) => launch(x)));
  return nodes;
}

describe.runIf(redisAvailable())('shardis create', () => {
  const all: ClusterTestNode[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'shardis-create-'));
  afterAll(async () => {
    await stopAll(all);
    rmSync(dir, { recursive: true, force: true });
  });

  it('create forms a cluster of three primaries that check accepts and clients use', async () => {
    const nodes = await freshNodes(3, all);
    const dry = await cli('create', ...nodes.map((n) => addr(n.port)), '--dry-run');
    expect(dry.stdout).toContain(`M ${addr(nodes[0]!.port)} slots 0-5461 (5462 slots)`);
    const r = await cli('create', ...nodes.map((n) => addr(n.port)), '--yes');
    expect(r.stderr + r.stdout).toContain('[OK] Cluster of 3 nodes created');
    expect(r.code).toBe(0);
    expect((await cli('check', addr(nodes[1]!.port))).code).toBe(0);
    const ports = nodes.map((n) => n.port);
    const keys = await writeKeys({ ports }, 'cr', 300);
    expect(await missingKeys({ ports }, keys)).toEqual([]);
    // A node of a formed cluster is not empty any more.
    const again = await cli('create', ...nodes.map((n) => addr(n.port)), '--yes');
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`${addr(nodes[0]!.port)} is not empty`);
  }, 90_000);

  it('create --from cluster.json takes roles and slots from the file', async () => {
    const nodes = await freshNodes(3, all);
    const file = join(dir, 'cluster.json');
    writeFileSync(file, JSON.stringify({
      host: '127.0.0.1',
      nodes: [
        { port: nodes[0]!.port, role: 'primary', slots: '0-999' },
        { port: nodes[1]!.port, role: 'primary' },
        { port: nodes[2]!.port, role: 'primary' },
      ],
    }));
    const r = await cli('create', '--from', file, '--yes');
    expect(r.code).toBe(0);
    const { json } = await cliJson<InfoRow[]>('info', addr(nodes[0]!.port));
    const slots = new Map(json.map((x) => [x.addr, x.ranges]));
    expect(slots.get(addr(nodes[0]!.port))).toBe('0-999');
    expect(slots.get(addr(nodes[1]!.port))).toBe('1000-8691');
    expect(slots.get(addr(nodes[2]!.port))).toBe('8692-16383');
    expect((await cli('check', addr(nodes[2]!.port))).code).toBe(0);
  }, 90_000);

  it('create --replicas 1 makes three primaries with one replica each', async () => {
    const nodes = await freshNodes(6, all);
    const r = await cli('create', ...nodes.map((n) => addr(n.port)), '--replicas', '1', '--yes');
    expect(r.code).toBe(0);
    const { json } = await cliJson<InfoRow[]>('info', addr(nodes[0]!.port));
    expect(json.filter((x) => x.role === 'primary').map((x) => x.replicas)).toEqual([1, 1, 1]);
    expect(json.filter((x) => x.role === 'replica')).toHaveLength(3);
    expect((await cli('check', addr(nodes[0]!.port))).code).toBe(0);
  }, 90_000);

  it('create refuses fewer than three primaries', async () => {
    const r = await cli('create', '127.0.0.1:1', '127.0.0.1:2', '--yes');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('A cluster needs at least 3 primaries');
  });
});
