/**
 * Reads a value's elements by position, in bounded steps, in a given element
 * format. Two formats use it:
 *  - the chunks of a chunked MIGRATE between Shardis nodes
 *    (cluster/chunk-codec.ts `CHUNK_ELEMENTS`);
 *  - Redis's RDB encoding (rdb-payload.ts `RDB_ELEMENTS`), for DUMP and for
 *    a big key MIGRATEd into a real Redis, whose payload is built over
 *    several event-loop turns.
 *
 * A step appends to an array of latin1 strings (joined by the caller) the
 * elements from a position on, and stops at whichever bound comes first:
 * element count, bytes, or a `performance.now()` deadline (looked at every
 * `CLOCK_EVERY` elements). At least one element is always taken, so every
 * step makes progress. A position is only meaningful while the value is
 * unchanged: callers watch the key and start over on any change.
 *
 * Positions count elements: list items, set members, sorted-set members (a
 * member and its score), hash pairs (a field and its value); for a string,
 * bytes.
 */
import { performance } from 'node:perf_hooks';
import { f64 } from './byte-strings.js';
import type { HashValue } from './types/hash.js';
import type { ListValue } from './types/list.js';
import type { SetValue } from './types/set.js';
import type { ZSetValue } from './types/zset.js';
import type { TypeName, Value } from './values.js';

/** Elements encoded between two looks at the clock. */
const CLOCK_EVERY = 128;

/** Bounds of one step: whichever is reached first ends it (at least one element is always taken). */
export interface ReadBounds {
  maxElements: number;
  maxBytes: number;
  /** `performance.now()` value after which no more elements are added. */
  deadline: number;
}

/** No bounds: the whole value in one step. */
export const UNBOUNDED: ReadBounds = { maxElements: Infinity, maxBytes: Infinity, deadline: Infinity };

/** How elements are written. Scores are always 8 bytes, IEEE 754 little-endian (both formats agree). */
export interface ElementFormat {
  /**
   * Starts every step's output. `from` is the step's first position, `total`
   * the value's element count (bytes for a string); `intset` says a set is
   * held as an intset (its members then come in ascending order).
   */
  head(out: string[], type: TypeName, intset: boolean, from: number, total: number): void;
  /** One string element (a whole string value's bytes go raw, after `head`). Returns the bytes written. */
  str(out: string[], s: string): number;
}

/** Reads a value's elements by position (see the module comment). */
export interface ValueReader {
  readonly type: TypeName;
  /** Elements in all (bytes for a string). */
  readonly total: number;
  /** Appends the step starting at element `from` (`from` < `total`) within `bounds`; returns the position after it. */
  write(out: string[], from: number, bounds: ReadBounds): number;
}

/** Appends strings `at(from)`, `at(from + 1)`, ... within `b`; returns the position after the last. */
function writeStrings(f: ElementFormat, out: string[], from: number, total: number, b: ReadBounds, at: (i: number) => string): number {
  let bytes = 0;
  let i = from;
  const end = Math.min(total, from + b.maxElements);
  while (i < end) {
    bytes += f.str(out, at(i++));
    if (bytes >= b.maxBytes) break;
    if ((i - from) % CLOCK_EVERY === 0 && performance.now() > b.deadline) break;
  }
  return i;
}

/** The reader of a list or set: one string per element, `at(i)` the element at position i. */
function sequenceReader(f: ElementFormat, type: TypeName, total: number, intset: boolean, at: (i: number) => string): ValueReader {
  return {
    type,
    total,
    write: (out, from, b) => {
      f.head(out, type, intset, from, total);
      return writeStrings(f, out, from, total, b, at);
    },
  };
}

/**
 * The reader of `v` in format `f`. A compact (listpack) hash is read through
 * one `flat()` copy: it is small, unless configured with a huge
 * `hash-max-listpack-entries`.
 */
export function valueReader(v: Value, f: ElementFormat): ValueReader {
  if (typeof v === 'string') {
    return {
      type: 'string',
      total: v.length,
      write(out, from, b) {
        const end = Math.min(v.length, from + b.maxBytes);
        f.head(out, 'string', false, from, v.length);
        out.push(v.slice(from, end));
        return end;
      },
    };
  }
  switch (v.type) {
    case 'list': {
      const l = v as ListValue;
      return sequenceReader(f, 'list', l.size, false, (i) => l.get(i));
    }
    case 'set': {
      const s = v as SetValue;
      return sequenceReader(f, 'set', s.size, s.table === undefined, (i) => s.memberAt(i));
    }
    case 'hash': {
      const h = v as HashValue;
      const table = h.table;
      const flat = table === undefined ? h.flat() : undefined;
      // Positions count strings (field, value, field, ...); steps end on a whole pair.
      const b2 = { maxElements: 0, maxBytes: 0, deadline: 0 };
      const at = table !== undefined ? (i: number) => ((i & 1) === 0 ? table.keyAt(i >>> 1) : table.valueAt(i >>> 1)) : (i: number) => flat![i]!;
      return {
        type: 'hash',
        total: h.size,
        write: (out, from, b) => {
          f.head(out, 'hash', false, from, h.size);
          b2.maxElements = b.maxElements * 2;
          b2.maxBytes = b.maxBytes;
          b2.deadline = b.deadline;
          let next = writeStrings(f, out, from * 2, h.size * 2, b2, at);
          if ((next & 1) === 1) f.str(out, at(next++));
          return next / 2;
        },
      };
    }
    case 'zset': {
      const z = v as ZSetValue;
      const members: string[] = [];
      const scores: number[] = [];
      return {
        type: 'zset',
        total: z.size,
        write(out, from, b) {
          f.head(out, 'zset', false, from, z.size);
          const end = Math.min(z.size, from + b.maxElements);
          let bytes = 0;
          let i = from;
          while (i < end && bytes < b.maxBytes && (i === from || performance.now() <= b.deadline)) {
            const last = Math.min(end, i + CLOCK_EVERY) - 1;
            members.length = 0;
            scores.length = 0;
            z.range(i, last, false, members, scores);
            for (let k = 0; k < members.length; k++) {
              bytes += f.str(out, members[k]!) + 8;
              out.push(f64(scores[k]!));
            }
            i = last + 1;
          }
          return i;
        },
      };
    }
  }
  throw new Error(`Cannot read a ${(v as { type: string }).type} value by position`);
}
