/**
 * Cluster commands: CLUSTER <subcommand>, ASKING, READONLY, READWRITE,
 * MIGRATE and RESTORE-ASKING. Replies and error texts are Redis 7.0's
 * (clusterCommand in cluster.c); CLUSTER MYSHARDID follows Redis 7.2.
 * The state they read and change lives in `../cluster/`.
 */
import type { Client } from '../client.js';
import type { HandlerTable } from '../command-handler.js';
import { BLOCKED } from '../command-handler.js';
import { Cluster } from '../cluster/index.js';
import { infoText, nodeLine, nodesDescription, shardsReply, slotsReply } from '../cluster/describe.js';
import { migrateCommand as migrateImpl } from '../cluster/migrate.js';
import { ClusterNode, NODE_FLAGS } from '../cluster/state.js';
import { NOT_INTEGER, RespError, SubcommandSyntaxError, SYNTAX, WrongArityError } from '../errors.js';
import { parseInteger } from '../numbers.js';
import { MapReply, OK, SimpleString, VerbatimReply, type Reply } from '../resp/reply.js';
import { keySlot, SLOT_COUNT } from '../../router/slot.js';
import { restoreCommand } from './generic.js';

const HELP_LINES = [
  'CLUSTER <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'ADDSLOTS <slot> [<slot> ...]',
  '    Assign slots to current node.',
  'ADDSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]',
  '    Assign slots which are between <start-slot> and <end-slot> to current node.',
  'BUMPEPOCH',
  '    Advance the cluster config epoch.',
  'COUNT-FAILURE-REPORTS <node-id>',
  '    Return number of failure reports for <node-id>.',
  'COUNTKEYSINSLOT <slot>',
  '    Return the number of keys in <slot>.',
  'DELSLOTS <slot> [<slot> ...]',
  '    Delete slots information from current node.',
  'DELSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]',
  '    Delete slots information which are between <start-slot> and <end-slot> from current node.',
  'FAILOVER [FORCE|TAKEOVER]',
  '    Promote current replica node to being a master.',
  'FORGET <node-id>',
  '    Remove a node from the cluster.',
  'GETKEYSINSLOT <slot> <count>',
  '    Return key names stored by current node in a slot.',
  'FLUSHSLOTS',
  '    Delete current node own slots information.',
  'INFO',
  '    Return information about the cluster.',
  'KEYSLOT <key>',
  '    Return the hash slot for <key>.',
  'MEET <ip> <port> [<bus-port>]',
  '    Connect nodes into a working cluster.',
  'MYID',
  '    Return the node id.',
  'NODES',
  '    Return cluster configuration seen by node. Output format:',
  '    <id> <ip:port> <flags> <master> <pings> <pongs> <epoch> <link> <slot> ...',
  'REPLICATE <node-id>',
  '    Configure current node as replica to <node-id>.',
  'RESET [HARD|SOFT]',
  '    Reset current node (default: soft).',
  'SET-CONFIG-EPOCH <epoch>',
  '    Set config epoch of current node.',
  'SETSLOT <slot> (IMPORTING <node-id>|MIGRATING <node-id>|STABLE|NODE <node-id>)',
  '    Set slot state.',
  'REPLICAS <node-id>',
  '    Return <node-id> replicas.',
  'SAVECONFIG',
  '    Force saving cluster configuration on disk.',
  'SLOTS',
  '    Return information about slots range mappings. Each range is made of:',
  '    start, end, master and replicas IP addresses, ports and ids',
  'SHARDS',
  '    Return information about slot range mappings and the nodes associated with them.',
  'LINKS',
  '    Return information about all network links between this node and its peers.',
  '    Output format is an array where each array element is a map containing attributes of a link',
  'HELP',
  '    Prints this help.',
];

/*-----------------------------------------------------------------------------
 * Helpers
 *----------------------------------------------------------------------------*/

const CLUSTER_DISABLED = new RespError('ERR This instance has cluster support disabled');
const INVALID_SLOT = new RespError('ERR Invalid or out of range slot');

/** The node's cluster subsystem; outside cluster mode every cluster command fails. */
function clusterOf(c: Client): Cluster {
  const cl = c.server.cluster;
  if (!(cl instanceof Cluster)) throw CLUSTER_DISABLED;
  return cl;
}

/**
 * A signed 64-bit integer argument (Redis's getLongLongFromObject), as a
 * number: exact up to 2^53, and past it still on the right side of every
 * bound these commands check (the largest int64 values round to 2^63).
 */
function parseLong(s: string): number | undefined {
  const v = parseInteger(s);
  return v === undefined ? undefined : Number(v);
}

