import { defineCommands } from '../command-spec.js';

/** Command specs of the 'list' group. */
export const LIST_COMMANDS = defineCommands([]);
