/**
 * Real Redis Cluster tools against three Shardis nodes: redis-cli --cluster
 * create / check / info / reshard / fix / add-node / del-node / import (from a
 * real Redis), redis-cli -c, ioredis Cluster and
 * node-redis createCluster (10,000 keys each, also while a slot moves; pub/sub
 * across nodes and node-redis's sharded pub/sub).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster as IoCluster } from 'ioredis';
import { createCluster } from 'redis';
import { cmd, launch, newNode, redisCli, stopAll, waitFor, waitForOk, type ClusterTestNode } from './helpers.js';
import { startRedis, startShardis } from '../../helpers/servers.js';
import { startRedisCluster } from '../../client/helpers/redis-cluster.js';

const N = 10_000;

describe('Redis Cluster tools against Shardis', () => {
  const nodes: ClusterTestNode[] = [];
  const addr = (n: ClusterTestNode): string => `127.0.0.1:${n.port}`;
  const idOf = async (n: ClusterTestNode): Promise<string> => (await cmd(n.port, 'CLUSTER', 'MYID')).slice(5, 45);

  beforeAll(async () => {
    for (let i = 0; i < 3; i++) nodes.push(await newNode());
    await Promise.all(nodes.map((n) => launch(n)));
  }, 60_000);
  afterAll(() => stopAll(nodes));

  it('redis-cli --cluster create forms the cluster', async () => {
    const r = redisCli(['--cluster', 'create', ...nodes.map(addr), '--cluster-yes']);
    expect(r.out).toContain('[OK] All nodes agree about slots configuration.');
    expect(r.out).toContain('[OK] All 16384 slots covered.');
    expect(r.status).toBe(0);
    await waitForOk(nodes);
  }, 60_000);

  it('redis-cli -c writes and reads keys across all slots', async () => {
    let input = '';
    for (let i = 0; i < 2000; i++) input += `SET key:${i} v${i}\n`;
    const w = redisCli(['-c', '-p', String(nodes[0]!.port)], input);
    expect(w.status).toBe(0);
    expect(w.out.split('\n').filter((l) => l === 'OK').length).toBe(2000);
    const total = (await Promise.all(nodes.map((n) => cmd(n.port, 'DBSIZE')))).reduce((a, r) => a + Number(r.slice(1)), 0);
    expect(total).toBe(2000);
    for (const i of [0, 777, 1999]) expect(redisCli(['-c', '-p', String(nodes[2]!.port), 'GET', `key:${i}`]).out.trim()).toBe(`v${i}`);
  }, 60_000);

  it('redis-cli --cluster check and info pass', async () => {
    const check = redisCli(['--cluster', 'check', addr(nodes[0]!)]);
    expect(check.status).toBe(0);
    expect(check.out).toContain('[OK] 2000 keys in 3 masters.');
    expect(check.out).toContain('[OK] All nodes agree about slots configuration.');
    const info = redisCli(['--cluster', 'info', addr(nodes[1]!)]);
    expect(info.status).toBe(0);
    expect(info.out).toMatch(/\[OK\] 2000 keys in 3 masters\./);
  }, 60_000);

  it('redis-cli --cluster reshard moves slots with their keys', async () => {
    const from = await idOf(nodes[1]!);
    const to = await idOf(nodes[0]!);
    const r = redisCli(['--cluster', 'reshard', addr(nodes[0]!), '--cluster-from', from, '--cluster-to', to, '--cluster-slots', '300', '--cluster-yes']);
    expect(r.status).toBe(0);
    expect(r.out).toContain('Moving slot 5760 from');
    await waitFor('all nodes to agree after the reshard', async () => redisCli(['--cluster', 'check', addr(nodes[2]!)]).status === 0);
    const check = redisCli(['--cluster', 'check', addr(nodes[2]!)]);
    expect(check.out).toContain('[OK] 2000 keys in 3 masters.');
    expect(check.out).toMatch(/slots:\[0-5760\] \(5761 slots\) master/);
    expect(await cmd(nodes[1]!.port, 'CLUSTER', 'COUNTKEYSINSLOT', '5461')).toBe(':0\r\n');
    for (const i of [0, 500, 1500]) expect(redisCli(['-c', '-p', String(nodes[1]!.port), 'GET', `key:${i}`]).out.trim()).toBe(`v${i}`);
  }, 120_000);

  it('ioredis Cluster writes and reads 10,000 keys, also while a slot moves behind its back', async () => {
    const io = new IoCluster([{ host: '127.0.0.1', port: nodes[0]!.port }]);
    try {
      for (let i = 0; i < N; i += 500) await Promise.all(Array.from({ length: 500 }, (_, j) => io.set(`io:${i + j}`, `v${i + j}`)));
      // Move slot 0 of io:* ... the slot of io:0 from its owner to another node, by hand.
      const slot = Number((await cmd(nodes[0]!.port, 'CLUSTER', 'KEYSLOT', 'io:0')).slice(1));
      await moveSlot(nodes, slot);
      let bad = 0;
      for (let i = 0; i < N; i += 500) {
        const vs = await Promise.all(Array.from({ length: 500 }, (_, j) => io.get(`io:${i + j}`)));
        vs.forEach((v, j) => {
          if (v !== `v${i + j}`) bad++;
        });
      }
      expect(bad).toBe(0);
    } finally {
      await io.quit();
    }
  }, 120_000);

  it('node-redis createCluster writes and reads 10,000 keys, also while a slot moves behind its back', async () => {
    const nr = createCluster({ rootNodes: [{ url: `redis://127.0.0.1:${nodes[1]!.port}` }] });
    nr.on('error', () => undefined);
    await nr.connect();
    try {
      for (let i = 0; i < N; i += 500) await Promise.all(Array.from({ length: 500 }, (_, j) => nr.set(`nr:${i + j}`, `v${i + j}`)));
      const slot = Number((await cmd(nodes[0]!.port, 'CLUSTER', 'KEYSLOT', 'nr:0')).slice(1));
      await moveSlot(nodes, slot);
      let bad = 0;
      for (let i = 0; i < N; i += 500) {
        const vs = await Promise.all(Array.from({ length: 500 }, (_, j) => nr.get(`nr:${i + j}`)));
        vs.forEach((v, j) => {
          if (v !== `v${i + j}`) bad++;
        });
      }
      expect(bad).toBe(0);
    } finally {
      await nr.close();
    }
  }, 120_000);

  it('ioredis Cluster and node-redis createCluster hear PUBLISH from whichever node runs it, and node-redis sSubscribe hears sPublish', async () => {
    const got: string[] = [];
    const sub = new IoCluster([{ host: '127.0.0.1', port: nodes[0]!.port }]);
    const pub = new IoCluster([{ host: '127.0.0.1', port: nodes[2]!.port }]);
    const nr = createCluster({ rootNodes: [{ url: `redis://127.0.0.1:${nodes[1]!.port}` }] });
    nr.on('error', () => undefined);
    try {
      sub.on('message', (ch: string, m: string) => got.push(`io ${ch} ${m}`));
      await sub.subscribe('tools:news');
      await nr.connect();
      await nr.subscribe('tools:news', (m, ch) => got.push(`nr ${ch} ${m}`));
      await nr.sSubscribe('tools:orders', (m, ch) => got.push(`nr-shard ${ch} ${m}`));
      // ioredis sends PUBLISH to a random master, so some of these run on nodes the subscribers are not connected to.
      for (let i = 0; i < 6; i++) await pub.publish('tools:news', `m${i}`);
      await nr.sPublish('tools:orders', 's1');
      await waitFor('every message delivered', async () => got.length >= 13);
      expect(got.sort()).toEqual([
        ...[0, 1, 2, 3, 4, 5].map((i) => `io tools:news m${i}`),
        ...[0, 1, 2, 3, 4, 5].map((i) => `nr tools:news m${i}`),
        'nr-shard tools:orders s1',
      ]);
    } finally {
      await sub.quit();
      await pub.quit();
      await nr.close();
    }
  }, 60_000);

  it('redis-cli --cluster fix closes an open slot and moves its keys to the owner', async () => {
    const slot = Number((await cmd(nodes[0]!.port, 'CLUSTER', 'KEYSLOT', 'key:1414')).slice(1));
    const ids = await Promise.all(nodes.map(idOf));
    const nodesText = await cmd(nodes[0]!.port, 'CLUSTER', 'NODES');
    const ownerId = nodesText.split('\n').find((l) => l.split(' ').slice(8).some((t) => {
      const [a, b] = t.split('-').map(Number);
      return !t.startsWith('[') && slot >= a! && slot <= (b ?? a)!;
    }))!.slice(0, 40);
    const si = ids.indexOf(ownerId);
    const ti = (si + 1) % 3;
    expect(await cmd(nodes[ti]!.port, 'CLUSTER', 'SETSLOT', String(slot), 'IMPORTING', ids[si]!)).toBe('+OK\r\n');
    expect(await cmd(nodes[si]!.port, 'CLUSTER', 'SETSLOT', String(slot), 'MIGRATING', ids[ti]!)).toBe('+OK\r\n');
    expect(await cmd(nodes[si]!.port, 'MIGRATE', '127.0.0.1', String(nodes[ti]!.port), 'key:1414', '0', '5000')).toBe('+OK\r\n');
    const open = redisCli(['--cluster', 'check', addr(nodes[0]!)]);
    expect(open.status).toBe(1);
    expect(open.out).toContain(`[WARNING] The following slots are open: ${slot}.`);
    const fix = redisCli(['--cluster', 'fix', addr(nodes[0]!)]);
    expect(fix.out).toContain(`>>> Fixing open slot ${slot}`);
    await waitFor('check to pass after fix', async () => redisCli(['--cluster', 'check', addr(nodes[1]!)]).status === 0);
    expect(redisCli(['-c', '-p', String(nodes[2]!.port), 'GET', 'key:1414']).out.trim()).toBe('v1414');
  }, 120_000);

  it('redis-cli --cluster add-node and del-node add and remove an empty master', async () => {
    const extra = await newNode();
    nodes.push(extra);
    await launch(extra);
    const add = redisCli(['--cluster', 'add-node', addr(extra), addr(nodes[0]!)]);
    expect(add.out).toContain('[OK] New node added correctly.');
    await waitFor('every node to know the new one', async () => {
      for (const n of nodes) if (!(await cmd(n.port, 'CLUSTER', 'INFO')).includes('cluster_known_nodes:4')) return false;
      return true;
    });
    expect(redisCli(['--cluster', 'check', addr(nodes[1]!)]).out).toMatch(/M: [0-9a-f]{40} 127\.0\.0\.1:\d+\n   slots: \(0 slots\) master/);
    const del = redisCli(['--cluster', 'del-node', addr(nodes[0]!), await idOf(extra)]);
    expect(del.out).toContain('>>> Sending CLUSTER RESET SOFT to the deleted node.');
    expect(await cmd(extra.port, 'CLUSTER', 'INFO')).toContain('cluster_known_nodes:1\r\n');
    await new Promise((r) => setTimeout(r, 1500));
    for (const n of nodes.slice(0, 3)) expect(await cmd(n.port, 'CLUSTER', 'INFO')).toContain('cluster_known_nodes:3\r\n');
    expect(redisCli(['--cluster', 'check', addr(nodes[0]!)]).status).toBe(0);
  }, 120_000);

  it('redis-cli --cluster import copies every type from a real Redis 7 into the cluster (Redis DUMP payloads)', async () => {
    const redis = await startRedis();
    try {
      let input = '';
      for (let i = 0; i < 300; i++) input += `SET imp:${i} ${i % 3 === 0 ? i : 'v' + i}\n`;
      input += `SET imp:long ${'ab'.repeat(300)}\nRPUSH imp:list a 1 -20000 ${'x'.repeat(100)}\nSADD imp:ints 1 2 -9223372036854775808\nSADD imp:set a b c\n`;
      input += `ZADD imp:z 1.5 a -inf b 3 c\nHSET imp:h f1 v1 f2 2\n`;
      for (let i = 0; i < 200; i++) input += `HSET imp:bigh f${i} ${i}\n`;
      expect(redisCli(['-p', String(redis.port)], input).status).toBe(0);
      const before = (await Promise.all(nodes.slice(0, 3).map((n) => cmd(n.port, 'DBSIZE')))).reduce((a, r) => a + Number(r.slice(1)), 0);
      const r = redisCli(['--cluster', 'import', addr(nodes[0]!), '--cluster-from', `127.0.0.1:${redis.port}`, '--cluster-copy']);
      expect(r.out).not.toContain('error');
      expect(r.status).toBe(0);
      const after = (await Promise.all(nodes.slice(0, 3).map((n) => cmd(n.port, 'DBSIZE')))).reduce((a, r2) => a + Number(r2.slice(1)), 0);
      expect(after - before).toBe(307);
      const get = (...args: string[]): string => redisCli(['-c', '-p', String(nodes[1]!.port), ...args]).out.trim();
      expect(get('GET', 'imp:299')).toBe('v299');
      expect(get('STRLEN', 'imp:long')).toBe('600');
      expect(get('LRANGE', 'imp:list', '0', '-1')).toBe(`a\n1\n-20000\n${'x'.repeat(100)}`);
      expect(get('SMEMBERS', 'imp:ints')).toBe('-9223372036854775808\n1\n2');
      expect(get('ZRANGE', 'imp:z', '0', '-1', 'WITHSCORES')).toBe('b\n-inf\na\n1.5\nc\n3');
      expect(get('HGET', 'imp:bigh', 'f199')).toBe('199');
      expect(get('HLEN', 'imp:bigh')).toBe('200');
      expect(redisCli(['--cluster', 'check', addr(nodes[0]!)]).status).toBe(0);
    } finally {
      await redis.stop();
    }
  }, 120_000);

  it('redis-cli --cluster import copies every type, big keys too, from a Shardis server into a real Redis 7 cluster', async () => {
    const source = await startShardis();
    const target = await startRedisCluster(3);
    try {
      let input = '';
      for (let i = 0; i < 200; i++) input += `SET k:${i} v${i}\n`;
      input += 'RPUSH l a 1 b\nSADD s 1 2 x\nZADD z -inf a 2.5 b\nHSET h f v g 7\nSET ttl v\nPEXPIRE ttl 600000\n';
      // Past the chunking threshold: Redis has no RESTORE-CHUNK, so these go whole.
      for (let i = 0; i < 30_000; i += 1000) input += `HSET bigh ${Array.from({ length: 1000 }, (_, j) => `f${i + j} v${i + j}`).join(' ')}\n`;
      for (let i = 0; i < 5000; i += 1000) input += `ZADD bigz ${Array.from({ length: 1000 }, (_, j) => `${(i + j) / 4} m${i + j}`).join(' ')}\n`;
      input += `SETRANGE bigs ${5 * 1024 * 1024 - 1} x\n`;
      expect(redisCli(['-p', String(source.port)], input).status).toBe(0);
      const r = redisCli(['--cluster', 'import', target.seeds[0]!, '--cluster-from', `127.0.0.1:${source.port}`, '--cluster-copy']);
      expect(r.out).not.toContain('error');
      expect(r.status).toBe(0);
      const sizes = target.ports.map((p) => Number(redisCli(['-p', String(p), 'DBSIZE']).out.trim()));
      expect(sizes.reduce((a, b) => a + b, 0)).toBe(208);
      const get = (...args: string[]): string => redisCli(['-c', '-p', String(target.ports[1]!), ...args]).out.trim();
      expect(get('GET', 'k:199')).toBe('v199');
      expect(get('LRANGE', 'l', '0', '-1')).toBe('a\n1\nb');
      expect(get('SMEMBERS', 's').split('\n').sort()).toEqual(['1', '2', 'x']);
      expect(get('ZRANGE', 'z', '0', '-1', 'WITHSCORES')).toBe('a\n-inf\nb\n2.5');
      expect(get('HGETALL', 'h')).toBe('f\nv\ng\n7');
      expect(Number(get('PTTL', 'ttl'))).toBeGreaterThan(500_000);
      expect(get('HLEN', 'bigh')).toBe('30000');
      expect(get('HGET', 'bigh', 'f29999')).toBe('v29999');
      expect(get('ZCARD', 'bigz')).toBe('5000');
      expect(get('ZSCORE', 'bigz', 'm4999')).toBe('1249.75');
      expect(get('STRLEN', 'bigs')).toBe(String(5 * 1024 * 1024));
      // --cluster-copy: the source keeps everything.
      expect(redisCli(['-p', String(source.port), 'DBSIZE']).out.trim()).toBe('208');
    } finally {
      await Promise.all([source.stop(), target.stop()]);
    }
  }, 120_000);
});

/** Moves `slot` from its owner to the next node, as redis-cli reshard does. */
async function moveSlot(nodes: ClusterTestNode[], slot: number): Promise<void> {
  const ids = await Promise.all(nodes.map(async (n) => (await cmd(n.port, 'CLUSTER', 'MYID')).slice(5, 45)));
  const slotsReply = await cmd(nodes[0]!.port, 'CLUSTER', 'NODES');
  const ownerId = slotsReply
    .split('\n')
    .find((l) => l.split(' ').slice(8).some((t) => {
      const [a, b] = t.split('-').map(Number);
      return !t.startsWith('[') && slot >= a! && slot <= (b ?? a)!;
    }))!
    .slice(0, 40);
  const si = ids.indexOf(ownerId);
  const ti = (si + 1) % nodes.length;
  const [src, dst] = [nodes[si]!, nodes[ti]!];
  expect(await cmd(dst.port, 'CLUSTER', 'SETSLOT', String(slot), 'IMPORTING', ids[si]!)).toBe('+OK\r\n');
  expect(await cmd(src.port, 'CLUSTER', 'SETSLOT', String(slot), 'MIGRATING', ids[ti]!)).toBe('+OK\r\n');
  for (;;) {
    const keys = await cmd(src.port, 'CLUSTER', 'GETKEYSINSLOT', String(slot), '100');
    const names = [...keys.matchAll(/\$\d+\r\n([^\r]*)\r\n/g)].map((m) => m[1]!);
    if (names.length === 0) break;
    expect(await cmd(src.port, 'MIGRATE', '127.0.0.1', String(dst.port), '', '0', '5000', 'KEYS', ...names)).toBe('+OK\r\n');
  }
  for (const n of [dst, src, ...nodes.filter((x) => x !== src && x !== dst)]) {
    expect(await cmd(n.port, 'CLUSTER', 'SETSLOT', String(slot), 'NODE', ids[ti]!)).toBe('+OK\r\n');
  }
}
