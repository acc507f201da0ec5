/**
 * The path of every command, from parsed arguments to reply (Redis's
 * processCommand + call):
 *
 *  1. look the command up in the table (unknown command / unknown subcommand),
 *  2. check arity,
 *  3. check authentication (NOAUTH unless the command is `no_auth`),
 *  4. refuse what a transaction may not contain (`no_multi`),
 *  5. in cluster mode, ask the router whether the keys are served here
 *     (MOVED / ASK / CROSSSLOT / TRYAGAIN / CLUSTERDOWN),
 *  6. refuse `denyoom` commands when over `maxmemory`,
 *  7. inside MULTI, queue the command and reply QUEUED,
 *  8. otherwise `call` the handler, then account for it (stats, slowlog,
 *     MONITOR) and reply.
 *
 * An error at steps 1-6 inside MULTI also marks the transaction failed, so
 * that EXEC answers EXECABORT, as Redis does.
 */
import { COMMAND_SPECS } from '../router/command-table.js';
import type { CommandSpec } from '../router/command-spec.js';
import { routeFlags } from '../router/route.js';
import type { Client } from './client.js';
import { blockingDenied, handleReadyKeys, hasReadyKeys, takeDeniedReply } from './blocking.js';
import { BLOCKED, type CommandHandler } from './command-handler.js';
import { HANDLERS } from './commands/index.js';
import { postponeIfPaused } from './commands/connection.js';
import { subscribedContextError } from './commands/pubsub.js';
import {
  NOAUTH,
  RespError,
  UnknownCommandError,
  UnknownSubcommandError,
  WrongArityError,
} from './errors.js';
import { ErrorReply, QUEUED, type Reply } from './resp/reply.js';

/** Per-command counters for INFO commandstats. */
export interface CommandStats {
  calls: number;
  usec: number;
  rejected: number;
  failed: number;
}

/** A spec with its handler and counters. */
export interface ResolvedCommand {
  readonly spec: CommandSpec;
  readonly handler: CommandHandler;
  readonly stats: CommandStats;
  readonly isWrite: boolean;
  /** Flags the dispatcher tests on every call, precomputed from `spec.flags`. */
  readonly noAuth: boolean;
  readonly noMulti: boolean;
  readonly skipSlowlog: boolean;
  /** ADMIN and SKIP_MONITOR commands are not fed to MONITOR. */
  readonly skipMonitor: boolean;
  /** The cluster router's view of the flags (`routeFlags(spec)`), so routing searches no flag list. */
  readonly routeFlags: number;
  readonly subcommands: Map<string, ResolvedCommand> | undefined;
}

function resolve(spec: CommandSpec): ResolvedCommand {
  const handler = HANDLERS[spec.name];
  let subcommands: Map<string, ResolvedCommand> | undefined;
  if (spec.subcommands) {
    subcommands = new Map();
    for (const sub of spec.subcommands) subcommands.set(sub.name.slice(spec.name.length + 1), resolve(sub));
  }
  if (!handler && !subcommands) throw new Error(`Cannot start as command '${spec.name}' has no handler`);
  return {
    spec,
    handler: handler ?? missingHandler,
    stats: { calls: 0, usec: 0, rejected: 0, failed: 0 },
    isWrite: spec.flags.includes('write'),
    noAuth: spec.flags.includes('no_auth'),
    noMulti: spec.flags.includes('no_multi'),
    skipSlowlog: spec.flags.includes('skip_slowlog'),
    skipMonitor: spec.flags.includes('admin') || spec.flags.includes('skip_monitor'),
    routeFlags: routeFlags(spec),
    subcommands,
  };
}

function missingHandler(): Reply {
  throw new RespError('ERR internal error: container command called without subcommand');
}

/** Commands by name; both the lower-case and upper-case spellings are keys, for speed. */
export const COMMANDS = new Map<string, ResolvedCommand>();
for (const spec of COMMAND_SPECS) {
  const r = resolve(spec);
  COMMANDS.set(spec.name, r);
  COMMANDS.set(spec.name.toUpperCase(), r);
}

/** Finds the command (or subcommand) an argument vector names, without checks. */
export function findCommand(args: readonly string[]): ResolvedCommand | undefined {
  const name = args[0]!;
  const cmd = COMMANDS.get(name) ?? COMMANDS.get(name.toLowerCase());
  if (cmd?.subcommands === undefined || args.length < 2) return cmd;
  return cmd.subcommands.get(args[1]!.toLowerCase());
}

/** Commands that still run immediately inside MULTI. */
const MULTI_IMMEDIATE = new Set(['exec', 'discard', 'multi', 'watch', 'quit', 'reset']);

/** Runs one command from a client: checks, routing, queueing, execution, reply. */
export function processCommand(c: Client, args: string[]): void {
  const asking = c.asking;
  runCommand(c, args);
  // ASKING is one-shot: it covers the next command only (and lasts through MULTI).
  if (asking && c.multi === null) c.asking = false;
}

