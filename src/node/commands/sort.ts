/**
 * SORT and SORT_RO (Redis's sort.c).
 *
 * The elements of a list, set or sorted set are loaded into a vector with a
 * sort weight each: the element itself, or the value of the key made by
 * substituting the element for the first `*` of the BY pattern (a string
 * key, or a hash field with `key->field`). Numeric sorting parses weights as
 * doubles (ties broken by the elements' bytes, so the order is total);
 * ALPHA compares bytes. `BY` without `*` skips sorting: lists and sorted sets
 * keep their own order, sets too unless the result is STOREd (then ALPHA is
 * forced, for a deterministic result). LIMIT selects a window of the result;
 * GET patterns replace each element by looked-up values (`#` is the element).
 * STORE writes the result as a list and replies its length.
 */
import type { Client } from '../client.js';
import type { HandlerTable } from '../command-handler.js';
import { signalKeyReady } from '../blocking.js';
import { NOT_INTEGER, RespError, SYNTAX, WRONGTYPE } from '../errors.js';
import { parseDouble, parseInteger } from '../numbers.js';
import type { Reply } from '../resp/reply.js';
import { HashValue } from '../types/hash.js';
import { ListValue } from '../types/list.js';
import { SetValue } from '../types/set.js';
import { ZSetValue } from '../types/zset.js';
import { partialSort } from '../partial-sort.js';

const NOT_DOUBLE = new RespError("ERR One or more scores can't be converted into double");
const BY_CLUSTER = new RespError('ERR BY option of SORT denied in Cluster mode.');
const GET_CLUSTER = new RespError('ERR GET option of SORT denied in Cluster mode.');

/*------------------------------------------------------------------------------
 * Sort helpers
 *----------------------------------------------------------------------------*/

/** Byte-wise comparison of latin1 strings (memcmp, then length). */
function compareBytes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function isSpace(ch: number): boolean {
  return ch === 0x20 || (ch >= 0x09 && ch <= 0x0d);
}

/**
 * A numeric sort weight as Redis reads it with strtod: the whole text must
 * parse (leading spaces allowed, the empty text is 0), no NaN, no overflow
 * or underflow. Undefined when refused.
 */
function sortWeight(s: string): number | undefined {
  if (s.length === 0) return 0;
  let i = 0;
  while (i < s.length && isSpace(s.charCodeAt(i))) i++;
  return i === s.length ? undefined : parseDouble(i === 0 ? s : s.slice(i));
}

/**
 * Redis's lookupKeyByPattern: `#` is the element itself; otherwise the first
 * `*` of `pattern` is replaced by `subst` and the resulting key is read, as a
 * string, or as a hash field when the pattern ends in `->field` after the
 * `*`. A pattern without `*`, a missing key or a wrong type give undefined.
 */
function lookupByPattern(c: Client, pattern: string, subst: string): string | undefined {
  if (pattern === '#') return subst;
  const star = pattern.indexOf('*');
  if (star < 0) return undefined;
  const arrow = pattern.indexOf('->', star + 1);
  let keyEnd = pattern.length;
  let field: string | undefined;
  if (arrow >= 0 && arrow + 2 < pattern.length) {
    field = pattern.slice(arrow + 2);
    keyEnd = arrow;
  }
  const key = pattern.slice(0, star) + subst + pattern.slice(star + 1, keyEnd);
  const v = c.db.get(key);
  if (v === undefined) return undefined;
  if (field !== undefined) return v instanceof HashValue ? v.get(field) : undefined;
  return typeof v === 'string' ? v : undefined;
}

interface SortItem {
  elem: string;
  score: number;
  /** ALPHA with BY: the looked-up value (undefined sorts first). */
  cmp: string | undefined;
}

/**
 * SORT key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC|DESC]
 * [ALPHA] [STORE destination]; SORT_RO when `readonly` (no STORE).
 */
