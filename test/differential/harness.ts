/**
 * Differential testing against real Redis 7: fast-check generates command
 * sequences; each sequence runs on a fresh connection to Shardis and to a
 * real redis-server (both FLUSHALLed first), once in RESP2 and once in RESP3
 * (after `HELLO 3`), and every reply must be byte-identical.
 *
 * A step may relax the comparison:
 * - 'unordered': the reply is an array/set/map whose order Redis leaves to
 *   its hash tables (SMEMBERS, KEYS, HGETALL on a hashtable): elements (or
 *   map pairs) are compared as sorted multisets of their exact bytes.
 * - 'shape': the reply depends on time (TTL, OBJECT IDLETIME): only its RESP
 *   type is compared.
 *
 * Usage, in `test/differential/<group>.test.ts`:
 *   differentialSuite('strings', fc.array(stepArb, { maxLength: 20 }), { numRuns: 1000 });
 *
 * When redis-server is missing the suite is skipped locally and fails in CI
 * (`redisAvailable()`).
 */
import { afterAll, beforeAll, describe, it } from 'vitest';
import fc from 'fast-check';
import { RawClient, replyLength } from '../helpers/resp.js';
import { redisAvailable, startRedis, startShardis, type RunningServer } from '../helpers/servers.js';

export type Compare = 'exact' | 'unordered' | 'shape';

export interface Step {
  readonly args: readonly (string | Buffer)[];
  readonly compare?: Compare;
}

export interface DifferentialOptions {
  /** Sequences per protocol. @default 1000 */
  numRuns?: number;
  /** Steps run on both servers before each sequence (replies must match too). */
  setup?: readonly Step[];
  /** Extra arguments for shardis-server and redis-server. */
  shardisArgs?: string[];
  redisArgs?: string[];
  /** Per-protocol test timeout. @default 300_000 */
  timeoutMs?: number;
  /** fast-check seed, to replay a failure. */
  seed?: number;
  path?: string;
}

/** Shows a reply for a failure message: printable bytes as-is, others as \xNN. */
export function showReply(b: Buffer): string {
  let s = '';
  for (const byte of b) {
    if (byte === 13) s += '\\r';
    else if (byte === 10) s += '\\n';
    else if (byte >= 32 && byte < 127) s += String.fromCharCode(byte);
    else s += '\\x' + byte.toString(16).padStart(2, '0');
  }
  return s;
}

function showArgs(args: readonly (string | Buffer)[]): string {
  return args.map((a) => JSON.stringify(typeof a === 'string' ? a : a.toString('latin1'))).join(' ');
}

/** Splits an aggregate reply into its header and element frames (map pairs kept together). */
function splitAggregate(b: Buffer): { header: string; items: string[] } | undefined {
  const type = String.fromCharCode(b[0]!);
  if (!'*~%>'.includes(type)) return undefined;
  const lf = b.indexOf(10);
  const header = b.toString('latin1', 0, lf + 1);
  const count = Number(b.toString('latin1', 1, lf - 1));
  if (count < 0) return { header, items: [] };
  const items: string[] = [];
  let p = lf + 1;
  const per = type === '%' ? 2 : 1;
  for (let i = 0; i < count; i++) {
    const start = p;
    for (let j = 0; j < per; j++) p += replyLength(b, p);
    items.push(b.toString('latin1', start, p));
  }
  return { header, items };
}

/** True if two replies agree under `compare`. */
export function repliesAgree(a: Buffer, b: Buffer, compare: Compare): boolean {
  if (compare === 'exact') return a.equals(b);
  if (compare === 'shape') return a[0] === b[0];
  const sa = splitAggregate(a);
  const sb = splitAggregate(b);
  if (!sa || !sb) return a.equals(b);
  if (sa.header !== sb.header) return false;
  sa.items.sort();
  sb.items.sort();
  return sa.items.every((x, i) => x === sb.items[i]);
}

async function runSteps(
  proto: 2 | 3,
  ports: { shardis: number; redis: number },
  setup: readonly Step[],
  steps: readonly Step[],
): Promise<void> {
  const s = await RawClient.connect(ports.shardis);
  const r = await RawClient.connect(ports.redis);
  try {
    const all = [{ args: ['FLUSHALL'] }, ...setup, ...steps] as Step[];
    if (proto === 3) all.unshift({ args: ['HELLO', '3'], compare: 'shape' });
    const setupCount = all.length - steps.length;
    for (let i = 0; i < all.length; i++) {
      const step = all[i]!;
      const [a, b] = await Promise.all([s.call(...step.args), r.call(...step.args)]);
      if (!repliesAgree(a, b, step.compare ?? 'exact')) {
        const where = i < setupCount ? `setup step ${i}` : `step ${i - setupCount}`;
        throw new Error(
          `RESP${proto} ${where}: ${showArgs(step.args)}\n  shardis: ${showReply(a)}\n  redis:   ${showReply(b)}\n` +
            `  sequence:\n${steps.map((st) => '    ' + showArgs(st.args)).join('\n')}`,
        );
      }
    }
  } finally {
    s.close();
    r.close();
  }
}

/**
 * Registers a describe block that checks `arb`'s sequences against real Redis
 * in RESP2 and RESP3 (one `it` per protocol).
 */
export function differentialSuite(title: string, arb: fc.Arbitrary<readonly Step[]>, opts: DifferentialOptions = {}): void {
  const available = redisAvailable();
  describe.skipIf(!available)(title, () => {
    let shardis: RunningServer | undefined;
    let redis: RunningServer | undefined;
    beforeAll(async () => {
      [shardis, redis] = await Promise.all([startShardis(opts.shardisArgs), startRedis(opts.redisArgs)]);
    }, 60_000);
    afterAll(async () => {
      await Promise.all([shardis?.stop(), redis?.stop()]);
    });
    for (const proto of [2, 3] as const) {
      it(
        `${title} replies byte-identically to Redis 7 in RESP${proto}`,
        async () => {
          const ports = { shardis: shardis!.port, redis: redis!.port };
          await fc.assert(
            fc.asyncProperty(arb, (steps) => runSteps(proto, ports, opts.setup ?? [], steps)),
            {
              numRuns: opts.numRuns ?? 1000,
              ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
              ...(opts.path !== undefined ? { path: opts.path } : {}),
            },
          );
        },
        opts.timeoutMs ?? 300_000,
      );
    }
  });
}

/** Common arbitraries for command arguments. */
export const arbs = {
  /** A small alphabet of keys, including binary ones, so sequences collide. */
  key: fc.constantFrom('k1', 'k2', 'k3', 'key:with:colons', '\x00bin\xff', '{t}a', '{t}b', ''),
  /** Any byte string up to `max` bytes (latin1). */
  bytes: (max = 16): fc.Arbitrary<string> =>
    fc.uint8Array({ maxLength: max }).map((u) => Buffer.from(u).toString('latin1')),
  /** Values that are often numeric, sometimes binary. */
  value: fc.oneof(
    fc.integer({ min: -1000, max: 1000 }).map(String),
    fc.constantFrom('0', '-0', '007', ' 1', '1.5', 'abc', '', '9223372036854775807', '-9223372036854775808', 'inf'),
    fc.uint8Array({ maxLength: 12 }).map((u) => Buffer.from(u).toString('latin1')),
  ),
  /** Integer-like arguments, valid and not. */
  intArg: fc.oneof(
    fc.integer({ min: -100, max: 100 }).map(String),
    fc.constantFrom('0', '-1', '9223372036854775807', '-9223372036854775808', '9223372036854775808', 'x', '', '1.0', ' 1'),
  ),
};
