/**
 * The fast path of `shardis migrate --method transfer`: moves batches of
 * keys of MIGRATING slots from the source to the target with the least
 * work per key in this process, since on a small machine the CPU the tool
 * spends per key competes with the two nodes' and bounds the rate.
 *
 * Work is split over `lanes`; a lane owns one raw connection to the source
 * (WATCH is per connection) and one to the target, and moves one batch at
 * a time:
 *   1. source: WATCH k1..kn, then PTTL ki and DUMP ki for each key;
 *   2. target: RESTORE-ASKING ki ttl payload for each key read (no
 *      REPLACE: a copy already on the target may be a client's write, see
 *      migrate.ts transferBatch);
 *   3. source: MULTI, DEL of the restored keys, EXEC.
 * Each step is one socket write built as one Buffer: keys are copied as the
 * RESP bulk strings CLUSTER GETKEYSINSLOT returned them, and each DUMP reply
 * is copied byte for byte (length header included) into the RESTORE
 * command, never decoded. Replies are only scanned for their boundaries and
 * first byte (RawConn). Step 3 of a batch travels in the same write as step
 * 1 of the lane's next batch (EXEC clears the watches before the next
 * WATCH), so a batch costs two round trips and three writes.
 *
 * Anything unusual (a WATCH refused because a key has gone, a key missing,
 * a RESTORE refused with BUSYKEY, an EXEC that failed because a key changed)
 * hands the batch, with what this path already restored, to the careful
 * per-batch path (`slowPath`, migrate.ts transferBatch) on connections of
 * its own; the lane sends UNWATCH before its next batch and carries on.
 */
import type { Socket } from 'node:net';
import { AdminError, connectSocket, onConnectionLost } from './conn.js';

/*-----------------------------------------------------------------------------
 * Raw replies
 *----------------------------------------------------------------------------*/

const CR = 13;
const PLUS = 43;
const MINUS = 45;
const COLON = 58;
const DOLLAR = 36;
const STAR = 42;

/** The signed decimal integer in buf[from, to). */
function intAt(buf: Buffer, from: number, to: number): number {
  let neg = false;
  let i = from;
  if (buf[i] === MINUS) {
    neg = true;
    i++;
  }
  let n = 0;
  for (; i < to; i++) n = n * 10 + (buf[i]! - 48);
  return neg ? -n : n;
}

/** Index of the CR ending the line that starts at `p`, or -1 if the line (with its LF) is not all in buf[p, end). */
function lineEnd(buf: Buffer, p: number, end: number): number {
  let q = p;
  while (q < end && buf[q] !== CR) q++;
  return q + 1 < end ? q : -1;
}

/**
 * The end of the RESP2 reply starting at buf[p], or -1 if it is not all in
 * buf[p, end). Simple strings, errors, integers, bulk strings and arrays
 * (nested) are what the commands of this module get.
 */
export function replyEnd(buf: Buffer, p: number, end: number): number {
  const q = lineEnd(buf, p, end);
  if (q < 0) return -1;
  const t = buf[p];
  if (t === DOLLAR) {
    const n = intAt(buf, p + 1, q);
    if (n < 0) return q + 2;
    const e = q + 2 + n + 2;
    return e <= end ? e : -1;
  }
  if (t === STAR) {
    const n = intAt(buf, p + 1, q);
    let r = q + 2;
    for (let i = 0; i < n && r >= 0; i++) r = replyEnd(buf, r, end);
    return r;
  }
  return q + 2;
}

/** The reply at buf[p] as text, for error messages. */
function replyText(buf: Buffer, p: number): string {
  const q = lineEnd(buf, p, buf.length);
  return buf.toString('latin1', p + 1, q < 0 ? buf.length : q);
}

interface RawRequest {
  replies: number;
  resolve(buf: Buffer): void;
  reject(err: Error): void;
}

/**
 * A connection whose requests resolve with the raw bytes of their replies:
 * `request(bytes, n)` writes `bytes` (n commands) and resolves with one
 * Buffer holding exactly the n replies, in order. Requests pipeline.
 */
