/**
 * Publish/subscribe: SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE,
 * PUBLISH, the shard commands SSUBSCRIBE, SUNSUBSCRIBE and SPUBLISH, and
 * PUBSUB CHANNELS/NUMSUB/NUMPAT/SHARDCHANNELS/SHARDNUMSUB.
 *
 * Shard channels (Redis 7). A shard channel belongs to the slot its name
 * hashes to, like a key: in cluster mode the router sends SSUBSCRIBE and
 * SPUBLISH to the slot's owner (MOVED, CROSSSLOT), and a message reaches
 * only the subscribers on that node, never the whole cluster. When this
 * node stops serving a slot, its subscribers to channels of that slot are
 * unsubscribed with a `sunsubscribe` push (`dropShardChannels`), so that
 * clients resubscribe at the new owner, as Redis does. Outside cluster mode
 * they behave as plain channels without patterns. Counts in shard
 * confirmations are of shard channels only; the regular ones count
 * channels plus patterns (Redis keeps the two apart the same way).
 *
 * Bookkeeping. Each server has a registry (kept in a WeakMap keyed by the
 * Server, so the server object needs no field of its own): channel →
 * subscribed clients, pattern → subscribed clients. Each client has its own
 * sets of channels and patterns (a WeakMap keyed by the Client). A client
 * that disconnects is dropped from the registry lazily: PUBLISH and PUBSUB
 * skip and remove closed clients as they meet them, so disconnecting costs
 * nothing and a publish costs O(subscribers + patterns), as in Redis.
 *
 * Replies. (Un)subscription confirmations are one reply per channel
 * (`[kind, channel, count]`, a RESP3 push), so their handlers append them
 * with `c.reply` and return BLOCKED without blocking (no further reply).
 * Messages go to subscribers as pushes, already encoded for each
 * subscriber's protocol.
 */
import type { CommandSpec } from '../../router/command-spec.js';
import type { Client } from '../client.js';
import { blockingDenied } from '../blocking.js';
import { BLOCKED, type HandlerTable } from '../command-handler.js';
import { RespError, SubcommandSyntaxError } from '../errors.js';
import { matchGlob } from '../glob.js';
import { encodeReply, PushReply, type Reply } from '../resp/reply.js';
import type { Server } from '../server.js';
import { helpReply } from './connection.js';

const PUBSUB_HELP = [
  'PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'CHANNELS [<pattern>]',
  "    Return the currently active channels matching a <pattern> (default: '*').",
  'NUMPAT',
  '    Return number of subscriptions to patterns.',
  'NUMSUB [<channel> ...]',
  '    Return the number of subscribers for the specified channels, excluding',
  '    pattern subscriptions(default: no channels).',
  'SHARDCHANNELS [<pattern>]',
  "    Return the currently active shard level channels matching a <pattern> (default: '*').",
  'SHARDNUMSUB [<shardchannel> ...]',
  '    Return the number of subscribers for the specified shard level channel(s)',
  'HELP',
  '    Prints this help.',
];

/** Commands a RESP2 client may send while subscribed (Redis 7.0's list). */
const ALLOWED_WHILE_SUBSCRIBED = new Set(['ping', 'subscribe', 'unsubscribe', 'psubscribe', 'punsubscribe', 'ssubscribe', 'sunsubscribe', 'quit', 'reset']);

/*------------------------------------------------------------------------------
 * Pub/sub registry
 *----------------------------------------------------------------------------*/

interface Registry {
  channels: Map<string, Set<Client>>;
  patterns: Map<string, Set<Client>>;
  shardChannels: Map<string, Set<Client>>;
}

/** What one client is subscribed to (kept on the client: the dispatcher asks on every command). */
export interface Subscriptions {
  channels: Set<string>;
  patterns: Set<string>;
  shardChannels: Set<string>;
}

const REGISTRIES = new WeakMap<Server, Registry>();

