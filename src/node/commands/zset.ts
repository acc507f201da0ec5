/**
 * Sorted set commands (Redis's t_zset.c).
 *
 * Every range command turns its range into a half-open interval of ranks
 * [lo, hi) on the sorted set (see ../types/zset.ts) and then reads or
 * deletes those ranks; reply shapes follow Redis 7.0: scores are doubles
 * (bulk strings in RESP2), and WITHSCORES pairs are nested arrays in RESP3
 * for the ZRANGE family, ZRANDMEMBER, ZUNION/ZINTER/ZDIFF and ZPOP with COUNT.
 */
import type { Client } from '../client.js';
import { BLOCKED, type HandlerTable } from '../command-handler.js';
import { blockOnKeys, parseTimeoutSeconds, signalKeyReady } from '../blocking.js';
import { parseScanCursor, parseScanOptions, scanReply } from '../collection-scan.js';
import { NOT_FLOAT, NOT_INTEGER, RespError, SYNTAX, WRONGTYPE } from '../errors.js';
import { matchGlob } from '../glob.js';
import { formatDouble, parseDouble, parseInteger } from '../numbers.js';
import { DoubleReply, NULL_ARRAY, type Reply } from '../resp/reply.js';
import { SetValue } from '../types/set.js';
import { sortedOrder, ZSetValue, type LexBound, type ScoreRange, type ZSetLimits } from '../types/zset.js';

/*------------------------------------------------------------------------------
 * Errors
 *----------------------------------------------------------------------------*/

const NAN_SCORE = new RespError('ERR resulting score is not a number (NaN)');
const MIN_MAX_FLOAT = new RespError('ERR min or max is not a float');
const MIN_MAX_LEX = new RespError('ERR min or max not valid string range item');
const XX_NX = new RespError('ERR XX and NX options at the same time are not compatible');
const GT_LT_NX = new RespError('ERR GT, LT, and/or NX options at the same time are not compatible');
const INCR_PAIR = new RespError('ERR INCR option supports a single increment-element pair');
const LIMIT_NEEDS_BY = new RespError('ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX');
const WITHSCORES_BYLEX = new RespError('ERR syntax error, WITHSCORES not supported in combination with BYLEX');
const MUST_BE_POSITIVE = new RespError('ERR value is out of range, must be positive');
const NUMKEYS_POSITIVE = new RespError('ERR numkeys should be greater than 0');
const COUNT_POSITIVE = new RespError('ERR count should be greater than 0');
const WEIGHT_NOT_FLOAT = new RespError('ERR weight value is not a float');
const LIMIT_NEGATIVE = new RespError("ERR LIMIT can't be negative");
const OUT_OF_RANGE = new RespError('ERR value is out of range');
const RANDMEMBER_RANGE = new RespError(
  'ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807',
);

/*------------------------------------------------------------------------------
 * Sorted set helpers
 *----------------------------------------------------------------------------*/

/** The sorted set at `key`, undefined if absent; throws WRONGTYPE for other types. */
export function getZSet(c: Client, key: string): ZSetValue | undefined {
  const v = c.db.get(key);
  if (v === undefined) return undefined;
  if (v instanceof ZSetValue) return v;
  throw WRONGTYPE;
}

/** The compact-encoding limits from the configuration. */
export function zsetLimits(c: Client): ZSetLimits {
  const cfg = c.server.config;
  return { maxEntries: cfg.getNumber('zset-max-listpack-entries'), maxValue: cfg.getNumber('zset-max-listpack-value') };
}

/** A score reply: a double in RESP3, a bulk string in RESP2. */
function scoreReply(score: number): DoubleReply {
  return new DoubleReply(formatDouble(score));
}

/**
 * Redis's d2string (ZSCAN scores): integral values below 2^52 print as
 * integers, others as %.17g.
 */
function d2string(d: number): string {
  if (Number.isInteger(d) && d > -4503599627370495 && d < 4503599627370496) {
    return d === 0 && Object.is(d, -0) ? '-0' : String(d);
  }
  return formatDouble(d);
}

/**
 * Parses a signed 64-bit integer argument (getLongFromObjectOrReply). Values
 * past 2^53 are clamped: they only ever act as "beyond any rank".
 */
function parseLong(s: string, err: RespError = NOT_INTEGER): number {
  const v = parseInteger(s);
  if (v === undefined) throw err;
  if (typeof v === 'bigint') return v < 0n ? -Number.MAX_SAFE_INTEGER : Number.MAX_SAFE_INTEGER;
  return v;
}

/** getPositiveLongFromObjectOrReply with a custom message: both bad text and negatives use `err`. */
function parsePositiveLong(s: string, err: RespError): number {
  const v = parseLong(s, err);
  if (v < 0) throw err;
  return v;
}

/** Whitespace as C's isspace. */
function isSpace(ch: number): boolean {
  return ch === 0x20 || (ch >= 0x09 && ch <= 0x0d);
}

