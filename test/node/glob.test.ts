import { describe, expect, it } from 'vitest';
import { matchGlob } from '../../src/node/glob.js';

describe('matchGlob()', () => {
  it('matchGlob() matches * against any sequence, also empty', () => {
    expect(matchGlob('a*', 'a')).toBe(true);
    expect(matchGlob('a*c', 'abbbc')).toBe(true);
    expect(matchGlob('a*c', 'abbbd')).toBe(false);
    expect(matchGlob('*b*', 'abc')).toBe(true);
    expect(matchGlob('**', 'x')).toBe(true);
  });

  it('matchGlob() matches the empty string only with the empty pattern, as stringmatchlen', () => {
    expect(matchGlob('', '')).toBe(true);
    expect(matchGlob('*', '')).toBe(false);
    expect(matchGlob('a', '')).toBe(false);
  });

  it('matchGlob() matches ? against exactly one byte', () => {
    expect(matchGlob('h?llo', 'hello')).toBe(true);
    expect(matchGlob('h?llo', 'hllo')).toBe(false);
    expect(matchGlob('?', '\xff')).toBe(true);
  });

  it('matchGlob() supports classes, negation, ranges and reversed ranges', () => {
    expect(matchGlob('h[ae]llo', 'hallo')).toBe(true);
    expect(matchGlob('h[ae]llo', 'hillo')).toBe(false);
    expect(matchGlob('h[^e]llo', 'hallo')).toBe(true);
    expect(matchGlob('h[^e]llo', 'hello')).toBe(false);
    expect(matchGlob('h[a-c]llo', 'hbllo')).toBe(true);
    expect(matchGlob('h[c-a]llo', 'hbllo')).toBe(true);
    expect(matchGlob('h[a-c]llo', 'hdllo')).toBe(false);
  });

  it('matchGlob() ends an unterminated class at the end of the pattern', () => {
    expect(matchGlob('a[b', 'ab')).toBe(true);
    expect(matchGlob('a[b', 'ac')).toBe(false);
    expect(matchGlob('a[', 'ab')).toBe(false);
  });

  it('matchGlob() treats backslash as an escape, and a trailing one literally', () => {
    expect(matchGlob('a\\*', 'a*')).toBe(true);
    expect(matchGlob('a\\*', 'ab')).toBe(false);
    expect(matchGlob('[\\]]', ']')).toBe(true);
    expect(matchGlob('a\\', 'a\\')).toBe(true);
  });

  it('matchGlob() compares bytes, case-insensitively with nocase', () => {
    expect(matchGlob('ABC', 'abc')).toBe(false);
    expect(matchGlob('ABC', 'abc', true)).toBe(true);
    expect(matchGlob('[A-C]', 'b', true)).toBe(true);
    expect(matchGlob('\x00*\xff', '\x00abc\xff')).toBe(true);
  });

  it('matchGlob() stays fast on patterns that backtrack a lot', () => {
    const start = performance.now();
    expect(matchGlob('*a*a*a*a*a*a*a*a*b', 'a'.repeat(5000))).toBe(false);
    expect(performance.now() - start).toBeLessThan(2000);
  });
});
