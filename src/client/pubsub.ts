/**
 * Pub/sub for ClusterClient: SUBSCRIBE, PSUBSCRIBE and SSUBSCRIBE that keep
 * working while slots move and nodes come and go.
 *
 * Where subscriptions live, as in Redis 7 Cluster:
 *  - channels and patterns: a PUBLISH on any node reaches every node, so one
 *    link (`subscriber-link.ts`) to any primary hears them all;
 *  - shard channels: an SPUBLISH stays with the shard that owns the
 *    channel's slot, so each is subscribed on that slot's primary, one link
 *    per primary, one SSUBSCRIBE per slot (Redis refuses one spanning slots).
 *
 * Algorithm: wanted state against placed state. The user's calls change
 * only what is wanted (which names have listeners); `#reconcile` brings the
 * links in line: it opens the links it needs, sends (S|P)SUBSCRIBE for
 * every wanted name not placed on the right link, moves shard channels
 * whose slot now has another owner, and closes links left with nothing.
 * Each event that can make a placement wrong only unplaces the names it
 * concerns and schedules a reconcile:
 *  - a link closes (node gone, CLIENT KILL): its names are unplaced; the
 *    slot map is refreshed and the reconcile waits a backoff that doubles
 *    per consecutive failure (`retryBase` to `retryMax`);
 *  - SSUBSCRIBE answered MOVED: the slot map learns the owner at once;
 *  - TRYAGAIN, CLUSTERDOWN or ASK (the slot is migrating): retried after
 *    the backoff;
 *  - the node's own `sunsubscribe` push (it lost the slot): slot map
 *    refresh, then subscribe again on the new owner;
 *  - the client saw a topology change: shard channels are re-checked.
 * Any other error reply (an ACL refusal, say) fails the subscribe call and
 * drops those names. A name is unsubscribed on the server once its last
 * listener is removed.
 *
 * Delivery is at most once, as Redis pub/sub itself: a message published
 * while its subscription is being moved or re-established is not heard.
 */
import { SubscriberLink, type LinkEvents, type LinkOptions, type SubscribeCommand, type SubscriptionKind } from './subscriber-link.js';
import { AskError, ClientClosedError, ClusterDownError, ConnectionError, MovedError, ReplyError, TryAgainError, type Endpoint } from './errors.js';
import { nodeKey } from './connection-pool.js';
import { slotOf } from './routing.js';

/** Receives a message of a channel or shard channel: the payload, then the channel. */
export type MessageListener<T extends string | Buffer = string> = (message: T, channel: T) => void;
/** Receives a message matching a pattern: the payload, the channel, then the pattern. */
export type PatternListener<T extends string | Buffer = string> = (message: T, channel: T, pattern: T) => void;

/** Options of `subscribe`, `psubscribe` and `ssubscribe`. */
export interface SubscribeOptions {
  /** Hand the listener Buffers instead of UTF-8 strings. @default false */
  readonly asBuffer?: boolean;
}

type AnyListener = (message: never, channel: never, pattern: never) => void;

/** What the manager needs of the client. */
export interface PubSubHost {
  /** Resolves once the slot map is loaded. */
  ready(): Promise<void>;
  /** The primary serving `slot`, or undefined. */
  ownerOf(slot: number): Endpoint | undefined;
  /** Any primary, or undefined when none is known. */
  anyPrimary(): Endpoint | undefined;
  /** A MOVED for `slot`: `target` as the reply gave it, `from` the `host:port` that sent it. */
  moved(slot: number, target: Endpoint, from: string): void;
  /** Reloads the slot map (single flight); never rejects. */
  refresh(): Promise<void>;
  /** A listener threw. */
  listenerError(error: unknown): void;
}

/** Settings of the manager. */
export interface PubSubOptions extends LinkOptions {
  readonly retryBase: number;
  readonly retryMax: number;
}

/** One wanted name. */
interface Sub {
  readonly kind: SubscriptionKind;
  readonly name: Buffer;
  /** latin1 of `name`: the map key. */
  readonly key: string;
  /** The slot of a shard channel; -1 otherwise. */
  readonly slot: number;
  readonly listeners: Map<AnyListener, boolean>;
  /** The link it is subscribed (or being subscribed) on. */
  link: SubscriberLink | null;
  confirmed: boolean;
  waiters: { resolve: () => void; reject: (e: unknown) => void }[];
}

