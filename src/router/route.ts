/**
 * The routing decision of a cluster node: may this command run here, or
 * where must the client go? A pure function of the command, its arguments
 * and a snapshot of the slot states, following Redis 7.0's getNodeByQuery
 * (cluster.c) check by check:
 *
 *  1. Collect the keys of the command (for EXEC: of every queued command).
 *     The first key fixes the slot; any other key must be the same key or in
 *     the same slot, else CROSSSLOT (checked before ownership, so CROSSSLOT
 *     wins over MOVED). An unassigned slot answers CLUSTERDOWN "Hash slot not
 *     served" at once.
 *  2. While the slot is migrating away from this node (owner is me and
 *     migrating-to is set) or being imported (importing-from is set), count
 *     the keys that exist here and those that do not.
 *  3. No keys at all: serve locally.
 *  4. The cluster state is fail: CLUSTERDOWN, unless reads are allowed when
 *     down and the command does not write. Shard pub/sub commands (whose
 *     keys are channels) go on instead while
 *     `cluster-allow-pubsubshard-when-down` is set (the default).
 *  5. MIGRATE on an open slot always runs here.
 *  6. Migrating and some key is missing: TRYAGAIN if some other key exists
 *     (a multi-key command straddling the move), else ASK the target.
 *  7. Importing and the client sent ASKING (or the command is flagged
 *     `asking`, RESTORE-ASKING): serve here, unless several keys are involved
 *     and some are missing (TRYAGAIN).
 *  8. A READONLY client on a replica may read its own master's slots; so
 *     may any client a shard channel of them.
 *  9. Otherwise: the owner serves, anyone else answers MOVED.
 *
 * Decisions name nodes by id; the caller renders them with addresses.
 */
import { keysAreChannels, type CommandSpec } from './command-spec.js';
import { keySlot } from './slot.js';

/** Outcome of routing one command (or one transaction). */
export type RouteDecision =
  | { readonly kind: 'local' }
  | { readonly kind: 'moved'; readonly slot: number; readonly node: string }
  | { readonly kind: 'ask'; readonly slot: number; readonly node: string }
  | { readonly kind: 'cross-slot' }
  | { readonly kind: 'try-again' }
  | { readonly kind: 'cluster-down'; readonly reason: 'unbound' | 'down' | 'readonly-down' };

/** Who owns a slot and whether it is being moved, as this node sees it. */
export interface SlotState {
  /** Id of the master serving the slot, or null if unassigned. */
  readonly owner: string | null;
  /** Set on the owner while the slot moves to that node. */
  readonly migratingTo: string | null;
  /** Set on the target while the slot moves here from that node. */
  readonly importingFrom: string | null;
}

/** What the router needs to know about this node and the calling client. */
export interface RouteContext {
  readonly myId: string;
  /** Id of my master if I am a replica, else null. */
  readonly myMaster: string | null;
  /** cluster_state is ok. */
  readonly clusterOk: boolean;
  /** `cluster-allow-reads-when-down`. */
  readonly allowReadsWhenDown: boolean;
  /** `cluster-allow-pubsubshard-when-down`. */
  readonly allowPubsubShardWhenDown: boolean;
  /** The client sent ASKING just before this command. */
  readonly asking: boolean;
  /** The client sent READONLY. */
  readonly readonly: boolean;
  slotState(slot: number): SlotState;
  /**
   * A shortcut for the common case: true only if this node serves `slot`
   * and the slot is neither migrating nor importing (false is always a
   * correct answer; the router then reads `slotState`).
   */
  servedHere(slot: number): boolean;
  /** Whether `key` exists in this node's keyspace (no side effects). */
  keyExists(key: string): boolean;
}

/** One command: its spec and full argument vector (`args[0]` is the name). */
export interface RoutedCommand {
  readonly spec: CommandSpec;
  readonly args: readonly string[];
  /** `routeFlags(spec)`, if the caller has it at hand. */
  readonly flags?: number;
}

/**
 * What routing needs from a spec's flags, as bits, so that the per-command
 * path tests bits instead of searching `spec.flags` (the dispatcher computes
 * them once per command at startup; `routeFlags` memoizes for the others).
 */
export const ROUTE_HAS_KEYS = 1;
export const ROUTE_WRITE = 2;
/** Keys are shard channels: never looked up in the keyspace. */
export const ROUTE_PUBSUB = 4;
/** Runs on an importing slot without ASKING (RESTORE-ASKING). */
export const ROUTE_ASKING = 8;
export const ROUTE_MIGRATE = 16;

