/**
 * One connection to one node: handshake, auto-pipelining, reply matching,
 * command timeouts.
 *
 * Auto-pipelining: `send()` appends the encoded command to a write buffer and
 * schedules one flush with `process.nextTick`, so every command issued in the
 * same tick to this node leaves in a single `socket.write`. Replies arrive in
 * request order and are matched against a FIFO of entries.
 *
 * Handshake: on creation the connection queues (before any user command, in
 * the same first write) `AUTH` when a password is set, `HELLO 3` unless RESP2
 * was asked for, and `READONLY` for replica connections. No round trip is
 * awaited: a server that refuses HELLO (`-NOPROTO`, unknown command) simply
 * keeps talking RESP2, which the parser reads as well, and typed commands
 * normalise both reply shapes.
 *
 * Failure: a socket error or close fails every queued entry with a
 * `ConnectionError` whose `cause` is the socket error, then emits `close`
 * once. The connection is never reused after that; the pool makes a new one.
 *
 * Timeouts: with `commandTimeout` > 0, one timer (not one per command) is
 * armed for the oldest unanswered entry. Expired entries fail with
 * `CommandTimeoutError` but stay in the FIFO, so the late reply is consumed
 * and discarded and later replies still match their commands.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { EventEmitter } from 'node:events';
import { INCOMPLETE, PushMessage, RespParser, WriteBuffer, type Arg } from './resp.js';
import { CommandTimeoutError, ConnectionError, ProtocolError, type Endpoint } from './errors.js';

/** Something waiting for one reply on a connection. */
export interface Entry {
  readonly args: readonly Arg[];
  /** Bulk strings of the reply as Buffers (true) or UTF-8 strings (false). */
  readonly asBuffer: boolean;
  /** Set by the connection: absolute deadline (performance.now ms), 0 when none. */
  deadline: number;
  /** Set by the connection once the entry got its reply or its error. */
  settled: boolean;
  /** Receives the reply, which is an Error instance for error replies and failures. */
  deliver(reply: unknown): void;
}

/** What a connection needs to know; built by the pool. */
export interface ConnectionOptions {
  readonly endpoint: Endpoint;
  /** Send READONLY after connecting (replica reads). */
  readonly readOnly: boolean;
  /** RESP version to ask for; 3 falls back to 2 silently. */
  readonly protocol: 2 | 3;
  readonly username?: string | undefined;
  readonly password?: string | undefined;
  /** ms to establish the TCP connection; 0 disables. */
  readonly connectTimeout: number;
  /** ms to wait for each reply; 0 disables. */
  readonly commandTimeout: number;
  /** ms to wait before dialing (reconnect backoff); 0 dials at once. */
  readonly dialDelay: number;
  /** Creates the socket; defaults to `net.connect`. */
  readonly createSocket?: ((endpoint: Endpoint) => Socket) | undefined;
}

/** Minimal interface the pool and the client use; `Connection` implements it. */
export interface NodeConnection extends EventEmitter {
  readonly endpoint: Endpoint;
  readonly closed: boolean;
  /** Number of entries waiting for a reply. */
  readonly pending: number;
  /** Protocol the server agreed to (2 until HELLO 3 succeeded). */
  readonly protocol: 2 | 3;
  send(entry: Entry): void;
  /** Closes at once; queued entries fail with `ConnectionError`. Resolves when the socket is gone. */
  destroy(): Promise<void>;
  /** Resolves once no entry is waiting for a reply (or the connection closed). */
  drained(): Promise<void>;
}

/** AUTH [username] password, the first command of an authenticated connection. */
export function authArgs(username: string | undefined, password: string): Arg[] {
  return username !== undefined ? ['AUTH', username, password] : ['AUTH', password];
}

/**
 * Opens a socket to `endpoint` (Nagle off; `createSocket` when given, else
 * `net.connect`), destroyed with an error if it has not connected within
 * `connectTimeout` ms (0: no limit). `events.close` runs once, after any
 * `error`. Used by command connections and pub/sub links alike.
 */
