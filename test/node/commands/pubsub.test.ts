/**
 * Publish/subscribe against an in-process node: confirmations per channel,
 * message delivery to channel and pattern subscribers in RESP2 and RESP3,
 * the RESP2 subscribed-context restriction, PING while subscribed, PUBSUB
 * introspection, RESET and disconnect clean-up.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Config } from '../../../src/node/config.js';
import { Server } from '../../../src/node/server.js';
import { RawClient } from '../../helpers/resp.js';

let server: Server;
const open: RawClient[] = [];

beforeAll(async () => {
  const config = new Config();
  config.load(undefined, ['--port', '0', '--bind', '127.0.0.1', '--loglevel', 'warning']);
  server = new Server(config, { logSink: () => {} });
  await server.listen();
});

afterAll(async () => {
  await server.close();
});

afterEach(() => {
  for (const c of open.splice(0)) c.close();
});

async function connect(): Promise<RawClient> {
  const c = await RawClient.connect(server.port);
  open.push(c);
  return c;
}

async function text(p: Promise<Buffer>): Promise<string> {
  return (await p).toString('latin1');
}

describe('SUBSCRIBE and PUBLISH', () => {
  it('SUBSCRIBE confirms each channel with the running subscription count', async () => {
    const s = await connect();
    expect(await s.text('SUBSCRIBE', 'a', 'b')).toBe('*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n');
    expect(await text(s.next())).toBe('*3\r\n$9\r\nsubscribe\r\n$1\r\nb\r\n:2\r\n');
  });

  it('PUBLISH delivers to channel and pattern subscribers and counts receivers', async () => {
    const s = await connect();
    const p = await connect();
    const pub = await connect();
    await s.text('SUBSCRIBE', 'news');
    expect(await p.text('PSUBSCRIBE', 'n*')).toBe('*3\r\n$10\r\npsubscribe\r\n$2\r\nn*\r\n:1\r\n');
    expect(await pub.text('PUBLISH', 'news', 'hi')).toBe(':2\r\n');
    expect(await text(s.next())).toBe('*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$2\r\nhi\r\n');
    expect(await text(p.next())).toBe('*4\r\n$8\r\npmessage\r\n$2\r\nn*\r\n$4\r\nnews\r\n$2\r\nhi\r\n');
    expect(await pub.text('PUBLISH', 'other', 'x')).toBe(':0\r\n');
  });

  it('PUBLISH sends RESP3 subscribers a push', async () => {
    const s = await connect();
    await s.text('HELLO', '3');
    expect(await s.text('SUBSCRIBE', 'c3')).toBe('>3\r\n$9\r\nsubscribe\r\n$2\r\nc3\r\n:1\r\n');
    expect(await (await connect()).text('PUBLISH', 'c3', 'm')).toBe(':1\r\n');
    expect(await text(s.next())).toBe('>3\r\n$7\r\nmessage\r\n$2\r\nc3\r\n$1\r\nm\r\n');
    expect(await s.text('GET', 'k')).toBe('_\r\n');
  });

  it('a subscribed RESP2 connection refuses other commands and answers PING as an array', async () => {
    const s = await connect();
    await s.text('SUBSCRIBE', 'x');
    expect(await s.text('GET', 'k')).toBe(
      "-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n",
    );
    expect(await s.text('EXEC')).toBe(
      "-EXECABORT Transaction discarded because of: Can't execute 'exec': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n",
    );
    expect(await s.text('PING')).toBe('*2\r\n$4\r\npong\r\n$0\r\n\r\n');
    expect(await s.text('PING', 'm')).toBe('*2\r\n$4\r\npong\r\n$1\r\nm\r\n');
  });

  it('UNSUBSCRIBE without arguments leaves every channel, or confirms with a null when none', async () => {
    const s = await connect();
    await s.text('SUBSCRIBE', 'a');
    expect(await s.text('UNSUBSCRIBE')).toBe('*3\r\n$11\r\nunsubscribe\r\n$1\r\na\r\n:0\r\n');
    expect(await s.text('UNSUBSCRIBE')).toBe('*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:0\r\n');
    expect(await s.text('GET', 'k')).toBe('$-1\r\n');
  });
});

describe('PUBSUB', () => {
  it('PUBSUB CHANNELS, NUMSUB and NUMPAT reflect live subscriptions only', async () => {
    const a = await connect();
    const b = await connect();
    const q = await connect();
    await a.text('SUBSCRIBE', 'room:1');
    await b.text('SUBSCRIBE', 'room:1');
    await b.text('PSUBSCRIBE', 'room:*');
    expect(await q.text('PUBSUB', 'CHANNELS', 'room:*')).toBe('*1\r\n$6\r\nroom:1\r\n');
    // One pattern at most; the subcommand is quoted as typed (Redis 7.0).
    expect(await q.text('PUBSUB', 'channels', 'room:*', 'x')).toBe("-ERR unknown subcommand or wrong number of arguments for 'channels'. Try PUBSUB HELP.\r\n");
    expect(await q.text('PUBSUB', 'NUMSUB', 'room:1', 'none')).toBe('*4\r\n$6\r\nroom:1\r\n:2\r\n$4\r\nnone\r\n:0\r\n');
    expect(await q.text('PUBSUB', 'NUMPAT')).toBe(':1\r\n');
    b.close();
    await new Promise((r) => setTimeout(r, 50));
    expect(await q.text('PUBSUB', 'NUMSUB', 'room:1')).toBe('*2\r\n$6\r\nroom:1\r\n:1\r\n');
    expect(await q.text('PUBSUB', 'NUMPAT')).toBe(':0\r\n');
    expect(await a.text('RESET')).toBe('+RESET\r\n');
    expect(await q.text('PUBSUB', 'CHANNELS')).toBe('*0\r\n');
  });

  it('CLIENT LIST shows sub, psub and the P flag', async () => {
    const s = await connect();
    await s.text('SUBSCRIBE', 'x');
    await s.text('PSUBSCRIBE', 'y*');
    const list = await (await connect()).text('CLIENT', 'LIST', 'TYPE', 'pubsub');
    expect(list).toContain(' flags=P db=0 sub=1 psub=1 ');
  });
});

describe('shard channels (SSUBSCRIBE, SPUBLISH, SUNSUBSCRIBE)', () => {
  it('SSUBSCRIBE counts shard channels apart from channels and patterns, as Redis 7.0 does', async () => {
    const s = await connect();
    expect(await s.text('SUBSCRIBE', 'x')).toBe('*3\r\n$9\r\nsubscribe\r\n$1\r\nx\r\n:1\r\n');
    expect(await s.text('SSUBSCRIBE', 'a', 'b')).toBe('*3\r\n$10\r\nssubscribe\r\n$1\r\na\r\n:1\r\n');
    expect(await text(s.next())).toBe('*3\r\n$10\r\nssubscribe\r\n$1\r\nb\r\n:2\r\n');
    expect(await s.text('SSUBSCRIBE', 'a')).toBe('*3\r\n$10\r\nssubscribe\r\n$1\r\na\r\n:2\r\n');
    expect(await s.text('SUNSUBSCRIBE', 'a')).toBe('*3\r\n$12\r\nsunsubscribe\r\n$1\r\na\r\n:1\r\n');
    // SUNSUBSCRIBE leaves shard channels only; the client stays subscribed to x.
    expect(await s.text('SUNSUBSCRIBE')).toBe('*3\r\n$12\r\nsunsubscribe\r\n$1\r\nb\r\n:0\r\n');
    expect(await s.text('SUNSUBSCRIBE')).toBe('*3\r\n$12\r\nsunsubscribe\r\n$-1\r\n:0\r\n');
    // Channels never subscribed get a frame each, as in Redis 7.0.
    expect(await s.text('SUNSUBSCRIBE', 'n1', 'n2')).toBe('*3\r\n$12\r\nsunsubscribe\r\n$2\r\nn1\r\n:0\r\n');
    expect(await text(s.next())).toBe('*3\r\n$12\r\nsunsubscribe\r\n$2\r\nn2\r\n:0\r\n');
    expect(await s.text('GET', 'k')).toMatch(/^-ERR Can't execute 'get'/);
  });

  it('SPUBLISH reaches shard subscribers only, never channel or pattern subscribers, as smessage', async () => {
    const shard = await connect();
    const plain = await connect();
    const pattern = await connect();
    const pub = await connect();
    await shard.text('SSUBSCRIBE', 'orders\x00');
    await plain.text('SUBSCRIBE', 'orders\x00');
    await pattern.text('PSUBSCRIBE', 'orders*');
    expect(await pub.text('SPUBLISH', 'orders\x00', 'm\r\n1')).toBe(':1\r\n');
    expect(await text(shard.next())).toBe('*3\r\n$8\r\nsmessage\r\n$7\r\norders\x00\r\n$4\r\nm\r\n1\r\n');
    // PUBLISH on the same name is another channel: only the plain and pattern subscribers get it.
    expect(await pub.text('PUBLISH', 'orders\x00', 'p')).toBe(':2\r\n');
    expect(await text(plain.next())).toBe('*3\r\n$7\r\nmessage\r\n$7\r\norders\x00\r\n$1\r\np\r\n');
    expect(await pub.text('PUBSUB', 'SHARDNUMSUB', 'orders\x00', 'none')).toBe('*4\r\n$7\r\norders\x00\r\n:1\r\n$4\r\nnone\r\n:0\r\n');
    expect(await pub.text('PUBSUB', 'SHARDCHANNELS', 'ord*')).toBe('*1\r\n$7\r\norders\x00\r\n');
    expect(await pub.text('PUBSUB', 'CHANNELS', 'ord*')).toBe('*1\r\n$7\r\norders\x00\r\n');
    expect(await pub.text('INFO', 'stats')).toContain('\r\npubsubshard_channels:1\r\n');
    expect(await pub.text('CLIENT', 'LIST', 'TYPE', 'pubsub')).toContain(' sub=0 psub=0 ssub=1 ');
    // A RESP3 subscriber gets a push; RESET drops the shard subscription with the rest.
    await shard.text('RESET');
    expect(await pub.text('SPUBLISH', 'orders\x00', 'gone')).toBe(':0\r\n');
    const r3 = await connect();
    await r3.text('HELLO', '3');
    expect(await r3.text('SSUBSCRIBE', 's')).toBe('>3\r\n$10\r\nssubscribe\r\n$1\r\ns\r\n:1\r\n');
    expect(await pub.text('SPUBLISH', 's', 'v')).toBe(':1\r\n');
    expect(await text(r3.next())).toBe('>3\r\n$8\r\nsmessage\r\n$1\r\ns\r\n$1\r\nv\r\n');
  });

  it('SSUBSCRIBE inside MULTI is refused at EXEC, as blocking commands are (Redis 7.0)', async () => {
    const c = await connect();
    await c.text('MULTI');
    expect(await c.text('SSUBSCRIBE', 'm')).toBe('+QUEUED\r\n');
    expect(await c.text('EXEC')).toBe("*1\r\n-ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client\r\n");
    expect(await c.text('PUBSUB', 'SHARDNUMSUB', 'm')).toBe('*2\r\n$1\r\nm\r\n:0\r\n');
  });
});
