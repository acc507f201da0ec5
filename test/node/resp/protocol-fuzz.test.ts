/**
 * Protocol robustness against a running shardis-server: malformed requests
 * get Redis's exact error text and a closed connection; random bytes,
 * truncated frames, huge declared lengths and deep pipelines never crash or
 * hang the server, and another client keeps being served meanwhile; any byte
 * string round-trips as a key and as a value.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { connect } from 'node:net';
import { encodeCommand, RawClient } from '../../helpers/resp.js';
import { redisAvailable, startRedis, startShardis, type RunningServer } from '../../helpers/servers.js';

/**
 * Sends `payload` on a fresh connection and collects everything the server
 * sends back until it closes the connection or stays silent for `idleMs`.
 */
function exchange(port: number, payload: Buffer, idleMs = 150): Promise<{ bytes: Buffer; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect({ port, host: '127.0.0.1' });
    let timer: NodeJS.Timeout | undefined;
    const finish = (closed: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ bytes: Buffer.concat(chunks), closed });
    };
    const arm = (): void => {
      clearTimeout(timer);
      timer = setTimeout(() => finish(false), idleMs);
    };
    socket.on('connect', () => {
      socket.write(payload);
      arm();
    });
    socket.on('data', (d: Buffer) => {
      chunks.push(d);
      arm();
    });
    socket.on('close', () => finish(true));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      // The server may reset a connection it closed while we were still writing.
      if (err.code === 'ECONNRESET' || err.code === 'EPIPE') finish(true);
      else reject(err);
    });
  });
}

function bytes(s: string): Buffer {
  return Buffer.from(s, 'latin1');
}

/** Malformed requests, each preceded by a valid PING so the reply before the error is compared too. */
const MALFORMED: readonly string[] = [
  '*abc\r\n',
  '*+1\r\n',
  '*01\r\n',
  '*1\nPING\r\n',
  '*2147483648\r\n',
  '*3000000000000000000000\r\n',
  '*1\r\nxyz\r\n',
  '*1\r\n\r\n',
  '*1\r\n\xe9x\r\n',
  '*1\r\n$abc\r\n',
  '*1\r\n$-1\r\n',
  '*1\r\n$04\r\nPING\r\n',
  '*1\r\n$536870913\r\n',
  '"unbalanced\r\n',
  "'x'y\r\n",
  'ECHO "a"b\r\n',
  'a'.repeat(70_000),
  '*' + '1'.repeat(70_000),
  '*1\r\n$' + '1'.repeat(70_000),
];

