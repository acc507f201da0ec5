import { describe, expect, it } from 'vitest';
import { formatNodesConf, parseNodesConf } from '../../../src/node/cluster/nodes-conf.js';
import { ClusterNode, ClusterState, NODE_FLAGS } from '../../../src/node/cluster/state.js';

describe('nodes.conf', () => {
  it('formatNodesConf and parseNodesConf round-trip identity, epochs, slots, open slots and replicas', () => {
    const me = new ClusterNode('a'.repeat(40), NODE_FLAGS.myself | NODE_FLAGS.master, 0);
    Object.assign(me, { ip: '127.0.0.1', port: 7000, cport: 17000, configEpoch: 7 });
    const st = new ClusterState(me);
    const b = new ClusterNode('b'.repeat(40), NODE_FLAGS.master, 0);
    Object.assign(b, { ip: '127.0.0.1', port: 7001, cport: 17001, configEpoch: 3 });
    const r = new ClusterNode('c'.repeat(40), NODE_FLAGS.slave, 0);
    Object.assign(r, { ip: '127.0.0.1', port: 7002, cport: 17002, master: b });
    st.addNode(b);
    st.addNode(r);
    st.currentEpoch = 9;
    st.lastVoteEpoch = 2;
    for (let s = 0; s <= 5460; s++) st.slots.set(s, me);
    st.slots.set(12182, me);
    for (let s = 5461; s <= 10922; s++) st.slots.set(s, b);
    st.migratingTo.set(100, b);
    st.importingFrom.set(6000, b);
    const text = formatNodesConf(st, 1_700_000_000_000);
    expect(text).toContain(`${'a'.repeat(40)} 127.0.0.1:7000@17000 myself,master - 0 1700000000000 7 connected 0-5460 12182 [100->-${'b'.repeat(40)}] [6000-<-${'b'.repeat(40)}]\n`);
    expect(text).toContain(`${'c'.repeat(40)} 127.0.0.1:7002@17002 slave ${'b'.repeat(40)} 0 0 3 disconnected\n`);
    expect(text.endsWith('vars currentEpoch 9 lastVoteEpoch 2\n')).toBe(true);
    const back = parseNodesConf(text, 0)!;
    expect(back.myself.id).toBe(me.id);
    expect(back.myself.configEpoch).toBe(7);
    expect(back.currentEpoch).toBe(9);
    expect(back.lastVoteEpoch).toBe(2);
    expect(back.slots.slotsOf(back.myself).length).toBe(5462);
    expect(back.slots.get(6000)!.id).toBe(b.id);
    expect(back.migratingTo.get(100)!.id).toBe(b.id);
    expect(back.importingFrom.get(6000)!.id).toBe(b.id);
    expect(back.nodes.get(r.id)!.master!.id).toBe(b.id);
    expect(formatNodesConf(back, 1_700_000_000_000)).toBe(text);
  });

  it('parseNodesConf refuses a file without a myself line', () => {
    expect(() => parseNodesConf(`${'a'.repeat(40)} 127.0.0.1:7000@17000 master - 0 0 1 connected\n`, 0)).toThrow(/myself/);
  });
});
