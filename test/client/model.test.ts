/**
 * Model-based test: random reads and writes through ClusterClient, interleaved
 * with slot moves, migrations (ASK) and connection resets done behind the
 * client's back on the fake cluster. Every result must equal a plain Map
 * model, and no redirection error may reach the caller.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import fc from 'fast-check';
import { ClusterClient } from '../../src/client/index.js';
import { FakeCluster } from './helpers/fake-cluster.js';
import { keySlot } from '../../src/router/slot.js';

type Model = Map<string, string>;
interface Real {
  cluster: FakeCluster;
  client: ClusterClient;
}

const KEYS = ['a', 'b', 'c', 'd', 'e', 'f', '{t}x', '{t}y', 'user:1', 'user:2'];
const key = fc.constantFrom(...KEYS);
const value = fc.string({ maxLength: 6 });

class SetCmd implements fc.AsyncCommand<Model, Real> {
  constructor(readonly k: string, readonly v: string) {}
  check = (): boolean => true;
  async run(m: Model, r: Real): Promise<void> {
    expect(await r.client.set(this.k, this.v)).toBe('OK');
    m.set(this.k, this.v);
  }
  toString = (): string => `SET ${this.k} ${JSON.stringify(this.v)}`;
}

class GetCmd implements fc.AsyncCommand<Model, Real> {
  constructor(readonly k: string) {}
  check = (): boolean => true;
  async run(m: Model, r: Real): Promise<void> {
    expect(await r.client.get(this.k)).toBe(m.get(this.k) ?? null);
  }
  toString = (): string => `GET ${this.k}`;
}

class IncrCmd implements fc.AsyncCommand<Model, Real> {
  constructor(readonly k: string) {}
  check = (m: Readonly<Model>): boolean => !m.has(this.k) || /^-?[0-9]{1,10}$/.test(m.get(this.k)!);
  async run(m: Model, r: Real): Promise<void> {
    const expected = Number(m.get(this.k) ?? '0') + 1;
    expect(await r.client.incr(this.k)).toBe(expected);
    m.set(this.k, String(expected));
  }
  toString = (): string => `INCR ${this.k}`;
}

class MgetCmd implements fc.AsyncCommand<Model, Real> {
  constructor(readonly keys: string[]) {}
  check = (): boolean => true;
  async run(m: Model, r: Real): Promise<void> {
    expect(await r.client.mget(this.keys)).toEqual(this.keys.map((k) => m.get(k) ?? null));
  }
  toString = (): string => `MGET ${this.keys.join(' ')}`;
}

class MsetCmd implements fc.AsyncCommand<Model, Real> {
  constructor(readonly pairs: [string, string][]) {}
  check = (): boolean => true;
  async run(m: Model, r: Real): Promise<void> {
    expect(await r.client.mset(this.pairs)).toBe('OK');
    for (const [k, v] of this.pairs) m.set(k, v);
  }
  toString = (): string => `MSET ${this.pairs.map(([k, v]) => `${k} ${JSON.stringify(v)}`).join(' ')}`;
}

class DelCmd implements fc.AsyncCommand<Model, Real> {
  constructor(readonly keys: string[]) {}
  check = (): boolean => true;
  async run(m: Model, r: Real): Promise<void> {
    const distinct = [...new Set(this.keys)];
    const expected = distinct.filter((k) => m.has(k)).length;
    expect(await r.client.del(...this.keys)).toBe(expected);
    for (const k of distinct) m.delete(k);
  }
  toString = (): string => `DEL ${this.keys.join(' ')}`;
}

/**
 * Several commands on distinct keys issued in the same tick (one write per
 * node), optionally with a slot move while they are in flight.
 */
class BatchCmd implements fc.AsyncCommand<Model, Real> {
  constructor(readonly ops: { k: string; v: string | null }[], readonly moveDuring: [string, number] | null = null) {}
  check = (): boolean => true;
  async run(m: Model, r: Real): Promise<void> {
    const pending = Promise.all(this.ops.map((o) => (o.v === null ? r.client.get(o.k) : r.client.set(o.k, o.v))));
    if (this.moveDuring) {
      await new Promise((res) => setImmediate(res));
      r.cluster.moveSlot(keySlot(this.moveDuring[0]), this.moveDuring[1]);
    }
    const results = await pending;
    this.ops.forEach((o, i) => {
      if (o.v === null) expect(results[i]).toBe(m.get(o.k) ?? null);
      else expect(results[i]).toBe('OK');
    });
    for (const o of this.ops) if (o.v !== null) m.set(o.k, o.v);
  }
  toString = (): string =>
    `BATCH ${this.ops.map((o) => (o.v === null ? `GET ${o.k}` : `SET ${o.k}`)).join('; ')}${this.moveDuring ? ` (moving slot of ${this.moveDuring[0]} to node ${this.moveDuring[1]} in flight)` : ''}`;
}

