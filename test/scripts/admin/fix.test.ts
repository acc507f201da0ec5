/**
 * `shardis fix` on a 3-node Shardis cluster: closes the half-open slot a
 * killed migration leaves, closes one-sided open slots toward the side that
 * holds the keys, and assigns uncovered slots; no key is lost.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisAvailable } from '../../helpers/servers.js';
import { RawClient } from '../../helpers/resp.js';
import { redisCli, startShardisCluster, type RunningCluster } from '../../client/helpers/redis-cluster.js';
import { keySlot } from '../../../src/router/slot.js';
import { addr, cli, cliJson, missingKeys, ownerPortOf, startCli, writeKeys } from './helpers.js';
import type { CheckResult } from '../../../scripts/admin/check.js';

describe.runIf(redisAvailable())('shardis fix on a Shardis cluster', () => {
  let c: RunningCluster;
  let keys: string[];
  let ids: string[];
  beforeAll(async () => {
    c = await startShardisCluster(3);
    // 300 keys in one slot (a hash tag), so that a slow migration of it can be cut midway.
    keys = [...(await writeKeys(c, 'fix', 1500)), ...(await writeKeys(c, '{fixtag}', 300))];
    ids = c.ports.map((p) => redisCli(p, 'CLUSTER', 'MYID'));
  }, 90_000);
  afterAll(async () => c?.stop());

  it('fix closes the half-open slot of a migration killed midway without losing a key', async () => {
    const slot = keySlot('{fixtag}');
    const from = ownerPortOf(c, slot);
    const to = c.ports.find((p) => p !== from)!;
    const run = startCli(['migrate', '--from', addr(from), '--to', addr(to), '--slots', String(slot), '--yes', '--batch', '5', '--pipeline', '1', '--rate', '100']);
    const t0 = Date.now();
    while (!/keys [1-9]\d*\//.test(run.output()) && Date.now() - t0 < 20_000) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 500));
    run.proc.kill('SIGKILL');
    await run.done;
    const before = await cliJson<CheckResult>('check', addr(c.ports[0]!));
    expect(before.code).toBe(1);
    expect(before.json.openSlots.map((o) => o.state).sort()).toEqual(['importing', 'migrating']);
    const left = Number(redisCli(from, 'CLUSTER', 'COUNTKEYSINSLOT', String(slot)));
    expect(left).toBeGreaterThan(0);
    expect(left).toBeLessThan(300);
    expect(await missingKeys(c, keys)).toEqual([]);

    const dry = await cli('fix', addr(c.ports[0]!), '--dry-run');
    expect(dry.stdout).toContain(`slot ${slot}: migrating on ${addr(from)}`);
    expect((await cli('check', addr(c.ports[0]!))).code).toBe(1);

    const fix = await cli('fix', addr(c.ports[0]!), '--yes');
    expect(fix.code).toBe(0);
    for (const p of c.ports) expect(ownerPortOf(c, slot, p)).toBe(to);
    expect(Number(redisCli(to, 'CLUSTER', 'COUNTKEYSINSLOT', String(slot)))).toBe(300);
    expect(Number(redisCli(from, 'CLUSTER', 'COUNTKEYSINSLOT', String(slot)))).toBe(0);
    expect(await missingKeys(c, keys)).toEqual([]);
    expect((await cli('check', addr(c.ports[0]!))).code).toBe(0);
  }, 90_000);

  it('fix makes a slot importing on one side stable when that side holds none of its keys', async () => {
    const slot = 100; // first node's, no key of ours hashes there
    expect(Number(redisCli(c.ports[1]!, 'CLUSTER', 'COUNTKEYSINSLOT', String(slot)))).toBe(0);
    redisCli(c.ports[1]!, 'CLUSTER', 'SETSLOT', String(slot), 'IMPORTING', ids[0]!);
    expect((await cli('check', addr(c.ports[0]!))).code).toBe(1);
    const fix = await cli('fix', addr(c.ports[0]!), '--yes');
    expect(fix.stderr).toContain(`slot ${slot}: importing on ${addr(c.ports[1]!)}`);
    expect(fix.stderr).toContain('SETSLOT STABLE');
    expect(ownerPortOf(c, slot)).toBe(c.ports[0]);
    expect((await cli('check', addr(c.ports[0]!))).code).toBe(0);
  }, 30_000);

  it('fix gives an importing slot to the importing node when only it holds the keys', async () => {
    // A slot of the first node with no key, then one key written to the importing second node with ASKING.
    let slot = 200;
    while (Number(redisCli(c.ports[0]!, 'CLUSTER', 'COUNTKEYSINSLOT', String(slot))) > 0) slot++;
    let key = 'x0';
    for (let i = 0; keySlot(key) !== slot; i++) key = `x${i}`;
    redisCli(c.ports[1]!, 'CLUSTER', 'SETSLOT', String(slot), 'IMPORTING', ids[0]!);
    const raw = await RawClient.connect(c.ports[1]!);
    try {
      await raw.text('ASKING');
      expect(await raw.text('SET', key, `v:${key}`)).toBe('+OK\r\n');
    } finally {
      raw.close();
    }
    const fix = await cli('fix', addr(c.ports[2]!), '--yes');
    expect(fix.code).toBe(0);
    for (const p of c.ports) expect(ownerPortOf(c, slot, p)).toBe(c.ports[1]);
    expect(await missingKeys(c, [...keys, key])).toEqual([]);
    expect((await cli('check', addr(c.ports[0]!))).code).toBe(0);
  }, 30_000);

  it('fix assigns an uncovered slot to a primary', async () => {
    let slot = 16000;
    while (Number(redisCli(ownerPortOf(c, slot), 'CLUSTER', 'COUNTKEYSINSLOT', String(slot))) > 0) slot++;
    // The owner first, so that no node relearns the slot from its gossip.
    const owner0 = ownerPortOf(c, slot);
    redisCli(owner0, 'CLUSTER', 'DELSLOTS', String(slot));
    for (const p of c.ports) if (p !== owner0) redisCli(p, 'CLUSTER', 'DELSLOTS', String(slot));
    for (const p of c.ports) expect(ownerPortOf(c, slot, p)).toBe(-1);
    const before = await cliJson<CheckResult>('check', addr(c.ports[0]!));
    expect(before.code).toBe(1);
    expect(before.json.uncovered).toEqual([slot]);
    const fix = await cli('fix', addr(c.ports[0]!), '--yes');
    expect(fix.code).toBe(0);
    expect(fix.stderr).toContain(`assign 1 uncovered slots (${slot})`);
    const owner = ownerPortOf(c, slot);
    expect(c.ports).toContain(owner);
    for (const p of c.ports) expect(ownerPortOf(c, slot, p)).toBe(owner);
    expect((await cli('check', addr(c.ports[0]!))).code).toBe(0);
  }, 30_000);
});
