/**
 * Leak test: opening and closing the client many times (with traffic, a
 * redirection, a retry and subscriptions each time) leaves no socket and no
 * timer behind.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { ClusterClient } from '../../src/client/index.js';
import { FakeCluster } from './helpers/fake-cluster.js';
import { keySlot } from '../../src/router/slot.js';

function resources(): { sockets: number; timers: number } {
  const info = process.getActiveResourcesInfo();
  return {
    sockets: info.filter((r) => r === 'TCPSocketWrap' || r === 'TCPWrap').length,
    timers: info.filter((r) => r === 'Timeout').length,
  };
}

describe('ClusterClient resources', () => {
  let cluster: FakeCluster;
  beforeAll(async () => {
    cluster = await FakeCluster.start(3);
  });
  afterAll(async () => cluster.stop());

  it('close() after 50 open/use/close cycles leaves sockets and timers at their baseline', async () => {
    const base = resources();
    for (let i = 0; i < 50; i++) {
      const client = new ClusterClient({ seeds: cluster.seeds, refreshInterval: 1000, commandTimeout: 1000, retryBase: 1 });
      await client.connect();
      await client.set(`leak${i}`, 'v');
      cluster.moveSlot(keySlot(`leak${i}`), (cluster.ownerOfKey(`leak${i}`) + 1) % 3);
      cluster.nodes[0]!.tryAgain = 1;
      await Promise.all([client.get(`leak${i}`), client.mget(['a', 'b', 'c', `leak${i}`])]);
      cluster.nodes[0]!.tryAgain = 0;
      await client.subscribe('leak:ch', () => {});
      await client.ssubscribe([`leak:a${i}`, `leak:b${i}`], () => {});
      if (i % 2 === 0) await client.unsubscribe();
      await client.close();
    }
    // Server-side sockets close asynchronously after the client's FIN.
    for (let i = 0; i < 100 && resources().sockets > base.sockets; i++) await new Promise((r) => setTimeout(r, 10));
    const now = resources();
    expect(now.sockets).toBe(base.sockets);
    expect(now.timers).toBeLessThanOrEqual(base.timers);
  });

  it('close() while subscriptions wait to be re-established leaves nothing behind', async () => {
    const base = resources();
    const client = new ClusterClient({ seeds: cluster.seeds, retryBase: 10_000, retryMax: 10_000 });
    await client.subscribe('leak:ch', () => {});
    await client.ssubscribe('leak:sh', () => {});
    // Every subscriber link is lost; the re-subscription waits out a 10 s backoff.
    const before = cluster.nodes.map((n) => n.count('SUBSCRIBE') + n.count('SSUBSCRIBE'));
    for (const n of cluster.nodes) n.dropConnections();
    await new Promise((r) => setTimeout(r, 50));
    expect(resources().timers).toBeGreaterThan(base.timers);
    await client.close();
    expect(cluster.nodes.map((n) => n.count('SUBSCRIBE') + n.count('SSUBSCRIBE'))).toEqual(before);
    for (let i = 0; i < 100 && resources().sockets > base.sockets; i++) await new Promise((r) => setTimeout(r, 10));
    expect(resources().sockets).toBe(base.sockets);
    expect(resources().timers).toBeLessThanOrEqual(base.timers);
  });

  it('disconnect() with commands in flight rejects them and leaves nothing behind', async () => {
    const base = resources();
    const client = new ClusterClient({ seeds: cluster.seeds, refreshInterval: 50 });
    await client.connect();
    cluster.nodes[1]!.intercept = (args) => (args[0] === 'GET' ? { simple: 'never' } : undefined);
    const stuck = client.get('x').catch((e: unknown) => e);
    await client.disconnect();
    cluster.nodes[1]!.intercept = null;
    expect(await stuck).toBeDefined();
    for (let i = 0; i < 100 && resources().sockets > base.sockets; i++) await new Promise((r) => setTimeout(r, 10));
    expect(resources().sockets).toBe(base.sockets);
    expect(resources().timers).toBeLessThanOrEqual(base.timers);
  });
});
