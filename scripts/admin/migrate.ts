/**
 * `shardis migrate`: moves hash slots from one primary to another.
 *
 * Per slot, as Redis Cluster specifies:
 *   1. CLUSTER SETSLOT <slot> IMPORTING <source-id> on the target;
 *   2. CLUSTER SETSLOT <slot> MIGRATING <target-id> on the source;
 *   3. until the slot is empty on the source: CLUSTER GETKEYSINSLOT <slot>
 *      <batch * pipeline>, then the keys move in batches of `batch`;
 *   4. CLUSTER SETSLOT <slot> NODE <target-id> on the target, then the
 *      source, then every other reachable primary.
 * `parallel` slots are in flight, in two waves: each step is sent for all
 * the slots of a wave at once, so they share round trips and the nodes'
 * passes over their input.
 *
 * How keys travel in step 3 (`method`):
 * - 'transfer' (opt-in, `--method transfer`): the tool copies each batch itself:
 *   WATCH + PTTL + DUMP on the source, RESTORE on the target, MULTI DEL
 *   EXEC on the source (./transfer.ts, with `pipeline` batches in flight;
 *   transferBatch when anything is unusual). The source never waits for
 *   the target inside a command, so both work at once: about 1.5x the
 *   rate of MIGRATE on a Redis cluster (bench/migrate.ts). Not the default
 *   because a key is not moved atomically: between the RESTORE and the
 *   source's DEL, a client that deletes the key on the source can read the
 *   stale copy back from the target through ASK until the cleanup below
 *   removes it, and a CLI killed in that window leaves such a copy until
 *   the key is written again (see transferBatch).
 * - 'migrate' (the default): `pipeline` MIGRATE host port "" 0 timeout
 *   KEYS k1..kbatch sent back to back to the source, as redis-cli does;
 *   each key moves atomically (the source blocks for the batch).
 *
 * Resuming: every step is checked against the nodes' current state, so a
 * slot already IMPORTING/MIGRATING between the same two nodes continues
 * where it stopped, and a slot the target already owns only gets its last
 * SETSLOT NODE calls. Keys are never lost: until step 4 a key lives on the
 * source or (once MIGRATE returned) on the target, and clients follow ASK.
 * A stop request is honoured between batches, leaving open slots that the
 * same command (or `shardis fix`) finishes.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { SLOT_COUNT } from '../../src/router/slot.js';
import { formatSlotRanges } from '../../src/router/slot-map.js';
import { ClusterClientError } from '../../src/client/errors.js';
import { AdminConnection, AdminError, describe } from './conn.js';
import { TransferEngine } from './transfer.js';
import type { Arg } from '../../src/client/resp.js';
import { Progress } from './progress.js';
import { label, primaries, type AdminNode, type ClusterView } from './view.js';

export interface MigrateOptions {
  slots?: number[];
  /** Move this many slots; a rerun works on the same pick (see planMigration). */
  count?: number;
  /** With `count`: ignore the recorded pick of an earlier run and pick anew. */
  fresh?: boolean;
  /** Keys per MIGRATE ('migrate') or per batch ('transfer'). */
  batch: number;
  /** 'migrate': MIGRATE commands sent back to back per round of a slot; 'transfer': batches in flight in all. */
  pipeline: number;
  /** Slots in flight. */
  parallel: number;
  /** Keys per second, 0 = unlimited. */
  rate: number;
  /** MIGRATE timeout in ms. */
  timeout: number;
  /** MIGRATE ... REPLACE (overwrite keys the target already holds). */
  replace: boolean;
  /**
   * How keys travel: 'migrate' (the default; `fix` uses it) sends
   * MIGRATE to the source; 'transfer' (opt-in) copies them
   * itself (WATCH + DUMP on the source, RESTORE on the target, MULTI DEL
   * EXEC on the source), see ./transfer.ts and transferBatch.
   */
  method?: 'migrate' | 'transfer';
  /** Tests only ('transfer'): runs after a batch was read on the source, before it is restored on the target. */
  onRead?: (slot: number, keys: readonly Buffer[]) => void | Promise<void>;
  /** Tests only ('transfer'): runs after a batch was restored on the target, before the source deletes it. */
  onRestored?: (slot: number, keys: readonly Buffer[]) => void | Promise<void>;
}

