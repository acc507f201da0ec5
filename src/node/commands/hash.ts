/**
 * Hash commands (Redis 7.0 t_hash.c semantics). The value type and its
 * encodings are in ../types/hash.ts.
 */
import type { Client } from '../client.js';
import type { HandlerTable } from '../command-handler.js';
import { parseScanCursor, parseScanOptions, scanReply } from '../collection-scan.js';
import { NOT_FLOAT, NOT_INTEGER, RespError, SYNTAX, WRONGTYPE, WrongArityError } from '../errors.js';
import { matchGlob } from '../glob.js';
import { addLongDouble, formatLongDouble, INCR_NAN_INFINITY, parseLongDouble } from '../numbers.js';
import { MapReply, OK, type Reply } from '../resp/reply.js';
import { HashValue, type HashLimits } from '../types/hash.js';
import { isInt64Text } from '../values.js';

/*------------------------------------------------------------------------------
 * Hash helpers
 *----------------------------------------------------------------------------*/

export class HashValueNotIntegerError extends RespError {
  constructor() {
    super('ERR hash value is not an integer');
  }
}
export class HashValueNotFloatError extends RespError {
  constructor() {
    super('ERR hash value is not a float');
  }
}
export class IncrOverflowError extends RespError {
  constructor() {
    super('ERR increment or decrement would overflow');
  }
}
export class NanOrInfinityError extends RespError {
  constructor() {
    super('ERR value is NaN or Infinity');
  }
}
export class ValueOutOfRangeError extends RespError {
  constructor(detail = '') {
    super('ERR value is out of range' + detail);
  }
}

const HASH_NOT_INTEGER = new HashValueNotIntegerError();
const HASH_NOT_FLOAT = new HashValueNotFloatError();
const INCR_OVERFLOW = new IncrOverflowError();
const NAN_OR_INFINITY = new NanOrInfinityError();
const OUT_OF_RANGE = new ValueOutOfRangeError();
/** getRangeLongFromObjectOrReply(-LONG_MAX, LONG_MAX) without a custom message. */
export const OUT_OF_LONG_RANGE = new ValueOutOfRangeError(', value must between -9223372036854775807 and 9223372036854775807');

const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;
/** LONG_MAX / 2, HRANDFIELD's bound on a count WITHVALUES. */
const HALF_LONG_MAX = 4611686018427387903n;

/** Reused limits object, refilled from the config before each write. */
const LIMITS: { maxEntries: number; maxValue: number } = { maxEntries: 128, maxValue: 64 };

/** The listpack limits as the config says now (CONFIG SET affects later conversions). */
export function hashLimits(c: Client): HashLimits {
  LIMITS.maxEntries = c.server.config.getNumber('hash-max-listpack-entries');
  LIMITS.maxValue = c.server.config.getNumber('hash-max-listpack-value');
  return LIMITS;
}

/** The hash at `key`, undefined if absent; throws WRONGTYPE for other types. */
export function getHash(c: Client, key: string): HashValue | undefined {
  const v = c.db.get(key);
  if (v === undefined) return undefined;
  if (typeof v !== 'string' && v.type === 'hash') return v as HashValue;
  throw WRONGTYPE;
}

/**
 * Stores `h` after a write: a new hash is added to the keyspace (which
 * signals), an existing one is signalled as modified, an emptied one deleted.
 */
function commitHash(c: Client, key: string, h: HashValue, isNew: boolean): void {
  if (h.size === 0) {
    if (!isNew) c.db.delete(key);
  } else if (isNew) {
    c.db.set(key, h);
  } else {
    c.db.modified(key);
  }
}

/**
 * Parses a signed count within [-LONG_MAX, LONG_MAX] as a bigint (Redis's
 * getRangeLongFromObjectOrReply): not an integer → NOT_INTEGER, the one value
 * below the range → OUT_OF_LONG_RANGE.
 */
export function parseCount(text: string): bigint {
  if (!isInt64Text(text)) throw NOT_INTEGER;
  const n = BigInt(text);
  if (n === INT64_MIN) throw OUT_OF_LONG_RANGE;
  return n;
}

/** A uniformly random integer in [0, n). */
function randomIndex(n: number): number {
  return Math.floor(Math.random() * n);
}

/*------------------------------------------------------------------------------
 * Hash commands
 *----------------------------------------------------------------------------*/

function hsetGeneric(c: Client, args: string[], name: string): number {
  if (args.length % 2 !== 0) throw new WrongArityError(name);
  const key = args[1]!;
  const existing = getHash(c, key);
  const h = existing ?? new HashValue();
  const added = h.setMany(args, 2, hashLimits(c));
  commitHash(c, key, h, existing === undefined);
  return added;
}

