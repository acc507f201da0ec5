/**
 * List commands (Redis's t_list.c): pushes and pops at both ends, ranges,
 * positional edits, moves between lists, and the blocking pops built on
 * ../blocking.ts.
 *
 * Every handler follows the same order as Redis, which fixes which error
 * wins when several apply: argument parsing that Redis does first (counts,
 * LEFT/RIGHT, timeouts), then key lookup and type check, then the rest.
 * Empty lists never stay in the keyspace: a handler that empties one
 * deletes the key.
 */
import { blockingDenied, blockOnKeys, parseTimeoutSeconds, signalKeyReady } from '../blocking.js';
import type { Client } from '../client.js';
import { BLOCKED, type HandlerTable } from '../command-handler.js';
import { NO_SUCH_KEY, NOT_INTEGER, OutOfRangeError, RespError, SYNTAX, WrongArityError, WRONGTYPE } from '../errors.js';
import { ErrorReply, NULL_ARRAY, OK, type Reply } from '../resp/reply.js';
import { ListValue } from '../types/list.js';
import { isInt64Text } from '../values.js';

/*------------------------------------------------------------------------------
 * List helpers
 *----------------------------------------------------------------------------*/

const LONG_MIN_TEXT = '-9223372036854775808';
const INDEX_OUT_OF_RANGE = new OutOfRangeError('index');
const MUST_BE_POSITIVE = new RespError('ERR value is out of range, must be positive');
const NUMKEYS_ERROR = new RespError('ERR numkeys should be greater than 0');
const COUNT_ERROR = new RespError('ERR count should be greater than 0');
const RANK_ZERO = new RespError(
  "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list",
);
const COUNT_NEGATIVE = new RespError("ERR COUNT can't be negative");
const MAXLEN_NEGATIVE = new RespError("ERR MAXLEN can't be negative");

/** The list at `key`, undefined if absent; throws WRONGTYPE for other types. */
export function getList(c: Client, key: string): ListValue | undefined {
  const v = c.db.get(key);
  if (v === undefined || v instanceof ListValue) return v;
  throw WRONGTYPE;
}

/**
 * Parses a signed 64-bit integer as Redis's getLongFromObject. Precision
 * beyond 2^53 is lost, which only moves positions that are out of any list.
 * Throws `err` (default "value is not an integer or out of range").
 */
function parseLong(text: string, err: RespError = NOT_INTEGER): number {
  if (!isInt64Text(text)) throw err;
  return Number(text);
}

/** A long within `[min, LONG_MAX]`, with `err` for any failure (getRangeLongFromObjectOrReply with a message). */
function parseLongAtLeast(text: string, min: number, err: RespError): number {
  const n = parseLong(text, err);
  if (n < min) throw err;
  return n;
}

/** LEFT → true (head), RIGHT → false (tail); anything else is a syntax error. */
function parseWhere(text: string): boolean {
  const t = text.toLowerCase();
  if (t === 'left') return true;
  if (t === 'right') return false;
  throw SYNTAX;
}

/** Deletes `key` if `l` became empty, else signals the in-place change. */
function afterRemoval(c: Client, key: string, l: ListValue): void {
  if (l.size === 0) c.db.delete(key);
  else c.db.modified(key);
}

/**
 * Pushes `v` at one end of the list at `key`, `existing` being its current
 * value (already type-checked) or undefined to create it. Signals waiters.
 */
function pushOne(c: Client, key: string, existing: ListValue | undefined, v: string, atHead: boolean): void {
  if (existing === undefined) {
    const l = new ListValue();
    l.pushTail(v);
    c.db.set(key, l);
  } else {
    if (atHead) existing.pushHead(v);
    else existing.pushTail(v);
    c.db.modified(key);
  }
  signalKeyReady(c.db, key);
}

/** Pops up to `count` elements from one end of `l` at `key`; deletes the key if emptied. */
function popMany(c: Client, key: string, l: ListValue, count: number, atHead: boolean): string[] {
  const n = Math.min(count, l.size);
  const out = new Array<string>(n);
  for (let i = 0; i < n; i++) out[i] = (atHead ? l.popHead() : l.popTail())!;
  afterRemoval(c, key, l);
  return out;
}

