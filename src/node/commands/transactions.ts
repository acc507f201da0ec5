import type { HandlerTable } from '../command-handler.js';

export const TRANSACTION_HANDLERS: HandlerTable = {};
