/**
 * MIGRATE's one-shot path (src/node/cluster/migrate.ts) while a RESTORE is
 * in flight: the target is held with CLIENT PAUSE so that writes to the key
 * land inside the window. No write is lost, no key stays on both nodes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startShardis, type RunningServer } from '../../helpers/servers.js';
import { RawClient } from '../../helpers/resp.js';
import { cmd, myId, startFormedCluster, stopAll, type ClusterTestNode } from './helpers.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('MIGRATE between two standalone nodes with a write in flight', () => {
  let a: RunningServer;
  let b: RunningServer;
  let ca: RawClient;
  let cb: RawClient;
  beforeAll(async () => {
    [a, b] = await Promise.all([startShardis(), startShardis()]);
    ca = await RawClient.connect(a.port);
    cb = await RawClient.connect(b.port);
  });
  afterAll(async () => {
    ca.close();
    cb.close();
    await Promise.all([a.stop(), b.stop()]);
  });

  /** Starts a MIGRATE of `keys` while the target is paused; resolves with its reply. */
  async function migrateHeld(client: RawClient, keys: string[]): Promise<{ pending: Promise<string> }> {
    expect(await cb.text('CLIENT', 'PAUSE', '300', 'ALL')).toBe('+OK\r\n');
    const pending = client.text('MIGRATE', '127.0.0.1', String(b.port), '', '0', '5000', 'KEYS', ...keys);
    await sleep(60); // the payload is at the target, unanswered
    return { pending };
  }

  it('MIGRATE sends a hash again when an HSET lands while its RESTORE is in flight, and the source keeps no copy', async () => {
    await ca.text('HSET', 'h', 'f', 'old', 'g', '1');
    const other = await RawClient.connect(a.port);
    const { pending } = await migrateHeld(ca, ['h']);
    expect(await other.text('HSET', 'h', 'f', 'new')).toBe(':0\r\n');
    expect(await pending).toBe('+OK\r\n');
    expect(await ca.text('EXISTS', 'h')).toBe(':0\r\n');
    expect(await cb.text('HGET', 'h', 'f')).toBe('$3\r\nnew\r\n');
    expect(await cb.text('HGET', 'h', 'g')).toBe('$1\r\n1\r\n');
    expect(await cb.text('DEL', 'h')).toBe(':1\r\n');
    other.close();
  });

  it('MIGRATE sends a string again when a SET lands while its RESTORE is in flight, with the new TTL', async () => {
    await ca.text('SET', 's', 'old');
    const other = await RawClient.connect(a.port);
    const { pending } = await migrateHeld(ca, ['s']);
    expect(await other.text('SET', 's', 'new', 'EX', '100')).toBe('+OK\r\n');
    expect(await pending).toBe('+OK\r\n');
    expect(await ca.text('EXISTS', 's')).toBe(':0\r\n');
    expect(await cb.text('GET', 's')).toBe('$3\r\nnew\r\n');
    expect(await cb.text('TTL', 's')).toMatch(/^:(99|100)\r\n$/);
    expect(await cb.text('DEL', 's')).toBe(':1\r\n');
    other.close();
  });

  it('MIGRATE leaves the target copy when the key is deleted on the source while its RESTORE is in flight', async () => {
    await ca.text('SET', 'd', 'v');
    const other = await RawClient.connect(a.port);
    const { pending } = await migrateHeld(ca, ['d']);
    expect(await other.text('DEL', 'd')).toBe(':1\r\n');
    expect(await pending).toBe('+OK\r\n');
    expect(await ca.text('EXISTS', 'd')).toBe(':0\r\n');
    expect(await cb.text('DEL', 'd')).toBe(':1\r\n');
    other.close();
  });

  it('MIGRATE still deletes the acknowledged keys from the source when its client disconnects first', async () => {
    await ca.text('MSET', 'x1', 'a', 'x2', 'b');
    const quitter = await RawClient.connect(a.port);
    const { pending } = await migrateHeld(quitter, ['x1', 'x2']);
    pending.catch(() => undefined);
    quitter.close();
    await sleep(400); // the pause ends, the target answers
    expect(await ca.text('EXISTS', 'x1', 'x2')).toBe(':0\r\n');
    expect(await cb.text('MGET', 'x1', 'x2')).toBe('*2\r\n$1\r\na\r\n$1\r\nb\r\n');
    expect(await cb.text('DEL', 'x1', 'x2')).toBe(':2\r\n');
  });
});

describe('MIGRATE in cluster mode with a write in flight', () => {
  let nodes: ClusterTestNode[];
  beforeAll(async () => {
    nodes = await startFormedCluster(2);
  }, 120_000);
  afterAll(() => stopAll(nodes));

  it('SET of a key whose MIGRATE is in flight gets TRYAGAIN, and then ASK once the key has moved', async () => {
    const [src, dst] = [nodes[0]!, nodes[1]!];
    const srcId = await myId(src.port);
    const dstId = await myId(dst.port);
    // {b} hashes to slot 3300, owned by the first node.
    const s = await RawClient.connect(src.port);
    expect(await s.text('SET', '{b}k', 'old')).toBe('+OK\r\n');
    expect(await cmd(dst.port, 'CLUSTER', 'SETSLOT', '3300', 'IMPORTING', srcId)).toBe('+OK\r\n');
    expect(await cmd(src.port, 'CLUSTER', 'SETSLOT', '3300', 'MIGRATING', dstId)).toBe('+OK\r\n');
    expect(await cmd(dst.port, 'CLIENT', 'PAUSE', '300', 'ALL')).toBe('+OK\r\n');
    const pending = s.text('MIGRATE', '127.0.0.1', String(dst.port), '{b}k', '0', '5000');
    await sleep(60);
    const other = await RawClient.connect(src.port);
    expect(await other.text('SET', '{b}k', 'new')).toBe('-TRYAGAIN Key is being migrated, retry later\r\n');
    expect(await other.text('GET', '{b}k')).toBe('$3\r\nold\r\n');
    expect(await pending).toBe('+OK\r\n');
    expect(await other.text('SET', '{b}k', 'new')).toBe(`-ASK 3300 127.0.0.1:${dst.port}\r\n`);
    const d = await RawClient.connect(dst.port);
    await d.text('ASKING');
    expect(await d.text('GET', '{b}k')).toBe('$3\r\nold\r\n');
    expect(await cmd(dst.port, 'CLUSTER', 'SETSLOT', '3300', 'NODE', dstId)).toBe('+OK\r\n');
    expect(await cmd(src.port, 'CLUSTER', 'SETSLOT', '3300', 'NODE', dstId)).toBe('+OK\r\n');
    s.close();
    other.close();
    d.close();
  }, 60_000);
});
