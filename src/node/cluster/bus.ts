/**
 * The cluster bus wire format: how nodes frame and encode the messages they
 * exchange on `cluster-port`. Our own format (not Redis's binary bus).
 *
 * Frame: a 12-byte header then the body.
 *
 *     magic "SdBs" (4) | version u16 | type u16 | body length u32 | body
 *
 * All integers are big-endian. A frame with another magic or version, or a
 * body longer than MAX_BODY, is garbage: the reader throws and the link is
 * closed. Types keep Redis's numbering (so CLUSTER INFO counts them under
 * Redis's names); PING, PONG, MEET and PUBLISH are sent today, FAIL and
 * UPDATE are decoded, the rest are reserved for failover.
 *
 * Heartbeat body (PING / PONG / MEET), Redis's clusterMsg in spirit:
 *
 *     sender id (40 ascii) | currentEpoch u64 | configEpoch u64 | replOffset u64
 *     flags u16 | port u16 | cport u16 | ip (u8 len + bytes) | hostname (u8 len + bytes)
 *     has-master u8 [| master id (40)] | slot bitmap (2048 bytes, bit s = byte s>>3, mask 0x80>>(s&7))
 *     gossip count u16, each: id (40) | ip (u8 len + bytes) | port u16 | cport u16 | flags u16
 *                             | ping_sent secs u32 | pong_received secs u32
 *     extension count u16, each: type u16 | length u32 | data   (unknown types are skipped)
 *
 * Extensions leave room for failure reports and failover data without a new
 * version. FAIL body: the failing node's id (40). UPDATE body: node id (40) |
 * configEpoch u64 | slot bitmap.
 *
 * PUBLISH body (a PUBLISH run on the sender, for its subscribers here):
 *
 *     sender id (40) | channel length u32 | channel | message length u32 | message
 *
 * A PUBLISH body may be as long as its u32 length allows (a message is one
 * argument, up to `proto-max-bulk-len`; Redis's bus sets no limit either);
 * every other body, MAX_BODY.
 */
import { SLOT_COUNT } from '../../router/slot.js';

export const BUS_MAGIC = 0x53644273; // "SdBs"
export const BUS_VERSION = 1;
export const HEADER_BYTES = 12;
/** Largest body accepted; a heartbeat with a few gossip entries is ~2.5 KiB. */
export const MAX_BODY = 1 << 20;

export const MSG = {
  ping: 0,
  pong: 1,
  meet: 2,
  fail: 3,
  publish: 4,
  failoverAuthRequest: 5,
  failoverAuthAck: 6,
  update: 7,
  mfstart: 8,
  module: 9,
  publishshard: 10,
} as const;
export const MSG_TYPE_COUNT = 11;

export interface GossipEntry {
  id: string;
  ip: string;
  port: number;
  cport: number;
  flags: number;
  pingSent: number;
  pongReceived: number;
}

export interface Heartbeat {
  type: typeof MSG.ping | typeof MSG.pong | typeof MSG.meet;
  id: string;
  currentEpoch: number;
  configEpoch: number;
  replOffset: number;
  flags: number;
  port: number;
  cport: number;
  ip: string;
  hostname: string;
  masterId: string | null;
  /** SLOT_COUNT/8 bytes. */
  slots: Uint8Array;
  gossip: GossipEntry[];
  extensions: { type: number; data: Buffer }[];
}

export interface FailMessage {
  type: typeof MSG.fail;
  id: string;
}

export interface UpdateMessage {
  type: typeof MSG.update;
  id: string;
  configEpoch: number;
  slots: Uint8Array;
}

/** A PUBLISH on `id` to relay to this node's subscribers. Channel and message are latin1 (one char per byte). */
export interface PublishMessage {
  type: typeof MSG.publish;
  id: string;
  channel: string;
  message: string;
}

/** A message of a reserved type, kept undecoded. */
export interface OtherMessage {
  type: number;
  body: Buffer;
}

export type BusMessage = Heartbeat | FailMessage | UpdateMessage | PublishMessage | OtherMessage;

export class BusProtocolError extends Error {}

/** Bit `s` of a slot bitmap. */
export function bitmapHas(bits: Uint8Array, s: number): boolean {
  return (bits[s >> 3]! & (0x80 >> (s & 7))) !== 0;
}

/** Packs a 0/1-per-slot array into a bitmap. */
export function packSlots(perSlot: ArrayLike<number>): Uint8Array {
  const bits = new Uint8Array(SLOT_COUNT / 8);
  for (let s = 0; s < SLOT_COUNT; s++) if (perSlot[s]) bits[s >> 3]! |= 0x80 >> (s & 7);
  return bits;
}

