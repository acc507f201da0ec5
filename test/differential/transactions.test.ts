/**
 * Transactions against real Redis 7.0, on one connection: random mixes of
 * MULTI, EXEC, DISCARD, WATCH and UNWATCH with ordinary commands, commands
 * rejected at queue time (unknown, wrong arity), commands failing at run
 * time (WRONGTYPE, not an integer), blocking pops (which must not block
 * inside EXEC), and writes to watched keys between WATCH and EXEC.
 */
import fc from 'fast-check';
import { arbs, differentialSuite, type Step } from './harness.js';

const key = fc.constantFrom('a', 'b', '{t}c', 'list');
const value = fc.oneof(fc.constantFrom('1', 'x', '', '10'), arbs.value);
const step = (args: string[]): Step => ({ args });

const txSteps: fc.Arbitrary<Step>[] = [
  fc.constant(step(['MULTI'])),
  fc.constant(step(['MULTI'])),
  fc.constant(step(['EXEC'])),
  fc.constant(step(['EXEC'])),
  fc.constant(step(['DISCARD'])),
  fc.array(key, { minLength: 1, maxLength: 2 }).map((ks) => step(['WATCH', ...ks])),
  fc.constant(step(['UNWATCH'])),
  fc.tuple(key, value).map(([k, v]) => step(['SET', k, v])),
  key.map((k) => step(['GET', k])),
  key.map((k) => step(['INCR', k])),
  key.map((k) => step(['DEL', k])),
  fc.tuple(key, value).map(([k, v]) => step(['RPUSH', k, v])),
  key.map((k) => step(['LPOP', k])),
  key.map((k) => step(['LRANGE', k, '0', '-1'])),
  key.map((k) => step(['BLPOP', k, '0.01'])),
  fc.tuple(key, key).map(([a, b]) => step(['BLMOVE', a, b, 'LEFT', 'RIGHT', '0.01'])),
  key.map((k) => step(['BLMPOP', '0.01', '1', k, 'LEFT'])),
  // Rejected at queue time inside MULTI.
  fc.constantFrom(['NOSUCHCOMMAND', 'x'], ['GET'], ['SET', 'a'], ['LPUSH', 'a'], ['WATCH']).map(step),
  // EXEC refused for its arity: ends the transaction and its watches with an EXECABORT.
  fc.constantFrom(['EXEC', 'x'], ['DISCARD', 'x']).map(step),
  // Fail at run time.
  fc.constantFrom(['LPUSH', 'a', 'x'], ['INCR', 'list'], ['LINDEX', 'list', 'x'], ['LSET', 'nokey', '0', 'x']).map(step),
  fc.constant(step(['PING'])),
];

/** Usually wrap a run of steps in MULTI ... EXEC so whole transactions are common. */
const block = fc.oneof(
  fc.oneof(...txSteps).map((s) => [s]),
  fc
    .tuple(fc.array(fc.oneof(...txSteps), { maxLength: 6 }), fc.constantFrom('EXEC', 'DISCARD', 'EXEC'))
    .map(([inner, end]) => [step(['MULTI']), ...inner, step([end])]),
  fc
    .tuple(key, fc.tuple(key, value), fc.array(fc.oneof(...txSteps), { maxLength: 4 }))
    .map(([w, [k, v], inner]) => [step(['WATCH', w]), step(['SET', k, v]), step(['MULTI']), ...inner, step(['EXEC'])]),
);

const sequence = fc.array(block, { maxLength: 6 }).map((bs) => bs.flat());

differentialSuite('transactions', sequence, { numRuns: 1000, timeoutMs: 900_000 });
