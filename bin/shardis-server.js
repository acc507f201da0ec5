#!/usr/bin/env node
// Thin launcher: the server is compiled by `npm run build` (run by `npm install`).
import '../dist/src/node/main.js';