/** 'transfer': attempts per batch whose keys keep changing before the run fails. */
const TRANSFER_ATTEMPTS = 20;

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
  /** For `count`: the pick and where it is recorded (`at` null: a new pick, recorded by saveCountPick). */
  pick?: CountPick;
}

/** The slots a `--count` run picked, kept in a small file so that a rerun finishes that run. */
export interface CountPick {
  file: string;
  count: number;
  slots: number[];
  /** When the pick was recorded (ISO time); null for a pick not recorded yet. */
  at: string | null;
}

export interface StopSignal {
  stopped: boolean;
}

export interface MigrateResult {
  slotsMoved: number[];
  keysMoved: number;
  /** Bytes of keys and serialized values moved (`--method transfer` only: MIGRATE does not tell; 0 otherwise). */
  bytesMoved: number;
  stopped: boolean;
  openSlots: number[];
  ms: number;
}

/**
 * Where `--count` picks between two nodes are recorded: $SHARDIS_STATE_DIR,
 * else $XDG_STATE_HOME/shardis, else ~/.local/state/shardis; one file per
 * (source id, target id) pair.
 */
export function countPickFile(source: AdminNode, target: AdminNode): string {
  const dir = process.env.SHARDIS_STATE_DIR || join(process.env.XDG_STATE_HOME || join(homedir(), '.local', 'state'), 'shardis');
  return join(dir, `migrate-${source.id}-${target.id}.json`);
}

function readCountPick(file: string): CountPick | null {
  try {
    const r = JSON.parse(readFileSync(file, 'utf8')) as Partial<CountPick>;
    if (!Number.isInteger(r.count) || !Array.isArray(r.slots) || !r.slots.every((s) => Number.isInteger(s) && s >= 0 && s < SLOT_COUNT)) return null;
    return { file, count: r.count!, slots: r.slots, at: typeof r.at === 'string' ? r.at : '?' };
  } catch {
    return null; // none yet, or unreadable: pick anew
  }
}

/** Records a new `--count` pick (call once the operator confirmed); a recorded pick is left as is. */
export function saveCountPick(plan: MigratePlan): void {
  const p = plan.pick;
  if (!p || p.at !== null || p.slots.length === 0) return;
  p.at = new Date().toISOString();
  try {
    mkdirSync(dirname(p.file), { recursive: true });
    const tmp = `${p.file}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify({ count: p.count, slots: p.slots, at: p.at })}\n`);
    renameSync(tmp, p.file);
  } catch (err) {
    throw new AdminError(`Cannot record the --count pick in ${p.file}: ${(err as Error).message}; set SHARDIS_STATE_DIR to a writable directory (a rerun needs the record to finish this run instead of moving ${p.count} more slots)`);
  }
}

/**
 * Decides which slots to move; throws an AdminError on a slot that cannot be
 * moved as asked.
 *
 * `--slots` names the slots: a rerun skips those already on the target.
 * `--count N` picks N slots of the source: the slots already open between
 * the two nodes first, then the lowest it owns. The pick is recorded (see
 * countPickFile, saveCountPick), so running the same command again, after a
 * kill or after success, works on the same N slots: it finishes the open
 * ones, moves the ones not moved yet and, once all N are on the target, has
 * nothing to do; it never moves N more. The record is used only if it was
 * made with the same N and each of its slots still belongs to the source or
 * the target (or is open between them); otherwise, or with `fresh`, N slots
 * are picked anew.
 */
