/**
 * An indexable skiplist of (score, member) pairs: Redis's zskiplist.
 *
 * Algorithm. Elements are kept in a linked list ordered by score, then by
 * member bytes (latin1 strings compare code unit by code unit, which is byte
 * order). Each node also sits on `next.length` express lanes; a node reaches
 * level k+1 with probability 1/4, capped at 32 levels, so a search from the
 * top lane skips ahead and costs O(log N) expected steps.
 *
 * Every forward link also records its `span`: how many level-0 steps it jumps.
 * Summing spans along a search path gives the 1-based rank of the node
 * reached, which makes rank queries, "element at rank r" and "how many
 * elements sort below x" O(log N) as well (an order-statistic structure).
 * Insertion and deletion fix the spans of the links they cross on each level.
 *
 * The structure does not know members are unique: the sorted set keeps a Map
 * member → score beside it and never inserts a member twice.
 */

const MAX_LEVEL = 32;
const P = 0.25;

export class SkipNode {
  member: string;
  score: number;
  backward: SkipNode | null = null;
  /** Forward link per level. */
  readonly next: (SkipNode | null)[];
  /** Level-0 steps jumped by `next[i]` (to the end of the list when `next[i]` is null). */
  readonly span: number[];

  constructor(level: number, score: number, member: string) {
    this.member = member;
    this.score = score;
    this.next = new Array<SkipNode | null>(level).fill(null);
    this.span = new Array<number>(level).fill(0);
  }
}

function randomLevel(): number {
  let level = 1;
  while (level < MAX_LEVEL && Math.random() < P) level++;
  return level;
}

/** True if node `n` sorts strictly before (score, member). */
function before(n: SkipNode, score: number, member: string): boolean {
  return n.score < score || (n.score === score && n.member < member);
}

export class SkipList {
  readonly #header = new SkipNode(MAX_LEVEL, 0, '');
  #tail: SkipNode | null = null;
  #length = 0;
  #level = 1;
  /** Scratch arrays reused by insert/delete so they allocate nothing per call. */
  readonly #update: SkipNode[] = new Array<SkipNode>(MAX_LEVEL);
  readonly #rank = new Array<number>(MAX_LEVEL).fill(0);

  get length(): number {
    return this.#length;
  }

  /** First node (lowest score), or null. */
  get first(): SkipNode | null {
    return this.#header.next[0]!;
  }

  /** Last node (highest score), or null. */
  get last(): SkipNode | null {
    return this.#tail;
  }

