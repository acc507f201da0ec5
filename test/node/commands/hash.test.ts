/**
 * Hash commands against an in-process node: the behaviours the differential
 * suite cannot compare (random draws, hashtable scan cursors) and pinned
 * wire texts of Redis 7.0's errors and RESP3 shapes.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Server } from '../../../src/node/server.js';
import { startInProcessNode, type InProcessNode } from '../../helpers/in-process.js';
import { bulkStrings, type RawClient } from '../../helpers/resp.js';

let node: InProcessNode;
let server: Server;
let r: RawClient;

beforeAll(async () => {
  node = await startInProcessNode();
  ({ server, client: r } = node);
});

afterAll(() => node.stop());

beforeEach(async () => {
  for (const db of server.dbs) db.flush();
  server.config.set('hash-max-listpack-entries', '128');
  server.config.set('hash-max-listpack-value', '64');
  await r.text('HELLO', '2');
});

function t(...args: string[]): Promise<string> {
  return r.text(...args);
}

describe('HSET and the listpack encoding', () => {
  it('HSET keeps a small hash as a listpack in insertion order, updates in place', async () => {
    expect(await t('HSET', 'h', 'b', '1', 'a', '2', 'c', '3')).toBe(':3\r\n');
    expect(await t('HSET', 'h', 'a', 'x', 'd', '4')).toBe(':1\r\n');
    expect(bulkStrings(await t('HGETALL', 'h'))).toEqual(['b', '1', 'a', 'x', 'c', '3', 'd', '4']);
    expect(await t('OBJECT', 'ENCODING', 'h')).toBe('$8\r\nlistpack\r\n');
  });

  it('HSET converts to hashtable past hash-max-listpack-entries and never back', async () => {
    await t('CONFIG', 'SET', 'hash-max-listpack-entries', '2');
    expect(await t('HSET', 'h', 'a', '1', 'b', '2')).toBe(':2\r\n');
    expect(await t('OBJECT', 'ENCODING', 'h')).toBe('$8\r\nlistpack\r\n');
    expect(await t('HSET', 'h', 'c', '3')).toBe(':1\r\n');
    expect(await t('OBJECT', 'ENCODING', 'h')).toBe('$9\r\nhashtable\r\n');
    await t('HDEL', 'h', 'a', 'b');
    expect(await t('OBJECT', 'ENCODING', 'h')).toBe('$9\r\nhashtable\r\n');
    expect(await t('HGETALL', 'h')).toBe('*2\r\n$1\r\nc\r\n$1\r\n3\r\n');
  });

  it('HSET converts to hashtable when a value is longer than hash-max-listpack-value', async () => {
    await t('CONFIG', 'SET', 'hash-max-listpack-value', '4');
    await t('HSET', 'h', 'a', '1234');
    expect(await t('OBJECT', 'ENCODING', 'h')).toBe('$8\r\nlistpack\r\n');
    await t('HSET', 'h', 'b', '12345');
    expect(await t('OBJECT', 'ENCODING', 'h')).toBe('$9\r\nhashtable\r\n');
  });

  it('HSET stores binary fields and values of any length in a listpack', async () => {
    await t('CONFIG', 'SET', 'hash-max-listpack-value', '100000');
    const long = 'x\x00\xff'.repeat(20000);
    await t('HSET', 'h', '\x00', long, 'k', '');
    expect(await t('OBJECT', 'ENCODING', 'h')).toBe('$8\r\nlistpack\r\n');
    expect(await t('HGET', 'h', '\x00')).toBe(`$${long.length}\r\n${long}\r\n`);
    expect(await t('HSTRLEN', 'h', '\x00')).toBe(`:${long.length}\r\n`);
    expect(await t('HGET', 'h', 'k')).toBe('$0\r\n\r\n');
  });

  it('HSET with an odd number of arguments fails with the arity error', async () => {
    expect(await t('HSET', 'h', 'a', '1', 'b')).toBe("-ERR wrong number of arguments for 'hset' command\r\n");
    expect(await t('HMSET', 'h', 'a', '1', 'b')).toBe("-ERR wrong number of arguments for 'hmset' command\r\n");
  });

  it('HSET fails against a key holding a string', async () => {
    await t('SET', 's', 'x');
    expect(await t('HSET', 's', 'a', '1')).toMatch(/^-WRONGTYPE/);
  });

  it('HDEL deletes the key when the last field goes', async () => {
    await t('HSET', 'h', 'a', '1');
    expect(await t('HDEL', 'h', 'a', 'a')).toBe(':1\r\n');
    expect(await t('EXISTS', 'h')).toBe(':0\r\n');
  });
});

describe('HINCRBY and HINCRBYFLOAT', () => {
  it('HINCRBY fails on a non-integer value and on overflow', async () => {
    await t('HSET', 'h', 'f', '1.5', 'n', '9223372036854775807');
    expect(await t('HINCRBY', 'h', 'f', '1')).toBe('-ERR hash value is not an integer\r\n');
    expect(await t('HINCRBY', 'h', 'n', '1')).toBe('-ERR increment or decrement would overflow\r\n');
    expect(await t('HINCRBY', 'h', 'n', '-1')).toBe(':9223372036854775806\r\n');
  });

  it('HINCRBYFLOAT computes in long double and prints as Redis', async () => {
    expect(await t('HINCRBYFLOAT', 'h', 'f', '0.1')).toBe('$3\r\n0.1\r\n');
    expect(await t('HINCRBYFLOAT', 'h', 'f', '0.2')).toBe('$3\r\n0.3\r\n');
    expect(await t('HINCRBYFLOAT', 'h', 'f', 'inf')).toBe('-ERR value is NaN or Infinity\r\n');
    await t('HSET', 'h', 'x', 'abc');
    expect(await t('HINCRBYFLOAT', 'h', 'x', '1')).toBe('-ERR hash value is not a float\r\n');
  });
});

describe('HRANDFIELD', () => {
  it('HRANDFIELD with a negative count may repeat fields and returns exactly |count|', async () => {
    await t('HSET', 'h', 'a', '1', 'b', '2');
    const fields = bulkStrings(await t('HRANDFIELD', 'h', '-50'));
    expect(fields).toHaveLength(50);
    expect(new Set(fields)).toEqual(new Set(['a', 'b']));
  });

  it('HRANDFIELD with a positive count returns distinct fields', async () => {
    const args: string[] = [];
    for (let i = 0; i < 200; i++) args.push('f' + i, 'v' + i);
    await t('HSET', 'h', ...args);
    for (const enc of ['listpack', 'hashtable']) {
      if (enc === 'hashtable') await t('HSET', 'h', 'big', 'x'.repeat(100));
      const fields = bulkStrings(await t('HRANDFIELD', 'h', '30'));
      expect(fields).toHaveLength(30);
      expect(new Set(fields).size).toBe(30);
    }
  });

  it('HRANDFIELD WITHVALUES replies pairs as arrays in RESP3', async () => {
    await t('HSET', 'h', 'a', '1');
    await t('HELLO', '3');
    expect(await t('HRANDFIELD', 'h', '-2', 'WITHVALUES')).toBe('*2\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n');
    expect(await t('HRANDFIELD', 'h', '5', 'WITHVALUES')).toBe('*1\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n');
    expect(await t('HGETALL', 'h')).toBe('%1\r\n$1\r\na\r\n$1\r\n1\r\n');
  });

  it('HRANDFIELD checks the count before the key', async () => {
    expect(await t('HRANDFIELD', 'nokey', 'x')).toBe('-ERR value is not an integer or out of range\r\n');
    expect(await t('HRANDFIELD', 'nokey', '4611686018427387904', 'WITHVALUES')).toBe('-ERR value is out of range\r\n');
    expect(await t('HRANDFIELD', 'nokey', '5')).toBe('*0\r\n');
  });
});

describe('HSCAN', () => {
  it('HSCAN returns a listpack hash whole with cursor 0 whatever COUNT', async () => {
    await t('HSET', 'h', 'a', '1', 'b', '2', 'c', '3');
    expect(await t('HSCAN', 'h', '0', 'COUNT', '1')).toBe('*2\r\n$1\r\n0\r\n*6\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$1\r\n3\r\n');
    expect(await t('HSCAN', 'h', '0', 'MATCH', 'b*')).toBe('*2\r\n$1\r\n0\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n');
  });

  it('HSCAN over a hashtable returns every field present for the whole scan, despite changes', async () => {
    const args: string[] = [];
    for (let i = 0; i < 500; i++) args.push('f' + i, 'v' + i);
    await t('HSET', 'h', ...args);
    expect(await t('OBJECT', 'ENCODING', 'h')).toBe('$9\r\nhashtable\r\n');
    const seen = new Set<string>();
    let cursor = '0';
    let calls = 0;
    do {
      const reply = await t('HSCAN', 'h', cursor, 'COUNT', '20');
      const items = bulkStrings(reply);
      cursor = items[0]!;
      for (let i = 1; i < items.length; i += 2) {
        if (items[i]!.startsWith('f')) expect(items[i + 1]).toBe('v' + items[i]!.slice(1));
        seen.add(items[i]!);
      }
      // Churn between calls: delete some fields (f400..f499 go), add new ones.
      await t('HDEL', 'h', 'f' + (400 + calls));
      await t('HSET', 'h', 'new' + calls, 'x');
      calls++;
    } while (cursor !== '0' && calls < 1000);
    expect(cursor).toBe('0');
    for (let i = 0; i < 400; i++) expect(seen.has('f' + i)).toBe(true);
    expect(calls).toBeLessThan(60);
  });

  it('HSCAN checks the cursor, then the key, then the options', async () => {
    expect(await t('HSCAN', 'nokey', 'x')).toBe('-ERR invalid cursor\r\n');
    expect(await t('HSCAN', 'nokey', '0', 'COUNT', '0')).toBe('*2\r\n$1\r\n0\r\n*0\r\n');
    await t('HSET', 'h', 'a', '1');
    expect(await t('HSCAN', 'h', '0', 'COUNT', '0')).toBe('-ERR syntax error\r\n');
    expect(await t('HSCAN', 'h', '0', 'COUNT', 'x')).toBe('-ERR value is not an integer or out of range\r\n');
    expect(await t('HSCAN', 'h', '0', 'TYPE', 'hash')).toBe('-ERR syntax error\r\n');
  });
});

describe('DUMP and RESTORE of hashes', () => {
  it('RESTORE rebuilds a hash from DUMP in both encodings', async () => {
    await t('HSET', 'h', 'a', '1', 'b', '\x00\xff');
    const big: string[] = [];
    for (let i = 0; i < 200; i++) big.push('f' + i, 'v' + i);
    await t('HSET', 'big', ...big);
    for (const k of ['h', 'big']) {
      const dump = bulkStrings(await t('DUMP', k))[0]!;
      expect(await t('RESTORE', k + '2', '0', dump)).toBe('+OK\r\n');
      expect(await t('HGETALL', k + '2')).toBe(await t('HGETALL', k));
      expect(await t('OBJECT', 'ENCODING', k + '2')).toBe(await t('OBJECT', 'ENCODING', k));
    }
  });
});
