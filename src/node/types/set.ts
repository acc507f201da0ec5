/**
 * The set value type, with Redis 7.0's two encodings.
 *
 * `intset`: while every member is the canonical text of a signed 64-bit
 * integer (Redis's string2ll rules) and there are at most
 * `set-max-intset-entries` members. Members are kept sorted by numeric value
 * in an array (binary search to find, splice to insert or remove: O(N) writes
 * as Redis's memmove), so SMEMBERS and SSCAN list them in ascending order, as
 * Redis does. The array holds the member texts themselves, which is what
 * every reply needs, and integers are compared on their text (sign, then
 * length, then digits) without parsing.
 *
 * `hashtable`: a `DenseMap` (../collection-scan.ts): O(1) add, remove,
 * membership and random member, and a stable SSCAN cursor.
 *
 * A set converts from intset to hashtable when a non-integer member is added
 * or it grows past the limit, and never back. Redis 7.2 added a `listpack`
 * encoding for small sets of strings; Redis 7.0, our reference, has none, so
 * neither do we (`set-max-listpack-*` are accepted by CONFIG but unused).
 */
import { DenseMap } from '../collection-scan.js';
import { DUMP_TAGS, registerDumpCodec } from '../dump.js';
import { isInt64Text, type CollectionValue, type Value } from '../values.js';

/** Limit of the intset encoding (from `set-max-intset-entries`). */
export interface SetLimits {
  readonly maxIntsetEntries: number;
}

/** Numeric order of two canonical int64 texts. */
export function compareIntText(a: string, b: string): number {
  const negA = a.charCodeAt(0) === 0x2d;
  const negB = b.charCodeAt(0) === 0x2d;
  if (negA !== negB) return negA ? -1 : 1;
  let r: number;
  if (a.length !== b.length) r = a.length < b.length ? -1 : 1;
  else r = a < b ? -1 : a > b ? 1 : 0;
  return negA ? -r : r;
}

/** Index of `m` in the sorted intset array `a`, or -(insertion point) - 1. */
function intsetSearch(a: readonly string[], m: string): number {
  let lo = 0;
  let hi = a.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const c = compareIntText(a[mid]!, m);
    if (c < 0) lo = mid + 1;
    else if (c > 0) hi = mid - 1;
    else return mid;
  }
  return -lo - 1;
}

export class SetValue implements CollectionValue {
  #data: string[] | DenseMap<null>;

  constructor() {
    this.#data = [];
  }

  get type(): 'set' {
    return 'set';
  }

