/**
 * ZSetValue: both encodings, the switch between them, and the DUMP codec.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { dumpCodecForType } from '../../../src/node/dump.js';
import { ZSetValue } from '../../../src/node/types/zset.js';

const LIMITS = { maxEntries: 4, maxValue: 8 };

function all(z: ZSetValue): [string, number][] {
  const out: [string, number][] = [];
  z.forEach((m, s) => out.push([m, s]));
  return out;
}

describe('ZSetValue', () => {
  it('ZSetValue stays listpack within the limits and converts to skiplist past them, never back', () => {
    const z = new ZSetValue();
    for (const [m, s] of [['a', 1], ['b', 2], ['c', 3], ['d', 4]] as const) z.insert(m, s, LIMITS);
    expect(z.encoding()).toBe('listpack');
    z.insert('e', 5, LIMITS);
    expect(z.encoding()).toBe('skiplist');
    z.remove('e');
    z.remove('d');
    expect(z.encoding()).toBe('skiplist');
    expect(all(z)).toEqual([['a', 1], ['b', 2], ['c', 3]]);
  });

  it('ZSetValue converts when a member is longer than zset-max-listpack-value', () => {
    const z = new ZSetValue();
    z.insert('x'.repeat(9), 1, LIMITS);
    expect(z.encoding()).toBe('skiplist');
  });

  it('ZSetValue orders ties by member bytes and keeps -0 only in the skiplist encoding', () => {
    const lp = new ZSetValue();
    lp.insert('b', -0, LIMITS);
    lp.insert('\xff', 0, LIMITS);
    lp.insert('a', 0, LIMITS);
    expect(all(lp).map(([m]) => m)).toEqual(['a', 'b', '\xff']);
    expect(Object.is(lp.score('b'), 0)).toBe(true);
    const sl = new ZSetValue();
    sl.convertToSkiplist();
    sl.insert('b', -0, LIMITS);
    expect(Object.is(sl.score('b'), -0)).toBe(true);
  });

  it('ZSetValue answers the same rank and range queries in both encodings', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.tuple(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g'), fc.integer({ min: -3, max: 3 })), { selector: (p) => p[0], maxLength: 7 }), (pairs) => {
        const lp = new ZSetValue();
        const sl = new ZSetValue();
        sl.convertToSkiplist();
        const big = { maxEntries: 100, maxValue: 100 };
        for (const [m, s] of pairs) {
          lp.insert(m, s, big);
          sl.insert(m, s, big);
        }
        expect(all(lp)).toEqual(all(sl));
        for (const [m] of pairs) expect(lp.rank(m)).toBe(sl.rank(m));
        for (const x of [-4, -1, 0, 2, 4]) {
          expect(lp.countBelowScore(x, true)).toBe(sl.countBelowScore(x, true));
          expect(lp.countBelowScore(x, false)).toBe(sl.countBelowScore(x, false));
        }
        if (pairs.length > 0) {
          const a: string[] = [];
          const b: string[] = [];
          lp.range(pairs.length - 1, 0, true, a, null);
          sl.range(pairs.length - 1, 0, true, b, null);
          expect(a).toEqual(b);
        }
        lp.removeRange(1, 3);
        sl.removeRange(1, 3);
        expect(all(lp)).toEqual(all(sl));
        expect(lp.size).toBe(sl.size);
      }),
      { numRuns: 200 },
    );
  });

  it('ZSetValue.rangeByScore and rangeByLex return the same windows in both encodings', () => {
    const bound = fc.oneof(fc.integer({ min: -4, max: 4 }), fc.constantFrom(Infinity, -Infinity, 0.5));
    const lexBound = fc.oneof(
      fc.constant({ kind: -1 as const, value: '', ex: true }),
      fc.constant({ kind: 1 as const, value: '', ex: true }),
      fc.record({ kind: fc.constant(0 as const), value: fc.constantFrom('', 'a', 'b', 'bb', 'c', 'g', '\xff'), ex: fc.boolean() }),
    );
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g'), fc.integer({ min: -3, max: 3 })), { selector: (p) => p[0], maxLength: 7 }),
        fc.record({ min: bound, max: bound, minex: fc.boolean(), maxex: fc.boolean() }),
        lexBound,
        lexBound,
        fc.boolean(),
        fc.nat(8),
        fc.integer({ min: -1, max: 8 }),
        (pairs, range, lmin, lmax, reverse, offset, limit) => {
          const big = { maxEntries: 100, maxValue: 100 };
          const lp = new ZSetValue();
          const sl = new ZSetValue();
          sl.convertToSkiplist();
          const lx = new ZSetValue();
          const sx = new ZSetValue();
          sx.convertToSkiplist();
          for (const [m, s] of pairs) {
            lp.insert(m, s, big);
            sl.insert(m, s, big);
            lx.insert(m, 0, big);
            sx.insert(m, 0, big);
          }
          const out = (z: ZSetValue, lex: boolean): [string[], number[]] => {
            const ms: string[] = [];
            const ss: number[] = [];
            if (lex) z.rangeByLex(lmin, lmax, reverse, offset, limit, ms);
            else z.rangeByScore(range, reverse, offset, limit, ms, ss);
            return [ms, ss];
          };
          expect(out(sl, false)).toEqual(out(lp, false));
          expect(out(sx, true)).toEqual(out(lx, true));
          // The listpack answer is the rank window of the model.
          const sorted = all(lp).filter(([, s]) => (range.minex ? s > range.min : s >= range.min) && (range.maxex ? s < range.max : s <= range.max));
          if (reverse) sorted.reverse();
          const want = sorted.slice(offset, limit < 0 ? undefined : offset + limit);
          expect(out(lp, false)[0]).toEqual(want.map(([m]) => m));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('ZSetValue.clone is deep', () => {
    const z = new ZSetValue();
    z.insert('a', 1, LIMITS);
    const c = z.clone();
    c.insert('b', 2, LIMITS);
    expect(z.size).toBe(1);
    expect(c.size).toBe(2);
  });

  it('the zset DUMP codec round-trips both encodings and refuses malformed bodies', () => {
    const codec = dumpCodecForType('zset')!;
    for (const n of [3, 200]) {
      const z = new ZSetValue();
      for (let i = 0; i < n; i++) z.insert(`m\x00${i}`, i === 1 ? Infinity : i / 3, { maxEntries: 128, maxValue: 64 });
      const back = codec.decode(codec.encode(z)) as ZSetValue;
      expect(back.encoding()).toBe(z.encoding());
      expect(all(back)).toEqual(all(z));
      const body = codec.encode(z);
      expect(codec.decode(body.slice(0, -1))).toBeUndefined();
      expect(codec.decode(body + 'x')).toBeUndefined();
    }
    expect(codec.decode('')).toBeUndefined();
  });
});
