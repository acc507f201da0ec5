/**
 * Typed command methods, shared by the client (each returns a Promise), its
 * pipelines and its transactions (each queues and returns the builder).
 *
 * A method only builds the argument vector, picks flags and a reply
 * transform; `_run` (single-slot) and `_split` (multi-key helpers that may span
 * slots) are implemented by the subclass. The routing key of a single-slot
 * command is always `args[1]` unless `F_KEYLESS` is set.
 *
 * Strings vs Buffers: string-returning methods decode bulk replies as UTF-8;
 * the `...Buffer` variants return the raw bytes. Arguments given as strings
 * are sent UTF-8 encoded, Buffers byte for byte. RESP2 and RESP3 replies are
 * normalised to the same shapes (maps → null-prototype records, doubles →
 * numbers, booleans from 0/1 integers).
 */
import type { Arg } from './resp.js';

/** A key: a string (UTF-8 encoded on the wire) or raw bytes. */
export type Key = string | Buffer;
/** A value argument. */
export type Value = string | Buffer | number;

/** The command only reads: it may go to a replica under `readFrom`. */
export const F_READ = 1;
/** Bulk replies as Buffers. */
export const F_BUFFER = 2;
/** No key: goes to a random primary. */
export const F_KEYLESS = 4;

/** Turns a raw reply into the method's result type. */
export type Transform = (reply: unknown) => unknown;

/** Multi-key helpers that are split by slot. */
export type SplitKind = 'mget' | 'mset' | 'del' | 'exists' | 'unlink' | 'touch';

/** `SET` options; `expiration` and `condition` are discriminated rather than boolean flags. */
export interface SetOptions {
  readonly expiration?: { readonly type: 'EX' | 'PX' | 'EXAT' | 'PXAT'; readonly value: number } | { readonly type: 'KEEPTTL' };
  readonly condition?: 'NX' | 'XX';
}

/** A sorted-set member with its score. */
export interface ScoredMember<T = string> {
  readonly member: T;
  readonly score: number;
}

/** `ZADD` options. */
export interface ZAddOptions {
  readonly condition?: 'NX' | 'XX';
  readonly comparison?: 'GT' | 'LT';
  readonly ch?: boolean;
}

/** `ZRANGE` options. */
export interface ZRangeOptions {
  readonly by?: 'SCORE' | 'LEX';
  readonly rev?: boolean;
  readonly limit?: { readonly offset: number; readonly count: number };
}

// ---------------------------------------------------------------------------
// Reply transforms (top-level, allocation-free where possible).
// ---------------------------------------------------------------------------

/** 1/0 integer (or RESP3 boolean) → boolean. */
export function toBool(r: unknown): boolean {
  return r === 1 || r === true;
}

/** Bulk (RESP2) or double (RESP3) → number; null stays null. */
export function toNumberOrNull(r: unknown): number | null {
  if (r === null) return null;
  if (typeof r === 'number') return r;
  const s = String(r);
  if (s === 'inf' || s === '+inf') return Infinity;
  if (s === '-inf') return -Infinity;
  return Number(s);
}

/** Same as toNumberOrNull for replies that are never null. */
export function toNumber(r: unknown): number {
  return toNumberOrNull(r) as number;
}

function toNumbers(r: unknown): (number | null)[] {
  return (r as unknown[]).map(toNumberOrNull);
}

/** RESP3 map or RESP2 flat array of field/value → null-prototype record. */
export function toRecord(r: unknown): Record<string, string> {
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  if (r instanceof Map) {
    for (const [k, v] of r) out[String(k)] = v as string;
  } else {
    const a = r as string[];
    for (let i = 0; i + 1 < a.length; i += 2) out[a[i]!] = a[i + 1]!;
  }
  return out;
}

/** RESP3 map or RESP2 flat array → list of [field, value] pairs (binary-safe). */
export function toPairs(r: unknown): [Buffer, Buffer][] {
  const out: [Buffer, Buffer][] = [];
  if (r instanceof Map) {
    for (const [k, v] of r) out.push([k as Buffer, v as Buffer]);
  } else {
    const a = r as Buffer[];
    for (let i = 0; i + 1 < a.length; i += 2) out.push([a[i]!, a[i + 1]!]);
  }
  return out;
}

