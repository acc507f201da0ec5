/**
 * Set commands (Redis 7.0 t_set.c semantics). The value type and its
 * encodings are in ../types/set.ts.
 */
import type { Client } from '../client.js';
import type { HandlerTable } from '../command-handler.js';
import { parseScanCursor, parseScanOptions, scanReply } from '../collection-scan.js';
import { RespError, SYNTAX, WRONGTYPE } from '../errors.js';
import { matchGlob } from '../glob.js';
import { SetReply, type Reply } from '../resp/reply.js';
import { SetValue, type SetLimits } from '../types/set.js';
import { isInt64Text } from '../values.js';
import { parseCount, pickDistinct } from './hash.js';

/*------------------------------------------------------------------------------
 * Set helpers
 *----------------------------------------------------------------------------*/

/** Error of a command-specific range check (getRangeLongFromObjectOrReply with a message). */
export class SetArgumentError extends RespError {
  constructor(message: string) {
    super('ERR ' + message);
  }
}

const MUST_BE_POSITIVE = new SetArgumentError('value is out of range, must be positive');
const NUMKEYS_POSITIVE = new SetArgumentError('numkeys should be greater than 0');
const TOO_MANY_NUMKEYS = new SetArgumentError("Number of keys can't be greater than number of args");
const LIMIT_NEGATIVE = new SetArgumentError("LIMIT can't be negative");

const LIMITS: { maxIntsetEntries: number } = { maxIntsetEntries: 512 };

/** The intset limit as the config says now. */
export function setLimits(c: Client): SetLimits {
  LIMITS.maxIntsetEntries = c.server.config.getNumber('set-max-intset-entries');
  return LIMITS;
}

/** The set at `key`, undefined if absent; throws WRONGTYPE for other types. */
export function getSet(c: Client, key: string): SetValue | undefined {
  const v = c.db.get(key);
  if (v === undefined) return undefined;
  if (typeof v !== 'string' && v.type === 'set') return v as SetValue;
  throw WRONGTYPE;
}

/** After removals: deletes an emptied set, or signals the change. */
function commitRemoval(c: Client, key: string, s: SetValue): void {
  if (s.size === 0) c.db.delete(key);
  else c.db.modified(key);
}

/** A uniformly random integer in [0, n). */
function randomIndex(n: number): number {
  return Math.floor(Math.random() * n);
}

/** Parses a non-negative long with a command-specific error (getPositiveLongFromObjectOrReply). */
function parsePositive(text: string, err: RespError): number {
  if (!isInt64Text(text) || text.charCodeAt(0) === 0x2d) throw err;
  return text.length < 16 ? Number(text) : Math.min(Number(BigInt(text)), Number.MAX_SAFE_INTEGER);
}

/**
 * Looks up every key of a multi-key set operation, checking all types first
 * (WRONGTYPE wins over a missing key, as in Redis 7.0). Missing keys are
 * undefined entries.
 */
function lookupSets(c: Client, args: readonly string[], from: number, to: number): (SetValue | undefined)[] {
  const sets: (SetValue | undefined)[] = [];
  for (let i = from; i < to; i++) sets.push(getSet(c, args[i]!));
  return sets;
}

/**
 * Intersection of `sets` (all present) as Redis computes it: sets sorted by
 * size (stable), the smallest one walked in its own order, each member
 * checked in the others. Stops after `limit` members (0: no limit). Calls
 * `emit` for each member of the result, in that order.
 */
function intersect(sets: SetValue[], limit: number, emit: (m: string) => void): void {
  const sorted = sets.slice().sort((a, b) => a.size - b.size);
  const first = sorted[0]!;
  let found = 0;
  const n = first.size;
  for (let i = 0; i < n; i++) {
    const m = first.memberAt(i);
    let j = 1;
    for (; j < sorted.length; j++) {
      if (sorted[j] === first) continue;
      if (!sorted[j]!.has(m)) break;
    }
    if (j === sorted.length) {
      emit(m);
      if (++found === limit) return;
    }
  }
}

/**
 * SUNION / SDIFF result, built as Redis 7.0's sunionDiffGenericCommand builds
 * it (a new set grown member by member, so its encoding follows the same
 * rules). For a difference Redis picks one of two algorithms by estimated
 * cost; the choice matters for the result's encoding, so we make the same.
 */
