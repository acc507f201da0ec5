/**
 * CLIENT REPLY modes, shared by the client (./client.ts) and the CLIENT
 * REPLY command (./commands/connection.ts). A module without imports, so
 * either side can load it first.
 *
 * Numbers rather than the words: every reply tests the mode, and comparing
 * a string field makes optimized code load the string's map first, an
 * extra cache line per reply under load.
 */
export const REPLY_ON = 0;
/** CLIENT REPLY OFF: no replies until ON. */
export const REPLY_OFF = 1;
/** CLIENT REPLY SKIP: the next command's reply is dropped. */
export const REPLY_SKIP = 2;
export type ReplyMode = typeof REPLY_ON | typeof REPLY_OFF | typeof REPLY_SKIP;