/** RESP2 flat [m, s, m, s] or RESP3 [[m, s], ...] → ScoredMember[]. */
export function toScored(r: unknown): ScoredMember<string | Buffer>[] {
  const a = r as unknown[];
  const out: ScoredMember<string | Buffer>[] = [];
  if (a.length > 0 && Array.isArray(a[0])) {
    for (const p of a as unknown[][]) out.push({ member: p[0] as string, score: toNumber(p[1]) });
  } else {
    for (let i = 0; i + 1 < a.length; i += 2) out.push({ member: a[i] as string, score: toNumber(a[i + 1]) });
  }
  return out;
}

/** ZPOPMIN/ZPOPMAX: same shapes as toScored (RESP3 without COUNT gives a flat pair). */
function toPopped(r: unknown): ScoredMember<string | Buffer>[] {
  const a = r as unknown[];
  if (a.length === 2 && !Array.isArray(a[0]) && typeof a[1] === 'number') return [{ member: a[0] as string, score: a[1] }];
  return toScored(r);
}

function setArgs(key: Key, value: Value, options: SetOptions | undefined): Arg[] {
  const args: Arg[] = ['SET', key, value];
  if (options?.condition) args.push(options.condition);
  const e = options?.expiration;
  if (e) {
    args.push(e.type);
    if (e.type !== 'KEEPTTL') args.push(e.value);
  }
  return args;
}

function hsetArgs(key: Key, fields: Readonly<Record<string, Value>> | ReadonlyMap<Key, Value> | readonly (readonly [Key, Value])[]): Arg[] {
  const args: Arg[] = ['HSET', key];
  if (fields instanceof Map || Array.isArray(fields)) {
    for (const [f, v] of fields as Iterable<readonly [Key, Value]>) args.push(f, v);
  } else {
    for (const f of Object.keys(fields)) args.push(f, (fields as Record<string, Value>)[f]!);
  }
  return args;
}

function zrangeArgs(key: Key, start: Value, stop: Value, o: ZRangeOptions | undefined, withScores: boolean): Arg[] {
  const args: Arg[] = ['ZRANGE', key, start, stop];
  if (o?.by) args.push(o.by === 'SCORE' ? 'BYSCORE' : 'BYLEX');
  if (o?.rev) args.push('REV');
  if (o?.limit) args.push('LIMIT', o.limit.offset, o.limit.count);
  if (withScores) args.push('WITHSCORES');
  return args;
}

/**
 * The typed methods. Their declared return types are the client's (Promises);
 * the builders return themselves at run time and re-type the methods with
 * `Chained`.
 */
export abstract class CommandMethods {
  /** Runs one single-slot command. */
  protected abstract _run(args: Arg[], flags: number, transform: Transform | null): unknown;
  /** Runs a multi-key helper; the client splits it by slot. */
  protected abstract _split(kind: SplitKind, args: Arg[], flags: number): unknown;

