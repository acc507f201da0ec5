/**
 * Model-based test of WATCH/MULTI/EXEC races between two clients (fast-check
 * `fc.commands` + `asyncModelRun`). The model keeps the string values, and
 * per client its watched keys, a dirty flag and its queued commands. Any
 * write that changes a key marks every client watching it dirty, including
 * writes run by another client's EXEC; a dirty EXEC answers a null array and
 * a clean one runs the queue and answers each command's reply.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { RawClient } from '../helpers/resp.js';
import { startShardis, type RunningServer } from '../helpers/servers.js';

const KEYS = ['a', 'b'];

type Op = { op: 'SET'; key: string; value: string } | { op: 'DEL'; key: string } | { op: 'GET'; key: string } | { op: 'INCR'; key: string };

interface ClientState {
  watched: Set<string>;
  dirty: boolean;
  queue: Op[] | null;
}

interface Model {
  values: Map<string, string>;
  clients: ClientState[];
}

let server: RunningServer;

beforeAll(async () => {
  server = await startShardis();
});

afterAll(async () => {
  await server?.stop();
});

function bulk(s: string | undefined): string {
  return s === undefined ? '$-1\r\n' : `$${s.length}\r\n${s}\r\n`;
}

function touch(m: Model, key: string): void {
  for (const c of m.clients) if (c.watched.has(key)) c.dirty = true;
}

/** Applies one operation to the model and returns Redis's reply bytes. */
function apply(m: Model, o: Op): string {
  switch (o.op) {
    case 'SET':
      m.values.set(o.key, o.value);
      touch(m, o.key);
      return '+OK\r\n';
    case 'DEL':
      if (!m.values.delete(o.key)) return ':0\r\n';
      touch(m, o.key);
      return ':1\r\n';
    case 'GET':
      return bulk(m.values.get(o.key));
    case 'INCR': {
      const v = m.values.get(o.key) ?? '0';
      if (!/^-?\d+$/.test(v)) return '-ERR value is not an integer or out of range\r\n';
      const n = String(Number(v) + 1);
      m.values.set(o.key, n);
      touch(m, o.key);
      return `:${n}\r\n`;
    }
  }
}

function args(o: Op): string[] {
  return o.op === 'SET' ? ['SET', o.key, o.value] : [o.op, o.key];
}

class OpCommand implements fc.AsyncCommand<Model, RawClient[]> {
  constructor(
    readonly client: number,
    readonly o: Op,
  ) {}
  check(): boolean {
    return true;
  }
  async run(m: Model, r: RawClient[]): Promise<void> {
    const c = m.clients[this.client]!;
    const reply = await r[this.client]!.text(...args(this.o));
    if (c.queue !== null) {
      c.queue.push(this.o);
      expect(reply).toBe('+QUEUED\r\n');
    } else {
      expect(reply).toBe(apply(m, this.o));
    }
  }
  toString(): string {
    return `c${this.client} ${args(this.o).join(' ')}`;
  }
}

class WatchCommand implements fc.AsyncCommand<Model, RawClient[]> {
  constructor(
    readonly client: number,
    readonly key: string,
  ) {}
  check(m: Readonly<Model>): boolean {
    return m.clients[this.client]!.queue === null;
  }
  async run(m: Model, r: RawClient[]): Promise<void> {
    m.clients[this.client]!.watched.add(this.key);
    expect(await r[this.client]!.text('WATCH', this.key)).toBe('+OK\r\n');
  }
  toString(): string {
    return `c${this.client} WATCH ${this.key}`;
  }
}

class UnwatchCommand implements fc.AsyncCommand<Model, RawClient[]> {
  constructor(readonly client: number) {}
  check(m: Readonly<Model>): boolean {
    return m.clients[this.client]!.queue === null;
  }
  async run(m: Model, r: RawClient[]): Promise<void> {
    const c = m.clients[this.client]!;
    c.watched.clear();
    c.dirty = false;
    expect(await r[this.client]!.text('UNWATCH')).toBe('+OK\r\n');
  }
  toString(): string {
    return `c${this.client} UNWATCH`;
  }
}

class MultiCommand implements fc.AsyncCommand<Model, RawClient[]> {
  constructor(readonly client: number) {}
  check(m: Readonly<Model>): boolean {
    return m.clients[this.client]!.queue === null;
  }
  async run(m: Model, r: RawClient[]): Promise<void> {
    m.clients[this.client]!.queue = [];
    expect(await r[this.client]!.text('MULTI')).toBe('+OK\r\n');
  }
  toString(): string {
    return `c${this.client} MULTI`;
  }
}

class ExecCommand implements fc.AsyncCommand<Model, RawClient[]> {
  constructor(
    readonly client: number,
    readonly discard: boolean,
  ) {}
  check(m: Readonly<Model>): boolean {
    return m.clients[this.client]!.queue !== null;
  }
  async run(m: Model, r: RawClient[]): Promise<void> {
    const c = m.clients[this.client]!;
    const queue = c.queue!;
    const dirty = c.dirty;
    c.queue = null;
    c.watched.clear();
    c.dirty = false;
    if (this.discard) {
      expect(await r[this.client]!.text('DISCARD')).toBe('+OK\r\n');
      return;
    }
    let expected: string;
    if (dirty) {
      expected = '*-1\r\n';
    } else {
      expected = `*${queue.length}\r\n`;
      for (const o of queue) expected += apply(m, o);
    }
    expect(await r[this.client]!.text('EXEC')).toBe(expected);
  }
  toString(): string {
    return `c${this.client} ${this.discard ? 'DISCARD' : 'EXEC'}`;
  }
}

const client = fc.integer({ min: 0, max: 1 });
const key = fc.constantFrom(...KEYS);
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('SET' as const), key, value: fc.constantFrom('1', '2', 'x') }),
  fc.record({ op: fc.constant('DEL' as const), key }),
  fc.record({ op: fc.constant('GET' as const), key }),
  fc.record({ op: fc.constant('INCR' as const), key }),
);
const commands = [
  fc.tuple(client, op).map(([c, o]) => new OpCommand(c, o)),
  fc.tuple(client, op).map(([c, o]) => new OpCommand(c, o)),
  fc.tuple(client, key).map(([c, k]) => new WatchCommand(c, k)),
  client.map((c) => new UnwatchCommand(c)),
  client.map((c) => new MultiCommand(c)),
  client.map((c) => new ExecCommand(c, false)),
  fc.tuple(client, fc.constantFrom(false, false, true)).map(([c, d]) => new ExecCommand(c, d)),
];

describe('WATCH/MULTI/EXEC model', () => {
  it('EXEC fails exactly when a watched key changed, whichever client changed it', { timeout: 180_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: 30 }), async (cmds) => {
        const clients = [await RawClient.connect(server.port), await RawClient.connect(server.port)];
        try {
          await clients[0]!.call('FLUSHALL');
          const model: Model = {
            values: new Map(),
            clients: [0, 1].map(() => ({ watched: new Set<string>(), dirty: false, queue: null })),
          };
          await fc.asyncModelRun(() => ({ model, real: clients }), cmds);
        } finally {
          for (const c of clients) c.close();
        }
      }),
      { numRuns: 150, interruptAfterTimeLimit: 90_000 },
    );
  });
});
