import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { CommandSpec } from '../../src/router/command-spec.js';
import { lookupCommand, getKeys } from '../../src/router/command-table.js';
import { ROUTE_ASKING, ROUTE_HAS_KEYS, ROUTE_MIGRATE, ROUTE_PUBSUB, ROUTE_WRITE, routeCommand, routeFlags, routeTransaction, type RouteContext, type RouteDecision, type SlotState } from '../../src/router/route.js';
import { keySlot } from '../../src/router/slot.js';

const ME = 'a'.repeat(40);
const NODES = [ME, 'b'.repeat(40), 'c'.repeat(40)];

function spec(name: string): CommandSpec {
  const s = lookupCommand(name);
  if (!s) throw new Error(`no spec ${name}`);
  return s;
}

/** A few keys per hash tag so that multi-key commands hit one slot or several. */
const keyArb = fc.tuple(fc.constantFrom('t1', 't2', 't3', 'foo'), fc.constantFrom('', 'a', 'b', 'c')).map(([tag, k]) => `{${tag}}${k}`);

const commandArb: fc.Arbitrary<string[]> = fc.oneof(
  keyArb.map((k) => ['GET', k]),
  keyArb.map((k) => ['SET', k, 'v']),
  fc.array(keyArb, { minLength: 1, maxLength: 4 }).map((ks) => ['MGET', ...ks]),
  fc.array(keyArb, { minLength: 1, maxLength: 3 }).map((ks) => ['MSET', ...ks.flatMap((k) => [k, 'v'])]),
  fc.array(keyArb, { minLength: 1, maxLength: 3 }).map((ks) => ['DEL', ...ks]),
  fc.constant(['PING']),
  keyArb.map((k) => ['MIGRATE', '127.0.0.1', '1', k, '0', '100']),
  fc.array(keyArb, { minLength: 1, maxLength: 3 }).map((ks) => ['MIGRATE', '127.0.0.1', '1', '', '0', '100', 'KEYS', ...ks]),
  keyArb.map((k) => ['RESTORE-ASKING', k, '0', 'payload']),
  keyArb.map((k) => ['SPUBLISH', k, 'm']),
  fc.array(keyArb, { minLength: 1, maxLength: 3 }).map((ks) => ['SSUBSCRIBE', ...ks]),
);

interface World {
  states: Map<number, SlotState>;
  existing: Set<string>;
  myMaster: string | null;
  clusterOk: boolean;
  allowReadsWhenDown: boolean;
  allowPubsubShardWhenDown: boolean;
  asking: boolean;
  readonly: boolean;
  /** The context answers `servedHere` (else it always says false, and the router reads every slot state). */
  shortcut: boolean;
}

const nodeOrNull = fc.option(fc.constantFrom(...NODES), { nil: null });
const stateArb: fc.Arbitrary<SlotState> = fc.record({ owner: nodeOrNull, migratingTo: nodeOrNull, importingFrom: nodeOrNull });
const tagSlots = ['t1', 't2', 't3', 'foo'].map((t) => keySlot(t));

const worldArb: fc.Arbitrary<World> = fc.record({
  states: fc.tuple(...tagSlots.map(() => stateArb)).map((sts) => new Map(tagSlots.map((s, i) => [s, sts[i]!]))),
  existing: fc.array(keyArb, { maxLength: 8 }).map((ks) => new Set(ks)),
  myMaster: fc.option(fc.constantFrom(NODES[1]!, NODES[2]!), { nil: null }),
  clusterOk: fc.boolean(),
  allowReadsWhenDown: fc.boolean(),
  allowPubsubShardWhenDown: fc.boolean(),
  asking: fc.boolean(),
  readonly: fc.boolean(),
  shortcut: fc.boolean(),
});

function ctxOf(w: World): RouteContext {
  return {
    myId: ME,
    myMaster: w.myMaster,
    clusterOk: w.clusterOk,
    allowReadsWhenDown: w.allowReadsWhenDown,
    allowPubsubShardWhenDown: w.allowPubsubShardWhenDown,
    asking: w.asking,
    readonly: w.readonly,
    slotState: (s) => w.states.get(s) ?? { owner: null, migratingTo: null, importingFrom: null },
    servedHere: (s) => {
      const st = w.states.get(s);
      return w.shortcut && st !== undefined && st.owner === ME && st.migratingTo === null && st.importingFrom === null;
    },
    keyExists: (k) => w.existing.has(k),
  };
}

/**
 * The model: Redis's rules restated over whole key lists (no incremental
 * scan): the keys, their distinct slots, the first slot's state, then the
 * checks in the documented order.
 */
