/**
 * A Shardis node: owns the databases, the configuration, the listening
 * sockets and the clients, and runs the periodic jobs (Redis's serverCron):
 * active expiry and idle-client timeouts, `hz` times a second.
 *
 * Everything runs on the one JS thread, one command at a time: a command's
 * handler runs to completion before the next command of any client starts,
 * which gives Redis's atomicity without locks.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server as NetServer, type Socket } from 'node:net';
import { appendFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { CommandSpec } from '../router/command-spec.js';
import { Client } from './client.js';
import { fastIOAvailable, openConnection } from './connection-io.js';
import { SYSTEM_CLOCK, type Clock } from './clock.js';
import { Config, type LiveValue } from './config.js';
import type { RespError } from './errors.js';
import type { ClientPause } from './commands/connection.js';
import { activeExpireCycle } from './expiry.js';
import { closeOnOutputLimit } from './output-limits.js';
import { Database } from './keyspace.js';
import { SlowLog } from './slowlog.js';
import { WatchRegistry } from './watch.js';

/** Cluster-mode routing, installed by the cluster subsystem. */
export interface ClusterRouting {
  /** Returns the error to send instead of running the command, or null to run it here. */
  /** `routeFlags` is the router's `routeFlags(spec)`, when the caller keeps it. */
  route(c: Client, spec: CommandSpec, args: string[], routeFlags?: number): RespError | null;
  /** Opens the cluster bus once the client port is bound. */
  start?(): Promise<void>;
  /** Saves the cluster config and closes the bus. */
  shutdown?(): Promise<void>;
  /** Relays a PUBLISH run here to the other nodes' subscribers. */
  propagatePublish(channel: string, message: string): void;
}

export interface ServerStats {
  connectionsReceived: number;
  rejectedConnections: number;
  commandsProcessed: number;
  netInputBytes: number;
  netOutputBytes: number;
  expiredKeys: number;
  evictedKeys: number;
  keyspaceHits: number;
  keyspaceMisses: number;
  totalErrorReplies: number;
}

export interface ServerOptions {
  clock?: Clock;
  /** Where log lines go; defaults to stdout (or `logfile`). */
  logSink?: (line: string) => void;
}

const LOG_LEVELS = { debug: 0, verbose: 1, notice: 2, warning: 3, nothing: 4 } as const;
type LogLevel = Exclude<keyof typeof LOG_LEVELS, 'nothing'>;
const LOG_MARKS: Record<LogLevel, string> = { debug: '.', verbose: '-', notice: '*', warning: '#' };

export class Server {
  readonly config: Config;
  readonly clock: Clock;
  readonly dbs: Database[];
  readonly clients = new Map<number, Client>();
  readonly watches = new WatchRegistry();
  readonly slowlog: SlowLog;
  readonly monitors = new Set<Client>();
  /** `client-output-buffer-limit`, read where output grows (./output-limits.ts). */
  readonly outputLimits: LiveValue<string>;
  /** Clients whose pending output is at or above their soft limit: the cron checks them every tick. */
  readonly overSoftLimit = new Set<Client>();
  readonly errorStats = new Map<string, number>();
  readonly stats: ServerStats = {
    connectionsReceived: 0,
    rejectedConnections: 0,
    commandsProcessed: 0,
    netInputBytes: 0,
    netOutputBytes: 0,
    expiredKeys: 0,
    evictedKeys: 0,
    keyspaceHits: 0,
    keyspaceMisses: 0,
    totalErrorReplies: 0,
  };
  readonly runId = randomBytes(20).toString('hex');
  readonly startTime: number;
  /** Changes since the last save (Redis's `server.dirty`). */
  dirty = 0;
  lastSave: number;
  /** Unset outside cluster mode. */
  cluster: ClusterRouting | undefined;
  /** False after DEBUG SET-ACTIVE-EXPIRE 0. */
  activeExpireEnabled = true;
  /** Port actually bound (differs from `port` when it was 0). */
  port = 0;
  /** Active CLIENT PAUSE, if any (see ./commands/connection.ts). */
  clientPause: ClientPause | undefined;
  /** Called once the server stopped after SHUTDOWN (main.ts exits the process). */
  onShutdown: (() => void) | undefined;
  /**
   * `clock.monotonic()` as of the last command's end or the last cron tick,
   * whichever came later: Redis's cached clock. Clients stamp their reads
   * with it (CLIENT LIST idle=, `timeout`) instead of reading the clock per
   * read; it is at most one cron period (1/hz) behind, and under load
   * microseconds.
   *
   * Initialised here with a number, not first in the constructor: a class
   * field declared without a value starts as undefined, and V8 then keeps
   * it tagged, so every store of a new reading allocated a heap number
   * (5M stores of a double: 78 scavenges with the field starting undefined,
   * 2 with it starting at 0) and took the write barrier's slow path.
   */
  cachedMonotonic = 0;

