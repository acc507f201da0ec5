import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ClusterNode, ClusterState, NODE_FLAGS } from '../../../src/node/cluster/state.js';
import { SLOT_COUNT } from '../../../src/router/slot.js';

/** A few slots, so that random changes keep hitting the slots being asked about. */
const SLOTS = [0, 1, SLOT_COUNT - 1];

type Op =
  | { kind: 'owner' | 'migrating' | 'importing'; slot: number; node: number | null }
  | { kind: 'range'; node: number | null }
  | { kind: 'replace'; from: number; to: number | null }
  | { kind: 'remove'; node: number }
  | { kind: 'ask'; slot: number };

const nodeIndex = fc.integer({ min: 0, max: 2 });
const slotArb = fc.constantFrom(...SLOTS);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constantFrom('owner' as const, 'migrating' as const, 'importing' as const), slot: slotArb, node: fc.option(nodeIndex, { nil: null }) }),
  fc.record({ kind: fc.constant('range' as const), node: fc.option(nodeIndex, { nil: null }) }),
  fc.record({ kind: fc.constant('replace' as const), from: nodeIndex, to: fc.option(nodeIndex, { nil: null }) }),
  fc.record({ kind: fc.constant('remove' as const), node: fc.integer({ min: 1, max: 2 }) }),
  fc.record({ kind: fc.constant('ask' as const), slot: slotArb }),
);

describe('ClusterState', () => {
  it('servedHere is true exactly when myself owns the slot and it is neither migrating nor importing, through any sequence of changes', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 40 }), (ops) => {
        const me = new ClusterNode('a'.repeat(40), NODE_FLAGS.myself | NODE_FLAGS.master, 0);
        const nodes = [me, new ClusterNode('b'.repeat(40), NODE_FLAGS.master, 0), new ClusterNode('c'.repeat(40), NODE_FLAGS.master, 0)];
        const st = new ClusterState(me);
        for (const n of nodes.slice(1)) st.addNode(n);
        // Starting from slots served here, most answers are true and so get memoised.
        for (const s of SLOTS) st.slots.set(s, me);
        const node = (i: number | null): ClusterNode | null => (i === null ? null : nodes[i]!);
        const expected = (slot: number): boolean =>
          st.slots.get(slot) === me && st.migratingTo.get(slot) === null && st.importingFrom.get(slot) === null;
        for (const op of ops) {
          switch (op.kind) {
            case 'owner':
              st.slots.set(op.slot, node(op.node));
              break;
            case 'migrating':
              st.migratingTo.set(op.slot, node(op.node));
              break;
            case 'importing':
              st.importingFrom.set(op.slot, node(op.node));
              break;
            case 'range':
              st.slots.setRange({ start: 0, end: 2 }, node(op.node));
              break;
            case 'replace':
              st.slots.replaceOwner(nodes[op.from]!, node(op.to));
              break;
            case 'remove':
              st.removeNode(nodes[op.node]!);
              break;
            case 'ask':
              // Asked twice: the second answer comes from the memo when the first was true.
              expect(st.servedHere(op.slot)).toBe(expected(op.slot));
              expect(st.servedHere(op.slot)).toBe(expected(op.slot));
              break;
          }
        }
        for (const s of SLOTS) expect(st.servedHere(s)).toBe(expected(s));
      }),
      { numRuns: 500 },
    );
  });
});
