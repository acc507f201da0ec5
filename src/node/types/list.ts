/**
 * The list value type: a double-ended queue of latin1 strings.
 *
 * Algorithm. Elements live in a growable ring buffer: a JS array whose
 * capacity is a power of two, a `head` position and a `size`. Element `i`
 * (0 = head) sits at `(head + i) & mask`. Hence:
 *  - push and pop at either end are O(1) amortized (the buffer doubles when
 *    full and halves when a quarter full, so memory stays proportional to the
 *    length);
 *  - access by index (LINDEX, LSET, LRANGE's start) is O(1), better than
 *    Redis's quicklist walk;
 *  - insertion or removal in the middle (LINSERT, LREM) moves the elements on
 *    the shorter side, O(min(i, N - i)), as Redis's promise of O(N) allows.
 *
 * OBJECT ENCODING. Redis 7.0 stores every list as a quicklist (the listpack
 * encoding for small lists arrived in 7.2), so `encoding()` always reports
 * `quicklist`, as `redis-server` 7.0.15 does for a one-element list.
 *
 * The byte total of the elements is kept up to date on every change, so
 * `memoryUsage()` is O(1).
 */
import { DUMP_TAGS, registerDumpCodec } from '../dump.js';
import type { CollectionValue, Value } from '../values.js';

const MIN_CAPACITY = 8;
/** Rough per-element overhead of a quicklist entry, for MEMORY USAGE. */
const ENTRY_OVERHEAD = 11;
/** Fixed cost of the list object and its quicklist header. */
const LIST_OVERHEAD = 48;

export class ListValue implements CollectionValue {
  readonly type = 'list' as const;
  #buf: (string | undefined)[];
  #mask: number;
  #head = 0;
  #size = 0;
  #bytes = 0;

  constructor(capacity = MIN_CAPACITY) {
    let cap = MIN_CAPACITY;
    while (cap < capacity) cap *= 2;
    this.#buf = new Array<string | undefined>(cap);
    this.#mask = cap - 1;
  }

  /** A list holding `items` in order (head first). */
  static from(items: readonly string[]): ListValue {
    const l = new ListValue(items.length);
    for (let i = 0; i < items.length; i++) l.pushTail(items[i]!);
    return l;
  }

  get size(): number {
    return this.#size;
  }

  encoding(): string {
    return 'quicklist';
  }

