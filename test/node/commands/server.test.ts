/**
 * Server commands against an in-process node (ManualClock): INFO, CONFIG,
 * TIME, DBSIZE, FLUSHDB/FLUSHALL/SWAPDB (and their effect on WATCH), SLOWLOG,
 * DEBUG, MEMORY, COMMAND and SHUTDOWN.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/node/clock.js';
import { Config } from '../../../src/node/config.js';
import { Server } from '../../../src/node/server.js';
import { allocatorSize, keyMemoryUsage } from '../../../src/node/commands/server.js';
import { startInProcessNode, type InProcessNode } from '../../helpers/in-process.js';
import { RawClient } from '../../helpers/resp.js';

let node: InProcessNode;
let server: Server;
let clock: ManualClock;
let r: RawClient;

beforeAll(async () => {
  clock = new ManualClock();
  node = await startInProcessNode([], clock);
  ({ server, client: r } = node);
});

afterAll(() => node.stop());

beforeEach(async () => {
  for (const db of server.dbs) db.flush();
  await r.text('SELECT', '0');
});

function t(...args: string[]): Promise<string> {
  return r.text(...args);
}

/** The body of a bulk or verbatim reply. */
function body(reply: string): string {
  const start = reply.indexOf('\r\n') + 2;
  const text = reply.slice(start, -2);
  return reply.startsWith('=') ? text.slice(4) : text;
}

describe('INFO', () => {
  it('INFO default lists Redis sections with CRLF lines and no commandstats', async () => {
    const text = body(await t('INFO'));
    const headers = text.split('\r\n').filter((l) => l.startsWith('# '));
    expect(headers).toEqual([
      '# Server', '# Clients', '# Memory', '# Persistence', '# Stats', '# Replication', '# CPU', '# Modules',
      '# Errorstats', '# Cluster', '# Keyspace',
    ]);
    expect(text).toContain('redis_version:7.0.15\r\n');
    expect(text).toContain('shardis_version:');
    expect(text).toContain('cluster_enabled:0\r\n');
    expect(text).toContain('loading:0\r\n');
    expect(text).not.toContain('\n\n');
  });

  it('INFO keyspace lists only non-empty databases with keys, expires and avg_ttl', async () => {
    await t('SET', 'a', '1');
    await t('SET', 'b', '1');
    server.dbs[0]!.setExpire('b', clock.now() + 10_000);
    await t('SELECT', '3');
    await t('SET', 'c', '1');
    expect(body(await t('INFO', 'keyspace'))).toBe(
      '# Keyspace\r\ndb0:keys=2,expires=1,avg_ttl=10000\r\ndb3:keys=1,expires=0,avg_ttl=0\r\n',
    );
  });

  it('INFO commandstats and errorstats count calls and failures per command', async () => {
    await t('CONFIG', 'RESETSTAT');
    await t('GET', 'x');
    await t('GET', 'x');
    await t('SELECT', 'bad');
    const text = body(await t('INFO', 'commandstats', 'errorstats'));
    expect(text).toMatch(/cmdstat_get:calls=2,usec=\d+,usec_per_call=[\d.]+,rejected_calls=0,failed_calls=0\r\n/);
    expect(text).toMatch(/cmdstat_select:calls=1,usec=\d+,usec_per_call=[\d.]+,rejected_calls=0,failed_calls=1\r\n/);
    expect(text).toContain('errorstat_ERR:count=1\r\n');
  });

  it('INFO clients counts blocked clients', async () => {
    const other = await RawClient.connect(server.port);
    const id = Number((await other.text('CLIENT', 'ID')).slice(1, -2));
    server.clients.get(id)!.blocked = { reason: 'test', cancel: () => {}, wake: () => {} };
    expect(body(await t('INFO', 'clients'))).toContain('blocked_clients:1\r\n');
    server.clients.get(id)!.blocked = undefined;
    other.close();
  });

  it('INFO everything includes commandstats and ALL is case-insensitive', async () => {
    expect(body(await t('INFO', 'everything'))).toContain('# Commandstats\r\n');
    expect(body(await t('INFO', 'ALL'))).toContain('# Commandstats\r\n');
    expect(body(await t('INFO', 'nosuch'))).toBe('');
  });
});