/**
 * LPUSH, RPUSH, LPUSHX, RPUSHX: pushes `args[2..]` one by one at the head or
 * tail; `onlyIfExists` (the X variants) answers 0 for a missing key.
 * Replies with the new length.
 */
function pushGeneric(c: Client, args: string[], atHead: boolean, onlyIfExists: boolean): Reply {
  const key = args[1]!;
  let l = getList(c, key);
  if (l === undefined) {
    if (onlyIfExists) return 0;
    l = new ListValue(args.length - 2);
    for (let i = 2; i < args.length; i++) {
      if (atHead) l.pushHead(args[i]!);
      else l.pushTail(args[i]!);
    }
    c.db.set(key, l);
  } else {
    for (let i = 2; i < args.length; i++) {
      if (atHead) l.pushHead(args[i]!);
      else l.pushTail(args[i]!);
    }
    c.db.modified(key);
  }
  signalKeyReady(c.db, key);
  return l.size;
}

/**
 * LPOP, RPOP. Without a count: the element or a null bulk. With one: an
 * array of up to `count` elements, a null array for a missing key and an
 * empty array for COUNT 0.
 */
function popGeneric(c: Client, args: string[], atHead: boolean): Reply {
  if (args.length > 3) throw new WrongArityError(args[0]!.toLowerCase());
  let count = -1;
  if (args.length === 3) count = parseLongAtLeast(args[2]!, 0, MUST_BE_POSITIVE);
  const key = args[1]!;
  const l = getList(c, key);
  if (l === undefined) return count === -1 ? null : NULL_ARRAY;
  if (count === -1) {
    const v = atHead ? l.popHead()! : l.popTail()!;
    afterRemoval(c, key, l);
    return v;
  }
  if (count === 0) return [];
  return popMany(c, key, l, count, atHead);
}

/**
 * LMOVE's core (also RPOPLPUSH, and BLMOVE once the source has elements):
 * pops from `src` at `fromHead`, pushes to `dst` at `toHead`, replies with the
 * element, or a null bulk when `src` is missing. A destination of another
 * type fails with WRONGTYPE before anything moves.
 */
function moveGeneric(c: Client, src: string, dst: string, fromHead: boolean, toHead: boolean): Reply {
  const s = getList(c, src);
  if (s === undefined) return null;
  const d = src === dst ? s : getList(c, dst);
  const v = fromHead ? s.popHead()! : s.popTail()!;
  if (d === s) {
    // Rotation: the list keeps its length.
    if (toHead) s.pushHead(v);
    else s.pushTail(v);
    c.db.modified(src);
    signalKeyReady(c.db, src);
    return v;
  }
  pushOne(c, dst, d, v, toHead);
  afterRemoval(c, src, s);
  return v;
}

interface MpopArgs {
  keys: string[];
  atHead: boolean;
  count: number;
}

/**
 * Parses `numkeys key... LEFT|RIGHT [COUNT count]` starting at `numkeysIndex`
 * (LMPOP: 1, BLMPOP: 2), with Redis's error order and texts.
 */
function parseMpop(args: string[], numkeysIndex: number): MpopArgs {
  const numkeys = parseLongAtLeast(args[numkeysIndex]!, 1, NUMKEYS_ERROR);
  const whereIndex = numkeysIndex + numkeys + 1;
  if (whereIndex >= args.length) throw SYNTAX;
  const atHead = parseWhere(args[whereIndex]!);
  let count = -1;
  for (let j = whereIndex + 1; j < args.length; j++) {
    if (count === -1 && args[j]!.toLowerCase() === 'count' && j + 1 < args.length) {
      count = parseLongAtLeast(args[++j]!, 1, COUNT_ERROR);
    } else {
      throw SYNTAX;
    }
  }
  return { keys: args.slice(numkeysIndex + 1, whereIndex), atHead, count: count === -1 ? 1 : count };
}

