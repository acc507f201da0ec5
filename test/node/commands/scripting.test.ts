/**
 * Scripting commands: Shardis runs no scripts, so EVAL/FCALL and friends
 * answer a clean error, while the requests that are true without an engine
 * (SCRIPT/FUNCTION FLUSH, SCRIPT EXISTS, FUNCTION LIST) succeed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Server } from '../../../src/node/server.js';
import { startInProcessNode, type InProcessNode } from '../../helpers/in-process.js';
import type { RawClient } from '../../helpers/resp.js';

let node: InProcessNode;
let server: Server;
let r: RawClient;

beforeAll(async () => {
  node = await startInProcessNode();
  ({ server, client: r } = node);
});

afterAll(() => node.stop());

describe('scripting', () => {
  it('EVAL and EVALSHA answer a clean not-supported error', async () => {
    expect(await r.text('EVAL', 'return 1', '0')).toBe('-ERR Lua scripting is not supported by Shardis\r\n');
    expect(await r.text('EVALSHA', 'abc', '0')).toBe('-ERR Lua scripting is not supported by Shardis\r\n');
    expect(await r.text('SCRIPT', 'LOAD', 'return 1')).toBe('-ERR Lua scripting is not supported by Shardis\r\n');
  });

  it('FCALL and FUNCTION LOAD answer a clean not-supported error', async () => {
    expect(await r.text('FCALL', 'f', '0')).toBe('-ERR FUNCTION is not supported by Shardis\r\n');
    expect(await r.text('FUNCTION', 'LOAD', 'x')).toBe('-ERR FUNCTION is not supported by Shardis\r\n');
  });

  it('SCRIPT FLUSH and FUNCTION FLUSH succeed and check their mode as Redis', async () => {
    expect(await r.text('SCRIPT', 'FLUSH')).toBe('+OK\r\n');
    expect(await r.text('SCRIPT', 'FLUSH', 'ASYNC')).toBe('+OK\r\n');
    expect(await r.text('SCRIPT', 'FLUSH', 'now')).toBe('-ERR SCRIPT FLUSH only support SYNC|ASYNC option\r\n');
    expect(await r.text('FUNCTION', 'FLUSH', 'sync')).toBe('+OK\r\n');
    expect(await r.text('FUNCTION', 'FLUSH', 'now')).toBe('-ERR FUNCTION FLUSH only supports SYNC|ASYNC option\r\n');
  });

  it('SCRIPT EXISTS reports no cached script and FUNCTION LIST no library', async () => {
    expect(await r.text('SCRIPT', 'EXISTS', 'a', 'b')).toBe('*2\r\n:0\r\n:0\r\n');
    expect(await r.text('FUNCTION', 'LIST')).toBe('*0\r\n');
  });
});
