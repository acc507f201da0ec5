/**
 * An in-process node for command tests: a Server on a port the OS picks, on
 * 127.0.0.1, with logging silenced (or sent to `logSink`), started as
 * shardis-server starts it (so `--cluster-enabled yes` brings up the cluster
 * subsystem; give it a free `--cluster-port`, as the OS-picked port plus
 * 10000 may pass 65535), and one RawClient
 * connected to it. `stop()` closes both and, in cluster mode, the bus.
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
export async function startInProcessNode(args: readonly string[] = [], clock?: Clock, logSink: (line: string) => void = () => {}): Promise<InProcessNode> {
  const config = new Config();
  config.load(undefined, ['--port', '0', '--bind', '127.0.0.1', '--loglevel', 'warning', ...args]);
  const server = new Server(config, { clock, logSink });
  await server.start();
  const client = await RawClient.connect(server.port);
  return {
    server,
    client,
    stop: async () => {
      client.close();
      await server.shutdown();
    },
  };
}
