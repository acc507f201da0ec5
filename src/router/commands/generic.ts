import { defineCommands } from '../command-spec.js';

/** Command specs of the 'generic' group. */
export const GENERIC_COMMANDS = defineCommands([]);
