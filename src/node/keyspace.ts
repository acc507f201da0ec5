/**
 * One numbered database: the keyspace split into one dictionary per hash slot.
 *
 * Layout. `#slots[s]` is a Map from key (latin1 string) to value for the keys
 * of slot `s`, created on first insert and dropped when it empties, so that
 * slot-level work (COUNTKEYSINSLOT, GETKEYSINSLOT, migrating or flushing a
 * slot) costs what the slot holds. TTLs live apart in `expires` (key → unix
 * ms), as in Redis, so keys without a TTL pay nothing for the feature.
 *
 * Expiry. A key is expired lazily whenever it is looked up (`get` and friends
 * never return an expired value), and actively by `activeExpireCycle`, which
 * the server runs `hz` times a second (see `./expiry.ts` for the algorithm).
 *
 * Access tracking. Per-key access data costs ~40 bytes a key, so it is kept
 * only while `maxmemory-policy` is an LRU or LFU policy (`setAccessPolicy`),
 * in the side Map `#access` (key → number): under LRU the unix ms of the
 * last access; under LFU Redis's 24-bit word, (minutes & 0xffff) << 8 |
 * logarithmic counter. Under other policies nothing is tracked and OBJECT
 * IDLETIME reports 0 (knowing the time of the last write would cost the
 * same per-key entry). Lookups with `get` count as accesses; `peek` does
 * not (TYPE, TTL, OBJECT, SCAN's TYPE filter, as Redis's LOOKUP_NOTOUCH).
 *
 * Change signals. Every mutation ends in `modified(key)` (Redis's
 * signalModifiedKey + dirty++): `set` and `delete` call it themselves;
 * handlers that change a collection in place call it after the change. The
 * server uses it to invalidate WATCH and to count changes for persistence.
 */
import { keySlot, SLOT_COUNT } from '../router/slot.js';
import type { Value } from './values.js';

/** Callbacks from a database to the server that owns it. */
export interface KeyspaceHooks {
  now(): number;
  /** A key's value changed, was created or deleted. */
  modified(db: Database, key: string): void;
  /** A key was deleted because its TTL passed (after `modified`). */
  expired(db: Database, key: string): void;
}

/** Scan cursors pack slot (14 bits), offset in the slot (25 bits) and the slot's deletion counter (25 bits). */
const OFFSET_BITS = 25n;
const DELS_BITS = 25n;
const OFFSET_MASK = (1n << OFFSET_BITS) - 1n;
const DELS_MASK = (1 << Number(DELS_BITS)) - 1;
const CURSOR_CACHE_SIZE = 64;

/** Redis's defaults: lfu-log-factor 10, lfu-decay-time 1 minute, LFU_INIT_VAL 5. */
const LFU_LOG_FACTOR = 10;
const LFU_DECAY_MINUTES = 1;
const LFU_INIT_VAL = 5;

/** What per-key access data is kept, derived from `maxmemory-policy`. */
export type AccessMode = 'none' | 'lru' | 'lfu';

/** The access mode a `maxmemory-policy` value needs. */
export function accessModeFor(policy: string): AccessMode {
  if (policy.endsWith('-lru')) return 'lru';
  if (policy.endsWith('-lfu')) return 'lfu';
  return 'none';
}

interface CachedCursor {
  map: Map<string, Value>;
  iter: Iterator<string>;
}

export interface ScanFilter {
  /** Returns true for keys to include (MATCH, TYPE). */
  (key: string, value: Value): boolean;
}

/**
 * The slot table and deletion counters of every empty database: shared, never
 * written (a database gets its own on its first write), so the 15 unused
 * databases of a node do not cost 16384 entries each (about 3 MB in all).
 * Same length and elements kind as a private table, so lookups stay monomorphic.
 */
const EMPTY_SLOTS: (Map<string, Value> | undefined)[] = new Array(SLOT_COUNT);
const EMPTY_DELETIONS = new Uint32Array(SLOT_COUNT);

