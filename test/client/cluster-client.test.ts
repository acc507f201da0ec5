import { describe, it, expect, afterEach } from 'vitest';
import { ClusterClient, ClientClosedError, CommandTimeoutError, CrossSlotError, TopologyError } from '../../src/client/index.js';
import { FakeCluster } from './helpers/fake-cluster.js';
import { fakeSetup } from './helpers/setup.js';
import { freePort } from '../helpers/servers.js';
import { SLOT_COUNT } from '../../src/router/slot.js';

describe('ClusterClient', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });

  it('new ClusterClient() validates its options up front', () => {
    expect(() => new ClusterClient({ seeds: [] })).toThrow(TypeError);
    expect(() => new ClusterClient({ seeds: ['nohost'] })).toThrow(/host:port/);
    expect(() => new ClusterClient({ seeds: ['h:1'], maxRedirections: -1 })).toThrow(RangeError);
  });

  it('connect() fails with a TopologyError carrying each seed error when no seed answers', async () => {
    const port = await freePort();
    const client = new ClusterClient({ seeds: [`127.0.0.1:${port}`], connectTimeout: 500 });
    cleanups.push(() => client.disconnect());
    const err = (await client.connect().catch((e: unknown) => e)) as TopologyError;
    expect(err).toBeInstanceOf(TopologyError);
    const inner = (err.cause as AggregateError).errors[0] as Error;
    expect(inner.name).toBe('ConnectionError');
    expect((inner.cause as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
  });

  it('GET issued before connect() connects implicitly and waits for the slot map', async () => {
    const cluster = await FakeCluster.start(3);
    cleanups.push(() => cluster.stop());
    cluster.data.set('k', 'v');
    const client = new ClusterClient({ seeds: cluster.seeds });
    cleanups.push(() => client.disconnect());
    expect(await client.get('k')).toBe('v');
  });

  it('commands of one tick leave in one write per node (auto-pipelining)', async () => {
    const s = await fakeSetup();
    cleanups.push(s.done);
    const { cluster, client } = s;
    await client.forEachPrimary((n) => n.call('PING'));
    let chunks = 0;
    for (const n of cluster.nodes) for (const sock of n.sockets) sock.on('data', () => chunks++);
    await Promise.all(Array.from({ length: 500 }, (_, i) => client.set(`ap${i}`, 'v')));
    expect(chunks).toBeLessThanOrEqual(6);
    expect(cluster.data.size).toBe(500);
  });

  it('the client falls back to RESP2 when HELLO is refused', async () => {
    const cluster = await FakeCluster.start(3);
    cleanups.push(() => cluster.stop());
    for (const n of cluster.nodes) n.noHello = true;
    const client = new ClusterClient({ seeds: cluster.seeds });
    cleanups.push(() => client.disconnect());
    expect(await client.set('k', 'v')).toBe('OK');
    expect(await client.get('k')).toBe('v');
    expect(cluster.count('HELLO')).toBeGreaterThan(0);
  });

  it('readFrom replica sends READONLY and serves reads from the replica, writes from the primary', async () => {
    const cluster = await FakeCluster.start(2, 1);
    cleanups.push(() => cluster.stop());
    cluster.replicas.set(0, [1]);
    const client = new ClusterClient({ seeds: cluster.seeds, readFrom: 'replica' });
    cleanups.push(() => client.disconnect());
    expect(await client.set('k', 'v')).toBe('OK');
    expect(await client.get('k')).toBe('v');
    const replica = cluster.nodes[1]!;
    expect(replica.count('READONLY')).toBe(1);
    expect(replica.count('GET')).toBe(1);
    expect(replica.count('SET')).toBe(0);
  });

  it('natMap translates announced addresses to reachable ones', async () => {
    const cluster = await FakeCluster.start(1);
    cleanups.push(() => cluster.stop());
    const real = cluster.nodes[0]!.port;
    // The node announces 127.0.0.1:<real>; pretend it is only reachable through "localhost".
    const client = new ClusterClient({ seeds: cluster.seeds, natMap: { [`127.0.0.1:${real}`]: { host: 'localhost', port: real } } });
    cleanups.push(() => client.disconnect());
    await client.connect();
    expect(client.primaries().map((p) => p.host)).toEqual(['localhost']);
    expect(await client.set('k', 'v')).toBe('OK');
  });

  it('call() sends a command unknown to the table to a random primary and follows MOVED', async () => {
    const s = await fakeSetup();
    cleanups.push(s.done);
    const { client } = s;
    for (let i = 0; i < 10; i++) expect(await client.call('APPEND', `ap${i}`, 'x')).toBe(1);
    expect(await client.sendCommand(['APPEND', 'ap0', 'y'], { key: 'ap0' })).toBe(2);
    await expect(client.call('MGET', 'a', 'b')).rejects.toBeInstanceOf(CrossSlotError);
    await expect(client.sendCommand(['GET', 'a'], { slot: SLOT_COUNT })).rejects.toBeInstanceOf(RangeError);
  });

  it('GET fails with CommandTimeoutError when a node does not answer, and later replies still match', async () => {
    const s = await fakeSetup(3, { commandTimeout: 50 });
    cleanups.push(s.done);
    const { cluster, client } = s;
    const node = cluster.nodes[cluster.ownerOfKey('slow')]!;
    cluster.data.set('slow', 'x');
    await client.get('slow');
    node.pause();
    await expect(client.get('slow')).rejects.toBeInstanceOf(CommandTimeoutError);
    cluster.data.set('slow', 'y');
    const next = client.get('slow');
    node.resume();
    expect(await next).toBe('y');
  });

  it('close() waits for commands in flight, then rejects new ones', async () => {
    const s = await fakeSetup();
    cleanups.push(s.done);
    const { client } = s;
    const p = Promise.all(Array.from({ length: 50 }, (_, i) => client.set(`c${i}`, 'v')));
    await client.close();
    expect(await p).toHaveLength(50);
    await expect(client.get('c1')).rejects.toBeInstanceOf(ClientClosedError);
  });
});