export function hsetCommand(c: Client, args: string[]): Reply {
  return hsetGeneric(c, args, 'hset');
}

export function hmsetCommand(c: Client, args: string[]): Reply {
  hsetGeneric(c, args, 'hmset');
  return OK;
}

export function hsetnxCommand(c: Client, args: string[]): Reply {
  const key = args[1]!;
  const existing = getHash(c, key);
  if (existing !== undefined && existing.has(args[2]!)) return 0;
  const h = existing ?? new HashValue();
  h.set(args[2]!, args[3]!, hashLimits(c));
  commitHash(c, key, h, existing === undefined);
  return 1;
}

export function hgetCommand(c: Client, args: string[]): Reply {
  const h = getHash(c, args[1]!);
  return h === undefined ? null : (h.get(args[2]!) ?? null);
}

export function hmgetCommand(c: Client, args: string[]): Reply {
  const h = getHash(c, args[1]!);
  const out: Reply[] = new Array(args.length - 2);
  for (let i = 2; i < args.length; i++) out[i - 2] = h === undefined ? null : (h.get(args[i]!) ?? null);
  return out;
}

export function hgetallCommand(c: Client, args: string[]): Reply {
  const h = getHash(c, args[1]!);
  return new MapReply(h === undefined ? [] : h.flat());
}

export function hkeysCommand(c: Client, args: string[]): Reply {
  const h = getHash(c, args[1]!);
  return h === undefined ? [] : h.flat(true, false);
}

export function hvalsCommand(c: Client, args: string[]): Reply {
  const h = getHash(c, args[1]!);
  return h === undefined ? [] : h.flat(false, true);
}

export function hdelCommand(c: Client, args: string[]): Reply {
  const key = args[1]!;
  const h = getHash(c, key);
  if (h === undefined) return 0;
  let deleted = 0;
  for (let i = 2; i < args.length; i++) {
    if (h.delete(args[i]!)) {
      deleted++;
      if (h.size === 0) break;
    }
  }
  if (deleted > 0) commitHash(c, key, h, false);
  return deleted;
}

export function hexistsCommand(c: Client, args: string[]): Reply {
  const h = getHash(c, args[1]!);
  return h !== undefined && h.has(args[2]!) ? 1 : 0;
}

export function hlenCommand(c: Client, args: string[]): Reply {
  return getHash(c, args[1]!)?.size ?? 0;
}

export function hstrlenCommand(c: Client, args: string[]): Reply {
  return getHash(c, args[1]!)?.valueLength(args[2]!) ?? 0;
}

export function hincrbyCommand(c: Client, args: string[]): Reply {
  const incrText = args[3]!;
  if (!isInt64Text(incrText)) throw NOT_INTEGER;
  const key = args[1]!;
  const existing = getHash(c, key);
  const field = args[2]!;
  const cur = existing?.get(field);
  let value = 0n;
  if (cur !== undefined) {
    if (!isInt64Text(cur)) throw HASH_NOT_INTEGER;
    value = BigInt(cur);
  }
  const result = value + BigInt(incrText);
  if (result > INT64_MAX || result < INT64_MIN) throw INCR_OVERFLOW;
  const h = existing ?? new HashValue();
  const text = String(result);
  h.set(field, text, hashLimits(c));
  commitHash(c, key, h, existing === undefined);
  return result >= -9007199254740991n && result <= 9007199254740991n ? Number(result) : result;
}

export function hincrbyfloatCommand(c: Client, args: string[]): Reply {
  const incr = parseLongDouble(args[3]!);
  if (incr === undefined) throw NOT_FLOAT;
  if (!incr.isFinite()) throw NAN_OR_INFINITY;
  const key = args[1]!;
  const existing = getHash(c, key);
  const field = args[2]!;
  const cur = existing?.get(field);
  let sum = incr;
  if (cur !== undefined) {
    const value = parseLongDouble(cur);
    if (value === undefined) throw HASH_NOT_FLOAT;
    sum = addLongDouble(value, incr);
  }
  if (!sum.isFinite()) throw INCR_NAN_INFINITY;
  const text = formatLongDouble(sum);
  const h = existing ?? new HashValue();
  h.set(field, text, hashLimits(c));
  commitHash(c, key, h, existing === undefined);
  return text;
}