  // -- strings ---------------------------------------------------------------
  /** GET → UTF-8 string or null. */
  get(key: Key): Promise<string | null> {
    return this._run(['GET', key], F_READ, null) as Promise<string | null>;
  }
  /** GET → raw bytes or null. */
  getBuffer(key: Key): Promise<Buffer | null> {
    return this._run(['GET', key], F_READ | F_BUFFER, null) as Promise<Buffer | null>;
  }
  /** SET → 'OK', or null when an NX/XX condition was not met. */
  set(key: Key, value: Value, options?: SetOptions): Promise<'OK' | null> {
    return this._run(setArgs(key, value, options), 0, null) as Promise<'OK' | null>;
  }
  /** SETNX → true if set. */
  setnx(key: Key, value: Value): Promise<boolean> {
    return this._run(['SETNX', key, value], 0, toBool) as Promise<boolean>;
  }
  setex(key: Key, seconds: number, value: Value): Promise<'OK'> {
    return this._run(['SETEX', key, seconds, value], 0, null) as Promise<'OK'>;
  }
  psetex(key: Key, ms: number, value: Value): Promise<'OK'> {
    return this._run(['PSETEX', key, ms, value], 0, null) as Promise<'OK'>;
  }
  getdel(key: Key): Promise<string | null> {
    return this._run(['GETDEL', key], 0, null) as Promise<string | null>;
  }
  getdelBuffer(key: Key): Promise<Buffer | null> {
    return this._run(['GETDEL', key], F_BUFFER, null) as Promise<Buffer | null>;
  }
  getrange(key: Key, start: number, end: number): Promise<string> {
    return this._run(['GETRANGE', key, start, end], F_READ, null) as Promise<string>;
  }
  getrangeBuffer(key: Key, start: number, end: number): Promise<Buffer> {
    return this._run(['GETRANGE', key, start, end], F_READ | F_BUFFER, null) as Promise<Buffer>;
  }
  setrange(key: Key, offset: number, value: Value): Promise<number> {
    return this._run(['SETRANGE', key, offset, value], 0, null) as Promise<number>;
  }
  append(key: Key, value: Value): Promise<number> {
    return this._run(['APPEND', key, value], 0, null) as Promise<number>;
  }
  strlen(key: Key): Promise<number> {
    return this._run(['STRLEN', key], F_READ, null) as Promise<number>;
  }
  incr(key: Key): Promise<number> {
    return this._run(['INCR', key], 0, null) as Promise<number>;
  }
  incrby(key: Key, by: number): Promise<number> {
    return this._run(['INCRBY', key, by], 0, null) as Promise<number>;
  }
  decr(key: Key): Promise<number> {
    return this._run(['DECR', key], 0, null) as Promise<number>;
  }
  decrby(key: Key, by: number): Promise<number> {
    return this._run(['DECRBY', key, by], 0, null) as Promise<number>;
  }
  incrbyfloat(key: Key, by: number): Promise<number> {
    return this._run(['INCRBYFLOAT', key, by], 0, toNumber) as Promise<number>;
  }
  /** MGET over any slots; not atomic across slots. */
  mget(keys: readonly Key[]): Promise<(string | null)[]> {
    return this._split('mget', ['MGET', ...keys], F_READ) as Promise<(string | null)[]>;
  }
  mgetBuffer(keys: readonly Key[]): Promise<(Buffer | null)[]> {
    return this._split('mget', ['MGET', ...keys], F_READ | F_BUFFER) as Promise<(Buffer | null)[]>;
  }
  /** MSET over any slots; each slot's part is atomic, the whole is not. */
  mset(pairs: Readonly<Record<string, Value>> | ReadonlyMap<Key, Value> | readonly (readonly [Key, Value])[]): Promise<'OK'> {
    const args = hsetArgs('', pairs);
    args.splice(0, 2, 'MSET');
    return this._split('mset', args, 0) as Promise<'OK'>;
  }

