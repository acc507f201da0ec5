/**
 * Redis's DUMP format both ways (src/node/rdb-payload.ts): values built in a
 * real Redis 7, dumped there and restored here read back the same, and the
 * other way round; encodings Redis 7 no longer writes (ziplists, linked
 * lists, text scores) are built by hand; malformed RDB never gets past
 * "Bad data format".
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import fc from 'fast-check';
import { crc64 } from '../../src/node/dump.js';
import { RdbPayloadWriter, serializeRdb } from '../../src/node/rdb-payload.js';
import { HashValue } from '../../src/node/types/hash.js';
import { ListValue } from '../../src/node/types/list.js';
import { SetValue } from '../../src/node/types/set.js';
import { ZSetValue } from '../../src/node/types/zset.js';
import { startInProcessNode, type InProcessNode } from '../helpers/in-process.js';
import { RawClient } from '../helpers/resp.js';
import { redisAvailable, startRedis, type RunningServer } from '../helpers/servers.js';

/** A Redis-style payload: type, body, RDB version, CRC-64. */
function frame(type: number, body: string, version = 10): Buffer {
  const s = String.fromCharCode(type) + body + String.fromCharCode(version & 0xff, version >> 8);
  return Buffer.from(s + crc64(s), 'latin1');
}

/** An RDB string of `s` (6- or 14-bit length). */
function rdbString(s: string): string {
  if (s.length < 64) return String.fromCharCode(s.length) + s;
  return String.fromCharCode(0x40 | (s.length >> 8), s.length & 0xff) + s;
}

function u32le(n: number): string {
  return String.fromCharCode(n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, n >>> 24);
}

/** A ziplist of short strings and small integers (the encodings Redis 6 wrote for them). */
function ziplist(items: readonly (string | number)[]): string {
  let body = '';
  let prev = 0;
  let tail = 10;
  for (const it of items) {
    let enc: string;
    if (typeof it === 'number' && it >= 0 && it <= 12) enc = String.fromCharCode(0xf1 + it);
    else if (typeof it === 'number') enc = '\xc0' + String.fromCharCode(it & 0xff, (it >> 8) & 0xff);
    else enc = String.fromCharCode(it.length) + it;
    tail = 10 + body.length;
    const entry = String.fromCharCode(prev) + enc;
    body += entry;
    prev = entry.length;
  }
  const total = 10 + body.length + 1;
  return u32le(total) + u32le(tail) + String.fromCharCode(items.length & 0xff, items.length >> 8) + body + '\xff';
}

/** The bytes of a bulk-string reply. */
function bulk(reply: Buffer): Buffer {
  const nl = reply.indexOf('\r\n');
  return reply.subarray(nl + 2, nl + 2 + Number(reply.subarray(1, nl).toString()));
}

describe('RdbPayloadWriter', () => {
  const str = fc.string({ unit: 'binary', maxLength: 20 });
  const value = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 3000, size: 'max' }),
    fc.array(str, { minLength: 1, maxLength: 3000, size: 'max' }).map((xs) => ListValue.from(xs)),
    fc.uniqueArray(str, { minLength: 1, maxLength: 3000, size: 'max' }).map((xs) => SetValue.from(xs, { maxIntsetEntries: 512 })),
    fc.uniqueArray(fc.nat(), { minLength: 1, maxLength: 3000, size: 'max' }).map((xs) => SetValue.from(xs.map(String), { maxIntsetEntries: 4096 })),
    fc.uniqueArray(fc.tuple(str, fc.double({ noNaN: true })), { minLength: 1, maxLength: 3000, size: 'max', selector: (t) => t[0] }).map((ts) =>
      ZSetValue.from(ts.map((t) => t[0]), ts.map((t) => t[1]), { maxEntries: 128, maxValue: 64 }),
    ),
    fc.uniqueArray(fc.tuple(str, str), { minLength: 1, maxLength: 3000, size: 'max', selector: (t) => t[0] }).map((ts) => HashValue.fromPairs(ts.flat(), { maxEntries: 128, maxValue: 64 })),
  );

  it('RdbPayloadWriter built one short step at a time gives the payload serializeRdb gives', () => {
    fc.assert(
      fc.property(value, (v) => {
        const w = new RdbPayloadWriter(v);
        let steps = 1;
        // A deadline already past: every step stops at its first look at the clock.
        while (!w.step(0)) steps++;
        const payload = w.pieces.join('');
        expect(payload).toBe(serializeRdb(v));
        expect(w.length).toBe(payload.length);
        if (typeof v !== 'string' && v.size > 300) expect(steps).toBeGreaterThan(1);
      }),
      { numRuns: 200 },
    );
  });
});

