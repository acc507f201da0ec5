/**
 * Connection commands: PING, ECHO, QUIT, RESET, SELECT, AUTH, HELLO, the
 * CLIENT family and client pausing (CLIENT PAUSE / UNPAUSE).
 *
 * Client pause (Redis's pauseClients). CLIENT PAUSE sets `server.clientPause`
 * until a deadline. While it is set the dispatcher calls `postponeIfPaused`
 * before running or queueing a command: in `all` mode every command waits, in
 * `write` mode only commands that may write (write / may_replicate flags, or
 * EXEC of a transaction holding one). A waiting client is blocked with reason
 * `pause` and its command is appended to one FIFO queue; when the pause ends
 * (deadline or CLIENT UNPAUSE) the queue is replayed in arrival order, each
 * client then going on with its pipelined input, so paused clients resume in
 * the order they arrived.
 */
import type { CommandSpec } from '../../router/command-spec.js';
import type { Client } from '../client.js';
import { REPLY_OFF, REPLY_ON, REPLY_SKIP } from '../reply-mode.js';
import { BLOCKED, type HandlerTable } from '../command-handler.js';
import { findCommand, processCommand } from '../dispatch.js';
import { NOT_INTEGER, RespError, SYNTAX, WrongArityError, WrongPassError } from '../errors.js';
import {
  MapReply,
  OK,
  PONG,
  SimpleString,
  VerbatimReply,
  type Reply,
} from '../resp/reply.js';
import { channelCount, isSubscribed, patternCount, shardChannelCount, unsubscribeAll } from './pubsub.js';
import { parseInteger } from './server.js';

/** Version HELLO reports: tools that check the server version see Redis 7.0. */
export const REDIS_VERSION = '7.0.15';

const RESET = new SimpleString('RESET');

const CLIENT_HELP = [
  'CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'CACHING (YES|NO)',
  '    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.',
  'GETREDIR',
  '    Return the client ID we are redirecting to when tracking is enabled.',
  'GETNAME',
  '    Return the name of the current connection.',
  'ID',
  '    Return the ID of the current connection.',
  'INFO',
  '    Return information about the current client connection.',
  'KILL <ip:port>',
  '    Kill connection made from <ip:port>.',
  'KILL <option> <value> [<option> <value> [...]]',
  '    Kill connections. Options are:',
  '    * ADDR (<ip:port>|<unixsocket>:0)',
  '      Kill connections made from the specified address',
  '    * LADDR (<ip:port>|<unixsocket>:0)',
  '      Kill connections made to specified local address',
  '    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)',
  '      Kill connections by type.',
  '    * USER <username>',
  '      Kill connections authenticated by <username>.',
  '    * SKIPME (YES|NO)',
  '      Skip killing current connection (default: yes).',
  'LIST [options ...]',
  '    Return information about client connections. Options:',
  '    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)',
  '      Return clients of specified type.',
  'UNPAUSE',
  '    Stop the current client pause, resuming traffic.',
  'PAUSE <timeout> [WRITE|ALL]',
  '    Suspend all, or just write, clients for <timeout> milliseconds.',
  'REPLY (ON|OFF|SKIP)',
  '    Control the replies sent to the current connection.',
  'SETNAME <name>',
  '    Assign the name <name> to the current connection.',
  'UNBLOCK <clientid> [TIMEOUT|ERROR]',
  '    Unblock the specified blocked client.',
  'TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]',
  '         [OPTIN] [OPTOUT] [NOLOOP]',
  '    Control server assisted client side caching.',
  'TRACKINGINFO',
  '    Report tracking status for the current connection.',
  'NO-EVICT (ON|OFF)',
  '    Protect current client connection from eviction.',
  'HELP',
  '    Prints this help.',
];

/*------------------------------------------------------------------------------
 * Connection helpers
 *----------------------------------------------------------------------------*/

