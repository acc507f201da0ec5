/**
 * RESP2/RESP3 for the client: a request encoder and an incremental reply parser.
 *
 * Encoding: requests are always RESP arrays of bulk strings. String arguments
 * are UTF-8 encoded (as every Node client does), Buffers are sent byte for
 * byte, numbers as their decimal text. Consecutive string-only commands are
 * concatenated into one JS string so that a tick's worth of commands costs one
 * `socket.write`.
 *
 * Parsing: `RespParser.next(asBuffer)` returns one complete reply or
 * `INCOMPLETE`; the caller says per reply whether bulk strings become Buffers
 * (binary-safe, copied out of the socket chunk) or UTF-8 strings. A partial
 * reply is re-parsed from its start when more bytes arrive; to keep large
 * bulk strings linear, the parser remembers how many bytes it needs and does
 * not retry (or concatenate) before they are there.
 *
 * Reply mapping: simple string → string; error → the typed error from
 * `parseReplyError` (as a value: the caller decides to reject); integer →
 * number; bulk/verbatim → string or Buffer (verbatim without its `txt:`
 * prefix); null/nil → null; array and set → array; map → Map; double →
 * number; boolean → boolean; big number → bigint; push → `PushMessage`;
 * attributes are skipped.
 */
import { parseReplyError, ProtocolError } from './errors.js';

/** A command argument. */
export type Arg = string | Buffer | number;

/** Returned by `RespParser.next` when the buffer does not hold a whole reply yet. */
export const INCOMPLETE: unique symbol = Symbol('incomplete');

/** An out-of-band RESP3 push message (`>`), e.g. pub/sub or invalidation. */
export class PushMessage {
  constructor(readonly items: unknown[]) {}
}

/**
 * Accumulates encoded commands for one flush. `str` holds the string tail;
 * `chunks` holds earlier parts when Buffers were involved.
 */
export class WriteBuffer {
  str = '';
  chunks: (string | Buffer)[] | null = null;

  /** Appends the RESP encoding of `args`. */
  append(args: readonly Arg[]): void {
    let s = '*' + args.length + '\r\n';
    for (let i = 0; i < args.length; i++) {
      const a = args[i]!;
      if (typeof a === 'string') {
        s += '$' + Buffer.byteLength(a) + '\r\n' + a + '\r\n';
      } else if (typeof a === 'number') {
        const t = String(a);
        s += '$' + t.length + '\r\n' + t + '\r\n';
      } else {
        s += '$' + a.length + '\r\n';
        (this.chunks ??= []).push(this.str + s, a);
        this.str = '';
        s = '\r\n';
      }
    }
    this.str += s;
  }

  /** True when nothing was appended since the last `take`. */
  get empty(): boolean {
    return this.str === '' && this.chunks === null;
  }

  /** Returns what was appended, as one string or one Buffer, and resets. */
  take(): string | Buffer {
    const chunks = this.chunks;
    const str = this.str;
    this.str = '';
    this.chunks = null;
    if (chunks === null) return str;
    if (str !== '') chunks.push(str);
    const bufs = new Array<Buffer>(chunks.length);
    for (let i = 0; i < chunks.length; i++) {
      const c = chunks[i]!;
      bufs[i] = typeof c === 'string' ? Buffer.from(c, 'utf8') : c;
    }
    return Buffer.concat(bufs);
  }
}

/** Encodes one command to a Buffer (tests, handshakes). */
export function encodeCommand(args: readonly Arg[]): Buffer {
  const w = new WriteBuffer();
  w.append(args);
  const out = w.take();
  return typeof out === 'string' ? Buffer.from(out, 'utf8') : out;
}

const EMPTY = Buffer.alloc(0);

/** Incremental RESP2/RESP3 reply parser; see the module comment. */
export class RespParser {
  #buf: Buffer = EMPTY;
  #pos = 0;
  /** Bytes parked while waiting for `#need` total bytes. */
  #parked: Buffer[] | null = null;
  #parkedLen = 0;
  /** Total bytes (from `#pos`) known to be needed before a retry can succeed. */
  #need = 0;

