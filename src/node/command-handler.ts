/**
 * The contract between the dispatcher and command implementations.
 *
 * A handler receives the calling client and the full argument vector
 * (`args[0]` is the command name as sent) and returns its reply, or throws a
 * `RespError` (./errors.ts) to reply with an error. Arity, authentication,
 * cluster routing and MULTI queueing are checked before a handler runs.
 * Handlers never write to sockets.
 *
 * A blocking command that cannot be served yet returns `BLOCKED` after
 * setting `client.blocked`; it replies later through `client.unblock(reply)`.
 */
import type { Client } from './client.js';
import type { Reply } from './resp/reply.js';

export const BLOCKED: unique symbol = Symbol('blocked');

export type CommandHandler = (c: Client, args: string[]) => Reply | typeof BLOCKED;

/** Handlers of one group, by spec name (`get`, `config|get`). */
export type HandlerTable = Record<string, CommandHandler>;
