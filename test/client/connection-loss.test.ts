import { describe, it, expect, afterEach } from 'vitest';
import { fakeSetup, other } from './helpers/setup.js';
import { SLOT_COUNT } from '../../src/router/slot.js';

describe('connection loss', () => {
  let done: (() => Promise<void>) | undefined;
  afterEach(async () => done?.());

  it('GET re-routes to the new owner after its node died and its slots failed over', async () => {
    const s = await fakeSetup(3, { retryBase: 1, retryMax: 20 });
    done = s.done;
    const { cluster, client } = s;
    await client.set('k', 'v');
    const dead = cluster.ownerOfKey('k');
    const heir = other(dead);
    await cluster.nodes[dead]!.kill();
    for (let slot = 0; slot < SLOT_COUNT; slot++) if (cluster.owner(slot) === dead) cluster.moveSlot(slot, heir);
    expect(await client.get('k')).toBe('v');
    const removed = client.primaries().map((p) => p.port);
    expect(removed).not.toContain(cluster.nodes[dead]!.port);
  });

  it('commands in flight when a connection resets are re-sent and all complete', async () => {
    const s = await fakeSetup(3, { retryBase: 1, retryMax: 20 });
    done = s.done;
    const { cluster, client } = s;
    const node = cluster.nodes[cluster.ownerOfKey('x')]!;
    let dropped = false;
    node.intercept = (args, n) => {
      if (!dropped && args[0] === 'SET') {
        dropped = true;
        n.dropConnections();
        return { simple: 'IGNORED' };
      }
      return undefined;
    };
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => client.set('x', String(i))));
    expect(results).toEqual(Array(20).fill('OK'));
    expect(dropped).toBe(true);
  });

  it('GET fails with a ConnectionError cause when every node is gone', async () => {
    const s = await fakeSetup(3, { retryBase: 1, retryMax: 2, maxRedirections: 3, connectTimeout: 200, refreshTimeout: 200 });
    done = s.done;
    const { cluster, client } = s;
    await cluster.stop();
    const err = (await client.get('k').catch((e: unknown) => e)) as Error;
    expect(err.name).toBe('MaxRedirectionsError');
    expect((err.cause as Error).name).toBe('ConnectionError');
  });
});
