/**
 * String commands through a running shardis-server, Redis-test style: short
 * scenario, action, expected reply bytes. Error texts are pinned where they
 * are part of the contract (they are Redis 7.0's, byte for byte).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RawClient } from '../../helpers/resp.js';
import { startShardis, type RunningServer } from '../../helpers/servers.js';

let server: RunningServer | undefined;
let r: RawClient;

beforeAll(async () => {
  server = await startShardis();
  r = await RawClient.connect(server.port);
}, 60_000);
afterAll(async () => {
  r?.close();
  await server?.stop();
});
beforeEach(async () => {
  await r.call('FLUSHALL');
});

function bulk(s: string): string {
  return `$${s.length}\r\n${s}\r\n`;
}

const OK = '+OK\r\n';
const NIL = '$-1\r\n';
const WRONGTYPE = '-WRONGTYPE Operation against a key holding the wrong kind of value\r\n';

/** Makes `key` hold a list when lists exist, else skips the wrong-type part by returning false. */
async function makeList(key: string): Promise<boolean> {
  const reply = await r.text('RPUSH', key, 'a');
  return reply.startsWith(':');
}

describe('GET and SET', () => {
  it('SET then GET returns the value, binary safe', async () => {
    const v = '\x00\x01\xff\r\nvalue';
    expect(await r.text('SET', '\xffkey\x00', v)).toBe(OK);
    expect(await r.text('GET', '\xffkey\x00')).toBe(bulk(v));
  });

  it('GET of a missing key is a null bulk', async () => {
    expect(await r.text('GET', 'nokey')).toBe(NIL);
  });

  it('GET fails against a key holding a list', async () => {
    if (await makeList('l')) expect(await r.text('GET', 'l')).toBe(WRONGTYPE);
  });

  it('SET NX sets only a missing key and XX only an existing one', async () => {
    expect(await r.text('SET', 'k', 'a', 'NX')).toBe(OK);
    expect(await r.text('SET', 'k', 'b', 'NX')).toBe(NIL);
    expect(await r.text('SET', 'x', 'b', 'XX')).toBe(NIL);
    expect(await r.text('SET', 'k', 'c', 'xx')).toBe(OK);
    expect(await r.text('GET', 'k')).toBe(bulk('c'));
  });

  it('Extended SET GET option returns the old value, null when absent', async () => {
    expect(await r.text('SET', 'k', 'a', 'GET')).toBe(NIL);
    expect(await r.text('SET', 'k', 'b', 'GET')).toBe(bulk('a'));
    expect(await r.text('SET', 'k', 'c', 'NX', 'GET')).toBe(bulk('b'));
    expect(await r.text('GET', 'k')).toBe(bulk('b'));
  });

  it('Extended SET GET option with a wrong type fails and sets nothing', async () => {
    if (!(await makeList('l'))) return;
    expect(await r.text('SET', 'l', 'v', 'GET')).toBe(WRONGTYPE);
    expect(await r.text('TYPE', 'l')).toBe('+list\r\n');
  });

  it('SET refuses conflicting options with a syntax error', async () => {
    for (const opts of [['NX', 'XX'], ['EX', '10', 'PX', '100'], ['KEEPTTL', 'EX', '10'], ['PX', '10', 'KEEPTTL'], ['EX'], ['PERSIST'], ['FOO']]) {
      expect(await r.text('SET', 'k', 'v', ...opts), opts.join(' ')).toBe('-ERR syntax error\r\n');
    }
  });

  it('SET EX, PX, EXAT and PXAT set a TTL; a plain SET removes it and KEEPTTL keeps it', async () => {
    expect(await r.text('SET', 'k', 'v', 'EX', '100')).toBe(OK);
    expect(await r.text('TTL', 'k')).toBe(':100\r\n');
    expect(await r.text('SET', 'k', 'v', 'KEEPTTL')).toBe(OK);
    expect(await r.text('TTL', 'k')).toBe(':100\r\n');
    expect(await r.text('SET', 'k', 'v')).toBe(OK);
    expect(await r.text('TTL', 'k')).toBe(':-1\r\n');
    const at = Math.floor(Date.now() / 1000) + 1000;
    expect(await r.text('SET', 'k', 'v', 'EXAT', String(at))).toBe(OK);
    const ttl = Number((await r.text('TTL', 'k')).slice(1));
    expect(ttl).toBeGreaterThan(990);
    expect(await r.text('SET', 'k', 'v', 'PX', '100000')).toBe(OK);
    expect(Number((await r.text('PTTL', 'k')).slice(1))).toBeGreaterThan(99_000);
  });

  it('SET with a past EXAT leaves no visible key', async () => {
    expect(await r.text('SET', 'k', 'v', 'EXAT', '1')).toBe(OK);
    expect(await r.text('GET', 'k')).toBe(NIL);
    expect(await r.text('SET', 'k', 'v', 'PXAT', '1', 'GET')).toBe(NIL);
  });

  it("SET with a non-positive or overflowing expire is an invalid expire time in 'set' command", async () => {
    const err = "-ERR invalid expire time in 'set' command\r\n";
    expect(await r.text('SET', 'k', 'v', 'EX', '0')).toBe(err);
    expect(await r.text('SET', 'k', 'v', 'PX', '-1')).toBe(err);
    expect(await r.text('SET', 'k', 'v', 'EX', '9223372036854775')).toBe(err);
    expect(await r.text('SET', 'k', 'v', 'PX', '9223372036854775807')).toBe(err);
    expect(await r.text('SET', 'k', 'v', 'EX', 'abc')).toBe('-ERR value is not an integer or out of range\r\n');
    expect(await r.text('EXISTS', 'k')).toBe(':0\r\n');
  });
});

