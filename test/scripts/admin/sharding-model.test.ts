/**
 * Model-based test of slot migration under traffic (fast-check `fc.commands`
 * + `fc.asyncModelRun`) on a 3-primary Shardis cluster and on a real Redis 7
 * cluster, each kept up for its whole suite (each run starts with FLUSHALL,
 * not a restart). Migrations use either method (`transfer`, the CLI's
 * default, or `migrate`); a resume uses the interrupted run's method.
 *
 * A run is a random sequence of
 * - client operations through one ClusterClient (SET/GET/DEL/INCR, HSET/
 *   HGET/HDEL/HGETALL, bulk SETs) on keys of a few hash tags, so that a
 *   handful of slots hold all the keys and migrations have work to do;
 * - migrations of one slot (one of those, or a random empty one) from its
 *   owner to another primary, run in process with `planMigration` +
 *   `runMigration` while a chain of client operations runs at the same time.
 *   A migration may be interrupted: stopped through its StopSignal after K
 *   batches, or "killed" after N admin commands (every later command of the
 *   run is dropped, as a SIGKILL would; commands already written still run
 *   on the nodes). An interrupted slot stays pending until
 * - a resume (the same migration planned and run again) or
 * - a fix (`planFix` and all its actions, as `shardis fix` does).
 * The run ends by resuming or fixing whatever is still pending.
 *
 * The model is a plain Map of the keyspace: every reply is compared with it
 * as the command returns. After every run: every node names the same owner
 * for every slot in CLUSTER NODES and CLUSTER SLOTS and no slot is open;
 * each key-holding slot has its keys (GETKEYSINSLOT, COUNTKEYSINSLOT) on its
 * owner only; DBSIZE adds up to the model's size; every key read on its
 * owner holds the model's value; the client saw no error.
 *
 * One documented gap is modelled rather than checked: a `--method transfer`
 * run killed between a batch's RESTORE and the source's DEL leaves that
 * batch on both nodes (scripts/admin/migrate.ts, transferBatch). If a
 * client then deletes such a key on the source before the slot is closed,
 * clients are sent to the target's stale copy, which the resume or fix
 * keeps. So a key deleted on a slot whose transfer was killed is "in
 * doubt" until a client writes it again: its replies are not compared and
 * the final checks leave it out. Nothing else is relaxed: a deletion on any
 * other slot, or after the MIGRATE method, is checked as before.
 *
 * Replaying: a failure prints fast-check's seed and path; MODEL_SEED=<seed>
 * reruns it, MODEL_SHRINK=1 shrinks it (minutes on a live cluster),
 * MODEL_RUNS sets the number of runs on Shardis (20) and MODEL_RUNS_REDIS
 * on Redis (8). Shrunk cases are kept below as
 * fixed command lists, each saying what it caught. Client operations that run during
 * a migration race with it on the wire, so a replay follows the same
 * commands but not necessarily the same interleaving.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { redisAvailable } from '../../helpers/servers.js';
import { startRedisCluster, startShardisCluster, type RunningCluster } from '../../client/helpers/redis-cluster.js';
import { ClusterClient } from '../../../src/client/index.js';
import { keySlot, SLOT_COUNT } from '../../../src/router/slot.js';
import { AdminConnection } from '../../../scripts/admin/conn.js';
import { RawConn } from '../../../scripts/admin/transfer.js';
import { loadCluster, parseClusterNodes } from '../../../scripts/admin/view.js';
import { planMigration, runMigration, type MigrateOptions, type StopSignal } from '../../../scripts/admin/migrate.js';
import { planFix } from '../../../scripts/admin/fix.js';
import { Progress } from '../../../scripts/admin/progress.js';

// -- Keys --------------------------------------------------------------------

const TAGS = ['{m0}', '{m1}', '{m2}', '{m3}'];
const TAG_SLOTS = TAGS.map((t) => keySlot(t));
const STRING_KEYS = 3;
const COUNTER_KEYS = 2;
const HASH_KEYS = 2;
const BULK_KEYS = 40;

const tagArb = fc.integer({ min: 0, max: TAGS.length - 1 });
const stringKey = fc.tuple(tagArb, fc.nat(STRING_KEYS - 1)).map(([t, i]) => `${TAGS[t]}s${i}`);
const counterKey = fc.tuple(tagArb, fc.nat(COUNTER_KEYS - 1)).map(([t, i]) => `${TAGS[t]}n${i}`);
const hashKey = fc.tuple(tagArb, fc.nat(HASH_KEYS - 1)).map(([t, i]) => `${TAGS[t]}h${i}`);
const bulkKey = fc.tuple(tagArb, fc.nat(BULK_KEYS - 1)).map(([t, i]) => `${TAGS[t]}b${i}`);
/** Keys GET may read: never a hash (no WRONGTYPE: the client must see no error). */
const readableKey = fc.oneof(stringKey, counterKey, bulkKey);
const anyKey = fc.oneof(stringKey, counterKey, hashKey, bulkKey);
const value = fc.string({ maxLength: 12 });
const field = fc.constantFrom('f0', 'f1', 'f2');