export async function planMigration(view: ClusterView, source: AdminNode, target: AdminNode, opts: Pick<MigrateOptions, 'slots' | 'count' | 'fresh'>): Promise<MigratePlan> {
  if (source.id === target.id) throw new AdminError(`--from and --to are the same node ${label(source)}`);
  for (const n of [source, target]) {
    if (!n.conn || !n.owners) throw new AdminError(`Cannot reach ${n.addr}: ${n.error ?? 'unreachable'}`);
    if (!n.isPrimary) throw new AdminError(`${label(n)} is a replica; slots move between primaries`);
  }
  const srcO = source.owners!;
  const tgtO = target.owners!;
  const isOpen = (s: number): boolean => source.migrating.get(s) === target.id || target.importing.get(s) === source.id;
  let wanted: number[];
  let pick: CountPick | undefined;
  if (opts.slots) {
    wanted = opts.slots;
  } else {
    const n = opts.count ?? 0;
    const file = countPickFile(source, target);
    const rec = opts.fresh ? null : readCountPick(file);
    if (rec && rec.count === n && rec.slots.every((s) => srcO[s] === source.id || tgtO[s] === target.id || isOpen(s))) {
      pick = rec;
    } else {
      const open: number[] = [];
      const owned: number[] = [];
      for (let s = 0; s < SLOT_COUNT; s++) {
        if (isOpen(s)) open.push(s);
        else if (srcO[s] === source.id) owned.push(s);
      }
      pick = { file, count: n, slots: [...open, ...owned].slice(0, n).sort((a, b) => a - b), at: null };
    }
    wanted = pick.slots;
  }
  const plan: MigratePlan = { source, target, slots: [], resumed: [], done: [], keys: 0, pick };
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
  if (p.pick?.at) lines.push(`  --count ${p.pick.count}: the slots picked by the run of ${p.pick.at} (recorded in ${p.pick.file}); pass --fresh to pick ${p.pick.count} new ones`);
  return lines.join('\n');
}

/**
 * The careful path of the 'transfer' method for one batch of keys of slot
 * `slot` (the fast path, ./transfer.ts, hands a batch over when anything is
 * unusual), on a source connection `conn` and a target connection `tconn`
 * used by this batch alone (WATCH is per connection). `sent` maps keys
 * (latin1) restored on the target by earlier attempts to their payloads.
 *   1. WATCH the keys, then PTTL + DUMP each (a missing key is skipped);
 *   2. RESTORE-ASKING k ttl payload on the target, without REPLACE: a copy
 *      the target holds may be a client's write (a key a client deleted on
 *      the source after its DUMP and wrote again, through ASK, on the
 *      target), which must win. A refused key (BUSYKEY) is put back with
 *      replaceCopy, which overwrites the target's copy only if it provably
 *      is stale (the source still held the key after the target's copy was
 *      watched: such a copy comes from an earlier attempt or a killed run,
 *      never from a client, since clients are sent to the target only
 *      once the source lacks the key, and a MIGRATING source never gets a
 *      missing key back);
 *   3. copies restored by earlier attempts whose key the source no longer
 *      has are deleted from the target if still exactly the restored copy
 *      (dropCopy), so a key deleted meanwhile does not come back;
 *   4. MULTI, DEL of the keys now on the target, EXEC on the source: the
 *      watches make it fail if any of them changed since step 1, and then
 *      the batch is done again.
 * A key not put on the target stays on the source; the caller's next
 * GETKEYSINSLOT finds it. Killed between 2 and 4, a key is on both nodes,
 * the source's copy live: the next run replaces the target's (step 2).
 * Left open by such a kill (one round trip per batch in flight; MIGRATE,
 * done inside the source, has no such window): if a client deletes one of
 * those keys on the source before the next run, clients are then sent to
 * the target's copy, and the key is back.
 * Returns the number of keys moved.
 */
