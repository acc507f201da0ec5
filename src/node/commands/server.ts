import type { HandlerTable } from '../command-handler.js';

export const SERVER_HANDLERS: HandlerTable = {};