function unionOrDiff(c: Client, sets: (SetValue | undefined)[], diff: boolean): SetValue {
  const limits = setLimits(c);
  const out = new SetValue();
  if (!diff) {
    for (const s of sets) {
      if (s === undefined) continue;
      const n = s.size;
      for (let i = 0; i < n; i++) out.add(s.memberAt(i), limits);
    }
    return out;
  }
  const first = sets[0];
  if (first === undefined) return out;
  let algoOne = 0;
  let algoTwo = 0;
  for (const s of sets) {
    if (s === undefined) continue;
    algoOne += first.size;
    algoTwo += s.size;
  }
  algoOne = Math.floor(algoOne / 2);
  if (algoOne <= algoTwo) {
    // Algorithm 1: keep each member of the first set found in no other set,
    // checking the largest sets first.
    const others = sets.slice(1).sort((a, b) => (b?.size ?? 0) - (a?.size ?? 0));
    const n = first.size;
    for (let i = 0; i < n; i++) {
      const m = first.memberAt(i);
      let keep = true;
      for (const s of others) {
        if (s === undefined) continue;
        if (s === first || s.has(m)) {
          keep = false;
          break;
        }
      }
      if (keep) out.add(m, limits);
    }
    return out;
  }
  // Algorithm 2: copy the first set, then remove every member of the others.
  for (let i = 0; i < first.size; i++) out.add(first.memberAt(i), limits);
  for (let j = 1; j < sets.length && out.size > 0; j++) {
    const s = sets[j];
    if (s === undefined) continue;
    const n = s.size;
    for (let i = 0; i < n && out.size > 0; i++) out.remove(s.memberAt(i));
  }
  return out;
}

/** Stores a computed set at `dst` (replacing any value and TTL), or deletes `dst` if it is empty. */
function storeResult(c: Client, dst: string, result: SetValue): number {
  if (result.size > 0) c.db.set(dst, result);
  else c.db.delete(dst);
  return result.size;
}

/*------------------------------------------------------------------------------
 * Set commands
 *----------------------------------------------------------------------------*/

export function saddCommand(c: Client, args: string[]): Reply {
  const key = args[1]!;
  const existing = getSet(c, key);
  const s = existing ?? new SetValue();
  const limits = setLimits(c);
  let added = 0;
  for (let i = 2; i < args.length; i++) if (s.add(args[i]!, limits)) added++;
  if (existing === undefined) c.db.set(key, s);
  else if (added > 0) c.db.modified(key);
  return added;
}

export function sremCommand(c: Client, args: string[]): Reply {
  const key = args[1]!;
  const s = getSet(c, key);
  if (s === undefined) return 0;
  let removed = 0;
  for (let i = 2; i < args.length; i++) {
    if (s.remove(args[i]!)) {
      removed++;
      if (s.size === 0) break;
    }
  }
  if (removed > 0) commitRemoval(c, key, s);
  return removed;
}

export function sismemberCommand(c: Client, args: string[]): Reply {
  const s = getSet(c, args[1]!);
  return s !== undefined && s.has(args[2]!) ? 1 : 0;
}

export function smismemberCommand(c: Client, args: string[]): Reply {
  const s = getSet(c, args[1]!);
  const out: Reply[] = new Array(args.length - 2);
  for (let i = 2; i < args.length; i++) out[i - 2] = s !== undefined && s.has(args[i]!) ? 1 : 0;
  return out;
}

export function smembersCommand(c: Client, args: string[]): Reply {
  const s = getSet(c, args[1]!);
  return new SetReply(s === undefined ? [] : s.members());
}

export function scardCommand(c: Client, args: string[]): Reply {
  return getSet(c, args[1]!)?.size ?? 0;
}

/**
 * SPOP key [count]. Without a count: one random member removed, or null.
 * With a count: a set of min(count, size) distinct members removed; when
 * count >= size the whole set goes, listed in the order of a set rebuilt
 * from it (ascending for an intset), as Redis does.
 */
export function spopCommand(c: Client, args: string[]): Reply {
  const key = args[1]!;
  if (args.length > 3) throw SYNTAX;
  if (args.length === 2) {
    const s = getSet(c, key);
    if (s === undefined) return null;
    const m = s.memberAt(randomIndex(s.size));
    s.remove(m);
    commitRemoval(c, key, s);
    return m;
  }
  const count = parsePositive(args[2]!, MUST_BE_POSITIVE);
  const s = getSet(c, key);
  if (s === undefined || count === 0) return new SetReply([]);
  if (count >= s.size) {
    const all = SetValue.from(s.members(), setLimits(c)).members();
    c.db.delete(key);
    return new SetReply(all);
  }
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const m = s.memberAt(randomIndex(s.size));
    s.remove(m);
    out.push(m);
  }
  c.db.modified(key);
  return new SetReply(out);
}

/**
 * SRANDMEMBER key [count]. Negative count: |count| members drawn with
 * repetition; count >= size: the whole set; otherwise distinct members.
 * Always an array (also in RESP3), as in Redis 7.0.
 */
export function srandmemberCommand(c: Client, args: string[]): Reply {
  if (args.length > 3) throw SYNTAX;
  if (args.length === 2) {
    const s = getSet(c, args[1]!);
    return s === undefined ? null : s.memberAt(randomIndex(s.size));
  }
  const count = parseCount(args[2]!);
  const s = getSet(c, args[1]!);
  if (s === undefined || count === 0n) return [];
  const size = s.size;
  if (count < 0n) {
    const n = Number(-count);
    const out: string[] = new Array(n);
    for (let i = 0; i < n; i++) out[i] = s.memberAt(randomIndex(size));
    return out;
  }
  if (count >= BigInt(size)) return s.members();
  const picks = pickDistinct(size, Number(count));
  const out: string[] = new Array(picks.length);
  for (let i = 0; i < picks.length; i++) out[i] = s.memberAt(picks[i]!);
  return out;
}