/** Renders a HELP text as Redis's addReplyHelp does: one status reply per line. */
export function helpReply(lines: readonly string[]): Reply {
  const out: Reply[] = new Array(lines.length);
  for (let i = 0; i < lines.length; i++) out[i] = new SimpleString(lines[i]!);
  return out;
}

/**
 * Checks a password against the `default` user. With no `requirepass` the
 * default user is `nopass` and accepts any password, as in Redis.
 */
function checkPassword(c: Client, user: string, pass: string): boolean {
  if (user !== 'default') return false;
  const required = c.server.config.getString('requirepass');
  return required === '' || pass === required;
}

/** Client names (and lib names) are printable ASCII without spaces ('!'..'~'). */
function validName(name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    const ch = name.charCodeAt(i);
    if (ch < 0x21 || ch > 0x7e) return false;
  }
  return true;
}

function setClientName(c: Client, name: string): void {
  if (!validName(name)) throw new RespError('ERR Client names cannot contain spaces, newlines or special characters.');
  c.name = name;
}

/** Redis's client type names, for CLIENT LIST / KILL TYPE. All our clients are `normal` (pub/sub excepted). */
function clientType(c: Client): 'normal' | 'pubsub' {
  return isSubscribed(c) ? 'pubsub' : 'normal';
}

function parseClientType(text: string): string | undefined {
  const t = text.toLowerCase();
  if (t === 'normal' || t === 'pubsub' || t === 'master') return t;
  if (t === 'replica' || t === 'slave') return 'replica';
  return undefined;
}

/** CLIENT LIST flags, in Redis's order; `N` when none applies. */
function clientFlags(c: Client): string {
  let f = '';
  if (c.monitor) f += 'O';
  if (clientType(c) === 'pubsub') f += 'P';
  if (c.multi !== null) f += 'x';
  if (c.blocked !== undefined) f += 'b';
  if (c.watchDirty) f += 'd';
  if (c.closeAfterReply) f += 'c';
  if (c.readonlyMode) f += 'r';
  if (c.noEvict) f += 'e';
  return f === '' ? 'N' : f;
}

/**
 * One CLIENT LIST line, with Redis 7.0's fields in Redis 7.0's order.
 * `current` is the command being run when `target` is the caller (Redis
 * shows the running command, not the previous one).
 */
export function clientInfoLine(target: Client, current?: string): string {
  const now = target.server.clock.now();
  const fd = (target.socket as unknown as { _handle?: { fd?: number } })._handle?.fd ?? -1;
  const qbuf = target.parser.bufferedBytes;
  const omem = target.outputBytes;
  const multi = target.multi === null ? -1 : target.multi.length;
  const sub = channelCount(target);
  const psub = patternCount(target);
  return (
    `id=${target.id} addr=${target.addr} laddr=${target.laddr} fd=${fd} name=${target.name}` +
    ` age=${Math.max(0, Math.floor((now - target.createdAt) / 1000))}` +
    ` idle=${Math.max(0, Math.floor((target.server.clock.monotonic() - target.lastInteraction) / 1000))}` +
    ` flags=${clientFlags(target)} db=${target.dbIndex} sub=${sub} psub=${psub} ssub=${shardChannelCount(target)} multi=${multi}` +
    ` qbuf=${qbuf} qbuf-free=${Math.max(0, 20474 - qbuf)} argv-mem=0 multi-mem=0 rbs=16384 rbp=0` +
    ` obl=0 oll=0 omem=${omem} tot-mem=${22000 + qbuf + omem} events=${omem > 0 ? 'rw' : 'r'}` +
    ` cmd=${current ?? target.lastCommand} user=default redir=-1 resp=${target.proto}`
  );
}

/*------------------------------------------------------------------------------
 * Client pause
 *----------------------------------------------------------------------------*/

