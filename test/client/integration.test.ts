/**
 * Integration suite: ClusterClient against real clusters of 3 primaries.
 * Parameterised over cluster factories so that the same suite runs against
 * every implementation: adding Shardis is one line in CLUSTERS. Each suite
 * also runs in RESP3 and RESP2.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { ClusterClient, CrossSlotError } from 'shardis/client';
import { redisAvailable } from '../helpers/servers.js';
import { startRedisCluster, startShardisCluster, moveSlot, ownerPort, type ClusterFactory, type RunningCluster } from './helpers/redis-cluster.js';
import { keySlot } from '../../src/router/slot.js';

const CLUSTERS: ClusterFactory[] = [
  { name: 'Redis 7', available: redisAvailable, start: startRedisCluster },
  { name: 'Shardis', available: () => redisAvailable(), start: startShardisCluster },
];

for (const factory of CLUSTERS) {
  describe.runIf(factory.available())(`ClusterClient on ${factory.name}`, () => {
    let cluster: RunningCluster;
    beforeAll(async () => {
      cluster = await factory.start(3);
    }, 60_000);
    afterAll(async () => cluster?.stop());

    for (const protocol of [3, 2] as const) {
      describe(`RESP${protocol}`, () => {
        let client: ClusterClient;
        const p = `r${protocol}:`;
        beforeAll(async () => {
          client = new ClusterClient({ seeds: [cluster.seeds[0]!], protocol });
          await client.connect();
        });
        afterAll(async () => client?.close());

        it('SET and GET round-trip every byte value through the Buffer variants', async () => {
          const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
          expect(await client.set(Buffer.from(`${p}bin\xff`, 'latin1'), bytes)).toBe('OK');
          expect(await client.getBuffer(Buffer.from(`${p}bin\xff`, 'latin1'))).toEqual(bytes);
          expect(await client.set(`${p}utf`, 'héllo ✓')).toBe('OK');
          expect(await client.get(`${p}utf`)).toBe('héllo ✓');
          expect(await client.strlen(`${p}utf`)).toBe(Buffer.byteLength('héllo ✓'));
        });

        it('MSET, MGET, EXISTS, TOUCH, UNLINK and DEL split keys over all slots and keep order', async () => {
          const keys = Array.from({ length: 40 }, (_, i) => `${p}m${i}`);
          expect(await client.mset(keys.map((k, i) => [k, String(i)] as const))).toBe('OK');
          expect(await client.mget([...keys, `${p}missing`])).toEqual([...keys.map((_, i) => String(i)), null]);
          expect(await client.exists(...keys, `${p}missing`, keys[0]!)).toBe(41);
          expect(await client.touch(...keys)).toBe(40);
          expect(await client.unlink(...keys.slice(0, 10))).toBe(10);
          expect(await client.del(...keys)).toBe(30);
        });

        it('lists, hashes, sets and sorted sets return the same shapes', async () => {
          expect(await client.rpush(`${p}l`, 'a', 'b', 'c')).toBe(3);
          expect(await client.lrange(`${p}l`, 0, -1)).toEqual(['a', 'b', 'c']);
          expect(await client.lpop(`${p}l`)).toBe('a');
          expect(await client.hset(`${p}h`, { f: '1', __proto__x: '2' })).toBe(2);
          expect({ ...(await client.hgetall(`${p}h`)) }).toEqual({ f: '1', __proto__x: '2' });
          expect(await client.hincrbyfloat(`${p}h`, 'f', 0.5)).toBe(1.5);
          expect(await client.hexists(`${p}h`, 'f')).toBe(true);
          expect(await client.sadd(`${p}s`, 'x', 'y')).toBe(2);
          expect((await client.smembers(`${p}s`)).sort()).toEqual(['x', 'y']);
          expect(await client.sismember(`${p}s`, 'x')).toBe(true);
          expect(await client.zadd(`${p}z`, [{ score: 1, member: 'a' }, { score: 2.5, member: 'b' }])).toBe(2);
          expect(await client.zrangeWithScores(`${p}z`, 0, -1)).toEqual([{ member: 'a', score: 1 }, { member: 'b', score: 2.5 }]);
          expect(await client.zscore(`${p}z`, 'b')).toBe(2.5);
          expect(await client.zincrby(`${p}z`, 1, 'a')).toBe(2);
          expect(await client.zpopmin(`${p}z`)).toEqual([{ member: 'a', score: 2 }]);
        });

        it('pipeline() over all nodes returns results in request order', async () => {
          const pl = client.pipeline();
          for (let i = 0; i < 30; i++) pl.set(`${p}pl${i}`, String(i)).get(`${p}pl${i}`);
          const r = await pl.exec();
          expect(r).toEqual(Array.from({ length: 30 }, (_, i) => ['OK', String(i)]).flat());
        });

        it('multi() runs on one slot and refuses a second slot locally', async () => {
          expect(await client.multi().set(`{${p}tx}a`, '1').incr(`{${p}tx}b`).get(`{${p}tx}a`).exec()).toEqual(['OK', 1, '1']);
          await expect(client.multi().set(`${p}a`, '1').set(`${p}b`, '1').exec()).rejects.toBeInstanceOf(CrossSlotError);
        });

        it('call() runs commands unknown to the command table, following MOVED', async () => {
          expect(await client.call('HSET', `${p}call`, 'f', 'v')).toBe(1);
          expect(await client.call('HGET', `${p}call`, 'f')).toBe('v');
          expect(await client.sendCommand(['GET', `${p}utf`], { asBuffer: true })).toEqual(Buffer.from('héllo ✓'));
        });
      });
    }

    it('scanIterator() and forEachPrimary() see every key exactly once', async () => {
      const client = new ClusterClient({ seeds: cluster.seeds });
      try {
        await client.forEachPrimary((n) => n.call('FLUSHALL'));
        const keys = Array.from({ length: 300 }, (_, i) => `scan:${i}`);
        await client.mset(keys.map((k) => [k, 'v'] as const));
        const seen: string[] = [];
        for await (const k of client.scanIterator({ count: 50 })) seen.push(k);
        expect(seen.sort()).toEqual([...keys].sort());
        const sizes = await client.forEachPrimary((n) => n.call('DBSIZE') as Promise<number>);
        expect(sizes.reduce((a, b) => a + b, 0)).toBe(300);
        expect(sizes).toHaveLength(3);
      } finally {
        await client.close();
      }
    });

    it('GET and SET keep working through a real slot migration (ASK mid-way, MOVED after)', async () => {
      const client = new ClusterClient({ seeds: cluster.seeds, refreshInterval: 0 });
      try {
        const slot = keySlot('mig');
        const keys = ['{mig}1', '{mig}2', '{mig}3', '{mig}4'];
        await client.mset(keys.map((k) => [k, k] as const));
        const from = ownerPort(cluster, slot);
        const to = cluster.ports.find((x) => x !== from)!;
        await moveSlot(cluster, slot, to, async () => {
          expect(await client.mget(keys.slice(0, 1))).toEqual(keys.slice(0, 1));
          for (const k of keys) expect(await client.get(k)).toBe(k);
          expect(await client.set('{mig}new', 'n')).toBe('OK');
        });
        for (const k of keys) expect(await client.get(k)).toBe(k);
        expect(await client.get('{mig}new')).toBe('n');
        expect(client.shardOf(slot)!.primary.port).toBe(to);
      } finally {
        await client.close();
      }
    }, 60_000);

    it('scanIterator() stays correct while slots move during the scan', async () => {
      const client = new ClusterClient({ seeds: cluster.seeds, refreshInterval: 0 });
      try {
        await client.forEachPrimary((n) => n.call('FLUSHALL'));
        const keys = Array.from({ length: 200 }, (_, i) => `{s${i % 20}}k${i}`);
        await client.mset(keys.map((k) => [k, 'v'] as const));
        const seen: string[] = [];
        let moved = 0;
        for await (const k of client.scanIterator({ count: 10 })) {
          seen.push(k);
          if (seen.length % 40 === 0 && moved < 3) {
            const slot = keySlot(`s${moved}`);
            const from = ownerPort(cluster, slot);
            await moveSlot(cluster, slot, cluster.ports.find((x) => x !== from)!);
            moved++;
          }
        }
        expect(moved).toBe(3);
        expect(seen.sort()).toEqual([...keys].sort());
      } finally {
        await client.close();
      }
    }, 120_000);
  });
}
