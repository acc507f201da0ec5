/**
 * The router: pure cluster logic shared by the node and the client SDK.
 * Key to slot, slot tables, key extraction from the command table, and the
 * routing decision. No I/O, nothing from `src/node`.
 */
export { SLOT_COUNT, keySlot } from './slot.js';
export {
  SlotMap,
  formatSlotRanges,
  isValidSlot,
  parseSlotRanges,
  rangesOfBitmap,
  slotRanges,
  type SlotRange,
} from './slot-map.js';
export {
  CROSS_SLOT,
  LOCAL,
  TRY_AGAIN,
  routeCommand,
  routeTransaction,
  type RouteContext,
  type RouteDecision,
  type RoutedCommand,
  type SlotState,
} from './route.js';
export { getKeyIndexes, getKeys, lookupCommand } from './command-table.js';
export type { CommandSpec, CommandFlag, KeyRange } from './command-spec.js';