describe('SETNX, SETEX, PSETEX, GETSET, GETDEL', () => {
  it('SETNX replies 1 when it sets and 0 when the key exists', async () => {
    expect(await r.text('SETNX', 'k', 'a')).toBe(':1\r\n');
    expect(await r.text('SETNX', 'k', 'b')).toBe(':0\r\n');
    expect(await r.text('GET', 'k')).toBe(bulk('a'));
  });

  it('SETEX sets a TTL in seconds and refuses a negative one naming setex', async () => {
    expect(await r.text('SETEX', 'k', '50', 'v')).toBe(OK);
    expect(await r.text('TTL', 'k')).toBe(':50\r\n');
    expect(await r.text('SETEX', 'k', '-1', 'v')).toBe("-ERR invalid expire time in 'setex' command\r\n");
    expect(await r.text('PSETEX', 'k', '0', 'v')).toBe("-ERR invalid expire time in 'psetex' command\r\n");
  });

  it('GETSET returns the old value and removes the TTL', async () => {
    expect(await r.text('GETSET', 'k', 'a')).toBe(NIL);
    await r.call('EXPIRE', 'k', '100');
    expect(await r.text('GETSET', 'k', 'b')).toBe(bulk('a'));
    expect(await r.text('TTL', 'k')).toBe(':-1\r\n');
  });

  it('GETDEL returns the value and deletes the key', async () => {
    await r.call('SET', 'k', 'v');
    expect(await r.text('GETDEL', 'k')).toBe(bulk('v'));
    expect(await r.text('GETDEL', 'k')).toBe(NIL);
  });
});

describe('GETEX', () => {
  it('GETEX sets, changes and removes TTLs', async () => {
    await r.call('SET', 'k', 'v');
    expect(await r.text('GETEX', 'k', 'EX', '100')).toBe(bulk('v'));
    expect(await r.text('TTL', 'k')).toBe(':100\r\n');
    expect(await r.text('GETEX', 'k', 'PERSIST')).toBe(bulk('v'));
    expect(await r.text('TTL', 'k')).toBe(':-1\r\n');
    expect(await r.text('GETEX', 'k', 'PXAT', '1')).toBe(bulk('v'));
    expect(await r.text('EXISTS', 'k')).toBe(':0\r\n');
  });

  it('GETEX refuses PERSIST with an expire and names getex in expire errors', async () => {
    await r.call('SET', 'k', 'v');
    expect(await r.text('GETEX', 'k', 'PERSIST', 'EX', '1')).toBe('-ERR syntax error\r\n');
    expect(await r.text('GETEX', 'k', 'EX', '-1')).toBe("-ERR invalid expire time in 'getex' command\r\n");
    expect(await r.text('GETEX', 'nokey', 'EX', '-1')).toBe(NIL);
  });
});

