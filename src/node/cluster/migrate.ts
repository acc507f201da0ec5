/**
 * MIGRATE host port key|"" db timeout [COPY] [REPLACE] [AUTH pw | AUTH2 user pw] [KEYS k...]
 *
 * The source serializes the keys (our payload format, ../dump.ts, which
 * RESTORE on Shardis reads; DUMP itself answers Redis's) and pipelines to
 * the target, in one write: `AUTH` (if given), `SELECT db` (first use of the
 * connection or after a db change), then `RESTORE-ASKING key ttl payload
 * [REPLACE]` per key (plain RESTORE outside cluster mode). It then reads one
 * single-line reply per command, as Redis's migrateCommand does.
 *
 * Unlike Redis, the transfer does not freeze the node: the calling client is
 * blocked (other clients keep being served) and answered when the target has
 * replied. Redis's MIGRATE is atomic because it stops the server; here a
 * key on its way is guarded instead: watched (any write, in-place change,
 * deletion, expiry or flush marks it), and in cluster mode locked, so that a
 * client's write gets -TRYAGAIN (clients retry it; by then the key is on the
 * target and they follow ASK). A key is deleted from the source only after
 * the target acknowledged its RESTORE and only if it is unchanged; a changed
 * key is sent again with REPLACE (at most 3 rounds, then -TRYAGAIN and the
 * key stays here). Acknowledged keys are deleted even if the calling client
 * disconnected or timed out meanwhile, so a key never stays on both nodes.
 *
 * A real Redis target refuses our payloads (`ERR DUMP payload version or
 * checksum are wrong`): the refused keys go again in Redis's own format
 * (../rdb-payload.ts), and the connection keeps using it. Big keys go
 * into Redis whole, built over several event-loop turns (see
 * ./chunked-transfer.ts, "A real Redis target").
 *
 * Big keys (./chunked-transfer.ts `isBigValue`) do not go in this one-shot
 * pipeline: after the small keys, each moves in chunks (RESTORE-CHUNK ...
 * RESTORE-COMMIT), so that neither node stalls while it is serialized or
 * rebuilt (see that module for the algorithm). A MIGRATE without big keys
 * behaves exactly as described above.
 *
 * Connections are cached per `host:port` (at most 64) and closed after 10 s
 * idle; requests on one connection are answered in order, so several
 * clients may MIGRATE to the same target at once.
 */
import { connect, type Socket } from 'node:net';
import type { Client } from '../client.js';
import { BLOCKED } from '../command-handler.js';
import { DUMP_PAYLOAD_ERROR, serializeValue } from '../dump.js';
import { serializeRdb } from '../rdb-payload.js';
import { NOT_INTEGER, RespError, SYNTAX } from '../errors.js';
import { ErrorReply, OK, SimpleString, type Reply } from '../resp/reply.js';
import type { Server } from '../server.js';
import type { Database } from '../keyspace.js';
import type { Watcher } from '../watch.js';
import type { Value } from '../values.js';
import { ChunkedTransfer, isBigValue, lock, respCommand, unlock, type TransferResult } from './chunked-transfer.js';

const IDLE_MS = 10_000;
const MAX_CACHED = 64;
const NOKEY = new SimpleString('NOKEY');
/** A RESTORE reply refusing the payload's format (what Redis answers to ours). */
const PAYLOAD_REFUSED = '-' + DUMP_PAYLOAD_ERROR.message;

interface Pending {
  /** Replies still expected. */
  expect: number;
  replies: string[];
  done: (replies: string[] | Error) => void;
  timer: NodeJS.Timeout;
}

/** One cached connection to a target. */
class TargetConn {
  readonly socket: Socket;
  lastDb = -1;
  /** The target refused our payload format (a real Redis): RESTOREs carry Redis's (../rdb-payload.ts). */
  rdbPayloads = false;
  lastUse: number;
  connected = false;
  dead = false;
  #buf = '';
  #queue: Pending[] = [];
  /** Pieces of pieced requests not written yet, in order (see `request`). */
  #out: string[] = [];
  #outAt = 0;
  /** A piece is in the socket's buffer: the rest waits for 'drain' and the next turn. */
  #waiting = false;

