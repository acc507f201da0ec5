/**
 * SubscriberLink against a scripted node: the test reads each command the
 * link sends and writes the node's answer byte for byte, so the order of
 * confirmations, errors and unasked pushes is exactly the one under test.
 */
import { describe, it, expect, afterEach } from 'vitest';
import { createServer, type Server, type Socket } from 'node:net';
import { SubscriberLink, type LinkEvents, type SubscriptionKind } from '../../src/client/subscriber-link.js';
import { ConnectionError, MovedError } from '../../src/client/errors.js';
import { parseRequest } from './helpers/fake-cluster.js';

/** A node that hands each received command (as latin1 strings) to the test. */
class ScriptedNode {
  readonly server: Server = createServer((s) => this.#accept(s));
  socket: Socket | null = null;
  #buf = Buffer.alloc(0);
  #commands: string[][] = [];
  #waiters: ((cmd: string[]) => void)[] = [];

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as { port: number }).port;
  }

  #accept(s: Socket): void {
    this.socket = s;
    s.on('data', (d: Buffer) => {
      this.#buf = Buffer.concat([this.#buf, d]);
      for (let r = parseRequest(this.#buf); r !== null; r = parseRequest(this.#buf)) {
        this.#buf = this.#buf.subarray(r.used);
        const cmd = r.args;
        const w = this.#waiters.shift();
        if (w) w(cmd);
        else this.#commands.push(cmd);
      }
    });
  }

  /** The next command the link sends. */
  next(): Promise<string[]> {
    const c = this.#commands.shift();
    if (c) return Promise.resolve(c);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  send(raw: string): void {
    this.socket!.write(Buffer.from(raw, 'latin1'));
  }

  async close(): Promise<void> {
    this.socket?.destroy();
    await new Promise((r) => this.server.close(r));
  }
}

/** RESP3 push of bulk strings (null for a null element). */
function push(...items: (string | null)[]): string {
  return `>${items.length}\r\n` + items.map((i) => (i === null ? '_\r\n' : `$${Buffer.byteLength(i, 'latin1')}\r\n${i}\r\n`)).join('');
}

const HELLO_REPLY = '%1\r\n$5\r\nproto\r\n:3\r\n';

interface Recorded {
  messages: [SubscriptionKind, string, string, string][];
  lost: string[];
  closed: { error: ConnectionError; refused: boolean }[];
}

function recorder(): { events: LinkEvents; seen: Recorded } {
  const seen: Recorded = { messages: [], lost: [], closed: [] };
  return {
    seen,
    events: {
      message: (kind, name, payload, channel) => seen.messages.push([kind, name.toString('latin1'), payload.toString('latin1'), channel.toString('latin1')]),
      lost: (_link, channel) => seen.lost.push(channel.toString('latin1')),
      close: (_link, error, refused) => seen.closed.push({ error, refused }),
    },
  };
}

/** Resolves with the argument `done` was called with. */
function doneOf(): { done: (e: Error | null) => void; result: Promise<Error | null> } {
  let done!: (e: Error | null) => void;
  const result = new Promise<Error | null>((r) => (done = r));
  return { done, result };
}

