/**
 * The element codec of the chunked MIGRATE (src/node/cluster/chunk-codec.ts):
 * a value cut into chunks under any bounds and assembled again equals the
 * original (same DUMP payload), chunks end on whole elements, and malformed
 * chunks are refused.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ChunkAssembler, chunkReaderFor, decodeChunk, MAX_SIZE_HINT, type DecodedChunk } from '../../../src/node/cluster/chunk-codec.js';
import { DUMP_TAGS, serializeValue } from '../../../src/node/dump.js';
import { HashValue } from '../../../src/node/types/hash.js';
import { ListValue } from '../../../src/node/types/list.js';
import { SetValue } from '../../../src/node/types/set.js';
import { ZSetValue } from '../../../src/node/types/zset.js';
import type { Value } from '../../../src/node/values.js';

/** Applies the whole of `chunk` (the first calls may only pre-size the value); returns the position reached or -1. */
function applyAll(a: ChunkAssembler, chunk: DecodedChunk): number {
  let pos = 0;
  for (let calls = 0; calls < 10 && pos >= 0 && pos < chunk.items.length; calls++) pos = a.apply(chunk, pos, Infinity);
  return pos;
}

/** Cuts `v` into chunks under the bounds and assembles them; returns the rebuilt value and the chunk count. */
function roundTrip(v: Value, maxElements: number, maxBytes: number): { value: Value | undefined; chunks: number } {
  const reader = chunkReaderFor(v);
  let assembler: ChunkAssembler | undefined;
  let pos = 0;
  let chunks = 0;
  while (pos < reader.total) {
    const parts: string[] = [];
    const next = reader.write(parts, pos, { maxElements, maxBytes, deadline: Infinity });
    expect(next).toBeGreaterThan(pos);
    pos = next;
    chunks++;
    const chunk = decodeChunk(reader.tag, parts.join(''));
    expect(chunk).toBeDefined();
    if (reader.tag === DUMP_TAGS.hash) expect(chunk!.items.length % 2).toBe(0);
    // The first chunk of a collection tells the element count (the target pre-sizes with it).
    if (reader.tag !== DUMP_TAGS.string) expect(chunk!.sizeHint).toBe(chunks === 1 ? reader.total : 0);
    assembler ??= new ChunkAssembler(reader.tag, chunk!.flags, chunk!.sizeHint);
    expect(applyAll(assembler, chunk!)).toBe(chunk!.items.length);
  }
  return { value: assembler?.finish(), chunks };
}

const BIG_HASH = { maxEntries: 4, maxValue: 64 };
const field = fc.string({ unit: 'binary-ascii', maxLength: 12 });

