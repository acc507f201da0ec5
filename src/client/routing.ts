/**
 * Where a command goes: the hash slot of its keys, from the shared command
 * table in `src/router` (never from per-command code), and whether it only
 * reads.
 *
 * Commands the table does not know are NOT routed by guessing a key position:
 * they go to a random primary (slot -1) unless the caller names a key or slot
 * explicitly (`sendCommand(args, { key })`). A keyed command sent to the wrong
 * primary comes back as MOVED and is followed like any other, so an unknown
 * keyed command still works, at the cost of one extra hop.
 */
import { keySlot } from '../router/slot.js';
import { getKeyIndexes, lookupCommand } from '../router/command-table.js';
import type { CommandSpec } from '../router/command-spec.js';
import type { Arg } from './resp.js';

/** Hash slot of a key; strings are hashed on their UTF-8 bytes, as they are sent. */
export function slotOf(key: Arg): number {
  if (typeof key === 'string') {
    for (let i = 0; i < key.length; i++) {
      if (key.charCodeAt(i) > 127) return keySlot(Buffer.from(key, 'utf8'));
    }
    return keySlot(key);
  }
  if (typeof key === 'number') return keySlot(String(key));
  return keySlot(key);
}

/** Routing facts of one command call. */
export interface Route {
  /** Slot of the keys, -1 when keyless or unknown. */
  readonly slot: number;
  /** True when the keys span several slots. */
  readonly crossSlot: boolean;
  /** The table flags the command readonly. */
  readonly readOnly: boolean;
  /** The table knows the command. */
  readonly known: boolean;
}

function argText(a: Arg): string {
  return typeof a === 'string' ? a : typeof a === 'number' ? String(a) : a.toString('latin1');
}

/** The spec of `args` (subcommand spec for containers), or undefined. */
export function specOf(args: readonly Arg[]): CommandSpec | undefined {
  if (args.length === 0) return undefined;
  const spec = lookupCommand(argText(args[0]!));
  if (spec?.subcommands && args.length > 1) {
    return lookupCommand(`${spec.name}|${argText(args[1]!).toLowerCase()}`) ?? spec;
  }
  return spec;
}

/** Indexes of the key arguments of `args` per the table; undefined if the command is unknown. */
export function keyIndexesOf(args: readonly Arg[]): number[] | undefined {
  const spec = specOf(args);
  if (spec === undefined) return undefined;
  // Regular key specs only need the length; key finders parse (latin1 keeps bytes).
  const view = spec.getKeys ? args.map(argText) : (args as readonly string[]);
  return getKeyIndexes(spec, view);
}

/** Computes the route of a command from the table (see the module comment). */
export function routeOf(args: readonly Arg[]): Route {
  const spec = specOf(args);
  if (spec === undefined) return { slot: -1, crossSlot: false, readOnly: false, known: false };
  const view = spec.getKeys ? args.map(argText) : (args as readonly string[]);
  const idx = getKeyIndexes(spec, view);
  let slot = -1;
  let crossSlot = false;
  for (const i of idx) {
    const s = slotOf(args[i]!);
    if (slot === -1) slot = s;
    else if (s !== slot) crossSlot = true;
  }
  return { slot, crossSlot, readOnly: spec.flags.includes('readonly'), known: true };
}
