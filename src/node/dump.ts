/**
 * DUMP / RESTORE payloads (and the node-to-node format of MIGRATE).
 *
 * The payload is ours, not Redis's RDB, but it is framed the way Redis frames
 * it: a type tag and the serialized value, then a 2-byte format version and
 * a checksum, so that a truncated or altered payload is refused with
 * Redis's error text.
 *
 * Each value type registers a codec here (`registerDumpCodec`); strings are
 * built in. Codecs turn a value into latin1 bytes and back, and must reject
 * malformed input by returning undefined (never throw, never crash).
 */
import type { CollectionValue, TypeName, Value } from './values.js';

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

export type { CollectionValue };
