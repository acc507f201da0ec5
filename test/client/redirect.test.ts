import { describe, it, expect } from 'vitest';
import { backoff, nextStep } from '../../src/client/redirect.js';
import { AskError, ClusterDownError, ConnectionError, MaxRedirectionsError, MovedError, ReplyError, TryAgainError, type Hop } from '../../src/client/errors.js';

const policy = { maxRedirections: 3, retryBase: 10, retryMax: 50 };
const target = { host: 'h', port: 1 };

describe('redirect', () => {
  it('nextStep() maps each error to its step', () => {
    expect(nextStep(new MovedError('MOVED 5 h:1', 5, target), 'GET', 'a:1', 5, [], policy)).toEqual({ kind: 'moved', slot: 5, target });
    expect(nextStep(new AskError('ASK 5 h:1', 5, target), 'GET', 'a:1', 5, [], policy)).toEqual({ kind: 'ask', slot: 5, target });
    expect(nextStep(new TryAgainError('TRYAGAIN'), 'GET', 'a:1', 5, [], policy)).toEqual({ kind: 'retry', delay: 10, refresh: false });
    expect(nextStep(new ClusterDownError('CLUSTERDOWN'), 'GET', 'a:1', 5, [], policy)).toEqual({ kind: 'retry', delay: 10, refresh: true });
    expect(nextStep(new ConnectionError('x', target), 'GET', 'a:1', 5, [], policy)).toEqual({ kind: 'reroute', delay: 10 });
    const plain = new ReplyError('ERR x');
    expect(nextStep(plain, 'GET', 'a:1', 5, [], policy)).toEqual({ kind: 'fail', error: plain });
  });

  it('nextStep() fails with every hop listed once maxRedirections is exceeded', () => {
    const hops: Hop[] = [];
    const err = new MovedError('MOVED 5 h:1', 5, target);
    for (let i = 0; i < 3; i++) expect(nextStep(err, 'GET', `n${i}:1`, 5, hops, policy).kind).toBe('moved');
    const last = nextStep(err, 'GET', 'n3:1', 5, hops, policy);
    expect(last.kind).toBe('fail');
    const e = (last as { error: MaxRedirectionsError }).error;
    expect(e).toBeInstanceOf(MaxRedirectionsError);
    expect(e.hops.map((h) => h.node)).toEqual(['n0:1', 'n1:1', 'n2:1', 'n3:1']);
    expect(e.cause).toBe(err);
  });

  it('backoff() doubles from the base and never exceeds the maximum', () => {
    expect([0, 1, 2, 3, 100].map((a) => backoff(a, policy))).toEqual([10, 20, 40, 50, 50]);
  });
});
