import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { INLINE_MAX_SIZE, ProtocolError, RequestParser, splitArgs } from '../../../src/node/resp/request-parser.js';

const MAX_BULK = 512 * 1024 * 1024;

/** Feeds `chunks` and pulls commands until the parser needs input or fails. */
function parseAll(chunks: readonly Buffer[], parser = new RequestParser(MAX_BULK)): (string[] | ProtocolError)[] {
  const out: (string[] | ProtocolError)[] = [];
  for (const chunk of chunks) {
    parser.feed(chunk);
    for (;;) {
      const r = parser.next();
      if (r === null) break;
      out.push(r);
      if (r instanceof ProtocolError) return out;
    }
  }
  return out;
}

function bytes(s: string): Buffer {
  return Buffer.from(s, 'latin1');
}

function multibulk(args: readonly string[]): string {
  let s = `*${args.length}\r\n`;
  for (const a of args) s += `$${a.length}\r\n${a}\r\n`;
  return s;
}

function errorOf(input: string | Buffer, parser?: RequestParser): string | undefined {
  const out = parseAll([typeof input === 'string' ? bytes(input) : input], parser);
  const last = out[out.length - 1];
  return last instanceof ProtocolError ? last.message : undefined;
}

describe('RequestParser multibulk requests', () => {
  it('RequestParser reads a multibulk command with binary and empty arguments', () => {
    const args = ['SET', '\x00\xff\r\n', ''];
    expect(parseAll([bytes(multibulk(args))])).toEqual([args]);
  });

  it('RequestParser reads arguments of every length from 0 to 30 holding every byte value, short and long alike', () => {
    // Arguments up to 24 bytes are built in JS, longer ones by latin1Slice: both must give the same latin1 strings.
    const cmds: string[][] = [];
    for (let len = 0; len <= 30; len++) {
      for (let start = 0; start < 256; start += len || 1) {
        let arg = '';
        for (let i = 0; i < len; i++) arg += String.fromCharCode((start + i * 37) & 0xff);
        cmds.push(['SET', arg, arg + '\xff']);
      }
    }
    const parsed = parseAll([bytes(cmds.map(multibulk).join(''))]);
    expect(parsed).toEqual(cmds);
    // One char per byte, never a two-byte string.
    for (const c of parsed as string[][]) expect(Buffer.from(c[1]!, 'latin1').length).toBe(c[1]!.length);
  });

  it('RequestParser gives each command its own name when the last name is reused for equal bytes', () => {
    const cmds = [['GET', 'k'], ['GET', 'k'], ['SET', 'k', 'v'], ['GEt', 'k'], ['G\xffT'], ['GET'], ['x'.repeat(40)], ['x'.repeat(40)], ['']];
    const parser = new RequestParser(MAX_BULK);
    expect(parseAll([bytes(cmds.map(multibulk).join(''))], parser)).toEqual(cmds);
    // Bytes of a released chunk are overwritten: the kept name is a string, not a view of them.
    const chunk = bytes(multibulk(['HGET', 'h', 'f']));
    parser.feed(chunk);
    expect(parser.next()).toEqual(['HGET', 'h', 'f']);
    parser.release(chunk);
    chunk.fill(0x41);
    expect(parseAll([bytes(multibulk(['HGET', 'h', 'g']) + multibulk(['HSET', 'h', 'f', 'v']))], parser)).toEqual([
      ['HGET', 'h', 'g'],
      ['HSET', 'h', 'f', 'v'],
    ]);
  });

  it('RequestParser reads multibulk counts of every width and refuses the malformed ones', () => {
    for (const n of [1, 9, 10, 99, 100, 123456789]) {
      const parser = new RequestParser(MAX_BULK);
      parser.feed(bytes(`*${n}\r\n`));
      expect(parser.next()).toBeNull();
      expect(parser.bufferedBytes).toBe(0);
    }
    expect(errorOf('*1x\r\n')).toBe('ERR Protocol error: invalid multibulk length');
    expect(errorOf('*+1\r\n')).toBe('ERR Protocol error: invalid multibulk length');
    expect(errorOf('*1 \r\n')).toBe('ERR Protocol error: invalid multibulk length');
    // A count is complete only with the byte after its CR.
    const parser = new RequestParser(MAX_BULK);
    parser.feed(bytes('*2\r'));
    expect(parser.next()).toBeNull();
    parser.feed(bytes('\n$3\r\nGET\r\n$1\r\nk\r\n'));
    expect(parser.next()).toEqual(['GET', 'k']);
  });

  it('RequestParser skips *0 and negative counts as Redis does', () => {
    expect(parseAll([bytes('*0\r\n*-1\r\n*-5\r\n' + multibulk(['PING']))])).toEqual([['PING']]);
  });

  it('RequestParser skips the two bytes after a bulk body without checking them', () => {
    expect(parseAll([bytes('*1\r\n$4\r\nPINGxx*1\r\n$4\r\nPING\r\n')])).toEqual([['PING'], ['PING']]);
  });

  it('RequestParser waits for a bulk body split over many chunks', () => {
    const value = 'v'.repeat(100_000);
    const wire = bytes(multibulk(['SET', 'k', value]));
    const chunks: Buffer[] = [];
    for (let i = 0; i < wire.length; i += 1000) chunks.push(wire.subarray(i, i + 1000));
    expect(parseAll(chunks)).toEqual([['SET', 'k', value]]);
  });

  it('RequestParser accepts a count of INT_MAX and waits for the arguments', () => {
    expect(parseAll([bytes('*2147483647\r\n$4\r\nPING\r\n')])).toEqual([]);
  });
});

