#!/usr/bin/env node
// Thin launcher for the admin CLI, compiled by `npm run build`.
import '../dist/scripts/shardis.js';