describe('CONFIG', () => {
  it('CONFIG GET takes several patterns, matches aliases, and answers a map in RESP3', async () => {
    const reply = await t('CONFIG', 'GET', 'maxmemory', 'hash-max-*-entries');
    expect(reply.startsWith('*6\r\n')).toBe(true);
    expect(reply).toContain('$9\r\nmaxmemory\r\n$1\r\n0\r\n');
    expect(reply).toContain('$24\r\nhash-max-ziplist-entries\r\n');
    const r3 = await RawClient.connect(server.port);
    await r3.text('HELLO', '3');
    expect(await r3.text('CONFIG', 'GET', 'timeout')).toBe('%1\r\n$7\r\ntimeout\r\n$1\r\n0\r\n');
    r3.close();
  });

  it('CONFIG SET applies several pairs atomically', async () => {
    expect(await t('CONFIG', 'SET', 'slowlog-max-len', '5', 'maxclients', 'abc')).toBe(
      "-ERR CONFIG SET failed (possibly related to argument 'maxclients') - argument couldn't be parsed into an integer\r\n",
    );
    expect(server.config.getNumber('slowlog-max-len')).toBe(128);
    expect(await t('CONFIG', 'SET', 'slowlog-max-len', '5', 'maxmemory', '1mb')).toBe('+OK\r\n');
    expect(server.config.getNumber('maxmemory')).toBe(1024 * 1024);
    expect(await t('CONFIG', 'GET', 'maxmemory')).toBe('*2\r\n$9\r\nmaxmemory\r\n$7\r\n1048576\r\n');
    await t('CONFIG', 'SET', 'slowlog-max-len', '128', 'maxmemory', '0');
  });

  it('CONFIG SET refuses unknown, immutable and duplicate directives with Redis texts', async () => {
    expect(await t('CONFIG', 'SET', 'foo', 'bar')).toBe("-ERR Unknown option or number of arguments for CONFIG SET - 'foo'\r\n");
    expect(await t('CONFIG', 'SET', 'databases', '3')).toBe(
      "-ERR CONFIG SET failed (possibly related to argument 'databases') - can't set immutable config\r\n",
    );
    expect(await t('CONFIG', 'SET', 'hz', '5', 'hz', '6')).toBe(
      "-ERR CONFIG SET failed (possibly related to argument 'hz') - duplicate parameter\r\n",
    );
  });

  it('CONFIG SET proto-max-bulk-len applies to connected clients at once', async () => {
    expect(await t('CONFIG', 'SET', 'proto-max-bulk-len', '1mb')).toBe('+OK\r\n');
    for (const c of server.clients.values()) expect(c.parser.maxBulkLen).toBe(1024 * 1024);
    await t('CONFIG', 'SET', 'proto-max-bulk-len', '512mb');
  });

  it('CONFIG REWRITE fails without a config file', async () => {
    expect(await t('CONFIG', 'REWRITE')).toBe('-ERR The server is running without a config file\r\n');
  });

  it('CONFIG REWRITE keeps comments and unknown lines and updates values in place', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shardis-rewrite-'));
    const file = join(dir, 'redis.conf');
    writeFileSync(file, '# my config\nport 0\nhz 10\n# keep me\nsave 900 1\nsave 300 10\n');
    server.config.file = file;
    try {
      await t('CONFIG', 'SET', 'hz', '20', 'maxmemory-policy', 'allkeys-lru', 'save', '60 5');
      expect(await t('CONFIG', 'REWRITE')).toBe('+OK\r\n');
      expect(readFileSync(file, 'latin1')).toBe(
        '# my config\nport 0\nhz 20\n# keep me\nsave 60 5\n# Generated by CONFIG REWRITE\nloglevel warning\nmaxmemory-policy allkeys-lru\n',
      );
    } finally {
      server.config.file = undefined;
      await t('CONFIG', 'SET', 'hz', '10', 'maxmemory-policy', 'noeviction', 'save', '');
    }
  });

  it('CONFIG RESETSTAT zeroes the counters', async () => {
    await t('GET', 'x');
    expect(await t('CONFIG', 'RESETSTAT')).toBe('+OK\r\n');
    // RESETSTAT itself is counted once it returns, as in Redis.
    expect(server.stats.commandsProcessed).toBe(1);
    expect(server.errorStats.size).toBe(0);
  });
});

