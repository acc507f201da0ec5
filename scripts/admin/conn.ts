/**
 * A small RESP connection for admin calls: one socket, replies matched to
 * requests in FIFO order, so several commands can be in flight (pipelined)
 * on one connection. Error replies come back as `ReplyError` values from
 * `call`, which rejects with them; `send` resolves with them so a caller
 * that pipelines can inspect each reply. Errors while connecting name the
 * node and the likely fix.
 */
import { connect, type Socket } from 'node:net';
import { encodeCommand, INCOMPLETE, RespParser, type Arg } from '../../src/client/resp.js';
import { ClusterClientError } from '../../src/client/errors.js';

/** An error the CLI prints as is (one line, naming the node and the fix) and exits 1 on. */
export class AdminError extends Error {
  override name = 'AdminError';
}

/** `host:port` → parts; the port must be 1..65535. */
export function parseAddr(text: string): { host: string; port: number } {
  const i = text.lastIndexOf(':');
  const host = i <= 0 ? '127.0.0.1' : text.slice(0, i);
  const port = Number(i < 0 ? text : text.slice(i + 1));
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new AdminError(`Cannot parse node address '${text}': expected host:port, e.g. 127.0.0.1:7000`);
  return { host, port };
}

interface Pending {
  resolve(v: unknown): void;
  reject(e: Error): void;
  asBuffer: boolean;
}

/**
 * A connected socket to `host:port` (no delay); rejects with an AdminError
 * naming the node and the fix when it is refused or does not answer in
 * `timeoutMs`. Shared by AdminConnection and the raw transfer lanes.
 */
export function connectSocket(host: string, port: number, timeoutMs = 5000): Promise<Socket> {
  const addr = `${host}:${port}`;
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    socket.setNoDelay(true);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new AdminError(`Cannot reach ${addr}: no answer in ${timeoutMs} ms; is the address right and the node running?`));
    }, timeoutMs);
    socket.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      const why = err.code === 'ECONNREFUSED' ? 'connection refused; is the node running?' : `${err.message}; is the address right and the node running?`;
      reject(new AdminError(`Cannot reach ${addr}: ${why}`));
    });
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
  });
}

/** Reports an error or close of an open connection to `addr` once as an AdminError to `fail`. */
export function onConnectionLost(socket: Socket, addr: string, fail: (err: AdminError) => void): void {
  socket.on('error', (err) => fail(new AdminError(`Lost the connection to ${addr}: ${err.message}; is the node still running?`)));
  socket.on('close', () => fail(new AdminError(`Lost the connection to ${addr}; is the node still running?`)));
}

export class AdminConnection {
  readonly addr: string;
  readonly #socket: Socket;
  readonly #parser = new RespParser();
  readonly #pending: Pending[] = [];
  #closed: Error | null = null;
  #corked = false;

  private constructor(addr: string, socket: Socket) {
    this.addr = addr;
    this.#socket = socket;
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    onConnectionLost(socket, addr, (err) => this.#fail(err));
  }

  /** Connects to `host:port`; rejects with an AdminError naming the node and the fix. */
  static async open(host: string, port: number, timeoutMs = 5000): Promise<AdminConnection> {
    return new AdminConnection(`${host}:${port}`, await connectSocket(host, port, timeoutMs));
  }

  /**
   * Sends one command; resolves with the reply (an error reply resolves as
   * a ClusterClientError value). Commands sent in the same turn of the
   * event loop (e.g. by several slots' workers resumed by one reply chunk)
   * leave in one socket write: a write costs a system call and a wake-up of
   * the node, and the node then handles them in one pass (Redis saves its
   * cluster config once per pass, not once per CLUSTER SETSLOT).
   */
  send(args: readonly Arg[], asBuffer = false): Promise<unknown> {
    if (this.#closed) return Promise.reject(this.#closed);
    if (!this.#corked) {
      this.#corked = true;
      this.#socket.cork();
      process.nextTick(this.#uncork);
    }
    return new Promise((resolve, reject) => {
      this.#pending.push({ resolve, reject, asBuffer });
      this.#socket.write(encodeCommand(args));
    });
  }

  readonly #uncork = (): void => {
    this.#corked = false;
    this.#socket.uncork();
  };

  /** Sends several commands in one socket write; one promise per reply, each as from `send`. */
  sendAll(commands: readonly (readonly Arg[])[], asBuffer = false): Promise<unknown>[] {
    return commands.map((args) => this.send(args, asBuffer));
  }

  /** Sends one command; rejects on an error reply with an AdminError naming the node and the command. */
  async call(...args: Arg[]): Promise<unknown> {
    const r = await this.send(args);
    if (r instanceof ClusterClientError) throw new AdminError(`${this.addr} refused ${describe(args)}: ${r.message}`);
    return r;
  }

  /** Like `call`, with bulk strings as Buffers (keys are binary). */
  async callBuf(...args: Arg[]): Promise<unknown> {
    const r = await this.send(args, true);
    if (r instanceof ClusterClientError) throw new AdminError(`${this.addr} refused ${describe(args)}: ${r.message}`);
    return r;
  }

  close(): void {
    this.#closed ??= new AdminError(`Connection to ${this.addr} closed`);
    this.#socket.destroy();
  }

  #onData(chunk: Buffer): void {
    this.#parser.push(chunk);
    for (;;) {
      const head = this.#pending[0];
      if (!head) return;
      let v: unknown;
      try {
        v = this.#parser.next(head.asBuffer);
      } catch (err) {
        this.#fail(new AdminError(`${this.addr} sent bytes that are not RESP: ${(err as Error).message}`));
        return;
      }
      if (v === INCOMPLETE) return;
      this.#pending.shift();
      head.resolve(v);
    }
  }

  #fail(err: Error): void {
    if (!this.#closed) this.#closed = err;
    const pending = this.#pending.splice(0);
    for (const p of pending) p.reject(this.#closed);
  }
}

/** A command for error messages: the first words, long argument lists cut. */
export function describe(args: readonly Arg[]): string {
  const words = args.slice(0, 4).map((a) => (Buffer.isBuffer(a) ? a.toString('latin1') : String(a)));
  return words.join(' ') + (args.length > 4 ? ' ...' : '');
}
