/**
 * encodeReply (src/node/resp/reply.ts). Aggregates past LARGE_AGGREGATE elements take
 * another path (pieces joined in batches); its bytes must equal those of
 * the plain recursive encoding, for every reply kind nested at any depth,
 * in RESP2 and RESP3.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BoolReply,
  DoubleReply,
  encodeError,
  encodeReply,
  ErrorReply,
  LARGE_AGGREGATE,
  MapReply,
  NULL_ARRAY,
  PushReply,
  SetReply,
  SimpleString,
  VerbatimReply,
  type Protocol,
  type Reply,
} from '../../../src/node/resp/reply.js';

/** The encoding written out rule by rule (RESP2/RESP3 as Redis 7 sends it), with no size-dependent path. */
function reference(r: Reply, proto: Protocol): string {
  if (typeof r === 'string') return `$${r.length}\r\n${r}\r\n`;
  if (typeof r === 'number' || typeof r === 'bigint') return `:${r}\r\n`;
  if (r === null) return proto === 3 ? '_\r\n' : '$-1\r\n';
  const all = (items: Reply[]): string => items.map((x) => reference(x, proto)).join('');
  if (Array.isArray(r)) return `*${r.length}\r\n${all(r)}`;
  if (r instanceof SimpleString) return `+${r.value}\r\n`;
  if (r instanceof ErrorReply) return `-${r.message}\r\n`;
  if (r instanceof DoubleReply) return proto === 3 ? `,${r.text}\r\n` : `$${r.text.length}\r\n${r.text}\r\n`;
  if (r instanceof MapReply) return `${proto === 3 ? `%${r.flat.length / 2}` : `*${r.flat.length}`}\r\n${all(r.flat)}`;
  if (r instanceof SetReply) return `${proto === 3 ? '~' : '*'}${r.items.length}\r\n${all(r.items)}`;
  if (r instanceof PushReply) return `${proto === 3 ? '>' : '*'}${r.items.length}\r\n${all(r.items)}`;
  if (r instanceof VerbatimReply) return proto === 3 ? `=${r.text.length + 4}\r\n${r.format}:${r.text}\r\n` : `$${r.text.length}\r\n${r.text}\r\n`;
  if (r instanceof BoolReply) return proto === 3 ? (r.value ? '#t\r\n' : '#f\r\n') : r.value ? ':1\r\n' : ':0\r\n';
  return proto === 3 ? '_\r\n' : '*-1\r\n';
}

/** Latin1 text, sometimes longer than 1024 bytes (bulk headers above that are not precomputed). */
const bytes = fc.oneof(
  { weight: 5, arbitrary: fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)), maxLength: 20 }) },
  { weight: 1, arbitrary: fc.integer({ min: 1000, max: 1100 }).map((n) => 'x'.repeat(n)) },
);

const scalar: fc.Arbitrary<Reply> = fc.oneof(
  bytes,
  fc.integer(),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
  fc.constant(null),
  bytes.map((s) => new SimpleString(s.replace(/[\r\n]/g, ''))),
  bytes.map((s) => new ErrorReply(`ERR ${s.replace(/[\r\n]/g, '')}`)),
  fc.double().map((d) => new DoubleReply(String(d))),
  bytes.map((s) => new VerbatimReply(s)),
  fc.boolean().map((b) => new BoolReply(b)),
  fc.constant(NULL_ARRAY),
);

/** Each aggregate kind around `items`. */
function aggregates(items: fc.Arbitrary<Reply[]>): fc.Arbitrary<Reply> {
  return fc.oneof(
    items,
    items.map((xs) => new MapReply(xs.length % 2 === 0 ? xs : xs.slice(1))),
    items.map((xs) => new SetReply(xs)),
    items.map((xs) => new PushReply(xs)),
  );
}

/** Small aggregates (the plain path) of scalars. */
const small = aggregates(fc.array(scalar, { maxLength: 4 }));
/** Aggregates just past LARGE_AGGREGATE elements (the batched path), scalars and small aggregates mixed. */
const big = aggregates(
  fc.array(fc.oneof({ weight: 4, arbitrary: scalar }, { weight: 1, arbitrary: small }), { minLength: LARGE_AGGREGATE + 1, maxLength: LARGE_AGGREGATE + 40 }),
);
/** A big aggregate at the top, or inside a small one, or one inside another big one. */
const reply: fc.Arbitrary<Reply> = fc.oneof(
  big,
  aggregates(fc.array(fc.oneof(scalar, big), { minLength: 1, maxLength: 3 })),
  aggregates(fc.tuple(fc.array(scalar, { minLength: LARGE_AGGREGATE, maxLength: LARGE_AGGREGATE + 10 }), big).map(([xs, b]) => [...xs, b])),
);

describe('encodeReply', () => {
  it('encodeReply gives the same bytes for big and nested aggregates as the rule-by-rule encoding, in RESP2 and RESP3', () => {
    fc.assert(
      fc.property(reply, fc.constantFrom<Protocol>(2, 3), (r, proto) => {
        expect(encodeReply(r, proto)).toBe(reference(r, proto));
      }),
      { numRuns: 100 },
    );
  });

  it('encodeError keeps an error on one line as Redis 7 does: CR and LF at the end dropped, the others turned into spaces', () => {
    // The replies Redis 7.0.15 sent for CLUSTER SETSLOT 1 NODE <id> with these ids.
    expect(encodeError('ERR Unknown node a\r\nb')).toBe('-ERR Unknown node a  b\r\n');
    expect(encodeError('ERR Unknown node ab\r\n')).toBe('-ERR Unknown node ab\r\n');
    expect(encodeError('ERR Unknown node \r\nab\r')).toBe('-ERR Unknown node   ab\r\n');
    expect(encodeError('ERR plain')).toBe('-ERR plain\r\n');
    // The same inside an aggregate (EXEC's results).
    expect(encodeReply([new ErrorReply('ERR x\ny')], 2)).toBe('*1\r\n-ERR x y\r\n');
  });

  it('encodeReply encodes an array of a million short strings (the HGETALL of a big hash) in full', () => {
    const items: string[] = [];
    for (let i = 0; i < 1_000_000; i++) items.push(`f:${i}`);
    const out = encodeReply(new MapReply(items), 3);
    expect(out.startsWith('%500000\r\n$3\r\nf:0\r\n$3\r\nf:1\r\n')).toBe(true);
    expect(out.endsWith('$8\r\nf:999999\r\n')).toBe(true);
    expect(out.length).toBe(out.indexOf('$3\r\nf:0') + items.reduce((n, s) => n + 1 + String(s.length).length + 2 + s.length + 2, 0));
  });
});
