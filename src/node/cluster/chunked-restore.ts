/**
 * Target side of the chunked MIGRATE (see ./chunked-transfer.ts for the
 * whole algorithm): RESTORE-CHUNK, RESTORE-COMMIT and RESTORE-ABORT.
 *
 *   RESTORE-CHUNK key transfer-id seq payload [REPLACE]
 *   RESTORE-COMMIT key transfer-id chunks ttl [REPLACE]
 *   RESTORE-ABORT key transfer-id
 *
 * Staging. Chunks are assembled outside the keyspace, in a per-server
 * staging area keyed by database and key, so nothing of a transfer is
 * visible (GET, DBSIZE, KEYS, SCAN, GETKEYSINSLOT) before its commit. One
 * transfer per key: chunk 0 of a new transfer id discards the staging of an
 * older one (a source that restarted a transfer). A staging untouched for
 * `STAGING_IDLE_MS` is dropped (a source that died), and the area lives in
 * memory only, so a restart drops it too. The database is the client's at
 * chunk 0 (the source SELECTs before it); the commit installs into it.
 *
 * Time budget. A chunk is decoded at once (a bounded size, checked by the
 * source) and its elements are inserted in slices of `APPLY_SLICE_MS`; a
 * chunk that needs more than one slice blocks its connection (the source's)
 * and goes on after `setImmediate`, so other clients are served between
 * slices. The connection's next command (the next chunk, or the commit)
 * waits until the reply, as pipelined commands after a blocked one do.
 * No single insert is O(N) either, or a slice would not bound anything:
 * the first chunk's element count pre-sizes the staged value's flat
 * buffers (../chunk-codec.ts: a list's ring, a skiplist's records), a
 * hash's, set's or sorted set's index (DenseMap, ../collection-scan.ts) is
 * split into segments from the start, so no JS Map rehashes the whole
 * collection when it doubles, and DenseMap's element tables are paged
 * (../paged-array.ts), so none is copied whole. Measured with
 * bench/bigkey.ts, the target's longest stall while a 1M-element
 * collection is staged went from 60-190 ms of CPU (a JS Map doubling past
 * 524288 entries, an array copied as it grew) to 50-80 ms (garbage
 * collection, and the pre-sized buffer's allocation), then 20-40 ms once
 * the tables were paged (2026-11-26, `--type all --rounds 1
 * --only-chunked`).
 *
 * Commit is O(1): the staged value becomes the key (REPLACE deletes the old
 * one first; without it an existing key gives BUSYKEY, checked at chunk 0
 * too so that a doomed transfer stops early), with the TTL RESTORE would
 * give it.
 */
import { performance } from 'node:perf_hooks';
import { signalKeyReady } from '../blocking.js';
import type { Client } from '../client.js';
import { BLOCKED, type HandlerTable } from '../command-handler.js';
import { BAD_DATA_FORMAT, unframePayload } from '../dump.js';
import { NOT_INTEGER, RespError, SYNTAX } from '../errors.js';
import type { Database } from '../keyspace.js';
import { OK, type Reply } from '../resp/reply.js';
import type { Server } from '../server.js';
import { ChunkAssembler, decodeChunk, type DecodedChunk } from './chunk-codec.js';

/** A staging untouched this long is dropped. */
export const STAGING_IDLE_MS = 30_000;
/** Longest run of element inserts before yielding to other clients. */
const APPLY_SLICE_MS = 5;

const BUSY_KEY = new RespError('BUSYKEY Target key name already exists.');
const UNKNOWN_TRANSFER = new RespError('ERR Unknown transfer id or chunk out of order');

interface Staging {
  readonly id: string;
  readonly db: Database;
  readonly assembler: ChunkAssembler;
  /** Sequence number the next chunk must carry. */
  nextSeq: number;
  /** True while a chunk is still being inserted (its reply not sent). */
  applying: boolean;
  touched: number;
}

/** The staging area of one server. */
class StagingArea {
  readonly byKey = new Map<string, Staging>();
  #sweeper: NodeJS.Timeout | undefined;