// -- Client operations ---------------------------------------------------------

type Op =
  | { op: 'set'; key: string; value: string }
  | { op: 'get'; key: string }
  | { op: 'del'; key: string }
  | { op: 'incr'; key: string }
  | { op: 'hset'; key: string; field: string; value: string }
  | { op: 'hget'; key: string; field: string }
  | { op: 'hdel'; key: string; field: string }
  | { op: 'hgetall'; key: string }
  | { op: 'bulk'; tag: number; from: number; n: number; value: string };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: fc.record({ op: fc.constant('set' as const), key: fc.oneof(stringKey, bulkKey), value }), weight: 3 },
  { arbitrary: fc.record({ op: fc.constant('get' as const), key: readableKey }), weight: 3 },
  { arbitrary: fc.record({ op: fc.constant('del' as const), key: anyKey }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('incr' as const), key: counterKey }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant('hset' as const), key: hashKey, field, value }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant('hget' as const), key: hashKey, field }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('hdel' as const), key: hashKey, field }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('hgetall' as const), key: hashKey }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('bulk' as const), tag: tagArb, from: fc.nat(BULK_KEYS - 1), n: fc.integer({ min: 5, max: BULK_KEYS }), value }), weight: 2 },
);

function opText(o: Op): string {
  switch (o.op) {
    case 'set': return `SET ${o.key} ${JSON.stringify(o.value)}`;
    case 'hset': return `HSET ${o.key} ${o.field} ${JSON.stringify(o.value)}`;
    case 'hget': case 'hdel': return `${o.op.toUpperCase()} ${o.key} ${o.field}`;
    case 'bulk': return `SET x${o.n} ${TAGS[o.tag]}b${o.from}.. ${JSON.stringify(o.value)}`;
    default: return `${o.op.toUpperCase()} ${o.key}`;
  }
}

type Value = string | Map<string, string>;

interface Model {
  data: Map<string, Value>;
  /**
   * slot → the interrupted migration (node ids, how keys travel) that still
   * has to be resumed or fixed; `killedTransfer` once a `transfer` run of it
   * was killed (see the module comment).
   */
  pending: Map<number, { from: string; to: string; method: Method; killedTransfer?: boolean }>;
  /** Keys deleted on a slot whose transfer was killed, and not written since: the target's stale copy may be what clients see. */
  doubt: Set<string>;
}

function newModel(): Model {
  return { data: new Map(), pending: new Map(), doubt: new Set() };
}

interface Real {
  client: ClusterClient;
  seed: string;
}

function text(v: unknown): unknown {
  if (Buffer.isBuffer(v)) return v.toString('latin1');
  if (Array.isArray(v)) return v.map(text);
  return v;
}

/** Flat [f, v, ...] (RESP2 HGETALL) → sorted pairs. */
function pairs(flat: unknown): [string, string][] {
  const a = text(flat) as string[];
  const out: [string, string][] = [];
  for (let i = 0; i < a.length; i += 2) out.push([a[i]!, a[i + 1]!]);
  return out.sort((x, y) => (x[0] < y[0] ? -1 : 1));
}

/** Applies `o` to the model and returns the reply it must get. */
function applyOp(m: Model, o: Op): unknown {
  const d = m.data;
  switch (o.op) {
    case 'set': d.set(o.key, o.value); return 'OK';
    case 'get': return (d.get(o.key) as string | undefined) ?? null;
    case 'del': return d.delete(o.key) ? 1 : 0;
    case 'incr': {
      const n = Number(d.get(o.key) ?? '0') + 1;
      d.set(o.key, String(n));
      return n;
    }
    case 'hset': {
      let h = d.get(o.key) as Map<string, string> | undefined;
      if (!h) d.set(o.key, (h = new Map()));
      const added = h.has(o.field) ? 0 : 1;
      h.set(o.field, o.value);
      return added;
    }
    case 'hget': return (d.get(o.key) as Map<string, string> | undefined)?.get(o.field) ?? null;
    case 'hdel': {
      const h = d.get(o.key) as Map<string, string> | undefined;
      if (!h || !h.delete(o.field)) return 0;
      if (h.size === 0) d.delete(o.key);
      return 1;
    }
    case 'hgetall': return [...((d.get(o.key) as Map<string, string> | undefined) ?? [])].sort((x, y) => (x[0] < y[0] ? -1 : 1));
    case 'bulk': {
      for (let i = 0; i < o.n; i++) d.set(`${TAGS[o.tag]}b${(o.from + i) % BULK_KEYS}`, `${o.value}:${i}`);
      return 'OK';
    }
  }
}