describe('ClusterClient readFrom', () => {
  it('readFrom preferReplica retries a read on the primary when the replica is unreachable', async () => {
    const cluster = await FakeCluster.start(2, 1);
    cluster.replicas.set(0, [1]);
    const client = new ClusterClient({ seeds: [cluster.seeds[0]!], readFrom: 'preferReplica', retryBase: 1 });
    try {
      await client.connect();
      await cluster.nodes[1]!.kill();
      cluster.data.set('k', 'v');
      expect(await client.get('k')).toBe('v');
      expect(cluster.nodes[0]!.count('GET')).toBe(1);
    } finally {
      await client.disconnect();
      await cluster.stop();
    }
  });
});

describe('ClusterClient topology', () => {
  it('the refresh timer picks up added and removed nodes and emits a topology event', async () => {
    const cluster = await FakeCluster.start(3, 2);
    const client = new ClusterClient({ seeds: [cluster.seeds[0]!], refreshInterval: 30 });
    try {
      await client.connect();
      expect(client.primaries()).toHaveLength(2);
      const change = new Promise<import('../../src/client/index.js').TopologyChange>((resolve) => client.on('topology', resolve));
      // Node 2 takes over every slot of node 1.
      for (let s = 0; s < SLOT_COUNT; s++) if (cluster.owner(s) === 1) cluster.moveSlot(s, 2);
      const c = await change;
      expect(c.added.map((n) => n.port)).toEqual([cluster.nodes[2]!.port]);
      expect(c.removed.map((n) => n.port)).toEqual([cluster.nodes[1]!.port]);
      expect(c.movedSlots).toBe(SLOT_COUNT / 2);
    } finally {
      await client.disconnect();
      await cluster.stop();
    }
  });
});
