/**
 * Text and reply forms of the cluster view: CLUSTER NODES lines (also the
 * nodes.conf format), CLUSTER SLOTS, CLUSTER SHARDS and CLUSTER INFO, byte for
 * byte as Redis 7.0 writes them (see /work/shared/redis-wire, §2).
 */
import { formatSlotRanges, rangesOfBitmap } from '../../router/slot-map.js';
import { SLOT_COUNT } from '../../router/slot.js';
import { MapReply, type Reply } from '../resp/reply.js';
import { flagsToString, NODE_FLAGS, type ClusterNode, type ClusterState } from './state.js';

/** Whether a node has a live outbound bus link (CLUSTER NODES link-state). */
export type LinkProbe = (n: ClusterNode) => boolean;

/** Slots of `n` in `state`'s table, as a 0/1 bitmap. */
export function slotBitmapOf(state: ClusterState, n: ClusterNode): Uint8Array {
  const bits = new Uint8Array(SLOT_COUNT);
  for (let s = 0; s < SLOT_COUNT; s++) if (state.slots.get(s) === n) bits[s] = 1;
  return bits;
}

/**
 * One CLUSTER NODES line, without the trailing newline:
 * `<id> <ip:port@cport[,hostname]> <flags> <master> <ping_sent> <pong_recv> <epoch> <link> <slot>...`.
 * A replica shows its master's configEpoch; only the myself line lists open
 * slots (`[s->-id]` migrating, `[s-<-id]` importing).
 */
export function nodeLine(state: ClusterState, n: ClusterNode, linked: LinkProbe, now: number): string {
  const addr = `${n.ip}:${n.port}@${n.cport}${n.hostname !== '' ? ',' + n.hostname : ''}`;
  const epoch = n.isReplica && n.master !== null ? n.master.configEpoch : n.configEpoch;
  let pong = n.pongReceived;
  if (n.isMyself) pong = state.nodes.size > 1 ? Math.floor(now / 1000) * 1000 : 0;
  const link = n.isMyself || linked(n) ? 'connected' : 'disconnected';
  let line = `${n.id} ${addr} ${flagsToString(n.flags)} ${n.master !== null ? n.master.id : '-'} ${n.pingSent} ${pong} ${epoch} ${link}`;
  const slots = formatSlotRanges(rangesOfBitmap(slotBitmapOf(state, n)), ' ');
  if (slots !== '') line += ' ' + slots;
  if (n.isMyself) {
    for (let s = 0; s < SLOT_COUNT; s++) {
      const to = state.migratingTo.get(s);
      if (to) line += ` [${s}->-${to.id}]`;
      const from = state.importingFrom.get(s);
      if (from) line += ` [${s}-<-${from.id}]`;
    }
  }
  return line;
}

/** CLUSTER NODES: every known node but those in handshake, each line ending in `\n`. */
export function nodesDescription(state: ClusterState, linked: LinkProbe, now: number, skipHandshake = true): string {
  let out = '';
  for (const n of state.nodes.values()) {
    if (skipHandshake && n.flags & NODE_FLAGS.handshake) continue;
    out += nodeLine(state, n, linked, now) + '\n';
  }
  return out;
}

function nodeEndpoint(n: ClusterNode): Reply[] {
  return [n.ip, n.port, n.id, new MapReply(n.hostname !== '' ? ['hostname', n.hostname] : [])];
}

/** A replica is listed in SLOTS only if it is not failing and has replicated something. */
function replicaAvailable(n: ClusterNode): boolean {
  return !n.failed && n.replOffset !== 0;
}

/** CLUSTER SLOTS: `[start, end, master, replicas...]` per run of one master, sorted by start. */
export function slotsReply(state: ClusterState): Reply {
  const out: Reply[] = [];
  for (const r of state.slots.ownerRanges()) {
    const entry: Reply[] = [r.start, r.end, nodeEndpoint(r.owner)];
    for (const rep of state.replicasOf(r.owner)) if (replicaAvailable(rep)) entry.push(nodeEndpoint(rep));
    out.push(entry);
  }
  return out;
}

