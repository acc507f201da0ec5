import { defineCommands } from '../command-spec.js';

/** Command specs of the 'hash' group. */
export const HASH_COMMANDS = defineCommands([]);