function model(w: World, cmds: { spec: CommandSpec; args: string[] }[]): RouteDecision {
  const keys = cmds.flatMap((c) => getKeys(c.spec, c.args));
  if (keys.length === 0) return { kind: 'local' };
  const firstSlot = keySlot(keys[0]!);
  const st = w.states.get(firstSlot) ?? { owner: null, migratingTo: null, importingFrom: null };
  // CROSSSLOT only if a different slot shows up before the first key's slot turns out unassigned: the first key decides that.
  if (st.owner === null) return { kind: 'cluster-down', reason: 'unbound' };
  if (keys.some((k) => keySlot(k) !== firstSlot)) return { kind: 'cross-slot' };
  const migrating = st.owner === ME && st.migratingTo !== null;
  const importing = !migrating && st.importingFrom !== null;
  // A shard channel is never looked up in the keyspace.
  const isKeyMissing = (c: { spec: CommandSpec; args: string[] }, k: string): boolean => !c.spec.flags.includes('pubsub') && !w.existing.has(k);
  const missing = migrating || importing ? cmds.flatMap((c) => getKeys(c.spec, c.args).filter((k) => isKeyMissing(c, k))).length : 0;
  const existing = keys.length - missing;
  const multiple = new Set(keys).size > 1;
  const write = cmds.some((c) => c.spec.flags.includes('write'));
  // Shard pub/sub: channels in key positions, served when down if allowed, and by a replica of the owner.
  const shard = cmds.some((c) => c.spec.flags.includes('pubsub') && getKeys(c.spec, c.args).length > 0);
  if (!w.clusterOk) {
    if (shard) {
      if (!w.allowPubsubShardWhenDown) return { kind: 'cluster-down', reason: 'down' };
    } else {
      if (!w.allowReadsWhenDown) return { kind: 'cluster-down', reason: 'down' };
      if (write) return { kind: 'cluster-down', reason: 'readonly-down' };
    }
  }
  const single = cmds.length === 1 ? cmds[0]!.spec : undefined;
  if ((migrating || importing) && single?.name === 'migrate') return { kind: 'local' };
  if (migrating && missing > 0) return existing > 0 ? { kind: 'try-again' } : { kind: 'ask', slot: firstSlot, node: st.migratingTo! };
  if (importing && (w.asking || (single?.flags.includes('asking') ?? false))) return multiple && missing > 0 ? { kind: 'try-again' } : { kind: 'local' };
  if ((w.readonly || shard) && !write && w.myMaster !== null && w.myMaster === st.owner) return { kind: 'local' };
  return st.owner === ME ? { kind: 'local' } : { kind: 'moved', slot: firstSlot, node: st.owner };
}

describe('routeCommand', () => {
  it('routeCommand equals the model for random keys, commands and slot states', () => {
    fc.assert(
      fc.property(worldArb, commandArb, (w, args) => {
        const s = spec(args[0]!);
        expect(routeCommand(ctxOf(w), s, args)).toEqual(model(w, [{ spec: s, args }]));
      }),
      { numRuns: 3000 },
    );
  }, 120_000);

  it('routeTransaction equals the model over all queued commands', () => {
    fc.assert(
      fc.property(worldArb, fc.array(commandArb.filter((a) => a[0] !== 'MIGRATE' && a[0] !== 'RESTORE-ASKING'), { maxLength: 4 }), (w, list) => {
        const cmds = list.map((args) => ({ spec: spec(args[0]!), args }));
        expect(routeTransaction(ctxOf(w), cmds)).toEqual(model(w, cmds));
      }),
      { numRuns: 1000 },
    );
  }, 120_000);

  it('routeCommand answers CROSSSLOT before MOVED when no key is local', () => {
    const w: World = {
      states: new Map(tagSlots.map((s) => [s, { owner: NODES[1]!, migratingTo: null, importingFrom: null }])),
      existing: new Set(),
      myMaster: null,
      clusterOk: true,
      allowReadsWhenDown: false,
      allowPubsubShardWhenDown: true,
      asking: false,
      readonly: false,
      shortcut: true,
    };
    expect(routeCommand(ctxOf(w), spec('mget'), ['MGET', '{t1}a', '{t2}a'])).toEqual({ kind: 'cross-slot' });
    expect(routeCommand(ctxOf(w), spec('get'), ['GET', '{t1}a'])).toEqual({ kind: 'moved', slot: keySlot('t1'), node: NODES[1] });
  });

  it('routeFlags reads key positions and the write, pubsub, asking and migrate flags from the spec', () => {
    expect(routeFlags(spec('get'))).toBe(ROUTE_HAS_KEYS);
    expect(routeFlags(spec('set'))).toBe(ROUTE_HAS_KEYS | ROUTE_WRITE);
    expect(routeFlags(spec('ping'))).toBe(0);
    expect(routeFlags(spec('publish')) & (ROUTE_HAS_KEYS | ROUTE_PUBSUB)).toBe(ROUTE_PUBSUB);
    expect(routeFlags(spec('restore-asking')) & ROUTE_ASKING).toBe(ROUTE_ASKING);
    expect(routeFlags(spec('migrate')) & (ROUTE_HAS_KEYS | ROUTE_MIGRATE)).toBe(ROUTE_HAS_KEYS | ROUTE_MIGRATE);
    // The same bits however often asked (memoized per spec).
    expect(routeFlags(spec('set'))).toBe(routeFlags(spec('set')));
  });

  it('routeCommand serves keyless commands locally even when the cluster is down', () => {
    const w: World = { states: new Map(), existing: new Set(), myMaster: null, clusterOk: false, allowReadsWhenDown: false, allowPubsubShardWhenDown: true, asking: false, readonly: false, shortcut: true };
    expect(routeCommand(ctxOf(w), spec('ping'), ['PING'])).toEqual({ kind: 'local' });
  });
});