  /** Inserts (score, member); the caller guarantees the member is not present. */
  insert(score: number, member: string): SkipNode {
    const update = this.#update;
    const rank = this.#rank;
    let x = this.#header;
    for (let i = this.#level - 1; i >= 0; i--) {
      rank[i] = i === this.#level - 1 ? 0 : rank[i + 1]!;
      let nx = x.next[i]!;
      while (nx !== null && before(nx, score, member)) {
        rank[i]! += x.span[i]!;
        x = nx;
        nx = x.next[i]!;
      }
      update[i] = x;
    }
    const level = randomLevel();
    if (level > this.#level) {
      for (let i = this.#level; i < level; i++) {
        rank[i] = 0;
        update[i] = this.#header;
        this.#header.span[i] = this.#length;
      }
      this.#level = level;
    }
    const node = new SkipNode(level, score, member);
    for (let i = 0; i < level; i++) {
      const u = update[i]!;
      node.next[i] = u.next[i]!;
      u.next[i] = node;
      node.span[i] = u.span[i]! - (rank[0]! - rank[i]!);
      u.span[i] = rank[0]! - rank[i]! + 1;
    }
    for (let i = level; i < this.#level; i++) update[i]!.span[i]!++;
    node.backward = update[0] === this.#header ? null : update[0]!;
    if (node.next[0] !== null) node.next[0]!.backward = node;
    else this.#tail = node;
    this.#length++;
    return node;
  }

  #unlink(x: SkipNode, update: SkipNode[]): void {
    for (let i = 0; i < this.#level; i++) {
      const u = update[i]!;
      if (u.next[i] === x) {
        u.span[i]! += x.span[i]! - 1;
        u.next[i] = x.next[i]!;
      } else {
        u.span[i]!--;
      }
    }
    if (x.next[0] !== null) x.next[0]!.backward = x.backward;
    else this.#tail = x.backward;
    while (this.#level > 1 && this.#header.next[this.#level - 1] === null) this.#level--;
    this.#length--;
  }

  /** Removes (score, member); returns whether it was there. */
  delete(score: number, member: string): boolean {
    const update = this.#update;
    let x = this.#header;
    for (let i = this.#level - 1; i >= 0; i--) {
      let nx = x.next[i]!;
      while (nx !== null && before(nx, score, member)) {
        x = nx;
        nx = x.next[i]!;
      }
      update[i] = x;
    }
    const target = x.next[0]!;
    if (target === null || target.score !== score || target.member !== member) return false;
    this.#unlink(target, update);
    return true;
  }

  /**
   * Moves `member` from `curScore` to `newScore`. Keeps the node in place
   * when its neighbours still bracket the new score (the common ZINCRBY case).
   */
  updateScore(curScore: number, member: string, newScore: number): void {
    const update = this.#update;
    let x = this.#header;
    for (let i = this.#level - 1; i >= 0; i--) {
      let nx = x.next[i]!;
      while (nx !== null && before(nx, curScore, member)) {
        x = nx;
        nx = x.next[i]!;
      }
      update[i] = x;
    }
    const node = x.next[0]!;
    if (node === null || node.score !== curScore || node.member !== member) {
      throw new Error(`Cannot update the score of '${member}' as it is not in the skiplist`);
    }
    const prev = node.backward;
    const nxt = node.next[0]!;
    if ((prev === null || before(prev, newScore, member)) && (nxt === null || !before(nxt, newScore, member))) {
      node.score = newScore;
      return;
    }
    this.#unlink(node, update);
    this.insert(newScore, member);
  }

  /** 1-based rank of (score, member), or 0 if absent. */
  rankOf(score: number, member: string): number {
    let rank = 0;
    let x = this.#header;
    for (let i = this.#level - 1; i >= 0; i--) {
      let nx = x.next[i]!;
      while (nx !== null && (before(nx, score, member) || (nx.score === score && nx.member === member))) {
        rank += x.span[i]!;
        x = nx;
        nx = x.next[i]!;
      }
      if (x !== this.#header && x.score === score && x.member === member) return rank;
    }
    return 0;
  }

  /** The node at 1-based `rank`, or null if out of range. */
  byRank(rank: number): SkipNode | null {
    if (rank < 1 || rank > this.#length) return null;
    let traversed = 0;
    let x = this.#header;
    for (let i = this.#level - 1; i >= 0; i--) {
      let nx = x.next[i]!;
      while (nx !== null && traversed + x.span[i]! <= rank) {
        traversed += x.span[i]!;
        x = nx;
        nx = x.next[i]!;
      }
      if (traversed === rank) return x;
    }
    return null;
  }

  /** Number of elements whose score is < `score` (or <= when `inclusive`). */
  countBelowScore(score: number, inclusive: boolean): number {
    let rank = 0;
    let x = this.#header;
    for (let i = this.#level - 1; i >= 0; i--) {
      let nx = x.next[i]!;
      while (nx !== null && (nx.score < score || (inclusive && nx.score === score))) {
        rank += x.span[i]!;
        x = nx;
        nx = x.next[i]!;
      }
    }
    return rank;
  }

  /**
   * Number of elements whose member is < `member` (or <= when `inclusive`),
   * assuming members are in order along the list (all scores equal, as the
   * lex range commands require).
   */
  countBelowMember(member: string, inclusive: boolean): number {
    let rank = 0;
    let x = this.#header;
    for (let i = this.#level - 1; i >= 0; i--) {
      let nx = x.next[i]!;
      while (nx !== null && (nx.member < member || (inclusive && nx.member === member))) {
        rank += x.span[i]!;
        x = nx;
        nx = x.next[i]!;
      }
    }
    return rank;
  }
}
