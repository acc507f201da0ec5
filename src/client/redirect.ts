/**
 * The redirection policy: given the error a command got from a node, decide
 * what happens next. Pure: no I/O, no timers; the client carries the step out.
 *
 * - `MovedError` → `moved`: patch the slot, refresh the map in the
 *   background, resend at once to the new owner.
 * - `AskError` → `ask`: send `ASKING` + the command to the target once; the
 *   slot table is left alone (the migration is not finished).
 * - `TryAgainError` → `retry` after a bounded exponential backoff.
 * - `ClusterDownError` → `retry` after the backoff, with a refresh.
 * - `ConnectionError` → `reroute`: refresh, then route again by the (new)
 *   map after the backoff, so a dead primary's slots go to its successor.
 * - anything else (a real error reply, a timeout, a protocol error) → `fail`.
 *
 * Every redirection is one hop; the hop that would exceed `maxRedirections`
 * turns into `fail` with a `MaxRedirectionsError` listing all hops, whose
 * `cause` is the error of the last one.
 */
import {
  AskError,
  ClusterDownError,
  ConnectionError,
  MaxRedirectionsError,
  MovedError,
  TryAgainError,
  type Endpoint,
  type Hop,
} from './errors.js';

/** What to do with a command after an error; see the module comment. */
export type RedirectStep =
  | { readonly kind: 'moved'; readonly slot: number; readonly target: Endpoint }
  | { readonly kind: 'ask'; readonly slot: number; readonly target: Endpoint }
  | { readonly kind: 'retry'; readonly delay: number; readonly refresh: boolean }
  | { readonly kind: 'reroute'; readonly delay: number }
  | { readonly kind: 'fail'; readonly error: Error };

/** Limits of the policy. */
export interface RedirectPolicy {
  /** @default 16 */
  readonly maxRedirections: number;
  /** First retry delay in ms for TRYAGAIN/CLUSTERDOWN/connection errors. @default 10 */
  readonly retryBase: number;
  /** Largest retry delay in ms. @default 500 */
  readonly retryMax: number;
}

/** Delay before retry number `attempt` (0-based): base·2^attempt, capped at max. */
export function backoff(attempt: number, policy: RedirectPolicy): number {
  return Math.min(policy.retryMax, policy.retryBase * 2 ** Math.min(attempt, 20));
}

function hopKind(err: Error): Hop['kind'] | undefined {
  if (err instanceof MovedError) return 'moved';
  if (err instanceof AskError) return 'ask';
  if (err instanceof TryAgainError) return 'tryagain';
  if (err instanceof ClusterDownError) return 'clusterdown';
  if (err instanceof ConnectionError) return 'connection';
  return undefined;
}

/**
 * Decides the next step for a command named `command` that got `err` on
 * `node` (a `host:port`, or '' if it could not be routed) for `slot`.
 * `hops` is the command's hop list; a redirection appends to it.
 */
export function nextStep(err: Error, command: string, node: string, slot: number, hops: Hop[], policy: RedirectPolicy): RedirectStep {
  const kind = hopKind(err);
  if (kind === undefined) return { kind: 'fail', error: err };
  hops.push({ kind, node, slot });
  if (hops.length > policy.maxRedirections) {
    return { kind: 'fail', error: new MaxRedirectionsError(command, hops, { cause: err }) };
  }
  let retries = 0;
  for (const h of hops) if (h.kind !== 'moved' && h.kind !== 'ask') retries++;
  switch (kind) {
    case 'moved':
      return { kind: 'moved', slot: (err as MovedError).slot, target: (err as MovedError).target };
    case 'ask':
      return { kind: 'ask', slot: (err as AskError).slot, target: (err as AskError).target };
    case 'tryagain':
      return { kind: 'retry', delay: backoff(retries - 1, policy), refresh: false };
    case 'clusterdown':
      return { kind: 'retry', delay: backoff(retries - 1, policy), refresh: true };
    default:
      return { kind: 'reroute', delay: backoff(retries - 1, policy) };
  }
}