describe('TIME, DBSIZE, LASTSAVE', () => {
  it('TIME reads the injected clock as seconds and microseconds', async () => {
    clock.time = 1_700_000_000_123;
    expect(await t('TIME')).toBe('*2\r\n$10\r\n1700000000\r\n$6\r\n123000\r\n');
  });

  it('DBSIZE counts the selected database only', async () => {
    await t('SET', 'a', '1');
    await t('SET', 'b', '1');
    expect(await t('DBSIZE')).toBe(':2\r\n');
    await t('SELECT', '1');
    expect(await t('DBSIZE')).toBe(':0\r\n');
  });

  it('LASTSAVE answers a unix time in seconds', async () => {
    expect(await t('LASTSAVE')).toMatch(/^:\d{10}\r\n$/);
  });
});

describe('FLUSHDB, FLUSHALL, SWAPDB', () => {
  it('FLUSHDB empties the selected database and accepts ASYNC/SYNC only', async () => {
    await t('SET', 'a', '1');
    await t('SELECT', '1');
    await t('SET', 'b', '1');
    expect(await t('FLUSHDB', 'ASYNC')).toBe('+OK\r\n');
    expect(await t('DBSIZE')).toBe(':0\r\n');
    expect(server.dbs[0]!.size).toBe(1);
    expect(await t('FLUSHDB', 'later')).toBe('-ERR syntax error\r\n');
  });

  /** A second connection watching `key` in database `dbIndex`; returns its Client object. */
  async function watcher(key: string, dbIndex: number) {
    const w = await RawClient.connect(server.port);
    const id = Number((await w.text('CLIENT', 'ID')).slice(1, -2));
    const c = server.clients.get(id)!;
    server.watches.watch(c, server.dbs[dbIndex]!, key);
    return { w, c };
  }

  it('FLUSHALL invalidates WATCH on keys that existed, not on absent ones', async () => {
    await t('SET', 'w', '1');
    const present = await watcher('w', 0);
    const absent = await watcher('nothere', 0);
    expect(await t('FLUSHALL')).toBe('+OK\r\n');
    expect(present.c.watchDirty).toBe(true);
    expect(absent.c.watchDirty).toBe(false);
    present.w.close();
    absent.w.close();
  });

  it('SWAPDB exchanges contents and fails watchers of keys on either side', async () => {
    await t('SET', 'a', 'zero');
    await t('SELECT', '1');
    await t('SET', 'b', 'one');
    const { w, c } = await watcher('b', 0);
    expect(await t('SWAPDB', '0', '1')).toBe('+OK\r\n');
    expect(await t('GET', 'a')).toBe('$4\r\nzero\r\n');
    expect(c.watchDirty).toBe(true);
    expect(await t('SWAPDB', '0', '99')).toBe('-ERR DB index is out of range\r\n');
    expect(await t('SWAPDB', 'x', '1')).toBe('-ERR invalid first DB index\r\n');
    w.close();
  });
});

