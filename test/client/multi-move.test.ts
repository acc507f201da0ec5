import { describe, it, expect, afterEach } from 'vitest';
import { fakeSetup, other, keySlot } from './helpers/setup.js';
import { CrossSlotError } from '../../src/client/index.js';

describe('MULTI across a move', () => {
  let done: (() => Promise<void>) | undefined;
  afterEach(async () => done?.());

  it('multi() re-runs the whole transaction on the new owner when the slot moved before EXEC', async () => {
    const s = await fakeSetup();
    done = s.done;
    const { cluster, client } = s;
    await client.set('{acct}balance', '10');
    const from = cluster.ownerOfKey('{acct}balance');
    cluster.moveSlot(keySlot('{acct}'), other(from));
    const r = await client.multi().incrby('{acct}balance', 5).incr('{acct}ops').get('{acct}balance').exec();
    expect(r).toEqual([15, 1, '15']);
    expect(cluster.applied.filter((a) => a.startsWith('INCRBY {acct}balance'))).toHaveLength(1);
    expect(cluster.nodes[from]!.count('EXEC')).toBe(1);
  });

  it('multi() follows ASK with ASKING before MULTI during a migration', async () => {
    const s = await fakeSetup();
    done = s.done;
    const { cluster, client } = s;
    const from = cluster.ownerOfKey('{m}a');
    const to = other(from);
    cluster.migrating.set(keySlot('{m}a'), { from, to });
    expect(await client.multi().set('{m}a', '1').get('{m}a').exec()).toEqual(['OK', '1']);
    const log = cluster.nodes[to]!.log;
    expect(log.slice(log.lastIndexOf('ASKING'), log.lastIndexOf('ASKING') + 2)).toEqual(['ASKING', 'MULTI']);
  });

  it('multi() refuses keys of two slots locally with CrossSlotError and sends nothing', async () => {
    const s = await fakeSetup();
    done = s.done;
    const { cluster, client } = s;
    const before = cluster.count('MULTI');
    await expect(client.multi().set('a', '1').set('b', '2').exec()).rejects.toBeInstanceOf(CrossSlotError);
    expect(cluster.count('MULTI')).toBe(before);
  });
});
