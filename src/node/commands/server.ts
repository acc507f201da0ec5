/**
 * Server commands: INFO, CONFIG, TIME, DBSIZE, LASTSAVE, FLUSHDB, FLUSHALL,
 * SWAPDB, SLOWLOG, DEBUG, MEMORY, COMMAND and SHUTDOWN.
 *
 * Replies follow Redis 7.0's shapes: maps (RESP3 `%`, flat arrays in RESP2)
 * where Redis uses addReplyMap, sets where it uses addReplySet, status lines
 * for HELP texts, and Redis's error texts byte for byte.
 */
import { writeFileSync, readFileSync } from 'node:fs';
import { keysAreChannels, type CommandSpec } from '../../router/command-spec.js';
import { COMMAND_SPECS, getKeyIndexes, lookupCommand } from '../../router/command-table.js';
import type { Client } from '../client.js';
import { signalDatabaseReady } from '../blocking.js';
import { BLOCKED, type HandlerTable } from '../command-handler.js';
import { clampHz, ConfigError, type ConfigValue } from '../config.js';
import { COMMANDS } from '../dispatch.js';
import { NO_SUCH_KEY, NOT_INTEGER, RespError, SubcommandSyntaxError, SYNTAX } from '../errors.js';
import { matchGlob } from '../glob.js';
import { datasetMemory, genInfo } from '../info.js';
import type { Database } from '../keyspace.js';
import {
  MapReply,
  OK,
  SetReply,
  SimpleString,
  VerbatimReply,
  type Reply,
} from '../resp/reply.js';
import type { Server } from '../server.js';
import { isInt64Text, stringEncoding, type Value } from '../values.js';
import { helpReply } from './connection.js';

const CONFIG_HELP = [
  'CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'GET <pattern>',
  '    Return parameters matching the glob-like <pattern> and their values.',
  'SET <directive> <value>',
  '    Set the configuration <directive> to <value>.',
  'RESETSTAT',
  '    Reset statistics reported by the INFO command.',
  'REWRITE',
  '    Rewrite the configuration file.',
  'HELP',
  '    Prints this help.',
];
const COMMAND_HELP = [
  'COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  '(no subcommand)',
  '    Return details about all Redis commands.',
  'COUNT',
  '    Return the total number of commands in this Redis server.',
  'LIST',
  '    Return a list of all commands in this Redis server.',
  'INFO [<command-name> ...]',
  '    Return details about multiple Redis commands.',
  '    If no command names are given, documentation details for all',
  '    commands are returned.',
  'DOCS [<command-name> ...]',
  '    Return documentation details about multiple Redis commands.',
  '    If no command names are given, documentation details for all',
  '    commands are returned.',
  'GETKEYS <full-command>',
  '    Return the keys from a full Redis command.',
  'GETKEYSANDFLAGS <full-command>',
  '    Return the keys and the access flags from a full Redis command.',
  'HELP',
  '    Prints this help.',
];
const SLOWLOG_HELP = [
  'SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'GET [<count>]',
  '    Return top <count> entries from the slowlog (default: 10, -1 mean all).',
  '    Entries are made of:',
  '    id, timestamp, time in microseconds, arguments array, client IP and port,',
  '    client name',
  'LEN',
  '    Return the length of the slowlog.',
  'RESET',
  '    Reset the slowlog.',
  'HELP',
  '    Prints this help.',
];
const MEMORY_HELP = [
  'MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'DOCTOR',
  '    Return memory problems reports.',
  'MALLOC-STATS',
  '    Return internal statistics report from the memory allocator.',
  'PURGE',
  '    Attempt to purge dirty pages for reclamation by the allocator.',
  'STATS',
  '    Return information about the memory usage of the server.',
  'USAGE <key> [SAMPLES <count>]',
  '    Return memory in bytes used by <key> and its value. Nested values are',
  '    sampled up to <count> times (default: 5, 0 means sample all).',
  'HELP',
  '    Prints this help.',
];

