import { defineCommands } from '../command-spec.js';

/** Command specs of the 'connection' group. */
export const CONNECTION_COMMANDS = defineCommands([
  {
    name: 'ping',
    arity: -1,
    flags: ['fast', 'stale'],
    group: 'connection',
    since: '1.0.0',
    summary: 'Returns the server\'s liveliness response.',
    complexity: 'O(1)',
    acl: ['fast', 'connection'],
  },
  {
    name: 'echo',
    arity: 2,
    flags: ['fast', 'loading', 'stale'],
    group: 'connection',
    since: '1.0.0',
    summary: 'Returns the given string.',
    complexity: 'O(1)',
    acl: ['fast', 'connection'],
  },
]);
