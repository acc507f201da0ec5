/**
 * Blocking operations on keys (BLPOP, BRPOP, BLMOVE, BLMPOP, BZPOPMIN, ...).
 *
 * Algorithm (Redis's blocked.c, simplified):
 *  - A command that finds nothing to pop calls `blockOnKeys`: the client is
 *    appended to a FIFO queue of waiters for each of its keys, in its
 *    database, and `client.blocked` is set so that it reads no more input.
 *  - Any command that may make a key servable (a push, LMOVE's destination,
 *    ZADD, RESTORE, COPY, RENAME, ...) calls `signalKeyReady(db, key)`. That is
 *    cheap: nothing happens unless someone waits on that very key, and then
 *    the key is appended once to the ready list.
 *  - After each command, and after a whole EXEC, the dispatcher calls
 *    `handleReadyKeys`. For every ready key it offers the key to its waiters
 *    in the order they blocked; each waiter's `serve` callback pops what it
 *    needs and returns its reply, or undefined (wrong type, still empty), in
 *    which case the next waiter is tried. Serving stops when the key is gone.
 *    A serve may push elsewhere (BLMOVE) and so signal new ready keys, which
 *    are processed in the same pass.
 *  - Served clients get their reply only once the pass is over, so a client's
 *    pipelined commands run after every ready key has been served (Redis runs
 *    them from beforeSleep).
 *  - A timeout (real timer), CLIENT UNBLOCK (`client.blocked.wake`) or a
 *    disconnect (`client.blocked.cancel`) removes the waiter from every queue.
 *  - Inside MULTI/EXEC (or any context that called `denyBlocking`), blocking
 *    commands do not block: `blockOnKeys` records the timeout reply and
 *    returns BLOCKED, and the dispatcher's `call` substitutes the recorded
 *    reply (`takeDeniedReply`).
 */
import type { Client } from './client.js';
import { BLOCKED } from './command-handler.js';
import { RespError } from './errors.js';
import type { Database } from './keyspace.js';
import { ErrorReply, type Reply } from './resp/reply.js';

/** Longest delay a Node timer accepts; longer timeouts re-arm in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

const UNBLOCKED_ERROR = 'UNBLOCKED client unblocked via CLIENT UNBLOCK';

interface Waiter {
  readonly c: Client;
  readonly db: Database;
  readonly keys: readonly string[];
  readonly serve: (key: string) => Reply | undefined;
  readonly timeoutReply: Reply;
  /** Milliseconds still to wait after the current timer fires (long timeouts). */
  left: number;
  timer: NodeJS.Timeout | undefined;
  done: boolean;
}

/** Waiters by database, then by key, in blocking order (a Set keeps insertion order). */
const WAITERS = new WeakMap<Database, Map<string, Set<Waiter>>>();
/** Keys already in `READY`, per database, so a key is queued once per pass. */
const READY_SET = new WeakMap<Database, Set<string>>();
let READY: { db: Database; key: string }[] = [];
/** Number of blocked clients in the process: zero makes `signalKeyReady` a no-op. */
let blockedCount = 0;
let handling = false;

let denyDepth = 0;
let deniedReply: Reply | undefined;

/*------------------------------------------------------------------------------
 * Timeout parsing
 *----------------------------------------------------------------------------*/

const DECIMAL_FLOAT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const HEX_FLOAT = /^[+-]?0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP][+-]?\d+)?$/;
const INFINITY = /^[+-]?inf(?:inity)?$/i;
/** Decimal exponents past which an x87 long double overflows or underflows to zero. */
const LDBL_MAX_EXP10 = 4932;
const LDBL_MIN_EXP10 = -4951;

/**
 * Parses text as C's strtold would for Redis's `string2ld`: decimal or hex
 * floats and `inf`/`infinity`; no spaces, no NaN. Values a long double holds
 * but a double does not come back as ±Infinity (too large) or ±MIN_VALUE
 * (too small), which is all timeout handling needs. Returns undefined where
 * Redis reports "not a float" (including long double overflow and underflow).
 */
