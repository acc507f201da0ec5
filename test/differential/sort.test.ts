/**
 * SORT and SORT_RO against real Redis 7.0, byte for byte, in RESP2 and RESP3.
 *
 * Sources are a list, a set and a sorted set of numeric and non-numeric
 * elements; BY and GET patterns read string keys `w_<elem>` and hash fields
 * `h_<elem>->f`. Where Redis's output order comes from a hash table (a set
 * with BY nosort, or ALPHA BY with equal weights on a set or sorted set), the
 * reply is compared as a multiset, or by shape when LIMIT cuts it.
 */
import fc from 'fast-check';
import { differentialSuite, type Step } from './harness.js';

const elem = fc.constantFrom('1', '2', '3', '10', '-1', '1.5', 'a', 'b', 'c', '', ' 2', 'inf', '\xff');
const numElem = fc.constantFrom('1', '2', '3', '10', '-1', '1.5', '0', '7', '-2.5', '1e2');
const weight = fc.constantFrom('1', '2', '3', '-1', '0.5', 'x', 'y', '', '10', 'inf');

type SourceKind = 'list' | 'set' | 'zset' | 'none' | 'str';
const source = fc.constantFrom<[string, SourceKind]>(['l', 'list'], ['s', 'set'], ['z', 'zset'], ['nokey', 'none'], ['str', 'str']);

const fill: fc.Arbitrary<Step> = fc.oneof(
  fc.array(fc.oneof(elem, numElem), { minLength: 1, maxLength: 6 }).map((xs) => ({ args: ['RPUSH', 'l', ...xs] })),
  fc.array(fc.oneof(elem, numElem), { minLength: 1, maxLength: 6 }).map((xs) => ({ args: ['SADD', 's', ...xs] })),
  fc.array(numElem, { minLength: 1, maxLength: 6 }).map((xs) => ({ args: ['SADD', 's', ...xs] })),
  fc.array(fc.tuple(fc.integer({ min: -3, max: 3 }), fc.oneof(elem, numElem)), { minLength: 1, maxLength: 6 }).map((ps) => ({
    args: ['ZADD', 'z', ...ps.flatMap(([s, m]) => [String(s), m])],
  })),
  fc.tuple(fc.oneof(elem, numElem), weight).map(([e, w]) => ({ args: ['SET', `w_${e}`, w] })),
  fc.tuple(fc.oneof(elem, numElem), weight).map(([e, w]) => ({ args: ['HSET', `h_${e}`, 'f', w] })),
  fc.constant({ args: ['SET', 'str', 'x'] }),
  fc.constantFrom({ args: ['DEL', 'l'] }, { args: ['DEL', 's'] }, { args: ['DEL', 'z'] }),
);

interface SortShape {
  by: string | undefined;
  limit: [string, string] | undefined;
  gets: string[];
  order: string | undefined;
  alpha: boolean;
  store: boolean;
  ro: boolean;
}

const sortShape: fc.Arbitrary<SortShape> = fc.record({
  by: fc.option(fc.constantFrom('w_*', 'h_*->f', 'nosort', 'missing_*', 'h_*->'), { nil: undefined }),
  limit: fc.option(fc.constantFrom<[string, string]>(['0', '2'], ['1', '10'], ['-1', '2'], ['5', '1'], ['0', '-1'], ['2', '0'], ['x', '1']), { nil: undefined }),
  gets: fc.array(fc.constantFrom('#', 'w_*', 'h_*->f', 'nostar', 'missing_*'), { maxLength: 2 }),
  order: fc.option(fc.constantFrom('ASC', 'DESC', 'desc'), { nil: undefined }),
  alpha: fc.boolean(),
  store: fc.boolean(),
  ro: fc.boolean(),
});

