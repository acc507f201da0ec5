/**
 * Sorted set values (Redis's OBJ_ZSET), in two encodings:
 *
 * - `listpack` while small (at most `zset-max-listpack-entries` members, none
 *   longer than `zset-max-listpack-value` bytes): two parallel arrays of
 *   members and scores kept sorted by (score, member). Lookups binary-search
 *   when the score is known and scan otherwise, as Redis's listpack does;
 *   with at most a few hundred entries that beats any pointer structure.
 * - `skiplist` past either limit: an indexable skiplist (./skiplist.ts) for
 *   order and ranks plus a DenseMap member → score for O(1) lookups, so insert,
 *   delete, rank and range by index, score or member are O(log N). Once
 *   converted a value never goes back to `listpack` (as in Redis), except
 *   that freshly built results (ZUNIONSTORE, ZRANGESTORE...) start small.
 *
 * Order: by score, ties by member bytes. Members are latin1 strings, so
 * JS string comparison is byte comparison.
 *
 * The interface is rank-based: a score or lex range is turned into a half-open
 * rank interval [lo, hi) with `countBelowScore` / `countBelowMember`, and the
 * commands then read or delete ranks. That keeps every command O(log N + M)
 * on both encodings with one code path.
 */
import { f64, readF64, readU32, u32 } from '../byte-strings.js';
import { DenseMap } from '../collection-scan.js';
import { DUMP_TAGS, registerDumpCodec } from '../dump.js';
import type { CollectionValue } from '../values.js';
import { SkipList } from './skiplist.js';

/** Limits of the compact encoding (from the zset-max-listpack-* directives). */
export interface ZSetLimits {
  readonly maxEntries: number;
  readonly maxValue: number;
}

