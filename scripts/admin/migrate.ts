/**
 * `shardis migrate`: moves hash slots from one primary to another.
 *
 * Per slot, as Redis Cluster specifies:
 *   1. CLUSTER SETSLOT <slot> IMPORTING <source-id> on the target;
 *   2. CLUSTER SETSLOT <slot> MIGRATING <target-id> on the source;
 *   3. until the slot is empty on the source: CLUSTER GETKEYSINSLOT <slot>
 *      <batch * pipeline>, then `pipeline` MIGRATE host port "" 0 timeout
 *      KEYS k1..kbatch sent back to back;
 *   4. CLUSTER SETSLOT <slot> NODE <target-id> on the target, then the
 *      source, then every other reachable primary.
 * Several slots are in flight at once (`parallel` workers share the two
 * connections, which pipeline their commands).
 *
 * Resuming: every step is checked against the nodes' current state, so a
 * slot already IMPORTING/MIGRATING between the same two nodes continues
 * where it stopped, and a slot the target already owns only gets its last
 * SETSLOT NODE calls. Keys are never lost: until step 4 a key lives on the
 * source or (once MIGRATE returned) on the target, and clients follow ASK.
 * A stop request is honoured between batches, leaving open slots that the
 * same command (or `shardis fix`) finishes.
 */
import { SLOT_COUNT } from '../../src/router/slot.js';
import { formatSlotRanges } from '../../src/router/slot-map.js';
import { ClusterClientError } from '../../src/client/errors.js';
import { AdminError } from './conn.js';
import { Progress } from './progress.js';
import { label, primaries, type AdminNode, type ClusterView } from './view.js';

export interface MigrateOptions {
  slots?: number[];
  count?: number;
  /** Keys per MIGRATE. */
  batch: number;
  /** MIGRATE commands sent back to back per round. */
  pipeline: number;
  /** Slots in flight. */
  parallel: number;
  /** Keys per second, 0 = unlimited. */
  rate: number;
  /** MIGRATE timeout in ms. */
  timeout: number;
  /** MIGRATE ... REPLACE (overwrite keys the target already holds). */
  replace: boolean;
}

export interface MigratePlan {
  source: AdminNode;
  target: AdminNode;
  slots: number[];
  /** Slots already open between source and target (resumed). */
  resumed: number[];
  /** Requested slots the target already owns everywhere (nothing to do). */
  done: number[];
  /** Keys on the source in the planned slots. */
  keys: number;
}

export interface StopSignal {
  stopped: boolean;
}

export interface MigrateResult {
  slotsMoved: number[];
  keysMoved: number;
  stopped: boolean;
  openSlots: number[];
  ms: number;
}

/** Decides which slots to move; throws an AdminError on a slot that cannot be moved as asked. */
export async function planMigration(view: ClusterView, source: AdminNode, target: AdminNode, opts: Pick<MigrateOptions, 'slots' | 'count'>): Promise<MigratePlan> {
  if (source.id === target.id) throw new AdminError(`--from and --to are the same node ${label(source)}`);
  for (const n of [source, target]) {
    if (!n.conn || !n.owners) throw new AdminError(`Cannot reach ${n.addr}: ${n.error ?? 'unreachable'}`);
    if (!n.isPrimary) throw new AdminError(`${label(n)} is a replica; slots move between primaries`);
  }
  const srcO = source.owners!;
  const tgtO = target.owners!;
  const isOpen = (s: number): boolean => source.migrating.get(s) === target.id || target.importing.get(s) === source.id;
  let wanted: number[];
  if (opts.slots) {
    wanted = opts.slots;
  } else {
    const n = opts.count ?? 0;
    const open: number[] = [];
    const owned: number[] = [];
    for (let s = 0; s < SLOT_COUNT; s++) {
      if (isOpen(s)) open.push(s);
      else if (srcO[s] === source.id) owned.push(s);
    }
    wanted = [...open, ...owned].slice(0, n).sort((a, b) => a - b);
  }
  const plan: MigratePlan = { source, target, slots: [], resumed: [], done: [], keys: 0 };
  for (const s of wanted) {
    const mig = source.migrating.get(s);
    const imp = target.importing.get(s);
    if (mig !== undefined && mig !== target.id) throw new AdminError(`Slot ${s} is migrating from ${label(source)} to ${mig.slice(0, 8)}, not to ${label(target)}; finish that with shardis fix ${view.seed}`);
    if (imp !== undefined && imp !== source.id) throw new AdminError(`Slot ${s} is importing on ${label(target)} from ${imp.slice(0, 8)}, not from ${label(source)}; finish that with shardis fix ${view.seed}`);
    const srcOwns = srcO[s] === source.id;
    const tgtOwns = tgtO[s] === target.id;
    if (tgtOwns && !srcOwns && mig === undefined && imp === undefined) {
      // Done, unless a kill came before every primary was told: then only the
      // last SETSLOT NODE calls are left (the slot goes through the plan again).
      if (primaries(view).every((n) => n.owners![s] === target.id)) {
        plan.done.push(s);
        continue;
      }
    }
    if (!srcOwns && !tgtOwns) throw new AdminError(`Slot ${s} belongs to ${srcO[s] ? srcO[s]!.slice(0, 8) : 'no node'}, not to ${label(source)}; check the --from node with shardis map ${view.seed}`);
    plan.slots.push(s);
    if (mig !== undefined || imp !== undefined || tgtOwns) plan.resumed.push(s);
  }
  const counts = await Promise.all(plan.slots.map((s) => source.conn!.call('CLUSTER', 'COUNTKEYSINSLOT', s)));
  for (const c of counts) plan.keys += Number(c);
  return plan;
}

