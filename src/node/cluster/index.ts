/**
 * The cluster subsystem of a node (`cluster-enabled yes`): state, config
 * file, the bus, and routing. Installed as `server.cluster` by Server.start.
 *
 * Bus algorithm (a small Redis cluster bus):
 * - Every node keeps one outbound link to each known node and answers on
 *   inbound links. A cron every 100 ms (re)connects links and sends a PING to
 *   each node it has not pinged for a second; the peer answers PONG. Both
 *   carry the sender's id, address, flags, epochs, master, slot bitmap and
 *   gossip about up to 3 other nodes (nodes learn of each other this way).
 * - CLUSTER MEET creates a handshake node for the address; its link sends
 *   MEET, the receiver adds the sender, and the PONG tells us the real id.
 * - Any change of slots, epochs or roles is broadcast at once (a PONG to
 *   every linked node), so SETSLOT/ADDSLOTS reach every node within one
 *   round trip instead of a ping period.
 * - Slot claims: a master's claim on a slot wins if the slot is unassigned
 *   or its current owner's configEpoch is lower (Redis's
 *   clusterUpdateSlotsConfigWith); a master that loses its last slot to
 *   another becomes that node's replica. Two masters with the same
 *   configEpoch: the one with the smaller id takes currentEpoch+1
 *   (clusterHandleConfigEpochCollision).
 * - A PING unanswered for cluster-node-timeout flags the node `fail?`
 *   (PFAIL). FAIL agreement and failover come later; the bus reserves their
 *   message types.
 * - PUBLISH reaches the whole cluster, as in Redis: the node that runs it
 *   delivers to its own subscribers and sends one PUBLISH message on its
 *   link to every other known node, which delivers it to its subscribers
 *   and relays it no further. The command's reply counts only the local
 *   receivers (Redis's too). A node whose link is down misses the message;
 *   pub/sub is fire and forget.
 * - Shard channels (SSUBSCRIBE) live on their slot's owner. The cron
 *   notices any change of the slot table and unsubscribes, with a
 *   `sunsubscribe` push, the clients of channels whose slot this node (or,
 *   on a replica, its master) no longer serves, so they follow the slot.
 */
import { createServer, connect, type Server as NetServer, type Socket } from 'node:net';
import { isAbsolute, join } from 'node:path';
import type { CommandSpec } from '../../router/command-spec.js';
import { lookupCommand } from '../../router/command-table.js';
import { LOCAL, ROUTE_HAS_KEYS, routeCommand, routeFlags, routeTransaction, type RouteContext, type RouteDecision, type RoutedCommand, type SlotState } from '../../router/route.js';
import type { SlotMap } from '../../router/slot-map.js';
import { keySlot, SLOT_COUNT } from '../../router/slot.js';
import type { Client } from '../client.js';
import { AskError, ClusterDownError, CrossSlotError, MovedError, RespError, TryAgainError } from '../errors.js';
import type { Server } from '../server.js';
import {
  bitmapHas,
  BusProtocolError,
  encodeMessage,
  FrameReader,
  MSG,
  MSG_TYPE_COUNT,
  packSlots,
  type BusMessage,
  type GossipEntry,
  type Heartbeat,
  type PublishMessage,
} from './bus.js';
import { dropShardChannels, publish } from '../commands/pubsub.js';
import { transferLockError } from './chunked-transfer.js';
import { slotBitmapOf, type BusStats } from './describe.js';
import { formatNodesConf, readNodesConf, writeNodesConf, writeNodesConfAsync } from './nodes-conf.js';
import { ClusterNode, ClusterState, EVERY_SLOT, isNodeId, NODE_FLAGS, randomNodeId } from './state.js';

const CRON_MS = 100;
const PING_PERIOD_MS = 1000;
const RECONNECT_MS = 500;
const BLACKLIST_TTL_MS = 60_000;
const GOSSIP_COUNT = 3;
/** Config saves wait this long so a burst of changes (a reshard) costs one write. */
const SAVE_DELAY_MS = 20;

/** One bus connection. */
export class BusLink {
  readonly createTime: number;
  readonly reader = new FrameReader();
  node: ClusterNode | undefined;
  connected = false;
  closed = false;
  /** Handshake links send MEET instead of PING. */
  meet = false;
  lastPing = 0;
  /** Frames sent since the last flush are written together once the current event-loop turn's I/O is done. */
  #corked = false;

  constructor(
    readonly socket: Socket,
    readonly direction: 'to' | 'from',
    now: number,
  ) {
    this.createTime = now;
  }

