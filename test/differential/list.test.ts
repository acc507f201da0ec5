/**
 * List commands against real Redis 7.0: random sequences over a few keys
 * (some holding strings, for WRONGTYPE) and a small element alphabet (so
 * LPOS, LREM and LINSERT find matches), with valid and malformed indexes,
 * counts, options and LEFT/RIGHT words, and arity errors. Blocking commands
 * use a 0.01 s timeout: on a non-empty list they answer at once, on an
 * empty one after 10 ms with the timeout reply.
 */
import fc from 'fast-check';
import { arbs, differentialSuite, type Step } from './harness.js';

const key = fc.constantFrom('l1', 'l2', '{t}l3', 's1', '\x00bin\xff', '');
const elem = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('a', 'b', 'c', '') },
  { weight: 2, arbitrary: arbs.value },
  { weight: 1, arbitrary: arbs.bytes(300) },
);
const elems = fc.array(elem, { minLength: 1, maxLength: 6 });
const index = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: -8, max: 8 }).map(String) },
  { weight: 1, arbitrary: arbs.intArg },
);
const count = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 6 }).map(String) },
  { weight: 1, arbitrary: fc.constantFrom('-1', 'x', '9223372036854775807', '9223372036854775808', '', '1.0') },
);
const where = fc.oneof({ weight: 8, arbitrary: fc.constantFrom('LEFT', 'RIGHT', 'left', 'Right') }, { weight: 1, arbitrary: fc.constantFrom('UP', '') });
const timeout = fc.oneof(
  { weight: 8, arbitrary: fc.constant('0.01') },
  { weight: 1, arbitrary: fc.constantFrom('-1', 'x', 'nan', '-inf', '1e5000', '') },
);
const lposOpt = fc.oneof(
  fc.tuple(fc.constantFrom('RANK', 'rank'), fc.oneof(fc.integer({ min: -4, max: 4 }).map(String), fc.constantFrom('x', '-9223372036854775808'))),
  fc.tuple(fc.constantFrom('COUNT', 'count'), count),
  fc.tuple(fc.constantFrom('MAXLEN', 'maxlen'), count),
  fc.constantFrom(['FOO', '1'], ['RANK']),
);
const keys = fc.array(key, { minLength: 1, maxLength: 3 });

const step = (args: string[]): Step => ({ args });

/** numkeys, keys, LEFT|RIGHT, optional COUNT, sometimes with a wrong numkeys. */
const mpopTail = fc
  .tuple(keys, where, fc.option(count, { nil: undefined }), fc.integer({ min: -1, max: 1 }), fc.boolean())
  .map(([ks, w, n, skew, wrongNumkeys]) => [
    wrongNumkeys ? String(ks.length + skew) : String(ks.length),
    ...ks,
    w,
    ...(n === undefined ? [] : ['COUNT', n]),
  ]);

const listSteps: fc.Arbitrary<Step>[] = [
  fc.tuple(fc.constantFrom('LPUSH', 'RPUSH', 'lpush', 'rpush'), key, elems).map(([c, k, e]) => step([c, k, ...e])),
  fc.tuple(fc.constantFrom('LPUSHX', 'RPUSHX'), key, elems).map(([c, k, e]) => step([c, k, ...e])),
  fc.tuple(fc.constantFrom('LPOP', 'RPOP'), key).map(([c, k]) => step([c, k])),
  fc.tuple(fc.constantFrom('LPOP', 'RPOP'), key, count).map(([c, k, n]) => step([c, k, n])),
  key.map((k) => step(['LLEN', k])),
  fc.tuple(key, index, index).map(([k, a, b]) => step(['LRANGE', k, a, b])),
  key.map((k) => step(['LRANGE', k, '0', '-1'])),
  fc.tuple(key, index).map(([k, i]) => step(['LINDEX', k, i])),
  fc.tuple(key, index, elem).map(([k, i, e]) => step(['LSET', k, i, e])),
  fc.tuple(key, fc.constantFrom('BEFORE', 'AFTER', 'before', 'middle'), elem, elem).map(([k, w, p, e]) => step(['LINSERT', k, w, p, e])),
  fc.tuple(key, index, elem).map(([k, n, e]) => step(['LREM', k, n, e])),
  fc.tuple(key, index, index).map(([k, a, b]) => step(['LTRIM', k, a, b])),
  fc.tuple(key, elem, fc.array(lposOpt, { maxLength: 3 })).map(([k, e, o]) => step(['LPOS', k, e, ...o.flat()])),
  fc.tuple(key, key, where, where).map(([a, b, w1, w2]) => step(['LMOVE', a, b, w1, w2])),
  fc.tuple(key, key).map(([a, b]) => step(['RPOPLPUSH', a, b])),
  mpopTail.map((t) => step(['LMPOP', ...t])),
  fc.tuple(fc.constantFrom('BLPOP', 'BRPOP'), keys, timeout).map(([c, ks, t]) => step([c, ...ks, t])),
  fc.tuple(key, key, where, where, timeout).map(([a, b, w1, w2, t]) => step(['BLMOVE', a, b, w1, w2, t])),
  fc.tuple(key, key, timeout).map(([a, b, t]) => step(['BRPOPLPUSH', a, b, t])),
  fc.tuple(timeout, mpopTail).map(([t, tail]) => step(['BLMPOP', t, ...tail])),
  // Other types and generic commands around lists.
  fc.tuple(key, elem).map(([k, v]) => step(['SET', k, v])),
  key.map((k) => step(['DEL', k])),
  key.map((k) => step(['TYPE', k])),
  key.map((k) => step(['EXISTS', k])),
  key.map((k) => step(['OBJECT', 'ENCODING', k])),
  // Arity errors.
  fc.constantFrom(
    ['LPUSH', 'l1'],
    ['LPOP'],
    ['LPOP', 'l1', '1', '2'],
    ['LRANGE', 'l1', '0'],
    ['LINSERT', 'l1', 'BEFORE', 'a'],
    ['LMPOP', '1'],
    ['BLPOP', 'l1'],
    ['BLMPOP', '0.01', '1', 'l1'],
    ['LPOS', 'l1'],
  ).map(step),
];

/** Most sequences start by filling a list or two, so that later steps find elements. */
const sequence = fc
  .tuple(fc.array(fc.tuple(fc.constantFrom('l1', 'l2', '{t}l3'), elems).map(([k, e]) => step(['RPUSH', k, ...e])), { maxLength: 2 }), fc.array(fc.oneof(...listSteps), { maxLength: 16 }))
  .map(([setup, steps]) => [...setup, ...steps]);

differentialSuite('list commands', sequence, { numRuns: 1000, timeoutMs: 900_000 });
