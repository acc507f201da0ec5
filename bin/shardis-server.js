#!/usr/bin/env -S node --max-semi-space-size=1 --heap-growing-percent=10
// Thin launcher: the server is compiled by `npm run build` (run by `npm install`).
// The shebang's flags are SERVER_NODE_FLAGS (src/node/node-flags.ts): V8 heap
// settings that must be given at startup. Run as `node bin/shardis-server.js`
// they are missing; use `npx shardis-server` or pass them yourself.
await import('../dist/src/node/main.js');