export function smoveCommand(c: Client, args: string[]): Reply {
  const srcKey = args[1]!;
  const dstKey = args[2]!;
  const member = args[3]!;
  const srcValue = c.db.get(srcKey);
  const dstValue = c.db.get(dstKey);
  if (srcValue === undefined) return 0;
  const src = getSet(c, srcKey)!;
  const dst = dstValue === undefined ? undefined : getSet(c, dstKey);
  if (src === dst) return src.has(member) ? 1 : 0;
  if (!src.remove(member)) return 0;
  commitRemoval(c, srcKey, src);
  if (dst === undefined) {
    const s = new SetValue();
    s.add(member, setLimits(c));
    c.db.set(dstKey, s);
  } else if (dst.add(member, setLimits(c))) {
    c.db.modified(dstKey);
  }
  return 1;
}

export function sinterCommand(c: Client, args: string[]): Reply {
  const sets = lookupSets(c, args, 1, args.length);
  const out: string[] = [];
  if (sets.includes(undefined)) return new SetReply(out);
  intersect(sets as SetValue[], 0, (m) => out.push(m));
  return new SetReply(out);
}

export function sintercardCommand(c: Client, args: string[]): Reply {
  const numText = args[1]!;
  if (!isInt64Text(numText)) throw NUMKEYS_POSITIVE;
  const numkeys = Number(numText);
  if (numkeys < 1) throw NUMKEYS_POSITIVE;
  if (numkeys > args.length - 2) throw TOO_MANY_NUMKEYS;
  let limit = 0;
  for (let i = 2 + numkeys; i < args.length; i++) {
    if (args[i]!.toLowerCase() === 'limit' && i + 1 < args.length) {
      limit = parsePositive(args[++i]!, LIMIT_NEGATIVE);
    } else {
      throw SYNTAX;
    }
  }
  const sets = lookupSets(c, args, 2, 2 + numkeys);
  if (sets.includes(undefined)) return 0;
  let n = 0;
  intersect(sets as SetValue[], limit, () => n++);
  return n;
}

export function sinterstoreCommand(c: Client, args: string[]): Reply {
  const sets = lookupSets(c, args, 2, args.length);
  const result = new SetValue();
  if (!sets.includes(undefined)) {
    const limits = setLimits(c);
    intersect(sets as SetValue[], 0, (m) => result.add(m, limits));
  }
  return storeResult(c, args[1]!, result);
}

export function sunionCommand(c: Client, args: string[]): Reply {
  return new SetReply(unionOrDiff(c, lookupSets(c, args, 1, args.length), false).members());
}

export function sunionstoreCommand(c: Client, args: string[]): Reply {
  return storeResult(c, args[1]!, unionOrDiff(c, lookupSets(c, args, 2, args.length), false));
}

export function sdiffCommand(c: Client, args: string[]): Reply {
  return new SetReply(unionOrDiff(c, lookupSets(c, args, 1, args.length), true).members());
}

export function sdiffstoreCommand(c: Client, args: string[]): Reply {
  return storeResult(c, args[1]!, unionOrDiff(c, lookupSets(c, args, 2, args.length), true));
}

/**
 * SSCAN key cursor [MATCH pattern] [COUNT count]: an intset is returned whole
 * (ascending) with cursor 0; a hashtable is walked with the DenseMap cursor.
 * Checks in Redis's order: cursor, key, then options.
 */
export function sscanCommand(c: Client, args: string[]): Reply {
  const cursor = parseScanCursor(args[2]!);
  const s = getSet(c, args[1]!);
  if (s === undefined) return scanReply(0, []);
  const { pattern, count } = parseScanOptions(args, 3);
  const items: Reply[] = [];
  const table = s.table;
  if (table === undefined) {
    for (const m of s.members()) if (pattern === undefined || matchGlob(pattern, m)) items.push(m);
    return scanReply(0, items);
  }
  const next = table.scan(cursor, count, (m) => {
    if (pattern === undefined || matchGlob(pattern, m)) items.push(m);
  });
  return scanReply(next, items);
}

export const SET_HANDLERS: HandlerTable = {
  sadd: saddCommand,
  srem: sremCommand,
  sismember: sismemberCommand,
  smismember: smismemberCommand,
  smembers: smembersCommand,
  scard: scardCommand,
  spop: spopCommand,
  srandmember: srandmemberCommand,
  smove: smoveCommand,
  sinter: sinterCommand,
  sintercard: sintercardCommand,
  sinterstore: sinterstoreCommand,
  sunion: sunionCommand,
  sunionstore: sunionstoreCommand,
  sdiff: sdiffCommand,
  sdiffstore: sdiffstoreCommand,
  sscan: sscanCommand,
};