function registryOf(server: Server): Registry {
  let r = REGISTRIES.get(server);
  if (r === undefined) REGISTRIES.set(server, (r = { channels: new Map(), patterns: new Map(), shardChannels: new Map() }));
  return r;
}

function subscriptionsOf(c: Client): Subscriptions {
  return (c.subscriptions ??= { channels: new Set(), patterns: new Set(), shardChannels: new Set() });
}

/** Number of channels `c` is subscribed to (CLIENT LIST sub=). */
export function channelCount(c: Client): number {
  return c.subscriptions?.channels.size ?? 0;
}

/** Number of patterns `c` is subscribed to (CLIENT LIST psub=). */
export function patternCount(c: Client): number {
  return c.subscriptions?.patterns.size ?? 0;
}

/** Number of shard channels `c` is subscribed to (CLIENT LIST ssub=). */
export function shardChannelCount(c: Client): number {
  return c.subscriptions?.shardChannels.size ?? 0;
}

/** True if `c` holds any subscription (Redis's CLIENT_PUBSUB flag). */
export function isSubscribed(c: Client): boolean {
  const s = c.subscriptions;
  return s !== undefined && s.channels.size + s.patterns.size + s.shardChannels.size > 0;
}

/**
 * The error for a command a subscribed RESP2 client may not send, or
 * undefined if it may run. Called by the dispatcher.
 */
export function subscribedContextError(c: Client, spec: CommandSpec): RespError | undefined {
  if (c.proto !== 2 || !isSubscribed(c)) return undefined;
  const top = spec.name.split('|')[0]!;
  if (ALLOWED_WHILE_SUBSCRIBED.has(top)) return undefined;
  return new RespError(
    `ERR Can't execute '${spec.name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`,
  );
}

/** Live subscribers of one registry entry; closed clients are removed on the way. */
function live(map: Map<string, Set<Client>>, name: string): Set<Client> | undefined {
  const set = map.get(name);
  if (set === undefined) return undefined;
  for (const c of set) if (c.closed) set.delete(c);
  if (set.size === 0) {
    map.delete(name);
    return undefined;
  }
  return set;
}

/** The three kinds of subscription, as named in Registry and Subscriptions. */
type Kind = 'channels' | 'patterns' | 'shardChannels';

/**
 * A (un)subscription confirmation `[kind, name, count]`. Shard ones count
 * shard channels; the others count channels plus patterns (Redis 7.0).
 */
function confirm(c: Client, what: Kind, reply: string, name: string | null): void {
  const s = subscriptionsOf(c);
  c.reply(new PushReply([reply, name, what === 'shardChannels' ? s.shardChannels.size : s.channels.size + s.patterns.size]));
}

function unsubscribeOne(c: Client, what: Kind, name: string): void {
  subscriptionsOf(c)[what].delete(name);
  const reg = registryOf(c.server)[what];
  const set = reg.get(name);
  if (set !== undefined) {
    set.delete(c);
    if (set.size === 0) reg.delete(name);
  }
}

/** SUBSCRIBE, PSUBSCRIBE, SSUBSCRIBE: each name of args[1..] joined and confirmed in order. */
function subscribeCommandOf(what: Kind, reply: string): (c: Client, args: string[]) => typeof BLOCKED {
  return (c, args) => {
    const reg = registryOf(c.server)[what];
    const mine = subscriptionsOf(c)[what];
    for (let i = 1; i < args.length; i++) {
      const name = args[i]!;
      if (!mine.has(name)) {
        mine.add(name);
        let set = reg.get(name);
        if (set === undefined) reg.set(name, (set = new Set()));
        set.add(c);
      }
      confirm(c, what, reply, name);
    }
    return BLOCKED;
  };
}

