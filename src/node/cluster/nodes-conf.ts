/**
 * The cluster config file (`cluster-config-file`, "nodes.conf"): the node's
 * identity, epochs, slots, open slots and known peers, so a restart comes back
 * as the same node with the same view.
 *
 * Format: Redis's own. One CLUSTER NODES line per node (the `myself` line
 * carries the open slots as `[s->-id]` / `[s-<-id]`), then
 * `vars currentEpoch <n> lastVoteEpoch <n>`. Written to a temporary file,
 * fsynced, then renamed over the old one (fsynced first when epochs changed), so a crash leaves either the old or
 * the new file, never half of one.
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { SLOT_COUNT } from '../../router/slot.js';
import { nodesDescription, type LinkProbe } from './describe.js';
import { ClusterNode, ClusterState, flagsFromString, isNodeId, NODE_FLAGS } from './state.js';

/** Renders the whole file. */
export function formatNodesConf(state: ClusterState, now: number): string {
  const never: LinkProbe = () => false;
  return nodesDescription(state, never, now) + `vars currentEpoch ${state.currentEpoch} lastVoteEpoch ${state.lastVoteEpoch}\n`;
}

/**
 * Writes the file atomically (temp file, rename). `fsync` also forces it to
 * disk first; as in Redis, that is done for epoch changes, which must never be
 * forgotten, while slot-state changes only need to survive a process restart.
 */
export function writeNodesConf(path: string, text: string, fsync = false): void {
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, text, 0, 'latin1');
    if (fsync) fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

/** `writeNodesConf` without blocking the event loop. */
export async function writeNodesConfAsync(path: string, text: string, fsync = false): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}-async`;
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(text, 'latin1');
    if (fsync) await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
}

/**
 * Parses a nodes.conf. Returns undefined if the file does not exist.
 * @throws {Error} naming the line when the file is corrupt
 */
export function readNodesConf(path: string, now: number): ClusterState | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'latin1');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return parseNodesConf(text, now, path);
}

/** Parses nodes.conf text (see `readNodesConf`). */
export function parseNodesConf(text: string, now: number, name = 'nodes.conf'): ClusterState | undefined {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  if (lines.length === 0) return undefined;
  const fail = (i: number, why: string): never => {
    throw new Error(`Cannot load the cluster config file ${name}: line ${i + 1} ${why}`);
  };
  const parsed: { node: ClusterNode; masterId: string; slotTokens: string[] }[] = [];
  let currentEpoch = 0;
  let lastVoteEpoch = 0;
  for (let i = 0; i < lines.length; i++) {
    const f = lines[i]!.trim().split(' ');
    if (f[0] === 'vars') {
      for (let j = 1; j + 1 < f.length; j += 2) {
        if (f[j] === 'currentEpoch') currentEpoch = Number(f[j + 1]);
        else if (f[j] === 'lastVoteEpoch') lastVoteEpoch = Number(f[j + 1]);
      }
      continue;
    }
    if (f.length < 8) fail(i, 'has fewer than 8 fields');
    if (!isNodeId(f[0]!)) fail(i, 'has no valid node id');
    const node = new ClusterNode(f[0]!, flagsFromString(f[2]!) & ~(NODE_FLAGS.pfail | NODE_FLAGS.handshake), now);
    const m = /^(.*):(\d+)@(\d+)(?:,(.*))?$/.exec(f[1]!);
    if (!m) fail(i, 'has a malformed address');
    node.ip = m![1]!;
    node.port = Number(m![2]);
    node.cport = Number(m![3]);
    node.hostname = m![4] ?? '';
    node.configEpoch = Number(f[6]);
    parsed.push({ node, masterId: f[3]!, slotTokens: f.slice(8) });
  }
  const me = parsed.find((p) => p.node.isMyself);
  if (!me) throw new Error(`Cannot load the cluster config file ${name}: no line has the myself flag`);
  const state = new ClusterState(me.node);
  for (const p of parsed) state.addNode(p.node);
  state.currentEpoch = currentEpoch;
  state.lastVoteEpoch = lastVoteEpoch;
  for (const p of parsed) {
    if (p.masterId !== '-') {
      const master = state.nodes.get(p.masterId);
      if (master) p.node.master = master;
    }
    // A replica's epoch column shows its master's epoch; its own stays as loaded.
    for (const tok of p.slotTokens) {
      const open = /^\[(\d+)-([<>])-([0-9a-f]{40})\]$/.exec(tok);
      if (open) {
        const slot = Number(open[1]);
        const other = state.nodes.get(open[3]!);
        if (!other || slot >= SLOT_COUNT) continue;
        if (open[2] === '>') state.migratingTo.set(slot, other);
        else state.importingFrom.set(slot, other);
        continue;
      }
      const r = /^(\d+)(?:-(\d+))?$/.exec(tok);
      if (!r) throw new Error(`Cannot load the cluster config file ${name}: bad slot token '${tok}'`);
      const a = Number(r[1]);
      const b = r[2] === undefined ? a : Number(r[2]);
      for (let s = a; s <= b && s < SLOT_COUNT; s++) state.slots.set(s, p.node);
    }
  }
  return state;
}