describe('RESTORE of hand-built Redis payloads', () => {
  let node: InProcessNode;
  beforeAll(async () => {
    node = await startInProcessNode();
  });
  afterAll(async () => node?.stop());
  const t = (...args: (string | Buffer)[]): Promise<string> => node.client.text(...args);

  it('RESTORE reads the ziplist hash, list and sorted set of Redis 6 payloads', async () => {
    expect(await t('RESTORE', 'zh', '0', frame(13, rdbString(ziplist(['a', 1, 'b', -300])), 9))).toBe('+OK\r\n');
    expect(await t('HGETALL', 'zh')).toBe('*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$4\r\n-300\r\n');
    expect(await t('RESTORE', 'zl', '0', frame(10, rdbString(ziplist(['x', 12, 'y'])), 9))).toBe('+OK\r\n');
    expect(await t('LRANGE', 'zl', '0', '-1')).toBe('*3\r\n$1\r\nx\r\n$2\r\n12\r\n$1\r\ny\r\n');
    expect(await t('RESTORE', 'zz', '0', frame(12, rdbString(ziplist(['m', 2, 'n', '1.5', 'o', 'inf'])), 9))).toBe('+OK\r\n');
    expect(await t('ZRANGE', 'zz', '0', '-1', 'WITHSCORES')).toBe('*6\r\n$1\r\nn\r\n$3\r\n1.5\r\n$1\r\nm\r\n$1\r\n2\r\n$1\r\no\r\n$3\r\ninf\r\n');
    // A quicklist of two ziplists (Redis 3.2 to 6.2).
    expect(await t('RESTORE', 'ql', '0', frame(14, '\x02' + rdbString(ziplist(['a', 'b'])) + rdbString(ziplist([3])), 9))).toBe('+OK\r\n');
    expect(await t('LRANGE', 'ql', '0', '-1')).toBe('*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\n3\r\n');
  });

  it('DUMP writes RDB version 9 (Redis 5.0), the oldest that has every type it writes, so Redis 5.0 and later RESTORE it', async () => {
    await t('SET', 'dv:s', 'x');
    await t('RPUSH', 'dv:l', 'a');
    await t('ZADD', 'dv:z', '1', 'a');
    for (const key of ['dv:s', 'dv:l', 'dv:z']) {
      const p = bulk(await node.client.call('DUMP', key));
      expect([p[p.length - 10], p[p.length - 9]]).toEqual([9, 0]);
      expect(crc64(p.toString('latin1'), 0, p.length - 8)).toBe(p.subarray(p.length - 8).toString('latin1'));
    }
  });

  it('RESTORE reads linked lists, text scores, 64-bit intsets and integer-encoded strings', async () => {
    expect(await t('RESTORE', 'll', '0', frame(1, '\x02' + rdbString('p') + '\xc0\x85', 6))).toBe('+OK\r\n');
    expect(await t('LRANGE', 'll', '0', '-1')).toBe('*2\r\n$1\r\np\r\n$4\r\n-123\r\n');
    expect(await t('RESTORE', 'tz', '0', frame(3, '\x02' + rdbString('a') + '\x032.5' + rdbString('b') + '\xff', 6))).toBe('+OK\r\n');
    expect(await t('ZRANGE', 'tz', '0', '-1', 'WITHSCORES')).toBe('*4\r\n$1\r\nb\r\n$4\r\n-inf\r\n$1\r\na\r\n$3\r\n2.5\r\n');
    const big = '\x00\x00\x00\x00\x00\x00\x00\x80'; // -2^63, little-endian
    expect(await t('RESTORE', 'is', '0', frame(11, rdbString(u32le(8) + u32le(2) + big + '\x07\x00\x00\x00\x00\x00\x00\x00')))).toBe('+OK\r\n');
    expect(await t('SMEMBERS', 'is')).toBe('*2\r\n$20\r\n-9223372036854775808\r\n$1\r\n7\r\n');
    expect(await t('RESTORE', 'i32', '0', frame(0, '\xc2\xff\xff\xff\x7f'))).toBe('+OK\r\n');
    expect(await t('GET', 'i32')).toBe('$10\r\n2147483647\r\n');
  });

  it('RESTORE answers Bad data format for types we lack and for malformed RDB, and checks version and checksum', async () => {
    const bad = '-ERR Bad data format\r\n';
    expect(await t('RESTORE', 's', '0', frame(15, '\x00'))).toBe(bad); // a stream
    expect(await t('RESTORE', 's', '0', frame(2, '\x02' + rdbString('a') + rdbString('a')))).toBe(bad); // duplicate member
    expect(await t('RESTORE', 's', '0', frame(2, '\x00'))).toBe(bad); // empty set
    expect(await t('RESTORE', 's', '0', frame(0, rdbString('ab') + 'x'))).toBe(bad); // bytes after the object
    expect(await t('RESTORE', 's', '0', frame(0, '\xc3\x03\x05\x20\x00\x00'))).toBe(bad); // LZF reference before the start
    expect(await t('RESTORE', 's', '0', frame(2, '\x80\xff\xff\xff\xff'))).toBe(bad); // 4 billion members in 0 bytes
    expect(await t('RESTORE', 's', '0', frame(13, rdbString(ziplist(['a', 1]).slice(0, -1) + 'x')))).toBe(bad); // no terminator
    const wrong = '-ERR DUMP payload version or checksum are wrong\r\n';
    expect(await t('RESTORE', 's', '0', frame(0, rdbString('v'), 13))).toBe(wrong);
    const p = frame(0, rdbString('v'));
    p[p.length - 1] ^= 1;
    expect(await t('RESTORE', 's', '0', p)).toBe(wrong);
    expect(await t('EXISTS', 's')).toBe(':0\r\n');
  });
});