/** Runs `o` through the client; a rejected call fails the run (the client must see no error). */
async function execOp(c: ClusterClient, o: Op): Promise<unknown> {
  try {
    switch (o.op) {
      case 'set': return text(await c.call('SET', o.key, o.value));
      case 'get': return text(await c.call('GET', o.key));
      case 'del': return await c.call('DEL', o.key);
      case 'incr': return await c.call('INCR', o.key);
      case 'hset': return await c.call('HSET', o.key, o.field, o.value);
      case 'hget': return text(await c.call('HGET', o.key, o.field));
      case 'hdel': return await c.call('HDEL', o.key, o.field);
      case 'hgetall': return pairs(await c.call('HGETALL', o.key));
      case 'bulk': {
        const sets: Promise<unknown>[] = [];
        for (let i = 0; i < o.n; i++) sets.push(c.call('SET', `${TAGS[o.tag]}b${(o.from + i) % BULK_KEYS}`, `${o.value}:${i}`));
        const r = text(await Promise.all(sets)) as string[];
        return r.every((x) => x === 'OK') ? 'OK' : r;
      }
    }
  } catch (err) {
    throw new Error(`The client saw an error on ${opText(o)}: ${(err as Error).message}`, { cause: err });
  }
}

/** Runs `ops` one after the other, each checked against the model as it returns (keys in doubt: only that no error came). */
async function runOps(m: Model, r: Real, ops: readonly Op[]): Promise<void> {
  for (const o of ops) {
    stats.ops++;
    const doubted = o.op !== 'bulk' && m.doubt.has(o.key);
    const had = o.op !== 'bulk' && m.data.has(o.key);
    const want = applyOp(m, o);
    const got = await execOp(r.client, o);
    if (!doubted) expect(got, opText(o)).toEqual(want);
    trackDoubt(m, o, had);
  }
}

/** Updates `m.doubt` after `o` ran (see the module comment): a deletion on a killed transfer's slot puts a key in doubt, a SET takes it out. */
function trackDoubt(m: Model, o: Op, had: boolean): void {
  if (o.op === 'bulk') {
    for (let i = 0; i < o.n; i++) m.doubt.delete(`${TAGS[o.tag]}b${(o.from + i) % BULK_KEYS}`);
    return;
  }
  if (o.op === 'set') m.doubt.delete(o.key);
  const deleted = had && !m.data.has(o.key);
  if (deleted && m.pending.get(keySlot(o.key))?.killedTransfer) {
    m.doubt.add(o.key);
    stats.doubted++;
  }
}

// -- Migrations --------------------------------------------------------------------

/** How a migration ends early: never, after K batches (StopSignal), or killed after N admin commands. */
type Interrupt = { kind: 'none' } | { kind: 'stop'; batches: number } | { kind: 'kill'; commands: number };

const interruptArb: fc.Arbitrary<Interrupt> = fc.oneof(
  { arbitrary: fc.constant({ kind: 'none' as const }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('stop' as const), batches: fc.integer({ min: 1, max: 6 }) }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('kill' as const), commands: fc.integer({ min: 0, max: 16 }) }), weight: 3 },
);

class Killed extends Error {
  override name = 'Killed';
}

