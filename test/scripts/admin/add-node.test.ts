/**
 * `shardis add-node` on a 3-primary Shardis cluster and on a real Redis 7
 * cluster (OS-picked ports): joins empty nodes as primaries and as replicas
 * (on Shardis, which has no replication yet, the replica role is reported
 * as not replicating), and refuses, changing nothing, nodes that are known,
 * not empty or not in cluster mode.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisAvailable, startRedis, startShardis } from '../../helpers/servers.js';
import { redisCli, startRedisCluster, startShardisCluster, type RunningCluster } from '../../client/helpers/redis-cluster.js';
import { addr, cli, cliJson, missingKeys, startEmptyNode, writeKeys } from './helpers.js';
import type { AddNodeResult } from '../../../scripts/admin/add-node.js';

/** The CLUSTER NODES line of `id` in the view of node `port`, or undefined. */
function lineOf(port: number, id: string): string[] | undefined {
  return redisCli(port, 'CLUSTER', 'NODES').split('\n').map((l) => l.trim().split(' ')).find((f) => f[0] === id);
}

const KINDS = [
  { kind: 'shardis' as const, start: () => startShardisCluster(3) },
  { kind: 'redis' as const, start: () => startRedisCluster(3) },
];

for (const { kind, start } of KINDS) {
  describe.runIf(redisAvailable())(`shardis add-node on a ${kind} cluster`, () => {
    let c: RunningCluster;
    let keys: string[];
    const stops: (() => Promise<void>)[] = [];
    const emptyNode = async (): Promise<number> => {
      const n = await startEmptyNode(kind);
      stops.push(n.stop);
      return n.port;
    };
    beforeAll(async () => {
      c = await start();
      keys = await writeKeys(c, 'an', 300);
    }, 90_000);
    afterAll(async () => {
      await Promise.all(stops.map((s) => s()));
      await c?.stop();
    });

    let primaryPort = 0;

    it('add-node --dry-run checks the new node, prints the plan and changes nothing', async () => {
      const p = await emptyNode();
      const r = await cli('add-node', addr(p), addr(c.ports[0]!), '--dry-run');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^Adding ${addr(p)} \\([0-9a-f]{8}\\) as an empty primary`));
      expect(r.stdout).toMatch(new RegExp(`CLUSTER MEET 127\\.0\\.0\\.1 ${c.ports[0]} \\d+ on ${addr(p)}`));
      expect(r.stdout).toContain('(dry run: nothing changed)');
      expect(redisCli(p, 'CLUSTER', 'NODES').split('\n')).toHaveLength(1);
      // Without --yes and without a TTY it refuses.
      const nope = await cli('add-node', addr(p), addr(c.ports[0]!));
      expect(nope.code).toBe(1);
      expect(nope.stderr).toContain('pass --yes');
      expect(redisCli(p, 'CLUSTER', 'NODES').split('\n')).toHaveLength(1);
      primaryPort = p;
    }, 30_000);

    it('add-node joins an empty node as a primary without slots that every node knows', async () => {
      const p = primaryPort;
      const id = redisCli(p, 'CLUSTER', 'MYID');
      // Function libraries are not spread by the cluster bus: add-node copies them (Redis only: Shardis has none).
      if (kind === 'redis') redisCli(c.ports[1]!, 'FUNCTION', 'LOAD', "#!lua name=addnodelib\nredis.register_function('addnodef', function() return 1 end)");
      // The existing node by host name: MEET gets its IP from its CLUSTER NODES.
      const { code, json, stderr } = await cliJson<AddNodeResult>('add-node', addr(p), `localhost:${c.ports[1]}`, '--yes');
      expect(stderr).toBe('');
      expect(code).toBe(0);
      expect(json).toEqual({ added: true, node: addr(p), id, role: 'primary', replicaOf: null, knownBy: 3, replicationLink: null });
      for (const port of c.ports) expect(lineOf(port, id)?.[2]).toBe('master');
      expect(redisCli(p, 'CLUSTER', 'NODES').split('\n')).toHaveLength(4);
      if (kind === 'redis') expect(redisCli(p, 'FCALL', 'addnodef', '0')).toBe('1');
      expect(await missingKeys(c, keys)).toEqual([]);
      expect((await cli('check', addr(p))).code).toBe(0);
    }, 90_000);

    it('add-node refuses a node that is already in the cluster and names the del-node command', async () => {
      const id = redisCli(primaryPort, 'CLUSTER', 'MYID');
      const r = await cli('add-node', addr(primaryPort), addr(c.ports[0]!), '--yes');
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(`${addr(primaryPort)} is already a node of the cluster of ${addr(c.ports[0]!)} (id ${id.slice(0, 8)}); nothing to add. To add it afresh, remove it first with shardis del-node ${addr(c.ports[0]!)} ${id}\n`);
    });

    it('add-node --replica-of makes the new node a replica of that primary in every node\'s view, and fails when the node does not really replicate', async () => {
      const p = await emptyNode();
      const id = redisCli(p, 'CLUSTER', 'MYID');
      const primaryId = redisCli(c.ports[2]!, 'CLUSTER', 'MYID');
      const r = await cli('add-node', addr(p), addr(c.ports[0]!), '--replica-of', primaryId.slice(0, 10), '--yes');
      expect(r.stderr).toContain(`Configuring ${addr(p)} as a replica of ${addr(c.ports[2]!)}`);
      if (kind === 'redis') {
        expect(r.stdout).toBe(`[OK] ${addr(p)} (${id.slice(0, 8)}) added as a replica of ${primaryId.slice(0, 8)}; 4 nodes know it.\n`);
        expect(r.code).toBe(0);
        expect(redisCli(p, 'INFO', 'replication')).toContain('role:slave');
      } else {
        // Shardis accepts the role but has no replication yet: no fake success.
        expect(r.stderr).toContain(`${addr(p)} answered OK to CLUSTER REPLICATE ${primaryId} and the cluster lists it as a replica of ${addr(c.ports[2]!)} (${primaryId.slice(0, 8)}), but it does not replicate: its INFO replication says role:master`);
        expect(r.stdout).toBe('');
        expect(r.code).toBe(1);
      }
      const end = Date.now() + 20_000;
      while (Date.now() < end && ![...c.ports, primaryPort].every((port) => lineOf(port, id)?.[3] === primaryId)) await new Promise((res) => setTimeout(res, 100));
      for (const port of [...c.ports, primaryPort]) {
        const f = lineOf(port, id)!;
        expect(f[2]).toBe('slave');
        expect(f[3]).toBe(primaryId);
      }
      // A replica cannot be named as the primary of another new node.
      const q = await emptyNode();
      const bad = await cli('add-node', addr(q), addr(c.ports[0]!), '--replica-of', addr(p), '--yes');
      expect(bad.code).toBe(1);
      expect(bad.stderr).toContain(`--replica-of ${addr(p)}: ${addr(p)} (${id.slice(0, 8)}) is a replica; name a primary, e.g. its primary ${primaryId}`);
      expect(redisCli(q, 'CLUSTER', 'NODES').split('\n')).toHaveLength(1);
    }, 90_000);

    it('add-node refuses a node that owns slots, naming the node and the fix', async () => {
      const p = await emptyNode();
      redisCli(p, 'CLUSTER', 'ADDSLOTS', '5');
      const r = await cli('add-node', addr(p), addr(c.ports[0]!), '--yes');
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(`${addr(p)} is not empty: it owns 1 slots; a node joins a cluster empty: FLUSHALL and CLUSTER RESET HARD on it (this deletes its data), or pick another node\n`);
      expect(redisCli(c.ports[0]!, 'CLUSTER', 'NODES').split('\n')).toHaveLength(5);
    }, 30_000);

    it('add-node refuses a node that is not in cluster mode', async () => {
      const s = kind === 'redis' ? await startRedis() : await startShardis();
      stops.push(() => s.stop());
      const r = await cli('add-node', addr(s.port), addr(c.ports[0]!), '--yes');
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(`${addr(s.port)} is not in cluster mode; restart it with --cluster-enabled yes (cluster-enabled yes in its config)\n`);
    }, 30_000);
  });
}