describe('MGET, MSET, MSETNX', () => {
  it('MGET returns null for missing keys and keys of other types', async () => {
    await r.call('MSET', 'a', '1', 'b', '2');
    await makeList('l');
    expect(await r.text('MGET', 'a', 'x', 'b', 'l')).toBe('*4\r\n$1\r\n1\r\n$-1\r\n$1\r\n2\r\n$-1\r\n');
  });

  it('MSET with an odd number of arguments is a wrong number of arguments', async () => {
    expect(await r.text('MSET', 'a', '1', 'b')).toBe("-ERR wrong number of arguments for 'mset' command\r\n");
  });

  it('MSETNX with already existent key sets nothing', async () => {
    expect(await r.text('MSETNX', 'a', '1', 'b', '2')).toBe(':1\r\n');
    expect(await r.text('MSETNX', 'c', '3', 'a', '9')).toBe(':0\r\n');
    expect(await r.text('MGET', 'a', 'c')).toBe('*2\r\n$1\r\n1\r\n$-1\r\n');
  });
});

describe('INCR family', () => {
  it('INCR against a missing key starts from 0 and keeps the TTL', async () => {
    expect(await r.text('INCR', 'n')).toBe(':1\r\n');
    await r.call('EXPIRE', 'n', '100');
    expect(await r.text('INCRBY', 'n', '41')).toBe(':42\r\n');
    expect(await r.text('DECR', 'n')).toBe(':41\r\n');
    expect(await r.text('DECRBY', 'n', '-9')).toBe(':50\r\n');
    expect(await r.text('TTL', 'n')).toBe(':100\r\n');
  });

  it('INCR fails against a key holding a list', async () => {
    if (await makeList('l')) expect(await r.text('INCR', 'l')).toBe(WRONGTYPE);
  });

  it('INCR fails against a value that is not a canonical integer', async () => {
    for (const v of ['abc', ' 1', '1 ', '01', '-0', '1.0', '+1', '9223372036854775808']) {
      await r.call('SET', 'n', v);
      expect(await r.text('INCR', 'n'), v).toBe('-ERR value is not an integer or out of range\r\n');
    }
  });

  it('INCRBY over the int64 edges fails with increment or decrement would overflow', async () => {
    await r.call('SET', 'n', '9223372036854775806');
    expect(await r.text('INCR', 'n')).toBe(':9223372036854775807\r\n');
    expect(await r.text('INCR', 'n')).toBe('-ERR increment or decrement would overflow\r\n');
    await r.call('SET', 'n', '-9223372036854775807');
    expect(await r.text('DECR', 'n')).toBe(':-9223372036854775808\r\n');
    expect(await r.text('DECRBY', 'n', '1')).toBe('-ERR increment or decrement would overflow\r\n');
    expect(await r.text('DECRBY', 'n', '-9223372036854775808')).toBe('-ERR decrement would overflow\r\n');
  });

  it('INCRBY crosses the JS safe-integer boundary exactly', async () => {
    await r.call('SET', 'n', '9007199254740991');
    expect(await r.text('INCRBY', 'n', '2')).toBe(':9007199254740993\r\n');
    expect(await r.text('GET', 'n')).toBe(bulk('9007199254740993'));
    expect(await r.text('INCRBY', 'n', '-9007199254740993')).toBe(':0\r\n');
  });
});

describe('INCRBYFLOAT', () => {
  it('INCRBYFLOAT computes in long double like Redis: 0.1 + 0.2 is 0.3', async () => {
    expect(await r.text('INCRBYFLOAT', 'f', '0.1')).toBe(bulk('0.1'));
    expect(await r.text('INCRBYFLOAT', 'f', '0.2')).toBe(bulk('0.3'));
    expect(await r.text('INCRBYFLOAT', 'f', '1e20')).toBe(bulk('100000000000000000000'));
    await r.call('SET', 'g', '1000');
    expect(await r.text('INCRBYFLOAT', 'g', '0.0001')).toBe(bulk('1000.00009999999999999'));
  });

  it('INCRBYFLOAT refuses invalid floats and infinite results', async () => {
    expect(await r.text('INCRBYFLOAT', 'f', 'abc')).toBe('-ERR value is not a valid float\r\n');
    expect(await r.text('INCRBYFLOAT', 'f', 'inf')).toBe('-ERR increment would produce NaN or Infinity\r\n');
    await r.call('SET', 'f', 'x');
    expect(await r.text('INCRBYFLOAT', 'f', '1')).toBe('-ERR value is not a valid float\r\n');
  });
});