function sortGeneric(c: Client, args: string[], readonly: boolean): Reply {
  let desc = false;
  let alpha = false;
  let limitStart = 0;
  let limitCount = -1;
  let dontsort = false;
  let sortby: string | undefined;
  let storekey: string | undefined;
  const gets: string[] = [];
  const cluster = c.server.config.getBool('cluster-enabled');
  for (let j = 2; j < args.length; j++) {
    const left = args.length - j - 1;
    const o = args[j]!.toLowerCase();
    if (o === 'asc') {
      desc = false;
    } else if (o === 'desc') {
      desc = true;
    } else if (o === 'alpha') {
      alpha = true;
    } else if (o === 'limit' && left >= 2) {
      const a = parseInteger(args[j + 1]!);
      const b = a === undefined ? undefined : parseInteger(args[j + 2]!);
      if (a === undefined || b === undefined) throw NOT_INTEGER;
      limitStart = clamp(a);
      limitCount = clamp(b);
      j += 2;
    } else if (!readonly && o === 'store' && left >= 1) {
      storekey = args[j + 1]!;
      j++;
    } else if (o === 'by' && left >= 1) {
      sortby = args[j + 1]!;
      if (sortby.indexOf('*') < 0) dontsort = true;
      else if (cluster) throw BY_CLUSTER;
      j++;
    } else if (o === 'get' && left >= 1) {
      if (cluster) throw GET_CLUSTER;
      gets.push(args[j + 1]!);
      j++;
    } else {
      throw SYNTAX;
    }
  }

  const sortval = c.db.get(args[1]!);
  if (sortval !== undefined && !(sortval instanceof ListValue) && !(sortval instanceof SetValue) && !(sortval instanceof ZSetValue)) {
    throw WRONGTYPE;
  }
  if (dontsort && sortval instanceof SetValue && storekey !== undefined) {
    // A set has no order of its own: make a stored result deterministic.
    dontsort = false;
    alpha = true;
    sortby = undefined;
  }
  // Redis converts a compact sorted set for SORT (visible in OBJECT ENCODING).
  if (sortval instanceof ZSetValue) sortval.convertToSkiplist();

  let vectorlen = sortval === undefined ? 0 : sortval.size;
  let start = limitStart < 0 ? 0 : limitStart;
  let end = limitCount < 0 ? vectorlen - 1 : start + limitCount - 1;
  if (start >= vectorlen) {
    start = vectorlen - 1;
    end = vectorlen - 2;
  }
  if (end >= vectorlen) end = vectorlen - 1;

  let elems: string[];
  const ordered = sortval instanceof ListValue || sortval instanceof ZSetValue;
  if (ordered && dontsort) {
    // Native order (reversed by DESC), only the LIMIT window.
    elems = [];
    if (end >= start) {
      const n = vectorlen;
      if (sortval instanceof ListValue) {
        if (desc) for (let i = n - 1 - start; i >= n - 1 - end; i--) elems.push(sortval.get(i));
        else elems = sortval.range(start, end);
      } else {
        const z = sortval as ZSetValue;
        if (desc) z.range(n - 1 - start, n - 1 - end, true, elems, null);
        else z.range(start, end, false, elems, null);
      }
      end -= start;
      start = 0;
    }
    vectorlen = elems.length;
  } else if (sortval instanceof ListValue) {
    elems = sortval.toArray();
  } else if (sortval instanceof SetValue) {
    elems = sortval.members();
  } else if (sortval instanceof ZSetValue) {
    elems = [];
    const d = sortval.dict;
    if (d !== null) for (let i = 0; i < d.size; i++) elems.push(d.keyAt(i));
    else sortval.forEach((m) => elems.push(m));
  } else {
    elems = [];
  }

  if (!dontsort) {
    const items: SortItem[] = new Array(elems.length);
    let conversionError = false;
    for (let i = 0; i < elems.length; i++) {
      const elem = elems[i]!;
      const item: SortItem = { elem, score: 0, cmp: undefined };
      items[i] = item;
      let byval: string | undefined = elem;
      if (sortby !== undefined) {
        byval = lookupByPattern(c, sortby, elem);
        if (byval === undefined) continue;
      }
      if (alpha) {
        if (sortby !== undefined) item.cmp = byval;
      } else {
        const w = sortWeight(byval);
        if (w === undefined) conversionError = true;
        else item.score = w;
      }
    }
    if (conversionError) throw NOT_DOUBLE;
    const byPattern = sortby !== undefined;
    const compare = (a: SortItem, b: SortItem): number => {
      let cmp: number;
      if (!alpha) {
        cmp = a.score > b.score ? 1 : a.score < b.score ? -1 : compareBytes(a.elem, b.elem);
      } else if (byPattern) {
        if (a.cmp === undefined || b.cmp === undefined) cmp = a.cmp === b.cmp ? 0 : a.cmp === undefined ? -1 : 1;
        else cmp = compareBytes(a.cmp, b.cmp);
      } else {
        cmp = compareBytes(a.elem, b.elem);
      }
      return desc ? -cmp : cmp;
    };
    // As Redis: a BY sort with a LIMIT window narrower than the whole uses
    // pqsort (its own order among ties), anything else qsort (stable here).
    if (byPattern && (start !== 0 || end !== vectorlen - 1)) partialSort(items, compare, start, end);
    else items.sort(compare);
    for (let i = 0; i < items.length; i++) elems[i] = items[i]!.elem;
  }

  const out: (string | null)[] = [];
  for (let j = start; j <= end; j++) {
    const elem = elems[j]!;
    if (gets.length === 0) {
      out.push(elem);
      continue;
    }
    for (const g of gets) out.push(lookupByPattern(c, g, elem) ?? null);
  }
  if (storekey === undefined) return out;
  if (out.length > 0) {
    const list = ListValue.from(out.map((v) => v ?? ''));
    c.db.set(storekey, list);
    signalKeyReady(c.db, storekey);
  } else {
    c.db.delete(storekey);
  }
  return out.length;
}

/** A LIMIT argument as a C long, clamped to the safe integer range. */
function clamp(v: number | bigint): number {
  if (typeof v === 'number') return v;
  return v < 0n ? -Number.MAX_SAFE_INTEGER : Number.MAX_SAFE_INTEGER;
}

/*------------------------------------------------------------------------------
 * Sort commands
 *----------------------------------------------------------------------------*/

export function sortCommand(c: Client, args: string[]): Reply {
  return sortGeneric(c, args, false);
}

export function sortRoCommand(c: Client, args: string[]): Reply {
  return sortGeneric(c, args, true);
}

export const SORT_HANDLERS: HandlerTable = {
  sort: sortCommand,
  sort_ro: sortRoCommand,
};
