/**
 * Generic keyspace commands: deleting, inspecting, renaming, copying and
 * moving keys, TTLs, iteration (KEYS, SCAN, RANDOMKEY), OBJECT and
 * DUMP/RESTORE. Semantics and error texts are Redis 7.0's (db.c, expire.c,
 * object.c, cluster.c for DUMP/RESTORE).
 *
 * SELECT, SWAPDB, FLUSHDB, FLUSHALL and DBSIZE live with the server commands.
 */
import { signalKeyReady } from '../blocking.js';
import type { Client } from '../client.js';
import type { HandlerTable } from '../command-handler.js';
import { deserializeAnyPayload, serializeRdb } from '../rdb-payload.js';
import { NOT_INTEGER, NO_SUCH_KEY, RespError, SYNTAX } from '../errors.js';
import { matchGlob } from '../glob.js';
import type { Database } from '../keyspace.js';
import { OK, SimpleString, type Reply } from '../resp/reply.js';
import { isInt64Text, stringEncoding, typeOf, type Value } from '../values.js';

/*------------------------------------------------------------------------------
 * Errors of this group (text byte for byte Redis's)
 *----------------------------------------------------------------------------*/

export class InvalidExpireTimeError extends RespError {
  /** `command` is the lower-case command name, as Redis quotes it. */
  constructor(command: string) {
    super(`ERR invalid expire time in '${command}' command`);
  }
}

const NX_XX_GT_LT = new RespError('ERR NX and XX, GT or LT options at the same time are not compatible');
const GT_LT = new RespError('ERR GT and LT options at the same time are not compatible');
const SAME_OBJECT = new RespError('ERR source and destination objects are the same');
const DB_OUT_OF_RANGE = new RespError('ERR DB index is out of range');
const INVALID_CURSOR = new RespError('ERR invalid cursor');
const BUSY_KEY = new RespError('BUSYKEY Target key name already exists.');
const MOVE_IN_CLUSTER = new RespError('ERR MOVE is not allowed in cluster mode');
const COPY_DB_IN_CLUSTER = new RespError('ERR Copying to another database is not allowed in cluster mode');
const NOT_LFU = new RespError(
  'ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.',
);
const IS_LFU = new RespError(
  'ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.',
);

/*------------------------------------------------------------------------------
 * Helpers
 *----------------------------------------------------------------------------*/

const LLONG_MAX = 9223372036854775807n;
const LLONG_MIN = -9223372036854775808n;
const INT_MAX = 2147483647;
const INT_MIN = -2147483648;
const ULONG_MAX = 18446744073709551615n;

/** `s` as a signed 64-bit integer (Redis's string2ll), or undefined. */
function parseInt64(s: string): bigint | undefined {
  return isInt64Text(s) ? BigInt(s) : undefined;
}

const INT_RANGE = new RespError(`ERR value is out of range, value must between ${INT_MIN} and ${INT_MAX}`);

/** `s` as a C int (Redis's getIntFromObjectOrReply); throws NOT_INTEGER or INT_RANGE. */
function parseIntArg(s: string): number {
  const n = parseInt64(s);
  if (n === undefined) throw NOT_INTEGER;
  if (n > BigInt(INT_MAX) || n < BigInt(INT_MIN)) throw INT_RANGE;
  return Number(n);
}

/** `s` as a 64-bit integer; throws NOT_INTEGER. */
function parseLongArg(s: string): bigint {
  const n = parseInt64(s);
  if (n === undefined) throw NOT_INTEGER;
  return n;
}

/**
 * A SCAN cursor as Redis parses it (strtoul, base 10): optional sign, then
 * digits; a leading space, trailing garbage or a value outside 64 bits is
 * "ERR invalid cursor". As with strtoul, "-N" wraps to 2^64 - N and the empty
 * string is cursor 0.
 */
