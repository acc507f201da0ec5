/**
 * Reply values returned by command handlers, and their encoding to RESP2 or
 * RESP3 bytes. Handlers build values; they never see the protocol version
 * unless the reply's shape itself differs (Redis does the same: addReplyMap
 * becomes a flat array in RESP2, a double becomes a bulk string).
 *
 * Strings are latin1 JS strings (one char per byte), so `s.length` is the
 * byte length and the encoded reply is written to the socket as latin1.
 *
 * Mapping of JS values:
 * - `string`          bulk string
 * - `number`/`bigint` integer (a number must be an integer)
 * - `null`            null bulk string (`$-1` / `_`)
 * - `Reply[]`         array
 * - the classes below for everything else.
 */

export class SimpleString {
  /** `+<value>\r\n`, made once: +OK and the other constant replies then cost no allocation per command. */
  readonly encoded: string;
  constructor(readonly value: string) {
    this.encoded = '+' + value + '\r\n';
  }
}

/** A double: `,<repr>` in RESP3, a bulk string in RESP2. `text` is its exact formatting. */
export class DoubleReply {
  constructor(readonly text: string) {}
}

/** A map of flat `[k1, v1, k2, v2, ...]`: `%` in RESP3, a flat array in RESP2. */
export class MapReply {
  constructor(readonly flat: Reply[]) {}
}

/** A set: `~` in RESP3, an array in RESP2. */
export class SetReply {
  constructor(readonly items: Reply[]) {}
}

/** Verbatim text: `=<len>\r\ntxt:...` in RESP3, a bulk string in RESP2. */
export class VerbatimReply {
  constructor(
    readonly text: string,
    readonly format = 'txt',
  ) {}
}

/** An error sent as a reply value (inside EXEC results, for instance). */
export class ErrorReply {
  constructor(readonly message: string) {}
}

/** An out-of-band push (`>` in RESP3, an array in RESP2). */
export class PushReply {
  constructor(readonly items: Reply[]) {}
}

/** A boolean: `#t`/`#f` in RESP3, integer 1/0 in RESP2. */
export class BoolReply {
  constructor(readonly value: boolean) {}
}

/** Null array: `*-1` in RESP2, `_` in RESP3. */
export class NullArrayReply {
  private constructor() {}
  static readonly INSTANCE = new NullArrayReply();
}

export type Reply =
  | string
  | number
  | bigint
  | null
  | Reply[]
  | SimpleString
  | DoubleReply
  | MapReply
  | SetReply
  | VerbatimReply
  | ErrorReply
  | PushReply
  | BoolReply
  | NullArrayReply;

export type Protocol = 2 | 3;

export const OK = new SimpleString('OK');
export const PONG = new SimpleString('PONG');
export const QUEUED = new SimpleString('QUEUED');
export const NULL_ARRAY = NullArrayReply.INSTANCE;

/**
 * Aggregates with more elements than this are encoded by `encodeLarge`.
 *
 * Why. Appending to a string (`out += piece`) makes V8 build a rope of
 * cons-string nodes, not a copy. For a small reply that is cheapest; for an
 * HGETALL of a million fields it made about ten million short-lived nodes,
 * and the young-generation collector (1 MB, see ../node-flags.ts) spent
 * most of 3.9 s evacuating them while every client waited (Redis: 0.7 s).
 * `encodeLarge` collects the pieces and joins them (class Pieces): flat
 * strings, and no node per piece. Measured per element (encoding, then
 * flattening as the socket write does): appends 85-105 ns up to 1,000
 * elements, 135 at 3,000, 670-770 from 10,000; pieces 97-105 ns up to
 * 3,000, 200-270 beyond. Hence the switch between the two.
 */
export const LARGE_AGGREGATE = 2048;

/** `$<len>\r\n` for bulk lengths below 1024, made once: most bulk replies and elements are short. */
const BULK_HEADERS: string[] = [];
for (let i = 0; i < 1024; i++) BULK_HEADERS.push('$' + i + '\r\n');

/** `$<n>\r\n`, from the table when short: no string built per bulk reply. */
function bulkHeader(n: number): string {
  return n < 1024 ? BULK_HEADERS[n]! : '$' + n + '\r\n';
}

/**
 * Encodes `reply` for protocol `proto` and returns the bytes as a latin1 string.
 * Recursion depth is the nesting of the reply, which handlers keep small.
 */