const DECIMAL_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * A score range bound as zslParseRange reads it: plain strtod over the whole
 * text, so leading spaces and overflow to ±inf are accepted, NaN is not,
 * and the empty text is 0.
 */
function parseRangeDouble(s: string): number | undefined {
  if (s.length === 0) return 0;
  let i = 0;
  while (i < s.length && isSpace(s.charCodeAt(i))) i++;
  const t = i === 0 ? s : s.slice(i);
  if (t.length === 0) return undefined;
  const v = parseDouble(t);
  if (v !== undefined) return v;
  if (DECIMAL_RE.test(t)) return Number(t); // overflow to ±inf or underflow to 0
  return undefined;
}

/** Parses `min max` score bounds (`(` makes a bound exclusive); throws "min or max is not a float". */
function parseScoreRange(minArg: string, maxArg: string): ScoreRange {
  const minex = minArg.charCodeAt(0) === 0x28;
  const maxex = maxArg.charCodeAt(0) === 0x28;
  const min = parseRangeDouble(minex ? minArg.slice(1) : minArg);
  const max = parseRangeDouble(maxex ? maxArg.slice(1) : maxArg);
  if (min === undefined || max === undefined || Number.isNaN(min) || Number.isNaN(max)) throw MIN_MAX_FLOAT;
  return { min, max, minex, maxex };
}

function parseLexBound(s: string): LexBound {
  const ch = s.charCodeAt(0);
  if (ch === 0x2b /* + */ && s.length === 1) return { kind: 1, value: '', ex: true };
  if (ch === 0x2d /* - */ && s.length === 1) return { kind: -1, value: '', ex: true };
  if (ch === 0x28 /* ( */) return { kind: 0, value: s.slice(1), ex: true };
  if (ch === 0x5b /* [ */) return { kind: 0, value: s.slice(1), ex: false };
  throw MIN_MAX_LEX;
}

/** Ranks [lo, hi) of the members within a score range (hi <= lo: empty). */
function scoreRanks(z: ZSetValue, r: ScoreRange): [number, number] {
  const lo = z.countBelowScore(r.min, r.minex);
  const hi = z.countBelowScore(r.max, !r.maxex);
  return [lo, hi];
}


/** Deletes `key` if its sorted set became empty, else signals the in-place change. */
function afterRemoval(c: Client, key: string, z: ZSetValue): void {
  if (z.size === 0) c.db.delete(key);
  else c.db.modified(key);
}

/** Stores a freshly built sorted set at `dst` (deleting `dst` when empty); returns its size. */
function storeResult(c: Client, dst: string, members: string[], scores: number[]): number {
  if (members.length === 0) {
    c.db.delete(dst);
    return 0;
  }
  c.db.set(dst, ZSetValue.from(members, scores, zsetLimits(c)));
  signalKeyReady(c.db, dst);
  return members.length;
}

/**
 * Builds a member list reply, with scores when `withScores`: flat pairs in
 * RESP2 (or when `nested` is false), [member, score] arrays in RESP3.
 */
function membersReply(c: Client, members: string[], scores: number[] | null, nested: boolean): Reply[] {
  if (scores === null) return members;
  const out: Reply[] = [];
  if (nested && c.proto === 3) {
    for (let i = 0; i < members.length; i++) out.push([members[i]!, scoreReply(scores[i]!)]);
  } else {
    for (let i = 0; i < members.length; i++) out.push(members[i]!, scoreReply(scores[i]!));
  }
  return out;
}

/*------------------------------------------------------------------------------
 * ZADD / ZINCRBY
 *----------------------------------------------------------------------------*/

/**
 * ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...], and
 * ZINCRBY key increment member (`incrOnly`: INCR is implied). Options are
 * read from argument 2 on for both, as Redis does (so `ZINCRBY k nx m` is a
 * syntax error). Replies the number of added (with CH: added or updated)
 * members, or with INCR the new score, null if the operation was skipped.
 */
