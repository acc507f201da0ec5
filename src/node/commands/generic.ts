import type { HandlerTable } from '../command-handler.js';

export const GENERIC_HANDLERS: HandlerTable = {};
