import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  addLongDouble,
  formatDouble,
  formatLongDouble,
  incrByFloat,
  LongDouble,
  parseDouble,
  parseInt64,
  parseLongDouble,
  parseSafeInt,
} from '../../src/node/numbers.js';

describe('parseSafeInt', () => {
  it('parseSafeInt() accepts canonical integers that are safe in JS', () => {
    expect(parseSafeInt('0')).toBe(0);
    expect(parseSafeInt('-1')).toBe(-1);
    expect(parseSafeInt('123')).toBe(123);
    expect(parseSafeInt('9007199254740991')).toBe(Number.MAX_SAFE_INTEGER);
    expect(parseSafeInt('-9007199254740991')).toBe(-Number.MAX_SAFE_INTEGER);
  });

  it('parseSafeInt() refuses what string2ll refuses', () => {
    for (const s of ['', '-', '-0', '01', '+1', ' 1', '1 ', '1.0', '0x10', '1e3', 'abc', '1\0']) {
      expect(parseSafeInt(s), JSON.stringify(s)).toBeUndefined();
    }
  });

  it('parseSafeInt() leaves integers beyond 2^53 to parseInt64', () => {
    expect(parseSafeInt('9007199254740992')).toBeUndefined();
    expect(parseInt64('9007199254740992')).toBe(9007199254740992n);
  });

  it('parseSafeInt() agrees with BigInt on every safe integer text', () => {
    fc.assert(
      fc.property(fc.maxSafeInteger(), (n) => {
        expect(parseSafeInt(String(n))).toBe(n);
      }),
    );
  });
});

describe('parseInt64', () => {
  it('parseInt64() accepts the whole signed 64-bit range and nothing beyond', () => {
    expect(parseInt64('9223372036854775807')).toBe(9223372036854775807n);
    expect(parseInt64('-9223372036854775808')).toBe(-9223372036854775808n);
    expect(parseInt64('9223372036854775808')).toBeUndefined();
    expect(parseInt64('-9223372036854775809')).toBeUndefined();
    expect(parseInt64('00000000000000000001')).toBeUndefined();
    expect(parseInt64('-0')).toBeUndefined();
    expect(parseInt64('0')).toBe(0n);
  });

  it('parseInt64() round-trips every int64', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), (n) => {
        expect(parseInt64(n.toString())).toBe(n);
      }),
    );
  });
});

describe('parseDouble', () => {
  it('parseDouble() accepts strtod syntax and infinities in any case', () => {
    expect(parseDouble('1.5')).toBe(1.5);
    expect(parseDouble('+1')).toBe(1);
    expect(parseDouble('1.')).toBe(1);
    expect(parseDouble('.5')).toBe(0.5);
    expect(parseDouble('-1e3')).toBe(-1000);
    expect(parseDouble('0x1p3')).toBe(8);
    expect(parseDouble('0x.8')).toBe(0.5);
    expect(parseDouble('inf')).toBe(Infinity);
    expect(parseDouble('+INF')).toBe(Infinity);
    expect(parseDouble('-Infinity')).toBe(-Infinity);
    expect(parseDouble('4.9e-324')).toBe(5e-324);
    expect(parseDouble('0e-999999')).toBe(0);
  });

  it('parseDouble() refuses NaN, spaces, junk, overflow and underflow to zero', () => {
    for (const s of ['', ' 1', '1 ', 'nan', 'NaN', '-nan', '.', '1e', '0x', 'e5', '1e400', '-1e400', '1e-400', '1\0', 'infinit', '++1', '1,5']) {
      expect(parseDouble(s), JSON.stringify(s)).toBeUndefined();
    }
  });

  it('parseDouble() parses what formatDouble prints back to the same double', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true }), (d) => {
        expect(Object.is(parseDouble(formatDouble(d)), d)).toBe(true);
      }),
    );
  });
});

