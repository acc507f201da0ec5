import { defineCommands } from '../command-spec.js';

/** Command specs of the 'string' group. */
export const STRING_COMMANDS = defineCommands([
  {
    name: 'get',
    arity: 2,
    flags: ['readonly', 'fast'],
    group: 'string',
    since: '1.0.0',
    summary: 'Returns the string value of a key.',
    complexity: 'O(1)',
    acl: ['read', 'string', 'fast'],
    keys: { first: 1, last: 1, step: 1 },
  },
  {
    name: 'set',
    arity: -3,
    flags: ['write', 'denyoom'],
    group: 'string',
    since: '1.0.0',
    summary: 'Sets the string value of a key, ignoring its type. The key is created if it doesn\'t exist.',
    complexity: 'O(1)',
    acl: ['write', 'string', 'slow'],
    keys: { first: 1, last: 1, step: 1 },
  },
]);