/** State of an active CLIENT PAUSE (Server.clientPause). */
export interface ClientPause {
  /** Unix ms at which the pause ends. */
  until: number;
  mode: 'write' | 'all';
  timer: NodeJS.Timeout;
  /** Postponed commands, in arrival order. */
  queue: { c: Client; args: string[] }[];
}

function mayWrite(spec: CommandSpec): boolean {
  return spec.flags.includes('write') || spec.flags.includes('may_replicate');
}

/**
 * Called by the dispatcher while `server.clientPause` is set. Returns true if
 * the command was postponed (the client is now blocked and must not be
 * answered), false if it may run.
 */
export function postponeIfPaused(c: Client, spec: CommandSpec, args: string[]): boolean {
  const pause = c.server.clientPause;
  if (pause === undefined) return false;
  if (pause.until <= c.server.clock.now()) {
    unpauseClients(c.server);
    return false;
  }
  if (pause.mode === 'write') {
    let writes = mayWrite(spec);
    if (!writes && spec.name === 'exec' && c.multi !== null) {
      for (const q of c.multi) {
        const cmd = findCommand(q.args);
        if (cmd !== undefined && mayWrite(cmd.spec)) {
          writes = true;
          break;
        }
      }
    }
    if (!writes) return false;
  }
  const entry = { c, args };
  pause.queue.push(entry);
  c.blocked = {
    reason: 'pause',
    cancel: () => {
      const i = pause.queue.indexOf(entry);
      if (i >= 0) pause.queue.splice(i, 1);
    },
    // Paused clients cannot be woken by CLIENT UNBLOCK (see clientUnblockCommand).
    wake: () => {},
  };
  return true;
}

/** Ends the client pause (if any) and replays postponed commands in arrival order. */
export function unpauseClients(server: Client['server']): void {
  const pause = server.clientPause;
  if (pause === undefined) return;
  server.clientPause = undefined;
  clearTimeout(pause.timer);
  for (const { c, args } of pause.queue) {
    if (c.closed) continue;
    c.blocked = undefined;
    processCommand(c, args);
    if (c.blocked === undefined) c.processInput();
    server.queueFlush(c);
  }
}

function pauseClients(server: Client['server'], ms: number, mode: 'write' | 'all'): void {
  const until = server.clock.now() + ms;
  const old = server.clientPause;
  if (old !== undefined) {
    // As Redis: a pause is never shortened, and WRITE never downgrades ALL.
    if (old.mode === 'all') mode = 'all';
    if (until <= old.until) {
      old.mode = mode;
      return;
    }
    clearTimeout(old.timer);
  }
  const timer = setTimeout(() => unpauseClients(server), ms);
  server.clientPause = { until, mode, timer, queue: old?.queue ?? [] };
}

/*------------------------------------------------------------------------------
 * Connection commands
 *----------------------------------------------------------------------------*/

/** PING [message]; a subscribed RESP2 client gets `["pong", message]` instead, as in Redis. */
export function pingCommand(c: Client, args: string[]): Reply {
  if (args.length > 2) throw new WrongArityError('ping');
  if (c.proto === 2 && isSubscribed(c)) return ['pong', args.length === 2 ? args[1]! : ''];
  return args.length === 2 ? args[1]! : PONG;
}

export function echoCommand(_c: Client, args: string[]): Reply {
  return args[1]!;
}

export function quitCommand(c: Client, _args: string[]): Reply {
  c.closeAfterReply = true;
  return OK;
}

/** RESET: back to a fresh connection's state, except the id and the address. */
export function resetCommand(c: Client, _args: string[]): Reply {
  const server = c.server;
  if (c.monitor) {
    c.monitor = false;
    server.monitors.delete(c);
  }
  if (c.multi !== null || c.watching.length !== 0) server.discardTransaction(c);
  c.multi = null;
  c.multiFailed = false;
  c.db = server.dbs[0]!;
  c.proto = 2;
  c.name = '';
  c.replyMode = REPLY_ON;
  c.asking = false;
  c.readonlyMode = false;
  c.noEvict = false;
  unsubscribeAll(c);
  if (server.config.getString('requirepass') !== '') c.authenticated = false;
  return RESET;
}

