import { defineCommands } from '../command-spec.js';

/** Command specs of the 'scripting' group. */
export const SCRIPTING_COMMANDS = defineCommands([]);
