/**
 * DenseMap (src/node/collection-scan.ts) against a model, across the size
 * where its index splits into segments (32768 entries) and with reserved
 * capacity. Positions must stay dense (0..size-1), every key must be found
 * at the position keyAt reports, and a scan from 0 must visit every key
 * once.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DenseMap } from '../../src/node/collection-scan.js';

/** Checks that `m` holds exactly `model` and that positions and keys agree. */
function expectSame(m: DenseMap<number>, model: Map<string, number>): void {
  expect(m.size).toBe(model.size);
  const seen = new Set<string>();
  for (let i = 0; i < m.size; i++) {
    const k = m.keyAt(i);
    expect(seen.has(k)).toBe(false);
    seen.add(k);
    if (m.valueAt(i) !== model.get(k)) expect(m.valueAt(i)).toBe(model.get(k));
  }
  for (const [k, v] of model) if (m.get(k) !== v) expect(m.get(k)).toBe(v);
}

/** Sets `prefix + i` to i for i in [from, to) in both `m` and `model`. */
function addAll(m: DenseMap<number>, model: Map<string, number>, prefix: string, from: number, to: number): void {
  for (let i = from; i < to; i++) {
    m.set(prefix + i, i);
    model.set(prefix + i, i);
  }
}

/** The keys a full scan of `m` (steps of `count`) visits. */
function scanAll(m: DenseMap<number>, count: number): Set<string> {
  const visited = new Set<string>();
  let cursor = 0;
  do cursor = m.scan(cursor, count, (k) => visited.add(k));
  while (cursor !== 0);
  return visited;
}

describe('DenseMap', () => {
  it('DenseMap keeps keys, values and dense positions through its index split, growing and shrinking', () => {
    const m = new DenseMap<number>();
    const model = new Map<string, number>();
    const n = 140_000;
    let added = 0;
    for (let i = 0; i < n; i++) {
      if (m.set(`k:${i}`, i)) added++;
      model.set(`k:${i}`, i);
    }
    expect(added).toBe(n);
    expect(m.set('k:7', -7)).toBe(false);
    model.set('k:7', -7);
    expectSame(m, model);
    // Delete most keys in a scattered order: the last element moves into each hole.
    for (let i = 0; i < n; i += 1) {
      if (i % 7 === 3) continue;
      const k = `k:${(i * 7919) % n}`;
      if (m.delete(k) !== model.delete(k)) expect.fail(`delete ${k}`);
    }
    expect(m.delete('absent')).toBe(false);
    expectSame(m, model);
    // Grow again: positions stay dense after the shrink.
    addAll(m, model, 'k:', n, n + 70_000);
    expectSame(m, model);
    expect(scanAll(m, 5000).size).toBe(model.size);
  });

  it('DenseMap agrees with a Map model on random set/delete sequences around the split', () => {
    // One big base map (past the split) shared by all runs would hide bugs of
    // the unsplit state, so each run starts just below the split size.
    const base = 32_768 - 40;
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: base + 100 }), fc.integer()), { minLength: 1, maxLength: 200 }),
        (ops) => {
          const m = new DenseMap<number>();
          const model = new Map<string, number>();
          for (let i = 0; i < base; i++) {
            m.set(`k${i}`, i);
            model.set(`k${i}`, i);
          }
          for (const [del, key, value] of ops) {
            const k = `k${key}`;
            if (del) expect(m.delete(k)).toBe(model.delete(k));
            else {
              expect(m.set(k, value)).toBe(!model.has(k));
              model.set(k, value);
            }
            expect(m.size).toBe(model.size);
          }
          expectSame(m, model);
        },
      ),
      { numRuns: 15 },
    );
  });

  it('DenseMap.reserve keeps the map unchanged, and entries added or deleted after it stay dense, also after a shrink', () => {
    for (const before of [0, 10, 40_000]) {
      const m = new DenseMap<number>();
      const model = new Map<string, number>();
      for (let i = 0; i < before; i++) {
        m.set(`p${i}`, i);
        model.set(`p${i}`, i);
      }
      // One step (the index split, if the size will need it): the paged arrays need no room made.
      expect(m.reserve(60_000)).toBe(true);
      expectSame(m, model);
      for (let i = 0; i < 100; i++) {
        m.set(`q${i}`, i);
        model.set(`q${i}`, i);
      }
      expect(m.reserve(59_900)).toBe(true);
      expect(m.reserve(5)).toBe(true);
      expectSame(m, model);
      for (let i = 0; i < 60_000; i++) {
        m.set(`r${i}`, -i);
        model.set(`r${i}`, -i);
      }
      expectSame(m, model);
      // Shrink far below the reserved size (pages are dropped), then grow again.
      for (const k of [...model.keys()]) {
        if (k.endsWith('7')) continue;
        if (m.delete(k) !== model.delete(k)) expect.fail(`delete ${k}`);
      }
      expectSame(m, model);
      addAll(m, model, 'g', 0, 1000);
      expectSame(m, model);
      expect(scanAll(m, 777).size).toBe(model.size);
    }
  });

  it('DenseMap finds long keys that differ only in the middle (they share an index segment)', () => {
    const m = new DenseMap<number>();
    const pad = 'x'.repeat(100);
    for (let i = 0; i < 40_000; i++) m.set(`${pad}${i}${pad}`, i);
    expect(m.size).toBe(40_000);
    expect(m.get(`${pad}12345${pad}`)).toBe(12345);
    expect(m.delete(`${pad}0${pad}`)).toBe(true);
    expect(m.get(m.keyAt(0))).toBe(39_999);
  });
});