export class Database {
  readonly id: number;
  /** Slot → keys of that slot; EMPTY_SLOTS until the first write. */
  #slots: (Map<string, Value> | undefined)[] = EMPTY_SLOTS;
  /** Deletions per slot, so a scan cursor can tell how far positions shifted. EMPTY_DELETIONS until the first write. */
  #slotDeletions = EMPTY_DELETIONS;
  #size = 0;
  /** key → unix ms at which it expires. */
  expires = new Map<string, number>();
  #hooks: KeyspaceHooks;
  /** Live iterators for recent SCAN cursors, so a scan continues in O(COUNT). */
  #cursorCache = new Map<string, CachedCursor>();
  /** Position of the active expiry sweep over `expires`. */
  expireIterator: Iterator<[string, number]> | undefined;

  #accessMode: AccessMode = 'none';
  /** key → access data (see the module comment); undefined when mode is 'none'. */
  #access: Map<string, number> | undefined;
  /** Source of randomness for the LFU counter (tests replace it). */
  random: () => number = Math.random;

  constructor(id: number, hooks: KeyspaceHooks) {
    this.id = id;
    this.#hooks = hooks;
  }

  get size(): number {
    return this.#size;
  }

  /** The value of `key`, or undefined if absent or expired (an expired key is deleted). */
  get(key: string): Value | undefined {
    const m = this.#slots[keySlot(key)];
    if (m === undefined) return undefined;
    const v = m.get(key);
    if (v === undefined) return undefined;
    if (this.expires.size !== 0 && this.expireIfDue(key)) return undefined;
    if (this.#access !== undefined) this.touchAccess(key);
    return v;
  }

  /** As `get` (expires lazily) but does not count as an access. */
  peek(key: string): Value | undefined {
    const m = this.#slots[keySlot(key)];
    if (m === undefined) return undefined;
    const v = m.get(key);
    if (v === undefined) return undefined;
    if (this.expires.size !== 0 && this.expireIfDue(key)) return undefined;
    return v;
  }

  /** Whether `key` exists (not expired); not an access. */
  has(key: string): boolean {
    return this.peek(key) !== undefined;
  }

  /** Whether `key` is stored and its TTL, if any, has not passed. Never deletes (KEYS). */
  isLive(key: string, now: number): boolean {
    if (this.#slots[keySlot(key)]?.has(key) !== true) return false;
    if (this.expires.size === 0) return true;
    const at = this.expires.get(key);
    return at === undefined || at > now;
  }

  /**
   * Stores `value` under `key`. Any TTL is removed unless `keepTtl`.
   * Signals the change.
   */
  set(key: string, value: Value, keepTtl = false): void {
    const slot = keySlot(key);
    let m = this.#slots[slot];
    if (m === undefined) {
      if (this.#slots === EMPTY_SLOTS) {
        this.#slots = new Array(SLOT_COUNT);
        this.#slotDeletions = new Uint32Array(SLOT_COUNT);
      }
      m = this.#slots[slot] = new Map();
    }
    const before = m.size;
    m.set(key, value);
    if (m.size !== before) this.#size++;
    if (!keepTtl && this.expires.size !== 0) this.expires.delete(key);
    if (this.#access !== undefined) this.touchAccess(key);
    this.#hooks.modified(this, key);
  }

  /** Deletes `key`; returns whether it existed (and was not expired). Signals the change. */
  delete(key: string): boolean {
    const slot = keySlot(key);
    const m = this.#slots[slot];
    if (m === undefined || !m.has(key)) return false;
    if (this.expires.size !== 0 && this.expireIfDue(key)) return false;
    this.remove(slot, m, key);
    this.#hooks.modified(this, key);
    return true;
  }

  /** Signals an in-place change to the value of `key` (a collection mutated by a handler). */
  modified(key: string): void {
    this.#hooks.modified(this, key);
  }

  private remove(slot: number, m: Map<string, Value>, key: string): void {
    m.delete(key);
    this.#size--;
    this.#slotDeletions[slot]!++;
    if (this.expires.size !== 0) this.expires.delete(key);
    if (this.#access !== undefined) this.#access.delete(key);
    if (m.size === 0) this.#slots[slot] = undefined;
  }

  /** Deletes `key` if its TTL has passed; returns whether it did. */
  private expireIfDue(key: string): boolean {
    const at = this.expires.get(key);
    if (at === undefined || at > this.#hooks.now()) return false;
    this.expireNow(key);
    return true;
  }

  /** Deletes an expired key and signals it (used by lazy and active expiry). */
  expireNow(key: string): void {
    const slot = keySlot(key);
    const m = this.#slots[slot];
    if (m === undefined || !m.has(key)) {
      this.expires.delete(key);
      return;
    }
    this.remove(slot, m, key);
    this.#hooks.modified(this, key);
    this.#hooks.expired(this, key);
  }

  /** Unix ms at which `key` expires, or undefined. Does not check that the key exists. */
  getExpire(key: string): number | undefined {
    return this.expires.size === 0 ? undefined : this.expires.get(key);
  }

  /** Sets the TTL of an existing key as an absolute unix ms time. */
  setExpire(key: string, at: number): void {
    this.expires.set(key, at);
  }

  /** Removes the TTL of `key`; returns whether it had one. */
  removeExpire(key: string): boolean {
    return this.expires.delete(key);
  }

  /** Deletes every key. */
  flush(): void {
    this.#slots = EMPTY_SLOTS;
    this.#slotDeletions = EMPTY_DELETIONS;
    this.#size = 0;
    this.expires = new Map();
    this.expireIterator = undefined;
    this.#cursorCache.clear();
    if (this.#access !== undefined) this.#access = new Map();
  }

  /** Exchanges the whole contents of two databases (SWAPDB). Does not signal. */
  swapWith(other: Database): void {
    const a = this.#slots;
    this.#slots = other.#slots;
    other.#slots = a;
    const d = this.#slotDeletions;
    this.#slotDeletions = other.#slotDeletions;
    other.#slotDeletions = d;
    const n = this.#size;
    this.#size = other.#size;
    other.#size = n;
    const e = this.expires;
    this.expires = other.expires;
    other.expires = e;
    this.expireIterator = other.expireIterator = undefined;
    const acc = this.#access;
    this.#access = other.#access;
    other.#access = acc;
    const mode = this.#accessMode;
    this.#accessMode = other.#accessMode;
    other.#accessMode = mode;
    this.#cursorCache.clear();
    other.#cursorCache.clear();
  }

  /*----------------------------------------------------------------------------
   * Access tracking (OBJECT IDLETIME / FREQ, LRU / LFU eviction)
   *--------------------------------------------------------------------------*/

  get accessMode(): AccessMode {
    return this.#accessMode;
  }

  /**
   * Switches tracking to what `policy` (a `maxmemory-policy` value) needs.
   * A change of mode drops the data gathered so far (Redis warns that LRU
   * and LFU data take time to adjust after a switch, too). Cheap when the
   * mode is unchanged, so the server may call it on every cron tick.
   */
  setAccessPolicy(policy: string): void {
    const mode = accessModeFor(policy);
    if (mode === this.#accessMode) return;
    this.#accessMode = mode;
    this.#access = mode === 'none' ? undefined : new Map();
  }

  /** Records an access to `key` (a lookup, TOUCH, a write). */
  private touchAccess(key: string): void {
    const acc = this.#access!;
    const now = this.#hooks.now();
    if (this.#accessMode === 'lru') {
      acc.set(key, now);
      return;
    }
    const prev = acc.get(key);
    let counter = prev === undefined ? LFU_INIT_VAL : lfuDecayed(prev, now);
    if (prev !== undefined && counter < 255) {
      const base = Math.max(0, counter - LFU_INIT_VAL);
      if (this.random() < 1 / (base * LFU_LOG_FACTOR + 1)) counter++;
    }
    acc.set(key, (lfuMinutes(now) << 8) | counter);
  }

  /** Counts an access to `key` if it exists (TOUCH); returns whether it exists. */
  touch(key: string): boolean {
    return this.get(key) !== undefined;
  }

  /**
   * Milliseconds since `key` was last accessed, under LRU tracking; 0 when
   * the key has no record yet or the mode is not 'lru'.
   */
  idleMs(key: string): number {
    if (this.#accessMode !== 'lru') return 0;
    const at = this.#access!.get(key);
    return at === undefined ? 0 : Math.max(0, this.#hooks.now() - at);
  }

  /** The LFU counter of `key` after decay (OBJECT FREQ); LFU_INIT_VAL without a record. */
  lfuFrequency(key: string): number {
    if (this.#accessMode !== 'lfu') return 0;
    const w = this.#access!.get(key);
    return w === undefined ? LFU_INIT_VAL : lfuDecayed(w, this.#hooks.now());
  }

  /**
   * Sets the access data of `key` as RESTORE's IDLETIME (seconds) or FREQ
   * asks; ignored when the mode does not track that kind of data.
   */
  setAccess(key: string, opts: { idleSeconds?: number; freq?: number }): void {
    const now = this.#hooks.now();
    if (this.#accessMode === 'lru' && opts.idleSeconds !== undefined) {
      this.#access!.set(key, now - opts.idleSeconds * 1000);
    } else if (this.#accessMode === 'lfu' && opts.freq !== undefined) {
      this.#access!.set(key, (lfuMinutes(now) << 8) | opts.freq);
    }
  }

  /** Number of keys stored in `slot` (may include keys whose TTL just passed). */
  countInSlot(slot: number): number {
    return this.#slots[slot]?.size ?? 0;
  }

  /** Up to `count` keys of `slot`, in insertion order. */
  keysInSlot(slot: number, count: number): string[] {
    const m = this.#slots[slot];
    const out: string[] = [];
    if (m === undefined) return out;
    for (const k of m.keys()) {
      if (out.length >= count) break;
      out.push(k);
    }
    return out;
  }

  /** Deletes every key of `slot`; returns how many there were. Signals each key. */
  flushSlot(slot: number): number {
    const m = this.#slots[slot];
    if (m === undefined) return 0;
    const keys = [...m.keys()];
    for (const k of keys) {
      this.remove(slot, m, k);
      this.#hooks.modified(this, k);
    }
    return keys.length;
  }

  /** Iterates over all [key, value] pairs without expiring anything (KEYS, persistence). */
  *entries(): IterableIterator<[string, Value]> {
    for (let s = 0; s < SLOT_COUNT; s++) {
      const m = this.#slots[s];
      if (m !== undefined) yield* m.entries();
    }
  }

  /** A random live key, or undefined if the database is empty. */
  randomKey(random: () => number = Math.random): string | undefined {
    // Each failed attempt deletes one expired key, so the loop ends.
    while (this.#size > 0) {
      let slot = Math.floor(random() * SLOT_COUNT);
      let m = this.#slots[slot];
      for (let i = 0; m === undefined && i < SLOT_COUNT; i++) {
        slot = (slot + 1) % SLOT_COUNT;
        m = this.#slots[slot];
      }
      if (m === undefined) return undefined;
      let skip = Math.floor(random() * m.size);
      let key: string | undefined;
      for (const k of m.keys()) {
        if (skip-- === 0) {
          key = k;
          break;
        }
      }
      if (key === undefined) continue;
      if (this.expires.size !== 0 && this.expireIfDue(key)) continue;
      return key;
    }
    return undefined;
  }

  /**
   * One SCAN step: visits keys from `cursor` until at least `count` keys were
   * examined (matching or not) or the keyspace ends, and returns the next
   * cursor ('0' at the end) and the keys that pass `filter`.
   *
   * Guarantee (as Redis): a key present during the whole iteration is returned
   * at least once. Keys are visited slot by slot in insertion order; a key
   * that stays present keeps its position relative to other such keys. The
   * cursor records the slot, the offset in it and the slot's deletion count;
   * if keys were deleted in the slot since, the offset is moved back by that
   * many so nothing is skipped (a key may then repeat, which Redis allows too).
   * Recent cursors keep a live iterator, so the usual case costs O(count).
   */
  scan(cursor: bigint, count: number, filter: ScanFilter | undefined): [string, string[]] {
    let slot = Number(cursor & BigInt(SLOT_COUNT - 1));
    let offset = Number((cursor >> 14n) & OFFSET_MASK);
    const dels = Number(cursor >> (14n + OFFSET_BITS)) & DELS_MASK;
    const out: string[] = [];
    let examined = 0;
    const now = this.#hooks.now();
    const cacheKey = String(cursor);
    const cached = this.#cursorCache.get(cacheKey);
    this.#cursorCache.delete(cacheKey);

    while (slot < SLOT_COUNT) {
      const m = this.#slots[slot];
      if (m === undefined) {
        slot++;
        offset = 0;
        continue;
      }
      // Keys deleted from this slot since the cursor was made may have stood
      // before the cursor's position: step back by that many (an upper bound
      // on the shift), so no surviving key is skipped. This also applies when
      // continuing a cached iterator, whose real position may have moved.
      if (offset > 0) {
        const shift = (this.#slotDeletions[slot]! - dels) & DELS_MASK;
        offset = Math.max(0, offset - shift);
      }
      let iter: Iterator<string>;
      if (cached !== undefined && cached.map === m && offset > 0) {
        iter = cached.iter;
      } else {
        iter = m.keys();
        for (let i = 0; i < offset; i++) if (iter.next().done) break;
      }
      for (;;) {
        const r = iter.next();
        if (r.done) break;
        const key = r.value;
        offset++;
        examined++;
        const v = m.get(key);
        if (v !== undefined) {
          const at = this.expires.size === 0 ? undefined : this.expires.get(key);
          if ((at === undefined || at > now) && (filter === undefined || filter(key, v))) out.push(key);
        }
        if (examined >= count) {
          const next = this.#cursorFor(slot, offset);
          this.#remember(next, m, iter);
          return [next, out];
        }
      }
      slot++;
      offset = 0;
    }
    return ['0', out];
  }

  #cursorFor(slot: number, offset: number): string {
    const c =
      (BigInt(this.#slotDeletions[slot]! & DELS_MASK) << (14n + OFFSET_BITS)) |
      (BigInt(Math.min(offset, Number(OFFSET_MASK))) << 14n) |
      BigInt(slot);
    return c === 0n ? '0' : String(c);
  }

  #remember(cursor: string, map: Map<string, Value>, iter: Iterator<string>): void {
    if (this.#cursorCache.size >= CURSOR_CACHE_SIZE) {
      const oldest = this.#cursorCache.keys().next().value;
      if (oldest !== undefined) this.#cursorCache.delete(oldest);
    }
    this.#cursorCache.set(cursor, { map, iter });
  }
}

/** Redis's LFUGetTimeInMinutes: unix minutes modulo 2^16. */
function lfuMinutes(nowMs: number): number {
  return Math.floor(nowMs / 60000) & 0xffff;
}

/** Redis's LFUDecrAndReturn: the counter of LFU word `w` after one decrement per elapsed decay period. */
function lfuDecayed(w: number, nowMs: number): number {
  const ldt = w >>> 8;
  const counter = w & 0xff;
  const now = lfuMinutes(nowMs);
  const elapsed = now >= ldt ? now - ldt : 0xffff - ldt + now;
  const periods = Math.floor(elapsed / LFU_DECAY_MINUTES);
  return periods > counter ? 0 : counter - periods;
}
