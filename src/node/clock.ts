/**
 * The one source of time for the node. Expiry, slowlog and timers read
 * `clock.now()`, idle times `clock.monotonic()`; tests inject a
 * `ManualClock` to move both by hand.
 */
import { performance } from 'node:perf_hooks';

export interface Clock {
  /** Unix time in milliseconds. */
  now(): number;
  /**
   * Milliseconds from an arbitrary origin, for intervals (command durations,
   * a client's idle time). Read twice per command, so it must be cheap:
   * Node's `performance.now()` is a fast API call, where `Date.now()` goes
   * through a V8 runtime call that allocates a heap number (1.75% of a
   * node's perf samples under redis-benchmark --cluster, against 0.7% for
   * two `performance.now()` calls). Even so a read costs about 50 ns on this
   * host (kvm-clock through the vDSO), so per-read stamps use the server's
   * cached reading instead (Server.cachedMonotonic).
   */
  monotonic(): number;
}

export const SYSTEM_CLOCK: Clock = { now: Date.now, monotonic: () => performance.now() };

/** A clock that only moves when told to. */
export class ManualClock implements Clock {
  constructor(public time = 1_700_000_000_000) {}
  now(): number {
    return this.time;
  }
  monotonic(): number {
    return this.time;
  }
  advance(ms: number): void {
    this.time += ms;
  }
}
