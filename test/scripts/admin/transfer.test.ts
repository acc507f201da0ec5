/**
 * The raw reply handling of scripts/admin/transfer.ts: replyEnd finds where
 * a RESP2 reply ends (or that it is not complete yet), keyListOf splits a
 * GETKEYSINSLOT reply into keys, and RawConn hands each request exactly its
 * replies however the bytes arrive.
 */
import { afterEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createServer, type Server, type Socket } from 'node:net';
import { keyBytes, keyListOf, RawConn, replyEnd } from '../../../scripts/admin/transfer.js';

type R = { t: 'simple' | 'error'; s: string } | { t: 'int'; n: number } | { t: 'bulk'; b: string | null } | { t: 'array'; a: R[] | null };

const line = fc.string({ unit: fc.constantFrom(...'abcXYZ019 -:'.split('')), maxLength: 12 });
const bytes = fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)), maxLength: 40 });
const { reply } = fc.letrec<{ reply: R }>((tie) => ({
  reply: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record({ t: fc.constantFrom('simple' as const, 'error' as const), s: line }),
    fc.record({ t: fc.constant('int' as const), n: fc.integer({ min: -1e12, max: 1e12 }) }),
    fc.record({ t: fc.constant('bulk' as const), b: fc.option(bytes) }),
    fc.record({ t: fc.constant('array' as const), a: fc.option(fc.array(tie('reply'), { maxLength: 4 })) }),
  ),
}));

function encode(r: R): string {
  switch (r.t) {
    case 'simple': return `+${r.s}\r\n`;
    case 'error': return `-${r.s}\r\n`;
    case 'int': return `:${r.n}\r\n`;
    case 'bulk': return r.b === null ? '$-1\r\n' : `$${r.b.length}\r\n${r.b}\r\n`;
    case 'array': return r.a === null ? '*-1\r\n' : `*${r.a.length}\r\n${r.a.map(encode).join('')}`;
  }
}

describe('replyEnd', () => {
  it('replyEnd finds the end of each reply of a sequence and -1 on every cut inside one', () => {
    fc.assert(fc.property(fc.array(reply, { minLength: 1, maxLength: 5 }), (rs) => {
      const texts = rs.map(encode);
      const buf = Buffer.from(texts.join(''), 'latin1');
      let p = 0;
      for (const t of texts) {
        expect(replyEnd(buf, p, buf.length)).toBe(p + t.length);
        for (let cut = p; cut < p + t.length; cut++) expect(replyEnd(buf, p, cut)).toBe(-1);
        p += t.length;
      }
    }), { numRuns: 300 });
  });
});

describe('keyListOf', () => {
  it('keyListOf splits a CLUSTER GETKEYSINSLOT reply into its keys, binary bytes intact', () => {
    fc.assert(fc.property(fc.array(bytes, { maxLength: 20 }), (keys) => {
      const l = keyListOf(Buffer.from(encode({ t: 'array', a: keys.map((b) => ({ t: 'bulk', b })) }), 'latin1'));
      expect(l.offs.length).toBe(keys.length + 1);
      expect(keys.map((_, i) => keyBytes(l, i).toString('latin1'))).toEqual(keys);
    }), { numRuns: 200 });
  });

  it('keyListOf of an error reply throws with the error text', () => {
    expect(() => keyListOf(Buffer.from('-ERR Invalid slot\r\n', 'latin1'))).toThrow('CLUSTER GETKEYSINSLOT failed: ERR Invalid slot');
  });
});

describe('RawConn', () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    server = undefined;
  });

  /** A server answering every write with `answer`, cut into pieces of `chunk` bytes sent one by one. */
  async function serve(answer: (req: Buffer) => Buffer, chunk: number): Promise<number> {
    server = createServer((s: Socket) => {
      s.on('data', async (d: Buffer) => {
        const out = answer(d);
        for (let i = 0; i < out.length; i += chunk) {
          s.write(out.subarray(i, i + chunk));
          await new Promise((r) => setImmediate(r));
        }
      });
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
    return (server.address() as { port: number }).port;
  }

  it('RawConn.request resolves each pipelined request with exactly its replies, bytes arriving one at a time', async () => {
    const replies = ['+OK\r\n', ':-2\r\n$4\r\na\r\nb\r\n', '*2\r\n$-1\r\n*1\r\n:5\r\n', '-ERR x\r\n'];
    // The client writes the requests of one tick in one write: answer them all at once.
    const port = await serve(() => Buffer.from(replies.join(''), 'latin1'), 1);
    const conn = await RawConn.open('127.0.0.1', port);
    try {
      const got = await Promise.all([
        conn.request(Buffer.from('A'), 1),
        conn.request(Buffer.from('B'), 2),
        conn.request(Buffer.from('C'), 1),
        conn.request(Buffer.from('D'), 1),
      ]);
      expect(got.map((b) => b.toString('latin1'))).toEqual(replies);
    } finally {
      conn.close();
    }
  });

  it('RawConn.request with replies larger than the receive buffer returns them whole', async () => {
    const big = `$${200_000}\r\n${'x'.repeat(200_000)}\r\n`;
    const port = await serve(() => Buffer.from(big + big, 'latin1'), 65_536);
    const conn = await RawConn.open('127.0.0.1', port);
    try {
      const r = await conn.request(Buffer.from('A'), 2);
      expect(r.length).toBe(2 * big.length);
      expect(replyEnd(r, 0, r.length)).toBe(big.length);
    } finally {
      conn.close();
    }
  });
});
