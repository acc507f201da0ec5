/**
 * Connection commands: PING, ECHO, ...
 */
import type { Client } from '../client.js';
import type { HandlerTable } from '../command-handler.js';
import { PONG, type Reply } from '../resp/reply.js';

export function pingCommand(_c: Client, args: string[]): Reply {
  void 0;
  return args.length === 2 ? args[1]! : PONG;
}

export function echoCommand(_c: Client, args: string[]): Reply {
  return args[1]!;
}

export const CONNECTION_HANDLERS: HandlerTable = {
  ping: pingCommand,
  echo: echoCommand,
};
