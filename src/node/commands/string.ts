/**
 * String commands, with Redis 7.0's semantics and error texts (t_string.c).
 *
 * Values are latin1 JS strings, so `length` is the byte length and every
 * operation is binary safe. Integers are kept as their decimal text (as Redis
 * does for the client's view); INCR and friends parse and reformat them,
 * using JS numbers while the result stays a safe integer and bigints only
 * near the int64 edges. INCRBYFLOAT emulates Redis's long double arithmetic
 * exactly (see ../numbers.ts).
 *
 * GET and SET are the benchmarked hot path: their common forms allocate
 * nothing beyond the reply.
 */
import { constants as bufferConstants } from 'node:buffer';
import type { Client } from '../client.js';
import type { HandlerTable } from '../command-handler.js';
import { NOT_INTEGER, RespError, SYNTAX, WRONGTYPE, WrongArityError } from '../errors.js';
import { incrByFloat, parseInt64, parseSafeInt } from '../numbers.js';
import { MapReply, OK, type Reply } from '../resp/reply.js';

/*------------------------------------------------------------------------------
 * Errors of this group
 *----------------------------------------------------------------------------*/

/** `ERR invalid expire time in '<cmd>' command` (SET, SETEX, PSETEX, GETEX). */
export class InvalidExpireTimeError extends RespError {
  constructor(command: string) {
    super(`ERR invalid expire time in '${command}' command`);
  }
}

const MAX_STRING_LENGTH = bufferConstants.MAX_STRING_LENGTH;

const OVERFLOW = new RespError('ERR increment or decrement would overflow');
const DECR_OVERFLOW = new RespError('ERR decrement would overflow');
const TOO_BIG = new RespError('ERR string exceeds maximum allowed size (proto-max-bulk-len)');
const OFFSET_OUT_OF_RANGE = new RespError('ERR offset is out of range');
const LCS_NOT_STRINGS = new RespError('ERR The specified keys must contain string values');
const LCS_LEN_AND_IDX = new RespError('ERR If you want both the length and indexes, please just use IDX.');
const LCS_TOO_MUCH_MEMORY = new RespError(
  'ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len',
);
const INVALID_EXPIRE: Record<string, InvalidExpireTimeError> = {
  set: new InvalidExpireTimeError('set'),
  setex: new InvalidExpireTimeError('setex'),
  psetex: new InvalidExpireTimeError('psetex'),
  getex: new InvalidExpireTimeError('getex'),
};

/*------------------------------------------------------------------------------
 * String helpers
 *----------------------------------------------------------------------------*/

/** The string at `key`, undefined if absent; throws WRONGTYPE for other types. */
export function getString(c: Client, key: string): string | undefined {
  const v = c.db.get(key);
  if (v === undefined || typeof v === 'string') return v;
  throw WRONGTYPE;
}

/**
 * Parses an integer argument in the int64 range as Redis's
 * getLongLongFromObjectOrReply does; a number when it is a safe integer,
 * else a bigint. Throws NOT_INTEGER otherwise.
 */
function int64Arg(s: string): number | bigint {
  const n = parseSafeInt(s);
  if (n !== undefined) return n;
  const b = parseInt64(s);
  if (b === undefined) throw NOT_INTEGER;
  return b;
}

/** An int64 argument where only order matters: huge values become ±2^63 as numbers (exact enough to compare). */
function int64ArgAsNumber(s: string): number {
  const v = int64Arg(s);
  return typeof v === 'number' ? v : Number(v);
}

/**
 * Throws `string exceeds maximum allowed size` if a string of `size + append`
 * bytes would exceed proto-max-bulk-len, or V8's longest string (2^29 - 24
 * chars, 24 bytes short of the default 512MB limit, where Redis would still
 * accept the value).
 */
function checkStringLength(c: Client, size: number, append: number): void {
  const total = size + append;
  if (total > c.server.config.getNumber('proto-max-bulk-len') || total > MAX_STRING_LENGTH) throw TOO_BIG;
}

/**
 * Option flags of SET and GETEX (Redis's OBJ_SET_* / OBJ_* flags). EX, PX,
 * EXAT and PXAT are mutually exclusive, and exclusive with KEEPTTL/PERSIST.
 */
const F_NX = 1;
const F_XX = 2;
const F_GET = 4;
const F_KEEPTTL = 8;
const F_PERSIST = 16;
const F_EX = 32;
const F_PX = 64;
const F_EXAT = 128;
const F_PXAT = 256;
const F_ANY_EXPIRE = F_EX | F_PX | F_EXAT | F_PXAT;

