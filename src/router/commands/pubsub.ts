import { defineCommands } from '../command-spec.js';

/** Command specs of the 'pubsub' group. */
export const PUBSUB_COMMANDS = defineCommands([]);