/** Progress that raises the stop signal once `batches` batches (progress updates) are done. */
class StopAfter extends Progress {
  #left: number;
  readonly #stop: StopSignal;
  constructor(batches: number, stop: StopSignal) {
    super(process.stderr, true);
    this.#left = batches;
    this.#stop = stop;
  }
  override update(): void {
    if (--this.#left <= 0) this.#stop.stopped = true;
  }
}

/**
 * Makes every admin connection (those of the view, and those a transfer
 * opens: AdminConnection, RawConn) fail after `n` more commands (a RawConn
 * request, one write, counts as one), as if the process died there: later
 * commands are never sent. Returns the undo.
 */
function killAfter(n: number): () => void {
  let left = n;
  const send = AdminConnection.prototype.send;
  const request = RawConn.prototype.request;
  AdminConnection.prototype.send = function (this: AdminConnection, args, asBuffer) {
    return left-- > 0 ? send.call(this, args, asBuffer) : Promise.reject(new Killed('killed'));
  };
  RawConn.prototype.request = function (this: RawConn, bytes, replies) {
    return left-- > 0 ? request.call(this, bytes, replies) : Promise.reject(new Killed('killed'));
  };
  return () => {
    AdminConnection.prototype.send = send;
    RawConn.prototype.request = request;
  };
}

/** What the suite exercised, printed at the end and checked for coverage. */
const stats = { runs: 0, migrations: 0, interrupted: 0, leftOpen: 0, keysMoved: 0, resumes: 0, fixActions: 0, ops: 0, replaced: 0, doubted: 0 };

type Method = 'transfer' | 'migrate';

function migrateOptions(batch: number, pipeline: number, method: Method): MigrateOptions {
  return { batch, pipeline, parallel: 1, rate: 0, timeout: 10_000, replace: false, method };
}

/** Plans and runs one slot's migration from `from` to `to` (ids) with `interrupt`; true if it finished. */
async function migrateSlot(seed: string, slot: number, from: string, to: string, opts: MigrateOptions, interrupt: Interrupt): Promise<boolean> {
  const view = await loadCluster(seed);
  try {
    const source = view.byId.get(from)!;
    const target = view.byId.get(to)!;
    const plan = await planMigration(view, source, target, { slots: [slot] });
    const stop: StopSignal = { stopped: false };
    const progress = interrupt.kind === 'stop' ? new StopAfter(interrupt.batches, stop) : new Progress(process.stderr, true);
    const undo = interrupt.kind === 'kill' ? killAfter(interrupt.commands) : () => undefined;
    try {
      stats.migrations++;
      const r = await runMigration(view, plan, opts, progress, stop, () => stats.replaced++);
      stats.keysMoved += r.keysMoved;
      if (r.stopped) {
        stats.interrupted++;
        if (r.openSlots.length) stats.leftOpen++;
      }
      return !r.stopped;
    } catch (err) {
      if (!(err instanceof Killed)) throw err;
      stats.interrupted++;
      stats.keysMoved += progress.keysDone;
      return false;
    } finally {
      undo();
    }
  } finally {
    view.close();
  }
}

async function fixAll(seed: string): Promise<void> {
  const view = await loadCluster(seed);
  try {
    const stop: StopSignal = { stopped: false };
    const plan = await planFix(view, migrateOptions(100, 4, 'migrate'), stop);
    expect(plan.unhandled, 'problems shardis fix left alone').toEqual([]);
    for (const a of plan.actions) await a.run();
    stats.fixActions += plan.actions.length;
  } finally {
    view.close();
  }
}

/** Primary ids ordered by port (stable across runs). */
async function primaryIds(seed: string): Promise<{ ids: string[]; owners: string[] }> {
  const view = await loadCluster(seed);
  try {
    const prims = view.nodes.filter((n) => n.isPrimary).sort((a, b) => a.port - b.port);
    const seedNode = view.nodes.find((n) => n.addr === seed)!;
    return { ids: prims.map((n) => n.id), owners: seedNode.owners! };
  } finally {
    view.close();
  }
}

class OpCmd implements fc.AsyncCommand<Model, Real> {
  constructor(readonly ops: Op[]) {}
  check(): boolean {
    return true;
  }
  async run(m: Model, r: Real): Promise<void> {
    await runOps(m, r, this.ops);
  }
  toString(): string {
    return this.ops.map(opText).join('; ');
  }
}

class MigrateCmd implements fc.AsyncCommand<Model, Real> {
  constructor(readonly slotPick: number, readonly targetPick: number, readonly batch: number, readonly pipeline: number, readonly interrupt: Interrupt, readonly during: Op[], readonly method: Method = 'migrate') {}
  check(): boolean {
    return true;
  }
  slot(): number {
    return this.slotPick < TAG_SLOTS.length ? TAG_SLOTS[this.slotPick]! : this.slotPick;
  }
  async run(m: Model, r: Real): Promise<void> {
    const slot = this.slot();
    let pair = m.pending.get(slot);
    if (!pair) {
      const { ids, owners } = await primaryIds(r.seed);
      const from = owners[slot]!;
      let to = ids[this.targetPick % ids.length]!;
      if (to === from) to = ids[(this.targetPick + 1) % ids.length]!;
      pair = { from, to, method: this.method };
    }
    const [finished] = await Promise.all([
      migrateSlot(r.seed, slot, pair.from, pair.to, migrateOptions(this.batch, this.pipeline, pair.method), this.interrupt),
      runOps(m, r, this.during),
    ]);
    if (finished) m.pending.delete(slot);
    else m.pending.set(slot, { ...pair, killedTransfer: pair.killedTransfer || (this.interrupt.kind === 'kill' && pair.method === 'transfer') });
  }
  toString(): string {
    const i = this.interrupt;
    const how = i.kind === 'none' ? '' : i.kind === 'stop' ? ` stop after ${i.batches} batches` : ` kill after ${i.commands} commands`;
    return `migrate slot ${this.slot()} to #${this.targetPick} (${this.method}, batch ${this.batch}x${this.pipeline})${how}${this.during.length ? ` during [${this.during.map(opText).join('; ')}]` : ''}`;
  }
}

class ResumeCmd implements fc.AsyncCommand<Model, Real> {
  constructor(readonly pick: number, readonly during: Op[]) {}
  check(m: Readonly<Model>): boolean {
    return m.pending.size > 0;
  }
  async run(m: Model, r: Real): Promise<void> {
    const slots = [...m.pending.keys()].sort((a, b) => a - b);
    const slot = slots[this.pick % slots.length]!;
    const { from, to, method } = m.pending.get(slot)!;
    const [finished] = await Promise.all([migrateSlot(r.seed, slot, from, to, migrateOptions(3, 2, method), { kind: 'none' }), runOps(m, r, this.during)]);
    expect(finished).toBe(true);
    stats.resumes++;
    m.pending.delete(slot);
  }
  toString(): string {
    return `resume pending #${this.pick}${this.during.length ? ` during [${this.during.map(opText).join('; ')}]` : ''}`;
  }
}

class FixCmd implements fc.AsyncCommand<Model, Real> {
  constructor(readonly during: Op[]) {}
  check(): boolean {
    return true;
  }
  async run(m: Model, r: Real): Promise<void> {
    await Promise.all([fixAll(r.seed), runOps(m, r, this.during)]);
    m.pending.clear();
  }
  toString(): string {
    return `fix${this.during.length ? ` during [${this.during.map(opText).join('; ')}]` : ''}`;
  }
}

const duringArb = fc.array(opArb, { maxLength: 6 });
const migrateArb = fc.tuple(
  fc.oneof({ arbitrary: fc.nat(TAG_SLOTS.length - 1), weight: 6 }, { arbitrary: fc.integer({ min: 0, max: SLOT_COUNT - 1 }), weight: 1 }),
  fc.nat(2), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 3 }), interruptArb, duringArb, fc.constantFrom<Method>('transfer', 'migrate'),
).map(([s, t, b, p, i, d, method]) => new MigrateCmd(s, t, b, p, i, d, method));
const commandsArb = fc.commands(
  [
    fc.array(opArb, { minLength: 1, maxLength: 4 }).map((ops) => new OpCmd(ops)),
    // Listed three times: migrations are what the suite is about.
    migrateArb, migrateArb, migrateArb,
    fc.tuple(fc.nat(7), duringArb).map(([p, d]) => new ResumeCmd(p, d)),
    duringArb.map((d) => new FixCmd(d)),
  ],
  { maxCommands: 16, size: 'medium' },
);
/** Bulk writes before the commands, so the migrated slots hold tens of keys. */
const fillArb = fc.array(fc.record({ op: fc.constant('bulk' as const), tag: tagArb, from: fc.constant(0), n: fc.integer({ min: 10, max: BULK_KEYS }), value }), { minLength: 2, maxLength: 6 });
const closeArb = fc.constantFrom('resume' as const, 'fix' as const);