  /**
   * Queues `buf` on the socket. Writes are corked until the event loop has
   * run this turn's I/O callbacks (setImmediate; a nextTick would run after
   * each client's read), so the frames of a burst (one PUBLISH relayed per
   * client command) leave in one writev instead of one syscall each.
   */
  send(buf: Buffer): void {
    if (this.closed) return;
    if (!this.#corked) {
      this.#corked = true;
      this.socket.cork();
      setImmediate(() => {
        this.#corked = false;
        this.socket.uncork();
      });
    }
    this.socket.write(buf);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.connected = false;
    this.socket.destroy();
  }
}

export class Cluster {
  readonly server: Server;
  state!: ClusterState;
  readonly stats: BusStats = { sent: new Array(MSG_TYPE_COUNT).fill(0), received: new Array(MSG_TYPE_COUNT).fill(0) };
  /** cluster_state:ok. */
  ok = false;
  readonly configPath: string;
  /** Outbound link per node. */
  readonly links = new Map<ClusterNode, BusLink>();
  readonly inbound = new Set<BusLink>();
  #listener: NetServer | undefined;
  #cron: NodeJS.Timeout | undefined;
  #lastConnectTry = new Map<ClusterNode, number>();
  #broadcastScheduled = false;
  #saveRunning = false;
  #saveTimer: NodeJS.Timeout | undefined;
  #broadcastSig = '';
  #saveAgain = false;
  #savePromise: Promise<void> = Promise.resolve();
  #savedEpochs = '';
  #ctx: MutableRouteContext;
  /** Packed slot bitmaps per node, with the slot-table version they were made at. */
  readonly #packed = new Map<ClusterNode, { map: SlotMap<ClusterNode>; version: number; bits: Uint8Array }>();
  /** The slot table the shard channels were last checked against, and its version then (`#dropMovedShardChannels`). */
  #shardCheck: { map: SlotMap<ClusterNode>; version: number } | undefined;
  #slotState = { owner: null as string | null, migratingTo: null as string | null, importingFrom: null as string | null };
  /** Extra hooks (MIGRATE's connection cache) to close on shutdown. */
  readonly closeHooks: (() => void)[] = [];

  constructor(server: Server) {
    this.server = server;
    const file = server.config.getString('cluster-config-file');
    this.configPath = isAbsolute(file) ? file : join(server.config.getString('dir'), file);
    this.#ctx = this.#makeContext();
  }

  get now(): number {
    return this.server.clock.now();
  }

  get myself(): ClusterNode {
    return this.state.myself;
  }

  /** Loads nodes.conf, or creates a new identity (a master with no slots). */
  load(): void {
    const loaded = readNodesConf(this.configPath, this.now);
    if (loaded) {
      this.state = loaded;
      this.server.log('notice', `Node configuration loaded, I'm ${loaded.myself.id}`);
    } else {
      const me = new ClusterNode(randomNodeId(), NODE_FLAGS.myself | NODE_FLAGS.master, this.now);
      this.state = new ClusterState(me);
      this.server.log('notice', `No cluster configuration found, I'm ${me.id}`);
    }
  }

  /** Base port plus 10000 unless `cluster-port` is set. */
  busPort(): number {
    const p = this.server.config.getNumber('cluster-port');
    return p !== 0 ? p : this.server.port + 10000;
  }

