/**
 * One pub/sub connection to one node (used by `pubsub.ts`).
 *
 * The link always speaks RESP3 (`HELLO 3` is its first command): there,
 * messages and (un)subscribe confirmations are typed push frames, so they
 * can never be mistaken for the reply of a command, and a subscribed
 * connection still accepts ordinary commands. A node that refuses HELLO 3
 * fails the link with a clear error rather than being misread in RESP2.
 *
 * Confirmations. Redis answers an (un)subscribe command with one push per
 * name it was given (`subscribe ch 1`, `sunsubscribe ch 0`, ...), in order,
 * and never with an ordinary reply; an error reply (`-MOVED`, `-NOPERM`)
 * replaces all of them. The link keeps a FIFO of what it sent: a
 * confirmation push of the oldest entry's kind whose name it still awaits
 * counts towards it, and an error reply or ordinary reply settles the oldest
 * entry. The only push a node sends unasked is `sunsubscribe`, when the
 * slot of a shard channel is taken from it: a `sunsubscribe` that the
 * oldest entry does not await is reported as `lost`.
 */
import type { Socket } from 'node:net';
import { authArgs, dialNode } from './connection.js';
import { INCOMPLETE, PushMessage, RespParser, WriteBuffer, type Arg } from './resp.js';
import { ConnectionError, ProtocolError, ReplyError, type Endpoint } from './errors.js';

/** The (un)subscribe commands a link sends. */
export type SubscribeCommand = 'SUBSCRIBE' | 'UNSUBSCRIBE' | 'PSUBSCRIBE' | 'PUNSUBSCRIBE' | 'SSUBSCRIBE' | 'SUNSUBSCRIBE';

/** Which kind of subscription a message belongs to. */
export type SubscriptionKind = 'channel' | 'pattern' | 'shard';

/** What a link reports to its owner. */
export interface LinkEvents {
  /** A message: `name` is the channel, or the pattern for `pattern` (then `channel` is the channel it matched). */
  message(kind: SubscriptionKind, name: Buffer, payload: Buffer, channel: Buffer): void;
  /** The node dropped a shard channel by itself (its slot moved away). */
  lost(link: SubscriberLink, channel: Buffer): void;
  /**
   * The link is gone (socket closed, protocol error, handshake refused, or
   * `destroy`). Called once. `refused` is set when the node answered the
   * handshake (AUTH, HELLO 3) with an error: trying again will not help.
   */
  close(link: SubscriberLink, error: ConnectionError, refused: boolean): void;
}

/** Connection settings of a link. */
export interface LinkOptions {
  readonly username?: string | undefined;
  readonly password?: string | undefined;
  /** ms to establish the TCP connection; 0 disables. */
  readonly connectTimeout: number;
  /** ms to wait before dialing (reconnect backoff); 0 dials at once. */
  readonly dialDelay?: number;
  /** Creates the socket; defaults to `net.connect`. */
  readonly createSocket?: ((endpoint: Endpoint) => Socket) | undefined;
}

/** Called with null once every confirmation arrived, or with the error that replaced them. */
export type Done = (error: Error | null) => void;

/** A command waiting for its confirmations (or, for the handshake, its reply). */
interface Pending {
  /** The push kind that confirms it (lower case), or null for an ordinary reply. */
  readonly kind: string | null;
  /** Names (latin1) still to be confirmed, with how many times each was sent. */
  readonly awaiting: Map<string, number>;
  left: number;
  readonly done: Done;
}

function latin1(b: unknown): string {
  return Buffer.isBuffer(b) ? b.toString('latin1') : String(b);
}

/** See the module comment. */
export class SubscriberLink {
  readonly endpoint: Endpoint;
  /** `host:port`. */
  readonly key: string;
  #events: LinkEvents;
  #socket: Socket | null = null;
  #parser = new RespParser();
  #out = new WriteBuffer();
  #flushScheduled = false;
  #pending: Pending[] = [];
  #closed = false;
  #refused = false;
  #dialTimer: NodeJS.Timeout | null = null;
  #gone: Promise<void>;
  #resolveGone!: () => void;

