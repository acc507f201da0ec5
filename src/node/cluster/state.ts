/**
 * What a node knows about the cluster (Redis's clusterState / clusterNode):
 * the nodes it knows, who serves each slot, which slots are being migrated
 * or imported, and the two epochs.
 *
 * Epochs. `currentEpoch` is the cluster-wide logical clock (the highest
 * epoch seen anywhere); each master's `configEpoch` versions its claim on its
 * slots: when two masters claim a slot, the claim with the higher configEpoch
 * wins (see `Cluster.#updateSlotsFrom`). Two masters with the same
 * configEpoch are separated by `handleConfigEpochCollision`.
 *
 * The slot table is this node's view. Nodes print it in CLUSTER NODES/SLOTS
 * and route with it; a node's own slots are the entries pointing at myself.
 */
import { createHash, randomBytes } from 'node:crypto';
import { SlotMap, type SlotRange } from '../../router/slot-map.js';
import { SLOT_COUNT } from '../../router/slot.js';

/** Node flags, in the order CLUSTER NODES prints them. */
export const NODE_FLAGS = {
  myself: 1,
  master: 2,
  slave: 4,
  pfail: 8,
  fail: 16,
  handshake: 32,
  noaddr: 64,
  nofailover: 512,
} as const;

const FLAG_NAMES: [number, string][] = [
  [NODE_FLAGS.myself, 'myself'],
  [NODE_FLAGS.master, 'master'],
  [NODE_FLAGS.slave, 'slave'],
  [NODE_FLAGS.pfail, 'fail?'],
  [NODE_FLAGS.fail, 'fail'],
  [NODE_FLAGS.handshake, 'handshake'],
  [NODE_FLAGS.noaddr, 'noaddr'],
  [NODE_FLAGS.nofailover, 'nofailover'],
];

/** `myself,master`; `noflags` when none is set. */
export function flagsToString(flags: number): string {
  let out = '';
  for (const [bit, name] of FLAG_NAMES) {
    if (flags & bit) out += (out === '' ? '' : ',') + name;
  }
  return out === '' ? 'noflags' : out;
}

/** Inverse of `flagsToString` (unknown names are ignored). */
export function flagsFromString(s: string): number {
  let flags = 0;
  for (const part of s.split(',')) {
    for (const [bit, name] of FLAG_NAMES) if (name === part) flags |= bit;
  }
  return flags;
}

/** A random 40-hex-digit node id. */
export function randomNodeId(): string {
  return randomBytes(20).toString('hex');
}

/** True for a 40-character lower-case hex id. */
export function isNodeId(s: string): boolean {
  return s.length === 40 && /^[0-9a-f]{40}$/.test(s);
}

/** One node as this node sees it. */
export class ClusterNode {
  id: string;
  ip = '';
  port = 0;
  cport = 0;
  hostname = '';
  flags: number;
  /** Master of a replica, else null. */
  master: ClusterNode | null = null;
  configEpoch = 0;
  /** Unix ms of the PING we wait a PONG for, 0 if none. */
  pingSent = 0;
  /** Unix ms of the last PONG. */
  pongReceived = 0;
  /** Unix ms of the last message of any kind from this node. */
  dataReceived = 0;
  /** Creation time (unix ms), for handshake timeouts. */
  ctime: number;
  /** Replication offset the node advertises (0 until replication exists). */
  replOffset = 0;

  constructor(id: string, flags: number, now: number) {
    this.id = id;
    this.flags = flags;
    this.ctime = now;
  }

  get isMaster(): boolean {
    return (this.flags & NODE_FLAGS.master) !== 0;
  }
  get isReplica(): boolean {
    return (this.flags & NODE_FLAGS.slave) !== 0;
  }
  get isMyself(): boolean {
    return (this.flags & NODE_FLAGS.myself) !== 0;
  }
  get failed(): boolean {
    return (this.flags & NODE_FLAGS.fail) !== 0;
  }

  /** Shard id: stable per master and shared by its replicas (CLUSTER MYSHARDID / SHARDS). */
  get shardId(): string {
    const head = this.master ?? this;
    return createHash('sha1').update('shardis-shard:' + head.id).digest('hex');
  }
}