  #nextClientId = 1;
  #listeners: NetServer[] = [];
  #cron: NodeJS.Timeout | undefined;
  #flushQueue = new Set<Client>();
  #flushScheduled = false;
  #logSink: (line: string) => void;

  constructor(config: Config, opts: ServerOptions = {}) {
    this.config = config;
    this.clock = opts.clock ?? SYSTEM_CLOCK;
    this.startTime = this.lastSave = this.clock.now();
    this.cachedMonotonic = this.clock.monotonic();
    this.slowlog = new SlowLog(config, this.clock);
    this.outputLimits = config.live('client-output-buffer-limit');
    this.#logSink = opts.logSink ?? defaultLogSink(config);
    const hooks = {
      now: () => this.clock.now(),
      modified: (db: Database, key: string) => {
        this.dirty++;
        if (!this.watches.empty) this.watches.touched(db, key);
      },
      expired: () => {
        this.stats.expiredKeys++;
      },
    };
    this.dbs = [];
    const n = config.getNumber('databases');
    for (let i = 0; i < n; i++) this.dbs.push(new Database(i, hooks));
    for (const db of this.dbs) db.setAccessPolicy(config.getString('maxmemory-policy'));
  }

  /** Writes a log line in Redis's format if `level` passes `loglevel`. */
  log(level: LogLevel, message: string): void {
    const configured = this.config.getString('loglevel') as keyof typeof LOG_LEVELS;
    if (LOG_LEVELS[level] < LOG_LEVELS[configured]) return;
    const d = new Date(this.clock.now());
    const ts = `${String(d.getUTCDate()).padStart(2, '0')} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ${d.toISOString().slice(11, 23)}`;
    this.#logSink(`${process.pid}:M ${ts} ${LOG_MARKS[level]} ${message}`);
  }