/** LMPOP/BLMPOP's immediate part: the first non-empty list's key and popped elements, or undefined. */
function mpopFirst(c: Client, keys: string[], atHead: boolean, count: number): Reply | undefined {
  for (const key of keys) {
    const l = getList(c, key);
    if (l !== undefined) return [key, popMany(c, key, l, count, atHead)];
  }
  return undefined;
}

/** Serves a BLPOP/BRPOP waiter from `key`: `[key, element]`, or undefined if not a list. */
function servePop(c: Client, key: string, atHead: boolean): Reply | undefined {
  const v = c.db.get(key);
  if (!(v instanceof ListValue)) return undefined;
  const e = atHead ? v.popHead()! : v.popTail()!;
  afterRemoval(c, key, v);
  return [key, e];
}

/** Serves a BLMPOP waiter from `key`: `[key, [elements]]`, or undefined if not a list. */
function serveMpop(c: Client, key: string, atHead: boolean, count: number): Reply | undefined {
  const v = c.db.get(key);
  if (!(v instanceof ListValue)) return undefined;
  return [key, popMany(c, key, v, count, atHead)];
}

/**
 * Serves a BLMOVE waiter: moves one element, or answers WRONGTYPE (without
 * moving) if the destination is not a list, as Redis unblocks such a client
 * with an error.
 */
function serveMove(c: Client, src: string, dst: string, fromHead: boolean, toHead: boolean): Reply | undefined {
  const v = c.db.get(src);
  if (!(v instanceof ListValue)) return undefined;
  const d = c.db.get(dst);
  if (d !== undefined && !(d instanceof ListValue)) return new ErrorReply(WRONGTYPE.message);
  return moveGeneric(c, src, dst, fromHead, toHead);
}

/** BLPOP/BRPOP: pop from the first non-empty list, else block on all of them. */
function blockingPopGeneric(c: Client, args: string[], atHead: boolean): Reply | typeof BLOCKED {
  const timeout = parseTimeoutSeconds(args[args.length - 1]!);
  const keys = args.slice(1, -1);
  for (const key of keys) {
    const l = getList(c, key);
    if (l !== undefined) {
      const e = atHead ? l.popHead()! : l.popTail()!;
      afterRemoval(c, key, l);
      return [key, e];
    }
  }
  return blockOnKeys(c, keys, timeout, (key) => servePop(c, key, atHead), NULL_ARRAY);
}

/** BLMOVE/BRPOPLPUSH after argument parsing: move now if `src` has elements, else block on it. */
function blockingMoveGeneric(c: Client, args: string[], fromHead: boolean, toHead: boolean, timeout: number): Reply | typeof BLOCKED {
  const src = args[1]!;
  const dst = args[2]!;
  if (getList(c, src) !== undefined) return moveGeneric(c, src, dst, fromHead, toHead);
  // Redis answers a null bulk where it may not block (EXEC), a null array on a real timeout.
  if (blockingDenied()) return null;
  return blockOnKeys(c, [src], timeout, () => serveMove(c, src, dst, fromHead, toHead), NULL_ARRAY);
}

/*------------------------------------------------------------------------------
 * List commands
 *----------------------------------------------------------------------------*/

export function lpushCommand(c: Client, args: string[]): Reply {
  return pushGeneric(c, args, true, false);
}

export function rpushCommand(c: Client, args: string[]): Reply {
  return pushGeneric(c, args, false, false);
}

export function lpushxCommand(c: Client, args: string[]): Reply {
  return pushGeneric(c, args, true, true);
}

export function rpushxCommand(c: Client, args: string[]): Reply {
  return pushGeneric(c, args, false, true);
}

export function lpopCommand(c: Client, args: string[]): Reply {
  return popGeneric(c, args, true);
}

export function rpopCommand(c: Client, args: string[]): Reply {
  return popGeneric(c, args, false);
}

export function llenCommand(c: Client, args: string[]): Reply {
  return getList(c, args[1]!)?.size ?? 0;
}

/** LRANGE key start stop: negative indexes count from the tail; out-of-range ends are clamped. */
export function lrangeCommand(c: Client, args: string[]): Reply {
  let start = parseLong(args[2]!);
  let end = parseLong(args[3]!);
  const l = getList(c, args[1]!);
  if (l === undefined) return [];
  const len = l.size;
  if (start < 0) start += len;
  if (end < 0) end += len;
  if (start < 0) start = 0;
  if (start > end || start >= len) return [];
  if (end >= len) end = len - 1;
  return l.range(start, end);
}

