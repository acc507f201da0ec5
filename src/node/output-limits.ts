/**
 * Client output buffer limits (redis.conf `client-output-buffer-limit`).
 *
 * A client that does not read what the node sends it makes its output pile
 * up in the node's memory: a pub/sub subscriber that stopped reading while
 * publishers go on, or a pipeline of big replies nobody reads. As Redis does,
 * each class of client gets a hard limit, which closes the client as soon as
 * its pending output reaches it, and a soft limit, which closes it once its
 * pending output has stayed at or above that size for more than the given
 * seconds (any check that finds it below starts the clock again). A limit of
 * 0 is off. The defaults are Redis's: normal clients unlimited (request-reply
 * clients cannot outrun themselves, and the node stops reading a client whose
 * queued output passes 64 MiB, client.ts), pub/sub clients 32mb hard and
 * 8mb for 60 s.
 *
 * Pending output is what the client has been sent and the kernel has not
 * taken yet: the text not yet flushed plus libuv's write queue (Redis counts
 * its reply list, the same thing). It is checked where it grows, as Redis
 * checks on every append: when a push is queued for a subscriber or a
 * MONITOR (`Client.writeRaw`) and when a flush leaves bytes queued. A client
 * over its soft limit is also checked on every cron tick, so that the soft
 * limit fires for a client that is sent nothing more.
 *
 * Classes: a client holding any subscription is `pubsub`; every other one,
 * MONITOR clients included, is `normal` (Redis 7.0's getClientType). The
 * `slave` class is parsed, stored and shown, and selects no client until
 * replication exists.
 */
import type { Client } from './client.js';
import { obufLimits, type ObufLimit } from './config.js';
import { clientInfoLine } from './commands/connection.js';
import { isSubscribed } from './commands/pubsub.js';

const NORMAL = 0;
const PUBSUB = 2;

/** The limits that apply to `c` now. */
function limitOf(c: Client): ObufLimit {
  return obufLimits(c.server.outputLimits.value)[isSubscribed(c) ? PUBSUB : NORMAL]!;
}

/**
 * True if `c`'s pending output breaks its class's limits (Redis's
 * checkClientOutputBufferLimits). Keeps the soft-limit clock: the first
 * check at or above the soft limit starts it (and does not fire), a check
 * below stops it; `c` is listed in `server.overSoftLimit` while it runs.
 */
export function outputLimitReached(c: Client): boolean {
  const limit = limitOf(c);
  const used = c.outputBytes;
  const hard = limit.hard > 0 && used >= limit.hard;
  let soft = limit.soft > 0 && used >= limit.soft;
  const server = c.server;
  if (soft) {
    const now = Math.floor(server.clock.now() / 1000);
    if (c.obufSoftLimitSince === 0) {
      c.obufSoftLimitSince = now;
      server.overSoftLimit.add(c);
      soft = false;
    } else if (now - c.obufSoftLimitSince <= limit.seconds) {
      soft = false;
    }
  } else if (c.obufSoftLimitSince !== 0) {
    c.obufSoftLimitSince = 0;
    server.overSoftLimit.delete(c);
  }
  return hard || soft;
}

/**
 * Closes `c`, dropping its pending output, if it breaks its limits; logs
 * Redis's line for it (`scheduled to be closed ASAP` when found while output
 * was being added, `closed` when found by the cron). Returns true if closed.
 */
export function closeOnOutputLimit(c: Client, fromCron: boolean): boolean {
  if (c.closed || !outputLimitReached(c)) return false;
  const info = clientInfoLine(c);
  c.close();
  c.server.log(
    'warning',
    fromCron
      ? `Client ${info} closed for overcoming of output buffer limits.`
      : `Client ${info} scheduled to be closed ASAP for overcoming of output buffer limits.`,
  );
  return true;
}
