/**
 * `shardis migrate` killed with SIGKILL at a random point, then finished: a
 * dozen rounds on one 3-primary Shardis cluster holding 20,000 keys (plus
 * 600 keys in one hash-tag slot, so that a single slot takes many batches),
 * and three rounds on a real Redis 7 cluster holding the same keys.
 *
 * Each round picks a source, a target and 40-160 slots the source
 * owns, starts `node dist/scripts/shardis.js migrate --from A --to B --slots
 * ... --yes --rate N --method transfer` (`--method migrate`, the default,
 * every fourth round) (N: the round's keys over 3 s, at most 500 keys/s
 * on Shardis and 50 on Redis, so the run outlasts the longest kill delay),
 * kills it a random delay (0-1.5 s) after it printed
 * its plan, then either runs the same command again to completion or runs
 * `shardis fix` (every third round).
 * Afterwards every node agrees on every slot's owner, no slot is open, each
 * moved slot's keys are on its owner only, DBSIZE adds up to the keys
 * written and each key of the round's slots reads back its value through
 * the client (so each is present exactly once, on its owner; after the last
 * round every key is read), and `shardis check` exits 0.
 *
 * The delays come from a seeded generator; the seed is printed, and
 * KILL_RESUME_SEED=<seed> replays the same rounds (same slots and delays;
 * where the kill lands still depends on the machine's speed);
 * KILL_RESUME_ROUNDS sets the number of Shardis rounds (12).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisAvailable } from '../../helpers/servers.js';
import { startRedisCluster, startShardisCluster, type RunningCluster } from '../../client/helpers/redis-cluster.js';
import { keySlot, SLOT_COUNT } from '../../../src/router/slot.js';
import { formatSlotRanges } from '../../../src/router/slot-map.js';
import { AdminConnection } from '../../../scripts/admin/conn.js';
import { parseClusterNodes } from '../../../scripts/admin/view.js';
import { addr, cli, keysPerSlot, missingKeys, startCli, writeKeys } from './helpers.js';

const SEED = process.env.KILL_RESUME_SEED ? Number(process.env.KILL_RESUME_SEED) : Date.now() % 2 ** 31;

/** mulberry32: a small seeded generator, uniform in [0, 1). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface State {
  /** Owner port per slot in the first node's opinion (0: none). */
  owners: number[];
  /** `port: slot state` of every open slot on any node. */
  open: string[];
  /** Ports whose opinion differs from the first node's. */
  disagree: number[];
}

async function onNodes<T>(c: RunningCluster, fn: (conns: AdminConnection[]) => Promise<T>): Promise<T> {
  const conns = await Promise.all(c.ports.map((p) => AdminConnection.open('127.0.0.1', p)));
  try {
    return await fn(conns);
  } finally {
    for (const x of conns) x.close();
  }
}

async function clusterState(c: RunningCluster): Promise<State> {
  return onNodes(c, async (conns) => {
    const st: State = { owners: [], open: [], disagree: [] };
    for (const [i, conn] of conns.entries()) {
      const raw = await conn.call('CLUSTER', 'NODES');
      const lines = parseClusterNodes(Buffer.isBuffer(raw) ? raw.toString('latin1') : String(raw), '127.0.0.1');
      const owners = new Array<number>(SLOT_COUNT).fill(0);
      for (const l of lines) for (const s of l.slots) owners[s] = l.port;
      const me = lines.find((l) => l.flags.includes('myself'))!;
      for (const [s] of me.migrating) st.open.push(`${c.ports[i]}: ${s} migrating`);
      for (const [s] of me.importing) st.open.push(`${c.ports[i]}: ${s} importing`);
      if (i === 0) st.owners = owners;
      else if (owners.some((o, s) => o !== st.owners[s])) st.disagree.push(c.ports[i]!);
    }
    return st;
  });
}

/** The checks after each round (see the module comment). */
async function verify(c: RunningCluster, keys: string[], bySlot: Map<number, string[]>, slots: number[]): Promise<void> {
  const st = await clusterState(c);
  expect(st.open, 'open slots').toEqual([]);
  expect(st.disagree, 'nodes disagreeing with the first about slot owners').toEqual([]);
  expect(st.owners.indexOf(0), 'a slot without owner').toBe(-1);
  await onNodes(c, async (conns) => {
    const sizes = await Promise.all(conns.map((x) => x.call('DBSIZE')));
    expect(sizes.reduce((a: number, b) => a + Number(b), 0), 'keys in the cluster').toBe(keys.length);
    for (const [i, conn] of conns.entries()) {
      const counts = await Promise.all(slots.map((s) => conn.call('CLUSTER', 'COUNTKEYSINSLOT', s)));
      const wrong = slots.filter((s, j) => Number(counts[j]) !== (st.owners[s] === c.ports[i] ? (bySlot.get(s)?.length ?? 0) : 0));
      expect(wrong, `slots of the round whose key count on ${c.ports[i]} is wrong`).toEqual([]);
    }
  });
  // Keys of other slots did not move; the last round reads them all.
  expect(await missingKeys(c, slots.flatMap((s) => bySlot.get(s) ?? [])), 'keys not read back with their value').toEqual([]);
  const check = await cli('check', addr(c.ports[0]!));
  expect(check.code, check.stdout + check.stderr).toBe(0);
}

/**
 * `rounds` kill-then-finish rounds; returns how many kills landed midway
 * (the migration had started and not finished).
 */
