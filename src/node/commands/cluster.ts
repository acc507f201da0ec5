import type { HandlerTable } from '../command-handler.js';

export const CLUSTER_HANDLERS: HandlerTable = {};
