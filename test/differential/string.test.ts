/**
 * String commands against real Redis 7.0: random sequences over a small key
 * alphabet (binary keys and values included), with every option of SET and
 * GETEX, integer and float arithmetic at the edges, ranges, LCS, bad
 * arguments and arity errors. Replies that depend on the clock (TTL) are
 * compared by shape only.
 */
import fc from 'fast-check';
import { arbs, differentialSuite, type Step } from './harness.js';
import { GENERIC_HANDLERS } from '../../src/node/commands/generic.js';
import { LIST_HANDLERS } from '../../src/node/commands/list.js';
import { SET_HANDLERS } from '../../src/node/commands/set.js';

const key = arbs.key;
const value = fc.oneof(arbs.value, arbs.bytes(24));

/** Expire values: valid and far enough from now that no key expires mid-sequence, plus invalid ones. */
const seconds = fc.oneof(
  fc.integer({ min: 100, max: 100000 }).map(String),
  fc.constantFrom('0', '-1', 'x', '1.5', '9223372036854775', '9223372036854774', '9223372036854775807', '9223372036855'),
);
const millis = fc.oneof(
  fc.integer({ min: 100000, max: 10000000 }).map(String),
  fc.constantFrom('0', '-5', 'abc', '9223372036854775807', '9223372036854775806', ''),
);
const unixSeconds = fc.constantFrom('1', '100', '4102444800', '9223372036854775', '9223372036854776', '0', '-1');
const unixMillis = fc.constantFrom('1', '1000', '4102444800000', '9223372036854775807', '0', '-1', 'z');

/** A random SET/GETEX option list, mostly valid, sometimes conflicting or malformed. */
const setOption = fc.oneof(
  fc.constantFrom(['NX'], ['XX'], ['GET'], ['KEEPTTL'], ['nx'], ['Get'], ['keepttl'], ['PERSIST'], ['EX'], ['FOO']),
  seconds.map((s) => ['EX', s]),
  millis.map((s) => ['PX', s]),
  unixSeconds.map((s) => ['EXAT', s]),
  unixMillis.map((s) => ['pxat', s]),
);
const getexOption = fc.oneof(
  fc.constantFrom(['PERSIST'], ['persist'], ['NX'], ['KEEPTTL'], ['EX'], ['BAR']),
  seconds.map((s) => ['ex', s]),
  millis.map((s) => ['PX', s]),
  unixSeconds.map((s) => ['EXAT', s]),
  unixMillis.map((s) => ['PXAT', s]),
);
const options = (o: fc.Arbitrary<string[]>, max: number): fc.Arbitrary<string[]> =>
  fc.array(o, { maxLength: max }).map((l) => l.flat());

const floatArg = fc.oneof(
  fc.constantFrom('0.1', '0.2', '-0.3', '1e20', '1e-20', '-1.5', 'inf', '-inf', 'nan', ' 1', '1 ', '1e400', '1e5000', '0x10', '', '3.0e3', '.5', '5.', '+2', '1e'),
  fc.tuple(fc.integer({ min: -1000, max: 1000 }), fc.integer({ min: 0, max: 99999 })).map(([a, b]) => `${a}.${b}`),
  fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e30, max: 1e30 }).map(String),
);
const smallText = fc.string({ unit: fc.constantFrom('a', 'b', 'c', 'd'), maxLength: 12 });
const rangeIndex = fc.oneof(fc.integer({ min: -30, max: 30 }).map(String), arbs.intArg);

const step = (args: (string | Buffer)[], compare?: Step['compare']): Step => (compare ? { args, compare } : { args });

