/**
 * A growable array in pages, for the big collections' element tables
 * (DenseMap's keys and values, the skiplist's members).
 *
 * Why not a plain JS array. A JS array grows by allocating a backing store
 * half as big again and copying every element into it, in one step. Near a
 * million elements that step took 45 ms on this machine (most of it page
 * faults of the fresh memory), and a 1,000-member ZADD that grew three such
 * arrays at once held every client for 118 ms (SLOWLOG on a node loading a
 * 1M-member zset). Redis has no such step: its dict rehashes incrementally
 * and its skiplist allocates node by node.
 *
 * Layout. Elements live in pages of `PAGE` (4096) elements: element i is
 * `pages[i >>> 12][i & 4095]`. Only the last page grows (a plain push, so
 * V8 copies at most one page, 32 KiB, per growth), and a new page starts
 * when it is full, so no step costs more than one page whatever the size.
 * A small table is one small array, as before: no memory is reserved ahead.
 * Popping the last element of a page drops the page, so memory follows the
 * size down.
 *
 * Cost. A read is one more load (the page table, a few hundred entries per
 * million elements, stays in cache): in a tight loop over a million
 * elements, sequential reads went from 6.5 to 7.3 ms and random ones from
 * 57 to 85 ns each; filling was no slower.
 */

const PAGE_BITS = 12;
/** Elements per page. */
export const PAGE = 1 << PAGE_BITS;
const PAGE_MASK = PAGE - 1;

export class PagedArray<T> {
  /** Full pages, then the last (possibly partial) one; never empty. */
  #pages: T[][] = [[]];
  #length = 0;

  get length(): number {
    return this.#length;
  }

  /** Element `i` (0 <= i < length; unchecked). */
  at(i: number): T {
    return this.#pages[i >>> PAGE_BITS]![i & PAGE_MASK]!;
  }

  /** Replaces element `i` (0 <= i < length; unchecked). */
  set(i: number, v: T): void {
    this.#pages[i >>> PAGE_BITS]![i & PAGE_MASK] = v;
  }

  /** Appends `v`. */
  push(v: T): void {
    const n = this.#length;
    const p = n >>> PAGE_BITS;
    if (p === this.#pages.length) this.#pages.push([v]);
    else this.#pages[p]!.push(v);
    this.#length = n + 1;
  }

  /** Removes and returns the last element (undefined when empty). */
  pop(): T | undefined {
    const n = this.#length - 1;
    if (n < 0) return undefined;
    const p = n >>> PAGE_BITS;
    const page = this.#pages[p]!;
    const v = page.pop();
    this.#length = n;
    if (page.length === 0 && p > 0) this.#pages.pop();
    return v;
  }
}
