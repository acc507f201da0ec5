import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { encodeCommand, INCOMPLETE, PushMessage, RespParser, WriteBuffer } from '../../src/client/resp.js';
import { AskError, MovedError, ReplyError } from '../../src/client/errors.js';

function parseAll(bytes: Buffer, asBuffer = false): unknown[] {
  const p = new RespParser();
  p.push(bytes);
  const out: unknown[] = [];
  for (let v = p.next(asBuffer); v !== INCOMPLETE; v = p.next(asBuffer)) out.push(v);
  return out;
}

describe('resp', () => {
  it('encodeCommand() writes UTF-8 strings with their byte length, Buffers byte for byte and numbers as text', () => {
    expect(encodeCommand(['SET', 'é', Buffer.from([0, 255]), 42]).toString('latin1')).toBe('*4\r\n$3\r\nSET\r\n$2\r\n\xc3\xa9\r\n$2\r\n\x00\xff\r\n$2\r\n42\r\n');
  });

  it('WriteBuffer.take() returns one string for string-only commands and resets', () => {
    const w = new WriteBuffer();
    w.append(['GET', 'a']);
    w.append(['GET', 'b']);
    expect(w.take()).toBe('*2\r\n$3\r\nGET\r\n$1\r\na\r\n*2\r\n$3\r\nGET\r\n$1\r\nb\r\n');
    expect(w.empty).toBe(true);
  });

  it('RespParser.next() reads every RESP2 and RESP3 type', () => {
    const wire =
      '+OK\r\n:-12\r\n$3\r\nfoo\r\n$-1\r\n*2\r\n:1\r\n$1\r\na\r\n*-1\r\n_\r\n#t\r\n#f\r\n,2.5\r\n,inf\r\n(12345678901234567890\r\n' +
      '=8\r\ntxt:abcd\r\n%1\r\n+k\r\n:1\r\n~1\r\n:2\r\n|1\r\n+a\r\n+b\r\n:7\r\n>2\r\n+message\r\n+x\r\n-ERR bad\r\n!5\r\nERR b\r\n';
    const out = parseAll(Buffer.from(wire, 'latin1'));
    expect(out.slice(0, 16)).toEqual(['OK', -12, 'foo', null, [1, 'a'], null, null, true, false, 2.5, Infinity, 12345678901234567890n, 'abcd', new Map([['k', 1]]), [2], 7]);
    expect(out[16]).toBeInstanceOf(PushMessage);
    expect(out[17]).toBeInstanceOf(ReplyError);
    expect((out[18] as ReplyError).message).toBe('ERR b');
  });

  it('RespParser.next() returns bulk strings as Buffers when asked, binary-safe', () => {
    const bytes = Buffer.from([0, 13, 10, 255, 128]);
    const wire = Buffer.concat([Buffer.from('$5\r\n'), bytes, Buffer.from('\r\n')]);
    expect(parseAll(wire, true)).toEqual([bytes]);
  });

  it('RespParser.next() parses MOVED and ASK replies into typed errors', () => {
    const [m, a] = parseAll(Buffer.from('-MOVED 12182 127.0.0.1:30003\r\n-ASK 1 ::1:7000\r\n'));
    expect(m).toBeInstanceOf(MovedError);
    expect((m as MovedError).slot).toBe(12182);
    expect((a as AskError).target).toEqual({ host: '::1', port: 7000 });
  });

  it('RespParser gives the same replies however the bytes are split into chunks', () => {
    const wire = Buffer.from('*3\r\n$5\r\nhello\r\n%1\r\n+a\r\n,1.5\r\n:9\r\n$-1\r\n+OK\r\n$10\r\n0123456789\r\n', 'latin1');
    const whole = parseAll(wire);
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: wire.length - 1 }), { maxLength: 8 }), (cuts) => {
        const points = [0, ...cuts.sort((x, y) => x - y), wire.length];
        const p = new RespParser();
        const out: unknown[] = [];
        for (let i = 0; i + 1 < points.length; i++) {
          p.push(wire.subarray(points[i]!, points[i + 1]!));
          for (let v = p.next(false); v !== INCOMPLETE; v = p.next(false)) out.push(v);
        }
        expect(out).toEqual(whole);
      }),
      { numRuns: 200 },
    );
  });

  it('RespParser waits for a large bulk string without re-parsing each chunk', () => {
    const big = Buffer.alloc(300_000, 'x');
    const wire = Buffer.concat([Buffer.from(`$${big.length}\r\n`), big, Buffer.from('\r\n:1\r\n')]);
    const p = new RespParser();
    const out: unknown[] = [];
    const t0 = performance.now();
    for (let i = 0; i < wire.length; i += 100) {
      p.push(wire.subarray(i, i + 100));
      for (let v = p.next(true); v !== INCOMPLETE; v = p.next(true)) out.push(v);
    }
    // Quadratic re-parsing/concatenation would copy ~450 MB here.
    expect(performance.now() - t0).toBeLessThan(500);
    expect(out).toHaveLength(2);
    expect((out[0] as Buffer).equals(big)).toBe(true);
    expect(out[1]).toBe(1);
  });
});
