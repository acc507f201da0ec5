/**
 * Errors of the cluster client. Every class has a stable `name` and `code`
 * (undici style) and, where there is one, the root cause in `cause`.
 *
 * Server error replies are parsed exactly once, here, into typed errors
 * (`parseReplyError`): routing code tests `instanceof MovedError`, never the
 * message text. A redirection whose slot is not an integer in 0..16383 or
 * whose address has no valid port is a `ProtocolError`, so a crafted token
 * such as `__proto__` can never index the slot table.
 */
import { SLOT_COUNT } from '../router/slot.js';

/** Base class of every error the client raises or returns. */
export class ClusterClientError extends Error {
  override name = 'ClusterClientError';
  readonly code: string = 'ERR_CLUSTER_CLIENT';
}

/** An error reply from a server (`-ERR ...`, `-WRONGTYPE ...`). `prefix` is its first word. */
export class ReplyError extends ClusterClientError {
  override name = 'ReplyError';
  override readonly code: string = 'ERR_REPLY';
  /** First word of the error reply, e.g. `WRONGTYPE`. */
  readonly prefix: string;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    const sp = message.indexOf(' ');
    this.prefix = sp === -1 ? message : message.slice(0, sp);
  }
}

/** Address of a node as `host` and `port`. */
export interface Endpoint {
  readonly host: string;
  readonly port: number;
}

/** `-MOVED <slot> <host>:<port>`: the slot is owned by another node for good. */
export class MovedError extends ReplyError {
  override name = 'MovedError';
  override readonly code = 'ERR_MOVED';
  constructor(message: string, readonly slot: number, readonly target: Endpoint) {
    super(message);
  }
}

/** `-ASK <slot> <host>:<port>`: ask the target once, with ASKING, during a migration. */
export class AskError extends ReplyError {
  override name = 'AskError';
  override readonly code = 'ERR_ASK';
  constructor(message: string, readonly slot: number, readonly target: Endpoint) {
    super(message);
  }
}

/** `-TRYAGAIN ...`: a multi-key command during a migration; retry later. */
export class TryAgainError extends ReplyError {
  override name = 'TryAgainError';
  override readonly code = 'ERR_TRYAGAIN';
}

/** `-CLUSTERDOWN ...`: slot not served or cluster state fail; retry later after a refresh. */
export class ClusterDownError extends ReplyError {
  override name = 'ClusterDownError';
  override readonly code = 'ERR_CLUSTERDOWN';
}

/** `-CROSSSLOT ...`, or raised locally before sending when keys span slots. */
export class CrossSlotError extends ReplyError {
  override name = 'CrossSlotError';
  override readonly code = 'ERR_CROSSSLOT';
}

/** The server sent bytes that are not valid RESP, or a malformed redirection. */
export class ProtocolError extends ClusterClientError {
  override name = 'ProtocolError';
  override readonly code = 'ERR_PROTOCOL';
}

/** The connection to a node failed or closed with the command in flight. `cause` is the socket error. */
export class ConnectionError extends ClusterClientError {
  override name = 'ConnectionError';
  override readonly code = 'ERR_CONNECTION';
  constructor(message: string, readonly endpoint: Endpoint, options?: ErrorOptions) {
    super(message, options);
  }
}

/** No reply within `commandTimeout` ms. The connection stays open; the late reply is discarded. */
export class CommandTimeoutError extends ClusterClientError {
  override name = 'CommandTimeoutError';
  override readonly code = 'ERR_COMMAND_TIMEOUT';
}

/** The client was closed before the command completed. */
export class ClientClosedError extends ClusterClientError {
  override name = 'ClientClosedError';
  override readonly code = 'ERR_CLIENT_CLOSED';
}

/** No node (seed or known) answered `CLUSTER SLOTS`. `cause` is an AggregateError of each node's error. */
export class TopologyError extends ClusterClientError {
  override name = 'TopologyError';
  override readonly code = 'ERR_TOPOLOGY';
}

/** One step of a command's journey through the cluster. */
export interface Hop {
  /** Why the command left the node: the redirection or failure seen there. */
  readonly kind: 'moved' | 'ask' | 'tryagain' | 'clusterdown' | 'connection' | 'unrouted';
  /** `host:port` the command was sent to, or '' if it could not be routed. */
  readonly node: string;
  readonly slot: number;
}

/** A command was redirected more than `maxRedirections` times. `hops` lists every one; `cause` is the last error. */
export class MaxRedirectionsError extends ClusterClientError {
  override name = 'MaxRedirectionsError';
  override readonly code = 'ERR_MAX_REDIRECTIONS';
  constructor(command: string, readonly hops: readonly Hop[], options?: ErrorOptions) {
    super(
      `Cannot run ${command} as it was redirected too many times: ${hops.length} hops: ` +
        hops.map((h) => `${h.kind} ${h.slot}@${h.node || '?'}`).join(', '),
      options,
    );
  }
}

/**
 * Parses `host:port` (host = everything before the last ':', as Redis clients
 * do, so IPv6 works). Returns undefined unless port is an integer in 1..65535.
 */
export function parseEndpoint(text: string): Endpoint | undefined {
  const colon = text.lastIndexOf(':');
  if (colon === -1) return undefined;
  const portText = text.slice(colon + 1);
  if (!/^[0-9]{1,5}$/.test(portText)) return undefined;
  const port = Number(portText);
  if (port < 1 || port > 65535) return undefined;
  return { host: text.slice(0, colon), port };
}

/** Parses a slot number; undefined unless it is a canonical integer in 0..16383. */
export function parseSlot(text: string | undefined): number | undefined {
  if (text === undefined || !/^[0-9]{1,5}$/.test(text)) return undefined;
  const slot = Number(text);
  return slot < SLOT_COUNT ? slot : undefined;
}

/**
 * Turns the text of an error reply into a typed error: MovedError, AskError,
 * TryAgainError, ClusterDownError, CrossSlotError, or a plain ReplyError.
 * A MOVED/ASK with a bad slot or address yields a ProtocolError (returned,
 * not thrown): the command fails with it instead of being misrouted.
 */
export function parseReplyError(text: string): ClusterClientError {
  switch (text.charCodeAt(0)) {
    case 77: // M
      if (text.startsWith('MOVED ')) return redirection(text, true);
      break;
    case 65: // A
      if (text.startsWith('ASK ')) return redirection(text, false);
      break;
    case 84: // T
      if (text.startsWith('TRYAGAIN')) return new TryAgainError(text);
      break;
    case 67: // C
      if (text.startsWith('CLUSTERDOWN')) return new ClusterDownError(text);
      if (text.startsWith('CROSSSLOT')) return new CrossSlotError(text);
      break;
  }
  return new ReplyError(text);
}

function redirection(text: string, moved: boolean): ClusterClientError {
  const parts = text.split(' ');
  const slot = parseSlot(parts[1]);
  const target = parts.length === 3 ? parseEndpoint(parts[2]!) : undefined;
  if (slot === undefined || target === undefined) {
    return new ProtocolError(`Cannot follow a redirection as it is malformed: current value is ${JSON.stringify(text)}`);
  }
  return moved ? new MovedError(text, slot, target) : new AskError(text, slot, target);
}
