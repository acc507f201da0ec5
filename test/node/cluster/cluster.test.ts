/**
 * A node in cluster mode, end to end over the wire: CLUSTER replies byte for
 * byte against the Redis 7.0 captures (/work/shared/redis-wire), routing
 * errors, the bus (meet, gossip, slot changes reaching everyone), MIGRATE,
 * and restarts keeping identity, epochs and slots.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawClient } from '../../helpers/resp.js';
import { cmd, formCluster, launch, newNode, stop, stopAll, waitFor, waitForOk, type ClusterTestNode } from './helpers.js';

function idOf(nodesReply: string): string {
  return /([0-9a-f]{40}) \S+ myself/.exec(nodesReply)![1]!;
}

describe('a fresh cluster node', () => {
  let n: ClusterTestNode;
  beforeAll(async () => {
    n = await newNode();
    await launch(n);
  });
  afterAll(() => stopAll([n]));

  it('CLUSTER INFO, SLOTS, SHARDS and NODES of a fresh node match Redis byte for byte', async () => {
    const c = await RawClient.connect(n.port);
    const id = (await c.text('CLUSTER', 'MYID')).slice(5, 45);
    expect(id).toMatch(/^[0-9a-f]{40}$/);
    expect(await c.text('CLUSTER', 'INFO')).toBe(
      '$306\r\ncluster_state:fail\r\ncluster_slots_assigned:0\r\ncluster_slots_ok:0\r\ncluster_slots_pfail:0\r\ncluster_slots_fail:0\r\ncluster_known_nodes:1\r\ncluster_size:0\r\ncluster_current_epoch:0\r\ncluster_my_epoch:0\r\ncluster_stats_messages_sent:0\r\ncluster_stats_messages_received:0\r\ntotal_cluster_links_buffer_limit_exceeded:0\r\n\r\n',
    );
    expect(await c.text('CLUSTER', 'SLOTS')).toBe('*0\r\n');
    expect(await c.text('CLUSTER', 'SHARDS')).toBe(
      `*1\r\n*4\r\n$5\r\nslots\r\n*0\r\n$5\r\nnodes\r\n*1\r\n*14\r\n$2\r\nid\r\n$40\r\n${id}\r\n$4\r\nport\r\n:${n.port}\r\n$2\r\nip\r\n$0\r\n\r\n$8\r\nendpoint\r\n$0\r\n\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$18\r\nreplication-offset\r\n:0\r\n$6\r\nhealth\r\n$6\r\nonline\r\n`,
    );
    const line = `${id} :${n.port}@${n.busPort} myself,master - 0 0 0 connected\n`;
    expect(await c.text('CLUSTER', 'NODES')).toBe(`$${line.length}\r\n${line}\r\n`);
    expect(await c.text('GET', 'foo')).toBe('-CLUSTERDOWN Hash slot not served\r\n');
    await c.text('HELLO', '3');
    expect(await c.text('CLUSTER', 'NODES')).toBe(`=${line.length + 4}\r\ntxt:${line}\r\n`);
    c.close();
  });

  it('CLUSTER FAILOVER with too many arguments quotes the subcommand as typed, as Redis 7.0 does', async () => {
    expect(await cmd(n.port, 'cluster', 'failover', 'force', 'x')).toBe("-ERR unknown subcommand or wrong number of arguments for 'failover'. Try CLUSTER HELP.\r\n");
    expect(await cmd(n.port, 'CLUSTER', 'FAILOVER', 'force', 'x')).toBe("-ERR unknown subcommand or wrong number of arguments for 'FAILOVER'. Try CLUSTER HELP.\r\n");
  });

  it('CLUSTER subcommands reject bad arguments with Redis 7.0 error texts', async () => {
    const cases: [string[], string][] = [
      [['CLUSTER', 'COUNTKEYSINSLOT', '16384'], '-ERR Invalid slot\r\n'],
      [['CLUSTER', 'COUNTKEYSINSLOT', 'abc'], '-ERR value is not an integer or out of range\r\n'],
      [['CLUSTER', 'GETKEYSINSLOT', '2592', '-1'], '-ERR Invalid slot or number of keys\r\n'],
      // The largest int64 is an integer (it once rounded to 2^63 and was refused as not one).
      [['CLUSTER', 'COUNTKEYSINSLOT', '9223372036854775807'], '-ERR Invalid slot\r\n'],
      [['CLUSTER', 'GETKEYSINSLOT', '9223372036854775807', '2'], '-ERR Invalid slot or number of keys\r\n'],
      [['CLUSTER', 'GETKEYSINSLOT', '8282', '9223372036854775807'], '*0\r\n'],
      [['CLUSTER', 'COUNTKEYSINSLOT', '9223372036854775808'], '-ERR value is not an integer or out of range\r\n'],
      [['CLUSTER', 'KEYSLOT'], "-ERR wrong number of arguments for 'cluster|keyslot' command\r\n"],
      [['CLUSTER', 'ADDSLOTSRANGE', '20000', '20001'], '-ERR Invalid or out of range slot\r\n'],
      [['CLUSTER', 'DELSLOTS', '16384'], '-ERR Invalid or out of range slot\r\n'],
      [['CLUSTER', 'SETSLOT', '16384', 'STABLE'], '-ERR Invalid or out of range slot\r\n'],
      [['CLUSTER', 'SETSLOT', '2592', 'BOGUS'], '-ERR Invalid CLUSTER SETSLOT action or number of arguments. Try CLUSTER HELP\r\n'],
      [['CLUSTER', 'SETSLOT', '2592', 'NODE'], '-ERR Invalid CLUSTER SETSLOT action or number of arguments. Try CLUSTER HELP\r\n'],
      [['CLUSTER', 'SETSLOT', '2592', 'NODE', '0'.repeat(40)], `-ERR Unknown node ${'0'.repeat(40)}\r\n`],
      [['CLUSTER', 'SETSLOT', '2592', 'MIGRATING', '0'.repeat(40)], "-ERR I'm not the owner of hash slot 2592\r\n"],
      [['CLUSTER', 'MEET', '127.0.0.1'], "-ERR wrong number of arguments for 'cluster|meet' command\r\n"],
      [['CLUSTER', 'NOSUCH'], "-ERR unknown subcommand 'NOSUCH'. Try CLUSTER HELP.\r\n"],
      [['CLUSTER', 'GETKEYSINSLOT', '0'], "-ERR wrong number of arguments for 'cluster|getkeysinslot' command\r\n"],
      [['SELECT', '1'], '-ERR SELECT is not allowed in cluster mode\r\n'],
      [['SELECT', '0'], '+OK\r\n'],
      [['CLUSTER', 'KEYSLOT', '{user1}.a'], ':8106\r\n'],
      [['CLUSTER', 'KEYSLOT', '{}x'], ':10595\r\n'],
      [['READONLY'], '+OK\r\n'],
      [['READWRITE'], '+OK\r\n'],
      [['ASKING'], '+OK\r\n'],
    ];
    const c = await RawClient.connect(n.port);
    for (const [args, reply] of cases) expect([args.join(' '), await c.text(...args)]).toEqual([args.join(' '), reply]);
    const myid = (await c.text('CLUSTER', 'MYID')).slice(5, 45);
    expect(await c.text('CLUSTER', 'REPLICATE', myid)).toBe("-ERR Can't replicate myself\r\n");
    expect(await c.text('CLUSTER', 'FORGET', myid)).toBe("-ERR I tried hard but I can't forget myself...\r\n");
    c.close();
  });

  it('CLUSTER HELP lists the 7.0 subcommands as 56 status lines', async () => {
    const help = await cmd(n.port, 'CLUSTER', 'HELP');
    expect(help.startsWith('*56\r\n+CLUSTER <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n+ADDSLOTS <slot> [<slot> ...]\r\n')).toBe(true);
    expect(help.endsWith('+HELP\r\n+    Prints this help.\r\n')).toBe(true);
  });

  it('CLUSTER ADDSLOTS, DELSLOTS and FLUSHSLOTS change the slots of the node and keep INFO consistent', async () => {
    const c = await RawClient.connect(n.port);
    expect(await c.text('CLUSTER', 'ADDSLOTS', '0', '1', '2')).toBe('+OK\r\n');
    expect(await c.text('CLUSTER', 'ADDSLOTS', '0')).toBe('-ERR Slot 0 is already busy\r\n');
    expect(await c.text('CLUSTER', 'ADDSLOTS', '5', '5')).toBe('-ERR Slot 5 specified multiple times\r\n');
    expect(await c.text('CLUSTER', 'DELSLOTS', '9')).toBe('-ERR Slot 9 is already unassigned\r\n');
    expect(await c.text('CLUSTER', 'ADDSLOTSRANGE', '10', '12', '20', '20')).toBe('+OK\r\n');
    expect(await c.text('CLUSTER', 'ADDSLOTSRANGE', '30', '29')).toBe('-ERR start slot number 30 is greater than end slot number 29\r\n');
    // Which error comes first, as Redis 7.0.15: ADDSLOTS/DELSLOTS parse every slot before checking any, the RANGE
    // forms check each pair before parsing the next.
    expect(await c.text('CLUSTER', 'ADDSLOTS', '0', 'x')).toBe('-ERR Invalid or out of range slot\r\n');
    expect(await c.text('CLUSTER', 'DELSLOTS', '9', '9', '-1')).toBe('-ERR Invalid or out of range slot\r\n');
    expect(await c.text('CLUSTER', 'ADDSLOTSRANGE', '0', '1', 'x', '3')).toBe('-ERR Slot 0 is already busy\r\n');
    expect(await c.text('CLUSTER', 'DELSLOTSRANGE', '8', '9', '99999999999999999999', '3')).toBe('-ERR Slot 8 is already unassigned\r\n');
    expect(await c.text('CLUSTER', 'NODES')).toMatch(/ myself,master - 0 0 0 connected 0-2 10-12 20\n/);
    expect(await c.text('CLUSTER', 'DELSLOTSRANGE', '10', '11')).toBe('+OK\r\n');
    expect(await c.text('CLUSTER', 'INFO')).toContain('cluster_slots_assigned:5\r\n');
    expect(await c.text('CLUSTER', 'FLUSHSLOTS')).toBe('+OK\r\n');
    expect(await c.text('CLUSTER', 'SLOTS')).toBe('*0\r\n');
    expect(await c.text('CLUSTER', 'BUMPEPOCH')).toBe('+BUMPED 1\r\n');
    expect(await c.text('CLUSTER', 'BUMPEPOCH')).toBe('+STILL 1\r\n');
    expect(await c.text('CLUSTER', 'SET-CONFIG-EPOCH', '5')).toBe('-ERR Node config epoch is already non-zero\r\n');
    c.close();
  });

  it('INFO shows cluster_enabled:1 and no db0 line for an empty node', async () => {
    const info = await cmd(n.port, 'INFO');
    expect(info).toContain('cluster_enabled:1\r\n');
    expect(info).not.toContain('db0:');
  });
});

describe('a three-node cluster', () => {
  const nodes: ClusterTestNode[] = [];
  const ids: string[] = [];
  beforeAll(async () => {
    for (let i = 0; i < 3; i++) nodes.push(await newNode());
    await Promise.all(nodes.map((n) => launch(n)));
    await formCluster(nodes);
    for (const n of nodes) ids.push(idOf(await cmd(n.port, 'CLUSTER', 'NODES')));
  }, 60_000);
  afterAll(() => stopAll(nodes));

  it('CLUSTER NODES agrees on every node about every slot after MEET and gossip', async () => {
    const views = await Promise.all(nodes.map((n) => cmd(n.port, 'CLUSTER', 'NODES')));
    for (const v of views) {
      expect(v).toContain(`${ids[0]} 127.0.0.1:${nodes[0]!.port}@${nodes[0]!.busPort} `);
      expect(v).toMatch(new RegExp(`${ids[0]} \\S+ (myself,)?master - \\d+ \\d+ 1 connected 0-5460\\n`));
      expect(v).toMatch(new RegExp(`${ids[1]} \\S+ (myself,)?master - \\d+ \\d+ 2 connected 5461-10921\\n`));
      expect(v).toMatch(new RegExp(`${ids[2]} \\S+ (myself,)?master - \\d+ \\d+ 3 connected 10922-16383\\n`));
    }
    const slots = await cmd(nodes[1]!.port, 'CLUSTER', 'SLOTS');
    expect(slots).toBe(
      `*3\r\n*3\r\n:0\r\n:5460\r\n*4\r\n$9\r\n127.0.0.1\r\n:${nodes[0]!.port}\r\n$40\r\n${ids[0]}\r\n*0\r\n` +
        `*3\r\n:5461\r\n:10921\r\n*4\r\n$9\r\n127.0.0.1\r\n:${nodes[1]!.port}\r\n$40\r\n${ids[1]}\r\n*0\r\n` +
        `*3\r\n:10922\r\n:16383\r\n*4\r\n$9\r\n127.0.0.1\r\n:${nodes[2]!.port}\r\n$40\r\n${ids[2]}\r\n*0\r\n`,
    );
    expect(await cmd(nodes[0]!.port, 'CLUSTER', 'INFO')).toMatch(/^\$\d+\r\ncluster_state:ok\r\ncluster_slots_assigned:16384\r\ncluster_slots_ok:16384\r\ncluster_slots_pfail:0\r\ncluster_slots_fail:0\r\ncluster_known_nodes:3\r\ncluster_size:3\r\ncluster_current_epoch:3\r\ncluster_my_epoch:1\r\n/);
  });

  it('GET of a key owned by another node answers MOVED with its address, CROSSSLOT first', async () => {
    // foo is slot 12182 (node 3), key:0 slot 2592 (node 1).
    expect(await cmd(nodes[0]!.port, 'GET', 'foo')).toBe(`-MOVED 12182 127.0.0.1:${nodes[2]!.port}\r\n`);
    expect(await cmd(nodes[0]!.port, 'MSET', 'foo', '1', 'key:0', '2')).toBe("-CROSSSLOT Keys in request don't hash to the same slot\r\n");
    expect(await cmd(nodes[1]!.port, 'MGET', 'foo', 'key:0')).toBe("-CROSSSLOT Keys in request don't hash to the same slot\r\n");
    expect(await cmd(nodes[2]!.port, 'SET', 'foo', 'bar')).toBe('+OK\r\n');
    expect(await cmd(nodes[2]!.port, 'CLUSTER', 'COUNTKEYSINSLOT', '12182')).toBe(':1\r\n');
    expect(await cmd(nodes[2]!.port, 'CLUSTER', 'GETKEYSINSLOT', '12182', '10')).toBe('*1\r\n$3\r\nfoo\r\n');
    expect(await cmd(nodes[0]!.port, 'PING')).toBe('+PONG\r\n');
  });

  it('MULTI refuses a key of another node at queue time and EXEC answers EXECABORT; queued keys of two slots give CROSSSLOT', async () => {
    const c = await RawClient.connect(nodes[0]!.port);
    expect(await c.text('MULTI')).toBe('+OK\r\n');
    expect(await c.text('GET', 'key:0')).toBe('+QUEUED\r\n');
    expect(await c.text('GET', 'foo')).toBe(`-MOVED 12182 127.0.0.1:${nodes[2]!.port}\r\n`);
    expect(await c.text('EXEC')).toBe('-EXECABORT Transaction discarded because of previous errors.\r\n');
    expect(await c.text('MULTI')).toBe('+OK\r\n');
    expect(await c.text('GET', 'key:0')).toBe('+QUEUED\r\n');
    expect(await c.text('GET', 'key:271')).toBe('+QUEUED\r\n');
    expect(await c.text('EXEC')).toBe("-CROSSSLOT Keys in request don't hash to the same slot\r\n");
    c.close();
  });

  it('SETSLOT MIGRATING and IMPORTING give ASK, ASKING once, TRYAGAIN, then MIGRATE and SETSLOT NODE move the slot everywhere', async () => {
    const [src, dst, other] = [nodes[2]!, nodes[0]!, nodes[1]!];
    const s = await RawClient.connect(src.port);
    const d = await RawClient.connect(dst.port);
    await s.text('SET', '{foo}a', 'A');
    await s.text('SET', '{foo}b', 'B');
    expect(await d.text('CLUSTER', 'SETSLOT', '12182', 'IMPORTING', ids[2]!)).toBe('+OK\r\n');
    expect(await s.text('CLUSTER', 'SETSLOT', '12182', 'MIGRATING', ids[0]!)).toBe('+OK\r\n');
    expect(await s.text('CLUSTER', 'NODES')).toContain(`connected 10922-16383 [12182->-${ids[0]}]\n`);
    expect(await d.text('CLUSTER', 'NODES')).toContain(`connected 0-5460 [12182-<-${ids[2]}]\n`);
    expect(await s.text('GET', 'foo')).toBe('$3\r\nbar\r\n');
    expect(await s.text('GET', '{foo}missing')).toBe(`-ASK 12182 127.0.0.1:${dst.port}\r\n`);
    expect(await s.text('MIGRATE', '127.0.0.1', String(dst.port), '', '0', '5000', 'KEYS', '{foo}a')).toBe('+OK\r\n');
    expect(await s.text('GET', '{foo}a')).toBe(`-ASK 12182 127.0.0.1:${dst.port}\r\n`);
    expect(await s.text('MGET', '{foo}a', '{foo}b')).toBe('-TRYAGAIN Multiple keys request during rehashing of slot\r\n');
    expect(await d.text('GET', '{foo}a')).toBe(`-MOVED 12182 127.0.0.1:${src.port}\r\n`);
    expect(await d.text('ASKING')).toBe('+OK\r\n');
    expect(await d.text('GET', '{foo}a')).toBe('$1\r\nA\r\n');
    expect(await d.text('GET', '{foo}a')).toBe(`-MOVED 12182 127.0.0.1:${src.port}\r\n`);
    expect(await d.text('ASKING')).toBe('+OK\r\n');
    expect(await d.text('MGET', '{foo}a', '{foo}b')).toBe('-TRYAGAIN Multiple keys request during rehashing of slot\r\n');
    expect(await s.text('MIGRATE', '127.0.0.1', String(dst.port), '{foo}nokey', '0', '5000')).toBe('+NOKEY\r\n');
    expect(await s.text('MIGRATE', '127.0.0.1', String(dst.port), 'foo', '0', '5000', 'KEYS', 'foo')).toBe(
      '-ERR When using MIGRATE KEYS option, the key argument must be set to the empty string\r\n',
    );
    expect(await s.text('MIGRATE', '127.0.0.1', String(dst.port), '{foo}b', '0', '5000', 'COPY')).toBe('+OK\r\n');
    expect(await s.text('MIGRATE', '127.0.0.1', String(dst.port), '{foo}b', '0', '5000', 'COPY')).toBe(
      '-ERR Target instance replied with error: BUSYKEY Target key name already exists.\r\n',
    );
    expect(await s.text('MIGRATE', '127.0.0.1', String(dst.port), '', '0', '5000', 'REPLACE', 'KEYS', 'foo', '{foo}b')).toBe('+OK\r\n');
    expect(await s.text('CLUSTER', 'COUNTKEYSINSLOT', '12182')).toBe(':0\r\n');
    expect(await d.text('CLUSTER', 'SETSLOT', '12182', 'NODE', ids[0]!)).toBe('+OK\r\n');
    expect(await s.text('CLUSTER', 'SETSLOT', '12182', 'NODE', ids[0]!)).toBe('+OK\r\n');
    // The importer took a new configEpoch; gossip tells the third node without being told.
    await waitFor('the third node to learn the new owner', async () => (await cmd(other.port, 'GET', 'foo')).startsWith(`-MOVED 12182 127.0.0.1:${dst.port}`));
    expect(await d.text('GET', 'foo')).toBe('$3\r\nbar\r\n');
    expect(await d.text('MGET', '{foo}a', '{foo}b')).toBe('*2\r\n$1\r\nA\r\n$1\r\nB\r\n');
    expect(await d.text('CLUSTER', 'NODES')).toMatch(new RegExp(`${ids[0]} \\S+ myself,master - 0 \\d+ 4 connected 0-5460 12182\\n`));
    expect(await cmd(other.port, 'CLUSTER', 'NODES')).toMatch(new RegExp(`${ids[2]} \\S+ master - \\d+ \\d+ 3 connected 10922-12181 12183-16383\\n`));
    s.close();
    d.close();
  });

  it('MIGRATE to an unreachable target answers IOERR and keeps the key', async () => {
    const n = nodes[0]!;
    await cmd(n.port, 'SET', 'key:0', 'v');
    expect(await cmd(n.port, 'MIGRATE', '127.0.0.1', '1', 'key:0', '0', '500')).toMatch(/^-IOERR error or timeout (writing|reading) to target instance\r\n$/);
    expect(await cmd(n.port, 'GET', 'key:0')).toBe('$1\r\nv\r\n');
  });

  it('a node restarted keeps its id, epochs and slots and the others accept it back', async () => {
    const n = nodes[1]!;
    const before = await cmd(n.port, 'CLUSTER', 'NODES');
    const myLine = before.split('\n').find((l) => l.includes('myself'))!;
    await stop(n);
    await launch(n);
    const after = await cmd(n.port, 'CLUSTER', 'NODES');
    const myLineAfter = after.split('\n').find((l) => l.includes('myself'))!;
    const fields = (l: string): string[] => l.split(' ').filter((_, i) => i !== 4 && i !== 5);
    expect(fields(myLineAfter)).toEqual(fields(myLine));
    expect(await cmd(n.port, 'CLUSTER', 'INFO')).toContain('cluster_current_epoch:4\r\n');
    await waitForOk(nodes);
    await waitFor('the others to see the restarted node connected', async () => {
      for (const o of [nodes[0]!, nodes[2]!]) {
        const v = await cmd(o.port, 'CLUSTER', 'NODES');
        if (!new RegExp(`${ids[1]} \\S+ master - 0 \\d+ 2 connected 5461-10921\\n`).test(v)) return false;
      }
      return true;
    });
  }, 60_000);

  it('PUBLISH on one node reaches subscribers on every node byte for byte, its reply counting the local ones', async () => {
    await waitForOk(nodes);
    const channel = 'news\x00\xff';
    const bulk = (s: string): string => `$${s.length}\r\n${s}\r\n`;
    const here = await RawClient.connect(nodes[0]!.port);
    const there = await RawClient.connect(nodes[1]!.port);
    const pattern = await RawClient.connect(nodes[2]!.port);
    try {
      expect((await here.call('SUBSCRIBE', Buffer.from(channel, 'latin1'))).toString('latin1')).toBe(`*3\r\n$9\r\nsubscribe\r\n${bulk(channel)}:1\r\n`);
      await there.call('SUBSCRIBE', Buffer.from(channel, 'latin1'));
      await pattern.call('PSUBSCRIBE', 'news*');
      // Redis counts the receivers on the node that ran PUBLISH only.
      expect(await cmd(nodes[0]!.port, 'PUBLISH', channel, 'a\r\nb')).toBe(':1\r\n');
      for (const c of [here, there]) expect((await c.next()).toString('latin1')).toBe(`*3\r\n$7\r\nmessage\r\n${bulk(channel)}${bulk('a\r\nb')}`);
      expect((await pattern.next()).toString('latin1')).toBe(`*4\r\n$8\r\npmessage\r\n${bulk('news*')}${bulk(channel)}${bulk('a\r\nb')}`);
      // A message bigger than any other bus frame (MAX_BODY, 1 MiB) arrives whole.
      const big = Buffer.alloc(3 << 20);
      for (let i = 0; i < big.length; i++) big[i] = (i * 7919) & 0xff;
      const publisher = await RawClient.connect(nodes[2]!.port);
      // Its one local receiver is the pattern subscriber on the same node.
      expect((await publisher.call('PUBLISH', Buffer.from(channel, 'latin1'), big)).toString()).toBe(':1\r\n');
      publisher.close();
      const expected = Buffer.concat([Buffer.from(`*3\r\n$7\r\nmessage\r\n${bulk(channel)}$${big.length}\r\n`, 'latin1'), big, Buffer.from('\r\n')]);
      for (const c of [here, there]) expect((await c.next()).equals(expected)).toBe(true);
      expect((await pattern.next()).subarray(-big.length - 2, -2).equals(big)).toBe(true);
      const info = await cmd(nodes[2]!.port, 'CLUSTER', 'INFO');
      expect(info).toContain('cluster_stats_messages_publish_sent:2\r\n');
      expect(await cmd(nodes[0]!.port, 'CLUSTER', 'INFO')).toContain('cluster_stats_messages_publish_received:1\r\n');
    } finally {
      for (const c of [here, there, pattern]) c.close();
    }
  }, 30_000);

  it('SSUBSCRIBE and SPUBLISH route by the channel slot and stay on its owner; losing the slot unsubscribes with sunsubscribe', async () => {
    await waitForOk(nodes);
    // A channel on node 0's slots (0-5460) holding no keys, so that the slot can be given away.
    let channel = '';
    let slot = -1;
    for (let i = 0; slot < 0; i++) {
      const s = Number((await cmd(nodes[0]!.port, 'CLUSTER', 'KEYSLOT', `ch${i}`)).slice(1));
      if (s <= 5460 && (await cmd(nodes[0]!.port, 'CLUSTER', 'COUNTKEYSINSLOT', String(s))) === ':0\r\n') [channel, slot] = [`ch${i}`, s];
    }
    expect(await cmd(nodes[1]!.port, 'SSUBSCRIBE', channel)).toBe(`-MOVED ${slot} 127.0.0.1:${nodes[0]!.port}\r\n`);
    expect(await cmd(nodes[0]!.port, 'SSUBSCRIBE', channel, 'foo')).toBe("-CROSSSLOT Keys in request don't hash to the same slot\r\n");
    expect(await cmd(nodes[1]!.port, 'SPUBLISH', channel, 'm')).toBe(`-MOVED ${slot} 127.0.0.1:${nodes[0]!.port}\r\n`);
    const sub = await RawClient.connect(nodes[0]!.port);
    const plain = await RawClient.connect(nodes[1]!.port);
    try {
      expect(await sub.text('SSUBSCRIBE', channel)).toBe(`*3\r\n$10\r\nssubscribe\r\n$${channel.length}\r\n${channel}\r\n:1\r\n`);
      await plain.text('SUBSCRIBE', channel);
      // Delivered on the owner only: no bus broadcast, and a plain subscriber of the same name hears nothing.
      expect(await cmd(nodes[0]!.port, 'SPUBLISH', channel, 'm1')).toBe(':1\r\n');
      expect((await sub.next()).toString('latin1')).toBe(`*3\r\n$8\r\nsmessage\r\n$${channel.length}\r\n${channel}\r\n$2\r\nm1\r\n`);
      expect(await cmd(nodes[1]!.port, 'PUBSUB', 'NUMSUB', channel)).toBe(`*2\r\n$${channel.length}\r\n${channel}\r\n:1\r\n`);
      // The slot moves to node 2 (higher configEpoch, so every node takes its claim): the subscriber is told.
      expect(await cmd(nodes[0]!.port, 'CLUSTER', 'SETSLOT', String(slot), 'NODE', ids[2]!)).toBe('+OK\r\n');
      expect(await cmd(nodes[2]!.port, 'CLUSTER', 'SETSLOT', String(slot), 'NODE', ids[2]!)).toBe('+OK\r\n');
      expect((await sub.next()).toString('latin1')).toBe(`*3\r\n$12\r\nsunsubscribe\r\n$${channel.length}\r\n${channel}\r\n:0\r\n`);
      expect(await cmd(nodes[0]!.port, 'PUBSUB', 'SHARDCHANNELS')).toBe('*0\r\n');
      expect(await cmd(nodes[0]!.port, 'SSUBSCRIBE', channel)).toBe(`-MOVED ${slot} 127.0.0.1:${nodes[2]!.port}\r\n`);
      // Back to node 0, which first takes a configEpoch above node 2's.
      expect(await cmd(nodes[0]!.port, 'CLUSTER', 'BUMPEPOCH')).toMatch(/^\+(BUMPED|STILL) \d+\r\n$/);
      expect(await cmd(nodes[2]!.port, 'CLUSTER', 'SETSLOT', String(slot), 'NODE', ids[0]!)).toBe('+OK\r\n');
      expect(await cmd(nodes[0]!.port, 'CLUSTER', 'SETSLOT', String(slot), 'NODE', ids[0]!)).toBe('+OK\r\n');
      await waitFor('the slot back on node 0 everywhere', async () => {
        for (const n of nodes.slice(1)) if ((await cmd(n.port, 'SPUBLISH', channel, 'x')) !== `-MOVED ${slot} 127.0.0.1:${nodes[0]!.port}\r\n`) return false;
        return (await cmd(nodes[0]!.port, 'SPUBLISH', channel, 'x')) === ':0\r\n';
      });
    } finally {
      sub.close();
      plain.close();
    }
  }, 30_000);

  it('CLUSTER FORGET removes a node and gossip does not bring it back for a minute', async () => {
    const c0 = nodes[0]!;
    expect(await cmd(c0.port, 'CLUSTER', 'FORGET', '0'.repeat(40))).toBe(`-ERR Unknown node ${'0'.repeat(40)}\r\n`);
    // Forgetting a node that still owns slots unassigns them in this node's view.
    expect(await cmd(c0.port, 'CLUSTER', 'FORGET', ids[1]!)).toBe('+OK\r\n');
    await new Promise((r) => setTimeout(r, 1500));
    expect(await cmd(c0.port, 'CLUSTER', 'NODES')).not.toContain(ids[1]!);
    expect(await cmd(c0.port, 'CLUSTER', 'INFO')).toContain('cluster_state:fail\r\n');
  });
});

describe('replicas, links and reset', () => {
  const nodes: ClusterTestNode[] = [];
  const ids: string[] = [];
  beforeAll(async () => {
    for (let i = 0; i < 2; i++) nodes.push(await newNode());
    await Promise.all(nodes.map((n) => launch(n)));
    await cmd(nodes[0]!.port, 'CLUSTER', 'ADDSLOTSRANGE', '0', '16383');
    await cmd(nodes[1]!.port, 'CLUSTER', 'MEET', '127.0.0.1', String(nodes[0]!.port), String(nodes[0]!.busPort));
    await waitForOk(nodes);
    for (const n of nodes) ids.push((await cmd(n.port, 'CLUSTER', 'MYID')).slice(5, 45));
  }, 60_000);
  afterAll(() => stopAll(nodes));

  it('CLUSTER REPLICATE makes the node a replica everyone sees, and REPLICAS lists it without a newline', async () => {
    const [m, r] = nodes as [ClusterTestNode, ClusterTestNode];
    expect(await cmd(m.port, 'CLUSTER', 'REPLICATE', ids[1]!)).toBe('-ERR To set a master the node must be empty and without assigned slots.\r\n');
    expect(await cmd(r.port, 'CLUSTER', 'REPLICATE', ids[0]!)).toBe('+OK\r\n');
    expect(await cmd(r.port, 'CLUSTER', 'NODES')).toMatch(new RegExp(`${ids[1]} \\S+ myself,slave ${ids[0]} 0 \\d+ \\d+ connected\\n`));
    // Linked too: on a loaded machine a bus link may be between reconnections when the new role arrives.
    const linkedReplica = new RegExp(`${ids[1]} \\S+ slave ${ids[0]} \\d+ \\d+ \\d+ connected`);
    await waitFor('the master to see its replica, linked', async () => linkedReplica.test(await cmd(m.port, 'CLUSTER', 'NODES')));
    const reps = await cmd(m.port, 'CLUSTER', 'REPLICAS', ids[0]!);
    expect(reps).toMatch(new RegExp(`^\\*1\\r\\n\\$\\d+\\r\\n${ids[1]} 127\\.0\\.0\\.1:${r.port}@${r.busPort} slave ${ids[0]} \\d+ \\d+ \\d+ connected\\r\\n$`));
    expect(await cmd(m.port, 'CLUSTER', 'SLAVES', ids[0]!)).toBe(reps);
    expect(await cmd(m.port, 'CLUSTER', 'REPLICAS', ids[1]!)).toBe('-ERR The specified node is not a master\r\n');
    expect(await cmd(m.port, 'CLUSTER', 'COUNT-FAILURE-REPORTS', ids[1]!)).toBe(':0\r\n');
    expect(await cmd(r.port, 'CLUSTER', 'SETSLOT', '1', 'STABLE')).toBe('-ERR Please use SETSLOT only with masters.\r\n');
    expect(await cmd(r.port, 'CLUSTER', 'FORGET', ids[0]!)).toBe("-ERR Can't forget my master!\r\n");
    expect(await cmd(r.port, 'CLUSTER', 'MYSHARDID')).toBe(await cmd(m.port, 'CLUSTER', 'MYSHARDID'));
  });

  it('a replica answers MOVED to its master, and serves reads after READONLY', async () => {
    const [m, r] = nodes as [ClusterTestNode, ClusterTestNode];
    expect(await cmd(r.port, 'GET', 'key:0')).toBe(`-MOVED 2592 127.0.0.1:${m.port}\r\n`);
    const c = await RawClient.connect(r.port);
    expect(await c.text('READONLY')).toBe('+OK\r\n');
    expect(await c.text('GET', 'key:0')).toBe('$-1\r\n');
    expect(await c.text('SET', 'key:0', 'z')).toBe(`-MOVED 2592 127.0.0.1:${m.port}\r\n`);
    expect(await c.text('READWRITE')).toBe('+OK\r\n');
    expect(await c.text('GET', 'key:0')).toBe(`-MOVED 2592 127.0.0.1:${m.port}\r\n`);
    c.close();
  });

  it('CLUSTER SHARDS in RESP3 uses maps and CLUSTER SLOTS an empty metadata map', async () => {
    const c = await RawClient.connect(nodes[0]!.port);
    await c.text('HELLO', '3');
    const shards = await c.text('CLUSTER', 'SHARDS');
    expect(shards.startsWith(`*1\r\n%2\r\n$5\r\nslots\r\n*2\r\n:0\r\n:16383\r\n$5\r\nnodes\r\n*2\r\n%7\r\n$2\r\nid\r\n$40\r\n${ids[0]}\r\n`)).toBe(true);
    expect(shards).toContain('$4\r\nrole\r\n$7\r\nreplica\r\n$18\r\nreplication-offset\r\n:0\r\n$6\r\nhealth\r\n$7\r\nloading\r\n');
    expect(await c.text('CLUSTER', 'SLOTS')).toBe(`*1\r\n*3\r\n:0\r\n:16383\r\n*4\r\n$9\r\n127.0.0.1\r\n:${nodes[0]!.port}\r\n$40\r\n${ids[0]}\r\n%0\r\n`);
    const links = await c.text('CLUSTER', 'LINKS');
    expect(links).toMatch(new RegExp(`^\\*2\\r\\n%6\\r\\n\\$9\\r\\ndirection\\r\\n\\$(2\\r\\nto|4\\r\\nfrom)\\r\\n\\$4\\r\\nnode\\r\\n\\$40\\r\\n${ids[1]}\\r\\n\\$11\\r\\ncreate-time\\r\\n:\\d+\\r\\n`));
    c.close();
  });

  it('CLUSTER RESET HARD gives the node a new id and forgets everyone', async () => {
    const r = nodes[1]!;
    expect(await cmd(r.port, 'CLUSTER', 'RESET', 'BOGUS')).toBe('-ERR syntax error\r\n');
    expect(await cmd(r.port, 'CLUSTER', 'RESET', 'HARD')).toBe('+OK\r\n');
    const id = (await cmd(r.port, 'CLUSTER', 'MYID')).slice(5, 45);
    expect(id).not.toBe(ids[1]);
    expect(await cmd(r.port, 'CLUSTER', 'NODES')).toMatch(new RegExp(`^\\$\\d+\\r\\n${id} 127\\.0\\.0\\.1:${r.port}@${r.busPort} myself,master - 0 0 0 connected\\n\\r\\n$`));
    expect(await cmd(nodes[0]!.port, 'CLUSTER', 'RESET')).toBe('+OK\r\n');
  });
});