export class RawConn {
  readonly addr: string;
  readonly #sock: Socket;
  #buf = Buffer.allocUnsafe(1 << 16);
  #len = 0;
  /** Where the scan of the head request's replies stopped, and how many it found complete. */
  #scan = 0;
  #seen = 0;
  readonly #queue: RawRequest[] = [];
  #closed: Error | null = null;
  #corked = false;

  private constructor(addr: string, sock: Socket) {
    this.addr = addr;
    this.#sock = sock;
    sock.on('data', (d: Buffer) => this.#onData(d));
    onConnectionLost(sock, addr, (err) => this.#fail(err));
  }

  static async open(host: string, port: number): Promise<RawConn> {
    return new RawConn(`${host}:${port}`, await connectSocket(host, port));
  }

  request(bytes: Buffer, replies: number): Promise<Buffer> {
    if (this.#closed) return Promise.reject(this.#closed);
    // Requests made in the same turn of the event loop leave in one write (as AdminConnection.send).
    if (!this.#corked) {
      this.#corked = true;
      this.#sock.cork();
      process.nextTick(this.#uncork);
    }
    return new Promise((resolve, reject) => {
      this.#queue.push({ replies, resolve, reject });
      this.#sock.write(bytes);
    });
  }

  readonly #uncork = (): void => {
    this.#corked = false;
    this.#sock.uncork();
  };

  close(): void {
    this.#closed ??= new AdminError(`Connection to ${this.addr} closed`);
    this.#sock.destroy();
  }

  #onData(d: Buffer): void {
    if (this.#len + d.length > this.#buf.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.#buf.length * 2, this.#len + d.length));
      this.#buf.copy(grown, 0, 0, this.#len);
      this.#buf = grown;
    }
    d.copy(this.#buf, this.#len);
    this.#len += d.length;
    let start = 0;
    for (;;) {
      const head = this.#queue[0];
      if (!head) break;
      while (this.#seen < head.replies) {
        const e = replyEnd(this.#buf, this.#scan, this.#len);
        if (e < 0) break;
        this.#scan = e;
        this.#seen++;
      }
      if (this.#seen < head.replies) break;
      this.#queue.shift();
      // A copy: the receive buffer is reused once this returns.
      head.resolve(Buffer.from(this.#buf.subarray(start, this.#scan)));
      start = this.#scan;
      this.#seen = 0;
    }
    if (start > 0) {
      this.#buf.copy(this.#buf, 0, start, this.#len);
      this.#len -= start;
      this.#scan -= start;
    }
    if (this.#queue.length === 0 && this.#len > 0) this.#fail(new AdminError(`${this.addr} sent a reply nobody asked for`));
  }

  #fail(err: Error): void {
    if (!this.#closed) this.#closed = err;
    for (const r of this.#queue.splice(0)) r.reject(this.#closed);
  }
}

/*-----------------------------------------------------------------------------
 * Batches
 *----------------------------------------------------------------------------*/

/**
 * Keys as RESP bulk strings, back to back (as in a CLUSTER GETKEYSINSLOT
 * reply): key i is enc[offs[i], offs[i + 1]).
 */
export interface KeyList {
  enc: Buffer;
  offs: number[];
}

/** The keys of the raw CLUSTER GETKEYSINSLOT reply `r`. */
export function keyListOf(r: Buffer): KeyList {
  if (r[0] !== STAR) throw new AdminError(`CLUSTER GETKEYSINSLOT failed: ${replyText(r, 0)}`);
  const q = lineEnd(r, 0, r.length);
  const n = intAt(r, 1, q);
  const offs = new Array<number>(n + 1);
  let p = q + 2;
  for (let i = 0; i < n; i++) {
    offs[i] = p;
    p = replyEnd(r, p, r.length);
  }
  offs[n] = p;
  return { enc: r, offs };
}

/** The bytes of key `i` of `l` (without the bulk header). */
export function keyBytes(l: KeyList, i: number): Buffer {
  const p = l.offs[i]!;
  const q = lineEnd(l.enc, p, l.enc.length);
  return l.enc.subarray(q + 2, l.offs[i + 1]! - 2);
}

/** Keys [from, to) of one slot, moved as one batch. */
export interface Batch {
  slot: number;
  keys: KeyList;
  from: number;
  to: number;
}

/**
 * The careful path for a batch (migrate.ts transferBatch): `sent` maps the
 * keys (latin1) this path restored on the target to their payloads.
 * Resolves with the number of keys moved.
 */
export type SlowPath = (slot: number, keys: Buffer[], sent: Map<string, Buffer>) => Promise<number>;

export interface TransferHooks {
  /** Runs after a batch was read on the source, before it is restored on the target (tests). */
  onRead?: (slot: number, keys: readonly Buffer[]) => void | Promise<void>;
  /** Runs after a batch's keys were restored on the target, before the source deletes them (tests). */
  onRestored?: (slot: number, keys: readonly Buffer[]) => void | Promise<void>;
  /** Bytes (keys + payloads) a batch moved, as it finishes on this path. */
  moved(bytes: number): void;
}

interface Job {
  batch: Batch;
  resolve(moved: number): void;
  reject(err: Error): void;
}

/** A batch restored on the target whose MULTI DEL EXEC is still to be sent. */
interface Restored {
  job: Job;
  /** The reads' reply (payloads are read from it) and, per restored key, its index in the batch and where its payload starts and ends in `reads`. */
  reads: Buffer;
  idx: number[];
  pay: number[];
  bytes: number;
}

const WATCH_HEAD = Buffer.from('$5\r\nWATCH\r\n', 'latin1');
const PTTL_HEAD = Buffer.from('*2\r\n$4\r\nPTTL\r\n', 'latin1');
const DUMP_HEAD = Buffer.from('*2\r\n$4\r\nDUMP\r\n', 'latin1');
const RESTORE_HEAD = Buffer.from('*4\r\n$14\r\nRESTORE-ASKING\r\n', 'latin1');
const MULTI = Buffer.from('*1\r\n$5\r\nMULTI\r\n', 'latin1');
const DEL_HEAD = Buffer.from('$3\r\nDEL\r\n', 'latin1');
const EXEC = Buffer.from('*1\r\n$4\r\nEXEC\r\n', 'latin1');
const UNWATCH = Buffer.from('*1\r\n$7\r\nUNWATCH\r\n', 'latin1');

/**
 * Copies src[from, to) to dst at `p`; returns the number of bytes copied.
 * Short copies (keys, command heads) run as a plain loop: Buffer#copy's
 * call into native code costs more than copying a few dozen bytes.
 */
function cp(dst: Buffer, p: number, src: Buffer, from = 0, to = src.length): number {
  const n = to - from;
  if (n > 48) return src.copy(dst, p, from, to);
  for (let i = 0; i < n; i++) dst[p + i] = src[from + i]!;
  return n;
}

/** Writes non-negative integer `n` as a bulk string (`$<len>\r\n<digits>\r\n`) at buf[p]; returns the end. */
function bulkInt(buf: Buffer, p: number, n: number): number {
  let len = 1;
  for (let x = n; x >= 10; x = Math.floor(x / 10)) len++;
  buf[p++] = DOLLAR;
  if (len >= 10) buf[p++] = 48 + Math.floor(len / 10);
  buf[p++] = 48 + (len % 10);
  buf[p++] = CR;
  buf[p++] = 10;
  for (let i = len - 1, x = n; i >= 0; i--, x = Math.floor(x / 10)) buf[p + i] = 48 + (x % 10);
  p += len;
  buf[p++] = CR;
  buf[p++] = 10;
  return p;
}

/** Writes `*<n>\r\n` at buf[p]; returns the end. */
function arrayHead(buf: Buffer, p: number, n: number): number {
  return p + buf.write(`*${n}\r\n`, p, 'latin1');
}

export class TransferEngine {
  readonly #lanes: { src: RawConn; tgt: RawConn }[];
  readonly #keysConn: RawConn;
  readonly #queue: Job[] = [];
  #wake: (() => void) | null = null;
  #closed = false;
  readonly #loops: Promise<void>[];
  readonly #slow: SlowPath;
  readonly #hooks: TransferHooks;

  private constructor(keysConn: RawConn, lanes: { src: RawConn; tgt: RawConn }[], slow: SlowPath, hooks: TransferHooks) {
    this.#keysConn = keysConn;
    this.#lanes = lanes;
    this.#slow = slow;
    this.#hooks = hooks;
    this.#loops = lanes.map((l) => this.#lane(l.src, l.tgt));
  }

  /** Opens `lanes` lanes (two connections each) and one connection for GETKEYSINSLOT. */
  static async open(src: { host: string; port: number }, tgt: { host: string; port: number }, lanes: number, slow: SlowPath, hooks: TransferHooks): Promise<TransferEngine> {
    const opened: RawConn[] = [];
    try {
      const keysConn = await RawConn.open(src.host, src.port);
      opened.push(keysConn);
      const ls: { src: RawConn; tgt: RawConn }[] = [];
      for (let i = 0; i < lanes; i++) {
        const s = await RawConn.open(src.host, src.port);
        opened.push(s);
        const t = await RawConn.open(tgt.host, tgt.port);
        opened.push(t);
        ls.push({ src: s, tgt: t });
      }
      return new TransferEngine(keysConn, ls, slow, hooks);
    } catch (err) {
      for (const c of opened) c.close();
      throw err;
    }
  }

  /** Up to `count` keys of `slot` on the source (CLUSTER GETKEYSINSLOT). */
  async keysInSlot(slot: number, count: number): Promise<KeyList> {
    const s = String(slot);
    const c = String(count);
    const cmd = `*4\r\n$7\r\nCLUSTER\r\n$13\r\nGETKEYSINSLOT\r\n$${s.length}\r\n${s}\r\n$${c.length}\r\n${c}\r\n`;
    return keyListOf(await this.#keysConn.request(Buffer.from(cmd, 'latin1'), 1));
  }

  /** Moves the keys of `batch`; resolves with the number moved (keys that were gone are not counted). */
  move(batch: Batch): Promise<number> {
    if (this.#closed) return Promise.reject(new AdminError('internal: transfer engine closed'));
    return new Promise((resolve, reject) => {
      this.#queue.push({ batch, resolve, reject });
      if (this.#wake) {
        const w = this.#wake;
        this.#wake = null;
        w();
      }
    });
  }

  /** Stops the lanes once their work is done and closes every connection. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#wake?.();
    this.#wake = null;
    await Promise.allSettled(this.#loops);
    this.#keysConn.close();
    for (const l of this.#lanes) {
      l.src.close();
      l.tgt.close();
    }
  }

  /** The next job, waiting for one; null once closed. */
  async #next(): Promise<Job | null> {
    for (;;) {
      const j = this.#queue.shift();
      if (j) return j;
      if (this.#closed) return null;
      // One shared wake-up: every waiting lane re-checks the queue.
      await new Promise<void>((r) => {
        const prev = this.#wake;
        this.#wake = prev ? () => (prev(), r()) : r;
      });
    }
  }

  async #lane(src: RawConn, tgt: RawConn): Promise<void> {
    let pend: Restored | null = null;
    let unwatch = false;
    for (;;) {
      // A restored batch waits for its DEL only while another batch is ready to share the write.
      const job = pend ? (this.#queue.shift() ?? null) : await this.#next();
      if (!job && !pend && !unwatch) return;
      try {
        const { bytes, replies } = this.#sourceWrite(unwatch, pend, job);
        const r = await src.request(bytes, replies);
        let p = 0;
        if (unwatch) p = replyEnd(r, p, r.length);
        unwatch = false;
        if (pend) {
          const done = pend;
          pend = null;
          p = this.#checkExec(done, r, p);
        }
        if (job) {
          const out = await this.#restore(job, r, p, tgt);
          if (out === null) unwatch = true;
          else pend = out;
        }
      } catch (err) {
        // A connection is lost: fail what this lane holds, and every later job.
        pend?.job.reject(err as Error);
        job?.reject(err as Error);
        pend = null;
        for (const j of this.#queue.splice(0)) j.reject(err as Error);
        this.#closed = true;
        return;
      }
    }
  }

  /** Step 3 of `pend` and step 1 of `job`, with an UNWATCH first if asked: one Buffer, and the number of replies. */
  #sourceWrite(unwatch: boolean, pend: Restored | null, job: Job | null): { bytes: Buffer; replies: number } {
    let size = unwatch ? UNWATCH.length : 0;
    let replies = unwatch ? 1 : 0;
    if (pend) {
      const k = pend.job.batch.keys;
      size += MULTI.length + 16 + DEL_HEAD.length + EXEC.length;
      for (const i of pend.idx) size += k.offs[i + 1]! - k.offs[i]!;
      replies += 3;
    }
    if (job) {
      const { keys: k, from, to } = job.batch;
      const enc = k.offs[to]! - k.offs[from]!;
      size += 16 + WATCH_HEAD.length + enc + enc * 2 + (to - from) * (PTTL_HEAD.length + DUMP_HEAD.length);
      replies += 1 + 2 * (to - from);
    }
    const buf = Buffer.allocUnsafe(size);
    let p = 0;
    if (unwatch) p += cp(buf, p, UNWATCH);
    if (pend) {
      const k = pend.job.batch.keys;
      p += cp(buf, p, MULTI);
      p = arrayHead(buf, p, pend.idx.length + 1);
      p += cp(buf, p, DEL_HEAD);
      for (const i of pend.idx) p += cp(buf, p, k.enc, k.offs[i], k.offs[i + 1]);
      p += cp(buf, p, EXEC);
    }
    if (job) {
      const { keys: k, from, to } = job.batch;
      p = arrayHead(buf, p, to - from + 1);
      p += cp(buf, p, WATCH_HEAD);
      p += k.enc.copy(buf, p, k.offs[from], k.offs[to]);
      for (let i = from; i < to; i++) {
        p += cp(buf, p, PTTL_HEAD);
        p += cp(buf, p, k.enc, k.offs[i], k.offs[i + 1]);
        p += cp(buf, p, DUMP_HEAD);
        p += cp(buf, p, k.enc, k.offs[i], k.offs[i + 1]);
      }
    }
    return { bytes: buf.subarray(0, p), replies };
  }

  /**
   * Reads the MULTI, DEL, EXEC replies at r[p]: an EXEC that ran finishes
   * the batch; one that did not (a watched key changed, or a queued DEL was
   * refused) hands it to the slow path. Returns the end of the replies.
   */
  #checkExec(done: Restored, r: Buffer, p: number): number {
    const afterMulti = replyEnd(r, p, r.length);
    const afterDel = replyEnd(r, afterMulti, r.length);
    const end = replyEnd(r, afterDel, r.length);
    if (r[afterDel] === STAR && r[afterDel + 1] !== MINUS) {
      this.#hooks.moved(done.bytes);
      done.job.resolve(done.idx.length);
    } else if (r[afterDel] === STAR || /^EXECABORT/.test(replyText(r, afterDel))) {
      this.#toSlowPath(done.job, done);
    } else {
      const b = done.job.batch;
      done.job.reject(new AdminError(`${this.#lanes[0]!.src.addr} refused the DEL of moved keys of slot ${b.slot}: ${replyText(r, afterDel)}; run the same command again to resume`));
    }
    return end;
  }

  /**
   * Steps 1's replies (at r[p]) and 2 for `job`: resolves with the batch
   * restored (to be deleted on the source), or null if it went to the slow
   * path (the lane then owes an UNWATCH).
   */
  async #restore(job: Job, r: Buffer, p: number, tgt: RawConn): Promise<Restored | null> {
    const { keys: k, from, to, slot } = job.batch;
    if (r[p] !== PLUS) {
      // WATCH refused: a key has gone since GETKEYSINSLOT (a MIGRATING source answers ASK or TRYAGAIN).
      this.#toSlowPath(job, null);
      return null;
    }
    p = replyEnd(r, p, r.length);
    const idx: number[] = [];
    const pay: number[] = [];
    const ttls: number[] = [];
    let size = 0;
    for (let i = from; i < to; i++) {
      const ttlAt = p;
      p = replyEnd(r, p, r.length);
      const dumpAt = p;
      p = replyEnd(r, p, r.length);
      // Missing: PTTL -2, a nil DUMP, or an error (ASK from a MIGRATING source).
      if (r[ttlAt] !== COLON || r[dumpAt] !== DOLLAR || r[dumpAt + 1] === MINUS) continue;
      const q = lineEnd(r, ttlAt, p);
      const ttl = intAt(r, ttlAt + 1, q);
      if (ttl === -2) continue;
      idx.push(i);
      pay.push(dumpAt, p);
      ttls.push(ttl > 0 ? ttl : 0);
      size += RESTORE_HEAD.length + (k.offs[i + 1]! - k.offs[i]!) + 24 + (p - dumpAt);
    }
    if (idx.length < to - from) {
      // A key went between WATCH and its read: the EXEC would fail anyway.
      this.#toSlowPath(job, null);
      return null;
    }
    if (this.#hooks.onRead) await this.#hooks.onRead(slot, idx.map((i) => keyBytes(k, i)));
    const buf = Buffer.allocUnsafe(size);
    let w = 0;
    let bytes = 0;
    for (let j = 0; j < idx.length; j++) {
      const i = idx[j]!;
      w += cp(buf, w, RESTORE_HEAD);
      w += cp(buf, w, k.enc, k.offs[i], k.offs[i + 1]);
      w = bulkInt(buf, w, ttls[j]!);
      w += cp(buf, w, r, pay[2 * j], pay[2 * j + 1]);
      bytes += k.offs[i + 1]! - k.offs[i]! + pay[2 * j + 1]! - pay[2 * j]!;
    }
    const rr = await tgt.request(buf.subarray(0, w), idx.length);
    const restored: Restored = { job, reads: r, idx, pay, bytes };
    let q = 0;
    let refused = false;
    for (let j = 0; j < idx.length; j++) {
      if (rr[q] !== PLUS) {
        const text = replyText(rr, q);
        if (!/^BUSYKEY/.test(text)) {
          job.reject(new AdminError(`${tgt.addr} refused RESTORE of a key of slot ${slot}: ${text}; fix the cause and run the same command again to resume`));
          return null;
        }
        // The target holds a copy already: the slow path decides (migrate.ts transferBatch).
        idx[j] = -1;
        refused = true;
      }
      q = replyEnd(rr, q, rr.length);
    }
    if (refused) {
      this.#toSlowPath(job, restored);
      return null;
    }
    if (this.#hooks.onRestored) await this.#hooks.onRestored(slot, idx.map((i) => keyBytes(k, i)));
    return restored;
  }

  /** Hands `job` to the slow path; `restored`: what this path restored (entries with idx -1 were refused). */
  #toSlowPath(job: Job, restored: Restored | null): void {
    const { keys: k, from, to, slot } = job.batch;
    const keys: Buffer[] = [];
    for (let i = from; i < to; i++) keys.push(Buffer.from(keyBytes(k, i)));
    const sent = new Map<string, Buffer>();
    if (restored) {
      const r = restored.reads;
      for (let j = 0; j < restored.idx.length; j++) {
        const i = restored.idx[j]!;
        if (i < 0) continue;
        // The payload without its bulk header and trailing CRLF.
        const at = restored.pay[2 * j]!;
        const q = lineEnd(r, at, r.length);
        sent.set(keyBytes(k, i).toString('latin1'), Buffer.from(r.subarray(q + 2, restored.pay[2 * j + 1]! - 2)));
      }
    }
    this.#slow(slot, keys, sent).then(job.resolve, job.reject);
  }
}