function zaddGeneric(c: Client, args: string[], incrOnly: boolean): Reply {
  const key = args[1]!;
  let nx = false;
  let xx = false;
  let gt = false;
  let lt = false;
  let ch = false;
  let incr = incrOnly;
  let i = 2;
  for (; i < args.length; i++) {
    const o = args[i]!.toLowerCase();
    if (o === 'nx') nx = true;
    else if (o === 'xx') xx = true;
    else if (o === 'gt') gt = true;
    else if (o === 'lt') lt = true;
    else if (o === 'ch') ch = true;
    else if (o === 'incr') incr = true;
    else break;
  }
  const elements = args.length - i;
  if (elements % 2 !== 0 || elements === 0) throw SYNTAX;
  const pairs = elements / 2;
  if (nx && xx) throw XX_NX;
  if ((gt && nx) || (lt && nx) || (gt && lt)) throw GT_LT_NX;
  if (incr && pairs > 1) throw INCR_PAIR;
  const scores = new Array<number>(pairs);
  for (let j = 0; j < pairs; j++) {
    const s = parseDouble(args[i + j * 2]!);
    if (s === undefined) throw NOT_FLOAT;
    scores[j] = s;
  }

  let z = getZSet(c, key);
  let added = 0;
  let updated = 0;
  let processed = 0;
  let newScore = 0;
  if (z === undefined) {
    if (xx) return incr ? null : 0;
    z = new ZSetValue();
    c.db.set(key, z);
    signalKeyReady(c.db, key);
  }
  const limits = zsetLimits(c);
  for (let j = 0; j < pairs; j++) {
    const member = args[i + j * 2 + 1]!;
    let score = scores[j]!;
    const cur = z.score(member);
    if (cur !== undefined) {
      if (nx) continue;
      if (incr) {
        score += cur;
        if (Number.isNaN(score)) {
          if (added + updated > 0) c.db.modified(key);
          throw NAN_SCORE;
        }
      }
      if ((lt && score >= cur) || (gt && score <= cur)) continue;
      processed++;
      newScore = score;
      if (score !== cur) {
        z.update(member, cur, score);
        updated++;
      }
    } else {
      if (xx) continue;
      z.insert(member, score, limits);
      added++;
      processed++;
      newScore = score;
    }
  }
  if (added + updated > 0) c.db.modified(key);
  if (incr) return processed > 0 ? scoreReply(newScore) : null;
  return ch ? added + updated : added;
}

/*------------------------------------------------------------------------------
 * ZRANGE family
 *----------------------------------------------------------------------------*/

type RangeType = 'auto' | 'rank' | 'score' | 'lex';
type Direction = 'auto' | 'forward' | 'reverse';

/**
 * The ZRANGE family (Redis's zrangeGenericCommand): `argStart` is the index
 * of the source key, followed by min, max and options. `store` is the
 * destination for ZRANGESTORE (null to reply). `rangeType` and `direction`
 * are fixed by the legacy commands and 'auto' for ZRANGE/ZRANGESTORE, which
 * accept BYSCORE/BYLEX/REV.
 */
function zrangeGeneric(
  c: Client,
  args: string[],
  argStart: number,
  store: string | null,
  rangeType: RangeType,
  direction: Direction,
): Reply {
  const key = args[argStart]!;
  let minIdx = argStart + 1;
  let maxIdx = argStart + 2;
  let withScores = false;
  let offset = 0;
  let limit = -1;
  for (let j = argStart + 3; j < args.length; j++) {
    const left = args.length - j - 1;
    const o = args[j]!.toLowerCase();
    if (store === null && o === 'withscores') {
      withScores = true;
    } else if (o === 'limit' && left >= 2) {
      offset = parseLong(args[j + 1]!);
      limit = parseLong(args[j + 2]!);
      j += 2;
    } else if (direction === 'auto' && o === 'rev') {
      direction = 'reverse';
    } else if (rangeType === 'auto' && o === 'bylex') {
      rangeType = 'lex';
    } else if (rangeType === 'auto' && o === 'byscore') {
      rangeType = 'score';
    } else {
      throw SYNTAX;
    }
  }
  if (direction === 'auto') direction = 'forward';
  if (rangeType === 'auto') rangeType = 'rank';
  // Redis checks `opt_limit != -1`: "LIMIT 0 -1" passes with a rank range.
  if (limit !== -1 && rangeType === 'rank') throw LIMIT_NEEDS_BY;
  if (withScores && rangeType === 'lex') throw WITHSCORES_BYLEX;
  const reverse = direction === 'reverse';
  if (reverse && rangeType !== 'rank') {
    const t = minIdx;
    minIdx = maxIdx;
    maxIdx = t;
  }

  let start = 0;
  let end = 0;
  let scoreRange: ScoreRange | undefined;
  let lexMin: LexBound | undefined;
  let lexMax: LexBound | undefined;
  if (rangeType === 'rank') {
    start = parseLong(args[minIdx]!);
    end = parseLong(args[maxIdx]!);
  } else if (rangeType === 'score') {
    scoreRange = parseScoreRange(args[minIdx]!, args[maxIdx]!);
  } else {
    try {
      lexMin = parseLexBound(args[minIdx]!);
      lexMax = parseLexBound(args[maxIdx]!);
    } catch {
      throw MIN_MAX_LEX;
    }
  }

  const z = getZSet(c, key);
  const members: string[] = [];
  const scores: number[] | null = withScores || store !== null ? [] : null;
  if (z !== undefined) {
    const n = z.size;
    if (rangeType === 'rank') {
      if (start < 0) start = n + start;
      if (end < 0) end = n + end;
      if (start < 0) start = 0;
      if (!(start > end || start >= n)) {
        if (end >= n) end = n - 1;
        if (reverse) z.range(n - 1 - start, n - 1 - end, true, members, scores);
        else z.range(start, end, false, members, scores);
      }
    } else if (offset >= 0) {
      if (rangeType === 'score') z.rangeByScore(scoreRange!, reverse, offset, limit, members, scores);
      else z.rangeByLex(lexMin!, lexMax!, reverse, offset, limit, members);
    }
  }
  if (store !== null) return storeResult(c, store, members, scores!);
  return membersReply(c, members, withScores ? scores : null, true);
}

