/**
 * The hash value type on its own: the packed listpack against a Map model,
 * conversion rules, DUMP codec round trips, and the DenseMap scan guarantee
 * that HSCAN (and SSCAN, ZSCAN) rely on.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DenseMap, parseScanCursor } from '../../../src/node/collection-scan.js';
import { dumpCodecForType } from '../../../src/node/dump.js';
import { HashValue } from '../../../src/node/types/hash.js';

const SMALL = { maxEntries: 128, maxValue: 64 };
const field = fc.oneof(fc.constantFrom('a', 'b', 'c', '', '\x00'), fc.uint8Array({ maxLength: 300 }).map((u) => Buffer.from(u).toString('latin1')));

type Op = { kind: 'set'; f: string; v: string } | { kind: 'del'; f: string };
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.tuple(field, field).map(([f, v]) => ({ kind: 'set' as const, f, v })),
  field.map((f) => ({ kind: 'del' as const, f })),
);

describe('HashValue', () => {
  it('HashValue agrees with a Map model, in insertion order while a listpack', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), fc.integer({ min: 0, max: 10 }), (ops, maxEntries) => {
        const limits = { maxEntries, maxValue: 200 };
        const h = new HashValue();
        const model = new Map<string, string>();
        for (const o of ops) {
          if (o.kind === 'set') {
            expect(h.set(o.f, o.v, limits)).toBe(!model.has(o.f));
            model.set(o.f, o.v);
          } else {
            expect(h.delete(o.f)).toBe(model.delete(o.f));
          }
          expect(h.size).toBe(model.size);
        }
        for (const [f, v] of model) {
          expect(h.get(f)).toBe(v);
          expect(h.valueLength(f)).toBe(v.length);
        }
        const flat = h.flat();
        if (h.isCompact) expect(flat).toEqual([...model].flat());
        else expect(new Map(Array.from({ length: flat.length / 2 }, (_, i) => [flat[2 * i]!, flat[2 * i + 1]!]))).toEqual(model);
      }),
      { numRuns: 300 },
    );
  });

  it('HashValue converts to hashtable on a long field or value, or too many entries, and never back', () => {
    const h = new HashValue();
    h.set('a', 'x'.repeat(64), SMALL);
    expect(h.encoding()).toBe('listpack');
    h.set('b', 'x'.repeat(65), SMALL);
    expect(h.encoding()).toBe('hashtable');
    h.delete('b');
    expect(h.encoding()).toBe('hashtable');
    const g = new HashValue();
    const args: string[] = [];
    for (let i = 0; i < 129; i++) args.push('f' + i, 'v');
    expect(g.setMany(args, 0, SMALL)).toBe(129);
    expect(g.encoding()).toBe('hashtable');
  });

  it('HashValue setMany counts duplicate fields once', () => {
    const h = new HashValue();
    expect(h.setMany(['a', '1', 'b', '2', 'a', '3'], 0, SMALL)).toBe(2);
    expect(h.flat()).toEqual(['a', '3', 'b', '2']);
  });

  it('HashValue clone is deep', () => {
    for (const limits of [SMALL, { maxEntries: 0, maxValue: 64 }]) {
      const h = new HashValue();
      h.set('a', '1', limits);
      const c = h.clone();
      c.set('a', '2', limits);
      expect(h.get('a')).toBe('1');
      expect(c.encoding()).toBe(h.encoding());
    }
  });

  it('the hash DUMP codec round-trips both encodings and refuses malformed bodies', () => {
    const codec = dumpCodecForType('hash')!;
    for (const limits of [SMALL, { maxEntries: 1, maxValue: 64 }]) {
      const h = new HashValue();
      h.setMany(['a', '1', 'long', 'y'.repeat(1000), '\x00', ''], 0, { ...limits, maxValue: 100000 });
      const back = codec.decode(codec.encode(h)) as HashValue;
      expect(back.flat()).toEqual(h.flat());
      expect(back.encoding()).toBe(h.encoding());
    }
    expect(codec.decode('')).toBeUndefined();
    expect(codec.decode('L\x05ab')).toBeUndefined();
    expect(codec.decode('L\x01a')).toBeUndefined();
    expect(codec.decode('L\x01a\x011\x01a\x012')).toBeUndefined();
    expect(codec.decode('X')).toBeUndefined();
  });
});

describe('DenseMap', () => {
  it('DenseMap.scan returns every key present for the whole scan, whatever changes happen between calls', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 80 }),
        fc.array(fc.tuple(fc.integer({ min: 1, max: 10 }), fc.array(fc.integer({ min: 0, max: 200 }), { maxLength: 6 })), { maxLength: 40 }),
        (initial, steps) => {
          const m = new DenseMap<number>();
          for (let i = 0; i < initial; i++) m.set('k' + i, i);
          const present = new Set<string>();
          for (let i = 0; i < initial; i++) present.add('k' + i);
          const seen = new Set<string>();
          let cursor = 0;
          let s = 0;
          do {
            const [count, changes] = steps[s % Math.max(1, steps.length)] ?? [10, []];
            cursor = m.scan(cursor, count, (k) => seen.add(k));
            // Toggle keys: delete if present (then it no longer counts), else add.
            for (const c of changes) {
              const k = 'k' + c;
              if (m.has(k)) {
                m.delete(k);
                present.delete(k);
              } else m.set(k, c);
            }
            s++;
          } while (cursor !== 0 && s < 10_000);
          expect(cursor).toBe(0);
          for (const k of present) expect(seen.has(k)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('DenseMap keeps positions dense after deletions', () => {
    const m = new DenseMap<string>();
    for (const k of ['a', 'b', 'c', 'd']) m.set(k, k.toUpperCase());
    m.delete('b');
    expect(m.size).toBe(3);
    expect([m.keyAt(0), m.keyAt(1), m.keyAt(2)]).toEqual(['a', 'd', 'c']);
    expect(m.get('d')).toBe('D');
    expect(m.valueAt(1)).toBe('D');
  });

  it('parseScanCursor reads cursors as strtoull does', () => {
    expect(parseScanCursor('')).toBe(0);
    expect(parseScanCursor('+5')).toBe(5);
    expect(parseScanCursor('-1')).toBe(Number.MAX_SAFE_INTEGER);
    expect(() => parseScanCursor(' 1')).toThrow('ERR invalid cursor');
    expect(() => parseScanCursor('18446744073709551616')).toThrow('ERR invalid cursor');
    expect(() => parseScanCursor('-')).toThrow('ERR invalid cursor');
    expect(parseScanCursor('18446744073709551615')).toBe(Number.MAX_SAFE_INTEGER);
  });
});
