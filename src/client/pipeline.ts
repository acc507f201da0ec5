/**
 * `client.pipeline()`: commands over any slots and nodes, sent together.
 *
 * `exec()` issues every queued command in one synchronous burst, so
 * auto-pipelining groups them into one write per node; each command then
 * follows its own redirections (a MOVED or ASK for one of them re-sends only
 * that one), and the results come back in request order. A failed command
 * yields its Error in its position; `exec()` itself never rejects for a
 * command's error. Not atomic: use `multi()` for that.
 */
import { CommandMethods, type Chained, type SplitKind, type Transform } from './commands.js';
import type { Arg } from './resp.js';

/** What the pipeline needs from the client. */
export interface PipelineTarget {
  call(...args: Arg[]): Promise<unknown>;
}

interface Runner {
  _run(args: Arg[], flags: number, transform: Transform | null): Promise<unknown>;
  _split(kind: SplitKind, args: Arg[], flags: number): Promise<unknown>;
}

/** See the module comment. */
class PipelineImpl extends CommandMethods {
  #client: PipelineTarget;
  #ops: (() => Promise<unknown>)[] = [];

  constructor(client: PipelineTarget) {
    super();
    this.#client = client;
  }

  protected _run(args: Arg[], flags: number, transform: Transform | null): unknown {
    const c = this.#client as unknown as Runner;
    this.#ops.push(() => c._run(args, flags, transform));
    return this;
  }

  protected _split(kind: SplitKind, args: Arg[], flags: number): unknown {
    const c = this.#client as unknown as Runner;
    this.#ops.push(() => c._split(kind, args, flags));
    return this;
  }

  /** Queues any command (routed like `client.call`). */
  call(...args: Arg[]): this {
    this.#ops.push(() => this.#client.call(...args));
    return this;
  }

  /** Number of queued commands. */
  get length(): number {
    return this.#ops.length;
  }

  /** Sends everything; resolves with each result (or Error) in request order. */
  exec(): Promise<unknown[]> {
    const ops = this.#ops;
    this.#ops = [];
    const promises = new Array<Promise<unknown>>(ops.length);
    for (let i = 0; i < ops.length; i++) promises[i] = ops[i]!().then(identity, identity);
    return Promise.all(promises);
  }
}

function identity(x: unknown): unknown {
  return x;
}

/** A pipeline: every typed method queues and returns the pipeline. */
export interface Pipeline extends Chained<Pipeline> {
  call(...args: Arg[]): Pipeline;
  readonly length: number;
  exec(): Promise<unknown[]>;
}

/** The constructor, typed to produce the chained interface. */
export const Pipeline = PipelineImpl as unknown as new (client: PipelineTarget) => Pipeline;