class Writer {
  buf = Buffer.allocUnsafe(4096);
  pos = 0;
  #room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }
  u8(v: number): void {
    this.#room(1);
    this.buf[this.pos++] = v;
  }
  u16(v: number): void {
    this.#room(2);
    this.buf.writeUInt16BE(v, this.pos);
    this.pos += 2;
  }
  u32(v: number): void {
    this.#room(4);
    this.buf.writeUInt32BE(v >>> 0, this.pos);
    this.pos += 4;
  }
  u64(v: number): void {
    this.#room(8);
    this.buf.writeBigUInt64BE(BigInt(Math.max(0, Math.floor(v))), this.pos);
    this.pos += 8;
  }
  raw(b: Uint8Array): void {
    this.#room(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }
  id(s: string): void {
    this.#room(40);
    this.buf.write(idField(s), this.pos, 'latin1');
    this.pos += 40;
  }
  str8(s: string): void {
    const b = Buffer.from(s.slice(0, 255), 'latin1');
    this.u8(b.length);
    this.raw(b);
  }
}

class Reader {
  pos = 0;
  constructor(readonly buf: Buffer) {}
  #need(n: number): void {
    if (this.pos + n > this.buf.length) throw new BusProtocolError('truncated message body');
  }
  u8(): number {
    this.#need(1);
    return this.buf[this.pos++]!;
  }
  u16(): number {
    this.#need(2);
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  u32(): number {
    this.#need(4);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  u64(): number {
    this.#need(8);
    const v = Number(this.buf.readBigUInt64BE(this.pos));
    this.pos += 8;
    return v;
  }
  bytes(n: number): Buffer {
    this.#need(n);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
  id(): string {
    const s = this.bytes(40).toString('latin1');
    if (!/^[0-9a-f]{40}$/.test(s)) throw new BusProtocolError('malformed node id');
    return s;
  }
  str8(): string {
    return this.bytes(this.u8()).toString('latin1');
  }
  str32(): string {
    return this.bytes(this.u32()).toString('latin1');
  }
}

/** A node id as its 40-byte field (padded or cut, so a frame's layout never shifts). */
function idField(id: string): string {
  return id.padEnd(40, '0').slice(0, 40);
}

/** A buffer for a frame of `type` with a body of `bodyLength` bytes, its header written. */
function allocFrame(type: number, bodyLength: number): Buffer {
  const out = Buffer.allocUnsafe(HEADER_BYTES + bodyLength);
  out.writeUInt32BE(BUS_MAGIC, 0);
  out.writeUInt16BE(BUS_VERSION, 4);
  out.writeUInt16BE(type, 6);
  out.writeUInt32BE(bodyLength, 8);
  return out;
}

function frame(type: number, w: Writer): Buffer {
  const out = allocFrame(type, w.pos);
  w.buf.copy(out, HEADER_BYTES, 0, w.pos);
  return out;
}

/**
 * A PUBLISH frame, written straight into a buffer of its exact size: a
 * relayed PUBLISH is the one message sent per client command, so it skips
 * the Writer's growable buffer and the copy into the frame.
 */
function encodePublish(p: PublishMessage): Buffer {
  const out = allocFrame(MSG.publish, 40 + 4 + p.channel.length + 4 + p.message.length);
  let pos = HEADER_BYTES + out.write(idField(p.id), HEADER_BYTES, 'latin1');
  pos = out.writeUInt32BE(p.channel.length, pos);
  pos += out.write(p.channel, pos, 'latin1');
  pos = out.writeUInt32BE(p.message.length, pos);
  out.write(p.message, pos, 'latin1');
  return out;
}

/** Encodes a message into one frame. */
export function encodeMessage(msg: BusMessage): Buffer {
  if (msg.type === MSG.publish) return encodePublish(msg as PublishMessage);
  const w = new Writer();
  if (msg.type === MSG.ping || msg.type === MSG.pong || msg.type === MSG.meet) {
    const h = msg as Heartbeat;
    w.id(h.id);
    w.u64(h.currentEpoch);
    w.u64(h.configEpoch);
    w.u64(h.replOffset);
    w.u16(h.flags);
    w.u16(h.port);
    w.u16(h.cport);
    w.str8(h.ip);
    w.str8(h.hostname);
    if (h.masterId !== null) {
      w.u8(1);
      w.id(h.masterId);
    } else w.u8(0);
    w.raw(h.slots);
    w.u16(h.gossip.length);
    for (const g of h.gossip) {
      w.id(g.id);
      w.str8(g.ip);
      w.u16(g.port);
      w.u16(g.cport);
      w.u16(g.flags);
      w.u32(Math.floor(g.pingSent / 1000));
      w.u32(Math.floor(g.pongReceived / 1000));
    }
    w.u16(h.extensions.length);
    for (const e of h.extensions) {
      w.u16(e.type);
      w.u32(e.data.length);
      w.raw(e.data);
    }
  } else if (msg.type === MSG.fail) {
    w.id((msg as FailMessage).id);
  } else if (msg.type === MSG.update) {
    const u = msg as UpdateMessage;
    w.id(u.id);
    w.u64(u.configEpoch);
    w.raw(u.slots);
  } else {
    w.raw((msg as OtherMessage).body);
  }
  return frame(msg.type, w);
}

function decodeBody(type: number, body: Buffer): BusMessage {
  const r = new Reader(body);
  if (type === MSG.ping || type === MSG.pong || type === MSG.meet) {
    const id = r.id();
    const currentEpoch = r.u64();
    const configEpoch = r.u64();
    const replOffset = r.u64();
    const flags = r.u16();
    const port = r.u16();
    const cport = r.u16();
    const ip = r.str8();
    const hostname = r.str8();
    const masterId = r.u8() === 1 ? r.id() : null;
    const slots = new Uint8Array(r.bytes(SLOT_COUNT / 8));
    const gossip: GossipEntry[] = [];
    for (let n = r.u16(), i = 0; i < n; i++) {
      gossip.push({ id: r.id(), ip: r.str8(), port: r.u16(), cport: r.u16(), flags: r.u16(), pingSent: r.u32() * 1000, pongReceived: r.u32() * 1000 });
    }
    const extensions: { type: number; data: Buffer }[] = [];
    for (let n = r.u16(), i = 0; i < n; i++) {
      const t = r.u16();
      extensions.push({ type: t, data: Buffer.from(r.bytes(r.u32())) });
    }
    return { type, id, currentEpoch, configEpoch, replOffset, flags, port, cport, ip, hostname, masterId, slots, gossip, extensions } as Heartbeat;
  }
  if (type === MSG.fail) return { type, id: r.id() };
  if (type === MSG.update) return { type, id: r.id(), configEpoch: r.u64(), slots: new Uint8Array(r.bytes(SLOT_COUNT / 8)) };
  if (type === MSG.publish) return { type, id: r.id(), channel: r.str32(), message: r.str32() };
  if (type >= MSG_TYPE_COUNT) throw new BusProtocolError(`unknown message type ${type}`);
  return { type, body: Buffer.from(body) };
}

/**
 * Reassembles frames from a byte stream. `push` returns the complete
 * messages so far; it throws BusProtocolError on garbage (the caller closes
 * the link). A frame longer than what has arrived gets a buffer of its full
 * size, which later chunks are copied into, so a big PUBLISH costs one copy
 * of its bytes, not one per chunk.
 */
export class FrameReader {
  /** Bytes of a frame not yet complete: a header, or a frame of at most MAX_BODY (bigger ones go to `#frame`). */
  #buf: Buffer = Buffer.alloc(0);
  /** The frame being filled, and how much of it has arrived. */
  #frame: Buffer | null = null;
  #filled = 0;

  push(chunk: Buffer): BusMessage[] {
    const out: BusMessage[] = [];
    if (this.#frame !== null) {
      const n = Math.min(chunk.length, this.#frame.length - this.#filled);
      chunk.copy(this.#frame, this.#filled, 0, n);
      this.#filled += n;
      if (this.#filled < this.#frame.length) return out;
      const f = this.#frame;
      this.#frame = null;
      out.push(decodeBody(f.readUInt16BE(6), f.subarray(HEADER_BYTES)));
      chunk = chunk.subarray(n);
    }
    const buf = this.#buf.length === 0 ? chunk : Buffer.concat([this.#buf, chunk]);
    let pos = 0;
    while (buf.length - pos >= HEADER_BYTES) {
      if (buf.readUInt32BE(pos) !== BUS_MAGIC) throw new BusProtocolError('bad magic');
      const version = buf.readUInt16BE(pos + 4);
      if (version !== BUS_VERSION) throw new BusProtocolError(`unsupported version ${version}`);
      const type = buf.readUInt16BE(pos + 6);
      const len = buf.readUInt32BE(pos + 8);
      if (len > MAX_BODY && type !== MSG.publish) throw new BusProtocolError(`message of ${len} bytes exceeds the limit`);
      if (buf.length - pos < HEADER_BYTES + len) {
        if (len <= MAX_BODY) break;
        // A big frame: copy what has arrived into a buffer of its full size.
        this.#frame = Buffer.allocUnsafe(HEADER_BYTES + len);
        this.#filled = buf.copy(this.#frame, 0, pos);
        this.#buf = Buffer.alloc(0);
        return out;
      }
      out.push(decodeBody(type, buf.subarray(pos + HEADER_BYTES, pos + HEADER_BYTES + len)));
      pos += HEADER_BYTES + len;
    }
    this.#buf = pos === buf.length ? Buffer.alloc(0) : Buffer.from(buf.subarray(pos));
    return out;
  }
}
