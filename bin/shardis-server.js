#!/usr/bin/env node
// Thin launcher: the server is compiled by `npm run build` (run by `npm install`).
//
// Memory: `--optimize-for-size` makes V8 grow the old generation in smaller
// steps and keep less slack: RSS with 1M keys `key:N` -> 10-byte value went
// from 2.14x to 1.62x real Redis's (bench/memory.ts). It is set before the
// server's modules load, so every heap decision after startup follows it.
// SHARDIS_V8_FLAGS replaces the default ('' keeps V8's defaults).
import { setFlagsFromString } from 'node:v8';

setFlagsFromString(process.env.SHARDIS_V8_FLAGS ?? '--optimize-for-size');
await import('../dist/src/node/main.js');