describe('chunk codec', () => {
  it('chunkReaderFor and ChunkAssembler rebuild any hash, sorted set, list and set under any chunk bounds', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(field, { minLength: 5, maxLength: 60 }),
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 80 }),
        (names, maxElements, maxBytes) => {
          const values: Value[] = [
            HashValue.fromPairs(names.flatMap((n, i) => [n, `v${i}`.repeat(i % 3)]), BIG_HASH),
            ZSetValue.from(names, names.map((_, i) => (i % 4) - 1.5), { maxEntries: 2, maxValue: 64 }),
            ListValue.from(names),
            SetValue.from(names, { maxIntsetEntries: 512 }),
            SetValue.from(names.map((_, i) => String(i * 7 - 20)), { maxIntsetEntries: 512 }),
          ];
          for (const v of values) {
            const { value } = roundTrip(v, maxElements, maxBytes);
            expect(value).toBeDefined();
            expect(serializeValue(value!)).toBe(serializeValue(v));
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('chunkReaderFor cuts a string into byte ranges of at most maxBytes', () => {
    const s = 'abcdefghij'.repeat(100);
    const { value, chunks } = roundTrip(s, 1, 64);
    expect(value).toBe(s);
    expect(chunks).toBe(Math.ceil(1000 / 64));
  });

  it('chunkReaderFor ends a chunk at maxElements elements (hash pairs) when bytes allow', () => {
    const h = HashValue.fromPairs(Array.from({ length: 40 }, (_, i) => `f${i}`), BIG_HASH);
    expect(roundTrip(h, 3, 1 << 20).chunks).toBe(7);
  });

  it('decodeChunk refuses truncated elements, NaN scores, odd hash strings and unknown tags', () => {
    const u32 = (n: number): string => String.fromCharCode(0, 0, 0, n);
    expect(decodeChunk(DUMP_TAGS.list, '\x00' + u32(5) + 'abc')).toBeUndefined();
    expect(decodeChunk(DUMP_TAGS.hash, '\x00' + u32(1) + 'a')).toBeUndefined();
    expect(decodeChunk(DUMP_TAGS.zset, '\x00' + u32(1) + 'a' + '\x00\x00\x00\x00\x00\x00\xf8\x7f')).toBeUndefined();
    expect(decodeChunk(9, '\x00')).toBeUndefined();
    expect(decodeChunk(DUMP_TAGS.list, '')).toBeUndefined();
    expect(decodeChunk(DUMP_TAGS.list, '\x00' + u32(1) + 'a')).toEqual({ flags: 0, sizeHint: 0, items: ['a'], scores: null });
  });

  it('decodeChunk reads the element count of a first chunk, and a made-up count only pre-sizes (capped)', () => {
    const u32 = (n: number): string => String.fromCharCode((n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
    expect(decodeChunk(DUMP_TAGS.list, '\x02' + u32(3) + u32(1) + 'a')).toEqual({ flags: 2, sizeHint: 3, items: ['a'], scores: null });
    expect(decodeChunk(DUMP_TAGS.list, '\x02' + '\x00\x00')).toBeUndefined();
    // A hint far past MAX_SIZE_HINT (a damaged or hostile chunk) builds the elements actually sent.
    for (const tag of [DUMP_TAGS.list, DUMP_TAGS.zset, DUMP_TAGS.set]) {
      const a = new ChunkAssembler(tag, 2, 0xffffffff);
      expect(applyAll(a, { flags: 2, sizeHint: 0xffffffff, items: ['x'], scores: tag === DUMP_TAGS.zset ? [1] : null })).toBe(1);
      expect((a.finish() as ListValue | ZSetValue | SetValue).size).toBe(1);
    }
    expect(MAX_SIZE_HINT).toBeLessThan(0xffffffff);
  });

  it('ChunkAssembler pre-sized by the first chunk\'s element count rebuilds each type in its source encoding (same DUMP), intsets included', () => {
    const h = HashValue.fromPairs(Array.from({ length: 3000 }, (_, i) => `f${i}`), BIG_HASH);
    const s = SetValue.from(Array.from({ length: 3000 }, (_, i) => `m${i}`), { maxIntsetEntries: 512 });
    const ints = SetValue.from(Array.from({ length: 3000 }, (_, i) => String(i * 7)), { maxIntsetEntries: 1 << 20 });
    const z = new ZSetValue();
    for (let i = 0; i < 3000; i++) z.insert(`m${i}`, i % 13, { maxEntries: 128, maxValue: 64 });
    for (const v of [h, s, ints, z, ListValue.from(Array.from({ length: 3000 }, (_, i) => `e${i}`))] as Value[]) {
      const { value } = roundTrip(v, 500, 1 << 20);
      expect(serializeValue(value!)).toBe(serializeValue(v));
    }
  });

  it('ChunkAssembler refuses a member repeated across chunks and an empty result', () => {
    const a = new ChunkAssembler(DUMP_TAGS.set, 0);
    expect(a.apply({ flags: 0, sizeHint: 0, items: ['x', 'y'], scores: null }, 0, Infinity)).toBe(2);
    expect(a.apply({ flags: 0, sizeHint: 0, items: ['y'], scores: null }, 0, Infinity)).toBe(-1);
    expect(new ChunkAssembler(DUMP_TAGS.zset, 0).finish()).toBeUndefined();
  });
});
