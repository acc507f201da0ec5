import type { HandlerTable } from '../command-handler.js';

export const SCRIPTING_HANDLERS: HandlerTable = {};