  // -- keys ------------------------------------------------------------------
  /** DEL over any slots → number of keys removed. */
  del(...keys: Key[]): Promise<number> {
    return this._split('del', ['DEL', ...keys], 0) as Promise<number>;
  }
  unlink(...keys: Key[]): Promise<number> {
    return this._split('unlink', ['UNLINK', ...keys], 0) as Promise<number>;
  }
  exists(...keys: Key[]): Promise<number> {
    return this._split('exists', ['EXISTS', ...keys], F_READ) as Promise<number>;
  }
  touch(...keys: Key[]): Promise<number> {
    return this._split('touch', ['TOUCH', ...keys], F_READ) as Promise<number>;
  }
  expire(key: Key, seconds: number): Promise<boolean> {
    return this._run(['EXPIRE', key, seconds], 0, toBool) as Promise<boolean>;
  }
  pexpire(key: Key, ms: number): Promise<boolean> {
    return this._run(['PEXPIRE', key, ms], 0, toBool) as Promise<boolean>;
  }
  expireat(key: Key, unixSeconds: number): Promise<boolean> {
    return this._run(['EXPIREAT', key, unixSeconds], 0, toBool) as Promise<boolean>;
  }
  pexpireat(key: Key, unixMs: number): Promise<boolean> {
    return this._run(['PEXPIREAT', key, unixMs], 0, toBool) as Promise<boolean>;
  }
  ttl(key: Key): Promise<number> {
    return this._run(['TTL', key], F_READ, null) as Promise<number>;
  }
  pttl(key: Key): Promise<number> {
    return this._run(['PTTL', key], F_READ, null) as Promise<number>;
  }
  persist(key: Key): Promise<boolean> {
    return this._run(['PERSIST', key], 0, toBool) as Promise<boolean>;
  }
  type(key: Key): Promise<string> {
    return this._run(['TYPE', key], F_READ, null) as Promise<string>;
  }
  /** RENAME; both keys must hash to the same slot (use a {tag}). */
  rename(key: Key, newKey: Key): Promise<'OK'> {
    return this._run(['RENAME', key, newKey], 0, null) as Promise<'OK'>;
  }

  // -- lists -----------------------------------------------------------------
  lpush(key: Key, ...values: Value[]): Promise<number> {
    return this._run(['LPUSH', key, ...values], 0, null) as Promise<number>;
  }
  rpush(key: Key, ...values: Value[]): Promise<number> {
    return this._run(['RPUSH', key, ...values], 0, null) as Promise<number>;
  }
  lpop(key: Key): Promise<string | null> {
    return this._run(['LPOP', key], 0, null) as Promise<string | null>;
  }
  lpopBuffer(key: Key): Promise<Buffer | null> {
    return this._run(['LPOP', key], F_BUFFER, null) as Promise<Buffer | null>;
  }
  rpop(key: Key): Promise<string | null> {
    return this._run(['RPOP', key], 0, null) as Promise<string | null>;
  }
  rpopBuffer(key: Key): Promise<Buffer | null> {
    return this._run(['RPOP', key], F_BUFFER, null) as Promise<Buffer | null>;
  }
  lrange(key: Key, start: number, stop: number): Promise<string[]> {
    return this._run(['LRANGE', key, start, stop], F_READ, null) as Promise<string[]>;
  }
  lrangeBuffer(key: Key, start: number, stop: number): Promise<Buffer[]> {
    return this._run(['LRANGE', key, start, stop], F_READ | F_BUFFER, null) as Promise<Buffer[]>;
  }
  llen(key: Key): Promise<number> {
    return this._run(['LLEN', key], F_READ, null) as Promise<number>;
  }
  lindex(key: Key, index: number): Promise<string | null> {
    return this._run(['LINDEX', key, index], F_READ, null) as Promise<string | null>;
  }
  lindexBuffer(key: Key, index: number): Promise<Buffer | null> {
    return this._run(['LINDEX', key, index], F_READ | F_BUFFER, null) as Promise<Buffer | null>;
  }
  lset(key: Key, index: number, value: Value): Promise<'OK'> {
    return this._run(['LSET', key, index, value], 0, null) as Promise<'OK'>;
  }
  lrem(key: Key, count: number, value: Value): Promise<number> {
    return this._run(['LREM', key, count, value], 0, null) as Promise<number>;
  }
  ltrim(key: Key, start: number, stop: number): Promise<'OK'> {
    return this._run(['LTRIM', key, start, stop], 0, null) as Promise<'OK'>;
  }
  linsert(key: Key, where: 'BEFORE' | 'AFTER', pivot: Value, value: Value): Promise<number> {
    return this._run(['LINSERT', key, where, pivot, value], 0, null) as Promise<number>;
  }

