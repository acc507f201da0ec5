/**
 * `shardis-server [config-file] [--<directive> <value> ...]`
 *
 * Loads redis.conf-style directives (file first, then command-line options,
 * which win), starts the node, prints one ready line naming the address, and
 * shuts down cleanly on SIGINT/SIGTERM. Bad configuration or a busy port
 * prints a clear message and exits with status 1.
 */
import { Config, ConfigError } from './config.js';
import { SHARDIS_VERSION } from './info.js';
import { Server } from './server.js';

async function main(argv: string[]): Promise<void> {
  const config = new Config();
  let rest = argv;
  if (rest[0] === '-h' || rest[0] === '--help') {
    process.stdout.write('Usage: shardis-server [config-file] [--<directive> <value> ...]\n' +
      'Example: shardis-server --port 7000 --cluster-enabled yes\n');
    return;
  }
  if (rest[0] === '-v' || rest[0] === '--version') {
    process.stdout.write(`Shardis server v=${SHARDIS_VERSION} (Redis 7.0 compatible)\n`);
    return;
  }
  try {
    if (rest.length > 0 && !rest[0]!.startsWith('--')) {
      const file = rest[0]!;
      rest = rest.slice(1);
      config.loadFile(file, rest);
    } else {
      config.load(undefined, rest);
    }
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`\n*** FATAL CONFIG FILE ERROR (Shardis ${SHARDIS_VERSION}) ***\n${err.message}\n`);
    } else {
      process.stderr.write(`Fatal error, can't open config file '${rest === argv ? '' : argv[0]}': ${(err as Error).message}\n`);
    }
    process.exit(1);
  }
  const server = new Server(config);
  // SHUTDOWN: the node has stopped; end the process as Redis does.
  server.onShutdown = () => {
    server.log('warning', 'Shardis is now ready to exit, bye bye...');
    process.exit(0);
  };
  // Handlers go in before the ready line: a signal sent as soon as it shows
  // must not find Node's default action (immediate death) still in place.
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    server.log('warning', `Received ${signal} scheduling shutdown...`);
    server.shutdown().then(
      () => {
        server.log('warning', 'Shardis is now ready to exit, bye bye...');
        process.exit(0);
      },
      (err: Error) => {
        server.log('warning', `Error during shutdown: ${err.message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  try {
    await server.start();
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(1);
  }
  const binds = (config.get('bind') as string[]).join(' ');
  server.log('notice', `Ready to accept connections tcp on ${binds} port ${server.port}`);
}

main(process.argv.slice(2)).catch((err: Error) => {
  process.stderr.write(`${err.stack ?? err.message}\n`);
  process.exit(1);
});