  constructor(readonly server: Server) {}

  static slot(db: Database, key: string): string {
    return db.id + ':' + key;
  }

  get(db: Database, key: string): Staging | undefined {
    return this.byKey.get(StagingArea.slot(db, key));
  }

  put(db: Database, key: string, s: Staging): void {
    this.byKey.set(StagingArea.slot(db, key), s);
    if (this.#sweeper === undefined) {
      this.#sweeper = setInterval(() => this.sweep(), 1000);
      this.#sweeper.unref();
    }
  }

  /** Drops the staging of `key` if it is `s` (or any, when `s` is undefined). */
  drop(db: Database, key: string, s?: Staging): void {
    const slot = StagingArea.slot(db, key);
    if (s === undefined || this.byKey.get(slot) === s) this.byKey.delete(slot);
    if (this.byKey.size === 0) this.#stop();
  }

  sweep(): void {
    const now = this.server.clock.now();
    for (const [slot, s] of this.byKey) {
      if (!s.applying && now - s.touched > STAGING_IDLE_MS) {
        this.byKey.delete(slot);
        this.server.log('notice', `Dropped the staging of an unfinished MIGRATE transfer ${s.id} after ${STAGING_IDLE_MS} ms idle`);
      }
    }
    if (this.byKey.size === 0) this.#stop();
  }

  #stop(): void {
    if (this.#sweeper !== undefined) clearInterval(this.#sweeper);
    this.#sweeper = undefined;
  }
}

const AREAS = new WeakMap<Server, StagingArea>();

function areaOf(server: Server): StagingArea {
  let a = AREAS.get(server);
  if (a === undefined) AREAS.set(server, (a = new StagingArea(server)));
  return a;
}

/** Number of transfers staged on `server` (for tests and INFO-like reports). */
export function stagedTransfers(server: Server): number {
  return AREAS.get(server)?.byKey.size ?? 0;
}

function parseCount(s: string): number {
  if (!/^(0|[1-9][0-9]*)$/.test(s)) throw NOT_INTEGER;
  const n = Number(s);
  if (!Number.isSafeInteger(n)) throw NOT_INTEGER;
  return n;
}

/** True if the optional trailing argument at `i` is REPLACE; throws SYNTAX for anything else. */
function replaceOption(args: string[], i: number): boolean {
  if (args.length <= i) return false;
  if (args.length === i + 1 && args[i]!.toLowerCase() === 'replace') return true;
  throw SYNTAX;
}

/**
 * Inserts the elements of `chunk` into `s` from `from` on, one slice now
 * and the rest after setImmediate; `c` is blocked meanwhile and answered
 * OK (or Bad data format) at the end.
 */
function applySlices(c: Client, area: StagingArea, key: string, s: Staging, chunk: DecodedChunk, from: number): Reply | typeof BLOCKED {
  const pos = s.assembler.apply(chunk, from, performance.now() + APPLY_SLICE_MS);
  if (pos < 0) {
    s.applying = false;
    area.drop(s.db, key, s);
    throw BAD_DATA_FORMAT;
  }
  if (pos >= chunk.items.length) {
    s.applying = false;
    s.touched = c.server.clock.now();
    return OK;
  }
  s.applying = true;
  let cancelled = false;
  c.blocked = {
    reason: 'restore-chunk',
    cancel: () => {
      cancelled = true;
      s.applying = false;
      area.drop(s.db, key, s);
    },
    wake: () => {
      cancelled = true;
      s.applying = false;
      area.drop(s.db, key, s);
      c.unblock(UNKNOWN_TRANSFER);
    },
  };
  const step = (at: number): void => {
    if (cancelled) return;
    const next = s.assembler.apply(chunk, at, performance.now() + APPLY_SLICE_MS);
    if (next < 0) {
      s.applying = false;
      area.drop(s.db, key, s);
      c.unblock(BAD_DATA_FORMAT);
      return;
    }
    if (next < chunk.items.length) {
      setImmediate(step, next);
      return;
    }
    s.applying = false;
    s.touched = c.server.clock.now();
    c.unblock(OK);
  };
  setImmediate(step, pos);
  return BLOCKED;
}