export function lindexCommand(c: Client, args: string[]): Reply {
  const l = getList(c, args[1]!);
  if (l === undefined) return null;
  let i = parseLong(args[2]!);
  if (i < 0) i += l.size;
  return i >= 0 && i < l.size ? l.get(i) : null;
}

export function lsetCommand(c: Client, args: string[]): Reply {
  const key = args[1]!;
  const l = getList(c, key);
  if (l === undefined) throw NO_SUCH_KEY;
  let i = parseLong(args[2]!);
  if (i < 0) i += l.size;
  if (i < 0 || i >= l.size) throw INDEX_OUT_OF_RANGE;
  l.set(i, args[3]!);
  c.db.modified(key);
  return OK;
}

/** LINSERT key BEFORE|AFTER pivot element: the new length, -1 if no pivot, 0 if no key. */
export function linsertCommand(c: Client, args: string[]): Reply {
  const where = args[2]!.toLowerCase();
  if (where !== 'before' && where !== 'after') throw SYNTAX;
  const key = args[1]!;
  const l = getList(c, key);
  if (l === undefined) return 0;
  const at = l.indexOf(args[3]!);
  if (at < 0) return -1;
  l.insertAt(where === 'before' ? at : at + 1, args[4]!);
  c.db.modified(key);
  signalKeyReady(c.db, key);
  return l.size;
}

/** LREM key count element: count > 0 from the head, < 0 from the tail, 0 all. Replies with the number removed. */
export function lremCommand(c: Client, args: string[]): Reply {
  const toRemove = parseLong(args[2]!);
  const key = args[1]!;
  const l = getList(c, key);
  if (l === undefined) return 0;
  const el = args[3]!;
  const drop: number[] = [];
  const limit = toRemove === 0 ? Infinity : Math.abs(toRemove);
  if (toRemove >= 0) {
    for (let i = 0; i < l.size && drop.length < limit; i++) if (l.get(i) === el) drop.push(i);
  } else {
    for (let i = l.size - 1; i >= 0 && drop.length < limit; i--) if (l.get(i) === el) drop.push(i);
    drop.reverse();
  }
  if (drop.length === 0) return 0;
  l.removeIndexes(drop);
  afterRemoval(c, key, l);
  return drop.length;
}

/** LTRIM key start stop: keeps the range (LRANGE's rules); an empty range deletes the key. */
export function ltrimCommand(c: Client, args: string[]): Reply {
  let start = parseLong(args[2]!);
  let end = parseLong(args[3]!);
  const key = args[1]!;
  const l = getList(c, key);
  if (l === undefined) return OK;
  const len = l.size;
  if (start < 0) start += len;
  if (end < 0) end += len;
  if (start < 0) start = 0;
  if (start > end || start >= len) {
    l.clear();
  } else {
    if (end >= len) end = len - 1;
    if (start !== 0 || end !== len - 1) l.trim(start, end);
  }
  // Redis signals the key even when nothing was trimmed (WATCH sees it).
  afterRemoval(c, key, l);
  return OK;
}

/**
 * LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]. RANK picks
 * the rank-th match (negative: from the tail), COUNT returns up to that many
 * positions as an array (0: all), MAXLEN compares at most that many elements.
 * Positions are always counted from the head. Quirk kept from Redis 7.0:
 * RANK -9223372036854775808 behaves as -1 with no COUNT limit.
 */