describe('APPEND, STRLEN, GETRANGE, SETRANGE, SUBSTR', () => {
  it('APPEND creates or extends the value and replies the new length', async () => {
    expect(await r.text('APPEND', 'k', 'foo')).toBe(':3\r\n');
    expect(await r.text('APPEND', 'k', '\x00bar')).toBe(':7\r\n');
    expect(await r.text('GET', 'k')).toBe(bulk('foo\x00bar'));
    expect(await r.text('STRLEN', 'k')).toBe(':7\r\n');
    expect(await r.text('STRLEN', 'nokey')).toBe(':0\r\n');
  });

  it('GETRANGE with negative and huge ranges, Github issue #1844', async () => {
    await r.call('SET', 'k', 'Hello World');
    expect(await r.text('GETRANGE', 'k', '0', '4')).toBe(bulk('Hello'));
    expect(await r.text('GETRANGE', 'k', '-5', '-1')).toBe(bulk('World'));
    expect(await r.text('GETRANGE', 'k', '0', '9223372036854775807')).toBe(bulk('Hello World'));
    expect(await r.text('GETRANGE', 'k', '-9223372036854775808', '2')).toBe(bulk('Hel'));
    expect(await r.text('GETRANGE', 'k', '-1', '-5')).toBe(bulk(''));
    expect(await r.text('SUBSTR', 'k', '6', '100')).toBe(bulk('World'));
    expect(await r.text('GETRANGE', 'nokey', '0', '1')).toBe(bulk(''));
  });

  it('SETRANGE pads with zero bytes and keeps the TTL', async () => {
    expect(await r.text('SETRANGE', 'k', '3', 'ab')).toBe(':5\r\n');
    expect(await r.text('GET', 'k')).toBe(bulk('\x00\x00\x00ab'));
    await r.call('EXPIRE', 'k', '100');
    expect(await r.text('SETRANGE', 'k', '1', 'XYZW')).toBe(':5\r\n');
    expect(await r.text('GET', 'k')).toBe(bulk('\x00XYZW'));
    expect(await r.text('TTL', 'k')).toBe(':100\r\n');
  });

  it('SETRANGE with an empty value does not create the key', async () => {
    expect(await r.text('SETRANGE', 'k', '10', '')).toBe(':0\r\n');
    expect(await r.text('EXISTS', 'k')).toBe(':0\r\n');
  });

  it('SETRANGE refuses negative offsets and strings beyond proto-max-bulk-len', async () => {
    expect(await r.text('SETRANGE', 'k', '-1', 'x')).toBe('-ERR offset is out of range\r\n');
    expect(await r.text('SETRANGE', 'k', '536870911', 'ab')).toBe(
      '-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n',
    );
  });
});

describe('LCS', () => {
  beforeEach(async () => {
    await r.call('MSET', 'a', 'ohmytext', 'b', 'mynewtext');
  });

  it('LCS returns the longest common subsequence and its LEN', async () => {
    expect(await r.text('LCS', 'a', 'b')).toBe(bulk('mytext'));
    expect(await r.text('LCS', 'a', 'b', 'LEN')).toBe(':6\r\n');
    expect(await r.text('LCS', 'a', 'nokey')).toBe(bulk(''));
  });

  it('LCS IDX lists matches from the end, with MINMATCHLEN and WITHMATCHLEN', async () => {
    expect(await r.text('LCS', 'a', 'b', 'IDX')).toBe(
      '*4\r\n$7\r\nmatches\r\n*2\r\n*2\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n*2\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n$3\r\nlen\r\n:6\r\n',
    );
    expect(await r.text('LCS', 'a', 'b', 'IDX', 'MINMATCHLEN', '4', 'WITHMATCHLEN')).toBe(
      '*4\r\n$7\r\nmatches\r\n*1\r\n*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n$3\r\nlen\r\n:6\r\n',
    );
  });

  it('LCS refuses LEN with IDX and keys of other types', async () => {
    expect(await r.text('LCS', 'a', 'b', 'LEN', 'IDX')).toBe(
      '-ERR If you want both the length and indexes, please just use IDX.\r\n',
    );
    if (await makeList('l')) {
      expect(await r.text('LCS', 'a', 'l')).toBe('-ERR The specified keys must contain string values\r\n');
    }
  });
});