/** Parsed SET/GETEX options; `expire` is the index of the expire argument, 0 if none. */
interface ExpireOptions {
  flags: number;
  expire: number;
}

/**
 * The option name of `arg` as Redis's C code compares it: lower-cased and
 * cut at the first NUL byte (Redis compares with strcasecmp and per-char
 * tests on NUL-terminated text).
 */
function optionName(arg: string): string {
  const nul = arg.indexOf('\0');
  return (nul === -1 ? arg : arg.slice(0, nul)).toLowerCase();
}

/**
 * Parses SET's options (from args[3]) or GETEX's (from args[2]) with the
 * exclusions of Redis's parseExtendedStringArgumentsOrReply: NX/XX exclude
 * each other, KEEPTTL and PERSIST exclude any expire, each expire kind
 * excludes the others (repeating the same one is allowed, the last value
 * wins), and EX/PX/EXAT/PXAT need a following argument.
 *
 * @throws SYNTAX on an unknown option, a forbidden combination or a missing value
 */
function parseExtendedOptions(args: string[], forSet: boolean): ExpireOptions {
  let flags = 0;
  let expire = 0;
  const n = args.length;
  for (let j = forSet ? 3 : 2; j < n; j++) {
    const opt = optionName(args[j]!);
    const hasNext = j < n - 1;
    if (opt === 'nx' && forSet && !(flags & F_XX)) {
      flags |= F_NX;
    } else if (opt === 'xx' && forSet && !(flags & F_NX)) {
      flags |= F_XX;
    } else if (opt === 'get' && forSet) {
      flags |= F_GET;
    } else if (opt === 'keepttl' && forSet && !(flags & (F_PERSIST | F_ANY_EXPIRE))) {
      flags |= F_KEEPTTL;
    } else if (opt === 'persist' && !forSet && !(flags & (F_KEEPTTL | F_ANY_EXPIRE))) {
      flags |= F_PERSIST;
    } else if (opt === 'ex' && hasNext && !(flags & (F_KEEPTTL | F_PERSIST | F_PX | F_EXAT | F_PXAT))) {
      flags |= F_EX;
      expire = ++j;
    } else if (opt === 'px' && hasNext && !(flags & (F_KEEPTTL | F_PERSIST | F_EX | F_EXAT | F_PXAT))) {
      flags |= F_PX;
      expire = ++j;
    } else if (opt === 'exat' && hasNext && !(flags & (F_KEEPTTL | F_PERSIST | F_EX | F_PX | F_PXAT))) {
      flags |= F_EXAT;
      expire = ++j;
    } else if (opt === 'pxat' && hasNext && !(flags & (F_KEEPTTL | F_PERSIST | F_EX | F_PX | F_EXAT))) {
      flags |= F_PXAT;
      expire = ++j;
    } else {
      throw SYNTAX;
    }
  }
  return { flags, expire };
}

const MAX_SECONDS = 9223372036854775n; // LLONG_MAX / 1000
const INT64_MAX = 9223372036854775807n;

/**
 * The absolute unix ms expiry that `text` means for `flags` (EX/PX relative
 * to now, EXAT/PXAT absolute), as getExpireMillisecondsOrReply computes it.
 *
 * @throws NOT_INTEGER if `text` is not an int64
 * @throws InvalidExpireTimeError for values ≤ 0, and for values that overflow
 *   int64 once converted to ms or made absolute (Redis wraps, then refuses)
 */
function expireAt(c: Client, command: string, text: string, flags: number): number {
  const v = int64Arg(text);
  const invalid = INVALID_EXPIRE[command]!;
  if (v <= 0) throw invalid;
  const seconds = (flags & (F_EX | F_EXAT)) !== 0;
  if (seconds && v > MAX_SECONDS) throw invalid;
  let ms = BigInt(v);
  if (seconds) ms *= 1000n;
  if (flags & (F_EX | F_PX)) ms += BigInt(c.server.clock.now());
  if (ms > INT64_MAX) throw invalid;
  return Number(ms);
}

/*------------------------------------------------------------------------------
 * String commands
 *----------------------------------------------------------------------------*/

export function getCommand(c: Client, args: string[]): Reply {
  const v = c.db.get(args[1]!);
  if (v === undefined) return null;
  if (typeof v !== 'string') throw WRONGTYPE;
  return v;
}

