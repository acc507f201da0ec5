/**
 * Server and connection commands against real Redis 7.0: random sequences of
 * the deterministic ones (ECHO, PING, SELECT, DBSIZE, FLUSHDB, FLUSHALL,
 * SWAPDB, CONFIG GET of stable directives, CONFIG SET errors, CLIENT
 * SETNAME/GETNAME, AUTH/HELLO errors, COMMAND GETKEYS, pub/sub
 * subscriptions and introspection, ...) mixed with
 * SET/GET so that database switches and flushes are visible, plus bad
 * arguments, arity errors and unknown subcommands. COMMAND COUNT and other
 * replies that describe the implementation rather than the data are left out.
 */
import fc from 'fast-check';
import { arbs, differentialSuite, type Step } from './harness.js';

const key = fc.constantFrom('k1', 'k2', '{t}a', '\x00bin\xff');
const value = fc.oneof(arbs.value, arbs.bytes(8));
const dbIndex = fc.oneof(
  fc.integer({ min: 0, max: 3 }).map(String),
  fc.constantFrom('15', '16', '-1', 'x', '', '1.0', ' 1', '9223372036854775807', '99999999999999999999'),
);
const name = fc.oneof(
  fc.constantFrom('conn', 'a-b_c', '', 'with space', 'new\nline', '\x7f', '~!@#', 'x'.repeat(40)),
  arbs.bytes(6),
);

/** Directives whose value is the same on a fresh Shardis and a fresh Redis started by the harness. */
const stableDirective = fc.constantFrom(
  'maxmemory',
  'maxmemory-policy',
  'MAXMEMORY-POLICY',
  'databases',
  'timeout',
  'hz',
  'slowlog-log-slower-than',
  'slowlog-max-len',
  'appendonly',
  'save',
  'loglevel',
  'tcp-keepalive',
  'proto-max-bulk-len',
  'client-query-buffer-limit',
  'notify-keyspace-events',
  'lazyfree-lazy-user-del',
  'cluster-enabled',
  'requirepass',
  'hash-max-ziplist-entries',
  'hash-max-listpack-entries',
  'zset-max-listpack-value',
  'list-max-listpack-size',
  'set-max-intset-entries',
  'maxmemory-sampl?s',
  'slowlog-max-l*',
  'no-such-directive',
  'no-such-*',
);