export function lposCommand(c: Client, args: string[]): Reply {
  let rank = 1;
  let count = -1;
  let maxlen = 0;
  let overflowRank = false;
  for (let j = 3; j < args.length; j++) {
    const opt = args[j]!.toLowerCase();
    const more = j + 1 < args.length;
    if (opt === 'rank' && more) {
      const text = args[++j]!;
      rank = parseLong(text);
      if (rank === 0) throw RANK_ZERO;
      // Exactly LONG_MIN (its negation overflows in Redis); compared as text since doubles round.
      overflowRank = text === LONG_MIN_TEXT;
    } else if (opt === 'count' && more) {
      count = parseLongAtLeast(args[++j]!, 0, COUNT_NEGATIVE);
    } else if (opt === 'maxlen' && more) {
      maxlen = parseLongAtLeast(args[++j]!, 0, MAXLEN_NEGATIVE);
    } else {
      throw SYNTAX;
    }
  }
  const l = getList(c, args[1]!);
  if (l === undefined) return count !== -1 ? [] : null;
  const el = args[2]!;
  const len = l.size;
  const fromTail = rank < 0;
  const threshold = overflowRank ? 1 : Math.abs(rank);
  const limit = maxlen === 0 ? len : Math.min(maxlen, len);
  const out: number[] = [];
  let matches = 0;
  for (let n = 0; n < limit; n++) {
    const i = fromTail ? len - 1 - n : n;
    if (l.get(i) !== el) continue;
    matches++;
    if (matches < threshold) continue;
    if (count === -1) return i;
    out.push(i);
    if (count !== 0 && !overflowRank && matches - threshold + 1 >= count) break;
  }
  return count === -1 ? null : out;
}

export function lmoveCommand(c: Client, args: string[]): Reply {
  const fromHead = parseWhere(args[3]!);
  const toHead = parseWhere(args[4]!);
  return moveGeneric(c, args[1]!, args[2]!, fromHead, toHead);
}

export function rpoplpushCommand(c: Client, args: string[]): Reply {
  return moveGeneric(c, args[1]!, args[2]!, false, true);
}

/** LMPOP numkeys key... LEFT|RIGHT [COUNT count]: `[key, [elements]]` from the first non-empty list, or a null array. */
export function lmpopCommand(c: Client, args: string[]): Reply {
  const { keys, atHead, count } = parseMpop(args, 1);
  return mpopFirst(c, keys, atHead, count) ?? NULL_ARRAY;
}

export function blpopCommand(c: Client, args: string[]): Reply | typeof BLOCKED {
  return blockingPopGeneric(c, args, true);
}

export function brpopCommand(c: Client, args: string[]): Reply | typeof BLOCKED {
  return blockingPopGeneric(c, args, false);
}

export function blmoveCommand(c: Client, args: string[]): Reply | typeof BLOCKED {
  const fromHead = parseWhere(args[3]!);
  const toHead = parseWhere(args[4]!);
  const timeout = parseTimeoutSeconds(args[5]!);
  return blockingMoveGeneric(c, args, fromHead, toHead, timeout);
}

export function brpoplpushCommand(c: Client, args: string[]): Reply | typeof BLOCKED {
  const timeout = parseTimeoutSeconds(args[3]!);
  return blockingMoveGeneric(c, args, false, true, timeout);
}

/** BLMPOP timeout numkeys key... LEFT|RIGHT [COUNT count]. */
export function blmpopCommand(c: Client, args: string[]): Reply | typeof BLOCKED {
  const { keys, atHead, count } = parseMpop(args, 2);
  const timeout = parseTimeoutSeconds(args[1]!);
  const now = mpopFirst(c, keys, atHead, count);
  if (now !== undefined) return now;
  return blockOnKeys(c, keys, timeout, (key) => serveMpop(c, key, atHead, count), NULL_ARRAY);
}

export const LIST_HANDLERS: HandlerTable = {
  lpush: lpushCommand,
  rpush: rpushCommand,
  lpushx: lpushxCommand,
  rpushx: rpushxCommand,
  lpop: lpopCommand,
  rpop: rpopCommand,
  llen: llenCommand,
  lrange: lrangeCommand,
  lindex: lindexCommand,
  lset: lsetCommand,
  linsert: linsertCommand,
  lrem: lremCommand,
  ltrim: ltrimCommand,
  lpos: lposCommand,
  lmove: lmoveCommand,
  rpoplpush: rpoplpushCommand,
  lmpop: lmpopCommand,
  blpop: blpopCommand,
  brpop: brpopCommand,
  blmove: blmoveCommand,
  brpoplpush: brpoplpushCommand,
  blmpop: blmpopCommand,
};