export function parseScanCursor(s: string): bigint {
  let i = 0;
  let negative = false;
  if (s.length === 0) return 0n;
  const c0 = s.charCodeAt(0);
  if (c0 === 0x2d || c0 === 0x2b) {
    negative = c0 === 0x2d;
    i = 1;
  }
  if (i === s.length) throw INVALID_CURSOR;
  for (let j = i; j < s.length; j++) {
    const c = s.charCodeAt(j);
    if (c < 0x30 || c > 0x39) throw INVALID_CURSOR;
  }
  const v = BigInt(s.slice(i));
  if (v > ULONG_MAX) throw INVALID_CURSOR;
  return negative && v !== 0n ? ULONG_MAX + 1n - v : v;
}

/** The database numbered `arg` (MOVE, COPY DB); throws NOT_INTEGER or DB_OUT_OF_RANGE. */
function dbByIndexArg(c: Client, arg: string): Database {
  const id = parseIntArg(arg);
  const db = id >= 0 ? c.server.dbs[id] : undefined;
  if (db === undefined) throw DB_OUT_OF_RANGE;
  return db;
}

function clusterEnabled(c: Client): boolean {
  return c.server.config.getBool('cluster-enabled');
}

/** A deep copy of a value (strings are immutable and shared). */
function copyValue(v: Value): Value {
  return typeof v === 'string' ? v : v.clone();
}

/** Keeps every database's access tracking in line with `maxmemory-policy`. */
function syncAccessPolicy(c: Client): void {
  const policy = c.server.config.getString('maxmemory-policy');
  for (const db of c.server.dbs) db.setAccessPolicy(policy);
}

/*------------------------------------------------------------------------------
 * Deleting and inspecting keys
 *----------------------------------------------------------------------------*/

/** DEL and UNLINK: deletes each key; replies with how many existed. */
function delGeneric(c: Client, args: string[]): Reply {
  let n = 0;
  for (let i = 1; i < args.length; i++) if (c.db.delete(args[i]!)) n++;
  return n;
}

export function delCommand(c: Client, args: string[]): Reply {
  return delGeneric(c, args);
}

/** As DEL: values are freed by the garbage collector, never on the command path anyway. */
export function unlinkCommand(c: Client, args: string[]): Reply {
  return delGeneric(c, args);
}

/** Counts the keys that exist; a key named twice counts twice. */
export function existsCommand(c: Client, args: string[]): Reply {
  let n = 0;
  for (let i = 1; i < args.length; i++) if (c.db.has(args[i]!)) n++;
  return n;
}

export function typeCommand(c: Client, args: string[]): Reply {
  const v = c.db.peek(args[1]!);
  return new SimpleString(v === undefined ? 'none' : typeOf(v));
}

export function touchCommand(c: Client, args: string[]): Reply {
  let n = 0;
  for (let i = 1; i < args.length; i++) if (c.db.touch(args[i]!)) n++;
  return n;
}

/*------------------------------------------------------------------------------
 * Expiry
 *----------------------------------------------------------------------------*/

const EXPIRE_NX = 1;
const EXPIRE_XX = 2;
const EXPIRE_GT = 4;
const EXPIRE_LT = 8;

/** Parses EXPIRE's NX/XX/GT/LT options from `args[3..]`; throws their errors. */
function parseExpireFlags(args: string[]): number {
  let flags = 0;
  for (let i = 3; i < args.length; i++) {
    const o = args[i]!.toLowerCase();
    if (o === 'nx') flags |= EXPIRE_NX;
    else if (o === 'xx') flags |= EXPIRE_XX;
    else if (o === 'gt') flags |= EXPIRE_GT;
    else if (o === 'lt') flags |= EXPIRE_LT;
    else throw new RespError(`ERR Unsupported option ${args[i]!}`);
  }
  if (flags & EXPIRE_NX && flags & (EXPIRE_XX | EXPIRE_GT | EXPIRE_LT)) throw NX_XX_GT_LT;
  if (flags & EXPIRE_GT && flags & EXPIRE_LT) throw GT_LT;
  return flags;
}