/** A slot argument (getSlotOrReply): an integer in 0..16383. */
function slotArg(s: string): number {
  const n = parseLong(s);
  if (n === undefined || n < 0 || n >= SLOT_COUNT) throw INVALID_SLOT;
  return n;
}

function nodeById(cl: Cluster, id: string): ClusterNode | undefined {
  const n = cl.state.nodes.get(id);
  return n && !(n.flags & NODE_FLAGS.handshake) ? n : undefined;
}

function unknownNode(id: string): RespError {
  return new RespError(`ERR Unknown node ${id}`);
}

/**
 * Assigns or frees slots (ADDSLOTS / DELSLOTS and their RANGE forms) once
 * every argument passed. `groups` yields the slots of one range at a time,
 * parsing it only when asked: as in Redis, the RANGE forms parse and check
 * a pair before parsing the next, so which error comes first matches.
 */
function changeSlots(c: Client, groups: Iterable<number[]>, add: boolean): Reply {
  const cl = clusterOf(c);
  const st = cl.state;
  const seen = new Uint8Array(SLOT_COUNT);
  const slots: number[] = [];
  for (const group of groups) {
    for (const s of group) {
      if (add && st.slots.get(s) !== null) throw new RespError(`ERR Slot ${s} is already busy`);
      if (!add && st.slots.get(s) === null) throw new RespError(`ERR Slot ${s} is already unassigned`);
      if (seen[s]) throw new RespError(`ERR Slot ${s} specified multiple times`);
      seen[s] = 1;
      slots.push(s);
    }
  }
  for (const s of slots) {
    if (add) {
      st.slots.set(s, cl.myself);
      st.importingFrom.set(s, null);
    } else {
      st.slots.set(s, null);
      st.importingFrom.set(s, null);
      st.migratingTo.set(s, null);
    }
  }
  cl.configChanged();
  return OK;
}

/** The slots of each `start end` pair of a RANGE form, a pair at a time (see changeSlots). */
function* rangeSlots(args: string[], name: string): Generator<number[]> {
  if (args.length % 2 === 1) throw new WrongArityError(name);
  for (let i = 2; i < args.length; i += 2) {
    const a = slotArg(args[i]!);
    const b = slotArg(args[i + 1]!);
    if (a > b) throw new RespError(`ERR start slot number ${a} is greater than end slot number ${b}`);
    const out: number[] = [];
    for (let s = a; s <= b; s++) out.push(s);
    yield out;
  }
}

/** The slots of ADDSLOTS / DELSLOTS, all parsed before any is checked (unlike the RANGE forms, as in Redis 7.0). */
function listedSlots(args: string[]): number[][] {
  return [args.slice(2).map(slotArg)];
}

function isIp(s: string): boolean {
  if (/^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.test(s)) return s.split('.').every((p) => Number(p) <= 255);
  return s.includes(':') && /^[0-9a-fA-F:.]+$/.test(s);
}

/*-----------------------------------------------------------------------------
 * CLUSTER subcommands
 *----------------------------------------------------------------------------*/

export function clusterHelpCommand(c: Client): Reply {
  clusterOf(c);
  return HELP_LINES.map((l) => new SimpleString(l));
}

export function clusterMyidCommand(c: Client): Reply {
  return clusterOf(c).myself.id;
}

export function clusterMyshardidCommand(c: Client): Reply {
  return clusterOf(c).myself.shardId;
}

export function clusterNodesCommand(c: Client): Reply {
  const cl = clusterOf(c);
  return new VerbatimReply(nodesDescription(cl.state, cl.isLinked, c.server.clock.now()));
}

export function clusterSlotsCommand(c: Client): Reply {
  return slotsReply(clusterOf(c).state);
}

export function clusterShardsCommand(c: Client): Reply {
  return shardsReply(clusterOf(c).state);
}

export function clusterInfoCommand(c: Client): Reply {
  const cl = clusterOf(c);
  return new VerbatimReply(infoText(cl.state, cl.ok, cl.stats));
}

export function clusterKeyslotCommand(c: Client, args: string[]): Reply {
  clusterOf(c);
  return keySlot(args[2]!);
}

export function clusterCountkeysinslotCommand(c: Client, args: string[]): Reply {
  clusterOf(c);
  const s = parseLong(args[2]!);
  if (s === undefined) throw NOT_INTEGER;
  if (s < 0 || s >= SLOT_COUNT) throw new RespError('ERR Invalid slot');
  return c.server.dbs[0]!.countInSlot(s);
}

