/**
 * Our own value payloads: the node-to-node format of MIGRATE and of its
 * chunked transfer, and what DUMP answered before it answered Redis's RDB
 * format (`rdb-payload.ts`); RESTORE reads both.
 *
 * The payload is ours, not Redis's RDB, but it is framed the way Redis frames
 * it, so that a truncated or altered payload is refused with Redis's errors:
 *
 *   +-----+------------------+-----------------+--------------------+
 *   | tag | body             | version (2, LE) | CRC-64 (8, LE)     |
 *   +-----+------------------+-----------------+--------------------+
 *
 * - `tag` (1 byte) names the value type (`DUMP_TAGS`, the same numbers as
 *   Redis's RDB object types for string/list/set/zset/hash).
 * - `body` is the codec's serialization of the value (any length).
 * - `version` is `DUMP_VERSION`. Its high byte is 'S' (0x53), so real Redis
 *   (RDB versions up to 12) refuses our payloads. RESTORE reads Redis's own
 *   payloads (RDB versions 1 to 12) through `rdb-payload.ts`.
 * - The checksum is CRC-64/Jones (reflected, polynomial 0xad93d23594c935a9,
 *   the one Redis uses) over everything before it.
 *
 * Checking order is Redis's: a payload shorter than the trailer, a foreign
 * version or a wrong checksum gives "ERR DUMP payload version or checksum are
 * wrong"; a well-framed payload whose tag is unknown or whose body the codec
 * refuses gives "ERR Bad data format".
 *
 * Each value type registers a codec here (`registerDumpCodec`); strings are
 * built in. Codecs turn a value into latin1 bytes and back, and must reject
 * malformed input by returning undefined. A codec that throws anyway is
 * treated as having refused the body: random bytes never crash the node.
 */
import { RespError } from './errors.js';
import type { TypeName, Value } from './values.js';

export interface DumpCodec {
  /** One-byte tag written before the body. */
  readonly tag: number;
  readonly type: TypeName;
  encode(v: Value): string;
  /** Returns undefined for a malformed body. */
  decode(body: string): Value | undefined;
}

/** Fixed tags, one per type. */
export const DUMP_TAGS = { string: 0, list: 1, set: 2, zset: 3, hash: 4 } as const;

/** Format version written in every payload ('S' then 1). */
export const DUMP_VERSION = 0x5301;

/** Bytes after the body: 2 of version, 8 of checksum. */
export const DUMP_TRAILER = 10;

const CODECS_BY_TAG = new Map<number, DumpCodec>();
const CODECS_BY_TYPE = new Map<TypeName, DumpCodec>();

export function registerDumpCodec(codec: DumpCodec): void {
  CODECS_BY_TAG.set(codec.tag, codec);
  CODECS_BY_TYPE.set(codec.type, codec);
}

export function dumpCodecForType(type: TypeName): DumpCodec | undefined {
  return CODECS_BY_TYPE.get(type);
}

export function dumpCodecForTag(tag: number): DumpCodec | undefined {
  return CODECS_BY_TAG.get(tag);
}

registerDumpCodec({
  tag: DUMP_TAGS.string,
  type: 'string',
  encode: (v) => v as string,
  decode: (body) => body,
});

/*------------------------------------------------------------------------------
 * CRC-64/Jones
 *----------------------------------------------------------------------------*/

/*
 * Table-driven, reflected, one byte at a time. The 64-bit state is kept as
 * two unsigned 32-bit halves so no BigInt is allocated per byte. The table
 * holds the reflected polynomial 0x95ac9329ac4bc9b5 applied to each byte.
 */
const CRC_HI = new Uint32Array(256);
const CRC_LO = new Uint32Array(256);
{
  const POLY_HI = 0x95ac9329;
  const POLY_LO = 0xac4bc9b5;
  for (let n = 0; n < 256; n++) {
    let hi = 0;
    let lo = n;
    for (let k = 0; k < 8; k++) {
      const lsb = lo & 1;
      lo = ((lo >>> 1) | ((hi & 1) << 31)) >>> 0;
      hi = hi >>> 1;
      if (lsb) {
        hi = (hi ^ POLY_HI) >>> 0;
        lo = (lo ^ POLY_LO) >>> 0;
      }
    }
    CRC_HI[n] = hi;
    CRC_LO[n] = lo;
  }
}

/** A CRC-64/Jones computed over several pieces (a payload built over several event-loop turns). */
export class Crc64 {
  #hi = 0;
  #lo = 0;

  /** Adds the latin1 bytes `s[from..to)`. */
  update(s: string, from = 0, to = s.length): void {
    let hi = this.#hi;
    let lo = this.#lo;
    for (let i = from; i < to; i++) {
      const idx = (lo ^ s.charCodeAt(i)) & 0xff;
      lo = (((lo >>> 8) | ((hi & 0xff) << 24)) ^ CRC_LO[idx]!) >>> 0;
      hi = ((hi >>> 8) ^ CRC_HI[idx]!) >>> 0;
    }
    this.#hi = hi;
    this.#lo = lo;
  }