export function formatPlan(p: MigratePlan): string {
  const lines = [
    `Moving ${p.slots.length} slots (${formatSlotRanges(p.slots) || 'none'}) holding ${p.keys} keys`,
    `  from ${label(p.source)}`,
    `  to   ${label(p.target)}`,
  ];
  if (p.resumed.length) lines.push(`  resuming ${p.resumed.length} open slots: ${formatSlotRanges(p.resumed)}`);
  if (p.done.length) lines.push(`  already on the target: ${formatSlotRanges(p.done)}`);
  return lines.join('\n');
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Runs a plan; returns early (between batches) once `stop.stopped` is set. */
export async function runMigration(view: ClusterView, plan: MigratePlan, opts: MigrateOptions, progress: Progress, stop: StopSignal, warn: (msg: string) => void): Promise<MigrateResult> {
  const { source, target } = plan;
  const src = source.conn!;
  const tgt = target.conn!;
  const others = primaries(view).filter((n) => n.id !== source.id && n.id !== target.id);
  const started = performance.now();
  const moved: number[] = [];
  const open = new Set<number>();
  progress.totalSlots = plan.slots.length;
  progress.totalKeys = plan.keys;
  const queue = plan.slots.slice();
  const perRound = opts.batch * opts.pipeline;
  const migrateHead = [target.host, String(target.port), '', '0', String(opts.timeout)];
  if (opts.replace) migrateHead.push('REPLACE');

  const throttle = async (): Promise<void> => {
    if (opts.rate <= 0) return;
    for (;;) {
      const ahead = (progress.keysDone / opts.rate) * 1000 - (performance.now() - started);
      if (ahead <= 0 || stop.stopped) return;
      await sleep(Math.min(ahead, 100));
    }
  };

  const moveSlot = async (s: number): Promise<boolean> => {
    const tgtOwns = target.owners![s] === target.id;
    open.add(s);
    if (!tgtOwns && target.importing.get(s) !== source.id) await tgt.call('CLUSTER', 'SETSLOT', s, 'IMPORTING', source.id);
    if (source.owners![s] === source.id && source.migrating.get(s) !== target.id) await src.call('CLUSTER', 'SETSLOT', s, 'MIGRATING', target.id);
    for (;;) {
      if (stop.stopped) return false;
      await throttle();
      if (stop.stopped) return false;
      const keys = (await src.callBuf('CLUSTER', 'GETKEYSINSLOT', s, perRound)) as Buffer[];
      if (keys.length === 0) break;
      const sends: Promise<unknown>[] = [];
      for (let i = 0; i < keys.length; i += opts.batch) {
        sends.push(src.send([ 'MIGRATE', ...migrateHead, 'KEYS', ...keys.slice(i, i + opts.batch)]));
      }
      const replies = await Promise.all(sends);
      for (const r of replies) {
        if (r instanceof ClusterClientError) {
          const hint = /BUSYKEY/.test(r.message)
            ? `; the target already holds some of these keys: inspect them, then rerun with --replace to overwrite them`
            : '; fix the cause and run the same command again to resume';
          throw new AdminError(`${source.addr} refused MIGRATE of slot ${s} to ${target.addr}: ${r.message}${hint}`);
        }
      }
      progress.keysDone += keys.length;
      progress.update();
      // A MIGRATING source creates no new key in the slot (clients get ASK), so
      // a short batch, all moved, leaves it empty: skip one round trip.
      if (keys.length < perRound && source.owners![s] === source.id) break;
    }
    // The target first: once it owns the slot, clients redirected there are served.
    await tgt.call('CLUSTER', 'SETSLOT', s, 'NODE', target.id);
    await src.call('CLUSTER', 'SETSLOT', s, 'NODE', target.id);
    await Promise.all(others.map(async (n) => {
      try {
        await n.conn!.call('CLUSTER', 'SETSLOT', s, 'NODE', target.id);
      } catch (err) {
        warn(`Warning: ${(err as Error).message}; the node will learn the new owner of slot ${s} from the cluster bus`);
      }
    }));
    open.delete(s);
    moved.push(s);
    progress.slotsDone++;
    progress.update();
    return true;
  };

  const worker = async (): Promise<void> => {
    while (!stop.stopped) {
      const s = queue.shift();
      if (s === undefined) return;
      try {
        if (!(await moveSlot(s))) return;
      } catch (err) {
        stop.stopped = true; // the other workers stop at their next batch
        throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.parallel) }, worker));
  progress.done();
  return { slotsMoved: moved.sort((a, b) => a - b), keysMoved: progress.keysDone, stopped: stop.stopped && (queue.length > 0 || open.size > 0), openSlots: [...open].sort((a, b) => a - b), ms: performance.now() - started };
}