/*------------------------------------------------------------------------------
 * ZPOP family
 *----------------------------------------------------------------------------*/

/**
 * Pops up to `count` members from the first non-empty sorted set among
 * `keys` (Redis's genericZpopCommand). Reply shapes:
 * - ZPOPMIN/ZPOPMAX: flat [m, s, ...] (nested pairs in RESP3 with COUNT);
 * - BZPOPMIN/BZPOPMAX (`emitKey`, not nested): [key, m, s];
 * - ZMPOP/BZMPOP (`emitKey`, nested): [key, [[m, s], ...]].
 * Returns undefined when every key is missing (the caller picks the reply).
 */
function popFrom(
  c: Client,
  keys: readonly string[],
  max: boolean,
  count: number,
  emitKey: boolean,
  nested: boolean,
): Reply[] | undefined {
  let key: string | undefined;
  let z: ZSetValue | undefined;
  for (const k of keys) {
    z = getZSet(c, k);
    if (z !== undefined) {
      key = k;
      break;
    }
  }
  if (z === undefined || key === undefined) return undefined;
  return popMembers(c, key, z, max, count, emitKey, nested);
}

function popMembers(c: Client, key: string, z: ZSetValue, max: boolean, count: number, emitKey: boolean, nested: boolean): Reply[] {
  const n = z.size;
  const take = Math.min(count, n);
  const members: string[] = [];
  const scores: number[] = [];
  if (max) z.range(n - 1, n - take, true, members, scores);
  else z.range(0, take - 1, false, members, scores);
  if (max) z.removeRange(n - take, n);
  else z.removeRange(0, take);
  afterRemoval(c, key, z);
  const pairs: Reply[] = [];
  for (let i = 0; i < take; i++) {
    if (nested) pairs.push([members[i]!, scoreReply(scores[i]!)]);
    else pairs.push(members[i]!, scoreReply(scores[i]!));
  }
  if (!emitKey) return pairs;
  if (nested) return [key, pairs];
  return [key, ...pairs];
}

/** ZPOPMIN / ZPOPMAX key [count]. */
function zpopGeneric(c: Client, args: string[], max: boolean): Reply {
  if (args.length > 3) throw SYNTAX;
  let count = 1;
  const hasCount = args.length === 3;
  if (hasCount) {
    count = parsePositiveLong(args[2]!, MUST_BE_POSITIVE);
    if (count === 0) {
      getZSet(c, args[1]!);
      return [];
    }
  }
  return popFrom(c, [args[1]!], max, count, false, hasCount && c.proto === 3) ?? [];
}

/** BZPOPMIN / BZPOPMAX key [key ...] timeout. */
function bzpopGeneric(c: Client, args: string[], max: boolean): Reply | typeof BLOCKED {
  const timeout = parseTimeoutSeconds(args[args.length - 1]!);
  const keys = args.slice(1, -1);
  const reply = popFrom(c, keys, max, 1, true, false);
  if (reply !== undefined) return reply;
  return blockOnKeys(c, keys, timeout, (key) => serveZPop(c, key, max, 1, false), NULL_ARRAY);
}

/** Serves a blocked ZPOP-type client from `key` if it now holds a sorted set. */
function serveZPop(c: Client, key: string, max: boolean, count: number, nested: boolean): Reply | undefined {
  const v = c.db.get(key);
  if (!(v instanceof ZSetValue) || v.size === 0) return undefined;
  return popMembers(c, key, v, max, count, true, nested);
}

/**
 * ZMPOP numkeys key [key ...] MIN|MAX [COUNT count] and BZMPOP (`numkeysIdx`
 * 2, after the timeout).
 */
