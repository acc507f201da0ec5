import { describe, it, expect } from 'vitest';
import {
  AskError,
  ClusterDownError,
  CrossSlotError,
  MovedError,
  ProtocolError,
  ReplyError,
  TryAgainError,
  parseEndpoint,
  parseReplyError,
} from '../../src/client/errors.js';

describe('errors', () => {
  it('parseReplyError() types every redirection and cluster error', () => {
    expect(parseReplyError('MOVED 3999 127.0.0.1:6381')).toBeInstanceOf(MovedError);
    expect(parseReplyError('ASK 3999 127.0.0.1:6381')).toBeInstanceOf(AskError);
    expect(parseReplyError('TRYAGAIN Multiple keys request during rehashing of slot')).toBeInstanceOf(TryAgainError);
    expect(parseReplyError('CLUSTERDOWN Hash slot not served')).toBeInstanceOf(ClusterDownError);
    expect(parseReplyError("CROSSSLOT Keys in request don't hash to the same slot")).toBeInstanceOf(CrossSlotError);
    const plain = parseReplyError('WRONGTYPE Operation against a key holding the wrong kind of value') as ReplyError;
    expect(plain.constructor).toBe(ReplyError);
    expect(plain.prefix).toBe('WRONGTYPE');
  });

  it('parseReplyError() turns a MOVED with a slot outside 0..16383 or a crafted token into a ProtocolError', () => {
    for (const bad of ['MOVED __proto__ 1.2.3.4:5', 'MOVED 16384 h:1', 'MOVED -1 h:1', 'MOVED 1e3 h:1', 'ASK constructor h:1', 'MOVED 1 nohost', 'MOVED 1 h:99999', 'MOVED 1 h:1 extra']) {
      expect(parseReplyError(bad), bad).toBeInstanceOf(ProtocolError);
    }
  });

  it('parseEndpoint() takes the host before the last colon', () => {
    expect(parseEndpoint('::1:7000')).toEqual({ host: '::1', port: 7000 });
    expect(parseEndpoint(':7000')).toEqual({ host: '', port: 7000 });
    expect(parseEndpoint('h:0')).toBeUndefined();
  });
});
