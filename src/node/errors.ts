/**
 * Errors that travel on the wire. Each class's message is byte-for-byte the
 * text Redis 7 sends after the leading `-` (the first word is the error code).
 * Handlers throw these; only the RESP layer turns them into bytes.
 *
 * Frequently thrown errors are shared instances (see the constants at the end),
 * so the hot path does not build a stack trace per error.
 */

/** Base of every error that is sent to a client as a RESP error reply. */
export class RespError extends Error {
  /** The error code: the first word of the message (`ERR`, `WRONGTYPE`, ...). */
  get code(): string {
    const sp = this.message.indexOf(' ');
    return sp < 0 ? this.message : this.message.slice(0, sp);
  }
}

export class WrongTypeError extends RespError {
  constructor() {
    super('WRONGTYPE Operation against a key holding the wrong kind of value');
  }
}

export class SyntaxError extends RespError {
  constructor() {
    super('ERR syntax error');
  }
}

export class NotIntegerError extends RespError {
  constructor() {
    super('ERR value is not an integer or out of range');
  }
}

export class NotFloatError extends RespError {
  constructor() {
    super('ERR value is not a valid float');
  }
}

export class NoSuchKeyError extends RespError {
  constructor() {
    super('ERR no such key');
  }
}

export class UnknownCommandError extends RespError {
  /**
   * `args` are the arguments after the name; Redis quotes them as `'a' 'b' `
   * until 128 bytes are shown, truncating the last one to fit.
   */
  constructor(name: string, args: readonly string[]) {
    let shown = '';
    for (const a of args) {
      if (shown.length >= 128) break;
      shown += `'${a.slice(0, 128 - shown.length)}' `;
    }
    super(`ERR unknown command '${truncate(name)}', with args beginning with: ${shown}`);
  }
}

export class UnknownSubcommandError extends RespError {
  constructor(container: string, sub: string) {
    super(`ERR unknown subcommand '${truncate(sub)}'. Try ${container.toUpperCase()} HELP.`);
  }
}

/**
 * A known subcommand given arguments it does not take (Redis's
 * addReplySubcommandSyntaxError): `sub` as the client typed it, the
 * container upper-cased.
 */
export class SubcommandSyntaxError extends RespError {
  constructor(container: string, sub: string) {
    super(`ERR unknown subcommand or wrong number of arguments for '${truncate(sub)}'. Try ${container.toUpperCase()} HELP.`);
  }
}

export class WrongArityError extends RespError {
  /** `fullName` is the spec name, e.g. `get` or `config|get`. */
  constructor(fullName: string) {
    super(`ERR wrong number of arguments for '${fullName}' command`);
  }
}

export class NoAuthError extends RespError {
  constructor() {
    super('NOAUTH Authentication required.');
  }
}

export class WrongPassError extends RespError {
  constructor() {
    super('WRONGPASS invalid username-password pair or user is disabled.');
  }
}

export class OutOfRangeError extends RespError {
  constructor(what = 'index') {
    super(`ERR ${what} out of range`);
  }
}

export class ExecAbortError extends RespError {
  constructor() {
    super('EXECABORT Transaction discarded because of previous errors.');
  }
}

/** `-MOVED <slot> <host>:<port>`: the slot is served by another node. */
export class MovedError extends RespError {
  constructor(
    readonly slot: number,
    readonly host: string,
    readonly port: number,
  ) {
    super(`MOVED ${slot} ${host}:${port}`);
  }
}

/** `-ASK <slot> <host>:<port>`: ask the importing node for this one command. */
export class AskError extends RespError {
  constructor(
    readonly slot: number,
    readonly host: string,
    readonly port: number,
  ) {
    super(`ASK ${slot} ${host}:${port}`);
  }
}

export class CrossSlotError extends RespError {
  constructor() {
    super("CROSSSLOT Keys in request don't hash to the same slot");
  }
}

export class TryAgainError extends RespError {
  constructor() {
    super('TRYAGAIN Multiple keys request during rehashing of slot');
  }
}

export class ClusterDownError extends RespError {
  /** `unbound`: a key's slot has no owner; otherwise the cluster is down as a whole. */
  constructor(readonly reason: 'down' | 'unbound' | 'readonly-down') {
    super(
      reason === 'unbound'
        ? 'CLUSTERDOWN Hash slot not served'
        : reason === 'readonly-down'
          ? 'CLUSTERDOWN The cluster is down and only accepts read commands'
          : 'CLUSTERDOWN The cluster is down',
    );
  }
}

/** Redis truncates names in error messages to 128 bytes. */
function truncate(s: string): string {
  return s.length > 128 ? s.slice(0, 128) : s;
}

export const WRONGTYPE = new WrongTypeError();
export const SYNTAX = new SyntaxError();
export const NOT_INTEGER = new NotIntegerError();
export const NOT_FLOAT = new NotFloatError();
export const NO_SUCH_KEY = new NoSuchKeyError();
export const NOAUTH = new NoAuthError();
