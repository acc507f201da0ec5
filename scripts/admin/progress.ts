/**
 * Progress output for long operations: on a TTY one line rewritten in place
 * (slots and keys done, rate, ETA from the lagging of the slot and key
 * fractions) at most 5 times a second; otherwise a
 * plain line at most once a second and at the end; nothing in --json mode.
 */
export class Progress {
  readonly #out: NodeJS.WriteStream;
  readonly #tty: boolean;
  readonly #quiet: boolean;
  readonly #start = performance.now();
  #last = 0;
  totalSlots = 0;
  totalKeys = 0;
  slotsDone = 0;
  keysDone = 0;

  constructor(out: NodeJS.WriteStream, quiet: boolean) {
    this.#out = out;
    this.#tty = out.isTTY === true;
    this.#quiet = quiet;
  }

  get elapsedMs(): number {
    return performance.now() - this.#start;
  }

  /** Keys per second since the start. */
  get rate(): number {
    const s = this.elapsedMs / 1000;
    return s > 0 ? this.keysDone / s : 0;
  }

  line(): string {
    const rate = this.rate;
    // ETA from the lagging measure: with few keys per slot, slots dominate the time.
    const f = Math.min(this.totalSlots ? this.slotsDone / this.totalSlots : 1, this.totalKeys ? this.keysDone / this.totalKeys : 1);
    const eta = f > 0 ? formatDuration((this.elapsedMs * (1 - f)) / f) : '?';
    return `slots ${this.slotsDone}/${this.totalSlots}  keys ${this.keysDone}/${this.totalKeys}  ${Math.round(rate)} keys/s  elapsed ${formatDuration(this.elapsedMs)}  ETA ${eta}`;
  }

  /** Reports progress; `force` prints even if the last line was recent. */
  update(force = false): void {
    if (this.#quiet) return;
    const now = performance.now();
    if (!force && now - this.#last < (this.#tty ? 200 : 1000)) return;
    this.#last = now;
    if (this.#tty) this.#out.write(`\r\x1b[2K${this.line()}`);
    else this.#out.write(`${this.line()}\n`);
  }

  /** Ends the in-place line (TTY) so the next output starts on a fresh line. */
  done(): void {
    if (this.#quiet) return;
    this.update(true);
    if (this.#tty) this.#out.write('\n');
  }
}

export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
