/**
 * `client.multi()`: a MULTI/EXEC transaction bound to one hash slot.
 *
 * The slot is the one of the first keyed command; a command with a key in any
 * other slot makes `exec()` fail locally with CrossSlotError, before anything
 * is sent (Redis would refuse it anyway). Keys are found through the command
 * table, or `args[1]` for the typed methods the table does not know yet. The
 * client runs MULTI, the commands and EXEC as one contiguous write; when the
 * slot moved (a redirection at queue time aborts the transaction, so nothing
 * ran), the whole transaction is re-run on the new owner.
 *
 * `exec()` resolves with each command's result (an Error in its position for a
 * command that failed at run time), or null when a WATCHed key changed.
 */
import { CommandMethods, F_KEYLESS, type Chained, type SplitKind, type Transform } from './commands.js';
import { CrossSlotError } from './errors.js';
import { keyIndexesOf, slotOf } from './routing.js';
import type { Arg } from './resp.js';

/** One queued command. */
export interface QueuedCommand {
  readonly args: readonly Arg[];
  readonly flags: number;
  readonly transform: Transform | null;
}

/** Runs the transaction for a slot (-1: any primary). */
export type TransactionRunner = (slot: number, cmds: readonly QueuedCommand[]) => Promise<unknown[] | null>;

class TransactionImpl extends CommandMethods {
  #run: TransactionRunner;
  #cmds: QueuedCommand[] = [];
  #slot = -1;
  #error: Error | null = null;

  constructor(run: TransactionRunner) {
    super();
    this.#run = run;
  }

  #add(args: Arg[], flags: number, transform: Transform | null, keyIdx: readonly number[]): this {
    for (const i of keyIdx) {
      if (i >= args.length) continue;
      const s = slotOf(args[i]!);
      if (this.#slot === -1) this.#slot = s;
      else if (s !== this.#slot && this.#error === null) {
        this.#error = new CrossSlotError(`CROSSSLOT Keys in request don't hash to the same slot (refused locally: ${String(args[0])} in a transaction bound to slot ${this.#slot})`);
      }
    }
    this.#cmds.push({ args, flags, transform });
    return this;
  }

  protected _run(args: Arg[], flags: number, transform: Transform | null): unknown {
    const idx = (flags & F_KEYLESS) !== 0 ? [] : (keyIndexesOf(args) ?? [1]);
    return this.#add(args, flags, transform, idx);
  }

  protected _split(kind: SplitKind, args: Arg[], flags: number): unknown {
    const step = kind === 'mset' ? 2 : 1;
    const idx: number[] = [];
    for (let i = 1; i < args.length; i += step) idx.push(i);
    return this.#add(args, flags, null, idx);
  }

  /** Queues any command; its keys come from the command table (none if unknown). */
  call(...args: Arg[]): this {
    return this.#add(args, 0, null, keyIndexesOf(args) ?? []);
  }

  /** Slot the transaction is bound to, -1 while it has no key. */
  get slot(): number {
    return this.#slot;
  }

  /** Runs the transaction; see the module comment. */
  exec(): Promise<unknown[] | null> {
    if (this.#error !== null) return Promise.reject(this.#error);
    const cmds = this.#cmds;
    this.#cmds = [];
    if (cmds.length === 0) return Promise.resolve([]);
    return this.#run(this.#slot, cmds);
  }
}

/** A transaction: every typed method queues and returns the transaction. */
export interface Transaction extends Chained<Transaction> {
  call(...args: Arg[]): Transaction;
  readonly slot: number;
  exec(): Promise<unknown[] | null>;
}

/** The constructor, typed to produce the chained interface. */
export const Transaction = TransactionImpl as unknown as new (run: TransactionRunner) => Transaction;