async function transferBatch(conn: AdminConnection, tconn: AdminConnection, slot: number, keys: readonly Buffer[], sent: Map<string, Buffer>, hooks: Pick<MigrateOptions, 'onRead' | 'onRestored'>, progress: Progress): Promise<number> {
  for (let attempt = 1; attempt <= TRANSFER_ATTEMPTS; attempt++) {
    // 1. WATCH all, pipelined with the reads. A key gone since GETKEYSINSLOT
    // makes a MIGRATING source refuse the WATCH (ASK): then each key is
    // watched alone (the missing ones fail) and read again after that.
    let [watched, r] = await readKeys(conn, keys, true);
    if (watched instanceof ClusterClientError) {
      await Promise.all(conn.sendAll(keys.map((k) => ['WATCH', k])));
      [, r] = await readKeys(conn, keys, false);
    }
    const present: Buffer[] = [];
    const payloads: Buffer[] = [];
    const ttls: number[] = [];
    for (let i = 0; i < keys.length; i++) {
      const ttl = r[2 * i];
      const payload = r[2 * i + 1];
      // Missing: -2, a nil DUMP, or an ASK from a MIGRATING source.
      if (typeof ttl !== 'number' || ttl === -2 || !Buffer.isBuffer(payload)) continue;
      present.push(keys[i]!);
      payloads.push(payload);
      ttls.push(ttl > 0 ? ttl : 0);
    }
    if (hooks.onRead) await hooks.onRead(slot, present);
    // 2.
    const rr = await Promise.all(tconn.sendAll(present.map((k, i) => ['RESTORE-ASKING', k, ttls[i]!, payloads[i]!])));
    const onTarget: Buffer[] = [];
    for (let i = 0; i < present.length; i++) {
      const x = rr[i];
      const k = present[i]!;
      if (x instanceof ClusterClientError && /^BUSYKEY/.test(x.message)) {
        if (!(await replaceCopy(conn, tconn, k, ttls[i]!, payloads[i]!))) continue;
      } else if (x instanceof ClusterClientError) {
        await conn.send(['UNWATCH']);
        throw new AdminError(`${tconn.addr} refused RESTORE of a key of slot ${slot}: ${x.message}; fix the cause and run the same command again to resume`);
      }
      onTarget.push(k);
      sent.set(k.toString('latin1'), payloads[i]!);
    }
    // 3. Copies of earlier attempts whose key the source dropped meanwhile.
    if (sent.size > onTarget.length) {
      const here = new Set(present.map((k) => k.toString('latin1')));
      for (const [k, payload] of [...sent]) {
        if (here.has(k)) continue;
        await dropCopy(tconn, Buffer.from(k, 'latin1'), payload);
        sent.delete(k);
      }
    }
    if (hooks.onRestored) await hooks.onRestored(slot, onTarget);
    if (onTarget.length === 0) {
      await conn.send(['UNWATCH']);
      return 0;
    }
    // 4. Queue errors (an ASK for a key gone since DUMP) make EXEC fail too.
    const [multi, del, exec] = conn.sendAll([['MULTI'], ['DEL', ...onTarget], ['EXEC']]);
    multi!.catch(() => undefined);
    del!.catch(() => undefined);
    const ex = await exec;
    if (Array.isArray(ex)) {
      // The bytes moved: keys and their serialized values, as sent.
      for (const k of onTarget) progress.bytesDone += k.length + sent.get(k.toString('latin1'))!.length;
      return onTarget.length;
    }
    if (ex !== null && !(ex instanceof ClusterClientError && /EXECABORT/.test(ex.message))) {
      throw new AdminError(`${conn.addr} refused the DEL of moved keys of slot ${slot}: ${ex instanceof Error ? ex.message : String(ex)}; run the same command again to resume`);
    }
  }
  throw new AdminError(`Slot ${slot}: keys of a batch kept changing on ${conn.addr} while being copied (${TRANSFER_ATTEMPTS} attempts); the copies on the target are replaced by the next run: run the same command again, or use --method migrate`);
}