/** One value as commands that build it and a command that reads it back (sorted where order is free). */
interface Shape {
  readonly build: string[][];
  readonly read: string[];
  readonly sorted: boolean;
}

const element = fc.oneof(
  fc.integer({ min: -20, max: 20 }).map(String),
  fc.constantFrom('9223372036854775807', '-9223372036854775808', '4294967296', '-8193', '8191', '16777216', '1.5', '007', ' 1'),
  fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)), maxLength: 12 }),
  fc.integer({ min: 20, max: 200 }).map((n) => 'x'.repeat(n)), // long and compressible: LZF
);

const shape: fc.Arbitrary<Shape> = fc.oneof(
  element.map((v) => ({ build: [['SET', 'k', v]], read: ['GET', 'k'], sorted: false })),
  fc.array(element, { minLength: 1, maxLength: 300 }).map((items) => ({ build: chunk('RPUSH', items), read: ['LRANGE', 'k', '0', '-1'], sorted: false })),
  fc.uniqueArray(element, { minLength: 1, maxLength: 600 }).map((items) => ({ build: chunk('SADD', items), read: ['SMEMBERS', 'k'], sorted: true })),
  fc
    .uniqueArray(fc.tuple(element, fc.oneof(fc.integer({ min: -1000, max: 1000 }), fc.double({ noNaN: true }))), { minLength: 1, maxLength: 300, selector: (p) => p[0] })
    .map((pairs) => ({ build: chunk('ZADD', pairs.flatMap(([m, s]) => [String(s).replace('Infinity', 'inf'), m])), read: ['ZRANGE', 'k', '0', '-1', 'WITHSCORES'], sorted: false })),
  fc
    .uniqueArray(fc.tuple(element, element), { minLength: 1, maxLength: 300, selector: (p) => p[0] })
    .map((pairs) => ({ build: chunk('HSET', pairs.flat()), read: ['HGETALL', 'k'], sorted: true })),
);

