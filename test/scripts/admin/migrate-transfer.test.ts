/**
 * `shardis migrate --method transfer` (WATCH + DUMP on the source, RESTORE
 * on the target, MULTI DEL EXEC on the source), on a Shardis cluster and on
 * a real Redis 7 cluster: every type and TTL arrives intact and leaves the
 * source; a write or a delete between DUMP and EXEC is not lost; a run cut
 * between RESTORE and DEL, or killed midway, and run again ends with every
 * key exactly once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisAvailable } from '../../helpers/servers.js';
import { keySlot } from '../../../src/router/slot.js';
import { redisCli, startRedisCluster, startShardisCluster, type RunningCluster } from '../../client/helpers/redis-cluster.js';
import { addr, cli, cliJson, missingKeys, ownerPortOf, startCli, writeKeys } from './helpers.js';
import { AdminConnection } from '../../../scripts/admin/conn.js';
import { findNode, loadCluster } from '../../../scripts/admin/view.js';
import { planMigration, runMigration, type MigrateOptions, type MigrateResult } from '../../../scripts/admin/migrate.js';
import { Progress } from '../../../scripts/admin/progress.js';

/** `n` hash tags `{x}` whose slots node `port` owns, one per slot. */
function tagsOwnedBy(c: RunningCluster, port: number, n: number, salt: string): { tag: string; slot: number }[] {
  const out: { tag: string; slot: number }[] = [];
  const seen = new Set<number>();
  for (let i = 0; out.length < n; i++) {
    const tag = `${salt}${i}`;
    const s = keySlot(tag);
    if (seen.has(s) || ownerPortOf(c, s) !== port) continue;
    seen.add(s);
    out.push({ tag: `{${tag}}`, slot: s });
  }
  return out;
}

const count = (port: number, slot: number): number => Number(redisCli(port, 'CLUSTER', 'COUNTKEYSINSLOT', String(slot)));

/** Runs runMigration in this process (for the test hook); rejects as the CLI would fail. */
async function migrateInProcess(c: RunningCluster, from: number, to: number, slots: number[], extra: Partial<MigrateOptions>): Promise<MigrateResult> {
  const view = await loadCluster(addr(c.ports[0]!));
  try {
    const source = findNode(view, addr(from));
    const target = findNode(view, addr(to));
    const plan = await planMigration(view, source, target, { slots });
    const opts: MigrateOptions = { batch: 10, pipeline: 2, parallel: 2, rate: 0, timeout: 60000, replace: false, method: 'transfer', ...extra };
    return await runMigration(view, plan, opts, new Progress(process.stderr, true), { stopped: false }, () => undefined);
  } finally {
    view.close();
  }
}

const kinds = [
  { name: 'a Shardis cluster', start: () => startShardisCluster(3) },
  { name: 'a Redis cluster', start: () => startRedisCluster(3) },
];

