/**
 * Server configuration: redis.conf directives, parsed and named as Redis does.
 *
 * Each directive is declared once in `DIRECTIVES` with its type, default and
 * whether CONFIG SET may change it. The same table serves the config file, the
 * command line (`--port 7000`), CONFIG GET (glob patterns), CONFIG SET and
 * CONFIG REWRITE. Values are stored parsed (numbers, booleans, strings) and
 * rendered back in Redis's canonical form for CONFIG GET.
 */
import { readFileSync } from 'node:fs';
import { splitArgs } from './resp/request-parser.js';

export type DirectiveType = 'int' | 'memory' | 'bool' | 'string' | 'enum' | 'save' | 'strings';

export interface Directive {
  readonly name: string;
  readonly type: DirectiveType;
  readonly default: string;
  /** Old names still accepted (e.g. `hash-max-ziplist-entries`). */
  readonly aliases?: readonly string[];
  /** False for directives fixed at startup (CONFIG SET answers an error). */
  readonly mutable: boolean;
  readonly min?: number;
  readonly max?: number;
  readonly values?: readonly string[];
  /** Sensitive values (passwords) are not echoed in errors. */
  readonly sensitive?: boolean;
}

function int(name: string, def: number, min: number, max: number, mutable = true, aliases?: string[]): Directive {
  return { name, type: 'int', default: String(def), min, max, mutable, ...(aliases ? { aliases } : {}) };
}
function mem(name: string, def: string, mutable = true, aliases?: string[]): Directive {
  return { name, type: 'memory', default: def, min: 0, max: Number.MAX_SAFE_INTEGER, mutable, ...(aliases ? { aliases } : {}) };
}
function bool(name: string, def: boolean, mutable = true): Directive {
  return { name, type: 'bool', default: def ? 'yes' : 'no', mutable };
}
function str(name: string, def: string, mutable = true, sensitive = false): Directive {
  return { name, type: 'string', default: def, mutable, sensitive };
}
function enumeration(name: string, def: string, values: string[], mutable = true): Directive {
  return { name, type: 'enum', default: def, values, mutable };
}

/** Every directive Shardis understands. Later subsystems add theirs here. */
export const DIRECTIVES: readonly Directive[] = [
  int('port', 6379, 0, 65535, false),
  { name: 'bind', type: 'strings', default: '127.0.0.1', mutable: false },
  str('dir', './'),
  str('dbfilename', 'dump.rdb'),
  str('requirepass', '', true, true),
  int('maxclients', 10000, 1, 65000),
  mem('proto-max-bulk-len', '512mb'),
  mem('client-query-buffer-limit', '1gb'),
  int('databases', 16, 1, 1 << 20, false),
  int('hz', 10, 1, 500),
  int('timeout', 0, 0, 2 ** 31 - 1),
  int('tcp-keepalive', 300, 0, 2 ** 31 - 1),
  int('tcp-backlog', 511, 0, 65535, false),
  bool('protected-mode', true),
  bool('daemonize', false, false),
  str('pidfile', '', false),
  enumeration('loglevel', 'notice', ['debug', 'verbose', 'notice', 'warning', 'nothing']),
  str('logfile', '', false),
  { name: 'save', type: 'save', default: '', mutable: true },
  bool('appendonly', false),
  str('appendfilename', 'appendonly.aof', false),
  enumeration('appendfsync', 'everysec', ['always', 'everysec', 'no']),
  mem('maxmemory', '0'),
  enumeration('maxmemory-policy', 'noeviction', [
    'volatile-lru',
    'volatile-lfu',
    'volatile-random',
    'volatile-ttl',
    'allkeys-lru',
    'allkeys-lfu',
    'allkeys-random',
    'noeviction',
  ]),
  int('maxmemory-samples', 5, 1, 64),
  int('slowlog-log-slower-than', 10000, -1, 2 ** 53 - 1),
  int('slowlog-max-len', 128, 0, 2 ** 31 - 1),
  int('active-expire-effort', 1, 1, 10),
  bool('lazyfree-lazy-user-del', false),
  bool('lazyfree-lazy-user-flush', false),
  bool('lazyfree-lazy-expire', false),
  bool('lazyfree-lazy-eviction', false),
  bool('lazyfree-lazy-server-del', false),
  int('lua-time-limit', 5000, 0, 2 ** 53 - 1, true, ['busy-reply-threshold']),
  mem('client-output-buffer-limit-normal-hard', '0'),
  str('notify-keyspace-events', ''),
  // Compact encodings of small collections (issue #3); old *-ziplist-* names are aliases.
  int('hash-max-listpack-entries', 128, 0, 2 ** 31 - 1, true, ['hash-max-ziplist-entries']),
  int('hash-max-listpack-value', 64, 0, 2 ** 31 - 1, true, ['hash-max-ziplist-value']),
  int('set-max-intset-entries', 512, 0, 2 ** 31 - 1),
  int('set-max-listpack-entries', 128, 0, 2 ** 31 - 1),
  int('set-max-listpack-value', 64, 0, 2 ** 31 - 1),
  int('zset-max-listpack-entries', 128, 0, 2 ** 31 - 1, true, ['zset-max-ziplist-entries']),
  int('zset-max-listpack-value', 64, 0, 2 ** 31 - 1, true, ['zset-max-ziplist-value']),
  int('list-max-listpack-size', -2, -5, 2 ** 31 - 1, true, ['list-max-ziplist-size']),
  int('list-compress-depth', 0, 0, 2 ** 31 - 1),
  // Cluster mode (issue #4).
  bool('cluster-enabled', false, false),
  str('cluster-config-file', 'nodes.conf', false),
  int('cluster-node-timeout', 15000, 0, 2 ** 53 - 1),
  int('cluster-port', 0, 0, 65535, false),
  str('cluster-announce-ip', ''),
  int('cluster-announce-port', 0, 0, 65535),
  int('cluster-announce-bus-port', 0, 0, 65535),
  str('cluster-announce-hostname', ''),
  enumeration('cluster-preferred-endpoint-type', 'ip', ['ip', 'hostname', 'unknown-endpoint']),
  bool('cluster-require-full-coverage', true),
  bool('cluster-allow-reads-when-down', false),
  bool('cluster-allow-replica-migration', true),
  int('cluster-migration-barrier', 1, 0, 2 ** 31 - 1),
  bool('cluster-replica-no-failover', false),
  int('cluster-replica-validity-factor', 10, 0, 2 ** 31 - 1),
];