describe('SLOWLOG', () => {
  it('SLOWLOG records commands over the threshold with Redis entry shape', async () => {
    await t('CONFIG', 'SET', 'slowlog-log-slower-than', '0');
    await t('SLOWLOG', 'RESET');
    clock.time = 1_700_000_000_000;
    await t('CLIENT', 'SETNAME', 'slowpoke');
    await t('ECHO', 'hello');
    await t('CONFIG', 'SET', 'slowlog-log-slower-than', '10000');
    expect(Number((await t('SLOWLOG', 'LEN')).slice(1, -2))).toBeGreaterThanOrEqual(2);
    const got = await t('SLOWLOG', 'GET', '1');
    expect(got).toMatch(/^\*1\r\n\*6\r\n:\d+\r\n:1700000000\r\n:\d+\r\n\*2\r\n\$4\r\nECHO\r\n\$5\r\nhello\r\n\$\d+\r\n127\.0\.0\.1:\d+\r\n/);
    expect(got).toContain('$8\r\nslowpoke\r\n');
    expect(await t('SLOWLOG', 'GET', '-2')).toBe('-ERR count should be greater than or equal to -1\r\n');
    expect(await t('SLOWLOG', 'RESET')).toBe('+OK\r\n');
    expect(await t('SLOWLOG', 'LEN')).toBe(':0\r\n');
  });
});

describe('DEBUG and MEMORY', () => {
  it('DEBUG SET-ACTIVE-EXPIRE toggles active expiry', async () => {
    expect(await t('DEBUG', 'SET-ACTIVE-EXPIRE', '0')).toBe('+OK\r\n');
    expect(server.activeExpireEnabled).toBe(false);
    await t('DEBUG', 'SET-ACTIVE-EXPIRE', '1');
    expect(server.activeExpireEnabled).toBe(true);
  });

  it('DEBUG OBJECT reports the encoding and fails on a missing key', async () => {
    await t('SET', 'n', '12345');
    expect(await t('DEBUG', 'OBJECT', 'n')).toMatch(/^\+Value at:0x[0-9a-f]+ refcount:1 encoding:int /);
    expect(await t('DEBUG', 'OBJECT', 'missing')).toBe('-ERR no such key\r\n');
    expect(await t('DEBUG', 'NOPE')).toBe("-ERR unknown subcommand or wrong number of arguments for 'NOPE'. Try DEBUG HELP.\r\n");
  });

  it('DEBUG SLEEP blocks the server for the given seconds', async () => {
    const start = Date.now();
    expect(await t('DEBUG', 'SLEEP', '0.05')).toBe('+OK\r\n');
    expect(Date.now() - start).toBeGreaterThanOrEqual(45);
  });

  it('MEMORY USAGE grows with the value and is null for a missing key', async () => {
    await t('SET', 's', 'x');
    await t('SET', 'big', 'x'.repeat(1000));
    const small = Number((await t('MEMORY', 'USAGE', 's')).slice(1, -2));
    const big = Number((await t('MEMORY', 'USAGE', 'big', 'SAMPLES', '5')).slice(1, -2));
    expect(small).toBeGreaterThan(0);
    expect(big).toBeGreaterThanOrEqual(small + 1000);
    expect(await t('MEMORY', 'USAGE', 'missing')).toBe('$-1\r\n');
    expect(await t('MEMORY', 'USAGE', 's', 'SAMPLES', 'x')).toBe('-ERR value is not an integer or out of range\r\n');
  });

  it('MEMORY STATS is a map including keys.count', async () => {
    await t('SET', 'a', '1');
    const stats = await t('MEMORY', 'STATS');
    expect(stats).toContain('$10\r\nkeys.count\r\n:1\r\n');
    expect(await t('MEMORY', 'DOCTOR')).toMatch(/^\$\d+\r\nHi Sam/);
  });
});

