/**
 * Partial quicksort with Redis's exact tie order (SORT ... BY ... LIMIT).
 *
 * Why not Array.prototype.sort. SORT's comparison can call two elements
 * equal (ALPHA BY a pattern whose keys are missing or hold the same
 * string), and Redis does not break such ties. Without LIMIT it sorts with
 * glibc's qsort, a stable merge sort, which Array.prototype.sort matches.
 * With BY and a LIMIT window narrower than the whole vector it uses
 * pqsort, Bentley and McIlroy's quicksort ("Engineering a Sort Function",
 * as in NetBSD's libc) changed to skip partitions that lie wholly outside
 * the window. Quicksort moves equal elements around, so to give the same
 * reply byte for byte we run the same algorithm, step for step:
 *
 *  - fewer than 7 elements: insertion sort;
 *  - otherwise the pivot is the middle element, or for more than 7 the
 *    median of first, middle and last, each itself a median of three
 *    spread elements when there are more than 40 (Tukey's ninther); it is
 *    swapped to the front;
 *  - a three-way partition scans from both ends, parking elements equal to
 *    the pivot at both ends of the array and swapping misplaced pairs
 *    (Redis 7.0's pqsort has no switch to insertion sort when the scan
 *    swapped nothing, as some qsort versions do: checked against
 *    redis-server 7.0.15 by test/differential/sort.test.ts);
 *  - the parked equal runs are swapped into the middle, then the part
 *    below the pivot is sorted recursively and the part above iteratively,
 *    each only if it overlaps the window [lrange, rrange].
 *
 * Elements outside the window end up in their partition, not sorted.
 */

type Compare<T> = (a: T, b: T) => number;

function swap<T>(v: T[], i: number, j: number): void {
  const t = v[i]!;
  v[i] = v[j]!;
  v[j] = t;
}

/** Swaps the `n` elements starting at `i` with the `n` starting at `j`, pairwise. */
function swapRuns<T>(v: T[], i: number, j: number, n: number): void {
  for (let k = 0; k < n; k++) swap(v, i + k, j + k);
}

/** Index of the median of v[a], v[b], v[c], choosing among ties as the C original does. */
function median3<T>(v: T[], a: number, b: number, c: number, cmp: Compare<T>): number {
  if (cmp(v[a]!, v[b]!) < 0) {
    if (cmp(v[b]!, v[c]!) < 0) return b;
    return cmp(v[a]!, v[c]!) < 0 ? c : a;
  }
  if (cmp(v[b]!, v[c]!) > 0) return b;
  return cmp(v[a]!, v[c]!) < 0 ? a : c;
}

function insertionSort<T>(v: T[], from: number, n: number, cmp: Compare<T>): void {
  for (let m = from + 1; m < from + n; m++) {
    for (let l = m; l > from && cmp(v[l - 1]!, v[l]!) > 0; l--) swap(v, l, l - 1);
  }
}

/** True unless the window [lo, hi] lies wholly before or wholly after elements [from, from + n). */
function overlaps(from: number, n: number, lo: number, hi: number): boolean {
  return !((lo < from && hi < from) || (lo >= from + n && hi >= from + n));
}

/**
 * Sorts `v` so that positions `lrange`..`rrange` (inclusive) hold what a
 * full sort would put there, in Redis's pqsort order (see the module
 * header). `lrange > rrange` is allowed (an empty window, as SORT's LIMIT
 * past the end gives).
 */
export function partialSort<T>(v: T[], cmp: Compare<T>, lrange: number, rrange: number): void {
  sortRange(v, 0, v.length, cmp, lrange, rrange);
}

function sortRange<T>(v: T[], from: number, n: number, cmp: Compare<T>, lo: number, hi: number): void {
  for (;;) {
    if (n < 7) {
      insertionSort(v, from, n, cmp);
      return;
    }
    let pm = from + Math.floor(n / 2);
    if (n > 7) {
      let pl = from;
      let pn = from + n - 1;
      if (n > 40) {
        const d = Math.floor(n / 8);
        pl = median3(v, pl, pl + d, pl + 2 * d, cmp);
        pm = median3(v, pm - d, pm, pm + d, cmp);
        pn = median3(v, pn - 2 * d, pn - d, pn, cmp);
      }
      pm = median3(v, pl, pm, pn, cmp);
    }
    swap(v, from, pm);
    // [from+1, pa): equal to the pivot; [pa, pb): below; (pc, pd]: above; (pd, end): equal.
    let pa = from + 1;
    let pb = pa;
    let pc = from + n - 1;
    let pd = pc;
    for (;;) {
      let r: number;
      while (pb <= pc && (r = cmp(v[pb]!, v[from]!)) <= 0) {
        if (r === 0) {
          swap(v, pa, pb);
          pa++;
        }
        pb++;
      }
      while (pb <= pc && (r = cmp(v[pc]!, v[from]!)) >= 0) {
        if (r === 0) {
          swap(v, pc, pd);
          pd--;
        }
        pc--;
      }
      if (pb > pc) break;
      swap(v, pb, pc);
      pb++;
      pc--;
    }
    const end = from + n;
    let r = Math.min(pa - from, pb - pa);
    swapRuns(v, from, pb - r, r);
    r = Math.min(pd - pc, end - pd - 1);
    swapRuns(v, pb, end - r, r);
    const below = pb - pa;
    if (below > 1 && overlaps(from, below, lo, hi)) sortRange(v, from, below, cmp, lo, hi);
    const above = pd - pc;
    if (above <= 1) return;
    from = end - above;
    n = above;
    if (!overlaps(from, n, lo, hi)) return;
  }
}