/** First index in sorted `members`/`scores` at which (score, member) would be inserted. */
function lowerBound(members: string[], scores: number[], score: number, member: string): number {
  let lo = 0;
  let hi = members.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const s = scores[mid]!;
    if (s < score || (s === score && members[mid]! < member)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** A score range: `min`..`max`, each bound exclusive when its flag is set. */
export interface ScoreRange {
  min: number;
  max: number;
  minex: boolean;
  maxex: boolean;
}

/** A lex range bound: `kind` -1 is `-` (below everything), 1 is `+` (above everything), 0 is `value` (exclusive when `ex`). */
export interface LexBound {
  kind: -1 | 0 | 1;
  value: string;
  ex: boolean;
}

export class ZSetValue implements CollectionValue {
  readonly type = 'zset' as const;
  /** Compact encoding: parallel sorted arrays (null once converted). */
  #lpMembers: string[] | null = [];
  #lpScores: number[] | null = [];
  /** Skiplist encoding. */
  #zsl: SkipList | null = null;
  #dict: DenseMap<number> | null = null;

  get size(): number {
    return this.#dict !== null ? this.#dict.size : this.#lpMembers!.length;
  }

  encoding(): string {
    return this.#dict !== null ? 'skiplist' : 'listpack';
  }

  /** True when stored as a skiplist. */
  get isSkiplist(): boolean {
    return this.#dict !== null;
  }

  /** Switches to the skiplist encoding (no-op if already there). */
  convertToSkiplist(): void {
    if (this.#dict !== null) return;
    const zsl = new SkipList();
    const dict = new DenseMap<number>();
    const m = this.#lpMembers!;
    const s = this.#lpScores!;
    for (let i = 0; i < m.length; i++) {
      zsl.insert(s[i]!, m[i]!);
      dict.set(m[i]!, s[i]!);
    }
    this.#zsl = zsl;
    this.#dict = dict;
    this.#lpMembers = this.#lpScores = null;
  }

  /**
   * Pre-sizes the skiplist and its member table for `n` more members
   * (SkipList.reserve, DenseMap.reserve); a no-op on a listpack. Done in
   * one call (returns true, as DenseMap.reserve).
   */
  reserve(n: number): boolean {
    this.#zsl?.reserve(n);
    return this.#dict?.reserve(n) ?? true;
  }

  /** Score of `member`, or undefined. */
  score(member: string): number | undefined {
    if (this.#dict !== null) return this.#dict.get(member);
    const i = this.#lpMembers!.indexOf(member);
    return i < 0 ? undefined : this.#lpScores![i];
  }

  /**
   * Adds a member that is not present yet, converting to a skiplist first
   * when the result would exceed `limits`.
   */
  insert(member: string, score: number, limits: ZSetLimits): void {
    if (this.#dict === null && (this.#lpMembers!.length + 1 > limits.maxEntries || member.length > limits.maxValue)) {
      this.convertToSkiplist();
    }
    if (this.#dict !== null) {
      this.#zsl!.insert(score, member);
      this.#dict.set(member, score);
      return;
    }
    const m = this.#lpMembers!;
    const s = this.#lpScores!;
    // A listpack stores scores as text parsed back as integers when they can
    // be: -0 comes back as 0 (a skiplist keeps -0).
    if (score === 0) score = 0;
    const at = lowerBound(m, s, score, member);
    if (at === m.length) {
      m.push(member);
      s.push(score);
    } else {
      m.splice(at, 0, member);
      s.splice(at, 0, score);
    }
  }

  /** Changes the score of a present member from `oldScore` to `newScore`. */
  update(member: string, oldScore: number, newScore: number): void {
    if (this.#dict !== null) {
      this.#zsl!.updateScore(oldScore, member, newScore);
      this.#dict.set(member, newScore);
      return;
    }
    const m = this.#lpMembers!;
    const s = this.#lpScores!;
    const at = lowerBound(m, s, oldScore, member);
    m.splice(at, 1);
    s.splice(at, 1);
    if (newScore === 0) newScore = 0; // -0 becomes 0, see insert()
    const to = lowerBound(m, s, newScore, member);
    m.splice(to, 0, member);
    s.splice(to, 0, newScore);
  }

  /** Removes `member`; returns whether it was present. */
  remove(member: string): boolean {
    if (this.#dict !== null) {
      const score = this.#dict.get(member);
      if (score === undefined) return false;
      this.#dict.delete(member);
      this.#zsl!.delete(score, member);
      return true;
    }
    const i = this.#lpMembers!.indexOf(member);
    if (i < 0) return false;
    this.#lpMembers!.splice(i, 1);
    this.#lpScores!.splice(i, 1);
    return true;
  }

  /** 0-based rank of `member` in ascending order, or -1. */
  rank(member: string): number {
    if (this.#dict !== null) {
      const score = this.#dict.get(member);
      if (score === undefined) return -1;
      return this.#zsl!.rankOf(score, member) - 1;
    }
    return this.#lpMembers!.indexOf(member);
  }

  /** Number of members with score < `score` (<= when `inclusive`). */
  countBelowScore(score: number, inclusive: boolean): number {
    if (this.#dict !== null) return this.#zsl!.countBelowScore(score, inclusive);
    const s = this.#lpScores!;
    let lo = 0;
    let hi = s.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const v = s[mid]!;
      if (v < score || (inclusive && v === score)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Number of members < `member` (<= when `inclusive`); meaningful when all scores are equal. */
  countBelowMember(member: string, inclusive: boolean): number {
    if (this.#dict !== null) return this.#zsl!.countBelowMember(member, inclusive);
    const m = this.#lpMembers!;
    let lo = 0;
    let hi = m.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const v = m[mid]!;
      if (v < member || (inclusive && v === member)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * Appends the members (and scores, if `outScores`) of ranks `from`..`to`
   * inclusive (0-based, ascending order, in range) to the output arrays, in
   * descending rank order when `reverse` (then `from` >= `to`).
   */
  range(from: number, to: number, reverse: boolean, outMembers: string[], outScores: number[] | null): void {
    if (this.#dict === null) {
      const m = this.#lpMembers!;
      const s = this.#lpScores!;
      if (reverse) {
        for (let i = from; i >= to; i--) {
          outMembers.push(m[i]!);
          if (outScores !== null) outScores.push(s[i]!);
        }
      } else {
        for (let i = from; i <= to; i++) {
          outMembers.push(m[i]!);
          if (outScores !== null) outScores.push(s[i]!);
        }
      }
      return;
    }
    const zsl = this.#zsl!;
    let n = zsl.byRank(from + 1);
    const count = reverse ? from - to + 1 : to - from + 1;
    for (let k = 0; k < count && n !== 0; k++) {
      outMembers.push(zsl.member(n));
      if (outScores !== null) outScores.push(zsl.score(n));
      n = reverse ? zsl.prev(n) : zsl.next(n);
    }
  }

  /**
   * Appends the members (and scores, if `outScores`) within the score range
   * `r`, ascending, or descending when `reverse`, skipping the first
   * `offset` (>= 0) and taking at most `limit` (negative: all). The same
   * result as reading ranks [countBelowScore(min), countBelowScore(max)),
   * but on a skiplist one search finds the end the walk starts from (plus a
   * rank lookup to skip a non-zero offset) and the walk then stops at the
   * far bound, as Redis's zslFirstInRange/zslLastInRange loop does: two
   * fewer O(log N) searches per call.
   */
  rangeByScore(r: ScoreRange, reverse: boolean, offset: number, limit: number, outMembers: string[], outScores: number[] | null): void {
    if (this.#dict === null) {
      const lo = this.countBelowScore(r.min, r.minex);
      const hi = this.countBelowScore(r.max, !r.maxex);
      this.#rankWindow(lo, hi, reverse, offset, limit, outMembers, outScores);
      return;
    }
    const zsl = this.#zsl!;
    if (!reverse) {
      const lo = zsl.countBelowScore(r.min, r.minex);
      let n = offset === 0 ? zsl.next(zsl.visited) : zsl.byRank(lo + offset + 1);
      const max = r.max;
      const maxex = r.maxex;
      for (let k = 0; n !== 0 && k !== limit; k++) {
        const s = zsl.score(n);
        if (maxex ? s >= max : s > max) break;
        outMembers.push(zsl.member(n));
        if (outScores !== null) outScores.push(s);
        n = zsl.next(n);
      }
    } else {
      const hi = zsl.countBelowScore(r.max, !r.maxex);
      let n = offset === 0 ? zsl.visited : zsl.byRank(hi - offset);
      const min = r.min;
      const minex = r.minex;
      for (let k = 0; n !== 0 && k !== limit; k++) {
        const s = zsl.score(n);
        if (minex ? s <= min : s < min) break;
        outMembers.push(zsl.member(n));
        if (outScores !== null) outScores.push(s);
        n = zsl.prev(n);
      }
    }
  }

  /**
   * rangeByScore for a lex range `min`..`max` (members compared as bytes;
   * meaningful when all scores are equal), with the same single search on
   * a skiplist.
   */
  rangeByLex(min: LexBound, max: LexBound, reverse: boolean, offset: number, limit: number, outMembers: string[]): void {
    if (this.#dict === null) {
      const [lo, hi] = this.lexRanks(min, max);
      this.#rankWindow(lo, hi, reverse, offset, limit, outMembers, null);
      return;
    }
    const zsl = this.#zsl!;
    if (!reverse) {
      if (min.kind === 1 || max.kind === -1) return;
      let n: number;
      if (min.kind === -1) {
        n = offset === 0 ? zsl.first : zsl.byRank(offset + 1);
      } else {
        const lo = zsl.countBelowMember(min.value, min.ex);
        n = offset === 0 ? zsl.next(zsl.visited) : zsl.byRank(lo + offset + 1);
      }
      const open = max.kind === 1;
      const v = max.value;
      const ex = max.ex;
      for (let k = 0; n !== 0 && k !== limit; k++) {
        const m = zsl.member(n);
        if (!open && (ex ? m >= v : m > v)) break;
        outMembers.push(m);
        n = zsl.next(n);
      }
    } else {
      if (max.kind === -1 || min.kind === 1) return;
      let n: number;
      if (max.kind === 1) {
        n = offset === 0 ? zsl.last : zsl.byRank(zsl.length - offset);
      } else {
        const hi = zsl.countBelowMember(max.value, !max.ex);
        n = offset === 0 ? zsl.visited : zsl.byRank(hi - offset);
      }
      const open = min.kind === -1;
      const v = min.value;
      const ex = min.ex;
      for (let k = 0; n !== 0 && k !== limit; k++) {
        const m = zsl.member(n);
        if (!open && (ex ? m <= v : m < v)) break;
        outMembers.push(m);
        n = zsl.prev(n);
      }
    }
  }

  /** Ranks [lo, hi) of the members within a lex range (hi <= lo: empty). */
  lexRanks(min: LexBound, max: LexBound): [number, number] {
    const n = this.size;
    const lo = min.kind === -1 ? 0 : min.kind === 1 ? n : this.countBelowMember(min.value, min.ex);
    const hi = max.kind === -1 ? 0 : max.kind === 1 ? n : this.countBelowMember(max.value, !max.ex);
    return [lo, hi];
  }

  /** Reads ranks [lo, hi) as rangeByScore does: `offset` skipped, at most `limit` (negative: all). */
  #rankWindow(lo: number, hi: number, reverse: boolean, offset: number, limit: number, outMembers: string[], outScores: number[] | null): void {
    if (hi <= lo || limit === 0) return;
    if (reverse) {
      const from = hi - 1 - offset;
      const to = limit < 0 ? lo : Math.max(lo, from - limit + 1);
      if (from >= to) this.range(from, to, true, outMembers, outScores);
    } else {
      const from = lo + offset;
      const to = limit < 0 ? hi - 1 : Math.min(hi - 1, from + limit - 1);
      if (from <= to) this.range(from, to, false, outMembers, outScores);
    }
  }

  /** Member at 0-based rank `i` (in range). */
  memberAt(i: number): string {
    if (this.#dict === null) return this.#lpMembers![i]!;
    const zsl = this.#zsl!;
    return zsl.member(zsl.byRank(i + 1));
  }

  /** Removes ranks [from, to) (0-based, in range); returns how many were removed. */
  removeRange(from: number, to: number): number {
    if (to <= from) return 0;
    if (this.#dict === null) {
      this.#lpMembers!.splice(from, to - from);
      this.#lpScores!.splice(from, to - from);
      return to - from;
    }
    const zsl = this.#zsl!;
    const dict = this.#dict;
    let n = zsl.byRank(from + 1);
    for (let k = from; k < to && n !== 0; k++) {
      // Read the successor first: delete() frees the record of `n`.
      const next = zsl.next(n);
      const member = zsl.member(n);
      dict.delete(member);
      zsl.delete(zsl.score(n), member);
      n = next;
    }
    return to - from;
  }

  /** Calls `fn` for every member in ascending order. */
  forEach(fn: (member: string, score: number) => void): void {
    if (this.#dict === null) {
      const m = this.#lpMembers!;
      const s = this.#lpScores!;
      for (let i = 0; i < m.length; i++) fn(m[i]!, s[i]!);
      return;
    }
    const zsl = this.#zsl!;
    for (let n = zsl.first; n !== 0; n = zsl.next(n)) fn(zsl.member(n), zsl.score(n));
  }

  /** The member → score table of the skiplist encoding (null while listpack), for ZSCAN and ZRANDMEMBER. */
  get dict(): DenseMap<number> | null {
    return this.#dict;
  }

  clone(): ZSetValue {
    const z = new ZSetValue();
    if (this.#dict === null) {
      z.#lpMembers = this.#lpMembers!.slice();
      z.#lpScores = this.#lpScores!.slice();
    } else {
      z.convertToSkiplist();
      this.forEach((m, s) => {
        z.#zsl!.insert(s, m);
        z.#dict!.set(m, s);
      });
    }
    return z;
  }

  memoryUsage(): number {
    let bytes = 16;
    const perEntry = this.#dict !== null ? 96 : 12;
    this.forEach((m) => {
      bytes += m.length + perEntry;
    });
    return bytes;
  }

  /**
   * Builds a sorted set from members and scores (unique members), in the
   * compact encoding when it fits `limits` (the way Redis builds the result
   * of ZUNIONSTORE or ZRANGESTORE).
   */
  static from(members: readonly string[], scores: readonly number[], limits: ZSetLimits): ZSetValue {
    const z = new ZSetValue();
    let maxLen = 0;
    for (const m of members) if (m.length > maxLen) maxLen = m.length;
    if (members.length > limits.maxEntries || maxLen > limits.maxValue) z.convertToSkiplist();
    if (z.#dict !== null) {
      for (let i = 0; i < members.length; i++) {
        z.#zsl!.insert(scores[i]!, members[i]!);
        z.#dict.set(members[i]!, scores[i]!);
      }
      return z;
    }
    const idx = sortedOrder(members, scores);
    z.#lpMembers = idx.map((i) => members[i]!);
    z.#lpScores = idx.map((i) => (scores[i] === 0 ? 0 : scores[i]!));
    return z;
  }
}

/** Indexes of `members`/`scores` in sorted-set order: by score, then by member bytes (-0 and 0 tie). */
export function sortedOrder(members: readonly string[], scores: readonly number[]): number[] {
  const idx = members.map((_, i) => i);
  idx.sort((a, b) => {
    const sa = scores[a]!;
    const sb = scores[b]!;
    if (sa !== sb) return sa < sb ? -1 : 1;
    const ma = members[a]!;
    const mb = members[b]!;
    return ma < mb ? -1 : ma > mb ? 1 : 0;
  });
  return idx;
}

/*------------------------------------------------------------------------------
 * DUMP codec: count, then per member: 4-byte length, bytes, 8-byte float64
 *----------------------------------------------------------------------------*/

/** Limits applied to restored values: the defaults of the directives. */
const RESTORE_LIMITS: ZSetLimits = { maxEntries: 128, maxValue: 64 };

registerDumpCodec({
  tag: DUMP_TAGS.zset,
  type: 'zset',
  encode(v) {
    const z = v as ZSetValue;
    const parts: string[] = [u32(z.size), z.isSkiplist ? '\x01' : '\x00'];
    z.forEach((m, s) => {
      parts.push(u32(m.length), m, f64(s));
    });
    return parts.join('');
  },
  decode(body) {
    if (body.length < 5) return undefined;
    const n = readU32(body, 0);
    const skiplist = body.charCodeAt(4) === 1;
    let p = 5;
    const members: string[] = [];
    const scores: number[] = [];
    const seen = new Set<string>();
    for (let i = 0; i < n; i++) {
      if (p + 4 > body.length) return undefined;
      const len = readU32(body, p);
      p += 4;
      if (p + len + 8 > body.length) return undefined;
      const m = body.slice(p, p + len);
      p += len;
      const s = readF64(body, p);
      p += 8;
      if (Number.isNaN(s) || seen.has(m)) return undefined;
      seen.add(m);
      members.push(m);
      scores.push(s);
    }
    if (p !== body.length || n === 0) return undefined;
    const z = ZSetValue.from(members, scores, RESTORE_LIMITS);
    if (skiplist) z.convertToSkiplist();
    return z;
  },
});
