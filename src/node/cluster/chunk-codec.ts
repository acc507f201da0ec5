/**
 * Element-wise serialization of big values, for the chunked MIGRATE
 * (./chunked-transfer.ts): a value is cut into chunks of whole elements,
 * each framed like a DUMP payload (../dump.ts `framePayload`: the type's
 * DUMP tag, the body, version, CRC-64), so a damaged chunk is refused with
 * RESTORE's errors.
 *
 * Chunk body: one flags byte, then the elements, each a 4-byte big-endian
 * length and its bytes. A hash element is a field then its value (two
 * strings); a sorted set element is a member then its score as 8 bytes
 * (IEEE 754, little-endian); list and set elements are one string. A string
 * value is cut into byte ranges: its chunks carry the raw bytes after the
 * flags byte. The flags byte says which encoding the source held (for sets:
 * intset, whose members then come in ascending order), so the target can
 * build the same one. The first chunk of a collection also says how many
 * elements the whole value has (flag `FLAG_SIZED`, then that count as 4
 * bytes big-endian, before the elements), so the target can size its
 * flat buffers once (a list's ring buffer, a skiplist's record buffer)
 * instead of copying them as they grow (near a million elements one such
 * copy stalls the target for tens of milliseconds), and split a hash's,
 * set's or sorted set's index into segments from the start (DenseMap's
 * element tables are paged and need no sizing).
 *
 * `ChunkReader` reads a value by position (../value-reader.ts, in this
 * element format, `CHUNK_ELEMENTS`): the source keeps the position between
 * chunks, which is only valid while the value is unchanged (the
 * transfer watches the key and restarts on any change). `ChunkAssembler`
 * builds the value on the target, element by element, always in the big
 * encodings (hashtable, skiplist, quicklist; intset only if the source had
 * it), as RESTORE of the whole payload would: chunked values are far past
 * the small-encoding limits.
 */
import { readF64, readU32, u32 } from '../byte-strings.js';
import { DUMP_TAGS } from '../dump.js';
import { HashValue, type HashLimits } from '../types/hash.js';
import { ListValue } from '../types/list.js';
import { SetValue, type SetLimits } from '../types/set.js';
import { ZSetValue, type ZSetLimits } from '../types/zset.js';
import type { Value } from '../values.js';
import { valueReader, type ElementFormat, type ValueReader } from '../value-reader.js';

/** Flags byte: the source set was an intset (members in ascending order). */
const FLAG_INTSET = 1;
/** Flags byte: the element count of the whole value follows (first chunk only). */
const FLAG_SIZED = 2;
/**
 * Largest element count the target pre-sizes for: a count is only a hint
 * (the elements still have to arrive), so a made-up one must not make a
 * small value hold a huge buffer.
 */
export const MAX_SIZE_HINT = 1 << 21;

/** Elements the assembler inserts between two looks at the clock. */
const APPLY_EVERY = 256;

/** Reads a value's elements by position for chunks (`chunkReaderFor`). */
export interface ChunkReader extends ValueReader {
  /** DUMP tag of the value's type. */
  readonly tag: number;
}

/** The chunk body's element format (see the module comment), for ../value-reader.ts. */
export const CHUNK_ELEMENTS: ElementFormat = {
  head(out, type, intset, from, total) {
    const flags = intset ? FLAG_INTSET : 0;
    if (type !== 'string' && from === 0) out.push(String.fromCharCode(flags | FLAG_SIZED), u32(total));
    else out.push(String.fromCharCode(flags));
  },
  str(out, s) {
    out.push(u32(s.length), s);
    return 4 + s.length;
  },
};

/** The chunk reader for `v`: each `write` appends one chunk body. */
export function chunkReaderFor(v: Value): ChunkReader {
  const r = valueReader(v, CHUNK_ELEMENTS);
  return { tag: DUMP_TAGS[r.type], type: r.type, total: r.total, write: r.write };
}

/*------------------------------------------------------------------------------
 * Target side
 *----------------------------------------------------------------------------*/

/** A decoded chunk: strings (pairs for a hash), and scores for a sorted set. */
export interface DecodedChunk {
  flags: number;
  /** Element count of the whole value, from a first chunk (0 when not given). */
  sizeHint: number;
  items: string[];
  scores: number[] | null;
}