  constructor(
    readonly key: string,
    host: string,
    port: number,
    now: number,
    readonly onDead: (t: TargetConn) => void,
  ) {
    this.lastUse = now;
    this.socket = connect({ host, port, noDelay: true });
    this.socket.setNoDelay(true);
    this.socket.on('connect', () => (this.connected = true));
    this.socket.on('data', (d: Buffer) => this.#onData(d.toString('latin1')));
    this.socket.on('drain', () => {
      if (this.#waiting) setImmediate(() => this.#flush());
    });
    this.socket.on('error', (err) => this.fail(err));
    this.socket.on('close', () => this.fail(new Error('closed')));
  }

  #onData(s: string): void {
    this.#buf += s;
    for (;;) {
      const nl = this.#buf.indexOf('\r\n');
      if (nl < 0) return;
      const line = this.#buf.slice(0, nl);
      this.#buf = this.#buf.slice(nl + 2);
      const p = this.#queue[0];
      if (!p) continue;
      p.replies.push(line);
      if (--p.expect === 0) {
        this.#queue.shift();
        clearTimeout(p.timer);
        p.done(p.replies);
      }
    }
  }

  /**
   * Sends `payload` and resolves with `expect` reply lines, or an Error (I/O
   * failure or timeout). A payload in pieces (a big key's whole RESTORE to a
   * real Redis) is written one piece per event-loop turn, each once the
   * socket took the one before: Node copies every string it queues, so
   * writing all pieces at once would hold a second copy of the payload (and
   * one turn would pay for copying it all). Requests made meanwhile queue
   * behind it.
   */
  request(payload: string | readonly string[], expect: number, timeoutMs: number, done: (r: string[] | Error) => void): void {
    const timer = setTimeout(() => this.fail(new Error('timeout')), timeoutMs);
    this.#queue.push({ expect, replies: [], done, timer });
    if (typeof payload === 'string' && this.#outAt === this.#out.length) {
      this.socket.write(payload, 'latin1');
      return;
    }
    if (typeof payload === 'string') this.#out.push(payload);
    else for (const p of payload) this.#out.push(p);
    if (!this.#waiting) this.#flush();
  }

  /** Writes queued pieces until the socket buffers one (then 'drain' resumes, a turn later). */
  #flush(): void {
    this.#waiting = false;
    while (!this.dead && this.#outAt < this.#out.length) {
      const piece = this.#out[this.#outAt++]!;
      if (!this.socket.write(piece, 'latin1')) {
        this.#waiting = true;
        return;
      }
    }
    this.#out.length = 0;
    this.#outAt = 0;
  }

  fail(err: Error): void {
    if (this.dead) return;
    this.dead = true;
    this.#out.length = 0;
    this.#outAt = 0;
    this.socket.destroy();
    this.onDead(this);
    const q = this.#queue;
    this.#queue = [];
    for (const p of q) {
      clearTimeout(p.timer);
      p.done(err);
    }
  }

  get idle(): boolean {
    return this.#queue.length === 0;
  }
}

/** The per-server connection cache. */
class MigrateCache {
  readonly conns = new Map<string, TargetConn>();
  #sweeper: NodeJS.Timeout;

  constructor(readonly server: Server) {
    this.#sweeper = setInterval(() => this.sweep(), 1000);
    this.#sweeper.unref();
  }

  get(host: string, port: number): TargetConn {
    const key = `${host}:${port}`;
    let t = this.conns.get(key);
    if (!t || t.dead) {
      if (this.conns.size >= MAX_CACHED) this.evictOne();
      t = new TargetConn(key, host, port, this.server.clock.now(), (dead) => {
        if (this.conns.get(dead.key) === dead) this.conns.delete(dead.key);
      });
      this.conns.set(key, t);
    }
    t.lastUse = this.server.clock.now();
    return t;
  }

  evictOne(): void {
    for (const t of this.conns.values()) {
      if (t.idle) {
        t.fail(new Error('evicted'));
        return;
      }
    }
  }

  sweep(): void {
    const now = this.server.clock.now();
    for (const t of [...this.conns.values()]) if (t.idle && now - t.lastUse > IDLE_MS) t.fail(new Error('idle'));
  }

