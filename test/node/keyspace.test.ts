import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ManualClock } from '../../src/node/clock.js';
import { Database, type KeyspaceHooks } from '../../src/node/keyspace.js';
import { keySlot } from '../../src/router/slot.js';

interface Harness {
  db: Database;
  clock: ManualClock;
  modified: string[];
  expired: string[];
}

function makeDb(): Harness {
  const clock = new ManualClock();
  const h: Harness = { db: undefined as unknown as Database, clock, modified: [], expired: [] };
  const hooks: KeyspaceHooks = {
    now: () => clock.now(),
    modified: (_db, key) => h.modified.push(key),
    expired: (_db, key) => h.expired.push(key),
  };
  h.db = new Database(0, hooks);
  return h;
}

/** Runs a whole SCAN iteration; returns every key returned (with repeats). */
function scanAll(db: Database, count: number): string[] {
  const out: string[] = [];
  let cursor = 0n;
  do {
    const [next, keys] = db.scan(cursor, count, undefined);
    out.push(...keys);
    cursor = BigInt(next);
  } while (cursor !== 0n);
  return out;
}

describe('Database', () => {
  it('Database.set() creates a slot map lazily and drops it when the slot empties', () => {
    const { db } = makeDb();
    const slot = keySlot('a');
    expect(db.countInSlot(slot)).toBe(0);
    db.set('a', 'v');
    expect(db.countInSlot(slot)).toBe(1);
    expect(db.keysInSlot(slot, 10)).toEqual(['a']);
    db.delete('a');
    expect(db.countInSlot(slot)).toBe(0);
    expect(db.size).toBe(0);
  });

  it('Database.set() signals every change and overwrites keep the size', () => {
    const h = makeDb();
    h.db.set('a', '1');
    h.db.set('a', '2');
    h.db.delete('a');
    h.db.delete('a');
    expect(h.modified).toEqual(['a', 'a', 'a']);
    expect(h.db.size).toBe(0);
  });

  it('Database.get() never returns an expired key and deletes it lazily', () => {
    const h = makeDb();
    h.db.set('a', 'v');
    h.db.setExpire('a', h.clock.now() + 10);
    h.clock.advance(9);
    expect(h.db.get('a')).toBe('v');
    h.clock.advance(1);
    expect(h.db.get('a')).toBeUndefined();
    expect(h.db.size).toBe(0);
    expect(h.expired).toEqual(['a']);
    expect(h.db.getExpire('a')).toBeUndefined();
  });

  it('Database.delete() of an expired key reports it absent', () => {
    const h = makeDb();
    h.db.set('a', 'v');
    h.db.setExpire('a', h.clock.now() + 1);
    h.clock.advance(1);
    expect(h.db.delete('a')).toBe(false);
    expect(h.expired).toEqual(['a']);
  });

  it('Database.set() removes the TTL unless keepTtl', () => {
    const h = makeDb();
    h.db.set('a', 'v');
    h.db.setExpire('a', h.clock.now() + 100);
    h.db.set('a', 'w', true);
    expect(h.db.getExpire('a')).toBe(h.clock.now() + 100);
    h.db.set('a', 'x');
    expect(h.db.getExpire('a')).toBeUndefined();
  });

  it('Database.flush() empties keys and TTLs', () => {
    const h = makeDb();
    for (let i = 0; i < 100; i++) h.db.set(`k${i}`, 'v');
    h.db.setExpire('k1', h.clock.now() + 100);
    h.db.flush();
    expect(h.db.size).toBe(0);
    expect(h.db.expires.size).toBe(0);
    expect(scanAll(h.db, 10)).toEqual([]);
  });

  it('Database.swapWith() exchanges contents and TTLs', () => {
    const a = makeDb();
    const b = makeDb();
    a.db.set('x', '1');
    a.db.setExpire('x', a.clock.now() + 100);
    b.db.set('y', '2');
    a.db.swapWith(b.db);
    expect(a.db.get('y')).toBe('2');
    expect(a.db.get('x')).toBeUndefined();
    expect(b.db.get('x')).toBe('1');
    expect(b.db.getExpire('x')).toBe(a.clock.now() + 100);
    expect(a.db.size).toBe(1);
  });

  it('Database.flushSlot() deletes exactly the keys of one slot', () => {
    const { db } = makeDb();
    db.set('{t}a', '1');
    db.set('{t}b', '2');
    db.set('other', '3');
    expect(db.flushSlot(keySlot('{t}'))).toBe(2);
    expect(db.size).toBe(1);
    expect(db.get('other')).toBe('3');
  });

  it('Database.randomKey() never returns an expired key', () => {
    const h = makeDb();
    for (let i = 0; i < 500; i++) {
      h.db.set(`dead${i}`, 'v');
      h.db.setExpire(`dead${i}`, h.clock.now() + 1);
    }
    h.db.set('live', 'v');
    h.clock.advance(1);
    for (let i = 0; i < 20; i++) expect(h.db.randomKey()).toBe('live');
    // Each miss deleted the expired key it drew.
    expect(h.db.size + h.expired.length).toBe(501);
  });

  it('Database.randomKey() returns undefined when every key expired', () => {
    const h = makeDb();
    h.db.set('a', 'v');
    h.db.setExpire('a', h.clock.now() + 1);
    h.clock.advance(1);
    expect(h.db.randomKey()).toBeUndefined();
  });

  it('Database.scan() never returns expired keys', () => {
    const h = makeDb();
    for (let i = 0; i < 100; i++) {
      h.db.set(`k${i}`, 'v');
      if (i % 2) h.db.setExpire(`k${i}`, h.clock.now() + 5);
    }
    h.clock.advance(5);
    const seen = scanAll(h.db, 7);
    expect(new Set(seen).size).toBe(50);
    for (const k of seen) expect(Number(k.slice(1)) % 2).toBe(0);
  });

  it('Database.scan() with a huge arbitrary cursor terminates', () => {
    const { db } = makeDb();
    for (let i = 0; i < 50; i++) db.set(`k${i}`, 'v');
    const [next] = db.scan(18446744073709551615n, 10, undefined);
    expect(typeof next).toBe('string');
  });

  it('Database.scan() returns a key present for the whole iteration at least once, under concurrent changes', () => {
    // Model: `stable` keys exist from start to end; other keys come and go
    // between SCAN calls. Some keys share a slot (hash tags) so offsets
    // within a slot matter; 'evict' floods the cursor cache so the cursor
    // arithmetic path is exercised too.
    const keyArb = fc.oneof(
      fc.integer({ min: 0, max: 300 }).map((n) => `k${n}`),
      fc.integer({ min: 0, max: 300 }).map((n) => `{tag}${n}`),
    );
    const opArb = fc.oneof(
      fc.record({ op: fc.constant('add' as const), key: keyArb }),
      fc.record({ op: fc.constant('del' as const), key: keyArb }),
      fc.record({ op: fc.constant('scan' as const), count: fc.integer({ min: 1, max: 20 }) }),
      fc.record({ op: fc.constant('evict' as const) }),
    );
    fc.assert(
      fc.property(fc.uniqueArray(keyArb, { minLength: 1, maxLength: 80 }), fc.array(opArb, { maxLength: 120 }), (stable, ops) => {
        const { db } = makeDb();
        const stableSet = new Set(stable.map((k) => 's' + k));
        for (const k of stableSet) db.set(k, 'v');
        const seen = new Set<string>();
        let cursor = 0n;
        let done = false;
        for (const o of ops) {
          if (done) break;
          if (o.op === 'add') db.set(o.key, 'v');
          else if (o.op === 'del') db.delete(o.key);
          else if (o.op === 'evict') for (let i = 0; i < 70; i++) db.scan(0n, 1, undefined);
          else {
            const [next, keys] = db.scan(cursor, o.count, undefined);
            for (const k of keys) seen.add(k);
            cursor = BigInt(next);
            if (cursor === 0n) done = true;
          }
        }
        while (!done) {
          const [next, keys] = db.scan(cursor, 5, undefined);
          for (const k of keys) seen.add(k);
          cursor = BigInt(next);
          done = cursor === 0n;
        }
        for (const k of stableSet) expect(seen.has(k)).toBe(true);
      }),
      { numRuns: 300 },
    );
  }, 120_000);

  it('Database.scan() applies the filter to keys and values', () => {
    const { db } = makeDb();
    db.set('a1', 'v');
    db.set('b1', 'v');
    const [, keys] = db.scan(0n, 100, (k) => k.startsWith('a'));
    expect(keys).toEqual(['a1']);
  });
});

