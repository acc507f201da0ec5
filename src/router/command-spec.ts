/**
 * The shape of the command table: pure data describing each command, read by
 * the node's dispatcher (arity, flags), by the router (key positions, to find
 * the slot) and by the client SDK (the same, to route before sending).
 *
 * Conventions follow Redis's command table:
 * - `arity` counts the command name itself; a negative arity -N means "at least N".
 * - Key positions are `first`, `last`, `step` over the argument vector (the
 *   name is index 0). A negative `last` counts from the end: -1 is the last
 *   argument, -2 the one before it. Commands whose keys cannot be described
 *   this way (numkeys arguments, options) provide `getKeys` instead.
 * - A container command (CONFIG, CLIENT, OBJECT, ...) lists `subcommands`;
 *   each subcommand is a spec of its own named `container|sub`, with its own
 *   arity counted from the container name (as Redis does: `CONFIG GET` is -3).
 */

/** Command flags, named as Redis names them in COMMAND INFO. */
export type CommandFlag =
  | 'write'
  | 'readonly'
  | 'denyoom'
  | 'module'
  | 'admin'
  | 'pubsub'
  | 'noscript'
  | 'blocking'
  | 'loading'
  | 'stale'
  | 'skip_monitor'
  | 'skip_slowlog'
  | 'asking'
  | 'fast'
  | 'no_auth'
  | 'may_replicate'
  | 'no_mandatory_keys'
  | 'no_multi'
  | 'movablekeys'
  | 'allow_busy';

/** The groups Redis's COMMAND DOCS reports. */
export type CommandGroup =
  | 'generic'
  | 'string'
  | 'list'
  | 'set'
  | 'sorted-set'
  | 'hash'
  | 'pubsub'
  | 'transactions'
  | 'connection'
  | 'server'
  | 'scripting'
  | 'hyperloglog'
  | 'cluster'
  | 'sentinel'
  | 'geo'
  | 'stream'
  | 'bitmap';

/** Regular key positions: `first..last` (negative `last` counts from the end) every `step`. */
export interface KeyRange {
  readonly first: number;
  readonly last: number;
  readonly step: number;
}

/**
 * Key finder for irregular commands (Redis's `getkeys_proc`).
 * Returns the indexes into `args` that hold keys. `args[0]` is the command
 * name. Must not throw on malformed input: it returns what it can find, and
 * the command's handler reports the syntax error.
 */
export type GetKeys = (args: readonly string[]) => number[];

export interface CommandSpec {
  /** Lower-case name; subcommands are `container|sub`. */
  readonly name: string;
  readonly arity: number;
  readonly flags: readonly CommandFlag[];
  readonly group: CommandGroup;
  /** Version of Redis that introduced the command (COMMAND DOCS `since`). */
  readonly since: string;
  readonly summary: string;
  readonly complexity?: string;
  /** ACL categories without the leading `@`, e.g. `['string', 'fast']`. */
  readonly acl?: readonly string[];
  /** Command tips (COMMAND INFO), e.g. `nondeterministic_output`, `request_policy:all_shards`. */
  readonly tips?: readonly string[];
  /** Absent for commands without key arguments. */
  readonly keys?: KeyRange;
  /** Key finder for commands whose keys `keys` cannot describe. */
  readonly getKeys?: GetKeys;
  readonly subcommands?: readonly CommandSpec[];
}

/**
 * True if the spec's key positions hold shard channels, not keys (Redis's
 * `not_key` key specs): SSUBSCRIBE, SUNSUBSCRIBE and SPUBLISH, the only
 * pub/sub commands with key positions. They route by slot like keys, but
 * are never looked up in a keyspace nor reported as keys.
 */
export function keysAreChannels(spec: CommandSpec): boolean {
  return spec.flags.includes('pubsub');
}

/** Identity function that checks a list of specs against `CommandSpec`. */
export function defineCommands<const T extends readonly CommandSpec[]>(specs: T): T {
  return specs;
}
