import type { HandlerTable } from '../command-handler.js';

export const SORT_HANDLERS: HandlerTable = {};
