/**
 * Bucketed retry delays: items pushed with the same delay share one timer, so
 * a TRYAGAIN storm over thousands of commands costs one timer per distinct
 * delay, not one per command. `clear()` cancels every timer and hands back the
 * items (the client rejects them on close), leaving no timer behind.
 */

/** See the module comment. */
export class DelayQueue<T> {
  #buckets = new Map<number, { timer: NodeJS.Timeout; items: T[] }>();
  #run: (item: T) => void;

  /** `run` is called with each item once its delay has passed. */
  constructor(run: (item: T) => void) {
    this.#run = run;
  }

  /** Number of waiting items. */
  get size(): number {
    let n = 0;
    for (const b of this.#buckets.values()) n += b.items.length;
    return n;
  }

  /** Runs `item` after `delayMs` (rounded to whole ms). */
  push(item: T, delayMs: number): void {
    const ms = Math.max(0, Math.round(delayMs));
    const bucket = this.#buckets.get(ms);
    if (bucket !== undefined) {
      bucket.items.push(item);
      return;
    }
    const items = [item];
    const timer = setTimeout(() => {
      this.#buckets.delete(ms);
      for (const it of items) this.#run(it);
    }, ms);
    this.#buckets.set(ms, { timer, items });
  }

  /** Cancels every timer; returns the items that were waiting. */
  clear(): T[] {
    const out: T[] = [];
    for (const b of this.#buckets.values()) {
      clearTimeout(b.timer);
      out.push(...b.items);
    }
    this.#buckets.clear();
    return out;
  }
}