  constructor(endpoint: Endpoint, key: string, options: LinkOptions, events: LinkEvents) {
    this.endpoint = endpoint;
    this.key = key;
    this.#events = events;
    this.#gone = new Promise((resolve) => (this.#resolveGone = resolve));
    if (options.password !== undefined) {
      this.#queue(authArgs(options.username, options.password), null, [], (err) => {
        if (err === null) return;
        this.#refused = err instanceof ReplyError;
        this.#fail(new ConnectionError(`Cannot authenticate to ${key}`, endpoint, { cause: err }));
      });
    }
    this.#queue(['HELLO', '3'], null, [], (err) => {
      if (err === null) return;
      this.#refused = err instanceof ReplyError;
      this.#fail(new ConnectionError(`Cannot subscribe on ${key} as it refused HELLO 3 (pub/sub needs RESP3): ${err.message}`, endpoint, { cause: err }));
    });
    const dial = (): void => {
      this.#dialTimer = null;
      if (!this.#closed) this.#dial(options);
    };
    if ((options.dialDelay ?? 0) > 0) this.#dialTimer = setTimeout(dial, options.dialDelay);
    else dial();
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Commands sent and not yet confirmed. */
  get pending(): number {
    return this.#pending.length;
  }

  /**
   * Sends `command` for `names` (at least one). `done` runs once: with null
   * when every name is confirmed, else with the error reply or the
   * ConnectionError that closed the link.
   */
  send(command: SubscribeCommand, names: readonly Buffer[], done: Done): void {
    if (this.#closed) {
      done(new ConnectionError(`Cannot send ${command} to ${this.key} as the link is closed`, this.endpoint));
      return;
    }
    // Each name is confirmed by a push named after the command in lower case.
    this.#queue([command, ...names], command.toLowerCase(), names, done);
  }

  #queue(args: readonly Arg[], kind: string | null, names: readonly Buffer[], done: Done): void {
    const awaiting = new Map<string, number>();
    for (const n of names) {
      const k = n.toString('latin1');
      awaiting.set(k, (awaiting.get(k) ?? 0) + 1);
    }
    this.#pending.push({ kind, awaiting, left: kind === null ? 1 : names.length, done });
    this.#out.append(args);
    if (!this.#flushScheduled && this.#socket !== null) {
      this.#flushScheduled = true;
      process.nextTick(() => this.#flush());
    }
  }

  #flush(): void {
    this.#flushScheduled = false;
    if (this.#closed || this.#socket === null || this.#out.empty) return;
    this.#socket.write(this.#out.take());
  }

  #dial(options: LinkOptions): void {
    this.#socket = dialNode(this.endpoint, options, {
      data: (chunk) => this.#onData(chunk),
      error: (err) => this.#fail(new ConnectionError(`Cannot subscribe on ${this.key} as the connection failed: ${err.message}`, this.endpoint, { cause: err })),
      close: () => {
        this.#fail(new ConnectionError(`Cannot subscribe on ${this.key} as the connection closed`, this.endpoint));
        this.#resolveGone();
      },
    });
    this.#flush();
  }

  #onData(chunk: Buffer): void {
    this.#parser.push(chunk);
    while (!this.#closed) {
      let frame: unknown;
      try {
        frame = this.#parser.next(true);
      } catch (err) {
        this.#fail(new ConnectionError(`Cannot subscribe on ${this.key} as it sent an invalid reply`, this.endpoint, { cause: err }));
        return;
      }
      if (frame === INCOMPLETE) return;
      if (frame instanceof PushMessage) this.#onPush(frame.items);
      else this.#onReply(frame);
    }
  }

  /** An ordinary reply or error reply: it settles the oldest command, whatever it awaits. */
  #onReply(reply: unknown): void {
    const head = this.#pending.shift();
    if (head === undefined) {
      this.#fail(new ConnectionError(`Cannot subscribe on ${this.key} as it sent a reply nobody asked for`, this.endpoint, { cause: new ProtocolError('Unexpected reply') }));
      return;
    }
    if (reply instanceof Error) head.done(reply);
    else if (head.kind === null) head.done(null);
    else head.done(new ReplyError(`ERR unexpected reply to an (un)subscribe command: ${String(reply)}`));
  }

  #onPush(items: readonly unknown[]): void {
    const kind = latin1(items[0]).toLowerCase();
    switch (kind) {
      case 'message':
        this.#events.message('channel', items[1] as Buffer, items[2] as Buffer, items[1] as Buffer);
        return;
      case 'smessage':
        this.#events.message('shard', items[1] as Buffer, items[2] as Buffer, items[1] as Buffer);
        return;
      case 'pmessage':
        this.#events.message('pattern', items[1] as Buffer, items[3] as Buffer, items[2] as Buffer);
        return;
      case 'subscribe':
      case 'unsubscribe':
      case 'psubscribe':
      case 'punsubscribe':
      case 'ssubscribe':
      case 'sunsubscribe': {
        const name = items[1];
        const head = this.#pending[0];
        const k = name === null || name === undefined ? '' : latin1(name);
        const count = head !== undefined && head.kind === kind ? head.awaiting.get(k) : undefined;
        if (head !== undefined && count !== undefined) {
          if (count === 1) head.awaiting.delete(k);
          else head.awaiting.set(k, count - 1);
          if (--head.left === 0) {
            this.#pending.shift();
            head.done(null);
          }
        } else if (kind === 'sunsubscribe' && Buffer.isBuffer(name)) {
          this.#events.lost(this, name);
        }
        return;
      }
      default:
        // Other pushes (client-side caching invalidations...) are not ours.
        return;
    }
  }

  #fail(err: ConnectionError): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#dialTimer !== null) clearTimeout(this.#dialTimer);
    this.#dialTimer = null;
    this.#parser.reset();
    this.#out.take();
    if (this.#socket === null) this.#resolveGone();
    else this.#socket.destroy();
    const pending = this.#pending;
    this.#pending = [];
    for (const p of pending) p.done(err);
    this.#events.close(this, err, this.#refused);
  }

  /** Closes the link; pending commands fail with a ConnectionError. Resolves when the socket is gone. */
  destroy(): Promise<void> {
    this.#fail(new ConnectionError(`Cannot subscribe on ${this.key} as the link was closed by the client`, this.endpoint));
    return this.#gone;
  }
}
