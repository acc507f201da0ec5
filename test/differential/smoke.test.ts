/**
 * The harness itself against both servers: a handful of fixed commands that
 * Shardis has had since the first commit, so a broken harness shows up here.
 */
import fc from 'fast-check';
import { differentialSuite } from './harness.js';

differentialSuite(
  'PING, ECHO, unknown commands and arity errors',
  fc.array(
    fc.constantFrom(
      { args: ['PING'] },
      { args: ['PING', 'hello'] },
      { args: ['ECHO', '\x00\xff'] },
      { args: ['NOSUCHCOMMAND', 'a', 'b'] },
      { args: ['GET'] },
      { args: ['SET', 'k', 'v'] },
      { args: ['GET', 'k'] },
    ),
    { maxLength: 8 },
  ),
  { numRuns: 50 },
);