/**
 * EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT (Redis's expireGenericCommand).
 * `basetime` is added to the argument (now for relative forms, 0 for the
 * absolute ones) and `seconds` says whether the argument is in seconds.
 *
 * Replies 0 if the key does not exist or an option refuses the change
 * (NX: already has a TTL; XX: has none; GT/LT: the new time is not
 * greater/less, a key without TTL counting as an infinite TTL), else 1.
 * A time already past deletes the key (and still replies 1). Overflowing
 * 64 bits on the unit conversion or the addition is "invalid expire time".
 */
function expireGeneric(c: Client, args: string[], basetime: number, seconds: boolean): Reply {
  const key = args[1]!;
  const flags = args.length > 3 ? parseExpireFlags(args) : 0;
  let when = parseLongArg(args[2]!);
  if (seconds) {
    if (when > LLONG_MAX / 1000n || when < LLONG_MIN / 1000n) throw new InvalidExpireTimeError(args[0]!.toLowerCase());
    when *= 1000n;
  }
  const base = BigInt(basetime);
  if (when > LLONG_MAX - base) throw new InvalidExpireTimeError(args[0]!.toLowerCase());
  when += base;
  const db = c.db;
  if (db.get(key) === undefined) return 0;
  // Times beyond 2^53 ms (year 287396) lose precision when stored as a number.
  const at = Number(when);
  if (flags !== 0) {
    const current = db.getExpire(key);
    if (flags & EXPIRE_NX && current !== undefined) return 0;
    if (flags & EXPIRE_XX && current === undefined) return 0;
    if (flags & EXPIRE_GT && (current === undefined || at <= current)) return 0;
    if (flags & EXPIRE_LT && current !== undefined && at >= current) return 0;
  }
  if (at <= c.server.clock.now()) {
    db.delete(key);
    return 1;
  }
  db.setExpire(key, at);
  db.modified(key);
  return 1;
}

export function expireCommand(c: Client, args: string[]): Reply {
  return expireGeneric(c, args, c.server.clock.now(), true);
}

export function pexpireCommand(c: Client, args: string[]): Reply {
  return expireGeneric(c, args, c.server.clock.now(), false);
}

export function expireatCommand(c: Client, args: string[]): Reply {
  return expireGeneric(c, args, 0, true);
}

export function pexpireatCommand(c: Client, args: string[]): Reply {
  return expireGeneric(c, args, 0, false);
}

/**
 * TTL, PTTL, EXPIRETIME, PEXPIRETIME: -2 for a missing key, -1 for a key
 * without TTL, else the remaining time (`absolute`: the expiry time), in
 * ms or rounded to the nearest second.
 */
function ttlGeneric(c: Client, key: string, ms: boolean, absolute: boolean): Reply {
  const db = c.db;
  if (db.peek(key) === undefined) return -2;
  const at = db.getExpire(key);
  if (at === undefined) return -1;
  let t = absolute ? at : at - c.server.clock.now();
  if (t < 0) t = 0;
  return ms ? t : Math.floor((t + 500) / 1000);
}

export function ttlCommand(c: Client, args: string[]): Reply {
  return ttlGeneric(c, args[1]!, false, false);
}

export function pttlCommand(c: Client, args: string[]): Reply {
  return ttlGeneric(c, args[1]!, true, false);
}

export function expiretimeCommand(c: Client, args: string[]): Reply {
  return ttlGeneric(c, args[1]!, false, true);
}

export function pexpiretimeCommand(c: Client, args: string[]): Reply {
  return ttlGeneric(c, args[1]!, true, true);
}

export function persistCommand(c: Client, args: string[]): Reply {
  const key = args[1]!;
  const db = c.db;
  if (db.get(key) === undefined || !db.removeExpire(key)) return 0;
  db.modified(key);
  return 1;
}

/*------------------------------------------------------------------------------
 * Renaming, copying and moving keys
 *----------------------------------------------------------------------------*/

/**
 * RENAME and RENAMENX: moves the value and TTL of `src` to `dst`,
 * overwriting `dst` (unless `nx`, which then replies 0). A missing `src`
 * is "ERR no such key"; renaming a key to itself changes nothing.
 */
