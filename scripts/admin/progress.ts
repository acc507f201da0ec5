/**
 * Progress output for long operations: on a TTY one line rewritten in place
 * (a bar, slots and keys done, bytes moved when known, rate, ETA from the
 * lagging of the slot and key fractions) at most 5 times a second; otherwise a
 * plain line (no bar) at most once a second and at the end; nothing in --json mode.
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
  /** Bytes moved so far, when the caller can tell (0 = not shown). */
  bytesDone = 0;

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

  /** The fraction done: the lagging one of slots and keys (with few keys per slot, slots dominate the time). */
  get fraction(): number {
    return Math.min(this.totalSlots ? this.slotsDone / this.totalSlots : 1, this.totalKeys ? Math.min(1, this.keysDone / this.totalKeys) : 1);
  }

  /** The status line; `bar` prefixes a 20-cell bar and the percentage. */
  line(bar = false): string {
    const f = this.fraction;
    const eta = f > 0 ? formatDuration((this.elapsedMs * (1 - f)) / f) : '?';
    const parts = [`slots ${this.slotsDone}/${this.totalSlots}`, `keys ${this.keysDone}/${this.totalKeys}`];
    if (this.bytesDone > 0) parts.push(formatBytes(this.bytesDone));
    parts.push(`${Math.round(this.rate)} keys/s`, `elapsed ${formatDuration(this.elapsedMs)}`, `ETA ${eta}`);
    const text = parts.join('  ');
    if (!bar) return text;
    const cells = Math.floor(f * BAR_CELLS);
    return `[${'#'.repeat(cells)}${'.'.repeat(BAR_CELLS - cells)}] ${String(Math.floor(f * 100)).padStart(3)}%  ${text}`;
  }

  /** Reports progress; `force` prints even if the last line was recent. */
  update(force = false): void {
    if (this.#quiet) return;
    const now = performance.now();
    if (!force && now - this.#last < (this.#tty ? 200 : 1000)) return;
    this.#last = now;
    if (this.#tty) this.#out.write(`\r\x1b[2K${this.line(true)}`);
    else this.#out.write(`${this.line()}\n`);
  }

  /** Ends the in-place line (TTY) so the next output starts on a fresh line. */
  done(): void {
    if (this.#quiet) return;
    this.update(true);
    if (this.#tty) this.#out.write('\n');
  }
}

const BAR_CELLS = 20;

/** 1536 → "1.5 KiB". */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${n.toFixed(1)} ${units[i]}`;
}

export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
