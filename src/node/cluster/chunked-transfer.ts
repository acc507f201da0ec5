/**
 * Chunked transfer of big keys inside MIGRATE (source side; the target side
 * is ./chunked-restore.ts, the element format ./chunk-codec.ts).
 *
 * Why. A whole-value DUMP + RESTORE of a million-element collection stops
 * the event loop for seconds on both nodes (serializing, then rebuilding).
 * Here no step of a transfer runs longer than a few milliseconds on either
 * side, so both nodes keep serving other clients while a big key moves.
 *
 * Which keys. `isBigValue`: a collection with more than
 * `CHUNKING.minElements` (2048) elements, or any value whose size estimate
 * (memoryUsage, O(1) or O(N <= minElements)) passes `CHUNKING.minBytes`
 * (4 MB). Smaller keys take MIGRATE's one-shot RESTORE path,
 * byte for byte as before.
 *
 * Algorithm, per big key (one `ChunkedTransfer`; a MIGRATE with several
 * big keys moves them one after the other, after its small keys):
 *  1. Attempt start: re-read the key (gone: nothing to move), pick a fresh
 *     transfer id, WATCH the key through the server's watch registry (any
 *     write, deletion, expiry, flush or swap of it flags the attempt dirty),
 *     and in cluster mode lock it: writes to it are refused with -TRYAGAIN
 *     (`transferLockError`, called by the cluster router) while reads are
 *     served. Clients retry TRYAGAIN, as they do for multi-key commands
 *     during a slot migration.
 *  2. Chunks: the value is read by position (`ChunkReader`) into chunks of
 *     at most `CHUNK_MAX_ELEMENTS` elements or `CHUNK_MAX_BYTES` bytes, each
 *     built within a `SLICE_MS` time slice, framed with a CRC and sent as
 *     `RESTORE-CHUNK key id seq payload [REPLACE]`. At most `WINDOW` chunks
 *     are unacknowledged at once, so neither side ever holds more than a
 *     few chunks of serialized data (never the whole payload). Between
 *     slices the source yields with setImmediate.
 *  3. The target stages the elements outside its keyspace, inserting each
 *     chunk within its own time budget (the first chunk also carries the
 *     element count, so the target sizes its buffers once).
 *  4. Commit: when every chunk is acknowledged and the key is still clean,
 *     `RESTORE-COMMIT key id chunks ttl [REPLACE]` with the TTL left at
 *     that moment. The target installs the staged value atomically (BUSYKEY
 *     and REPLACE as RESTORE). Only after its +OK does the source delete the
 *     key (unless COPY), and only if the key is still clean.
 *  5. A dirty key (a write that got through: a script, an expiry, a flush,
 *     or any write outside cluster mode, where there is no lock) aborts the
 *     attempt (`RESTORE-ABORT`, the target drops the staging) and starts a
 *     new one with the new value, up to `MAX_ATTEMPTS`; then MIGRATE fails
 *     with -TRYAGAIN and the key stays here, intact. No write is ever lost:
 *     a key is deleted only if it is exactly the value the target committed.
 *
 * A real Redis target has no RESTORE-CHUNK (it answers "unknown command"
 * to the first chunk, or the connection already knows it for a Redis, see
 * ./migrate.ts). There the key goes whole, as Redis's own MIGRATE sends it,
 * but is not built in one go: the attempt builds Redis's DUMP payload
 * (../rdb-payload.ts `RdbPayloadWriter`) one `SLICE_MS` slice per
 * event-loop turn, with the key watched and locked as above, then sends
 * `RESTORE(-ASKING) key ttl payload [REPLACE]` in place of RESTORE-COMMIT,
 * with the same rules for what follows its reply, the payload written one
 * piece of about 256 KiB per turn (./migrate.ts `TargetConn.request`). No
 * turn of the source runs longer than a slice or one piece's write; the
 * target (Redis) stalls while it loads the payload, as with Redis's MIGRATE.
 *
 * Errors: a target error reply (BUSYKEY, ...) ends the key's transfer with
 * "ERR Target instance replied with error: ..." (the next keys still move,
 * as in the one-shot path); an I/O error or timeout (MIGRATE's timeout
 * applies to each acknowledgement) ends the MIGRATE with IOERR.
 *
 * Switch (benchmarks, tests): the environment variable
 * `SHARDIS_MIGRATE_CHUNK_MIN` of the node sets `CHUNKING.minElements`; `off`
 * disables chunking (every key goes the one-shot way).
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { lookupCommand, getKeys } from '../../router/command-table.js';
import type { CommandSpec } from '../../router/command-spec.js';
import type { Client } from '../client.js';
import { framePayload } from '../dump.js';
import { RespError } from '../errors.js';
import type { Database } from '../keyspace.js';
import { ErrorReply } from '../resp/reply.js';
import type { Server } from '../server.js';
import type { Value } from '../values.js';
import type { Watcher } from '../watch.js';
import { RdbPayloadWriter } from '../rdb-payload.js';
import type { ReadBounds } from '../value-reader.js';
import { chunkReaderFor, type ChunkReader } from './chunk-codec.js';

const CHUNK_ENV = process.env['SHARDIS_MIGRATE_CHUNK_MIN'];

/**
 * Which values move in chunks: collections with more than `minElements`
 * elements, values estimated larger than `minBytes` bytes. Mutable for
 * in-process tests; a node process takes `SHARDIS_MIGRATE_CHUNK_MIN`.
 */
