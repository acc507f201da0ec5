/**
 * Connection commands against an in-process node (ManualClock): PING, ECHO,
 * QUIT, RESET, SELECT, AUTH, HELLO, MONITOR and the CLIENT family, including
 * CLIENT PAUSE ordering and CLIENT REPLY. Wire texts are pinned where Redis
 * 7.0's exact bytes matter to clients.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/node/clock.js';
import { Config } from '../../../src/node/config.js';
import { Server } from '../../../src/node/server.js';
import { RawClient } from '../../helpers/resp.js';

let server: Server;
let clock: ManualClock;
const open: RawClient[] = [];

beforeAll(async () => {
  const config = new Config();
  config.load(undefined, ['--port', '0', '--bind', '127.0.0.1', '--loglevel', 'warning']);
  clock = new ManualClock();
  server = new Server(config, { clock, logSink: () => {} });
  await server.listen();
});

afterAll(async () => {
  await server.close();
});

afterEach(async () => {
  for (const c of open.splice(0)) c.close();
  server.config.set('requirepass', '');
  const u = await connect();
  await u.text('CLIENT', 'UNPAUSE');
  u.close();
});

/** Moves the injected clock and runs a cron tick, which is how time reaches the server's cached clock. */
function tick(ms: number): void {
  clock.advance(ms);
  server.cron();
}

async function connect(): Promise<RawClient> {
  const c = await RawClient.connect(server.port);
  open.push(c);
  return c;
}

describe('PING and ECHO', () => {
  it('PING answers PONG, or its argument as a bulk string', async () => {
    const r = await connect();
    expect(await r.text('PING')).toBe('+PONG\r\n');
    expect(await r.text('PING', 'hi')).toBe('$2\r\nhi\r\n');
    expect(await r.text('PING', 'a', 'b')).toBe("-ERR wrong number of arguments for 'ping' command\r\n");
  });

  it('ECHO returns binary arguments unchanged', async () => {
    const r = await connect();
    expect(await r.text('ECHO', '\x00\xff')).toBe('$2\r\n\x00\xff\r\n');
  });
});

describe('SELECT', () => {
  it('SELECT switches databases and refuses out-of-range indexes', async () => {
    const r = await connect();
    await r.text('SET', 'k', 'zero');
    expect(await r.text('SELECT', '1')).toBe('+OK\r\n');
    expect(await r.text('GET', 'k')).toBe('$-1\r\n');
    expect(await r.text('SELECT', '16')).toBe('-ERR DB index is out of range\r\n');
    expect(await r.text('SELECT', 'x')).toBe('-ERR value is not an integer or out of range\r\n');
    await r.text('SELECT', '0');
    expect(await r.text('GET', 'k')).toBe('$4\r\nzero\r\n');
    await r.text('DEL', 'k');
  });
});

describe('AUTH', () => {
  it('AUTH without a configured password answers Redis 7.0 text', async () => {
    const r = await connect();
    expect(await r.text('AUTH', 'x')).toBe(
      '-ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?\r\n',
    );
    expect(await r.text('AUTH', 'default', 'anything')).toBe('+OK\r\n');
    expect(await r.text('AUTH', 'bob', 'x')).toBe('-WRONGPASS invalid username-password pair or user is disabled.\r\n');
  });

  it('AUTH with requirepass gates new connections only', async () => {
    const before = await connect();
    server.config.set('requirepass', 'secret');
    const r = await connect();
    expect(await before.text('PING')).toBe('+PONG\r\n');
    expect(await r.text('GET', 'k')).toBe('-NOAUTH Authentication required.\r\n');
    // EXEC keeps the code of its refusal inside the EXECABORT (Redis 7.0.15's bytes).
    expect(await r.text('EXEC')).toBe('-EXECABORT Transaction discarded because of: NOAUTH Authentication required.\r\n');
    expect(await r.text('AUTH', 'wrong')).toBe('-WRONGPASS invalid username-password pair or user is disabled.\r\n');
    expect(await r.text('AUTH', 'default', 'secret')).toBe('+OK\r\n');
    expect(await r.text('PING')).toBe('+PONG\r\n');
    const r2 = await connect();
    expect(await r2.text('AUTH', 'secret')).toBe('+OK\r\n');
  });
});