function renameGeneric(c: Client, args: string[], nx: boolean): Reply {
  const src = args[1]!;
  const dst = args[2]!;
  const db = c.db;
  const v = db.get(src);
  if (v === undefined) throw NO_SUCH_KEY;
  if (src === dst) return nx ? 0 : OK;
  if (db.get(dst) !== undefined) {
    if (nx) return 0;
    db.delete(dst);
  }
  const at = db.getExpire(src);
  db.delete(src);
  db.set(dst, v);
  if (at !== undefined) db.setExpire(dst, at);
  signalKeyReady(db, dst);
  return nx ? 1 : OK;
}

export function renameCommand(c: Client, args: string[]): Reply {
  return renameGeneric(c, args, false);
}

export function renamenxCommand(c: Client, args: string[]): Reply {
  return renameGeneric(c, args, true);
}

/**
 * COPY source destination [DB n] [REPLACE]: stores a deep copy of the value
 * (and its TTL) under `destination`, in database `n` if given. Replies 1, or
 * 0 if the source is missing or the destination exists without REPLACE.
 */
export function copyCommand(c: Client, args: string[]): Reply {
  const src = c.db;
  let dst = src;
  let replace = false;
  for (let i = 3; i < args.length; i++) {
    const o = args[i]!.toLowerCase();
    if (o === 'replace') {
      replace = true;
    } else if (o === 'db' && i + 1 < args.length) {
      dst = dbByIndexArg(c, args[++i]!);
    } else {
      throw SYNTAX;
    }
  }
  if (clusterEnabled(c) && (src.id !== 0 || dst.id !== 0)) throw COPY_DB_IN_CLUSTER;
  const key = args[1]!;
  const newKey = args[2]!;
  if (src === dst && key === newKey) throw SAME_OBJECT;
  const v = src.get(key);
  if (v === undefined) return 0;
  const at = src.getExpire(key);
  if (dst.get(newKey) !== undefined) {
    if (!replace) return 0;
    dst.delete(newKey);
  }
  dst.set(newKey, copyValue(v));
  if (at !== undefined) dst.setExpire(newKey, at);
  signalKeyReady(dst, newKey);
  return 1;
}

/** MOVE key db: moves the key with its TTL; 0 if missing here or present there. */
export function moveCommand(c: Client, args: string[]): Reply {
  if (clusterEnabled(c)) throw MOVE_IN_CLUSTER;
  const src = c.db;
  const dst = dbByIndexArg(c, args[2]!);
  if (src === dst) throw SAME_OBJECT;
  const key = args[1]!;
  const v = src.get(key);
  if (v === undefined) return 0;
  const at = src.getExpire(key);
  if (dst.get(key) !== undefined) return 0;
  dst.set(key, v);
  if (at !== undefined) dst.setExpire(key, at);
  src.delete(key);
  signalKeyReady(dst, key);
  return 1;
}

/*------------------------------------------------------------------------------
 * Iterating the keyspace
 *----------------------------------------------------------------------------*/

/** KEYS pattern: every live key matching; O(N) over the database. */
export function keysCommand(c: Client, args: string[]): Reply {
  const pattern = args[1]!;
  const all = pattern === '*';
  const db = c.db;
  const now = c.server.clock.now();
  const expires = db.expires;
  const out: string[] = [];
  for (const [key] of db.entries()) {
    if (expires.size !== 0) {
      const at = expires.get(key);
      if (at !== undefined && at <= now) continue;
    }
    if (all || matchGlob(pattern, key)) out.push(key);
  }
  return out;
}

/**
 * SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]. The cursor is
 * checked first, then the options (COUNT < 1 is a syntax error). TYPE is
 * compared case-insensitively with the type name; an unknown name matches
 * nothing, as in Redis. See `Database.scan` for the iteration guarantee.
 */
