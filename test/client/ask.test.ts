import { describe, it, expect, afterEach } from 'vitest';
import { fakeSetup, other, keySlot } from './helpers/setup.js';

describe('ASK', () => {
  let done: (() => Promise<void>) | undefined;
  afterEach(async () => done?.());

  it('GET follows ASK with ASKING on the target once and leaves the slot table untouched', async () => {
    const s = await fakeSetup();
    done = s.done;
    const { cluster, client } = s;
    await client.set('foo', 'bar');
    const from = cluster.ownerOfKey('foo');
    const to = other(from);
    cluster.migrating.set(keySlot('foo'), { from, to });
    expect(await client.get('foo')).toBe('bar');
    expect(client.shardOf(keySlot('foo'))!.primary.port).toBe(cluster.nodes[from]!.port);
    const log = cluster.nodes[to]!.log;
    const i = log.lastIndexOf('ASKING');
    expect(i).toBeGreaterThanOrEqual(0);
    expect(log[i + 1]).toBe('GET foo');
    // The next command goes to the owner first again.
    const before = cluster.nodes[from]!.count('GET');
    expect(await client.get('foo')).toBe('bar');
    expect(cluster.nodes[from]!.count('GET')).toBe(before + 1);
  });

  it('SET during a migration lands on the target via ASK and is executed once', async () => {
    const s = await fakeSetup();
    done = s.done;
    const { cluster, client } = s;
    const from = cluster.ownerOfKey('mig');
    cluster.migrating.set(keySlot('mig'), { from, to: other(from) });
    expect(await client.set('mig', 'v')).toBe('OK');
    expect(cluster.applied.filter((a) => a === 'SET mig v')).toHaveLength(1);
    expect(cluster.data.get('mig')).toBe('v');
  });
});