/** The (un)subscribe command of each kind. */
export const SUBSCRIBE: Record<SubscriptionKind, SubscribeCommand> = { channel: 'SUBSCRIBE', pattern: 'PSUBSCRIBE', shard: 'SSUBSCRIBE' };
export const UNSUBSCRIBE: Record<SubscriptionKind, SubscribeCommand> = { channel: 'UNSUBSCRIBE', pattern: 'PUNSUBSCRIBE', shard: 'SUNSUBSCRIBE' };
/** Names per (un)subscribe command, so no command grows without bound. */
const BATCH = 1000;

/** A user's channel or pattern as bytes (strings are UTF-8, as every argument). */
export function nameBytes(n: string | Buffer): Buffer {
  return typeof n === 'string' ? Buffer.from(n, 'utf8') : n;
}

/** See the module comment. */
export class PubSub {
  readonly #host: PubSubHost;
  readonly #options: PubSubOptions;
  readonly #subs: Record<SubscriptionKind, Map<string, Sub>> = { channel: new Map(), pattern: new Map(), shard: new Map() };
  /** The link for channels and patterns. */
  #global: SubscriberLink | null = null;
  /** Shard channel links by `host:port`. */
  readonly #shardLinks = new Map<string, SubscriberLink>();
  #timer: NodeJS.Timeout | null = null;
  #scheduled = false;
  #failures = 0;
  #closed = false;
  readonly #events: LinkEvents = {
    message: (kind, name, payload, channel) => this.#deliver(kind, name, payload, channel),
    lost: (link, channel) => this.#onLost(link, channel),
    close: (link, error, refused) => this.#onLinkClose(link, error, refused),
  };

  constructor(host: PubSubHost, options: PubSubOptions) {
    this.#host = host;
    this.#options = options;
  }

  /**
   * Adds `listener` to each name; resolves once every name is confirmed by
   * the server (at once for names already confirmed).
   */
  subscribe(kind: SubscriptionKind, names: readonly Buffer[], listener: AnyListener, asBuffer: boolean): Promise<void> {
    if (this.#closed) return Promise.reject(new ClientClosedError(`Cannot ${SUBSCRIBE[kind]} as the client is closed`));
    const waits: Promise<void>[] = [];
    for (const name of names) {
      const key = name.toString('latin1');
      const map = this.#subs[kind];
      let sub = map.get(key);
      if (sub === undefined) {
        sub = { kind, name, key, slot: kind === 'shard' ? slotOf(name) : -1, listeners: new Map(), link: null, confirmed: false, waiters: [] };
        map.set(key, sub);
      }
      sub.listeners.set(listener, asBuffer);
      if (!sub.confirmed) {
        const s = sub;
        waits.push(new Promise((resolve, reject) => s.waiters.push({ resolve, reject })));
      }
    }
    this.#schedule(0);
    return Promise.all(waits).then(() => undefined);
  }

  /**
   * Removes `listener` (every listener when undefined) from each name (every
   * name of `kind` when `names` is undefined). Names left without listeners
   * are unsubscribed on the server; resolves once it confirmed.
   */
  unsubscribe(kind: SubscriptionKind, names: readonly Buffer[] | undefined, listener: AnyListener | undefined): Promise<void> {
    const map = this.#subs[kind];
    const dropped = new Map<SubscriberLink, Sub[]>();
    const subs = names === undefined ? [...map.values()] : names.map((n) => map.get(n.toString('latin1')));
    for (const sub of subs) {
      if (sub === undefined) continue;
      if (listener !== undefined) sub.listeners.delete(listener);
      else sub.listeners.clear();
      if (sub.listeners.size > 0) continue;
      map.delete(sub.key);
      // A subscribe call still waiting for this name ends: nothing wants it any more.
      this.#settle(sub, null);
      if (sub.link !== null && !sub.link.closed) {
        const list = dropped.get(sub.link) ?? [];
        list.push(sub);
        dropped.set(sub.link, list);
      }
      sub.link = null;
    }
    const waits: Promise<void>[] = [];
    for (const [link, list] of dropped) {
      for (const group of groups(list)) {
        // Confirmed or not, the server has nothing left for these names once this returns; a closed link has nothing either.
        waits.push(new Promise((resolve) => link.send(UNSUBSCRIBE[kind], group.map((s) => s.name), () => resolve())));
      }
    }
    // Once the server confirmed, links left with nothing can close.
    return Promise.all(waits).then(() => this.#schedule(0));
  }

  /** The client's slot map changed: shard channels may have a new owner. */
  topologyChanged(): void {
    if (this.#subs.shard.size > 0) this.#schedule(0);
  }

  /** Closes every link; subscribe calls still waiting fail with ClientClosedError. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    const err = new ClientClosedError('Cannot subscribe as the client was closed');
    for (const map of Object.values(this.#subs)) {
      for (const sub of map.values()) this.#settle(sub, err);
      map.clear();
    }
    const links = [...this.#shardLinks.values()];
    if (this.#global !== null) links.push(this.#global);
    this.#global = null;
    this.#shardLinks.clear();
    await Promise.all(links.map((l) => l.destroy()));
  }

  // -- reconciliation ----------------------------------------------------------

  #schedule(delay: number): void {
    if (this.#closed) return;
    if (this.#scheduled) {
      if (delay > 0 || this.#timer === null) return;
      // An immediate run replaces a backoff that is still waiting.
      clearTimeout(this.#timer);
    }
    this.#scheduled = true;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#host.ready().then(
        () => {
          this.#scheduled = false;
          this.#reconcile();
        },
        () => {
          this.#scheduled = false;
          this.#schedule(this.#backoff());
        },
      );
    }, delay);
    // Not unref'd: wanted subscriptions keep the process alive, also while their links are down (close() clears it).
  }

  #backoff(): number {
    const { retryBase, retryMax } = this.#options;
    return Math.min(retryMax, retryBase * 2 ** Math.min(this.#failures++, 20));
  }

  #reconcile(): void {
    if (this.#closed) return;
    let retry = false;
    // Channels and patterns: one link to any primary.
    const channels = this.#subs.channel;
    const patterns = this.#subs.pattern;
    if (channels.size + patterns.size > 0) {
      if (this.#global === null) {
        const node = this.#host.anyPrimary();
        if (node === undefined) retry = true;
        else this.#global = this.#open(node);
      }
      const link = this.#global;
      if (link !== null) {
        this.#place(link, [...channels.values()].filter((s) => s.link === null));
        this.#place(link, [...patterns.values()].filter((s) => s.link === null));
      }
    } else if (this.#global !== null && this.#global.pending === 0) {
      const link = this.#global;
      this.#global = null;
      void link.destroy();
    }
    // Shard channels: on the primary of their slot.
    const byLink = new Map<SubscriberLink, Sub[]>();
    for (const sub of this.#subs.shard.values()) {
      const owner = this.#host.ownerOf(sub.slot);
      if (owner === undefined) {
        retry = true;
        continue;
      }
      const key = nodeKey(owner);
      if (sub.link !== null && sub.link.key !== key) {
        // The slot has a new owner: leave the old one (it may have dropped us already).
        if (!sub.link.closed) sub.link.send('SUNSUBSCRIBE', [sub.name], () => {});
        this.#unplace(sub);
      }
      if (sub.link !== null) continue;
      let link = this.#shardLinks.get(key);
      if (link === undefined) {
        link = this.#open(owner);
        this.#shardLinks.set(key, link);
      }
      const list = byLink.get(link) ?? [];
      list.push(sub);
      byLink.set(link, list);
    }
    for (const [link, list] of byLink) this.#place(link, list);
    const used = new Set<SubscriberLink>();
    for (const sub of this.#subs.shard.values()) if (sub.link !== null) used.add(sub.link);
    for (const [key, link] of this.#shardLinks) {
      if (link.pending > 0 || used.has(link)) continue;
      this.#shardLinks.delete(key);
      void link.destroy();
    }
    if (retry) this.#schedule(this.#backoff());
  }

  #open(node: Endpoint): SubscriberLink {
    return new SubscriberLink(node, nodeKey(node), this.#options, this.#events);
  }

  /** Subscribes `subs` (all of one kind) on `link`, one command per slot and per BATCH names. */
  #place(link: SubscriberLink, subs: Sub[]): void {
    for (const group of groups(subs)) {
      for (const sub of group) sub.link = link;
      const kind = group[0]!.kind;
      link.send(SUBSCRIBE[kind], group.map((s) => s.name), (err) => this.#onSubscribed(link, group, err));
    }
  }

  #onSubscribed(link: SubscriberLink, group: Sub[], err: Error | null): void {
    // Names unsubscribed or moved meanwhile are no longer this command's business.
    const mine = group.filter((s) => s.link === link && this.#subs[s.kind].get(s.key) === s);
    if (err === null) {
      this.#failures = 0;
      for (const sub of mine) {
        sub.confirmed = true;
        this.#settle(sub, null);
      }
      return;
    }
    for (const sub of mine) this.#unplace(sub);
    if (err instanceof ConnectionError) return; // The link's close schedules the retry.
    if (err instanceof MovedError) {
      this.#host.moved(err.slot, err.target, link.key);
      this.#schedule(0);
      return;
    }
    if (err instanceof TryAgainError || err instanceof ClusterDownError || err instanceof AskError) {
      // Down, or mid-migration (ASK): the slot settles on an owner soon.
      void this.#host.refresh();
      this.#schedule(this.#backoff());
      return;
    }
    // Refused for good (ACL, a server without shard channels...): the call fails and the names are dropped.
    for (const sub of mine) {
      this.#subs[sub.kind].delete(sub.key);
      this.#settle(sub, err instanceof ReplyError ? err : new ReplyError(err.message, { cause: err }));
    }
  }

  #unplace(sub: Sub): void {
    sub.link = null;
    sub.confirmed = false;
  }

  #settle(sub: Sub, err: unknown): void {
    const waiters = sub.waiters;
    if (waiters.length === 0) return;
    sub.waiters = [];
    for (const w of waiters) {
      if (err === null) w.resolve();
      else w.reject(err);
    }
  }

  // -- link events ---------------------------------------------------------------

  #onLinkClose(link: SubscriberLink, error: ConnectionError, refused: boolean): void {
    if (this.#closed) return;
    if (this.#global === link) this.#global = null;
    if (this.#shardLinks.get(link.key) === link) this.#shardLinks.delete(link.key);
    let affected = false;
    for (const map of Object.values(this.#subs)) {
      for (const sub of map.values()) {
        if (sub.link !== link) continue;
        this.#unplace(sub);
        affected = true;
        if (refused) {
          // The node refused the handshake (wrong password, no RESP3): retrying cannot help.
          map.delete(sub.key);
          this.#settle(sub, error);
        }
      }
    }
    if (!affected || refused) return;
    const delay = this.#backoff();
    void this.#host.refresh().then(() => this.#schedule(delay));
  }

  #onLost(link: SubscriberLink, channel: Buffer): void {
    const sub = this.#subs.shard.get(channel.toString('latin1'));
    if (sub === undefined || sub.link !== link) return;
    this.#unplace(sub);
    void this.#host.refresh().then(() => this.#schedule(0));
  }

  #deliver(kind: SubscriptionKind, name: Buffer, payload: Buffer, channel: Buffer): void {
    const sub = this.#subs[kind].get(name.toString('latin1'));
    if (sub === undefined) return;
    let text: string[] | null = null;
    for (const [listener, asBuffer] of sub.listeners) {
      try {
        if (asBuffer) (listener as (m: Buffer, c: Buffer, p: Buffer) => void)(payload, channel, name);
        else {
          text ??= [payload.toString('utf8'), channel.toString('utf8'), name.toString('utf8')];
          (listener as (m: string, c: string, p: string) => void)(text[0]!, text[1]!, text[2]!);
        }
      } catch (err) {
        this.#host.listenerError(err);
      }
    }
  }
}

/** `subs` cut into commands: one slot per command for shard channels, at most BATCH names each. */
function groups(subs: readonly Sub[]): Sub[][] {
  const bySlot = new Map<number, Sub[]>();
  for (const s of subs) {
    const list = bySlot.get(s.slot) ?? [];
    list.push(s);
    bySlot.set(s.slot, list);
  }
  const out: Sub[][] = [];
  for (const list of bySlot.values()) {
    for (let i = 0; i < list.length; i += BATCH) out.push(list.slice(i, i + BATCH));
  }
  return out;
}
