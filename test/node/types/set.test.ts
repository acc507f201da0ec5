/**
 * The set value type on its own: both encodings against a Set model, the
 * integer ordering of intsets, conversions and the DUMP codec.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dumpCodecForType } from '../../../src/node/dump.js';
import { compareIntText, SetValue } from '../../../src/node/types/set.js';

const member = fc.oneof(
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String),
  fc.integer({ min: -20, max: 20 }).map(String),
  fc.constantFrom('a', '', '-0', '007', '+1', '1.0', '9223372036854775808'),
);

describe('SetValue', () => {
  it('SetValue agrees with a Set model and keeps intsets in numeric order', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), member), { maxLength: 80 }), fc.integer({ min: 0, max: 30 }), (ops, max) => {
        const s = new SetValue();
        const model = new Set<string>();
        for (const [add, m] of ops) {
          if (add) {
            expect(s.add(m, { maxIntsetEntries: max })).toBe(!model.has(m));
            model.add(m);
          } else {
            expect(s.remove(m)).toBe(model.delete(m));
          }
          expect(s.size).toBe(model.size);
        }
        for (const m of model) expect(s.has(m)).toBe(true);
        const members = s.members();
        expect(new Set(members)).toEqual(model);
        if (s.encoding() === 'intset') {
          const sorted = [...model].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0));
          expect(members).toEqual(sorted);
          expect(model.size).toBeLessThanOrEqual(max);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('compareIntText orders canonical integer texts numerically', () => {
    expect(compareIntText('-10', '-9')).toBe(-1);
    expect(compareIntText('9', '10')).toBe(-1);
    expect(compareIntText('-1', '0')).toBe(-1);
    expect(compareIntText('123', '123')).toBe(0);
    expect(compareIntText('-9223372036854775808', '9223372036854775807')).toBe(-1);
  });

  it('SetValue converts to hashtable on a non-integer member and never back', () => {
    const s = new SetValue();
    s.add('1', { maxIntsetEntries: 512 });
    expect(s.encoding()).toBe('intset');
    s.add('x', { maxIntsetEntries: 512 });
    s.remove('x');
    expect(s.encoding()).toBe('hashtable');
    expect(s.has('1')).toBe(true);
  });

  it('the set DUMP codec round-trips both encodings and refuses malformed bodies', () => {
    const codec = dumpCodecForType('set')!;
    for (const members of [['3', '-1', '2'], ['a', '\x00\xff', '1', '']]) {
      const s = SetValue.from(members, { maxIntsetEntries: 512 });
      const back = codec.decode(codec.encode(s)) as SetValue;
      expect(back.members()).toEqual(s.members());
      expect(back.encoding()).toBe(s.encoding());
    }
    expect(codec.decode('I')).toBeUndefined();
    expect(codec.decode('I\x00\x00\x00\x01a')).toBeUndefined();
    expect(codec.decode('H\x00\x00\x00\x05ab')).toBeUndefined();
    expect(codec.decode('Z')).toBeUndefined();
  });
});