  /** After the client listener is up: fixes my address, opens the bus, starts the cron. */
  async start(): Promise<void> {
    const cfg = this.server.config;
    const me = this.myself;
    const cport = this.busPort();
    if (cport > 65535) throw new Error(`Cannot start the cluster bus as port ${this.server.port}+10000 is above 65535: set cluster-port`);
    me.port = cfg.getNumber('cluster-announce-port') || this.server.port;
    me.cport = cfg.getNumber('cluster-announce-bus-port') || cport;
    me.hostname = cfg.getString('cluster-announce-hostname');
    const announceIp = cfg.getString('cluster-announce-ip');
    if (announceIp !== '') me.ip = announceIp;
    const binds = cfg.get('bind') as string[];
    const srv = createServer({ noDelay: true }, (s) => this.#accept(s));
    await new Promise<void>((resolve, reject) => {
      srv.once('error', (err: NodeJS.ErrnoException) =>
        reject(new Error(err.code === 'EADDRINUSE' ? `Cannot listen on the cluster bus port ${cport} as it is already in use` : `Cannot listen on the cluster bus port ${cport}: ${err.message}`)),
      );
      srv.listen({ host: binds[0] ?? '127.0.0.1', port: cport }, () => resolve());
    });
    srv.on('error', (err) => this.server.log('warning', `Cluster bus listener error: ${err.message}`));
    this.#listener = srv;
    this.updateState();
    this.saveConfig();
    this.#cron = setInterval(() => this.cron(), CRON_MS);
    this.#cron.unref();
  }

  /** Saves the config and closes every link. */
  async shutdown(): Promise<void> {
    if (this.#cron) clearInterval(this.#cron);
    this.#cron = undefined;
    if (this.#saveTimer) clearTimeout(this.#saveTimer);
    this.#saveTimer = undefined;
    // Let a background write finish first, so it cannot land after the final one.
    await this.#savePromise;
    try {
      this.saveConfig();
    } catch (err) {
      this.server.log('warning', `Cannot save the cluster config: ${(err as Error).message}`);
    }
    for (const l of this.links.values()) l.close();
    for (const l of this.inbound) l.close();
    for (const h of this.closeHooks) h();
    const srv = this.#listener;
    this.#listener = undefined;
    if (srv) await new Promise<void>((r) => srv.close(() => r()));
  }

  /** Writes nodes.conf now (atomically); fsynced when an epoch changed since the last save. */
  saveConfig(): void {
    const epochs = `${this.state.currentEpoch}/${this.myself.configEpoch}/${this.state.lastVoteEpoch}`;
    const fsync = epochs !== this.#savedEpochs;
    writeNodesConf(this.configPath, formatNodesConf(this.state, this.now), fsync);
    this.#savedEpochs = epochs;
  }

  /**
   * Saves soon without blocking: one background write at a time; changes
   * made while it runs (or within SAVE_DELAY_MS before it starts) are
   * written by one more write after it. Used for every
   * change (a file write costs milliseconds on a busy disk, and a reshard
   * changes the config thousands of times); shutdown and SAVECONFIG save
   * synchronously.
   */
  scheduleSave(): void {
    if (this.#saveRunning) {
      this.#saveAgain = true;
      return;
    }
    if (this.#saveTimer !== undefined) return;
    this.#saveTimer = setTimeout(() => {
      this.#saveTimer = undefined;
      this.#saveNow();
    }, SAVE_DELAY_MS);
  }

  #saveNow(): void {
    this.#saveRunning = true;
    const epochs = `${this.state.currentEpoch}/${this.myself.configEpoch}/${this.state.lastVoteEpoch}`;
    const fsync = epochs !== this.#savedEpochs;
    this.#savedEpochs = epochs;
    this.#savePromise = writeNodesConfAsync(this.configPath, formatNodesConf(this.state, this.now), fsync).then(
      () => this.#saveDone(),
      (err: Error) => {
        this.server.log('warning', `Cannot save the cluster config: ${err.message}`);
        this.#saveDone();
      },
    );
  }

