/**
 * ClusterClient: orchestration of the slot map, the connection pool, the
 * redirection policy and the delay queue. It routes each command by the slot
 * of its keys, carries out the step `redirect.ts` decides after an error, and
 * never lets a MOVED/ASK/TRYAGAIN/CLUSTERDOWN or a lost connection reach the
 * caller unless `maxRedirections` is exhausted.
 *
 * Life cycle: `connect()` loads the slot map from any reachable seed (a
 * command issued before calls it implicitly and waits). Connections to nodes
 * are opened lazily. A timer (unref'd) refreshes the map every
 * `refreshInterval` ms; MOVED, CLUSTERDOWN and connection errors refresh it
 * too (single flight). `close()` waits for in-flight commands, then closes
 * every socket and timer; `disconnect()` does not wait.
 *
 * Delivery: after a connection loss, commands that were in flight are re-sent
 * to the slot's (possibly new) owner, so a command may run twice when the
 * node executed it but the reply was lost (at-least-once).
 *
 * Pub/sub (`subscribe`, `psubscribe`, `ssubscribe`) runs on links of its
 * own, apart from the command connections; `pubsub.ts` keeps them placed
 * through slot moves and node loss.
 */
import { EventEmitter } from 'node:events';
import { ConnectionPool, nodeKey, type ConnectionFactory } from './connection-pool.js';
import { InternalEntry, type Entry, type NodeConnection } from './connection.js';
import { SlotMap, type NatMap, type NodeInfo, type Shard, type TopologyChange } from './slot-map.js';
import { nextStep, type RedirectPolicy } from './redirect.js';
import { DelayQueue } from './delay-queue.js';
import {
  ClientClosedError,
  ClusterDownError,
  ConnectionError,
  CrossSlotError,
  ReplyError,
  parseEndpoint,
  type Endpoint,
  type Hop,
} from './errors.js';
import { CommandMethods, F_BUFFER, F_KEYLESS, F_READ, type Key, type SplitKind, type Transform, type Value } from './commands.js';
import { routeOf, slotOf } from './routing.js';
import type { Arg } from './resp.js';
import { Pipeline } from './pipeline.js';
import { Transaction, type QueuedCommand } from './transaction.js';
import { scanCluster, type ScanOptions } from './scan.js';
import { SLOT_COUNT } from '../router/slot.js';
import { PubSub, SUBSCRIBE, UNSUBSCRIBE, nameBytes, type MessageListener, type PatternListener, type SubscribeOptions } from './pubsub.js';
import type { SubscriptionKind } from './subscriber-link.js';

/**
 * Where read-only commands go: `primary` always; `replica` to a random replica
 * of the slot's shard (the primary only when the shard has none);
 * `preferReplica` likewise, but a read whose replica connection fails is
 * retried on the primary instead of waiting for the topology to change.
 */
export type ReadFrom = 'primary' | 'replica' | 'preferReplica';

/** Options of `new ClusterClient()`. */
export interface ClusterClientOptions {
  /** Nodes to ask for the topology, as `host:port` strings or endpoints. */
  readonly seeds: readonly (string | Endpoint)[];
  /** Redirections (MOVED, ASK, retries) allowed per command. @default 16 */
  readonly maxRedirections?: number;
  /** Periodic slot map refresh in ms; 0 disables. @default 5000 */
  readonly refreshInterval?: number;
  /** ms to wait for a node's CLUSTER SLOTS during a refresh. @default 2000 */
  readonly refreshTimeout?: number;
  /** Announced address (`host:port`) → reachable address. */
  readonly natMap?: NatMap;
  /** RESP version to ask for with HELLO; falls back to 2. @default 3 */
  readonly protocol?: 2 | 3;
  /** Where read-only commands go; replicas are sent READONLY. @default 'primary' */
  readonly readFrom?: ReadFrom;
  readonly username?: string;
  readonly password?: string;
  /** ms to establish a connection. @default 2000 */
  readonly connectTimeout?: number;
  /** ms to wait for each reply; 0 disables. @default 0 */
  readonly commandTimeout?: number;
  /** First TRYAGAIN/CLUSTERDOWN/reconnect retry delay in ms. @default 10 */
  readonly retryBase?: number;
  /** Largest retry delay in ms. @default 500 */
  readonly retryMax?: number;
  /** First reconnect backoff in ms after a node failed to connect. @default 50 */
  readonly reconnectBase?: number;
  /** Largest reconnect backoff in ms. @default 2000 */
  readonly reconnectMax?: number;
  /** Creates node connections (tests inject fakes). */
  readonly connectionFactory?: ConnectionFactory;
}

