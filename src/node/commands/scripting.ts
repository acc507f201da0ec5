/**
 * Scripting commands. Shardis runs no Lua and no functions: EVAL, EVALSHA,
 * FCALL and the management subcommands answer a clean "not supported"
 * error, so that a client sees at once why its script did not run. The
 * requests that are truthful without an engine succeed: SCRIPT FLUSH and
 * FUNCTION FLUSH (there is nothing to flush), SCRIPT EXISTS (no script is
 * cached), FUNCTION LIST (no library is loaded) and the HELP texts.
 */
import type { Client } from '../client.js';
import type { HandlerTable } from '../command-handler.js';
import { RespError, SubcommandSyntaxError } from '../errors.js';
import { OK, type Reply } from '../resp/reply.js';
import { helpReply } from './connection.js';

const FUNCTION_HELP = [
  'FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'LOAD [REPLACE] <FUNCTION CODE>',
  '    Create a new library with the given library name and code.',
  'DELETE <LIBRARY NAME>',
  '    Delete the given library.',
  'LIST [LIBRARYNAME PATTERN] [WITHCODE]',
  '    Return general information on all the libraries:',
  '    * Library name',
  '    * The engine used to run the Library',
  '    * Library description',
  '    * Functions list',
  '    * Library code (if WITHCODE is given)',
  '    It also possible to get only function that matches a pattern using LIBRARYNAME argument.',
  'STATS',
  '    Return information about the current function running:',
  '    * Function name',
  '    * Command used to run the function',
  '    * Duration in MS that the function is running',
  '    If no function is running, return nil',
  '    In addition, returns a list of available engines.',
  'KILL',
  '    Kill the current running function.',
  'FLUSH [ASYNC|SYNC]',
  '    Delete all the libraries.',
  '    When called without the optional mode argument, the behavior is determined by the',
  '    lazyfree-lazy-user-flush configuration directive. Valid modes are:',
  '    * ASYNC: Asynchronously flush the libraries.',
  '    * SYNC: Synchronously flush the libraries.',
  'DUMP',
  '    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command',
  'RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]',
  '    Restore the libraries represented by the given payload, it is possible to give a restore policy to',
  '    control how to handle existing libraries (default APPEND):',
  '    * FLUSH: delete all existing libraries.',
  '    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.',
  '    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old',
  '      libraries with the new libraries (notice that even on this option there is a chance of failure',
  '      in case of functions name collision with another library).',
  'HELP',
  '    Prints this help.',
];
const SCRIPT_HELP = [
  'SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'DEBUG (YES|SYNC|NO)',
  '    Set the debug mode for subsequent scripts executed.',
  'EXISTS <sha1> [<sha1> ...]',
  '    Return information about the existence of the scripts in the script cache.',
  'FLUSH [ASYNC|SYNC]',
  '    Flush the Lua scripts cache. Very dangerous on replicas.',
  '    When called without the optional mode argument, the behavior is determined by the',
  '    lazyfree-lazy-user-flush configuration directive. Valid modes are:',
  '    * ASYNC: Asynchronously flush the scripts cache.',
  '    * SYNC: Synchronously flush the scripts cache.',
  'KILL',
  '    Kill the currently executing Lua script.',
  'LOAD <script>',
  '    Load a script into the scripts cache without executing it.',
  'HELP',
  '    Prints this help.',
];

/*------------------------------------------------------------------------------
 * Scripting helpers
 *----------------------------------------------------------------------------*/

class ScriptingNotSupportedError extends RespError {
  constructor(what: string) {
    super(`ERR ${what} is not supported by Shardis`);
  }
}

const NO_SCRIPTS = new ScriptingNotSupportedError('Lua scripting');
const NO_FUNCTIONS = new ScriptingNotSupportedError('FUNCTION');

function isFlushMode(arg: string): boolean {
  const m = arg.toLowerCase();
  return m === 'sync' || m === 'async';
}

function noScripts(): Reply {
  throw NO_SCRIPTS;
}

function noFunctions(): Reply {
  throw NO_FUNCTIONS;
}

/*------------------------------------------------------------------------------
 * Scripting commands
 *----------------------------------------------------------------------------*/

export function scriptFlushCommand(_c: Client, args: string[]): Reply {
  if (args.length > 3 || (args.length === 3 && !isFlushMode(args[2]!))) {
    throw new RespError('ERR SCRIPT FLUSH only support SYNC|ASYNC option');
  }
  return OK;
}

export function scriptExistsCommand(_c: Client, args: string[]): Reply {
  return args.slice(2).map(() => 0);
}

export function functionFlushCommand(_c: Client, args: string[]): Reply {
  if (args.length > 3) {
    throw new SubcommandSyntaxError('function', args[1]!);
  }
  if (args.length === 3 && !isFlushMode(args[2]!)) throw new RespError('ERR FUNCTION FLUSH only supports SYNC|ASYNC option');
  return OK;
}

export function functionListCommand(_c: Client, _args: string[]): Reply {
  return [];
}

export function scriptHelpCommand(_c: Client, _args: string[]): Reply {
  return helpReply(SCRIPT_HELP);
}

export function functionHelpCommand(_c: Client, _args: string[]): Reply {
  return helpReply(FUNCTION_HELP);
}

export const SCRIPTING_HANDLERS: HandlerTable = {
  eval: noScripts,
  evalsha: noScripts,
  eval_ro: noScripts,
  evalsha_ro: noScripts,
  fcall: noFunctions,
  fcall_ro: noFunctions,
  'script|debug': noScripts,
  'script|exists': scriptExistsCommand,
  'script|flush': scriptFlushCommand,
  'script|help': scriptHelpCommand,
  'script|kill': noScripts,
  'script|load': noScripts,
  'function|delete': noFunctions,
  'function|dump': noFunctions,
  'function|flush': functionFlushCommand,
  'function|help': functionHelpCommand,
  'function|kill': noFunctions,
  'function|list': functionListCommand,
  'function|load': noFunctions,
  'function|restore': noFunctions,
  'function|stats': noFunctions,
};
