/**
 * Redis's own DUMP format, both ways, so that data moves between Redis and
 * Shardis with Redis's tools:
 *  - RESTORE reads payloads made by real Redis (DUMP output of Redis 2.6 to
 *    7.4): `redis-cli --cluster import` and MIGRATE from a Redis server move
 *    data into Shardis;
 *  - DUMP answers a payload that real Redis (5.0 and later) RESTOREs
 *    (`serializeRdb`), so a DUMP/RESTORE script copies keys out of Shardis.
 *    MIGRATE between Shardis nodes keeps our own format (`dump.ts`), which
 *    its chunked transfer of big values builds on.
 *
 * A Redis payload is framed as ours is: object type (1 byte), the object in
 * RDB encoding, the RDB version (2 bytes, little-endian, 1..12 here) and the
 * CRC-64/Jones of all that (8 bytes). `deserializeAnyPayload` tells the two
 * apart by the version field and checks the checksum either way.
 *
 * RDB encodings read (Redis's rdb.c, ziplist.c, listpack.c, intset.c, lzf_d.c):
 *  - lengths: 6-bit, 14-bit, 32-bit and 64-bit big-endian forms;
 *  - strings: raw, integers (8/16/32-bit little-endian, written back as
 *    decimal text, as Redis does) and LZF-compressed;
 *  - string (0); list as linked list (1), ziplist (10), quicklist of
 *    ziplists (14) and quicklist 2 of listpacks or plain nodes (18); set as
 *    hashtable (2), intset (11) and listpack (20); sorted set with text
 *    scores (3), binary scores (5), ziplist (12) and listpack (17); hash as
 *    hashtable (4), ziplist (13) and listpack (16).
 * Zipmap hashes (9, Redis < 2.6), streams, modules and 7.4's hashes with
 * field expiry are refused with "Bad data format", as is any malformed
 * blob: a length past the end, a bad LZF back reference, a missing
 * terminator, duplicate members or fields, an empty collection, or bytes left
 * after the object. Nothing here throws anything but those two RespErrors.
 *
 * Values are rebuilt through the types' own constructors with the
 * directives' default thresholds, so encodings follow our rules rather than
 * the source's.
 */
import { readF64 } from './byte-strings.js';
import { BAD_DATA_FORMAT, Crc64, DUMP_PAYLOAD_ERROR, DUMP_TRAILER, DUMP_VERSION, checksumMatches, crc64, deserializeValue, payloadVersion } from './dump.js';
import { ListValue } from './types/list.js';
import { SetValue } from './types/set.js';
import { ZSetValue } from './types/zset.js';
import { HashValue } from './types/hash.js';
import type { TypeName, Value } from './values.js';
import { UNBOUNDED, valueReader, type ElementFormat, type ReadBounds, type ValueReader } from './value-reader.js';

/** Highest RDB version accepted (Redis 7.4). */
const RDB_MAX_VERSION = 12;
/**
 * RDB version DUMP writes: Redis 5.0's. RESTORE refuses only versions newer
 * than the server's own, and what we write (the plain types, 64-bit
 * lengths) dates from RDB 8, so Redis 5.0 and every later Redis and Valkey
 * take it, not only 7.0 and later.
 */
const RDB_WRITE_VERSION = 9;

/** Thrown inside the decoder for any malformed input; becomes "Bad data format". */
class Malformed extends Error {}
const MALFORMED = new Malformed();

/**
 * The value a DUMP payload encodes, ours or Redis's. Throws
 * `DUMP_PAYLOAD_ERROR` for a bad frame (too short, unknown version, wrong
 * checksum) and `BAD_DATA_FORMAT` for an object that cannot be read.
 */
export function deserializeAnyPayload(payload: string): Value {
  const n = payload.length;
  if (n < DUMP_TRAILER) throw DUMP_PAYLOAD_ERROR;
  const version = payloadVersion(payload);
  if (version === DUMP_VERSION || version < 1 || version > RDB_MAX_VERSION) return deserializeValue(payload);
  if (!checksumMatches(payload)) throw DUMP_PAYLOAD_ERROR;
  if (n <= DUMP_TRAILER) throw BAD_DATA_FORMAT;
  try {
    const r = new RdbReader(payload, n - DUMP_TRAILER);
    const v = readObject(r, r.byte());
    if (r.pos !== r.end) throw MALFORMED;
    return v;
  } catch (err) {
    if (err instanceof Malformed || err instanceof RangeError) throw BAD_DATA_FORMAT;
    throw err;
  }
}

/** A cursor over latin1 bytes `[pos, end)`. */
class RdbReader {
  pos = 0;
  constructor(
    readonly s: string,
    readonly end: number,
  ) {}