// -- Checks after a run ----------------------------------------------------------

async function withConns<T>(ports: readonly number[], fn: (conns: AdminConnection[]) => Promise<T>): Promise<T> {
  const conns = await Promise.all(ports.map((p) => AdminConnection.open('127.0.0.1', p)));
  try {
    return await fn(conns);
  } finally {
    for (const c of conns) c.close();
  }
}

/** Owner port per slot from CLUSTER SLOTS. */
function slotsReplyOwners(reply: unknown): number[] {
  const owners = new Array<number>(SLOT_COUNT).fill(0);
  for (const range of reply as unknown[][]) {
    const [a, b, primary] = range as [number, number, unknown[]];
    for (let s = a; s <= b; s++) owners[s] = Number(primary[1]);
  }
  return owners;
}

/**
 * Waits (up to 15 s) until every node's CLUSTER NODES names the same owner
 * for every slot. The tools tell every primary the new owner, but a Redis
 * node can still take an older claim from gossip for a moment and correct
 * it from the next one (epochs decide): agreement is eventual, and on a
 * loaded machine the window grew past an immediate check. A cluster that
 * never agrees still fails the checks that follow.
 */
async function waitForAgreement(conns: readonly AdminConnection[]): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const views = await Promise.all(
      conns.map(async (c) => {
        const owners = new Array<number>(SLOT_COUNT).fill(0);
        for (const l of parseClusterNodes(String(text(await c.call('CLUSTER', 'NODES'))), '127.0.0.1')) for (const s of l.slots) owners[s] = l.port;
        return owners.join(',');
      }),
    );
    if (views.every((v) => v === views[0])) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The invariants every run must leave (see the module comment). */
