/**
 * Generic key commands against real Redis 7.0: random sequences over SET/GET
 * and DEL, EXISTS, TYPE, TOUCH, the EXPIRE family, TTLs, PERSIST, RENAME,
 * COPY, MOVE, SELECT, KEYS, SCAN, RANDOMKEY, OBJECT, DUMP and RESTORE, with
 * binary keys and bad arguments.
 *
 * Determinism: relative TTLs are at least 100 s (nothing expires while a
 * sequence runs) or not positive (the key is deleted at once). Replies that
 * depend on the clock are compared by shape: TTL, PTTL, EXPIRETIME and
 * PEXPIRETIME after relative expires, OBJECT IDLETIME, and EXPIRE/PEXPIRE
 * with GT/LT (comparing two relative times taken a few ms apart is a race).
 * DUMP payloads differ by design (ours is not RDB), so DUMP is compared by
 * shape and RESTORE only with payloads both servers must refuse. SCAN is
 * compared exactly when at most one key can match (MATCH of one literal
 * key, COUNT large enough to finish in one call), by shape otherwise.
 */
import fc from 'fast-check';
import { arbs, differentialSuite, type Step } from './harness.js';

const key = arbs.key;
const value = fc.oneof(
  arbs.value,
  fc.constantFrom('x'.repeat(44), 'y'.repeat(45), '9999', '10000', '-1', '12345678901234567890'),
);

const seconds = fc.oneof(
  fc.integer({ min: 100, max: 100000 }).map(String),
  fc.constantFrom('0', '-1', '-100', 'abc', '1.5', '', '99999999999999999', '-99999999999999999', '9223372036854775', '-9223372036854775'),
);
const millis = fc.oneof(
  fc.integer({ min: 100000, max: 100000000 }).map(String),
  fc.constantFrom('0', '-5', 'x', '9223372036854775807', '-9223372036854775808', '9223372036854775806'),
);
const unixSeconds = fc.constantFrom('1', '0', '-1', '4102444800', '4102444801', '9223372036854776', 'z');
const unixMillis = fc.constantFrom('1', '0', '4102444800000', '4102444800001', '9223372036854775807', '-9223372036854775808', 'q');
const expireFlag = fc.constantFrom('NX', 'XX', 'GT', 'LT', 'nx', 'gt', 'Xx', 'lT', 'FOO');
const expireFlags = fc.array(expireFlag, { maxLength: 3 });
const dbIndex = fc.constantFrom('0', '1', '2', '15', '16', '-1', 'x', '99999999999');
const pattern = fc.constantFrom('*', 'k*', '?', 'k[12]', 'k[^1]*', '*{t}*', '\x00*', '', '**', 'key:*:colons', '[', 'k\\1', '*a');
const typeName = fc.constantFrom('string', 'STRING', 'list', 'hash', 'none', 'nosuch');

const step = (args: (string | Buffer)[], compare?: Step['compare']): Step => (compare ? { args, compare } : { args });

/** GT/LT compare two relative times taken at different instants: racy, so shape only. */
function relativeExpire(cmd: string, k: string, t: string, flags: string[]): Step {
  const racy = flags.some((f) => /^(gt|lt)$/i.test(f));
  return step([cmd, k, t, ...flags], racy ? 'shape' : undefined);
}