const DEBUG_HELP = [
  'DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'JMAP',
  '    No-op in Shardis (kept for compatibility).',
  'OBJECT <key>',
  '    Show low level info about the key and associated value.',
  'RELOAD',
  '    No-op in Shardis: the dataset already lives in memory only.',
  'SET-ACTIVE-EXPIRE <0|1>',
  '    Setting it to 0 disables expiring keys in background when they are not',
  '    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the',
  '    default.',
  'SLEEP <seconds>',
  '    Stop the server for <seconds>. Decimals allowed.',
  'HELP',
  '    Prints this help.',
];

const MEMORY_DOCTOR_EMPTY =
  "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting.";

/*------------------------------------------------------------------------------
 * Server helpers
 *----------------------------------------------------------------------------*/

/**
 * Parses `s` as Redis's string2ll does (optional '-', no '+', no leading
 * zeros or spaces, within int64). Returns undefined if it is not such a
 * number; values beyond 2^53 come back rounded.
 */
export function parseInteger(s: string): number | undefined {
  return isInt64Text(s) ? Number(s) : undefined;
}

function isInt32(n: number): boolean {
  return n >= -2147483648 && n <= 2147483647;
}

/** Parses the optional ASYNC|SYNC argument of FLUSHDB/FLUSHALL/FUNCTION FLUSH/SCRIPT FLUSH. */
export function parseFlushMode(args: readonly string[], at: number): 'sync' | 'async' {
  if (args.length === at) return 'sync';
  if (args.length !== at + 1) throw SYNTAX;
  const m = args[at]!.toLowerCase();
  if (m === 'sync' || m === 'async') return m;
  throw SYNTAX;
}

/** Empties `db`, failing the transactions of clients watching keys it held (Redis's touchAllWatchedKeysInDb). */
function flushDatabase(server: Server, db: Database): void {
  if (!server.watches.empty) server.watches.touchedAll(db, (key) => db.has(key));
  server.dirty += db.size;
  db.flush();
}

/**
 * The size class jemalloc serves a request of `n` bytes from: 8, then
 * multiples of 16 up to 128, then four classes per doubling (160, 192, 224,
 * 256, 320, ...). MEMORY USAGE reports allocator sizes, so ours must too.
 */
export function allocatorSize(n: number): number {
  if (n <= 8) return 8;
  if (n <= 128) return (n + 15) & ~15;
  const step = 2 ** (Math.floor(Math.log2(n - 1)) - 2);
  return Math.ceil(n / step) * step;
}

/** Bytes of an sds string of `n` bytes: header by length class, the bytes, the NUL. */
function sdsBytes(n: number, allowType5: boolean): number {
  const header = n < 32 && allowType5 ? 1 : n < 256 ? 3 : n < 65536 ? 5 : 9;
  return allocatorSize(header + n + 1);
}

/**
 * MEMORY USAGE's figure for one key, computed as Redis 7.0 does (jemalloc
 * size classes): the dictionary entry (24), the key's sds, and the value
 * object (16) with its payload. Strings follow Redis's encodings: `int` has
 * no payload, `embstr` shares one allocation with the object (up to 44
 * bytes), `raw` has its own sds. Collections report their own size. TTLs
 * are not counted, as in Redis.
 */
export function keyMemoryUsage(key: string, value: Value): number {
  let n = 24 + sdsBytes(key.length, true);
  if (typeof value === 'string') {
    const enc = stringEncoding(value);
    if (enc === 'int') n += 16;
    else if (enc === 'embstr') n += allocatorSize(16 + 3 + value.length + 1);
    else n += 16 + sdsBytes(value.length, false);
  } else {
    n += 16 + value.memoryUsage();
  }
  return n;
}

/** Live effects of CONFIG SET for directives the running node reads once. */
function applyConfig(server: Server, name: string, value: ConfigValue): void {
  switch (name) {
    case 'proto-max-bulk-len':
      for (const c of server.clients.values()) c.parser.maxBulkLen = value as number;
      break;
    case 'hz':
      server.config.set('hz', String(clampHz(value as number)), true);
      server.restartCron();
      break;
  }
}

/** Key-spec flags as COMMAND INFO shows them, derived from the command's flags. */
function keySpecFlags(spec: CommandSpec): string[] {
  if (keysAreChannels(spec)) return ['not_key'];
  if (spec.flags.includes('readonly')) return ['RO', 'access'];
  if (spec.flags.includes('write')) return ['RW', 'update'];
  return ['RW', 'access'];
}