function runCommand(c: Client, args: string[]): void {
  const server = c.server;
  const name = args[0]!;
  // The parser hands a repeated command name over as the same string, so
  // most commands find theirs with one comparison instead of a table lookup.
  let cmd = name === c.lastName ? c.lastResolved : (COMMANDS.get(name) ?? COMMANDS.get(name.toLowerCase()));
  if (cmd === undefined) {
    reject(c, undefined, new UnknownCommandError(name, args.slice(1)));
    return;
  }
  c.lastName = name;
  c.lastResolved = cmd;
  if (cmd.subcommands !== undefined && args.length >= 2) {
    const sub = cmd.subcommands.get(args[1]!.toLowerCase());
    if (sub === undefined) {
      reject(c, undefined, new UnknownSubcommandError(name, args[1]!));
      return;
    }
    cmd = sub;
  }
  const arity = cmd.spec.arity;
  if ((arity > 0 && args.length !== arity) || args.length < -arity) {
    reject(c, cmd, new WrongArityError(cmd.spec.name));
    return;
  }
  if (!c.authenticated && !cmd.noAuth) {
    reject(c, cmd, NOAUTH);
    return;
  }
  if (c.multi !== null && cmd.noMulti) {
    reject(c, cmd, new RespError('ERR Command not allowed inside a transaction'));
    return;
  }
  const routing = server.cluster?.route(c, cmd.spec, args, cmd.routeFlags);
  if (routing !== undefined && routing !== null) {
    // A redirected EXEC ends the transaction but answers the redirection itself, for the client to follow.
    if (c.multi !== null && cmd.spec.name === 'exec') server.discardTransaction(c);
    reject(c, cmd, routing, false);
    return;
  }
  // A subscribed RESP2 connection only takes (un)subscriptions, PING, QUIT and RESET.
  if (c.proto === 2) {
    const err = subscribedContextError(c, cmd.spec);
    if (err !== undefined) {
      reject(c, cmd, err);
      return;
    }
  }
  // CLIENT PAUSE: the command waits (unanswered) until the pause ends.
  if (server.clientPause !== undefined && postponeIfPaused(c, cmd.spec, args)) return;
  if (c.multi !== null && !MULTI_IMMEDIATE.has(cmd.spec.name)) {
    c.multi.push({ args });
    c.reply(QUEUED);
    return;
  }
  const reply = call(c, cmd, args);
  if (reply !== BLOCKED) c.reply(reply);
  // Serve clients blocked on keys this command (or EXEC) made ready.
  if (hasReadyKeys()) handleReadyKeys();
}

/**
 * Replies with a command-rejection error and flags an open transaction. An
 * EXEC refused before it runs (arity, NOAUTH, a subscribed connection)
 * instead ends the transaction, watches included, whether or not one is
 * open, and gives the reason inside an EXECABORT, as Redis's
 * execCommandAbort does: `EXECABORT Transaction discarded because of: `
 * and the error without its `ERR ` (other codes are kept).
 */
function reject(c: Client, cmd: ResolvedCommand | undefined, err: RespError, abortExec = true): void {
  if (cmd) cmd.stats.rejected++;
  let message = err.message;
  if (abortExec && cmd?.spec.name === 'exec') {
    c.server.discardTransaction(c);
    message = `EXECABORT Transaction discarded because of: ${message.startsWith('ERR ') ? message.slice(4) : message}`;
  } else if (c.multi !== null) {
    c.multiFailed = true;
  }
  c.server.countError(message);
  c.reply(new ErrorReply(message));
}

/**
 * Executes a checked command and accounts for it. Returns the reply (an
 * ErrorReply if the handler threw) or BLOCKED. Also used by EXEC for each
 * queued command.
 */
export function call(c: Client, cmd: ResolvedCommand, args: string[]): Reply | typeof BLOCKED {
  const server = c.server;
  // Through the server's clock (tests inject one); its end reading refreshes the cached clock.
  const clock = server.clock;
  const start = clock.monotonic();
  let reply: Reply | typeof BLOCKED;
  try {
    reply = cmd.handler(c, args);
  } catch (err) {
    cmd.stats.failed++;
    if (err instanceof RespError) {
      reply = new ErrorReply(err.message);
    } else {
      server.log('warning', `Internal error in '${cmd.spec.name}': ${(err as Error)?.stack ?? String(err)}`);
      reply = new ErrorReply(`ERR internal error in '${cmd.spec.name}': ${String((err as Error)?.message ?? err)}`);
    }
    server.countError((reply as ErrorReply).message);
  }
  // Inside EXEC a blocking command answers its timeout reply instead of blocking.
  if (reply === BLOCKED && blockingDenied()) reply = takeDeniedReply();
  const end = clock.monotonic();
  server.cachedMonotonic = end;
  const usec = Math.round((end - start) * 1000);
  cmd.stats.calls++;
  cmd.stats.usec += usec;
  server.stats.commandsProcessed++;
  c.lastCommand = cmd.spec.name;
  if (!cmd.skipSlowlog) server.slowlog.maybeAdd(c, args, usec);
  if (server.monitors.size !== 0 && !cmd.skipMonitor) {
    server.feedMonitors(c, args);
  }
  return reply;
}
