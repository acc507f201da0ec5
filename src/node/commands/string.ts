/**
 * String commands.
 */
import type { Client } from '../client.js';
import type { HandlerTable } from '../command-handler.js';
import { WRONGTYPE } from '../errors.js';
import { OK, type Reply } from '../resp/reply.js';

/*------------------------------------------------------------------------------
 * String helpers
 *----------------------------------------------------------------------------*/

/** The string at `key`, undefined if absent; throws WRONGTYPE for other types. */
export function getString(c: Client, key: string): string | undefined {
  const v = c.db.get(key);
  if (v === undefined || typeof v === 'string') return v;
  throw WRONGTYPE;
}

/*------------------------------------------------------------------------------
 * String commands
 *----------------------------------------------------------------------------*/

export function getCommand(c: Client, args: string[]): Reply {
  return getString(c, args[1]!) ?? null;
}

export function setCommand(c: Client, args: string[]): Reply {
  c.db.set(args[1]!, args[2]!);
  return OK;
}

export const STRING_HANDLERS: HandlerTable = {
  get: getCommand,
  set: setCommand,
};
