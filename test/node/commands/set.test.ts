/**
 * Set commands against an in-process node: random draws, hashtable scan
 * cursors, encoding changes driven by CONFIG SET, and pinned Redis 7.0 wire
 * texts and RESP3 shapes.
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
  server.config.set('set-max-intset-entries', '512');
  await r.text('HELLO', '2');
});

function t(...args: string[]): Promise<string> {
  return r.text(...args);
}

function range(n: number, prefix = ''): string[] {
  return Array.from({ length: n }, (_, i) => prefix + i);
}

describe('SADD and the encodings', () => {
  it('SADD keeps canonical integers in a sorted intset', async () => {
    expect(await t('SADD', 's', '10', '-3', '2', '9223372036854775807', '-9223372036854775808', '2')).toBe(':5\r\n');
    expect(await t('OBJECT', 'ENCODING', 's')).toBe('$6\r\nintset\r\n');
    expect(bulkStrings(await t('SMEMBERS', 's'))).toEqual(['-9223372036854775808', '-3', '2', '10', '9223372036854775807']);
  });

  it('SADD converts to hashtable on a non-canonical integer such as -0 or 007', async () => {
    await t('SADD', 's', '1');
    await t('SADD', 's', '-0');
    expect(await t('OBJECT', 'ENCODING', 's')).toBe('$9\r\nhashtable\r\n');
    await t('SADD', 't', '007');
    expect(await t('OBJECT', 'ENCODING', 't')).toBe('$9\r\nhashtable\r\n');
  });

  it('SADD converts past set-max-intset-entries as set by CONFIG SET at that moment', async () => {
    await t('SADD', 's', ...range(5));
    await t('CONFIG', 'SET', 'set-max-intset-entries', '5');
    expect(await t('OBJECT', 'ENCODING', 's')).toBe('$6\r\nintset\r\n');
    await t('SADD', 's', '5');
    expect(await t('OBJECT', 'ENCODING', 's')).toBe('$9\r\nhashtable\r\n');
    await t('SREM', 's', '0', '1', '2', '3', '4');
    expect(await t('OBJECT', 'ENCODING', 's')).toBe('$9\r\nhashtable\r\n');
  });

  it('SADD fails against a key holding a string', async () => {
    await t('SET', 'k', 'x');
    expect(await t('SADD', 'k', 'a')).toMatch(/^-WRONGTYPE/);
  });

  it('SREM deletes the key when the last member goes', async () => {
    await t('SADD', 's', 'a', '1');
    expect(await t('SREM', 's', 'a', '1', 'b')).toBe(':2\r\n');
    expect(await t('EXISTS', 's')).toBe(':0\r\n');
  });
});

describe('SPOP and SRANDMEMBER', () => {
  it('SPOP with a count removes that many distinct members and replies a RESP3 set', async () => {
    await t('SADD', 's', ...range(50, 'm'));
    await t('HELLO', '3');
    const reply = await t('SPOP', 's', '20');
    expect(reply.startsWith('~20\r\n')).toBe(true);
    const popped = bulkStrings(reply);
    expect(new Set(popped).size).toBe(20);
    expect(await t('SCARD', 's')).toBe(':30\r\n');
    for (const m of popped) expect(await t('SISMEMBER', 's', m)).toBe(':0\r\n');
  });

  it('SPOP with a count of at least the size empties and deletes the set', async () => {
    await t('SADD', 's', '3', '1', '2');
    expect(await t('SPOP', 's', '10')).toBe('*3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n');
    expect(await t('EXISTS', 's')).toBe(':0\r\n');
  });

  it('SPOP rejects a negative or malformed count with Redis text', async () => {
    expect(await t('SPOP', 's', '-1')).toBe('-ERR value is out of range, must be positive\r\n');
    expect(await t('SPOP', 's', 'x')).toBe('-ERR value is out of range, must be positive\r\n');
  });

  it('SRANDMEMBER with a negative count repeats members and keeps the set', async () => {
    await t('SADD', 's', 'a');
    expect(bulkStrings(await t('SRANDMEMBER', 's', '-3'))).toEqual(['a', 'a', 'a']);
    expect(await t('SCARD', 's')).toBe(':1\r\n');
  });

  it('SRANDMEMBER with a positive count returns distinct members as an array, also in RESP3', async () => {
    await t('SADD', 's', ...range(100, 'm'));
    await t('HELLO', '3');
    const reply = await t('SRANDMEMBER', 's', '40');
    expect(reply.startsWith('*40\r\n')).toBe(true);
    expect(new Set(bulkStrings(reply)).size).toBe(40);
  });

  it('SRANDMEMBER rejects the count -2^63 with the range message', async () => {
    await t('SADD', 's', 'a');
    expect(await t('SRANDMEMBER', 's', '-9223372036854775808')).toBe(
      '-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807\r\n',
    );
  });
});

describe('SMOVE and the multi-key operations', () => {
  it('SMOVE moves a member, creating the destination and deleting an emptied source', async () => {
    await t('SADD', 'a', 'x');
    expect(await t('SMOVE', 'a', 'b', 'x')).toBe(':1\r\n');
    expect(await t('EXISTS', 'a')).toBe(':0\r\n');
    expect(await t('SMEMBERS', 'b')).toBe('*1\r\n$1\r\nx\r\n');
    expect(await t('SMOVE', 'b', 'b', 'x')).toBe(':1\r\n');
  });

  it('SINTER checks every type before answering empty for a missing key', async () => {
    await t('SET', 'str', 'x');
    expect(await t('SINTER', 'nokey', 'str')).toMatch(/^-WRONGTYPE/);
    await t('SADD', 'a', '1');
    expect(await t('SINTER', 'a', 'nokey')).toBe('*0\r\n');
  });

  it('SINTERCARD stops at LIMIT and validates numkeys with Redis texts', async () => {
    await t('SADD', 'a', ...range(10));
    await t('SADD', 'b', ...range(10));
    expect(await t('SINTERCARD', '2', 'a', 'b')).toBe(':10\r\n');
    expect(await t('SINTERCARD', '2', 'a', 'b', 'LIMIT', '3')).toBe(':3\r\n');
    expect(await t('SINTERCARD', '0', 'a')).toBe('-ERR numkeys should be greater than 0\r\n');
    expect(await t('SINTERCARD', '3', 'a', 'b')).toBe("-ERR Number of keys can't be greater than number of args\r\n");
    expect(await t('SINTERCARD', '1', 'a', 'LIMIT', '-1')).toBe("-ERR LIMIT can't be negative\r\n");
  });

  it('SUNIONSTORE replaces the destination whatever its type and TTL; an empty result deletes it', async () => {
    await t('SET', 'dst', 'x', 'EX', '100');
    await t('SADD', 'a', '1', '2');
    expect(await t('SUNIONSTORE', 'dst', 'a', 'nokey')).toBe(':2\r\n');
    expect(await t('TTL', 'dst')).toBe(':-1\r\n');
    expect(await t('OBJECT', 'ENCODING', 'dst')).toBe('$6\r\nintset\r\n');
    expect(await t('SDIFFSTORE', 'dst', 'a', 'a')).toBe(':0\r\n');
    expect(await t('EXISTS', 'dst')).toBe(':0\r\n');
  });

  it('SDIFF, SUNION and SINTER reply RESP3 sets', async () => {
    await t('SADD', 'a', '1', '2', '3');
    await t('SADD', 'b', '2');
    await t('HELLO', '3');
    expect(await t('SDIFF', 'a', 'b')).toBe('~2\r\n$1\r\n1\r\n$1\r\n3\r\n');
    expect(await t('SINTER', 'a', 'b')).toBe('~1\r\n$1\r\n2\r\n');
    expect(await t('SUNION', 'b', 'nokey')).toBe('~1\r\n$1\r\n2\r\n');
    expect(await t('SMISMEMBER', 'a', '1', '9')).toBe('*2\r\n:1\r\n:0\r\n');
  });
});

describe('SSCAN', () => {
  it('SSCAN returns an intset whole, ascending, with cursor 0', async () => {
    await t('SADD', 's', '5', '-1', '3');
    expect(await t('SSCAN', 's', '0', 'COUNT', '1')).toBe('*2\r\n$1\r\n0\r\n*3\r\n$2\r\n-1\r\n$1\r\n3\r\n$1\r\n5\r\n');
  });

  it('SSCAN over a hashtable returns every member present for the whole scan, despite SPOP and SADD', async () => {
    await t('SADD', 's', ...range(300, 'm'));
    await t('SADD', 'keep', ...range(200, 'm'));
    const seen = new Set<string>();
    let cursor = '0';
    let calls = 0;
    do {
      const items = bulkStrings(await t('SSCAN', 's', cursor, 'COUNT', '15'));
      cursor = items[0]!;
      for (const m of items.slice(1)) seen.add(m);
      // Remove members outside the kept range, add new ones.
      await t('SREM', 's', 'm' + (299 - calls));
      await t('SADD', 's', 'new' + calls);
      calls++;
    } while (cursor !== '0' && calls < 1000);
    for (let i = 0; i < 200; i++) expect(seen.has('m' + i)).toBe(true);
    expect(calls).toBeLessThan(40);
  });

  it('SSCAN MATCH filters members with glob patterns', async () => {
    await t('SADD', 's', 'apple', 'banana', 'avocado');
    const items = bulkStrings(await t('SSCAN', 's', '0', 'MATCH', 'a*', 'COUNT', '100'));
    expect(items[0]).toBe('0');
    expect(items.slice(1).sort()).toEqual(['apple', 'avocado']);
  });
});

describe('DUMP and RESTORE of sets', () => {
  it('RESTORE rebuilds intsets and hashtables from DUMP', async () => {
    await t('SADD', 'i', '1', '-5', '7');
    await t('SADD', 'h', 'a', '\x00\xff', '1');
    for (const k of ['i', 'h']) {
      const dump = bulkStrings(await t('DUMP', k))[0]!;
      expect(await t('RESTORE', k + '2', '0', dump)).toBe('+OK\r\n');
      expect(await t('SMEMBERS', k + '2')).toBe(await t('SMEMBERS', k));
      expect(await t('OBJECT', 'ENCODING', k + '2')).toBe(await t('OBJECT', 'ENCODING', k));
    }
  });
});
