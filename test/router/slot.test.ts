import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { keySlot } from '../../src/router/slot.js';

/** Reference CRC16/XMODEM, bit by bit (poly 0x1021, init 0, no reflection). */
function crc16(bytes: Uint8Array): number {
  let crc = 0;
  for (const b of bytes) {
    crc ^= b << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

/** Reference hash-tag rule: bytes between the first `{` and the first `}` after it, if non-empty. */
function modelSlot(key: string): number {
  const open = key.indexOf('{');
  let hashed = key;
  if (open >= 0) {
    const close = key.indexOf('}', open + 1);
    if (close > open + 1) hashed = key.slice(open + 1, close);
  }
  return crc16(Buffer.from(hashed, 'latin1')) % 16384;
}

/** Latin1 keys biased towards braces so that tags appear often. */
const keyArb = fc
  .array(fc.oneof(fc.constantFrom('{', '}', 'a', 'b'), fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c))), { maxLength: 12 })
  .map((cs) => cs.join(''));

describe('keySlot', () => {
  it('keySlot matches the slots Redis 7.0 reports for the captured vectors', () => {
    const vectors: [string, number][] = [
      ['foo', 12182],
      ['{user1}.a', 8106],
      ['user1', 8106],
      ['{}x', 10595],
      ['{}', 15257],
      ['{{a}}b', 10276],
      ['{a', 10276],
      ['a{b}{c}', 3300],
      ['key:0', 2592],
      ['{}}', 14790],
      ['{}a}', 4370],
    ];
    for (const [k, s] of vectors) expect(keySlot(k)).toBe(s);
  });

  it('keySlot follows the hash-tag rules of a reference model for any latin1 key', () => {
    fc.assert(
      fc.property(keyArb, (key) => {
        expect(keySlot(key)).toBe(modelSlot(key));
      }),
      { numRuns: 2000 },
    );
  }, 120_000);

  it('keySlot answers a key repeated or interleaved with other keys as the model does (one-entry memo)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 20 }), fc.array(keyArb, { minLength: 4, maxLength: 4 }), (picks, keys) => {
        for (const i of picks) {
          // A fresh string object with the same content, as the parser makes per command.
          const k = keys[i]!.split('').join('');
          expect(keySlot(k)).toBe(modelSlot(k));
          expect(keySlot(Buffer.from(k, 'latin1'))).toBe(modelSlot(k));
        }
      }),
      { numRuns: 300 },
    );
  }, 120_000);

  it('keySlot gives keys sharing a non-empty hash tag the same slot', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 8 }).filter((t) => !t.includes('}') && !t.includes('{')), fc.string({ maxLength: 6 }).filter((s) => !s.includes('{')), fc.string({ maxLength: 6 }), (tag, pre, post) => {
        expect(keySlot(`${pre}{${tag}}${post}`)).toBe(keySlot(tag));
      }),
      { numRuns: 500 },
    );
  }, 120_000);

  it('keySlot hashes string keys as their latin1 bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
        expect(keySlot(Buffer.from(bytes).toString('latin1'))).toBe(keySlot(bytes));
      }),
      { numRuns: 500 },
    );
  }, 120_000);
});
