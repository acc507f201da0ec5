/**
 * `shardis`: the admin CLI of a Shardis (or Redis 7) cluster.
 *
 *   shardis check <host:port>      coverage, agreement, open slots, misplaced keys (exit 1 on a problem)
 *   shardis info <host:port>       keys, slots and role per node
 *   shardis migrate ...            move slots between two primaries (resumable)
 *   shardis fix <host:port>        close half-open slots, assign uncovered slots
 *   shardis map <host:port>        who owns each slot
 *   shardis call <host:port> cmd   run a command on every primary
 *   shardis add-node <new> <node>  join an empty node (as a primary, or --replica-of)
 *   shardis del-node <node> <id>   remove a node that owns no slot
 *
 * Commands that change the cluster ask for confirmation unless --yes and
 * print their plan only with --dry-run. Every command takes --json. Errors
 * are one line naming the node and the fix; the exit code is then 1.
 */
import { createInterface } from 'node:readline/promises';
import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { parseSlotRanges } from '../src/router/slot-map.js';
import { AdminError } from './admin/conn.js';
import { formatCheck, runCheck } from './admin/check.js';
import { formatInfo, runInfo } from './admin/info.js';
import { formatPlan, planMigration, runMigration, saveCountPick, type MigrateOptions, type StopSignal } from './admin/migrate.js';
import { planFix } from './admin/fix.js';
import { planRebalance } from './admin/rebalance.js';
import { formatCreatePlan, planFromAddrs, planFromFile, runCreate } from './admin/create.js';
import { formatSlotRanges } from '../src/router/slot-map.js';
import { label } from './admin/view.js';
import { formatMap, slotRuns } from './admin/map.js';
import { formatReply, runCall } from './admin/call.js';
import { formatBytes, Progress } from './admin/progress.js';
import { formatAddNodePlan, planAddNode, runAddNode } from './admin/add-node.js';
import { formatDelNodePlan, planDelNode, runDelNode } from './admin/del-node.js';
import { findNode, loadCluster, type ClusterView } from './admin/view.js';

function print(json: unknown, value: unknown, text: string): void {
  process.stdout.write(json === true ? `${JSON.stringify(value, null, 2)}\n` : `${text}\n`);
}

/** Asks "yes?" on a TTY; without a TTY, refuses unless --yes was given. */
async function confirm(question: string, yes: boolean): Promise<void> {
  if (yes) return;
  if (!process.stdin.isTTY) throw new AdminError(`${question.trim()} Refusing to change the cluster without confirmation; pass --yes (or --dry-run to only see the plan)`);
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`${question} Type 'yes' to continue: `);
    if (answer.trim().toLowerCase() !== 'yes') throw new AdminError('Aborted: nothing was changed');
  } finally {
    rl.close();
  }
}

/** Loads the cluster, runs `fn`, always closes the connections. */
async function withCluster(seed: string, fn: (view: ClusterView) => Promise<void>): Promise<void> {
  const view = await loadCluster(seed);
  try {
    await fn(view);
  } finally {
    view.close();
  }
}

