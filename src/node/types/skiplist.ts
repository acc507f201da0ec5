/**
 * An indexable skiplist of (score, member) pairs: Redis's zskiplist.
 *
 * Algorithm. Elements are kept in a linked list ordered by score, then by
 * member bytes (latin1 strings compare code unit by code unit, which is byte
 * order). Each node also sits on `level` express lanes; a node reaches
 * level k+1 with probability 1/4, capped at 32 levels, so a search from the
 * top lane skips ahead and costs O(log N) expected steps.
 *
 * Every forward link also records its `span`: how many level-0 steps it jumps.
 * Summing spans along a search path gives the 1-based rank of the node
 * reached, which makes rank queries, "element at rank r" and "how many
 * elements sort below x" O(log N) as well (an order-statistic structure).
 * Insertion and deletion fix the spans of the links they cross on each level.
 *
 * Layout. A search is bound by memory latency: each step reads the next
 * node's score and then its links. With one JS object per node plus a
 * `next` and a `span` array (and a boxed double score) a step touched three
 * or four scattered heap objects, and a million nodes meant three million
 * objects for every major GC to mark. So nodes live in one growable
 * ArrayBuffer seen as a Float64Array and an Int32Array, as Redis lays out a
 * zskiplistNode in one allocation. A node is a record of 2 + level 8-byte
 * words at word offset `o`, and `o` is the node's handle:
 *
 *   f64[o]                      score
 *   i32[2o + 2]                 member id (index into `#members`, `#back`)
 *   i32[2o + 3]                 level
 *   i32[2o + 4 + 2i]            forward link on level i (a handle, 0 = none)
 *   i32[2o + 5 + 2i]            span of that link
 *
 * so a step reads one record, usually one cache line. The header is the
 * record at offset 0 with 32 levels; as nothing links to it, handle 0 also
 * means "no node". Members (JS strings) sit in a PagedArray indexed by
 * member id (../paged-array.ts: growing it copies at most a page), and
 * backward links (only used to walk in reverse) in an Int32Array beside
 * it, so the search path never touches them except on score ties. Freed
 * records go to one free list per level (linked through their member id
 * word) and freed member ids to a stack, so deleting and
 * inserting reuse space; the buffer grows by half when full (amortised
 * O(1) per insert) and never shrinks, as an allocator's arenas would not.
 *
 * The structure does not know members are unique: the sorted set keeps a map
 * member → score beside it and never inserts a member twice.
 */
import { PagedArray } from '../paged-array.js';

const MAX_LEVEL = 32;
const P = 0.25;
/** Words of the header record (2 + MAX_LEVEL). */
const HEADER_WORDS = 2 + MAX_LEVEL;
/** Initial capacity in words: the header plus room for a converted listpack (128 entries). */
const INITIAL_WORDS = HEADER_WORDS + 512;

function randomLevel(): number {
  let level = 1;
  while (level < MAX_LEVEL && Math.random() < P) level++;
  return level;
}

export class SkipList {
  #f64: Float64Array;
  #i32: Int32Array;
  /** First unused word of the buffer. */
  #top = HEADER_WORDS;
  /** Head of the free-record list per level (0 = empty). */
  readonly #freeRecords = new Int32Array(MAX_LEVEL + 1);
  /** Member per member id (undefined for free ids). */
  #members = new PagedArray<string | undefined>();
  /** Backward link (handle of the previous node, 0 for the first) per member id. */
  #back = new Int32Array(64);
  /** Member ids free for reuse. */
  readonly #freeIds: number[] = [];
  #tail = 0;
  #length = 0;
  #level = 1;
  /** Handle of the last node a countBelow* search stopped at (0 = before the first). */
  #visited = 0;
  /** Scratch arrays reused by insert/delete so they allocate nothing per call. */
  readonly #update = new Int32Array(MAX_LEVEL);
  readonly #rank = new Int32Array(MAX_LEVEL);

  constructor() {
    const buf = new ArrayBuffer(INITIAL_WORDS * 8);
    this.#f64 = new Float64Array(buf);
    this.#i32 = new Int32Array(buf);
    this.#i32[3] = MAX_LEVEL;
  }

  get length(): number {
    return this.#length;
  }

  /** First node (lowest score), or 0. */
  get first(): number {
    return this.#i32[4]!;
  }

  /** Last node (highest score), or 0. */
  get last(): number {
    return this.#tail;
  }

  /** The node after `n` in order, or 0. */
  next(n: number): number {
    return this.#i32[2 * n + 4]!;
  }

  /** The node before `n` in order, or 0. */
  prev(n: number): number {
    return this.#back[this.#i32[2 * n + 2]!]!;
  }

  /** Score of node `n`. */
  score(n: number): number {
    return this.#f64[n]!;
  }

  /** Member of node `n`. */
  member(n: number): string {
    return this.#members.at(this.#i32[2 * n + 2]!)!;
  }

  /**
   * Handle of the node where the latest `countBelowScore` /
   * `countBelowMember` search stopped: the last node below the bound (the
   * one at the returned rank), 0 when the count was 0. Range commands step
   * on from it instead of searching again.
   */
  get visited(): number {
    return this.#visited;
  }