describe.runIf(redisAvailable()).each(kinds)('shardis migrate --method transfer on $name', ({ start }) => {
  let c: RunningCluster;
  beforeAll(async () => {
    c = await start();
  }, 90_000);
  afterAll(async () => {
    await c?.stop();
  });

  it('migrate --method transfer moves keys of every type with their TTLs and leaves none on the source', async () => {
    const src = c.ports[1]!;
    const dst = c.ports[2]!;
    const tags = tagsOwnedBy(c, src, 4, 'ty');
    for (const { tag } of tags) {
      redisCli(src, 'SET', `${tag}s`, 'str\x01value');
      redisCli(src, 'SET', `${tag}t`, 'with-ttl', 'PX', '600000');
      redisCli(src, 'HSET', `${tag}h`, 'f1', 'a', 'f2', 'b');
      redisCli(src, 'RPUSH', `${tag}l`, 'x', 'y', 'z');
      redisCli(src, 'SADD', `${tag}e`, 'm1', 'm2');
      redisCli(src, 'ZADD', `${tag}z`, '1.5', 'a', '2', 'b');
      redisCli(src, 'PEXPIRE', `${tag}z`, '500000');
      for (let i = 0; i < 30; i++) redisCli(src, 'SET', `${tag}n${i}`, `v${i}`);
    }
    const slots = tags.map((t) => t.slot).sort((a, b) => a - b);
    const { code, json } = await cliJson<MigrateResult>('migrate', '--from', addr(src), '--to', addr(dst), '--slots', slots.join(','), '--method', 'transfer', '--batch', '7', '--yes');
    expect(code).toBe(0);
    expect(json.slotsMoved).toEqual(slots);
    expect(json.keysMoved).toBe(36 * tags.length);
    // Each key's name (at least 5 bytes) and its DUMP payload (at least 12 bytes) were counted.
    expect(json.bytesMoved).toBeGreaterThan(36 * tags.length * 17);
    for (const { tag, slot } of tags) {
      expect(count(src, slot)).toBe(0);
      expect(count(dst, slot)).toBe(36);
      for (const p of c.ports) expect(ownerPortOf(c, slot, p)).toBe(dst);
      expect(redisCli(dst, 'GET', `${tag}s`)).toBe('str\x01value');
      expect(redisCli(dst, 'PTTL', `${tag}s`)).toBe('-1');
      const ttl = Number(redisCli(dst, 'PTTL', `${tag}t`));
      expect(ttl).toBeGreaterThan(500_000);
      expect(ttl).toBeLessThanOrEqual(600_000);
      expect(redisCli(dst, 'HGETALL', `${tag}h`)).toBe('f1\na\nf2\nb');
      expect(redisCli(dst, 'LRANGE', `${tag}l`, '0', '-1')).toBe('x\ny\nz');
      expect(redisCli(dst, 'SMEMBERS', `${tag}e`).split('\n').sort()).toEqual(['m1', 'm2']);
      expect(redisCli(dst, 'ZRANGE', `${tag}z`, '0', '-1', 'WITHSCORES')).toBe('a\n1.5\nb\n2');
      expect(Number(redisCli(dst, 'PTTL', `${tag}z`))).toBeGreaterThan(400_000);
      expect(redisCli(dst, 'GET', `${tag}n29`)).toBe('v29');
    }
    expect((await cli('check', addr(c.ports[0]!))).code).toBe(0);
  }, 60_000);

  it('runMigration with method transfer keeps a write and a delete made between DUMP and EXEC', async () => {
    const src = c.ports[0]!;
    const dst = c.ports[1]!;
    const [{ tag, slot }] = tagsOwnedBy(c, src, 1, 'wr');
    for (let i = 0; i < 25; i++) redisCli(src, 'SET', `${tag}k${i}`, `old${i}`);
    const writer = await AdminConnection.open('127.0.0.1', src);
    let hooks = 0;
    try {
      await migrateInProcess(c, src, dst, [slot], {
        batch: 25,
        pipeline: 1,
        async onRestored(s, keys) {
          hooks++;
          if (hooks > 1) return;
          expect(s).toBe(slot);
          expect(keys.length).toBe(25);
          // A client writes on the source, which still serves these keys.
          await writer.call('SET', `${tag}k3`, 'new3');
          await writer.call('DEL', `${tag}k4`);
        },
      });
    } finally {
      writer.close();
    }
    expect(hooks).toBe(2); // the EXEC failed once, the batch was done again
    expect(count(src, slot)).toBe(0);
    expect(count(dst, slot)).toBe(24);
    expect(redisCli(dst, 'GET', `${tag}k3`)).toBe('new3');
    expect(redisCli(dst, 'EXISTS', `${tag}k4`)).toBe('0');
    expect(redisCli(dst, 'GET', `${tag}k5`)).toBe('old5');
  }, 60_000);

  it('runMigration with method transfer keeps a client\'s write on the target to a key the source lost before its RESTORE', async () => {
    const src = c.ports[0]!;
    const dst = c.ports[2]!;
    const [{ tag, slot }] = tagsOwnedBy(c, src, 1, 'race');
    for (let i = 0; i < 20; i++) redisCli(src, 'SET', `${tag}k${i}`, `old${i}`);
    const onSrc = await AdminConnection.open('127.0.0.1', src);
    const onDst = await AdminConnection.open('127.0.0.1', dst);
    let reads = 0;
    try {
      await migrateInProcess(c, src, dst, [slot], {
        batch: 20,
        pipeline: 1,
        async onRead() {
          if (++reads > 1) return;
          // A client deletes the key (the source then answers ASK for it) and writes it again on the target.
          await onSrc.call('DEL', `${tag}k2`);
          await onDst.call('ASKING');
          await onDst.call('SET', `${tag}k2`, 'client');
        },
      });
    } finally {
      onSrc.close();
      onDst.close();
    }
    expect(reads).toBeGreaterThan(1); // the batch went through the careful path
    expect(count(src, slot)).toBe(0);
    expect(count(dst, slot)).toBe(20);
    expect(redisCli(dst, 'GET', `${tag}k2`)).toBe('client');
    expect(redisCli(dst, 'GET', `${tag}k3`)).toBe('old3');
  }, 60_000);

  it('runMigration with method transfer keeps a client\'s write on the target to a key the source lost after its RESTORE', async () => {
    const src = c.ports[1]!;
    const dst = c.ports[0]!;
    const [{ tag, slot }] = tagsOwnedBy(c, src, 1, 'late');
    for (let i = 0; i < 20; i++) redisCli(src, 'SET', `${tag}k${i}`, `old${i}`, 'PX', '900000');
    const onSrc = await AdminConnection.open('127.0.0.1', src);
    const onDst = await AdminConnection.open('127.0.0.1', dst);
    let hooks = 0;
    try {
      await migrateInProcess(c, src, dst, [slot], {
        batch: 20,
        pipeline: 1,
        async onRestored() {
          if (++hooks > 1) return;
          // The restored copy of k6 is overwritten by a client once the source lost the key;
          // k7 is deleted on the source only: its restored copy must go.
          await onSrc.call('DEL', `${tag}k6`, `${tag}k7`);
          await onDst.call('ASKING');
          await onDst.call('SET', `${tag}k6`, 'client');
        },
      });
    } finally {
      onSrc.close();
      onDst.close();
    }
    expect(hooks).toBe(2);
    expect(count(src, slot)).toBe(0);
    expect(count(dst, slot)).toBe(19);
    expect(redisCli(dst, 'GET', `${tag}k6`)).toBe('client');
    expect(redisCli(dst, 'PTTL', `${tag}k6`)).toBe('-1');
    expect(redisCli(dst, 'EXISTS', `${tag}k7`)).toBe('0');
    expect(redisCli(dst, 'GET', `${tag}k8`)).toBe('old8');
    expect(Number(redisCli(dst, 'PTTL', `${tag}k8`))).toBeGreaterThan(800_000);
  }, 60_000);

  it('runMigration with method transfer cut between RESTORE and DEL, and run again, leaves every key once with the source\'s value', async () => {
    const src = c.ports[2]!;
    const dst = c.ports[0]!;
    const [{ tag, slot }] = tagsOwnedBy(c, src, 1, 'cut');
    for (let i = 0; i < 40; i++) redisCli(src, 'SET', `${tag}k${i}`, `v${i}`);
    await expect(migrateInProcess(c, src, dst, [slot], {
      batch: 10,
      pipeline: 1,
      onRestored() {
        throw new Error('killed');
      },
    })).rejects.toThrow('killed');
    // Both nodes hold the first batch; the source's copy is the live one.
    expect(count(src, slot)).toBe(40);
    expect(count(dst, slot)).toBe(10);
    const k = redisCli(src, 'CLUSTER', 'GETKEYSINSLOT', String(slot), '1');
    redisCli(src, 'SET', k, 'changed');
    const { code, json } = await cliJson<MigrateResult>('migrate', '--from', addr(src), '--to', addr(dst), '--slots', String(slot), '--method', 'transfer', '--yes');
    expect(code).toBe(0);
    expect(json.slotsMoved).toEqual([slot]);
    expect(count(src, slot)).toBe(0);
    expect(count(dst, slot)).toBe(40);
    expect(redisCli(dst, 'GET', k)).toBe('changed');
  }, 60_000);

  it('migrate --method transfer killed with SIGKILL midway and run again finishes with every key exactly once', async () => {
    const src = c.ports[1]!;
    const dst = c.ports[0]!;
    const tags = tagsOwnedBy(c, src, 20, 'kill');
    const keys: string[] = [];
    for (const { tag } of tags) keys.push(...(await writeKeys(c, `${tag}`, 30)));
    const slots = tags.map((t) => t.slot).sort((a, b) => a - b);
    const args = ['migrate', '--from', addr(src), '--to', addr(dst), '--slots', slots.join(','), '--method', 'transfer', '--yes'];
    const run = startCli([...args, '--rate', '150', '--batch', '3', '--pipeline', '2', '--parallel', '2']);
    const t0 = Date.now();
    while (!/keys [1-9]\d*\//.test(run.output()) && Date.now() - t0 < 20_000) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 300));
    run.proc.kill('SIGKILL');
    expect((await run.done).code).toBe(null);
    expect(await missingKeys(c, keys)).toEqual([]);
    const again = await cli(...args);
    expect(again.code).toBe(0);
    for (const s of slots) {
      for (const p of c.ports) expect(ownerPortOf(c, s, p)).toBe(dst);
      expect(count(src, s)).toBe(0);
      expect(count(dst, s)).toBe(30);
    }
    expect(await missingKeys(c, keys)).toEqual([]);
    expect((await cli('check', addr(c.ports[0]!))).code).toBe(0);
  }, 90_000);
});
