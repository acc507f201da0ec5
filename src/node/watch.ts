/**
 * WATCH bookkeeping (optimistic locking for MULTI/EXEC).
 *
 * Expiry: a watched key whose TTL passes fails EXEC, as in Redis 7.0, either
 * because its deletion (lazy or active) goes through `touched`, or because
 * EXEC finds its TTL already past (../commands/transactions.ts). WATCH
 * expires a key whose TTL had passed before watching it, so that only later
 * changes count.
 *
 * For each database, a map from watched key to the clients watching it. Any
 * change to a watched key (a write, a deletion, an expiry, a flush, a
 * SWAPDB) marks its watchers dirty, and their next EXEC fails with a null
 * reply. Cost: one Map lookup per modification while anyone watches that
 * database, nothing otherwise.
 */
import type { Database } from './keyspace.js';

/**
 * Whoever watches keys: a client (WATCH), or MIGRATE guarding a key on its
 * way (./cluster/migrate.ts, ./cluster/chunked-transfer.ts).
 */
export interface Watcher {
  watching: { db: Database; key: string }[];
  watchDirty: boolean;
}

export class WatchRegistry {
  #byDb = new Map<Database, Map<string, Set<Watcher>>>();

  /** True if nobody watches any key (the fast path for `touched`). */
  get empty(): boolean {
    return this.#byDb.size === 0;
  }

  watch(c: Watcher, db: Database, key: string): void {
    let keys = this.#byDb.get(db);
    if (keys === undefined) this.#byDb.set(db, (keys = new Map()));
    let clients = keys.get(key);
    if (clients === undefined) keys.set(key, (clients = new Set()));
    if (clients.has(c)) return;
    clients.add(c);
    c.watching.push({ db, key });
  }

  /** Forgets every key `c` watches (UNWATCH, EXEC, DISCARD, disconnect). */
  unwatchAll(c: Watcher): void {
    for (const { db, key } of c.watching) {
      const keys = this.#byDb.get(db);
      const clients = keys?.get(key);
      if (clients === undefined) continue;
      clients.delete(c);
      if (clients.size === 0) keys!.delete(key);
      if (keys!.size === 0) this.#byDb.delete(db);
    }
    c.watching = [];
    c.watchDirty = false;
  }

  /** A key changed: its watchers' transactions will fail. */
  touched(db: Database, key: string): void {
    const clients = this.#byDb.get(db)?.get(key);
    if (clients === undefined) return;
    for (const c of clients) c.watchDirty = true;
  }

  /**
   * Every key of `db` may have changed (FLUSHDB, FLUSHALL, SWAPDB); call it
   * before the change. `changed(key)` says whether a watched key counts:
   * Redis only fails watchers of keys that existed (flush) or that exist on
   * either side (swap), so callers pass `(k) => db.has(k)` or the like. A key
   * whose TTL passed is expired by that `has` call, which dirties its
   * watchers through `touched` just as Redis counts it as a change.
   */
  touchedAll(db: Database, changed: (key: string) => boolean = () => true): void {
    const keys = this.#byDb.get(db);
    if (keys === undefined) return;
    for (const [key, clients] of keys) {
      if (!changed(key)) continue;
      for (const c of clients) c.watchDirty = true;
    }
  }
}