/*-----------------------------------------------------------------------------
 * Chunked restore commands
 *----------------------------------------------------------------------------*/

/** RESTORE-CHUNK key transfer-id seq payload [REPLACE] */
export function restoreChunkCommand(c: Client, args: string[]): Reply | typeof BLOCKED {
  const key = args[1]!;
  const id = args[2]!;
  const seq = parseCount(args[3]!);
  const replace = replaceOption(args, 5);
  const area = areaOf(c.server);
  const db = c.db;
  let s = area.get(db, key);
  if (seq === 0) {
    if (s !== undefined) area.drop(db, key, s);
    if (!replace && db.get(key) !== undefined) throw BUSY_KEY;
  } else if (s === undefined || s.id !== id || s.nextSeq !== seq || s.applying) {
    if (s !== undefined && s.id === id) area.drop(db, key, s);
    throw UNKNOWN_TRANSFER;
  }
  const { tag, body } = unframePayload(args[4]!);
  if (s !== undefined && seq !== 0 && s.assembler.tag !== tag) {
    area.drop(db, key, s);
    throw BAD_DATA_FORMAT;
  }
  const chunk = decodeChunk(tag, body);
  if (chunk === undefined) {
    if (s !== undefined && seq !== 0) area.drop(db, key, s);
    throw BAD_DATA_FORMAT;
  }
  if (seq === 0) {
    let assembler: ChunkAssembler;
    try {
      assembler = new ChunkAssembler(tag, chunk.flags, chunk.sizeHint);
    } catch {
      throw BAD_DATA_FORMAT;
    }
    s = { id, db, assembler, nextSeq: 0, applying: false, touched: c.server.clock.now() };
    area.put(db, key, s);
  }
  s = s!;
  s.nextSeq++;
  s.touched = c.server.clock.now();
  return applySlices(c, area, key, s, chunk, 0);
}

/** RESTORE-COMMIT key transfer-id chunks ttl [REPLACE] */
export function restoreCommitCommand(c: Client, args: string[]): Reply {
  const key = args[1]!;
  const id = args[2]!;
  const chunks = parseCount(args[3]!);
  if (!/^-?(0|[1-9][0-9]*)$/.test(args[4]!)) throw NOT_INTEGER;
  const ttlArg = Number(args[4]!);
  if (!Number.isSafeInteger(ttlArg)) throw NOT_INTEGER;
  const replace = replaceOption(args, 5);
  const area = areaOf(c.server);
  const s = area.get(c.db, key);
  if (s === undefined || s.id !== id || s.nextSeq !== chunks || s.applying) throw UNKNOWN_TRANSFER;
  area.drop(c.db, key, s);
  const db = s.db;
  if (!replace && db.get(key) !== undefined) throw BUSY_KEY;
  if (ttlArg < 0) throw new RespError('ERR Invalid TTL value, must be >= 0');
  const value = s.assembler.finish();
  if (value === undefined) throw BAD_DATA_FORMAT;
  if (replace) db.delete(key);
  const now = c.server.clock.now();
  if (ttlArg !== 0) {
    // The source sends the remaining TTL (at least 1 ms) of a live key.
    db.set(key, value);
    db.setExpire(key, now + ttlArg);
  } else db.set(key, value);
  signalKeyReady(db, key);
  return OK;
}

/** RESTORE-ABORT key transfer-id: drops the staging of that transfer, if any. Always OK. */
export function restoreAbortCommand(c: Client, args: string[]): Reply {
  const area = areaOf(c.server);
  const s = area.get(c.db, args[1]!);
  if (s !== undefined && s.id === args[2]!) area.drop(s.db, args[1]!, s);
  return OK;
}

export const CHUNKED_RESTORE_HANDLERS: HandlerTable = {
  'restore-chunk': restoreChunkCommand,
  'restore-commit': restoreCommitCommand,
  'restore-abort': restoreAbortCommand,
};