  clone(): ListValue {
    const l = new ListValue(this.#size);
    for (let i = 0; i < this.#size; i++) l.pushTail(this.#buf[(this.#head + i) & this.#mask]!);
    return l;
  }

  memoryUsage(): number {
    return LIST_OVERHEAD + this.#bytes + this.#size * ENTRY_OVERHEAD;
  }

  /** Doubles (or shrinks to) a capacity of `cap`, unrolling the ring so the head is at 0. */
  #resize(cap: number): void {
    const nb = new Array<string | undefined>(cap);
    for (let i = 0; i < this.#size; i++) nb[i] = this.#buf[(this.#head + i) & this.#mask];
    this.#buf = nb;
    this.#mask = cap - 1;
    this.#head = 0;
  }

  private maybeShrink(): void {
    const cap = this.#mask + 1;
    if (cap > MIN_CAPACITY && this.#size <= cap >>> 2) this.#resize(cap >>> 1);
  }

  pushHead(v: string): void {
    if (this.#size === this.#mask + 1) this.#resize((this.#mask + 1) * 2);
    this.#head = (this.#head - 1) & this.#mask;
    this.#buf[this.#head] = v;
    this.#size++;
    this.#bytes += v.length;
  }

  pushTail(v: string): void {
    if (this.#size === this.#mask + 1) this.#resize((this.#mask + 1) * 2);
    this.#buf[(this.#head + this.#size) & this.#mask] = v;
    this.#size++;
    this.#bytes += v.length;
  }

  /** Removes and returns the head element, or undefined if empty. */
  popHead(): string | undefined {
    if (this.#size === 0) return undefined;
    const v = this.#buf[this.#head]!;
    this.#buf[this.#head] = undefined;
    this.#head = (this.#head + 1) & this.#mask;
    this.#size--;
    this.#bytes -= v.length;
    this.maybeShrink();
    return v;
  }

  /** Removes and returns the tail element, or undefined if empty. */
  popTail(): string | undefined {
    if (this.#size === 0) return undefined;
    const at = (this.#head + this.#size - 1) & this.#mask;
    const v = this.#buf[at]!;
    this.#buf[at] = undefined;
    this.#size--;
    this.#bytes -= v.length;
    this.maybeShrink();
    return v;
  }

  /** Element at `i` (0 = head), which must be in `[0, size)`. */
  get(i: number): string {
    return this.#buf[(this.#head + i) & this.#mask]!;
  }

  /** Replaces element `i`, which must be in `[0, size)`. */
  set(i: number, v: string): void {
    const at = (this.#head + i) & this.#mask;
    this.#bytes += v.length - this.#buf[at]!.length;
    this.#buf[at] = v;
  }

  /** Elements `start..end` inclusive, both within `[0, size)`, head first. */
  range(start: number, end: number): string[] {
    const out = new Array<string>(end - start + 1);
    for (let i = start, j = 0; i <= end; i++, j++) out[j] = this.#buf[(this.#head + i) & this.#mask]!;
    return out;
  }

  /** Index of the first element equal to `v` from the head, or -1. */
  indexOf(v: string): number {
    for (let i = 0; i < this.#size; i++) if (this.#buf[(this.#head + i) & this.#mask] === v) return i;
    return -1;
  }

  /**
   * Inserts `v` so that it becomes element `i` (0 ≤ i ≤ size), moving the
   * elements on the shorter side by one.
   */
  insertAt(i: number, v: string): void {
    if (i === 0) return this.pushHead(v);
    if (i === this.#size) return this.pushTail(v);
    if (this.#size === this.#mask + 1) this.#resize((this.#mask + 1) * 2);
    const buf = this.#buf;
    const mask = this.#mask;
    if (i < this.#size - i) {
      // Shift elements 0..i-1 one step towards the head.
      this.#head = (this.#head - 1) & mask;
      for (let k = 0; k < i; k++) buf[(this.#head + k) & mask] = buf[(this.#head + k + 1) & mask];
    } else {
      for (let k = this.#size; k > i; k--) buf[(this.#head + k) & mask] = buf[(this.#head + k - 1) & mask];
    }
    buf[(this.#head + i) & mask] = v;
    this.#size++;
    this.#bytes += v.length;
  }

  /**
   * Keeps only the elements whose index is not in `drop`, a sorted array of
   * distinct indexes. O(N) in one compaction pass (LREM).
   */
  removeIndexes(drop: readonly number[]): void {
    if (drop.length === 0) return;
    const buf = this.#buf;
    const mask = this.#mask;
    let w = drop[0]!;
    let d = 0;
    for (let r = drop[0]!; r < this.#size; r++) {
      const at = (this.#head + r) & mask;
      if (d < drop.length && drop[d] === r) {
        this.#bytes -= buf[at]!.length;
        d++;
        continue;
      }
      buf[(this.#head + w) & mask] = buf[at];
      w++;
    }
    for (let k = w; k < this.#size; k++) buf[(this.#head + k) & mask] = undefined;
    this.#size = w;
    this.maybeShrinkFully();
  }

  /** Keeps elements `start..end` inclusive (within `[0, size)`), dropping the rest (LTRIM). */
  trim(start: number, end: number): void {
    for (let k = 0; k < start; k++) this.#bytes -= this.popHeadNoShrink().length;
    const keep = end - start + 1;
    while (this.#size > keep) this.#bytes -= this.popTailNoShrink().length;
    this.maybeShrinkFully();
  }

  /** Removes every element. */
  clear(): void {
    this.#buf = new Array<string | undefined>(MIN_CAPACITY);
    this.#mask = MIN_CAPACITY - 1;
    this.#head = 0;
    this.#size = 0;
    this.#bytes = 0;
  }

  private popHeadNoShrink(): string {
    const v = this.#buf[this.#head]!;
    this.#buf[this.#head] = undefined;
    this.#head = (this.#head + 1) & this.#mask;
    this.#size--;
    return v;
  }

  private popTailNoShrink(): string {
    const at = (this.#head + this.#size - 1) & this.#mask;
    const v = this.#buf[at]!;
    this.#buf[at] = undefined;
    this.#size--;
    return v;
  }

  private maybeShrinkFully(): void {
    let cap = this.#mask + 1;
    while (cap > MIN_CAPACITY && this.#size <= cap >>> 2) cap >>>= 1;
    if (cap !== this.#mask + 1) this.#resize(cap);
  }

  /** All elements, head first. */
  toArray(): string[] {
    return this.#size === 0 ? [] : this.range(0, this.#size - 1);
  }
}

/*------------------------------------------------------------------------------
 * DUMP codec
 *----------------------------------------------------------------------------*/

/**
 * Body: the element count in decimal and `\n`, then for each element its
 * byte length in decimal, `:` and its bytes. An empty list is malformed (the
 * keyspace never holds one).
 */
function encodeList(v: Value): string {
  const l = v as ListValue;
  const parts: string[] = [String(l.size), '\n'];
  for (let i = 0; i < l.size; i++) {
    const e = l.get(i);
    parts.push(String(e.length), ':', e);
  }
  return parts.join('');
}

/** Parses a decimal length at `pos` ending with `stop`; returns [value, next] or undefined. */
function readLength(body: string, pos: number, stop: string): [number, number] | undefined {
  const end = body.indexOf(stop, pos);
  if (end <= pos || end - pos > 15) return undefined;
  let n = 0;
  for (let i = pos; i < end; i++) {
    const c = body.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return undefined;
    n = n * 10 + (c - 0x30);
  }
  return [n, end + 1];
}

function decodeList(body: string): Value | undefined {
  const head = readLength(body, 0, '\n');
  if (head === undefined || head[0] === 0) return undefined;
  const [count] = head;
  let pos = head[1];
  const l = new ListValue();
  for (let i = 0; i < count; i++) {
    const len = readLength(body, pos, ':');
    if (len === undefined) return undefined;
    const start = len[1];
    if (start + len[0] > body.length) return undefined;
    l.pushTail(body.slice(start, start + len[0]));
    pos = start + len[0];
  }
  return pos === body.length ? l : undefined;
}

registerDumpCodec({ tag: DUMP_TAGS.list, type: 'list', encode: encodeList, decode: decodeList });