async function checkCluster(cluster: RunningCluster, m: Model): Promise<void> {
  await withConns(cluster.ports, async (conns) => {
    await waitForAgreement(conns);
    // One owner per slot, the same in every node's CLUSTER NODES and CLUSTER SLOTS; nothing open.
    let ref: number[] | null = null;
    for (const [i, c] of conns.entries()) {
      const lines = parseClusterNodes(String(text(await c.call('CLUSTER', 'NODES'))), '127.0.0.1');
      const me = lines.find((l) => l.flags.includes('myself'))!;
      expect([...me.migrating, ...me.importing], `open slots on node ${cluster.ports[i]}`).toEqual([]);
      const owners = new Array<number>(SLOT_COUNT).fill(0);
      for (const l of lines) for (const s of l.slots) owners[s] = l.port;
      expect(owners.indexOf(0), `a slot without owner on node ${cluster.ports[i]}`).toBe(-1);
      expect(slotsReplyOwners(await c.call('CLUSTER', 'SLOTS')), `CLUSTER SLOTS of node ${cluster.ports[i]}`).toEqual(owners);
      if (ref === null) ref = owners;
      else expect(owners, `owners in node ${cluster.ports[i]}'s opinion`).toEqual(ref);
    }
    const owners = ref!;

    // Keys only on their slot's owner; the keyspace is the model's.
    const bySlot = new Map<number, string[]>();
    let certain = 0;
    for (const k of m.data.keys()) {
      if (m.doubt.has(k)) continue;
      certain++;
      const s = keySlot(k);
      if (!bySlot.has(s)) bySlot.set(s, []);
      bySlot.get(s)!.push(k);
    }
    const sizes = await Promise.all(conns.map((c) => c.call('DBSIZE')));
    // Keys in doubt (see the module comment) may or may not be there.
    let doubtedPresent = 0;
    for (const k of m.doubt) if (Number(await conns[cluster.ports.indexOf(owners[keySlot(k)]!)]!.call('EXISTS', k)) === 1) doubtedPresent++;
    expect(sizes.reduce((a: number, b) => a + Number(b), 0) - doubtedPresent, 'keys in the cluster').toBe(certain);
    for (const s of TAG_SLOTS) {
      const want = (bySlot.get(s) ?? []).sort();
      for (const [i, c] of conns.entries()) {
        const count = Number(await c.call('CLUSTER', 'COUNTKEYSINSLOT', s));
        if (cluster.ports[i] === owners[s]) {
          const all = text(await c.call('CLUSTER', 'GETKEYSINSLOT', s, 1000)) as string[];
          expect(count, `keys of slot ${s} on its owner ${owners[s]}`).toBe(all.length);
          expect(all.filter((k) => !m.doubt.has(k)).sort(), `keys of slot ${s}`).toEqual(want);
        } else {
          expect(count, `keys of slot ${s} on node ${cluster.ports[i]}, which does not own it`).toBe(0);
        }
      }
    }
    // Values, read on the owner itself.
    for (const [k, v] of m.data) {
      if (m.doubt.has(k)) continue;
      const c = conns[cluster.ports.indexOf(owners[keySlot(k)]!)]!;
      if (typeof v === 'string') expect(text(await c.call('GET', k)), k).toBe(v);
      else expect(pairs(await c.call('HGETALL', k)), k).toEqual([...v].sort((x, y) => (x[0] < y[0] ? -1 : 1)));
    }
  });
}