  /** Allocates a record of `level` levels (links cleared) and returns its handle. */
  private allocRecord(level: number): number {
    let o = this.#freeRecords[level]!;
    if (o !== 0) {
      this.#freeRecords[level] = this.#i32[2 * o + 2]!;
    } else {
      o = this.#top;
      const words = 2 + level;
      if (o + words > this.#f64.length) this.grow(o + words);
      this.#top = o + words;
    }
    this.#i32.fill(0, 2 * o + 4, 2 * o + 4 + 2 * level);
    this.#i32[2 * o + 3] = level;
    return o;
  }

  private grow(minWords: number): void {
    const words = Math.max(minWords, Math.ceil(this.#f64.length * 1.5));
    const buf = new ArrayBuffer(words * 8);
    const f64 = new Float64Array(buf);
    f64.set(this.#f64.subarray(0, this.#top));
    this.#f64 = f64;
    this.#i32 = new Int32Array(buf);
  }

  /**
   * Makes room for `n` more nodes of the expected size (2 + 4/3 words) and
   * their member ids, so that inserting them copies no buffer: a caller
   * that knows the final size (a chunked MIGRATE's target) avoids the
   * copies of a growing 20 MB buffer. Never shrinks; O(1) if already
   * large enough.
   */
  reserve(n: number): void {
    const words = this.#top + Math.ceil(n * (2 + 4 / 3) * 1.02) + MAX_LEVEL;
    if (words > this.#f64.length) this.grow(words);
    const ids = this.#members.length + n;
    if (ids > this.#back.length) {
      const back = new Int32Array(ids);
      back.set(this.#back);
      this.#back = back;
    }
  }

  private allocId(member: string): number {
    const id = this.#freeIds.length > 0 ? this.#freeIds.pop()! : this.#members.length;
    if (id === this.#members.length) {
      this.#members.push(member);
      if (id >= this.#back.length) {
        const back = new Int32Array(this.#back.length * 2);
        back.set(this.#back);
        this.#back = back;
      }
    } else {
      this.#members.set(id, member);
    }
    return id;
  }

  private free(o: number): void {
    const a = this.#i32;
    const id = a[2 * o + 2]!;
    this.#members.set(id, undefined);
    this.#freeIds.push(id);
    const level = a[2 * o + 3]!;
    a[2 * o + 2] = this.#freeRecords[level]!;
    this.#freeRecords[level] = o;
  }

  /**
   * Walks to the last node sorting strictly before (score, member),
   * recording in `#update[i]` the last node visited on each level and, when
   * `withRank`, in `#rank[i]` its rank. Returns that level-0 node.
   */
  private findUpdate(score: number, member: string, withRank: boolean): number {
    const f = this.#f64;
    const a = this.#i32;
    const mem = this.#members;
    const update = this.#update;
    const rank = this.#rank;
    let x = 0;
    let r = 0;
    for (let i = this.#level - 1; i >= 0; i--) {
      for (;;) {
        const nx = a[2 * x + 4 + 2 * i]!;
        if (nx === 0) break;
        const s = f[nx]!;
        if (!(s < score || (s === score && mem.at(a[2 * nx + 2]!)! < member))) break;
        r += a[2 * x + 5 + 2 * i]!;
        x = nx;
      }
      update[i] = x;
      if (withRank) rank[i] = r;
    }
    return x;
  }

  /** Inserts (score, member); the caller guarantees the member is not present. Returns the node. */
  insert(score: number, member: string): number {
    const update = this.#update;
    const rank = this.#rank;
    this.findUpdate(score, member, true);
    const level = randomLevel();
    if (level > this.#level) {
      for (let i = this.#level; i < level; i++) {
        rank[i] = 0;
        update[i] = 0;
        this.#i32[5 + 2 * i] = this.#length;
      }
      this.#level = level;
    }
    const node = this.allocRecord(level);
    const id = this.allocId(member);
    const a = this.#i32;
    this.#f64[node] = score;
    a[2 * node + 2] = id;
    const r0 = rank[0]!;
    for (let i = 0; i < level; i++) {
      const u = 2 * update[i]! + 4 + 2 * i;
      const nl = 2 * node + 4 + 2 * i;
      a[nl] = a[u]!;
      a[u] = node;
      a[nl + 1] = a[u + 1]! - (r0 - rank[i]!);
      a[u + 1] = r0 - rank[i]! + 1;
    }
    for (let i = level; i < this.#level; i++) a[2 * update[i]! + 5 + 2 * i]!++;
    this.#back[id] = update[0]!;
    const nx = a[2 * node + 4]!;
    if (nx !== 0) this.#back[a[2 * nx + 2]!] = node;
    else this.#tail = node;
    this.#length++;
    return node;
  }

  /** Unlinks node `x` given the `#update` path that leads to it, and frees it. */
  private unlink(x: number): void {
    const a = this.#i32;
    const update = this.#update;
    for (let i = 0; i < this.#level; i++) {
      const u = 2 * update[i]! + 4 + 2 * i;
      if (a[u] === x) {
        a[u + 1]! += a[2 * x + 5 + 2 * i]! - 1;
        a[u] = a[2 * x + 4 + 2 * i]!;
      } else {
        a[u + 1]!--;
      }
    }
    const nx = a[2 * x + 4]!;
    const prev = this.#back[a[2 * x + 2]!]!;
    if (nx !== 0) this.#back[a[2 * nx + 2]!] = prev;
    else this.#tail = prev;
    while (this.#level > 1 && a[4 + 2 * (this.#level - 1)] === 0) this.#level--;
    this.#length--;
    this.free(x);
  }

  /** The node holding exactly (score, member) right after `x`, or 0. */
  private matchAfter(x: number, score: number, member: string): number {
    const t = this.#i32[2 * x + 4]!;
    if (t === 0 || this.#f64[t] !== score || this.#members.at(this.#i32[2 * t + 2]!) !== member) return 0;
    return t;
  }

  /** Removes (score, member); returns whether it was there. */
  delete(score: number, member: string): boolean {
    const target = this.matchAfter(this.findUpdate(score, member, false), score, member);
    if (target === 0) return false;
    this.unlink(target);
    return true;
  }

  /**
   * Moves `member` from `curScore` to `newScore`. Keeps the node in place
   * when its neighbours still bracket the new score (the common ZINCRBY case).
   */
  updateScore(curScore: number, member: string, newScore: number): void {
    const node = this.matchAfter(this.findUpdate(curScore, member, false), curScore, member);
    if (node === 0) throw new Error(`Cannot update the score of '${member}' as it is not in the skiplist`);
    const prev = this.prev(node);
    const nxt = this.next(node);
    if (
      (prev === 0 || this.before(prev, newScore, member)) &&
      (nxt === 0 || !this.before(nxt, newScore, member))
    ) {
      this.#f64[node] = newScore;
      return;
    }
    this.unlink(node);
    this.insert(newScore, member);
  }

  /** True if node `n` sorts strictly before (score, member). */
  private before(n: number, score: number, member: string): boolean {
    const s = this.#f64[n]!;
    return s < score || (s === score && this.member(n) < member);
  }

  /** 1-based rank of (score, member), or 0 if absent. Allocates nothing. */
  rankOf(score: number, member: string): number {
    const f = this.#f64;
    const a = this.#i32;
    const mem = this.#members;
    let rank = 0;
    let x = 0;
    for (let i = this.#level - 1; i >= 0; i--) {
      for (;;) {
        const nx = a[2 * x + 4 + 2 * i]!;
        if (nx === 0) break;
        // Advance while the next node sorts before or equal to (score, member).
        const s = f[nx]!;
        if (s > score || (s === score && mem.at(a[2 * nx + 2]!)! > member)) break;
        rank += a[2 * x + 5 + 2 * i]!;
        x = nx;
      }
      if (x !== 0 && f[x] === score && mem.at(a[2 * x + 2]!) === member) return rank;
    }
    return 0;
  }

  /** The node at 1-based `rank`, or 0 if out of range. */
  byRank(rank: number): number {
    if (rank < 1 || rank > this.#length) return 0;
    const a = this.#i32;
    let traversed = 0;
    let x = 0;
    for (let i = this.#level - 1; i >= 0; i--) {
      for (;;) {
        const l = 2 * x + 4 + 2 * i;
        const nx = a[l]!;
        if (nx === 0 || traversed + a[l + 1]! > rank) break;
        traversed += a[l + 1]!;
        x = nx;
      }
      if (traversed === rank) return x;
    }
    return 0;
  }

  /**
   * Number of elements whose score is < `score` (or <= when `inclusive`).
   * Leaves the last such node in `visited`.
   */
  countBelowScore(score: number, inclusive: boolean): number {
    const f = this.#f64;
    const a = this.#i32;
    let rank = 0;
    let x = 0;
    for (let i = this.#level - 1; i >= 0; i--) {
      for (;;) {
        const l = 2 * x + 4 + 2 * i;
        const nx = a[l]!;
        if (nx === 0) break;
        const s = f[nx]!;
        if (!(s < score || (inclusive && s === score))) break;
        rank += a[l + 1]!;
        x = nx;
      }
    }
    this.#visited = x;
    return rank;
  }

  /**
   * Number of elements whose member is < `member` (or <= when `inclusive`),
   * assuming members are in order along the list (all scores equal, as the
   * lex range commands require). Leaves the last such node in `visited`.
   */
  countBelowMember(member: string, inclusive: boolean): number {
    const a = this.#i32;
    const mem = this.#members;
    let rank = 0;
    let x = 0;
    for (let i = this.#level - 1; i >= 0; i--) {
      for (;;) {
        const l = 2 * x + 4 + 2 * i;
        const nx = a[l]!;
        if (nx === 0) break;
        const m = mem.at(a[2 * nx + 2]!)!;
        if (!(m < member || (inclusive && m === member))) break;
        rank += a[l + 1]!;
        x = nx;
      }
    }
    this.#visited = x;
    return rank;
  }
}
