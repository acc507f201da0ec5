import { defineCommands } from '../command-spec.js';

/** Command specs of the 'set' group. */
export const SET_COMMANDS = defineCommands([]);
