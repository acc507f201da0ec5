import type { HandlerTable } from '../command-handler.js';

export const HASH_HANDLERS: HandlerTable = {};