export function scanCommand(c: Client, args: string[]): Reply {
  const cursor = parseScanCursor(args[1]!);
  let count = 10;
  let pattern: string | undefined;
  let type: string | undefined;
  for (let i = 2; i < args.length; i += 2) {
    const o = args[i]!.toLowerCase();
    const more = i + 1 < args.length;
    if (o === 'count' && more) {
      const n = parseLongArg(args[i + 1]!);
      if (n < 1n) throw SYNTAX;
      count = n > 1_000_000_000n ? 1_000_000_000 : Number(n);
    } else if (o === 'match' && more) {
      pattern = args[i + 1]!;
      if (pattern === '*') pattern = undefined;
    } else if (o === 'type' && more) {
      type = args[i + 1]!.toLowerCase();
    } else {
      throw SYNTAX;
    }
  }
  let filter: ((key: string, v: Value) => boolean) | undefined;
  if (pattern !== undefined || type !== undefined) {
    const p = pattern;
    const t = type;
    filter = (key, v) => (p === undefined || matchGlob(p, key)) && (t === undefined || typeOf(v) === t);
  }
  const [next, keys] = c.db.scan(cursor, count, filter);
  return [next, keys];
}

export function randomkeyCommand(c: Client, _args: string[]): Reply {
  return c.db.randomKey() ?? null;
}

/*------------------------------------------------------------------------------
 * OBJECT
 *----------------------------------------------------------------------------*/

/** Redis shares the objects of the integers 0..9999 (OBJ_SHARED_INTEGERS). */
const SHARED_INTEGERS = 10000;
const SHARED_REFCOUNT = 2147483647;

export function objectEncodingCommand(c: Client, args: string[]): Reply {
  const v = c.db.peek(args[2]!);
  if (v === undefined) return null;
  return typeof v === 'string' ? stringEncoding(v) : v.encoding();
}

/**
 * Redis reports INT_MAX for its shared integer objects (0..9999, unless an
 * LRU/LFU policy with maxmemory disables sharing) and 1 for anything else.
 */
export function objectRefcountCommand(c: Client, args: string[]): Reply {
  const v = c.db.peek(args[2]!);
  if (v === undefined) return null;
  if (typeof v !== 'string' || v.length > 4 || stringEncoding(v) !== 'int') return 1;
  const sharing = c.server.config.getNumber('maxmemory') === 0 || c.db.accessMode === 'none';
  const n = Number(v);
  return sharing && n >= 0 && n < SHARED_INTEGERS ? SHARED_REFCOUNT : 1;
}

/**
 * Seconds since the key was last accessed. Tracked only under an LRU
 * policy (see keyspace.ts); under other non-LFU policies Shardis keeps no
 * per-key time at all and answers 0. Under an LFU policy: Redis's error.
 */
export function objectIdletimeCommand(c: Client, args: string[]): Reply {
  syncAccessPolicy(c);
  const key = args[2]!;
  if (c.db.peek(key) === undefined) return null;
  if (c.db.accessMode === 'lfu') throw IS_LFU;
  return Math.floor(c.db.idleMs(key) / 1000);
}

/** The key's logarithmic access counter; Redis's error unless an LFU policy is set. */
export function objectFreqCommand(c: Client, args: string[]): Reply {
  syncAccessPolicy(c);
  const key = args[2]!;
  if (c.db.peek(key) === undefined) return null;
  if (c.db.accessMode !== 'lfu') throw NOT_LFU;
  return c.db.lfuFrequency(key);
}

const OBJECT_HELP = [
  'OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'ENCODING <key>',
  '    Return the kind of internal representation used in order to store the value',
  '    associated with a <key>.',
  'FREQ <key>',
  '    Return the access frequency index of the <key>. The returned integer is',
  '    proportional to the logarithm of the recent access frequency of the key.',
  'IDLETIME <key>',
  '    Return the idle time of the <key>, that is the approximated number of',
  '    seconds elapsed since the last access to the key.',
  'REFCOUNT <key>',
  '    Return the number of references of the value associated with the specified',
  '    <key>.',
  'HELP',
  '    Prints this help.',
].map((l) => new SimpleString(l));

