/**
 * Cursors over collections (HSCAN, SSCAN and ZSCAN), and the dense table
 * that makes them cheap.
 *
 * API
 * ---
 * - `parseScanCursor(text)`: the cursor argument as Redis reads it (an
 *   unsigned 64-bit decimal), or throws `ERR invalid cursor`.
 * - `parseScanOptions(args, from)`: `MATCH pattern` and `COUNT n` options
 *   from `args[from]` on; throws `ERR syntax error` / `ERR value is not an
 *   integer or out of range` with Redis's rules (COUNT < 1 is a syntax error,
 *   TYPE is not accepted by the collection scans).
 * - `scanReply(cursor, items)`: the `[cursor, [items...]]` reply.
 * - `DenseMap<V>`: a string-keyed map with O(1) get/set/delete, O(1) uniform
 *   random access by position (`keyAt`/`valueAt`) and a stable scan cursor
 *   (`scan`). Hashes, sets (and sorted sets, for ZSCAN) use it as their
 *   `hashtable` encoding.
 *
 * Compact encodings (listpack, intset) do not use cursors: as Redis does,
 * one call returns every element and cursor 0.
 *
 * The cursor algorithm (DenseMap.scan)
 * ------------------------------------
 * Elements live in a dense array; a Map gives each key its index. Adding
 * appends at the end; deleting moves the last element into the hole (swap
 * remove), so the array never has gaps and a random element is one random
 * index.
 *
 * A scan walks the array from the END towards index 0. The cursor is `p`:
 * "every index >= p was visited" (a new scan, cursor 0, starts at p = size).
 * Invariant: every element present since the scan started and not yet
 * returned sits at an index < p. It holds across changes between calls:
 * - an addition appends at index `size` (>= p): nothing moves;
 * - a deletion at index i moves the last element x (index size-1) to i.
 *   If x was not yet returned, it was below p, so i < size-1 < p: it stays
 *   below p. If x was returned already, it may be returned again (Redis
 *   allows duplicates).
 * Hence Redis's guarantee: an element present for the whole scan is returned
 * at least once; elements added during the scan may or may not be. A cursor
 * larger than the collection (it shrank, or a made-up cursor) is clamped to
 * the size. The returned cursor is `p` after the step, 0 once p reaches 0.
 * Each call costs O(COUNT), with no state kept on the server.
 */
import { NOT_INTEGER, RespError, SYNTAX } from './errors.js';
import type { Reply } from './resp/reply.js';
import { PagedArray } from './paged-array.js';
import { isInt64Text } from './values.js';

export class InvalidCursorError extends RespError {
  constructor() {
    super('ERR invalid cursor');
  }
}

const INVALID_CURSOR = new InvalidCursorError();
const UINT64_MAX = 18446744073709551615n;

/**
 * Parses a SCAN cursor as Redis does: C `strtoull(text, &end, 10)` over the
 * whole argument, refusing leading whitespace and overflow. So "" is 0, a
 * '+' or '-' sign is allowed (a negative cursor wraps modulo 2^64, as
 * strtoull does), and anything else than digits after it is refused.
 * Returns the cursor as a number clamped to MAX_SAFE_INTEGER: we never issue
 * larger cursors, and a clamped one means "past the end", which restarts.
 */
export function parseScanCursor(text: string): number {
  const n = text.length;
  let i = 0;
  let neg = false;
  if (n > 0) {
    const c0 = text.charCodeAt(0);
    if (c0 === 0x2b || c0 === 0x2d) {
      neg = c0 === 0x2d;
      i = 1;
      if (n === 1) throw INVALID_CURSOR;
    }
  }
  for (let j = i; j < n; j++) {
    const ch = text.charCodeAt(j);
    if (ch < 0x30 || ch > 0x39) throw INVALID_CURSOR;
  }
  if (n - i < 16 && !neg) return n === i ? 0 : Number(text.slice(i));
  let b = BigInt(text.slice(i));
  if (b > UINT64_MAX) throw INVALID_CURSOR;
  if (neg && b !== 0n) b = UINT64_MAX + 1n - b;
  return b > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(b);
}

export interface ScanOptions {
  /** MATCH pattern, undefined when absent or `*` (matches everything). */
  pattern: string | undefined;
  /** COUNT, default 10. */
  count: number;
}

/** Parses `[MATCH pattern] [COUNT count]` (any order, repeatable; the last wins) from `args[from]` on. */
export function parseScanOptions(args: readonly string[], from: number): ScanOptions {
  let pattern: string | undefined;
  let count = 10;
  for (let i = from; i < args.length; i += 2) {
    const opt = args[i]!.toLowerCase();
    if (i + 1 >= args.length) throw SYNTAX;
    const val = args[i + 1]!;
    if (opt === 'count') {
      if (!isInt64Text(val)) throw NOT_INTEGER;
      // Counts past 2^53 (up to int64) are accepted and mean "everything".
      const n = val.length < 16 ? Number(val) : Math.min(Number(BigInt(val)), Number.MAX_SAFE_INTEGER);
      if (n < 1) throw SYNTAX;
      count = n;
    } else if (opt === 'match') {
      pattern = val === '*' ? undefined : val;
    } else {
      throw SYNTAX;
    }
  }
  return { pattern, count };
}

/** The reply of a collection scan: `[cursor as bulk string, items]`. */
export function scanReply(cursor: number, items: Reply[]): Reply {
  return [String(cursor), items];
}

/**
 * Size at which a DenseMap splits its index into `SEGMENTS` maps: one Map's
 * doubling below it is short, and so is the split itself.
 */