describe('HELLO', () => {
  it('HELLO 3 switches to RESP3 and answers the 7-field map', async () => {
    const r = await connect();
    const reply = await r.text('HELLO', '3');
    expect(reply).toMatch(
      /^%7\r\n\$6\r\nserver\r\n\$5\r\nredis\r\n\$7\r\nversion\r\n\$6\r\n7\.0\.15\r\n\$5\r\nproto\r\n:3\r\n\$2\r\nid\r\n:\d+\r\n\$4\r\nmode\r\n\$10\r\nstandalone\r\n\$4\r\nrole\r\n\$6\r\nmaster\r\n\$7\r\nmodules\r\n\*0\r\n$/,
    );
    expect(await r.text('GET', 'nokey')).toBe('_\r\n');
    expect(await r.text('HELLO', '2')).toMatch(/^\*14\r\n/);
    expect(await r.text('GET', 'nokey')).toBe('$-1\r\n');
  });

  it('HELLO rejects bad versions and options with Redis texts', async () => {
    const r = await connect();
    expect(await r.text('HELLO', '4')).toBe('-NOPROTO unsupported protocol version\r\n');
    expect(await r.text('HELLO', 'x')).toBe('-ERR Protocol version is not an integer or out of range\r\n');
    expect(await r.text('HELLO', '3', 'foo')).toBe("-ERR Syntax error in HELLO option 'foo'\r\n");
  });

  it('HELLO AUTH authenticates and SETNAME names the connection', async () => {
    server.config.set('requirepass', 'pw');
    const r = await connect();
    expect(await r.text('HELLO', '3')).toMatch(/^-NOAUTH HELLO must be called with the client already authenticated/);
    expect(await r.text('HELLO', '3', 'AUTH', 'default', 'nope')).toBe(
      '-WRONGPASS invalid username-password pair or user is disabled.\r\n',
    );
    expect(await r.text('HELLO', '3', 'AUTH', 'default', 'pw', 'SETNAME', 'app')).toMatch(/^%7\r\n/);
    expect(await r.text('CLIENT', 'GETNAME')).toBe('$3\r\napp\r\n');
  });
});

describe('QUIT and RESET', () => {
  it('QUIT answers OK then closes the connection', async () => {
    const r = await connect();
    expect(await r.text('QUIT')).toBe('+OK\r\n');
    await r.waitClosed();
    expect(r.closed).toBe(true);
  });

  it('RESET restores the database, protocol, name and transaction state', async () => {
    const r = await connect();
    await r.text('HELLO', '3');
    await r.text('SELECT', '2');
    await r.text('CLIENT', 'SETNAME', 'x');
    expect(await r.text('RESET')).toBe('+RESET\r\n');
    expect(await r.text('CLIENT', 'GETNAME')).toBe('$-1\r\n');
    const info = await r.text('CLIENT', 'INFO');
    expect(info).toContain(' db=0 ');
    expect(info).toContain(' resp=2');
  });
});

