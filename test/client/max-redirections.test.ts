import { describe, it, expect, afterEach } from 'vitest';
import { fakeSetup, keySlot } from './helpers/setup.js';
import { MaxRedirectionsError, MovedError, ProtocolError } from '../../src/client/index.js';

describe('max redirections', () => {
  let done: (() => Promise<void>) | undefined;
  afterEach(async () => done?.());

  it('GET stops after 16 redirections between two nodes that MOVED each other and lists every hop', async () => {
    const s = await fakeSetup(2);
    done = s.done;
    const { cluster, client } = s;
    const slot = keySlot('loop');
    const [a, b] = cluster.nodes as [typeof cluster.nodes[0], typeof cluster.nodes[0]];
    a.intercept = (args) => (args[0] === 'GET' ? { err: `MOVED ${slot} 127.0.0.1:${b.port}` } : undefined);
    b.intercept = (args) => (args[0] === 'GET' ? { err: `MOVED ${slot} 127.0.0.1:${a.port}` } : undefined);
    const err = (await client.get('loop').catch((e: unknown) => e)) as MaxRedirectionsError;
    expect(err).toBeInstanceOf(MaxRedirectionsError);
    expect(err.hops).toHaveLength(17);
    expect(err.hops.every((h) => h.kind === 'moved' && h.slot === slot)).toBe(true);
    expect(err.cause).toBeInstanceOf(MovedError);
    expect(err.message).toMatch(/redirected too many times/);
  });

  it('GET refuses a MOVED whose slot is __proto__ or out of range with a ProtocolError', async () => {
    const s = await fakeSetup(2);
    done = s.done;
    const { cluster, client } = s;
    const bad = ['__proto__', '16384', '-1', 'constructor'];
    let i = 0;
    for (const n of cluster.nodes) n.intercept = (args) => (args[0] === 'GET' ? { err: `MOVED ${bad[i++ % bad.length]} 127.0.0.1:1` } : undefined);
    for (let k = 0; k < bad.length; k++) {
      await expect(client.get('x')).rejects.toBeInstanceOf(ProtocolError);
    }
    expect(Object.prototype.hasOwnProperty.call(Array.prototype, 'primary')).toBe(false);
  });
});