describe('formatDouble', () => {
  it('formatDouble() prints %.17g like Redis 7.0 ZSCORE', () => {
    expect(formatDouble(1.1)).toBe('1.1000000000000001');
    expect(formatDouble(1)).toBe('1');
    expect(formatDouble(-2.5)).toBe('-2.5');
    expect(formatDouble(0.0001)).toBe('0.0001');
    expect(formatDouble(0.00001)).toBe('1.0000000000000001e-05');
    expect(formatDouble(1e16)).toBe('10000000000000000');
    expect(formatDouble(1e17)).toBe('1e+17');
    expect(formatDouble(123456789012345678)).toBe('1.2345678901234568e+17');
    expect(formatDouble(1e300)).toBe('1.0000000000000001e+300');
    expect(formatDouble(5e-324)).toBe('4.9406564584124654e-324');
    expect(formatDouble(Infinity)).toBe('inf');
    expect(formatDouble(-Infinity)).toBe('-inf');
    expect(formatDouble(0)).toBe('0');
    expect(formatDouble(-0)).toBe('-0');
  });

  it('formatDouble() prints integers below 1e16 (its fast path) as %.17g does: all digits, no fraction or exponent', () => {
    // %.17g of an exact integer of at most 16 digits: toPrecision(17) has the same 17 digits, then %g drops the zero fraction.
    const g17 = (d: number): string => {
      const t = d.toPrecision(17);
      return t.includes('.') ? t.replace(/\.?0+$/, '') : t;
    };
    fc.assert(
      fc.property(fc.oneof(fc.integer(), fc.maxSafeInteger(), fc.double({ min: -1e16, max: 1e16, noNaN: true }).map(Math.trunc)), (d) => {
        if (d === 0) return;
        expect(formatDouble(d)).toBe(g17(d));
      }),
      { numRuns: 2000 },
    );
    expect(formatDouble(9999999999999998)).toBe('9999999999999998');
    expect(formatDouble(-9007199254740993)).toBe('-9007199254740992');
  });

  it('formatDouble() rounds exact ties to even as glibc does', () => {
    // 1000000000000000.25 is exact in binary; the 18th digit is a tie.
    expect(formatDouble(1000000000000000.25)).toBe('1000000000000000.2');
    expect(formatDouble(1000000000000000.75)).toBe('1000000000000000.8');
  });
});

describe('long double arithmetic', () => {
  it('incrByFloat() adds in long double, so 0.1 + 0.2 is 0.3', () => {
    expect(incrByFloat('0', '0.1')).toBe('0.1');
    expect(incrByFloat('0.1', '0.2')).toBe('0.3');
    expect(incrByFloat(undefined, '10.5')).toBe('10.5');
    expect(incrByFloat('10.5', '0.1')).toBe('10.6');
    expect(incrByFloat('5.0e3', '2.0e2')).toBe('5200');
  });

  it('incrByFloat() prints %.17Lf without trailing zeros, never in exponent form', () => {
    expect(incrByFloat('0', '1e20')).toBe('100000000000000000000');
    expect(incrByFloat('0', '1e-20')).toBe('0');
    expect(incrByFloat('0', '-0')).toBe('0');
    expect(incrByFloat('0', '-1e-20')).toBe('0');
    expect(incrByFloat('0', '1e400').slice(0, 40)).toBe('1000000000000000000028188068394758651458');
    expect(incrByFloat('0', '0x10')).toBe('16');
  });

  it('incrByFloat() refuses invalid text and infinite results with Redis errors', () => {
    expect(() => incrByFloat('0', ' 1')).toThrow('ERR value is not a valid float');
    expect(() => incrByFloat('abc', '1')).toThrow('ERR value is not a valid float');
    expect(() => incrByFloat('0', 'nan')).toThrow('ERR value is not a valid float');
    expect(() => incrByFloat('0', '1e5000')).toThrow('ERR value is not a valid float');
    expect(() => incrByFloat('0', '1e-5000')).toThrow('ERR value is not a valid float');
    expect(() => incrByFloat('0', 'x'.repeat(6000))).toThrow('ERR value is not a valid float');
    expect(() => incrByFloat('0', 'inf')).toThrow('ERR increment would produce NaN or Infinity');
    expect(() => incrByFloat('1e4932', '1e4932')).toThrow('ERR increment would produce NaN or Infinity');
  });

  it('parseLongDouble() keeps 64 mantissa bits and formatLongDouble() of a double is exact', () => {
    const v = parseLongDouble('0.1')!;
    expect(v.mant.toString(2).length).toBe(64);
    expect(formatLongDouble(0.5)).toBe('0.5');
    expect(formatLongDouble(0.1)).toBe('0.10000000000000001');
    expect(formatLongDouble(-3)).toBe('-3');
    expect(formatLongDouble(addLongDouble(LongDouble.fromNumber(Infinity), LongDouble.fromNumber(-Infinity)))).toBe('nan');
  });

  it('incrByFloat() of an integer increment on an integer matches integer addition', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1e12, max: 1e12 }), fc.integer({ min: -1e12, max: 1e12 }), (a, b) => {
        expect(incrByFloat(String(a), String(b))).toBe(String(a + b));
      }),
    );
  });
});
