/**
 * Slot ownership tables and the compact text form of slot sets.
 *
 * A `SlotMap<T>` holds one owner (or null) per hash slot in a flat array
 * indexed by slot, so lookups are O(1). Slot sets are written as sorted,
 * comma-separated runs: a run of consecutive slots `a..b` is `a-b`, a single
 * slot is `a` (`0-5460,12182`). CLUSTER NODES uses the same runs separated by
 * spaces; `formatSlotRanges(slots, ' ')` produces that.
 */
import { SLOT_COUNT } from './slot.js';

/** An inclusive run of slots. */
export interface SlotRange {
  readonly start: number;
  readonly end: number;
}

/** True if `s` is an integer slot number in 0..16383. */
export function isValidSlot(s: number): boolean {
  return Number.isInteger(s) && s >= 0 && s < SLOT_COUNT;
}

/**
 * Runs of consecutive slots in `slots` (any order, duplicates allowed),
 * sorted by start.
 */
export function slotRanges(slots: Iterable<number>): SlotRange[] {
  const present = new Uint8Array(SLOT_COUNT);
  for (const s of slots) present[s] = 1;
  return rangesOfBitmap(present);
}

/** Runs of slots whose entry in `present` is non-zero. */
export function rangesOfBitmap(present: ArrayLike<number>): SlotRange[] {
  const out: SlotRange[] = [];
  let start = -1;
  for (let s = 0; s <= SLOT_COUNT; s++) {
    const on = s < SLOT_COUNT && present[s] !== 0;
    if (on && start < 0) start = s;
    else if (!on && start >= 0) {
      out.push({ start, end: s - 1 });
      start = -1;
    }
  }
  return out;
}

/** `0-5460,12182`: runs as `a-b` or `a`, joined by `sep` (default `,`). */
export function formatSlotRanges(slots: Iterable<number> | readonly SlotRange[], sep = ','): string {
  const ranges = Array.isArray(slots) && (slots.length === 0 || typeof slots[0] === 'object')
    ? (slots as readonly SlotRange[])
    : slotRanges(slots as Iterable<number>);
  let out = '';
  for (let i = 0; i < ranges.length; i++) {
    const r = ranges[i]!;
    if (i > 0) out += sep;
    out += r.start === r.end ? String(r.start) : `${r.start}-${r.end}`;
  }
  return out;
}

/**
 * Parses `formatSlotRanges` output (separators `,` or spaces; whitespace
 * ignored) into the sorted list of distinct slots.
 * @throws {RangeError} on a malformed run or a slot outside 0..16383
 */
export function parseSlotRanges(text: string): number[] {
  const present = new Uint8Array(SLOT_COUNT);
  for (const part of text.split(/[,\s]+/)) {
    if (part === '') continue;
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new RangeError(`Cannot parse slot range '${part}'`);
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (!isValidSlot(a) || !isValidSlot(b) || b < a) throw new RangeError(`Cannot parse slot range '${part}': slots must be 0-16383, start <= end`);
    for (let s = a; s <= b; s++) present[s] = 1;
  }
  const out: number[] = [];
  for (let s = 0; s < SLOT_COUNT; s++) if (present[s]) out.push(s);
  return out;
}

/**
 * One owner (or null) per slot, with per-owner slot counts kept up to date
 * on every change, so "how many slots does X serve" and "are all slots
 * assigned" cost O(1) instead of a pass over the 16384 slots (the cluster
 * cron asks the latter ten times a second). `version` increases on every
 * change that alters an entry, so callers can cache values derived from the
 * table (a node's slot bitmap for heartbeats) and recompute them only when
 * it moved.
 */
export class SlotMap<T> {
  readonly #owners: (T | null)[] = new Array<T | null>(SLOT_COUNT).fill(null);
  readonly #counts = new Map<T, number>();
  #assigned = 0;
  #version = 0;
  readonly #onChange: (() => void) | undefined;

  /** `onChange` runs after every change to an entry (what bumps `version`). */
  constructor(onChange?: () => void) {
    this.#onChange = onChange;
  }

  /** Owner of `slot`, or null if unassigned. */
  get(slot: number): T | null {
    return this.#owners[slot]!;
  }

  /** Assigns `slot` to `owner` (null unassigns). */
  set(slot: number, owner: T | null): void {
    const cur = this.#owners[slot]!;
    if (cur === owner) return;
    this.#owners[slot] = owner;
    this.#version++;
    if (cur !== null) {
      const n = this.#counts.get(cur)! - 1;
      if (n === 0) this.#counts.delete(cur);
      else this.#counts.set(cur, n);
      this.#assigned--;
    }
    if (owner !== null) {
      this.#counts.set(owner, (this.#counts.get(owner) ?? 0) + 1);
      this.#assigned++;
    }
    this.#onChange?.();
  }

  /** Assigns every slot of `range` to `owner`. */
  setRange(range: SlotRange, owner: T | null): void {
    for (let s = range.start; s <= range.end; s++) this.set(s, owner);
  }

  /** Number of slots with an owner. */
  assignedCount(): number {
    return this.#assigned;
  }

  /** Number of slots `owner` serves. */
  countOf(owner: T): number {
    return this.#counts.get(owner) ?? 0;
  }

  /** Owners serving at least one slot, each once. */
  owners(): IterableIterator<T> {
    return this.#counts.keys();
  }

  /** Increases whenever some slot changes owner. */
  get version(): number {
    return this.#version;
  }

  /** Slots owned by `owner`, ascending. */
  slotsOf(owner: T): number[] {
    const out: number[] = [];
    if (!this.#counts.has(owner)) return out;
    for (let s = 0; s < SLOT_COUNT; s++) if (this.#owners[s] === owner) out.push(s);
    return out;
  }

  /** Maximal runs of consecutive slots with the same non-null owner, sorted by start. */
  ownerRanges(): { start: number; end: number; owner: T }[] {
    const out: { start: number; end: number; owner: T }[] = [];
    let s = 0;
    while (s < SLOT_COUNT) {
      const o = this.#owners[s]!;
      let e = s;
      while (e + 1 < SLOT_COUNT && this.#owners[e + 1] === o) e++;
      if (o !== null) out.push({ start: s, end: e, owner: o });
      s = e + 1;
    }
    return out;
  }

  /** Replaces every occurrence of `from` (e.g. a forgotten node) with `to`. */
  replaceOwner(from: T, to: T | null): void {
    if (!this.#counts.has(from)) return;
    for (let s = 0; s < SLOT_COUNT; s++) if (this.#owners[s] === from) this.set(s, to);
  }
}