  close(): void {
    clearInterval(this.#sweeper);
    for (const t of [...this.conns.values()]) t.fail(new Error('shutdown'));
  }
}

const CACHES = new WeakMap<Server, MigrateCache>();

function cacheOf(server: Server): MigrateCache {
  let c = CACHES.get(server);
  if (!c) {
    c = new MigrateCache(server);
    CACHES.set(server, c);
    const cl = server.cluster as { closeHooks?: (() => void)[] } | undefined;
    const cache = c;
    cl?.closeHooks?.push(() => cache.close());
  }
  return c;
}

function parseLongArg(s: string): number {
  if (!/^-?(0|[1-9][0-9]*)$/.test(s)) throw NOT_INTEGER;
  const n = Number(s);
  if (!Number.isSafeInteger(n)) throw NOT_INTEGER;
  return n;
}

/** A key MIGRATE's one-shot path sends: its value and TTL when read, and a watch on it. */
interface Found {
  key: string;
  value: Value;
  ttl: number;
  watcher: Watcher;
  /** Set by `release`: the key changed while on its way. */
  changed: boolean;
}

/** Rounds of the one-shot path before a key that keeps changing is left on the source. */
const MAX_ROUNDS = 3;

/** The key's value and remaining TTL (at least 1 ms), or undefined if it does not exist. */
function readKey(c: Client, db: Database, key: string): Found | undefined {
  const value = db.get(key);
  if (value === undefined) return undefined;
  const at = db.getExpire(key);
  let ttl = 0;
  if (at !== undefined) {
    ttl = at - c.server.clock.now();
    if (ttl < 0) return undefined;
    if (ttl < 1) ttl = 1;
  }
  return { key, value, ttl, watcher: { watching: [], watchDirty: false }, changed: false };
}

/**
 * While a one-shot key is on its way: watch it (any change, deletion,
 * expiry or flush marks it dirty, so an in-place HSET is seen too), and in
 * cluster mode lock it, so client writes get -TRYAGAIN (as during a chunked
 * transfer) instead of landing on a copy about to be deleted.
 */
function guard(server: Server, db: Database, f: Found): void {
  server.watches.watch(f.watcher, db, f.key);
  if (server.cluster !== undefined) lock(server, f.key);
}

/** Ends `guard`, noting in `f.changed` whether the key changed (unwatching clears the flag). */
function release(server: Server, f: Found): void {
  f.changed = f.watcher.watchDirty;
  server.watches.unwatchAll(f.watcher);
  if (server.cluster !== undefined) unlock(server, f.key);
}

/** The MIGRATE handler (see the module comment). */
export function migrateCommand(c: Client, args: string[]): Reply | typeof BLOCKED {
  let copy = false;
  let replace = false;
  let auth: string[] | undefined;
  let keys: string[] = [args[3]!];
  for (let j = 6; j < args.length; j++) {
    const opt = args[j]!.toLowerCase();
    const more = args.length - j - 1;
    if (opt === 'copy') copy = true;
    else if (opt === 'replace') replace = true;
    else if (opt === 'auth') {
      if (more < 1) throw SYNTAX;
      auth = ['AUTH', args[++j]!];
    } else if (opt === 'auth2') {
      if (more < 2) throw SYNTAX;
      auth = ['AUTH', args[j + 1]!, args[j + 2]!];
      j += 2;
    } else if (opt === 'keys') {
      if (args[3]!.length !== 0) throw new RespError('ERR When using MIGRATE KEYS option, the key argument must be set to the empty string');
      keys = args.slice(j + 1);
      break;
    } else throw SYNTAX;
  }
  let timeout = parseLongArg(args[5]!);
  const dbid = parseLongArg(args[4]!);
  if (timeout <= 0) timeout = 1000;

  const db = c.db;
  const found: Found[] = [];
  for (const key of keys) {
    const f = readKey(c, db, key);
    if (f !== undefined) found.push(f);
  }
  if (found.length === 0) return NOKEY;

  const host = args[1]!;
  const port = Number(args[2]);
  const conn = cacheOf(c.server).get(host, port);
  // Big keys leave `found` (the one-shot batch) for `big`.
  const big: string[] = [];
  let kept = 0;
  for (const f of found) {
    if (isBigValue(f.value)) big.push(f.key);
    else found[kept++] = f;
  }
  found.length = kept;

  // `finished`: the client has its reply (or is gone); `gone`: it disconnected.
  // Acknowledged one-shot keys are deleted here even then (a key the target
  // holds must not stay on the source too); only the reply is skipped.
  let finished = false;
  let gone = false;
  const finish = (r: Reply): void => {
    if (finished) return;
    finished = true;
    if (!gone) c.unblock(r);
  };
  // The big keys, one after the other, once the small ones are done (see chunked-transfer.ts).
  let transfer: ChunkedTransfer | undefined;
  let moved = found.length > 0;
  const moveBig = (i: number, error: string | undefined): void => {
    if (finished) return;
    if (i === big.length) {
      finish(error !== undefined ? new ErrorReply(`ERR Target instance replied with error: ${error}`) : moved ? OK : NOKEY);
      return;
    }
    transfer = new ChunkedTransfer(c.server, conn, { key: big[i]!, db, dbid, replace, copy, timeoutMs: timeout, auth }, (r: TransferResult) => {
      transfer = undefined;
      if (finished) return;
      if (r.kind === 'fatal') {
        finish(r.reply);
        return;
      }
      if (r.kind === 'moved') moved = true;
      moveBig(i + 1, r.kind === 'refused' ? (error ?? r.message) : error);
    });
    transfer.start();
  };
  c.blocked = {
    reason: 'migrate',
    cancel: () => {
      gone = true;
      finished = true;
      transfer?.cancel();
    },
    wake: () => {
      transfer?.cancel();
      finish(new ErrorReply('IOERR error or timeout reading to target instance'));
    },
  };
  if (found.length === 0) {
    moveBig(0, undefined);
    return BLOCKED;
  }

  // One round of one-shot RESTOREs; keys written meanwhile go again (with
  // REPLACE: the target now holds this node's older copy), up to MAX_ROUNDS.
  // A target that refuses our payload format is a real Redis: the refused
  // keys go again in the same round with Redis's format, as does every later
  // MIGRATE on this connection.
  const sendRound = (batch: Found[], round: number): void => {
    const rdb = conn.rdbPayloads;
    const restore = c.server.cluster ? 'RESTORE-ASKING' : 'RESTORE';
    let payload = '';
    let expect = 0;
    if (auth && round === 1) {
      payload += respCommand(auth);
      expect++;
    }
    const selecting = conn.lastDb !== dbid;
    if (selecting) {
      payload += respCommand(['SELECT', String(dbid)]);
      expect++;
      conn.lastDb = dbid;
    }
    for (const f of batch) {
      const parts = [restore, f.key, String(f.ttl), rdb ? serializeRdb(f.value) : serializeValue(f.value)];
      if (replace || round > 1) parts.push('REPLACE');
      payload += respCommand(parts);
      expect++;
      guard(c.server, db, f);
    }
    conn.request(payload, expect, timeout, (res) => {
      for (const f of batch) release(c.server, f);
      if (res instanceof Error) {
        conn.lastDb = -1;
        finish(new ErrorReply(`IOERR error or timeout ${conn.connected ? 'reading' : 'writing'} to target instance`));
        return;
      }
      let i = 0;
      for (let pre = expect - batch.length; pre > 0; pre--) {
        const r = res[i++]!;
        if (r.startsWith('-')) {
          conn.lastDb = -1;
          finish(new ErrorReply(`ERR Target instance replied with error: ${r.slice(1)}`));
          return;
        }
      }
      let error: string | undefined;
      const again: Found[] = [];
      const refused: Found[] = [];
      for (const f of batch) {
        const r = res[i++]!;
        if (r.startsWith('-')) {
          if (!rdb && r === PAYLOAD_REFUSED) refused.push(f);
          else error ??= r.slice(1);
          continue;
        }
        if (copy) continue;
        // Acknowledged: drop the source copy, unless a write changed it
        // meanwhile: then it goes again. A key deleted or expired here
        // meanwhile leaves the target's copy, which carries the same TTL.
        if (!f.changed && db.get(f.key) === f.value) db.delete(f.key);
        else {
          const now = readKey(c, db, f.key);
          if (now !== undefined) again.push(now);
        }
      }
      if (refused.length !== 0) {
        if (again.length === 0 && error === undefined) {
          conn.rdbPayloads = true;
          // Read again: the target holds none of them, and a key deleted meanwhile stays deleted.
          const still = refused.map((f) => readKey(c, db, f.key)).filter((f): f is Found => f !== undefined);
          if (still.length !== 0) {
            sendRound(still, round);
            return;
          }
        } else {
          // A target that took some of our payloads and refused others is not one we know: report it.
          error ??= PAYLOAD_REFUSED.slice(1);
        }
      }
      if (again.length !== 0) {
        if (round < MAX_ROUNDS) {
          sendRound(again, round + 1);
          return;
        }
        finish(new ErrorReply(`TRYAGAIN ${again.length} key(s) changed ${MAX_ROUNDS} times while MIGRATE was moving them; they stay on the source`));
        return;
      }
      if (finished) return;
      if (big.length === 0) finish(error === undefined ? OK : new ErrorReply(`ERR Target instance replied with error: ${error}`));
      else moveBig(0, error);
    });
  };
  sendRound(found, 1);
  return BLOCKED;
}