/**
 * Empties every node, then closes what a failed run (or its shrinking) may
 * have left open: with no key anywhere, that is SETSLOT STABLE on each open
 * slot, and the first node's owner of any slot another node disagrees about.
 */
async function resetCluster(cluster: RunningCluster): Promise<void> {
  await withConns(cluster.ports, async (conns) => {
    await Promise.all(conns.map((c) => c.call('FLUSHALL')));
    const views = (await Promise.all(conns.map((c) => c.call('CLUSTER', 'NODES')))).map((t) => parseClusterNodes(String(text(t)), '127.0.0.1'));
    const owners = (lines: ReturnType<typeof parseClusterNodes>): string[] => {
      const o = new Array<string>(SLOT_COUNT).fill('');
      for (const l of lines) for (const s of l.slots) o[s] = l.id;
      return o;
    };
    const ref = owners(views[0]!);
    for (const [i, c] of conns.entries()) {
      const me = views[i]!.find((l) => l.flags.includes('myself'))!;
      for (const s of [...me.migrating.keys(), ...me.importing.keys()]) await c.call('CLUSTER', 'SETSLOT', s, 'STABLE');
      const mine = owners(views[i]!);
      for (let s = 0; s < SLOT_COUNT; s++) if (mine[s] !== ref[s] && ref[s] !== '') await c.call('CLUSTER', 'SETSLOT', s, 'NODE', ref[s]!);
    }
  });
}

// -- The property ------------------------------------------------------------------

/**
 * One run: `fill` then `cmds` through the model runner, then the pending
 * migrations closed by `close`, then the checks.
 */
async function runCase(c: RunningCluster, fill: readonly Op[], cmds: Iterable<fc.AsyncCommand<Model, Real>>, close: 'resume' | 'fix'): Promise<void> {
  await resetCluster(c);
  stats.runs++;
  const model: Model = newModel();
  const real: Real = { client: new ClusterClient({ seeds: [...c.seeds], refreshInterval: 0, protocol: 2 }), seed: c.seeds[0]! };
  try {
    await runOps(model, real, fill);
    await fc.asyncModelRun(() => ({ model, real }), cmds);
    // Leave nothing open: the same migrations again, or shardis fix.
    if (close === 'fix') {
      await fixAll(real.seed);
      model.pending.clear();
    }
    for (const [slot, { from, to, method }] of [...model.pending]) {
      expect(await migrateSlot(real.seed, slot, from, to, migrateOptions(100, 4, method), { kind: 'none' })).toBe(true);
      model.pending.delete(slot);
    }
    await checkCluster(c, model);
  } finally {
    await real.client.close();
  }
}

const kinds = [
  { name: 'a Shardis cluster', shardis: true, start: () => startShardisCluster(3), runs: Number(process.env.MODEL_RUNS ?? 20) },
  { name: 'a Redis 7 cluster', shardis: false, start: () => startRedisCluster(3), runs: Number(process.env.MODEL_RUNS_REDIS ?? 8) },
];