export const CHUNKING = {
  minElements: CHUNK_ENV === 'off' ? Infinity : CHUNK_ENV !== undefined && /^\d+$/.test(CHUNK_ENV) ? Number(CHUNK_ENV) : 2048,
  minBytes: CHUNK_ENV === 'off' ? Infinity : 4 * 1024 * 1024,
};
/** Bounds of one chunk. */
export const CHUNK_MAX_ELEMENTS = 8192;
export const CHUNK_MAX_BYTES = 256 * 1024;
/** Longest run of serialization before yielding. */
const SLICE_MS = 4;
/** Chunks sent and not yet acknowledged. */
const WINDOW = 4;
/** How a real Redis refuses the first RESTORE-CHUNK (it echoes the name as sent). */
const UNKNOWN_CHUNK_COMMAND = /^-ERR unknown command 'RESTORE-CHUNK'/i;
/** Attempts before giving up on a key that keeps changing. */
export const MAX_ATTEMPTS = 3;

const PROCESS_TAG = randomBytes(6).toString('hex');
let transferCounter = 0;

/** True if `v` should move in chunks (see the module comment). */
export function isBigValue(v: Value): boolean {
  if (typeof v === 'string') return v.length > CHUNKING.minBytes;
  if (v.size > CHUNKING.minElements) return true;
  return CHUNKING.minBytes !== Infinity && v.memoryUsage() > CHUNKING.minBytes;
}

/** RESP encoding of a command (latin1). */
export function respCommand(parts: readonly string[]): string {
  let out = '*' + parts.length + '\r\n';
  for (const p of parts) out += '$' + p.length + '\r\n' + p + '\r\n';
  return out;
}

/** An argument given in pieces (a big payload never joined into one string). */
export interface PiecedArg {
  readonly pieces: readonly string[];
  readonly length: number;
}

/** RESP encoding of a command, as pieces to write in order: `respCommand`'s bytes, with pieced arguments left unjoined. */
export function respCommandPieces(parts: readonly (string | PiecedArg)[]): string[] {
  const out: string[] = [];
  let cur = '*' + parts.length + '\r\n';
  for (const p of parts) {
    if (typeof p === 'string') {
      cur += '$' + p.length + '\r\n' + p + '\r\n';
      continue;
    }
    out.push(cur + '$' + p.length + '\r\n');
    for (const piece of p.pieces) out.push(piece);
    cur = '\r\n';
  }
  out.push(cur);
  return out;
}

/*------------------------------------------------------------------------------
 * Write lock (cluster mode)
 *----------------------------------------------------------------------------*/

const LOCKS = new WeakMap<Server, Map<string, number>>();
/** Locks held in the whole process: the router's fast path when zero. */
let lockCount = 0;
const LOCKED = new RespError('TRYAGAIN Key is being migrated, retry later');

