/**
 * The command table: every command Shardis knows, merged from the per-group
 * spec files in `./commands/`. This is the single source of truth for names,
 * arity, flags and key positions; the node attaches handlers by name, the
 * router and the client extract keys from it.
 */
import type { CommandSpec } from './command-spec.js';
import { STRING_COMMANDS } from './commands/string.js';
import { GENERIC_COMMANDS } from './commands/generic.js';
import { SERVER_COMMANDS } from './commands/server.js';
import { CONNECTION_COMMANDS } from './commands/connection.js';
import { LIST_COMMANDS } from './commands/list.js';
import { HASH_COMMANDS } from './commands/hash.js';
import { SET_COMMANDS } from './commands/set.js';
import { ZSET_COMMANDS } from './commands/zset.js';
import { TRANSACTION_COMMANDS } from './commands/transactions.js';
import { CLUSTER_COMMANDS } from './commands/cluster.js';
import { PUBSUB_COMMANDS } from './commands/pubsub.js';
import { SCRIPTING_COMMANDS } from './commands/scripting.js';
import { SORT_COMMANDS } from './commands/sort.js';

/** All top-level command specs, in no particular order. */
export const COMMAND_SPECS: readonly CommandSpec[] = [
  ...STRING_COMMANDS,
  ...GENERIC_COMMANDS,
  ...SERVER_COMMANDS,
  ...CONNECTION_COMMANDS,
  ...LIST_COMMANDS,
  ...HASH_COMMANDS,
  ...SET_COMMANDS,
  ...ZSET_COMMANDS,
  ...TRANSACTION_COMMANDS,
  ...CLUSTER_COMMANDS,
  ...PUBSUB_COMMANDS,
  ...SCRIPTING_COMMANDS,
  ...SORT_COMMANDS,
];

const BY_NAME = new Map<string, CommandSpec>();
for (const spec of COMMAND_SPECS) {
  if (BY_NAME.has(spec.name)) throw new Error(`Cannot build the command table as '${spec.name}' is defined twice`);
  BY_NAME.set(spec.name, spec);
  for (const sub of spec.subcommands ?? []) BY_NAME.set(sub.name, sub);
}

/**
 * Looks a command up by name, case-insensitively. For a container command
 * pass the subcommand as well to get its own spec (`CONFIG GET` → `config|get`);
 * an unknown subcommand returns undefined while the container itself exists.
 */
export function lookupCommand(name: string): CommandSpec | undefined {
  return BY_NAME.get(name) ?? BY_NAME.get(name.toLowerCase());
}

/** Number of top-level commands (COMMAND COUNT). */
export function commandCount(): number {
  return COMMAND_SPECS.length;
}

/**
 * Indexes of the key arguments of a command call, from the spec alone.
 * `args[0]` is the command name (or for a subcommand, `args[1]` its name).
 * Returns an empty array for keyless commands. Never throws: positions past
 * the end of `args` are dropped (the arity check reports those).
 */
export function getKeyIndexes(spec: CommandSpec, args: readonly string[]): number[] {
  if (spec.getKeys) return spec.getKeys(args);
  const range = spec.keys;
  if (!range) return [];
  const last = range.last < 0 ? args.length + range.last : range.last;
  const out: number[] = [];
  for (let i = range.first; i <= last && i < args.length; i += range.step) out.push(i);
  return out;
}

/** The key arguments of a command call (see `getKeyIndexes`). */
export function getKeys(spec: CommandSpec, args: readonly string[]): string[] {
  const idx = getKeyIndexes(spec, args);
  const out = new Array<string>(idx.length);
  for (let i = 0; i < idx.length; i++) out[i] = args[idx[i]!]!;
  return out;
}
