/**
 * Set commands against real Redis 7.0.
 *
 * Two suites:
 * - 'integer sets' uses canonical integer members only and the default
 *   limit, so every set is an intset: both servers list members in
 *   ascending order, and every reply must match byte for byte, SSCAN and
 *   the results of SINTER/SUNION/SDIFF included.
 * - 'sets across encodings' mixes integers, non-canonical integers and
 *   strings, with `set-max-intset-entries` lowered to 4 on both servers, so
 *   sets convert to hashtable; OBJECT ENCODING must agree (also of the
 *   results of SINTERSTORE/SUNIONSTORE/SDIFFSTORE), and member lists, whose
 *   order is Redis's hash order there, are compared unordered (SSCAN by
 *   shape only: cursors differ by design).
 * SPOP and SRANDMEMBER are compared in the forms whose result is fixed
 * (count >= size, 0, missing keys, errors).
 */
import fc from 'fast-check';
import { arbs, differentialSuite, type Compare, type Step } from './harness.js';

const RUNS = Number(process.env.SET_DIFF_RUNS ?? 600);

const key = fc.constantFrom('{t}s1', '{t}s2', '{t}s3', '{t}str', '{t}nokey');
const intMember = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: -5, max: 20 }).map(String) },
  { weight: 1, arbitrary: fc.constantFrom('9223372036854775807', '-9223372036854775808', '1000000', '-70000', '4294967296') },
);
const anyMember = fc.oneof(
  { weight: 5, arbitrary: intMember },
  { weight: 3, arbitrary: fc.constantFrom('a', 'b', 'c', '', 'x\x00\xff') },
  { weight: 1, arbitrary: fc.constantFrom('-0', '007', ' 1', '1.0', '9223372036854775808', '+1') },
  { weight: 1, arbitrary: arbs.bytes(5) },
);
const pattern = fc.constantFrom('*', '1*', '?', '[a-c]', '-*', 'x', '\\1', '[^1]*');
const scanOpts = fc.array(
  fc.oneof(
    pattern.map((p) => ['MATCH', p]),
    fc.constantFrom('1', '5', '100', '0', '-1', 'x').map((n) => ['COUNT', n]),
    fc.constantFrom(['match'], ['TYPE', 'string'], ['FOO', 'x']),
  ),
  { maxLength: 2 },
);
const cursor = fc.constantFrom('0', '0', '0', '7', 'x', '-1', '', '18446744073709551616');

function steps(member: fc.Arbitrary<string>, ordered: Compare): fc.Arbitrary<Step>[] {
  const s = (args: string[], compare: Compare = 'exact'): Step => ({ args, compare });
  const members = fc.array(member, { minLength: 1, maxLength: 5 });
  const keys = fc.array(key, { minLength: 1, maxLength: 3 });
  return [
    fc.tuple(key, members).map(([k, m]) => s(['SADD', k, ...m])),
    fc.tuple(key, members).map(([k, m]) => s(['SREM', k, ...m])),
    fc.tuple(key, member).map(([k, m]) => s(['SISMEMBER', k, m])),
    fc.tuple(key, members).map(([k, m]) => s(['SMISMEMBER', k, ...m])),
    key.map((k) => s(['SMEMBERS', k], ordered)),
    key.map((k) => s(['SCARD', k])),
    fc.tuple(key, fc.constantFrom('100', '0', '9223372036854775807', '-1', 'x', '')).map(([k, n]) => s(['SPOP', k, n], ordered)),
    fc.constantFrom('{t}missing', '{t}plain').map((k) => s(['SPOP', k])),
    fc.tuple(key, fc.constantFrom('100', '0', '9223372036854775807', '-9223372036854775808', 'x', '1.5')).map(([k, n]) => s(['SRANDMEMBER', k, n], ordered)),
    fc.constantFrom(['SRANDMEMBER', '{t}missing'], ['SRANDMEMBER', '{t}plain'], ['SRANDMEMBER', '{t}s1', '1', '2'], ['SPOP', '{t}s1', '1', '2']).map((a) => s(a)),
    fc.tuple(key, key, member).map(([a, b, m]) => s(['SMOVE', a, b, m])),
    keys.map((ks) => s(['SINTER', ...ks], ordered)),
    keys.map((ks) => s(['SUNION', ...ks], ordered)),
    keys.map((ks) => s(['SDIFF', ...ks], ordered)),
    fc.tuple(fc.constantFrom('SINTERSTORE', 'SUNIONSTORE', 'SDIFFSTORE'), key, keys).map(([c, d, ks]) => s([c, d, ...ks])),
    fc
      .tuple(keys, fc.integer({ min: -1, max: 1 }), fc.constantFrom([], ['LIMIT', '0'], ['LIMIT', '1'], ['LIMIT', '2'], ['limit', '-1'], ['LIMIT', 'x'], ['LIMIT'], ['FOO']))
      .map(([ks, skew, o]) => s(['SINTERCARD', String(ks.length + skew), ...ks, ...o])),
    fc.constantFrom(['SINTERCARD', 'x', '{t}s1'], ['SINTERCARD', '-1', '{t}s1'], ['SINTERCARD', '0', '{t}s1']).map((a) => s(a)),
    fc.tuple(key, cursor, scanOpts).map(([k, cur, o]) => s(['SSCAN', k, cur, ...o.flat()], ordered === 'exact' ? 'exact' : 'shape')),
    // Other types and generic commands around sets.
    key.map((k) => s(['SET', k, 'x'])),
    key.map((k) => s(['DEL', k])),
    key.map((k) => s(['TYPE', k])),
    key.map((k) => s(['OBJECT', 'ENCODING', k])),
    // Arity errors.
    fc.constantFrom(['SADD', '{t}s1'], ['SREM', '{t}s1'], ['SMOVE', '{t}s1', '{t}s2'], ['SINTERCARD', '1'], ['SSCAN', '{t}s1'], ['SINTERSTORE', '{t}s1']).map((a) => s(a)),
  ];
}

function sequence(member: fc.Arbitrary<string>, ordered: Compare): fc.Arbitrary<Step[]> {
  return fc
    .tuple(
      fc.array(fc.tuple(fc.constantFrom('{t}s1', '{t}s2', '{t}s3'), fc.array(member, { minLength: 1, maxLength: 8 })).map(([k, m]) => ({ args: ['SADD', k, ...m] }) as Step), { maxLength: 3 }),
      fc.array(fc.oneof(...steps(member, ordered)), { minLength: 1, maxLength: 18 }),
    )
    .map(([a, b]) => [{ args: ['SET', '{t}str', 'x'] }, { args: ['SET', '{t}plain', 'x'] }, ...a, ...b]);
}

differentialSuite('integer sets', sequence(intMember, 'exact'), { numRuns: RUNS });

differentialSuite('sets across encodings', sequence(anyMember, 'unordered'), {
  numRuns: RUNS,
  setup: [{ args: ['CONFIG', 'SET', 'set-max-intset-entries', '4'] }],
});