/**
 * SET, SETNX, SETEX and PSETEX (Redis's setGenericCommand).
 *
 * Order of checks, as Redis: the expire value (not an integer, invalid
 * time), then with GET the old value's type (WRONGTYPE, nothing is set),
 * then NX/XX. Replies `okReply` when the value was set, `abortReply` when
 * NX/XX prevented it; with GET the old value (or null) instead of either.
 * A past EXAT/PXAT stores the key already expired, as Redis 7.0 does (it
 * then vanishes on its next access).
 */
function setGeneric(
  c: Client,
  command: string,
  flags: number,
  key: string,
  value: string,
  expireText: string | undefined,
  okReply: Reply,
  abortReply: Reply,
): Reply {
  const at = expireText === undefined ? 0 : expireAt(c, command, expireText, flags);
  let old: Reply = null;
  let found: boolean;
  if (flags & F_GET) {
    const v = getString(c, key);
    if (v !== undefined) old = v;
    found = v !== undefined;
  } else {
    found = flags & (F_NX | F_XX) ? c.db.get(key) !== undefined : false;
  }
  if ((flags & F_NX && found) || (flags & F_XX && !found)) {
    return flags & F_GET ? old : abortReply;
  }
  c.db.set(key, value, (flags & F_KEEPTTL) !== 0);
  if (expireText !== undefined) c.db.setExpire(key, at);
  return flags & F_GET ? old : okReply;
}

export function setCommand(c: Client, args: string[]): Reply {
  if (args.length === 3) {
    // Plain SET k v: the hot path.
    c.db.set(args[1]!, args[2]!);
    return OK;
  }
  const { flags, expire } = parseExtendedOptions(args, true);
  return setGeneric(c, 'set', flags, args[1]!, args[2]!, expire === 0 ? undefined : args[expire]!, OK, null);
}

export function setnxCommand(c: Client, args: string[]): Reply {
  return setGeneric(c, 'setnx', F_NX, args[1]!, args[2]!, undefined, 1, 0);
}

export function setexCommand(c: Client, args: string[]): Reply {
  return setGeneric(c, 'setex', F_EX, args[1]!, args[3]!, args[2]!, OK, null);
}

export function psetexCommand(c: Client, args: string[]): Reply {
  return setGeneric(c, 'psetex', F_PX, args[1]!, args[3]!, args[2]!, OK, null);
}

export function getexCommand(c: Client, args: string[]): Reply {
  const { flags, expire } = parseExtendedOptions(args, false);
  const key = args[1]!;
  const v = getString(c, key);
  if (v === undefined) return null;
  if (expire !== 0) {
    const at = expireAt(c, 'getex', args[expire]!, flags);
    // Only absolute times can already be past; Redis then deletes the key.
    if (flags & (F_EXAT | F_PXAT) && at <= c.server.clock.now()) {
      c.db.delete(key);
    } else {
      c.db.setExpire(key, at);
      c.db.modified(key);
    }
  } else if (flags & F_PERSIST) {
    if (c.db.removeExpire(key)) c.db.modified(key);
  }
  return v;
}

export function getdelCommand(c: Client, args: string[]): Reply {
  const v = getString(c, args[1]!);
  if (v === undefined) return null;
  c.db.delete(args[1]!);
  return v;
}

export function getsetCommand(c: Client, args: string[]): Reply {
  const old = getString(c, args[1]!);
  c.db.set(args[1]!, args[2]!);
  return old ?? null;
}

export function mgetCommand(c: Client, args: string[]): Reply {
  const out: Reply[] = new Array(args.length - 1);
  for (let i = 1; i < args.length; i++) {
    const v = c.db.get(args[i]!);
    out[i - 1] = typeof v === 'string' ? v : null;
  }
  return out;
}

/** MSET and MSETNX: `nx` sets nothing (reply 0) if any key exists. */
function msetGeneric(c: Client, args: string[], nx: boolean): Reply {
  if (args.length % 2 === 0) throw new WrongArityError(nx ? 'msetnx' : 'mset');
  if (nx) {
    for (let i = 1; i < args.length; i += 2) {
      if (c.db.get(args[i]!) !== undefined) return 0;
    }
  }
  for (let i = 1; i < args.length; i += 2) c.db.set(args[i]!, args[i + 1]!);
  return nx ? 1 : OK;
}

export function msetCommand(c: Client, args: string[]): Reply {
  return msetGeneric(c, args, false);
}

export function msetnxCommand(c: Client, args: string[]): Reply {
  return msetGeneric(c, args, true);
}