class MoveSlotCmd implements fc.AsyncCommand<Model, Real> {
  constructor(readonly k: string, readonly to: number) {}
  check = (): boolean => true;
  async run(_m: Model, r: Real): Promise<void> {
    r.cluster.moveSlot(keySlot(this.k), this.to);
  }
  toString = (): string => `(move slot of ${this.k} to node ${this.to})`;
}

class MigrateCmd implements fc.AsyncCommand<Model, Real> {
  constructor(readonly k: string, readonly to: number) {}
  check = (): boolean => true;
  async run(_m: Model, r: Real): Promise<void> {
    const slot = keySlot(this.k);
    const from = r.cluster.owner(slot);
    if (from !== this.to) r.cluster.migrating.set(slot, { from, to: this.to });
  }
  toString = (): string => `(start migrating slot of ${this.k} to node ${this.to})`;
}

class FinishMigrationsCmd implements fc.AsyncCommand<Model, Real> {
  check = (): boolean => true;
  async run(_m: Model, r: Real): Promise<void> {
    for (const [slot, { to }] of [...r.cluster.migrating]) r.cluster.moveSlot(slot, to);
  }
  toString = (): string => '(finish migrations)';
}

class DropConnectionsCmd implements fc.AsyncCommand<Model, Real> {
  constructor(readonly node: number) {}
  check = (): boolean => true;
  async run(_m: Model, r: Real): Promise<void> {
    r.cluster.nodes[this.node]!.dropConnections();
  }
  toString = (): string => `(reset connections of node ${this.node})`;
}

describe('ClusterClient model', () => {
  let cluster: FakeCluster;
  beforeAll(async () => {
    cluster = await FakeCluster.start(3);
  });
  afterAll(async () => cluster.stop());

  it('ClusterClient results equal a Map model while slots move, migrate and connections reset behind its back', async () => {
    const node = fc.integer({ min: 0, max: 2 });
    const commands = [
      fc.tuple(key, value).map(([k, v]) => new SetCmd(k, v)),
      key.map((k) => new GetCmd(k)),
      key.map((k) => new IncrCmd(k)),
      fc.array(key, { minLength: 1, maxLength: 5 }).map((ks) => new MgetCmd(ks)),
      fc.array(fc.tuple(key, value), { minLength: 1, maxLength: 4 }).map((ps) => new MsetCmd(ps)),
      fc.array(key, { minLength: 1, maxLength: 4 }).map((ks) => new DelCmd(ks)),
      fc
        .uniqueArray(fc.tuple(key, fc.option(value)), { minLength: 1, maxLength: 6, selector: ([k]) => k })
        .chain((ops) => fc.option(fc.tuple(key, node)).map((mv) => new BatchCmd(ops.map(([k, v]) => ({ k, v })), mv))),
      fc.tuple(key, node).map(([k, n]) => new MoveSlotCmd(k, n)),
      fc.tuple(key, node).map(([k, n]) => new MigrateCmd(k, n)),
      fc.constant(new FinishMigrationsCmd()),
      node.map((n) => new DropConnectionsCmd(n)),
    ];
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: 50, size: 'max' }), async (cmds) => {
        cluster.data.clear();
        cluster.migrating.clear();
        for (let s = 0; s < cluster.slots.length; s++) cluster.slots[s] = Math.floor((s * 3) / cluster.slots.length);
        const client = new ClusterClient({ seeds: cluster.seeds, refreshInterval: 0, retryBase: 1, retryMax: 5 });
        try {
          await fc.asyncModelRun(() => ({ model: new Map<string, string>(), real: { cluster, client } }), cmds);
        } finally {
          await client.disconnect();
        }
      }),
      { numRuns: 100 },
    );
  });
});
