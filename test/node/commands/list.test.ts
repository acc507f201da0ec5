/**
 * List commands on one Shardis node, reply bytes pinned to what Redis 7.0.15
 * sends (checked by hand against redis-server; the differential suite
 * test/differential/list.test.ts covers random sequences).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RawClient } from '../../helpers/resp.js';
import { startShardis, type RunningServer } from '../../helpers/servers.js';

let server: RunningServer;
let r: RawClient;

beforeAll(async () => {
  server = await startShardis();
  r = await RawClient.connect(server.port);
});

afterAll(async () => {
  r?.close();
  await server?.stop();
});

beforeEach(async () => {
  await r.call('FLUSHALL');
});

const WRONGTYPE = '-WRONGTYPE Operation against a key holding the wrong kind of value\r\n';

function bulks(...items: string[]): string {
  return `*${items.length}\r\n` + items.map((s) => `$${s.length}\r\n${s}\r\n`).join('');
}

async function range(key: string): Promise<string> {
  return r.text('LRANGE', key, '0', '-1');
}

describe('pushes', () => {
  it('LPUSH prepends each element in turn and returns the new length', async () => {
    expect(await r.text('LPUSH', 'l', 'a', 'b', 'c')).toBe(':3\r\n');
    expect(await range('l')).toBe(bulks('c', 'b', 'a'));
  });

  it('RPUSH appends binary elements unchanged', async () => {
    expect(await r.text('RPUSH', 'l', '\x00\xff', '', 'x\r\ny')).toBe(':3\r\n');
    expect(await range('l')).toBe(bulks('\x00\xff', '', 'x\r\ny'));
  });

  it('LPUSHX and RPUSHX do nothing on a missing key', async () => {
    expect(await r.text('LPUSHX', 'l', 'a')).toBe(':0\r\n');
    expect(await r.text('RPUSHX', 'l', 'a')).toBe(':0\r\n');
    expect(await r.text('EXISTS', 'l')).toBe(':0\r\n');
    await r.call('RPUSH', 'l', 'x');
    expect(await r.text('RPUSHX', 'l', 'y', 'z')).toBe(':3\r\n');
    expect(await r.text('LPUSHX', 'l', 'w')).toBe(':4\r\n');
    expect(await range('l')).toBe(bulks('w', 'x', 'y', 'z'));
  });

  it('LPUSH fails against a key holding a string', async () => {
    await r.call('SET', 's', 'v');
    expect(await r.text('LPUSH', 's', 'a')).toBe(WRONGTYPE);
    expect(await r.text('LPUSHX', 's', 'a')).toBe(WRONGTYPE);
  });
});

describe('pops', () => {
  it('LPOP and RPOP take from either end and delete the emptied list', async () => {
    await r.call('RPUSH', 'l', 'a', 'b');
    expect(await r.text('LPOP', 'l')).toBe('$1\r\na\r\n');
    expect(await r.text('RPOP', 'l')).toBe('$1\r\nb\r\n');
    expect(await r.text('EXISTS', 'l')).toBe(':0\r\n');
    expect(await r.text('LPOP', 'l')).toBe('$-1\r\n');
  });

  it('LPOP with a count returns an array, a null array for a missing key and an empty one for 0', async () => {
    await r.call('RPUSH', 'l', 'a', 'b', 'c');
    expect(await r.text('LPOP', 'l', '2')).toBe(bulks('a', 'b'));
    expect(await r.text('RPOP', 'l', '0')).toBe('*0\r\n');
    expect(await r.text('RPOP', 'l', '10')).toBe(bulks('c'));
    expect(await r.text('LPOP', 'l', '1')).toBe('*-1\r\n');
    expect(await r.text('LPOP', 'l', '-1')).toBe('-ERR value is out of range, must be positive\r\n');
    expect(await r.text('LPOP', 'l', '1', '2')).toBe("-ERR wrong number of arguments for 'lpop' command\r\n");
  });

  it('LPOP answers RESP3 nulls for a missing key with and without a count', async () => {
    const c3 = await RawClient.connect(server.port);
    try {
      await c3.call('HELLO', '3');
      expect(await c3.text('LPOP', 'nokey')).toBe('_\r\n');
      expect(await c3.text('LPOP', 'nokey', '3')).toBe('_\r\n');
      expect(await c3.text('LMPOP', '1', 'nokey', 'LEFT')).toBe('_\r\n');
    } finally {
      c3.close();
    }
  });

  it('LMPOP pops up to COUNT elements from the first non-empty list', async () => {
    await r.call('RPUSH', 'b', '1', '2', '3');
    expect(await r.text('LMPOP', '2', 'a', 'b', 'RIGHT', 'COUNT', '2')).toBe('*2\r\n$1\r\nb\r\n' + bulks('3', '2'));
    expect(await r.text('LMPOP', '2', 'a', 'b', 'LEFT')).toBe('*2\r\n$1\r\nb\r\n' + bulks('1'));
    expect(await r.text('LMPOP', '2', 'a', 'b', 'LEFT')).toBe('*-1\r\n');
    expect(await r.text('LMPOP', '0', 'a', 'LEFT')).toBe('-ERR numkeys should be greater than 0\r\n');
    expect(await r.text('LMPOP', '1', 'a', 'LEFT', 'COUNT', '0')).toBe('-ERR count should be greater than 0\r\n');
    expect(await r.text('LMPOP', '1', 'a', 'UP')).toBe('-ERR syntax error\r\n');
  });
});

describe('reads and positional edits', () => {
  it('LRANGE clamps out-of-range ends and counts negative indexes from the tail', async () => {
    await r.call('RPUSH', 'l', 'a', 'b', 'c', 'd');
    expect(await r.text('LRANGE', 'l', '-100', '1')).toBe(bulks('a', 'b'));
    expect(await r.text('LRANGE', 'l', '-2', '100')).toBe(bulks('c', 'd'));
    expect(await r.text('LRANGE', 'l', '3', '1')).toBe('*0\r\n');
    expect(await r.text('LRANGE', 'l', 'x', '1')).toBe('-ERR value is not an integer or out of range\r\n');
  });

  it('LINDEX and LLEN read without changing the list', async () => {
    await r.call('RPUSH', 'l', 'a', 'b');
    expect(await r.text('LINDEX', 'l', '-1')).toBe('$1\r\nb\r\n');
    expect(await r.text('LINDEX', 'l', '2')).toBe('$-1\r\n');
    expect(await r.text('LLEN', 'l')).toBe(':2\r\n');
    expect(await r.text('LLEN', 'nokey')).toBe(':0\r\n');
  });

  it('LSET replaces an element and reports missing keys and bad indexes', async () => {
    await r.call('RPUSH', 'l', 'a', 'b');
    expect(await r.text('LSET', 'l', '-1', 'z')).toBe('+OK\r\n');
    expect(await range('l')).toBe(bulks('a', 'z'));
    expect(await r.text('LSET', 'l', '2', 'z')).toBe('-ERR index out of range\r\n');
    expect(await r.text('LSET', 'nokey', '0', 'z')).toBe('-ERR no such key\r\n');
  });

  it('LINSERT inserts around the first pivot, -1 without pivot, 0 without key', async () => {
    await r.call('RPUSH', 'l', 'a', 'b', 'a');
    expect(await r.text('LINSERT', 'l', 'AFTER', 'a', 'x')).toBe(':4\r\n');
    expect(await r.text('LINSERT', 'l', 'before', 'b', 'y')).toBe(':5\r\n');
    expect(await range('l')).toBe(bulks('a', 'x', 'y', 'b', 'a'));
    expect(await r.text('LINSERT', 'l', 'BEFORE', 'zz', 'y')).toBe(':-1\r\n');
    expect(await r.text('LINSERT', 'nokey', 'BEFORE', 'a', 'y')).toBe(':0\r\n');
    expect(await r.text('LINSERT', 'l', 'MIDDLE', 'a', 'y')).toBe('-ERR syntax error\r\n');
  });

  it('LREM removes from the head, from the tail or everywhere', async () => {
    await r.call('RPUSH', 'l', 'a', 'b', 'a', 'c', 'a');
    expect(await r.text('LREM', 'l', '-2', 'a')).toBe(':2\r\n');
    expect(await range('l')).toBe(bulks('a', 'b', 'c'));
    expect(await r.text('LREM', 'l', '0', 'a')).toBe(':1\r\n');
    expect(await r.text('LREM', 'l', '0', 'b')).toBe(':1\r\n');
    expect(await r.text('LREM', 'l', '0', 'c')).toBe(':1\r\n');
    expect(await r.text('EXISTS', 'l')).toBe(':0\r\n');
  });

  it('LTRIM keeps a range and deletes the key when the range is empty', async () => {
    await r.call('RPUSH', 'l', 'a', 'b', 'c', 'd');
    expect(await r.text('LTRIM', 'l', '1', '-2')).toBe('+OK\r\n');
    expect(await range('l')).toBe(bulks('b', 'c'));
    expect(await r.text('LTRIM', 'l', '5', '10')).toBe('+OK\r\n');
    expect(await r.text('EXISTS', 'l')).toBe(':0\r\n');
  });

  it('LPOS finds matches by RANK, COUNT and MAXLEN', async () => {
    await r.call('RPUSH', 'l', 'a', 'b', 'a', 'c', 'a');
    expect(await r.text('LPOS', 'l', 'a')).toBe(':0\r\n');
    expect(await r.text('LPOS', 'l', 'a', 'RANK', '2')).toBe(':2\r\n');
    expect(await r.text('LPOS', 'l', 'a', 'RANK', '-1')).toBe(':4\r\n');
    expect(await r.text('LPOS', 'l', 'a', 'COUNT', '0')).toBe('*3\r\n:0\r\n:2\r\n:4\r\n');
    expect(await r.text('LPOS', 'l', 'a', 'COUNT', '0', 'MAXLEN', '3')).toBe('*2\r\n:0\r\n:2\r\n');
    expect(await r.text('LPOS', 'l', 'z')).toBe('$-1\r\n');
    expect(await r.text('LPOS', 'l', 'a', 'RANK', '0')).toMatch(/^-ERR RANK can't be zero/);
    expect(await r.text('LPOS', 'l', 'a', 'COUNT', '-1')).toBe("-ERR COUNT can't be negative\r\n");
  });
});

describe('moves', () => {
  it('LMOVE moves between lists and rotates a list onto itself', async () => {
    await r.call('RPUSH', 'src', 'a', 'b', 'c');
    expect(await r.text('LMOVE', 'src', 'dst', 'LEFT', 'RIGHT')).toBe('$1\r\na\r\n');
    expect(await r.text('LMOVE', 'src', 'src', 'RIGHT', 'LEFT')).toBe('$1\r\nc\r\n');
    expect(await range('src')).toBe(bulks('c', 'b'));
    expect(await range('dst')).toBe(bulks('a'));
    expect(await r.text('LMOVE', 'nokey', 'dst', 'LEFT', 'LEFT')).toBe('$-1\r\n');
  });

  it('RPOPLPUSH fails against a destination holding a string and leaves the source intact', async () => {
    await r.call('RPUSH', 'src', 'a');
    await r.call('SET', 's', 'v');
    expect(await r.text('RPOPLPUSH', 'src', 's')).toBe(WRONGTYPE);
    expect(await range('src')).toBe(bulks('a'));
  });

  it('OBJECT ENCODING reports quicklist for lists of any size, as Redis 7.0', async () => {
    await r.call('RPUSH', 'l', 'a');
    expect(await r.text('OBJECT', 'ENCODING', 'l')).toBe('$9\r\nquicklist\r\n');
  });

  it('DUMP and RESTORE round-trip a list', async () => {
    await r.call('RPUSH', 'l', 'a', '\x00', 'c:d');
    const payload = (await r.call('DUMP', 'l')).toString('latin1');
    const body = payload.slice(payload.indexOf('\r\n') + 2, -2);
    expect(await r.text('RESTORE', 'copy', '0', body)).toBe('+OK\r\n');
    expect(await range('copy')).toBe(bulks('a', '\x00', 'c:d'));
  });
});
