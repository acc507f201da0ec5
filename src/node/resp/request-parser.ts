/**
 * Incremental parser for client requests: RESP multibulk (`*<n>\r\n$<len>\r\n...`)
 * and inline commands (`SET k v\n`), following Redis 7's networking.c.
 *
 * Why our own and not `redis-parser`: requests must be checked against Redis's
 * limits as they arrive (multibulk count, bulk length, inline length, tighter
 * limits before AUTH) with Redis's exact error texts, inline commands must be
 * split with Redis's quoting rules, and arguments are produced directly as
 * latin1 strings. `bench/parser.ts` measures it against redis-parser.
 *
 * The parser is pull-based: the connection `feed`s chunks and calls `next()`
 * when it is ready for another command (a blocked client stops pulling).
 * `next()` returns the arguments of one command, `null` when more bytes are
 * needed, or a `ProtocolError` after which the connection must reply and close.
 *
 * Buffering: received chunks are only concatenated when they can complete
 * something (a bulk body of known length, or a line once a CR/LF arrived),
 * so a large value arriving in many small chunks is copied once, not once
 * per chunk.
 */

/** Redis's PROTO_INLINE_MAX_SIZE: longest inline command or header line. */
export const INLINE_MAX_SIZE = 64 * 1024;
/** Redis 7.0's limit on the number of arguments of one multibulk request (INT_MAX). */
export const MULTIBULK_MAX = 2147483647;
/** Limits applied before a client has authenticated (CVE-2021-32675). */
const UNAUTH_MULTIBULK_MAX = 10;
const UNAUTH_BULK_MAX = 16384;

const EMPTY = Buffer.alloc(0);
/** `#args` between requests. Never written: startRequest replaces it before the first argument. */
const NO_ARGS: string[] = [];
const CR = 13;
const LF = 10;

export class ProtocolError {
  /** `message` is the error text without the leading `-`, e.g. `ERR Protocol error: ...`. */
  constructor(readonly message: string) {}
}

interface Latin1Buffer extends Buffer {
  latin1Slice(start: number, end: number): string;
}

/*
 * The per-request methods below are TypeScript-private, not `#` methods: in
 * Node 20's V8 a call to a `#` method from optimized code went through a
 * generic load IC (the brand check) per call; bench/parser.ts measured
 * 5.2M commands/s with them and 5.7M without. `#` fields cost nothing.
 */
export class RequestParser {
  /** `proto-max-bulk-len`: longest bulk argument accepted. */
  maxBulkLen: number;
  /** True while the client must authenticate first: Redis's tighter limits apply. */
  unauthenticated = false;

  #buf: Buffer = EMPTY;
  #pos = 0;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #pendingHasNewline = false;
  /** Bytes needed from `#pos` before a bulk body can complete; 0 while waiting for a line. */
  #need = 0;
  /** Arguments still to read in the current multibulk request; 0 when between requests. */
  #argsLeft = 0;
  #args: string[] = NO_ARGS;
  /** Index in `#args` of the next argument. */
  #argIndex = 0;
  /** Length of the bulk being read, or -1 when its `$` header is next. */
  #bulkLen = -1;
  /**
   * The last command name read on this connection. A client mostly repeats
   * a few commands, so a name equal to the last one is reused instead of
   * sliced: no native call, no new string, and the command table lookup
   * finds the string's hash already computed.
   */
  #lastName = '';

  constructor(maxBulkLen: number) {
    this.maxBulkLen = maxBulkLen;
  }

  /** Bytes received and not yet turned into arguments (Redis's query buffer length). */
  get bufferedBytes(): number {
    return this.#buf.length - this.#pos + this.#pendingBytes;
  }

  feed(chunk: Buffer): void {
    if (this.#pendingBytes === 0 && this.#pos >= this.#buf.length) {
      this.#buf = chunk;
      this.#pos = 0;
      return;
    }
    this.#pending.push(chunk);
    this.#pendingBytes += chunk.length;
    if (!this.#pendingHasNewline && (chunk.indexOf(CR) !== -1 || chunk.indexOf(LF) !== -1)) {
      this.#pendingHasNewline = true;
    }
  }