/** Locks `key` against writes (cluster mode; counted, so nested locks are fine). Also used by MIGRATE's one-shot path. */
export function lock(server: Server, key: string): void {
  let m = LOCKS.get(server);
  if (m === undefined) LOCKS.set(server, (m = new Map()));
  m.set(key, (m.get(key) ?? 0) + 1);
  lockCount++;
}

/** Releases one `lock` of `key`. */
export function unlock(server: Server, key: string): void {
  const m = LOCKS.get(server);
  const n = m?.get(key);
  if (n === undefined) return;
  if (n <= 1) m!.delete(key);
  else m!.set(key, n - 1);
  lockCount--;
}

function lockedWrite(m: Map<string, number>, spec: CommandSpec, args: readonly string[]): boolean {
  if (!spec.flags.includes('write')) return false;
  for (const k of getKeys(spec, args)) if (m.has(k)) return true;
  return false;
}

/**
 * The cluster router's hook: -TRYAGAIN for a write command (or an EXEC whose
 * queue holds one) touching a key in chunked transfer from this node; null
 * otherwise. Costs one comparison while no transfer runs.
 */
export function transferLockError(c: Client, spec: CommandSpec, args: readonly string[]): RespError | null {
  if (lockCount === 0) return null;
  const m = LOCKS.get(c.server);
  if (m === undefined || m.size === 0) return null;
  if (spec.name === 'exec') {
    for (const q of c.multi ?? []) {
      const top = lookupCommand(q.args[0]!);
      const s = top?.subcommands && q.args.length > 1 ? (lookupCommand(`${top.name}|${q.args[1]!.toLowerCase()}`) ?? top) : top;
      if (s !== undefined && lockedWrite(m, s, q.args)) return LOCKED;
    }
    return null;
  }
  return lockedWrite(m, spec, args) ? LOCKED : null;
}

/*------------------------------------------------------------------------------
 * Source side
 *----------------------------------------------------------------------------*/

/** What a transfer needs of MIGRATE's cached target connection. */
export interface TransferConn {
  lastDb: number;
  /** The target is a real Redis: it takes Redis's payload format and has no RESTORE-CHUNK. */
  rdbPayloads: boolean;
  readonly connected: boolean;
  /**
   * Sends `payload` (a string, or pieces written in order, each after the
   * socket took the one before), after every earlier request's bytes; then
   * calls `done` with `expect` reply lines, or an Error.
   */
  request(payload: string | readonly string[], expect: number, timeoutMs: number, done: (r: string[] | Error) => void): void;
}

export interface TransferOptions {
  key: string;
  db: Database;
  dbid: number;
  replace: boolean;
  copy: boolean;
  /** Per-acknowledgement timeout, ms. */
  timeoutMs: number;
  /** AUTH command to send before the first chunk, if any. */
  auth?: string[];
}

/**
 * How a transfer ended: `moved` (committed on the target), `gone` (the key
 * disappeared here first), `refused` (the target answered an error: the
 * MIGRATE goes on with its other keys), `fatal` (I/O error, timeout, or
 * too many changes: the MIGRATE ends with `reply`).
 */
export type TransferResult = { kind: 'moved' } | { kind: 'gone' } | { kind: 'refused'; message: string } | { kind: 'fatal'; reply: ErrorReply };

interface Attempt {
  readonly id: string;
  readonly value: Value;
  /** Chunks to a Shardis target. */
  readonly reader: ChunkReader | undefined;
  /** The whole payload, for a real Redis target. */
  readonly rdb: RdbPayloadWriter | undefined;
  pos: number;
  seq: number;
  inflight: number;
  committing: boolean;
}

/** One big key moving in chunks (see the module comment). */
export class ChunkedTransfer {
  readonly #server: Server;
  readonly #conn: TransferConn;
  readonly #o: TransferOptions;
  readonly #done: (r: TransferResult) => void;
  readonly #watcher: Watcher = { watching: [], watchDirty: false };
  readonly #bounds: ReadBounds = { maxElements: CHUNK_MAX_ELEMENTS, maxBytes: CHUNK_MAX_BYTES, deadline: 0 };
  #attempt: Attempt | undefined;
  #attempts = 0;
  #scheduled = false;
  #finished = false;
  #locked = false;
  #authPending: boolean;
  /** Chunks sent over all attempts (tests and benchmarks). */
  chunksSent = 0;