/** CONFIG SET calls that fail in both servers, so the configuration never changes. */
const badConfigSet = fc.constantFrom(
  ['CONFIG', 'SET', 'foo', 'bar'],
  ['CONFIG', 'SET', 'maxclients', 'abc'],
  ['CONFIG', 'SET', 'timeout', '-1'],
  ['CONFIG', 'SET', 'maxmemory', '1x'],
  ['CONFIG', 'SET', 'maxmemory', '-1'],
  ['CONFIG', 'SET', 'appendfsync', 'sometimes'],
  ['CONFIG', 'SET', 'maxmemory-policy', 'zzz'],
  ['CONFIG', 'SET', 'protected-mode', 'maybe'],
  ['CONFIG', 'SET', 'save', '1 2 3'],
  ['CONFIG', 'SET', 'daemonize', 'yes'],
  ['CONFIG', 'SET', 'databases', '3'],
  ['CONFIG', 'SET', 'hz', '5', 'hz', '6'],
  ['CONFIG', 'SET', 'hz', '5', 'maxclients', 'abc'],
  ['CONFIG', 'SET', 'hz'],
  ['CONFIG', 'SET', 'hz', '5', 'timeout'],
  ['CONFIG', 'SET', 'slowlog-log-slower-than', '-2'],
  ['CONFIG', 'GET'],
  ['CONFIG'],
  ['CONFIG', 'FOO'],
  ['CONFIG', 'RESETSTAT', 'x'],
);

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(key, value).map(([k, v]): Step => ({ args: ['SET', k, v] })) },
  { weight: 4, arbitrary: key.map((k): Step => ({ args: ['GET', k] })) },
  { weight: 2, arbitrary: value.map((v): Step => ({ args: ['ECHO', v] })) },
  {
    weight: 1,
    arbitrary: fc.constantFrom<Step>({ args: ['ECHO'] }, { args: ['ECHO', 'a', 'b'] }, { args: ['echo', ''] }),
  },
  { weight: 2, arbitrary: fc.array(value, { maxLength: 2 }).map((a): Step => ({ args: ['PING', ...a] })) },
  { weight: 3, arbitrary: dbIndex.map((d): Step => ({ args: ['SELECT', d] })) },
  { weight: 1, arbitrary: fc.constantFrom<Step>({ args: ['SELECT'] }, { args: ['SELECT', '1', '2'] }) },
  { weight: 3, arbitrary: fc.constantFrom<Step>({ args: ['DBSIZE'] }, { args: ['DBSIZE', 'x'] }, { args: ['dbsize'] }) },
  {
    weight: 2,
    arbitrary: fc
      .constantFrom([], ['ASYNC'], ['sync'], ['foo'], ['SYNC', 'ASYNC'])
      .chain((opt) => fc.constantFrom('FLUSHDB', 'FLUSHALL').map((c): Step => ({ args: [c, ...opt] }))),
  },
  { weight: 2, arbitrary: fc.tuple(dbIndex, dbIndex).map(([a, b]): Step => ({ args: ['SWAPDB', a, b] })) },
  { weight: 1, arbitrary: fc.constantFrom<Step>({ args: ['SWAPDB', '0'] }, { args: ['SWAPDB'] }) },
  {
    weight: 3,
    arbitrary: fc.array(stableDirective, { minLength: 1, maxLength: 1 }).map((d): Step => ({ args: ['CONFIG', 'GET', ...d] })),
  },
  { weight: 2, arbitrary: badConfigSet.map((a): Step => ({ args: a })) },
  { weight: 2, arbitrary: name.map((n): Step => ({ args: ['CLIENT', 'SETNAME', n] })) },
  { weight: 2, arbitrary: fc.constant<Step>({ args: ['CLIENT', 'GETNAME'] }) },
  {
    weight: 2,
    arbitrary: fc.constantFrom<Step>(
      { args: ['CLIENT'] },
      { args: ['CLIENT', 'FOO'] },
      { args: ['client', 'getname', 'x'] },
      { args: ['CLIENT', 'SETNAME'] },
      { args: ['CLIENT', 'ID', 'x'] },
      { args: ['CLIENT', 'KILL', '1.2.3.4:5'] },
      { args: ['CLIENT', 'KILL', 'ID', 'abc'] },
      { args: ['CLIENT', 'KILL', 'ID', '0'] },
      { args: ['CLIENT', 'KILL', 'ID', '999999'] },
      { args: ['CLIENT', 'KILL', 'TYPE', 'foo'] },
      { args: ['CLIENT', 'KILL', 'USER', 'bob'] },
      { args: ['CLIENT', 'KILL', 'SKIPME', 'maybe'] },
      { args: ['CLIENT', 'KILL', 'foo', 'bar'] },
      { args: ['CLIENT', 'KILL', 'ID', '999999', 'SKIPME'] },
      { args: ['CLIENT', 'PAUSE', 'abc'] },
      { args: ['CLIENT', 'PAUSE', '-1'] },
      { args: ['CLIENT', 'PAUSE', '10', 'foo'] },
      { args: ['CLIENT', 'UNBLOCK', 'abc'] },
      { args: ['CLIENT', 'UNBLOCK', '999999'] },
      { args: ['CLIENT', 'UNBLOCK', '999999', 'ERROR'] },
      { args: ['CLIENT', 'UNBLOCK', '1', 'foo'] },
      { args: ['CLIENT', 'REPLY', 'foo'] },
      { args: ['CLIENT', 'NO-EVICT', 'on'] },
      { args: ['CLIENT', 'NO-EVICT', 'OFF'] },
      { args: ['CLIENT', 'NO-EVICT', 'maybe'] },
      { args: ['CLIENT', 'LIST', 'TYPE', 'foo'] },
      { args: ['CLIENT', 'LIST', 'ID', 'abc'] },
      { args: ['CLIENT', 'LIST', 'ID', '999999'] },
      { args: ['CLIENT', 'LIST', 'foo'] },
      { args: ['CLIENT', 'UNPAUSE'] },
      { args: ['CLIENT', 'HELP'] },
    ),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom<Step>(
      { args: ['AUTH', 'x'] },
      { args: ['AUTH', 'default', 'x'] },
      { args: ['AUTH', 'bob', 'x'] },
      { args: ['AUTH', 'a', 'b', 'c'] },
      { args: ['AUTH'] },
      { args: ['HELLO', '4'] },
      { args: ['HELLO', '1'] },
      { args: ['HELLO', 'abc'] },
      { args: ['HELLO', '3', 'foo'] },
      { args: ['HELLO', '3', 'AUTH', 'bob', 'x'] },
      { args: ['HELLO', '3', 'AUTH', 'default'] },
      { args: ['HELLO', '2', 'SETNAME', 'bad name'] },
      { args: ['HELLO', '3', 'SETNAME'] },
      { args: ['RESET'], compare: 'exact' },
      { args: ['RESET', 'x'] },
    ),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom<Step>(
      { args: ['COMMAND', 'GETKEYS', 'GET', 'k'] },
      { args: ['COMMAND', 'GETKEYS', 'set', 'k', 'v'] },
      { args: ['COMMAND', 'GETKEYS', 'set', 'k'] },
      { args: ['COMMAND', 'GETKEYS', 'get'] },
      { args: ['COMMAND', 'GETKEYS', 'nosuch', 'x'] },
      { args: ['COMMAND', 'GETKEYS', 'ping', 'x'] },
      { args: ['COMMAND', 'GETKEYS', 'eval', 's', '0'] },
      { args: ['COMMAND', 'GETKEYS', 'eval', 's', '2', 'a', 'b', 'c'] },
      { args: ['COMMAND', 'GETKEYS', 'client', 'kill', 'x'] },
      { args: ['COMMAND', 'GETKEYS', 'config', 'foo', 'x'] },
      { args: ['COMMAND', 'GETKEYS', 'memory', 'usage', 'k'] },
      { args: ['COMMAND', 'INFO', 'nosuch'] },
      { args: ['COMMAND', 'DOCS', 'nosuch'] },
      { args: ['COMMAND', 'COUNT', 'x'] },
      { args: ['COMMAND', 'LIST', 'FILTERBY', 'foo', 'bar'] },
      { args: ['COMMAND', 'LIST', 'FILTERBY', 'pattern'] },
      { args: ['COMMAND', 'LIST', 'FILTERBY', 'MODULE', 'x'] },
      { args: ['COMMAND', 'FOO'] },
      { args: ['COMMAND', 'HELP'] },
      { args: ['CONFIG', 'HELP'] },
      { args: ['SLOWLOG', 'HELP'] },
      { args: ['MEMORY', 'HELP'] },
      { args: ['SLOWLOG', 'RESET'] },
      { args: ['SLOWLOG', 'GET', 'abc'] },
      { args: ['SLOWLOG', 'GET', '-5'] },
      { args: ['SLOWLOG', 'LEN', '1'] },
      { args: ['SLOWLOG', 'FOO'] },
      { args: ['MEMORY', 'USAGE', 'nokey'] },
      { args: ['MEMORY', 'USAGE', 'k1'] },
      { args: ['MEMORY', 'USAGE', 'k2', 'SAMPLES', '0'] },
      { args: ['CONFIG', 'SET', 'hz', '0'] },
      { args: ['CONFIG', 'SET', 'hz', '10'] },
      { args: ['MEMORY', 'USAGE', 'k1', 'SAMPLES', 'abc'] },
      { args: ['MEMORY', 'USAGE', 'k1', 'foo'] },
      { args: ['MEMORY', 'FOO'] },
      { args: ['TIME', 'x'] },
      { args: ['LASTSAVE', 'x'] },
      { args: ['INFO', 'nosuchsection'] },
      { args: ['SHUTDOWN', 'foo'] },
      { args: ['SHUTDOWN', 'SAVE', 'NOSAVE'] },
      { args: ['SCRIPT', 'FLUSH'] },
      { args: ['SCRIPT', 'FLUSH', 'ASYNC'] },
      { args: ['SCRIPT', 'FLUSH', 'foo'] },
      { args: ['SCRIPT', 'EXISTS', 'abc', 'def'] },
      { args: ['FUNCTION', 'FLUSH'] },
      { args: ['FUNCTION', 'FLUSH', 'SYNC'] },
      { args: ['FUNCTION', 'LIST'] },
      { args: ['FUNCTION', 'FOO'] },
      { args: ['SCRIPT', 'FOO'] },
    ),
  },
  { weight: 1, arbitrary: fc.constantFrom<Step>({ args: ['TIME'], compare: 'shape' }, { args: ['LASTSAVE'], compare: 'shape' }) },
  // Pub/sub with one channel per call (one reply frame each); PUBLISH only where this connection does not listen.
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.constantFrom('SUBSCRIBE', 'UNSUBSCRIBE', 'PSUBSCRIBE', 'PUNSUBSCRIBE'), fc.constantFrom('c1', 'c2', 'p*', 'c?'))
      .map(([cmd, ch]): Step => ({ args: [cmd, ch] })),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom<Step>(
      { args: ['PUBLISH', 'nobody', 'msg'] },
      { args: ['PUBLISH', 'nobody'] },
      { args: ['PUBSUB', 'NUMSUB', 'c1', 'c2'] },
      { args: ['PUBSUB', 'NUMSUB'] },
      { args: ['PUBSUB', 'NUMPAT'] },
      { args: ['PUBSUB', 'CHANNELS'], compare: 'unordered' },
      { args: ['PUBSUB', 'CHANNELS', 'c*'], compare: 'unordered' },
      { args: ['PUBSUB', 'Channels', 'c*', 'd*'] },
      { args: ['PUBSUB', 'HELP'] },
      { args: ['PUBSUB', 'FOO'] },
      { args: ['SUBSCRIBE'] },
    ),
  },
);

differentialSuite('server and connection commands', fc.array(step, { maxLength: 25 }), {
  numRuns: 200,
  timeoutMs: 900_000,
});
