/**
 * The hash value type, with Redis's two encodings.
 *
 * `listpack` (small hashes). The whole hash is ONE flat latin1 string: for
 * each field then its value, a length header and the bytes. A length below
 * 254 is one char; longer lengths are char 254 and four chars (big-endian
 * 32 bits). A hash of 10 short fields costs one string header plus its
 * bytes, close to Redis's listpack, where a Map or an array of strings would
 * cost several times more. Lookups walk the string (O(N) as in Redis, with N
 * bounded by `hash-max-listpack-entries`); writes rebuild it with one join,
 * which always yields a flat string. Order is insertion order; updating a
 * field keeps its place, as a listpack does.
 *
 * `hashtable` (large hashes): a `DenseMap` (../collection-scan.ts), which
 * also provides O(1) random fields and a stable HSCAN cursor.
 *
 * A hash converts from listpack to hashtable when it gets more entries than
 * `hash-max-listpack-entries` or a field or value longer than
 * `hash-max-listpack-value` bytes (the limits are passed in by the caller,
 * read from the config at that moment), and never converts back (as Redis).
 */
import { DenseMap } from '../collection-scan.js';
import { DUMP_TAGS, registerDumpCodec } from '../dump.js';
import type { CollectionValue, Value } from '../values.js';

/** Limits of the listpack encoding (from `hash-max-listpack-*`). */
export interface HashLimits {
  readonly maxEntries: number;
  readonly maxValue: number;
}

const LONG_LEN = 254;