export function selectCommand(c: Client, args: string[]): Reply {
  const id = parseInteger(args[1]!);
  if (id === undefined) throw NOT_INTEGER;
  if (id < -2147483648 || id > 2147483647) {
    throw new RespError('ERR value is out of range, value must between -2147483648 and 2147483647');
  }
  if (c.server.config.getBool('cluster-enabled') && id !== 0) throw new RespError('ERR SELECT is not allowed in cluster mode');
  if (id < 0 || id >= c.server.dbs.length) throw new RespError('ERR DB index is out of range');
  c.db = c.server.dbs[id]!;
  return OK;
}

export function authCommand(c: Client, args: string[]): Reply {
  if (args.length > 3) throw SYNTAX;
  if (args.length === 2) {
    if (c.server.config.getString('requirepass') === '') {
      throw new RespError(
        'ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?',
      );
    }
    if (!checkPassword(c, 'default', args[1]!)) throw new WrongPassError();
  } else if (!checkPassword(c, args[1]!, args[2]!)) {
    throw new WrongPassError();
  }
  c.authenticated = true;
  return OK;
}

/** HELLO [protover [AUTH username password] [SETNAME clientname]] */
export function helloCommand(c: Client, args: string[]): Reply {
  let ver = 0;
  if (args.length >= 2) {
    const v = parseInteger(args[1]!);
    if (v === undefined) throw new RespError('ERR Protocol version is not an integer or out of range');
    if (v < 2 || v > 3) throw new RespError('NOPROTO unsupported protocol version');
    ver = v;
  }
  let user: string | undefined;
  let pass: string | undefined;
  let name: string | undefined;
  for (let j = 2; j < args.length; j++) {
    const more = args.length - 1 - j;
    const opt = args[j]!.toLowerCase();
    if (opt === 'auth' && more >= 2) {
      user = args[j + 1]!;
      pass = args[j + 2]!;
      j += 2;
    } else if (opt === 'setname' && more >= 1) {
      name = args[j + 1]!;
      j++;
    } else {
      throw new RespError(`ERR Syntax error in HELLO option '${args[j]!}'`);
    }
  }
  if (user !== undefined && pass !== undefined) {
    if (!checkPassword(c, user, pass)) throw new WrongPassError();
    c.authenticated = true;
  }
  if (!c.authenticated) {
    throw new RespError(
      'NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time',
    );
  }
  if (name !== undefined) setClientName(c, name);
  if (ver !== 0) c.proto = ver as 2 | 3;
  return new MapReply([
    'server',
    'redis',
    'version',
    REDIS_VERSION,
    'proto',
    c.proto,
    'id',
    c.id,
    'mode',
    c.server.config.getBool('cluster-enabled') ? 'cluster' : 'standalone',
    'role',
    'master',
    'modules',
    [],
  ]);
}

export function monitorCommand(c: Client, _args: string[]): Reply | typeof BLOCKED {
  // As Redis: a second MONITOR on a monitor connection is ignored (no reply).
  if (c.monitor) return BLOCKED;
  c.monitor = true;
  c.server.monitors.add(c);
  return OK;
}

/*------------------------------------------------------------------------------
 * CLIENT subcommands
 *----------------------------------------------------------------------------*/

export function clientIdCommand(c: Client, _args: string[]): Reply {
  return c.id;
}

export function clientSetnameCommand(c: Client, args: string[]): Reply {
  setClientName(c, args[2]!);
  return OK;
}

export function clientGetnameCommand(c: Client, _args: string[]): Reply {
  return c.name === '' ? null : c.name;
}