const FLAGS_MEMO = new WeakMap<CommandSpec, number>();

/** The ROUTE_* bits of `spec`. */
export function routeFlags(spec: CommandSpec): number {
  let f = FLAGS_MEMO.get(spec);
  if (f === undefined) {
    f =
      (spec.keys !== undefined || spec.getKeys !== undefined ? ROUTE_HAS_KEYS : 0) |
      (spec.flags.includes('write') ? ROUTE_WRITE : 0) |
      (keysAreChannels(spec) ? ROUTE_PUBSUB : 0) |
      (spec.flags.includes('asking') ? ROUTE_ASKING : 0) |
      (spec.name === 'migrate' ? ROUTE_MIGRATE : 0);
    FLAGS_MEMO.set(spec, f);
  }
  return f;
}

export const LOCAL: RouteDecision = Object.freeze({ kind: 'local' });
export const CROSS_SLOT: RouteDecision = Object.freeze({ kind: 'cross-slot' });
export const TRY_AGAIN: RouteDecision = Object.freeze({ kind: 'try-again' });
const DOWN_UNBOUND: RouteDecision = Object.freeze({ kind: 'cluster-down', reason: 'unbound' });
const DOWN_STATE: RouteDecision = Object.freeze({ kind: 'cluster-down', reason: 'down' });
const DOWN_READONLY: RouteDecision = Object.freeze({ kind: 'cluster-down', reason: 'readonly-down' });

/** Key-collection state shared by the passes over one or several commands. */
interface Scan {
  firstKey: string | undefined;
  slot: number;
  state: SlotState | undefined;
  migrating: boolean;
  importing: boolean;
  multipleKeys: boolean;
  missing: number;
  existing: number;
  /** Set when the scan already reached a final decision (CROSSSLOT, unbound). */
  verdict: RouteDecision | undefined;
}

function addKey(scan: Scan, ctx: RouteContext, key: string, shard: boolean): void {
  const slot = keySlot(key);
  if (scan.firstKey === undefined) {
    scan.firstKey = key;
    scan.slot = slot;
    const st = ctx.slotState(slot);
    scan.state = st;
    if (st.owner === null) {
      scan.verdict = DOWN_UNBOUND;
      return;
    }
    if (st.owner === ctx.myId && st.migratingTo !== null) scan.migrating = true;
    else if (st.importingFrom !== null) scan.importing = true;
  } else if (key !== scan.firstKey) {
    if (slot !== scan.slot) {
      scan.verdict = CROSS_SLOT;
      return;
    }
    scan.multipleKeys = true;
  }
  if ((scan.migrating || scan.importing) && !shard && !ctx.keyExists(key)) scan.missing++;
  else scan.existing++;
}

function scanCommand(scan: Scan, ctx: RouteContext, spec: CommandSpec, args: readonly string[], shard: boolean): void {
  if (spec.getKeys) {
    const idx = spec.getKeys(args);
    for (let i = 0; i < idx.length && scan.verdict === undefined; i++) addKey(scan, ctx, args[idx[i]!]!, shard);
    return;
  }
  const range = spec.keys;
  if (!range) return;
  const last = range.last < 0 ? args.length + range.last : range.last;
  for (let i = range.first; i <= last && i < args.length && scan.verdict === undefined; i += range.step) {
    addKey(scan, ctx, args[i]!, shard);
  }
}

/** Step 4: the refusal while the cluster is down, or undefined (it is up, or this command may go on). */
function downDecision(ctx: RouteContext, flags: number): RouteDecision | undefined {
  if (ctx.clusterOk) return undefined;
  if (flags & ROUTE_PUBSUB) return ctx.allowPubsubShardWhenDown ? undefined : DOWN_STATE;
  if (!ctx.allowReadsWhenDown) return DOWN_STATE;
  return flags & ROUTE_WRITE ? DOWN_READONLY : undefined;
}

/** Steps 8-9: a READONLY replica reads its master's slots (shard channels too); otherwise the owner serves and others answer MOVED. */
function ownerDecision(ctx: RouteContext, slot: number, owner: string, flags: number): RouteDecision {
  const isWrite = (flags & ROUTE_WRITE) !== 0;
  if ((ctx.readonly || flags & ROUTE_PUBSUB) && !isWrite && ctx.myMaster !== null && ctx.myMaster === owner) return LOCAL;
  return owner === ctx.myId ? LOCAL : { kind: 'moved', slot, node: owner };
}