/** UNSUBSCRIBE, PUNSUBSCRIBE, SUNSUBSCRIBE: the names given, or all of that kind; a null confirmation when there are none. */
function unsubscribeCommandOf(what: Kind, reply: string): (c: Client, args: string[]) => typeof BLOCKED {
  return (c, args) => {
    const names = args.length > 1 ? args.slice(1) : [...subscriptionsOf(c)[what]];
    if (names.length === 0) confirm(c, what, reply, null);
    for (const name of names) {
      unsubscribeOne(c, what, name);
      confirm(c, what, reply, name);
    }
    return BLOCKED;
  };
}

/** Sends `c` a push (a RESP2 array) produced outside its own commands; it goes out after this event-loop turn. */
function sendPush(server: Server, c: Client, items: Reply[]): void {
  c.writeRaw(encodeReply(new PushReply(items), c.proto));
  server.queueFlush(c);
}

/** Drops every subscription of `c` silently (RESET). */
export function unsubscribeAll(c: Client): void {
  const s = c.subscriptions;
  if (s === undefined) return;
  for (const what of ['channels', 'patterns', 'shardChannels'] as const) for (const name of [...s[what]]) unsubscribeOne(c, what, name);
}

/** Delivers `message` to the subscribers of shard channel `channel` on this node (no patterns); returns how many got it. */
export function publishShard(server: Server, channel: string, message: string): number {
  const subs = live(registryOf(server).shardChannels, channel);
  if (subs === undefined) return 0;
  for (const c of subs) {
    sendPush(server, c, ['smessage', channel, message]);
  }
  return subs.size;
}

/**
 * Unsubscribes every client from the shard channels for which `servedHere`
 * is false, each with a `sunsubscribe` push (called when this node stops
 * serving slots: the clients move to the new owner). Returns how many
 * channels were dropped.
 */
export function dropShardChannels(server: Server, servedHere: (channel: string) => boolean): number {
  const reg = registryOf(server).shardChannels;
  let dropped = 0;
  for (const channel of [...reg.keys()]) {
    if (servedHere(channel)) continue;
    const subs = live(reg, channel);
    reg.delete(channel);
    if (subs === undefined) continue;
    dropped++;
    for (const c of subs) {
      c.subscriptions?.shardChannels.delete(channel);
      sendPush(server, c, ['sunsubscribe', channel, shardChannelCount(c)]);
    }
  }
  return dropped;
}

/** Delivers `message` to subscribers of `channel` and of matching patterns; returns how many got it. */
export function publish(server: Server, channel: string, message: string): number {
  const reg = registryOf(server);
  let receivers = 0;
  const subs = live(reg.channels, channel);
  if (subs !== undefined) {
    for (const c of subs) {
      sendPush(server, c, ['message', channel, message]);
      receivers++;
    }
  }
  for (const pattern of [...reg.patterns.keys()]) {
    if (!matchGlob(pattern, channel)) continue;
    const set = live(reg.patterns, pattern);
    if (set === undefined) continue;
    for (const c of set) {
      sendPush(server, c, ['pmessage', pattern, channel, message]);
      receivers++;
    }
  }
  return receivers;
}

/*------------------------------------------------------------------------------
 * Pub/sub commands
 *----------------------------------------------------------------------------*/

export const subscribeCommand = subscribeCommandOf('channels', 'subscribe');
export const unsubscribeCommand = unsubscribeCommandOf('channels', 'unsubscribe');
export const psubscribeCommand = subscribeCommandOf('patterns', 'psubscribe');
export const punsubscribeCommand = unsubscribeCommandOf('patterns', 'punsubscribe');
const subscribeShard = subscribeCommandOf('shardChannels', 'ssubscribe');
export const sunsubscribeCommand = unsubscribeCommandOf('shardChannels', 'sunsubscribe');

export function ssubscribeCommand(c: Client, args: string[]): Reply | typeof BLOCKED {
  // Inside EXEC (which denies blocking) Redis refuses SSUBSCRIBE, unlike SUBSCRIBE, kept for compatibility.
  if (blockingDenied()) throw new RespError("ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client");
  return subscribeShard(c, args);
}

