/**
 * Key to hash slot: CRC16 (XMODEM) of the key, or of its `{hash tag}`, mod 16384.
 *
 * Hash tag rule (Redis keyHashSlot): if the key has a `{` and, after it, a
 * `}` with at least one byte between them, only the bytes between the first
 * `{` and the first `}` after it are hashed; otherwise the whole key is.
 *
 * The tag is found here rather than by `cluster-key-slot`, whose scanner
 * skips an empty `{}` and goes on to a later `}` (it gives slot 0 for `{}}`,
 * Redis 14790). The CRC table is the XMODEM one (poly 0x1021). Keys are
 * latin1 strings (one char per byte), hashed byte by byte without copying.
 */

/** Number of hash slots in a cluster. */
export const SLOT_COUNT = 16384;

const CRC_TABLE = new Uint16Array(256);
for (let i = 0; i < 256; i++) {
  let crc = i << 8;
  for (let b = 0; b < 8; b++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  CRC_TABLE[i] = crc;
}

function crc16String(s: string, start: number, end: number): number {
  let crc = 0;
  for (let i = start; i < end; i++) crc = ((crc << 8) & 0xffff) ^ CRC_TABLE[((crc >> 8) ^ s.charCodeAt(i)) & 0xff]!;
  return crc;
}

function crc16Bytes(b: Uint8Array, start: number, end: number): number {
  let crc = 0;
  for (let i = start; i < end; i++) crc = ((crc << 8) & 0xffff) ^ CRC_TABLE[((crc >> 8) ^ b[i]!) & 0xff]!;
  return crc;
}

/**
 * The last string key hashed and its slot. A command's key is hashed by the
 * router and again by the keyspace (and a client often repeats a key), so a
 * one-entry memo turns the repeats into one string comparison.
 */
let lastKey = '';
let lastSlot = keySlotOfString('');

function keySlotOfString(key: string): number {
  const open = key.indexOf('{');
  if (open >= 0) {
    const close = key.indexOf('}', open + 1);
    if (close > open + 1) return crc16String(key, open + 1, close) & 0x3fff;
  }
  return crc16String(key, 0, key.length) & 0x3fff;
}

/** Hash slot of a key given as a latin1 string or as raw bytes. */
export function keySlot(key: string | Uint8Array): number {
  if (typeof key === 'string') {
    if (key === lastKey) return lastSlot;
    const slot = keySlotOfString(key);
    lastKey = key;
    lastSlot = slot;
    return slot;
  }
  const open = key.indexOf(0x7b);
  if (open >= 0) {
    const close = key.indexOf(0x7d, open + 1);
    if (close > open + 1) return crc16Bytes(key, open + 1, close) & 0x3fff;
  }
  return crc16Bytes(key, 0, key.length) & 0x3fff;
}