describe('shardis-server protocol errors', () => {
  let shardis: RunningServer | undefined;
  let redis: RunningServer | undefined;
  const haveRedis = redisAvailable();

  beforeAll(async () => {
    [shardis, redis] = await Promise.all([startShardis(), haveRedis ? startRedis() : Promise.resolve(undefined)]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([shardis?.stop(), redis?.stop()]);
  });

  it('shardis-server replies with the Redis protocol error text and closes the connection', async () => {
    const cases: [string, string][] = [
      ['*abc\r\n', 'invalid multibulk length'],
      ['*1\r\nxyz\r\n', "expected '$', got 'x'"],
      ['*1\r\n$abc\r\n', 'invalid bulk length'],
      ['"unbalanced\r\n', 'unbalanced quotes in request'],
      ['a'.repeat(70_000), 'too big inline request'],
      ['*' + '1'.repeat(70_000), 'too big mbulk count string'],
    ];
    for (const [payload, text] of cases) {
      const r = await exchange(shardis!.port, bytes('PING\r\n' + payload), 2000);
      expect(r.bytes.toString('latin1')).toBe(`+PONG\r\n-ERR Protocol error: ${text}\r\n`);
      expect(r.closed).toBe(true);
    }
  });

  it.skipIf(!haveRedis)('shardis-server answers malformed requests byte for byte as Redis 7 does', async () => {
    for (const payload of MALFORMED) {
      const wire = bytes('PING\r\n' + payload);
      const [a, b] = await Promise.all([exchange(shardis!.port, wire, 300), exchange(redis!.port, wire, 300)]);
      expect(a.bytes.toString('latin1'), JSON.stringify(payload.slice(0, 40))).toBe(b.bytes.toString('latin1'));
      expect(a.closed, JSON.stringify(payload.slice(0, 40))).toBe(b.closed);
    }
  }, 60_000);
});

describe('shardis-server under hostile input', () => {
  let server: RunningServer | undefined;
  let watcher: RawClient | undefined;

  beforeAll(async () => {
    server = await startShardis();
    watcher = await RawClient.connect(server.port);
  }, 60_000);
  afterAll(async () => {
    watcher?.close();
    await server?.stop();
  });

  /** The second client still gets PONG promptly, and the process is alive. */
  async function assertServing(): Promise<void> {
    const pong = await Promise.race([
      watcher!.call('PING'),
      new Promise<Buffer>((_, reject) => setTimeout(() => reject(new Error('PING got no answer within 2 s')), 2000)),
    ]);
    expect(pong.toString('latin1')).toBe('+PONG\r\n');
    expect(server!.proc.exitCode).toBeNull();
  }

  const command = fc.array(fc.uint8Array({ maxLength: 20 }).map((u) => Buffer.from(u)), { minLength: 1, maxLength: 4 });
  const hostile = fc.oneof(
    // Random bytes, often starting like a request.
    fc.tuple(fc.constantFrom('', '*', '$', '*1\r\n', '*2\r\n$', '"'), fc.uint8Array({ maxLength: 200 })).map(([p, u]) =>
      Buffer.concat([bytes(p), Buffer.from(u)]),
    ),
    // A valid request truncated anywhere.
    fc.tuple(command, fc.nat()).map(([args, cut]) => {
      const wire = encodeCommand(args);
      return wire.subarray(0, cut % (wire.length + 1));
    }),
    // Huge declared lengths and counts that must not be allocated up front.
    fc.constantFrom(
      '*2147483647\r\n$3\r\nGET\r\n',
      '*1\r\n$536870912\r\nabc',
      '*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$536870000\r\n',
      '*1048576\r\n',
      '*9223372036854775807\r\n',
      '*1\r\n$9223372036854775807\r\n',
      '*-9223372036854775808\r\n',
    ).map(bytes),
    // Valid commands mixed with garbage in one write.
    fc.tuple(command, fc.uint8Array({ maxLength: 50 })).map(([args, u]) => Buffer.concat([encodeCommand(args), Buffer.from(u)])),
  );

  it('shardis-server survives random bytes, truncated frames and huge lengths while serving another client', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(hostile, { minLength: 1, maxLength: 3 }), async (payloads) => {
        await Promise.all(payloads.map((p) => exchange(server!.port, p, 30)));
        await assertServing();
      }),
      { numRuns: 150 },
    );
  }, 120_000);

  it('shardis-server answers a pipeline of 10,000 commands sent in one write', async () => {
    const parts: Buffer[] = [];
    for (let i = 0; i < 10_000; i++) {
      const k = `pipe:${i % 100}`;
      parts.push(encodeCommand(i % 3 === 0 ? ['SET', k, String(i)] : i % 3 === 1 ? ['GET', k] : ['INCR', 'pipe:counter']));
    }
    const client = await RawClient.connect(server!.port);
    try {
      const pending = [client.send(Buffer.concat(parts))];
      for (let i = 1; i < 10_000; i++) pending.push(client.next());
      const check = assertServing();
      const replies = await Promise.all(pending);
      await check;
      expect(replies).toHaveLength(10_000);
      expect(replies[0]!.toString('latin1')).toBe('+OK\r\n');
      expect(replies[9_998]!.toString('latin1')).toBe(':3333\r\n');
      expect(await client.text('GET', 'pipe:99')).toBe('$4\r\n9999\r\n');
    } finally {
      client.close();
    }
  }, 60_000);

  it('shardis-server round-trips any byte string as a key and as a value through SET and GET', async () => {
    const client = await RawClient.connect(server!.port);
    try {
      await fc.assert(
        fc.asyncProperty(fc.uint8Array({ maxLength: 600 }), fc.uint8Array({ maxLength: 600 }), async (k, v) => {
          const key = Buffer.from(k);
          const value = Buffer.from(v);
          expect((await client.call('SET', key, value)).toString('latin1')).toBe('+OK\r\n');
          const got = await client.call('GET', key);
          expect(got.equals(Buffer.concat([bytes(`$${value.length}\r\n`), value, bytes('\r\n')]))).toBe(true);
          const asValue = await client.call('SET', 'rt:v', key);
          expect(asValue.toString('latin1')).toBe('+OK\r\n');
          expect((await client.call('GET', 'rt:v')).equals(Buffer.concat([bytes(`$${key.length}\r\n`), key, bytes('\r\n')]))).toBe(true);
        }),
        { numRuns: 300 },
      );
      // Every byte value, once each, in one key and one value.
      const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
      await client.call('SET', all, all);
      expect((await client.call('GET', all)).subarray(-258, -2).equals(all)).toBe(true);
    } finally {
      client.close();
    }
  }, 60_000);
});
