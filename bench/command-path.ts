/**
 * Micro-benchmark (not a test): the server's per-request JavaScript, without
 * sockets. A Client of an in-process Server (cluster mode, all slots owned,
 * as in the cluster benchmark) is fed one request per call, as a
 * non-pipelined client's reads arrive: read hook, parsing, dispatch,
 * routing, the command, reply encoding and the flush into a connection
 * that drops the bytes. Prints nanoseconds per request, median of rounds.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/command-path.js [requests] [rounds]
 *
 * What it leaves out is what bench/io-floor.ts measures: the runtime's
 * per-read and per-write cost. The loop runs cache-warm, so this is a lower
 * bound on what the same work costs under a real load.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client } from '../src/node/client.js';
import { Config } from '../src/node/config.js';
import type { Connection } from '../src/node/connection-io.js';
import { Server } from '../src/node/server.js';
import { freeClusterPort } from '../test/client/helpers/redis-cluster.js';
import { median } from './stats.js';

const REQUESTS = Number(process.argv[2] ?? 1_000_000);
const ROUNDS = Number(process.argv[3] ?? 5);
if (!Number.isInteger(REQUESTS) || REQUESTS < 1 || !Number.isInteger(ROUNDS) || ROUNDS < 1) {
  console.error('usage: command-path [requests] [rounds]');
  process.exit(2);
}

function encode(args: readonly string[]): Buffer {
  return Buffer.from(`*${args.length}\r\n${args.map((a) => `$${a.length}\r\n${a}\r\n`).join('')}`, 'latin1');
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'shardis-command-path-'));
  const config = new Config();
  // Cluster mode opens the bus on port + 10000: both must be free.
  const port = await freeClusterPort(new Set());
  config.load(undefined, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--cluster-enabled', 'yes']);
  const server = new Server(config, { logSink: () => {} });
  await server.start();
  let written = 0;
  const conn: Connection = {
    kind: 'fast',
    socket: new Socket(),
    write: (data) => {
      written += data.length;
      return false;
    },
    queuedBytes: 0,
    pauseReading: () => {},
    readingPaused: false,
    end: () => {},
    destroy: () => {},
  };
  const client = new Client(server, 1, conn, server.dbs[0]!, true);
  try {
    client.data(encode(['CLUSTER', 'ADDSLOTSRANGE', '0', '16383']), true);
    // The key shape redis-benchmark --cluster sends: a hash tag, then 12 digits.
    const keys = Array.from({ length: 64 }, (_, i) => `key:{06S}:${String(i).padStart(12, '0')}`);
    const tests: [string, Buffer[]][] = [
      ['SET', keys.map((k) => encode(['SET', k, 'xxx']))],
      ['GET', keys.map((k) => encode(['GET', k]))],
    ];
    console.log(`\n### Per-request JavaScript, in process (${REQUESTS.toLocaleString('en-US')} requests, median of ${ROUNDS})\n`);
    console.log('| request | ns/request |');
    console.log('|---|---:|');
    for (const [name, reqs] of tests) {
      const feed = (n: number): void => {
        for (let i = 0; i < n; i++) client.data(reqs[i % reqs.length]!, true);
      };
      feed(200_000);
      const times: number[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        const t0 = performance.now();
        feed(REQUESTS);
        times.push(((performance.now() - t0) * 1e6) / REQUESTS);
      }
      console.log(`| ${name} | ${median(times).toFixed(0)} |`);
    }
    if (written === 0) throw new Error('No reply was written: the benchmark measured nothing');
    const probe = (req: Buffer, expected: string): void => {
      const before = written;
      client.data(req, true);
      if (written - before !== expected.length) throw new Error(`Unexpected reply to the benchmark's requests (${written - before} bytes, expected ${JSON.stringify(expected)})`);
    };
    // The loop must have measured the commands' success paths, not an error reply.
    probe(tests[0]![1][0]!, '+OK\r\n');
    probe(tests[1]![1][0]!, '$3\r\nxxx\r\n');
  } finally {
    await server.shutdown();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: Error) => {
  console.error(err.stack ?? err.message);
  process.exit(1);
});