/** Options of `sendCommand`. */
export interface SendOptions {
  /** Route by this key instead of the command table. */
  readonly key?: Arg;
  /** Route to this slot instead of the command table. */
  readonly slot?: number;
  /** Bulk replies as Buffers. @default false */
  readonly asBuffer?: boolean;
  /** Allow a replica under `readFrom`. @default the table's readonly flag */
  readonly readOnly?: boolean;
}

/** A primary handed to `forEachPrimary`. */
export interface PrimaryNode {
  readonly host: string;
  readonly port: number;
  readonly id: string;
  /** Sends a command to this node only (no routing, no redirection following). */
  call(...args: Arg[]): Promise<unknown>;
}

/** A command on its way through the cluster. One object per call, reused across hops. */
class Command implements Entry {
  deadline = 0;
  settled = false;
  hops: Hop[] | null = null;
  /** `host:port` of the node it was last sent to. */
  node = '';
  /** Set after a replica failed under `preferReplica`: primaries only from now on. */
  noReplica = false;
  constructor(
    readonly client: ClusterClient,
    readonly args: readonly Arg[],
    readonly slot: number,
    readonly flags: number,
    readonly transform: Transform | null,
    readonly resolve: (v: unknown) => void,
    readonly reject: (e: unknown) => void,
  ) {}
  get asBuffer(): boolean {
    return (this.flags & F_BUFFER) !== 0;
  }
  deliver(reply: unknown): void {
    this.client._onReply(this, reply);
  }
}

function toEndpoint(seed: string | Endpoint): Endpoint {
  if (typeof seed !== 'string') return seed;
  const e = parseEndpoint(seed);
  if (e === undefined) throw new TypeError(`Cannot use seed as it is not host:port: current value is ${JSON.stringify(seed)}`);
  return e;
}

function nonNegativeInt(name: string, v: number | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  if (!Number.isInteger(v) || v < 0) throw new RangeError(`Cannot create the client as '${name}' must be a non-negative integer: current value is ${v}`);
  return v;
}

/**
 * A Redis Cluster client; see the module comment.
 * Events: `topology` (TopologyChange), `error` (refresh failures, only when listened to).
 *
 * @example
 * const client = new ClusterClient({ seeds: ['127.0.0.1:7000'] });
 * await client.connect();
 * await client.set('k', 'v');
 * await client.close();
 */
export class ClusterClient extends CommandMethods {
  readonly #events = new EventEmitter();
  readonly #slots: SlotMap;
  readonly #pool: ConnectionPool;
  readonly #policy: RedirectPolicy;
  readonly #delays: DelayQueue<Command | (() => void)>;
  readonly #readFrom: ReadFrom;
  readonly #refreshInterval: number;
  readonly #refreshTimeout: number;
  #timer: NodeJS.Timeout | null = null;
  #ready: Promise<void> | null = null;
  #waiting: Command[] = [];
  #state: 'open' | 'closing' | 'closed' = 'open';
  #closing: Promise<void> | null = null;
  #shutdownPromise: Promise<void> | null = null;
  #active = 0;
  #idleWaiters: (() => void)[] = [];
  readonly #pubsub: PubSub;