/**
 * WATCH of all `keys` if `watch`, then PTTL and DUMP of each, in one write:
 * resolves with [WATCH reply (null if none), [pttl0, dump0, pttl1, ...]].
 */
async function readKeys(conn: AdminConnection, keys: readonly Buffer[], watch: boolean): Promise<[unknown, unknown[]]> {
  const cmds: Arg[][] = watch ? [['WATCH', ...keys]] : [];
  for (const k of keys) cmds.push(['PTTL', k], ['DUMP', k]);
  const r = await Promise.all(conn.sendAll(cmds, true));
  return watch ? [r[0], r.slice(1)] : [null, r];
}

/** Sends `cmds` to the target, each after an ASKING (the slot is IMPORTING there); resolves with the replies to `cmds`. */
async function asking(tconn: AdminConnection, cmds: readonly Arg[][], asBuffer = false): Promise<unknown[]> {
  const all = tconn.sendAll(cmds.flatMap((c) => [['ASKING'], c]), asBuffer);
  const r = await Promise.all(all);
  return r.filter((_, i) => i % 2 === 1);
}

/**
 * Overwrites the target's copy of `key` (RESTORE refused it: BUSYKEY) with
 * `payload` if the source still holds the key after the target's copy was
 * watched; resolves with true if it did. Atomic w.r.t. client writes: a
 * client writes the key on the target only after the source lost it (ASK),
 * and a MIGRATING source never gets it back, so a copy that existed when
 * the source still had the key is stale, and a client write after the
 * target's WATCH makes the EXEC fail. The source connection `conn` keeps
 * its own watches (EXISTS is a read).
 */
async function replaceCopy(conn: AdminConnection, tconn: AdminConnection, key: Buffer, ttl: number, payload: Buffer): Promise<boolean> {
  await asking(tconn, [['WATCH', key]]);
  const there = await conn.send(['EXISTS', key]);
  if (there !== 1) {
    // Gone from the source (an ASK or 0): the target's copy may be a client's; the source's EXEC fails and the batch is read again.
    await tconn.send(['UNWATCH']);
    return false;
  }
  const [, , , ex] = await Promise.all(tconn.sendAll([['ASKING'], ['MULTI'], ['RESTORE-ASKING', key, ttl, payload, 'REPLACE'], ['EXEC']]));
  if (ex instanceof ClusterClientError) throw new AdminError(`${tconn.addr} refused RESTORE of ${describe([key])}: ${ex.message}; fix the cause and run the same command again to resume`);
  return Array.isArray(ex);
}

/**
 * Deletes `key` on the target (a node IMPORTING its slot) if it still holds
 * exactly the copy a transfer restored (`payload`): WATCH, DUMP, compare,
 * then MULTI DEL EXEC, which fails if the key was written after the WATCH,
 * on Shardis and Redis alike. Left: a client rewriting the key with
 * byte-identical contents between the RESTORE and the WATCH (a round trip
 * at most), whose write is then taken for the stale copy.
 */
