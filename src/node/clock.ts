/**
 * The one source of time for the node. Expiry, idle times, slowlog and timers
 * read `clock.now()`; tests inject a `ManualClock` to move time by hand.
 */
export interface Clock {
  /** Unix time in milliseconds. */
  now(): number;
}

export const SYSTEM_CLOCK: Clock = { now: Date.now };

/** A clock that only moves when told to. */
export class ManualClock implements Clock {
  constructor(public time = 1_700_000_000_000) {}
  now(): number {
    return this.time;
  }
  advance(ms: number): void {
    this.time += ms;
  }
}
