import { defineCommands } from '../command-spec.js';

/**
 * Keys of SORT: the sorted key, plus the STORE destination if any (the last
 * STORE wins, as in the handler). Options with arguments are skipped as
 * Redis's sortGetKeys does (LIMIT 2, GET 1, BY 1), so a STORE word used as a
 * GET or BY pattern is not taken for the option. BY/GET patterns name keys
 * too, but they derive from the data and are not reported (Redis marks them
 * 'unknown'; in cluster mode they are refused).
 */
function sortKeys(args: readonly string[]): number[] {
  if (args.length < 2) return [];
  let store = -1;
  for (let i = 2; i < args.length; i++) {
    const a = args[i]!.toLowerCase();
    if (a === 'limit') i += 2;
    else if (a === 'get' || a === 'by') i += 1;
    else if (a === 'store' && i + 1 < args.length) store = i + 1;
  }
  return store < 0 ? [1] : [1, store];
}

/** Command specs of SORT and SORT_RO (group 'generic', kept apart for ownership). */
export const SORT_COMMANDS = defineCommands([
  {
    name: 'sort',
    arity: -2,
    flags: ['write', 'denyoom', 'movablekeys'],
    group: 'generic',
    since: '1.0.0',
    summary: 'Sorts the elements in a list, a set, or a sorted set, optionally storing the result.',
    complexity:
      'O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of returned elements. When the elements are not sorted, complexity is O(N).',
    acl: ['write', 'set', 'sortedset', 'list', 'slow', 'dangerous'],
    keys: { first: 1, last: 1, step: 1 },
    getKeys: sortKeys,
  },
  {
    name: 'sort_ro',
    arity: -2,
    flags: ['readonly', 'movablekeys'],
    group: 'generic',
    since: '7.0.0',
    summary: 'Returns the sorted elements of a list, a set, or a sorted set.',
    complexity:
      'O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of returned elements. When the elements are not sorted, complexity is O(N).',
    acl: ['read', 'set', 'sortedset', 'list', 'slow', 'dangerous'],
    keys: { first: 1, last: 1, step: 1 },
  },
]);