async function killResumeLoop(c: RunningCluster, keys: string[], tagSlot: number, rounds: number, seed: number, maxDelay: number, rate: number): Promise<number> {
  const rand = prng(seed);
  const bySlot = keysPerSlot(keys);
  let midway = 0;
  for (let round = 0; round < rounds; round++) {
    const { owners } = await clusterState(c);
    const from = c.ports[Math.floor(rand() * c.ports.length)]!;
    const to = c.ports.filter((p) => p !== from)[Math.floor(rand() * (c.ports.length - 1))]!;
    // 40-160 slots of the source, from a random start; the big slot half of the time.
    const mine: number[] = [];
    for (let s = 0; s < SLOT_COUNT; s++) if (owners[s] === from && s !== tagSlot) mine.push(s);
    const width = 40 + Math.floor(rand() * 120);
    const start = Math.floor(rand() * Math.max(1, mine.length - width));
    const slots = mine.slice(start, start + width);
    if (rand() < 0.5 && owners[tagSlot] === from) slots.push(tagSlot);
    slots.sort((a, b) => a - b);
    const delay = Math.floor(rand() * maxDelay);
    const batch = 1 + Math.floor(rand() * 20);
    const finish = round % 3 === 2 ? 'fix' : 'rerun';
    // --method transfer, and MIGRATE (the default) every fourth round.
    const method = round % 4 === 3 ? 'migrate' : 'transfer';
    // Throttle so that the run lasts about twice the longest kill delay
    // (at most `rate` keys/s): then the kill lands midway however fast the
    // nodes move keys on this machine.
    const planKeys = slots.reduce((n, sl) => n + (bySlot.get(sl)?.length ?? 0), 0);
    const roundRate = Math.max(1, Math.min(rate, Math.floor(planKeys / ((2 * maxDelay) / 1000))));
    const args = ['migrate', '--from', addr(from), '--to', addr(to), '--slots', formatSlotRanges(slots), '--yes', '--batch', String(batch), '--pipeline', '2', '--rate', String(roundRate), '--method', method];
    const run = startCli(args);
    // The delay counts from the plan's printing, so that it lands in the migration, not in node's startup.
    const t0 = Date.now();
    while (!/Moving \d+ slots/.test(run.output()) && run.proc.exitCode === null && Date.now() - t0 < 30_000) await sleep(10);
    await sleep(delay);
    run.proc.kill('SIGKILL');
    const killed = await run.done;
    const after = await clusterState(c);
    const moved = slots.filter((s) => after.owners[s] === to).length;
    const wasMidway = killed.code === null && (after.open.length > 0 || (moved > 0 && moved < slots.length));
    if (wasMidway) midway++;
    console.log(`kill-resume ${c.name} seed ${seed} round ${round}: ${slots.length} slots ${addr(from)} -> ${addr(to)}, ${method}, batch ${batch}, SIGKILL after ${delay} ms: ${killed.code === null ? `killed with ${moved} slots moved, ${after.open.length} open` : `had exited with ${killed.code}`}; then ${finish}`);
    const t1 = Date.now();
    const done = finish === 'rerun' ? await cli(...args) : await cli('fix', addr(c.ports[0]!), '--yes');
    const t2 = Date.now();
    expect(done.code, `${finish} after the kill in round ${round} (seed ${seed}):\n${done.stdout}${done.stderr}`).toBe(0);
    if (finish === 'rerun') {
      const final = await clusterState(c);
      expect(slots.filter((s) => final.owners[s] !== to), 'slots the rerun left on the source').toEqual([]);
    }
    await verify(c, keys, bySlot, slots);
    console.log(`  ${finish} ${t2 - t1} ms, checks ${Date.now() - t2} ms`);
  }
  expect(await missingKeys(c, keys), 'keys not read back with their value').toEqual([]);
  return midway;
}

describe.runIf(redisAvailable())('shardis migrate killed with SIGKILL and finished (Shardis cluster)', () => {
  let c: RunningCluster;
  let keys: string[];
  beforeAll(async () => {
    c = await startShardisCluster(3);
    keys = [...(await writeKeys(c, 'kr', 20_000)), ...(await writeKeys(c, '{krtag}', 600))];
  }, 120_000);
  afterAll(async () => c?.stop());

  it('migrate killed at a random point and run again, or fixed, leaves every key exactly once on its owner', async () => {
    console.log(`kill-resume seed ${SEED} (replay with KILL_RESUME_SEED=${SEED})`);
    const midway = await killResumeLoop(c, keys, keySlot('{krtag}'), Number(process.env.KILL_RESUME_ROUNDS ?? 12), SEED, 1500, 500);
    // Most kills must land while keys are moving, or the test shows nothing.
    expect(midway).toBeGreaterThanOrEqual(3);
  }, 420_000);
});

describe.runIf(redisAvailable())('shardis migrate killed with SIGKILL and finished (Redis 7 cluster)', () => {
  let c: RunningCluster;
  let keys: string[];
  beforeAll(async () => {
    c = await startRedisCluster(3);
    keys = [...(await writeKeys(c, 'kr', 20_000)), ...(await writeKeys(c, '{krtag}', 600))];
  }, 120_000);
  afterAll(async () => c?.stop());

  it('migrate killed at a random point and run again, or fixed, leaves every key exactly once on its owner', async () => {
    const seed = SEED + 1;
    console.log(`kill-resume redis seed ${seed} (replay with KILL_RESUME_SEED=${SEED})`);
    const midway = await killResumeLoop(c, keys, keySlot('{krtag}'), 3, seed, 1500, 50);
    expect(midway).toBeGreaterThanOrEqual(1);
  }, 180_000);
});