/** Length header of `n` bytes. */
function lenHeader(n: number): string {
  if (n < LONG_LEN) return String.fromCharCode(n);
  return String.fromCharCode(LONG_LEN, (n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
}

/** Position just after the header at `pos` (the length itself is read by `lenAt`). */
function bodyAt(s: string, pos: number): number {
  return s.charCodeAt(pos) === LONG_LEN ? pos + 5 : pos + 1;
}

function lenAt(s: string, pos: number): number {
  const c = s.charCodeAt(pos);
  if (c !== LONG_LEN) return c;
  return ((s.charCodeAt(pos + 1) << 24) >>> 0) + (s.charCodeAt(pos + 2) << 16) + (s.charCodeAt(pos + 3) << 8) + s.charCodeAt(pos + 4);
}

/** Position of the entry after the one whose header is at `pos`. */
function skipEntry(s: string, pos: number): number {
  return bodyAt(s, pos) + lenAt(s, pos);
}

/** True if two of the fields of flat pairs `args[from..]` are equal. */
function hasDuplicateField(args: readonly string[], from: number): boolean {
  if (args.length - from <= 32) {
    for (let i = from + 2; i < args.length; i += 2) {
      for (let j = from; j < i; j += 2) if (args[j] === args[i]) return true;
    }
    return false;
  }
  const seen = new Set<string>();
  for (let i = from; i < args.length; i += 2) {
    if (seen.has(args[i]!)) return true;
    seen.add(args[i]!);
  }
  return false;
}

export class HashValue implements CollectionValue {
  /** The listpack string, or the hashtable. */
  #data: string | DenseMap<string>;
  /** Number of fields of the listpack (the DenseMap knows its own). */
  #count = 0;

  constructor() {
    this.#data = '';
  }

  get type(): 'hash' {
    return 'hash';
  }

  get size(): number {
    return typeof this.#data === 'string' ? this.#count : this.#data.size;
  }

  encoding(): string {
    return typeof this.#data === 'string' ? 'listpack' : 'hashtable';
  }

  /** True while the hash uses the listpack encoding. */
  get isCompact(): boolean {
    return typeof this.#data === 'string';
  }

  clone(): HashValue {
    const h = new HashValue();
    if (typeof this.#data === 'string') {
      h.#data = this.#data;
      h.#count = this.#count;
    } else {
      const m = new DenseMap<string>();
      const d = this.#data;
      for (let i = 0; i < d.size; i++) m.set(d.keyAt(i), d.valueAt(i));
      h.#data = m;
    }
    return h;
  }

  memoryUsage(): number {
    if (typeof this.#data === 'string') return 48 + this.#data.length;
    let bytes = 96;
    const d = this.#data;
    for (let i = 0; i < d.size; i++) bytes += 64 + d.keyAt(i).length + d.valueAt(i).length;
    return bytes;
  }

  /** Header position of `field` in the listpack, or -1. */
  private find(s: string, field: string): number {
    const n = s.length;
    const flen = field.length;
    let pos = 0;
    while (pos < n) {
      const body = bodyAt(s, pos);
      const len = lenAt(s, pos);
      if (len === flen && s.startsWith(field, body)) return pos;
      pos = skipEntry(s, body + len);
    }
    return -1;
  }

  get(field: string): string | undefined {
    const s = this.#data;
    if (typeof s !== 'string') return s.get(field);
    const pos = this.find(s, field);
    if (pos < 0) return undefined;
    const vpos = skipEntry(s, pos);
    const body = bodyAt(s, vpos);
    return s.slice(body, body + lenAt(s, vpos));
  }

  has(field: string): boolean {
    const s = this.#data;
    if (typeof s !== 'string') return s.has(field);
    return this.find(s, field) >= 0;
  }

  /** Byte length of the value of `field`, 0 if absent (HSTRLEN). */
  valueLength(field: string): number {
    const s = this.#data;
    if (typeof s !== 'string') return s.get(field)?.length ?? 0;
    const pos = this.find(s, field);
    return pos < 0 ? 0 : lenAt(s, skipEntry(s, pos));
  }

  /**
   * Converts to hashtable if storing `field`/`value` would break the listpack
   * value limit. Redis checks every argument before writing (hashTypeTryConversion).
   */
  prepare(field: string, value: string, limits: HashLimits): void {
    if (typeof this.#data === 'string' && (field.length > limits.maxValue || value.length > limits.maxValue)) this.#convert();
  }

  /**
   * Sets `field` to `value`; returns true if the field is new. Converts to
   * hashtable past the limits.
   */
  set(field: string, value: string, limits: HashLimits): boolean {
    this.prepare(field, value, limits);
    const s = this.#data;
    if (typeof s !== 'string') return s.set(field, value);
    const pos = this.find(s, field);
    if (pos >= 0) {
      const vpos = skipEntry(s, pos);
      this.#data = [s.slice(0, vpos), lenHeader(value.length), value, s.slice(skipEntry(s, vpos))].join('');
      return false;
    }
    this.#data = [s, lenHeader(field.length), field, lenHeader(value.length), value].join('');
    this.#count++;
    if (this.#count > limits.maxEntries) this.#convert();
    return true;
  }

  /**
   * Sets many `[field, value]` pairs laid out flat in `args` from `from` on
   * (HSET/HMSET), building the listpack once; returns how many fields were new.
   */
  setMany(args: readonly string[], from: number, limits: HashLimits): number {
    if (typeof this.#data === 'string') {
      for (let i = from; i < args.length; i++) {
        if (args[i]!.length > limits.maxValue) {
          this.#convert();
          break;
        }
      }
    }
    let added = 0;
    if (typeof this.#data === 'string' && this.#count === 0) {
      // Fast path for a new hash: only duplicates among the arguments matter.
      const parts: string[] = [];
      if (!hasDuplicateField(args, from)) {
        for (let i = from; i < args.length; i += 2) {
          const f = args[i]!;
          const v = args[i + 1]!;
          parts.push(lenHeader(f.length), f, lenHeader(v.length), v);
        }
        const n = (args.length - from) / 2;
        this.#data = parts.join('');
        this.#count = n;
        if (n > limits.maxEntries) this.#convert();
        return n;
      }
    }
    for (let i = from; i < args.length; i += 2) if (this.set(args[i]!, args[i + 1]!, limits)) added++;
    return added;
  }

  /** Deletes `field`; returns whether it existed. */
  delete(field: string): boolean {
    const s = this.#data;
    if (typeof s !== 'string') return s.delete(field);
    const pos = this.find(s, field);
    if (pos < 0) return false;
    const end = skipEntry(s, skipEntry(s, pos));
    this.#data = [s.slice(0, pos), s.slice(end)].join('');
    this.#count--;
    return true;
  }

  /** Calls `fn` for every field and value, in encoding order. */
  forEach(fn: (field: string, value: string) => void): void {
    const s = this.#data;
    if (typeof s !== 'string') {
      for (let i = 0; i < s.size; i++) fn(s.keyAt(i), s.valueAt(i));
      return;
    }
    const n = s.length;
    let pos = 0;
    while (pos < n) {
      const fb = bodyAt(s, pos);
      const fend = fb + lenAt(s, pos);
      const vb = bodyAt(s, fend);
      const vend = vb + lenAt(s, fend);
      fn(s.slice(fb, fend), s.slice(vb, vend));
      pos = vend;
    }
  }

  /** Fields and values in encoding order, flat: `[f1, v1, f2, v2, ...]`. */
  flat(withFields = true, withValues = true): string[] {
    const out: string[] = [];
    this.forEach((f, v) => {
      if (withFields) out.push(f);
      if (withValues) out.push(v);
    });
    return out;
  }

  /** The `i`-th field/value pair (0 <= i < size): O(1) for hashtable, O(N) for listpack. */
  entryAt(i: number): [string, string] {
    const s = this.#data;
    if (typeof s !== 'string') return [s.keyAt(i), s.valueAt(i)];
    let pos = 0;
    for (let k = 0; k < i; k++) pos = skipEntry(s, skipEntry(s, pos));
    const fb = bodyAt(s, pos);
    const fend = fb + lenAt(s, pos);
    const vb = bodyAt(s, fend);
    return [s.slice(fb, fend), s.slice(vb, vb + lenAt(s, fend))];
  }

  /** The hashtable, for HSCAN cursors; undefined while compact. */
  get table(): DenseMap<string> | undefined {
    return typeof this.#data === 'string' ? undefined : this.#data;
  }

  /**
   * Pre-sizes the hashtable for `n` more fields (DenseMap.reserve); an
   * empty hash switches to the hashtable encoding first. For a caller that
   * knows the hash will be big (a chunked MIGRATE's target); a no-op on a
   * non-empty listpack. Done in one call (returns true, as DenseMap.reserve).
   */
  reserve(n: number): boolean {
    if (typeof this.#data === 'string') {
      if (this.#count !== 0) return true;
      this.#data = new DenseMap<string>();
    }
    return this.#data.reserve(n);
  }

  #convert(): void {
    const m = new DenseMap<string>();
    this.forEach((f, v) => m.set(f, v));
    this.#data = m;
    this.#count = 0;
  }

  /** Builds a hash from flat `[f, v, ...]` pairs, in the encoding the limits call for. */
  static fromPairs(flat: readonly string[], limits: HashLimits): HashValue {
    const h = new HashValue();
    h.setMany(flat, 0, limits);
    return h;
  }

  /** Serialized form for DUMP: encoding byte then the listpack layout. */
  serialize(): string {
    if (typeof this.#data === 'string') return 'L' + this.#data;
    const parts: string[] = ['H'];
    this.forEach((f, v) => parts.push(lenHeader(f.length), f, lenHeader(v.length), v));
    return parts.join('');
  }

  /** Inverse of `serialize`; undefined for malformed input. */
  static deserialize(body: string): HashValue | undefined {
    const kind = body.charCodeAt(0);
    if (kind !== 0x4c && kind !== 0x48) return undefined;
    const s = body.slice(1);
    const flat: string[] = [];
    const n = s.length;
    let pos = 0;
    while (pos < n) {
      if (s.charCodeAt(pos) === LONG_LEN && pos + 5 > n) return undefined;
      const b = bodyAt(s, pos);
      const end = b + lenAt(s, pos);
      if (end > n) return undefined;
      flat.push(s.slice(b, end));
      pos = end;
    }
    if (flat.length % 2 !== 0 || flat.length === 0) return undefined;
    const h = new HashValue();
    if (kind === 0x48) {
      h.#convert();
      for (let i = 0; i < flat.length; i += 2) h.#data instanceof DenseMap && h.#data.set(flat[i]!, flat[i + 1]!);
      return h;
    }
    h.#data = s;
    h.#count = 0;
    const seen = new Set<string>();
    for (let i = 0; i < flat.length; i += 2) {
      if (seen.has(flat[i]!)) return undefined;
      seen.add(flat[i]!);
      h.#count++;
    }
    return h;
  }
}

registerDumpCodec({
  tag: DUMP_TAGS.hash,
  type: 'hash',
  encode: (v: Value) => (v as HashValue).serialize(),
  decode: (body: string) => HashValue.deserialize(body),
});
