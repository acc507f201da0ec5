/**
 * Model-based test of blocking pops with several clients (fast-check
 * `fc.commands` + `asyncModelRun`). The model is a map of lists plus, per
 * key, the FIFO queue of blocked clients; after each push it serves the
 * queue in order, one element per waiter, as Redis does. The system is a
 * real Shardis node driven over four connections.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { RawClient } from '../helpers/resp.js';
import { startShardis, type RunningServer } from '../helpers/servers.js';

const CLIENTS = 3;
const KEYS = ['k1', 'k2'];

interface Waiter {
  client: number;
  keys: string[];
  head: boolean;
}

interface Model {
  lists: Map<string, string[]>;
  /** Blocked clients in blocking order. */
  waiters: Waiter[];
}

interface Real {
  control: RawClient;
  clients: RawClient[];
  ids: string[];
  pending: (Promise<string> | undefined)[];
}

let server: RunningServer;

beforeAll(async () => {
  server = await startShardis();
});

afterAll(async () => {
  await server?.stop();
});

function bulk(s: string): string {
  return `$${s.length}\r\n${s}\r\n`;
}

async function waitBlocked(r: Real, n: number): Promise<void> {
  for (let i = 0; i < 400; i++) {
    const list = await r.control.text('CLIENT', 'LIST');
    if (list.split('\n').filter((l) => / flags=\w*b/.test(l)).length === n) return;
    await new Promise((res) => setTimeout(res, 2));
  }
  throw new Error(`Cannot see ${n} blocked clients`);
}

/** Resolves like `p`, or rejects if no reply comes within `ms` (a waiter the server never served). */
function within(p: Promise<string>, ms = 2000): Promise<string> {
  return Promise.race([p, new Promise<string>((_, reject) => setTimeout(() => reject(new Error('No reply')), ms))]);
}

function isBlocked(m: Model, client: number): boolean {
  return m.waiters.some((w) => w.client === client);
}

/** Serves waiters of `key` in order while it has elements; returns the expected replies by client. */
function serve(m: Model, key: string): Map<number, string> {
  const out = new Map<number, string>();
  const list = m.lists.get(key);
  for (const w of [...m.waiters]) {
    if (list === undefined || list.length === 0) break;
    if (!w.keys.includes(key)) continue;
    const e = w.head ? list.shift()! : list.pop()!;
    out.set(w.client, '*2\r\n' + bulk(key) + bulk(e));
    m.waiters.splice(m.waiters.indexOf(w), 1);
  }
  if (list !== undefined && list.length === 0) m.lists.delete(key);
  return out;
}

class BlockCommand implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly client: number,
    readonly keys: string[],
    readonly head: boolean,
  ) {}
  check(m: Readonly<Model>): boolean {
    return !isBlocked(m as Model, this.client);
  }
  async run(m: Model, r: Real): Promise<void> {
    const cmd = this.head ? 'BLPOP' : 'BRPOP';
    const ready = this.keys.find((k) => (m.lists.get(k)?.length ?? 0) > 0);
    const p = r.clients[this.client]!.text(cmd, ...this.keys, '0');
    if (ready !== undefined) {
      const list = m.lists.get(ready)!;
      const e = this.head ? list.shift()! : list.pop()!;
      if (list.length === 0) m.lists.delete(ready);
      expect(await p).toBe('*2\r\n' + bulk(ready) + bulk(e));
      return;
    }
    r.pending[this.client] = p;
    m.waiters.push({ client: this.client, keys: [...new Set(this.keys)], head: this.head });
    await waitBlocked(r, m.waiters.length);
  }
  toString(): string {
    return `c${this.client} ${this.head ? 'BLPOP' : 'BRPOP'} ${this.keys.join(' ')} 0`;
  }
}

class PushCommand implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly key: string,
    readonly elements: string[],
    readonly head: boolean,
  ) {}
  check(): boolean {
    return true;
  }
  async run(m: Model, r: Real): Promise<void> {
    const list = m.lists.get(this.key) ?? [];
    for (const e of this.elements) {
      if (this.head) list.unshift(e);
      else list.push(e);
    }
    m.lists.set(this.key, list);
    expect(await r.control.text(this.head ? 'LPUSH' : 'RPUSH', this.key, ...this.elements)).toBe(`:${list.length}\r\n`);
    const served = serve(m, this.key);
    for (const [client, reply] of served) {
      expect(await within(r.pending[client]!)).toBe(reply);
      r.pending[client] = undefined;
    }
  }
  toString(): string {
    return `${this.head ? 'LPUSH' : 'RPUSH'} ${this.key} ${this.elements.join(' ')}`;
  }
}

/** Moves one element with LMOVE into `dst`, which may wake a waiter there. */
class MoveCommand implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly src: string,
    readonly dst: string,
  ) {}
  check(m: Readonly<Model>): boolean {
    return (m.lists.get(this.src)?.length ?? 0) > 0;
  }
  async run(m: Model, r: Real): Promise<void> {
    const s = m.lists.get(this.src)!;
    const e = s.shift()!;
    if (s.length === 0) m.lists.delete(this.src);
    const d = m.lists.get(this.dst) ?? [];
    d.push(e);
    m.lists.set(this.dst, d);
    expect(await r.control.text('LMOVE', this.src, this.dst, 'LEFT', 'RIGHT')).toBe(bulk(e));
    for (const [client, reply] of serve(m, this.dst)) {
      expect(await within(r.pending[client]!)).toBe(reply);
      r.pending[client] = undefined;
    }
  }
  toString(): string {
    return `LMOVE ${this.src} ${this.dst} LEFT RIGHT`;
  }
}

