import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/node/clock.js';
import { activeExpireCycle } from '../../src/node/expiry.js';
import { Database } from '../../src/node/keyspace.js';

function makeDbs(n: number, clock: ManualClock): Database[] {
  const hooks = { now: () => clock.now(), modified: () => {}, expired: () => {} };
  return Array.from({ length: n }, (_, i) => new Database(i, hooks));
}

function opts(clock: ManualClock, elapsed: () => number = () => 0) {
  return { hz: 10, effort: 1, elapsed, now: () => clock.now() };
}

describe('activeExpireCycle()', () => {
  it('activeExpireCycle() deletes expired keys nobody reads', () => {
    const clock = new ManualClock();
    const [db] = makeDbs(1, clock);
    for (let i = 0; i < 1000; i++) {
      db!.set(`k${i}`, 'v');
      db!.setExpire(`k${i}`, clock.now() + 10);
    }
    for (let i = 0; i < 10; i++) db!.set(`keep${i}`, 'v');
    clock.advance(10);
    expect(activeExpireCycle([db!], opts(clock))).toBe(1000);
    expect(db!.size).toBe(10);
    expect(db!.expires.size).toBe(0);
  });

  it('activeExpireCycle() leaves keys whose TTL has not passed', () => {
    const clock = new ManualClock();
    const [db] = makeDbs(1, clock);
    for (let i = 0; i < 100; i++) {
      db!.set(`k${i}`, 'v');
      db!.setExpire(`k${i}`, clock.now() + (i < 50 ? 10 : 10_000));
    }
    clock.advance(10);
    let total = 0;
    for (let i = 0; i < 20; i++) total += activeExpireCycle([db!], opts(clock));
    expect(total).toBe(50);
    expect(db!.size).toBe(50);
  });

  it('activeExpireCycle() examines one batch when few keys are stale', () => {
    const clock = new ManualClock();
    const [db] = makeDbs(1, clock);
    for (let i = 0; i < 1000; i++) {
      db!.set(`k${i}`, 'v');
      db!.setExpire(`k${i}`, clock.now() + (i % 100 === 0 ? 1 : 100_000));
    }
    clock.advance(1);
    // 1% of keys are stale: below the 10% threshold, so one batch of 20 only.
    const n = activeExpireCycle([db!], opts(clock));
    expect(n).toBeLessThanOrEqual(1);
    expect(db!.size).toBeGreaterThanOrEqual(999);
  });

  it('activeExpireCycle() stops when its time budget is spent and resumes at the next database', () => {
    const clock = new ManualClock();
    const dbs = makeDbs(2, clock);
    for (const db of dbs) {
      for (let i = 0; i < 1000; i++) {
        db.set(`k${i}`, 'v');
        db.setExpire(`k${i}`, clock.now() + 1);
      }
    }
    clock.advance(1);
    let t = 0;
    // Every elapsed() call moves fake time by 10 ms; the budget at hz=10 is 25 ms.
    const n = activeExpireCycle(dbs, opts(clock, () => (t += 10)));
    expect(n).toBeLessThan(1000);
    expect(dbs[1]!.size).toBe(1000);
    activeExpireCycle(dbs, opts(clock, () => (t += 10)));
    expect(dbs[1]!.size).toBeLessThan(1000);
  });

  it('activeExpireCycle() skips databases without TTLs', () => {
    const clock = new ManualClock();
    const dbs = makeDbs(3, clock);
    dbs[2]!.set('a', 'v');
    dbs[2]!.setExpire('a', clock.now() + 1);
    clock.advance(1);
    expect(activeExpireCycle(dbs, opts(clock))).toBe(1);
  });
});
