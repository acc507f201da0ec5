/**
 * `shardis migrate` on a 3-node Shardis cluster holding a few thousand keys:
 * moves every key of the chosen slots, leaves each key only on its new
 * owner, and finishes the job when run again after a SIGKILL midway.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisAvailable } from '../../helpers/servers.js';
import { redisCli, startShardisCluster, type RunningCluster } from '../../client/helpers/redis-cluster.js';
import { addr, cli, cliJson, keysPerSlot, missingKeys, ownerPortOf, startCli, writeKeys } from './helpers.js';
import type { MigrateResult } from '../../../scripts/admin/migrate.js';

describe.runIf(redisAvailable())('shardis migrate on a Shardis cluster', () => {
  let c: RunningCluster;
  let keys: string[];
  beforeAll(async () => {
    c = await startShardisCluster(3);
    keys = await writeKeys(c, 'mig', 3000);
  }, 90_000);
  afterAll(async () => c?.stop());

  it('migrate --dry-run prints the plan and changes nothing', async () => {
    const r = await cli('migrate', '--from', addr(c.ports[1]!), '--to', addr(c.ports[2]!), '--slots', '5461-5470', '--dry-run');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Moving 10 slots (5461-5470)');
    expect(r.stdout).toContain('dry run: nothing changed');
    expect(ownerPortOf(c, 5461)).toBe(c.ports[1]);
    expect(redisCli(c.ports[1]!, 'CLUSTER', 'NODES')).not.toContain('->-');
  });

  it('migrate without --yes and without a TTY refuses and changes nothing', async () => {
    const r = await cli('migrate', '--from', addr(c.ports[1]!), '--to', addr(c.ports[2]!), '--slots', '5461');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('pass --yes');
    expect(ownerPortOf(c, 5461)).toBe(c.ports[1]);
  });

  it('migrate --slots moves every key of the slots to the target, readable through the ClusterClient', async () => {
    const bySlot = keysPerSlot(keys);
    const slots = [5461, 5462, 5463, 5500, 6000, 6001, 6002, 6003, 6004, 6005];
    const moving = slots.flatMap((s) => bySlot.get(s) ?? []);
    expect(moving.length).toBeGreaterThan(0);
    const { code, json } = await cliJson<MigrateResult>('migrate', '--from', addr(c.ports[1]!), '--to', c.ports[2]!.toString(), '--slots', '5461-5463,5500,6000-6005', '--yes', addr(c.ports[0]!));
    expect(code).toBe(0);
    expect(json.slotsMoved).toEqual(slots);
    expect(json.keysMoved).toBe(moving.length);
    for (const s of slots) {
      for (const p of c.ports) expect(ownerPortOf(c, s, p)).toBe(c.ports[2]);
      expect(Number(redisCli(c.ports[1]!, 'CLUSTER', 'COUNTKEYSINSLOT', String(s)))).toBe(0);
      expect(Number(redisCli(c.ports[2]!, 'CLUSTER', 'COUNTKEYSINSLOT', String(s)))).toBe(bySlot.get(s)?.length ?? 0);
    }
    expect(await missingKeys(c, keys)).toEqual([]);
    expect((await cli('check', addr(c.ports[0]!))).code).toBe(0);
    // Running it again has nothing left to do.
    const again = await cli('migrate', '--from', addr(c.ports[1]!), '--to', addr(c.ports[2]!), '--slots', '5461-5463,5500,6000-6005', '--yes');
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('Nothing to do');
  }, 60_000);

  it('migrate --count moves that many slots of the source, by node id', async () => {
    const fromId = redisCli(c.ports[0]!, 'CLUSTER', 'MYID');
    const toId = redisCli(c.ports[1]!, 'CLUSTER', 'MYID');
    const { code, json } = await cliJson<MigrateResult>('migrate', addr(c.ports[2]!), '--from', fromId.slice(0, 10), '--to', toId, '--count', '50', '--yes', '--parallel', '8', '--batch', '7');
    expect(code).toBe(0);
    expect(json.slotsMoved).toEqual(Array.from({ length: 50 }, (_, i) => i));
    for (let s = 0; s < 50; s++) expect(ownerPortOf(c, s, c.ports[2]!)).toBe(c.ports[1]);
    expect(await missingKeys(c, keys)).toEqual([]);
    expect((await cli('check', addr(c.ports[0]!))).code).toBe(0);
  }, 60_000);

  it('migrate killed with SIGKILL midway and run again finishes with every key present', async () => {
    const args = ['migrate', '--from', addr(c.ports[1]!), '--to', addr(c.ports[0]!), '--slots', '7000-8999', '--yes', '--rate', '150', '--batch', '2', '--pipeline', '1'];
    const run = startCli(args);
    // Wait until some keys moved, then kill it without warning.
    const t0 = Date.now();
    while (!/keys [1-9]\d*\//.test(run.output()) && Date.now() - t0 < 20_000) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 300));
    run.proc.kill('SIGKILL');
    const killed = await run.done;
    expect(killed.code).toBe(null);
    // Midway: some slots moved, some not, possibly some open; nothing lost.
    const owners = [7000, 8999].map((s) => ownerPortOf(c, s));
    expect(owners).toEqual([c.ports[0], c.ports[1]]);
    expect(await missingKeys(c, keys)).toEqual([]);
    const again = await cli(...args.filter((a, i) => a !== '--rate' && args[i - 1] !== '--rate'));
    expect(again.stderr).toMatch(/Moving \d+ slots/);
    expect(again.code).toBe(0);
    for (const s of [7000, 7500, 8999]) for (const p of c.ports) expect(ownerPortOf(c, s, p)).toBe(c.ports[0]);
    expect(await missingKeys(c, keys)).toEqual([]);
    const check = await cli('check', addr(c.ports[0]!));
    expect(check.stdout).toContain('Cluster OK.');
  }, 90_000);

  it('migrate stops at a safe point on SIGINT and prints how to resume', async () => {
    const args = ['migrate', '--from', addr(c.ports[2]!), '--to', addr(c.ports[1]!), '--slots', '11000-12999', '--yes', '--rate', '100'];
    const run = startCli(args);
    const t0 = Date.now();
    while (!/keys [1-9]\d*\//.test(run.output()) && Date.now() - t0 < 20_000) await new Promise((r) => setTimeout(r, 50));
    run.proc.kill('SIGINT');
    const r = await run.done;
    expect(r.code).toBe(130);
    expect(r.stdout).toContain('Stopped at a safe point');
    expect(r.stdout).toContain(`Resume with: shardis migrate --from ${addr(c.ports[2]!)}`);
    expect(await missingKeys(c, keys)).toEqual([]);
    const again = await cli(...args.slice(0, -2));
    expect(again.code).toBe(0);
    expect(await missingKeys(c, keys)).toEqual([]);
    expect((await cli('check', addr(c.ports[0]!))).code).toBe(0);
  }, 90_000);

  it('migrate names a slot the source does not own', async () => {
    const r = await cli('migrate', '--from', addr(c.ports[1]!), '--to', addr(c.ports[2]!), '--slots', '100', '--yes');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^Slot 100 belongs to [0-9a-f]{8}, not to 127\.0\.0\.1:\d+ \([0-9a-f]{8}\)/);
  });
});
