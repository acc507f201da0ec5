import { describe, it, expect, afterEach } from 'vitest';
import { fakeSetup, keySlot } from './helpers/setup.js';

describe('CLUSTERDOWN', () => {
  let done: (() => Promise<void>) | undefined;
  afterEach(async () => done?.());

  it('GET retries CLUSTERDOWN with a refresh and succeeds once the cluster is back', async () => {
    const s = await fakeSetup(3, { retryBase: 1, retryMax: 5 });
    done = s.done;
    const { cluster, client } = s;
    await client.set('k', 'v');
    const node = cluster.nodes[cluster.ownerOfKey('k')]!;
    node.clusterDown = 2;
    const refreshes = cluster.count('CLUSTER');
    expect(await client.get('k')).toBe('v');
    expect(cluster.count('CLUSTER')).toBeGreaterThan(refreshes);
  });

  it('SET to an unassigned slot waits until a node serves the slot', async () => {
    const s = await fakeSetup(3, { retryBase: 5, retryMax: 20 });
    done = s.done;
    const { cluster, client } = s;
    const slot = keySlot('orphan');
    const owner = cluster.owner(slot);
    cluster.slots[slot] = -1;
    await client.refreshSlots();
    expect(client.shardOf(slot)).toBeUndefined();
    const p = client.set('orphan', 'x');
    setTimeout(() => (cluster.slots[slot] = owner), 30);
    expect(await p).toBe('OK');
    expect(cluster.data.get('orphan')).toBe('x');
  });
});
