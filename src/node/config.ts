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
import { resolve } from 'node:path';
import { splitArgs } from './resp/request-parser.js';

export type DirectiveType = 'int' | 'memory' | 'bool' | 'string' | 'enum' | 'save' | 'strings' | 'obuf-limits';

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
  /** Upper bound as Redis prints it, when `max` is clamped to a safe JS integer. */
  readonly maxText?: string;
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
  int('maxclients', 10000, 1, 4294967295),
  mem('proto-max-bulk-len', '512mb'),
  mem('client-query-buffer-limit', '1gb'),
  int('databases', 16, 1, 1 << 20, false),
  // Redis accepts any hz and clamps it to 1..500 (see clampHz).
  int('hz', 10, 0, 2147483647),
  int('timeout', 0, 0, 2 ** 31 - 1),
  int('tcp-keepalive', 300, 0, 2 ** 31 - 1),
  int('tcp-backlog', 511, 0, 65535, false),
  bool('protected-mode', true),
  bool('daemonize', false, false),
  str('pidfile', '', false),
  enumeration('loglevel', 'notice', ['debug', 'verbose', 'notice', 'warning']),
  str('logfile', '', false),
  { name: 'save', type: 'save', default: '', mutable: true },
  bool('appendonly', false),
  str('appendfilename', 'appendonly.aof', false),
  enumeration('appendfsync', 'everysec', ['everysec', 'always', 'no']),
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
  { ...int('slowlog-log-slower-than', 10000, -1, 2 ** 53 - 1), maxText: '9223372036854775807' },
  int('slowlog-max-len', 128, 0, 2 ** 31 - 1),
  int('active-expire-effort', 1, 1, 10),
  bool('lazyfree-lazy-user-del', false),
  bool('lazyfree-lazy-user-flush', false),
  bool('lazyfree-lazy-expire', false),
  bool('lazyfree-lazy-eviction', false),
  bool('lazyfree-lazy-server-del', false),
  int('lua-time-limit', 5000, 0, 2 ** 53 - 1, true, ['busy-reply-threshold']),
  { name: 'client-output-buffer-limit', type: 'obuf-limits', default: 'normal 0 0 0 slave 256mb 64mb 60 pubsub 32mb 8mb 60', mutable: true },
  str('notify-keyspace-events', ''),
  // Compact encodings of small collections (issue #3); old *-ziplist-* names are aliases.
  int('hash-max-listpack-entries', 512, 0, 2 ** 31 - 1, true, ['hash-max-ziplist-entries']),
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
  bool('cluster-allow-pubsubshard-when-down', true),
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

/**
 * `client-output-buffer-limit` classes in CONFIG GET's order and spelling:
 * Redis shows `slave` and also takes `replica`; `master` is refused.
 */
export const OBUF_CLASSES = ['normal', 'slave', 'pubsub'] as const;
export type ObufClass = (typeof OBUF_CLASSES)[number];

/** One class's output limits in bytes (0 = off) and how long the soft one may be exceeded. */
export interface ObufLimit {
  readonly hard: number;
  readonly soft: number;
  readonly seconds: number;
}

const NO_LIMIT: ObufLimit = { hard: 0, soft: 0, seconds: 0 };

/**
 * `client-output-buffer-limit` as Redis 7.0 parses it: groups of `class hard
 * soft seconds`, sizes with memory units, merged into `current` (classes not
 * named keep their limits; a class named twice takes the last group), all or
 * nothing. Returns the canonical text CONFIG GET shows.
 */
function parseObufLimits(text: string, current: string | undefined): string {
  const args = text.split(' ').filter((p) => p !== '');
  if (args.length % 4 !== 0) throw new ConfigError('Wrong number of arguments in buffer limit configuration.');
  const limits = current === undefined ? [NO_LIMIT, NO_LIMIT, NO_LIMIT] : [...obufLimits(current)];
  for (let j = 0; j < args.length; j += 4) {
    const name = args[j]!.toLowerCase();
    const cls = name === 'replica' ? 1 : OBUF_CLASSES.indexOf(name as ObufClass);
    if (cls < 0) throw new ConfigError('Invalid client class specified in buffer limit configuration.');
    const hard = parseMemory(args[j + 1]!);
    const soft = parseMemory(args[j + 2]!);
    const seconds = /^\d+$/.test(args[j + 3]!) ? Number(args[j + 3]) : -1;
    // Sizes past 2^53 are refused (Redis takes up to 2^64 and worse); nobody sets a limit that high.
    if (hard === undefined || hard < 0 || soft === undefined || soft < 0 || seconds < 0 || !Number.isSafeInteger(seconds)) {
      throw new ConfigError('Error in hard, soft or soft_seconds setting in buffer limit configuration.');
    }
    limits[cls] = { hard, soft, seconds };
  }
  return limits.map((l, i) => `${OBUF_CLASSES[i]} ${l.hard} ${l.soft} ${l.seconds}`).join(' ');
}

