/**
 * V8 heap settings for the server process, applied before any other module
 * of the server loads (main.ts imports this first), so every way of starting
 * the server (`npx shardis-server`, `node dist/src/node/main.js`, tests,
 * benchmarks) runs with the same heap policy.
 *
 * Memory is the scarce resource of a cache: `--optimize-for-size` makes V8
 * grow the old generation in smaller steps and keep less slack. With 1M keys
 * `key:N` -> 10-byte value the RSS went from 2.14x to about 1.55x real
 * Redis's (bench/memory.ts); the price is more full collections while the
 * heap grows (bulk loads are slower), steady-state command throughput is
 * unchanged (bench/run.ts). `SHARDIS_V8_FLAGS` replaces the default
 * (`SHARDIS_V8_FLAGS=` keeps V8's own defaults).
 */
import { setFlagsFromString } from 'node:v8';

setFlagsFromString(process.env.SHARDIS_V8_FLAGS ?? '--optimize-for-size');
