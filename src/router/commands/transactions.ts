import { defineCommands } from '../command-spec.js';

/** Command specs of the 'transactions' group. */
export const TRANSACTION_COMMANDS = defineCommands([]);