  constructor(server: Server, conn: TransferConn, opts: TransferOptions, done: (r: TransferResult) => void) {
    this.#server = server;
    this.#conn = conn;
    this.#o = opts;
    this.#done = done;
    this.#authPending = opts.auth !== undefined;
  }

  /** Starts the first attempt. */
  start(): void {
    this.#begin();
  }

  /**
   * Stops silently (the MIGRATE's client went away): the target drops its
   * staging. A commit already sent is not stopped: the target may have
   * installed the key, so its reply must still delete the source copy (a key
   * never stays on both nodes); only the MIGRATE's reply is skipped.
   */
  cancel(): void {
    if (this.#finished || this.#attempt?.committing) return;
    this.#abortAttempt();
    this.#release();
    this.#finished = true;
  }

  #begin(): void {
    const { key, db } = this.#o;
    const value = db.get(key);
    if (value === undefined) {
      this.#finish({ kind: 'gone' });
      return;
    }
    this.#attempts++;
    this.#server.watches.watch(this.#watcher, db, key);
    if (this.#server.cluster !== undefined) {
      lock(this.#server, key);
      this.#locked = true;
    }
    this.#attempt = {
      id: `${PROCESS_TAG}.${(++transferCounter).toString(36)}`,
      value,
      reader: this.#conn.rdbPayloads ? undefined : chunkReaderFor(value),
      rdb: this.#conn.rdbPayloads ? new RdbPayloadWriter(value) : undefined,
      pos: 0,
      seq: 0,
      inflight: 0,
      committing: false,
    };
    this.#pump();
  }

  /** Unwatches and unlocks the key. */
  #release(): void {
    this.#server.watches.unwatchAll(this.#watcher);
    if (this.#locked) {
      unlock(this.#server, this.#o.key);
      this.#locked = false;
    }
  }

  #finish(r: TransferResult): void {
    if (this.#finished) return;
    this.#release();
    this.#attempt = undefined;
    this.#finished = true;
    this.#done(r);
  }

