/**
 * MULTI, EXEC, DISCARD, WATCH and UNWATCH on one Shardis node: queueing,
 * queue-time and run-time errors, and every way a watched key can change
 * (another client, the watcher itself, expiry, FLUSHALL, FLUSHDB, SWAPDB).
 * Reply bytes are Redis 7.0.15's.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RawClient } from '../../helpers/resp.js';
import { startShardis, type RunningServer } from '../../helpers/servers.js';

let server: RunningServer;
let r: RawClient;
let other: RawClient;

beforeAll(async () => {
  server = await startShardis();
  r = await RawClient.connect(server.port);
  other = await RawClient.connect(server.port);
});

afterAll(async () => {
  r?.close();
  other?.close();
  await server?.stop();
});

beforeEach(async () => {
  await r.call('FLUSHALL');
});

afterEach(async () => {
  // Leave no transaction or watch behind for the next test.
  await r.call('DISCARD');
  await r.call('UNWATCH');
});

async function tx(...cmds: string[][]): Promise<string> {
  expect(await r.text('MULTI')).toBe('+OK\r\n');
  for (const c of cmds) expect(await r.text(...c)).toBe('+QUEUED\r\n');
  return r.text('EXEC');
}

describe('MULTI and EXEC', () => {
  it('EXEC runs the queued commands and returns their replies in order', async () => {
    expect(await tx(['SET', 'a', '1'], ['INCR', 'a'], ['RPUSH', 'l', 'x'], ['GET', 'a'])).toBe('*4\r\n+OK\r\n:2\r\n:1\r\n$1\r\n2\r\n');
  });

  it('EXEC of an empty transaction returns an empty array', async () => {
    expect(await tx()).toBe('*0\r\n');
  });

  it('EXEC keeps going after a command fails at run time', async () => {
    await r.call('SET', 's', 'v');
    expect(await tx(['LPUSH', 's', 'x'], ['SET', 'b', '2'])).toBe('*2\r\n-WRONGTYPE Operation against a key holding the wrong kind of value\r\n+OK\r\n');
    expect(await r.text('GET', 'b')).toBe('$1\r\n2\r\n');
  });

  it('EXEC answers EXECABORT after a queue-time error and runs nothing', async () => {
    await r.call('MULTI');
    await r.call('SET', 'a', '1');
    expect(await r.text('NOSUCHCOMMAND')).toMatch(/^-ERR unknown command 'NOSUCHCOMMAND'/);
    expect(await r.text('EXEC')).toBe('-EXECABORT Transaction discarded because of previous errors.\r\n');
    expect(await r.text('EXISTS', 'a')).toBe(':0\r\n');
    await r.call('MULTI');
    expect(await r.text('GET')).toBe("-ERR wrong number of arguments for 'get' command\r\n");
    expect(await r.text('EXEC')).toBe('-EXECABORT Transaction discarded because of previous errors.\r\n');
  });

  it('EXEC refused for its arguments ends the transaction and its watches, with an EXECABORT naming the reason, as Redis 7.0.15', async () => {
    // Before, the transaction stayed open and every later command was queued.
    expect(await r.text('MULTI')).toBe('+OK\r\n');
    expect(await r.text('SET', 'a', '1')).toBe('+QUEUED\r\n');
    expect(await r.text('EXEC', 'x')).toBe("-EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command\r\n");
    expect(await r.text('GET', 'a')).toBe('$-1\r\n');
    // Outside a transaction too, and the watches go with it: a later change no longer fails EXEC.
    await r.call('WATCH', 'w');
    expect(await r.text('EXEC', 'x')).toBe("-EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command\r\n");
    await other.call('SET', 'w', 'changed');
    expect(await tx(['SET', 'a', '2'])).toBe('*1\r\n+OK\r\n');
  });

  it('MULTI inside MULTI is an error that does not abort the transaction', async () => {
    await r.call('MULTI');
    await r.call('SET', 'a', '1');
    expect(await r.text('MULTI')).toBe('-ERR MULTI calls can not be nested\r\n');
    expect(await r.text('EXEC')).toBe('*1\r\n+OK\r\n');
  });

  it('EXEC and DISCARD without MULTI are errors', async () => {
    expect(await r.text('EXEC')).toBe('-ERR EXEC without MULTI\r\n');
    expect(await r.text('DISCARD')).toBe('-ERR DISCARD without MULTI\r\n');
  });

  it('DISCARD drops the queue and the watches', async () => {
    await r.call('WATCH', 'a');
    await r.call('MULTI');
    await r.call('SET', 'a', '1');
    expect(await r.text('DISCARD')).toBe('+OK\r\n');
    expect(await r.text('EXISTS', 'a')).toBe(':0\r\n');
    await other.call('SET', 'a', 'changed');
    expect(await tx(['PING'])).toBe('*1\r\n+PONG\r\n');
  });

  it('EXEC answers a null in RESP3 when a watched key changed', async () => {
    const c = await RawClient.connect(server.port);
    try {
      await c.call('HELLO', '3');
      await c.call('WATCH', 'a');
      await other.call('SET', 'a', '1');
      await c.call('MULTI');
      await c.call('PING');
      expect(await c.text('EXEC')).toBe('_\r\n');
    } finally {
      c.close();
    }
  });
});

describe('WATCH', () => {
  it('WATCH fails EXEC when another client changes the key', async () => {
    await r.call('WATCH', 'a');
    await other.call('SET', 'a', '1');
    expect(await tx(['SET', 'a', '2'])).toBe('*-1\r\n');
    expect(await r.text('GET', 'a')).toBe('$1\r\n1\r\n');
  });

  it('WATCH fails EXEC when the watching client itself changes the key before MULTI', async () => {
    await r.call('WATCH', 'a');
    await r.call('RPUSH', 'a', 'x');
    expect(await tx(['PING'])).toBe('*-1\r\n');
  });

  it('WATCH sees in-place list changes and deletions', async () => {
    await r.call('RPUSH', 'l', 'a', 'b');
    await r.call('WATCH', 'l');
    await other.call('LSET', 'l', '0', 'z');
    expect(await tx(['PING'])).toBe('*-1\r\n');
    await r.call('WATCH', 'l');
    await other.call('DEL', 'l');
    expect(await tx(['PING'])).toBe('*-1\r\n');
  });

  it('WATCH ignores writes that do not change a missing key', async () => {
    await r.call('WATCH', 'a');
    await other.call('DEL', 'a');
    await other.call('LPUSHX', 'a', 'x');
    expect(await tx(['PING'])).toBe('*1\r\n+PONG\r\n');
  });

  it('WATCH fails EXEC when the key expires in between', async () => {
    await r.call('SET', 'e', '1', 'PX', '30');
    await r.call('WATCH', 'e');
    await new Promise((res) => setTimeout(res, 60));
    expect(await tx(['PING'])).toBe('*-1\r\n');
  });

  it('WATCH of a key already expired does not fail EXEC', async () => {
    await r.call('SET', 'e', '1', 'PX', '1');
    await new Promise((res) => setTimeout(res, 10));
    await r.call('WATCH', 'e');
    expect(await tx(['PING'])).toBe('*1\r\n+PONG\r\n');
  });

  it('WATCH fails EXEC after FLUSHALL or FLUSHDB only if the key existed', async () => {
    await r.call('WATCH', 'missing');
    await other.call('FLUSHALL');
    expect(await tx(['PING'])).toBe('*1\r\n+PONG\r\n');
    await r.call('SET', 'a', '1');
    await r.call('WATCH', 'a');
    await other.call('FLUSHDB');
    expect(await tx(['PING'])).toBe('*-1\r\n');
  });

  it('WATCH fails EXEC after SWAPDB brings a different value', async () => {
    await other.call('SELECT', '1');
    await other.call('SET', 'a', 'from-db1');
    await r.call('WATCH', 'a');
    await other.call('SWAPDB', '0', '1');
    expect(await tx(['GET', 'a'])).toBe('*-1\r\n');
    await other.call('SELECT', '0');
  });

  it('WATCH inside MULTI is an error', async () => {
    await r.call('MULTI');
    expect(await r.text('WATCH', 'a')).toBe('-ERR WATCH inside MULTI is not allowed\r\n');
    expect(await r.text('EXEC')).toBe('*0\r\n');
  });

  it('UNWATCH forgets the watched keys', async () => {
    await r.call('WATCH', 'a', 'b');
    expect(await r.text('UNWATCH')).toBe('+OK\r\n');
    await other.call('SET', 'a', '1');
    expect(await tx(['PING'])).toBe('*1\r\n+PONG\r\n');
  });

  it('EXEC clears the watches, so the next transaction runs', async () => {
    await r.call('WATCH', 'a');
    await other.call('SET', 'a', '1');
    expect(await tx(['PING'])).toBe('*-1\r\n');
    await other.call('SET', 'a', '2');
    expect(await tx(['PING'])).toBe('*1\r\n+PONG\r\n');
  });

  it('WATCH is not failed by the transaction own writes', async () => {
    await r.call('WATCH', 'a');
    expect(await tx(['SET', 'a', '1'], ['SET', 'a', '2'])).toBe('*2\r\n+OK\r\n+OK\r\n');
  });
});