/** Parses a chunk body of a value of DUMP tag `tag`; undefined if malformed. */
export function decodeChunk(tag: number, body: string): DecodedChunk | undefined {
  if (body.length < 1) return undefined;
  const flags = body.charCodeAt(0);
  if (tag === DUMP_TAGS.string) return { flags, sizeHint: 0, items: [body.slice(1)], scores: null };
  const zset = tag === DUMP_TAGS.zset;
  if (!zset && tag !== DUMP_TAGS.hash && tag !== DUMP_TAGS.list && tag !== DUMP_TAGS.set) return undefined;
  const items: string[] = [];
  const scores: number[] | null = zset ? [] : null;
  const n = body.length;
  let p = 1;
  let sizeHint = 0;
  if (flags & FLAG_SIZED) {
    if (p + 4 > n) return undefined;
    sizeHint = readU32(body, p);
    p += 4;
  }
  while (p < n) {
    if (p + 4 > n) return undefined;
    const len = readU32(body, p);
    p += 4;
    if (p + len > n) return undefined;
    items.push(body.slice(p, p + len));
    p += len;
    if (scores !== null) {
      if (p + 8 > n) return undefined;
      const s = readF64(body, p);
      if (Number.isNaN(s)) return undefined;
      scores.push(s);
      p += 8;
    }
  }
  if (tag === DUMP_TAGS.hash && items.length % 2 !== 0) return undefined;
  return { flags, sizeHint, items, scores };
}

/** Limits that put any hash / sorted set in its big encoding at the first element. */
const BIG_HASH: HashLimits = { maxEntries: 0, maxValue: 0 };
const BIG_ZSET: ZSetLimits = { maxEntries: 0, maxValue: 0 };
const INTSET_ANY: SetLimits = { maxIntsetEntries: Number.MAX_SAFE_INTEGER };
const NO_INTSET: SetLimits = { maxIntsetEntries: 0 };

/** Builds a value from its chunks on the target (see the module comment). */
export class ChunkAssembler {
  readonly tag: number;
  #value: HashValue | ListValue | SetValue | ZSetValue | undefined;
  #parts: string[] | undefined;
  #setLimits: SetLimits = NO_INTSET;
  /** Element count still to reserve room for (`reserve` steps left), 0 when done. */
  #reserve = 0;

  /**
   * An assembler for a value of DUMP tag `tag`, from the `flags` of its
   * first chunk; `sizeHint` (its element count, if given, at most
   * `MAX_SIZE_HINT` is used) pre-sizes the value (`reserve`; a list's
   * ring buffer), except an intset.
   */
  constructor(tag: number, flags: number, sizeHint = 0) {
    this.tag = tag;
    const hint = Math.min(sizeHint, MAX_SIZE_HINT);
    switch (tag) {
      case DUMP_TAGS.string:
        this.#parts = [];
        break;
      case DUMP_TAGS.list:
        this.#value = new ListValue(hint);
        break;
      case DUMP_TAGS.set:
        this.#value = new SetValue();
        if (flags & FLAG_INTSET) this.#setLimits = INTSET_ANY;
        else this.#reserve = hint;
        break;
      case DUMP_TAGS.zset: {
        const z = new ZSetValue();
        z.convertToSkiplist();
        this.#value = z;
        this.#reserve = hint;
        break;
      }
      case DUMP_TAGS.hash:
        this.#value = new HashValue();
        this.#reserve = hint;
        break;
      default:
        throw new Error(`Cannot assemble a value of tag ${tag}`);
    }
  }

  /**
   * Adds elements of `chunk` from position `from` (a string position; pairs
   * for a hash) until done or past `deadline` (`performance.now()`).
   * Returns the position reached, or -1 if the chunk repeats an element
   * already present (a bad payload). The first call after a sized first
   * chunk only pre-sizes the value (a skiplist's record buffer is one
   * allocation of the whole size, tens of milliseconds at a million
   * elements) and returns `from`: the caller goes on in its next slice.
   */
  apply(chunk: DecodedChunk, from: number, deadline: number): number {
    const items = chunk.items;
    const n = items.length;
    if (this.#parts !== undefined) {
      this.#parts.push(...items);
      return n;
    }
    const v = this.#value!;
    if (this.#reserve > 0) {
      if ((v as HashValue | SetValue | ZSetValue).reserve(this.#reserve)) this.#reserve = 0;
      return from;
    }
    let i = from;
    while (i < n) {
      const stop = Math.min(n, i + APPLY_EVERY);
      switch (this.tag) {
        case DUMP_TAGS.list:
          for (; i < stop; i++) (v as ListValue).pushTail(items[i]!);
          break;
        case DUMP_TAGS.set:
          for (; i < stop; i++) if (!(v as SetValue).add(items[i]!, this.#setLimits)) return -1;
          break;
        case DUMP_TAGS.hash:
          for (; i < stop; i += 2) if (!(v as HashValue).set(items[i]!, items[i + 1]!, BIG_HASH)) return -1;
          break;
        case DUMP_TAGS.zset: {
          const z = v as ZSetValue;
          const scores = chunk.scores!;
          for (; i < stop; i++) {
            const m = items[i]!;
            if (z.score(m) !== undefined) return -1;
            z.insert(m, scores[i]!, BIG_ZSET);
          }
          break;
        }
      }
      if (performance.now() > deadline) break;
    }
    return i;
  }

  /** The assembled value, or undefined if it is empty (a bad payload). */
  finish(): Value | undefined {
    if (this.#parts !== undefined) return this.#parts.join('');
    const v = this.#value!;
    return v.size === 0 ? undefined : v;
  }
}
