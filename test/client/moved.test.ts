import { describe, it, expect, afterEach } from 'vitest';
import { fakeSetup, other, keySlot } from './helpers/setup.js';
import type { TopologyChange } from '../../src/client/index.js';

describe('MOVED', () => {
  let done: (() => Promise<void>) | undefined;
  afterEach(async () => done?.());

  it('GET follows MOVED after the slot moved behind the client and patches that slot at once', async () => {
    const s = await fakeSetup();
    done = s.done;
    const { cluster, client } = s;
    await client.set('foo', 'bar');
    const from = cluster.ownerOfKey('foo');
    const to = other(from);
    cluster.moveSlot(keySlot('foo'), to);
    expect(await client.get('foo')).toBe('bar');
    expect(client.shardOf(keySlot('foo'))!.primary.port).toBe(cluster.nodes[to]!.port);
    const before = cluster.nodes[from]!.count('GET');
    expect(await client.get('foo')).toBe('bar');
    expect(cluster.nodes[from]!.count('GET')).toBe(before);
  });

  it('MOVED triggers a single-flight refresh that emits a topology event', async () => {
    const s = await fakeSetup();
    done = s.done;
    const { cluster, client } = s;
    const changes: TopologyChange[] = [];
    client.on('topology', (c) => changes.push(c));
    const slotsBefore = cluster.count('CLUSTER');
    const keys = Array.from({ length: 50 }, (_, i) => `k${i}`);
    for (const k of keys) cluster.moveSlot(keySlot(k), other(cluster.ownerOfKey(k)));
    await Promise.all(keys.map((k) => client.set(k, 'v')));
    await client.refreshSlots();
    // 50 MOVED replies cost at most two CLUSTER SLOTS plus the explicit one.
    expect(cluster.count('CLUSTER') - slotsBefore).toBeLessThanOrEqual(3);
    // A move the client has not seen yet shows up in the topology event.
    cluster.moveSlot(keySlot('fresh'), other(cluster.ownerOfKey('fresh')));
    const change = await client.refreshSlots();
    expect(change.movedSlots).toBe(1);
    expect(changes.at(-1)).toEqual(change);
  });

  it('set() sends MOVED-ed writes exactly once to the new owner', async () => {
    const s = await fakeSetup();
    done = s.done;
    const { cluster, client } = s;
    cluster.moveSlot(keySlot('counter'), other(cluster.ownerOfKey('counter')));
    expect(await client.incr('counter')).toBe(1);
    expect(cluster.applied.filter((a) => a === 'INCR counter')).toHaveLength(1);
  });
});

describe('MOVED with an unknown endpoint', () => {
  it('GET follows "MOVED <slot> :<port>" to the host of the node that sent it', async () => {
    const s = await fakeSetup();
    try {
      const { cluster, client } = s;
      cluster.data.set('foo', 'bar');
      const from = cluster.ownerOfKey('foo');
      const to = other(from);
      cluster.nodes[from]!.intercept = (args) => (args[0] === 'GET' ? { err: `MOVED ${keySlot('foo')} :${cluster.nodes[to]!.port}` } : undefined);
      cluster.moveSlot(keySlot('foo'), to);
      expect(await client.get('foo')).toBe('bar');
      expect(client.shardOf(keySlot('foo'))!.primary.host).toBe('127.0.0.1');
    } finally {
      await s.done();
    }
  });
});
