import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  BadDataFormatError,
  crc64,
  deserializeValue,
  DUMP_VERSION,
  DumpPayloadError,
  serializeValue,
  verifyPayload,
} from '../../src/node/dump.js';
// The collection types register their codecs on import: random bodies below
// then go through every decoder, not only the string one.
import '../../src/node/types/list.js';
import '../../src/node/types/set.js';
import '../../src/node/types/zset.js';
import '../../src/node/types/hash.js';

function hex(s: string): string {
  return Buffer.from(s, 'latin1').toString('hex');
}

describe('crc64()', () => {
  it('crc64() gives the CRC-64/Jones check value for "123456789"', () => {
    // Little-endian bytes of 0xe9c6d914c4b8d9ca (Redis's crc64 test vector).
    expect(hex(crc64('123456789'))).toBe('cad9b8c414d9c6e9');
  });

  it('crc64() matches the checksum real Redis 7 puts in DUMP of the string "v"', () => {
    // redis-cli DUMP k (k = "v"): 00 01 76 0a 00 | 91 08 ce b2 19 38 8a ce
    expect(hex(crc64('\x00\x01v\x0a\x00'))).toBe('9108ceb219388ace');
  });
});

describe('serializeValue() and deserializeValue()', () => {
  it('serializeValue() frames tag, body, version and checksum', () => {
    const p = serializeValue('abc');
    expect(p.charCodeAt(0)).toBe(0);
    expect(p.slice(1, 4)).toBe('abc');
    expect(p.charCodeAt(4) | (p.charCodeAt(5) << 8)).toBe(DUMP_VERSION);
    expect(p.length).toBe(1 + 3 + 2 + 8);
    expect(verifyPayload(p)).toBe(true);
  });

  it('deserializeValue() round-trips any binary string', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const s = Buffer.from(bytes).toString('latin1');
        expect(deserializeValue(serializeValue(s))).toBe(s);
      }),
      { numRuns: 300 },
    );
  });

  it('deserializeValue() refuses a payload with any single byte changed', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 50 }), fc.nat(), fc.integer({ min: 1, max: 255 }), (v, pos, delta) => {
        const p = serializeValue(Buffer.from(v, 'utf8').toString('latin1'));
        const i = pos % p.length;
        const altered = p.slice(0, i) + String.fromCharCode((p.charCodeAt(i) + delta) & 0xff) + p.slice(i + 1);
        expect(() => deserializeValue(altered)).toThrow(DumpPayloadError);
      }),
      { numRuns: 300 },
    );
  });

  it('deserializeValue() refuses payloads shorter than the trailer', () => {
    expect(() => deserializeValue('')).toThrow(DumpPayloadError);
    expect(() => deserializeValue('123456789')).toThrow(DumpPayloadError);
  });

  it('deserializeValue() answers Bad data format for an unknown tag in a valid frame', () => {
    const framed = '\x77body' + String.fromCharCode(DUMP_VERSION & 0xff, DUMP_VERSION >>> 8);
    expect(() => deserializeValue(framed + crc64(framed))).toThrow(BadDataFormatError);
  });

  it('deserializeValue() only ever throws its two errors on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const s = Buffer.from(bytes).toString('latin1');
        try {
          deserializeValue(s);
        } catch (err) {
          expect(err instanceof DumpPayloadError || err instanceof BadDataFormatError).toBe(true);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('deserializeValue() survives random bodies in a valid frame for every tag', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 255 })), fc.uint8Array({ maxLength: 64 }), (tag, bytes) => {
        const framed = String.fromCharCode(tag) + Buffer.from(bytes).toString('latin1') + String.fromCharCode(DUMP_VERSION & 0xff, DUMP_VERSION >>> 8);
        try {
          const v = deserializeValue(framed + crc64(framed));
          expect(v).toBeDefined();
        } catch (err) {
          expect(err instanceof BadDataFormatError).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
