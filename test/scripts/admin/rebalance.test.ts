/**
 * `shardis rebalance` on a 3-node Shardis cluster: nothing to do on an even
 * cluster, evens it out again after slots were moved, honours --weight, and
 * loses no key.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisAvailable } from '../../helpers/servers.js';
import { startShardisCluster, type RunningCluster } from '../../client/helpers/redis-cluster.js';
import { addr, cli, cliJson, missingKeys, writeKeys } from './helpers.js';
import type { InfoRow } from '../../../scripts/admin/info.js';

describe.runIf(redisAvailable())('shardis rebalance on a Shardis cluster', () => {
  let c: RunningCluster;
  let keys: string[];
  beforeAll(async () => {
    c = await startShardisCluster(3);
    keys = await writeKeys(c, 'reb', 2000);
  }, 90_000);
  afterAll(async () => c?.stop());

  const slotsPerNode = async (): Promise<Map<string, number>> => {
    const { json } = await cliJson<InfoRow[]>('info', addr(c.ports[0]!));
    return new Map(json.map((r) => [r.addr, r.slots]));
  };

  it('rebalance has nothing to do on an even cluster', async () => {
    const r = await cli('rebalance', addr(c.ports[0]!));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Nothing to do');
  });

  it('rebalance evens out the slots after a migration, keeping every key', async () => {
    const m = await cli('migrate', '--from', addr(c.ports[0]!), '--to', addr(c.ports[1]!), '--slots', '0-299', '--yes');
    expect(m.code).toBe(0);
    const dry = await cli('rebalance', addr(c.ports[0]!), '--dry-run');
    expect(dry.stdout).toContain('move 300 slots');
    expect((await slotsPerNode()).get(addr(c.ports[0]!))).toBe(5161);
    const r = await cli('rebalance', addr(c.ports[0]!), '--yes');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Rebalanced: moved 300 slots');
    expect([...(await slotsPerNode()).values()].sort((a, b) => a - b)).toEqual([5461, 5461, 5462]);
    expect(await missingKeys(c, keys)).toEqual([]);
    expect((await cli('check', addr(c.ports[0]!))).code).toBe(0);
  }, 60_000);

  it('rebalance --weight gives a node a larger share (dry run)', async () => {
    const { code, json } = await cliJson<{ shares: { node: string; target: number }[]; moves: { slots: number[] }[] }>('rebalance', addr(c.ports[0]!), '--weight', `${addr(c.ports[2]!)}=2`, '--dry-run');
    expect(code).toBe(0);
    expect(json.shares.find((s) => s.node === addr(c.ports[2]!))!.target).toBe(8192);
    expect(json.shares.reduce((n, s) => n + s.target, 0)).toBe(16384);
    expect(json.moves.reduce((n, m) => n + m.slots.length, 0)).toBeGreaterThan(2700);
  });
});