const BY_NAME = new Map<string, Directive>();
for (const d of DIRECTIVES) {
  BY_NAME.set(d.name, d);
  for (const a of d.aliases ?? []) BY_NAME.set(a, d);
}

export function findDirective(name: string): Directive | undefined {
  return BY_NAME.get(name.toLowerCase());
}

/** Raised for a value or name that cannot be accepted; the message is Redis's reason. */
export class ConfigError extends Error {}

const MEMORY_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1000,
  kb: 1024,
  m: 1000 * 1000,
  mb: 1024 * 1024,
  g: 1000 * 1000 * 1000,
  gb: 1024 * 1024 * 1024,
};

/** Parses a memory amount as Redis's memtoull: `100`, `1k`, `5mb`, `2GB`. */
export function parseMemory(text: string): number | undefined {
  const m = /^(-?\d+)([a-zA-Z]*)$/.exec(text);
  if (!m) return undefined;
  const unit = MEMORY_UNITS[m[2]!.toLowerCase()];
  if (unit === undefined) return undefined;
  const n = Number(m[1]) * unit;
  return Number.isSafeInteger(n) ? n : undefined;
}

export type ConfigValue = number | boolean | string | string[];

/** Parses `text` for directive `d`, throwing a ConfigError with Redis's wording. */
export function parseDirectiveValue(d: Directive, text: string): ConfigValue {
  switch (d.type) {
    case 'int': {
      if (!/^-?\d+$/.test(text)) throw new ConfigError('argument couldn\'t be parsed into an integer');
      const n = Number(text);
      if (n < d.min! || n > d.max!) throw new ConfigError(`argument must be between ${d.min} and ${d.max} inclusive`);
      return n;
    }
    case 'memory': {
      const n = parseMemory(text);
      if (n === undefined) throw new ConfigError('argument must be a memory value');
      if (n < 0) throw new ConfigError('argument must be a memory value');
      return n;
    }
    case 'bool': {
      const t = text.toLowerCase();
      if (t === 'yes') return true;
      if (t === 'no') return false;
      throw new ConfigError('argument must be \'yes\' or \'no\'');
    }
    case 'enum': {
      const t = text.toLowerCase();
      if (!d.values!.includes(t)) throw new ConfigError(`argument(s) must be one of the following: ${d.values!.join(', ')}`);
      return t;
    }
    case 'save': {
      const parts = text.split(' ').filter((p) => p !== '');
      if (parts.length % 2 !== 0) throw new ConfigError('Invalid save parameters');
      for (const p of parts) if (!/^\d+$/.test(p)) throw new ConfigError('Invalid save parameters');
      return parts.join(' ');
    }
    case 'strings':
      return text.split(' ').filter((p) => p !== '');
    default:
      return text;
  }
}

