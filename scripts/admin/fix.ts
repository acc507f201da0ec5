/**
 * `shardis fix`: closes half-open slots and assigns uncovered ones without
 * losing a key.
 *
 * For each open slot (from every node's own CLUSTER NODES):
 * - MIGRATING on A to B, and B IMPORTING from A or already owning it: move
 *   A's remaining keys to B, then SETSLOT NODE B everywhere (`migrate`'s
 *   per-slot routine, which resumes exactly this state);
 * - MIGRATING on A only: if B holds no key of the slot, SETSLOT A STABLE;
 *   otherwise open the import on B and finish toward B;
 * - IMPORTING on B from A only: if B holds no key, SETSLOT B STABLE; if A
 *   holds none, B has all of them: SETSLOT NODE B everywhere; if both hold
 *   keys, open the migration on A and finish toward B;
 * - anything else (several importers of one slot) is reported, not touched.
 * Then every slot nobody owns goes to the primary holding the most keys in
 * it or, if none holds any, to the primary with the fewest slots
 * (CLUSTER ADDSLOTS there, SETSLOT NODE on the other primaries).
 */
import { SLOT_COUNT } from '../../src/router/slot.js';
import { formatSlotRanges } from '../../src/router/slot-map.js';
import { countKeysPerSlot } from './check.js';
import { runMigration, type MigrateOptions, type StopSignal } from './migrate.js';
import { Progress } from './progress.js';
import { label, ownSlots, primaries, seedOwners, type AdminNode, type ClusterView } from './view.js';

export interface FixAction {
  slot: number | null;
  description: string;
  run(): Promise<void>;
}

export interface FixPlan {
  actions: FixAction[];
  /** Problems fix does not handle. */
  unhandled: string[];
}

async function keysIn(n: AdminNode, slot: number): Promise<number> {
  return Number(await n.conn!.call('CLUSTER', 'COUNTKEYSINSLOT', slot));
}

async function setEverywhere(view: ClusterView, slot: number, owner: AdminNode, first: AdminNode[]): Promise<void> {
  for (const n of first) await n.conn!.call('CLUSTER', 'SETSLOT', slot, 'NODE', owner.id);
  await Promise.all(primaries(view).filter((n) => !first.includes(n)).map((n) => n.conn!.call('CLUSTER', 'SETSLOT', slot, 'NODE', owner.id).catch(() => undefined)));
}