export function dialNode(
  endpoint: Endpoint,
  options: { readonly connectTimeout: number; readonly createSocket?: ((endpoint: Endpoint) => Socket) | undefined },
  events: { data(chunk: Buffer): void; error(err: Error): void; close(): void },
): Socket {
  const socket = options.createSocket ? options.createSocket(endpoint) : netConnect({ host: endpoint.host, port: endpoint.port });
  socket.setNoDelay(true);
  let connectTimer: NodeJS.Timeout | null = null;
  if (options.connectTimeout > 0) {
    connectTimer = setTimeout(() => socket.destroy(new Error(`connect timeout after ${options.connectTimeout} ms`)), options.connectTimeout);
  }
  socket.once('connect', () => {
    if (connectTimer !== null) clearTimeout(connectTimer);
    connectTimer = null;
  });
  socket.on('data', events.data);
  socket.on('error', events.error);
  socket.once('close', () => {
    if (connectTimer !== null) clearTimeout(connectTimer);
    events.close();
  });
  return socket;
}

/** A one-shot internal entry whose reply is handled by a callback (handshake, ASKING). */
export class InternalEntry implements Entry {
  deadline = 0;
  settled = false;
  constructor(
    readonly args: readonly Arg[],
    private readonly onReply: ((reply: unknown) => void) | null = null,
  ) {}
  get asBuffer(): boolean {
    return false;
  }
  deliver(reply: unknown): void {
    this.onReply?.(reply);
  }
}

/** Ring-free FIFO: an array with a moving head, compacted when half consumed. */
class Fifo<T> {
  #items: (T | undefined)[] = [];
  #head = 0;
  get length(): number {
    return this.#items.length - this.#head;
  }
  push(v: T): void {
    this.#items.push(v);
  }
  peek(): T | undefined {
    return this.#items[this.#head];
  }
  at(i: number): T | undefined {
    return this.#items[this.#head + i];
  }
  shift(): T | undefined {
    const v = this.#items[this.#head];
    this.#items[this.#head++] = undefined;
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return v;
  }
  drain(): T[] {
    const out = this.#items.slice(this.#head) as T[];
    this.#items = [];
    this.#head = 0;
    return out;
  }
}

/** See the module comment. Events: `close` (error: ConnectionError), `push` (PushMessage). */
export class Connection extends EventEmitter implements NodeConnection {
  readonly endpoint: Endpoint;
  #socket: Socket | null = null;
  #opts: ConnectionOptions;
  #queue = new Fifo<Entry>();
  #out = new WriteBuffer();
  #flushScheduled = false;
  #parser = new RespParser();
  #closed = false;
  #gotReply = false;
  #closeError: ConnectionError | null = null;
  #socketGone: Promise<void>;
  #resolveGone!: () => void;
  #protocol: 2 | 3 = 2;
  #timer: NodeJS.Timeout | null = null;
  #dialTimer: NodeJS.Timeout | null = null;
  #drainWaiters: (() => void)[] = [];
  #flush = (): void => this.#doFlush();