export function clusterGetkeysinslotCommand(c: Client, args: string[]): Reply {
  clusterOf(c);
  const s = parseLong(args[2]!);
  const n = parseLong(args[3]!);
  if (s === undefined || n === undefined) throw NOT_INTEGER;
  if (n < 0 || s < 0 || s >= SLOT_COUNT) throw new RespError('ERR Invalid slot or number of keys');
  return c.server.dbs[0]!.keysInSlot(s, Math.min(n, 2 ** 31));
}

export function clusterAddslotsCommand(c: Client, args: string[]): Reply {
  clusterOf(c);
  return changeSlots(c, listedSlots(args), true);
}

export function clusterAddslotsrangeCommand(c: Client, args: string[]): Reply {
  clusterOf(c);
  return changeSlots(c, rangeSlots(args, 'cluster|addslotsrange'), true);
}

export function clusterDelslotsCommand(c: Client, args: string[]): Reply {
  clusterOf(c);
  return changeSlots(c, listedSlots(args), false);
}

export function clusterDelslotsrangeCommand(c: Client, args: string[]): Reply {
  clusterOf(c);
  return changeSlots(c, rangeSlots(args, 'cluster|delslotsrange'), false);
}

export function clusterFlushslotsCommand(c: Client): Reply {
  const cl = clusterOf(c);
  if (c.server.dbs[0]!.size !== 0) throw new RespError('ERR DB must be empty to perform CLUSTER FLUSHSLOTS.');
  cl.state.slots.replaceOwner(cl.myself, null);
  cl.state.clearOpenSlots();
  cl.configChanged();
  return OK;
}

/**
 * CLUSTER SETSLOT <slot> IMPORTING <id> | MIGRATING <id> | STABLE | NODE <id>,
 * with Redis's checks in Redis's order. NODE on the importing node bumps its
 * configEpoch without consensus and broadcasts the new owner at once; a
 * master that hands away its last slot becomes a replica of the receiver.
 */
export function clusterSetslotCommand(c: Client, args: string[]): Reply {
  const cl = clusterOf(c);
  const st = cl.state;
  const me = cl.myself;
  if (me.isReplica) throw new RespError('ERR Please use SETSLOT only with masters.');
  const slot = slotArg(args[2]!);
  const action = args[3]!.toLowerCase();
  const db = c.server.dbs[0]!;
  if (action === 'migrating' && args.length === 5) {
    if (st.slots.get(slot) !== me) throw new RespError(`ERR I'm not the owner of hash slot ${slot}`);
    const n = nodeById(cl, args[4]!);
    if (!n) throw new RespError(`ERR I don't know about node ${args[4]}`);
    if (n.isReplica) throw new RespError('ERR Target node is not a master');
    st.migratingTo.set(slot, n);
  } else if (action === 'importing' && args.length === 5) {
    if (st.slots.get(slot) === me) throw new RespError(`ERR I'm already the owner of hash slot ${slot}`);
    const n = nodeById(cl, args[4]!);
    if (!n) throw new RespError(`ERR I don't know about node ${args[4]}`);
    if (n.isReplica) throw new RespError('ERR Target node is not a master');
    st.importingFrom.set(slot, n);
  } else if (action === 'stable' && args.length === 4) {
    st.importingFrom.set(slot, null);
    st.migratingTo.set(slot, null);
  } else if (action === 'node' && args.length === 5) {
    const n = nodeById(cl, args[4]!);
    if (!n) throw unknownNode(args[4]!);
    if (n.isReplica) throw new RespError('ERR Target node is not a master');
    if (st.slots.get(slot) === me && n !== me && db.countInSlot(slot) !== 0) {
      throw new RespError(`ERR Can't assign hashslot ${slot} to a different node while I still hold keys for this hash slot.`);
    }
    if (db.countInSlot(slot) === 0 && st.migratingTo.get(slot) !== null) st.migratingTo.set(slot, null);
    const wasMine = st.slots.get(slot) === me;
    st.slots.set(slot, n);
    if (wasMine && n !== me && st.slots.slotsOf(me).length === 0 && c.server.config.getBool('cluster-allow-replica-migration')) {
      cl.setMaster(n);
    }
    if (n === me && st.importingFrom.get(slot) !== null) {
      cl.bumpEpochWithoutConsensus();
      st.importingFrom.set(slot, null);
    }
  } else {
    throw new RespError('ERR Invalid CLUSTER SETSLOT action or number of arguments. Try CLUSTER HELP');
  }
  cl.configChanged();
  return OK;
}