/** Ctrl-C once: stop at the next safe point; twice: exit now. */
function onInterrupt(stop: StopSignal): () => void {
  const handler = (): void => {
    if (stop.stopped) {
      process.stderr.write('\nInterrupted again: exiting now. Slots may be left open; run the same command again or shardis fix to finish them.\n');
      process.exit(130);
    }
    stop.stopped = true;
    process.stderr.write('\nStopping after the current batch (Ctrl-C again to exit at once)...\n');
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}

/** --batch, --pipeline and --parallel when not given, per --method (transfer: tuned with bench/migrate.ts). */
const MOVE_DEFAULTS = {
  transfer: { batch: 100, pipeline: 8, parallel: 16 },
  migrate: { batch: 100, pipeline: 4, parallel: 8 },
} as const;

function migrateOptions(a: Record<string, unknown>): MigrateOptions {
  const method = a.method === 'transfer' ? 'transfer' : 'migrate';
  a = { ...a };
  for (const [k, v] of Object.entries(MOVE_DEFAULTS[method])) a[k] ??= v;
  const int = (name: string, min: number): number => {
    const v = Number(a[name]);
    if (!Number.isInteger(v) || v < min) throw new AdminError(`--${name} must be an integer >= ${min}, got '${String(a[name])}'`);
    return v;
  };
  let slots: number[] | undefined;
  if (a.slots !== undefined) {
    try {
      slots = parseSlotRanges(String(a.slots));
    } catch (err) {
      throw new AdminError(`--slots: ${(err as Error).message}; write slots as 0-99,200`);
    }
  }
  return {
    slots, count: a.count === undefined ? undefined : int('count', 1),
    batch: int('batch', 1), pipeline: int('pipeline', 1), parallel: int('parallel', 1), rate: Number(a.rate ?? 0), timeout: int('timeout', 1),
    replace: a.replace === true, fresh: a.fresh === true,
    method,
  };
}

/** The node to load the cluster from: the positional one, else --from if it is an address. */
function seedOf(node: string | undefined, from: string): string {
  if (node) return node;
  if (/:\d+$/.test(from) && !from.startsWith(':')) return from;
  throw new AdminError(`--from ${from} is not host:port; name a node to load the cluster from: shardis migrate <host:port> --from ${from} ...`);
}

/** --dry-run and --yes: every command that changes the cluster has both. */
const changeOptions = (dryRun = 'print the plan, change nothing') => ({
  'dry-run': { type: 'boolean', default: false, describe: dryRun },
  yes: { type: 'boolean', default: false, describe: 'do not ask for confirmation' },
}) as const;

/** How keys move (read by migrateOptions): migrate and rebalance. */
const MOVE_OPTIONS = {
  method: {
    choices: ['transfer', 'migrate'] as const,
    default: 'migrate',
    describe: 'migrate: MIGRATE on the source, as redis-cli does (each key moves atomically); transfer: the tool copies keys itself (WATCH+PTTL+DUMP on the source, RESTORE on the target, MULTI DEL EXEC on the source), about 1.5x faster on Redis clusters but with narrow windows where a key deleted on the source can be read back from the target (see README)',
  },
  batch: { type: 'number', describe: 'keys per batch (transfer) or per MIGRATE (migrate); default 100' },
  pipeline: { type: 'number', describe: 'batches in flight (transfer, default 8) or MIGRATE commands sent back to back per slot (migrate, default 4)' },
  parallel: { type: 'number', describe: 'slots in flight (transfer: default 16; migrate: 8)' },
  rate: { type: 'number', default: 0, describe: 'limit to this many keys per second (0: no limit)' },
  timeout: { type: 'number', default: 60000, describe: 'MIGRATE timeout in ms (migrate)' },
  replace: { type: 'boolean', default: false, describe: 'overwrite keys the target already holds (MIGRATE REPLACE; transfer overwrites a stale copy by itself, and never a client\'s write)' },
} as const;

const seedArg = (y: Argv) => y.positional('node', { type: 'string', describe: 'any node of the cluster, host:port', demandOption: true });

const cli = yargs(hideBin(process.argv))
  .scriptName('shardis')
  .usage('$0 <command> [options]\n\nAdmin CLI for Shardis and Redis 7 clusters.')
  .option('json', { type: 'boolean', default: false, describe: 'Print the result as JSON' })
  .command('create [nodes..]', 'Form a cluster from running, empty cluster-mode nodes',
    (y) => y.positional('nodes', { type: 'string', array: true, describe: 'host:port of every node' })
      .option('replicas', { type: 'number', default: 0, describe: 'replicas per primary' })
      .option('from', { type: 'string', describe: 'a cluster.json (the npm start format) giving roles and slots' })
      .options(changeOptions())
      .example('$0 create 127.0.0.1:7000 127.0.0.1:7001 127.0.0.1:7002 --yes', 'three primaries, slots split evenly')
      .example('$0 create 127.0.0.1:700{0..5} --replicas 1 --yes', 'three primaries with one replica each')
      .example('$0 create --from cluster.json --dry-run', 'show the plan of cluster.json'),
    async (a) => {
      const list = ((a.nodes as unknown[] | undefined) ?? []).map(String);
      if ((list.length > 0) === (a.from !== undefined)) throw new AdminError('Give either the nodes (host:port ...) or --from cluster.json');
      const nodes = a.from !== undefined ? planFromFile(String(a.from)) : planFromAddrs(list, Number(a.replicas));
      const plan = formatCreatePlan(nodes);
      const json = nodes.map((n) => ({ addr: n.addr, role: n.role, slots: formatSlotRanges(n.slots), of: n.of }));
      if (a['dry-run']) {
        print(a.json, { dryRun: true, nodes: json }, `${plan}\n(dry run: nothing changed)`);
        return;
      }
      if (!a.json) process.stderr.write(`${plan}\n`);
      await confirm(`Create this cluster of ${nodes.length} nodes?`, a.yes as boolean);
      await runCreate(nodes, (m) => { if (!a.json) process.stderr.write(`${m}\n`); });
      print(a.json, { created: true, nodes: json }, `[OK] Cluster of ${nodes.length} nodes created; check it with shardis check ${nodes[0]!.addr}`);
    })
  .command('check <node>', 'Check slot coverage, agreement of all nodes, open slots and keys in the wrong slot (exit 1 on any problem)',
    (y) => seedArg(y).example('$0 check 127.0.0.1:7000', 'check the cluster 127.0.0.1:7000 belongs to').example('$0 check 127.0.0.1:7000 --json', 'the same as JSON'),
    async (a) => withCluster(a.node as string, async (view) => {
      const r = await runCheck(view);
      print(a.json, r, formatCheck(view, r));
      if (!r.ok) process.exitCode = 1;
    }))
  .command('info <node>', 'Keys, slots and role of every node',
    (y) => seedArg(y).example('$0 info 127.0.0.1:7000', 'one line per node'),
    async (a) => withCluster(a.node as string, async (view) => {
      const rows = await runInfo(view);
      print(a.json, rows, formatInfo(rows));
    }))
  .command('migrate [node]', 'Move slots from one primary to another (resumable: run the same command again after an interruption)',
    (y) => y.positional('node', { type: 'string', describe: 'any node of the cluster, host:port (default: --from when it is host:port)' })
      .option('from', { type: 'string', demandOption: true, describe: 'source primary: host:port or node id (prefix)' })
      .option('to', { type: 'string', demandOption: true, describe: 'target primary: host:port or node id (prefix)' })
      .option('slots', { type: 'string', describe: 'slots to move, e.g. 0-99,200' })
      .option('count', { type: 'number', describe: 'move this many slots of the source (open ones first, then the lowest); the pick is recorded, so the same command run again finishes these N slots and never moves N more' })
      .option('fresh', { type: 'boolean', default: false, describe: 'with --count: pick N new slots even if an earlier run with the same --count already moved its pick' })
      .options(MOVE_OPTIONS)
      .options(changeOptions())
      .check((a) => {
        if ((a.slots === undefined) === (a.count === undefined)) throw new Error('Give exactly one of --slots and --count');
        if (a.fresh === true && a.count === undefined) throw new Error('--fresh goes with --count');
        return true;
      })
      .example('$0 migrate --from 127.0.0.1:7001 --to 127.0.0.1:7002 --slots 5461-5560 --yes', 'move 100 slots')
      .example('$0 migrate 127.0.0.1:7000 --from 3d290b7e --to f34be28c --count 500 --rate 20000', 'move 500 slots of node 3d290b7e at most 20,000 keys/s')
      .example('$0 migrate 127.0.0.1:7000 --from :7001 --to :7002 --slots 0-99 --dry-run', 'only print the plan')
      .epilogue('Rerunning: the same command run again resumes the job and never repeats it. With --slots it moves the listed slots not yet on the target. With --count N the first run records the N slots it picked (in $SHARDIS_STATE_DIR, else $XDG_STATE_HOME/shardis, else ~/.local/state/shardis); a rerun, after a kill or after success, finishes the open slots of that pick and moves the rest of it, so the target ends up having received exactly those N slots; once they are all there it has nothing to do. Add --fresh to move N more. A record made with another N, or whose slots moved elsewhere meanwhile, is ignored.'),
    async (a) => withCluster(seedOf(a.node as string | undefined, a.from as string), async (view) => {
      const opts = migrateOptions(a);
      const source = findNode(view, a.from as string);
      const target = findNode(view, a.to as string);
      const plan = await planMigration(view, source, target, opts);
      if (a['dry-run']) {
        print(a.json, { dryRun: true, from: source.id, to: target.id, slots: plan.slots, resumed: plan.resumed, done: plan.done, keys: plan.keys }, `${formatPlan(plan)}\n(dry run: nothing changed)`);
        return;
      }
      if (!a.json) process.stderr.write(`${formatPlan(plan)}\n`);
      if (plan.slots.length === 0) {
        print(a.json, { slotsMoved: [], keysMoved: 0, stopped: false, openSlots: [] }, 'Nothing to do: the target already owns every requested slot.');
        return;
      }
      await confirm(`Move ${plan.slots.length} slots (${plan.keys} keys)?`, a.yes as boolean);
      saveCountPick(plan);
      const stop: StopSignal = { stopped: false };
      const off = onInterrupt(stop);
      try {
        const progress = new Progress(process.stderr, a.json === true);
        const r = await runMigration(view, plan, opts, progress, stop, (m) => process.stderr.write(`${m}\n`));
        if (r.stopped) {
          const resume = ['shardis', ...hideBin(process.argv)].map((w) => (/^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`)).join(' ');
          print(a.json, { ...r, resume }, `Stopped at a safe point: ${r.slotsMoved.length} slots and ${r.keysMoved} keys moved${r.openSlots.length ? `; slots ${r.openSlots.join(',')} are still open (clients are redirected with ASK meanwhile)` : ''}.\nResume with: ${resume}`);
          process.exitCode = 130;
          return;
        }
        print(a.json, r, `Moved ${r.slotsMoved.length} slots and ${r.keysMoved} keys${r.bytesMoved > 0 ? ` (${formatBytes(r.bytesMoved)})` : ''} in ${(r.ms / 1000).toFixed(1)} s (${Math.round(r.keysMoved / Math.max(r.ms / 1000, 0.001))} keys/s).`);
      } finally {
        off();
      }
    }))
  .command('rebalance <node>', 'Even out slots among primaries, by weight',
    (y) => seedArg(y)
      .option('weight', { type: 'string', array: true, default: [], describe: '<node>=<weight>, node as host:port or id prefix (repeatable)' })
      .option('threshold', { type: 'number', default: 2, describe: 'do nothing if no primary is off its share by more than this percent' })
      .option('use-empty', { type: 'boolean', default: false, describe: 'give slots to primaries that have none' })
      .options(MOVE_OPTIONS)
      .options(changeOptions())
      .example('$0 rebalance 127.0.0.1:7000 --dry-run', 'show the moves that would even out the slots')
      .example('$0 rebalance 127.0.0.1:7000 --use-empty --yes', 'give a new, empty primary its share')
      .example('$0 rebalance 127.0.0.1:7000 --weight 3d290b7e=2 --yes', 'node 3d290b7e gets twice the share of the others'),
    async (a) => withCluster(a.node as string, async (view) => {
      const opts = migrateOptions({ ...a, slots: undefined, count: undefined });
      const plan = planRebalance(view, (a.weight as unknown[]).map(String), Number(a.threshold), a['use-empty'] === true);
      const text = [
        ...plan.shares.map((s) => `  ${label(s.node)} weight ${s.weight}: ${s.owned} slots, share ${s.target}`),
        plan.moves.length === 0
          ? `Nothing to do: every primary is within ${a.threshold}% of its share (largest deviation ${plan.maxDeviation.toFixed(2)}%).`
          : plan.moves.map((m) => `  move ${m.slots.length} slots (${formatSlotRanges(m.slots)}) from ${label(m.from)} to ${label(m.to)}`).join('\n'),
      ].join('\n');
      const json = { shares: plan.shares.map((s) => ({ node: s.node.addr, id: s.node.id, weight: s.weight, owned: s.owned, target: s.target })), moves: plan.moves.map((m) => ({ from: m.from.id, to: m.to.id, slots: m.slots })) };
      if (a['dry-run'] || plan.moves.length === 0) {
        print(a.json, { dryRun: a['dry-run'], ...json }, a['dry-run'] ? `${text}\n(dry run: nothing changed)` : text);
        return;
      }
      if (!a.json) process.stderr.write(`${text}\n`);
      await confirm(`Move ${plan.moves.reduce((n, m) => n + m.slots.length, 0)} slots?`, a.yes as boolean);
      const stop: StopSignal = { stopped: false };
      const off = onInterrupt(stop);
      let slots = 0;
      let keys = 0;
      try {
        for (const m of plan.moves) {
          const mp = await planMigration(view, m.from, m.to, { slots: m.slots });
          if (!a.json) process.stderr.write(`${formatPlan(mp)}\n`);
          const r = await runMigration(view, mp, opts, new Progress(process.stderr, a.json === true), stop, (msg) => process.stderr.write(`${msg}\n`));
          slots += r.slotsMoved.length;
          keys += r.keysMoved;
          if (r.stopped) {
            print(a.json, { slotsMoved: slots, keysMoved: keys, stopped: true }, `Stopped at a safe point after ${slots} slots and ${keys} keys. Close the open slots with shardis fix ${view.seed} --yes, then run the same command again to continue.`);
            process.exitCode = 130;
            return;
          }
        }
      } finally {
        off();
      }
      print(a.json, { slotsMoved: slots, keysMoved: keys, stopped: false }, `Rebalanced: moved ${slots} slots and ${keys} keys.`);
    }))
  .command('fix <node>', 'Close half-open slots (moving keys so none is lost) and assign uncovered slots',
    (y) => seedArg(y)
      .options(changeOptions())
      .option('replace', { type: 'boolean', default: false, describe: 'overwrite keys the target already holds (MIGRATE REPLACE)' })
      .example('$0 fix 127.0.0.1:7000 --dry-run', 'show what would be done')
      .example('$0 fix 127.0.0.1:7000 --yes', 'fix without asking'),
    async (a) => withCluster(a.node as string, async (view) => {
      const stop: StopSignal = { stopped: false };
      const opts: MigrateOptions = { batch: 100, pipeline: 4, parallel: 1, rate: 0, timeout: 60000, replace: a.replace as boolean };
      const plan = await planFix(view, opts, stop);
      const text = [
        plan.actions.length === 0 ? 'Nothing to fix.' : `${plan.actions.length} action(s):`,
        ...plan.actions.map((x) => `  - ${x.description}`),
        ...plan.unhandled.map((x) => `  ! not handled: ${x}`),
      ].join('\n');
      const json = { actions: plan.actions.map((x) => ({ slot: x.slot, description: x.description })), unhandled: plan.unhandled };
      if (a['dry-run'] || plan.actions.length === 0) {
        print(a.json, { dryRun: a['dry-run'], ...json }, a['dry-run'] ? `${text}\n(dry run: nothing changed)` : text);
        if (plan.unhandled.length) process.exitCode = 1;
        return;
      }
      if (!a.json) process.stderr.write(`${text}\n`);
      await confirm(`Apply ${plan.actions.length} fix action(s)?`, a.yes as boolean);
      for (const x of plan.actions) {
        await x.run();
        if (!a.json) process.stderr.write(`done: ${x.description}\n`);
      }
      print(a.json, { applied: true, ...json }, `Applied ${plan.actions.length} action(s).${plan.unhandled.length ? ' Some problems need a hand; see above.' : ''}`);
      if (plan.unhandled.length) process.exitCode = 1;
    }))
  .command('map <node>', 'Show who owns each of the 16384 slots',
    (y) => seedArg(y).example('$0 map 127.0.0.1:7000', 'slot runs per node and a grid, in colour on a TTY'),
    async (a) => withCluster(a.node as string, async (view) => {
      print(a.json, slotRuns(view), formatMap(view, process.stdout.isTTY === true && !process.env.NO_COLOR));
    }))
  .command('call <node> <command..>', 'Run a command on every primary and print each reply',
    (y) => seedArg(y)
      .positional('command', { type: 'string', array: true, describe: 'the command and its arguments' })
      .option('all', { type: 'boolean', default: false, describe: 'replicas too' })
      .example('$0 call 127.0.0.1:7000 DBSIZE', 'keys per primary')
      .example('$0 call 127.0.0.1:7000 CONFIG SET maxmemory 1gb', 'the same setting everywhere'),
    async (a) => withCluster(a.node as string, async (view) => {
      const results = await runCall(view, (a.command as unknown[]).map(String), a.all as boolean);
      print(a.json, results, results.map((r) => `${r.node}: ${r.error !== undefined ? `(error) ${r.error}` : formatReply(r.reply)}`).join('\n'));
      if (results.some((r) => r.error !== undefined)) process.exitCode = 1;
    }))
  .command('add-node <new> <node>', 'Join a running, empty cluster-mode node to the cluster, as a primary without slots or as a replica',
    (y) => y.positional('new', { type: 'string', describe: 'the node to add, host:port', demandOption: true })
      .positional('node', { type: 'string', describe: 'any node of the cluster, host:port (the new node meets it)', demandOption: true })
      .option('replica-of', { type: 'string', describe: 'make it a replica of this primary: node id (prefix) or host:port' })
      .options(changeOptions('check and print the plan, change nothing'))
      .example('$0 add-node 127.0.0.1:7006 127.0.0.1:7000 --yes', 'add an empty primary; then shardis rebalance 127.0.0.1:7000 --use-empty gives it slots')
      .example('$0 add-node 127.0.0.1:7007 127.0.0.1:7000 --replica-of 3d290b7e --yes', 'add a replica of node 3d290b7e')
      .example('$0 add-node 127.0.0.1:7006 127.0.0.1:7000 --dry-run', 'only check the node and print the plan'),
    async (a) => withCluster(a.node as string, async (view) => {
      const plan = await planAddNode(view, a.new as string, a['replica-of'] as string | undefined);
      try {
        const text = formatAddNodePlan(plan);
        const json = { node: plan.addr, id: plan.id, role: plan.replicaOf ? 'replica' : 'primary', replicaOf: plan.replicaOf?.id ?? null, meet: plan.meet.node.addr };
        if (a['dry-run']) {
          print(a.json, { dryRun: true, ...json }, `${text}\n(dry run: nothing changed)`);
          return;
        }
        if (!a.json) process.stderr.write(`${text}\n`);
        await confirm(`Add ${plan.addr} to the cluster?`, a.yes as boolean);
        const r = await runAddNode(view, plan, (m) => { if (!a.json) process.stderr.write(`${m}\n`); });
        print(a.json, r, `[OK] ${r.node} (${r.id.slice(0, 8)}) added ${r.replicaOf ? `as a replica of ${r.replicaOf.slice(0, 8)}` : `as a primary without slots; give it slots with shardis rebalance ${view.seed} --use-empty`}; ${r.knownBy} nodes know it.`);
      } finally {
        plan.conn.close();
      }
    }))
  .command('del-node <node> <id>', 'Remove a node that owns no slot: CLUSTER FORGET it everywhere, then CLUSTER RESET SOFT on it (it keeps running)',
    (y) => seedArg(y)
      .positional('id', { type: 'string', describe: 'the node to remove: node id (prefix) or host:port', demandOption: true })
      .options(changeOptions('check and print the plan, change nothing'))
      .example('$0 del-node 127.0.0.1:7000 3d290b7e --yes', 'remove node 3d290b7e (its replicas move to other primaries)')
      .example('$0 del-node 127.0.0.1:7000 127.0.0.1:7006 --dry-run', 'only check and print the plan')
      .epilogue('A primary that owns slots is refused: empty it first with shardis rebalance <node> --weight <host:port>=0 or shardis migrate (the error prints the exact command). Unlike redis-cli, the removed node is not shut down: it is left running, alone; stop it yourself.'),
    async (a) => withCluster(a.node as string, async (view) => {
      const plan = planDelNode(view, String(a.id));
      const text = formatDelNodePlan(plan);
      const json = { node: plan.node.addr, id: plan.node.id, forget: plan.others.map((n) => n.addr), moveReplicas: plan.moves.map((m) => ({ replica: m.replica.addr, to: m.to.id })), reset: plan.node.conn !== null };
      if (a['dry-run']) {
        print(a.json, { dryRun: true, ...json }, `${text}\n(dry run: nothing changed)`);
        return;
      }
      if (!a.json) process.stderr.write(`${text}\n`);
      await confirm(`Remove ${label(plan.node)} from the cluster?`, a.yes as boolean);
      const r = await runDelNode(view, plan, (m) => { if (!a.json) process.stderr.write(`${m}\n`); });
      print(a.json, r, `[OK] ${label(plan.node)} removed: ${r.forgottenBy.length} nodes forgot it${r.reset ? `; it was reset (CLUSTER RESET SOFT) and is still running: shut it down if it is not to be reused` : '; it was unreachable, so not reset'}.`);
    }))
  .demandCommand(1, 'Give a command; see shardis --help')
  .strict()
  .parserConfiguration({ 'unknown-options-as-args': false })
  .help()
  .alias('h', 'help')
  .wrap(Math.min(110, process.stdout.columns ?? 110))
  .fail((msg, err) => {
    // AdminErrors are complete one-line messages; validation errors get a pointer to --help.
    if (err instanceof AdminError) process.stderr.write(`${err.message}\n`);
    else if (err && !msg) process.stderr.write(`${process.env.SHARDIS_DEBUG ? err.stack : err.message}\n`);
    else process.stderr.write(`${msg ?? err?.message}\nSee shardis <command> --help.\n`);
    process.exit(1);
  });

await cli.parseAsync();