export async function planFix(view: ClusterView, opts: MigrateOptions, stop: StopSignal): Promise<FixPlan> {
  const plan: FixPlan = { actions: [], unhandled: [] };
  const open = new Map<number, { mig: [AdminNode, string][]; imp: [AdminNode, string][] }>();
  const entry = (s: number) => {
    let e = open.get(s);
    if (!e) open.set(s, (e = { mig: [], imp: [] }));
    return e;
  };
  for (const n of view.nodes) {
    if (!n.conn) continue;
    for (const [s, peer] of n.migrating) entry(s).mig.push([n, peer]);
    for (const [s, peer] of n.importing) entry(s).imp.push([n, peer]);
  }
  const finish = (slot: number, a: AdminNode, b: AdminNode, why: string): FixAction => ({
    slot,
    description: `slot ${slot}: ${why}: move the keys left on ${label(a)} to ${label(b)}, then assign the slot to ${label(b)} everywhere`,
    run: async () => {
      const keys = await keysIn(a, slot);
      await runMigration(view, { source: a, target: b, slots: [slot], resumed: [slot], done: [], keys }, opts, new Progress(process.stderr, true), stop, () => undefined);
    },
  });
  for (const [s, { mig, imp }] of [...open].sort((x, y) => x[0] - y[0])) {
    if (mig.length > 1 || imp.length > 1) {
      plan.unhandled.push(`slot ${s} is open on several nodes (${[...mig, ...imp].map(([n]) => label(n)).join(', ')}); close it by hand with CLUSTER SETSLOT`);
      continue;
    }
    const m = mig[0];
    const i = imp[0];
    if (m) {
      const [a, peer] = m;
      const b = view.byId.get(peer);
      if (!b?.conn) {
        plan.unhandled.push(`slot ${s} is migrating on ${label(a)} to ${peer.slice(0, 8)}, which is unreachable; bring it back, then run fix again`);
        continue;
      }
      if (i && (i[0] !== b || i[1] !== a.id)) {
        plan.unhandled.push(`slot ${s} is migrating on ${label(a)} to ${label(b)} but importing on ${label(i[0])}; close it by hand with CLUSTER SETSLOT`);
        continue;
      }
      if (i || b.owners?.[s] === b.id) {
        plan.actions.push(finish(s, a, b, `migrating on ${label(a)} to ${label(b)}`));
      } else if ((await keysIn(b, s)) === 0) {
        plan.actions.push({
          slot: s,
          description: `slot ${s}: migrating on ${label(a)} only and ${label(b)} holds none of its keys: SETSLOT STABLE on ${label(a)}`,
          run: async () => { await a.conn!.call('CLUSTER', 'SETSLOT', s, 'STABLE'); },
        });
      } else {
        plan.actions.push(finish(s, a, b, `migrating on ${label(a)} only, but ${label(b)} holds keys of it`));
      }
      continue;
    }
    if (i) {
      const [b, peer] = i;
      const a = view.byId.get(peer);
      const bKeys = await keysIn(b, s);
      if (bKeys === 0) {
        plan.actions.push({
          slot: s,
          description: `slot ${s}: importing on ${label(b)} only, which holds none of its keys: SETSLOT STABLE on ${label(b)}`,
          run: async () => { await b.conn!.call('CLUSTER', 'SETSLOT', s, 'STABLE'); },
        });
        continue;
      }
      if (!a?.conn) {
        plan.unhandled.push(`slot ${s} is importing on ${label(b)} from ${peer.slice(0, 8)}, which is unreachable; bring it back, then run fix again`);
        continue;
      }
      if ((await keysIn(a, s)) === 0) {
        plan.actions.push({
          slot: s,
          description: `slot ${s}: importing on ${label(b)}, which holds all its keys: assign it to ${label(b)} everywhere`,
          run: () => setEverywhere(view, s, b, [b, a]),
        });
      } else {
        plan.actions.push(finish(s, a, b, `importing on ${label(b)} while both nodes hold keys`));
      }
    }
  }

  // Uncovered slots.
  const owners = seedOwners(view);
  const uncovered: number[] = [];
  for (let s = 0; s < SLOT_COUNT; s++) if (owners[s] === '') uncovered.push(s);
  if (uncovered.length > 0) {
    const prims = primaries(view);
    if (prims.length === 0) {
      plan.unhandled.push(`${uncovered.length} slots are not covered and no primary is reachable`);
      return plan;
    }
    const counts = await Promise.all(prims.map((n) => countKeysPerSlot(n.conn!)));
    const load = prims.map((n) => ownSlots(n).length);
    const assign = new Map<AdminNode, number[]>();
    for (const s of uncovered) {
      let best = -1;
      for (let k = 0; k < prims.length; k++) if (counts[k]![s]! > 0 && (best < 0 || counts[k]![s]! > counts[best]![s]!)) best = k;
      if (best < 0) {
        best = 0;
        for (let k = 1; k < prims.length; k++) if (load[k]! < load[best]!) best = k;
      }
      load[best]!++;
      const n = prims[best]!;
      if (!assign.has(n)) assign.set(n, []);
      assign.get(n)!.push(s);
      const holders = prims.filter((_, k) => k !== best && counts[k]![s]! > 0);
      if (holders.length) plan.unhandled.push(`slot ${s} has keys on several nodes (${holders.map(label).join(', ')} besides ${label(n)}); move them with shardis migrate after this fix`);
    }
    for (const [n, slots] of assign) {
      plan.actions.push({
        slot: null,
        description: `assign ${slots.length} uncovered slots (${formatSlotRanges(slots)}) to ${label(n)}`,
        run: async () => {
          await n.conn!.call('CLUSTER', 'ADDSLOTS', ...slots);
          await Promise.all(primaries(view).filter((x) => x !== n).map((x) => Promise.all(slots.map((s) => x.conn!.call('CLUSTER', 'SETSLOT', s, 'NODE', n.id).catch(() => undefined)))));
        },
      });
    }
  }
  return plan;
}