  /** Starts listening on every `bind` address; rejects with a clear message if a port is taken. */
  async listen(): Promise<void> {
    const port = this.config.getNumber('port');
    const binds = this.config.get('bind') as string[];
    let bound = port;
    for (const host of binds) {
      // Paused sockets let openConnection re-wrap them for the fast read path.
      const srv: NetServer = createServer({ noDelay: true, pauseOnConnect: fastIOAvailable() }, (s) => this.#accept(s, srv));
      srv.maxConnections = Number.MAX_SAFE_INTEGER;
      await new Promise<void>((resolve, reject) => {
        srv.once('error', (err: NodeJS.ErrnoException) => {
          reject(
            new Error(
              err.code === 'EADDRINUSE'
                ? `Cannot listen on ${host}:${bound} as the address is already in use`
                : `Cannot listen on ${host}:${bound}: ${err.message}`,
            ),
          );
        });
        srv.listen({ host, port: bound, backlog: this.config.getNumber('tcp-backlog') }, () => resolve());
      });
      srv.on('error', (err) => this.log('warning', `Listener error: ${err.message}`));
      const addr = srv.address();
      if (addr && typeof addr === 'object') bound = addr.port;
      this.#listeners.push(srv);
    }
    this.port = bound;
    this.#startCron();
  }

  /**
   * Starts the node: loads persisted state (once persistence exists) and
   * listens. Subsystems (cluster, replication) hook in here.
   */
  async start(): Promise<void> {
    if (this.config.getBool('cluster-enabled')) {
      // Loaded lazily so non-cluster nodes never pay for the subsystem.
      const { Cluster } = await import('./cluster/index.js');
      const cluster = new Cluster(this);
      cluster.load();
      this.cluster = cluster;
    }
    await this.listen();
    await this.cluster?.start?.();
  }

  /** Graceful stop for SIGTERM/SHUTDOWN: saves what must be saved, then closes. */
  async shutdown(): Promise<void> {
    await this.cluster?.shutdown?.();
    await this.close();
  }

  /** Stops listening, disconnects every client and stops timers. */
  async close(): Promise<void> {
    if (this.#cron) clearInterval(this.#cron);
    this.#cron = undefined;
    const closing = this.#listeners.map((l) => new Promise<void>((r) => l.close(() => r())));
    for (const c of [...this.clients.values()]) c.close();
    await Promise.all(closing);
    this.#listeners = [];
  }

  #accept(socket: Socket, listener: NetServer): void {
    this.stats.connectionsReceived++;
    if (this.clients.size >= this.config.getNumber('maxclients')) {
      this.stats.rejectedConnections++;
      socket.resume(); // it may have been accepted paused: let the close be seen
      socket.end('-ERR max number of clients reached\r\n');
      return;
    }
    const authed = this.config.getString('requirepass') === '';
    let client!: Client;
    openConnection(socket, listener, (conn) => (client = new Client(this, this.#nextClientId++, conn, this.dbs[0]!, authed)));
    this.clients.set(client.id, client);
  }

  /** Forgets a closed client: its watches, monitor registration, transactions. */
  removeClient(c: Client): void {
    if (!this.clients.delete(c.id)) return;
    this.monitors.delete(c);
    this.overSoftLimit.delete(c);
    this.#flushQueue.delete(c);
    if (c.watching.length !== 0) this.watches.unwatchAll(c);
  }

  /** Ends c's transaction: drops the queue and its watches. */
  discardTransaction(c: Client): void {
    c.multi = null;
    c.multiFailed = false;
    this.watches.unwatchAll(c);
  }

  /** Flushes `c`'s output soon (for replies produced outside its own read event). */
  queueFlush(c: Client): void {
    this.#flushQueue.add(c);
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    setImmediate(() => {
      this.#flushScheduled = false;
      const queue = [...this.#flushQueue];
      this.#flushQueue.clear();
      for (const q of queue) q.flush();
    });
  }

  /** Counts an error reply for INFO errorstats (keyed by its code, as Redis). */
  countError(message: string): void {
    this.stats.totalErrorReplies++;
    const sp = message.indexOf(' ');
    const code = sp < 0 ? message : message.slice(0, sp);
    this.errorStats.set(code, (this.errorStats.get(code) ?? 0) + 1);
  }

  /** Sends a command to MONITOR clients in Redis's format. */
  feedMonitors(c: Client, args: readonly string[]): void {
    const now = this.clock.now();
    let line = `+${Math.floor(now / 1000)}.${String((now % 1000) * 1000).padStart(6, '0')} [${c.dbIndex} ${c.addr}]`;
    for (const a of args) line += ' "' + reprArg(a) + '"';
    line += '\r\n';
    for (const m of this.monitors) {
      if (m === c) continue;
      m.writeRaw(line);
      this.queueFlush(m);
    }
  }

  /** Restarts the periodic job at the current `hz` (CONFIG SET hz); no-op before `listen`. */
  restartCron(): void {
    if (this.#cron === undefined) return;
    clearInterval(this.#cron);
    this.#startCron();
  }

  #startCron(): void {
    const hz = this.config.getNumber('hz');
    this.#cron = setInterval(() => this.cron(), Math.max(1, Math.floor(1000 / hz)));
    this.#cron.unref();
  }

  /** One tick of periodic work. Public so tests can drive it with a manual clock. */
  cron(): void {
    this.cachedMonotonic = this.clock.monotonic();
    // Per-key access tracking (LRU/LFU) follows maxmemory-policy, CONFIG SET included, within a tick.
    const policy = this.config.getString('maxmemory-policy');
    for (const db of this.dbs) db.setAccessPolicy(policy);
    if (this.activeExpireEnabled) {
      activeExpireCycle(this.dbs, {
        hz: this.config.getNumber('hz'),
        effort: this.config.getNumber('active-expire-effort'),
        elapsed: () => performance.now(),
        now: () => this.clock.now(),
      });
    }
    // A soft output limit must fire for a client that is sent nothing more (Redis's clientsCron does the same).
    for (const c of this.overSoftLimit) closeOnOutputLimit(c, true);
    const timeout = this.config.getNumber('timeout');
    if (timeout > 0) {
      const now = this.cachedMonotonic;
      for (const c of this.clients.values()) {
        if (c.blocked === undefined && !c.monitor && now - c.lastInteraction > timeout * 1000) c.close();
      }
    }
  }
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function defaultLogSink(config: Config): (line: string) => void {
  const file = config.getString('logfile');
  if (file === '') return (line) => process.stdout.write(line + '\n');
  return (line) => appendFileSync(file, line + '\n');
}

/** Quotes an argument as Redis's sdscatrepr does (MONITOR, CLIENT LIST). */
export function reprArg(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i);
    switch (ch) {
      case 0x5c:
        out += '\\\\';
        break;
      case 0x22:
        out += '\\"';
        break;
      case 0x0a:
        out += '\\n';
        break;
      case 0x0d:
        out += '\\r';
        break;
      case 0x09:
        out += '\\t';
        break;
      case 0x07:
        out += '\\a';
        break;
      case 0x08:
        out += '\\b';
        break;
      default:
        out += ch >= 0x20 && ch < 0x7f ? s[i] : '\\x' + ch.toString(16).padStart(2, '0');
    }
  }
  return out;
}