function decide(scan: Scan, ctx: RouteContext, flags: number): RouteDecision {
  if (scan.verdict !== undefined) return scan.verdict;
  if (scan.firstKey === undefined) return LOCAL;
  const st = scan.state!;
  const down = downDecision(ctx, flags);
  if (down !== undefined) return down;
  if ((scan.migrating || scan.importing) && flags & ROUTE_MIGRATE) return LOCAL;
  if (scan.migrating && scan.missing > 0) {
    return scan.existing > 0 ? TRY_AGAIN : { kind: 'ask', slot: scan.slot, node: st.migratingTo! };
  }
  if (scan.importing && (ctx.asking || flags & ROUTE_ASKING)) {
    return scan.multipleKeys && scan.missing > 0 ? TRY_AGAIN : LOCAL;
  }
  return ownerDecision(ctx, scan.slot, st.owner!, flags);
}

/**
 * A fresh scan per decision. A long-lived one reset per call would spare
 * the allocation but not the write barrier: storing the command's key (a
 * young string) into an old object took V8's RecordWrite slow path on
 * every command (0.6% of a node's CPU under redis-benchmark --cluster),
 * where a young scan object needs none and costs a bump allocation.
 */
function newScan(): Scan {
  return {
    firstKey: undefined,
    slot: -1,
    state: undefined,
    migrating: false,
    importing: false,
    multipleKeys: false,
    missing: 0,
    existing: 0,
    verdict: undefined,
  };
}

/**
 * Routes one command (see the module comment for the order of checks).
 * Commands without key arguments are always local. `flags` is
 * `routeFlags(spec)`, passed by callers that keep it.
 */
export function routeCommand(ctx: RouteContext, spec: CommandSpec, args: readonly string[], flags: number = routeFlags(spec)): RouteDecision {
  if ((flags & ROUTE_HAS_KEYS) === 0) return LOCAL;
  const range = spec.keys;
  if (range !== undefined && spec.getKeys === undefined && range.first < args.length) {
    const last = range.last < 0 ? args.length + range.last : range.last;
    // Exactly one key position in range: route it without a scan.
    if (last >= range.first && range.first + range.step > last) {
      const d = routeOneKey(ctx, args[range.first]!, flags);
      if (d !== undefined) return d;
    }
  }
  const scan = newScan();
  scanCommand(scan, ctx, spec, args, (flags & ROUTE_PUBSUB) !== 0);
  return decide(scan, ctx, flags);
}

/**
 * The usual case, one key on a slot that is not being moved, decided
 * without a scan object: `decide`'s steps for it, through the same
 * functions (steps 5-7 only apply to a moving slot). Most commands a
 * cluster serves are of this kind, and the scan was the largest allocation
 * of a GET (96 of its ~390 bytes, sampled). Returns undefined for a
 * migrating or importing slot, which the general path handles.
 */
function routeOneKey(ctx: RouteContext, key: string, flags: number): RouteDecision | undefined {
  const slot = keySlot(key);
  // Served here and not moving: with the cluster up, nothing else can apply.
  if (ctx.clusterOk && ctx.servedHere(slot)) return LOCAL;
  const st = ctx.slotState(slot);
  const owner = st.owner;
  if (owner === null) return DOWN_UNBOUND;
  if ((owner === ctx.myId && st.migratingTo !== null) || st.importingFrom !== null) return undefined;
  return downDecision(ctx, flags) ?? ownerDecision(ctx, slot, owner, flags);
}

/**
 * Routes a transaction at EXEC: the keys of every queued command together
 * (so queued commands on different slots give CROSSSLOT); the transaction
 * writes if any queued command writes.
 */
export function routeTransaction(ctx: RouteContext, queued: readonly RoutedCommand[]): RouteDecision {
  const scan = newScan();
  // The transaction writes if any queued command writes, and counts as shard pub/sub if any queued one is (Redis's pubsubshard_included).
  let write = 0;
  for (const q of queued) {
    const f = q.flags ?? routeFlags(q.spec);
    write |= f & ROUTE_WRITE;
    if (f & ROUTE_HAS_KEYS) write |= f & ROUTE_PUBSUB;
    scanCommand(scan, ctx, q.spec, q.args, (f & ROUTE_PUBSUB) !== 0);
    if (scan.verdict !== undefined) break;
  }
  return decide(scan, ctx, write);
}
