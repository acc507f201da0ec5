/**
 * Blocking pops across several connections: wake-ups by every kind of push,
 * FIFO order among waiters, timeouts, transactions, disconnects and CLIENT
 * UNBLOCK. Timeouts are short (tens of milliseconds) so nothing sleeps long.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RawClient } from '../helpers/resp.js';
import { startShardis, type RunningServer } from '../helpers/servers.js';

let server: RunningServer;
let r: RawClient;
let extra: RawClient[] = [];

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

afterEach(() => {
  for (const c of extra) c.close();
  extra = [];
});

async function client(): Promise<RawClient> {
  const c = await RawClient.connect(server.port);
  extra.push(c);
  return c;
}

/** Waits until exactly `n` clients are blocked (CLIENT LIST flag `b`). */
async function blockedClients(n: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const list = await r.text('CLIENT', 'LIST');
    const count = list.split('\n').filter((l) => / flags=\w*b/.test(l)).length;
    if (count === n) return;
    await new Promise((res) => setTimeout(res, 5));
  }
  throw new Error(`Cannot see ${n} blocked clients`);
}

function text(p: Promise<Buffer>): Promise<string> {
  return p.then((b) => b.toString('latin1'));
}

describe('blocking pops', () => {
  it('BLPOP returns at once when a list has elements', async () => {
    await r.call('RPUSH', 'b', 'x');
    expect(await r.text('BLPOP', 'a', 'b', '0')).toBe('*2\r\n$1\r\nb\r\n$1\r\nx\r\n');
  });

  it('BLPOP blocks until another client pushes, and gets the pushed key', async () => {
    const c = await client();
    const reply = text(c.call('BLPOP', 'a', 'b', '0'));
    await blockedClients(1);
    expect(await r.text('RPUSH', 'b', 'x', 'y')).toBe(':2\r\n');
    expect(await reply).toBe('*2\r\n$1\r\nb\r\n$1\r\nx\r\n');
    expect(await r.text('LRANGE', 'b', '0', '-1')).toBe('*1\r\n$1\r\ny\r\n');
  });

  it('BLPOP serves waiters on one key in the order they blocked', async () => {
    const [c1, c2, c3] = [await client(), await client(), await client()];
    const p1 = text(c1.call('BRPOP', 'q', '0'));
    await blockedClients(1);
    const p2 = text(c2.call('BRPOP', 'q', '0'));
    await blockedClients(2);
    const p3 = text(c3.call('BRPOP', 'q', '0.05'));
    await blockedClients(3);
    await r.call('LPUSH', 'q', 'first', 'second');
    expect(await p1).toBe('*2\r\n$1\r\nq\r\n$5\r\nfirst\r\n');
    expect(await p2).toBe('*2\r\n$1\r\nq\r\n$6\r\nsecond\r\n');
    expect(await p3).toBe('*-1\r\n');
    expect(await r.text('EXISTS', 'q')).toBe(':0\r\n');
  });

  it('SWAPDB wakes a client blocked on a key that the swap makes exist', async () => {
    const c = await client();
    const reply = text(c.call('BLPOP', 'swapped', '0'));
    await blockedClients(1);
    await r.call('SELECT', '1');
    await r.call('RPUSH', 'swapped', 'v');
    expect(await r.text('SWAPDB', '0', '1')).toBe('+OK\r\n');
    await r.call('SELECT', '0');
    expect(await reply).toBe('*2\r\n$7\r\nswapped\r\n$1\r\nv\r\n');
  });

  it('BLPOP times out with a null array in RESP2 and a null in RESP3', async () => {
    const start = Date.now();
    expect(await r.text('BLPOP', 'nokey', '0.05')).toBe('*-1\r\n');
    expect(Date.now() - start).toBeGreaterThanOrEqual(40);
    const c = await client();
    await c.call('HELLO', '3');
    expect(await c.text('BLMPOP', '0.02', '1', 'nokey', 'LEFT')).toBe('_\r\n');
    expect(await c.text('BLMOVE', 'nokey', 'd', 'LEFT', 'LEFT', '0.02')).toBe('_\r\n');
    expect(await r.text('BRPOPLPUSH', 'nokey', 'd', '0.02')).toBe('*-1\r\n');
  });

  it('BLPOP rejects malformed and negative timeouts', async () => {
    expect(await r.text('BLPOP', 'k', 'abc')).toBe('-ERR timeout is not a float or out of range\r\n');
    expect(await r.text('BLPOP', 'k', '-1')).toBe('-ERR timeout is negative\r\n');
    expect(await r.text('BLPOP', 'k', 'inf')).toBe('-ERR timeout is negative\r\n');
    expect(await r.text('BLPOP', 'k', '1e5000')).toBe('-ERR timeout is not a float or out of range\r\n');
  });

  it('BLPOP fails at once against a key holding a string', async () => {
    await r.call('SET', 's', 'v');
    expect(await r.text('BLPOP', 'nokey', 's', '0')).toBe('-WRONGTYPE Operation against a key holding the wrong kind of value\r\n');
  });

  it('BLMOVE is woken by a push and feeds a client blocked on its destination', async () => {
    const [mover, popper] = [await client(), await client()];
    const pm = text(mover.call('BLMOVE', 'src', 'dst', 'RIGHT', 'LEFT', '0'));
    await blockedClients(1);
    const pp = text(popper.call('BLPOP', 'dst', '0'));
    await blockedClients(2);
    await r.call('RPUSH', 'src', 'v');
    expect(await pm).toBe('$1\r\nv\r\n');
    expect(await pp).toBe('*2\r\n$3\r\ndst\r\n$1\r\nv\r\n');
    expect(await r.text('EXISTS', 'src', 'dst')).toBe(':0\r\n');
  });

  it('BLMOVE answers WRONGTYPE when woken with a destination holding a string', async () => {
    const c = await client();
    const p = text(c.call('BLMOVE', 'src', 'dst', 'LEFT', 'LEFT', '0'));
    await blockedClients(1);
    await r.call('SET', 'dst', 'str');
    await r.call('RPUSH', 'src', 'v');
    expect(await p).toBe('-WRONGTYPE Operation against a key holding the wrong kind of value\r\n');
    expect(await r.text('LLEN', 'src')).toBe(':1\r\n');
  });

  it('BLMPOP is woken with up to COUNT elements', async () => {
    const c = await client();
    const p = text(c.call('BLMPOP', '0', '2', 'a', 'b', 'RIGHT', 'COUNT', '2'));
    await blockedClients(1);
    await r.call('RPUSH', 'b', '1', '2', '3');
    expect(await p).toBe('*2\r\n$1\r\nb\r\n*2\r\n$1\r\n3\r\n$1\r\n2\r\n');
  });

  it('BLPOP is woken by LMOVE, RENAME and RESTORE', async () => {
    const c = await client();
    await r.call('RPUSH', 'src', 'm');
    let p = text(c.call('BLPOP', 'dst', '0'));
    await blockedClients(1);
    await r.call('LMOVE', 'src', 'dst', 'LEFT', 'LEFT');
    expect(await p).toBe('*2\r\n$3\r\ndst\r\n$1\r\nm\r\n');

    await r.call('RPUSH', 'tmp', 'r');
    p = text(c.call('BLPOP', 'dst', '0'));
    await blockedClients(1);
    await r.call('RENAME', 'tmp', 'dst');
    expect(await p).toBe('*2\r\n$3\r\ndst\r\n$1\r\nr\r\n');

    await r.call('RPUSH', 'tmp', 'd');
    const dump = (await r.call('DUMP', 'tmp')).toString('latin1');
    const payload = dump.slice(dump.indexOf('\r\n') + 2, -2);
    p = text(c.call('BLPOP', 'dst', '0'));
    await blockedClients(1);
    await r.call('RESTORE', 'dst', '0', payload);
    expect(await p).toBe('*2\r\n$3\r\ndst\r\n$1\r\nd\r\n');
  });

  it('BLPOP is served after EXEC with the state the whole transaction left', async () => {
    const c = await client();
    const p = text(c.call('BLPOP', 'l', '0'));
    await blockedClients(1);
    await r.call('MULTI');
    await r.call('RPUSH', 'l', 'a');
    await r.call('RPUSH', 'l', 'b');
    await r.call('LPOP', 'l');
    expect(await r.text('EXEC')).toBe('*3\r\n:1\r\n:2\r\n$1\r\na\r\n');
    expect(await p).toBe('*2\r\n$1\r\nl\r\n$1\r\nb\r\n');
  });

  it('BLPOP stays blocked when a transaction pushes and deletes the key', async () => {
    const c = await client();
    const p = text(c.call('BLPOP', 'l', '0.1'));
    await blockedClients(1);
    await r.call('MULTI');
    await r.call('RPUSH', 'l', 'a');
    await r.call('DEL', 'l');
    await r.call('EXEC');
    expect(await p).toBe('*-1\r\n');
  });

  it('BLPOP inside MULTI answers the timeout reply at once instead of blocking', async () => {
    await r.call('MULTI');
    await r.call('BLPOP', 'nokey', '0');
    await r.call('BRPOPLPUSH', 'nokey', 'x', '0');
    await r.call('BLMOVE', 'nokey', 'x', 'LEFT', 'LEFT', '0');
    await r.call('BLMPOP', '0', '1', 'nokey', 'LEFT');
    expect(await r.text('EXEC')).toBe('*4\r\n*-1\r\n$-1\r\n$-1\r\n*-1\r\n');
  });

  it('BLPOP of a client that disconnected does not take elements', async () => {
    const c = await client();
    void c.call('BLPOP', 'l', '0').catch(() => undefined);
    await blockedClients(1);
    c.close();
    await blockedClients(0);
    await r.call('RPUSH', 'l', 'a');
    expect(await r.text('LLEN', 'l')).toBe(':1\r\n');
  });

  it('CLIENT UNBLOCK ends a BLPOP with the timeout reply or an UNBLOCKED error', async () => {
    const c = await client();
    const id = (await c.text('CLIENT', 'ID')).slice(1, -2);
    let p = text(c.call('BLPOP', 'l', '0'));
    await blockedClients(1);
    expect(await r.text('CLIENT', 'UNBLOCK', id)).toBe(':1\r\n');
    expect(await p).toBe('*-1\r\n');
    p = text(c.call('BLPOP', 'l', '0'));
    await blockedClients(1);
    expect(await r.text('CLIENT', 'UNBLOCK', id, 'ERROR')).toBe(':1\r\n');
    expect(await p).toBe('-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n');
    await r.call('RPUSH', 'l', 'a');
    expect(await r.text('LLEN', 'l')).toBe(':1\r\n');
  });

  it('BLPOP holds back pipelined commands until it is served', async () => {
    const c = await client();
    const p1 = text(c.call('BLPOP', 'l', '0'));
    const p2 = text(c.call('PING'));
    await blockedClients(1);
    let pinged = false;
    void p2.then(() => (pinged = true));
    await new Promise((res) => setTimeout(res, 20));
    expect(pinged).toBe(false);
    await r.call('RPUSH', 'l', 'a');
    expect(await p1).toBe('*2\r\n$1\r\nl\r\n$1\r\na\r\n');
    expect(await p2).toBe('+PONG\r\n');
  });

  it('BLPOP waiters of another database are not woken', async () => {
    const c = await client();
    await c.call('SELECT', '1');
    const p = text(c.call('BLPOP', 'l', '0.05'));
    await blockedClients(1);
    await r.call('RPUSH', 'l', 'a');
    expect(await p).toBe('*-1\r\n');
    expect(await r.text('LLEN', 'l')).toBe(':1\r\n');
  });
});
