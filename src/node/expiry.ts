/**
 * Active expiry: deleting keys whose TTL passed even if nobody reads them.
 *
 * Algorithm (Redis's activeExpireCycle, adapted). The server calls
 * `activeExpireCycle` `hz` times a second. Each call may use at most
 * `ACTIVE_EXPIRE_CYCLE_SLOW_TIME_PERC` percent of the interval between calls
 * (25% at the default effort: 25 ms at hz=10), so the event loop is never
 * stalled for long. For each database it examines keys that carry a TTL in
 * batches of 20 (more at higher `active-expire-effort`), deletes the due ones,
 * and goes on with another batch while the batch had more than 10% due keys
 * (then the database likely holds many more) and the time budget lasts.
 *
 * Redis samples random entries of its expires dict; JS Maps have no random
 * access, so we sweep: each database keeps a live iterator over its expires
 * Map and continues where the previous batch stopped, wrapping around at the
 * end. Over successive cycles every key with a TTL is examined, and the
 * fraction of due keys in a batch estimates the stale fraction as Redis's
 * random sample does. The time budget is checked every batch via the clock.
 *
 * When the budget runs out, the next cycle starts from the database where
 * this one stopped (Redis's `current_db`), so one database full of expired
 * keys cannot starve the others.
 */
import type { Database } from './keyspace.js';

const KEYS_PER_LOOP = 20;
const SLOW_TIME_PERC = 25;
const ACCEPTABLE_STALE = 10;

export interface ExpireCycleOptions {
  /** Calls per second (`hz`), to size the time budget. */
  hz: number;
  /** `active-expire-effort`, 1..10. */
  effort: number;
  /** Monotonic time in ms for the budget; unix ms for TTL comparisons come from `now`. */
  elapsed: () => number;
  now: () => number;
}

/** Per set of databases: the index the next cycle starts from. */
const NEXT_DB = new WeakMap<readonly Database[], number>();

/** Runs one active expire cycle over `dbs`; returns the number of keys expired. */
export function activeExpireCycle(dbs: readonly Database[], opts: ExpireCycleOptions): number {
  const effort = opts.effort - 1;
  const perLoop = KEYS_PER_LOOP + (KEYS_PER_LOOP / 4) * effort;
  const acceptable = ACCEPTABLE_STALE - effort;
  const budgetMs = (1000 / opts.hz) * ((SLOW_TIME_PERC + 2 * effort) / 100);
  const start = opts.elapsed();
  let expired = 0;
  const first = (NEXT_DB.get(dbs) ?? 0) % Math.max(1, dbs.length);
  for (let n = 0; n < dbs.length; n++) {
    const index = (first + n) % dbs.length;
    const db = dbs[index]!;
    if (db.expires.size === 0) continue;
    for (;;) {
      const now = opts.now();
      const batch = Math.min(perLoop, db.expires.size);
      let seen = 0;
      let due = 0;
      let wrapped = false;
      while (seen < batch) {
        db.expireIterator ??= db.expires.entries();
        const r = db.expireIterator.next();
        if (r.done) {
          db.expireIterator = undefined;
          if (wrapped) break;
          wrapped = true;
          continue;
        }
        seen++;
        const [key, at] = r.value;
        if (at <= now) {
          db.expireNow(key);
          due++;
        }
      }
      expired += due;
      if (seen === 0 || due * 100 <= seen * acceptable) break;
      if (opts.elapsed() - start > budgetMs) {
        NEXT_DB.set(dbs, index + 1);
        return expired;
      }
    }
  }
  NEXT_DB.set(dbs, 0);
  return expired;
}
