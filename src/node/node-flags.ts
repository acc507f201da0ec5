/**
 * Node/V8 flags every shardis-server process runs with. They must be given
 * on the `node` command line (V8 sizes its heap controller at startup, so
 * setting them later has no effect): `bin/shardis-server.js` carries them
 * in its shebang (test/node/node-flags.test.ts checks the two agree), and
 * everything that spawns `dist/src/node/main.js` itself (npm start, tests,
 * benchmarks) passes `SERVER_NODE_FLAGS` first.
 *
 * Why: memory is the scarce resource of a cache. A one-megabyte semi-space
 * and a 10% old-generation growth step keep V8's slack small: with 1M keys
 * `key:N` -> 10-byte value RSS went from 2.14x to 1.55x real Redis's
 * (bench/memory.ts), while SET/GET throughput stayed within noise of V8's
 * defaults (redis-benchmark -c 50, alternating runs). `--optimize-for-size`
 * gave the same memory but cost about a quarter of the throughput, so it is
 * not used.
 */
export const SERVER_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=1', '--heap-growing-percent=10'];
