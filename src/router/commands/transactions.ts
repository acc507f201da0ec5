/**
 * Command specs of the 'transactions' group, as Redis 7.0 reports them.
 */
import { defineCommands } from '../command-spec.js';

/** Command specs of the 'transactions' group. */
export const TRANSACTION_COMMANDS = defineCommands([
  {
    name: 'multi',
    arity: 1,
    flags: ['noscript', 'loading', 'stale', 'fast', 'allow_busy'],
    group: 'transactions',
    since: '1.2.0',
    summary: 'Mark the start of a transaction block',
    complexity: 'O(1)',
    acl: ['fast', 'transaction'],
  },
  {
    name: 'exec',
    arity: 1,
    flags: ['noscript', 'loading', 'stale', 'skip_slowlog'],
    group: 'transactions',
    since: '1.2.0',
    summary: 'Execute all commands issued after MULTI',
    complexity: 'Depends on commands in the transaction',
    acl: ['slow', 'transaction'],
  },
  {
    name: 'discard',
    arity: 1,
    flags: ['noscript', 'loading', 'stale', 'fast', 'allow_busy'],
    group: 'transactions',
    since: '2.0.0',
    summary: 'Discard all commands issued after MULTI',
    complexity: 'O(N), when N is the number of queued commands',
    acl: ['fast', 'transaction'],
  },
  {
    name: 'watch',
    arity: -2,
    flags: ['noscript', 'loading', 'stale', 'fast', 'allow_busy'],
    group: 'transactions',
    since: '2.2.0',
    summary: 'Watch the given keys to determine execution of the MULTI/EXEC block',
    complexity: 'O(1) for every key.',
    acl: ['fast', 'transaction'],
    keys: { first: 1, last: -1, step: 1 },
  },
  {
    name: 'unwatch',
    arity: 1,
    flags: ['noscript', 'loading', 'stale', 'fast', 'allow_busy'],
    group: 'transactions',
    since: '2.2.0',
    summary: 'Forget about all watched keys',
    complexity: 'O(1)',
    acl: ['fast', 'transaction'],
  },
]);