/** `cmd k ...items` in commands of at most 100 arguments (pairs kept together). */
function chunk(cmd: string, items: readonly string[]): string[][] {
  const out: string[][] = [];
  for (let i = 0; i < items.length; i += 100) out.push([cmd, 'k', ...items.slice(i, i + 100)]);
  return out;
}

/** A reply array's elements, sorted (and kept in pairs for HGETALL), for unordered reads. */
function canonical(reply: Buffer, read: readonly string[], sorted: boolean): string {
  const text = reply.toString('latin1');
  if (!sorted) return text;
  const items: string[] = [];
  let pos = text.indexOf('\r\n') + 2;
  while (pos < text.length) {
    const nl = text.indexOf('\r\n', pos);
    const len = Number(text.slice(pos + 1, nl));
    items.push(text.slice(nl + 2, nl + 2 + len));
    pos = nl + 4 + len;
  }
  if (read[0] === 'HGETALL') {
    const pairs: string[] = [];
    for (let i = 0; i < items.length; i += 2) pairs.push(`${items[i]}\0${items[i + 1]}`);
    return pairs.sort().join('\n');
  }
  return items.sort().join('\n');
}

describe.runIf(redisAvailable())('RESTORE of real Redis 7 DUMP payloads', () => {
  let redis: RunningServer;
  let rc: RawClient;
  let node: InProcessNode;
  beforeAll(async () => {
    redis = await startRedis();
    rc = await RawClient.connect(redis.port);
    node = await startInProcessNode();
  });
  afterAll(async () => {
    rc?.close();
    await redis?.stop();
    await node?.stop();
  });

  it('RESTORE of any value Redis 7 dumped reads back as Redis reads it', async () => {
    await fc.assert(
      fc.asyncProperty(shape, async (s) => {
        await rc.call('DEL', 'k');
        for (const cmd of s.build) await rc.call(...cmd);
        const payload = bulk(await rc.call('DUMP', 'k'));
        expect(await node.client.text('RESTORE', 'k', '0', payload, 'REPLACE')).toBe('+OK\r\n');
        expect(canonical(await node.client.call(...s.read), s.read, s.sorted)).toBe(canonical(await rc.call(...s.read), s.read, s.sorted));
      }),
      { numRuns: 200 },
    );
  }, 120_000);

  it('DUMP of any value built here RESTOREs in real Redis 7 and reads back as it reads here', async () => {
    await fc.assert(
      fc.asyncProperty(shape, async (s) => {
        await node.client.call('DEL', 'k');
        for (const cmd of s.build) await node.client.call(...cmd);
        const payload = bulk(await node.client.call('DUMP', 'k'));
        expect(await rc.text('RESTORE', 'k', '0', payload, 'REPLACE')).toBe('+OK\r\n');
        expect(canonical(await rc.call(...s.read), s.read, s.sorted)).toBe(canonical(await node.client.call(...s.read), s.read, s.sorted));
      }),
      { numRuns: 200 },
    );
  }, 120_000);

  it('MIGRATE from Shardis into a real Redis moves keys of every type in Redis format; big keys go whole', async () => {
    const s = node.client;
    await rc.call('FLUSHALL');
    await s.call('SET', 'm:str', 'v');
    await s.call('PEXPIRE', 'm:str', '60000');
    await s.call('RPUSH', 'm:list', 'a', '1', 'b');
    await s.call('SADD', 'm:set', '1', 'x');
    await s.call('ZADD', 'm:z', '-inf', 'a', '2.5', 'b');
    await s.call('HSET', 'm:h', 'f', 'v', 'g', '7');
    const keys = ['m:str', 'm:list', 'm:set', 'm:z', 'm:h'];
    const reads = [['GET', 'm:str'], ['LRANGE', 'm:list', '0', '-1'], ['SMEMBERS', 'm:set'], ['ZRANGE', 'm:z', '0', '-1', 'WITHSCORES'], ['HGETALL', 'm:h']];
    const before = await Promise.all(reads.map((r) => s.call(...r)));
    expect(await s.text('MIGRATE', '127.0.0.1', String(redis.port), '', '0', '5000', 'KEYS', ...keys)).toBe('+OK\r\n');
    for (let i = 0; i < reads.length; i++) {
      expect(canonical(await rc.call(...reads[i]!), reads[i]!, i === 2 || i === 4)).toBe(canonical(before[i]!, reads[i]!, i === 2 || i === 4));
    }
    expect(Number((await rc.text('PTTL', 'm:str')).slice(1))).toBeGreaterThan(50_000);
    expect(await s.text('EXISTS', ...keys)).toBe(':0\r\n');
    // The connection now speaks Redis's format from the first RESTORE.
    await s.call('SET', 'm:again', 'w');
    expect(await s.text('MIGRATE', '127.0.0.1', String(redis.port), 'm:again', '0', '5000')).toBe('+OK\r\n');
    expect(await rc.text('GET', 'm:again')).toBe('$1\r\nw\r\n');
    // A big key (past the chunking threshold) goes whole in Redis's format, with its TTL.
    const members = Array.from({ length: 3000 }, (_, i) => `m${i}`);
    await s.call('SADD', 'm:big', ...members);
    await s.call('PEXPIRE', 'm:big', '60000');
    const bigBefore = await s.call('SMEMBERS', 'm:big');
    expect(await s.text('MIGRATE', '127.0.0.1', String(redis.port), 'm:big', '0', '5000')).toBe('+OK\r\n');
    expect(canonical(await rc.call('SMEMBERS', 'm:big'), ['SMEMBERS'], true)).toBe(canonical(bigBefore, ['SMEMBERS'], true));
    expect(Number((await rc.text('PTTL', 'm:big')).slice(1))).toBeGreaterThan(50_000);
    expect(await s.text('EXISTS', 'm:big')).toBe(':0\r\n');
  });

  it('MIGRATE of big keys first on a connection to a real Redis sends them whole once Redis refuses RESTORE-CHUNK', async () => {
    // A Redis this node has no connection to yet: the first big key is offered in chunks.
    const fresh = await startRedis();
    const rc2 = await RawClient.connect(fresh.port);
    try {
      const s = node.client;
      const n = 5000;
      const args = (cmd: string, key: string, f: (i: number) => string[]): string[] => [cmd, key, ...Array.from({ length: n }, (_, i) => f(i)).flat()];
      await s.call(...args('HSET', 'b:h', (i) => [`f${i}`, `v${i}`]));
      await s.call(...args('ZADD', 'b:z', (i) => [String(i / 7), `m${i}`]));
      await s.call(...args('RPUSH', 'b:l', (i) => [`e${i}`]));
      await s.call('SET', 'b:s', 'x'.repeat(5 * 1024 * 1024));
      const reads = [['HGETALL', 'b:h'], ['ZRANGE', 'b:z', '0', '-1', 'WITHSCORES'], ['LRANGE', 'b:l', '0', '-1'], ['GET', 'b:s']];
      const before = await Promise.all(reads.map((r) => s.call(...r)));
      expect(await s.text('MIGRATE', '127.0.0.1', String(fresh.port), '', '0', '5000', 'KEYS', 'b:h', 'b:z', 'b:l', 'b:s')).toBe('+OK\r\n');
      for (let i = 0; i < reads.length; i++) {
        expect(canonical(await rc2.call(...reads[i]!), reads[i]!, i === 0)).toBe(canonical(before[i]!, reads[i]!, i === 0));
      }
      expect(await s.text('EXISTS', 'b:h', 'b:z', 'b:l', 'b:s')).toBe(':0\r\n');
      expect(await rc2.text('DBSIZE')).toBe(':4\r\n');
    } finally {
      rc2.close();
      await fresh.stop();
    }
  });

  it('MIGRATE of a 300k-field hash into a real Redis never keeps the source busy for 50 ms', async () => {
    const s = node.client;
    const n = 300_000;
    /** Moves the hash; returns the most CPU time this process (the source node; Redis runs apart) used between two event-loop turns. */
    const longestTurn = async (): Promise<number> => {
      for (let i = 0; i < n; i += 1000) {
        const args = ['HSET', 'w:h'];
        for (let j = i; j < i + 1000; j++) args.push(`field:${j}`, `value:${j}`);
        await s.call(...args);
      }
      let longest = 0;
      let last = process.cpuUsage();
      let running = true;
      const tick = (): void => {
        const now = process.cpuUsage();
        longest = Math.max(longest, (now.user - last.user + now.system - last.system) / 1000);
        last = now;
        if (running) setImmediate(tick);
      };
      setImmediate(tick);
      expect(await s.text('MIGRATE', '127.0.0.1', String(redis.port), 'w:h', '0', '20000', 'REPLACE')).toBe('+OK\r\n');
      running = false;
      expect(await rc.text('HLEN', 'w:h')).toBe(`:${n}\r\n`);
      expect(await rc.text('HGET', 'w:h', 'field:123456')).toBe('$12\r\nvalue:123456\r\n');
      expect(await s.text('EXISTS', 'w:h')).toBe(':0\r\n');
      return longest;
    };
    // Built in one go the payload held the loop for 460 ms here, and joined
    // into one string and written at once (7.5 MB) for 80-105 ms; built in
    // slices and written in pieces, 14-36 ms. process.cpuUsage() also counts V8's GC threads, so the best of
    // up to three runs is taken (as in the chunked MIGRATE's test).
    let best = Infinity;
    for (let attempt = 0; attempt < 3 && best >= 50; attempt++) best = Math.min(best, await longestTurn());
    expect(best).toBeLessThan(50);
  }, 180_000);

  it('RESTORE of a Redis payload with altered bytes (checksum fixed up) answers OK or Bad data format, never anything else', async () => {
    await fc.assert(
      fc.asyncProperty(shape, fc.nat(), fc.integer({ min: 1, max: 255 }), fc.boolean(), async (s, at, xor, truncate) => {
        await rc.call('DEL', 'k');
        for (const cmd of s.build) await rc.call(...cmd);
        const payload = bulk(await rc.call('DUMP', 'k'));
        let body = payload.subarray(0, payload.length - 10).toString('latin1');
        const i = at % body.length;
        body = truncate ? body.slice(0, i) : body.slice(0, i) + String.fromCharCode(body.charCodeAt(i) ^ xor) + body.slice(i + 1);
        if (body.length === 0) return;
        const altered = frame(body.charCodeAt(0), body.slice(1), payload[payload.length - 10]!);
        expect(['+OK\r\n', '-ERR Bad data format\r\n']).toContain(await node.client.text('RESTORE', 'k', '0', altered, 'REPLACE'));
      }),
      { numRuns: 300 },
    );
    expect(await node.client.text('PING')).toBe('+PONG\r\n');
  }, 120_000);
});
