/**
 * ListValue against a plain array model: every operation, in random
 * sequences long enough to wrap the ring buffer and resize it both ways,
 * plus the DUMP codec round trip and its refusal of malformed bodies.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ListValue } from '../../../src/node/types/list.js';
import { dumpCodecForTag, dumpCodecForType, DUMP_TAGS } from '../../../src/node/dump.js';

type Op =
  | { op: 'pushHead' | 'pushTail'; v: string }
  | { op: 'popHead' | 'popTail' | 'clear' }
  | { op: 'set'; i: number; v: string }
  | { op: 'insertAt'; i: number; v: string }
  | { op: 'removeIndexes'; picks: number[] }
  | { op: 'trim'; a: number; b: number };

const value = fc.string({ maxLength: 6 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ op: fc.constantFrom('pushHead' as const, 'pushTail' as const), v: value }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constantFrom('popHead' as const, 'popTail' as const) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('clear' as const) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('set' as const), i: fc.nat(), v: value }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('insertAt' as const), i: fc.nat(), v: value }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('removeIndexes' as const), picks: fc.array(fc.nat(), { maxLength: 5 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('trim' as const), a: fc.nat(), b: fc.nat() }) },
);

function apply(l: ListValue, m: string[], o: Op): void {
  switch (o.op) {
    case 'pushHead':
      l.pushHead(o.v);
      m.unshift(o.v);
      break;
    case 'pushTail':
      l.pushTail(o.v);
      m.push(o.v);
      break;
    case 'popHead':
      expect(l.popHead()).toBe(m.shift());
      break;
    case 'popTail':
      expect(l.popTail()).toBe(m.pop());
      break;
    case 'clear':
      l.clear();
      m.length = 0;
      break;
    case 'set':
      if (m.length === 0) return;
      l.set(o.i % m.length, o.v);
      m[o.i % m.length] = o.v;
      break;
    case 'insertAt': {
      const i = o.i % (m.length + 1);
      l.insertAt(i, o.v);
      m.splice(i, 0, o.v);
      break;
    }
    case 'removeIndexes': {
      if (m.length === 0) return;
      const drop = [...new Set(o.picks.map((p) => p % m.length))].sort((a, b) => a - b);
      l.removeIndexes(drop);
      for (let k = drop.length - 1; k >= 0; k--) m.splice(drop[k]!, 1);
      break;
    }
    case 'trim': {
      if (m.length === 0) return;
      const a = o.a % m.length;
      const b = a + (o.b % (m.length - a));
      l.trim(a, b);
      m.splice(b + 1);
      m.splice(0, a);
      break;
    }
  }
}

describe('ListValue', () => {
  it('ListValue agrees with an array under random pushes, pops and edits', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 300 }), (ops) => {
        const l = new ListValue();
        const m: string[] = [];
        for (const o of ops) {
          apply(l, m, o);
          expect(l.size).toBe(m.length);
        }
        expect(l.toArray()).toEqual(m);
        for (let i = 0; i < m.length; i++) expect(l.get(i)).toBe(m[i]);
        if (m.length > 0) expect(l.range(0, m.length - 1)).toEqual(m);
        expect(l.indexOf('zz-not-there')).toBe(-1);
        if (m.length > 0) expect(l.indexOf(m[0]!)).toBe(m.indexOf(m[0]!));
        // Memory accounting stays consistent with the contents.
        expect(l.memoryUsage()).toBe(ListValue.from(m).memoryUsage());
      }),
      { numRuns: 300 },
    );
  });

  it('ListValue keeps push and pop O(1) on a long list', () => {
    const l = new ListValue();
    const n = 200_000;
    const start = performance.now();
    for (let i = 0; i < n; i++) l.pushTail(String(i));
    for (let i = 0; i < n; i++) l.pushHead(String(i));
    for (let i = 0; i < n; i++) {
      l.popHead();
      l.popTail();
    }
    expect(l.size).toBe(0);
    // 800k operations: a quadratic implementation would take minutes.
    expect(performance.now() - start).toBeLessThan(5000);
  });

  it('ListValue reports quicklist as OBJECT ENCODING, as Redis 7.0 does for any list', () => {
    expect(ListValue.from(['a']).encoding()).toBe('quicklist');
    expect(ListValue.from(new Array(1000).fill('x'.repeat(100))).encoding()).toBe('quicklist');
  });

  it('ListValue clone is deep', () => {
    const a = ListValue.from(['a', 'b']);
    const b = a.clone();
    b.pushTail('c');
    b.set(0, 'z');
    expect(a.toArray()).toEqual(['a', 'b']);
    expect(b.toArray()).toEqual(['z', 'b', 'c']);
  });
});

describe('list DUMP codec', () => {
  const codec = dumpCodecForType('list')!;

  it('list DUMP codec is registered under the list tag', () => {
    expect(codec.tag).toBe(DUMP_TAGS.list);
    expect(dumpCodecForTag(DUMP_TAGS.list)).toBe(codec);
  });

  it('list DUMP codec round-trips binary elements', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 20 }).map((u) => Buffer.from(u).toString('latin1')), { minLength: 1, maxLength: 30 }), (items) => {
        const body = codec.encode(ListValue.from(items));
        const back = codec.decode(body) as ListValue;
        expect(back).toBeInstanceOf(ListValue);
        expect(back.toArray()).toEqual(items);
      }),
      { numRuns: 200 },
    );
  });

  it('list DUMP codec refuses malformed bodies without throwing', () => {
    const good = codec.encode(ListValue.from(['ab', 'c:d', '']));
    for (const bad of ['', '0\n', 'x\n', '2\n1:a', good.slice(0, -1), good + 'x', '1\n5:ab', '1\n:a', '1\n-1:a']) {
      expect(codec.decode(bad)).toBeUndefined();
    }
    fc.assert(
      fc.property(fc.string({ maxLength: 30 }), (s) => {
        const r = codec.decode(s);
        expect(r === undefined || r instanceof ListValue).toBe(true);
      }),
    );
  });
});
