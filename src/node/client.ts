/**
 * One client connection: its socket, request parser, protocol state and
 * pending output.
 *
 * Request path: bytes arrive through the connection (./connection-io.ts) →
 * `data` feeds the parser and pulls commands one at a time into
 * `processCommand` (./dispatch.ts), which appends each reply to `#out`; when
 * the chunk is used up, `flush` writes everything produced for it in one
 * socket write. A blocked client (BLPOP, CLIENT PAUSE) stops pulling
 * until `unblock`, so pipelined commands after it wait their turn, as in Redis.
 */
import type { Socket } from 'node:net';
import type { LiveValue } from './config.js';
import type { Connection, ConnectionEvents } from './connection-io.js';
import type { Database } from './keyspace.js';
import { encodeError, encodeReply, type Protocol, type Reply } from './resp/reply.js';
import { RequestParser } from './resp/request-parser.js';
import type { Subscriptions } from './commands/pubsub.js';
import { REPLY_ON, REPLY_SKIP, type ReplyMode } from './reply-mode.js';
import type { Server } from './server.js';
import { processCommand, type ResolvedCommand } from './dispatch.js';
import { closeOnOutputLimit } from './output-limits.js';

/** Output buffered beyond this makes us stop reading from the client until it drains. */
const OUTPUT_HIGH_WATER = 64 * 1024 * 1024;

/** A command queued inside MULTI. */
export interface QueuedCommand {
  readonly args: string[];
}

/** A client receives its connection's events itself (`data`, `drain`, `close`): see Server's accept. */
export class Client implements ConnectionEvents {
  readonly id: number;
  readonly server: Server;
  readonly conn: Connection;
  readonly parser: RequestParser;
  /** `ip:port` of the peer and of our side, for CLIENT LIST. */
  readonly addr: string;
  readonly laddr: string;
  readonly createdAt: number;

  db: Database;
  proto: Protocol = 2;
  name = '';
  libName = '';
  libVer = '';
  #authenticated: boolean;
  /**
   * The server's cached monotonic time at the last read from the client (as
   * Redis), for CLIENT LIST idle= and `timeout`. Declared with a number, not
   * left undefined until the constructor: a field that starts undefined is
   * stored tagged, so each read's stamp would allocate a heap number and
   * take the write barrier's slow path (see Server.cachedMonotonic).
   */
  lastInteraction = 0;
  lastCommand = 'NULL';
  /** The last command name this client sent and its table entry (dispatch.ts's lookup cache). */
  lastName = '';
  lastResolved: ResolvedCommand | undefined;

  /** Commands queued by MULTI, or null outside a transaction. */
  multi: QueuedCommand[] | null = null;
  /** A command was rejected while queueing: EXEC must answer EXECABORT. */
  multiFailed = false;
  /** A watched key changed: EXEC must answer a null array. */
  watchDirty = false;
  /** Keys this client WATCHes, as `db:key` pairs (see ./watch.ts). */
  watching: { db: Database; key: string }[] = [];

  /** CLIENT REPLY: REPLY_SKIP suppresses one reply, REPLY_OFF all until REPLY_ON. */
  replyMode: ReplyMode = REPLY_ON;
  /**
   * Set while a command is blocked; cleared by `unblock`. `cancel` drops the
   * wait silently (disconnect); `wake` ends it early with the command's
   * timeout reply or, for CLIENT UNBLOCK ERROR, an UNBLOCKED error.
   */
  blocked: { reason: string; cancel: () => void; wake: (how: 'timeout' | 'error') => void } | undefined;
  /** Pub/sub channels and patterns, once the client subscribed to any (./commands/pubsub.ts). */
  subscriptions: Subscriptions | undefined;
  /** One-shot ASKING flag (cluster). */
  asking = false;
  /** READONLY mode on a replica (cluster). */
  readonlyMode = false;
  /** True for MONITOR clients. */
  monitor = false;
  /** CLIENT NO-EVICT. */
  noEvict = false;
  closeAfterReply = false;
  closed = false;
  /** Unix second at which pending output reached the soft limit, 0 when below it (./output-limits.ts). */
  obufSoftLimitSince = 0;

  #out = '';
  /** `client-query-buffer-limit`, checked on every read. */
  readonly #queryBufferLimit: LiveValue<number>;

