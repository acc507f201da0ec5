/**
 * `shardis del-node` on a 3-primary Shardis cluster and on a real Redis 7
 * cluster (OS-picked ports), grown with `shardis add-node`: refuses a
 * primary while it owns slots and prints the command that empties it (which
 * works), then removes it; removes an empty primary after moving its replica
 * (which could not forget its primary) to another primary; then removes the
 * replica. Removed nodes are reset, not stopped.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisAvailable } from '../../helpers/servers.js';
import { redisCli, startRedisCluster, startShardisCluster, type RunningCluster } from '../../client/helpers/redis-cluster.js';
import { addr, cli, cliJson, missingKeys, ownerPortOf, startEmptyNode, writeKeys } from './helpers.js';
import type { DelNodeResult } from '../../../scripts/admin/del-node.js';

function nodeLines(port: number): string[][] {
  return redisCli(port, 'CLUSTER', 'NODES').split('\n').map((l) => l.trim().split(' '));
}

async function eventually(what: string, check: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`Timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const KINDS = [
  { kind: 'shardis' as const, start: () => startShardisCluster(3) },
  { kind: 'redis' as const, start: () => startRedisCluster(3) },
];

for (const { kind, start } of KINDS) {
  describe.runIf(redisAvailable())(`shardis del-node on a ${kind} cluster`, () => {
    let c: RunningCluster;
    let keys: string[];
    const stops: (() => Promise<void>)[] = [];
    let p4 = 0;
    let p4Id = '';
    let rep = 0;
    let repId = '';
    let seed = '';
    beforeAll(async () => {
      c = await start();
      seed = addr(c.ports[0]!);
      keys = await writeKeys(c, 'dn', 300);
    }, 90_000);
    afterAll(async () => {
      await Promise.all(stops.map((s) => s()));
      await c?.stop();
    });

    it('del-node refuses a primary that owns slots, prints the exact command that empties it, and removes it once empty', async () => {
      const n = await startEmptyNode(kind);
      stops.push(n.stop);
      const id = redisCli(n.port, 'CLUSTER', 'MYID');
      expect((await cli('add-node', addr(n.port), seed, '--yes')).code).toBe(0);
      expect((await cli('migrate', '--from', seed, '--to', addr(n.port), '--slots', '0-2', '--yes')).code).toBe(0);
      const r = await cli('del-node', seed, id.slice(0, 12), '--yes');
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(`${addr(n.port)} (${id.slice(0, 8)}) still owns 3 slots (0-2); migrate them first: shardis rebalance ${seed} --weight ${addr(n.port)}=0 --yes (spreads them over the other primaries) or shardis migrate ${seed} --from ${addr(n.port)} --to ${seed} --slots 0-2 --yes; then run del-node again\n`);
      expect(nodeLines(c.ports[1]!).some((f) => f[0] === id)).toBe(true);
      // The printed command empties the node: migrate on Shardis, rebalance on Redis.
      const printed = (kind === 'shardis' ? /or (shardis migrate [^;]+);/ : /first: (shardis rebalance [^(]+) \(/).exec(r.stderr)![1]!;
      const run = await cli(...printed.trim().split(' ').slice(1));
      expect(run.stderr).not.toContain('refused');
      expect(run.code).toBe(0);
      for (const s of [0, 1, 2]) for (const p of c.ports) expect(ownerPortOf(c, s, p)).toBe(c.ports[0]);
      // Emptied (Redis 7 makes it a replica of the new owner meanwhile), it goes.
      const del = await cli('del-node', seed, id, '--yes');
      expect(del.code).toBe(0);
      for (const p of c.ports) expect(nodeLines(p).some((f) => f[0] === id)).toBe(false);
      expect(await missingKeys(c, keys)).toEqual([]);
      expect((await cli('check', seed)).code).toBe(0);
    }, 120_000);

    it('del-node --dry-run prints the plan, with the replica to move first, and changes nothing', async () => {
      const a = await startEmptyNode(kind);
      const b = await startEmptyNode(kind);
      stops.push(a.stop, b.stop);
      p4 = a.port;
      rep = b.port;
      p4Id = redisCli(p4, 'CLUSTER', 'MYID');
      repId = redisCli(rep, 'CLUSTER', 'MYID');
      expect((await cli('add-node', addr(p4), seed, '--yes')).code).toBe(0);
      // Shardis has no replication yet: add-node says so (exit 1), the cluster still lists it as a replica.
      expect((await cli('add-node', addr(rep), seed, '--replica-of', p4Id, '--yes')).code).toBe(kind === 'redis' ? 0 : 1);
      await eventually('every node lists the replica', () => c.ports.every((p) => nodeLines(p).find((f) => f[0] === repId)?.[3] === p4Id));
      const r = await cli('del-node', seed, addr(p4), '--dry-run');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^Removing ${addr(p4)} \\(${p4Id.slice(0, 8)}\\), `));
      expect(r.stdout).toMatch(new RegExp(`CLUSTER REPLICATE [0-9a-f]{40} on ${addr(rep)} \\(${repId.slice(0, 8)}\\) \\(it replicates the removed node`));
      expect(r.stdout).toContain(`CLUSTER FORGET ${p4Id} on 4 node(s)`);
      expect(r.stdout).toContain(`CLUSTER RESET SOFT on ${addr(p4)}: it forgets the cluster and keeps running alone`);
      expect(r.stdout).toContain('(dry run: nothing changed)');
      for (const p of c.ports) expect(nodeLines(p).some((f) => f[0] === p4Id)).toBe(true);
      expect(nodeLines(rep).find((f) => f[0] === repId)![3]).toBe(p4Id);
      const nope = await cli('del-node', seed, addr(p4));
      expect(nope.code).toBe(1);
      expect(nope.stderr).toContain('pass --yes');
    }, 90_000);

    it('del-node removes an empty primary after moving its replica, which cannot forget its primary, to another primary', async () => {
      const { code, json } = await cliJson<DelNodeResult>('del-node', seed, p4Id, '--yes');
      expect(code).toBe(0);
      expect(json.removed).toBe(true);
      expect(json.reset).toBe(true);
      expect(json.forgottenBy.sort()).toEqual([...c.ports.map(addr), addr(rep)].sort());
      expect(json.movedReplicas).toHaveLength(1);
      const newPrimary = json.movedReplicas[0]!.to;
      expect(c.ports.map((p) => redisCli(p, 'CLUSTER', 'MYID'))).toContain(newPrimary);
      for (const p of [...c.ports, rep]) expect(nodeLines(p).some((f) => f[0] === p4Id)).toBe(false);
      // The removed node was reset: it knows only itself, and it still runs.
      expect(nodeLines(p4)).toHaveLength(1);
      expect(redisCli(p4, 'PING')).toBe('PONG');
      await eventually('every node sees the replica under its new primary', () => c.ports.every((p) => nodeLines(p).find((f) => f[0] === repId)?.[3] === newPrimary));
      // Still gone after gossip had time to bring it back.
      await new Promise((r) => setTimeout(r, 1500));
      for (const p of [...c.ports, rep]) expect(nodeLines(p).some((f) => f[0] === p4Id)).toBe(false);
      expect(await missingKeys(c, keys)).toEqual([]);
      expect((await cli('check', seed)).code).toBe(0);
    }, 60_000);

    it('del-node removes a replica, also after a run cut short, and names a node that is no longer in the cluster', async () => {
      // As if a run had been killed after its first FORGET: the seed forgot the node, the others did not.
      redisCli(c.ports[0]!, 'CLUSTER', 'FORGET', repId);
      const cut = await cli('del-node', seed, repId, '--yes');
      expect(cut.code).toBe(1);
      expect(cut.stderr).toContain(`${seed} has forgotten '${repId}' already, but `);
      const printed = /finish the removal from there: (shardis del-node \S+ \S+)/.exec(cut.stderr)![1]!;
      expect(printed).not.toContain(seed);
      const r = await cli(...printed.split(' ').slice(1), '--yes');
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(`[OK] ${addr(rep)} (${repId.slice(0, 8)}) removed: 3 nodes forgot it; it was reset (CLUSTER RESET SOFT) and is still running: shut it down if it is not to be reused.\n`);
      for (const p of c.ports) expect(nodeLines(p).some((f) => f[0] === repId)).toBe(false);
      expect(nodeLines(rep)).toHaveLength(1);
      const again = await cli('del-node', seed, repId, '--yes');
      expect(again.code).toBe(1);
      expect(again.stderr).toMatch(new RegExp(`^No node '${repId}' in the cluster of ${seed}; known nodes: `));
      expect((await cli('check', seed)).code).toBe(0);
    }, 60_000);
  });
}
