/**
 * Values stored in the keyspace. A string value is a latin1 JS string (one
 * char per byte): compact in V8 and written to sockets without conversion.
 * Collections are objects implementing `CollectionValue` (see `./types/`).
 */

export type TypeName = 'string' | 'list' | 'hash' | 'set' | 'zset';

/** Common interface of list, hash, set and sorted set values. */
export interface CollectionValue {
  readonly type: Exclude<TypeName, 'string'>;
  /** Number of elements; an empty collection is deleted from the keyspace. */
  readonly size: number;
  /** OBJECT ENCODING name, as Redis reports it (`listpack`, `quicklist`, `hashtable`, ...). */
  encoding(): string;
  /** A deep copy (COPY). */
  clone(): CollectionValue;
  /** Approximate bytes used, for MEMORY USAGE and maxmemory accounting. */
  memoryUsage(): number;
}

export type Value = string | CollectionValue;

export function typeOf(v: Value): TypeName {
  return typeof v === 'string' ? 'string' : v.type;
}

/** Longest value Redis keeps as an `embstr`. */
const EMBSTR_MAX = 44;

/** OBJECT ENCODING of a string value, as Redis would report it. */
export function stringEncoding(v: string): 'int' | 'embstr' | 'raw' {
  if (v.length <= 20 && isInt64Text(v)) return 'int';
  return v.length <= EMBSTR_MAX ? 'embstr' : 'raw';
}

const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;

/** True if `s` is the canonical decimal text of a signed 64-bit integer (Redis's string2ll). */
export function isInt64Text(s: string): boolean {
  const n = s.length;
  if (n === 0 || n > 20) return false;
  let i = 0;
  if (s.charCodeAt(0) === 0x2d) {
    if (n === 1) return false;
    i = 1;
  }
  if (s.charCodeAt(i) === 0x30) return n === 1;
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  if (n < 19) return true;
  const b = BigInt(s);
  return b <= INT64_MAX && b >= INT64_MIN;
}

export { INT64_MAX, INT64_MIN };