  constructor(opts: ConnectionOptions) {
    super();
    this.endpoint = opts.endpoint;
    this.#opts = opts;
    this.#socketGone = new Promise((resolve) => (this.#resolveGone = resolve));
    if (opts.password !== undefined) {
      this.send(new InternalEntry(authArgs(opts.username, opts.password), (r) => r instanceof Error && this.#fail(new ConnectionError(`Cannot authenticate to ${this.#name()}`, this.endpoint, { cause: r }))));
    }
    if (opts.protocol === 3) {
      this.send(new InternalEntry(['HELLO', '3'], (r) => (this.#protocol = r instanceof Error ? 2 : 3)));
    }
    if (opts.readOnly) this.send(new InternalEntry(['READONLY']));
    if (opts.dialDelay > 0) {
      this.#dialTimer = setTimeout(() => {
        this.#dialTimer = null;
        this.#dial();
      }, opts.dialDelay);
    } else {
      this.#dial();
    }
  }

  get closed(): boolean {
    return this.#closed;
  }
  get pending(): number {
    return this.#queue.length;
  }
  get protocol(): 2 | 3 {
    return this.#protocol;
  }

  #name(): string {
    return `${this.endpoint.host}:${this.endpoint.port}`;
  }

  #dial(): void {
    if (this.#closed) return;
    this.#socket = dialNode(this.endpoint, this.#opts, {
      data: (chunk) => this.#onData(chunk),
      error: (err) => this.#fail(new ConnectionError(`Cannot talk to ${this.#name()} as the connection failed: ${err.message}`, this.endpoint, { cause: err })),
      close: () => {
        this.#fail(new ConnectionError(`Cannot talk to ${this.#name()} as the connection closed`, this.endpoint));
        this.#resolveGone();
      },
    });
    if (!this.#out.empty) this.#scheduleFlush();
  }

  send(entry: Entry): void {
    if (this.#closed) {
      entry.settled = true;
      entry.deliver(this.#closeError);
      return;
    }
    this.#queue.push(entry);
    this.#out.append(entry.args);
    if (this.#opts.commandTimeout > 0) {
      entry.deadline = performance.now() + this.#opts.commandTimeout;
      if (this.#timer === null) this.#armTimer(this.#opts.commandTimeout);
    }
    if (!this.#flushScheduled) this.#scheduleFlush();
  }

  #scheduleFlush(): void {
    if (this.#socket === null) return;
    this.#flushScheduled = true;
    process.nextTick(this.#flush);
  }

  #doFlush(): void {
    this.#flushScheduled = false;
    if (this.#closed || this.#socket === null || this.#out.empty) return;
    this.#socket.write(this.#out.take());
  }

  #onData(chunk: Buffer): void {
    const parser = this.#parser;
    parser.push(chunk);
    for (;;) {
      const head = this.#queue.peek();
      let reply: unknown;
      try {
        reply = parser.next(head !== undefined && head.asBuffer);
      } catch (err) {
        this.#fail(new ConnectionError(`Cannot talk to ${this.#name()} as it sent an invalid reply`, this.endpoint, { cause: err }));
        this.#socket?.destroy();
        return;
      }
      if (reply === INCOMPLETE) break;
      if (reply instanceof PushMessage) {
        this.emit('push', reply);
        continue;
      }
      if (head === undefined) {
        this.#fail(new ConnectionError(`Cannot talk to ${this.#name()} as it sent a reply nobody asked for`, this.endpoint, { cause: new ProtocolError('Unexpected reply') }));
        this.#socket?.destroy();
        return;
      }
      this.#queue.shift();
      if (!this.#gotReply) {
        this.#gotReply = true;
        this.emit('reply');
      }
      if (!head.settled) {
        head.settled = true;
        head.deliver(reply);
      }
      if (this.#closed) return;
    }
    if (this.#queue.length === 0) this.#onDrained();
  }

  #onDrained(): void {
    if (this.#timer !== null) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
    const waiters = this.#drainWaiters;
    if (waiters.length === 0) return;
    this.#drainWaiters = [];
    for (const w of waiters) w();
  }

  #armTimer(ms: number): void {
    this.#timer = setTimeout(() => this.#onTimer(), Math.max(1, ms));
    this.#timer.unref();
  }

  /** Fails every entry whose deadline passed; re-arms for the next one. */
  #onTimer(): void {
    this.#timer = null;
    const now = performance.now();
    const n = this.#queue.length;
    for (let i = 0; i < n; i++) {
      const e = this.#queue.at(i)!;
      if (e.settled) continue;
      if (e.deadline > now) {
        this.#armTimer(e.deadline - now);
        return;
      }
      e.settled = true;
      e.deliver(new CommandTimeoutError(`Cannot run ${String(e.args[0])} on ${this.#name()} as no reply came within ${this.#opts.commandTimeout} ms`));
    }
  }

  #fail(err: ConnectionError): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#closeError = err;
    if (this.#timer !== null) clearTimeout(this.#timer);
    if (this.#dialTimer !== null) clearTimeout(this.#dialTimer);
    this.#timer = this.#dialTimer = null;
    this.#parser.reset();
    this.#out.take();
    if (this.#socket === null) this.#resolveGone();
    else this.#socket.destroy();
    for (const e of this.#queue.drain()) {
      if (e.settled) continue;
      e.settled = true;
      e.deliver(err);
    }
    this.#onDrained();
    this.emit('close', err);
  }

  destroy(): Promise<void> {
    this.#fail(new ConnectionError(`Cannot talk to ${this.#name()} as the connection was closed by the client`, this.endpoint));
    return this.#socketGone;
  }

  drained(): Promise<void> {
    if (this.#queue.length === 0 || this.#closed) return Promise.resolve();
    return new Promise((resolve) => this.#drainWaiters.push(resolve));
  }
}