const stringSteps: fc.Arbitrary<Step>[] = [
  fc.tuple(key, value, options(setOption, 3)).map(([k, v, o]) => step(['SET', k, v, ...o])),
  fc.tuple(key, value).map(([k, v]) => step(['SET', k, v])),
  key.map((k) => step(['GET', k])),
  fc.tuple(key, value).map(([k, v]) => step(['SETNX', k, v])),
  fc.tuple(key, seconds, value).map(([k, s, v]) => step(['SETEX', k, s, v])),
  fc.tuple(key, millis, value).map(([k, s, v]) => step(['PSETEX', k, s, v])),
  fc.array(key, { minLength: 1, maxLength: 4 }).map((ks) => step(['MGET', ...ks])),
  fc.array(fc.tuple(key, value), { minLength: 1, maxLength: 3 }).map((ps) => step(['MSET', ...ps.flat()])),
  fc.array(fc.tuple(key, value), { minLength: 1, maxLength: 3 }).map((ps) => step(['MSETNX', ...ps.flat()])),
  fc.tuple(key, key, value).map(([a, b, v]) => step(['MSET', a, v, b])),
  fc.tuple(key, value).map(([k, v]) => step(['GETSET', k, v])),
  key.map((k) => step(['GETDEL', k])),
  fc.tuple(key, options(getexOption, 2)).map(([k, o]) => step(['GETEX', k, ...o])),
  key.map((k) => step(['INCR', k])),
  key.map((k) => step(['DECR', k])),
  fc.tuple(key, arbs.intArg).map(([k, n]) => step(['INCRBY', k, n])),
  fc.tuple(key, arbs.intArg).map(([k, n]) => step(['DECRBY', k, n])),
  fc.tuple(key, floatArg).map(([k, f]) => step(['INCRBYFLOAT', k, f])),
  fc.tuple(key, value).map(([k, v]) => step(['APPEND', k, v])),
  key.map((k) => step(['STRLEN', k])),
  fc.tuple(key, rangeIndex, rangeIndex).map(([k, a, b]) => step(['GETRANGE', k, a, b])),
  fc.tuple(key, rangeIndex, rangeIndex).map(([k, a, b]) => step(['SUBSTR', k, a, b])),
  fc.tuple(key, fc.oneof(fc.integer({ min: -2, max: 40 }).map(String), arbs.intArg), value).map(([k, o, v]) =>
    step(['SETRANGE', k, o, v]),
  ),
  fc.tuple(key, smallText).map(([k, v]) => step(['SET', k, v])),
  fc
    .tuple(
      key,
      key,
      fc.array(
        fc.oneof(
          fc.constantFrom(['LEN'], ['IDX'], ['WITHMATCHLEN'], ['idx'], ['NOPE'], ['MINMATCHLEN']),
          fc.oneof(fc.integer({ min: -1, max: 4 }).map(String), fc.constant('x')).map((n) => ['MINMATCHLEN', n]),
        ),
        { maxLength: 3 },
      ),
    )
    .map(([a, b, o]) => step(['LCS', a, b, ...o.flat()])),
  fc.constantFrom(
    step(['SET', 'k1']),
    step(['GETEX']),
    step(['MSET', 'k1']),
    step(['INCR', 'k1', 'k2']),
    step(['LCS', 'k1']),
    step(['GETRANGE', 'k1', '0']),
  ),
];

// Wrong-type and TTL steps only when the commands they need exist.
const HANDLERS = { ...GENERIC_HANDLERS, ...LIST_HANDLERS, ...SET_HANDLERS };
const lookupCommand = (name: string): boolean => HANDLERS[name] !== undefined;
if (lookupCommand('rpush')) stringSteps.push(key.map((k) => step(['RPUSH', k, 'x'])));
if (lookupCommand('sadd')) stringSteps.push(key.map((k) => step(['SADD', k, 'x'])));
if (lookupCommand('pttl')) stringSteps.push(key.map((k) => step(['PTTL', k], 'shape')));
if (lookupCommand('ttl')) stringSteps.push(key.map((k) => step(['TTL', k], 'shape')));
if (lookupCommand('exists')) stringSteps.push(fc.array(key, { minLength: 1, maxLength: 3 }).map((ks) => step(['EXISTS', ...ks])));

differentialSuite('String commands', fc.array(fc.oneof(...stringSteps), { minLength: 1, maxLength: 25 }), {
  numRuns: Number(process.env.STRING_DIFF_RUNS ?? 1000),
  timeoutMs: 900_000,
});

/** Long-double arithmetic: chains of INCRBYFLOAT on one key must print the same digits as Redis. */
differentialSuite(
  'INCRBYFLOAT chains',
  fc.array(floatArg.map((f) => step(['INCRBYFLOAT', 'f', f])), { minLength: 1, maxLength: 15 }),
  { numRuns: Number(process.env.STRING_DIFF_RUNS ?? 1000) / 4, timeoutMs: 600_000 },
);