describe('CLIENT', () => {
  it('CLIENT SETNAME refuses spaces and GETNAME returns the name', async () => {
    const r = await connect();
    expect(await r.text('CLIENT', 'GETNAME')).toBe('$-1\r\n');
    expect(await r.text('CLIENT', 'SETNAME', 'a b')).toBe(
      '-ERR Client names cannot contain spaces, newlines or special characters.\r\n',
    );
    expect(await r.text('CLIENT', 'SETNAME', 'worker-1')).toBe('+OK\r\n');
    expect(await r.text('CLIENT', 'GETNAME')).toBe('$8\r\nworker-1\r\n');
  });

  it('CLIENT LIST shows Redis 7.0 fields in order, one line per client', async () => {
    const r = await connect();
    await connect();
    const id = Number((await r.text('CLIENT', 'ID')).slice(1));
    const text = await r.text('CLIENT', 'LIST');
    const body = text.slice(text.indexOf('\r\n') + 2, -2);
    const lines = body.split('\n').filter((l) => l !== '');
    expect(lines.length).toBe(server.clients.size);
    const mine = lines.find((l) => l.startsWith(`id=${id} `))!;
    const fields = mine.split(' ').map((f) => f.slice(0, f.indexOf('=')));
    expect(fields).toEqual([
      'id', 'addr', 'laddr', 'fd', 'name', 'age', 'idle', 'flags', 'db', 'sub', 'psub', 'ssub', 'multi', 'qbuf',
      'qbuf-free', 'argv-mem', 'multi-mem', 'rbs', 'rbp', 'obl', 'oll', 'omem', 'tot-mem', 'events', 'cmd', 'user',
      'redir', 'resp',
    ]);
    expect(mine).toContain(' cmd=client|list ');
    expect(await r.text('CLIENT', 'LIST', 'ID', String(id))).toContain(`id=${id} `);
    expect(await r.text('CLIENT', 'LIST', 'TYPE', 'foo')).toBe("-ERR Unknown client type 'foo'\r\n");
  });

  it('CLIENT INFO reports age and idle from the injected clock, a read counting as interaction as in Redis', async () => {
    const r = await connect();
    const other = await connect();
    const id = await r.text('CLIENT', 'ID');
    // Reads are stamped with the server's cached clock, which a cron tick (or a command's end) refreshes.
    tick(5000);
    // Redis stamps a client when it reads from it: its own CLIENT INFO shows idle=0 (checked against Redis 7.0).
    expect(await r.text('CLIENT', 'INFO')).toContain(' age=5 idle=0 ');
    tick(3000);
    expect(await other.text('CLIENT', 'LIST', 'ID', id.slice(1, -2))).toContain(' age=8 idle=3 ');
  });

  it('timeout closes clients idle longer than it by the injected clock, sparing blocked and recently active ones', async () => {
    const idle = await connect();
    const active = await connect();
    const blocked = await connect();
    for (const c of [idle, active, blocked]) expect(await c.text('PING')).toBe('+PONG\r\n');
    const pending = blocked.send(Buffer.from('*3\r\n$5\r\nBLPOP\r\n$14\r\ntimeout-nolist\r\n$1\r\n0\r\n', 'latin1'));
    while (!(await active.text('INFO', 'clients')).includes('blocked_clients:1')) await new Promise((r) => setTimeout(r, 5));
    server.config.set('timeout', '2');
    try {
      tick(1500);
      expect(await active.text('PING')).toBe('+PONG\r\n');
      clock.advance(1000);
      // idle: 2.5 s since its last read; active: 1 s; blocked: waiting in BLPOP.
      server.cron();
      await idle.waitClosed();
      expect(idle.closed).toBe(true);
      expect(await active.text('PING')).toBe('+PONG\r\n');
      expect(await active.text('LPUSH', 'timeout-nolist', 'x')).toBe(':1\r\n');
      expect((await pending).toString('latin1')).toBe('*2\r\n$14\r\ntimeout-nolist\r\n$1\r\nx\r\n');
    } finally {
      server.config.set('timeout', '0');
    }
  });

  it('CLIENT KILL closes by address, by ID, and skips the caller by default', async () => {
    const a = await connect();
    const b = await connect();
    const bId = (await b.text('CLIENT', 'ID')).slice(1, -2);
    const bInfo = await b.text('CLIENT', 'INFO');
    const bAddr = /addr=(\S+)/.exec(bInfo)![1]!;
    expect(await a.text('CLIENT', 'KILL', bAddr)).toBe('+OK\r\n');
    await b.waitClosed();
    expect(await a.text('CLIENT', 'KILL', bAddr)).toBe('-ERR No such client\r\n');
    expect(await a.text('CLIENT', 'KILL', 'ID', bId)).toBe(':0\r\n');
    const aId = (await a.text('CLIENT', 'ID')).slice(1, -2);
    expect(await a.text('CLIENT', 'KILL', 'ID', aId)).toBe(':0\r\n');
    const c = await connect();
    const cId = (await c.text('CLIENT', 'ID')).slice(1, -2);
    expect(await a.text('CLIENT', 'KILL', 'ID', cId, 'SKIPME', 'no')).toBe(':1\r\n');
    await c.waitClosed();
    expect(await a.text('CLIENT', 'KILL', 'ID', '0')).toBe('-ERR client-id should be greater than 0\r\n');
    expect(await a.text('CLIENT', 'KILL', 'USER', 'bob')).toBe("-ERR No such user 'bob'\r\n");
    expect(await a.text('CLIENT', 'KILL', 'ID', aId, 'SKIPME', 'no')).toBe(':1\r\n');
    await a.waitClosed();
  });

  it('CLIENT REPLY OFF silences replies until ON, SKIP drops exactly the next one', async () => {
    const r = await connect();
    r.write('*3\r\n$6\r\nCLIENT\r\n$5\r\nREPLY\r\n$3\r\nOFF\r\n*2\r\n$4\r\nECHO\r\n$1\r\na\r\n');
    expect(await r.text('CLIENT', 'REPLY', 'ON')).toBe('+OK\r\n');
    r.write('*3\r\n$6\r\nCLIENT\r\n$5\r\nREPLY\r\n$4\r\nSKIP\r\n*2\r\n$4\r\nECHO\r\n$1\r\nb\r\n');
    expect(await r.text('ECHO', 'c')).toBe('$1\r\nc\r\n');
  });

  it('CLIENT SETINFO stores LIB-NAME and LIB-VER and rejects other attributes', async () => {
    const r = await connect();
    expect(await r.text('CLIENT', 'SETINFO', 'LIB-NAME', 'node-redis')).toBe('+OK\r\n');
    expect(await r.text('CLIENT', 'SETINFO', 'lib-ver', '4.6.0')).toBe('+OK\r\n');
    expect(await r.text('CLIENT', 'SETINFO', 'color', 'red')).toBe("-ERR Unrecognized option 'color'\r\n");
    const id = Number((await r.text('CLIENT', 'ID')).slice(1, -2));
    const c = server.clients.get(id)!;
    expect([c.libName, c.libVer]).toEqual(['node-redis', '4.6.0']);
  });

  it('CLIENT PAUSE WRITE holds writes, lets reads through, and resumes in arrival order', async () => {
    const admin = await connect();
    const w1 = await connect();
    const w2 = await connect();
    const reader = await connect();
    await admin.text('DEL', 'order');
    expect(await admin.text('CLIENT', 'PAUSE', '100000', 'WRITE')).toBe('+OK\r\n');
    const first = w1.text('SET', 'order', 'first');
    await new Promise((r) => setTimeout(r, 20));
    const second = w2.text('SET', 'order', 'second');
    await new Promise((r) => setTimeout(r, 20));
    expect(await reader.text('GET', 'order')).toBe('$-1\r\n');
    expect(server.clientPause?.queue.length).toBe(2);
    expect(await admin.text('CLIENT', 'UNPAUSE')).toBe('+OK\r\n');
    expect(await first).toBe('+OK\r\n');
    expect(await second).toBe('+OK\r\n');
    expect(await reader.text('GET', 'order')).toBe('$6\r\nsecond\r\n');
  });

  it('CLIENT PAUSE ALL ends by itself after its timeout', async () => {
    const admin = await connect();
    const r = await connect();
    expect(await admin.text('CLIENT', 'PAUSE', '50')).toBe('+OK\r\n');
    const started = Date.now();
    expect(await r.text('PING')).toBe('+PONG\r\n');
    expect(Date.now() - started).toBeGreaterThanOrEqual(30);
    expect(await admin.text('CLIENT', 'PAUSE', '10', 'SOME')).toBe('-ERR CLIENT PAUSE mode must be WRITE or ALL\r\n');
  });

  it('CLIENT UNBLOCK wakes a client blocked by a command and not a paused one', async () => {
    const r = await connect();
    const id = Number((await r.text('CLIENT', 'ID')).slice(1, -2));
    const c = server.clients.get(id)!;
    const woken: string[] = [];
    c.blocked = { reason: 'test', cancel: () => {}, wake: (how) => woken.push(how) };
    expect(await (await connect()).text('CLIENT', 'UNBLOCK', String(id), 'ERROR')).toBe(':1\r\n');
    expect(woken).toEqual(['error']);
    c.blocked = undefined;
    expect(await r.text('CLIENT', 'UNBLOCK', String(id))).toBe(':0\r\n');
    expect(await r.text('CLIENT', 'UNBLOCK', String(id), 'LATER')).toBe(
      '-ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR\r\n',
    );
  });

  it('CLIENT NO-EVICT accepts on and off only', async () => {
    const r = await connect();
    expect(await r.text('CLIENT', 'NO-EVICT', 'on')).toBe('+OK\r\n');
    expect(await r.text('CLIENT', 'INFO')).toContain(' flags=e ');
    expect(await r.text('CLIENT', 'NO-EVICT', 'maybe')).toBe('-ERR syntax error\r\n');
  });

  it('CLIENT HELP lists the subcommands as status lines', async () => {
    const r = await connect();
    const help = await r.text('CLIENT', 'HELP');
    expect(help).toMatch(/^\*\d+\r\n\+CLIENT <subcommand> \[<arg> \[value\] \[opt\] \.\.\.\]\. Subcommands are:\r\n/);
    expect(await r.text('CLIENT', 'NOPE')).toBe("-ERR unknown subcommand 'NOPE'. Try CLIENT HELP.\r\n");
  });
});

