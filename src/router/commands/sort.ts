import { defineCommands } from '../command-spec.js';

/** Command specs of SORT and SORT_RO (group 'generic', kept apart for ownership). */
export const SORT_COMMANDS = defineCommands([]);