function zmpopGeneric(c: Client, args: string[], numkeysIdx: number, blocking: boolean): Reply | typeof BLOCKED {
  let timeout = 0;
  if (blocking) timeout = parseTimeoutSeconds(args[1]!);
  const numkeys = parseLong(args[numkeysIdx]!, NUMKEYS_POSITIVE);
  if (numkeys < 1) throw NUMKEYS_POSITIVE;
  const whereIdx = numkeysIdx + numkeys + 1;
  if (whereIdx >= args.length) throw SYNTAX;
  const where = args[whereIdx]!.toLowerCase();
  if (where !== 'min' && where !== 'max') throw SYNTAX;
  const max = where === 'max';
  let count = -1;
  for (let j = whereIdx + 1; j < args.length; j++) {
    const more = args.length - 1 - j;
    if (count === -1 && args[j]!.toLowerCase() === 'count' && more > 0) {
      j++;
      count = parseLong(args[j]!, COUNT_POSITIVE);
      if (count < 1) throw COUNT_POSITIVE;
    } else {
      throw SYNTAX;
    }
  }
  if (count === -1) count = 1;
  const keys = args.slice(numkeysIdx + 1, whereIdx);
  const reply = popFrom(c, keys, max, count, true, true);
  if (reply !== undefined) return reply;
  if (!blocking) return NULL_ARRAY;
  return blockOnKeys(c, keys, timeout, (key) => serveZPop(c, key, max, count, true), NULL_ARRAY);
}

/*------------------------------------------------------------------------------
 * ZUNION / ZINTER / ZDIFF
 *----------------------------------------------------------------------------*/

type SetOp = 'union' | 'inter' | 'diff';
type Aggregate = 'sum' | 'min' | 'max';

interface OpSource {
  value: ZSetValue | SetValue | undefined;
  weight: number;
  size: number;
}

function sourceScore(src: OpSource, member: string): number | undefined {
  const v = src.value;
  if (v === undefined) return undefined;
  if (v instanceof ZSetValue) return v.score(member);
  return v.has(member) ? 1 : undefined;
}

function sourceForEach(src: OpSource, fn: (member: string, score: number) => void): void {
  const v = src.value;
  if (v === undefined) return;
  if (v instanceof ZSetValue) v.forEach(fn);
  else for (const m of v.members()) fn(m, 1);
}

function aggregate(target: number, value: number, how: Aggregate): number {
  if (how === 'sum') {
    const r = target + value;
    // inf + -inf is NaN: Redis's convention makes it 0.
    return Number.isNaN(r) ? 0 : r;
  }
  if (how === 'min') return value < target ? value : target;
  return value > target ? value : target;
}

/**
 * ZUNION/ZINTER/ZDIFF[STORE] and ZINTERCARD (Redis's
 * zunionInterDiffGenericCommand). `numkeysIdx` is the index of numkeys;
 * `dst` the destination of the STORE variants; `cardOnly` for ZINTERCARD.
 * Inputs may be sorted sets or sets (members of a set score 1).
 */
function zsetOpGeneric(c: Client, args: string[], numkeysIdx: number, dst: string | null, op: SetOp, cardOnly: boolean): Reply {
  const setnum = parseLong(args[numkeysIdx]!);
  if (setnum < 1) throw new RespError(`ERR at least 1 input key is needed for '${args[0]!.toLowerCase()}' command`);
  if (setnum > args.length - (numkeysIdx + 1)) throw SYNTAX;
  const src: OpSource[] = [];
  let j = numkeysIdx + 1;
  for (let i = 0; i < setnum; i++, j++) {
    const v = c.db.get(args[j]!);
    if (v !== undefined && !(v instanceof ZSetValue) && !(v instanceof SetValue)) throw WRONGTYPE;
    src.push({ value: v, weight: 1, size: v === undefined ? 0 : v.size });
  }
  let how: Aggregate = 'sum';
  let withScores = false;
  let limit = 0;
  while (j < args.length) {
    const remaining = args.length - j;
    const o = args[j]!.toLowerCase();
    if (op !== 'diff' && !cardOnly && remaining >= setnum + 1 && o === 'weights') {
      j++;
      for (let i = 0; i < setnum; i++, j++) {
        const w = parseDouble(args[j]!);
        if (w === undefined) throw WEIGHT_NOT_FLOAT;
        src[i]!.weight = w;
      }
    } else if (op !== 'diff' && !cardOnly && remaining >= 2 && o === 'aggregate') {
      const a = args[j + 1]!.toLowerCase();
      if (a !== 'sum' && a !== 'min' && a !== 'max') throw SYNTAX;
      how = a;
      j += 2;
    } else if (remaining >= 1 && dst === null && !cardOnly && o === 'withscores') {
      withScores = true;
      j++;
    } else if (cardOnly && remaining >= 2 && o === 'limit') {
      limit = parsePositiveLong(args[j + 1]!, LIMIT_NEGATIVE);
      j += 2;
    } else {
      throw SYNTAX;
    }
  }

  const members: string[] = [];
  const scores: number[] = [];
  if (op === 'inter') {
    // Smallest input first (stable, as Redis's qsort on these inputs): the
    // order also decides how inf + -inf sums come out.
    const sorted = src.slice().sort((a, b) => a.size - b.size);
    const first = sorted[0]!;
    if (first.size > 0) {
      let found = 0;
      try {
        sourceForEach(first, (member, s) => {
          let score = first.weight * s;
          if (Number.isNaN(score)) score = 0;
          for (let k = 1; k < sorted.length; k++) {
            const other = sorted[k]!;
            const os = other.value === first.value ? s : sourceScore(other, member);
            if (os === undefined) return;
            let value = os * other.weight;
            if (Number.isNaN(value)) value = 0;
            score = aggregate(score, value, how);
          }
          found++;
          if (cardOnly) {
            if (limit > 0 && found >= limit) throw STOP;
            return;
          }
          members.push(member);
          scores.push(score);
        });
      } catch (e) {
        if (e !== STOP) throw e;
      }
      if (cardOnly) return found;
    } else if (cardOnly) {
      return 0;
    }
  } else if (op === 'union') {
    const sorted = src.slice().sort((a, b) => a.size - b.size);
    const acc = new Map<string, number>();
    for (const s of sorted) {
      sourceForEach(s, (member, sc) => {
        let score = s.weight * sc;
        if (Number.isNaN(score)) score = 0;
        const prev = acc.get(member);
        acc.set(member, prev === undefined ? score : aggregate(prev, score, how));
      });
    }
    for (const [m, s] of acc) {
      members.push(m);
      scores.push(s);
    }
  } else {
    const first = src[0]!;
    sourceForEach(first, (member, s) => {
      for (let k = 1; k < src.length; k++) {
        const other = src[k]!;
        if (other.value === first.value || sourceScore(other, member) !== undefined) return;
      }
      members.push(member);
      scores.push(s);
    });
  }

  if (dst !== null) return storeResult(c, dst, members, scores);
  // Reply in sorted order (score, then member bytes), with the scores as
  // computed: a weight of 0 on a negative score answers -0 here, as Redis's
  // reply does, where a stored result keeps 0 (ZSetValue.from, as listpack).
  const order = sortedOrder(members, scores);
  return membersReply(c, order.map((i) => members[i]!), withScores ? order.map((i) => scores[i]!) : null, true);
}