export function parseLongDouble(text: string): number | undefined {
  if (text.length === 0 || text.length >= 5 * 1024) return undefined;
  if (INFINITY.test(text)) return text.charCodeAt(0) === 0x2d ? -Infinity : Infinity;
  if (HEX_FLOAT.test(text)) {
    const m = /^([+-]?)0[xX]([0-9a-fA-F]*)\.?([0-9a-fA-F]*)(?:[pP]([+-]?\d+))?$/.exec(text)!;
    const digits = m[2]! + m[3]!;
    let v = 0;
    for (const d of digits) v = v * 16 + parseInt(d, 16);
    v *= 2 ** (Number(m[4] ?? 0) - 4 * m[3]!.length);
    return m[1] === '-' ? -v : v;
  }
  if (!DECIMAL_FLOAT.test(text)) return undefined;
  const v = Number(text);
  if (Number.isFinite(v) && (v !== 0 || !/[1-9]/.test(text.replace(/[eE].*$/, '')))) return v;
  // Out of double range: decide with the decimal exponent of the first significant digit.
  const e = text.search(/[eE]/);
  const mant = e < 0 ? text : text.slice(0, e);
  const exp = e < 0 ? 0 : Number(text.slice(e + 1));
  const digits = mant.replace(/^[+-]/, '');
  const dot = digits.indexOf('.');
  const intPart = dot < 0 ? digits : digits.slice(0, dot);
  const first = digits.replace('.', '').search(/[1-9]/);
  const exp10 = exp + (intPart.length - 1 - first);
  const negative = text.charCodeAt(0) === 0x2d;
  if (exp10 > LDBL_MAX_EXP10 || exp10 < LDBL_MIN_EXP10) return undefined;
  if (v === 0) return negative ? -Number.MIN_VALUE : Number.MIN_VALUE;
  return v;
}

/**
 * Parses a blocking timeout given in seconds (BLPOP's last argument) into
 * milliseconds, 0 meaning "forever", as Redis's getTimeoutFromObjectOrReply:
 * the value is multiplied by 1000 and rounded up, so 0.0001 waits 1 ms and
 * -0.0001 waits forever; a millisecond count outside the 64-bit range
 * (including infinities) is "negative", as the C conversion makes it.
 * Throws "ERR timeout is not a float or out of range" or "ERR timeout is negative".
 */
export function parseTimeoutSeconds(text: string): number {
  const secs = parseLongDouble(text);
  if (secs === undefined) throw new RespError('ERR timeout is not a float or out of range');
  const ms = Math.ceil(secs * 1000);
  if (!(ms < 2 ** 63) || ms < -(2 ** 63) || ms < 0) throw new RespError('ERR timeout is negative');
  return ms === 0 ? 0 : ms; // -0 → 0
}

/*------------------------------------------------------------------------------
 * Blocking API
 *----------------------------------------------------------------------------*/

/**
 * Blocks `c` until one of `keys` (in c.db) can be served or the timeout passes
 * (ms; 0 = forever). `serve(key)` is called when `key` may be ready; it returns
 * the reply (after performing the pop) or undefined if still not servable.
 * On timeout the client gets `timeoutReply`. Returns BLOCKED (from
 * ./command-handler.js) for the handler to return.
 *
 * Where blocking is denied (inside EXEC), the client does not block: the
 * dispatcher replies `timeoutReply` at once.
 */
export function blockOnKeys(
  c: Client,
  keys: string[],
  timeoutMs: number,
  serve: (key: string) => Reply | undefined,
  timeoutReply: Reply,
): typeof BLOCKED {
  if (denyDepth > 0) {
    deniedReply = timeoutReply;
    return BLOCKED;
  }
  const db = c.db;
  const unique = keys.length === 1 ? keys : [...new Set(keys)];
  const w: Waiter = { c, db, keys: unique, serve, timeoutReply, left: timeoutMs, timer: undefined, done: false };
  let byKey = WAITERS.get(db);
  if (byKey === undefined) WAITERS.set(db, (byKey = new Map()));
  for (const key of unique) {
    let q = byKey.get(key);
    if (q === undefined) byKey.set(key, (q = new Set()));
    q.add(w);
  }
  blockedCount++;
  if (timeoutMs > 0) arm(w);
  c.blocked = {
    reason: 'keys',
    cancel: () => removeWaiter(w),
    wake: (how) => {
      if (w.done) return;
      removeWaiter(w);
      c.unblock(how === 'error' ? new ErrorReply(UNBLOCKED_ERROR) : w.timeoutReply);
    },
  };
  return BLOCKED;
}

