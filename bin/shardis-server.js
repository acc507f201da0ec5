#!/usr/bin/env node
// Thin launcher: the server is compiled by `npm run build` (run by `npm install`).
// Its V8 heap settings are applied by dist/src/node/v8-flags.js, first thing.
await import('../dist/src/node/main.js');
