/**
 * Fixed-width numbers as latin1 byte strings (one char per byte), for the
 * payload formats built as strings: our DUMP codecs (types/zset.ts), the
 * chunks of a chunked MIGRATE (cluster/chunk-codec.ts) and Redis's RDB
 * (rdb-payload.ts). Doubles are IEEE 754 little-endian, as RDB requires.
 */

/** `n` (0..2^32-1) as 4 big-endian bytes. */
export function u32(n: number): string {
  return String.fromCharCode((n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
}

/** The 4 big-endian bytes of `s` at `p` as an unsigned integer. */
export function readU32(s: string, p: number): number {
  return ((s.charCodeAt(p) << 24) | (s.charCodeAt(p + 1) << 16) | (s.charCodeAt(p + 2) << 8) | s.charCodeAt(p + 3)) >>> 0;
}

const F64 = new DataView(new ArrayBuffer(8));

/** `d` as 8 little-endian bytes. */
export function f64(d: number): string {
  F64.setFloat64(0, d, true);
  return String.fromCharCode(F64.getUint8(0), F64.getUint8(1), F64.getUint8(2), F64.getUint8(3), F64.getUint8(4), F64.getUint8(5), F64.getUint8(6), F64.getUint8(7));
}

/** The 8 little-endian bytes of `s` at `p` as a double. */
export function readF64(s: string, p: number): number {
  for (let i = 0; i < 8; i++) F64.setUint8(i, s.charCodeAt(p + i));
  return F64.getFloat64(0, true);
}
