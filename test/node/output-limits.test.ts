/**
 * Output buffer limits (src/node/output-limits.ts): clients that do not read
 * are closed at their class's hard limit at once, and after more than the
 * soft limit's seconds above it; normal clients are unlimited by default.
 * Servers run in-process with a manual clock, so the soft limit's seconds
 * pass by hand and the cron runs when the test says.
 */
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Client } from '../../src/node/client.js';
import { ManualClock } from '../../src/node/clock.js';
import type { Server } from '../../src/node/server.js';
import { startInProcessNode, type InProcessNode } from '../helpers/in-process.js';
import { encodeCommand, RawClient } from '../helpers/resp.js';

const MB = 1024 * 1024;
const PAYLOAD = 'x'.repeat(100_000);

let node: InProcessNode | undefined;
const sockets: Socket[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await node?.stop();
  node = undefined;
});

/** A node with these limits, a manual clock and its log kept; `pub` is the node helper's own connection. */
async function start(limits: string): Promise<{ server: Server; pub: RawClient; clock: ManualClock; log: string[] }> {
  const clock = new ManualClock();
  const log: string[] = [];
  node = await startInProcessNode(['--client-output-buffer-limit', ...limits.split(' ')], clock, (line) => log.push(line));
  return { server: node.server, pub: node.client, clock, log };
}

/** A raw connection that sends `args` and then stops reading (once `waitForBytes` have come, for a SUBSCRIBE's confirmation). */
function silentClient(port: number, args: string[], waitForBytes = 0): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host: '127.0.0.1' });
    sockets.push(s);
    let got = 0;
    s.on('error', () => {});
    s.once('connect', () => {
      s.write(encodeCommand(args));
      if (waitForBytes === 0) {
        s.pause();
        resolve(s);
      }
    });
    const onData = (d: Buffer): void => {
      got += d.length;
      if (waitForBytes > 0 && got >= waitForBytes) {
        s.off('data', onData);
        s.pause();
        resolve(s);
      }
    };
    s.on('data', onData);
    s.once('close', () => reject(new Error('closed before it was set up')));
  });
}

const subscriber = (srv: Server): Client | undefined => [...srv.clients.values()].find((c) => (c.subscriptions?.channels.size ?? 0) > 0);

/** Publishes PAYLOAD on `ch` until `done()` (at most 64 MB), waiting for each reply so the node flushes between. */
async function publishUntil(pub: RawClient, done: () => boolean): Promise<void> {
  for (let i = 0; i < 640 && !done(); i++) await pub.call('PUBLISH', 'ch', PAYLOAD);
}

