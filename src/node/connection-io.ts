/**
 * Client socket I/O for the server's hot path.
 *
 * Why not plain `socket.on('data')` / `socket.write()`. Node's stream layer
 * costs a measurable share of a small request: every read allocates a 64 KiB
 * buffer, wraps it in a Buffer, pushes it through the Readable state machine
 * and schedules a `process.nextTick` (maybeReadMore); every write creates a
 * Writable entry and another tick for its callback. Redis spends about
 * 3.5 µs of user CPU on a GET; a Node server through streams spends about
 * three times that, most of it in this layer (perf, `redis-benchmark -t get
 * -c 17`). For the cluster benchmark, where three nodes and the load
 * generator share two cores, that CPU is the throughput.
 *
 * The fast path, used when the runtime offers what it needs:
 *  - reads: the accepted socket's libuv handle is re-wrapped in a Socket
 *    created with Node's `onread` option, so the kernel copies into ONE
 *    buffer shared by all connections and our callback runs synchronously
 *    on it: no allocation, no stream push, no tick. The callback's bytes are
 *    valid only during the call; the caller copies what it keeps (the
 *    request parser's `release`). The handle's `onread` hook (what libuv's
 *    read callback calls in JS) is then replaced by `onHandleRead`, which
 *    takes a read of data straight to the connection and leaves EOF and
 *    errors to Node's own hook: Node's generic one also re-arms the socket's
 *    idle timer (we set none) and looks the callback up through symbol-keyed
 *    properties on every read. The view handed to the connection is one
 *    cached per read length (`readView`), so a read allocates nothing.
 *  - writes: straight to the handle with `writeLatin1String` and a WriteWrap
 *    request, which is exactly what `socket.write(str, 'latin1')` ends in,
 *    minus the Writable bookkeeping. libuv keeps writes in order: a write
 *    the kernel could not take at once is queued, and later writes queue
 *    behind it, so the byte stream is the same as through the stream layer.
 *    `queuedBytes` is libuv's write queue, for output limits.
 *  - ends and errors still go through the Socket: EOF ends the Readable
 *    side and, with allowHalfOpen off, closes the socket ('close' fires);
 *    `end()` shuts the write side down after the queued writes.
 *
 * Fairness between clients. A read that fills the whole buffer means the
 * peer has more queued, and libuv would read that socket again at once (up
 * to 32 times, 2 MiB, before it looks at any other socket), running every
 * command in it: a client pipelining heavy commands (a bulk load of big
 * ZADDs) held every other client for most of a second. Both paths stop
 * reading such a socket after a full read and resume it from a
 * `setImmediate`, after the other sockets that were ready in the same
 * event-loop turn: like Redis, which reads each client once per turn. A
 * request-reply client never fills 64 KiB in one read, so this costs it
 * nothing.
 *
 * The fallback uses the public stream API with the same contract. It is
 * chosen when `process.binding('stream_wrap')` or the handle methods are
 * missing (another runtime or Node version), or when SHARDIS_STREAM_IO=1
 * (tests run both paths).
 */
import { Socket, type Server as NetServer } from 'node:net';

/** What a connection reports to its owner. */
export interface ConnectionEvents {
  /** Bytes arrived. With `transient`, `chunk`'s memory is reused after the call returns. */
  data(chunk: Buffer, transient: boolean): void;
  /** Every queued write reached the kernel. */
  drain(): void;
  /** The connection is gone (peer closed, error, or destroy). Called once. */
  close(): void;
}

export interface Connection {
  /** Which path this connection uses (see the module header). */
  readonly kind: 'fast' | 'stream';
  readonly socket: Socket;
  /**
   * Sends `data` (latin1: one char per byte) after everything sent before.
   * Returns true if some of it is still queued (the kernel did not take it
   * all), the only case in which `queuedBytes` can be non-zero.
   */
  write(data: string): boolean;
  /** Bytes accepted by `write` that the kernel has not taken yet. */
  readonly queuedBytes: number;
  /** Stops (true) or restarts (false) reading, for output backpressure. */
  pauseReading(paused: boolean): void;
  readonly readingPaused: boolean;
  /** Sends what is queued, then closes the write side. */
  end(): void;
  /** Closes at once, dropping queued output. */
  destroy(): void;
}

