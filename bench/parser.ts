/**
 * Micro-benchmark (not a test): our RequestParser against `redis-parser`
 * (returnBuffers mode, the parser ioredis and node-redis 3 use) on the same
 * pipeline of 1M SET/GET commands, fed in 64 KB chunks as a socket would
 * deliver them. Prints commands per second for each and the ratio.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/parser.js [commands] [rounds]
 *
 * The two parsers do not produce the same thing: ours yields latin1 strings
 * (what handlers consume), redis-parser yields Buffers (which we would then
 * have to convert). We count a command as parsed once its arguments are
 * delivered in the parser's own form.
 */
import { createRequire } from 'node:module';
import { RequestParser } from '../src/node/resp/request-parser.js';
import { median } from './stats.js';

interface RedisParserInstance {
  execute(buf: Buffer): void;
  reset(): void;
}
type RedisParserConstructor = new (opts: {
  returnReply(reply: unknown): void;
  returnError(err: Error): void;
  returnFatalError?(err: Error): void;
  returnBuffers?: boolean;
}) => RedisParserInstance;

const require = createRequire(import.meta.url);
const RedisParser = require('redis-parser') as RedisParserConstructor;

const COMMANDS = Number(process.argv[2] ?? 1_000_000);
const ROUNDS = Number(process.argv[3] ?? 5);
const CHUNK = 64 * 1024;

/** The pipeline: alternating `SET key:<i> <16-byte value>` and `GET key:<i>`, as one buffer. */
function buildPipeline(n: number): Buffer {
  const parts: string[] = [];
  const value = 'v'.repeat(16);
  for (let i = 0; i < n; i++) {
    const key = 'key:' + (i % 10_000);
    parts.push(
      i % 2 === 0
        ? `*3\r\n$3\r\nSET\r\n$${key.length}\r\n${key}\r\n$${value.length}\r\n${value}\r\n`
        : `*2\r\n$3\r\nGET\r\n$${key.length}\r\n${key}\r\n`,
    );
  }
  return Buffer.from(parts.join(''), 'latin1');
}

function chunksOf(buf: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < buf.length; i += CHUNK) out.push(buf.subarray(i, i + CHUNK));
  return out;
}

function runOurs(chunks: readonly Buffer[]): number {
  const parser = new RequestParser(512 * 1024 * 1024);
  let count = 0;
  for (const chunk of chunks) {
    parser.feed(chunk);
    for (;;) {
      const r = parser.next();
      if (r === null) break;
      if (!Array.isArray(r)) throw new Error(`Cannot benchmark as the parser failed: ${r.message}`);
      count++;
    }
  }
  return count;
}

function runRedisParser(chunks: readonly Buffer[]): number {
  let count = 0;
  const parser = new RedisParser({
    returnReply: () => {
      count++;
    },
    returnError: (err) => {
      throw err;
    },
    returnBuffers: true,
  });
  for (const chunk of chunks) parser.execute(chunk);
  return count;
}

/** Time of one run in ns; throws if the parser miscounted. */
function timeRun(name: string, run: (chunks: readonly Buffer[]) => number, chunks: readonly Buffer[]): number {
  const t0 = process.hrtime.bigint();
  const n = run(chunks);
  const ns = Number(process.hrtime.bigint() - t0);
  if (n !== COMMANDS) throw new Error(`Cannot trust ${name}: parsed ${n} commands instead of ${COMMANDS}`);
  return ns;
}


function main(): void {
  const pipeline = buildPipeline(COMMANDS);
  const chunks = chunksOf(pipeline);
  console.log(`Pipeline: ${COMMANDS.toLocaleString('en-US')} commands, ${(pipeline.length / 1e6).toFixed(1)} MB in ${chunks.length} chunks of 64 KB`);
  // Warm up both (JIT, heap growth) before measuring; then alternate rounds
  // so that load on the machine affects both alike.
  for (let i = 0; i < 3; i++) {
    runOurs(chunks);
    runRedisParser(chunks);
  }
  const ours: number[] = [];
  const theirs: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    ours.push(COMMANDS / (timeRun('RequestParser', runOurs, chunks) / 1e9));
    theirs.push(COMMANDS / (timeRun('redis-parser', runRedisParser, chunks) / 1e9));
  }
  const fmt = (x: number): string => Math.round(x).toLocaleString('en-US').padStart(12);
  console.log(`RequestParser  ${fmt(median(ours))} commands/s (median of ${ROUNDS}, best ${fmt(Math.max(...ours)).trim()})`);
  console.log(`redis-parser   ${fmt(median(theirs))} commands/s (median of ${ROUNDS}, best ${fmt(Math.max(...theirs)).trim()})`);
  console.log(`Ratio RequestParser / redis-parser: ${(median(ours) / median(theirs)).toFixed(2)} (median), ${(Math.max(...ours) / Math.max(...theirs)).toFixed(2)} (best)`);
}

main();