export function objectHelpCommand(_c: Client, _args: string[]): Reply {
  return OBJECT_HELP;
}

/*------------------------------------------------------------------------------
 * DUMP / RESTORE
 *----------------------------------------------------------------------------*/

/** The value as a Redis DUMP payload (rdb-payload.ts), or null if the key is missing. */
export function dumpCommand(c: Client, args: string[]): Reply {
  const v = c.db.get(args[1]!);
  if (v === undefined) return null;
  return serializeRdb(v);
}

/**
 * RESTORE key ttl payload [REPLACE] [ABSTTL] [IDLETIME s] [FREQ f], checked
 * in Redis's order: options, then BUSYKEY (unless REPLACE), then the TTL,
 * then the payload (version/checksum, then data format). A TTL of 0 means
 * none; a TTL already past (ABSTTL) only deletes the replaced key.
 */
export function restoreCommand(c: Client, args: string[]): Reply {
  const key = args[1]!;
  let replace = false;
  let absttl = false;
  let idle: bigint | undefined;
  let freq: bigint | undefined;
  for (let i = 4; i < args.length; i++) {
    const o = args[i]!.toLowerCase();
    const more = i + 1 < args.length;
    if (o === 'replace') {
      replace = true;
    } else if (o === 'absttl') {
      absttl = true;
    } else if (o === 'idletime' && more && freq === undefined) {
      idle = parseLongArg(args[++i]!);
      if (idle < 0n) throw new RespError('ERR Invalid IDLETIME value, must be >= 0');
    } else if (o === 'freq' && more && idle === undefined) {
      freq = parseLongArg(args[++i]!);
      if (freq < 0n || freq > 255n) throw new RespError('ERR Invalid FREQ value, must be >= 0 and <= 255');
    } else {
      throw SYNTAX;
    }
  }
  const db = c.db;
  if (!replace && db.get(key) !== undefined) throw BUSY_KEY;
  const ttlArg = parseLongArg(args[2]!);
  if (ttlArg < 0n) throw new RespError('ERR Invalid TTL value, must be >= 0');
  // Ours or a real Redis's DUMP (redis-cli --cluster import, MIGRATE from Redis).
  const value = deserializeAnyPayload(args[3]!);
  if (replace) db.delete(key);
  let ttl = Number(ttlArg);
  const now = c.server.clock.now();
  if (ttl !== 0 && !absttl) ttl += now;
  if (ttl !== 0 && ttl <= now) {
    // Already expired: the replaced key is gone, nothing is created.
    return OK;
  }
  db.set(key, value);
  if (ttl !== 0) db.setExpire(key, ttl);
  signalKeyReady(db, key);
  if (idle !== undefined || freq !== undefined) {
    syncAccessPolicy(c);
    db.setAccess(key, {
      idleSeconds: idle === undefined ? undefined : Number(idle),
      freq: freq === undefined ? undefined : Number(freq),
    });
  }
  return OK;
}

export const GENERIC_HANDLERS: HandlerTable = {
  del: delCommand,
  unlink: unlinkCommand,
  exists: existsCommand,
  type: typeCommand,
  touch: touchCommand,
  expire: expireCommand,
  pexpire: pexpireCommand,
  expireat: expireatCommand,
  pexpireat: pexpireatCommand,
  ttl: ttlCommand,
  pttl: pttlCommand,
  expiretime: expiretimeCommand,
  pexpiretime: pexpiretimeCommand,
  persist: persistCommand,
  rename: renameCommand,
  renamenx: renamenxCommand,
  copy: copyCommand,
  move: moveCommand,
  keys: keysCommand,
  scan: scanCommand,
  randomkey: randomkeyCommand,
  'object|encoding': objectEncodingCommand,
  'object|refcount': objectRefcountCommand,
  'object|idletime': objectIdletimeCommand,
  'object|freq': objectFreqCommand,
  'object|help': objectHelpCommand,
  dump: dumpCommand,
  restore: restoreCommand,
};