  // -- hashes ----------------------------------------------------------------
  /** HSET from a record, a Map or [field, value] pairs → number of new fields. */
  hset(key: Key, fields: Readonly<Record<string, Value>> | ReadonlyMap<Key, Value> | readonly (readonly [Key, Value])[]): Promise<number> {
    return this._run(hsetArgs(key, fields), 0, null) as Promise<number>;
  }
  hsetnx(key: Key, field: Key, value: Value): Promise<boolean> {
    return this._run(['HSETNX', key, field, value], 0, toBool) as Promise<boolean>;
  }
  hget(key: Key, field: Key): Promise<string | null> {
    return this._run(['HGET', key, field], F_READ, null) as Promise<string | null>;
  }
  hgetBuffer(key: Key, field: Key): Promise<Buffer | null> {
    return this._run(['HGET', key, field], F_READ | F_BUFFER, null) as Promise<Buffer | null>;
  }
  hmget(key: Key, ...fields: Key[]): Promise<(string | null)[]> {
    return this._run(['HMGET', key, ...fields], F_READ, null) as Promise<(string | null)[]>;
  }
  hmgetBuffer(key: Key, ...fields: Key[]): Promise<(Buffer | null)[]> {
    return this._run(['HMGET', key, ...fields], F_READ | F_BUFFER, null) as Promise<(Buffer | null)[]>;
  }
  /** HGETALL → null-prototype record (safe for a field named `__proto__`). */
  hgetall(key: Key): Promise<Record<string, string>> {
    return this._run(['HGETALL', key], F_READ, toRecord) as Promise<Record<string, string>>;
  }
  /** HGETALL → [field, value] byte pairs. */
  hgetallBuffer(key: Key): Promise<[Buffer, Buffer][]> {
    return this._run(['HGETALL', key], F_READ | F_BUFFER, toPairs) as Promise<[Buffer, Buffer][]>;
  }
  hdel(key: Key, ...fields: Key[]): Promise<number> {
    return this._run(['HDEL', key, ...fields], 0, null) as Promise<number>;
  }
  hexists(key: Key, field: Key): Promise<boolean> {
    return this._run(['HEXISTS', key, field], F_READ, toBool) as Promise<boolean>;
  }
  hincrby(key: Key, field: Key, by: number): Promise<number> {
    return this._run(['HINCRBY', key, field, by], 0, null) as Promise<number>;
  }
  hincrbyfloat(key: Key, field: Key, by: number): Promise<number> {
    return this._run(['HINCRBYFLOAT', key, field, by], 0, toNumber) as Promise<number>;
  }
  hkeys(key: Key): Promise<string[]> {
    return this._run(['HKEYS', key], F_READ, null) as Promise<string[]>;
  }
  hvals(key: Key): Promise<string[]> {
    return this._run(['HVALS', key], F_READ, null) as Promise<string[]>;
  }
  hvalsBuffer(key: Key): Promise<Buffer[]> {
    return this._run(['HVALS', key], F_READ | F_BUFFER, null) as Promise<Buffer[]>;
  }
  hlen(key: Key): Promise<number> {
    return this._run(['HLEN', key], F_READ, null) as Promise<number>;
  }
  hstrlen(key: Key, field: Key): Promise<number> {
    return this._run(['HSTRLEN', key, field], F_READ, null) as Promise<number>;
  }

  // -- sets ------------------------------------------------------------------
  sadd(key: Key, ...members: Value[]): Promise<number> {
    return this._run(['SADD', key, ...members], 0, null) as Promise<number>;
  }
  srem(key: Key, ...members: Value[]): Promise<number> {
    return this._run(['SREM', key, ...members], 0, null) as Promise<number>;
  }
  smembers(key: Key): Promise<string[]> {
    return this._run(['SMEMBERS', key], F_READ, null) as Promise<string[]>;
  }
  smembersBuffer(key: Key): Promise<Buffer[]> {
    return this._run(['SMEMBERS', key], F_READ | F_BUFFER, null) as Promise<Buffer[]>;
  }
  sismember(key: Key, member: Value): Promise<boolean> {
    return this._run(['SISMEMBER', key, member], F_READ, toBool) as Promise<boolean>;
  }
  smismember(key: Key, ...members: Value[]): Promise<boolean[]> {
    return this._run(['SMISMEMBER', key, ...members], F_READ, (r) => (r as unknown[]).map(toBool)) as Promise<boolean[]>;
  }
  scard(key: Key): Promise<number> {
    return this._run(['SCARD', key], F_READ, null) as Promise<number>;
  }
  spop(key: Key): Promise<string | null> {
    return this._run(['SPOP', key], 0, null) as Promise<string | null>;
  }
  spopBuffer(key: Key): Promise<Buffer | null> {
    return this._run(['SPOP', key], F_BUFFER, null) as Promise<Buffer | null>;
  }
  srandmember(key: Key): Promise<string | null> {
    return this._run(['SRANDMEMBER', key], F_READ, null) as Promise<string | null>;
  }