/** Node's internal write request (src/stream_wrap.cc); only the fields we set or read. */
interface WriteReq {
  handle: unknown;
  oncomplete: (this: WriteReq, status: number) => void;
  async: boolean;
  bytes: number;
  buffer: null;
  conn: FastConnection | undefined;
}

interface StreamWrapBinding {
  WriteWrap: new () => WriteReq;
  streamBaseState: Int32Array;
  kLastWriteWasAsync: number;
  kReadBytesOrError: number;
}

/** The libuv TCP handle's JS side (src/stream_base.cc, src/tcp_wrap.cc); what we call or set. */
interface TcpHandle {
  writeLatin1String(req: WriteReq, data: string): number;
  readonly writeQueueSize: number;
  /** Called by libuv's read callback; the byte count (or error) is in `streamBaseState[kReadBytesOrError]`. */
  onread: (this: TcpHandle, arrayBuffer: unknown) => unknown;
  /** Node's flag for "readStart was called"; net.Socket's pause/resume test it. */
  reading: boolean;
  readStop(): number;
  /** Our connection, for `onHandleRead`. */
  [CONNECTION]?: FastConnection;
}

const CONNECTION = Symbol('shardis.connection');

/** The stream_wrap binding if this runtime has the pieces the fast path uses, else null. */
function loadStreamWrap(): StreamWrapBinding | null {
  if (process.env['SHARDIS_STREAM_IO'] === '1') return null;
  try {
    const b = (process as unknown as { binding?: (name: string) => Partial<StreamWrapBinding> }).binding?.('stream_wrap');
    if (
      b &&
      typeof b.WriteWrap === 'function' &&
      b.streamBaseState instanceof Int32Array &&
      typeof b.kLastWriteWasAsync === 'number' &&
      typeof b.kReadBytesOrError === 'number'
    ) {
      return b as StreamWrapBinding;
    }
  } catch {
    // No process.binding (or it refuses stream_wrap): the stream path is used.
  }
  return null;
}

/** Resolved once, when this module loads. */
const binding = loadStreamWrap();

/*
 * `binding.streamBaseState` and the two slots of it the hot path reads after
 * every read and every write, as module constants, which optimized code
 * embeds. Reached through the binding object they were a chain of dependent
 * loads (the object, its property array, the array) that missed the cache
 * after nearly every syscall: under `redis-benchmark --cluster` the stalls on
 * that chain held most of onHandleRead's samples and most of those of the
 * write in Client.data (perf annotate of the jitted code). After a read or
 * write syscall little of our memory is still cached (the kernel's loopback
 * path and the load generator ran in between), so what the per-request path
 * touches, more than what it computes, is its cost.
 */
const STATE: Int32Array = binding?.streamBaseState ?? new Int32Array(1);
const READ_BYTES: number = binding?.kReadBytesOrError ?? 0;
const LAST_WRITE_ASYNC: number = binding?.kLastWriteWasAsync ?? 0;

/** True when accepted sockets should be created paused, so `openConnection` can re-wrap them. */
export function fastIOAvailable(): boolean {
  return binding !== null;
}

/** The one read buffer all fast connections share (reads are synchronous on the JS thread). */
let readBuffer: Buffer | undefined;
const READ_BUFFER_SIZE = 64 * 1024;
/** What a stream-path read of a socket with more queued delivers (libuv's suggested 64 KiB). */
const STREAM_FULL_READ = 64 * 1024;
/** Reads up to this length get a cached view of the shared buffer; longer ones a fresh one. */
const CACHED_VIEW_MAX = 4096;
const views: (Buffer | undefined)[] = [];
/** The view `readView` returned last, and its length: a request-reply load reads the same length over and over. */
let lastView: Buffer | undefined;
let lastViewLength = -1;

/**
 * `readBuffer[0, n)` as a Buffer. Request-reply clients send the same
 * request sizes over and over, so views are cached by length (at most
 * CACHED_VIEW_MAX of them, about 100 bytes each) rather than created per read.
 * Sharing them is safe because a view is only used during the read callback
 * (the connection contract: `transient` bytes are released before it returns).
 */
function readView(buf: Buffer, n: number): Buffer {
  if (n === lastViewLength) return lastView!;
  if (n > CACHED_VIEW_MAX) return buf.subarray(0, n);
  lastViewLength = n;
  return (lastView = views[n] ??= buf.subarray(0, n));
}