  #saveDone(): void {
    this.#saveRunning = false;
    if (this.#saveAgain && this.#cron !== undefined) {
      this.#saveAgain = false;
      this.scheduleSave();
    }
  }

  /**
   * A local change of slots/epochs/roles: save, recompute the state, and if
   * what the others must know changed (my epochs, role, or my slots), tell
   * everyone now. Open-slot states (IMPORTING/MIGRATING) are local only.
   */
  configChanged(): void {
    this.scheduleSave();
    this.updateState();
    const me = this.myself;
    const sig = `${this.state.currentEpoch}/${me.configEpoch}/${me.flags}/${me.master?.id ?? ''}/${this.state.slots.countOf(me)}/${this.state.nodes.size}`;
    if (sig !== this.#broadcastSig) {
      this.#broadcastSig = sig;
      this.scheduleBroadcast();
    }
  }

  scheduleBroadcast(): void {
    if (this.#broadcastScheduled) return;
    this.#broadcastScheduled = true;
    setImmediate(() => {
      this.#broadcastScheduled = false;
      for (const l of this.links.values()) if (l.connected && !l.meet) this.#sendHeartbeat(l, MSG.pong);
    });
  }

  /**
   * Sends a PUBLISH run here to every other known node (see the header).
   * Encoded once; nodes still in handshake or without a connected link are
   * skipped.
   */
  propagatePublish(channel: string, message: string): void {
    let frame: Buffer | undefined;
    for (const [n, link] of this.links) {
      if (!link.connected || link.meet || link.closed || n.flags & NODE_FLAGS.handshake) continue;
      frame ??= encodeMessage({ type: MSG.publish, id: this.myself.id, channel, message });
      link.send(frame);
      this.stats.sent[MSG.publish]!++;
    }
  }

  /** cluster_state: ok unless (with full coverage required) a slot is unassigned or its owner failed. */
  updateState(): void {
    let ok = true;
    if (this.server.config.getBool('cluster-require-full-coverage')) {
      // O(masters), from the slot table's incremental counts: this runs every cron tick.
      const slots = this.state.slots;
      if (slots.assignedCount() !== SLOT_COUNT) ok = false;
      else {
        for (const o of slots.owners()) {
          if (o.failed) {
            ok = false;
            break;
          }
        }
      }
    }
    if (ok !== this.ok) this.server.log('notice', `Cluster state changed: ${ok ? 'ok' : 'fail'}`);
    this.ok = ok;
  }

  /** Whether `n` has a live outbound link. */
  isLinked = (n: ClusterNode): boolean => {
    const l = this.links.get(n);
    return l !== undefined && l.connected;
  };

  // ---------------------------------------------------------------------------
  // Routing
  // ---------------------------------------------------------------------------

  #makeContext(): MutableRouteContext {
    const ctx: MutableRouteContext = {
      myId: '',
      myMaster: null,
      clusterOk: false,
      allowReadsWhenDown: false,
      allowPubsubShardWhenDown: true,
      asking: false,
      readonly: false,
      slotState: (slot: number): SlotState => {
        const st = this.#slotState;
        st.owner = this.state.slots.get(slot)?.id ?? null;
        st.migratingTo = this.state.migratingTo.get(slot)?.id ?? null;
        st.importingFrom = this.state.importingFrom.get(slot)?.id ?? null;
        return st;
      },
      servedHere: (slot: number): boolean => this.state.servedHere(slot),
      keyExists: (key: string): boolean => this.server.dbs[0]!.has(key),
    };
    return ctx;
  }

  /**
   * The dispatcher's hook: the error to send instead of running the command,
   * or null. `flags` is `routeFlags(spec)`, which the dispatcher computed
   * once per command at startup. Runs for every command, so a command
   * without keys costs a bit test and a keyed one a slot lookup; nothing is
   * allocated unless the command is refused.
   */
  route(c: Client, spec: CommandSpec, args: string[], flags: number = routeFlags(spec)): RespError | null {
    let d: RouteDecision;
    if ((flags & ROUTE_HAS_KEYS) === 0) {
      if (spec.name === 'select') {
        const id = Number(args[1]);
        if (/^-?\d+$/.test(args[1]!) && id !== 0) return SELECT_NOT_ALLOWED;
        return null;
      }
      if (spec.name !== 'exec' || c.multi === null) return null;
      const queued: RoutedCommand[] = [];
      for (const q of c.multi) {
        const s = resolveSpec(q.args);
        if (s) queued.push({ spec: s, args: q.args });
      }
      d = routeTransaction(this.fillContext(c), queued);
    } else d = routeCommand(this.fillContext(c), spec, args, flags);
    // A write to a key in chunked MIGRATE from here: -TRYAGAIN (./chunked-transfer.ts).
    return d === LOCAL ? transferLockError(c, spec, args) : this.render(d);
  }

  /** The routing context for one decision about client `c`'s command. */
  private fillContext(c: Client): MutableRouteContext {
    const ctx = this.#ctx;
    const me = this.state.myself;
    ctx.myId = me.id;
    ctx.myMaster = me.isReplica ? (me.master?.id ?? null) : null;
    ctx.clusterOk = this.ok;
    // Only consulted while the cluster is down: no config lookup per command otherwise.
    ctx.allowReadsWhenDown = !this.ok && this.server.config.getBool('cluster-allow-reads-when-down');
    ctx.allowPubsubShardWhenDown = this.ok || this.server.config.getBool('cluster-allow-pubsubshard-when-down');
    ctx.asking = c.asking;
    ctx.readonly = c.readonlyMode;
    return ctx;
  }

  /** Turns a routing decision into the error Redis would send (null for local). */
  render(d: RouteDecision): RespError | null {
    switch (d.kind) {
      case 'local':
        return null;
      case 'moved': {
        const n = this.state.nodes.get(d.node);
        return new MovedError(d.slot, n?.ip ?? '', n?.port ?? 0);
      }
      case 'ask': {
        const n = this.state.nodes.get(d.node);
        return new AskError(d.slot, n?.ip ?? '', n?.port ?? 0);
      }
      case 'cross-slot':
        return CROSS_SLOT_ERR;
      case 'try-again':
        return TRY_AGAIN_ERR;
      case 'cluster-down':
        return d.reason === 'unbound' ? DOWN_UNBOUND : d.reason === 'down' ? DOWN_STATE : DOWN_READONLY;
    }
  }

  // ---------------------------------------------------------------------------
  // Membership operations used by CLUSTER commands
  // ---------------------------------------------------------------------------

  /** CLUSTER MEET: starts a handshake with `ip:port@cport`. */
  meet(ip: string, port: number, cport: number): void {
    for (const n of this.state.nodes.values()) {
      if (n.flags & NODE_FLAGS.handshake && n.ip === ip && n.port === port && n.cport === cport) return;
    }
    const n = new ClusterNode(randomNodeId(), NODE_FLAGS.handshake | NODE_FLAGS.master, this.now);
    n.ip = ip;
    n.port = port;
    n.cport = cport;
    this.state.addNode(n);
    this.#connect(n, true);
  }

  /** CLUSTER FORGET: drops the node and ignores gossip about it for a minute. */
  forget(n: ClusterNode): void {
    this.#dropNode(n);
    this.state.blacklist.set(n.id, this.now + BLACKLIST_TTL_MS);
    this.configChanged();
  }

  #dropNode(n: ClusterNode): void {
    this.#packed.delete(n);
    this.links.get(n)?.close();
    this.links.delete(n);
    for (const l of this.inbound) if (l.node === n) l.node = undefined;
    this.state.removeNode(n);
  }

  /** CLUSTER RESET: forget everyone, drop slots; HARD also takes a new id and zeroes the epochs. */
  reset(hard: boolean): void {
    const me = this.myself;
    this.state.slots.setRange(EVERY_SLOT, null);
    this.state.clearOpenSlots();
    for (const n of [...this.state.nodes.values()]) if (n !== me) this.#dropNode(n);
    me.flags = NODE_FLAGS.myself | NODE_FLAGS.master;
    me.master = null;
    if (hard) {
      this.state.currentEpoch = 0;
      this.state.lastVoteEpoch = 0;
      me.configEpoch = 0;
      this.state.renameNode(me, randomNodeId());
    }
    this.configChanged();
  }

  /** Makes myself a replica of `master` (CLUSTER REPLICATE, or losing my last slot). */
  setMaster(master: ClusterNode): void {
    const me = this.myself;
    me.flags = (me.flags & ~NODE_FLAGS.master) | NODE_FLAGS.slave;
    me.master = master;
    this.state.clearOpenSlots();
  }

  /**
   * Bumps my configEpoch to a new unique value if it is 0 or not already the
   * cluster's largest (clusterBumpConfigEpochWithoutConsensus). Returns true
   * if it changed.
   */
  bumpEpochWithoutConsensus(): boolean {
    const max = this.state.maxEpoch();
    const me = this.myself;
    if (me.configEpoch === 0 || me.configEpoch !== max) {
      this.state.currentEpoch++;
      me.configEpoch = this.state.currentEpoch;
      this.server.log('notice', `New configEpoch set to ${me.configEpoch}`);
      return true;
    }
    return false;
  }

  // ---------------------------------------------------------------------------
  // Links
  // ---------------------------------------------------------------------------

  #accept(socket: Socket): void {
    const link = new BusLink(socket, 'from', this.now);
    link.connected = true;
    this.inbound.add(link);
    this.#wire(link);
  }

  #connect(n: ClusterNode, meet: boolean): void {
    if (n.ip === '' || n.cport === 0) return;
    this.#lastConnectTry.set(n, this.now);
    const socket = connect({ host: n.ip, port: n.cport, noDelay: true });
    const link = new BusLink(socket, 'to', this.now);
    link.node = n;
    link.meet = meet;
    this.links.set(n, link);
    socket.once('connect', () => {
      link.connected = true;
      this.#sendHeartbeat(link, link.meet ? MSG.meet : MSG.ping);
    });
    this.#wire(link);
  }

  #wire(link: BusLink): void {
    const s = link.socket;
    s.setNoDelay(true);
    s.on('data', (chunk: Buffer) => {
      if (link.closed) return;
      let msgs: BusMessage[];
      try {
        msgs = link.reader.push(chunk);
      } catch (err) {
        if (err instanceof BusProtocolError) this.server.log('warning', `Closing cluster bus link ${s.remoteAddress}:${s.remotePort}: ${err.message}`);
        this.#closeLink(link);
        return;
      }
      for (const m of msgs) {
        if (link.closed) return;
        this.#process(link, m);
      }
    });
    s.on('error', () => this.#closeLink(link));
    s.on('close', () => this.#closeLink(link));
  }

  #closeLink(link: BusLink): void {
    link.close();
    if (link.direction === 'from') this.inbound.delete(link);
    else if (link.node && this.links.get(link.node) === link) this.links.delete(link.node);
  }

  /**
   * `n`'s slots as the bus bitmap, recomputed only when the slot table
   * changed since the last call for `n` (heartbeats go out several times a
   * second and the table rarely changes). The result is shared: read only.
   */
  #packedSlotsOf(n: ClusterNode): Uint8Array {
    const slots = this.state.slots;
    const hit = this.#packed.get(n);
    if (hit !== undefined && hit.map === slots && hit.version === slots.version) return hit.bits;
    const bits = packSlots(slotBitmapOf(this.state, n));
    this.#packed.set(n, { map: slots, version: slots.version, bits });
    return bits;
  }

  #heartbeat(type: typeof MSG.ping | typeof MSG.pong | typeof MSG.meet): Heartbeat {
    const me = this.myself;
    const gossip: GossipEntry[] = [];
    const candidates = [...this.state.nodes.values()].filter((n) => n !== me && !(n.flags & NODE_FLAGS.handshake) && n.ip !== '');
    for (let i = 0; i < GOSSIP_COUNT && candidates.length > 0; i++) {
      const j = Math.floor(Math.random() * candidates.length);
      const n = candidates.splice(j, 1)[0]!;
      gossip.push({ id: n.id, ip: n.ip, port: n.port, cport: n.cport, flags: n.flags, pingSent: n.pingSent, pongReceived: n.pongReceived });
    }
    return {
      type,
      id: me.id,
      currentEpoch: this.state.currentEpoch,
      configEpoch: me.isReplica && me.master ? me.master.configEpoch : me.configEpoch,
      replOffset: me.replOffset,
      flags: me.flags & ~NODE_FLAGS.myself,
      port: me.port,
      cport: me.cport,
      ip: this.server.config.getString('cluster-announce-ip'),
      hostname: me.hostname,
      masterId: me.isReplica && me.master ? me.master.id : null,
      slots: this.#packedSlotsOf(me.isReplica && me.master ? me.master : me),
      gossip,
      extensions: [],
    };
  }

  #sendHeartbeat(link: BusLink, type: typeof MSG.ping | typeof MSG.pong | typeof MSG.meet): void {
    if (link.closed) return;
    link.send(encodeMessage(this.#heartbeat(type)));
    this.stats.sent[type]!++;
    if (type !== MSG.pong && link.node) {
      link.lastPing = this.now;
      if (link.node.pingSent === 0) link.node.pingSent = this.now;
    }
  }

  // ---------------------------------------------------------------------------
  // Message processing
  // ---------------------------------------------------------------------------

  #process(link: BusLink, msg: BusMessage): void {
    if (msg.type < MSG_TYPE_COUNT) this.stats.received[msg.type]!++;
    if (msg.type === MSG.publish) {
      // Only from a node we know (Redis ignores PUBLISH from unknown senders).
      const p = msg as PublishMessage;
      const from = this.state.nodes.get(p.id);
      if (from !== undefined && from !== this.myself && !(from.flags & NODE_FLAGS.handshake)) publish(this.server, p.channel, p.message);
      return;
    }
    if (msg.type !== MSG.ping && msg.type !== MSG.pong && msg.type !== MSG.meet) return;
    const h = msg as Heartbeat;
    const now = this.now;
    const me = this.myself;
    let changed = false;
    if (h.id === me.id) {
      // Talking to myself (a MEET to my own address): drop the handshake node.
      if (link.node && link.node.flags & NODE_FLAGS.handshake) this.#dropNode(link.node);
      link.close();
      return;
    }
    const senderIp = h.ip !== '' ? h.ip : stripV6(link.socket.remoteAddress ?? '');
    let sender = this.state.nodes.get(h.id);
    if (sender && sender.flags & NODE_FLAGS.handshake) sender = undefined;

    if (h.type === MSG.ping || h.type === MSG.meet) {
      if ((h.type === MSG.meet || me.ip === '') && this.server.config.getString('cluster-announce-ip') === '') {
        const ip = stripV6(link.socket.localAddress ?? '');
        if (ip !== '' && ip !== me.ip) {
          me.ip = ip;
          changed = true;
        }
      }
      if (!sender && h.type === MSG.meet && !this.#blacklisted(h.id)) {
        sender = new ClusterNode(h.id, NODE_FLAGS.master, now);
        sender.ip = senderIp;
        sender.port = h.port;
        sender.cport = h.cport;
        this.state.addNode(sender);
        changed = true;
      }
      link.node ??= sender;
      this.#sendHeartbeat(link, MSG.pong);
    }

    // A PONG on a handshake link tells us who is there.
    if (link.direction === 'to' && link.node && link.node.flags & NODE_FLAGS.handshake) {
      const hs = link.node;
      const existing = this.state.nodes.get(h.id);
      if (existing && existing !== hs) {
        this.links.delete(hs);
        this.state.removeNode(hs);
        const old = this.links.get(existing);
        if (old && old !== link) old.close();
        link.node = existing;
        this.links.set(existing, link);
        sender = existing;
      } else {
        this.state.renameNode(hs, h.id);
        hs.flags &= ~NODE_FLAGS.handshake;
        sender = hs;
      }
      link.meet = false;
      changed = true;
    }
    if (!sender) return;

    sender.dataReceived = now;
    if (h.type === MSG.pong && link.direction === 'to') {
      sender.pongReceived = now;
      sender.pingSent = 0;
      if (sender.flags & NODE_FLAGS.pfail) {
        sender.flags &= ~NODE_FLAGS.pfail;
        this.updateState();
      }
    }
    // Address: trust what the node says about itself.
    if (sender.ip !== senderIp || sender.port !== h.port || sender.cport !== h.cport || sender.hostname !== h.hostname) {
      sender.ip = senderIp;
      sender.port = h.port;
      sender.cport = h.cport;
      sender.hostname = h.hostname;
      changed = true;
    }
    if (h.currentEpoch > this.state.currentEpoch) {
      this.state.currentEpoch = h.currentEpoch;
      changed = true;
    }
    // Role.
    if (h.flags & NODE_FLAGS.master) {
      if (!sender.isMaster) {
        sender.flags = (sender.flags & ~NODE_FLAGS.slave) | NODE_FLAGS.master;
        sender.master = null;
        changed = true;
      }
      if (h.configEpoch !== sender.configEpoch) {
        sender.configEpoch = h.configEpoch;
        changed = true;
      }
      if (this.#updateSlotsFrom(sender, h.configEpoch, h.slots)) changed = true;
      if (this.#handleEpochCollision(sender)) changed = true;
    } else if (h.flags & NODE_FLAGS.slave) {
      const master = h.masterId !== null ? this.state.nodes.get(h.masterId) : undefined;
      if (!sender.isReplica || (master && sender.master !== master)) {
        sender.flags = (sender.flags & ~NODE_FLAGS.master) | NODE_FLAGS.slave;
        if (master) sender.master = master;
        this.state.slots.replaceOwner(sender, null);
        changed = true;
      }
    }
    sender.replOffset = h.replOffset;
    if (this.#processGossip(h.gossip)) changed = true;
    if (changed) {
      this.scheduleSave();
      this.updateState();
    }
  }

  #blacklisted(id: string): boolean {
    const until = this.state.blacklist.get(id);
    if (until === undefined) return false;
    if (until < this.now) {
      this.state.blacklist.delete(id);
      return false;
    }
    return true;
  }

  /** Learns about nodes from gossip. Returns true if the view changed. */
  #processGossip(entries: GossipEntry[]): boolean {
    let changed = false;
    for (const g of entries) {
      if (g.id === this.myself.id || !isNodeId(g.id)) continue;
      const known = this.state.nodes.get(g.id);
      if (known) {
        // A node we cannot reach may have moved: take the reported address.
        if (!this.isLinked(known) && g.ip !== '' && (known.ip !== g.ip || known.port !== g.port || known.cport !== g.cport)) {
          known.ip = g.ip;
          known.port = g.port;
          known.cport = g.cport;
          this.links.get(known)?.close();
          this.links.delete(known);
          changed = true;
        }
        continue;
      }
      if (g.ip === '' || g.flags & (NODE_FLAGS.noaddr | NODE_FLAGS.handshake) || this.#blacklisted(g.id)) continue;
      const n = new ClusterNode(g.id, g.flags & (NODE_FLAGS.master | NODE_FLAGS.slave), this.now);
      n.ip = g.ip;
      n.port = g.port;
      n.cport = g.cport;
      this.state.addNode(n);
      changed = true;
    }
    return changed;
  }

  /**
   * Applies `sender`'s claim on the slots in `bits` (clusterUpdateSlotsConfigWith).
   * Returns true if the slot table changed.
   */
  #updateSlotsFrom(sender: ClusterNode, senderEpoch: number, bits: Uint8Array): boolean {
    // The usual heartbeat claims exactly the slots the sender already has
    // here: nothing to do, and no pass over the 16384 slots.
    if (bytesEqual(bits, this.#packedSlotsOf(sender))) return false;
    const me = this.myself;
    let changed = false;
    let lostToSender = false;
    const dirty: number[] = [];
    for (let s = 0; s < SLOT_COUNT; s++) {
      if (!bitmapHas(bits, s)) continue;
      const cur = this.state.slots.get(s);
      if (cur === sender) continue;
      if (this.state.importingFrom.get(s) !== null) continue;
      if (cur === null || cur.configEpoch < senderEpoch) {
        if (cur === me) {
          lostToSender = true;
          if (this.server.dbs[0]!.countInSlot(s) > 0) dirty.push(s);
          this.state.migratingTo.set(s, null);
        }
        this.state.slots.set(s, sender);
        changed = true;
      }
    }
    if (!changed) return false;
    const myMaster = me.isReplica ? me.master : me;
    if (lostToSender && me.isMaster && this.state.slots.countOf(me) === 0 && this.server.config.getBool('cluster-allow-replica-migration')) {
      this.server.log('notice', `Configuration change detected. Reconfiguring myself as a replica of ${sender.id}`);
      this.setMaster(sender);
    } else if (myMaster === me) {
      for (const s of dirty) this.server.dbs[0]!.flushSlot(s);
    }
    return true;
  }

  /** After any change of slot owners: drops the shard channels of slots not served here any more (see the header). */
  #dropMovedShardChannels(): void {
    const slots = this.state.slots;
    if (this.#shardCheck !== undefined && this.#shardCheck.map === slots && this.#shardCheck.version === slots.version) return;
    this.#shardCheck = { map: slots, version: slots.version };
    const me = this.myself;
    const serving = me.isReplica && me.master ? me.master : me;
    const dropped = dropShardChannels(this.server, (channel) => slots.get(keySlot(channel)) === serving);
    if (dropped > 0) this.server.log('verbose', `Unsubscribed the clients of ${dropped} shard channel(s) whose slots moved away`);
  }

  /** Equal configEpochs on two masters: the smaller id moves to a new epoch. */
  #handleEpochCollision(sender: ClusterNode): boolean {
    const me = this.myself;
    if (sender.configEpoch !== me.configEpoch || !sender.isMaster || !me.isMaster) return false;
    if (sender.id <= me.id) return false;
    this.state.currentEpoch++;
    me.configEpoch = this.state.currentEpoch;
    this.server.log('verbose', `WARNING: configEpoch collision with node ${sender.id}. configEpoch set to ${me.configEpoch}`);
    this.scheduleBroadcast();
    return true;
  }

  // ---------------------------------------------------------------------------
  // Cron
  // ---------------------------------------------------------------------------

  /** Every 100 ms: drop shard channels whose slot moved away, connect links, ping, time out handshakes, flag PFAIL. */
  cron(): void {
    const now = this.now;
    this.#dropMovedShardChannels();
    const timeout = this.server.config.getNumber('cluster-node-timeout');
    for (const n of [...this.state.nodes.values()]) {
      if (n.isMyself) continue;
      const handshake = (n.flags & NODE_FLAGS.handshake) !== 0;
      if (handshake && now - n.ctime > Math.max(timeout, 1000)) {
        this.#dropNode(n);
        continue;
      }
      let link = this.links.get(n);
      if (link === undefined) {
        if (now - (this.#lastConnectTry.get(n) ?? 0) >= RECONNECT_MS) this.#connect(n, handshake);
        continue;
      }
      if (!link.connected) continue;
      // No answer for half the timeout: the link may be stuck, reconnect.
      if (n.pingSent !== 0 && now - n.pingSent > timeout / 2 && now - n.dataReceived > timeout / 2 && now - link.createTime > timeout / 2) {
        this.#closeLink(link);
        link = undefined;
      }
      if (link && now - link.lastPing >= PING_PERIOD_MS) this.#sendHeartbeat(link, link.meet ? MSG.meet : MSG.ping);
      if (n.pingSent !== 0 && now - n.pingSent > timeout && !(n.flags & (NODE_FLAGS.pfail | NODE_FLAGS.fail))) {
        n.flags |= NODE_FLAGS.pfail;
      }
    }
    // Every tick, so PFAIL flags and CONFIG SET cluster-require-full-coverage take effect.
    this.updateState();
  }
}

interface MutableRouteContext extends RouteContext {
  myId: string;
  myMaster: string | null;
  clusterOk: boolean;
  allowReadsWhenDown: boolean;
  allowPubsubShardWhenDown: boolean;
  asking: boolean;
  readonly: boolean;
}

/** Spec of a queued command (the subcommand's own spec for containers). */
function resolveSpec(args: readonly string[]): CommandSpec | undefined {
  const spec = lookupCommand(args[0]!);
  if (spec?.subcommands && args.length > 1) return lookupCommand(`${spec.name}|${args[1]!.toLowerCase()}`) ?? spec;
  return spec;
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function stripV6(addr: string): string {
  return addr.startsWith('::ffff:') ? addr.slice(7) : addr;
}

const SELECT_NOT_ALLOWED = new RespError('ERR SELECT is not allowed in cluster mode');
const CROSS_SLOT_ERR = new CrossSlotError();
const TRY_AGAIN_ERR = new TryAgainError();
const DOWN_UNBOUND = new ClusterDownError('unbound');
const DOWN_STATE = new ClusterDownError('down');
const DOWN_READONLY = new ClusterDownError('readonly-down');
