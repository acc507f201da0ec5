import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { connect } from 'node:net';
import { BUS_MAGIC, BusProtocolError, encodeMessage, FrameReader, MAX_BODY, MSG, packSlots, bitmapHas, type Heartbeat, type PublishMessage } from '../../../src/node/cluster/bus.js';
import { cmd, launch, newNode, stopAll } from './helpers.js';

const idArb = fc.stringMatching(/^[0-9a-f]{40}$/);

const heartbeatArb: fc.Arbitrary<Heartbeat> = fc.record({
  type: fc.constantFrom(MSG.ping, MSG.pong, MSG.meet),
  id: idArb,
  currentEpoch: fc.nat(),
  configEpoch: fc.nat(),
  replOffset: fc.nat(),
  flags: fc.nat({ max: 0xffff }),
  port: fc.nat({ max: 65535 }),
  cport: fc.nat({ max: 65535 }),
  ip: fc.constantFrom('', '127.0.0.1', '::1'),
  hostname: fc.constantFrom('', 'host-a'),
  masterId: fc.option(idArb, { nil: null }),
  slots: fc.array(fc.integer({ min: 0, max: 16383 }), { maxLength: 50 }).map((ss) => {
    const per = new Uint8Array(16384);
    for (const s of ss) per[s] = 1;
    return packSlots(per);
  }),
  gossip: fc.array(
    fc.record({
      id: idArb,
      ip: fc.constantFrom('127.0.0.1', '10.0.0.2'),
      port: fc.nat({ max: 65535 }),
      cport: fc.nat({ max: 65535 }),
      flags: fc.nat({ max: 0xffff }),
      pingSent: fc.nat({ max: 2 ** 31 }).map((s) => s * 1000),
      pongReceived: fc.nat({ max: 2 ** 31 }).map((s) => s * 1000),
    }),
    { maxLength: 3 },
  ),
  extensions: fc.array(fc.record({ type: fc.nat({ max: 0xffff }), data: fc.uint8Array({ maxLength: 20 }).map((b) => Buffer.from(b)) }), { maxLength: 2 }),
});

describe('cluster bus framing', () => {
  it('encodeMessage and FrameReader round-trip heartbeats split at any byte', () => {
    fc.assert(
      fc.property(fc.array(heartbeatArb, { minLength: 1, maxLength: 3 }), fc.nat(), (msgs, cut) => {
        const bytes = Buffer.concat(msgs.map(encodeMessage));
        const at = cut % (bytes.length + 1);
        const r = new FrameReader();
        const got = [...r.push(bytes.subarray(0, at)), ...r.push(bytes.subarray(at))];
        expect(got).toEqual(msgs.map((m) => ({ ...m, slots: new Uint8Array(m.slots) })));
      }),
      { numRuns: 200 },
    );
  }, 120_000);

  it('encodeMessage and FrameReader round-trip PUBLISH messages of any bytes, between heartbeats, split at any byte', () => {
    const latin1 = fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b).toString('latin1'));
    const publishArb: fc.Arbitrary<PublishMessage> = fc.record({ type: fc.constant(MSG.publish), id: idArb, channel: latin1, message: latin1 });
    fc.assert(
      fc.property(fc.array(fc.oneof(publishArb, heartbeatArb), { minLength: 1, maxLength: 4 }), fc.nat(), fc.nat(), (msgs, cut1, cut2) => {
        const bytes = Buffer.concat(msgs.map(encodeMessage));
        const [a, b] = [cut1 % (bytes.length + 1), cut2 % (bytes.length + 1)].sort((x, y) => x - y);
        const r = new FrameReader();
        const got = [...r.push(bytes.subarray(0, a)), ...r.push(bytes.subarray(a, b)), ...r.push(bytes.subarray(b))];
        expect(got).toEqual(msgs.map((m) => (m.type === MSG.publish ? m : { ...m, slots: new Uint8Array((m as Heartbeat).slots) })));
      }),
      { numRuns: 200 },
    );
  }, 120_000);

  it('FrameReader takes a PUBLISH bigger than MAX_BODY in small chunks, with the next frame in its last chunk', () => {
    const message = Buffer.alloc(MAX_BODY * 3 + 5);
    for (let i = 0; i < message.length; i++) message[i] = (i * 31) & 0xff;
    const pub: PublishMessage = { type: MSG.publish, id: 'b'.repeat(40), channel: 'c', message: message.toString('latin1') };
    const fail = { type: MSG.fail, id: 'a'.repeat(40) };
    const bytes = Buffer.concat([encodeMessage(pub), encodeMessage(fail)]);
    const r = new FrameReader();
    const got = [];
    for (let at = 0; at < bytes.length; at += 65_536) got.push(...r.push(bytes.subarray(at, at + 65_536)));
    expect(got).toHaveLength(2);
    expect(got[0]).toEqual(pub);
    expect(got[1]).toEqual(fail);
    // Other types keep the 1 MiB limit.
    const tooLong = encodeMessage(fail);
    tooLong.writeUInt32BE(MAX_BODY + 1, 8);
    expect(() => new FrameReader().push(tooLong)).toThrow(BusProtocolError);
  });

  it('packSlots sets exactly the bits of the given slots', () => {
    const per = new Uint8Array(16384);
    per[0] = per[7] = per[16383] = 1;
    const bits = packSlots(per);
    for (let s = 0; s < 16384; s++) expect(bitmapHas(bits, s)).toBe(per[s] === 1);
  });

  it('FrameReader refuses a bad magic, another version and an oversized length', () => {
    const good = encodeMessage({ type: MSG.fail, id: 'a'.repeat(40) });
    const badMagic = Buffer.from(good);
    badMagic.writeUInt32BE(BUS_MAGIC ^ 1, 0);
    expect(() => new FrameReader().push(badMagic)).toThrow(BusProtocolError);
    const badVersion = Buffer.from(good);
    badVersion.writeUInt16BE(99, 4);
    expect(() => new FrameReader().push(badVersion)).toThrow(BusProtocolError);
    const tooLong = Buffer.from(good);
    tooLong.writeUInt32BE(MAX_BODY + 1, 8);
    expect(() => new FrameReader().push(tooLong)).toThrow(BusProtocolError);
    expect(() => new FrameReader().push(Buffer.from('GET / HTTP/1.1\r\n\r\n'))).toThrow(BusProtocolError);
  });

  it('a node closes a bus link that sends garbage and keeps serving clients', async () => {
    const n = await newNode();
    await launch(n);
    try {
      const closed = await new Promise<boolean>((resolve) => {
        const s = connect({ host: '127.0.0.1', port: n.busPort }, () => s.write('*1\r\n$4\r\nPING\r\n'));
        s.on('close', () => resolve(true));
        s.on('error', () => undefined);
        setTimeout(() => resolve(false), 5000);
      });
      expect(closed).toBe(true);
      expect(await cmd(n.port, 'PING')).toBe('+PONG\r\n');
    } finally {
      await stopAll([n]);
    }
  });
});
