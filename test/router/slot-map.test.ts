import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { SlotMap, formatSlotRanges, parseSlotRanges, slotRanges } from '../../src/router/slot-map.js';

const slotArb = fc.integer({ min: 0, max: 16383 });

describe('slot ranges', () => {
  it('formatSlotRanges writes runs as Redis does', () => {
    expect(formatSlotRanges([...Array(5461).keys(), 12182])).toBe('0-5460,12182');
    expect(formatSlotRanges([3, 1, 2, 2, 9], ' ')).toBe('1-3 9');
    expect(formatSlotRanges([])).toBe('');
  });

  it('parseSlotRanges round-trips formatSlotRanges for any set of slots', () => {
    fc.assert(
      fc.property(fc.array(slotArb, { maxLength: 300 }), (slots) => {
        const sorted = [...new Set(slots)].sort((a, b) => a - b);
        expect(parseSlotRanges(formatSlotRanges(slots))).toEqual(sorted);
        expect(parseSlotRanges(formatSlotRanges(slots, ' '))).toEqual(sorted);
      }),
      { numRuns: 300 },
    );
  }, 120_000);

  it('slotRanges produces sorted, disjoint, non-adjacent runs covering exactly the input', () => {
    fc.assert(
      fc.property(fc.array(slotArb, { maxLength: 300 }), (slots) => {
        const ranges = slotRanges(slots);
        const covered = new Set<number>();
        for (let i = 0; i < ranges.length; i++) {
          const r = ranges[i]!;
          expect(r.start).toBeLessThanOrEqual(r.end);
          if (i > 0) expect(r.start).toBeGreaterThan(ranges[i - 1]!.end + 1);
          for (let s = r.start; s <= r.end; s++) covered.add(s);
        }
        expect(covered).toEqual(new Set(slots));
      }),
      { numRuns: 300 },
    );
  }, 120_000);

  it('parseSlotRanges refuses slots out of range and malformed runs', () => {
    expect(() => parseSlotRanges('16384')).toThrow(RangeError);
    expect(() => parseSlotRanges('5-3')).toThrow(RangeError);
    expect(() => parseSlotRanges('a-b')).toThrow(RangeError);
  });
});

type Op = { kind: 'assign'; slot: number; node: number } | { kind: 'move'; start: number; end: number; node: number } | { kind: 'unassign'; slot: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('assign' as const), slot: slotArb, node: fc.integer({ min: 0, max: 5 }) }),
  fc
    .record({ kind: fc.constant('move' as const), start: slotArb, len: fc.integer({ min: 0, max: 2000 }), node: fc.integer({ min: 0, max: 5 }) })
    .map(({ kind, start, len, node }) => ({ kind, start, end: Math.min(16383, start + len), node })),
  fc.record({ kind: fc.constant('unassign' as const), slot: slotArb }),
);

describe('SlotMap', () => {
  it('SlotMap gives every slot exactly one owner after any sequence of assignments and moves', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 40 }), (ops) => {
        const map = new SlotMap<string>();
        const model = new Array<string | null>(16384).fill(null);
        for (const op of ops) {
          if (op.kind === 'assign') {
            map.set(op.slot, `n${op.node}`);
            model[op.slot] = `n${op.node}`;
          } else if (op.kind === 'unassign') {
            map.set(op.slot, null);
            model[op.slot] = null;
          } else {
            map.setRange({ start: op.start, end: op.end }, `n${op.node}`);
            for (let s = op.start; s <= op.end; s++) model[s] = `n${op.node}`;
          }
        }
        // Each slot is listed under exactly one owner, and it is the model's.
        const listed = new Array<string | null>(16384).fill(null);
        let duplicates = 0;
        for (let n = 0; n < 6; n++) {
          for (const s of map.slotsOf(`n${n}`)) {
            if (listed[s] !== null) duplicates++;
            listed[s] = `n${n}`;
          }
        }
        expect(duplicates).toBe(0);
        expect(listed).toEqual(model);
        // ownerRanges agrees with the model run by run, and with the count.
        const fromRanges = new Array<string | null>(16384).fill(null);
        for (const r of map.ownerRanges()) fromRanges.fill(r.owner, r.start, r.end + 1);
        expect(fromRanges).toEqual(model);
        expect(map.assignedCount()).toBe(model.filter((o) => o !== null).length);
        // The incremental per-owner counts agree with a full pass.
        for (let n = 0; n < 6; n++) expect(map.countOf(`n${n}`)).toBe(model.filter((o) => o === `n${n}`).length);
        expect(new Set(map.owners())).toEqual(new Set(model.filter((o) => o !== null)));
      }),
      { numRuns: 60 },
    );
  }, 120_000);

  it('SlotMap replaceOwner moves the counts with the slots and leaves others untouched', () => {
    const map = new SlotMap<string>();
    map.setRange({ start: 0, end: 99 }, 'a');
    map.setRange({ start: 100, end: 149 }, 'b');
    map.replaceOwner('a', 'b');
    expect(map.countOf('a')).toBe(0);
    expect(map.countOf('b')).toBe(150);
    map.replaceOwner('b', null);
    expect(map.assignedCount()).toBe(0);
    expect([...map.owners()]).toEqual([]);
  });

  it('SlotMap version moves on a change of owner only', () => {
    const map = new SlotMap<string>();
    const v0 = map.version;
    map.set(7, null);
    expect(map.version).toBe(v0);
    map.set(7, 'a');
    const v1 = map.version;
    expect(v1).toBeGreaterThan(v0);
    map.set(7, 'a');
    expect(map.version).toBe(v1);
    map.set(7, 'b');
    expect(map.version).toBeGreaterThan(v1);
  });
});
