import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { partialSort } from '../../src/node/partial-sort.js';

describe('partialSort', () => {
  it('partialSort puts in the window exactly what a full sort puts there, and keeps every element', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 120 }), fc.nat(130), fc.nat(130), (keys, a, b) => {
        const items = keys.map((k, i) => ({ k, i }));
        const full = [...items].sort((x, y) => x.k - y.k);
        const lo = Math.min(a, b);
        const hi = Math.max(a, b);
        partialSort(items, (x, y) => x.k - y.k, lo, hi);
        for (let j = lo; j <= hi && j < keys.length; j++) expect(items[j]!.k).toBe(full[j]!.k);
        expect(items.map((x) => x.i).sort((x, y) => x - y)).toEqual(keys.map((_, i) => i));
      }),
      { numRuns: 500 },
    );
  });

  it('partialSort over the whole range sorts completely', () => {
    fc.assert(
      fc.property(fc.array(fc.integer(), { maxLength: 200 }), (xs) => {
        const v = [...xs];
        partialSort(v, (x, y) => (x < y ? -1 : x > y ? 1 : 0), 0, v.length - 1);
        expect(v).toEqual([...xs].sort((x, y) => x - y));
      }),
      { numRuns: 300 },
    );
  });

  it('partialSort leaves ties in quicksort order, not input order', () => {
    // 8 equal keys: the median-of-three pivot is swapped to the front, so a stable sort and pqsort differ.
    const v = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].map((name) => ({ name }));
    partialSort(v, () => 0, 0, 1);
    expect(v.map((x) => x.name).join('')).not.toBe('abcdefgh');
  });
});
