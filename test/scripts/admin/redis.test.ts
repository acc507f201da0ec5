/**
 * The admin CLI against a real Redis 7 cluster (3 primaries on OS-picked
 * ports): check, info, migrate (also killed midway and resumed), fix and
 * rebalance behave as on Shardis.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisAvailable } from '../../helpers/servers.js';
import { redisCli, startRedisCluster, type RunningCluster } from '../../client/helpers/redis-cluster.js';
import { keySlot } from '../../../src/router/slot.js';
import { addr, cli, cliJson, missingKeys, ownerPortOf, startCli, writeKeys } from './helpers.js';
import type { CheckResult } from '../../../scripts/admin/check.js';
import type { InfoRow } from '../../../scripts/admin/info.js';
import type { MigrateResult } from '../../../scripts/admin/migrate.js';

describe.runIf(redisAvailable())('shardis on a Redis 7 cluster', () => {
  let c: RunningCluster;
  let keys: string[];
  beforeAll(async () => {
    c = await startRedisCluster(3);
    keys = [...(await writeKeys(c, 'rk', 2000)), ...(await writeKeys(c, '{rtag}', 300))];
  }, 90_000);
  afterAll(async () => c?.stop());

  it('check passes on a healthy Redis cluster', async () => {
    const { code, json } = await cliJson<CheckResult>('check', addr(c.ports[0]!));
    expect(json.problems).toEqual([]);
    expect(code).toBe(0);
  });

  it('info reports every key and slot of the Redis cluster', async () => {
    const { code, json } = await cliJson<InfoRow[]>('info', addr(c.ports[0]!));
    expect(code).toBe(0);
    expect(json.reduce((n, r) => n + (r.keys ?? 0), 0)).toBe(2300);
    expect(json.reduce((n, r) => n + r.slots, 0)).toBe(16384);
  });

  it('migrate --slots moves every key on Redis and check passes afterwards', async () => {
    const from = ownerPortOf(c, 6000);
    const to = c.ports.find((p) => p !== from)!;
    const { code, json } = await cliJson<MigrateResult>('migrate', '--from', addr(from), '--to', addr(to), '--slots', '6000-6199', '--yes');
    expect(code).toBe(0);
    expect(json.slotsMoved).toHaveLength(200);
    for (const p of c.ports) expect(ownerPortOf(c, 6100, p)).toBe(to);
    for (const s of [6000, 6100, 6199]) expect(Number(redisCli(from, 'CLUSTER', 'COUNTKEYSINSLOT', String(s)))).toBe(0);
    expect(await missingKeys(c, keys)).toEqual([]);
    expect((await cli('check', addr(c.ports[0]!))).code).toBe(0);
  }, 60_000);

  it('migrate killed with SIGKILL on Redis leaves an open slot that check reports and fix closes', async () => {
    const slot = keySlot('{rtag}');
    const from = ownerPortOf(c, slot);
    const to = c.ports.find((p) => p !== from)!;
    const run = startCli(['migrate', '--from', addr(from), '--to', addr(to), '--slots', String(slot), '--yes', '--batch', '5', '--pipeline', '1', '--rate', '100']);
    const t0 = Date.now();
    while (!/keys [1-9]\d*\//.test(run.output()) && Date.now() - t0 < 20_000) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 300));
    run.proc.kill('SIGKILL');
    await run.done;
    const before = await cliJson<CheckResult>('check', addr(c.ports[0]!));
    expect(before.code).toBe(1);
    expect(before.json.openSlots.map((o) => `${o.slot} ${o.state}`).sort()).toEqual([`${slot} importing`, `${slot} migrating`]);
    expect(await missingKeys(c, keys)).toEqual([]);
    const fix = await cli('fix', addr(c.ports[0]!), '--yes');
    expect(fix.code).toBe(0);
    for (const p of c.ports) expect(ownerPortOf(c, slot, p)).toBe(to);
    expect(Number(redisCli(to, 'CLUSTER', 'COUNTKEYSINSLOT', String(slot)))).toBe(300);
    expect(await missingKeys(c, keys)).toEqual([]);
    expect((await cli('check', addr(c.ports[0]!))).code).toBe(0);
  }, 60_000);

  it('migrate killed midway on Redis and run again finishes with every key present', async () => {
    const from = ownerPortOf(c, 12000);
    const to = c.ports.find((p) => p !== from)!;
    const args = ['migrate', '--from', addr(from), '--to', addr(to), '--slots', '11000-12999', '--yes'];
    const run = startCli([...args, '--rate', '150', '--batch', '2', '--pipeline', '1']);
    const t0 = Date.now();
    while (!/keys [1-9]\d*\//.test(run.output()) && Date.now() - t0 < 20_000) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 300));
    run.proc.kill('SIGKILL');
    await run.done;
    expect(await missingKeys(c, keys)).toEqual([]);
    const again = await cli(...args);
    expect(again.code).toBe(0);
    for (const p of c.ports) expect(ownerPortOf(c, 12999, p)).toBe(to);
    expect(await missingKeys(c, keys)).toEqual([]);
    expect((await cli('check', addr(c.ports[0]!))).code).toBe(0);
  }, 90_000);

  it('rebalance evens out the Redis cluster after the migrations, keeping every key', async () => {
    const r = await cli('rebalance', addr(c.ports[0]!), '--yes');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Rebalanced: moved \d+ slots/);
    const { json } = await cliJson<InfoRow[]>('info', addr(c.ports[0]!));
    expect(json.map((x) => x.slots).sort((a, b) => a - b)).toEqual([5461, 5461, 5462]);
    expect(await missingKeys(c, keys)).toEqual([]);
    expect((await cli('check', addr(c.ports[0]!))).code).toBe(0);
  }, 90_000);
});