  /** Adds bytes read from the socket. */
  push(chunk: Buffer): void {
    if (this.#need > 0) {
      (this.#parked ??= []).push(chunk);
      this.#parkedLen += chunk.length;
      if (this.#buf.length - this.#pos + this.#parkedLen < this.#need) return;
      const parts = [this.#buf.subarray(this.#pos), ...this.#parked];
      this.#buf = Buffer.concat(parts);
      this.#pos = 0;
      this.#parked = null;
      this.#parkedLen = 0;
      this.#need = 0;
      return;
    }
    if (this.#pos >= this.#buf.length) {
      this.#buf = chunk;
    } else {
      this.#buf = Buffer.concat([this.#buf.subarray(this.#pos), chunk]);
    }
    this.#pos = 0;
  }

  /** Drops everything buffered (after a connection reset). */
  reset(): void {
    this.#buf = EMPTY;
    this.#pos = 0;
    this.#parked = null;
    this.#parkedLen = 0;
    this.#need = 0;
  }

  /**
   * Parses the next complete reply. `asBuffer` makes bulk strings Buffers.
   * Returns INCOMPLETE (consuming nothing) when more bytes are needed.
   * Throws ProtocolError on bytes that are not RESP.
   */
  next(asBuffer: boolean): unknown {
    if (this.#need > 0 || this.#pos >= this.#buf.length) return INCOMPLETE;
    const start = this.#pos;
    const v = this.#value(asBuffer);
    if (v === INCOMPLETE) {
      if (this.#need > 0) this.#need -= start;
      this.#pos = start;
      if (start > 0 && this.#need === 0) {
        this.#buf = this.#buf.subarray(start);
        this.#pos = 0;
      }
    }
    return v;
  }

  /** Index of the `\r` ending the line at `#pos`, or -1. */
  #lineEnd(): number {
    const buf = this.#buf;
    const i = buf.indexOf(13, this.#pos);
    return i === -1 || i + 1 >= buf.length ? -1 : i;
  }

  /** Parses a signed decimal integer between `#pos` and `end`. */
  #int(end: number): number {
    const buf = this.#buf;
    let i = this.#pos;
    let neg = false;
    if (buf[i] === 45) {
      neg = true;
      i++;
    }
    let n = 0;
    for (; i < end; i++) {
      const d = buf[i]! - 48;
      if (d < 0 || d > 9) throw new ProtocolError(`Cannot parse a reply as an integer is malformed: current value is ${JSON.stringify(buf.toString('latin1', this.#pos, end))}`);
      n = n * 10 + d;
    }
    return neg ? -n : n;
  }

  #value(asBuffer: boolean): unknown {
    const buf = this.#buf;
    if (this.#pos >= buf.length) return INCOMPLETE;
    const type = buf[this.#pos++]!;
    const end = this.#lineEnd();
    if (end === -1) return INCOMPLETE;
    switch (type) {
      case 43: { // + simple string
        const s = buf.toString('utf8', this.#pos, end);
        this.#pos = end + 2;
        return s;
      }
      case 45: { // - error
        const s = buf.toString('utf8', this.#pos, end);
        this.#pos = end + 2;
        return parseReplyError(s);
      }
      case 58: { // : integer
        const n = end - this.#pos > 15 ? Number(buf.toString('latin1', this.#pos, end)) : this.#int(end);
        this.#pos = end + 2;
        return n;
      }
      case 36: // $ bulk
      case 61: // = verbatim
      case 33: { // ! blob error
        const len = this.#int(end);
        if (len < 0) {
          this.#pos = end + 2;
          return null;
        }
        const from = end + 2;
        const to = from + len;
        if (to + 2 > buf.length) {
          if (len > 65536) this.#need = to + 2;
          return INCOMPLETE;
        }
        this.#pos = to + 2;
        if (type === 33) return parseReplyError(buf.toString('utf8', from, to));
        const skip = type === 61 ? 4 : 0;
        if (asBuffer) {
          const out = Buffer.allocUnsafe(len - skip);
          buf.copy(out, 0, from + skip, to);
          return out;
        }
        return buf.toString('utf8', from + skip, to);
      }
      case 42: // * array
      case 126: // ~ set
      case 62: { // > push
        const n = this.#int(end);
        this.#pos = end + 2;
        if (n < 0) return null;
        const arr = new Array<unknown>(n);
        for (let i = 0; i < n; i++) {
          const v = this.#value(asBuffer);
          if (v === INCOMPLETE) return INCOMPLETE;
          arr[i] = v;
        }
        return type === 62 ? new PushMessage(arr) : arr;
      }
      case 37: { // % map
        const n = this.#int(end);
        this.#pos = end + 2;
        const map = new Map<unknown, unknown>();
        for (let i = 0; i < n; i++) {
          const k = this.#value(asBuffer);
          if (k === INCOMPLETE) return INCOMPLETE;
          const v = this.#value(asBuffer);
          if (v === INCOMPLETE) return INCOMPLETE;
          map.set(k, v);
        }
        return map;
      }
      case 124: { // | attribute: skip it, return the value that follows
        const n = this.#int(end);
        this.#pos = end + 2;
        for (let i = 0; i < 2 * n; i++) if (this.#value(asBuffer) === INCOMPLETE) return INCOMPLETE;
        return this.#value(asBuffer);
      }
      case 95: // _ null
        this.#pos = end + 2;
        return null;
      case 35: { // # boolean
        const t = buf[this.#pos] === 116;
        this.#pos = end + 2;
        return t;
      }
      case 44: { // , double
        const s = buf.toString('latin1', this.#pos, end);
        this.#pos = end + 2;
        return parseDouble(s);
      }
      case 40: { // ( big number
        const s = buf.toString('latin1', this.#pos, end);
        this.#pos = end + 2;
        return BigInt(s);
      }
      default:
        throw new ProtocolError(`Cannot parse a reply as its type byte is unknown: current value is ${type}`);
    }
  }
}

/** Parses a Redis double (`inf`, `-inf`, `nan` included). */
export function parseDouble(s: string): number {
  switch (s) {
    case 'inf':
    case '+inf':
      return Infinity;
    case '-inf':
      return -Infinity;
    case 'nan':
      return NaN;
    default:
      return Number(s);
  }
}
