import type { HandlerTable } from '../command-handler.js';

export const LIST_HANDLERS: HandlerTable = {};
