import { defineCommands } from '../command-spec.js';

/** Command specs of the 'cluster' group. */
export const CLUSTER_COMMANDS = defineCommands([]);
