/**
 * Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH (Redis's multi.c).
 *
 * Queueing itself happens in the dispatcher (../dispatch.ts): inside MULTI
 * every command but EXEC, DISCARD, MULTI, WATCH (and QUIT, RESET) is checked
 * and queued, and a rejected one sets `c.multiFailed`. EXEC then answers
 * EXECABORT if anything was rejected, a null array if a watched key changed
 * (or logically expired) since WATCH, and otherwise runs the queue through the
 * dispatcher's `call`, with blocking commands answering their timeout reply
 * at once, and replies with the array of the commands' replies (errors
 * included, as Redis does not roll back).
 */
import { allowBlocking, denyBlocking } from '../blocking.js';
import type { Client } from '../client.js';
import { BLOCKED, type HandlerTable } from '../command-handler.js';
import { call, findCommand } from '../dispatch.js';
import { ExecAbortError, RespError } from '../errors.js';
import { ErrorReply, NULL_ARRAY, OK, type Reply } from '../resp/reply.js';

/*------------------------------------------------------------------------------
 * Transaction helpers
 *----------------------------------------------------------------------------*/

const NESTED_MULTI = new RespError('ERR MULTI calls can not be nested');
const EXEC_WITHOUT_MULTI = new RespError('ERR EXEC without MULTI');
const DISCARD_WITHOUT_MULTI = new RespError('ERR DISCARD without MULTI');
const WATCH_INSIDE_MULTI = new RespError('ERR WATCH inside MULTI is not allowed');
const EXECABORT = new ExecAbortError();

/**
 * True if a key `c` watches has a TTL that passed without the key being
 * deleted yet: Redis 7.0 fails EXEC then, as the key logically changed.
 */
function watchedKeyExpired(c: Client): boolean {
  const now = c.server.clock.now();
  for (const { db, key } of c.watching) {
    const at = db.getExpire(key);
    if (at !== undefined && at <= now) return true;
  }
  return false;
}

/*------------------------------------------------------------------------------
 * Transaction commands
 *----------------------------------------------------------------------------*/

export function multiCommand(c: Client): Reply {
  if (c.multi !== null) throw NESTED_MULTI;
  c.multi = [];
  c.multiFailed = false;
  return OK;
}

export function execCommand(c: Client): Reply {
  const queue = c.multi;
  if (queue === null) throw EXEC_WITHOUT_MULTI;
  const server = c.server;
  if (c.multiFailed) {
    server.discardTransaction(c);
    throw EXECABORT;
  }
  if (c.watchDirty || (c.watching.length !== 0 && watchedKeyExpired(c))) {
    server.discardTransaction(c);
    return NULL_ARRAY;
  }
  // Unwatch first: the transaction's own writes must not dirty it.
  server.discardTransaction(c);
  const replies: Reply[] = new Array(queue.length);
  denyBlocking();
  try {
    for (let i = 0; i < queue.length; i++) {
      const args = queue[i]!.args;
      const cmd = findCommand(args);
      if (cmd === undefined) {
        replies[i] = new ErrorReply(`ERR unknown command '${args[0]}'`);
        continue;
      }
      const r = call(c, cmd, args);
      replies[i] = r === BLOCKED ? null : r;
    }
  } finally {
    allowBlocking();
  }
  return replies;
}

export function discardCommand(c: Client): Reply {
  if (c.multi === null) throw DISCARD_WITHOUT_MULTI;
  c.server.discardTransaction(c);
  return OK;
}

/**
 * WATCH key...: remembers the keys; any later change to one fails this
 * client's next EXEC. A key whose TTL already passed is expired first, so
 * that only later changes count (Redis flags such keys instead).
 */
export function watchCommand(c: Client, args: string[]): Reply {
  if (c.multi !== null) throw WATCH_INSIDE_MULTI;
  const watches = c.server.watches;
  for (let i = 1; i < args.length; i++) {
    const key = args[i]!;
    c.db.has(key);
    watches.watch(c, c.db, key);
  }
  return OK;
}

export function unwatchCommand(c: Client): Reply {
  c.server.watches.unwatchAll(c);
  return OK;
}

export const TRANSACTION_HANDLERS: HandlerTable = {
  multi: multiCommand,
  exec: execCommand,
  discard: discardCommand,
  watch: watchCommand,
  unwatch: unwatchCommand,
};
