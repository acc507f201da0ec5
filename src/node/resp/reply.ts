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
  constructor(readonly value: string) {}
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
 * Encodes `reply` for protocol `proto` and returns the bytes as a latin1 string.
 * Recursion depth is the nesting of the reply, which handlers keep small.
 */
export function encodeReply(reply: Reply, proto: Protocol): string {
  if (typeof reply === 'string') return '$' + reply.length + '\r\n' + reply + '\r\n';
  if (typeof reply === 'number' || typeof reply === 'bigint') return ':' + reply + '\r\n';
  if (reply === null) return proto === 3 ? '_\r\n' : '$-1\r\n';
  if (Array.isArray(reply)) {
    let out = '*' + reply.length + '\r\n';
    for (let i = 0; i < reply.length; i++) out += encodeReply(reply[i]!, proto);
    return out;
  }
  if (reply instanceof SimpleString) return '+' + reply.value + '\r\n';
  if (reply instanceof ErrorReply) return '-' + reply.message + '\r\n';
  if (reply instanceof DoubleReply) {
    return proto === 3 ? ',' + reply.text + '\r\n' : '$' + reply.text.length + '\r\n' + reply.text + '\r\n';
  }
  if (reply instanceof MapReply) {
    let out = (proto === 3 ? '%' + reply.flat.length / 2 : '*' + reply.flat.length) + '\r\n';
    for (let i = 0; i < reply.flat.length; i++) out += encodeReply(reply.flat[i]!, proto);
    return out;
  }
  if (reply instanceof SetReply) {
    let out = (proto === 3 ? '~' : '*') + reply.items.length + '\r\n';
    for (let i = 0; i < reply.items.length; i++) out += encodeReply(reply.items[i]!, proto);
    return out;
  }
  if (reply instanceof VerbatimReply) {
    if (proto === 2) return '$' + reply.text.length + '\r\n' + reply.text + '\r\n';
    return '=' + (reply.text.length + 4) + '\r\n' + reply.format + ':' + reply.text + '\r\n';
  }
  if (reply instanceof PushReply) {
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

/** Encodes an error message (without the leading `-`) as an error reply. */
export function encodeError(message: string): string {
  return '-' + message + '\r\n';
}