/**
 * The handle's `onread` hook on the fast path (see the module header). A
 * positive count is data for our connection: returning false from it stops
 * reading exactly as Node's hook does (`reading` cleared, readStop). Zero,
 * EOF and errors go to Node's hook, which ends or destroys the Socket.
 */
function onHandleRead(this: TcpHandle, arrayBuffer: unknown): unknown {
  const n = STATE[READ_BYTES]!;
  const conn = this[CONNECTION];
  if (n <= 0 || conn === undefined) return conn?.nodeOnRead.call(this, arrayBuffer);
  if (!conn.onRead(n)) {
    this.reading = false;
    const err = this.readStop();
    if (err !== 0) conn.destroy();
  }
  return undefined;
}

/**
 * Wraps an accepted socket. `server` is the listener it came from (the
 * re-wrapped socket takes over its connection count, so `server.close()`
 * still waits for it). Sockets accepted without `pauseOnConnect` always get
 * the stream path.
 */
export function openConnection(
  accepted: Socket,
  server: NetServer,
  events: ConnectionEvents | ((conn: Connection) => ConnectionEvents),
): Connection {
  const b = binding;
  const internals = accepted as unknown as { _handle?: TcpHandle | null; _server?: NetServer | null; server?: NetServer | null };
  const handle = internals._handle;
  const conn =
    b !== null && accepted.isPaused() && handle && typeof handle.writeLatin1String === 'function' && typeof handle.readStop === 'function'
      ? new FastConnection(b, handle, server)
      : new StreamConnection(accepted);
  // An owner made from the connection (the server's Client) receives the events itself, with no forwarding object in between.
  // Nothing can arrive before this: reads are delivered from the event loop, not during construction.
  conn.events = typeof events === 'function' ? events(conn) : events;
  return conn;
}

/** A connection's events until `openConnection` gives it its owner. */
const NO_EVENTS: ConnectionEvents = { data() {}, drain() {}, close() {} };

/**
 * A write the kernel takes at once (nearly all of them) never hands its
 * request object to libuv (StreamBase::WriteString returns before creating
 * the native WriteWrap), so one object serves every such write; only a
 * write that goes asynchronous keeps its request, and the next write makes
 * a new spare.
 */
let spareReq: WriteReq | undefined;

function newWriteReq(b: StreamWrapBinding): WriteReq {
  const req = new b.WriteWrap();
  req.handle = null;
  req.oncomplete = onWriteComplete;
  req.async = false;
  req.bytes = 0;
  req.buffer = null;
  req.conn = undefined;
  return req;
}

function onWriteComplete(this: WriteReq, status: number): void {
  const conn = this.conn;
  this.conn = undefined;
  conn?.writeDone(status);
}

/** What both paths share: the socket, close reporting, pausing, ending. */
abstract class BaseConnection implements Connection {
  abstract readonly kind: 'fast' | 'stream';
  abstract readonly queuedBytes: number;
  readonly socket: Socket;
  /** Who receives this connection's events; set once, by `openConnection`. */
  events: ConnectionEvents = NO_EVENTS;
  protected paused = false;
  protected closed = false;
  /** Reading is stopped until the next event-loop turn (see "Fairness" above). */
  #yielding = false;

