/**
 * Starting Shardis nodes in cluster mode for tests: each node gets OS-picked
 * client and bus ports and its own data directory (kept across restarts of
 * the same node, removed by `cleanup`).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, SERVER_MAIN } from '../../helpers/servers.js';
import { RawClient } from '../../helpers/resp.js';
import { SERVER_NODE_FLAGS } from '../../../src/node/node-flags.js';

export interface ClusterTestNode {
  port: number;
  busPort: number;
  dir: string;
  proc: ChildProcess | undefined;
  output: string;
  /** The node has run at least once: its ports are part of its identity (nodes.conf, peers). */
  started?: boolean;
}

/**
 * Starts (or restarts) `node`'s process and waits for its ready line. A
 * node that has never run gets new ports and another try when one of its
 * ports was taken between `freePort` and the bind (another worker, or an
 * outgoing connection's ephemeral port). A process that fails to become
 * ready is killed, never left behind.
 */
export async function launch(node: ClusterTestNode, extra: string[] = []): Promise<void> {
  const fresh = !node.started;
  for (let attempt = 1; ; attempt++) {
    try {
      await launchOnce(node, extra);
      node.started = true;
      return;
    } catch (err) {
      if (!fresh || attempt >= 3 || !/already in use/.test(node.output)) throw err;
      node.port = await freePort();
      node.busPort = await freePort();
    }
  }
}

function launchOnce(node: ClusterTestNode, extra: string[]): Promise<void> {
  const proc = spawn(
    process.execPath,
    [...SERVER_NODE_FLAGS, SERVER_MAIN, '--port', String(node.port), '--bind', '127.0.0.1', '--dir', node.dir, '--cluster-enabled', 'yes', '--cluster-port', String(node.busPort), '--cluster-node-timeout', '5000', ...extra],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  node.proc = proc;
  node.output = '';
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`Cannot start a cluster node: no ready line. Output:\n${node.output}`));
    }, 20_000);
    const onData = (d: Buffer): void => {
      node.output += d.toString();
      if (/Ready to accept connections/.test(node.output)) {
        clearTimeout(timer);
        resolve();
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', (d: Buffer) => (node.output += d.toString()));
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Cannot start a cluster node: exit ${code}. Output:\n${node.output}`));
    });
  });
}

/** A new node description with free ports and an empty data directory (not started). */
export async function newNode(): Promise<ClusterTestNode> {
  return { port: await freePort(), busPort: await freePort(), dir: mkdtempSync(join(tmpdir(), 'shardis-cluster-')), proc: undefined, output: '' };
}

/** Stops the node's process (SIGTERM, then SIGKILL after 5 s). */
export function stop(node: ClusterTestNode): Promise<void> {
  const proc = node.proc;
  node.proc = undefined;
  if (!proc || proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => proc.kill('SIGKILL'), 5000);
    proc.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    proc.kill('SIGTERM');
  });
}

/** Stops every node and removes its directory. Accepts undefined: a beforeAll that failed before assigning its list. */
export async function stopAll(nodes: ClusterTestNode[] | undefined): Promise<void> {
  if (nodes === undefined) return;
  await Promise.all(nodes.map(stop));
  for (const n of nodes) rmSync(n.dir, { recursive: true, force: true });
}

/** Runs one command on a fresh connection and returns the reply as latin1 text. */
export async function cmd(port: number, ...args: string[]): Promise<string> {
  const c = await RawClient.connect(port);
  try {
    return await c.text(...args);
  } finally {
    c.close();
  }
}

/** Polls until `check` returns true or `ms` pass. */
export async function waitFor(what: string, check: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`Timed out waiting for ${what}`);
}

/**
 * Forms a cluster of `nodes` by hand: even slot split with ADDSLOTSRANGE,
 * distinct config epochs, MEET to the first node; waits for cluster_state:ok
 * everywhere.
 */
export async function formCluster(nodes: ClusterTestNode[]): Promise<void> {
  const per = Math.floor(16384 / nodes.length);
  for (let i = 0; i < nodes.length; i++) {
    const start = i * per;
    const end = i === nodes.length - 1 ? 16383 : start + per - 1;
    await cmd(nodes[i]!.port, 'CLUSTER', 'ADDSLOTSRANGE', String(start), String(end));
    await cmd(nodes[i]!.port, 'CLUSTER', 'SET-CONFIG-EPOCH', String(i + 1));
  }
  for (let i = 1; i < nodes.length; i++) await cmd(nodes[i]!.port, 'CLUSTER', 'MEET', '127.0.0.1', String(nodes[0]!.port), String(nodes[0]!.busPort));
  await waitForOk(nodes);
}

/** Launches `n` fresh nodes and forms them into one cluster (formCluster); stop them with stopAll. On failure it stops them itself. */
export async function startFormedCluster(n: number): Promise<ClusterTestNode[]> {
  const nodes: ClusterTestNode[] = [];
  try {
    for (let i = 0; i < n; i++) nodes.push(await newNode());
    await Promise.all(nodes.map((node) => launch(node)));
    await formCluster(nodes);
    return nodes;
  } catch (err) {
    // The caller never gets the list to stop: stop what was started here.
    await stopAll(nodes);
    throw err;
  }
}

/** The node id of the node on `port` (CLUSTER MYID). */
export async function myId(port: number): Promise<string> {
  return (await cmd(port, 'CLUSTER', 'MYID')).slice(5, 45);
}

/**
 * Waits until every node reports cluster_state:ok, knows all `nodes`, and
 * shows each of them `connected` in CLUSTER NODES. The last condition
 * matters: a node can learn a peer's slots over the peer's inbound link
 * before its own outbound link to that peer is up, and CLUSTER NODES says
 * `disconnected` until then (Redis does the same).
 */
export async function waitForOk(nodes: ClusterTestNode[]): Promise<void> {
  await waitFor('cluster_state:ok and every bus link up on every node', async () => {
    for (const n of nodes) {
      const info = await cmd(n.port, 'CLUSTER', 'INFO');
      if (!info.includes('cluster_state:ok') || !info.includes(`cluster_known_nodes:${nodes.length}`)) return false;
      const lines = (await cmd(n.port, 'CLUSTER', 'NODES')).replace(/^\$\d+\r\n/, '').split('\n').filter((l) => /^[0-9a-f]{40} /.test(l));
      // Field 8 of a CLUSTER NODES line is the link state.
      if (lines.length !== nodes.length || !lines.every((l) => l.split(' ')[7] === 'connected')) return false;
    }
    return true;
  });
}

/** Runs redis-cli with arguments; returns exit status and output. */
export function redisCli(args: string[], input?: string): { status: number | null; out: string } {
  const r = spawnSync('redis-cli', args, { input, encoding: 'latin1', timeout: 120_000 });
  return { status: r.status, out: (r.stdout ?? '') + (r.stderr ?? '') };
}