describe('MONITOR', () => {
  it('MONITOR streams other clients\' commands in Redis format', async () => {
    const m = await connect();
    expect(await m.text('MONITOR')).toBe('+OK\r\n');
    const r = await connect();
    await r.text('SET', 'mk', 'a"b');
    const line = (await m.next()).toString('latin1');
    expect(line).toMatch(/^\+\d+\.\d{6} \[0 127\.0\.0\.1:\d+\] "SET" "mk" "a\\"b"\r\n$/);
    await r.text('DEL', 'mk');
  });
});

describe('client libraries', () => {
  it('HELLO lets node-redis 6 connect in RESP2 and RESP3 with a client name', async () => {
    const { createClient } = await import('redis');
    for (const RESP of [2, 3] as const) {
      const client = createClient({ socket: { host: '127.0.0.1', port: server.port }, RESP, name: `nr${RESP}` });
      const errors: string[] = [];
      client.on('error', (e: Error) => errors.push(e.message));
      await client.connect();
      expect(await client.set('lib:k', 'v')).toBe('OK');
      expect(await client.get('lib:k')).toBe('v');
      expect(await client.sendCommand(['CLIENT', 'GETNAME'])).toBe(`nr${RESP}`);
      client.destroy();
      expect(errors).toEqual([]);
    }
  });

  it('HELLO lets ioredis connect and run commands', async () => {
    const { default: Redis } = await import('ioredis');
    const io = new Redis({ host: '127.0.0.1', port: server.port, lazyConnect: true, connectionName: 'io' });
    await io.connect();
    expect(await io.set('lib:io', '1')).toBe('OK');
    expect(await io.get('lib:io')).toBe('1');
    expect(await io.call('CLIENT', 'GETNAME')).toBe('io');
    io.disconnect();
  });
});