/** SPUBLISH: delivers to this node's subscribers of the shard channel (the router sent it to the channel's slot owner). */
export function spublishCommand(c: Client, args: string[]): Reply {
  return publishShard(c.server, args[1]!, args[2]!);
}

/** PUBLISH: delivers here and, in cluster mode, to every other node's subscribers (the count is of local receivers, as in Redis). */
export function publishCommand(c: Client, args: string[]): Reply {
  const receivers = publish(c.server, args[1]!, args[2]!);
  c.server.cluster?.propagatePublish(args[1]!, args[2]!);
  return receivers;
}

/** PUBSUB CHANNELS [pattern]: one pattern at most (Redis answers more with its subcommand syntax error). */
export function pubsubChannelsCommand(c: Client, args: string[]): Reply {
  if (args.length > 3) throw new SubcommandSyntaxError('pubsub', args[1]!);
  return activeChannels(registryOf(c.server).channels, args[2]);
}

export function pubsubNumsubCommand(c: Client, args: string[]): Reply {
  return subscriberCounts(registryOf(c.server).channels, args);
}

/** PUBSUB SHARDCHANNELS [pattern]: the shard channels with subscribers on this node. */
export function pubsubShardchannelsCommand(c: Client, args: string[]): Reply {
  if (args.length > 3) throw new SubcommandSyntaxError('pubsub', args[1]!);
  return activeChannels(registryOf(c.server).shardChannels, args[2]);
}

export function pubsubShardnumsubCommand(c: Client, args: string[]): Reply {
  return subscriberCounts(registryOf(c.server).shardChannels, args);
}

/** Channels of `reg` with live subscribers, those matching `pattern` if given. */
function activeChannels(reg: Map<string, Set<Client>>, pattern: string | undefined): Reply {
  const out: Reply[] = [];
  for (const ch of [...reg.keys()]) {
    if (live(reg, ch) === undefined) continue;
    if (pattern === undefined || matchGlob(pattern, ch)) out.push(ch);
  }
  return out;
}

/** `[channel, subscribers, ...]` for the channels from args[2] on (NUMSUB, SHARDNUMSUB). */
function subscriberCounts(reg: Map<string, Set<Client>>, args: string[]): Reply {
  const out: Reply[] = [];
  for (let i = 2; i < args.length; i++) out.push(args[i]!, live(reg, args[i]!)?.size ?? 0);
  return out;
}

export function pubsubNumpatCommand(c: Client, _args: string[]): Reply {
  const reg = registryOf(c.server).patterns;
  let n = 0;
  for (const p of [...reg.keys()]) if (live(reg, p) !== undefined) n++;
  return n;
}

export function pubsubHelpCommand(_c: Client, _args: string[]): Reply {
  return helpReply(PUBSUB_HELP);
}

export const PUBSUB_HANDLERS: HandlerTable = {
  subscribe: subscribeCommand,
  unsubscribe: unsubscribeCommand,
  psubscribe: psubscribeCommand,
  punsubscribe: punsubscribeCommand,
  ssubscribe: ssubscribeCommand,
  sunsubscribe: sunsubscribeCommand,
  spublish: spublishCommand,
  publish: publishCommand,
  'pubsub|channels': pubsubChannelsCommand,
  'pubsub|numsub': pubsubNumsubCommand,
  'pubsub|numpat': pubsubNumpatCommand,
  'pubsub|shardchannels': pubsubShardchannelsCommand,
  'pubsub|shardnumsub': pubsubShardnumsubCommand,
  'pubsub|help': pubsubHelpCommand,
};

/** Channels, patterns and shard channels with at least one subscriber (INFO stats pubsub_channels / pubsub_patterns / pubsubshard_channels). */
export function pubsubCounts(server: Server): { channels: number; patterns: number; shardChannels: number } {
  const reg = REGISTRIES.get(server);
  return { channels: reg?.channels.size ?? 0, patterns: reg?.patterns.size ?? 0, shardChannels: reg?.shardChannels.size ?? 0 };
}