describe('Database access tracking', () => {
  it('Database.setAccessPolicy() tracks nothing under noeviction', () => {
    const h = makeDb();
    h.db.setAccessPolicy('noeviction');
    h.db.set('a', 'v');
    h.clock.advance(5000);
    expect(h.db.accessMode).toBe('none');
    expect(h.db.idleMs('a')).toBe(0);
  });

  it('Database.idleMs() measures from the last get under LRU, not from peek', () => {
    const h = makeDb();
    h.db.setAccessPolicy('volatile-lru');
    h.db.set('a', 'v');
    h.clock.advance(3000);
    h.db.peek('a');
    expect(h.db.idleMs('a')).toBe(3000);
    h.db.get('a');
    expect(h.db.idleMs('a')).toBe(0);
  });

  it('Database.lfuFrequency() starts at 5, grows logarithmically and decays per minute', () => {
    const h = makeDb();
    h.db.setAccessPolicy('allkeys-lfu');
    h.db.random = () => 0;
    h.db.set('a', 'v');
    expect(h.db.lfuFrequency('a')).toBe(5);
    for (let i = 0; i < 10; i++) h.db.get('a');
    expect(h.db.lfuFrequency('a')).toBe(15);
    h.clock.advance(3 * 60_000);
    expect(h.db.lfuFrequency('a')).toBe(12);
    h.db.random = () => 0.99;
    h.db.get('a');
    expect(h.db.lfuFrequency('a')).toBe(12);
  });

  it('Database.setAccessPolicy() drops access data when the mode changes and on delete', () => {
    const h = makeDb();
    h.db.setAccessPolicy('allkeys-lru');
    h.db.set('a', 'v');
    h.clock.advance(2000);
    h.db.setAccessPolicy('volatile-lru');
    expect(h.db.idleMs('a')).toBe(2000);
    h.db.setAccessPolicy('allkeys-lfu');
    h.db.setAccessPolicy('allkeys-lru');
    expect(h.db.idleMs('a')).toBe(0);
    h.db.delete('a');
    h.db.set('a', 'v');
    expect(h.db.idleMs('a')).toBe(0);
  });
});
