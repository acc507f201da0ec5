/**
 * An in-process node for command tests: a Server on a port the OS picks, on
 * 127.0.0.1, with logging silenced, and one RawClient connected to it.
 * `stop()` closes both.
 */
import type { Clock } from '../../src/node/clock.js';
import { Config } from '../../src/node/config.js';
import { Server } from '../../src/node/server.js';
import { RawClient } from './resp.js';

export interface InProcessNode {
  readonly server: Server;
  readonly client: RawClient;
  stop(): Promise<void>;
}

/** Starts a node with `args` (redis.conf directives as `--name value`) after the test defaults. */
export async function startInProcessNode(args: readonly string[] = [], clock?: Clock): Promise<InProcessNode> {
  const config = new Config();
  config.load(undefined, ['--port', '0', '--bind', '127.0.0.1', '--loglevel', 'warning', ...args]);
  const server = new Server(config, { clock, logSink: () => {} });
  await server.listen();
  const client = await RawClient.connect(server.port);
  return {
    server,
    client,
    stop: async () => {
      client.close();
      await server.close();
    },
  };
}
