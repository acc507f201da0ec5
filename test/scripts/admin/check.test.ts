/**
 * `shardis check`, `info`, `map` and `call` against a 3-node Shardis cluster
 * on OS-picked ports holding a few thousand keys.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisAvailable } from '../../helpers/servers.js';
import { redisCli, startShardisCluster, type RunningCluster } from '../../client/helpers/redis-cluster.js';
import { addr, cli, cliJson, writeKeys } from './helpers.js';
import type { CheckResult } from '../../../scripts/admin/check.js';
import type { InfoRow } from '../../../scripts/admin/info.js';
import type { MapRun } from '../../../scripts/admin/map.js';
import type { CallResult } from '../../../scripts/admin/call.js';

describe.runIf(redisAvailable())('shardis check and info on a Shardis cluster', () => {
  let c: RunningCluster;
  beforeAll(async () => {
    c = await startShardisCluster(3);
    await writeKeys(c, 'chk', 2000);
  }, 90_000);
  afterAll(async () => c?.stop());

  it('check passes on a healthy cluster with exit code 0', async () => {
    const r = await cli('check', addr(c.ports[0]!));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('[OK] All 16384 slots covered.');
    expect(r.stdout).toContain('[OK] All nodes agree about slots configuration.');
    expect(r.stdout).toContain('Cluster OK.');
  });

  it('check --json reports every node, no problem', async () => {
    const { code, json } = await cliJson<CheckResult>('check', addr(c.ports[1]!));
    expect(code).toBe(0);
    expect(json.ok).toBe(true);
    expect(json.nodes).toHaveLength(3);
    expect(json.nodes.reduce((n, x) => n + x.slotCount, 0)).toBe(16384);
    expect(json.problems).toEqual([]);
  });

  it('check fails with exit code 1 on an open slot, naming both nodes', async () => {
    const [p0, p1] = [c.ports[0]!, c.ports[1]!];
    const id0 = redisCli(p0, 'CLUSTER', 'MYID');
    const id1 = redisCli(p1, 'CLUSTER', 'MYID');
    // Slot 6000 belongs to the second node (redis-cli create: 5461-10922).
    expect(redisCli(p0, 'CLUSTER', 'SETSLOT', '6000', 'IMPORTING', id1)).toBe('OK');
    expect(redisCli(p1, 'CLUSTER', 'SETSLOT', '6000', 'MIGRATING', id0)).toBe('OK');
    try {
      const { code, json } = await cliJson<CheckResult>('check', addr(p0));
      expect(code).toBe(1);
      expect(json.ok).toBe(false);
      expect(json.openSlots.map((o) => `${o.slot} ${o.state}`).sort()).toEqual(['6000 importing', '6000 migrating']);
      const text = await cli('check', addr(p0));
      expect(text.code).toBe(1);
      expect(text.stdout).toMatch(/has slot 6000 migrating to/);
    } finally {
      redisCli(p0, 'CLUSTER', 'SETSLOT', '6000', 'STABLE');
      redisCli(p1, 'CLUSTER', 'SETSLOT', '6000', 'STABLE');
    }
    expect((await cli('check', addr(p0))).code).toBe(0);
  });

  it('check fails when a node holds keys in a slot it does not own', async () => {
    const p0 = c.ports[0]!;
    // Slot 12182 ("foo") belongs to the third node; write it on the first one while importing, then close the import.
    const id2 = redisCli(c.ports[2]!, 'CLUSTER', 'MYID');
    redisCli(p0, 'CLUSTER', 'SETSLOT', '12182', 'IMPORTING', id2);
    // ASKING makes the importing node accept the write.
    const { RawClient } = await import('../../helpers/resp.js');
    const raw = await RawClient.connect(p0);
    try {
      await raw.text('ASKING');
      expect(await raw.text('SET', 'foo', 'stray')).toBe('+OK\r\n');
    } finally {
      raw.close();
    }
    redisCli(p0, 'CLUSTER', 'SETSLOT', '12182', 'STABLE');
    try {
      const { code, json } = await cliJson<CheckResult>('check', addr(p0));
      expect(code).toBe(1);
      expect(json.wrongSlotKeys).toEqual([{ node: expect.stringContaining(addr(p0)), slot: 12182, keys: 1 }]);
    } finally {
      const raw2 = await RawClient.connect(p0);
      try {
        await raw2.text('CLUSTER', 'SETSLOT', '12182', 'IMPORTING', id2);
        await raw2.text('ASKING');
        await raw2.text('DEL', 'foo');
        await raw2.text('CLUSTER', 'SETSLOT', '12182', 'STABLE');
      } finally {
        raw2.close();
      }
    }
    expect((await cli('check', addr(p0))).code).toBe(0);
  });

  it('info --json gives keys, slots and role per node', async () => {
    const { code, json } = await cliJson<InfoRow[]>('info', addr(c.ports[2]!));
    expect(code).toBe(0);
    expect(json).toHaveLength(3);
    expect(json.every((r) => r.role === 'primary')).toBe(true);
    expect(json.reduce((n, r) => n + (r.keys ?? 0), 0)).toBe(2000);
    expect(json.map((r) => r.slots).sort((a, b) => a - b)).toEqual([5461, 5461, 5462]);
    const text = await cli('info', addr(c.ports[2]!));
    expect(text.stdout).toContain('2000 keys in 3 primaries');
  });

  it('map --json lists the slot runs of the three primaries', async () => {
    const { json } = await cliJson<MapRun[]>('map', addr(c.ports[0]!));
    expect(json.map((r) => [r.start, r.end])).toEqual([[0, 5460], [5461, 10922], [10923, 16383]]);
    expect(json.map((r) => r.addr)).toEqual(c.ports.map(addr));
    const text = await cli('map', addr(c.ports[0]!));
    expect(text.stdout).toMatch(/^0-5460 +A 127\.0\.0\.1:/m);
    expect(text.stdout).not.toContain('\x1b['); // not a TTY: no colour
  });

  it('call runs a command on every primary and prints each reply', async () => {
    const { json } = await cliJson<CallResult[]>('call', addr(c.ports[0]!), 'DBSIZE');
    expect(json).toHaveLength(3);
    expect(json.reduce((n, r) => n + Number(r.reply), 0)).toBe(2000);
    const text = await cli('call', addr(c.ports[0]!), 'PING');
    expect(text.stdout.trim().split('\n')).toEqual([...c.ports].sort((a, b) => a - b).map((p) => `${addr(p)}: "PONG"`));
  });

  it('check on an unreachable node names it and says how to fix it', async () => {
    // The bus port of a node is not a client port; port 1 is never a Shardis node.
    const r = await cli('check', '127.0.0.1:1');
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe('Cannot reach 127.0.0.1:1: connection refused; is the node running?');
  });

  it('every subcommand has --help with examples', async () => {
    for (const sub of ['check', 'info', 'migrate', 'fix', 'map', 'call']) {
      const r = await cli(sub, '--help');
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('Examples:');
    }
  });
});