/** Slots 0-16383, for changes that apply to every slot. */
export const EVERY_SLOT: SlotRange = { start: 0, end: SLOT_COUNT - 1 };

/** The whole view. */
export class ClusterState {
  readonly myself: ClusterNode;
  readonly nodes = new Map<string, ClusterNode>();
  /** Who serves each slot. */
  readonly slots: SlotMap<ClusterNode>;
  /** On a slot's owner: the node the slot is migrating to (CLUSTER SETSLOT MIGRATING). */
  readonly migratingTo: SlotMap<ClusterNode>;
  /** On the target: the node a slot is importing from (CLUSTER SETSLOT IMPORTING). */
  readonly importingFrom: SlotMap<ClusterNode>;
  /** Bumped by every change to `slots`, `migratingTo` or `importingFrom` (see `servedHere`). */
  #routeVersion = 1;
  /** Per slot: the `#routeVersion` at which `servedHere` last found the slot served here. */
  readonly #servedAt = new Float64Array(SLOT_COUNT);
  currentEpoch = 0;
  lastVoteEpoch = 0;
  /** Forgotten node ids → unix ms until which gossip about them is ignored. */
  readonly blacklist = new Map<string, number>();

  constructor(myself: ClusterNode) {
    this.myself = myself;
    this.nodes.set(myself.id, myself);
    const changed = (): void => {
      this.#routeVersion++;
    };
    this.slots = new SlotMap(changed);
    this.migratingTo = new SlotMap(changed);
    this.importingFrom = new SlotMap(changed);
  }

  /**
   * True if myself serves `slot` and the slot is neither migrating nor
   * importing: the router's common case, in which a command is simply run
   * here. Asked for every keyed command, so the answer is memoised per slot
   * with the version of the three slot tables at which it was found; any
   * change to any slot's owner or marks bumps the version and so voids
   * every memo at once. (`myself` is fixed for the state's lifetime.) A
   * memo hit reads this object and one entry of `#servedAt`, where the
   * full test reads the three tables and the owner.
   */
  servedHere(slot: number): boolean {
    const v = this.#routeVersion;
    if (this.#servedAt[slot] === v) return true;
    if (this.slots.get(slot) !== this.myself || this.migratingTo.get(slot) !== null || this.importingFrom.get(slot) !== null) return false;
    this.#servedAt[slot] = v;
    return true;
  }

  /** Closes every open slot: no MIGRATING or IMPORTING mark is left (CLUSTER RESET, FLUSHSLOTS, becoming a replica). */
  clearOpenSlots(): void {
    this.migratingTo.setRange(EVERY_SLOT, null);
    this.importingFrom.setRange(EVERY_SLOT, null);
  }

  addNode(n: ClusterNode): void {
    this.nodes.set(n.id, n);
  }

  /** Drops a node: its slots become unassigned, open slots towards it close, replicas lose it. */
  removeNode(n: ClusterNode): void {
    this.nodes.delete(n.id);
    this.slots.replaceOwner(n, null);
    this.migratingTo.replaceOwner(n, null);
    this.importingFrom.replaceOwner(n, null);
    for (const other of this.nodes.values()) if (other.master === n) other.master = null;
  }

  /** Renames a node (a handshake node learns its real id). */
  renameNode(n: ClusterNode, id: string): void {
    this.nodes.delete(n.id);
    n.id = id;
    this.nodes.set(id, n);
  }

  /** The largest configEpoch of any known node (Redis's clusterGetMaxEpoch, with currentEpoch). */
  maxEpoch(): number {
    let max = this.currentEpoch;
    for (const n of this.nodes.values()) if (n.configEpoch > max) max = n.configEpoch;
    return max;
  }

  /** Number of masters serving at least one slot (cluster_size). */
  size(): number {
    const owners = new Set<ClusterNode>();
    for (const r of this.slots.ownerRanges()) owners.add(r.owner);
    let n = 0;
    for (const o of owners) if (o.isMaster) n++;
    return n;
  }

  /** Replicas of `master`, in table order. */
  replicasOf(master: ClusterNode): ClusterNode[] {
    const out: ClusterNode[] = [];
    for (const n of this.nodes.values()) if (n.master === master && n.isReplica) out.push(n);
    return out;
  }
}
