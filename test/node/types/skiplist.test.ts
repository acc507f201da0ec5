/**
 * The indexable skiplist against a model: a sorted array of [score, member]
 * pairs. Every operation sequence must leave ranks, order, spans and counts
 * agreeing with the model.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { SkipList } from '../../../src/node/types/skiplist.js';

type Entry = [number, string];

function cmp(a: Entry, b: Entry): number {
  if (a[0] !== b[0]) return a[0] < b[0] ? -1 : 1;
  return a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0;
}

function contents(zsl: SkipList): Entry[] {
  const out: Entry[] = [];
  for (let n = zsl.first; n !== 0; n = zsl.next(n)) out.push([zsl.score(n), zsl.member(n)]);
  return out;
}

const scoreArb = fc.oneof(fc.integer({ min: -5, max: 5 }), fc.constantFrom(Infinity, -Infinity, 0.5));
const memberArb = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', '', '\xff', 'aa');
const opArb = fc.oneof(
  fc.tuple(fc.constant('add' as const), scoreArb, memberArb),
  fc.tuple(fc.constant('del' as const), scoreArb, memberArb),
  fc.tuple(fc.constant('upd' as const), scoreArb, memberArb),
);

describe('SkipList', () => {
  it('SkipList agrees with a sorted-array model on insert, delete, update, rank and counts', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 120 }), (ops) => {
        const zsl = new SkipList();
        const model = new Map<string, number>();
        for (const [op, score, member] of ops) {
          const cur = model.get(member);
          if (op === 'add' && cur === undefined) {
            zsl.insert(score, member);
            model.set(member, score);
          } else if (op === 'del' && cur !== undefined) {
            expect(zsl.delete(cur, member)).toBe(true);
            model.delete(member);
          } else if (op === 'upd' && cur !== undefined) {
            zsl.updateScore(cur, member, score);
            model.set(member, score);
          } else if (op === 'del') {
            expect(zsl.delete(score, member)).toBe(false);
          }
        }
        const sorted = [...model].map(([m, s]) => [s, m] as Entry).sort(cmp);
        expect(contents(zsl)).toEqual(sorted);
        expect(zsl.length).toBe(sorted.length);
        expect(zsl.last === 0 ? null : [zsl.score(zsl.last), zsl.member(zsl.last)]).toEqual(sorted.at(-1) ?? null);
        sorted.forEach(([s, m], i) => {
          expect(zsl.rankOf(s, m)).toBe(i + 1);
          const n = zsl.byRank(i + 1);
          expect([zsl.score(n), zsl.member(n)]).toEqual([s, m]);
        });
        expect(zsl.byRank(0)).toBe(0);
        expect(zsl.byRank(sorted.length + 1)).toBe(0);
        for (const x of [-Infinity, -5, -1, 0, 0.5, 3, Infinity]) {
          for (const inclusive of [false, true]) {
            const below = sorted.filter(([s]) => s < x || (inclusive && s === x)).length;
            expect(zsl.countBelowScore(x, inclusive)).toBe(below);
            // `visited` is the node at that rank (0 when none).
            expect(zsl.visited).toBe(below === 0 ? 0 : zsl.byRank(below));
          }
        }
        // Walking backwards visits the same nodes in reverse.
        const back: Entry[] = [];
        for (let n = zsl.last; n !== 0; n = zsl.prev(n)) back.push([zsl.score(n), zsl.member(n)]);
        expect(back.reverse()).toEqual(sorted);
      }),
      { numRuns: 300 },
    );
  });

  it('SkipList.countBelowMember counts members below a bound when scores are equal', () => {
    const zsl = new SkipList();
    for (const m of ['e', 'a', 'c', 'b', 'd']) zsl.insert(0, m);
    expect(zsl.countBelowMember('c', false)).toBe(2);
    expect(zsl.countBelowMember('c', true)).toBe(3);
    expect(zsl.member(zsl.visited)).toBe('c');
    expect(zsl.countBelowMember('', false)).toBe(0);
    expect(zsl.countBelowMember('z', true)).toBe(5);
  });

  it('SkipList answers ranks and rank lookups on 20k elements', () => {
    const zsl = new SkipList();
    for (let i = 0; i < 20_000; i++) zsl.insert(i, `m${i}`);
    for (let i = 0; i < 20_000; i += 7) expect(zsl.rankOf(i, `m${i}`)).toBe(i + 1);
    expect(zsl.member(zsl.byRank(14_321))).toBe('m14320');
    expect(zsl.countBelowScore(10_000, false)).toBe(10_000);
  });

  it('SkipList.reserve pre-sizes for inserts that then keep order and ranks', () => {
    const zsl = new SkipList();
    zsl.insert(5, 'before');
    zsl.reserve(30_000);
    zsl.reserve(10); // already large enough: a no-op
    for (let i = 0; i < 30_000; i++) zsl.insert(i % 97, `m${i}`);
    expect(zsl.length).toBe(30_001);
    const all = contents(zsl);
    for (let i = 1; i < all.length; i++) expect(cmp(all[i - 1]!, all[i]!)).toBeLessThan(0);
    expect(zsl.member(zsl.byRank(1))).toBe('m0');
    expect(zsl.rankOf(5, 'before')).toBe(all.findIndex(([s, m]) => s === 5 && m === 'before') + 1);
  });

  it('SkipList reuses the records and member ids of deleted nodes and keeps order across buffer growth', () => {
    const zsl = new SkipList();
    for (let i = 0; i < 5_000; i++) zsl.insert(i, `m${i}`);
    for (let i = 0; i < 5_000; i += 2) expect(zsl.delete(i, `m${i}`)).toBe(true);
    for (let i = 0; i < 5_000; i += 2) zsl.insert(-i, `n${i}`);
    expect(zsl.length).toBe(5_000);
    const scores: number[] = [];
    for (let n = zsl.first; n !== 0; n = zsl.next(n)) scores.push(zsl.score(n));
    expect(scores).toEqual([...scores].sort((a, b) => a - b));
    expect(zsl.rankOf(-4_998, 'n4998')).toBe(1);
    expect(zsl.rankOf(4_999, 'm4999')).toBe(5_000);
    expect(zsl.rankOf(0, 'm0')).toBe(0);
  });
});