/** CLIENT LIST [TYPE normal|master|replica|pubsub] [ID id [id ...]] */
export function clientListCommand(c: Client, args: string[]): Reply {
  let type: string | undefined;
  let ids: Set<number> | undefined;
  if (args.length === 4 && args[2]!.toLowerCase() === 'type') {
    type = parseClientType(args[3]!);
    if (type === undefined) throw new RespError(`ERR Unknown client type '${args[3]!}'`);
  } else if (args.length >= 4 && args[2]!.toLowerCase() === 'id') {
    ids = new Set();
    for (let i = 3; i < args.length; i++) {
      const id = parseInteger(args[i]!);
      if (id === undefined || id <= 0) throw new RespError('ERR Invalid client ID');
      ids.add(id);
    }
  } else if (args.length !== 2) {
    throw SYNTAX;
  }
  let out = '';
  for (const t of c.server.clients.values()) {
    if (type !== undefined && clientType(t) !== type) continue;
    if (ids !== undefined && !ids.has(t.id)) continue;
    out += clientInfoLine(t, t === c ? 'client|list' : undefined) + '\n';
  }
  return new VerbatimReply(out);
}

export function clientInfoCommand(c: Client, _args: string[]): Reply {
  return new VerbatimReply(clientInfoLine(c, 'client|info') + '\n');
}

/**
 * CLIENT KILL addr:port (old form: OK or "No such client"), or
 * CLIENT KILL <filter> <value> ... (new form: the number killed; SKIPME
 * defaults to yes). Killing the caller closes it after this reply.
 */
export function clientKillCommand(c: Client, args: string[]): Reply {
  const server = c.server;
  if (args.length === 3) {
    for (const t of server.clients.values()) {
      if (t.addr === args[2]) {
        killClient(c, t);
        return OK;
      }
    }
    throw new RespError('ERR No such client');
  }
  let id: number | undefined;
  let type: string | undefined;
  let addr: string | undefined;
  let laddr: string | undefined;
  let user: string | undefined;
  let skipme = true;
  for (let i = 2; i < args.length; i += 2) {
    if (i + 1 >= args.length) throw SYNTAX;
    const opt = args[i]!.toLowerCase();
    const val = args[i + 1]!;
    if (opt === 'id') {
      const n = parseInteger(val);
      if (n === undefined || n <= 0) throw new RespError('ERR client-id should be greater than 0');
      id = n;
    } else if (opt === 'type') {
      type = parseClientType(val);
      if (type === undefined) throw new RespError(`ERR Unknown client type '${val}'`);
    } else if (opt === 'addr') {
      addr = val;
    } else if (opt === 'laddr') {
      laddr = val;
    } else if (opt === 'user') {
      if (val !== 'default') throw new RespError(`ERR No such user '${val}'`);
      user = val;
    } else if (opt === 'skipme') {
      const v = val.toLowerCase();
      if (v === 'yes') skipme = true;
      else if (v === 'no') skipme = false;
      else throw SYNTAX;
    } else {
      throw SYNTAX;
    }
  }
  void user;
  let killed = 0;
  for (const t of [...server.clients.values()]) {
    if (id !== undefined && t.id !== id) continue;
    if (type !== undefined && clientType(t) !== type) continue;
    if (addr !== undefined && t.addr !== addr) continue;
    if (laddr !== undefined && t.laddr !== laddr) continue;
    if (skipme && t === c) continue;
    killClient(c, t);
    killed++;
  }
  return killed;
}

function killClient(caller: Client, target: Client): void {
  if (target === caller) caller.closeAfterReply = true;
  else target.close();
}

/** CLIENT SETINFO LIB-NAME|LIB-VER value (Redis 7.2). */
export function clientSetinfoCommand(c: Client, args: string[]): Reply {
  const attr = args[2]!.toLowerCase();
  const val = args[3]!;
  if (attr !== 'lib-name' && attr !== 'lib-ver') throw new RespError(`ERR Unrecognized option '${args[2]!}'`);
  if (!validName(val)) throw new RespError(`ERR ${attr} cannot contain spaces, newlines or special characters.`);
  if (attr === 'lib-name') c.libName = val;
  else c.libVer = val;
  return OK;
}