  constructor(options: ClusterClientOptions) {
    super();
    if (!options || !Array.isArray(options.seeds) || options.seeds.length === 0) {
      throw new TypeError('Cannot create the client as \'seeds\' must be a non-empty array');
    }
    const seeds = options.seeds.map(toEndpoint);
    this.#policy = {
      maxRedirections: nonNegativeInt('maxRedirections', options.maxRedirections, 16),
      retryBase: nonNegativeInt('retryBase', options.retryBase, 10),
      retryMax: nonNegativeInt('retryMax', options.retryMax, 500),
    };
    this.#readFrom = options.readFrom ?? 'primary';
    this.#refreshInterval = nonNegativeInt('refreshInterval', options.refreshInterval, 5000);
    this.#refreshTimeout = nonNegativeInt('refreshTimeout', options.refreshTimeout, 2000);
    this.#pool = new ConnectionPool({
      factory: options.connectionFactory,
      protocol: options.protocol ?? 3,
      username: options.username,
      password: options.password,
      connectTimeout: nonNegativeInt('connectTimeout', options.connectTimeout, 2000),
      commandTimeout: nonNegativeInt('commandTimeout', options.commandTimeout, 0),
      reconnectBase: nonNegativeInt('reconnectBase', options.reconnectBase, 50),
      reconnectMax: nonNegativeInt('reconnectMax', options.reconnectMax, 2000),
    });
    this.#slots = new SlotMap(seeds, (node) => this.#fetchSlots(node), options.natMap);
    this.#delays = new DelayQueue((item) => (typeof item === 'function' ? item() : this.#dispatch(item)));
    this.#pubsub = new PubSub(
      {
        ready: () => (this.#slots.loaded ? Promise.resolve() : this.connect()),
        ownerOf: (slot) => this.#slots.slots[slot]?.primary,
        anyPrimary: () => this.#slots.randomPrimary(),
        moved: (slot, target, from) => {
          this.#slots.moved(slot, this.#target(target, from));
          this.#requestRefresh();
        },
        refresh: () => this.#slots.refresh().then((change) => this.#onTopology(change), () => {}),
        listenerError: (err) => {
          // As a throwing EventEmitter listener would: to 'error' listeners, else uncaught.
          if (this.#events.listenerCount('error') > 0) this.#events.emit('error', err);
          else process.nextTick(() => {
            throw err;
          });
        },
      },
      {
        username: options.username,
        password: options.password,
        connectTimeout: nonNegativeInt('connectTimeout', options.connectTimeout, 2000),
        retryBase: this.#policy.retryBase,
        retryMax: this.#policy.retryMax,
      },
    );
  }

  // -- events ----------------------------------------------------------------
  /** Subscribes to `topology` or `error`. */
  on(event: 'topology', listener: (change: TopologyChange) => void): this;
  on(event: 'error', listener: (error: Error) => void): this;
  on(event: string, listener: (...a: never[]) => void): this {
    this.#events.on(event, listener as (...a: unknown[]) => void);
    return this;
  }
  off(event: string, listener: (...a: never[]) => void): this {
    this.#events.off(event, listener as (...a: unknown[]) => void);
    return this;
  }

  // -- life cycle ------------------------------------------------------------
  /** Loads the slot map; rejects with TopologyError when no seed answers. Idempotent. */
  connect(): Promise<void> {
    if (this.#state !== 'open') return Promise.reject(new ClientClosedError('Cannot connect as the client is closed'));
    this.#ready ??= this.#slots.refresh().then(
      (change) => {
        this.#onTopology(change);
        if (this.#refreshInterval > 0 && this.#timer === null && this.#state === 'open') {
          this.#timer = setInterval(() => this.#requestRefresh(), this.#refreshInterval);
          this.#timer.unref();
        }
        const waiting = this.#waiting;
        this.#waiting = [];
        for (const c of waiting) this.#dispatch(c);
      },
      (err: unknown) => {
        this.#ready = null;
        const waiting = this.#waiting;
        this.#waiting = [];
        for (const c of waiting) this.#settle(c, err, false);
        throw err;
      },
    );
    return this.#ready;
  }

  /** Waits for in-flight commands, then closes every connection and timer. */
  close(): Promise<void> {
    if (this.#closing) return this.#closing;
    this.#state = 'closing';
    this.#closing = (async () => {
      if (this.#ready) await this.#ready.catch(() => {});
      if (this.#active > 0) await new Promise<void>((r) => this.#idleWaiters.push(r));
      await this.#shutdownOnce();
    })();
    return this.#closing;
  }

  /** Closes at once; in-flight commands fail with ClientClosedError. */
  disconnect(): Promise<void> {
    if (this.#state === 'open') this.#state = 'closing';
    this.#closing ??= this.#shutdownOnce();
    return this.#shutdownOnce();
  }

  #shutdownOnce(): Promise<void> {
    return (this.#shutdownPromise ??= this.#shutdown());
  }

  async #shutdown(): Promise<void> {
    this.#state = 'closed';
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    for (const c of this.#delays.clear()) {
      if (typeof c === 'function') c();
      else this.#settle(c, new ClientClosedError('Cannot run the command as the client was closed'), false);
    }
    for (const c of this.#waiting) this.#settle(c, new ClientClosedError('Cannot run the command as the client was closed'), false);
    this.#waiting = [];
    await Promise.all([this.#pool.closeAll(), this.#pubsub.close()]);
    // A refresh in flight ends quickly now that its connection is gone.
    await this.#slots.idle();
    await this.#pool.closeAll();
  }

  // -- topology ----------------------------------------------------------------
  #fetchSlots(node: Endpoint): Promise<unknown> {
    if (this.#state === 'closed') return Promise.reject(new ClientClosedError('Cannot refresh the slot map as the client was closed'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new ConnectionError(`Cannot read CLUSTER SLOTS from ${nodeKey(node)} as it did not answer within ${this.#refreshTimeout} ms`, node)), this.#refreshTimeout);
      timer.unref();
      const conn = this.#pool.get(node, false);
      conn.send(
        new InternalEntry(['CLUSTER', 'SLOTS'], (r) => {
          clearTimeout(timer);
          if (r instanceof Error) reject(r);
          else resolve(r);
        }),
      );
    });
  }

  #requestRefresh(): void {
    if (this.#state === 'closed') return;
    this.#slots.refresh().then(
      (change) => this.#onTopology(change),
      (err: unknown) => {
        if (this.#events.listenerCount('error') > 0) this.#events.emit('error', err);
      },
    );
  }

  #onTopology(change: TopologyChange): void {
    if (change.removed.length > 0) {
      const keep = new Set(this.#slots.nodes().map((n) => n.key));
      this.#pool.retain(keep);
    }
    if (change.added.length > 0 || change.removed.length > 0 || change.movedSlots > 0) {
      this.#pubsub.topologyChanged();
      this.#events.emit('topology', change);
    }
  }

  /** Reloads the slot map now (single flight) and resolves with what changed. */
  async refreshSlots(): Promise<TopologyChange> {
    const change = await this.#slots.refresh();
    this.#onTopology(change);
    return change;
  }

  /** Known primaries owning slots (a snapshot). */
  primaries(): NodeInfo[] {
    return this.#slots.primaries();
  }

  /** The shard serving `slot` in the client's current view. */
  shardOf(slot: number): Shard | undefined {
    return this.#slots.slots[slot];
  }

  // -- dispatch ----------------------------------------------------------------
  #newCommand(args: readonly Arg[], slot: number, flags: number, transform: Transform | null): Promise<unknown> {
    if (this.#state !== 'open') return Promise.reject(new ClientClosedError(`Cannot run ${String(args[0])} as the client is closed`));
    let resolve!: (v: unknown) => void;
    let reject!: (e: unknown) => void;
    const p = new Promise<unknown>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    this.#active++;
    this.#dispatch(new Command(this, args, slot, flags, transform, resolve, reject));
    return p;
  }

  #settle(cmd: Command, value: unknown, ok: boolean): void {
    if (ok) cmd.resolve(value);
    else cmd.reject(value);
    if (--this.#active === 0 && this.#idleWaiters.length > 0) {
      const w = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const f of w) f();
    }
  }

  #pick(shard: Shard, cmd: Command): { node: Endpoint; readOnly: boolean } {
    if ((cmd.flags & F_READ) !== 0 && this.#readFrom !== 'primary' && !cmd.noReplica && shard.replicas.length > 0) {
      return { node: shard.replicas[Math.floor(Math.random() * shard.replicas.length)]!, readOnly: true };
    }
    return { node: shard.primary, readOnly: false };
  }

  #dispatch(cmd: Command): void {
    if (this.#state === 'closed') {
      this.#settle(cmd, new ClientClosedError(`Cannot run ${String(cmd.args[0])} as the client was closed`), false);
      return;
    }
    if (!this.#slots.loaded) {
      this.#waiting.push(cmd);
      this.connect().catch(() => {});
      return;
    }
    let node: Endpoint | undefined;
    let readOnly = false;
    if (cmd.slot < 0) {
      node = this.#slots.randomPrimary();
    } else {
      const shard = this.#slots.slots[cmd.slot];
      if (shard === undefined) node = undefined;
      else if (this.#readFrom === 'primary') node = shard.primary;
      else ({ node, readOnly } = this.#pick(shard, cmd));
    }
    if (node === undefined) {
      this.#onError(cmd, new ClusterDownError('CLUSTERDOWN Hash slot not served (no owner in the client\'s slot map)'));
      return;
    }
    this.#sendTo(cmd, node, readOnly, false);
  }

  #sendTo(cmd: Command, node: Endpoint, readOnly: boolean, asking: boolean): void {
    const conn = this.#pool.get(node, readOnly);
    cmd.node = (node as Partial<NodeInfo>).key ?? nodeKey(node);
    cmd.settled = false;
    if (asking) conn.send(new InternalEntry(['ASKING']));
    conn.send(cmd);
  }

  /** @internal Reply (or error) for a command; called by the connection. */
  _onReply(cmd: Command, reply: unknown): void {
    if (reply instanceof Error) {
      this.#onError(cmd, reply);
      return;
    }
    if (cmd.transform === null) {
      this.#settle(cmd, reply, true);
      return;
    }
    let out: unknown;
    try {
      out = cmd.transform(reply);
    } catch (err) {
      this.#settle(cmd, err, false);
      return;
    }
    this.#settle(cmd, out, true);
  }

  #onError(cmd: Command, err: Error): void {
    if (this.#state === 'closed' && err instanceof ConnectionError) {
      this.#settle(cmd, new ClientClosedError(`Cannot run ${String(cmd.args[0])} as the client was closed`, { cause: err }), false);
      return;
    }
    if (err instanceof ConnectionError && this.#readFrom === 'preferReplica') cmd.noReplica = true;
    const step = nextStep(err, String(cmd.args[0]), cmd.node, cmd.slot, (cmd.hops ??= []), this.#policy);
    switch (step.kind) {
      case 'fail':
        this.#settle(cmd, step.error, false);
        return;
      case 'moved': {
        const target = this.#target(step.target, cmd.node);
        this.#slots.moved(step.slot, target);
        this.#requestRefresh();
        this.#sendTo(cmd, target, false, false);
        return;
      }
      case 'ask':
        this.#sendTo(cmd, this.#target(step.target, cmd.node), false, true);
        return;
      case 'retry':
        if (step.refresh) this.#requestRefresh();
        this.#delays.push(cmd, step.delay);
        return;
      case 'reroute': {
        const requeue = (): void => {
          if (this.#state === 'closed') this.#dispatch(cmd);
          else this.#delays.push(cmd, step.delay);
        };
        this.#slots.refresh().then((change) => {
          this.#onTopology(change);
          requeue();
        }, requeue);
        return;
      }
    }
  }

  /**
   * The reachable address of a redirection target: an empty host (Redis's
   * "unknown endpoint") means the host of the node that sent the redirection
   * (`from`, a `host:port`); then natMap applies.
   */
  #target(target: Endpoint, from: string): Endpoint {
    if (target.host === '') {
      const sender = parseEndpoint(from);
      if (sender !== undefined) target = { host: sender.host, port: target.port };
    }
    return this.#slots.translate(target);
  }

  // -- CommandMethods ----------------------------------------------------------
  /** @internal */
  protected _run(args: Arg[], flags: number, transform: Transform | null): Promise<unknown> {
    return this.#newCommand(args, (flags & F_KEYLESS) !== 0 ? -1 : slotOf(args[1]!), flags, transform);
  }

  /** @internal Splits a multi-key helper by slot and reassembles replies in order. */
  protected _split(kind: SplitKind, args: Arg[], flags: number): Promise<unknown> {
    const step = kind === 'mset' ? 2 : 1;
    const groups = new Map<number, number[]>(); // slot → indexes of first args of each key
    for (let i = 1; i < args.length; i += step) {
      const s = slotOf(args[i]!);
      let g = groups.get(s);
      if (g === undefined) groups.set(s, (g = []));
      g.push(i);
    }
    if (groups.size <= 1) {
      const slot = groups.size === 0 ? -1 : groups.keys().next().value!;
      if (slot === -1) return Promise.reject(new ReplyError(`ERR wrong number of arguments for '${kind}' command`));
      return this.#newCommand(args, slot, flags, null);
    }
    const parts: Promise<unknown>[] = [];
    const positions: number[][] = [];
    for (const [slot, idx] of groups) {
      const sub: Arg[] = [args[0]!];
      for (const i of idx) for (let j = 0; j < step; j++) sub.push(args[i + j]!);
      parts.push(this.#newCommand(sub, slot, flags, null));
      positions.push(idx);
    }
    return Promise.all(parts).then((replies) => {
      if (kind === 'mset') return 'OK';
      if (kind === 'mget') {
        const out = new Array<unknown>((args.length - 1));
        for (let g = 0; g < replies.length; g++) {
          const r = replies[g] as unknown[];
          const idx = positions[g]!;
          for (let k = 0; k < idx.length; k++) out[idx[k]! - 1] = r[k];
        }
        return out;
      }
      let sum = 0;
      for (const r of replies) sum += r as number;
      return sum;
    });
  }

  /**
   * Runs any command: `call('GET', 'k')`. Routed by the command table; an
   * unknown command goes to a random primary (MOVED is followed). Keys in
   * several slots fail locally with CrossSlotError.
   */
  call(...args: Arg[]): Promise<unknown> {
    return this.sendCommand(args);
  }

  /** `call` with explicit routing and reply options. */
  sendCommand(args: readonly Arg[], options?: SendOptions): Promise<unknown> {
    if (args.length === 0) return Promise.reject(new TypeError('Cannot send a command as it is empty'));
    let slot: number;
    let readOnly: boolean;
    if (options?.slot !== undefined || options?.key !== undefined) {
      slot = options.slot ?? slotOf(options.key!);
      if (!Number.isInteger(slot) || slot < 0 || slot >= SLOT_COUNT) {
        return Promise.reject(new RangeError(`Cannot send a command as 'slot' must be an integer in 0..16383: current value is ${slot}`));
      }
      readOnly = options.readOnly ?? routeOf(args).readOnly;
    } else {
      const route = routeOf(args);
      if (route.crossSlot) return Promise.reject(new CrossSlotError("CROSSSLOT Keys in request don't hash to the same slot"));
      slot = route.slot;
      readOnly = options?.readOnly ?? route.readOnly;
    }
    const flags = (readOnly ? F_READ : 0) | (options?.asBuffer ? F_BUFFER : 0);
    return this.#newCommand(args, slot, flags, null);
  }

  /** PING a random primary. */
  ping(): Promise<string> {
    return this.#newCommand(['PING'], -1, 0, null) as Promise<string>;
  }

  // -- pub/sub ----------------------------------------------------------------
  /**
   * SUBSCRIBE: `listener(message, channel)` hears every message PUBLISHed to
   * any of `channels` on any node. Resolves once the server confirmed every
   * channel. The subscription survives node loss (it is re-established on
   * another node); messages published in between are not heard.
   */
  subscribe(channels: Key | readonly Key[], listener: MessageListener): Promise<void>;
  subscribe(channels: Key | readonly Key[], listener: MessageListener<Buffer>, options: SubscribeOptions & { readonly asBuffer: true }): Promise<void>;
  subscribe(channels: Key | readonly Key[], listener: MessageListener<never>, options?: SubscribeOptions): Promise<void> {
    return this.#subscribe('channel', channels, listener, options);
  }

  /** PSUBSCRIBE: `listener(message, channel, pattern)` for every channel matching one of `patterns`. */
  psubscribe(patterns: Key | readonly Key[], listener: PatternListener): Promise<void>;
  psubscribe(patterns: Key | readonly Key[], listener: PatternListener<Buffer>, options: SubscribeOptions & { readonly asBuffer: true }): Promise<void>;
  psubscribe(patterns: Key | readonly Key[], listener: PatternListener<never>, options?: SubscribeOptions): Promise<void> {
    return this.#subscribe('pattern', patterns, listener, options);
  }

  /**
   * SSUBSCRIBE: shard channels, heard on the primary owning each channel's
   * slot. Channels in different slots may be given together (they are
   * subscribed slot by slot). When a slot moves, its channels follow it to
   * the new owner.
   */
  ssubscribe(channels: Key | readonly Key[], listener: MessageListener): Promise<void>;
  ssubscribe(channels: Key | readonly Key[], listener: MessageListener<Buffer>, options: SubscribeOptions & { readonly asBuffer: true }): Promise<void>;
  ssubscribe(channels: Key | readonly Key[], listener: MessageListener<never>, options?: SubscribeOptions): Promise<void> {
    return this.#subscribe('shard', channels, listener, options);
  }

  /** Removes `listener` (all listeners when omitted) from `channels` (all channels when omitted). */
  unsubscribe(channels?: Key | readonly Key[], listener?: MessageListener<never>): Promise<void> {
    return this.#unsubscribe('channel', channels, listener);
  }

  /** PUNSUBSCRIBE counterpart of `unsubscribe`. */
  punsubscribe(patterns?: Key | readonly Key[], listener?: PatternListener<never>): Promise<void> {
    return this.#unsubscribe('pattern', patterns, listener);
  }

  /** SUNSUBSCRIBE counterpart of `unsubscribe`. */
  sunsubscribe(channels?: Key | readonly Key[], listener?: MessageListener<never>): Promise<void> {
    return this.#unsubscribe('shard', channels, listener);
  }

  /** PUBLISH on a random primary (every node relays it); resolves with the receivers on that node. */
  publish(channel: Key, message: Value): Promise<number> {
    return this.#newCommand(['PUBLISH', channel, message], -1, 0, null) as Promise<number>;
  }

  /** SPUBLISH on the primary owning the channel's slot; resolves with its receivers. */
  spublish(channel: Key, message: Value): Promise<number> {
    return this.#newCommand(['SPUBLISH', channel, message], slotOf(channel), 0, null) as Promise<number>;
  }

  #subscribe(kind: SubscriptionKind, names: Key | readonly Key[], listener: (...a: never[]) => void, options: SubscribeOptions | undefined): Promise<void> {
    const verb = SUBSCRIBE[kind].toLowerCase();
    if (this.#state !== 'open') return Promise.reject(new ClientClosedError(`Cannot ${verb} as the client is closed`));
    if (typeof listener !== 'function') return Promise.reject(new TypeError(`Cannot ${verb} as the listener is not a function: current value is ${typeof listener}`));
    const list = nameList(verb, names);
    if (list instanceof TypeError) return Promise.reject(list);
    return this.#pubsub.subscribe(kind, list, listener, options?.asBuffer === true);
  }

  #unsubscribe(kind: SubscriptionKind, names: Key | readonly Key[] | undefined, listener: ((...a: never[]) => void) | undefined): Promise<void> {
    const verb = UNSUBSCRIBE[kind].toLowerCase();
    if (listener !== undefined && typeof listener !== 'function') return Promise.reject(new TypeError(`Cannot ${verb} as the listener is not a function: current value is ${typeof listener}`));
    const list = names === undefined ? undefined : nameList(verb, names);
    if (list instanceof TypeError) return Promise.reject(list);
    return this.#pubsub.unsubscribe(kind, list, listener);
  }

  // -- batching --------------------------------------------------------------
  /** A pipeline: commands over any slots, sent together on `exec()`, results in order. */
  pipeline(): Pipeline {
    return new Pipeline(this);
  }

  /** A MULTI/EXEC transaction bound to one slot; see `Transaction`. */
  multi(): Transaction {
    return new Transaction((slot, cmds) => this.#transaction(slot, cmds));
  }

  /**
   * Runs MULTI, the queued commands and EXEC on the owner of `slot` as one
   * contiguous write. A redirection of any part (raised at queue time, so
   * EXEC aborts and nothing ran) re-runs the whole transaction on the new
   * owner, ASKING first for ASK.
   */
  #transaction(slot: number, cmds: readonly QueuedCommand[]): Promise<unknown[] | null> {
    if (this.#state !== 'open') return Promise.reject(new ClientClosedError('Cannot run MULTI as the client is closed'));
    return new Promise<unknown[] | null>((resolve, reject) => {
      this.#active++;
      const tx = new Command(this, ['MULTI'], slot, 0, null, resolve as (v: unknown) => void, reject);
      const hops: Hop[] = [];
      const run = (node: Endpoint | undefined, asking: boolean): void => {
        if (this.#state === 'closed') {
          this.#settle(tx, new ClientClosedError('Cannot run MULTI as the client was closed'), false);
          return;
        }
        if (!this.#slots.loaded) {
          this.connect().then(() => run(undefined, false), (e: unknown) => this.#settle(tx, e, false));
          return;
        }
        const target = node ?? (slot < 0 ? this.#slots.randomPrimary() : this.#slots.slots[slot]?.primary);
        if (target === undefined) {
          again(new ClusterDownError('CLUSTERDOWN Hash slot not served (no owner in the client\'s slot map)'), '');
          return;
        }
        const conn: NodeConnection = this.#pool.get(target, false);
        const name = nodeKey(target);
        const replies = new Array<unknown>(cmds.length + 1);
        if (asking) conn.send(new InternalEntry(['ASKING']));
        conn.send(new InternalEntry(['MULTI'], (r) => (replies[0] = r)));
        for (let i = 0; i < cmds.length; i++) {
          conn.send(new TxEntry(cmds[i]!.args, (cmds[i]!.flags & F_BUFFER) !== 0, (r) => (replies[i + 1] = r)));
        }
        conn.send(
          new InternalEntry(['EXEC'], (r) => {
            const redirect = replies.find(isRedirect) as Error | undefined;
            if (redirect !== undefined) {
              again(redirect, name);
              return;
            }
            if (isRedirect(r)) {
              again(r as Error, name);
              return;
            }
            if (r instanceof Error) {
              const first = replies.find((x) => x instanceof Error);
              this.#settle(tx, first ? new ReplyError(r.message, { cause: first }) : r, false);
              return;
            }
            if (r === null) {
              this.#settle(tx, null, true);
              return;
            }
            const arr = r as unknown[];
            const out = new Array<unknown>(arr.length);
            for (let i = 0; i < arr.length; i++) {
              const v = arr[i];
              const t = cmds[i]?.transform;
              try {
                out[i] = v instanceof Error || !t ? v : t(v);
              } catch (err) {
                out[i] = err;
              }
            }
            this.#settle(tx, out, true);
          }),
        );
      };
      const again = (err: Error, node: string): void => {
        const step = nextStep(err, 'MULTI', node, slot, hops, this.#policy);
        switch (step.kind) {
          case 'fail':
            this.#settle(tx, step.error, false);
            return;
          case 'moved': {
            const target = this.#target(step.target, node);
            this.#slots.moved(step.slot, target);
            this.#requestRefresh();
            run(target, false);
            return;
          }
          case 'ask':
            run(this.#target(step.target, node), true);
            return;
          case 'retry':
            if (step.refresh) this.#requestRefresh();
            this.#delays.push(() => run(undefined, false), step.delay);
            return;
          case 'reroute': {
            const requeue = (): void => {
              if (this.#state === 'closed') run(undefined, false);
              else this.#delays.push(() => run(undefined, false), step.delay);
            };
            this.#slots.refresh().then(requeue, requeue);
            return;
          }
        }
      };
      run(undefined, false);
    });
  }

  // -- cluster-wide helpers ----------------------------------------------------
  /** Sends `args` to one node only, without routing or redirection. */
  #callNode(node: Endpoint, args: readonly Arg[], asBuffer = false): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.#pool.get(node, false).send(new TxEntry(args, asBuffer, (r) => (r instanceof Error ? reject(r) : resolve(r))));
    });
  }

  /**
   * Calls `fn` for every primary owning slots, concurrently, and resolves with
   * their results in no particular order.
   */
  async forEachPrimary<T>(fn: (node: PrimaryNode) => Promise<T>): Promise<T[]> {
    if (!this.#slots.loaded) await this.connect();
    return Promise.all(
      this.#slots.primaries().map((p) =>
        fn({ host: p.host, port: p.port, id: p.id, call: (...args: Arg[]) => this.#callNode(p, args) }),
      ),
    );
  }

  /**
   * Iterates over every key of the cluster (see `scan.ts` for how it stays
   * correct while slots move). Keys are yielded as strings, or Buffers with
   * `asBuffer`.
   */
  scanIterator(options?: ScanOptions & { readonly asBuffer?: false }): AsyncIterableIterator<string>;
  scanIterator(options: ScanOptions & { readonly asBuffer: true }): AsyncIterableIterator<Buffer>;
  scanIterator(options: ScanOptions & { readonly asBuffer?: boolean } = {}): AsyncIterableIterator<string | Buffer> {
    return scanCluster(
      {
        refresh: async () => {
          if (!this.#slots.loaded) await this.connect();
          else await this.refreshSlots();
        },
        owners: () => this.#slots.slots.map((s) => s?.primary),
        callNode: (node, args) => this.#callNode(node, args, true),
      },
      options,
    );
  }
}

/** Channel or pattern arguments as bytes, or the TypeError that refuses them. */
function nameList(verb: string, names: Key | readonly Key[]): Buffer[] | TypeError {
  const list = typeof names === 'string' || Buffer.isBuffer(names) ? [names] : names;
  if (!Array.isArray(list) || list.length === 0) return new TypeError(`Cannot ${verb} as no channel or pattern was given`);
  const out: Buffer[] = [];
  for (const n of list as readonly unknown[]) {
    if (typeof n !== 'string' && !Buffer.isBuffer(n)) return new TypeError(`Cannot ${verb} as a channel or pattern must be a string or Buffer: current value is ${typeof n}`);
    out.push(nameBytes(n));
  }
  return out;
}

/** True for errors the redirection policy handles rather than the caller (not a plain error reply). */
function isRedirect(x: unknown): boolean {
  return x instanceof Error && !(x instanceof ReplyError && x.constructor === ReplyError);
}

/** A transaction or direct-node entry: hands its reply to a callback. */
class TxEntry implements Entry {
  deadline = 0;
  settled = false;
  constructor(
    readonly args: readonly Arg[],
    readonly asBuffer: boolean,
    private readonly onReply: (reply: unknown) => void,
  ) {}
  deliver(reply: unknown): void {
    this.onReply(reply);
  }
}
