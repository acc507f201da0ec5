import { defineCommands } from '../command-spec.js';

/** Command specs of the 'zset' group. */
export const ZSET_COMMANDS = defineCommands([]);