describe('SubscriberLink', () => {
  let node: ScriptedNode;
  let link: SubscriberLink | undefined;
  afterEach(async () => {
    await link?.destroy();
    link = undefined;
    await node?.close();
  });

  async function open(options: { password?: string } = {}): Promise<Recorded> {
    node = new ScriptedNode();
    const port = await node.listen();
    const { events, seen } = recorder();
    link = new SubscriberLink({ host: '127.0.0.1', port }, `127.0.0.1:${port}`, { connectTimeout: 2000, ...options }, events);
    return seen;
  }

  it('SSUBSCRIBE completes on one confirmation per name, and an unasked sunsubscribe is reported as lost', async () => {
    const seen = await open();
    expect(await node.next()).toEqual(['HELLO', '3']);
    node.send(HELLO_REPLY);
    const sub = doneOf();
    link!.send('SSUBSCRIBE', [Buffer.from('{t}a'), Buffer.from('{t}b')], sub.done);
    expect(await node.next()).toEqual(['SSUBSCRIBE', '{t}a', '{t}b']);
    node.send(push('ssubscribe', '{t}a', '1'));
    const unsub = doneOf();
    link!.send('SUNSUBSCRIBE', [Buffer.from('{t}b')], unsub.done);
    expect(await node.next()).toEqual(['SUNSUBSCRIBE', '{t}b']);
    // The slot of {u}c left the node while our commands were in flight.
    node.send(push('ssubscribe', '{t}b', '2') + push('sunsubscribe', '{u}c', '1') + push('smessage', '{t}a', 'hi') + push('sunsubscribe', '{t}b', '0'));
    expect(await sub.result).toBeNull();
    expect(await unsub.result).toBeNull();
    expect(seen.lost).toEqual(['{u}c']);
    expect(seen.messages).toEqual([['shard', '{t}a', 'hi', '{t}a']]);
    expect(link!.pending).toBe(0);
  });

  it('SSUBSCRIBE answered by MOVED fails that command only; the next one still completes', async () => {
    await open();
    await node.next();
    node.send(HELLO_REPLY);
    const first = doneOf();
    const second = doneOf();
    link!.send('SSUBSCRIBE', [Buffer.from('x')], first.done);
    link!.send('SSUBSCRIBE', [Buffer.from('y')], second.done);
    await node.next();
    await node.next();
    node.send('-MOVED 16287 127.0.0.1:7001\r\n' + push('ssubscribe', 'y', '1'));
    const err = await first.result;
    expect(err).toBeInstanceOf(MovedError);
    expect((err as MovedError).slot).toBe(16287);
    expect(await second.result).toBeNull();
  });

  it('PSUBSCRIBE messages carry the pattern as name and the channel apart; other pushes are ignored', async () => {
    const seen = await open();
    await node.next();
    node.send(HELLO_REPLY);
    const sub = doneOf();
    link!.send('PSUBSCRIBE', [Buffer.from('n*'), Buffer.from('n*')], sub.done);
    await node.next();
    // Redis confirms a pattern given twice twice.
    node.send(push('psubscribe', 'n*', '1') + push('invalidate', null) + push('psubscribe', 'n*', '1') + push('pmessage', 'n*', 'news', '\xff\x00'));
    expect(await sub.result).toBeNull();
    const until = Date.now() + 2000;
    while (seen.messages.length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
    expect(seen.messages).toEqual([['pattern', 'n*', '\xff\x00', 'news']]);
  });

  it('HELLO 3 refused closes the link as refused and fails what was queued', async () => {
    const seen = await open();
    const sub = doneOf();
    link!.send('SUBSCRIBE', [Buffer.from('c')], sub.done);
    expect(await node.next()).toEqual(['HELLO', '3']);
    node.send("-ERR unknown command 'HELLO', with args beginning with: '3' \r\n");
    const err = await sub.result;
    expect(err).toBeInstanceOf(ConnectionError);
    expect(seen.closed).toHaveLength(1);
    expect(seen.closed[0]!.refused).toBe(true);
    expect(seen.closed[0]!.error.message).toContain('refused HELLO 3 (pub/sub needs RESP3)');
    expect(link!.closed).toBe(true);
  });

  it('AUTH goes first when a password is set, and a lost connection closes the link as not refused', async () => {
    const seen = await open({ password: 'pw' });
    expect(await node.next()).toEqual(['AUTH', 'pw']);
    expect(await node.next()).toEqual(['HELLO', '3']);
    node.send('+OK\r\n' + HELLO_REPLY);
    const sub = doneOf();
    link!.send('SUBSCRIBE', [Buffer.from('c')], sub.done);
    await node.next();
    node.socket!.destroy();
    expect(await sub.result).toBeInstanceOf(ConnectionError);
    expect(seen.closed.map((c) => c.refused)).toEqual([false]);
  });
});
