/**
 * MIGRATE host port key|"" db timeout [COPY] [REPLACE] [AUTH pw | AUTH2 user pw] [KEYS k...]
 *
 * The source serializes the keys (DUMP format, ../dump.ts) and pipelines to
 * the target, in one write: `AUTH` (if given), `SELECT db` (first use of the
 * connection or after a db change), then `RESTORE-ASKING key ttl payload
 * [REPLACE]` per key (plain RESTORE outside cluster mode). It then reads one
 * single-line reply per command, as Redis's migrateCommand does.
 *
 * Unlike Redis, the transfer does not freeze the node: the calling client is
 * blocked (other clients keep being served) and answered when the target has
 * replied. A key is deleted from the source only after the target
 * acknowledged its RESTORE, and only if it still holds the value that was
 * sent (a write that landed during the transfer keeps the key here).
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
import { serializeValue } from '../dump.js';
import { NOT_INTEGER, RespError, SYNTAX } from '../errors.js';
import { ErrorReply, OK, SimpleString, type Reply } from '../resp/reply.js';
import type { Server } from '../server.js';
import type { Value } from '../values.js';
import { ChunkedTransfer, isBigValue, respCommand, type TransferResult } from './chunked-transfer.js';

const IDLE_MS = 10_000;
const MAX_CACHED = 64;
const NOKEY = new SimpleString('NOKEY');

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
  lastUse: number;
  connected = false;
  dead = false;
  #buf = '';
  #queue: Pending[] = [];

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

  /** Sends `payload` and resolves with `expect` reply lines, or an Error (I/O failure or timeout). */
  request(payload: string, expect: number, timeoutMs: number, done: (r: string[] | Error) => void): void {
    const timer = setTimeout(() => this.fail(new Error('timeout')), timeoutMs);
    this.#queue.push({ expect, replies: [], done, timer });
    this.socket.write(payload, 'latin1');
  }

  fail(err: Error): void {
    if (this.dead) return;
    this.dead = true;
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

  // Keys that exist now, with their values and remaining TTLs.
  const db = c.db;
  const now = c.server.clock.now();
  const found: { key: string; value: Value; ttl: number }[] = [];
  for (const key of keys) {
    const value = db.get(key);
    if (value === undefined) continue;
    const at = db.getExpire(key);
    let ttl = 0;
    if (at !== undefined) {
      ttl = at - now;
      if (ttl < 0) continue;
      if (ttl < 1) ttl = 1;
    }
    found.push({ key, value, ttl });
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

  // The big keys, one after the other, once the small ones are done (see chunked-transfer.ts).
  let finished = false;
  let transfer: ChunkedTransfer | undefined;
  let moved = found.length > 0;
  const moveBig = (i: number, error: string | undefined): void => {
    if (finished) return;
    if (i === big.length) {
      finished = true;
      c.unblock(error !== undefined ? new ErrorReply(`ERR Target instance replied with error: ${error}`) : moved ? OK : NOKEY);
      return;
    }
    transfer = new ChunkedTransfer(c.server, conn, { key: big[i]!, db, dbid, replace, copy, timeoutMs: timeout, auth }, (r: TransferResult) => {
      transfer = undefined;
      if (finished) return;
      if (r.kind === 'fatal') {
        finished = true;
        c.unblock(r.reply);
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
      finished = true;
      transfer?.cancel();
    },
    wake: () => {
      finished = true;
      transfer?.cancel();
      c.unblock(new ErrorReply('IOERR error or timeout reading to target instance'));
    },
  };
  if (found.length === 0) {
    moveBig(0, undefined);
    return BLOCKED;
  }
  const restore = c.server.cluster ? 'RESTORE-ASKING' : 'RESTORE';
  let payload = '';
  let expect = 0;
  if (auth) {
    payload += respCommand(auth);
    expect++;
  }
  const selecting = conn.lastDb !== dbid;
  if (selecting) {
    payload += respCommand(['SELECT', String(dbid)]);
    expect++;
    conn.lastDb = dbid;
  }
  for (const f of found) {
    const parts = [restore, f.key, String(f.ttl), serializeValue(f.value)];
    if (replace) parts.push('REPLACE');
    payload += respCommand(parts);
    expect++;
  }

  conn.request(payload, expect, timeout, (res) => {
    if (finished) return;
    if (big.length === 0) finished = true;
    if (res instanceof Error) {
      finished = true;
      conn.lastDb = -1;
      c.unblock(new ErrorReply(`IOERR error or timeout ${conn.connected ? 'reading' : 'writing'} to target instance`));
      return;
    }
    let i = 0;
    if (auth) {
      const r = res[i++]!;
      if (r.startsWith('-')) {
        finished = true;
        conn.lastDb = -1;
        c.unblock(new ErrorReply(`ERR Target instance replied with error: ${r.slice(1)}`));
        return;
      }
    }
    if (selecting) {
      const r = res[i++]!;
      if (r.startsWith('-')) {
        finished = true;
        conn.lastDb = -1;
        c.unblock(new ErrorReply(`ERR Target instance replied with error: ${r.slice(1)}`));
        return;
      }
    }
    let error: string | undefined;
    for (const f of found) {
      const r = res[i++]!;
      if (r.startsWith('-')) {
        error ??= r.slice(1);
        continue;
      }
      // Acknowledged: drop the source copy unless COPY, or a write changed it meanwhile.
      if (!copy && c.db.get(f.key) === f.value) c.db.delete(f.key);
    }
    if (big.length === 0) c.unblock(error === undefined ? OK : new ErrorReply(`ERR Target instance replied with error: ${error}`));
    else moveBig(0, error);
  });
  return BLOCKED;
}