  get size(): number {
    return Array.isArray(this.#data) ? this.#data.length : this.#data.size;
  }

  encoding(): string {
    return Array.isArray(this.#data) ? 'intset' : 'hashtable';
  }

  clone(): SetValue {
    const s = new SetValue();
    if (Array.isArray(this.#data)) {
      s.#data = this.#data.slice();
    } else {
      const m = new DenseMap<null>();
      for (let i = 0; i < this.#data.size; i++) m.set(this.#data.keyAt(i), null);
      s.#data = m;
    }
    return s;
  }

  memoryUsage(): number {
    let bytes = 48;
    if (Array.isArray(this.#data)) return bytes + 8 * this.#data.length;
    for (let i = 0; i < this.#data.size; i++) bytes += 56 + this.#data.keyAt(i).length;
    return bytes;
  }

  has(m: string): boolean {
    const d = this.#data;
    if (!Array.isArray(d)) return d.has(m);
    return isInt64Text(m) && intsetSearch(d, m) >= 0;
  }

  /** Adds `m`; returns true if it was not a member. Converts to hashtable as needed. */
  add(m: string, limits: SetLimits): boolean {
    const d = this.#data;
    if (!Array.isArray(d)) return d.set(m, null);
    if (!isInt64Text(m)) {
      this.#convert();
      return (this.#data as DenseMap<null>).set(m, null);
    }
    const i = intsetSearch(d, m);
    if (i >= 0) return false;
    const at = -i - 1;
    if (at === d.length) d.push(m);
    else d.splice(at, 0, m);
    if (d.length > limits.maxIntsetEntries) this.#convert();
    return true;
  }

  /** Removes `m`; returns whether it was a member. */
  remove(m: string): boolean {
    const d = this.#data;
    if (!Array.isArray(d)) return d.delete(m);
    if (!isInt64Text(m)) return false;
    const i = intsetSearch(d, m);
    if (i < 0) return false;
    if (i === d.length - 1) d.pop();
    else d.splice(i, 1);
    return true;
  }

  /** The member at position `i` (0 <= i < size), O(1). */
  memberAt(i: number): string {
    const d = this.#data;
    return Array.isArray(d) ? d[i]! : d.keyAt(i);
  }

  /** Members in encoding order (ascending for intset). A fresh array. */
  members(): string[] {
    const d = this.#data;
    if (Array.isArray(d)) return d.slice();
    const out = new Array<string>(d.size);
    for (let i = 0; i < d.size; i++) out[i] = d.keyAt(i);
    return out;
  }

  /** The hashtable, for SSCAN cursors; undefined while an intset. */
  get table(): DenseMap<null> | undefined {
    return Array.isArray(this.#data) ? undefined : this.#data;
  }

  /**
   * Pre-sizes the hashtable for `n` more members (DenseMap.reserve); an
   * empty set switches to the hashtable encoding first. For a caller that
   * knows the set will be big and not an intset (a chunked MIGRATE's
   * target); a no-op on a non-empty intset. Done in one call (returns true,
   * as DenseMap.reserve).
   */
  reserve(n: number): boolean {
    let d = this.#data;
    if (Array.isArray(d)) {
      if (d.length !== 0) return true;
      this.#data = d = new DenseMap<null>();
    }
    return d.reserve(n);
  }

  #convert(): void {
    const d = this.#data as string[];
    const m = new DenseMap<null>();
    for (let i = 0; i < d.length; i++) m.set(d[i]!, null);
    this.#data = m;
  }

  /** Builds a set from members (duplicates allowed), as a new set grows in Redis. */
  static from(members: Iterable<string>, limits: SetLimits): SetValue {
    const s = new SetValue();
    for (const m of members) s.add(m, limits);
    return s;
  }

  /** DUMP body: encoding byte, then length-prefixed members. */
  serialize(): string {
    const parts: string[] = [Array.isArray(this.#data) ? 'I' : 'H'];
    const d = this.#data;
    const n = this.size;
    for (let i = 0; i < n; i++) {
      const m = Array.isArray(d) ? d[i]! : d.keyAt(i);
      const len = m.length;
      parts.push(String.fromCharCode((len >>> 24) & 0xff, (len >>> 16) & 0xff, (len >>> 8) & 0xff, len & 0xff), m);
    }
    return parts.join('');
  }

  /** Inverse of `serialize`; undefined for malformed input. */
  static deserialize(body: string): SetValue | undefined {
    const kind = body.charCodeAt(0);
    if (kind !== 0x49 && kind !== 0x48) return undefined;
    const s = new SetValue();
    if (kind === 0x48) s.#data = new DenseMap<null>();
    const n = body.length;
    let pos = 1;
    while (pos < n) {
      if (pos + 4 > n) return undefined;
      const len =
        ((body.charCodeAt(pos) << 24) >>> 0) + (body.charCodeAt(pos + 1) << 16) + (body.charCodeAt(pos + 2) << 8) + body.charCodeAt(pos + 3);
      pos += 4;
      if (pos + len > n) return undefined;
      const m = body.slice(pos, pos + len);
      pos += len;
      const d = s.#data;
      if (Array.isArray(d)) {
        if (!isInt64Text(m)) return undefined;
        const i = intsetSearch(d, m);
        if (i >= 0) return undefined;
        d.splice(-i - 1, 0, m);
      } else if (!d.set(m, null)) {
        return undefined;
      }
    }
    return s.size === 0 ? undefined : s;
  }
}

registerDumpCodec({
  tag: DUMP_TAGS.set,
  type: 'set',
  encode: (v: Value) => (v as SetValue).serialize(),
  decode: (body: string) => SetValue.deserialize(body),
});
