/**
 * ClusterClient pub/sub against real clusters of 3 primaries (Redis 7 and
 * Shardis, like integration.test.ts): channels heard from every node,
 * patterns, shard channels on their owners, and subscriptions that follow a
 * slot move or come back after their connection is killed.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { ClusterClient, ClientClosedError } from 'shardis/client';
import { redisAvailable } from '../helpers/servers.js';
import { startRedisCluster, startShardisCluster, moveSlot, ownerPort, redisCli, type ClusterFactory, type RunningCluster } from './helpers/redis-cluster.js';
import { keySlot } from '../../src/router/slot.js';

const CLUSTERS: ClusterFactory[] = [
  { name: 'Redis 7', available: redisAvailable, start: startRedisCluster },
  { name: 'Shardis', available: () => redisAvailable(), start: startShardisCluster },
];

/** Resolves once `check` returns true, polling every 20 ms; fails after `ms`. */
async function until(what: string, check: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** `PUBSUB NUMSUB|SHARDNUMSUB channel` on one node. */
function subscribers(port: number, sub: 'NUMSUB' | 'SHARDNUMSUB', channel: string): number {
  return Number(redisCli(port, 'PUBSUB', sub, channel).split('\n')[1]);
}

for (const factory of CLUSTERS) {
  describe.runIf(factory.available())(`ClusterClient pub/sub on ${factory.name}`, () => {
    let cluster: RunningCluster;
    beforeAll(async () => {
      cluster = await factory.start(3);
    }, 60_000);
    afterAll(async () => cluster?.stop());

    it('SUBSCRIBE hears PUBLISH run on every node, and UNSUBSCRIBE leaves no subscriber anywhere', async () => {
      const client = new ClusterClient({ seeds: [cluster.seeds[0]!] });
      try {
        const heard: string[] = [];
        await client.subscribe(['news', 'sport'], (message, channel) => heard.push(`${channel}:${message}`));
        for (const port of cluster.ports) redisCli(port, 'PUBLISH', 'news', `from ${port}`);
        expect(await client.publish('sport', 'through the client')).toBeGreaterThanOrEqual(0);
        await until('four messages', () => heard.length === 4);
        expect(heard.sort()).toEqual([...cluster.ports.map((p) => `news:from ${p}`), 'sport:through the client'].sort());
        await client.unsubscribe('news');
        // The promise resolved on the server's confirmation: no node counts a subscriber now.
        for (const port of cluster.ports) expect(subscribers(port, 'NUMSUB', 'news')).toBe(0);
        expect(cluster.ports.map((p) => subscribers(p, 'NUMSUB', 'sport')).reduce((a, b) => a + b)).toBe(1);
      } finally {
        await client.close();
      }
    });

    it('PSUBSCRIBE hands the channel and the pattern to the listener, as Buffers when asked', async () => {
      const client = new ClusterClient({ seeds: [cluster.seeds[1]!] });
      try {
        const text: string[][] = [];
        const bytes: Buffer[][] = [];
        await client.psubscribe('ev:*', (message, channel, pattern) => text.push([message, channel, pattern]));
        await client.psubscribe(Buffer.from('bin:\xff*', 'latin1'), (message, channel, pattern) => bytes.push([message, channel, pattern]), { asBuffer: true });
        await client.publish('ev:1', 'héllo');
        await client.publish(Buffer.from('bin:\xff\x00', 'latin1'), Buffer.from([0, 255, 10]));
        await until('both messages', () => text.length === 1 && bytes.length === 1);
        expect(text[0]).toEqual(['héllo', 'ev:1', 'ev:*']);
        expect(bytes[0]).toEqual([Buffer.from([0, 255, 10]), Buffer.from('bin:\xff\x00', 'latin1'), Buffer.from('bin:\xff*', 'latin1')]);
        await client.punsubscribe();
        for (const port of cluster.ports) expect(redisCli(port, 'PUBSUB', 'NUMPAT')).toBe('0');
        // With nothing left to hear, the subscriber link closes (the client stays open). A connection
        // with no subscription is no longer of TYPE pubsub: it is found by its last command.
        await until('no subscriber connection', () => cluster.ports.every((p) => !redisCli(p, 'CLIENT', 'LIST').includes('cmd=punsubscribe')));
      } finally {
        await client.close();
      }
    });

    it('SSUBSCRIBE subscribes channels of several slots on each owner and hears SPUBLISH', async () => {
      const client = new ClusterClient({ seeds: [cluster.seeds[0]!] });
      try {
        // One channel per node, in one call (Redis itself would answer CROSSSLOT).
        const channels: string[] = [];
        for (let i = 0; channels.length < 3; i++) {
          const ch = `shard:${i}`;
          if (!channels.some((c) => ownerPort(cluster, keySlot(c)) === ownerPort(cluster, keySlot(ch)))) channels.push(ch);
        }
        const heard: string[] = [];
        await client.ssubscribe(channels, (message, channel) => heard.push(`${channel}=${message}`));
        for (const ch of channels) {
          expect(subscribers(ownerPort(cluster, keySlot(ch)), 'SHARDNUMSUB', ch)).toBe(1);
          expect(await client.spublish(ch, 'x')).toBe(1);
        }
        await until('three messages', () => heard.length === 3);
        expect(heard.sort()).toEqual(channels.map((c) => `${c}=x`).sort());
        await client.sunsubscribe(channels[0]);
        expect(subscribers(ownerPort(cluster, keySlot(channels[0]!)), 'SHARDNUMSUB', channels[0]!)).toBe(0);
        expect(await client.spublish(channels[0]!, 'y')).toBe(0);
      } finally {
        await client.close();
      }
    });

    it('SSUBSCRIBE follows its channel when the slot moves to another node', async () => {
      const client = new ClusterClient({ seeds: cluster.seeds, refreshInterval: 0 });
      try {
        const ch = '{follow}ch';
        const slot = keySlot(ch);
        const heard: string[] = [];
        await client.ssubscribe(ch, (message) => heard.push(message));
        const from = ownerPort(cluster, slot);
        const to = cluster.ports.find((p) => p !== from)!;
        await moveSlot(cluster, slot, to);
        // Nothing polls the topology here (refreshInterval 0): the old owner's sunsubscribe push is what moves it.
        await until('the subscription on the new owner', () => subscribers(to, 'SHARDNUMSUB', ch) === 1);
        expect(subscribers(from, 'SHARDNUMSUB', ch)).toBe(0);
        expect(redisCli(to, 'SPUBLISH', ch, 'after the move')).toBe('1');
        await until('the message', () => heard.length === 1);
        expect(heard).toEqual(['after the move']);
      } finally {
        await client.close();
      }
    }, 60_000);

    it('SUBSCRIBE and SSUBSCRIBE come back after their connections are killed', async () => {
      const client = new ClusterClient({ seeds: cluster.seeds, retryBase: 5, retryMax: 50 });
      try {
        const heard: string[] = [];
        await client.subscribe('kill:ch', (message) => heard.push(`ch:${message}`));
        await client.ssubscribe('kill:sh', (message) => heard.push(`sh:${message}`));
        const owner = ownerPort(cluster, keySlot('kill:sh'));
        for (const port of cluster.ports) redisCli(port, 'CLIENT', 'KILL', 'TYPE', 'pubsub');
        await until('both subscriptions back', () => subscribers(owner, 'SHARDNUMSUB', 'kill:sh') === 1 && cluster.ports.some((p) => subscribers(p, 'NUMSUB', 'kill:ch') === 1));
        redisCli(cluster.ports[2]!, 'PUBLISH', 'kill:ch', 'a');
        redisCli(owner, 'SPUBLISH', 'kill:sh', 'b');
        await until('both messages', () => heard.length === 2);
        expect(heard.sort()).toEqual(['ch:a', 'sh:b']);
      } finally {
        await client.close();
      }
    });

    it('close() ends every subscriber connection and later calls fail with ClientClosedError', async () => {
      const client = new ClusterClient({ seeds: cluster.seeds });
      await client.subscribe('bye', () => {});
      await client.ssubscribe('bye:shard', () => {});
      await client.close();
      await until('no subscriber left', () => cluster.ports.every((p) => redisCli(p, 'CLIENT', 'LIST', 'TYPE', 'pubsub') === ''));
      await expect(client.subscribe('bye', () => {})).rejects.toBeInstanceOf(ClientClosedError);
    });
  });
}

describe('ClusterClient pub/sub arguments', () => {
  it('SUBSCRIBE refuses an empty channel list and a listener that is not a function', async () => {
    const client = new ClusterClient({ seeds: ['127.0.0.1:1'] });
    try {
      await expect(client.subscribe([], () => {})).rejects.toThrow('Cannot subscribe as no channel or pattern was given');
      await expect(client.ssubscribe('a', 'nope' as never)).rejects.toThrow('Cannot ssubscribe as the listener is not a function: current value is string');
      await expect(client.psubscribe([1 as never], () => {})).rejects.toThrow('Cannot psubscribe as a channel or pattern must be a string or Buffer: current value is number');
    } finally {
      await client.close();
    }
  });
});
