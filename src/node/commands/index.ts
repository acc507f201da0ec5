/**
 * All command handlers, by spec name. Each group lives in its own module
 * (`./string.ts` for strings, ...), one `<name>Command` function per command.
 */
import type { HandlerTable } from '../command-handler.js';
import { STRING_HANDLERS } from './string.js';
import { GENERIC_HANDLERS } from './generic.js';
import { SERVER_HANDLERS } from './server.js';
import { CONNECTION_HANDLERS } from './connection.js';
import { LIST_HANDLERS } from './list.js';
import { HASH_HANDLERS } from './hash.js';
import { SET_HANDLERS } from './set.js';
import { ZSET_HANDLERS } from './zset.js';
import { TRANSACTION_HANDLERS } from './transactions.js';
import { CLUSTER_HANDLERS } from './cluster.js';
import { PUBSUB_HANDLERS } from './pubsub.js';
import { SCRIPTING_HANDLERS } from './scripting.js';
import { SORT_HANDLERS } from './sort.js';
import { CHUNKED_RESTORE_HANDLERS } from '../cluster/chunked-restore.js';

export const HANDLERS: HandlerTable = {
  ...STRING_HANDLERS,
  ...GENERIC_HANDLERS,
  ...SERVER_HANDLERS,
  ...CONNECTION_HANDLERS,
  ...LIST_HANDLERS,
  ...HASH_HANDLERS,
  ...SET_HANDLERS,
  ...ZSET_HANDLERS,
  ...TRANSACTION_HANDLERS,
  ...CLUSTER_HANDLERS,
  ...PUBSUB_HANDLERS,
  ...SCRIPTING_HANDLERS,
  ...SORT_HANDLERS,
  ...CHUNKED_RESTORE_HANDLERS,
};
