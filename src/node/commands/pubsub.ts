/**
 * Publish/subscribe: SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE,
 * PUBLISH and PUBSUB CHANNELS/NUMSUB/NUMPAT.
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
}

/** What one client is subscribed to (kept on the client: the dispatcher asks on every command). */
export interface Subscriptions {
  channels: Set<string>;
  patterns: Set<string>;
}

const REGISTRIES = new WeakMap<Server, Registry>();

function registryOf(server: Server): Registry {
  let r = REGISTRIES.get(server);
  if (r === undefined) REGISTRIES.set(server, (r = { channels: new Map(), patterns: new Map() }));
  return r;
}

function subscriptionsOf(c: Client): Subscriptions {
  return (c.subscriptions ??= { channels: new Set(), patterns: new Set() });
}

/** Number of channels `c` is subscribed to (CLIENT LIST sub=). */
export function channelCount(c: Client): number {
  return c.subscriptions?.channels.size ?? 0;
}

/** Number of patterns `c` is subscribed to (CLIENT LIST psub=). */
export function patternCount(c: Client): number {
  return c.subscriptions?.patterns.size ?? 0;
}

/** True if `c` holds any subscription (Redis's CLIENT_PUBSUB flag). */
export function isSubscribed(c: Client): boolean {
  const s = c.subscriptions;
  return s !== undefined && s.channels.size + s.patterns.size > 0;
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

function confirm(c: Client, kind: string, name: string | null): void {
  const s = subscriptionsOf(c);
  c.reply(new PushReply([kind, name, s.channels.size + s.patterns.size]));
}

function unsubscribeChannel(c: Client, channel: string): void {
  subscriptionsOf(c).channels.delete(channel);
  const reg = registryOf(c.server).channels;
  const set = reg.get(channel);
  if (set !== undefined) {
    set.delete(c);
    if (set.size === 0) reg.delete(channel);
  }
}

function unsubscribePattern(c: Client, pattern: string): void {
  subscriptionsOf(c).patterns.delete(pattern);
  const reg = registryOf(c.server).patterns;
  const set = reg.get(pattern);
  if (set !== undefined) {
    set.delete(c);
    if (set.size === 0) reg.delete(pattern);
  }
}

/** Drops every subscription of `c` silently (RESET). */
export function unsubscribeAll(c: Client): void {
  const s = c.subscriptions;
  if (s === undefined) return;
  for (const ch of [...s.channels]) unsubscribeChannel(c, ch);
  for (const p of [...s.patterns]) unsubscribePattern(c, p);
}

/** Delivers `message` to subscribers of `channel` and of matching patterns; returns how many got it. */
export function publish(server: Server, channel: string, message: string): number {
  const reg = registryOf(server);
  let receivers = 0;
  const subs = live(reg.channels, channel);
  if (subs !== undefined) {
    for (const c of subs) {
      c.writeRaw(encodeReply(new PushReply(['message', channel, message]), c.proto));
      server.queueFlush(c);
      receivers++;
    }
  }
  for (const pattern of [...reg.patterns.keys()]) {
    if (!matchGlob(pattern, channel)) continue;
    const set = live(reg.patterns, pattern);
    if (set === undefined) continue;
    for (const c of set) {
      c.writeRaw(encodeReply(new PushReply(['pmessage', pattern, channel, message]), c.proto));
      server.queueFlush(c);
      receivers++;
    }
  }
  return receivers;
}

/*------------------------------------------------------------------------------
 * Pub/sub commands
 *----------------------------------------------------------------------------*/

export function subscribeCommand(c: Client, args: string[]): Reply | typeof BLOCKED {
  const reg = registryOf(c.server).channels;
  const s = subscriptionsOf(c);
  for (let i = 1; i < args.length; i++) {
    const ch = args[i]!;
    if (!s.channels.has(ch)) {
      s.channels.add(ch);
      let set = reg.get(ch);
      if (set === undefined) reg.set(ch, (set = new Set()));
      set.add(c);
    }
    confirm(c, 'subscribe', ch);
  }
  return BLOCKED;
}

export function unsubscribeCommand(c: Client, args: string[]): Reply | typeof BLOCKED {
  const s = subscriptionsOf(c);
  const channels = args.length > 1 ? args.slice(1) : [...s.channels];
  if (channels.length === 0) confirm(c, 'unsubscribe', null);
  for (const ch of channels) {
    unsubscribeChannel(c, ch);
    confirm(c, 'unsubscribe', ch);
  }
  return BLOCKED;
}

export function psubscribeCommand(c: Client, args: string[]): Reply | typeof BLOCKED {
  const reg = registryOf(c.server).patterns;
  const s = subscriptionsOf(c);
  for (let i = 1; i < args.length; i++) {
    const p = args[i]!;
    if (!s.patterns.has(p)) {
      s.patterns.add(p);
      let set = reg.get(p);
      if (set === undefined) reg.set(p, (set = new Set()));
      set.add(c);
    }
    confirm(c, 'psubscribe', p);
  }
  return BLOCKED;
}

export function punsubscribeCommand(c: Client, args: string[]): Reply | typeof BLOCKED {
  const s = subscriptionsOf(c);
  const patterns = args.length > 1 ? args.slice(1) : [...s.patterns];
  if (patterns.length === 0) confirm(c, 'punsubscribe', null);
  for (const p of patterns) {
    unsubscribePattern(c, p);
    confirm(c, 'punsubscribe', p);
  }
  return BLOCKED;
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
  const reg = registryOf(c.server).channels;
  const pattern = args[2];
  const out: Reply[] = [];
  for (const ch of [...reg.keys()]) {
    if (live(reg, ch) === undefined) continue;
    if (pattern === undefined || matchGlob(pattern, ch)) out.push(ch);
  }
  return out;
}

export function pubsubNumsubCommand(c: Client, args: string[]): Reply {
  const reg = registryOf(c.server).channels;
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
  publish: publishCommand,
  'pubsub|channels': pubsubChannelsCommand,
  'pubsub|numsub': pubsubNumsubCommand,
  'pubsub|numpat': pubsubNumpatCommand,
  'pubsub|help': pubsubHelpCommand,
};

/** Channels and patterns with at least one subscriber (INFO stats pubsub_channels / pubsub_patterns). */
export function pubsubCounts(server: Server): { channels: number; patterns: number } {
  const reg = REGISTRIES.get(server);
  return { channels: reg?.channels.size ?? 0, patterns: reg?.patterns.size ?? 0 };
}