function shardNode(n: ClusterNode): MapReply {
  const flat: Reply[] = ['id', n.id, 'port', n.port, 'ip', n.ip, 'endpoint', n.ip];
  if (n.hostname !== '') flat.push('hostname', n.hostname);
  let health = 'online';
  if (n.failed) health = 'fail';
  else if (n.isReplica && n.replOffset === 0) health = 'loading';
  flat.push('role', n.isMaster ? 'master' : 'replica', 'replication-offset', n.replOffset, 'health', health);
  return new MapReply(flat);
}

/** CLUSTER SHARDS: one map per master (table order), slots as flat start/end pairs. */
export function shardsReply(state: ClusterState): Reply {
  const out: Reply[] = [];
  for (const n of state.nodes.values()) {
    if (!n.isMaster || n.flags & NODE_FLAGS.handshake) continue;
    const slots: Reply[] = [];
    for (const r of rangesOfBitmap(slotBitmapOf(state, n))) slots.push(r.start, r.end);
    const nodes: Reply[] = [shardNode(n)];
    for (const rep of state.replicasOf(n)) nodes.push(shardNode(rep));
    out.push(new MapReply(['slots', slots, 'nodes', nodes]));
  }
  return out;
}

/** Bus message type names, indexed by type number, as CLUSTER INFO names them. */
export const MESSAGE_TYPE_NAMES = ['ping', 'pong', 'meet', 'fail', 'publish', 'auth-req', 'auth-ack', 'update', 'mfstart', 'module', 'publishshard'];

export interface BusStats {
  sent: number[];
  received: number[];
}

/** CLUSTER INFO text (lines end in CRLF). */
export function infoText(state: ClusterState, ok: boolean, stats: BusStats): string {
  let assigned = 0;
  let pfail = 0;
  let fail = 0;
  for (let s = 0; s < SLOT_COUNT; s++) {
    const o = state.slots.get(s);
    if (o === null) continue;
    assigned++;
    if (o.flags & NODE_FLAGS.fail) fail++;
    else if (o.flags & NODE_FLAGS.pfail) pfail++;
  }
  const myEpoch = state.myself.isReplica && state.myself.master ? state.myself.master.configEpoch : state.myself.configEpoch;
  let out =
    `cluster_state:${ok ? 'ok' : 'fail'}\r\n` +
    `cluster_slots_assigned:${assigned}\r\n` +
    `cluster_slots_ok:${assigned - pfail - fail}\r\n` +
    `cluster_slots_pfail:${pfail}\r\n` +
    `cluster_slots_fail:${fail}\r\n` +
    `cluster_known_nodes:${state.nodes.size}\r\n` +
    `cluster_size:${state.size()}\r\n` +
    `cluster_current_epoch:${state.currentEpoch}\r\n` +
    `cluster_my_epoch:${myEpoch}\r\n`;
  let total = 0;
  for (let t = 0; t < MESSAGE_TYPE_NAMES.length; t++) {
    const n = stats.sent[t] ?? 0;
    if (n === 0) continue;
    total += n;
    out += `cluster_stats_messages_${MESSAGE_TYPE_NAMES[t]}_sent:${n}\r\n`;
  }
  out += `cluster_stats_messages_sent:${total}\r\n`;
  total = 0;
  for (let t = 0; t < MESSAGE_TYPE_NAMES.length; t++) {
    const n = stats.received[t] ?? 0;
    if (n === 0) continue;
    total += n;
    out += `cluster_stats_messages_${MESSAGE_TYPE_NAMES[t]}_received:${n}\r\n`;
  }
  out += `cluster_stats_messages_received:${total}\r\n`;
  out += 'total_cluster_links_buffer_limit_exceeded:0\r\n';
  return out;
}
