import { describe, it, expect, afterEach } from 'vitest';
import { fakeSetup, other, keySlot } from './helpers/setup.js';

describe('pipeline across a move', () => {
  let done: (() => Promise<void>) | undefined;
  afterEach(async () => done?.());

  it('pipeline() spanning every node survives slot moves of some of its commands and keeps request order', async () => {
    const s = await fakeSetup();
    done = s.done;
    const { cluster, client } = s;
    const keys = Array.from({ length: 60 }, (_, i) => `p:${i}`);
    await client.mset(keys.map((k, i) => [k, `v${i}`] as const));
    keys.forEach((k, i) => {
      if (i % 3 === 0) cluster.moveSlot(keySlot(k), other(cluster.ownerOfKey(k)));
    });
    const p = client.pipeline();
    for (const k of keys) p.get(k).incr(`${k}:n`);
    p.mget(keys.slice(0, 10));
    const results = await p.exec();
    const expected: unknown[] = [];
    keys.forEach((_, i) => expected.push(`v${i}`, 1));
    expected.push(keys.slice(0, 10).map((_, i) => `v${i}`));
    expect(results).toEqual(expected);
  });

  it('pipeline() sends one write per node for commands of the same tick', async () => {
    const s = await fakeSetup();
    done = s.done;
    const { cluster, client } = s;
    let writes = 0;
    for (const n of cluster.nodes) for (const sock of n.sockets) sock.on('data', () => writes++);
    const p = client.pipeline();
    for (let i = 0; i < 300; i++) p.set(`w${i}`, 'x');
    const r = await p.exec();
    expect(r.every((x) => x === 'OK')).toBe(true);
    expect(writes).toBeLessThanOrEqual(cluster.nodes.length * 3);
  });

  it('pipeline() returns a failed command as an Error in its position', async () => {
    const s = await fakeSetup();
    done = s.done;
    const { client } = s;
    const r = await client.pipeline().set('a', '1').call('NOSUCH', 'x').get('a').exec();
    expect(r[0]).toBe('OK');
    expect(r[1]).toBeInstanceOf(Error);
    expect(r[2]).toBe('1');
  });
});