export function encodeReply(reply: Reply, proto: Protocol): string {
  if (typeof reply === 'string') return bulkHeader(reply.length) + reply + '\r\n';
  if (typeof reply === 'number' || typeof reply === 'bigint') return ':' + reply + '\r\n';
  if (reply === null) return proto === 3 ? '_\r\n' : '$-1\r\n';
  if (Array.isArray(reply)) {
    if (reply.length > LARGE_AGGREGATE) return encodeLarge(reply, proto);
    let out = '*' + reply.length + '\r\n';
    for (let i = 0; i < reply.length; i++) out += encodeReply(reply[i]!, proto);
    return out;
  }
  if (reply instanceof SimpleString) return reply.encoded;
  if (reply instanceof ErrorReply) return encodeError(reply.message);
  if (reply instanceof DoubleReply) {
    return proto === 3 ? ',' + reply.text + '\r\n' : '$' + reply.text.length + '\r\n' + reply.text + '\r\n';
  }
  if (reply instanceof MapReply) {
    if (reply.flat.length > LARGE_AGGREGATE) return encodeLarge(reply, proto);
    let out = (proto === 3 ? '%' + reply.flat.length / 2 : '*' + reply.flat.length) + '\r\n';
    for (let i = 0; i < reply.flat.length; i++) out += encodeReply(reply.flat[i]!, proto);
    return out;
  }
  if (reply instanceof SetReply) {
    if (reply.items.length > LARGE_AGGREGATE) return encodeLarge(reply, proto);
    let out = (proto === 3 ? '~' : '*') + reply.items.length + '\r\n';
    for (let i = 0; i < reply.items.length; i++) out += encodeReply(reply.items[i]!, proto);
    return out;
  }
  if (reply instanceof VerbatimReply) {
    if (proto === 2) return '$' + reply.text.length + '\r\n' + reply.text + '\r\n';
    return '=' + (reply.text.length + 4) + '\r\n' + reply.format + ':' + reply.text + '\r\n';
  }
  if (reply instanceof PushReply) {
    if (reply.items.length > LARGE_AGGREGATE) return encodeLarge(reply, proto);
    let out = (proto === 3 ? '>' : '*') + reply.items.length + '\r\n';
    for (let i = 0; i < reply.items.length; i++) out += encodeReply(reply.items[i]!, proto);
    return out;
  }
  if (reply instanceof BoolReply) {
    if (proto === 3) return reply.value ? '#t\r\n' : '#f\r\n';
    return reply.value ? ':1\r\n' : ':0\r\n';
  }
  // NullArrayReply
  return proto === 3 ? '_\r\n' : '*-1\r\n';
}

/**
 * Collects the pieces of a big reply. Every `JOIN_EVERY` pieces are joined
 * into one string, and those strings once more at the end: no piece array
 * grows past a few thousand slots (a single array of six million pieces
 * cost more in its own growth copies than the join), and each byte is
 * copied twice.
 */
class Pieces {
  #parts: string[] = [];
  readonly #joined: string[] = [];

  push(piece: string): void {
    const parts = this.#parts;
    parts.push(piece);
    if (parts.length >= JOIN_EVERY) {
      this.#joined.push(parts.join(''));
      this.#parts = [];
    }
  }

  finish(): string {
    if (this.#parts.length !== 0) this.#joined.push(this.#parts.join(''));
    return this.#joined.join('');
  }
}

const JOIN_EVERY = 4096;

/** `encodeReply` for a big aggregate (see LARGE_AGGREGATE). */
function encodeLarge(reply: Reply, proto: Protocol): string {
  const out = new Pieces();
  encodeInto(out, reply, proto);
  return out.finish();
}

/** Appends the encoding of `reply` to `out`: the same bytes as encodeReply. */
function encodeInto(out: Pieces, reply: Reply, proto: Protocol): void {
  if (typeof reply === 'string') {
    out.push(bulkHeader(reply.length));
    out.push(reply);
    out.push('\r\n');
    return;
  }
  let items: Reply[];
  if (Array.isArray(reply)) {
    items = reply;
    out.push('*' + items.length + '\r\n');
  } else if (reply instanceof MapReply) {
    items = reply.flat;
    out.push((proto === 3 ? '%' + items.length / 2 : '*' + items.length) + '\r\n');
  } else if (reply instanceof SetReply) {
    items = reply.items;
    out.push((proto === 3 ? '~' : '*') + items.length + '\r\n');
  } else if (reply instanceof PushReply) {
    items = reply.items;
    out.push((proto === 3 ? '>' : '*') + items.length + '\r\n');
  } else {
    out.push(encodeReply(reply, proto));
    return;
  }
  for (let i = 0; i < items.length; i++) encodeInto(out, items[i]!, proto);
}

/**
 * Encodes an error message (without the leading `-`) as an error reply. An
 * error reply is one line, and many messages quote what the client sent (a
 * node id, an option, a command name), which may hold CR or LF: as Redis's
 * addReplyErrorFormat does, CRs and LFs at the end are dropped and the others
 * become spaces, so such a message cannot end the line early and shift every
 * later reply on the connection.
 */
export function encodeError(message: string): string {
  if (message.indexOf('\r') < 0 && message.indexOf('\n') < 0) return '-' + message + '\r\n';
  return '-' + message.replace(/[\r\n]+$/, '').replace(/[\r\n]/g, ' ') + '\r\n';
}