/** CLIENT REPLY ON|OFF|SKIP. OFF and SKIP send no reply; SKIP also drops the next command's. */
export function clientReplyCommand(c: Client, args: string[]): Reply | typeof BLOCKED {
  const mode = args[2]!.toLowerCase();
  if (mode === 'on') {
    c.replyMode = REPLY_ON;
    return OK;
  }
  if (mode === 'off') {
    c.replyMode = REPLY_OFF;
    return BLOCKED;
  }
  if (mode === 'skip') {
    if (c.replyMode === REPLY_ON) c.replyMode = REPLY_SKIP;
    // BLOCKED without `c.blocked`: the dispatcher sends nothing and goes on.
    return BLOCKED;
  }
  throw SYNTAX;
}

export function clientNoEvictCommand(c: Client, args: string[]): Reply {
  const v = args[2]!.toLowerCase();
  if (v === 'on') c.noEvict = true;
  else if (v === 'off') c.noEvict = false;
  else throw SYNTAX;
  return OK;
}

/** CLIENT PAUSE timeout [WRITE|ALL] */
export function clientPauseCommand(c: Client, args: string[]): Reply {
  const ms = parseInteger(args[2]!);
  if (ms === undefined) throw new RespError('ERR timeout is not an integer or out of range');
  if (ms < 0) throw new RespError('ERR timeout is negative');
  let mode: 'write' | 'all' = 'all';
  if (args.length === 4) {
    const m = args[3]!.toLowerCase();
    if (m === 'write') mode = 'write';
    else if (m !== 'all') throw new RespError('ERR CLIENT PAUSE mode must be WRITE or ALL');
  } else if (args.length > 4) {
    throw SYNTAX;
  }
  pauseClients(c.server, ms, mode);
  return OK;
}

export function clientUnpauseCommand(c: Client, _args: string[]): Reply {
  unpauseClients(c.server);
  return OK;
}

/** CLIENT UNBLOCK id [TIMEOUT|ERROR]: 1 if a client blocked by a blocking command was woken, else 0. */
export function clientUnblockCommand(c: Client, args: string[]): Reply {
  const id = parseInteger(args[2]!);
  if (id === undefined) throw NOT_INTEGER;
  let how: 'timeout' | 'error' = 'timeout';
  if (args.length === 4) {
    const h = args[3]!.toLowerCase();
    if (h === 'error') how = 'error';
    else if (h !== 'timeout') throw new RespError('ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR');
  } else if (args.length > 4) {
    throw SYNTAX;
  }
  const target = c.server.clients.get(id);
  if (target === undefined || target.blocked === undefined || target.blocked.reason === 'pause') return 0;
  target.blocked.wake(how);
  return 1;
}

export function clientHelpCommand(_c: Client, _args: string[]): Reply {
  return helpReply(CLIENT_HELP);
}

export const CONNECTION_HANDLERS: HandlerTable = {
  ping: pingCommand,
  echo: echoCommand,
  quit: quitCommand,
  reset: resetCommand,
  select: selectCommand,
  auth: authCommand,
  hello: helloCommand,
  monitor: monitorCommand,
  'client|id': clientIdCommand,
  'client|setname': clientSetnameCommand,
  'client|getname': clientGetnameCommand,
  'client|list': clientListCommand,
  'client|info': clientInfoCommand,
  'client|kill': clientKillCommand,
  'client|setinfo': clientSetinfoCommand,
  'client|reply': clientReplyCommand,
  'client|no-evict': clientNoEvictCommand,
  'client|pause': clientPauseCommand,
  'client|unpause': clientUnpauseCommand,
  'client|unblock': clientUnblockCommand,
  'client|help': clientHelpCommand,
};