function keySpecs(spec: CommandSpec): Reply[] {
  const k = spec.keys;
  if (k === undefined) return [];
  const flags = new SetReply(keySpecFlags(spec).map((f) => new SimpleString(f)));
  return [
    new MapReply([
      'flags',
      flags,
      'begin_search',
      new MapReply(['type', 'index', 'spec', new MapReply(['index', k.first])]),
      'find_keys',
      new MapReply([
        'type',
        'range',
        'spec',
        new MapReply(['lastkey', k.last < 0 ? k.last : k.last - k.first, 'keystep', k.step, 'limit', 0]),
      ]),
    ]),
  ];
}

/** One COMMAND INFO entry, in Redis 7.0's 10-element shape. */
function commandInfo(spec: CommandSpec): Reply {
  const movable = spec.getKeys !== undefined;
  const flags = movable && !spec.flags.includes('movablekeys') ? [...spec.flags, 'movablekeys'] : spec.flags;
  const k = spec.keys;
  return [
    spec.name,
    spec.arity,
    new SetReply(flags.map((f) => new SimpleString(f))),
    k?.first ?? 0,
    k?.last ?? 0,
    k?.step ?? 0,
    new SetReply((spec.acl ?? []).map((a) => new SimpleString('@' + a))),
    new SetReply((spec.tips ?? []).slice()),
    new SetReply(keySpecs(spec)),
    // Redis 7.0 answers an empty set, not an empty array, for a command without subcommands (RESP3 `~0`).
    spec.subcommands !== undefined ? spec.subcommands.map(commandInfo) : new SetReply([]),
  ];
}

/** One COMMAND DOCS entry (the value half of the name → docs map). */
function commandDocs(spec: CommandSpec): Reply {
  const flat: Reply[] = ['summary', spec.summary, 'since', spec.since, 'group', spec.group];
  if (spec.complexity !== undefined) flat.push('complexity', spec.complexity);
  if (spec.subcommands !== undefined && spec.subcommands.length > 0) {
    const subs: Reply[] = [];
    for (const sub of spec.subcommands) subs.push(sub.name, commandDocs(sub));
    flat.push('subcommands', new MapReply(subs));
  }
  return new MapReply(flat);
}

/** Every command and subcommand spec, top-level first then its subcommands. */
function* allSpecs(): IterableIterator<CommandSpec> {
  for (const spec of COMMAND_SPECS) {
    yield spec;
    if (spec.subcommands) yield* spec.subcommands;
  }
}

/**
 * The spec an argument vector names for COMMAND GETKEYS: the subcommand's
 * for containers (undefined if the subcommand is unknown).
 */
function specForArgs(args: readonly string[]): CommandSpec | undefined {
  const spec = lookupCommand(args[0]!);
  if (spec === undefined || spec.subcommands === undefined || args.length < 2) return spec;
  return lookupCommand(`${spec.name}|${args[1]!.toLowerCase()}`);
}

/** Shared part of COMMAND GETKEYS and GETKEYSANDFLAGS: the key indexes, or Redis's errors. */
function commandKeyIndexes(args: string[]): { spec: CommandSpec; cmdArgs: string[]; idx: number[] } {
  const cmdArgs = args.slice(2);
  const spec = specForArgs(cmdArgs);
  if (spec === undefined) throw new RespError('ERR Invalid command specified');
  if ((spec.keys === undefined && spec.getKeys === undefined) || keysAreChannels(spec)) throw new RespError('ERR The command has no key arguments');
  const arity = spec.arity;
  if ((arity > 0 && cmdArgs.length !== arity) || cmdArgs.length < -arity) {
    throw new RespError('ERR Invalid number of arguments specified for command');
  }
  const idx = getKeyIndexes(spec, cmdArgs);
  if (idx.length === 0 && !spec.flags.includes('no_mandatory_keys')) {
    throw new RespError('ERR Invalid arguments specified for command');
  }
  return { spec, cmdArgs, idx };
}

