import type { HandlerTable } from '../command-handler.js';

export const ZSET_HANDLERS: HandlerTable = {};