  // -- sorted sets -----------------------------------------------------------
  /** ZADD members → number added (or changed with `ch`). */
  zadd(key: Key, members: readonly ScoredMember<Value>[], options?: ZAddOptions): Promise<number> {
    const args: Arg[] = ['ZADD', key];
    if (options?.condition) args.push(options.condition);
    if (options?.comparison) args.push(options.comparison);
    if (options?.ch) args.push('CH');
    for (const m of members) args.push(m.score, m.member);
    return this._run(args, 0, null) as Promise<number>;
  }
  zrem(key: Key, ...members: Value[]): Promise<number> {
    return this._run(['ZREM', key, ...members], 0, null) as Promise<number>;
  }
  zscore(key: Key, member: Value): Promise<number | null> {
    return this._run(['ZSCORE', key, member], F_READ, toNumberOrNull) as Promise<number | null>;
  }
  zmscore(key: Key, ...members: Value[]): Promise<(number | null)[]> {
    return this._run(['ZMSCORE', key, ...members], F_READ, toNumbers) as Promise<(number | null)[]>;
  }
  zincrby(key: Key, by: number, member: Value): Promise<number> {
    return this._run(['ZINCRBY', key, by, member], 0, toNumber) as Promise<number>;
  }
  zcard(key: Key): Promise<number> {
    return this._run(['ZCARD', key], F_READ, null) as Promise<number>;
  }
  zcount(key: Key, min: Value, max: Value): Promise<number> {
    return this._run(['ZCOUNT', key, min, max], F_READ, null) as Promise<number>;
  }
  zrank(key: Key, member: Value): Promise<number | null> {
    return this._run(['ZRANK', key, member], F_READ, null) as Promise<number | null>;
  }
  zrevrank(key: Key, member: Value): Promise<number | null> {
    return this._run(['ZREVRANK', key, member], F_READ, null) as Promise<number | null>;
  }
  zrange(key: Key, start: Value, stop: Value, options?: ZRangeOptions): Promise<string[]> {
    return this._run(zrangeArgs(key, start, stop, options, false), F_READ, null) as Promise<string[]>;
  }
  zrangeBuffer(key: Key, start: Value, stop: Value, options?: ZRangeOptions): Promise<Buffer[]> {
    return this._run(zrangeArgs(key, start, stop, options, false), F_READ | F_BUFFER, null) as Promise<Buffer[]>;
  }
  zrangeWithScores(key: Key, start: Value, stop: Value, options?: ZRangeOptions): Promise<ScoredMember[]> {
    return this._run(zrangeArgs(key, start, stop, options, true), F_READ, toScored) as Promise<ScoredMember[]>;
  }
  zpopmin(key: Key, count = 1): Promise<ScoredMember[]> {
    return this._run(['ZPOPMIN', key, count], 0, toPopped) as Promise<ScoredMember[]>;
  }
  zpopmax(key: Key, count = 1): Promise<ScoredMember[]> {
    return this._run(['ZPOPMAX', key, count], 0, toPopped) as Promise<ScoredMember[]>;
  }
}

/** The typed methods of a builder (pipeline, transaction): each queues and returns the builder. */
export type Chained<Self> = {
  [K in keyof CommandMethods as CommandMethods[K] extends (...a: never[]) => unknown ? K : never]: CommandMethods[K] extends (...a: infer A) => unknown
    ? (...a: A) => Self
    : never;
};