/**
 * INCR, DECR, INCRBY, DECRBY: adds `incr` to the integer at `key` (0 if
 * absent), keeping its TTL. Safe-integer arithmetic when both operands are
 * small (the sum is then exact); bigints otherwise, with Redis's overflow
 * check on the int64 range.
 */
function incrDecr(c: Client, key: string, incr: number | bigint): Reply {
  const cur = getString(c, key);
  let result: number | bigint;
  if (cur === undefined) {
    result = incr;
  } else {
    const n = parseSafeInt(cur);
    if (n !== undefined && typeof incr === 'number' && Math.abs(n) < 2 ** 52 && Math.abs(incr) < 2 ** 52) {
      result = n + incr;
    } else {
      const b = n !== undefined ? BigInt(n) : parseInt64(cur);
      if (b === undefined) throw NOT_INTEGER;
      const sum = b + BigInt(incr);
      if (sum > INT64_MAX || sum < -INT64_MAX - 1n) throw OVERFLOW;
      result = sum >= -(2n ** 53n) && sum <= 2n ** 53n ? Number(sum) : sum;
    }
  }
  c.db.set(key, String(result), true);
  return result;
}

export function incrCommand(c: Client, args: string[]): Reply {
  return incrDecr(c, args[1]!, 1);
}

export function decrCommand(c: Client, args: string[]): Reply {
  return incrDecr(c, args[1]!, -1);
}

export function incrbyCommand(c: Client, args: string[]): Reply {
  return incrDecr(c, args[1]!, int64Arg(args[2]!));
}

export function decrbyCommand(c: Client, args: string[]): Reply {
  const v = int64Arg(args[2]!);
  // -LLONG_MIN does not exist: Redis refuses it before looking at the key.
  if (typeof v === 'bigint' && v === -INT64_MAX - 1n) throw DECR_OVERFLOW;
  return incrDecr(c, args[1]!, typeof v === 'number' ? (v === 0 ? 0 : -v) : -v);
}

export function incrbyfloatCommand(c: Client, args: string[]): Reply {
  const key = args[1]!;
  const result = incrByFloat(getString(c, key), args[2]!);
  c.db.set(key, result, true);
  return result;
}

export function appendCommand(c: Client, args: string[]): Reply {
  const key = args[1]!;
  const add = args[2]!;
  const cur = getString(c, key);
  if (cur === undefined) {
    c.db.set(key, add);
    return add.length;
  }
  checkStringLength(c, cur.length, add.length);
  const next = cur + add;
  c.db.set(key, next, true);
  return next.length;
}

export function strlenCommand(c: Client, args: string[]): Reply {
  return getString(c, args[1]!)?.length ?? 0;
}

/**
 * GETRANGE and SUBSTR: bytes `start..end` inclusive, negative indexes
 * counting from the end, clamped to the string; "" for empty ranges and
 * missing keys. The indexes are checked before the key, as in Redis.
 */
export function getrangeCommand(c: Client, args: string[]): Reply {
  let start = int64ArgAsNumber(args[2]!);
  let end = int64ArgAsNumber(args[3]!);
  const s = getString(c, args[1]!);
  if (s === undefined) return '';
  const len = s.length;
  if (start < 0 && end < 0 && start > end) return '';
  if (start < 0) start = len + start;
  if (end < 0) end = len + end;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= len) end = len - 1;
  if (start > end || len === 0) return '';
  return s.slice(start, end + 1);
}

/**
 * SETRANGE: overwrites bytes from `offset`, zero-padding a shorter string.
 * An empty value changes nothing and replies the current length (0 for a
 * missing key, which is not created). Keeps the TTL.
 */
export function setrangeCommand(c: Client, args: string[]): Reply {
  const key = args[1]!;
  const value = args[3]!;
  const offset = int64ArgAsNumber(args[2]!);
  if (offset < 0) throw OFFSET_OUT_OF_RANGE;
  const cur = getString(c, key);
  if (value.length === 0) return cur === undefined ? 0 : cur.length;
  checkStringLength(c, offset, value.length);
  const base = cur ?? '';
  const head = base.length >= offset ? base.slice(0, offset) : base + '\0'.repeat(offset - base.length);
  const next = head + value + base.slice(offset + value.length);
  c.db.set(key, next, cur !== undefined);
  return next.length;
}

/**
 * LCS key1 key2 [LEN] [IDX] [MINMATCHLEN n] [WITHMATCHLEN]: the longest
 * common subsequence of two strings by the classic O(N*M) dynamic program,
 * walked back from the end exactly as Redis walks it (on a tie it moves in
 * key2 first), so the string and the ranges are the ones Redis reports.
 * Missing keys are empty strings.
 */