/** CLIENT UNBLOCK: the waiter gets the timeout reply, as on a real timeout. */
class UnblockCommand implements fc.AsyncCommand<Model, Real> {
  constructor(readonly client: number) {}
  check(m: Readonly<Model>): boolean {
    return isBlocked(m as Model, this.client);
  }
  async run(m: Model, r: Real): Promise<void> {
    m.waiters = m.waiters.filter((w) => w.client !== this.client);
    expect(await r.control.text('CLIENT', 'UNBLOCK', r.ids[this.client]!)).toBe(':1\r\n');
    expect(await within(r.pending[this.client]!)).toBe('*-1\r\n');
    r.pending[this.client] = undefined;
  }
  toString(): string {
    return `CLIENT UNBLOCK c${this.client}`;
  }
}

/** A short real timeout on empty keys. */
class TimeoutCommand implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly client: number,
    readonly key: string,
  ) {}
  check(m: Readonly<Model>): boolean {
    return !isBlocked(m as Model, this.client) && !m.lists.has(this.key);
  }
  async run(_m: Model, r: Real): Promise<void> {
    expect(await r.clients[this.client]!.text('BLPOP', this.key, '0.02')).toBe('*-1\r\n');
  }
  toString(): string {
    return `c${this.client} BLPOP ${this.key} 0.02 (times out)`;
  }
}

/** A blocked client disconnects: it must not take elements afterwards. */
class DisconnectCommand implements fc.AsyncCommand<Model, Real> {
  constructor(readonly client: number) {}
  check(m: Readonly<Model>): boolean {
    return isBlocked(m as Model, this.client);
  }
  async run(m: Model, r: Real): Promise<void> {
    m.waiters = m.waiters.filter((w) => w.client !== this.client);
    r.pending[this.client]!.catch(() => undefined);
    r.pending[this.client] = undefined;
    r.clients[this.client]!.close();
    const c = await RawClient.connect(server.port);
    r.clients[this.client] = c;
    r.ids[this.client] = (await c.text('CLIENT', 'ID')).slice(1, -2);
    await waitBlocked(r, m.waiters.length);
  }
  toString(): string {
    return `c${this.client} disconnects`;
  }
}

class CheckCommand implements fc.AsyncCommand<Model, Real> {
  constructor(readonly key: string) {}
  check(): boolean {
    return true;
  }
  async run(m: Model, r: Real): Promise<void> {
    const list = m.lists.get(this.key) ?? [];
    expect(await r.control.text('LRANGE', this.key, '0', '-1')).toBe(`*${list.length}\r\n` + list.map(bulk).join(''));
  }
  toString(): string {
    return `LRANGE ${this.key} 0 -1`;
  }
}

const client = fc.integer({ min: 0, max: CLIENTS - 1 });
const key = fc.constantFrom(...KEYS);
const block = fc.tuple(client, fc.uniqueArray(key, { minLength: 1, maxLength: 2 }), fc.boolean()).map(([c, ks, h]) => new BlockCommand(c, ks, h));
// Blocks are listed thrice so that several clients often wait on one key.
const commands = [
  block,
  block,
  block,
  fc.tuple(key, fc.array(fc.constantFrom('a', 'b', 'c', 'd'), { minLength: 1, maxLength: 3 }), fc.boolean()).map(([k, es, h]) => new PushCommand(k, es, h)),
  fc.tuple(key, key).map(([a, b]) => new MoveCommand(a, b)),
  client.map((c) => new UnblockCommand(c)),
  fc.tuple(client, key).map(([c, k]) => new TimeoutCommand(c, k)),
  client.map((c) => new DisconnectCommand(c)),
  key.map((k) => new CheckCommand(k)),
];

describe('blocking pops model', () => {
  it('BLPOP and BRPOP serve several clients FIFO per key, like the model', { timeout: 180_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: 20 }), async (cmds) => {
        const control = await RawClient.connect(server.port);
        const clients: RawClient[] = [];
        const ids: string[] = [];
        for (let i = 0; i < CLIENTS; i++) {
          const c = await RawClient.connect(server.port);
          clients.push(c);
          ids.push((await c.text('CLIENT', 'ID')).slice(1, -2));
        }
        await control.call('FLUSHALL');
        const real: Real = { control, clients, ids, pending: new Array(CLIENTS).fill(undefined) };
        try {
          await fc.asyncModelRun(() => ({ model: { lists: new Map(), waiters: [] }, real }), cmds);
        } finally {
          for (const c of real.clients) c.close();
          for (const p of real.pending) p?.catch(() => undefined);
          // Wait for the server to forget the closed clients before the next run.
          for (let i = 0; i < 400; i++) {
            const list = await control.text('CLIENT', 'LIST');
            if (!/ flags=\w*b/.test(list)) break;
            await new Promise((res) => setTimeout(res, 2));
          }
          control.close();
        }
      }),
      { numRuns: 100, interruptAfterTimeLimit: 90_000 },
    );
  });
});
