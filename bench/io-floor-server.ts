/**
 * The I/O floor (bench/io-floor.ts): a Node.js server that does nothing but
 * what every Node.js server on this runtime must do per request. It accepts
 * connections on Shardis's own fast I/O path (src/node/connection-io.ts:
 * shared read buffer, our read hook, writes straight to the libuv handle),
 * finds where each RESP request ends, and answers every request with
 * `+OK\r\n`. No command table, no keyspace, no reply encoding.
 *
 * What it is for: its CPU per request is the least a Node.js process pays
 * per request-reply on this machine, so the gap between it and Redis is
 * the runtime's, and the gap between it and Shardis is ours.
 *
 *   node dist/bench/io-floor-server.js <port>
 *
 * Listens on 127.0.0.1 only; prints a Redis-style ready line; exits on
 * SIGTERM or SIGINT.
 */
import { createServer } from 'node:net';
import { fastIOAvailable, openConnection, type Connection } from '../src/node/connection-io.js';

/**
 * Counts the RESP requests that end in `chunk`, carrying partial state
 * across reads: a request is `*<n>\r\n` followed by 2n lines (each bulk's
 * `$<len>` line and its payload, which the benchmark's keys and values never
 * split with a newline). Inline commands (no `*`) are one line each.
 */
class RequestCounter {
  /** Lines still to come in the current request; 0 between requests. */
  #linesLeft = 0;
  /** Header digits so far (-1: not in a multibulk header line). */
  #header = -1;
  /** In an inline command's line. */
  #inline = false;

  count(chunk: Buffer): number {
    let done = 0;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i]!;
      if (this.#header >= 0) {
        if (b >= 48 && b <= 57) this.#header = this.#header * 10 + (b - 48);
        else if (b === 10) {
          this.#linesLeft = 2 * this.#header;
          this.#header = -1;
          if (this.#linesLeft === 0) done++;
        }
      } else if (this.#inline) {
        if (b === 10) {
          this.#inline = false;
          done++;
        }
      } else if (this.#linesLeft > 0) {
        if (b === 10 && --this.#linesLeft === 0) done++;
      } else if (b === 42) {
        this.#header = 0;
      } else if (b !== 13 && b !== 10) {
        this.#inline = true;
      }
    }
    return done;
  }
}

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  console.error('usage: io-floor-server <port>');
  process.exit(2);
}

const srv = createServer({ noDelay: true, pauseOnConnect: fastIOAvailable() }, (socket) => {
  const counter = new RequestCounter();
  let conn: Connection | undefined;
  conn = openConnection(socket, srv, {
    data(chunk) {
      const n = counter.count(chunk);
      if (n !== 0) conn!.write(n === 1 ? '+OK\r\n' : '+OK\r\n'.repeat(n));
    },
    drain() {},
    close() {},
  });
});
srv.on('error', (err) => {
  console.error(`Cannot listen on 127.0.0.1:${port}: ${err.message}`);
  process.exit(1);
});
srv.listen(port, '127.0.0.1', () => console.log(`Ready to accept connections tcp on 127.0.0.1 port ${port}`));
const stop = (): void => {
  srv.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