export function lcsCommand(c: Client, args: string[]): Reply {
  const va = c.db.get(args[1]!);
  const vb = c.db.get(args[2]!);
  if ((va !== undefined && typeof va !== 'string') || (vb !== undefined && typeof vb !== 'string')) {
    throw LCS_NOT_STRINGS;
  }
  const a = va ?? '';
  const b = vb ?? '';
  let getIdx = false;
  let getLen = false;
  let withMatchLen = false;
  let minMatchLen = 0;
  for (let j = 3; j < args.length; j++) {
    const opt = optionName(args[j]!);
    if (opt === 'idx') getIdx = true;
    else if (opt === 'len') getLen = true;
    else if (opt === 'withmatchlen') withMatchLen = true;
    else if (opt === 'minmatchlen' && j < args.length - 1) {
      const m = int64ArgAsNumber(args[++j]!);
      minMatchLen = m < 0 ? 0 : m;
    } else throw SYNTAX;
  }
  if (getIdx && getLen) throw LCS_LEN_AND_IDX;

  const alen = a.length;
  const blen = b.length;
  const w = blen + 1;
  if ((alen + 1) * w * 4 > c.server.config.getNumber('proto-max-bulk-len')) throw LCS_TOO_MUCH_MEMORY;
  // table[i*w + j] = length of the LCS of a[0..i) and b[0..j).
  const table = new Uint32Array((alen + 1) * w);
  for (let i = 1; i <= alen; i++) {
    const ai = a.charCodeAt(i - 1);
    const row = i * w;
    const prev = row - w;
    for (let j = 1; j <= blen; j++) {
      if (ai === b.charCodeAt(j - 1)) table[row + j] = table[prev + j - 1]! + 1;
      else {
        const up = table[prev + j]!;
        const left = table[row + j - 1]!;
        table[row + j] = up > left ? up : left;
      }
    }
  }
  const total = table[alen * w + blen]!;
  if (getLen) return total;

  const chars: number[] = new Array(total);
  const matches: Reply[] = [];
  let idx = total;
  let aStart = alen; // alen means "no range open"
  let aEnd = 0;
  let bStart = 0;
  let bEnd = 0;
  let i = alen;
  let j = blen;
  while (i > 0 && j > 0) {
    let emit = false;
    if (a.charCodeAt(i - 1) === b.charCodeAt(j - 1)) {
      chars[idx - 1] = a.charCodeAt(i - 1);
      if (aStart === alen) {
        aStart = aEnd = i - 1;
        bStart = bEnd = j - 1;
      } else if (aStart === i && bStart === j) {
        aStart--;
        bStart--;
      } else {
        emit = true;
      }
      if (aStart === 0 || bStart === 0) emit = true;
      idx--;
      i--;
      j--;
    } else {
      if (table[(i - 1) * w + j]! > table[i * w + j - 1]!) i--;
      else j--;
      if (aStart !== alen) emit = true;
    }
    if (emit) {
      const matchLen = aEnd - aStart + 1;
      if (getIdx && (minMatchLen === 0 || matchLen >= minMatchLen)) {
        const m: Reply[] = [
          [aStart, aEnd],
          [bStart, bEnd],
        ];
        if (withMatchLen) m.push(matchLen);
        matches.push(m);
      }
      aStart = alen;
    }
  }
  if (getIdx) return new MapReply(['matches', matches, 'len', total]);
  let out = '';
  for (let k = 0; k < chars.length; k += 4096) out += String.fromCharCode(...chars.slice(k, k + 4096));
  return out;
}

export const STRING_HANDLERS: HandlerTable = {
  get: getCommand,
  set: setCommand,
  setnx: setnxCommand,
  setex: setexCommand,
  psetex: psetexCommand,
  mget: mgetCommand,
  mset: msetCommand,
  msetnx: msetnxCommand,
  getset: getsetCommand,
  getdel: getdelCommand,
  getex: getexCommand,
  incr: incrCommand,
  decr: decrCommand,
  incrby: incrbyCommand,
  decrby: decrbyCommand,
  incrbyfloat: incrbyfloatCommand,
  append: appendCommand,
  strlen: strlenCommand,
  getrange: getrangeCommand,
  setrange: setrangeCommand,
  substr: getrangeCommand,
  lcs: lcsCommand,
};