  need(n: number): void {
    if (n < 0 || this.pos + n > this.end) throw MALFORMED;
  }

  byte(): number {
    this.need(1);
    return this.s.charCodeAt(this.pos++);
  }

  bytes(n: number): string {
    this.need(n);
    const out = this.s.slice(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** rdbLoadLen: the length, or -1 - encoding for an encoded string (11xxxxxx). */
  lenOrEncoding(): number {
    const b = this.byte();
    switch (b >> 6) {
      case 0:
        return b & 0x3f;
      case 1:
        return ((b & 0x3f) << 8) | this.byte();
      case 2: {
        if (b === 0x80) return beUint(this.bytes(4), 0, 4);
        if (b === 0x81) return beUint(this.bytes(8), 0, 8);
        throw MALFORMED;
      }
      default:
        return -1 - (b & 0x3f);
    }
  }

  len(): number {
    const n = this.lenOrEncoding();
    if (n < 0) throw MALFORMED;
    return n;
  }

  /** rdbGenericLoadStringObject. */
  string(): string {
    const n = this.lenOrEncoding();
    if (n >= 0) return this.bytes(n);
    switch (-1 - n) {
      case 0:
        return String(leInt(this.bytes(1), 0, 1));
      case 1:
        return String(leInt(this.bytes(2), 0, 2));
      case 2:
        return String(leInt(this.bytes(4), 0, 4));
      case 3: {
        const clen = this.len();
        const len = this.len();
        return lzfDecompress(this.bytes(clen), len);
      }
      default:
        throw MALFORMED;
    }
  }

  /** rdbLoadDoubleValue: a length byte (253 NaN, 254 +inf, 255 -inf) then ASCII. */
  textDouble(): number {
    const n = this.byte();
    if (n === 253) return NaN;
    if (n === 254) return Infinity;
    if (n === 255) return -Infinity;
    return parseScore(this.bytes(n));
  }

  /** rdbLoadBinaryDoubleValue: 8 bytes, little-endian IEEE 754. */
  binaryDouble(): number {
    return readF64(this.bytes(8), 0);
  }
}

/** Unsigned big-endian integer of `n` bytes (lengths); past 2^53 it is refused. */
function beUint(s: string, p: number, n: number): number {
  let v = 0;
  for (let i = 0; i < n; i++) v = v * 256 + s.charCodeAt(p + i);
  if (!Number.isSafeInteger(v)) throw MALFORMED;
  return v;
}

/** Signed little-endian integer of `n` bytes (1..8), as a bigint for 8. */
function leInt(s: string, p: number, n: number): number | bigint {
  if (n === 8) {
    let v = 0n;
    for (let i = 7; i >= 0; i--) v = (v << 8n) | BigInt(s.charCodeAt(p + i));
    return BigInt.asIntN(64, v);
  }
  let v = 0;
  for (let i = n - 1; i >= 0; i--) v = v * 256 + s.charCodeAt(p + i);
  const bits = 2 ** (8 * n);
  return v >= bits / 2 ? v - bits : v;
}

function leUint(s: string, p: number, n: number): number {
  let v = 0;
  for (let i = n - 1; i >= 0; i--) v = v * 256 + s.charCodeAt(p + i);
  return v;
}

/** A score written as text (ziplist, listpack, old ZSET): Redis's strtod, with its inf spellings. */
function parseScore(t: string): number {
  const l = t.toLowerCase();
  if (l === 'inf' || l === '+inf' || l === 'infinity' || l === '+infinity') return Infinity;
  if (l === '-inf' || l === '-infinity') return -Infinity;
  const v = Number(t);
  if (t.length === 0 || t.trim() !== t || Number.isNaN(v)) throw MALFORMED;
  return v;
}

/** lzf_decompress: literal runs and back references, checked against both buffers. */
function lzfDecompress(input: string, outLen: number): string {
  // Three input bytes expand to at most 264: a larger claim is corrupt, not a reason to allocate.
  if (outLen === 0 || outLen > input.length * 88) throw MALFORMED;
  const out = new Uint8Array(outLen);
  let ip = 0;
  let op = 0;
  while (ip < input.length) {
    const ctrl = input.charCodeAt(ip++);
    if (ctrl < 32) {
      const run = ctrl + 1;
      if (op + run > outLen || ip + run > input.length) throw MALFORMED;
      for (let i = 0; i < run; i++) out[op++] = input.charCodeAt(ip++);
    } else {
      let len = ctrl >> 5;
      if (ip >= input.length) throw MALFORMED;
      if (len === 7) {
        len += input.charCodeAt(ip++);
        if (ip >= input.length) throw MALFORMED;
      }
      const ref = op - ((ctrl & 0x1f) << 8) - 1 - input.charCodeAt(ip++);
      len += 2;
      if (ref < 0 || op + len > outLen) throw MALFORMED;
      for (let i = 0; i < len; i++) out[op++] = out[ref + i]!;
    }
  }
  if (op !== outLen) throw MALFORMED;
  return Buffer.from(out.buffer, out.byteOffset, out.byteLength).toString('latin1');
}

/*------------------------------------------------------------------------------
 * Blobs: ziplist, listpack, intset
 *----------------------------------------------------------------------------*/

/** The entries of a ziplist (integers as decimal text). */
function ziplistEntries(z: string): string[] {
  if (z.length < 11 || leUint(z, 0, 4) !== z.length) throw MALFORMED;
  const out: string[] = [];
  let p = 10;
  for (;;) {
    if (p >= z.length) throw MALFORMED;
    if (z.charCodeAt(p) === 0xff) break;
    p += z.charCodeAt(p) === 0xfe ? 5 : 1; // prevlen
    if (p >= z.length) throw MALFORMED;
    const enc = z.charCodeAt(p);
    let value: string;
    if (enc >> 6 === 0 || enc >> 6 === 1 || enc === 0x80) {
      let len: number;
      if (enc >> 6 === 0) {
        len = enc & 0x3f;
        p += 1;
      } else if (enc >> 6 === 1) {
        if (p + 2 > z.length) throw MALFORMED;
        len = ((enc & 0x3f) << 8) | z.charCodeAt(p + 1);
        p += 2;
      } else {
        if (p + 5 > z.length) throw MALFORMED;
        len = beUint(z, p + 1, 4);
        p += 5;
      }
      if (p + len > z.length) throw MALFORMED;
      value = z.slice(p, p + len);
      p += len;
    } else {
      p += 1;
      let n: number;
      if (enc === 0xc0) n = 2;
      else if (enc === 0xd0) n = 4;
      else if (enc === 0xe0) n = 8;
      else if (enc === 0xf0) n = 3;
      else if (enc === 0xfe) n = 1;
      else if (enc >= 0xf1 && enc <= 0xfd) n = 0;
      else throw MALFORMED;
      if (p + n > z.length) throw MALFORMED;
      value = n === 0 ? String((enc & 0x0f) - 1) : String(leInt(z, p, n));
      p += n;
    }
    out.push(value);
  }
  if (p !== z.length - 1) throw MALFORMED;
  return out;
}

/** Bytes of a listpack entry's back-length field for an entry of `len` bytes. */
function backlenSize(len: number): number {
  return len < 128 ? 1 : len < 16384 ? 2 : len < 2097152 ? 3 : len < 268435456 ? 4 : 5;
}

/** The entries of a listpack (integers as decimal text). */
function listpackEntries(lp: string): string[] {
  if (lp.length < 7 || leUint(lp, 0, 4) !== lp.length) throw MALFORMED;
  const out: string[] = [];
  let p = 6;
  for (;;) {
    if (p >= lp.length) throw MALFORMED;
    const b = lp.charCodeAt(p);
    if (b === 0xff) break;
    let head: number;
    let dataLen: number;
    let value: string | null = null;
    if (b < 0x80) {
      head = 1;
      dataLen = 0;
      value = String(b);
    } else if (b >> 6 === 2) {
      head = 1;
      dataLen = b & 0x3f;
    } else if (b >> 5 === 6) {
      if (p + 2 > lp.length) throw MALFORMED;
      const u = ((b & 0x1f) << 8) | lp.charCodeAt(p + 1);
      head = 2;
      dataLen = 0;
      value = String(u >= 4096 ? u - 8192 : u);
    } else if (b >> 4 === 14) {
      if (p + 2 > lp.length) throw MALFORMED;
      head = 2;
      dataLen = ((b & 0x0f) << 8) | lp.charCodeAt(p + 1);
    } else if (b === 0xf0) {
      if (p + 5 > lp.length) throw MALFORMED;
      head = 5;
      dataLen = leUint(lp, p + 1, 4);
    } else if (b >= 0xf1 && b <= 0xf4) {
      const n = b === 0xf1 ? 2 : b === 0xf2 ? 3 : b === 0xf3 ? 4 : 8;
      if (p + 1 + n > lp.length) throw MALFORMED;
      head = 1 + n;
      dataLen = 0;
      value = String(leInt(lp, p + 1, n));
    } else {
      throw MALFORMED;
    }
    const entry = head + dataLen;
    if (p + entry > lp.length) throw MALFORMED;
    out.push(value ?? lp.slice(p + head, p + entry));
    p += entry + backlenSize(entry);
  }
  if (p !== lp.length - 1) throw MALFORMED;
  const declared = leUint(lp, 4, 2);
  // 65535 means "too many to count in the header".
  if (declared !== 65535 && declared !== out.length) throw MALFORMED;
  return out;
}

/** The members of an intset, as decimal text. */
function intsetMembers(is: string): string[] {
  if (is.length < 8) throw MALFORMED;
  const width = leUint(is, 0, 4);
  const count = leUint(is, 4, 4);
  if ((width !== 2 && width !== 4 && width !== 8) || is.length !== 8 + width * count) throw MALFORMED;
  const out: string[] = new Array(count);
  for (let i = 0; i < count; i++) out[i] = String(leInt(is, 8 + i * width, width));
  return out;
}

/*------------------------------------------------------------------------------
 * Objects
 *----------------------------------------------------------------------------*/

/** Defaults of the directives (hash-max-listpack-*, set-max-intset-entries, zset-max-listpack-*). */
const HASH_LIMITS = { maxEntries: 128, maxValue: 64 };
const SET_LIMITS = { maxIntsetEntries: 512 };
const ZSET_LIMITS = { maxEntries: 128, maxValue: 64 };

function readObject(r: RdbReader, type: number): Value {
  switch (type) {
    case 0:
      return r.string();
    case 1:
      return listOf(repeat(r, count(r), () => r.string()));
    case 10:
      return listOf(ziplistEntries(r.string()));
    case 14: {
      const nodes = count(r);
      const all: string[] = [];
      for (let i = 0; i < nodes; i++) for (const e of ziplistEntries(r.string())) all.push(e);
      return listOf(all);
    }
    case 18: {
      const nodes = count(r);
      const all: string[] = [];
      for (let i = 0; i < nodes; i++) {
        const container = r.len();
        const blob = r.string();
        if (container === 1) all.push(blob);
        else if (container === 2) {
          const entries = listpackEntries(blob);
          if (entries.length === 0) throw MALFORMED;
          for (const e of entries) all.push(e);
        } else throw MALFORMED;
      }
      return listOf(all);
    }
    case 2:
      return setOf(repeat(r, count(r), () => r.string()));
    case 11:
      return setOf(intsetMembers(r.string()));
    case 20:
      return setOf(listpackEntries(r.string()));
    case 3:
    case 5: {
      const n = count(r);
      const members: string[] = [];
      const scores: number[] = [];
      for (let i = 0; i < n; i++) {
        members.push(r.string());
        scores.push(type === 3 ? r.textDouble() : r.binaryDouble());
      }
      return zsetOf(members, scores);
    }
    case 12:
    case 17: {
      const flat = type === 12 ? ziplistEntries(r.string()) : listpackEntries(r.string());
      if (flat.length % 2 !== 0) throw MALFORMED;
      const members: string[] = [];
      const scores: number[] = [];
      for (let i = 0; i < flat.length; i += 2) {
        members.push(flat[i]!);
        scores.push(parseScore(flat[i + 1]!));
      }
      return zsetOf(members, scores);
    }
    case 4: {
      const n = count(r);
      const flat: string[] = [];
      for (let i = 0; i < n; i++) flat.push(r.string(), r.string());
      return hashOf(flat);
    }
    case 13:
      return hashOf(ziplistEntries(r.string()));
    case 16:
      return hashOf(listpackEntries(r.string()));
    default:
      // Zipmap (9), modules (6, 7), streams (15, 19, 21), hashes with field expiry (22+).
      throw MALFORMED;
  }
}

/** An element count; every element takes at least one byte, so a count beyond what is left is corrupt. */
function count(r: RdbReader): number {
  const n = r.len();
  if (n > r.end - r.pos) throw MALFORMED;
  return n;
}

function repeat(r: RdbReader, n: number, read: () => string): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(read());
  return out;
}

function distinct(items: readonly string[], step: number): void {
  const seen = new Set<string>();
  for (let i = 0; i < items.length; i += step) {
    if (seen.has(items[i]!)) throw MALFORMED;
    seen.add(items[i]!);
  }
}

function listOf(items: readonly string[]): Value {
  if (items.length === 0) throw MALFORMED;
  return ListValue.from(items);
}

function setOf(members: readonly string[]): Value {
  if (members.length === 0) throw MALFORMED;
  distinct(members, 1);
  return SetValue.from(members, SET_LIMITS);
}

function zsetOf(members: readonly string[], scores: readonly number[]): Value {
  if (members.length === 0 || scores.some((s) => Number.isNaN(s))) throw MALFORMED;
  distinct(members, 1);
  return ZSetValue.from(members, scores, ZSET_LIMITS);
}

function hashOf(flat: readonly string[]): Value {
  if (flat.length === 0 || flat.length % 2 !== 0) throw MALFORMED;
  distinct(flat, 2);
  return HashValue.fromPairs(flat, HASH_LIMITS);
}

/*------------------------------------------------------------------------------
 * Writing (DUMP)
 *----------------------------------------------------------------------------*/

/** An RDB length: 6-bit, 14-bit, or 32-/64-bit big-endian. */
function rdbLen(n: number): string {
  if (n < 64) return String.fromCharCode(n);
  if (n < 16384) return String.fromCharCode(0x40 | (n >> 8), n & 0xff);
  if (n <= 0xffffffff) return String.fromCharCode(0x80, n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
  const hi = Math.floor(n / 2 ** 32);
  return String.fromCharCode(0x81, hi >>> 24, (hi >>> 16) & 0xff, (hi >>> 8) & 0xff, hi & 0xff, n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
}

/** RDB object types written, by our type: the plain encodings, which every Redis since 4.0 (RDB 8, binary scores) loads. */
const RDB_TYPE: Record<TypeName, string> = { string: '\x00', list: '\x01', set: '\x02', zset: '\x05', hash: '\x04' };

/** RDB's element format, for ../value-reader.ts: the object type and its length open the first step; strings are length-prefixed. */
export const RDB_ELEMENTS: ElementFormat = {
  head(out, type, _intset, from, total) {
    if (from === 0) out.push(RDB_TYPE[type], rdbLen(total));
  },
  str(out, s) {
    const len = rdbLen(s.length);
    out.push(len, s);
    return len.length + s.length;
  },
};

/** The version and checksum that end a payload. */
const RDB_VERSION_BYTES = String.fromCharCode(RDB_WRITE_VERSION & 0xff, RDB_WRITE_VERSION >> 8);

/**
 * Builds a value's Redis DUMP payload in steps (`step`), so that a big value
 * (a MIGRATE of a big key into a real Redis, cluster/chunked-transfer.ts)
 * is written over several event-loop turns. Each step's bytes go into the
 * checksum as they are made. The value must not change between steps. The
 * payload is kept in pieces of at most about 256 KiB (never one string of
 * the whole), which the caller can write to a socket one at a time.
 */
export class RdbPayloadWriter {
  readonly #reader: ValueReader;
  readonly #crc = new Crc64();
  readonly #pieces: string[] = [];
  readonly #bounds: ReadBounds = { maxElements: 8192, maxBytes: 256 * 1024, deadline: 0 };
  #pos = 0;
  #length = 0;
  #done = false;

  constructor(v: Value) {
    this.#reader = valueReader(v, RDB_ELEMENTS);
  }

  /** Writes until done or past `deadline` (`performance.now()`); true when the payload is complete. */
  step(deadline: number): boolean {
    if (this.#done) return true;
    const total = this.#reader.total;
    this.#bounds.deadline = deadline;
    do {
      const parts: string[] = [];
      this.#pos = this.#reader.write(parts, this.#pos, this.#bounds);
      const piece = parts.join('');
      this.#crc.update(piece);
      this.#pieces.push(piece);
      this.#length += piece.length;
    } while (this.#pos < total && performance.now() <= deadline);
    if (this.#pos < total) return false;
    this.#crc.update(RDB_VERSION_BYTES);
    const trailer = RDB_VERSION_BYTES + this.#crc.digest();
    this.#pieces.push(trailer);
    this.#length += trailer.length;
    this.#done = true;
    return true;
  }

  /** The payload in pieces, in order; only after `step` returned true. */
  get pieces(): readonly string[] {
    if (!this.#done) throw new Error('RDB payload not complete');
    return this.#pieces;
  }

  /** The payload's length in bytes (so far, until `step` returns true). */
  get length(): number {
    return this.#length;
  }
}

/**
 * `v` as a Redis DUMP payload. Collections use the plain RDB types (linked
 * list, set, sorted set with binary scores, hash), which every Redis since
 * 4.0 loads, converting them to its compact encodings by its own directives;
 * strings are written raw (no integer or LZF encoding, both optional).
 */
export function serializeRdb(v: Value): string {
  const parts: string[] = [];
  valueReader(v, RDB_ELEMENTS).write(parts, 0, UNBOUNDED);
  parts.push(RDB_VERSION_BYTES);
  const framed = parts.join('');
  return framed + crc64(framed);
}