  #schedule(): void {
    if (this.#scheduled || this.#finished) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#pump();
    });
  }

  /** SELECT (and AUTH) prefix for the next request, with the count of replies it adds. */
  #prefix(): [string, number] {
    let out = '';
    let n = 0;
    if (this.#authPending) {
      out += respCommand(this.#o.auth!);
      n++;
      this.#authPending = false;
    }
    if (this.#conn.lastDb !== this.#o.dbid) {
      out += respCommand(['SELECT', String(this.#o.dbid)]);
      n++;
      this.#conn.lastDb = this.#o.dbid;
    }
    return [out, n];
  }

  /**
   * Sends `parts` (after any prefix) and calls `onReply` with the reply line
   * of the command itself, unless the attempt was replaced meanwhile. A
   * prefix error or an I/O error ends the transfer.
   */
  #send(a: Attempt, parts: (string | PiecedArg)[], onReply: (line: string) => void): void {
    const [prefix, n] = this.#prefix();
    let payload: string | string[];
    if (parts.every((p): p is string => typeof p === 'string')) payload = prefix + respCommand(parts);
    else {
      payload = respCommandPieces(parts);
      payload[0] = prefix + payload[0]!;
    }
    this.#conn.request(payload, n + 1, this.#o.timeoutMs, (res) => {
      if (this.#finished) return;
      if (res instanceof Error) {
        this.#conn.lastDb = -1;
        this.#finish({ kind: 'fatal', reply: new ErrorReply(`IOERR error or timeout ${this.#conn.connected ? 'reading' : 'writing'} to target instance`) });
        return;
      }
      for (let i = 0; i < n; i++) {
        if (res[i]!.startsWith('-')) {
          this.#conn.lastDb = -1;
          this.#finish({ kind: 'fatal', reply: new ErrorReply(`ERR Target instance replied with error: ${res[i]!.slice(1)}`) });
          return;
        }
      }
      if (this.#attempt !== a) return;
      onReply(res[n]!);
    });
  }

  /** Sends chunks while the window allows, one time slice at a time; commits at the end. */
  #pump(): void {
    const a = this.#attempt;
    if (this.#finished || a === undefined || a.committing) return;
    if (this.#watcher.watchDirty) {
      this.#restart();
      return;
    }
    const slice = performance.now() + SLICE_MS;
    if (a.rdb !== undefined) {
      if (a.rdb.step(slice)) this.#commit(a);
      else this.#schedule();
      return;
    }
    const reader = a.reader!;
    const total = reader.total;
    while (a.inflight < WINDOW && a.pos < total) {
      if (performance.now() > slice) {
        this.#schedule();
        return;
      }
      const parts: string[] = [];
      this.#bounds.deadline = slice;
      a.pos = reader.write(parts, a.pos, this.#bounds);
      const cmd = ['RESTORE-CHUNK', this.#o.key, a.id, String(a.seq++), framePayload(reader.tag, parts.join(''))];
      if (this.#o.replace) cmd.push('REPLACE');
      a.inflight++;
      this.chunksSent++;
      this.#send(a, cmd, (line) => this.#onChunkAck(a, line));
    }
    if (a.pos >= total && a.inflight === 0) this.#commit(a);
  }

  #onChunkAck(a: Attempt, line: string): void {
    a.inflight--;
    if (UNKNOWN_CHUNK_COMMAND.test(line)) {
      // A real Redis: the key goes again whole, in its format, as does every later big key on this connection.
      this.#conn.rdbPayloads = true;
      this.#release();
      this.#attempt = undefined;
      // This attempt only learned the target's kind: it does not count against MAX_ATTEMPTS.
      this.#attempts--;
      this.#begin();
      return;
    }
    if (line.startsWith('-')) {
      this.#abortAttempt();
      this.#finish({ kind: 'refused', message: line.slice(1) });
      return;
    }
    this.#schedule();
  }

  #commit(a: Attempt): void {
    const { key, db } = this.#o;
    if (this.#watcher.watchDirty || db.get(key) !== a.value) {
      this.#restart();
      return;
    }
    let ttl = 0;
    const at = db.getExpire(key);
    if (at !== undefined) ttl = Math.max(1, at - this.#server.clock.now());
    a.committing = true;
    const cmd: (string | PiecedArg)[] =
      a.rdb !== undefined
        ? [this.#server.cluster !== undefined ? 'RESTORE-ASKING' : 'RESTORE', key, String(ttl), a.rdb]
        : ['RESTORE-COMMIT', key, a.id, String(a.seq), String(ttl)];
    if (this.#o.replace) cmd.push('REPLACE');
    this.#send(a, cmd, (line) => {
      if (line.startsWith('-')) {
        this.#finish({ kind: 'refused', message: line.slice(1) });
        return;
      }
      // Committed: drop the source copy unless COPY, or a write got through meanwhile.
      const clean = !this.#watcher.watchDirty && db.get(key) === a.value;
      this.#release();
      if (!this.#o.copy && clean) db.delete(key);
      this.#finish({ kind: 'moved' });
    });
  }

  /** Tells the target to drop the current attempt's staging (reply ignored). */
  #abortAttempt(): void {
    const a = this.#attempt;
    if (a === undefined || a.seq === 0) return;
    const [prefix, n] = this.#prefix();
    this.#conn.request(prefix + respCommand(['RESTORE-ABORT', this.#o.key, a.id]), n + 1, this.#o.timeoutMs, () => {});
  }

  /** The key changed: abort this attempt and start over, or give up. */
  #restart(): void {
    this.#abortAttempt();
    this.#release();
    this.#attempt = undefined;
    if (this.#attempts >= MAX_ATTEMPTS) {
      this.#finish({ kind: 'fatal', reply: new ErrorReply(`TRYAGAIN Key changed ${MAX_ATTEMPTS} times while MIGRATE was moving it in chunks; it stays on the source`) });
      return;
    }
    this.#begin();
  }
}
