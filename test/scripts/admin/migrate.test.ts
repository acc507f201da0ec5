/**
 * `shardis migrate` on a 3-node Shardis cluster holding a few thousand keys:
 * moves every key of the chosen slots, leaves each key only on its new
 * owner, and finishes the job when run again after a SIGKILL midway; a
 * `--count` run run again works on the slots it first picked.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisAvailable } from '../../helpers/servers.js';
import { keySlot } from '../../../src/router/slot.js';
import { redisCli, startShardisCluster, type RunningCluster } from '../../client/helpers/redis-cluster.js';
import { addr, cli, cliJson, keysPerSlot, missingKeys, ownerPortOf, startCli, writeKeys } from './helpers.js';
import type { MigrateResult } from '../../../scripts/admin/migrate.js';

/** Slots node `port` owns in its own view, ascending. */
function ownSlots(port: number): number[] {
  const me = redisCli(port, 'CLUSTER', 'NODES').split('\n').find((l) => l.includes('myself'))!.trim().split(' ');
  return me.slice(8).filter((r) => /^\d+(-\d+)?$/.test(r)).flatMap((r) => {
    const [a, b = a] = r.split('-').map(Number) as [number, number?];
    return Array.from({ length: b! - a + 1 }, (_, i) => a + i);
  });
}

/** A hash tag per slot: keys `{tag}:i` all hash to that slot. */
function tagsFor(slots: number[]): Map<number, string> {
  const out = new Map<number, string>();
  const want = new Set(slots);
  for (let i = 0; out.size < want.size; i++) {
    const s = keySlot(`t${i}`);
    if (want.has(s) && !out.has(s)) out.set(s, `{t${i}}`);
  }
  return out;
}

describe.runIf(redisAvailable())('shardis migrate on a Shardis cluster', () => {
  let c: RunningCluster;
  let keys: string[];
  // --count records its pick here (the CLI children inherit the variable).
  const stateDir = mkdtempSync(join(tmpdir(), 'shardis-state-'));
  process.env.SHARDIS_STATE_DIR = stateDir;
  beforeAll(async () => {
    c = await startShardisCluster(3);
    keys = await writeKeys(c, 'mig', 3000);
  }, 90_000);
  afterAll(async () => {
    await c?.stop();
    rmSync(stateDir, { recursive: true, force: true });
  });

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

  it('migrate --count run again after it finished moves no more slots; --fresh picks new ones', async () => {
    const fromId = redisCli(c.ports[0]!, 'CLUSTER', 'MYID');
    const toId = redisCli(c.ports[1]!, 'CLUSTER', 'MYID');
    expect(readdirSync(stateDir)).toEqual([`migrate-${fromId}-${toId}.json`]);
    const args = ['migrate', addr(c.ports[2]!), '--from', fromId.slice(0, 10), '--to', toId, '--count', '50', '--yes'];
    const again = await cli(...args);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('Nothing to do');
    expect(again.stderr).toContain('Moving 0 slots (none)');
    expect(again.stderr).toContain('already on the target: 0-49');
    expect(again.stderr).toMatch(/--count 50: the slots picked by the run of \S+ \(recorded in \S+\); pass --fresh to pick 50 new ones/);
    for (const p of c.ports) expect(ownerPortOf(c, 50, p)).toBe(c.ports[0]);
    const fresh = await cli(...args, '--fresh', '--dry-run');
    expect(fresh.code).toBe(0);
    expect(fresh.stdout).toContain('Moving 50 slots (50-99)');
    // Another count is another run: a new pick.
    const other = await cli(...args.slice(0, -2), '20', '--dry-run');
    expect(other.stdout).toContain('Moving 20 slots (50-69)');
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

  it('migrate --count killed midway and run twice more moves exactly N slots in total: the open ones are finished, no more are taken', async () => {
    const src = c.ports[2]!;
    const dst = c.ports[0]!;
    const before = ownSlots(src);
    const pick = before.slice(0, 30);
    // 40 keys in each slot of the pick, so that the run can be cut midway.
    const tagged: string[] = [];
    for (const [, tag] of tagsFor(pick)) tagged.push(...(await writeKeys(c, tag, 40)));
    const args = ['migrate', '--from', addr(src), '--to', addr(dst), '--count', '30', '--yes'];
    const run = startCli([...args, '--rate', '100', '--batch', '2', '--pipeline', '1', '--parallel', '2']);
    const t0 = Date.now();
    while (!/slots ([3-9]|[12]\d)\/30/.test(run.output()) && Date.now() - t0 < 30_000) await new Promise((r) => setTimeout(r, 50));
    run.proc.kill('SIGKILL');
    await run.done;
    const midway = ownSlots(src);
    expect(before.length - midway.length).toBeGreaterThanOrEqual(3);
    expect(before.length - midway.length).toBeLessThan(30);
    expect(await missingKeys(c, tagged)).toEqual([]);
    const again = await cli(...args);
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/--count 30: the slots picked by the run of/);
    // Exactly the 30 slots of the first pick moved; the next one stayed.
    expect(ownSlots(src)).toEqual(before.slice(30));
    for (const s of [pick[0]!, pick[29]!]) for (const p of c.ports) expect(ownerPortOf(c, s, p)).toBe(dst);
    const third = await cli(...args);
    expect(third.code).toBe(0);
    expect(third.stdout).toContain('Nothing to do');
    expect(ownSlots(src)).toEqual(before.slice(30));
    expect(await missingKeys(c, [...keys, ...tagged])).toEqual([]);
    expect((await cli('check', addr(c.ports[0]!))).code).toBe(0);
  }, 120_000);

  it('migrate names a slot the source does not own', async () => {
    const r = await cli('migrate', '--from', addr(c.ports[1]!), '--to', addr(c.ports[2]!), '--slots', '100', '--yes');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^Slot 100 belongs to [0-9a-f]{8}, not to 127\.0\.0\.1:\d+ \([0-9a-f]{8}\)/);
  });
});
