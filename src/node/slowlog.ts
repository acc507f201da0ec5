/**
 * SLOWLOG: the last `slowlog-max-len` commands that took longer than
 * `slowlog-log-slower-than` microseconds, newest first. Arguments are kept
 * as Redis keeps them: at most 32 (the last one replaced by "... (N more
 * arguments)") and each at most 128 bytes ("... (N more bytes)").
 */
import type { Client } from './client.js';
import type { Config, LiveValue } from './config.js';
import type { Clock } from './clock.js';

const MAX_ARGC = 32;
const MAX_ARG_LEN = 128;

export interface SlowlogEntry {
  id: number;
  time: number;
  usec: number;
  args: string[];
  peer: string;
  name: string;
}

export class SlowLog {
  entries: SlowlogEntry[] = [];
  #nextId = 0;
  #config: Config;
  #clock: Clock;
  /** Read for every command: a live cell, not a lookup. */
  #threshold: LiveValue<number>;

  constructor(config: Config, clock: Clock) {
    this.#config = config;
    this.#clock = clock;
    this.#threshold = config.live('slowlog-log-slower-than');
  }

  maybeAdd(c: Client, args: readonly string[], usec: number): void {
    const threshold = this.#threshold.value;
    if (threshold < 0 || usec < threshold) return;
    const max = this.#config.getNumber('slowlog-max-len');
    if (max === 0) return;
    const argc = Math.min(args.length, MAX_ARGC);
    const kept: string[] = [];
    for (let i = 0; i < argc; i++) {
      if (argc !== args.length && i === argc - 1) {
        kept.push(`... (${args.length - argc + 1} more arguments)`);
      } else {
        const a = args[i]!;
        kept.push(a.length > MAX_ARG_LEN ? `${a.slice(0, MAX_ARG_LEN)}... (${a.length - MAX_ARG_LEN} more bytes)` : a);
      }
    }
    this.entries.unshift({
      id: this.#nextId++,
      time: Math.floor(this.#clock.now() / 1000),
      usec,
      args: kept,
      peer: c.addr,
      name: c.name,
    });
    if (this.entries.length > max) this.entries.length = max;
  }

  reset(): void {
    this.entries = [];
  }
}