const SPLIT_AT = 1 << 15;
/**
 * Index segments of a split DenseMap (a power of two). Few enough that a
 * segment's table soon becomes a large object (never copied by the
 * young-generation collector: 256 segments made filling a big map cost a
 * quarter more CPU), many enough that a segment's doubling stays short up
 * to millions of entries (32 segments of 250k entries at 8M).
 */
const SEGMENTS = 32;
/** Characters hashed at each end of a key to pick its segment. */
const HASHED_ENDS = 64;

/**
 * Segment of `key` in a split DenseMap: FNV-1a over the length and at most
 * `HASHED_ENDS` characters at each end, so the cost is bounded for long
 * keys. Keys that differ only in the middle of a long key share a segment,
 * which only makes that segment bigger (never wrong).
 */
function segmentOf(key: string): number {
  const n = key.length;
  let h = Math.imul(0x811c9dc5 ^ n, 0x01000193);
  if (n <= 2 * HASHED_ENDS) {
    for (let i = 0; i < n; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  } else {
    for (let i = 0; i < HASHED_ENDS; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
    for (let i = n - HASHED_ENDS; i < n; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  }
  return (h ^ (h >>> 15)) & (SEGMENTS - 1);
}

/**
 * Insertion-ordered map (until deletions swap elements) with O(1) random
 * access and a stateless scan cursor; see the module comment.
 *
 * A JS Map rehashes all its entries in one go when it doubles: over
 * 100 ms at half a million entries, a stall for every client (and for a
 * chunked MIGRATE's target, which builds big collections while serving).
 * So past `SPLIT_AT` entries the index is split, once (O(SPLIT_AT)), into
 * `SEGMENTS` Maps chosen by a hash of the key (`segmentOf`): a doubling then
 * only moves one segment. A split index stays split when the map shrinks.
 *
 * Keys and values sit in PagedArrays (./paged-array.ts): growing one
 * copies at most a page, where a flat JS array copied everything once per
 * growth (tens of milliseconds near a million elements). `reserve` only
 * splits the index early: the arrays need no room made.
 */
export class DenseMap<V> {
  /** The index (key -> position) until the split. */
  #index: Map<string, number> | null = new Map<string, number>();
  /** The index segments after the split (null before). */
  #segments: Map<string, number>[] | null = null;
  readonly #keys = new PagedArray<string>();
  readonly #vals = new PagedArray<V>();

  get size(): number {
    return this.#keys.length;
  }

  /** The index map holding `key` (or that would hold it). */
  private indexOf(key: string): Map<string, number> {
    return this.#index ?? this.#segments![segmentOf(key)]!;
  }

  has(key: string): boolean {
    return this.indexOf(key).has(key);
  }

  get(key: string): V | undefined {
    const i = this.indexOf(key).get(key);
    return i === undefined ? undefined : this.#vals.at(i);
  }

  /** Sets `key` to `value`; returns true if the key is new. */
  set(key: string, value: V): boolean {
    const index = this.indexOf(key);
    const i = index.get(key);
    if (i !== undefined) {
      this.#vals.set(i, value);
      return false;
    }
    const n = this.#keys.length;
    index.set(key, n);
    this.#keys.push(key);
    this.#vals.push(value);
    if (this.#index !== null && n + 1 >= SPLIT_AT) this.#split();
    return true;
  }

  /**
   * Makes room for `n` more entries, so that the next `n` insertions rehash
   * no more than a segment: splits the index now if it will be needed (the
   * paged arrays need no room made). Returns true: nothing is left to do
   * (a boolean because it once took several calls, one array each).
   */
  reserve(n: number): boolean {
    if (this.#index !== null && this.size + n >= SPLIT_AT) this.#split();
    return true;
  }

  /** Moves the index into `SEGMENTS` maps (once: O(size)). */
  #split(): void {
    const segments: Map<string, number>[] = [];
    for (let s = 0; s < SEGMENTS; s++) segments.push(new Map<string, number>());
    const keys = this.#keys;
    for (let i = 0; i < keys.length; i++) {
      const k = keys.at(i);
      segments[segmentOf(k)]!.set(k, i);
    }
    this.#segments = segments;
    this.#index = null;
  }

  /** Deletes `key` (the last element takes its place); returns whether it existed. */
  delete(key: string): boolean {
    const index = this.indexOf(key);
    const i = index.get(key);
    if (i === undefined) return false;
    index.delete(key);
    const keys = this.#keys;
    const last = keys.length - 1;
    if (i !== last) {
      const k = keys.at(last);
      keys.set(i, k);
      this.#vals.set(i, this.#vals.at(last));
      this.indexOf(k).set(k, i);
    }
    keys.pop();
    this.#vals.pop();
    return true;
  }

  /** Key at position `i` (0 <= i < size). */
  keyAt(i: number): string {
    return this.#keys.at(i);
  }

  /** Value at position `i` (0 <= i < size). */
  valueAt(i: number): V {
    return this.#vals.at(i);
  }

  /**
   * One scan step from `cursor` (0 starts a scan): calls `visit` for up to
   * `count` elements and returns the next cursor (0 when done).
   */
  scan(cursor: number, count: number, visit: (key: string, value: V) => void): number {
    const n = this.#keys.length;
    let p = cursor === 0 || cursor > n ? n : cursor;
    const stop = Math.max(0, p - count);
    while (p > stop) {
      p--;
      visit(this.#keys.at(p), this.#vals.at(p));
    }
    return p;
  }
}
