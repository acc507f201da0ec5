/**
 * Sorted set commands against an in-process node: option errors with their
 * exact texts, RESP2/RESP3 reply shapes, blocking pops, stores, ZSCAN over
 * the skiplist encoding, and key extraction of the numkeys commands.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/node/clock.js';
import { Config } from '../../../src/node/config.js';
import { Server } from '../../../src/node/server.js';
import { getKeys, lookupCommand } from '../../../src/router/command-table.js';
import { RawClient } from '../../helpers/resp.js';

let server: Server;
const open: RawClient[] = [];

beforeAll(async () => {
  const config = new Config();
  config.load(undefined, ['--port', '0', '--bind', '127.0.0.1', '--loglevel', 'warning']);
  server = new Server(config, { clock: new ManualClock(), logSink: () => {} });
  await server.listen();
});

afterAll(async () => {
  for (const c of open.splice(0)) c.close();
  await server.close();
});

async function connect(proto: 2 | 3 = 2): Promise<RawClient> {
  const c = await RawClient.connect(server.port);
  open.push(c);
  await c.text('FLUSHALL');
  if (proto === 3) await c.text('HELLO', '3');
  return c;
}

describe('ZADD and ZINCRBY', () => {
  it('ZADD refuses incompatible options with Redis texts', async () => {
    const r = await connect();
    expect(await r.text('ZADD', 'z', 'NX', 'XX', '1', 'a')).toBe('-ERR XX and NX options at the same time are not compatible\r\n');
    expect(await r.text('ZADD', 'z', 'GT', 'LT', '1', 'a')).toBe('-ERR GT, LT, and/or NX options at the same time are not compatible\r\n');
    expect(await r.text('ZADD', 'z', 'INCR', '1', 'a', '2', 'b')).toBe('-ERR INCR option supports a single increment-element pair\r\n');
    expect(await r.text('ZADD', 'z', '1', 'a', '2')).toBe('-ERR syntax error\r\n');
    expect(await r.text('ZADD', 'z', 'nan', 'a')).toBe('-ERR value is not a valid float\r\n');
  });

  it('ZADD counts added members, or changed ones with CH, and honours GT/LT/NX/XX', async () => {
    const r = await connect();
    expect(await r.text('ZADD', 'z', '1', 'a', '2', 'b')).toBe(':2\r\n');
    expect(await r.text('ZADD', 'z', 'CH', 'GT', '0', 'a', '3', 'b', '1', 'c')).toBe(':2\r\n');
    expect(await r.text('ZADD', 'z', 'XX', '9', 'nope')).toBe(':0\r\n');
    expect(await r.text('ZADD', 'z', 'NX', '9', 'a')).toBe(':0\r\n');
    expect(await r.text('ZRANGE', 'z', '0', '-1', 'WITHSCORES')).toBe('*6\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nc\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n3\r\n');
    expect(await r.text('ZADD', 'missing', 'XX', '1', 'a')).toBe(':0\r\n');
    expect(await r.text('EXISTS', 'missing')).toBe(':0\r\n');
  });

  it('ZADD INCR replies the new score as a double, or null when skipped', async () => {
    const r2 = await connect(2);
    expect(await r2.text('ZADD', 'z', 'INCR', '1.1', 'a')).toBe('$18\r\n1.1000000000000001\r\n');
    expect(await r2.text('ZADD', 'z', 'INCR', '1.1', 'a')).toBe('$18\r\n2.2000000000000002\r\n');
    expect(await r2.text('ZADD', 'z', 'NX', 'INCR', '1', 'a')).toBe('$-1\r\n');
    const r3 = await connect(3);
    expect(await r3.text('ZADD', 'z', 'INCR', '-inf', 'a')).toBe(',-inf\r\n');
    expect(await r3.text('ZADD', 'z', 'XX', 'INCR', '1', 'b')).toBe('_\r\n');
  });

  it('ZINCRBY refuses a NaN result and leaves the score alone', async () => {
    const r = await connect();
    await r.text('ZADD', 'z', 'inf', 'a');
    expect(await r.text('ZINCRBY', 'z', '-inf', 'a')).toBe('-ERR resulting score is not a number (NaN)\r\n');
    expect(await r.text('ZSCORE', 'z', 'a')).toBe('$3\r\ninf\r\n');
  });

  it('ZADD fails against a key holding a string', async () => {
    const r = await connect();
    await r.text('SET', 's', 'x');
    expect(await r.text('ZADD', 's', '1', 'a')).toMatch(/^-WRONGTYPE/);
    expect(await r.text('ZRANGE', 's', '0', '-1')).toMatch(/^-WRONGTYPE/);
  });
});

describe('ZRANGE family', () => {
  it('ZRANGE WITHSCORES is flat in RESP2 and nested pairs of doubles in RESP3', async () => {
    const r2 = await connect(2);
    await r2.text('ZADD', 'z', '1', 'a', '2.5', 'b');
    expect(await r2.text('ZRANGE', 'z', '0', '-1', 'WITHSCORES')).toBe('*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$3\r\n2.5\r\n');
    const r3 = await connect(3);
    await r3.text('ZADD', 'z', '1', 'a', '2.5', 'b');
    expect(await r3.text('ZRANGE', 'z', '0', '-1', 'WITHSCORES')).toBe('*2\r\n*2\r\n$1\r\na\r\n,1\r\n*2\r\n$1\r\nb\r\n,2.5\r\n');
  });

  it('ZRANGE BYSCORE honours exclusive bounds, REV and LIMIT', async () => {
    const r = await connect();
    await r.text('ZADD', 'z', '1', 'a', '2', 'b', '3', 'c', '4', 'd');
    expect(await r.text('ZRANGE', 'z', '(1', '+inf', 'BYSCORE', 'LIMIT', '1', '2')).toBe('*2\r\n$1\r\nc\r\n$1\r\nd\r\n');
    expect(await r.text('ZRANGE', 'z', '(4', '-inf', 'BYSCORE', 'REV')).toBe('*3\r\n$1\r\nc\r\n$1\r\nb\r\n$1\r\na\r\n');
    expect(await r.text('ZRANGE', 'z', '0', '1', 'LIMIT', '0', '1')).toBe(
      '-ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX\r\n',
    );
    expect(await r.text('ZRANGEBYSCORE', 'z', 'x', '1')).toBe('-ERR min or max is not a float\r\n');
  });

  it('ZRANGEBYLEX reads [ ( - + bounds and refuses others', async () => {
    const r = await connect();
    await r.text('ZADD', 'l', '0', 'a', '0', 'b', '0', 'c');
    expect(await r.text('ZRANGEBYLEX', 'l', '(a', '+')).toBe('*2\r\n$1\r\nb\r\n$1\r\nc\r\n');
    expect(await r.text('ZLEXCOUNT', 'l', '-', '[b')).toBe(':2\r\n');
    expect(await r.text('ZRANGEBYLEX', 'l', 'a', '+')).toBe('-ERR min or max not valid string range item\r\n');
    expect(await r.text('ZRANGE', 'l', '-', '+', 'BYLEX', 'WITHSCORES')).toBe('-ERR syntax error, WITHSCORES not supported in combination with BYLEX\r\n');
  });

  it('ZRANGESTORE stores the range and deletes the destination for an empty one', async () => {
    const r = await connect();
    await r.text('ZADD', 'z', '1', 'a', '2', 'b', '3', 'c');
    expect(await r.text('ZRANGESTORE', 'dst', 'z', '1', '-1')).toBe(':2\r\n');
    expect(await r.text('ZRANGE', 'dst', '0', '-1')).toBe('*2\r\n$1\r\nb\r\n$1\r\nc\r\n');
    expect(await r.text('ZRANGESTORE', 'dst', 'z', '5', '10')).toBe(':0\r\n');
    expect(await r.text('EXISTS', 'dst')).toBe(':0\r\n');
  });
});

describe('removals and pops', () => {
  it('ZREM and ZPOPMIN delete the key when the sorted set empties', async () => {
    const r = await connect();
    await r.text('ZADD', 'z', '1', 'a', '2', 'b');
    expect(await r.text('ZPOPMIN', 'z')).toBe('*2\r\n$1\r\na\r\n$1\r\n1\r\n');
    expect(await r.text('ZREM', 'z', 'b', 'x')).toBe(':1\r\n');
    expect(await r.text('EXISTS', 'z')).toBe(':0\r\n');
    expect(await r.text('ZPOPMIN', 'z', '-1')).toBe('-ERR value is out of range, must be positive\r\n');
  });

  it('ZPOPMAX with COUNT nests pairs in RESP3 only', async () => {
    const r3 = await connect(3);
    await r3.text('ZADD', 'z', '1', 'a', '2', 'b');
    expect(await r3.text('ZPOPMAX', 'z', '2')).toBe('*2\r\n*2\r\n$1\r\nb\r\n,2\r\n*2\r\n$1\r\na\r\n,1\r\n');
  });

  it('ZMPOP pops from the first non-empty key and validates numkeys and COUNT', async () => {
    const r = await connect();
    await r.text('ZADD', 'z2', '1', 'a', '2', 'b');
    expect(await r.text('ZMPOP', '2', 'z1', 'z2', 'MAX', 'COUNT', '5')).toBe('*2\r\n$2\r\nz2\r\n*2\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n');
    expect(await r.text('ZMPOP', '1', 'z2', 'MIN')).toBe('*-1\r\n');
    expect(await r.text('ZMPOP', '0', 'z2', 'MIN')).toBe('-ERR numkeys should be greater than 0\r\n');
    expect(await r.text('ZMPOP', '1', 'z2', 'MIN', 'COUNT', '0')).toBe('-ERR count should be greater than 0\r\n');
  });

  it('BZPOPMIN blocks until ZADD creates the key, then replies key, member and score', async () => {
    const waiter = await connect();
    const writer = await connect();
    const pending = waiter.send('*3\r\n$8\r\nBZPOPMIN\r\n$1\r\nq\r\n$1\r\n0\r\n');
    await writer.text('ZADD', 'q', '5', 'm');
    expect((await pending).toString('latin1')).toBe('*3\r\n$1\r\nq\r\n$1\r\nm\r\n$1\r\n5\r\n');
    expect(await writer.text('EXISTS', 'q')).toBe(':0\r\n');
  });

  it('BZMPOP times out with a null array', async () => {
    const r = await connect();
    expect(await r.text('BZMPOP', '0.01', '1', 'none', 'MIN')).toBe('*-1\r\n');
    expect(await r.text('BZMPOP', '-1', '1', 'none', 'MIN')).toBe('-ERR timeout is negative\r\n');
  });
});

describe('set operations', () => {
  it('ZUNIONSTORE takes sets as inputs with score 1, and WEIGHTS and AGGREGATE', async () => {
    const r = await connect();
    await r.text('ZADD', 'z', '2', 'a', '3', 'b');
    await r.text('SADD', 's', 'a', 'c');
    expect(await r.text('ZUNIONSTORE', 'u', '2', 'z', 's', 'WEIGHTS', '10', '1', 'AGGREGATE', 'MAX')).toBe(':3\r\n');
    expect(await r.text('ZRANGE', 'u', '0', '-1', 'WITHSCORES')).toBe('*6\r\n$1\r\nc\r\n$1\r\n1\r\n$1\r\na\r\n$2\r\n20\r\n$1\r\nb\r\n$2\r\n30\r\n');
    expect(await r.text('ZINTERCARD', '2', 'z', 's')).toBe(':1\r\n');
    expect(await r.text('ZDIFF', '2', 'z', 's')).toBe('*1\r\n$1\r\nb\r\n');
    expect(await r.text('ZUNION', '0', 'z')).toBe("-ERR at least 1 input key is needed for 'zunion' command\r\n");
  });

  it('ZUNIONSTORE, ZMPOP and BZMPOP report their keys to the router', () => {
    expect(getKeys(lookupCommand('zunionstore')!, ['ZUNIONSTORE', 'd', '2', 'a', 'b', 'WEIGHTS', '1', '2'])).toEqual(['d', 'a', 'b']);
    expect(getKeys(lookupCommand('zmpop')!, ['ZMPOP', '2', 'a', 'b', 'MIN'])).toEqual(['a', 'b']);
    expect(getKeys(lookupCommand('bzmpop')!, ['BZMPOP', '0', '1', 'a', 'MIN'])).toEqual(['a']);
    expect(getKeys(lookupCommand('zinter')!, ['ZINTER', 'x', 'a'])).toEqual([]);
  });
});

describe('ZSCAN', () => {
  it('ZSCAN returns a compact sorted set at once and walks a skiplist one to cursor 0', async () => {
    const r = await connect();
    await r.text('ZADD', 'small', '1', 'a', '1.5', 'b');
    expect(await r.text('ZSCAN', 'small', '0', 'COUNT', '1')).toBe('*2\r\n$1\r\n0\r\n*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$3\r\n1.5\r\n');
    const args: string[] = ['ZADD', 'big'];
    for (let i = 0; i < 300; i++) args.push(String(i), `m${i}`);
    await r.text(...args);
    const seen = new Set<string>();
    let cursor = '0';
    do {
      const reply = (await r.text('ZSCAN', 'big', cursor, 'COUNT', '7')).split('\r\n');
      cursor = reply[2]!;
      for (let i = 4; i < reply.length - 1; i += 4) seen.add(reply[i + 1]!);
    } while (cursor !== '0');
    expect(seen.size).toBe(300);
  });
});

describe('ZUNION and ZINTER replies', () => {
  it('ZUNION answers -0 for a negative score times a weight of 0, where ZUNIONSTORE stores 0 (Redis 7.0)', async () => {
    const c = await connect();
    await c.text('ZADD', 'z3', '-1', 'a', '2', 'b');
    expect(await c.text('ZUNION', '3', 'z1', 'z1', 'z3', 'WEIGHTS', '2', '1', '0', 'WITHSCORES')).toBe('*4\r\n$1\r\na\r\n$2\r\n-0\r\n$1\r\nb\r\n$1\r\n0\r\n');
    expect(await c.text('ZINTER', '1', 'z3', 'WEIGHTS', '0', 'WITHSCORES')).toBe('*4\r\n$1\r\na\r\n$2\r\n-0\r\n$1\r\nb\r\n$1\r\n0\r\n');
    expect(await c.text('ZUNIONSTORE', 'd', '1', 'z3', 'WEIGHTS', '0')).toBe(':2\r\n');
    expect(await c.text('ZSCORE', 'd', 'a')).toBe('$1\r\n0\r\n');
  });
});
