import { describe, it, expect } from 'vitest';
import { SlotMap } from '../../src/client/slot-map.js';

const reply = (p1: number, p2: number): unknown => [
  [0, 8191, ['10.0.0.1', p1, 'id1', []], ['10.0.0.3', 7003, 'id3', []]],
  [8192, 16383, ['', p2, 'id2', []]],
];

describe('SlotMap', () => {
  it('SlotMap.apply() fills every slot, uses the queried host for an empty endpoint and applies natMap', () => {
    const m = new SlotMap([{ host: 'seed', port: 1 }], async () => null, { '10.0.0.1:7001': { host: '127.0.0.1', port: 17001 } });
    const change = m.apply(reply(7001, 7002), { host: 'seed', port: 1 });
    expect(m.slots[0]!.primary).toMatchObject({ host: '127.0.0.1', port: 17001, id: 'id1', role: 'primary' });
    expect(m.slots[0]!.replicas[0]).toMatchObject({ host: '10.0.0.3', port: 7003, role: 'replica' });
    expect(m.slots[16383]!.primary).toMatchObject({ host: 'seed', port: 7002 });
    expect(change.added).toHaveLength(3);
    expect(change.movedSlots).toBe(16384);
  });

  it('SlotMap.apply() reports added and removed nodes and moved slots', () => {
    const m = new SlotMap([{ host: 'seed', port: 1 }], async () => null);
    m.apply(reply(7001, 7002), { host: 'h', port: 1 });
    const change = m.apply(reply(7001, 7005), { host: 'h', port: 1 });
    expect(change.added.map((n) => n.port)).toEqual([7005]);
    expect(change.removed.map((n) => n.port)).toEqual([7002]);
    expect(change.movedSlots).toBe(8192);
  });

  it('SlotMap.apply() rejects ranges outside 0..16383', () => {
    const m = new SlotMap([{ host: 'seed', port: 1 }], async () => null);
    expect(() => m.apply([[0, 16384, ['h', 1, 'x', []]]], { host: 'h', port: 1 })).toThrow(TypeError);
  });

  it('SlotMap.refresh() is a single flight: a burst costs one fetch plus one rerun', async () => {
    let fetches = 0;
    const m = new SlotMap([{ host: 'seed', port: 1 }], async () => {
      fetches++;
      await new Promise((r) => setTimeout(r, 5));
      return reply(7001, 7002);
    });
    await Promise.all(Array.from({ length: 20 }, () => m.refresh()));
    await m.idle();
    expect(fetches).toBe(2);
  });

  it('SlotMap.refresh() fails with a TopologyError whose cause lists every node error', async () => {
    const m = new SlotMap([{ host: 'a', port: 1 }, { host: 'b', port: 2 }], async (n) => {
      throw new Error(`down ${n.host}`);
    });
    const err = (await m.refresh().catch((e: unknown) => e)) as Error;
    expect(err.name).toBe('TopologyError');
    expect((err.cause as AggregateError).errors.map((e: Error) => e.message).sort()).toEqual(['down a', 'down b']);
  });

  it('SlotMap.moved() patches one slot only', () => {
    const m = new SlotMap([{ host: 'seed', port: 1 }], async () => null);
    m.apply(reply(7001, 7002), { host: 'h', port: 1 });
    m.moved(5, { host: 'h', port: 7002 });
    expect(m.slots[5]!.primary.port).toBe(7002);
    expect(m.slots[4]!.primary.port).toBe(7001);
  });
});