describe('client-output-buffer-limit', () => {
  it('a subscriber that stops reading is closed as soon as its pending output reaches the pubsub hard limit, with Redis\'s log line', async () => {
    const { server: srv, pub, log } = await start('pubsub 1mb 0 0');
    await silentClient(srv.port, ['SUBSCRIBE', 'ch'], '*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n'.length);
    // 100 PUBLISHes of 100 kB in one write: the node runs them all in one read, before any flush.
    const burst = connect({ port: srv.port, host: '127.0.0.1' });
    sockets.push(burst);
    let replies = '';
    burst.on('data', (d: Buffer) => (replies += d.toString('latin1')));
    burst.write(Buffer.concat(Array.from({ length: 100 }, () => encodeCommand(['PUBLISH', 'ch', PAYLOAD]))));
    for (let i = 0; i < 500 && replies.split('\r\n').length <= 100; i++) await new Promise((r) => setTimeout(r, 10));
    // Delivered until the subscriber was closed, to nobody after (how many went depends on what the kernel took).
    const delivered = replies.split(':1\r\n').length - 1;
    expect(replies).toBe(':1\r\n'.repeat(delivered) + ':0\r\n'.repeat(100 - delivered));
    expect(delivered).toBeGreaterThanOrEqual(10);
    expect(delivered).toBeLessThan(100);
    expect(subscriber(srv)).toBeUndefined();
    // The publisher is not disturbed, and nobody is subscribed any more.
    expect(await pub.text('PUBLISH', 'ch', 'x')).toBe(':0\r\n');
    const line = log.find((l) => l.includes('for overcoming of output buffer limits'));
    expect(line).toMatch(/# Client id=\d+ addr=\S+ .* flags=P .* sub=1 .* cmd=subscribe .* scheduled to be closed ASAP for overcoming of output buffer limits\.$/);
    // Closed at the message that crossed the limit (the 11th), not at the end of the read.
    const omem = Number(/ omem=(\d+) /.exec(line!)![1]);
    expect(omem).toBeGreaterThanOrEqual(MB);
    expect(omem).toBeLessThan(MB + 2 * PAYLOAD.length);
  });

  it('a subscriber is closed at the pubsub hard limit while one PUBLISH is still being delivered to its 200 matching patterns', async () => {
    const { server: srv, pub, log } = await start('pubsub 1mb 0 0');
    // '*ch', '**ch', ...: 200 patterns that all match 'ch', so one 10 kB PUBLISH owes the subscriber 2 MB.
    const patterns = Array.from({ length: 200 }, (_, i) => '*'.repeat(i + 1) + 'ch');
    const confirmations = patterns.reduce((n, p, i) => n + `*3\r\n$10\r\npsubscribe\r\n$${p.length}\r\n${p}\r\n:${i + 1}\r\n`.length, 0);
    await silentClient(srv.port, ['PSUBSCRIBE', ...patterns], confirmations);
    expect(await pub.text('PUBLISH', 'ch', 'y'.repeat(10_000))).toMatch(/^:\d+\r\n$/);
    expect([...srv.clients.values()].some((c) => (c.subscriptions?.patterns.size ?? 0) > 0)).toBe(false);
    // Closed as its pending output passed 1 MB, before the node tried to write it (the kernel could have taken 2 MB).
    const line = log.find((l) => l.includes('scheduled to be closed ASAP for overcoming of output buffer limits'));
    const omem = Number(/ omem=(\d+) /.exec(line ?? '')?.[1]);
    expect(omem).toBeGreaterThanOrEqual(MB);
    expect(omem).toBeLessThan(MB + 20_000);
  });

  it('a subscriber above the pubsub soft limit is closed by the cron only once it has stayed above it for more than the given seconds', async () => {
    const { server: srv, pub, clock, log } = await start('pubsub 0 1mb 10');
    await silentClient(srv.port, ['SUBSCRIBE', 'ch'], '*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n'.length);
    await publishUntil(pub, () => (subscriber(srv)?.obufSoftLimitSince ?? 0) !== 0);
    const sub = subscriber(srv)!;
    expect(sub.outputBytes).toBeGreaterThanOrEqual(MB);
    expect(srv.overSoftLimit.has(sub)).toBe(true);
    await pub.call('PUBLISH', 'ch', PAYLOAD);
    clock.advance(10_000);
    srv.cron();
    expect(sub.closed).toBe(false);
    clock.advance(1000);
    srv.cron();
    expect(sub.closed).toBe(true);
    expect(srv.overSoftLimit.size).toBe(0);
    expect(log.filter((l) => l.includes('for overcoming of output buffer limits'))).toEqual([expect.stringMatching(/ flags=P .* closed for overcoming of output buffer limits\.$/)]);
  });

  it('a subscriber that drains its output below the soft limit starts the soft limit\'s clock again', async () => {
    const { server: srv, pub, clock } = await start('pubsub 0 1mb 10');
    const socket = await silentClient(srv.port, ['SUBSCRIBE', 'ch'], '*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n'.length);
    await publishUntil(pub, () => (subscriber(srv)?.obufSoftLimitSince ?? 0) !== 0);
    const sub = subscriber(srv)!;
    socket.on('data', () => {});
    socket.resume();
    for (let i = 0; i < 500 && sub.outputBytes > 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(sub.outputBytes).toBe(0);
    srv.cron();
    expect(sub.obufSoftLimitSince).toBe(0);
    expect(srv.overSoftLimit.has(sub)).toBe(false);
    clock.advance(60_000);
    srv.cron();
    expect(sub.closed).toBe(false);
  });

  it('a normal client that pipelines big GETs without reading is closed at a normal hard limit, and left alone by default', async () => {
    for (const [limits, closed] of [['normal 1mb 0 0', true], ['normal 0 0 0', false]] as const) {
      const { server: srv, pub: setter } = await start(limits);
      await setter.call('SET', 'big', PAYLOAD);
      // 100 GETs of 100 kB: 10 MB of replies, more than the kernel's socket buffers take.
      const gets = Buffer.concat(Array.from({ length: 100 }, () => encodeCommand(['GET', 'big'])));
      const s = await silentClient(srv.port, ['PING']);
      s.write(gets);
      for (let i = 0; i < 200; i++) {
        await new Promise((r) => setTimeout(r, 10));
        if (srv.clients.size === 1 || srv.stats.commandsProcessed >= 102) break;
      }
      await new Promise((r) => setTimeout(r, 50));
      expect(srv.clients.size === 1, limits).toBe(closed);
      await node!.stop();
      node = undefined;
    }
  });
});