/** Blocks the event loop for `ms` (DEBUG SLEEP stops the whole server, as in Redis). */
function sleepSync(ms: number): void {
  if (ms <= 0) return;
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/*------------------------------------------------------------------------------
 * Server commands
 *----------------------------------------------------------------------------*/

export function infoCommand(c: Client, args: string[]): Reply {
  return new VerbatimReply(genInfo(c.server, args.slice(1), c));
}

export function timeCommand(c: Client, _args: string[]): Reply {
  const now = c.server.clock.now();
  return [String(Math.floor(now / 1000)), String((now % 1000) * 1000)];
}

export function dbsizeCommand(c: Client, _args: string[]): Reply {
  return c.db.size;
}

export function lastsaveCommand(c: Client, _args: string[]): Reply {
  return Math.floor(c.server.lastSave / 1000);
}

export function flushdbCommand(c: Client, args: string[]): Reply {
  parseFlushMode(args, 1);
  flushDatabase(c.server, c.db);
  return OK;
}

export function flushallCommand(c: Client, args: string[]): Reply {
  parseFlushMode(args, 1);
  for (const db of c.server.dbs) flushDatabase(c.server, db);
  c.server.dirty++;
  return OK;
}

/** SWAPDB a b: clients keep their db index and see the other contents; watchers of keys on either side fail. */
export function swapdbCommand(c: Client, args: string[]): Reply {
  const server = c.server;
  if (server.config.getBool('cluster-enabled')) throw new RespError('ERR SWAPDB is not allowed in cluster mode');
  const a = parseInteger(args[1]!);
  if (a === undefined || !isInt32(a)) throw new RespError('ERR invalid first DB index');
  const b = parseInteger(args[2]!);
  if (b === undefined || !isInt32(b)) throw new RespError('ERR invalid second DB index');
  if (a < 0 || a >= server.dbs.length || b < 0 || b >= server.dbs.length) throw new RespError('ERR DB index is out of range');
  if (a === b) return OK;
  const da = server.dbs[a]!;
  const db = server.dbs[b]!;
  if (!server.watches.empty) {
    const either = (key: string): boolean => da.has(key) || db.has(key);
    server.watches.touchedAll(da, either);
    server.watches.touchedAll(db, either);
  }
  da.swapWith(db);
  // Clients blocked on a key that now exists on either side are served (as Redis's SWAPDB does).
  signalDatabaseReady(da);
  signalDatabaseReady(db);
  server.dirty++;
  return OK;
}

/*------------------------------------------------------------------------------
 * CONFIG
 *----------------------------------------------------------------------------*/

export function configGetCommand(c: Client, args: string[]): Reply {
  const pairs = c.server.config.matching(args.slice(2), (p, name) => matchGlob(p, name, true));
  const flat: Reply[] = [];
  for (const [k, v] of pairs) flat.push(k, v);
  return new MapReply(flat);
}

export function configSetCommand(c: Client, args: string[]): Reply {
  if ((args.length - 2) % 2 !== 0) throw SYNTAX;
  const config = c.server.config;
  const pairs = args.slice(2);
  try {
    config.setMany(pairs);
  } catch (err) {
    if (err instanceof ConfigError) throw new RespError('ERR ' + err.message);
    throw err;
  }
  for (let i = 0; i < pairs.length; i += 2) {
    const name = pairs[i]!.toLowerCase();
    for (const [d, v] of config.entries()) {
      if (d.name === name || d.aliases?.includes(name)) applyConfig(c.server, d.name, v);
    }
  }
  return OK;
}

export function configResetstatCommand(c: Client, _args: string[]): Reply {
  const server = c.server;
  const st = server.stats;
  for (const k of Object.keys(st) as (keyof typeof st)[]) st[k] = 0;
  server.errorStats.clear();
  for (const cmd of new Set(COMMANDS.values())) {
    const all = cmd.subcommands ? [cmd, ...cmd.subcommands.values()] : [cmd];
    for (const x of all) {
      x.stats.calls = 0;
      x.stats.usec = 0;
      x.stats.rejected = 0;
      x.stats.failed = 0;
    }
  }
  return OK;
}

export function configRewriteCommand(c: Client, _args: string[]): Reply {
  const config = c.server.config;
  if (config.file === undefined) throw new RespError('ERR The server is running without a config file');
  try {
    let text = '';
    try {
      text = readFileSync(config.file, 'latin1');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    writeFileSync(config.file, config.rewrite(text), 'latin1');
  } catch (err) {
    c.server.log('warning', `CONFIG REWRITE failed: ${(err as Error).message}`);
    throw new RespError(`ERR Rewriting config file: ${(err as Error).message}`);
  }
  c.server.log('notice', 'CONFIG REWRITE executed with success.');
  return OK;
}

export function configHelpCommand(_c: Client, _args: string[]): Reply {
  return helpReply(CONFIG_HELP);
}

/*------------------------------------------------------------------------------
 * SLOWLOG
 *----------------------------------------------------------------------------*/

export function slowlogGetCommand(c: Client, args: string[]): Reply {
  let count = 10;
  if (args.length === 3) {
    const n = parseInteger(args[2]!);
    if (n === undefined || n < -1) throw new RespError('ERR count should be greater than or equal to -1');
    count = n === -1 ? Infinity : n;
  }
  const entries = c.server.slowlog.entries;
  const out: Reply[] = [];
  for (let i = 0; i < entries.length && i < count; i++) {
    const e = entries[i]!;
    out.push([e.id, e.time, e.usec, e.args.slice(), e.peer, e.name]);
  }
  return out;
}

export function slowlogLenCommand(c: Client, _args: string[]): Reply {
  return c.server.slowlog.entries.length;
}

export function slowlogResetCommand(c: Client, _args: string[]): Reply {
  c.server.slowlog.reset();
  return OK;
}

export function slowlogHelpCommand(_c: Client, _args: string[]): Reply {
  return helpReply(SLOWLOG_HELP);
}

/*------------------------------------------------------------------------------
 * DEBUG
 *----------------------------------------------------------------------------*/

export function debugCommand(c: Client, args: string[]): Reply {
  const sub = args[1]!.toLowerCase();
  if (sub === 'help' && args.length === 2) return helpReply(DEBUG_HELP);
  if (sub === 'sleep' && args.length === 3) {
    const secs = Number(args[2]);
    if (!Number.isFinite(secs)) throw new RespError('ERR value is not a valid float');
    sleepSync(secs * 1000);
    return OK;
  }
  if (sub === 'object' && args.length === 3) {
    const v = c.db.get(args[2]!);
    if (v === undefined) throw NO_SUCH_KEY;
    const enc = typeof v === 'string' ? stringEncoding(v) : v.encoding();
    const len = typeof v === 'string' ? v.length : v.memoryUsage();
    return new SimpleString(
      `Value at:0x${(0x7f0000000000 + (c.db.size & 0xffff) * 16).toString(16)} refcount:1 encoding:${enc} serializedlength:${len} lru:${Math.floor(c.server.clock.now() / 1000) & 0xffffff} lru_seconds_idle:0`,
    );
  }
  if (sub === 'set-active-expire' && args.length === 3) {
    const n = parseInteger(args[2]!);
    if (n === undefined) throw NOT_INTEGER;
    c.server.activeExpireEnabled = n !== 0;
    return OK;
  }
  if ((sub === 'reload' || sub === 'jmap') && args.length === 2) return OK;
  throw new SubcommandSyntaxError('debug', args[1]!);
}

/*------------------------------------------------------------------------------
 * MEMORY
 *----------------------------------------------------------------------------*/

/** MEMORY USAGE key [SAMPLES count]: the whole value is measured, so SAMPLES is checked but not needed. */
export function memoryUsageCommand(c: Client, args: string[]): Reply {
  for (let i = 3; i < args.length; i++) {
    if (args[i]!.toLowerCase() === 'samples' && i + 1 < args.length) {
      const n = parseInteger(args[++i]!);
      if (n === undefined) throw NOT_INTEGER;
    } else {
      throw SYNTAX;
    }
  }
  const key = args[2]!;
  const v = c.db.get(key);
  if (v === undefined) return null;
  return keyMemoryUsage(key, v);
}

export function memoryDoctorCommand(c: Client, _args: string[]): Reply {
  const used = process.memoryUsage().heapUsed;
  if (used < 5 * 1024 * 1024 || datasetMemory(c.server) < 1024 * 1024) return new VerbatimReply(MEMORY_DOCTOR_EMPTY);
  return new VerbatimReply(
    'Sam, I detected no issues in this instance. I can only account for what occurs on this base.',
  );
}

export function memoryStatsCommand(c: Client, _args: string[]): Reply {
  const server = c.server;
  const mem = process.memoryUsage();
  const used = mem.heapUsed + mem.external;
  const dataset = datasetMemory(server);
  let keys = 0;
  const flat: Reply[] = [
    'peak.allocated',
    used,
    'total.allocated',
    used,
    'startup.allocated',
    0,
    'replication.backlog',
    0,
    'clients.slaves',
    0,
    'clients.normal',
    0,
    'cluster.links',
    0,
    'aof.buffer',
    0,
    'lua.caches',
    0,
    'functions.caches',
    0,
  ];
  for (const db of server.dbs) {
    if (db.size === 0) continue;
    keys += db.size;
    flat.push(`db.${db.id}`, new MapReply(['overhead.hashtable.main', db.size * 24, 'overhead.hashtable.expires', db.expires.size * 24]));
  }
  const overhead = Math.max(0, used - dataset);
  flat.push(
    'overhead.total',
    overhead,
    'keys.count',
    keys,
    'keys.bytes-per-key',
    keys === 0 ? 0 : Math.floor(used / keys),
    'dataset.bytes',
    dataset,
    'dataset.percentage',
    new SimpleString('0'),
    'peak.percentage',
    new SimpleString('100'),
    'allocator.allocated',
    mem.heapUsed,
    'allocator.active',
    mem.heapTotal,
    'allocator.resident',
    mem.rss,
    'allocator-fragmentation.ratio',
    new SimpleString('1'),
    'allocator-fragmentation.bytes',
    0,
    'allocator.rss-ratio',
    new SimpleString('1'),
    'allocator.rss-bytes',
    0,
    'rss-overhead.ratio',
    new SimpleString('1'),
    'rss-overhead.bytes',
    0,
    'fragmentation',
    new SimpleString((mem.rss / Math.max(1, used)).toFixed(2)),
    'fragmentation.bytes',
    mem.rss - used,
  );
  // Redis sends the percentages and ratios as doubles; keep them numeric text.
  for (let i = 0; i < flat.length; i++) {
    const v = flat[i];
    if (v instanceof SimpleString) flat[i] = v.value;
  }
  const pct = flat.indexOf('dataset.percentage');
  flat[pct + 1] = used === 0 ? '0' : String(((dataset / used) * 100).toFixed(2));
  return new MapReply(flat);
}

export function memoryMallocStatsCommand(_c: Client, _args: string[]): Reply {
  return new VerbatimReply('Stats not supported for the current allocator');
}

export function memoryPurgeCommand(_c: Client, _args: string[]): Reply {
  return OK;
}

export function memoryHelpCommand(_c: Client, _args: string[]): Reply {
  return helpReply(MEMORY_HELP);
}

/*------------------------------------------------------------------------------
 * COMMAND
 *----------------------------------------------------------------------------*/

export function commandCommand(_c: Client, args: string[]): Reply {
  if (args.length > 1) {
    throw new RespError(`ERR unknown subcommand '${args[1]!}'. Try COMMAND HELP.`);
  }
  return COMMAND_SPECS.map(commandInfo);
}

export function commandCountCommand(_c: Client, _args: string[]): Reply {
  return COMMAND_SPECS.length;
}

export function commandInfoCommand(_c: Client, args: string[]): Reply {
  if (args.length === 2) return COMMAND_SPECS.map(commandInfo);
  const out: Reply[] = [];
  for (let i = 2; i < args.length; i++) {
    const spec = lookupCommand(args[i]!);
    out.push(spec === undefined ? null : commandInfo(spec));
  }
  return out;
}

export function commandDocsCommand(_c: Client, args: string[]): Reply {
  const flat: Reply[] = [];
  if (args.length === 2) {
    for (const spec of COMMAND_SPECS) flat.push(spec.name, commandDocs(spec));
  } else {
    for (let i = 2; i < args.length; i++) {
      const spec = lookupCommand(args[i]!);
      if (spec !== undefined) flat.push(spec.name, commandDocs(spec));
    }
  }
  return new MapReply(flat);
}

export function commandGetkeysCommand(_c: Client, args: string[]): Reply {
  const { cmdArgs, idx } = commandKeyIndexes(args);
  return idx.map((i) => cmdArgs[i]!);
}

export function commandGetkeysandflagsCommand(_c: Client, args: string[]): Reply {
  const { spec, cmdArgs, idx } = commandKeyIndexes(args);
  const flags = new SetReply(keySpecFlags(spec).map((f) => new SimpleString(f)));
  return idx.map((i) => [cmdArgs[i]!, flags]);
}

/** COMMAND LIST [FILTERBY MODULE name | ACLCAT category | PATTERN pattern] */
export function commandListCommand(_c: Client, args: string[]): Reply {
  let filter: ((spec: CommandSpec) => boolean) | undefined;
  if (args.length === 5 && args[2]!.toLowerCase() === 'filterby') {
    const kind = args[3]!.toLowerCase();
    const value = args[4]!;
    if (kind === 'module') filter = () => false;
    else if (kind === 'aclcat') filter = (s) => (s.acl ?? []).includes(value.toLowerCase());
    else if (kind === 'pattern') filter = (s) => matchGlob(value, s.name, true);
    else throw SYNTAX;
  } else if (args.length !== 2) {
    throw SYNTAX;
  }
  const out: Reply[] = [];
  for (const spec of allSpecs()) if (filter === undefined || filter(spec)) out.push(spec.name);
  return out;
}

export function commandHelpCommand(_c: Client, _args: string[]): Reply {
  return helpReply(COMMAND_HELP);
}

/*------------------------------------------------------------------------------
 * SHUTDOWN
 *----------------------------------------------------------------------------*/

/**
 * SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]: stops the node gracefully
 * and, under main.ts, ends the process. The caller gets no reply: its
 * connection closes with the others, as in Redis.
 */
export function shutdownCommand(c: Client, args: string[]): Reply | typeof BLOCKED {
  let save = false;
  let nosave = false;
  let abort = false;
  for (let i = 1; i < args.length; i++) {
    const opt = args[i]!.toLowerCase();
    if (opt === 'nosave') nosave = true;
    else if (opt === 'save') save = true;
    else if (opt === 'now' || opt === 'force') continue;
    else if (opt === 'abort') abort = true;
    else throw SYNTAX;
  }
  if ((save && nosave) || (abort && args.length !== 2)) throw SYNTAX;
  if (abort) throw new RespError('ERR No shutdown in progress.');
  if (c.multi !== null) throw new RespError('ERR Command not allowed inside a transaction');
  const server = c.server;
  server.log('warning', 'User requested shutdown...');
  server.shutdown().then(
    () => server.onShutdown?.(),
    (err: Error) => server.log('warning', `Error during shutdown: ${err.message}`),
  );
  return BLOCKED;
}

export const SERVER_HANDLERS: HandlerTable = {
  info: infoCommand,
  time: timeCommand,
  dbsize: dbsizeCommand,
  lastsave: lastsaveCommand,
  flushdb: flushdbCommand,
  flushall: flushallCommand,
  swapdb: swapdbCommand,
  'config|get': configGetCommand,
  'config|set': configSetCommand,
  'config|resetstat': configResetstatCommand,
  'config|rewrite': configRewriteCommand,
  'config|help': configHelpCommand,
  'slowlog|get': slowlogGetCommand,
  'slowlog|len': slowlogLenCommand,
  'slowlog|reset': slowlogResetCommand,
  'slowlog|help': slowlogHelpCommand,
  debug: debugCommand,
  'memory|usage': memoryUsageCommand,
  'memory|doctor': memoryDoctorCommand,
  'memory|stats': memoryStatsCommand,
  'memory|malloc-stats': memoryMallocStatsCommand,
  'memory|purge': memoryPurgeCommand,
  'memory|help': memoryHelpCommand,
  command: commandCommand,
  'command|count': commandCountCommand,
  'command|info': commandInfoCommand,
  'command|docs': commandDocsCommand,
  'command|getkeys': commandGetkeysCommand,
  'command|getkeysandflags': commandGetkeysandflagsCommand,
  'command|list': commandListCommand,
  'command|help': commandHelpCommand,
  shutdown: shutdownCommand,
};
