import { defineCommands } from '../command-spec.js';

/** Command specs of the 'server' group. */
export const SERVER_COMMANDS = defineCommands([]);