  constructor(socket: Socket) {
    this.socket = socket;
    socket.on('error', () => this.#onClose());
    socket.on('close', () => this.#onClose());
  }

  abstract write(data: string): boolean;

  get readingPaused(): boolean {
    return this.paused;
  }

  pauseReading(paused: boolean): void {
    if (this.paused === paused || this.closed) return;
    this.paused = paused;
    if (paused) this.socket.pause();
    else if (!this.#yielding) this.socket.resume();
  }

  /**
   * After a read that filled the buffer: stops reading until the sockets
   * that are ready in this event-loop turn have been served. Returns false,
   * for the fast path's onread callback (false = stop reading).
   */
  protected yieldTurn(): false {
    if (this.#yielding) return false;
    this.#yielding = true;
    this.socket.pause();
    setImmediate(() => {
      this.#yielding = false;
      // Output backpressure (pauseReading) may have paused us since: its resume restarts reading.
      if (!this.closed && !this.paused) this.socket.resume();
    });
    return false;
  }

  end(): void {
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }

  #onClose(): void {
    if (this.closed) return;
    this.closed = true;
    this.events.close();
  }
}

class FastConnection extends BaseConnection {
  readonly kind = 'fast';
  readonly #handle: TcpHandle;
  readonly #binding: StreamWrapBinding;
  readonly #buffer: Buffer;
  #asyncWrites = 0;
  /** Node's own `onread` hook of the handle, for EOF and errors. */
  readonly nodeOnRead: TcpHandle['onread'];

  constructor(b: StreamWrapBinding, handle: TcpHandle, server: NetServer) {
    const buffer = (readBuffer ??= Buffer.allocUnsafe(READ_BUFFER_SIZE));
    // The accepted Socket was created paused and never read: it gives its
    // handle to a Socket that reads into the shared buffer. The old object
    // is dropped without being destroyed (that would close the handle); the
    // new one takes over the listener's connection count, which Node
    // decrements when a socket with `_server` is destroyed. The `onread`
    // callback given here is what Node's hook would call; ours
    // (`onHandleRead`) bypasses it, but the option is what makes the
    // handle read into the shared buffer and pause/resume use readStop.
    let self: FastConnection | undefined;
    const socket = new Socket({
      handle: handle as never,
      readable: true,
      writable: true,
      allowHalfOpen: false,
      onread: { buffer, callback: (n: number) => self?.onRead(n) ?? false },
    } as ConstructorParameters<typeof Socket>[0]);
    const internals = socket as unknown as { _server?: NetServer; server?: NetServer };
    internals._server = server;
    internals.server = server;
    super(socket);
    self = this;
    this.#binding = b;
    this.#handle = handle;
    this.#buffer = buffer;
    this.nodeOnRead = handle.onread;
    handle[CONNECTION] = this;
    handle.onread = onHandleRead;
  }

  /** A read of `n` bytes into the shared buffer, valid until we return. False: stop reading. */
  onRead(n: number): boolean {
    if (this.closed) return false;
    this.events.data(readView(this.#buffer, n), true);
    // Nothing of this object is read after data() unless the read filled the
    // buffer: data() ends in the reply's write syscall, after which whatever
    // we touch is likely to miss the cache (see STATE). If data() paused or
    // closed us, that already stopped reading (socket.pause() calls
    // readStop; destroy closes the handle), so true changes nothing then.
    if (n !== READ_BUFFER_SIZE) return true;
    // A full read: the peer has more queued. Yield the turn, unless data() paused or closed us.
    return this.paused || this.closed ? false : this.yieldTurn();
  }

  write(data: string): boolean {
    if (this.closed) return false;
    const req = (spareReq ??= newWriteReq(this.#binding));
    req.handle = this.#handle;
    const err = this.#handle.writeLatin1String(req, data);
    if (err !== 0) {
      // EPIPE, ECONNRESET...: the peer is gone; 'close' follows the destroy.
      // (A failed write may have wrapped the request natively: not reused.)
      spareReq = undefined;
      this.destroy();
      return false;
    }
    if (STATE[LAST_WRITE_ASYNC] === 0) return false;
    // libuv keeps the request until the write completes: it is no longer spare.
    spareReq = undefined;
    req.async = true;
    req.conn = this;
    this.#asyncWrites++;
    return true;
  }

  /** A queued write finished (`status` < 0: failed). */
  writeDone(status: number): void {
    this.#asyncWrites--;
    if (status < 0) {
      this.destroy();
      return;
    }
    if (this.#asyncWrites === 0 && !this.closed) this.events.drain();
  }

  /** libuv's write queue; empty while no write is pending, which spares a native getter call per flush. */
  get queuedBytes(): number {
    return this.#asyncWrites === 0 ? 0 : this.#handle.writeQueueSize;
  }
}

class StreamConnection extends BaseConnection {
  readonly kind = 'stream';

  constructor(socket: Socket) {
    super(socket);
    socket.on('data', (chunk: Buffer) => {
      this.events.data(chunk, false);
      // More to come this turn: a full read (libuv reads again at once) or chunks the Readable buffered while we yielded.
      if ((chunk.length >= STREAM_FULL_READ || socket.readableLength > 0) && !this.paused && !this.closed) this.yieldTurn();
    });
    socket.on('drain', () => {
      if (!this.closed) this.events.drain();
    });
    if (socket.isPaused()) socket.resume();
  }

  write(data: string): boolean {
    if (this.closed) return false;
    this.socket.write(data, 'latin1');
    return this.socket.writableLength !== 0;
  }

  get queuedBytes(): number {
    return this.socket.writableLength;
  }
}