  /** `conn` was opened by the server with this client as its events' receiver (`data`, `drain`, `close`). */
  constructor(server: Server, id: number, conn: Connection, db: Database, authenticated: boolean) {
    this.server = server;
    this.id = id;
    this.conn = conn;
    const socket = conn.socket;
    this.db = db;
    this.#authenticated = authenticated;
    this.parser = new RequestParser(server.config.getNumber('proto-max-bulk-len'));
    this.parser.unauthenticated = !authenticated;
    this.#queryBufferLimit = server.config.live('client-query-buffer-limit');
    this.createdAt = server.clock.now();
    this.lastInteraction = server.clock.monotonic();
    this.addr = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`;
    this.laddr = `${socket.localAddress ?? '?'}:${socket.localPort ?? 0}`;
    socket.setNoDelay(true);
  }

  get socket(): Socket {
    return this.conn.socket;
  }

  get authenticated(): boolean {
    return this.#authenticated;
  }
  set authenticated(v: boolean) {
    this.#authenticated = v;
    this.parser.unauthenticated = !v;
  }

  /** Database index selected by this client. */
  get dbIndex(): number {
    return this.db.id;
  }

  /** Bytes of output produced and not yet handed to the socket, plus the socket's own buffer. */
  get outputBytes(): number {
    return this.#out.length + this.conn.queuedBytes;
  }

  /**
   * Bytes from the peer. `transient`: `chunk` is reused once this returns, so
   * the parser keeps a copy of what it still needs. A read is what counts as
   * interaction (CLIENT LIST idle=, `timeout`), as in Redis, which stamps
   * the client when it reads rather than per command, and with its cached
   * clock (`server.cachedMonotonic`), not a clock read per read: at 50 ns
   * per read of this host's clock that was about a tenth of a GET's
   * in-process cost.
   */
  data(chunk: Buffer, transient: boolean): void {
    if (this.closed) return;
    const server = this.server;
    server.stats.netInputBytes += chunk.length;
    this.lastInteraction = server.cachedMonotonic;
    this.parser.feed(chunk);
    if (this.parser.bufferedBytes > this.#queryBufferLimit.value) {
      server.log('warning', `Closing client id=${this.id} addr=${this.addr}: query buffer exceeds client-query-buffer-limit`);
      this.close();
      return;
    }
    this.processInput();
    if (transient) this.parser.release(chunk);
    this.flush();
  }

  /** Everything written reached the kernel: read again if output backpressure had paused us. */
  drain(): void {
    if (!this.closed && this.conn.readingPaused) this.conn.pauseReading(false);
  }

  /** Executes buffered commands until input runs out, the client blocks, or it must close. */
  processInput(): void {
    while (!this.closed && this.blocked === undefined && !this.closeAfterReply) {
      const r = this.parser.next();
      if (r === null) return;
      // Array.isArray reads one map; `instanceof` would walk the array's prototype chain per command.
      if (!Array.isArray(r)) {
        this.server.log('verbose', `Protocol error from client id=${this.id} addr=${this.addr}: ${r.message}`);
        this.server.countError(r.message);
        this.#out += encodeError(r.message);
        this.closeAfterReply = true;
        return;
      }
      processCommand(this, r);
    }
  }

  /** Appends a reply, honouring CLIENT REPLY OFF/SKIP. */
  reply(reply: Reply): void {
    if (this.replyMode !== REPLY_ON) {
      if (this.replyMode === REPLY_SKIP) this.replyMode = REPLY_ON;
      return;
    }
    this.#out += encodeReply(reply, this.proto);
  }

  /**
   * Appends already-encoded bytes (latin1), regardless of CLIENT REPLY
   * (pushes, MONITOR). These arrive whether or not the client reads, so the
   * output limits are checked here: a client over them is closed at once.
   */
  writeRaw(bytes: string): void {
    if (this.closed) return;
    this.#out += bytes;
    closeOnOutputLimit(this, false);
  }

  /** Hands pending output to the socket in one write; closes if asked to after replying. */
  flush(): void {
    if (this.closed) return;
    // Read before the write: after its syscall our objects are likely out of
    // the cache, so the usual path touches none of them (connection-io.ts).
    const closeAfter = this.closeAfterReply;
    if (this.#out.length !== 0) {
      const out = this.#out;
      this.#out = '';
      this.server.stats.netOutputBytes += out.length;
      const conn = this.conn;
      if (conn.write(out)) {
        // Some of it is queued: the client may be reading slower than it is sent to.
        if (closeOnOutputLimit(this, false)) return;
        if (conn.queuedBytes > OUTPUT_HIGH_WATER) conn.pauseReading(true);
      }
    }
    if (closeAfter) {
      this.closed = true;
      this.conn.end();
      this.server.removeClient(this);
    }
  }

  /** Ends a blocked state and goes on with any pipelined input. `reply` is sent first. */
  unblock(reply?: Reply): void {
    if (this.blocked === undefined) return;
    this.blocked = undefined;
    if (reply !== undefined) this.reply(reply);
    this.processInput();
    this.server.queueFlush(this);
  }

  /** Closes the connection at once, dropping pending output. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.blocked !== undefined) {
      const b = this.blocked;
      this.blocked = undefined;
      b.cancel();
    }
    this.conn.destroy();
    this.server.removeClient(this);
  }
}