/** Thrown to end a forEach early (ZINTERCARD LIMIT). */
const STOP = Symbol('stop');

/*------------------------------------------------------------------------------
 * ZRANDMEMBER helpers
 *----------------------------------------------------------------------------*/

function randomIndex(n: number): number {
  return Math.floor(Math.random() * n);
}

/** Member and score at position `i` in the random-access order (dict order when hashed, rank order when compact). */
function entryAt(z: ZSetValue, i: number, members: string[], scores: number[]): void {
  const d = z.dict;
  if (d !== null) {
    members.push(d.keyAt(i));
    scores.push(d.valueAt(i));
  } else {
    const m = z.memberAt(i);
    members.push(m);
    scores.push(z.score(m)!);
  }
}

/*------------------------------------------------------------------------------
 * Sorted set commands
 *----------------------------------------------------------------------------*/

export function zaddCommand(c: Client, args: string[]): Reply {
  return zaddGeneric(c, args, false);
}

export function zincrbyCommand(c: Client, args: string[]): Reply {
  return zaddGeneric(c, args, true);
}

export function zremCommand(c: Client, args: string[]): Reply {
  const key = args[1]!;
  const z = getZSet(c, key);
  if (z === undefined) return 0;
  let deleted = 0;
  for (let i = 2; i < args.length; i++) {
    if (z.remove(args[i]!)) {
      deleted++;
      if (z.size === 0) break;
    }
  }
  if (deleted > 0) afterRemoval(c, key, z);
  return deleted;
}

export function zcardCommand(c: Client, args: string[]): Reply {
  return getZSet(c, args[1]!)?.size ?? 0;
}

export function zscoreCommand(c: Client, args: string[]): Reply {
  const s = getZSet(c, args[1]!)?.score(args[2]!);
  return s === undefined ? null : scoreReply(s);
}

export function zmscoreCommand(c: Client, args: string[]): Reply {
  const z = getZSet(c, args[1]!);
  const out: Reply[] = [];
  for (let i = 2; i < args.length; i++) {
    const s = z?.score(args[i]!);
    out.push(s === undefined ? null : scoreReply(s));
  }
  return out;
}

export function zcountCommand(c: Client, args: string[]): Reply {
  const range = parseScoreRange(args[2]!, args[3]!);
  const z = getZSet(c, args[1]!);
  if (z === undefined) return 0;
  const [lo, hi] = scoreRanks(z, range);
  return hi > lo ? hi - lo : 0;
}

export function zlexcountCommand(c: Client, args: string[]): Reply {
  const min = parseLexBound(args[2]!);
  const max = parseLexBound(args[3]!);
  const z = getZSet(c, args[1]!);
  if (z === undefined) return 0;
  const [lo, hi] = z.lexRanks(min, max);
  return hi > lo ? hi - lo : 0;
}

function zrankGeneric(c: Client, args: string[], reverse: boolean): Reply {
  const z = getZSet(c, args[1]!);
  if (z === undefined) return null;
  const r = z.rank(args[2]!);
  if (r < 0) return null;
  return reverse ? z.size - 1 - r : r;
}