  /**
   * The caller is about to reuse `chunk`'s memory (a shared read buffer):
   * copies whatever part of it the parser still holds. O(bytes kept), so a
   * large value arriving over many reads is still copied about once.
   */
  release(chunk: Buffer): void {
    if (this.#buf === chunk) {
      this.#buf = this.#pos < chunk.length ? Buffer.from(chunk.subarray(this.#pos)) : EMPTY;
      this.#pos = 0;
    }
    // Nothing pending holds bytes of `chunk` (the usual case: one complete request per read).
    if (this.#pendingBytes === 0) return;
    const i = this.#pending.lastIndexOf(chunk);
    if (i !== -1) this.#pending[i] = Buffer.from(chunk);
  }

  /** Returns the next complete command, `null` if more input is needed, or a protocol error. */
  next(): string[] | null | ProtocolError {
    for (;;) {
      this.mergeIfUseful();
      const buf = this.#buf;
      if (this.#argsLeft === 0) {
        if (this.#pos >= buf.length) return null;
        if (buf[this.#pos] === 0x2a /* '*' */) {
          const r = this.readMultibulkHeader();
          if (r !== true) return r;
          if (this.#argsLeft === 0) continue; // `*0` or negative: empty request, skipped
        } else {
          const r = this.#readInline();
          if (r === undefined) continue; // empty line
          return r;
        }
      }
      const r = this.readBulks();
      if (r !== true) return r;
      // The next request's header gives `#args` a fresh array (startRequest): none is made here.
      const args = this.#args;
      this.#args = NO_ARGS;
      return args;
    }
  }

  /** Concatenates pending chunks into `#buf` when that lets parsing progress. */
  private mergeIfUseful(): void {
    if (this.#pendingBytes === 0) return;
    const avail = this.#buf.length - this.#pos;
    const total = avail + this.#pendingBytes;
    const useful = this.#need > 0 ? total >= this.#need : this.#pendingHasNewline || total > INLINE_MAX_SIZE;
    if (!useful) return;
    const parts = avail > 0 ? [this.#buf.subarray(this.#pos), ...this.#pending] : this.#pending;
    this.#buf = parts.length === 1 ? parts[0]! : Buffer.concat(parts, total);
    this.#pos = 0;
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#pendingHasNewline = false;
  }

  private readMultibulkHeader(): true | null | ProtocolError {
    const buf = this.#buf;
    // The usual header in one pass (see headerCount); anything else, and every error, takes the general path.
    const count = headerCount(buf, this.#pos);
    if (count >= 0 && (count <= UNAUTH_MULTIBULK_MAX || !this.unauthenticated)) {
      this.#pos = headerEnd + 2;
      this.startRequest(count);
      return true;
    }
    const cr = buf.indexOf(CR, this.#pos);
    if (cr === -1 || cr + 1 >= buf.length) {
      if (buf.length - this.#pos > INLINE_MAX_SIZE) return protocolError('too big mbulk count string');
      this.#need = 0;
      return null;
    }
    const n = parseLength(buf, this.#pos + 1, cr);
    if (n === undefined || n > MULTIBULK_MAX) {
      // Redis finds the CR with strchr, which stops at a NUL: it keeps waiting.
      if (hasNul(buf, this.#pos, cr)) return this.#waitLine('too big mbulk count string');
      return protocolError('invalid multibulk length');
    }
    if (n > UNAUTH_MULTIBULK_MAX && this.unauthenticated) return protocolError('unauthenticated multibulk length');
    this.#pos = cr + 2;
    this.startRequest(n);
    return true;
  }

  /** A multibulk header announced `n` arguments (0 or less: an empty request). */
  private startRequest(n: number): void {
    this.#argsLeft = n > 0 ? n : 0;
    this.#bulkLen = -1;
    // Small requests get an array of the right size up front; a huge declared
    // count is not trusted with memory before its arguments arrive.
    if (n > 0) this.#args = n <= 64 ? new Array<string>(n) : new Array<string>();
    this.#argIndex = 0;
  }

  /** Reads bulk arguments until the request is complete (true) or input runs out (null). */
  private readBulks(): true | null | ProtocolError {
    for (;;) {
      const buf = this.#buf;
      if (this.#bulkLen === -1 && buf[this.#pos] === 0x24 /* '$' */) {
        // The usual header in one pass (see headerCount); anything else takes the general path.
        const len = headerCount(buf, this.#pos);
        if (len >= 0 && len <= this.maxBulkLen && (len <= UNAUTH_BULK_MAX || !this.unauthenticated)) {
          this.#pos = headerEnd + 2;
          this.#bulkLen = len;
        }
      }
      if (this.#bulkLen === -1) {
        const cr = buf.indexOf(CR, this.#pos);
        if (cr === -1 || cr + 1 >= buf.length) {
          if (buf.length - this.#pos > INLINE_MAX_SIZE) return protocolError('too big bulk count string');
          this.#need = 0;
          return null;
        }
        const first = buf[this.#pos]!;
        if (first !== 0x24 /* '$' */) {
          // Redis finds the CR with strchr, which stops at a NUL: it keeps waiting.
          if (hasNul(buf, this.#pos, cr)) return this.#waitLine('too big bulk count string');
          // Redis replaces CR and LF in error replies with spaces.
          const shown = first === CR || first === LF ? ' ' : String.fromCharCode(first);
          return protocolError(`expected '$', got '${shown}'`);
        }
        const len = parseLength(buf, this.#pos + 1, cr);
        if (len === undefined || len < 0 || len > this.maxBulkLen) {
          if (hasNul(buf, this.#pos, cr)) return this.#waitLine('too big bulk count string');
          return protocolError('invalid bulk length');
        }
        if (len > UNAUTH_BULK_MAX && this.unauthenticated) return protocolError('unauthenticated bulk length');
        this.#pos = cr + 2;
        this.#bulkLen = len;
      }
      const len = this.#bulkLen;
      if (buf.length - this.#pos < len + 2) {
        this.#need = len + 2;
        if (this.#pendingBytes > 0) {
          this.mergeIfUseful();
          if (this.#buf !== buf) continue;
        }
        return null;
      }
      // Like Redis, the two bytes after the body are skipped without checking them.
      this.#args[this.#argIndex] =
        this.#argIndex === 0
          ? this.commandName(buf, this.#pos, len)
          : len <= SHORT_MAX
            ? shortLatin1(buf, this.#pos, len)
            : (buf as Latin1Buffer).latin1Slice(this.#pos, this.#pos + len);
      this.#argIndex++;
      this.#pos += len + 2;
      this.#bulkLen = -1;
      this.#need = 0;
      if (--this.#argsLeft === 0) return true;
    }
  }

  /** `buf[pos, pos + len)` as a string: the last command name if the bytes are the same. */
  private commandName(buf: Buffer, pos: number, len: number): string {
    const last = this.#lastName;
    if (last.length === len) {
      let i = 0;
      while (i < len && last.charCodeAt(i) === buf[pos + i]) i++;
      if (i === len) return last;
    }
    const name = (buf as Latin1Buffer).latin1Slice(pos, pos + len);
    // Only short names are kept: a long first argument is no command name worth comparing against.
    if (len <= 32) this.#lastName = name;
    return name;
  }

  /**
   * A header line whose terminator Redis cannot see (a NUL comes first, and
   * Redis searches with strchr): wait for more input, as Redis does, and fail
   * with `tooBig` once more than INLINE_MAX_SIZE bytes are buffered.
   */
  #waitLine(tooBig: string): null | ProtocolError {
    if (this.bufferedBytes > INLINE_MAX_SIZE) return protocolError(tooBig);
    this.#need = 0;
    return null;
  }

  /** Reads one inline command; `undefined` for an empty line. */
  #readInline(): string[] | null | ProtocolError | undefined {
    const buf = this.#buf;
    const lf = buf.indexOf(LF, this.#pos);
    // Redis finds the LF with strchr, which stops at a NUL: it keeps waiting.
    if (lf === -1 || hasNul(buf, this.#pos, lf)) {
      if (lf !== -1) return this.#waitLine('too big inline request');
      if (buf.length - this.#pos > INLINE_MAX_SIZE) return protocolError('too big inline request');
      this.#need = 0;
      return null;
    }
    const end = lf > this.#pos && buf[lf - 1] === CR ? lf - 1 : lf;
    const line = (buf as Latin1Buffer).latin1Slice(this.#pos, end);
    this.#pos = lf + 1;
    const args = splitArgs(line);
    if (args === null) return protocolError('unbalanced quotes in request');
    return args.length === 0 ? undefined : args;
  }
}

const fromCharCode = String.fromCharCode;

/** Arguments up to this length are made by `shortLatin1`. */
const SHORT_MAX = 24;

/**
 * `b[p, p + n)` as a latin1 string, for n <= SHORT_MAX. Short arguments
 * (values, fields, counts, most keys) are built from their bytes in JS:
 * fromCharCode with one argument per byte makes a one-byte string, as
 * latin1Slice does, but without the native call, which costs about 50 ns
 * whatever the length. Loops of 5M conversions (Node 20): 12-22 ns up to
 * 12 bytes; a 22-byte key 12-40 ns less than latin1Slice, the gap widening
 * when the host is busy. The caller tests the length, so longer arguments
 * go straight to latin1Slice as before.
 */
function shortLatin1(b: Buffer, p: number, n: number): string {
  switch (n) {
    case 0:
      return '';
    case 1:
      return fromCharCode(b[p]!);
    case 2:
      return fromCharCode(b[p]!, b[p + 1]!);
    case 3:
      return fromCharCode(b[p]!, b[p + 1]!, b[p + 2]!);
    case 4:
      return fromCharCode(b[p]!, b[p + 1]!, b[p + 2]!, b[p + 3]!);
    case 5:
      return fromCharCode(b[p]!, b[p + 1]!, b[p + 2]!, b[p + 3]!, b[p + 4]!);
    case 6:
      return fromCharCode(b[p]!, b[p + 1]!, b[p + 2]!, b[p + 3]!, b[p + 4]!, b[p + 5]!);
    case 7:
      return fromCharCode(b[p]!, b[p + 1]!, b[p + 2]!, b[p + 3]!, b[p + 4]!, b[p + 5]!, b[p + 6]!);
    case 8:
      return fromCharCode(b[p]!, b[p + 1]!, b[p + 2]!, b[p + 3]!, b[p + 4]!, b[p + 5]!, b[p + 6]!, b[p + 7]!);
    case 9:
      return fromCharCode(b[p]!, b[p + 1]!, b[p + 2]!, b[p + 3]!, b[p + 4]!, b[p + 5]!, b[p + 6]!, b[p + 7]!, b[p + 8]!);
    case 10:
      return fromCharCode(b[p]!, b[p + 1]!, b[p + 2]!, b[p + 3]!, b[p + 4]!, b[p + 5]!, b[p + 6]!, b[p + 7]!, b[p + 8]!, b[p + 9]!);
    case 11:
      return fromCharCode(b[p]!, b[p + 1]!, b[p + 2]!, b[p + 3]!, b[p + 4]!, b[p + 5]!, b[p + 6]!, b[p + 7]!, b[p + 8]!, b[p + 9]!, b[p + 10]!);
    case 12:
      return fromCharCode(b[p]!, b[p + 1]!, b[p + 2]!, b[p + 3]!, b[p + 4]!, b[p + 5]!, b[p + 6]!, b[p + 7]!, b[p + 8]!, b[p + 9]!, b[p + 10]!, b[p + 11]!);
    case 13:
      return fromCharCode(b[p]!, b[p + 1]!, b[p + 2]!, b[p + 3]!, b[p + 4]!, b[p + 5]!, b[p + 6]!, b[p + 7]!, b[p + 8]!, b[p + 9]!, b[p + 10]!, b[p + 11]!, b[p + 12]!);
    case 14:
      return fromCharCode(b[p]!, b[p + 1]!, b[p + 2]!, b[p + 3]!, b[p + 4]!, b[p + 5]!, b[p + 6]!, b[p + 7]!, b[p + 8]!, b[p + 9]!, b[p + 10]!, b[p + 11]!, b[p + 12]!, b[p + 13]!);
    case 15:
      return fromCharCode(b[p]!, b[p + 1]!, b[p + 2]!, b[p + 3]!, b[p + 4]!, b[p + 5]!, b[p + 6]!, b[p + 7]!, b[p + 8]!, b[p + 9]!, b[p + 10]!, b[p + 11]!, b[p + 12]!, b[p + 13]!, b[p + 14]!);
    case 16:
      return fromCharCode(b[p]!, b[p + 1]!, b[p + 2]!, b[p + 3]!, b[p + 4]!, b[p + 5]!, b[p + 6]!, b[p + 7]!, b[p + 8]!, b[p + 9]!, b[p + 10]!, b[p + 11]!, b[p + 12]!, b[p + 13]!, b[p + 14]!, b[p + 15]!);
    case 17:
      return fromCharCode(b[p]!, b[p + 1]!, b[p + 2]!, b[p + 3]!, b[p + 4]!, b[p + 5]!, b[p + 6]!, b[p + 7]!, b[p + 8]!, b[p + 9]!, b[p + 10]!, b[p + 11]!, b[p + 12]!, b[p + 13]!, b[p + 14]!, b[p + 15]!, b[p + 16]!);
    case 18:
      return fromCharCode(b[p]!, b[p + 1]!, b[p + 2]!, b[p + 3]!, b[p + 4]!, b[p + 5]!, b[p + 6]!, b[p + 7]!, b[p + 8]!, b[p + 9]!, b[p + 10]!, b[p + 11]!, b[p + 12]!, b[p + 13]!, b[p + 14]!, b[p + 15]!, b[p + 16]!, b[p + 17]!);
    case 19:
      return fromCharCode(b[p]!, b[p + 1]!, b[p + 2]!, b[p + 3]!, b[p + 4]!, b[p + 5]!, b[p + 6]!, b[p + 7]!, b[p + 8]!, b[p + 9]!, b[p + 10]!, b[p + 11]!, b[p + 12]!, b[p + 13]!, b[p + 14]!, b[p + 15]!, b[p + 16]!, b[p + 17]!, b[p + 18]!);
    case 20:
      return fromCharCode(b[p]!, b[p + 1]!, b[p + 2]!, b[p + 3]!, b[p + 4]!, b[p + 5]!, b[p + 6]!, b[p + 7]!, b[p + 8]!, b[p + 9]!, b[p + 10]!, b[p + 11]!, b[p + 12]!, b[p + 13]!, b[p + 14]!, b[p + 15]!, b[p + 16]!, b[p + 17]!, b[p + 18]!, b[p + 19]!);
    case 21:
      return fromCharCode(b[p]!, b[p + 1]!, b[p + 2]!, b[p + 3]!, b[p + 4]!, b[p + 5]!, b[p + 6]!, b[p + 7]!, b[p + 8]!, b[p + 9]!, b[p + 10]!, b[p + 11]!, b[p + 12]!, b[p + 13]!, b[p + 14]!, b[p + 15]!, b[p + 16]!, b[p + 17]!, b[p + 18]!, b[p + 19]!, b[p + 20]!);
    case 22:
      return fromCharCode(b[p]!, b[p + 1]!, b[p + 2]!, b[p + 3]!, b[p + 4]!, b[p + 5]!, b[p + 6]!, b[p + 7]!, b[p + 8]!, b[p + 9]!, b[p + 10]!, b[p + 11]!, b[p + 12]!, b[p + 13]!, b[p + 14]!, b[p + 15]!, b[p + 16]!, b[p + 17]!, b[p + 18]!, b[p + 19]!, b[p + 20]!, b[p + 21]!);
    case 23:
      return fromCharCode(b[p]!, b[p + 1]!, b[p + 2]!, b[p + 3]!, b[p + 4]!, b[p + 5]!, b[p + 6]!, b[p + 7]!, b[p + 8]!, b[p + 9]!, b[p + 10]!, b[p + 11]!, b[p + 12]!, b[p + 13]!, b[p + 14]!, b[p + 15]!, b[p + 16]!, b[p + 17]!, b[p + 18]!, b[p + 19]!, b[p + 20]!, b[p + 21]!, b[p + 22]!);
    case 24:
      return fromCharCode(b[p]!, b[p + 1]!, b[p + 2]!, b[p + 3]!, b[p + 4]!, b[p + 5]!, b[p + 6]!, b[p + 7]!, b[p + 8]!, b[p + 9]!, b[p + 10]!, b[p + 11]!, b[p + 12]!, b[p + 13]!, b[p + 14]!, b[p + 15]!, b[p + 16]!, b[p + 17]!, b[p + 18]!, b[p + 19]!, b[p + 20]!, b[p + 21]!, b[p + 22]!, b[p + 23]!);
    default:
      return (b as Latin1Buffer).latin1Slice(p, p + n);
  }
}

/** True if `buf[start..end)` holds a NUL byte. Scans only that range (header lines are short). */
function hasNul(buf: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (buf[i] === 0) return true;
  return false;
}

/** Where the CR of the header read by the last successful `headerCount` is. */
let headerEnd = 0;

/**
 * Fast path for the usual `*` or `$` header at `start`: the prefix byte, 1-9
 * digits without a leading zero (or a lone 0), CR and one more byte, read in
 * one pass without a native indexOf call. Returns the count and sets
 * `headerEnd` to the CR, or returns -1 for anything else (longer numbers,
 * signs, errors, an incomplete line), which the general path then handles.
 */
function headerCount(buf: Buffer, start: number): number {
  const end = buf.length;
  let p = start + 1;
  if (p + 2 >= end) return -1;
  let d = buf[p]! - 0x30;
  if (d < 0 || d > 9) return -1;
  const n0 = d;
  let n = d;
  const limit = p + 9;
  for (p++; p < end && p < limit; p++) {
    d = buf[p]! - 0x30;
    if (d < 0 || d > 9) break;
    n = n * 10 + d;
  }
  // A leading zero is only valid as the lone digit.
  if (n0 === 0 && p !== start + 2) return -1;
  if (p + 1 >= end || buf[p] !== CR) return -1;
  headerEnd = p;
  return n;
}

function protocolError(detail: string): ProtocolError {
  return new ProtocolError(`ERR Protocol error: ${detail}`);
}

/**
 * Parses a decimal length from `buf[start..end)` as Redis's string2ll does:
 * optional '-', no '+', no leading zeros, no spaces. Returns undefined if invalid.
 */
function parseLength(buf: Buffer, start: number, end: number): number | undefined {
  if (start >= end || end - start > 20) return undefined;
  let i = start;
  let neg = false;
  if (buf[i] === 0x2d) {
    neg = true;
    if (++i === end) return undefined;
  }
  if (buf[i] === 0x30) return end - i === 1 && !neg ? 0 : undefined;
  let n = 0;
  for (; i < end; i++) {
    const d = buf[i]! - 0x30;
    if (d < 0 || d > 9) return undefined;
    n = n * 10 + d;
  }
  if (n > Number.MAX_SAFE_INTEGER) return neg ? -Number.MAX_SAFE_INTEGER : Number.MAX_SAFE_INTEGER;
  return neg ? -n : n;
}

function isSpace(ch: number): boolean {
  return ch === 0x20 || (ch >= 0x09 && ch <= 0x0d);
}

function hexValue(ch: number): number {
  if (ch >= 0x30 && ch <= 0x39) return ch - 0x30;
  if (ch >= 0x61 && ch <= 0x66) return ch - 0x61 + 10;
  if (ch >= 0x41 && ch <= 0x46) return ch - 0x41 + 10;
  return -1;
}

/**
 * Splits an inline command line into arguments with Redis's sdssplitargs
 * rules: whitespace separates; "double quotes" understand \n \r \t \b \a \\ \"
 * and \xHH; 'single quotes' understand \'; a closing quote must be followed by
 * whitespace or the end. Returns null for unbalanced quotes.
 */
export function splitArgs(line: string): string[] | null {
  const out: string[] = [];
  // Redis parses the line as a C string: a NUL byte ends it.
  const nul = line.indexOf('\0');
  const n = nul === -1 ? line.length : nul;
  let i = 0;
  for (;;) {
    while (i < n && isSpace(line.charCodeAt(i))) i++;
    if (i >= n) return out;
    let inDq = false;
    let inSq = false;
    let cur = '';
    for (;;) {
      if (inDq) {
        if (i >= n) return null;
        const ch = line.charCodeAt(i);
        if (ch === 0x5c && i + 3 < n && line.charCodeAt(i + 1) === 0x78) {
          const hi = hexValue(line.charCodeAt(i + 2));
          const lo = hexValue(line.charCodeAt(i + 3));
          if (hi >= 0 && lo >= 0) {
            cur += String.fromCharCode(hi * 16 + lo);
            i += 4;
            continue;
          }
        }
        if (ch === 0x5c && i + 1 < n) {
          const e = line[i + 1]!;
          cur += e === 'n' ? '\n' : e === 'r' ? '\r' : e === 't' ? '\t' : e === 'b' ? '\b' : e === 'a' ? '\x07' : e;
          i += 2;
          continue;
        }
        if (ch === 0x22) {
          if (i + 1 < n && !isSpace(line.charCodeAt(i + 1))) return null;
          i++;
          break;
        }
        cur += line[i];
        i++;
      } else if (inSq) {
        if (i >= n) return null;
        const ch = line.charCodeAt(i);
        if (ch === 0x5c && i + 1 < n && line.charCodeAt(i + 1) === 0x27) {
          cur += "'";
          i += 2;
          continue;
        }
        if (ch === 0x27) {
          if (i + 1 < n && !isSpace(line.charCodeAt(i + 1))) return null;
          i++;
          break;
        }
        cur += line[i];
        i++;
      } else {
        if (i >= n) break;
        const ch = line.charCodeAt(i);
        if (ch === 0x20 || ch === 0x0a || ch === 0x0d || ch === 0x09) break;
        if (ch === 0x22) inDq = true;
        else if (ch === 0x27) inSq = true;
        else cur += line[i];
        i++;
      }
    }
    out.push(cur);
  }
}
