/**
 * The dispatcher's command lookup against an in-process node: a client's
 * last command is remembered (dispatch.ts), so these check that switching
 * commands, spellings, subcommands and unknown names on one connection
 * always finds the right entry.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInProcessNode, type InProcessNode } from '../helpers/in-process.js';
import type { RawClient } from '../helpers/resp.js';

let node: InProcessNode;
let r: RawClient;

beforeAll(async () => {
  node = await startInProcessNode();
  r = node.client;
});

afterAll(() => node.stop());

describe('processCommand command lookup', () => {
  it('processCommand finds each command when one connection switches commands, case, subcommands and unknown names', async () => {
    expect(await r.text('SET', 'k', 'v')).toBe('+OK\r\n');
    expect(await r.text('GET', 'k')).toBe('$1\r\nv\r\n');
    expect(await r.text('GET', 'k')).toBe('$1\r\nv\r\n');
    expect(await r.text('get', 'k')).toBe('$1\r\nv\r\n');
    expect(await r.text('GET', 'k', 'extra')).toBe("-ERR wrong number of arguments for 'get' command\r\n");
    expect(await r.text('GEX', 'k')).toBe("-ERR unknown command 'GEX', with args beginning with: 'k' \r\n");
    expect(await r.text('GEX', 'k')).toBe("-ERR unknown command 'GEX', with args beginning with: 'k' \r\n");
    expect(await r.text('GET', 'k')).toBe('$1\r\nv\r\n');
    expect(await r.text('CONFIG', 'GET', 'maxclients')).toBe('*2\r\n$10\r\nmaxclients\r\n$5\r\n10000\r\n');
    expect(await r.text('CONFIG', 'NOPE')).toMatch(/^-ERR unknown subcommand 'NOPE'/);
    expect(await r.text('CONFIG', 'GET', 'maxclients')).toBe('*2\r\n$10\r\nmaxclients\r\n$5\r\n10000\r\n');
    expect(await r.text('', 'k')).toBe("-ERR unknown command '', with args beginning with: 'k' \r\n");
    expect(await r.text('STRLEN', 'k')).toBe(':1\r\n');
  });
});
