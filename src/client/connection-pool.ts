/**
 * Connections by node: at most one per `host:port` (and role), created lazily
 * by an injected factory on the first command for that node.
 *
 * A closed connection is dropped from the pool at once; the next command for
 * that node makes a new one. Reconnection backoff: each consecutive failure of
 * a node (a connection that closed without ever delivering a reply) doubles
 * the delay before the next dial, from `reconnectBase` up to `reconnectMax`;
 * one reply resets it. By default we never reconnect proactively: nodes that
 * are gone for good are learnt from the next topology refresh.
 */
import { Connection, type ConnectionOptions, type NodeConnection } from './connection.js';
import type { Endpoint } from './errors.js';

/** Creates a connection; the default builds a `Connection` over `net.connect`. */
export type ConnectionFactory = (options: ConnectionOptions) => NodeConnection;

/** Pool settings. */
export interface PoolOptions {
  readonly factory?: ConnectionFactory | undefined;
  readonly protocol: 2 | 3;
  readonly username?: string | undefined;
  readonly password?: string | undefined;
  readonly connectTimeout: number;
  readonly commandTimeout: number;
  /** @default 50 */
  readonly reconnectBase: number;
  /** @default 2000 */
  readonly reconnectMax: number;
  readonly createSocket?: ConnectionOptions['createSocket'];
}

/** `host:port`, the key of a node everywhere in the client. */
export function nodeKey(e: Endpoint): string {
  return `${e.host}:${e.port}`;
}

function defaultFactory(options: ConnectionOptions): NodeConnection {
  return new Connection(options);
}

/** See the module comment. */
export class ConnectionPool {
  #opts: PoolOptions;
  #factory: ConnectionFactory;
  #conns = new Map<string, NodeConnection>();
  #failures = new Map<string, number>();
  /** Connections that closed and whose sockets may still be closing. */
  #closing = new Set<Promise<void>>();

  constructor(opts: PoolOptions) {
    this.#opts = opts;
    this.#factory = opts.factory ?? defaultFactory;
  }

  /** The connection to `endpoint` for `readOnly` use, created if needed. */
  get(endpoint: Endpoint, readOnly: boolean): NodeConnection {
    // Slot map nodes carry their key; avoid building a string per command.
    const base = (endpoint as { key?: string }).key ?? nodeKey(endpoint);
    const key = readOnly ? 'ro:' + base : base;
    const existing = this.#conns.get(key);
    if (existing !== undefined && !existing.closed) return existing;
    const failures = this.#failures.get(key) ?? 0;
    const dialDelay = failures === 0 ? 0 : Math.min(this.#opts.reconnectMax, this.#opts.reconnectBase * 2 ** (failures - 1));
    const conn = this.#factory({
      endpoint,
      readOnly,
      protocol: this.#opts.protocol,
      username: this.#opts.username,
      password: this.#opts.password,
      connectTimeout: this.#opts.connectTimeout,
      commandTimeout: this.#opts.commandTimeout,
      dialDelay,
      createSocket: this.#opts.createSocket,
    });
    let replied = false;
    const onReply = (): void => {
      replied = true;
      this.#failures.delete(key);
    };
    // Any reply (the handshake's included) proves the node reachable.
    conn.once('reply', onReply);
    conn.once('close', () => {
      conn.off('reply', onReply);
      if (!replied) this.#failures.set(key, failures + 1);
      if (this.#conns.get(key) === conn) this.#conns.delete(key);
    });
    this.#conns.set(key, conn);
    return conn;
  }

  /** Closes the connections to nodes whose key is not in `keep`. */
  retain(keep: ReadonlySet<string>): void {
    for (const [key, conn] of this.#conns) {
      const nk = key.startsWith('ro:') ? key.slice(3) : key;
      if (!keep.has(nk)) {
        this.#conns.delete(key);
        this.#failures.delete(key);
        this.#track(conn.destroy());
      }
    }
  }

  #track(p: Promise<void>): void {
    this.#closing.add(p);
    void p.then(() => this.#closing.delete(p));
  }

  /** Every open connection. */
  connections(): NodeConnection[] {
    return [...this.#conns.values()];
  }

  /** Waits for in-flight replies on every connection. */
  async drain(): Promise<void> {
    await Promise.all(this.connections().map((c) => c.drained()));
  }

  /** Closes every connection and resolves when all sockets are gone. */
  async closeAll(): Promise<void> {
    const all = this.connections();
    this.#conns.clear();
    this.#failures.clear();
    for (const c of all) this.#track(c.destroy());
    await Promise.all([...this.#closing]);
  }
}
