import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SERVER_NODE_FLAGS } from '../../src/node/node-flags.js';
import { ROOT } from '../helpers/servers.js';

describe('SERVER_NODE_FLAGS', () => {
  it('bin/shardis-server.js passes exactly SERVER_NODE_FLAGS to node in its shebang', () => {
    const shebang = readFileSync(join(ROOT, 'bin', 'shardis-server.js'), 'utf8').split('\n')[0]!;
    expect(shebang.startsWith('#!/usr/bin/env -S node ')).toBe(true);
    expect(shebang.slice('#!/usr/bin/env -S node '.length).split(' ')).toEqual([...SERVER_NODE_FLAGS]);
  });
});
