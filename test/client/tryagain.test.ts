import { describe, it, expect, afterEach } from 'vitest';
import { fakeSetup } from './helpers/setup.js';
import { MaxRedirectionsError, TryAgainError } from '../../src/client/index.js';

describe('TRYAGAIN', () => {
  let done: (() => Promise<void>) | undefined;
  afterEach(async () => done?.());

  it('MGET retries TRYAGAIN with backoff until the node serves it', async () => {
    const s = await fakeSetup(3, { retryBase: 1, retryMax: 5 });
    done = s.done;
    const { cluster, client } = s;
    await client.mset([['{t}a', '1'], ['{t}b', '2']]);
    const node = cluster.nodes[cluster.ownerOfKey('{t}a')]!;
    node.tryAgain = 3;
    const before = node.count('MGET');
    expect(await client.mget(['{t}a', '{t}b'])).toEqual(['1', '2']);
    expect(node.count('MGET') - before).toBe(4);
  });

  it('GET gives up after maxRedirections TRYAGAIN replies with the hops and the TRYAGAIN as cause', async () => {
    const s = await fakeSetup(3, { retryBase: 1, retryMax: 2, maxRedirections: 4 });
    done = s.done;
    const { cluster, client } = s;
    cluster.nodes[cluster.ownerOfKey('k')]!.tryAgain = 100;
    const err = (await client.get('k').catch((e: unknown) => e)) as MaxRedirectionsError;
    expect(err).toBeInstanceOf(MaxRedirectionsError);
    expect(err.hops).toHaveLength(5);
    expect(err.hops.every((h) => h.kind === 'tryagain')).toBe(true);
    expect(err.cause).toBeInstanceOf(TryAgainError);
  });
});