describe.runIf(redisAvailable()).each(kinds)('slot migration under traffic on $name (model-based)', ({ shardis, start, runs }) => {
  let cluster: RunningCluster;
  beforeAll(async () => {
    expect(new Set(TAG_SLOTS).size).toBe(TAGS.length);
    cluster = await start();
  }, 90_000);
  afterAll(async () => cluster?.stop());

  it('migrate (transfer or MIGRATE), stopped or killed midway then resumed or fixed, keeps every key on its owner and the client error-free', async () => {
    await fc.assert(fc.asyncProperty(fillArb, commandsArb, closeArb, (fill, cmds, close) => runCase(cluster, fill, cmds, close)), {
      numRuns: runs,
      // Shrinking on a live cluster takes minutes: opt in with MODEL_SHRINK=1.
      endOnFailure: process.env.MODEL_SHRINK !== '1',
      seed: process.env.MODEL_SEED ? Number(process.env.MODEL_SEED) : undefined,
    });
    console.log(`sharding model: ${JSON.stringify(stats)}`);
    // The generators must reach the interesting states, not only clean migrations.
    expect(stats.interrupted).toBeGreaterThan(0);
    expect(stats.keysMoved).toBeGreaterThan(0);
  }, 600_000);

  // Regression cases: shrunk counterexamples, replayed as fixed commands.

  it('migrate killed before the third primary heard of the new owner leaves all nodes agreeing after fix or a rerun', async () => {
    // An empty slot: IMPORTING, MIGRATING, GETKEYSINSLOT, SETSLOT NODE on the target and the source; the kill comes before the third.
    await runCase(cluster, [], [new MigrateCmd(9000, 0, 1, 1, { kind: 'kill', commands: 5 }, [])], 'fix');
    await runCase(cluster, [], [new MigrateCmd(9000, 1, 1, 1, { kind: 'kill', commands: 5 }, [])], 'resume');
  }, 60_000);

  // Shardis only: these replay races of the Shardis source's MIGRATE.
  if (shardis) {
    // seed -1322132437, path "4:6:11:...:2:0" (replayPath "FA/g:N"): a migration
    // killed while its MIGRATE was in flight left the key on both nodes (the
    // Shardis source skips deleting acknowledged keys once the caller has
    // disconnected), and the rerun stopped on BUSYKEY.
    it('migrate killed during a MIGRATE and run again finishes without BUSYKEY', async () => {
      const fill: Op[] = [{ op: 'bulk', tag: 0, from: 0, n: 10, value: '' }, { op: 'bulk', tag: 0, from: 0, n: 10, value: '' }];
      await runCase(cluster, fill, [new MigrateCmd(0, 0, 1, 2, { kind: 'kill', commands: 4 }, [])], 'resume');
      await runCase(cluster, fill, [new MigrateCmd(0, 0, 1, 2, { kind: 'kill', commands: 4 }, [])], 'fix');
    }, 60_000);

    // Found by the property (seed -447973340, path "0": HGET {m0}h0 f2 read
    // null after an HSET that ran during a fix's migration of slot 2853). The
    // Shardis source (src/node/cluster/migrate.ts) deletes its copy once the
    // target acknowledged it if `db.get(key) === value`, which still holds for
    // a hash changed in place, so the HSET is lost; a SET in flight instead
    // leaves the key on both nodes, which runMigration must not close the slot
    // on. Replayed here as the race itself, 20 times over.
    it('HSET and SET on keys whose MIGRATE is in flight are neither lost nor left behind', async () => {
      const c = cluster;
      await resetCluster(c);
      const model: Model = newModel();
      const real: Real = { client: new ClusterClient({ seeds: [...c.seeds], refreshInterval: 0, protocol: 2 }), seed: c.seeds[0]! };
      const slot = TAG_SLOTS[0]!;
      const hashes = Array.from({ length: 20 }, (_, i) => `${TAGS[0]}race-h${i}`);
      const strings = Array.from({ length: 20 }, (_, i) => `${TAGS[0]}race-s${i}`);
      try {
        for (let i = 0; i < 20; i++) {
          await real.client.call('HSET', hashes[i]!, 'f0', 'x');
          await real.client.call('SET', strings[i]!, 'old');
        }
        const { ids, owners } = await primaryIds(real.seed);
        const from = owners[slot]!;
        const to = ids.find((id) => id !== from)!;
        // Open the slot as migrate does (IMPORTING, then MIGRATING), then race each key's MIGRATE with a write.
        const view = await loadCluster(real.seed);
        try {
          const src = view.byId.get(from)!.conn!;
          const tgt = view.byId.get(to)!;
          await tgt.conn!.call('CLUSTER', 'SETSLOT', slot, 'IMPORTING', from);
          await src.call('CLUSTER', 'SETSLOT', slot, 'MIGRATING', to);
          for (let i = 0; i < 20; i++) {
            const [mig, h, w] = await Promise.all([
              src.send(['MIGRATE', tgt.host, String(tgt.port), '', '0', '5000', 'KEYS', hashes[i]!, strings[i]!]),
              real.client.call('HSET', hashes[i]!, 'f1', 'y'),
              real.client.call('SET', strings[i]!, 'new'),
            ]);
            expect(mig instanceof Error ? mig.message : mig).toMatch(/^OK|NOKEY$/);
            expect([h, text(w)]).toEqual([1, 'OK']);
            model.data.set(hashes[i]!, new Map([['f0', 'x'], ['f1', 'y']]));
            model.data.set(strings[i]!, 'new');
          }
        } finally {
          view.close();
        }
        expect(await migrateSlot(real.seed, slot, from, to, migrateOptions(100, 4, 'migrate'), { kind: 'none' })).toBe(true);
        await checkCluster(c, model);
      } finally {
        await real.client.close();
      }
    }, 60_000);
  }
});