export function clusterMeetCommand(c: Client, args: string[]): Reply {
  const cl = clusterOf(c);
  if (args.length !== 4 && args.length !== 5) throw new WrongArityError('cluster|meet');
  const port = parseLong(args[3]!);
  if (port === undefined) throw new RespError(`ERR Invalid TCP base port specified: ${args[3]}`);
  let cport = port + 10000;
  if (args.length === 5) {
    const p = parseLong(args[4]!);
    if (p === undefined) throw new RespError(`ERR Invalid TCP bus port specified: ${args[4]}`);
    cport = p;
  }
  const ip = args[2]!;
  if (!isIp(ip) || port <= 0 || port > 65535 || cport <= 0 || cport > 65535) {
    throw new RespError(`ERR Invalid node address specified: ${ip}:${args[3]}`);
  }
  cl.meet(ip, port, cport);
  return OK;
}

export function clusterForgetCommand(c: Client, args: string[]): Reply {
  const cl = clusterOf(c);
  const n = nodeById(cl, args[2]!);
  if (!n) throw unknownNode(args[2]!);
  if (n === cl.myself) throw new RespError("ERR I tried hard but I can't forget myself...");
  if (cl.myself.isReplica && cl.myself.master === n) throw new RespError("ERR Can't forget my master!");
  cl.forget(n);
  return OK;
}

export function clusterResetCommand(c: Client, args: string[]): Reply {
  const cl = clusterOf(c);
  if (args.length > 3) throw new WrongArityError('cluster|reset');
  let hard = false;
  if (args.length === 3) {
    const opt = args[2]!.toLowerCase();
    if (opt === 'hard') hard = true;
    else if (opt !== 'soft') throw SYNTAX;
  }
  const db = c.server.dbs[0]!;
  if (cl.myself.isMaster && db.size !== 0) throw new RespError("ERR CLUSTER RESET can't be called with master nodes containing keys");
  if (cl.myself.isReplica) db.flush();
  cl.reset(hard);
  return OK;
}

export function clusterReplicateCommand(c: Client, args: string[]): Reply {
  const cl = clusterOf(c);
  const n = nodeById(cl, args[2]!);
  if (!n) throw unknownNode(args[2]!);
  if (n === cl.myself) throw new RespError("ERR Can't replicate myself");
  if (n.isReplica) throw new RespError('ERR I can only replicate a master, not a replica.');
  if (cl.myself.isMaster && (cl.state.slots.slotsOf(cl.myself).length !== 0 || c.server.dbs[0]!.size !== 0)) {
    throw new RespError('ERR To set a master the node must be empty and without assigned slots.');
  }
  cl.setMaster(n);
  cl.configChanged();
  return OK;
}

export function clusterReplicasCommand(c: Client, args: string[]): Reply {
  const cl = clusterOf(c);
  const n = nodeById(cl, args[2]!);
  if (!n) throw unknownNode(args[2]!);
  if (n.isReplica) throw new RespError('ERR The specified node is not a master');
  const now = c.server.clock.now();
  return cl.state.replicasOf(n).map((r) => nodeLine(cl.state, r, cl.isLinked, now));
}

export function clusterCountFailureReportsCommand(c: Client, args: string[]): Reply {
  const cl = clusterOf(c);
  if (!nodeById(cl, args[2]!)) throw unknownNode(args[2]!);
  // Failure reports arrive with failure detection (a later issue): none yet.
  return 0;
}

export function clusterBumpepochCommand(c: Client): Reply {
  const cl = clusterOf(c);
  const bumped = cl.bumpEpochWithoutConsensus();
  if (bumped) cl.configChanged();
  return new SimpleString(`${bumped ? 'BUMPED' : 'STILL'} ${cl.myself.configEpoch}`);
}

export function clusterSetConfigEpochCommand(c: Client, args: string[]): Reply {
  const cl = clusterOf(c);
  const epoch = parseLong(args[2]!);
  if (epoch === undefined) throw NOT_INTEGER;
  if (epoch < 0) throw new RespError(`ERR Invalid config epoch specified: ${args[2]}`);
  if (cl.state.nodes.size > 1) throw new RespError('ERR The user can assign a config epoch only when the node does not know any other node.');
  if (cl.myself.configEpoch !== 0) throw new RespError('ERR Node config epoch is already non-zero');
  cl.myself.configEpoch = epoch;
  if (cl.state.currentEpoch < epoch) cl.state.currentEpoch = epoch;
  cl.configChanged();
  return OK;
}

export function clusterSaveconfigCommand(c: Client): Reply {
  const cl = clusterOf(c);
  try {
    cl.saveConfig();
  } catch (err) {
    throw new RespError(`ERR error saving the cluster node config: ${(err as Error).message}`);
  }
  return OK;
}