async function dropCopy(tconn: AdminConnection, key: Buffer, payload: Buffer): Promise<void> {
  const [, cur] = await asking(tconn, [['WATCH', key], ['DUMP', key]], true);
  if (!Buffer.isBuffer(cur) || !cur.equals(payload)) {
    await tconn.send(['UNWATCH']);
    return;
  }
  const [, , , ex] = await Promise.all(tconn.sendAll([['ASKING'], ['MULTI'], ['DEL', key], ['EXEC']]));
  if (ex instanceof ClusterClientError) throw new AdminError(`${tconn.addr} refused DEL of ${describe([key])}: ${ex.message}; fix the cause and run the same command again to resume`);
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
  // 'transfer': the fast path's lanes (./transfer.ts), and connection
  // pairs for batches on the careful path (WATCH is per connection).
  const transfer = opts.method === 'transfer';
  let engine: TransferEngine | null = null;
  const pool: [AdminConnection, AdminConnection][] = [];
  const opened: AdminConnection[] = [];
  if (opts.replace) migrateHead.push('REPLACE');

  // --rate: each round reserves its keys before fetching them, so that the
  // slots in flight together keep to the rate; a round takes at most a
  // tenth of a second's worth.
  const roundKeys = opts.rate > 0 ? Math.max(1, Math.min(perRound, Math.floor(opts.rate / 10))) : perRound;
  let reserved = 0;
  const throttle = async (): Promise<void> => {
    if (opts.rate <= 0) return;
    for (;;) {
      const ahead = (reserved / opts.rate) * 1000 - (performance.now() - started);
      if (ahead <= 0 || stop.stopped) break;
      await sleep(Math.min(ahead, 100));
    }
    reserved += roundKeys;
  };
  /** Gives back the part of a round's reservation that the slot did not have. */
  const fetched = (n: number): void => {
    if (opts.rate > 0) reserved -= roundKeys - n;
  };

  const slowPath = async (slot: number, keys: Buffer[], sent: Map<string, Buffer>): Promise<number> => {
    let pair = pool.pop();
    if (!pair) {
      pair = [await AdminConnection.open(source.host, source.port), await AdminConnection.open(target.host, target.port)];
      opened.push(...pair);
    }
    try {
      return await transferBatch(pair[0], pair[1], slot, keys, sent, opts, progress);
    } finally {
      pool.push(pair);
    }
  };

  /** Step 3 for slot `s`: resolves with true once the source holds none of its keys, false if stopped first. */
  const moveKeys = async (s: number): Promise<boolean> => {
    for (;;) {
      if (stop.stopped) return false;
      await throttle();
      if (stop.stopped) return false;
      if (engine) {
        const keys = await engine.keysInSlot(s, roundKeys);
        const n = keys.offs.length - 1;
        fetched(n);
        if (n === 0) break;
        const jobs: Promise<number>[] = [];
        for (let i = 0; i < n; i += opts.batch) jobs.push(engine.move({ slot: s, keys, from: i, to: Math.min(n, i + opts.batch) }));
        for (const m of await Promise.all(jobs)) progress.keysDone += m;
        progress.update();
        continue;
      }
      const keys = (await src.callBuf('CLUSTER', 'GETKEYSINSLOT', s, roundKeys)) as Buffer[];
      fetched(keys.length);
      if (keys.length === 0) break;
      const batches: Buffer[][] = [];
      for (let i = 0; i < keys.length; i += opts.batch) batches.push(keys.slice(i, i + opts.batch));
      const replies = await Promise.all(batches.map((b) => src.send(['MIGRATE', ...migrateHead, 'KEYS', ...b])));
      for (let j = 0; j < replies.length; j++) {
        let r = replies[j];
        if (r instanceof ClusterClientError && !opts.replace && /BUSYKEY/.test(r.message) && source.owners![s] === source.id) {
          // The source owns the slot and migrates it to the target, so a key
          // the source holds is served by the source: a copy on the target is
          // invisible to clients and at most as new (a MIGRATE whose caller
          // was killed, or a write during a MIGRATE, leaves both). Overwrite
          // it, as redis-cli --cluster fix does. (Once the source has given
          // the slot away, the target's copy is the one served: no REPLACE.)
          r = await src.send(['MIGRATE', ...migrateHead, 'REPLACE', 'KEYS', ...batches[j]!]);
          if (!(r instanceof ClusterClientError)) warn(`Slot ${s}: the target held keys the source still had (an interrupted MIGRATE); replaced them with the source's copies, which clients were served`);
        }
        if (r instanceof ClusterClientError) {
          const hint = /BUSYKEY/.test(r.message)
            ? `; the target already holds some of these keys: inspect them, then rerun with --replace to overwrite them`
            : '; fix the cause and run the same command again to resume';
          throw new AdminError(`${source.addr} refused MIGRATE of slot ${s} to ${target.addr}: ${r.message}${hint}`);
        }
      }
      progress.keysDone += keys.length;
      progress.update();
      // No shortcut after a short batch: a MIGRATE that returned OK may still
      // have left keys on the source (a Shardis source keeps a key written
      // while its copy was in flight), so the slot is closed only once
      // GETKEYSINSLOT finds it empty.
    }
    return true;
  };

  /**
   * Moves the slots of `wave` together: each step is sent for every slot
   * of the wave at once (one write per node, see AdminConnection.send), so
   * the per-slot round trips and the nodes' per-command passes (Redis saves
   * its cluster config after each pass holding a SETSLOT) are shared.
   */
  const moveWave = async (wave: number[]): Promise<void> => {
    for (const s of wave) open.add(s);
    await Promise.all(wave.filter((s) => target.owners![s] !== target.id && target.importing.get(s) !== source.id).map((s) => tgt.call('CLUSTER', 'SETSLOT', s, 'IMPORTING', source.id)));
    await Promise.all(wave.filter((s) => source.owners![s] === source.id && source.migrating.get(s) !== target.id).map((s) => src.call('CLUSTER', 'SETSLOT', s, 'MIGRATING', target.id)));
    const emptied = await Promise.all(wave.map(moveKeys));
    const done = wave.filter((_, i) => emptied[i]);
    // 4. The target first: once it owns the slot, clients redirected there are served.
    await Promise.all(done.map((s) => tgt.call('CLUSTER', 'SETSLOT', s, 'NODE', target.id)));
    await Promise.all(done.map((s) => src.call('CLUSTER', 'SETSLOT', s, 'NODE', target.id).catch((err: Error) => {
      // Redis 7 turns a primary that saw its last slot go into a replica of
      // the new owner, which then refuses SETSLOT: the slot is moved already.
      if (!/SETSLOT only with masters/.test(err.message)) throw err;
    })));
    await Promise.all(others.flatMap((n) => done.map(async (s) => {
      try {
        await n.conn!.call('CLUSTER', 'SETSLOT', s, 'NODE', target.id);
      } catch (err) {
        warn(`Warning: ${(err as Error).message}; the node will learn the new owner of slot ${s} from the cluster bus`);
      }
    })));
    for (const s of done) {
      open.delete(s);
      moved.push(s);
    }
    progress.slotsDone += done.length;
    progress.update();
  };

  // `parallel` slots in flight, in two waves (one moves keys while the other opens or closes its slots).
  const waves = Math.min(2, Math.max(1, opts.parallel));
  const waveSize = Math.ceil(Math.max(1, opts.parallel) / waves);
  const worker = async (): Promise<void> => {
    while (!stop.stopped) {
      const wave = queue.splice(0, waveSize);
      if (wave.length === 0) return;
      try {
        await moveWave(wave);
      } catch (err) {
        stop.stopped = true; // the other workers stop at their next batch
        throw err;
      }
    }
  };
  try {
    if (transfer) {
      engine = await TransferEngine.open(source, target, Math.max(1, opts.pipeline), slowPath, {
        onRead: opts.onRead,
        onRestored: opts.onRestored,
        moved: (bytes) => (progress.bytesDone += bytes),
      });
    }
    await Promise.all(Array.from({ length: waves }, worker));
  } finally {
    await engine?.close();
    for (const conn of opened) conn.close();
  }
  progress.done();
  return { slotsMoved: moved.sort((a, b) => a - b), keysMoved: progress.keysDone, bytesMoved: progress.bytesDone, stopped: stop.stopped && (queue.length > 0 || open.size > 0), openSlots: [...open].sort((a, b) => a - b), ms: performance.now() - started };
}