/** Renders a stored value as CONFIG GET shows it. */
export function formatDirectiveValue(d: Directive, v: ConfigValue): string {
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (Array.isArray(v)) return v.join(' ');
  return String(v);
}

/** The live configuration of one node. */
export class Config {
  #values = new Map<string, ConfigValue>();
  /** Path of the config file the server started from, for CONFIG REWRITE. */
  file: string | undefined;
  /** Called after a successful CONFIG SET of a directive (by canonical name). */
  onChange: ((name: string, value: ConfigValue) => void) | undefined;

  constructor() {
    for (const d of DIRECTIVES) this.#values.set(d.name, parseDirectiveValue(d, d.default));
  }

  get(name: string): ConfigValue {
    const v = this.#values.get(name);
    if (v === undefined) throw new Error(`Cannot read directive '${name}' as it is not declared`);
    return v;
  }
  getNumber(name: string): number {
    return this.get(name) as number;
  }
  getBool(name: string): boolean {
    return this.get(name) as boolean;
  }
  getString(name: string): string {
    return this.get(name) as string;
  }

  /** Sets a directive from text; throws ConfigError. `startup` allows immutable ones. */
  set(name: string, text: string, startup = false): void {
    const d = findDirective(name);
    if (!d) throw new ConfigError(`Unknown option or number of arguments for CONFIG SET - '${name}'`);
    if (!d.mutable && !startup) throw new ConfigError(`can't set immutable config`);
    const v = parseDirectiveValue(d, text);
    this.#values.set(d.name, v);
    if (!startup) this.onChange?.(d.name, v);
  }

  /** Directives matching a glob, as [name, value] pairs (aliases match too, shown under the matched name). */
  *entries(): IterableIterator<[Directive, ConfigValue]> {
    for (const d of DIRECTIVES) yield [d, this.#values.get(d.name)!];
  }

  /**
   * Applies `directive args...` lines from a redis.conf text, then the
   * command line `--name value ...` pairs. Throws ConfigError naming the
   * offending line.
   */
  load(fileText: string | undefined, argv: readonly string[]): void {
    const lines: string[] = fileText === undefined ? [] : fileText.split('\n');
    // Command-line options are appended as config lines, as Redis does.
    let i = 0;
    const cli: string[] = [];
    while (i < argv.length) {
      const a = argv[i]!;
      if (!a.startsWith('--')) throw new ConfigError(`Invalid argument '${a}': options are --<directive> <value>`);
      const vals: string[] = [];
      i++;
      while (i < argv.length && !argv[i]!.startsWith('--')) vals.push(argv[i++]!);
      cli.push([a.slice(2), ...vals.map(quoteArg)].join(' '));
    }
    const all = [...lines, ...cli];
    for (let n = 0; n < all.length; n++) {
      const line = all[n]!.trim();
      if (line === '' || line.startsWith('#')) continue;
      const args = splitArgs(line);
      if (!args || args.length === 0) throw new ConfigError(`Bad directive or wrong number of arguments at line ${n + 1}: ${line}`);
      const name = args[0]!.toLowerCase();
      const d = findDirective(name);
      if (!d) throw new ConfigError(`Bad directive or wrong number of arguments at line ${n + 1}: '${line}'`);
      const text = d.type === 'save' && args.length === 2 && args[1] === '' ? '' : args.slice(1).join(' ');
      if (d.type !== 'save' && d.type !== 'strings' && args.length !== 2) {
        throw new ConfigError(`Bad directive or wrong number of arguments at line ${n + 1}: '${line}'`);
      }
      try {
        this.set(d.name, text, true);
      } catch (err) {
        throw new ConfigError(`Invalid value for '${d.name}' at line ${n + 1}: ${(err as Error).message}`);
      }
    }
  }

  loadFile(path: string, argv: readonly string[]): void {
    this.file = path;
    this.load(readFileSync(path, 'latin1'), argv);
  }
}

function quoteArg(a: string): string {
  return a === '' || /[\s"']/.test(a) ? JSON.stringify(a) : a;
}