let obufMemo: { text: string; limits: readonly ObufLimit[] } | undefined;

/** The three classes' limits (normal, slave, pubsub) from the canonical text; cached for the last text seen. */
export function obufLimits(text: string): readonly ObufLimit[] {
  if (obufMemo?.text === text) return obufMemo.limits;
  const f = text.split(' ');
  const limits: ObufLimit[] = [];
  for (let i = 0; i < 3; i++) limits.push({ hard: Number(f[i * 4 + 1]), soft: Number(f[i * 4 + 2]), seconds: Number(f[i * 4 + 3]) });
  obufMemo = { text, limits };
  return limits;
}

/** A byte count as CONFIG REWRITE writes it (Redis's rewriteConfigFormatMemory): the largest of gb, mb, kb that divides it. */
function formatMemoryUnit(bytes: number): string {
  for (const [unit, size] of [['gb', 1024 ** 3], ['mb', 1024 ** 2], ['kb', 1024]] as const) {
    if (bytes !== 0 && bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return String(bytes);
}

/**
 * Parses `text` for directive `d`, throwing a ConfigError with Redis's
 * wording. `current` is the directive's value before, for directives whose
 * text updates it rather than replaces it (`client-output-buffer-limit`).
 */
export function parseDirectiveValue(d: Directive, text: string, current?: ConfigValue): ConfigValue {
  switch (d.type) {
    case 'obuf-limits':
      return parseObufLimits(text, current as string | undefined);
    case 'int': {
      if (!/^-?\d+$/.test(text)) throw new ConfigError('argument couldn\'t be parsed into an integer');
      const n = Number(text);
      if (n < d.min! || n > d.max!) throw new ConfigError(`argument must be between ${d.min} and ${d.maxText ?? d.max} inclusive`);
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
  // Redis chdirs to `dir` and reports the absolute working directory.
  if (d.name === 'dir') return resolve(v as string);
  if (Array.isArray(v)) return v.join(' ');
  return String(v);
}

/** Redis runs its timer between 1 and 500 times a second whatever `hz` asks for. */
export function clampHz(hz: number): number {
  return Math.min(500, Math.max(1, hz));
}

const REWRITE_MARKER = '# Generated by CONFIG REWRITE';

/** True if `s` holds a glob metacharacter (CONFIG GET takes it as a pattern). */
function isPattern(s: string): boolean {
  return /[*?[\\]/.test(s);
}

/** One directive's current value, kept up to date by Config (see `Config.live`). */
export interface LiveValue<T extends ConfigValue> {
  readonly value: T;
}

/** The live configuration of one node. */
export class Config {
  #values = new Map<string, ConfigValue>();
  /** Cells handed out by `live`, by canonical name; `#put` keeps them current. */
  #cells = new Map<string, { value: ConfigValue }>();
  /** Path of the config file the server started from, for CONFIG REWRITE. */
  file: string | undefined;
  /**
   * Called after a successful CONFIG SET, once per directive (canonical
   * name), to apply it to live state; may throw a ConfigError to refuse the
   * value, in which case the whole CONFIG SET is rolled back.
   */
  onChange: ((name: string, value: ConfigValue) => void) | undefined;

  constructor() {
    for (const d of DIRECTIVES) this.#values.set(d.name, parseDirectiveValue(d, d.default));
  }

  /** Every change of a value goes through here, so that live cells follow it. */
  #put(name: string, v: ConfigValue): void {
    this.#values.set(name, v);
    const cell = this.#cells.get(name);
    if (cell !== undefined) cell.value = v;
  }

  /**
   * A cell whose `value` is always the directive's current value (CONFIG
   * SET, rollbacks and startup settings included), for code that reads a
   * directive on every command or read and should not pay a name lookup.
   */
  live<T extends ConfigValue>(name: string): LiveValue<T> {
    let cell = this.#cells.get(name);
    if (cell === undefined) this.#cells.set(name, (cell = { value: this.get(name) }));
    return cell as LiveValue<T>;
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
    if (!startup) {
      this.setMany([name, text]);
      return;
    }
    const d = findDirective(name);
    if (!d) throw new ConfigError(`Unknown option or number of arguments for CONFIG SET - '${name}'`);
    this.#put(d.name, parseDirectiveValue(d, text, this.#values.get(d.name)));
  }

  /**
   * CONFIG SET of `name value` pairs, all or nothing (Redis 7.0): every name
   * and value is checked before anything changes; a failure while applying
   * (`onChange`) restores every old value. Throws a ConfigError whose
   * message is the full Redis error text without `ERR `.
   */
  setMany(pairs: readonly string[]): void {
    const parsed: [Directive, ConfigValue, string][] = [];
    const seen = new Set<Directive>();
    for (let i = 0; i + 1 < pairs.length; i += 2) {
      const name = pairs[i]!;
      const d = findDirective(name);
      if (!d) throw new ConfigError(`Unknown option or number of arguments for CONFIG SET - '${name}'`);
      const fail = (reason: string): never => {
        throw new ConfigError(`CONFIG SET failed (possibly related to argument '${name}') - ${reason}`);
      };
      if (!d.mutable) fail("can't set immutable config");
      if (seen.has(d)) fail('duplicate parameter');
      seen.add(d);
      let v: ConfigValue;
      try {
        v = parseDirectiveValue(d, pairs[i + 1]!, this.#values.get(d.name));
      } catch (err) {
        return fail((err as Error).message);
      }
      parsed.push([d, v, name]);
    }
    const old = parsed.map(([d]) => this.#values.get(d.name)!);
    for (const [d, v] of parsed) this.#put(d.name, v);
    let applied = 0;
    try {
      for (const [d, v] of parsed) {
        this.onChange?.(d.name, v);
        applied++;
      }
    } catch (err) {
      for (let i = 0; i < parsed.length; i++) this.#put(parsed[i]![0].name, old[i]!);
      for (let i = 0; i < applied; i++) {
        try {
          this.onChange?.(parsed[i]![0].name, old[i]!);
        } catch {
          // Restoring a value that was accepted before cannot fail in a way we could report.
        }
      }
      const name = parsed[applied]![2];
      throw new ConfigError(`CONFIG SET failed (possibly related to argument '${name}') - ${(err as Error).message}`);
    }
  }

  /** Every directive and its current value, in declaration order. */
  *entries(): IterableIterator<[Directive, ConfigValue]> {
    for (const d of DIRECTIVES) yield [d, this.#values.get(d.name)!];
  }

  /**
   * CONFIG GET: `[name, value]` for every directive name (aliases included,
   * each under its own name) matching one of `patterns`, each name once.
   * A pattern without glob characters is an exact, case-insensitive name.
   */
  matching(patterns: readonly string[], match: (pattern: string, name: string) => boolean): [string, string][] {
    const out = new Map<string, string>();
    for (const p of patterns) {
      if (!isPattern(p)) {
        const d = findDirective(p);
        if (d && !out.has(p)) out.set(p, formatDirectiveValue(d, this.#values.get(d.name)!));
        continue;
      }
      for (const d of DIRECTIVES) {
        for (const name of [d.name, ...(d.aliases ?? [])]) {
          if (!out.has(name) && match(p, name)) out.set(name, formatDirectiveValue(d, this.#values.get(d.name)!));
        }
      }
    }
    return [...out];
  }

  /**
   * Applies `directive args...` lines from a redis.conf text, then the
   * command line `--name value ...` pairs (appended as lines, as Redis does).
   * Lines are split as Redis's sdssplitargs (quotes, escapes); `save` lines
   * accumulate and `save ""` clears. Throws a ConfigError in Redis's format:
   * the line number, the line, then the reason.
   */
  load(fileText: string | undefined, argv: readonly string[]): void {
    const lines: string[] = fileText === undefined ? [] : fileText.split('\n');
    let i = 0;
    const cli: string[] = [];
    while (i < argv.length) {
      const a = argv[i]!;
      if (!a.startsWith('--') || a.length === 2) {
        throw new ConfigError(`Invalid argument '${a}': options are --<directive> <value> ...`);
      }
      const vals: string[] = [];
      i++;
      while (i < argv.length && !argv[i]!.startsWith('--')) vals.push(argv[i++]!);
      cli.push([a.slice(2), ...vals.map(quoteArg)].join(' '));
    }
    const all = [...lines, ...cli];
    let saveSeen = false;
    for (let n = 0; n < all.length; n++) {
      const line = all[n]!.trim();
      if (line === '' || line.startsWith('#')) continue;
      const fail = (reason: string): never => {
        throw new ConfigError(`Reading the configuration file, at line ${n + 1}\n>>> '${line}'\n${reason}`);
      };
      const args = splitArgs(line);
      if (!args) return fail('Unbalanced quotes in configuration line');
      if (args.length === 0) continue;
      const d = findDirective(args[0]!);
      if (!d) return fail('Bad directive or wrong number of arguments');
      let text: string;
      if (d.type === 'save') {
        if (args.length === 2 && args[1] === '') {
          text = '';
        } else {
          text = args.slice(1).join(' ');
          if (saveSeen) text = `${this.#values.get('save') as string} ${text}`.trim();
        }
        saveSeen = true;
      } else if (d.type === 'strings' || d.type === 'obuf-limits') {
        if (args.length < 2) fail('Bad directive or wrong number of arguments');
        text = args.slice(1).join(' ');
      } else {
        if (args.length !== 2) fail('Bad directive or wrong number of arguments');
        text = args[1]!;
      }
      try {
        const v = parseDirectiveValue(d, text, this.#values.get(d.name));
        this.#put(d.name, d.name === 'hz' ? clampHz(v as number) : v);
      } catch (err) {
        fail((err as Error).message);
      }
    }
  }

  loadFile(path: string, argv: readonly string[]): void {
    this.file = path;
    this.load(readFileSync(path, 'latin1'), argv);
  }

  /**
   * CONFIG REWRITE: the config file's text updated to the live values, as
   * Redis does it. Comments, blank lines and lines we cannot parse are kept;
   * the first line of each directive is rewritten in place with the current
   * value and further lines of it are dropped; directives that differ from
   * their default and were not in the file are appended after a
   * `# Generated by CONFIG REWRITE` marker.
   */
  rewrite(fileText: string): string {
    const lines = fileText.split('\n');
    if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
    const done = new Set<string>();
    const out: string[] = [];
    let markerSeen = false;
    for (const raw of lines) {
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) {
        if (line === REWRITE_MARKER) markerSeen = true;
        out.push(raw);
        continue;
      }
      const args = splitArgs(line);
      const d = args && args.length > 0 ? findDirective(args[0]!) : undefined;
      if (!d) {
        out.push(raw);
        continue;
      }
      if (done.has(d.name)) continue;
      done.add(d.name);
      out.push(...this.#rewriteLines(d));
    }
    const extra: string[] = [];
    for (const d of DIRECTIVES) {
      if (done.has(d.name)) continue;
      const v = this.#values.get(d.name)!;
      if (formatDirectiveValue(d, v) === formatDirectiveValue(d, parseDirectiveValue(d, d.default))) continue;
      extra.push(...this.#rewriteLines(d));
    }
    if (extra.length > 0) {
      while (out.length > 0 && out[out.length - 1]!.trim() === '') out.pop();
      if (!markerSeen) out.push(REWRITE_MARKER);
      out.push(...extra);
    }
    return out.join('\n') + '\n';
  }

  /** The config-file line(s) for a directive's current value. */
  #rewriteLines(d: Directive): string[] {
    const v = this.#values.get(d.name)!;
    if (d.type === 'save') {
      const parts = (v as string).split(' ').filter((p) => p !== '');
      if (parts.length === 0) return ['save ""'];
      const out: string[] = [];
      for (let i = 0; i + 1 < parts.length; i += 2) out.push(`save ${parts[i]} ${parts[i + 1]}`);
      return out;
    }
    if (d.type === 'obuf-limits') {
      // One line per class, `replica` for slave, sizes with units (Redis's rewriteConfigClientOutputBufferLimitOption).
      return obufLimits(v as string).map((l, i) => `${d.name} ${i === 1 ? 'replica' : OBUF_CLASSES[i]} ${formatMemoryUnit(l.hard)} ${formatMemoryUnit(l.soft)} ${l.seconds}`);
    }
    if (Array.isArray(v)) return [`${d.name} ${v.map(quoteArg).join(' ')}`];
    return [`${d.name} ${quoteArg(formatDirectiveValue(d, v))}`];
  }
}

/** Quotes a value for a config line when it is empty or holds spaces, quotes or control bytes. */
function quoteArg(a: string): string {
  if (a !== '' && !/[\s"'\\\x00-\x1f\x7f-\xff]/.test(a)) return a;
  let out = '"';
  for (let i = 0; i < a.length; i++) {
    const ch = a.charCodeAt(i);
    if (ch === 0x5c) out += '\\\\';
    else if (ch === 0x22) out += '\\"';
    else if (ch === 0x0a) out += '\\n';
    else if (ch === 0x0d) out += '\\r';
    else if (ch === 0x09) out += '\\t';
    else if (ch < 0x20 || ch >= 0x7f) out += '\\x' + ch.toString(16).padStart(2, '0');
    else out += a[i];
  }
  return out + '"';
}
