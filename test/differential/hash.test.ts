/**
 * Hash commands against real Redis 7.0.
 *
 * Two suites:
 * - 'small hashes' keeps the default limits, so hashes stay listpacks and
 *   every reply must match byte for byte, order included (listpack order is
 *   insertion order in both servers), also HSCAN and HRANDFIELD with a count
 *   covering the whole hash.
 * - 'hashes across encodings' lowers the listpack limits on both servers
 *   (3 entries, 4-byte values) so hashes convert to hashtable mid-sequence;
 *   OBJECT ENCODING must agree, and replies whose order is Redis's hash order
 *   are compared unordered (HSCAN there only by shape: the cursors differ by
 *   design).
 * Random draws (HRANDFIELD with a small or negative count) are not compared;
 * their errors and the forms whose result is fixed are.
 */
import fc from 'fast-check';
import { arbs, differentialSuite, type Compare, type Step } from './harness.js';

const RUNS = Number(process.env.HASH_DIFF_RUNS ?? 600);

const key = fc.constantFrom('h1', 'h2', '{t}h3', 'str', '\x00bin\xff');
const field = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('a', 'b', 'c', 'd', 'e', '', 'f\x00\xff', 'longer-field-name') },
  { weight: 1, arbitrary: arbs.bytes(6) },
);
const value = fc.oneof({ weight: 3, arbitrary: arbs.value }, { weight: 1, arbitrary: arbs.bytes(20) });
const pairs = fc.array(fc.tuple(field, value), { minLength: 1, maxLength: 5 }).map((ps) => ps.flat());
const fields = fc.array(field, { minLength: 1, maxLength: 4 });
// Increments stay small enough that results fit hash-max-listpack-value: in the small suite a
// conversion to hashtable would make HKEYS order Redis's hash order.
const floatArg = fc.oneof(
  fc.double({ noNaN: true, min: -1e6, max: 1e6 }).map(String),
  fc.constantFrom('0.1', '-0.1', '1e30', '-1e30', 'inf', '-inf', 'nan', 'x', '', '1.5e', '0x10', ' 1', '5', '-0', '1e-320'),
);
const pattern = fc.constantFrom('*', 'a*', '?', '[a-c]', '*\x00*', 'x', '\\a', '[^a]*');
const scanOpts = fc.array(
  fc.oneof(
    pattern.map((p) => ['MATCH', p]),
    fc.constantFrom('1', '5', '100', '0', '-1', 'x').map((n) => ['COUNT', n]),
    fc.constantFrom(['match'], ['TYPE', 'string'], ['FOO', 'x']),
  ),
  { maxLength: 2 },
);
const cursor = fc.constantFrom('0', '0', '0', '7', 'x', '-1', '18446744073709551615', '18446744073709551616', '');

function steps(ordered: Compare): fc.Arbitrary<Step>[] {
  const s = (args: string[], compare: Compare = 'exact'): Step => ({ args, compare });
  return [
    fc.tuple(fc.constantFrom('HSET', 'hset', 'HMSET'), key, pairs).map(([c, k, p]) => s([c, k, ...p])),
    fc.tuple(key, field, value).map(([k, f, v]) => s(['HSETNX', k, f, v])),
    fc.tuple(key, field).map(([k, f]) => s(['HGET', k, f])),
    fc.tuple(key, fields).map(([k, f]) => s(['HMGET', k, ...f])),
    key.map((k) => s(['HGETALL', k], ordered)),
    key.map((k) => s(['HKEYS', k], ordered)),
    key.map((k) => s(['HVALS', k], ordered)),
    fc.tuple(key, fields).map(([k, f]) => s(['HDEL', k, ...f])),
    fc.tuple(key, field).map(([k, f]) => s(['HEXISTS', k, f])),
    key.map((k) => s(['HLEN', k])),
    fc.tuple(key, field).map(([k, f]) => s(['HSTRLEN', k, f])),
    fc.tuple(key, field, arbs.intArg).map(([k, f, n]) => s(['HINCRBY', k, f, n])),
    fc.tuple(key, field, floatArg).map(([k, f, n]) => s(['HINCRBYFLOAT', k, f, n])),
    // HRANDFIELD: whole-hash counts (deterministic), zero, and malformed counts.
    fc.tuple(key, fc.constantFrom('100', '9223372036854775807', '0'), fc.boolean()).map(([k, n, wv]) =>
      s(['HRANDFIELD', k, n, ...(wv ? ['WITHVALUES'] : [])], ordered),
    ),
    fc
      .tuple(key, fc.constantFrom('x', '', '1.5', '-9223372036854775808', '9223372036854775808'), fc.constantFrom([], ['WITHVALUES'], ['withvalues', 'x'], ['FOO']))
      .map(([k, n, o]) => s(['HRANDFIELD', k, n, ...o])),
    // Counts out of range WITHVALUES (without it, Redis would really try to send 4.6e18 fields).
    fc.tuple(key, fc.constantFrom('4611686018427387904', '-4611686018427387904')).map(([k, n]) => s(['HRANDFIELD', k, n, 'WITHVALUES'])),
    // Without a count the field is random once `str` has become a hash: compare the reply type only.
    fc.constantFrom('nokey', 'str').map((k) => s(['HRANDFIELD', k], 'shape')),
    fc.tuple(key, cursor, scanOpts).map(([k, cur, o]) => s(['HSCAN', k, cur, ...o.flat()], ordered === 'exact' ? 'exact' : 'shape')),
    // Other types and generic commands around hashes.
    fc.tuple(key, value).map(([k, v]) => s(['SET', k, v])),
    key.map((k) => s(['DEL', k])),
    key.map((k) => s(['TYPE', k])),
    key.map((k) => s(['EXISTS', k])),
    key.map((k) => s(['OBJECT', 'ENCODING', k])),
    // Arity errors.
    fc.constantFrom(['HSET', 'h1', 'a'], ['HSET', 'h1', 'a', '1', 'b'], ['HMSET', 'h1', 'a', '1', 'b'], ['HGET', 'h1'], ['HSETNX', 'h1', 'a'], ['HSCAN', 'h1'], ['HRANDFIELD'], ['HINCRBY', 'h1', 'a']).map((a) => s(a)),
  ];
}

/** Sequences start by filling a hash or two, so later steps find fields. */
function sequence(ordered: Compare, fill: number): fc.Arbitrary<Step[]> {
  return fc
    .tuple(
      fc.array(fc.tuple(fc.constantFrom('h1', 'h2', '{t}h3'), pairs).map(([k, p]) => ({ args: ['HSET', k, ...p] }) as Step), { maxLength: fill }),
      fc.constantFrom('str').map((k) => ({ args: ['SET', k, 'x'] }) as Step),
      fc.array(fc.oneof(...steps(ordered)), { minLength: 1, maxLength: 18 }),
    )
    .map(([a, b, c]) => [...a, b, ...c]);
}

differentialSuite('small hashes', sequence('exact', 2), { numRuns: RUNS });

differentialSuite('hashes across encodings', sequence('unordered', 3), {
  numRuns: RUNS,
  setup: [
    { args: ['CONFIG', 'SET', 'hash-max-listpack-entries', '3'] },
    { args: ['CONFIG', 'SET', 'hash-max-listpack-value', '4'] },
  ],
});
