import type { HandlerTable } from '../command-handler.js';

export const PUBSUB_HANDLERS: HandlerTable = {};