/**
 * Marks `key` of `db` as possibly ready; called by any command that adds
 * elements to a list or sorted set (LPUSH, LMOVE's destination, ZADD,
 * RESTORE, COPY, RENAME, ...). Waiters are served after the current command
 * (or the whole EXEC) finishes, FIFO per key.
 */
export function signalKeyReady(db: Database, key: string): void {
  if (blockedCount === 0) return;
  if (WAITERS.get(db)?.has(key) !== true) return;
  let set = READY_SET.get(db);
  if (set === undefined) READY_SET.set(db, (set = new Set()));
  if (set.has(key)) return;
  set.add(key);
  READY.push({ db, key });
}

/**
 * Signals every key of `db` that has waiters and now exists: for SWAPDB and
 * other operations that replace a database's contents wholesale.
 */
export function signalDatabaseReady(db: Database): void {
  const byKey = WAITERS.get(db);
  if (byKey === undefined) return;
  for (const key of byKey.keys()) if (db.has(key)) signalKeyReady(db, key);
}

/** True if some key was signalled since the last `handleReadyKeys` (the dispatcher's fast check). */
export function hasReadyKeys(): boolean {
  return READY.length !== 0;
}

/**
 * Serves the clients blocked on keys signalled ready, FIFO per key, then
 * delivers their replies (which also resumes their pipelined input).
 * Re-entrant calls (from a resumed client's commands) return at once; the
 * outer pass picks up whatever they signalled.
 */
export function handleReadyKeys(): void {
  if (handling || READY.length === 0) return;
  handling = true;
  const woken: Waiter[] = [];
  const replies: Reply[] = [];
  try {
    while (READY.length !== 0) {
      const batch = READY;
      READY = [];
      for (const { db, key } of batch) {
        READY_SET.get(db)?.delete(key);
        const q = WAITERS.get(db)?.get(key);
        if (q === undefined) continue;
        for (const w of [...q]) {
          if (w.done) continue;
          if (!db.has(key)) break;
          const reply = w.serve(key);
          if (reply === undefined) continue;
          removeWaiter(w);
          woken.push(w);
          replies.push(reply);
        }
      }
    }
  } finally {
    handling = false;
  }
  for (let i = 0; i < woken.length; i++) woken[i]!.c.unblock(replies[i]!);
}

/** Makes blocking commands answer their timeout reply instead of blocking, until `allowBlocking` (EXEC). */
export function denyBlocking(): void {
  denyDepth++;
}

export function allowBlocking(): void {
  denyDepth--;
}

/** True while blocking is denied. */
export function blockingDenied(): boolean {
  return denyDepth > 0;
}

/** The reply a denied blocking command must send instead of blocking; consumes it. */
export function takeDeniedReply(): Reply {
  const r = deniedReply ?? null;
  deniedReply = undefined;
  return r;
}

/** Number of keys some client waits on in `db` (for tests and INFO). */
export function blockedKeyCount(db: Database): number {
  return WAITERS.get(db)?.size ?? 0;
}

/*------------------------------------------------------------------------------
 * Internals
 *----------------------------------------------------------------------------*/

function arm(w: Waiter): void {
  const step = Math.min(w.left, MAX_TIMER_MS);
  w.left -= step;
  w.timer = setTimeout(onTimer, step, w);
  w.timer.unref();
}

function onTimer(w: Waiter): void {
  w.timer = undefined;
  if (w.done) return;
  if (w.left > 0) {
    arm(w);
    return;
  }
  removeWaiter(w);
  w.c.unblock(w.timeoutReply);
}

/** Takes `w` out of every queue and stops its timer. Idempotent. */
function removeWaiter(w: Waiter): void {
  if (w.done) return;
  w.done = true;
  blockedCount--;
  if (w.timer !== undefined) clearTimeout(w.timer);
  w.timer = undefined;
  const byKey = WAITERS.get(w.db);
  if (byKey === undefined) return;
  for (const key of w.keys) {
    const q = byKey.get(key);
    if (q === undefined) continue;
    q.delete(w);
    if (q.size === 0) byKey.delete(key);
  }
}