export function zrankCommand(c: Client, args: string[]): Reply {
  return zrankGeneric(c, args, false);
}

export function zrevrankCommand(c: Client, args: string[]): Reply {
  return zrankGeneric(c, args, true);
}

export function zrangeCommand(c: Client, args: string[]): Reply {
  return zrangeGeneric(c, args, 1, null, 'auto', 'auto');
}

export function zrangestoreCommand(c: Client, args: string[]): Reply {
  return zrangeGeneric(c, args, 2, args[1]!, 'auto', 'auto');
}

export function zrevrangeCommand(c: Client, args: string[]): Reply {
  return zrangeGeneric(c, args, 1, null, 'rank', 'reverse');
}

export function zrangebyscoreCommand(c: Client, args: string[]): Reply {
  return zrangeGeneric(c, args, 1, null, 'score', 'forward');
}

export function zrevrangebyscoreCommand(c: Client, args: string[]): Reply {
  return zrangeGeneric(c, args, 1, null, 'score', 'reverse');
}

export function zrangebylexCommand(c: Client, args: string[]): Reply {
  return zrangeGeneric(c, args, 1, null, 'lex', 'forward');
}

export function zrevrangebylexCommand(c: Client, args: string[]): Reply {
  return zrangeGeneric(c, args, 1, null, 'lex', 'reverse');
}

export function zremrangebyrankCommand(c: Client, args: string[]): Reply {
  let start = parseLong(args[2]!);
  let end = parseLong(args[3]!);
  const key = args[1]!;
  const z = getZSet(c, key);
  if (z === undefined) return 0;
  const n = z.size;
  if (start < 0) start = n + start;
  if (end < 0) end = n + end;
  if (start < 0) start = 0;
  if (start > end || start >= n) return 0;
  if (end >= n) end = n - 1;
  const removed = z.removeRange(start, end + 1);
  afterRemoval(c, key, z);
  return removed;
}

export function zremrangebyscoreCommand(c: Client, args: string[]): Reply {
  const range = parseScoreRange(args[2]!, args[3]!);
  const key = args[1]!;
  const z = getZSet(c, key);
  if (z === undefined) return 0;
  const [lo, hi] = scoreRanks(z, range);
  if (hi <= lo) return 0;
  const removed = z.removeRange(lo, hi);
  afterRemoval(c, key, z);
  return removed;
}

export function zremrangebylexCommand(c: Client, args: string[]): Reply {
  const min = parseLexBound(args[2]!);
  const max = parseLexBound(args[3]!);
  const key = args[1]!;
  const z = getZSet(c, key);
  if (z === undefined) return 0;
  const [lo, hi] = z.lexRanks(min, max);
  if (hi <= lo) return 0;
  const removed = z.removeRange(lo, hi);
  afterRemoval(c, key, z);
  return removed;
}

export function zpopminCommand(c: Client, args: string[]): Reply {
  return zpopGeneric(c, args, false);
}

export function zpopmaxCommand(c: Client, args: string[]): Reply {
  return zpopGeneric(c, args, true);
}

export function bzpopminCommand(c: Client, args: string[]): Reply | typeof BLOCKED {
  return bzpopGeneric(c, args, false);
}

export function bzpopmaxCommand(c: Client, args: string[]): Reply | typeof BLOCKED {
  return bzpopGeneric(c, args, true);
}

export function zmpopCommand(c: Client, args: string[]): Reply | typeof BLOCKED {
  return zmpopGeneric(c, args, 1, false);
}

export function bzmpopCommand(c: Client, args: string[]): Reply | typeof BLOCKED {
  return zmpopGeneric(c, args, 2, true);
}

/**
 * ZRANDMEMBER key [count [WITHSCORES]]. A negative count allows repeats; a
 * count at least the size returns the whole set from the highest rank down; otherwise `count`
 * distinct members are drawn by a partial Fisher-Yates shuffle over
 * positions (O(count)).
 */
