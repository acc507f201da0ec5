import type { HandlerTable } from '../command-handler.js';

export const SET_HANDLERS: HandlerTable = {};