const genericSteps: fc.Arbitrary<Step>[] = [
  fc.tuple(key, value).map(([k, v]) => step(['SET', k, v])),
  fc.tuple(key, value).map(([k, v]) => step(['SET', k, v])),
  key.map((k) => step(['GET', k])),
  fc.array(key, { minLength: 1, maxLength: 4 }).map((ks) => step(['DEL', ...ks])),
  fc.array(key, { minLength: 1, maxLength: 3 }).map((ks) => step(['UNLINK', ...ks])),
  fc.array(key, { minLength: 1, maxLength: 4 }).map((ks) => step(['EXISTS', ...ks])),
  fc.array(key, { minLength: 1, maxLength: 3 }).map((ks) => step(['TOUCH', ...ks])),
  key.map((k) => step(['TYPE', k])),
  fc.tuple(key, seconds, expireFlags).map(([k, t, f]) => relativeExpire('EXPIRE', k, t, f)),
  fc.tuple(key, millis, expireFlags).map(([k, t, f]) => relativeExpire('PEXPIRE', k, t, f)),
  fc.tuple(key, unixSeconds, expireFlags).map(([k, t, f]) => step(['EXPIREAT', k, t, ...f])),
  fc.tuple(key, unixMillis, expireFlags).map(([k, t, f]) => step(['PEXPIREAT', k, t, ...f])),
  key.map((k) => step(['TTL', k], 'shape')),
  key.map((k) => step(['PTTL', k], 'shape')),
  key.map((k) => step(['EXPIRETIME', k], 'shape')),
  key.map((k) => step(['PEXPIRETIME', k], 'shape')),
  key.map((k) => step(['PERSIST', k])),
  fc.tuple(key, key).map(([a, b]) => step(['RENAME', a, b])),
  fc.tuple(key, key).map(([a, b]) => step(['RENAMENX', a, b])),
  fc.tuple(key, key, fc.array(fc.oneof(fc.constant(['REPLACE']), dbIndex.map((d) => ['DB', d]), fc.constant(['DB']), fc.constant(['BAD'])), { maxLength: 2 })).map(
    ([a, b, o]) => step(['COPY', a, b, ...o.flat()]),
  ),
  fc.tuple(key, dbIndex).map(([k, d]) => step(['MOVE', k, d])),
  fc.constantFrom('0', '1').map((d) => step(['SELECT', d])),
  pattern.map((p) => step(['KEYS', p], 'unordered')),
  key.map((k) => step(['SCAN', '0', 'MATCH', k.replace(/[*?[\\]/g, '\\$&'), 'COUNT', '1000'])),
  fc.tuple(key, typeName).map(([k, t]) => step(['SCAN', '0', 'COUNT', '1000', 'TYPE', t, 'MATCH', k.replace(/[*?[\\]/g, '\\$&')])),
  fc.tuple(fc.constantFrom('0', '7', '18446744073709551615', '-1', '+3'), fc.constantFrom('1', '3', '1000')).map(([c, n]) => step(['SCAN', c, 'COUNT', n], 'shape')),
  fc
    .constantFrom(
      ['abc'],
      [' 0'],
      ['18446744073709551616'],
      ['0', 'COUNT', '0'],
      ['0', 'COUNT', '-1'],
      ['0', 'COUNT', 'x'],
      ['0', 'MATCH'],
      ['0', 'TYPE'],
      ['0', 'FOO', 'bar'],
      ['x', 'COUNT', '0'],
    )
    .map((a) => step(['SCAN', ...a])),
  fc.constant(step(['RANDOMKEY'], 'shape')),
  key.map((k) => step(['OBJECT', 'ENCODING', k])),
  key.map((k) => step(['OBJECT', 'REFCOUNT', k])),
  key.map((k) => step(['OBJECT', 'FREQ', k])),
  key.map((k) => step(['OBJECT', 'IDLETIME', k], 'shape')),
  fc.constantFrom(['OBJECT', 'HELP'], ['OBJECT', 'help'], ['OBJECT'], ['OBJECT', 'NOSUCH', 'k1'], ['OBJECT', 'ENCODING'], ['OBJECT', 'ENCODING', 'k1', 'k2']).map((a) => step(a)),
  key.map((k) => step(['DUMP', k], 'shape')),
  fc
    .tuple(
      key,
      fc.constantFrom('0', '-1', 'x', '1000'),
      fc.oneof(arbs.bytes(30), fc.constantFrom('', 'short', '\x00\x01v\x0a\x00')),
      fc.array(fc.constantFrom(['REPLACE'], ['ABSTTL'], ['IDLETIME', '5'], ['IDLETIME', '-1'], ['FREQ', '3'], ['FREQ', '300'], ['IDLETIME'], ['BOGUS']), { maxLength: 2 }),
    )
    .map(([k, ttl, payload, o]) => step(['RESTORE', k, ttl, payload, ...o.flat()])),
  fc
    .constantFrom(['EXPIRE', 'k1'], ['TTL'], ['DEL'], ['RENAME', 'k1'], ['MOVE', 'k1'], ['COPY', 'k1'], ['KEYS'], ['RANDOMKEY', 'x'], ['RESTORE', 'k1', '0'], ['TYPE', 'a', 'b'])
    .map((a) => step(a)),
];

differentialSuite('generic key commands', fc.array(fc.oneof(...genericSteps), { minLength: 1, maxLength: 16 }), { numRuns: 1000, timeoutMs: 900_000 });