/**
 * HRANDFIELD key [count [WITHVALUES]]. Without a count: one random field or
 * null. With a count (as Redis 7.0's hrandfieldWithCountCommand):
 * - negative: |count| fields drawn independently (repeats possible);
 * - count >= size: the whole hash in its encoding order;
 * - otherwise: `count` distinct fields in random order.
 * WITHVALUES replies pairs: flat in RESP2, `[field, value]` arrays in RESP3.
 */
export function hrandfieldCommand(c: Client, args: string[]): Reply {
  if (args.length === 2) {
    const h = getHash(c, args[1]!);
    if (h === undefined) return null;
    return h.entryAt(randomIndex(h.size))[0];
  }
  const count = parseCount(args[2]!);
  if (args.length > 4 || (args.length === 4 && args[3]!.toLowerCase() !== 'withvalues')) throw SYNTAX;
  const withValues = args.length === 4;
  if (withValues && (count > HALF_LONG_MAX || count < -HALF_LONG_MAX)) throw OUT_OF_RANGE;
  const h = getHash(c, args[1]!);
  if (h === undefined || count === 0n) return [];
  const size = h.size;
  const out: Reply[] = [];
  const push = (f: string, v: string): void => {
    if (!withValues) out.push(f);
    else if (c.proto === 3) out.push([f, v]);
    else out.push(f, v);
  };
  if (count < 0n) {
    const n = Number(-count);
    if (h.isCompact) {
      // One pass to index the listpack, then O(1) draws.
      const flat = h.flat();
      for (let i = 0; i < n; i++) {
        const j = randomIndex(size) * 2;
        push(flat[j]!, flat[j + 1]!);
      }
    } else {
      for (let i = 0; i < n; i++) {
        const [f, v] = h.entryAt(randomIndex(size));
        push(f, v);
      }
    }
    return out;
  }
  if (count >= BigInt(size)) {
    h.forEach(push);
    return out;
  }
  // Distinct fields: a partial Fisher-Yates shuffle over positions.
  const n = Number(count);
  const flat = h.isCompact ? h.flat() : undefined;
  const picks = pickDistinct(size, n);
  for (const i of picks) {
    if (flat !== undefined) push(flat[i * 2]!, flat[i * 2 + 1]!);
    else {
      const [f, v] = h.entryAt(i);
      push(f, v);
    }
  }
  return out;
}

/** `n` distinct random integers in [0, size), n < size, in random order; O(n) expected. */
export function pickDistinct(size: number, n: number): number[] {
  const out: number[] = [];
  if (n * 2 > size) {
    const all = new Array<number>(size);
    for (let i = 0; i < size; i++) all[i] = i;
    for (let i = 0; i < n; i++) {
      const j = i + randomIndex(size - i);
      const t = all[i]!;
      all[i] = all[j]!;
      all[j] = t;
      out.push(all[i]!);
    }
    return out;
  }
  const seen = new Set<number>();
  while (out.length < n) {
    const j = randomIndex(size);
    if (!seen.has(j)) {
      seen.add(j);
      out.push(j);
    }
  }
  return out;
}

/**
 * HSCAN key cursor [MATCH pattern] [COUNT count]. As Redis: the cursor is
 * checked first, then the key (a missing key is an empty scan, before any
 * option is parsed), then the options. A listpack hash is returned whole
 * with cursor 0; a hashtable is walked with the DenseMap cursor.
 */
export function hscanCommand(c: Client, args: string[]): Reply {
  const cursor = parseScanCursor(args[2]!);
  const h = getHash(c, args[1]!);
  if (h === undefined) return scanReply(0, []);
  const { pattern, count } = parseScanOptions(args, 3);
  const items: Reply[] = [];
  const visit = (f: string, v: string): void => {
    if (pattern === undefined || matchGlob(pattern, f)) items.push(f, v);
  };
  const table = h.table;
  if (table === undefined) {
    h.forEach(visit);
    return scanReply(0, items);
  }
  return scanReply(table.scan(cursor, count, visit), items);
}

export const HASH_HANDLERS: HandlerTable = {
  hset: hsetCommand,
  hsetnx: hsetnxCommand,
  hmset: hmsetCommand,
  hget: hgetCommand,
  hmget: hmgetCommand,
  hgetall: hgetallCommand,
  hdel: hdelCommand,
  hexists: hexistsCommand,
  hlen: hlenCommand,
  hstrlen: hstrlenCommand,
  hkeys: hkeysCommand,
  hvals: hvalsCommand,
  hincrby: hincrbyCommand,
  hincrbyfloat: hincrbyfloatCommand,
  hrandfield: hrandfieldCommand,
  hscan: hscanCommand,
};
