import { describe, it, expect } from 'vitest';
import { EventEmitter } from 'node:events';
import { ConnectionPool } from '../../src/client/connection-pool.js';
import type { ConnectionOptions, Entry, NodeConnection } from '../../src/client/connection.js';

/** A connection that does nothing until the test closes it or makes it reply. */
class FakeConnection extends EventEmitter implements NodeConnection {
  closed = false;
  pending = 0;
  protocol = 3 as const;
  constructor(readonly options: ConnectionOptions) {
    super();
  }
  get endpoint() {
    return this.options.endpoint;
  }
  send(_e: Entry): void {}
  async destroy(): Promise<void> {
    this.close();
  }
  async drained(): Promise<void> {}
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.emit('close');
  }
}

function pool(made: FakeConnection[]): ConnectionPool {
  return new ConnectionPool({
    factory: (o) => {
      const c = new FakeConnection(o);
      made.push(c);
      return c;
    },
    protocol: 3,
    connectTimeout: 100,
    commandTimeout: 0,
    reconnectBase: 50,
    reconnectMax: 300,
  });
}

const node = { host: '127.0.0.1', port: 7000 };

describe('ConnectionPool', () => {
  it('ConnectionPool.get() creates one connection per node and role, lazily, through the injected factory', () => {
    const made: FakeConnection[] = [];
    const p = pool(made);
    expect(made).toHaveLength(0);
    const a = p.get(node, false);
    expect(p.get(node, false)).toBe(a);
    const ro = p.get(node, true);
    expect(ro).not.toBe(a);
    expect(made.map((c) => c.options.readOnly)).toEqual([false, true]);
  });

  it('ConnectionPool.get() backs off exponentially after connections that never replied, and resets on a reply', () => {
    const made: FakeConnection[] = [];
    const p = pool(made);
    for (let i = 0; i < 5; i++) p.get(node, false).close();
    expect(made.map((c) => c.options.dialDelay)).toEqual([0, 50, 100, 200, 300]);
    const c = p.get(node, false) as FakeConnection;
    expect(c.options.dialDelay).toBe(300);
    c.emit('reply');
    c.close();
    p.get(node, false);
    expect(made.at(-1)!.options.dialDelay).toBe(0);
  });

  it('ConnectionPool.retain() closes connections to nodes that left the cluster', async () => {
    const made: FakeConnection[] = [];
    const p = pool(made);
    p.get(node, false);
    p.get({ host: '127.0.0.1', port: 7001 }, false);
    p.retain(new Set(['127.0.0.1:7001']));
    expect(made.map((c) => c.closed)).toEqual([true, false]);
    await p.closeAll();
    expect(made.every((c) => c.closed)).toBe(true);
  });
});