export function clusterLinksCommand(c: Client): Reply {
  const cl = clusterOf(c);
  const out: Reply[] = [];
  const entry = (dir: string, node: ClusterNode, link: { createTime: number; socket: { writableLength: number } }): Reply => {
    const used = link.socket.writableLength;
    return new MapReply([
      'direction', dir,
      'node', node.id,
      'create-time', link.createTime,
      'events', used > 0 ? 'rw' : 'r',
      'send-buffer-allocated', used,
      'send-buffer-used', used,
    ]);
  };
  for (const n of cl.state.nodes.values()) {
    if (n.isMyself) continue;
    const to = cl.links.get(n);
    if (to && to.connected) out.push(entry('to', n, to));
    for (const l of cl.inbound) if (l.node === n && !l.closed) out.push(entry('from', n, l));
  }
  return out;
}

/** CLUSTER FAILOVER: without replication only TAKEOVER semantics exist (claim the master's slots now). */
export function clusterFailoverCommand(c: Client, args: string[]): Reply {
  const cl = clusterOf(c);
  if (args.length > 3) throw new SubcommandSyntaxError('cluster', args[1]!);
  if (args.length === 3) {
    const opt = args[2]!.toLowerCase();
    if (opt !== 'force' && opt !== 'takeover') throw SYNTAX;
  }
  const me = cl.myself;
  if (me.isMaster) throw new RespError('ERR You should send CLUSTER FAILOVER to a replica');
  const master = me.master;
  if (!master) throw new RespError("ERR I'm a replica but my master is unknown to me");
  cl.state.currentEpoch++;
  me.configEpoch = cl.state.currentEpoch;
  me.flags = (me.flags & ~NODE_FLAGS.slave) | NODE_FLAGS.master;
  me.master = null;
  for (const s of cl.state.slots.slotsOf(master)) cl.state.slots.set(s, me);
  cl.configChanged();
  return OK;
}

/*-----------------------------------------------------------------------------
 * Connection flags and key migration
 *----------------------------------------------------------------------------*/

export function askingCommand(c: Client): Reply {
  clusterOf(c);
  c.asking = true;
  return OK;
}

export function readonlyCommand(c: Client): Reply {
  clusterOf(c);
  c.readonlyMode = true;
  return OK;
}

export function readwriteCommand(c: Client): Reply {
  clusterOf(c);
  c.readonlyMode = false;
  return OK;
}

/** MIGRATE: see ../cluster/migrate.ts. Blocks the client until the target answered. */
export function migrateCommand(c: Client, args: string[]): Reply | typeof BLOCKED {
  return migrateImpl(c, args);
}

/** RESTORE-ASKING: RESTORE, flagged `asking` so an importing node accepts it without ASKING. */
export function restoreAskingCommand(c: Client, args: string[]): Reply {
  return restoreCommand(c, args);
}


export const CLUSTER_HANDLERS: HandlerTable = {
  'cluster|help': clusterHelpCommand,
  'cluster|myid': clusterMyidCommand,
  'cluster|myshardid': clusterMyshardidCommand,
  'cluster|nodes': clusterNodesCommand,
  'cluster|slots': clusterSlotsCommand,
  'cluster|shards': clusterShardsCommand,
  'cluster|info': clusterInfoCommand,
  'cluster|keyslot': clusterKeyslotCommand,
  'cluster|countkeysinslot': clusterCountkeysinslotCommand,
  'cluster|getkeysinslot': clusterGetkeysinslotCommand,
  'cluster|addslots': clusterAddslotsCommand,
  'cluster|addslotsrange': clusterAddslotsrangeCommand,
  'cluster|delslots': clusterDelslotsCommand,
  'cluster|delslotsrange': clusterDelslotsrangeCommand,
  'cluster|flushslots': clusterFlushslotsCommand,
  'cluster|setslot': clusterSetslotCommand,
  'cluster|meet': clusterMeetCommand,
  'cluster|forget': clusterForgetCommand,
  'cluster|reset': clusterResetCommand,
  'cluster|replicate': clusterReplicateCommand,
  'cluster|replicas': clusterReplicasCommand,
  'cluster|slaves': clusterReplicasCommand,
  'cluster|count-failure-reports': clusterCountFailureReportsCommand,
  'cluster|bumpepoch': clusterBumpepochCommand,
  'cluster|set-config-epoch': clusterSetConfigEpochCommand,
  'cluster|saveconfig': clusterSaveconfigCommand,
  'cluster|links': clusterLinksCommand,
  'cluster|failover': clusterFailoverCommand,
  asking: askingCommand,
  readonly: readonlyCommand,
  readwrite: readwriteCommand,
  migrate: migrateCommand,
  'restore-asking': restoreAskingCommand,
};