describe('COMMAND', () => {
  it('COMMAND INFO answers the 10-field Redis 7.0 entry and null for unknown names', async () => {
    const reply = await t('COMMAND', 'INFO', 'get', 'nosuch');
    expect(reply.startsWith('*2\r\n*10\r\n$3\r\nget\r\n:2\r\n*2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n*3\r\n+@read\r\n+@string\r\n+@fast\r\n*0\r\n*1\r\n')).toBe(true);
    expect(reply.endsWith('*0\r\n$-1\r\n')).toBe(true);
  });

  it('COMMAND COUNT matches the number of COMMAND entries', async () => {
    const count = Number((await t('COMMAND', 'COUNT')).slice(1, -2));
    expect(await t('COMMAND')).toMatch(new RegExp(`^\\*${count}\\r\\n`));
  });

  it('COMMAND GETKEYS uses the command table and answers Redis errors', async () => {
    expect(await t('COMMAND', 'GETKEYS', 'SET', 'k', 'v')).toBe('*1\r\n$1\r\nk\r\n');
    expect(await t('COMMAND', 'GETKEYS', 'eval', 's', '2', 'a', 'b', 'c')).toBe('*2\r\n$1\r\na\r\n$1\r\nb\r\n');
    expect(await t('COMMAND', 'GETKEYS', 'nosuch', 'x')).toBe('-ERR Invalid command specified\r\n');
    expect(await t('COMMAND', 'GETKEYS', 'ping', 'x')).toBe('-ERR The command has no key arguments\r\n');
    expect(await t('COMMAND', 'GETKEYS', 'set', 'k')).toBe('-ERR Invalid number of arguments specified for command\r\n');
  });

  it('COMMAND LIST includes subcommands and filters by pattern and ACL category', async () => {
    const all = await t('COMMAND', 'LIST');
    expect(all).toContain('$10\r\nconfig|get\r\n');
    expect(await t('COMMAND', 'LIST', 'FILTERBY', 'PATTERN', 'config|g*')).toBe('*1\r\n$10\r\nconfig|get\r\n');
    expect(await t('COMMAND', 'LIST', 'FILTERBY', 'ACLCAT', 'connection')).toContain('$4\r\nping\r\n');
  });

  it('COMMAND DOCS answers summary, since and group per command', async () => {
    const docs = await t('COMMAND', 'DOCS', 'dbsize');
    expect(docs).toContain('$6\r\ndbsize\r\n');
    expect(docs).toContain('$5\r\nsince\r\n$5\r\n1.0.0\r\n$5\r\ngroup\r\n$6\r\nserver\r\n');
  });
});

describe('SHUTDOWN', () => {
  it('SHUTDOWN rejects unknown options', async () => {
    expect(await t('SHUTDOWN', 'LATER')).toBe('-ERR syntax error\r\n');
    expect(await t('SHUTDOWN', 'SAVE', 'NOSAVE')).toBe('-ERR syntax error\r\n');
    expect(await t('SHUTDOWN', 'ABORT')).toBe('-ERR No shutdown in progress.\r\n');
  });

  it('SHUTDOWN NOSAVE stops the node and calls onShutdown', async () => {
    const config = new Config();
    config.load(undefined, ['--port', '0', '--bind', '127.0.0.1', '--loglevel', 'warning']);
    const s = new Server(config, { logSink: () => {} });
    await s.listen();
    const done = new Promise<void>((resolve) => (s.onShutdown = resolve));
    const c = await RawClient.connect(s.port);
    c.write('*2\r\n$8\r\nSHUTDOWN\r\n$6\r\nNOSAVE\r\n');
    await done;
    await c.waitClosed();
    expect(s.clients.size).toBe(0);
  });
});

describe('allocatorSize() and keyMemoryUsage()', () => {
  it('keyMemoryUsage() matches Redis 7.0 figures for int, embstr and raw strings', () => {
    // Figures read from redis-server 7.0.15 (MEMORY USAGE on key "k").
    const cases: [string, number][] = [
      ['12345', 48],
      ['v', 64],
      ['x'.repeat(12), 64],
      ['x'.repeat(13), 80],
      ['x'.repeat(44), 96],
      ['x'.repeat(45), 112],
      ['x'.repeat(61), 128],
      ['x'.repeat(100), 160],
      ['x'.repeat(1000), 1072],
    ];
    for (const [v, expected] of cases) expect([v.length, keyMemoryUsage('k', v)]).toEqual([v.length, expected]);
    expect(keyMemoryUsage('kkkkk', '1')).toBe(48);
    expect(keyMemoryUsage('kkkkkkkkk', '1')).toBe(56);
  });

  it('allocatorSize() rounds to jemalloc size classes', () => {
    expect([1, 9, 17, 129, 161, 257, 1006].map(allocatorSize)).toEqual([8, 16, 32, 160, 192, 320, 1024]);
  });
});
