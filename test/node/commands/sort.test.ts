/**
 * SORT and SORT_RO against an in-process node, and in cluster mode where BY
 * and GET patterns are refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/node/clock.js';
import { Config } from '../../../src/node/config.js';
import { Server } from '../../../src/node/server.js';
import { getKeys, lookupCommand } from '../../../src/router/command-table.js';
import { RawClient } from '../../helpers/resp.js';

const servers: Server[] = [];
const open: RawClient[] = [];

async function startNode(extra: string[] = []): Promise<Server> {
  const config = new Config();
  config.load(undefined, ['--port', '0', '--bind', '127.0.0.1', '--loglevel', 'warning', ...extra]);
  const s = new Server(config, { clock: new ManualClock(), logSink: () => {} });
  await s.listen();
  servers.push(s);
  return s;
}

let node: Server;

beforeAll(async () => {
  node = await startNode();
});

afterAll(async () => {
  for (const c of open.splice(0)) c.close();
  for (const s of servers) await s.close();
});

async function connect(s: Server = node): Promise<RawClient> {
  const c = await RawClient.connect(s.port);
  open.push(c);
  await c.text('FLUSHALL');
  return c;
}

describe('SORT', () => {
  it('SORT orders a list numerically, DESC, with LIMIT', async () => {
    const r = await connect();
    await r.text('RPUSH', 'l', '3', '10', '1', '2');
    expect(await r.text('SORT', 'l')).toBe('*4\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n$2\r\n10\r\n');
    expect(await r.text('SORT', 'l', 'DESC', 'LIMIT', '1', '2')).toBe('*2\r\n$1\r\n3\r\n$1\r\n2\r\n');
    expect(await r.text('SORT', 'l', 'ALPHA')).toBe('*4\r\n$1\r\n1\r\n$2\r\n10\r\n$1\r\n2\r\n$1\r\n3\r\n');
  });

  it('SORT fails on elements that are not numbers unless ALPHA', async () => {
    const r = await connect();
    await r.text('SADD', 's', 'a', '1');
    expect(await r.text('SORT', 's')).toBe("-ERR One or more scores can't be converted into double\r\n");
    expect(await r.text('SORT', 's', 'ALPHA')).toBe('*2\r\n$1\r\n1\r\n$1\r\na\r\n');
  });

  it('SORT BY and GET read string keys, hash fields and # for the element', async () => {
    const r = await connect();
    await r.text('ZADD', 'z', '1', 'x', '2', 'y');
    await r.text('MSET', 'w_x', '20', 'w_y', '10');
    await r.text('HSET', 'h_x', 'f', 'hx');
    expect(await r.text('SORT', 'z', 'BY', 'w_*', 'GET', '#', 'GET', 'h_*->f')).toBe('*4\r\n$1\r\ny\r\n$-1\r\n$1\r\nx\r\n$2\r\nhx\r\n');
    expect(await r.text('SORT', 'z', 'BY', 'nosort', 'DESC')).toBe('*2\r\n$1\r\ny\r\n$1\r\nx\r\n');
  });

  it('SORT STORE writes a list and replies its length; SORT_RO has no STORE', async () => {
    const r = await connect();
    await r.text('RPUSH', 'l', '2', '1');
    expect(await r.text('SORT', 'l', 'STORE', 'dst')).toBe(':2\r\n');
    expect(await r.text('LRANGE', 'dst', '0', '-1')).toBe('*2\r\n$1\r\n1\r\n$1\r\n2\r\n');
    expect(await r.text('SORT_RO', 'l', 'STORE', 'dst')).toBe('-ERR syntax error\r\n');
    expect(await r.text('SORT', 'nokey', 'STORE', 'dst')).toBe(':0\r\n');
    expect(await r.text('EXISTS', 'dst')).toBe(':0\r\n');
  });

  it('SORT fails against a key holding a string', async () => {
    const r = await connect();
    await r.text('SET', 'str', 'x');
    expect(await r.text('SORT', 'str')).toMatch(/^-WRONGTYPE/);
  });

  it('SORT reports the STORE destination among its keys', () => {
    const spec = lookupCommand('sort')!;
    expect(getKeys(spec, ['SORT', 'l', 'LIMIT', '0', '1', 'STORE', 'dst'])).toEqual(['l', 'dst']);
    expect(getKeys(spec, ['SORT', 'l', 'GET', 'store', 'ALPHA'])).toEqual(['l']);
    expect(getKeys(spec, ['SORT', 'l'])).toEqual(['l']);
  });

  it('SORT refuses BY and GET patterns in cluster mode', async () => {
    const clustered = await startNode(['--cluster-enabled', 'yes', '--cluster-config-file', `nodes-sort-test-${process.pid}.conf`, '--dir', '/tmp']);
    const r = await RawClient.connect(clustered.port);
    open.push(r);
    // Checked while parsing options, before the key is looked up or routed.
    const by = await r.text('SORT', 'l', 'BY', 'w_*');
    const get = await r.text('SORT', 'l', 'GET', '#');
    expect([by, get]).toEqual(['-ERR BY option of SORT denied in Cluster mode.\r\n', '-ERR GET option of SORT denied in Cluster mode.\r\n']);
  });
});