  /** The CRC of everything added, as 8 little-endian bytes (a latin1 string), the way Redis appends it to a DUMP payload. */
  digest(): string {
    const hi = this.#hi;
    const lo = this.#lo;
    return (
      String.fromCharCode(lo & 0xff, (lo >>> 8) & 0xff, (lo >>> 16) & 0xff, lo >>> 24) +
      String.fromCharCode(hi & 0xff, (hi >>> 8) & 0xff, (hi >>> 16) & 0xff, hi >>> 24)
    );
  }
}

/** CRC-64/Jones of the latin1 bytes `s[from..to)`, as `Crc64.digest` gives it. */
export function crc64(s: string, from = 0, to = s.length): string {
  const c = new Crc64();
  c.update(s, from, to);
  return c.digest();
}

/*------------------------------------------------------------------------------
 * Payloads
 *----------------------------------------------------------------------------*/

export class DumpPayloadError extends RespError {
  constructor() {
    super('ERR DUMP payload version or checksum are wrong');
  }
}

export class BadDataFormatError extends RespError {
  constructor() {
    super('ERR Bad data format');
  }
}

export const DUMP_PAYLOAD_ERROR = new DumpPayloadError();
export const BAD_DATA_FORMAT = new BadDataFormatError();

/**
 * The framed payload of `v` (latin1 bytes). Throws an Error (not a RespError)
 * if no codec is registered for the value's type: a programming error.
 */
export function serializeValue(v: Value): string {
  const type: TypeName = typeof v === 'string' ? 'string' : v.type;
  const codec = CODECS_BY_TYPE.get(type);
  if (codec === undefined) throw new Error(`Cannot serialize a ${type} value as no DUMP codec is registered for it`);
  return framePayload(codec.tag, codec.encode(v));
}

/**
 * Frames `body` under `tag` as a payload (tag, body, version, CRC-64). Used
 * for whole values and for the chunks of a chunked MIGRATE
 * (./cluster/chunk-codec.ts), which are checked the same way.
 */
export function framePayload(tag: number, body: string): string {
  const framed = String.fromCharCode(tag) + body + String.fromCharCode(DUMP_VERSION & 0xff, DUMP_VERSION >>> 8);
  return framed + crc64(framed);
}

/**
 * The tag and body of a framed payload (`framePayload`'s inverse), without
 * decoding the body. Throws `DUMP_PAYLOAD_ERROR` for a bad frame and
 * `BAD_DATA_FORMAT` for a frame with no tag.
 */
export function unframePayload(payload: string): { tag: number; body: string } {
  if (!verifyPayload(payload)) throw DUMP_PAYLOAD_ERROR;
  if (payload.length <= DUMP_TRAILER) throw BAD_DATA_FORMAT;
  return { tag: payload.charCodeAt(0), body: payload.slice(1, payload.length - DUMP_TRAILER) };
}

/** The version field of a framed payload (at least DUMP_TRAILER bytes long): ours, or Redis's RDB version. */
export function payloadVersion(payload: string): number {
  const n = payload.length;
  return payload.charCodeAt(n - 10) | (payload.charCodeAt(n - 9) << 8);
}

/** True if the last 8 bytes of `payload` (at least DUMP_TRAILER bytes long) are the CRC-64 of the rest. */
export function checksumMatches(payload: string): boolean {
  const n = payload.length;
  return crc64(payload, 0, n - 8) === payload.slice(n - 8);
}

/** True if `payload` carries our version and a correct checksum (Redis's verifyDumpPayload). */
export function verifyPayload(payload: string): boolean {
  if (payload.length < DUMP_TRAILER) return false;
  if (payloadVersion(payload) !== DUMP_VERSION) return false;
  return checksumMatches(payload);
}

/**
 * The value a payload encodes. Throws `DUMP_PAYLOAD_ERROR` for a bad frame
 * (too short, other version, wrong checksum) and `BAD_DATA_FORMAT` for an
 * unknown tag, a body its codec refuses, or an empty collection. Never
 * throws anything else.
 */
export function deserializeValue(payload: string): Value {
  if (!verifyPayload(payload)) throw DUMP_PAYLOAD_ERROR;
  // A frame that passed verification has at least the tag byte only if
  // longer than the trailer.
  if (payload.length <= DUMP_TRAILER) throw BAD_DATA_FORMAT;
  const codec = CODECS_BY_TAG.get(payload.charCodeAt(0));
  if (codec === undefined) throw BAD_DATA_FORMAT;
  let v: Value | undefined;
  try {
    v = codec.decode(payload.slice(1, payload.length - DUMP_TRAILER));
  } catch {
    v = undefined;
  }
  if (v === undefined) throw BAD_DATA_FORMAT;
  if (typeof v !== 'string' && (v.type !== codec.type || v.size === 0)) throw BAD_DATA_FORMAT;
  return v;
}