function sortSteps([key, kind]: [string, SourceKind], o: SortShape, bogus: boolean): Step[] {
  const args: string[] = [o.ro ? 'SORT_RO' : 'SORT', key];
  if (o.by !== undefined) args.push('BY', o.by);
  if (o.limit !== undefined) args.push('LIMIT', ...o.limit);
  for (const g of o.gets) args.push('GET', g);
  if (o.order !== undefined) args.push(o.order);
  if (o.alpha) args.push('ALPHA');
  if (o.store) args.push('STORE', 'dst');
  if (bogus) args.push('BOGUS');
  const dontsort = o.by === 'nosort';
  const hashOrder =
    (kind === 'set' && dontsort && !o.store) || ((kind === 'set' || kind === 'zset') && o.alpha && o.by !== undefined && !dontsort);
  const compare: Step['compare'] = !hashOrder ? 'exact' : o.limit !== undefined ? 'shape' : 'unordered';
  // A stale `dst` from an earlier hash-ordered result must not be compared exactly.
  const steps: Step[] = o.store ? [{ args: ['DEL', 'dst'] }, { args, compare }] : [{ args, compare }];
  if (o.store && !o.ro) steps.push({ args: ['LRANGE', 'dst', '0', '-1'], compare });
  return steps;
}

const stepArb: fc.Arbitrary<Step[]> = fc.oneof(
  { weight: 3, arbitrary: fill.map((s) => [s]) },
  { weight: 3, arbitrary: fc.tuple(source, sortShape, fc.integer({ min: 0, max: 9 }).map((n) => n === 0)).map(([s, o, b]) => sortSteps(s, o, b)) },
  { weight: 1, arbitrary: fc.constantFrom([{ args: ['SORT', 'l', 'LIMIT', '1'] }], [{ args: ['SORT_RO', 'l', 'STORE', 'dst'] }], [{ args: ['SORT', 'l', 'BY'] }], [{ args: ['OBJECT', 'ENCODING', 'z'] }]) },
);

differentialSuite(
  'SORT and SORT_RO',
  fc.array(stepArb, { minLength: 1, maxLength: 14 }).map((xs) => xs.flat()),
  { numRuns: Number(process.env.SORT_RUNS ?? 500), timeoutMs: 900_000 },
);

/**
 * Tie order under LIMIT. ALPHA BY a pattern makes elements whose weight keys
 * are missing (or equal) compare equal, and with a LIMIT window Redis sorts
 * with pqsort, whose quicksort leaves such ties in its own order: lists of
 * up to 60 elements (past pqsort's 7- and 40-element thresholds) with few
 * distinct weights, and windows anywhere, compared exactly.
 */
const tieList = fc.array(fc.constantFrom('a', 'b', 'c', 'd', '1', '2', 'x'), { minLength: 1, maxLength: 60 });
const tieWeights = fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c', 'd', '1', '2', 'x'), fc.constantFrom('p', 'q', 'p')), { maxLength: 4 });
const tieWindow = fc.tuple(fc.integer({ min: -1, max: 62 }), fc.integer({ min: -1, max: 62 }));
differentialSuite(
  'SORT BY with LIMIT (tie order)',
  fc.tuple(tieList, tieWeights, tieWindow, fc.boolean()).map(([xs, ws, [offset, count], desc]): Step[] => [
    { args: ['DEL', 'l'] },
    { args: ['RPUSH', 'l', ...xs] },
    ...ws.map(([e, w]): Step => ({ args: ['SET', `w_${e}`, w] })),
    { args: ['SORT', 'l', 'BY', 'w_*', 'LIMIT', String(offset), String(count), ...(desc ? ['DESC'] : []), 'ALPHA'], compare: 'exact' },
    { args: ['SORT', 'l', 'BY', 'w_*', 'LIMIT', String(offset), String(count), 'ALPHA', 'GET', '#', 'GET', 'w_*'], compare: 'exact' },
    ...ws.map(([e]): Step => ({ args: ['DEL', `w_${e}`] })),
  ]),
  { numRuns: Number(process.env.SORT_RUNS ?? 1000) },
);