describe('RequestParser inline requests', () => {
  it('RequestParser reads inline commands ended by CRLF or a bare LF', () => {
    expect(parseAll([bytes('PING\r\nECHO a\nSET k "v w"\r\n')])).toEqual([['PING'], ['ECHO', 'a'], ['SET', 'k', 'v w']]);
  });

  it('RequestParser skips empty and blank inline lines', () => {
    expect(parseAll([bytes('\r\n\n   \r\nPING\n')])).toEqual([['PING']]);
  });

  it('RequestParser waits when a NUL precedes the LF of an inline command, as strchr does in Redis', () => {
    expect(parseAll([bytes('PING\x00 x\r\nPING\r\n')])).toEqual([]);
  });

  it('splitArgs() understands double-quote escapes and single quotes', () => {
    expect(splitArgs('ECHO "a\\nb\\"c\\\\" "\\x41\\xff\\x0"')).toEqual(['ECHO', 'a\nb"c\\', 'A\xffx0']);
    expect(splitArgs("ECHO 'a\\'b\\n'")).toEqual(['ECHO', "a'b\\n"]);
    expect(splitArgs('ECHO ""')).toEqual(['ECHO', '']);
    expect(splitArgs('  a\tb  ')).toEqual(['a', 'b']);
  });

  it('splitArgs() refuses unbalanced quotes and text glued to a closing quote', () => {
    expect(splitArgs('"abc')).toBeNull();
    expect(splitArgs("'abc")).toBeNull();
    expect(splitArgs('"a"b')).toBeNull();
    expect(splitArgs("'a'b")).toBeNull();
  });
});

describe('RequestParser protocol errors', () => {
  it('RequestParser reports Redis protocol error texts', () => {
    expect(errorOf('*abc\r\n')).toBe('ERR Protocol error: invalid multibulk length');
    expect(errorOf('*+1\r\n')).toBe('ERR Protocol error: invalid multibulk length');
    expect(errorOf('*01\r\n')).toBe('ERR Protocol error: invalid multibulk length');
    expect(errorOf('*2147483648\r\n')).toBe('ERR Protocol error: invalid multibulk length');
    expect(errorOf('*1\r\nxyz\r\n')).toBe("ERR Protocol error: expected '$', got 'x'");
    expect(errorOf('*1\r\n\r\n')).toBe("ERR Protocol error: expected '$', got ' '");
    expect(errorOf('*1\r\n$abc\r\n')).toBe('ERR Protocol error: invalid bulk length');
    expect(errorOf('*1\r\n$-1\r\n')).toBe('ERR Protocol error: invalid bulk length');
    expect(errorOf('*1\r\n$04\r\nPING\r\n')).toBe('ERR Protocol error: invalid bulk length');
    expect(errorOf('*1\r\n$536870913\r\n')).toBe('ERR Protocol error: invalid bulk length');
    expect(errorOf('"unbalanced\r\n')).toBe('ERR Protocol error: unbalanced quotes in request');
    expect(errorOf('a'.repeat(INLINE_MAX_SIZE + 1))).toBe('ERR Protocol error: too big inline request');
    expect(errorOf('*' + '1'.repeat(INLINE_MAX_SIZE + 1))).toBe('ERR Protocol error: too big mbulk count string');
    expect(errorOf('*1\r\n$' + '1'.repeat(INLINE_MAX_SIZE + 1))).toBe('ERR Protocol error: too big bulk count string');
  });

  it('RequestParser waits on a header line holding a NUL, then fails once 64KB are buffered', () => {
    const parser = new RequestParser(MAX_BULK);
    expect(parseAll([bytes('*1\x00\r\n')], parser)).toEqual([]);
    const out = parseAll([Buffer.alloc(INLINE_MAX_SIZE, 0x61)], parser);
    expect(out).toEqual([new ProtocolError('ERR Protocol error: too big mbulk count string')]);
  });

  it('RequestParser applies the tighter limits before authentication', () => {
    const parser = new RequestParser(MAX_BULK);
    parser.unauthenticated = true;
    expect(errorOf('*11\r\n', parser)).toBe('ERR Protocol error: unauthenticated multibulk length');
    const p2 = new RequestParser(MAX_BULK);
    p2.unauthenticated = true;
    expect(errorOf('*1\r\n$16385\r\n', p2)).toBe('ERR Protocol error: unauthenticated bulk length');
  });
});