export function zrandmemberCommand(c: Client, args: string[]): Reply {
  const key = args[1]!;
  if (args.length === 2) {
    const z = getZSet(c, key);
    if (z === undefined) return null;
    const m: string[] = [];
    entryAt(z, randomIndex(z.size), m, []);
    return m[0]!;
  }
  const lv = parseInteger(args[2]!);
  if (lv === undefined) throw NOT_INTEGER;
  if (typeof lv === 'bigint' && lv === -9223372036854775808n) throw RANDMEMBER_RANGE;
  let withScores = false;
  if (args.length > 4 || (args.length === 4 && args[3]!.toLowerCase() !== 'withscores')) throw SYNTAX;
  if (args.length === 4) {
    withScores = true;
    if (typeof lv === 'bigint' && (lv < -4611686018427387903n || lv > 4611686018427387903n)) throw OUT_OF_RANGE;
  }
  const l = typeof lv === 'bigint' ? (lv < 0n ? -Number.MAX_SAFE_INTEGER : Number.MAX_SAFE_INTEGER) : lv;
  const z = getZSet(c, key);
  if (z === undefined || l === 0) return [];
  const size = z.size;
  const members: string[] = [];
  const scores: number[] = [];
  if (l < 0 || l === 1) {
    const count = Math.abs(l);
    if (count > 1e8) throw new RespError('ERR value is out of range');
    for (let i = 0; i < count; i++) entryAt(z, randomIndex(size), members, scores);
  } else if (l >= size) {
    // Redis walks the set with its union/inter iterator, which goes from the
    // highest rank down.
    z.range(size - 1, 0, true, members, scores);
  } else {
    const swapped = new Map<number, number>();
    for (let i = 0; i < l; i++) {
      const r = i + randomIndex(size - i);
      const pick = swapped.get(r) ?? r;
      swapped.set(r, swapped.get(i) ?? i);
      entryAt(z, pick, members, scores);
    }
  }
  return membersReply(c, members, withScores ? scores : null, true);
}

export function zunionCommand(c: Client, args: string[]): Reply {
  return zsetOpGeneric(c, args, 1, null, 'union', false);
}

export function zinterCommand(c: Client, args: string[]): Reply {
  return zsetOpGeneric(c, args, 1, null, 'inter', false);
}

export function zdiffCommand(c: Client, args: string[]): Reply {
  return zsetOpGeneric(c, args, 1, null, 'diff', false);
}

export function zunionstoreCommand(c: Client, args: string[]): Reply {
  return zsetOpGeneric(c, args, 2, args[1]!, 'union', false);
}

export function zinterstoreCommand(c: Client, args: string[]): Reply {
  return zsetOpGeneric(c, args, 2, args[1]!, 'inter', false);
}

export function zdiffstoreCommand(c: Client, args: string[]): Reply {
  return zsetOpGeneric(c, args, 2, args[1]!, 'diff', false);
}

export function zintercardCommand(c: Client, args: string[]): Reply {
  return zsetOpGeneric(c, args, 1, null, 'inter', true);
}

/**
 * ZSCAN key cursor [MATCH pattern] [COUNT count]. A compact sorted set is
 * returned whole with cursor 0 (as Redis does for listpacks); a skiplist one
 * is walked with its DenseMap cursor (see ../collection-scan.ts).
 */
export function zscanCommand(c: Client, args: string[]): Reply {
  const cursor = parseScanCursor(args[2]!);
  const z = getZSet(c, args[1]!);
  const items: Reply[] = [];
  // Redis reads the options only once it found the key.
  if (z === undefined) return scanReply(0, items);
  const opts = parseScanOptions(args, 3);
  const pattern = opts.pattern;
  const d = z.dict;
  if (d === null) {
    z.forEach((m, s) => {
      if (pattern === undefined || matchGlob(pattern, m)) items.push(m, d2string(s));
    });
    return scanReply(0, items);
  }
  const next = d.scan(cursor, opts.count, (m, s) => {
    if (pattern === undefined || matchGlob(pattern, m)) items.push(m, d2string(s));
  });
  return scanReply(next, items);
}

export const ZSET_HANDLERS: HandlerTable = {
  zadd: zaddCommand,
  zincrby: zincrbyCommand,
  zrem: zremCommand,
  zcard: zcardCommand,
  zscore: zscoreCommand,
  zmscore: zmscoreCommand,
  zcount: zcountCommand,
  zlexcount: zlexcountCommand,
  zrank: zrankCommand,
  zrevrank: zrevrankCommand,
  zrange: zrangeCommand,
  zrangestore: zrangestoreCommand,
  zrevrange: zrevrangeCommand,
  zrangebyscore: zrangebyscoreCommand,
  zrevrangebyscore: zrevrangebyscoreCommand,
  zrangebylex: zrangebylexCommand,
  zrevrangebylex: zrevrangebylexCommand,
  zremrangebyrank: zremrangebyrankCommand,
  zremrangebyscore: zremrangebyscoreCommand,
  zremrangebylex: zremrangebylexCommand,
  zpopmin: zpopminCommand,
  zpopmax: zpopmaxCommand,
  bzpopmin: bzpopminCommand,
  bzpopmax: bzpopmaxCommand,
  zmpop: zmpopCommand,
  bzmpop: bzmpopCommand,
  zrandmember: zrandmemberCommand,
  zunion: zunionCommand,
  zinter: zinterCommand,
  zdiff: zdiffCommand,
  zunionstore: zunionstoreCommand,
  zinterstore: zinterstoreCommand,
  zdiffstore: zdiffstoreCommand,
  zintercard: zintercardCommand,
  zscan: zscanCommand,
};