describe('RequestParser chunking', () => {
  const stream =
    multibulk(['SET', 'k\x00', 'v\r\nw']) +
    'PING\r\n' +
    multibulk(['GET', '']) +
    '\r\n' +
    'ECHO "a b" \'c\'\n' +
    multibulk(['MSET', 'a', '1', 'b', '\xff'.repeat(300)]) +
    '*0\r\n' +
    multibulk(['QUIT']);
  const expected = parseAll([bytes(stream)]);

  it('RequestParser gives the same commands when the stream is split at every byte boundary', () => {
    expect(expected).toHaveLength(6);
    const wire = bytes(stream);
    for (let i = 0; i <= wire.length; i++) {
      expect(parseAll([wire.subarray(0, i), wire.subarray(i)]), `split at ${i}`).toEqual(expected);
    }
  });

  it('RequestParser gives the same commands when fed one byte at a time', () => {
    const wire = bytes(stream);
    const chunks: Buffer[] = [];
    for (let i = 0; i < wire.length; i++) chunks.push(wire.subarray(i, i + 1));
    expect(parseAll(chunks)).toEqual(expected);
  });

  it('RequestParser parses any commands under any chunking', () => {
    const arg = fc.uint8Array({ maxLength: 40 }).map((u) => Buffer.from(u).toString('latin1'));
    fc.assert(
      fc.property(
        fc.array(fc.array(arg, { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 10 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        (commands, cuts) => {
          const wire = bytes(commands.map(multibulk).join(''));
          const points = [...new Set(cuts.map((c) => c % (wire.length + 1)))].sort((a, b) => a - b);
          const chunks: Buffer[] = [];
          let prev = 0;
          for (const p of points) {
            chunks.push(wire.subarray(prev, p));
            prev = p;
          }
          chunks.push(wire.subarray(prev));
          expect(parseAll(chunks)).toEqual(commands);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('RequestParser reports bufferedBytes as the unparsed input', () => {
    const parser = new RequestParser(MAX_BULK);
    parser.feed(bytes('*1\r\n$4\r\nPI'));
    expect(parser.next()).toBeNull();
    expect(parser.bufferedBytes).toBeGreaterThan(0);
    parser.feed(bytes('NG\r\n'));
    expect(parser.next()).toEqual(['PING']);
    expect(parser.bufferedBytes).toBe(0);
  });
});

describe('RequestParser with a reused read buffer', () => {
  it('RequestParser.release keeps every command intact when each chunk is overwritten after use', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)), maxLength: 40 }), { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 8 }),
        fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 20 }),
        (commands, cuts) => {
          const wire = bytes(commands.map(multibulk).join(''));
          const shared = Buffer.alloc(64);
          const parser = new RequestParser(MAX_BULK);
          const got: string[][] = [];
          let at = 0;
          for (let i = 0; at < wire.length; i++) {
            const n = Math.min(cuts[i % cuts.length]!, wire.length - at);
            wire.copy(shared, 0, at, at + n);
            at += n;
            const chunk = shared.subarray(0, n);
            parser.feed(chunk);
            for (let r = parser.next(); r !== null; r = parser.next()) {
              if (r instanceof ProtocolError) throw new Error(r.message);
              got.push(r);
            }
            parser.release(chunk);
            shared.fill(0x2a); // what the next read would do to the memory
          }
          expect(got).toEqual(commands);
        },
      ),
      { numRuns: 300 },
    );
  });
});
