/**
 * Config: redis.conf parsing as Redis does it (quoting, multi-argument
 * directives, accumulating `save` lines, aliases, memory units), startup
 * error texts, CONFIG SET's all-or-nothing semantics and error texts,
 * CONFIG GET matching and CONFIG REWRITE.
 */
import { describe, expect, it } from 'vitest';
import { Config, ConfigError, parseMemory } from '../../src/node/config.js';
import { matchGlob } from '../../src/node/glob.js';

function loaded(text: string, argv: string[] = []): Config {
  const c = new Config();
  c.load(text, argv);
  return c;
}

function loadError(text: string, argv: string[] = []): string {
  try {
    loaded(text, argv);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('parseMemory()', () => {
  it('parseMemory() reads Redis units: k/m/g are powers of 1000, kb/mb/gb of 1024, any case', () => {
    expect(parseMemory('100')).toBe(100);
    expect(parseMemory('1k')).toBe(1000);
    expect(parseMemory('1kb')).toBe(1024);
    expect(parseMemory('5MB')).toBe(5 * 1024 * 1024);
    expect(parseMemory('2g')).toBe(2_000_000_000);
    expect(parseMemory('1x')).toBeUndefined();
    expect(parseMemory('')).toBeUndefined();
  });
});

describe('Config.load()', () => {
  it('load() applies directives case-insensitively, with comments and blank lines ignored', () => {
    const c = loaded('# comment\n\nPORT 7001\n  maxmemory 1mb  \nappendonly YES\n');
    expect(c.getNumber('port')).toBe(7001);
    expect(c.getNumber('maxmemory')).toBe(1024 * 1024);
    expect(c.getBool('appendonly')).toBe(true);
  });

  it('load() splits lines as sdssplitargs: double quotes with escapes and single quotes', () => {
    expect(loaded('requirepass "a b\\x41\\n"').getString('requirepass')).toBe('a bA\n');
    expect(loaded("requirepass 'it\\'s'").getString('requirepass')).toBe("it's");
    expect(loaded('requirepass "say \\"hi\\""').getString('requirepass')).toBe('say "hi"');
  });

  it('load() accumulates save lines and save "" clears them', () => {
    expect(loaded('save 900 1\nsave 300 10\n').getString('save')).toBe('900 1 300 10');
    expect(loaded('save 900 1\nsave ""\n').getString('save')).toBe('');
    expect(loaded('save 900 1 300 10\n').getString('save')).toBe('900 1 300 10');
  });

  it('load() takes several addresses for bind', () => {
    expect(loaded('bind 127.0.0.1 ::1\n').get('bind')).toEqual(['127.0.0.1', '::1']);
  });

  it('load() accepts old ziplist names as aliases', () => {
    const c = loaded('hash-max-ziplist-entries 64\nzset-max-ziplist-value 32\n');
    expect(c.getNumber('hash-max-listpack-entries')).toBe(64);
    expect(c.getNumber('zset-max-listpack-value')).toBe(32);
  });

  it('load() appends command-line options after the file, so they win', () => {
    const c = loaded('port 7001\nhz 20\n', ['--port', '7002', '--save', '', '--requirepass', 'a b']);
    expect(c.getNumber('port')).toBe(7002);
    expect(c.getNumber('hz')).toBe(20);
    expect(c.getString('save')).toBe('');
    expect(c.getString('requirepass')).toBe('a b');
  });

  it('load() reports unknown directives with the line number, the line and the reason', () => {
    expect(loadError('port 1\nfoo bar\n')).toBe(
      "Reading the configuration file, at line 2\n>>> 'foo bar'\nBad directive or wrong number of arguments",
    );
    expect(loadError('port 1 2\n')).toContain('Bad directive or wrong number of arguments');
    expect(loadError('requirepass "open\n')).toContain('Unbalanced quotes in configuration line');
  });

  it('load() reports bad values with Redis reasons', () => {
    expect(loadError('port abc\n')).toContain("argument couldn't be parsed into an integer");
    expect(loadError('port 70000\n')).toContain('argument must be between 0 and 65535 inclusive');
    expect(loadError('maxmemory 1x\n')).toContain('argument must be a memory value');
    expect(loadError('appendonly maybe\n')).toContain("argument must be 'yes' or 'no'");
    expect(loadError('appendfsync sometimes\n')).toContain(
      'argument(s) must be one of the following: everysec, always, no',
    );
    expect(loadError('save 1 2 3\n')).toContain('Invalid save parameters');
  });

  it('load() refuses command-line arguments that are not --directive', () => {
    expect(loadError('', ['port', '1'])).toContain("Invalid argument 'port'");
  });
});

describe('Config.setMany()', () => {
  it('setMany() changes nothing when one pair is invalid', () => {
    const c = new Config();
    expect(() => c.setMany(['hz', '20', 'maxclients', 'abc'])).toThrow(
      "CONFIG SET failed (possibly related to argument 'maxclients') - argument couldn't be parsed into an integer",
    );
    expect(c.getNumber('hz')).toBe(10);
  });

  it('setMany() refuses immutable, unknown and duplicate directives', () => {
    const c = new Config();
    expect(() => c.setMany(['port', '1'])).toThrow("- can't set immutable config");
    expect(() => c.setMany(['nosuch', '1'])).toThrow("Unknown option or number of arguments for CONFIG SET - 'nosuch'");
    expect(() => c.setMany(['hz', '1', 'HZ', '2'])).toThrow("(possibly related to argument 'HZ') - duplicate parameter");
  });

  it('setMany() rolls every value back when applying one fails', () => {
    const c = new Config();
    const applied: string[] = [];
    c.onChange = (name, value) => {
      if (name === 'timeout') throw new ConfigError('cannot apply');
      applied.push(`${name}=${String(value)}`);
    };
    expect(() => c.setMany(['hz', '20', 'timeout', '5'])).toThrow(
      "CONFIG SET failed (possibly related to argument 'timeout') - cannot apply",
    );
    expect(c.getNumber('hz')).toBe(10);
    expect(c.getNumber('timeout')).toBe(0);
    expect(applied).toEqual(['hz=20', 'hz=10']);
  });
});

describe('Config.live()', () => {
  it('live() follows CONFIG SET, a rollback, startup settings and a loaded file', () => {
    const c = new Config();
    const cell = c.live<number>('slowlog-log-slower-than');
    expect(cell.value).toBe(10000);
    expect(c.live('slowlog-log-slower-than')).toBe(cell);
    c.setMany(['slowlog-log-slower-than', '5']);
    expect(cell.value).toBe(5);
    c.onChange = (name) => {
      if (name === 'timeout') throw new ConfigError('cannot apply');
    };
    expect(() => c.setMany(['slowlog-log-slower-than', '7', 'timeout', '5'])).toThrow('cannot apply');
    expect(cell.value).toBe(5);
    c.set('slowlog-log-slower-than', '8', true);
    expect(cell.value).toBe(8);
    c.load('slowlog-log-slower-than 9\n', []);
    expect(cell.value).toBe(9);
  });
});

describe('Config.matching()', () => {
  const glob = (p: string, n: string): boolean => matchGlob(p, n, true);

  it('matching() answers exact names under the name asked, and globs over names and aliases', () => {
    const c = new Config();
    expect(c.matching(['MAXMEMORY'], glob)).toEqual([['MAXMEMORY', '0']]);
    const names = c.matching(['hash-max-*-entries'], glob).map(([n]) => n);
    expect(names.sort()).toEqual(['hash-max-listpack-entries', 'hash-max-ziplist-entries']);
    expect(c.matching(['nosuch', 'no-*'], glob)).toEqual([]);
  });

  it('matching() lists each name once across patterns', () => {
    const c = new Config();
    expect(c.matching(['hz', 'h?', '*z'], glob).filter(([n]) => n === 'hz')).toHaveLength(1);
  });
});

describe('Config.rewrite()', () => {
  it('rewrite() keeps comments and unknown lines, rewrites in place, drops repeats and appends new values', () => {
    const c = loaded('hz 10\n');
    c.setMany(['hz', '25', 'requirepass', 'a b', 'maxmemory', '1mb']);
    const text = '# top\nhz 10\nunknown-directive x\nhz 11\n\n# end\n';
    expect(c.rewrite(text)).toBe(
      '# top\nhz 25\nunknown-directive x\n\n# end\n# Generated by CONFIG REWRITE\nrequirepass "a b"\nmaxmemory 1048576\n',
    );
  });

  it('rewrite() is stable: rewriting its own output changes nothing', () => {
    const c = new Config();
    c.setMany(['save', '60 5 30 2', 'maxmemory-policy', 'allkeys-lru']);
    const once = c.rewrite('# conf\n');
    expect(c.rewrite(once)).toBe(once);
    expect(loaded(once).getString('save')).toBe('60 5 30 2');
  });
});

describe('hz', () => {
  it('load() clamps hz to 1..500 as Redis does', () => {
    expect(loaded('hz 0\n').getNumber('hz')).toBe(1);
    expect(loaded('hz 100000\n').getNumber('hz')).toBe(500);
  });
});

describe('client-output-buffer-limit', () => {
  const DEFAULT = 'normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60';
  const fails = (reason: string): string => `CONFIG SET failed (possibly related to argument 'client-output-buffer-limit') - ${reason}`;

  it('CONFIG SET client-output-buffer-limit updates only the classes it names, takes units, replica for slave and any case, as Redis 7.0.15', () => {
    const c = new Config();
    expect(c.getString('client-output-buffer-limit')).toBe(DEFAULT);
    c.setMany(['client-output-buffer-limit', 'REPLICA 1mb 2MB 3 PubSub 1k 0 5']);
    expect(c.getString('client-output-buffer-limit')).toBe('normal 0 0 0 slave 1048576 2097152 3 pubsub 1000 0 5');
    // Nothing named, nothing changed; a class named twice takes the last group.
    c.setMany(['client-output-buffer-limit', '']);
    c.setMany(['client-output-buffer-limit', 'normal 1 2 3 normal 4 5 6']);
    expect(c.getString('client-output-buffer-limit')).toBe('normal 4 5 6 slave 1048576 2097152 3 pubsub 1000 0 5');
  });

  it('CONFIG SET client-output-buffer-limit refuses a bad group whole, with Redis 7.0.15\'s reasons', () => {
    const c = new Config();
    const cases: [string, string][] = [
      ['normal 0 0', 'Wrong number of arguments in buffer limit configuration.'],
      ['foo 0 0 0', 'Invalid client class specified in buffer limit configuration.'],
      ['master 0 0 0', 'Invalid client class specified in buffer limit configuration.'],
      ['normal -1 0 0', 'Error in hard, soft or soft_seconds setting in buffer limit configuration.'],
      ['normal 1x 0 0', 'Error in hard, soft or soft_seconds setting in buffer limit configuration.'],
      ['normal 1 0 1.5', 'Error in hard, soft or soft_seconds setting in buffer limit configuration.'],
      ['normal 1 0 -1', 'Error in hard, soft or soft_seconds setting in buffer limit configuration.'],
      ['pubsub 1 1 1 normal 1 0 1k', 'Error in hard, soft or soft_seconds setting in buffer limit configuration.'],
    ];
    for (const [value, reason] of cases) expect(() => c.setMany(['client-output-buffer-limit', value]), value).toThrow(fails(reason));
    expect(c.getString('client-output-buffer-limit')).toBe(DEFAULT);
  });

  it('load() merges client-output-buffer-limit lines from the file and the command line', () => {
    const c = new Config();
    c.load('client-output-buffer-limit pubsub 64mb 16mb 90\nclient-output-buffer-limit normal 1gb 0 0\n', ['--client-output-buffer-limit', 'slave', '0', '0', '0']);
    expect(c.getString('client-output-buffer-limit')).toBe('normal 1073741824 0 0 slave 0 0 0 pubsub 67108864 16777216 90');
    expect(() => loaded('client-output-buffer-limit pubsub 1mb\n')).toThrow('Wrong number of arguments in buffer limit configuration.');
  });

  it('rewrite() writes client-output-buffer-limit a line per class, replica for slave, sizes in units, and reads back the same', () => {
    const c = new Config();
    c.setMany(['client-output-buffer-limit', 'pubsub 64mb 1000 90']);
    const text = c.rewrite('');
    expect(text).toBe(
      '# Generated by CONFIG REWRITE\n' +
        'client-output-buffer-limit normal 0 0 0\n' +
        'client-output-buffer-limit replica 256mb 64mb 60\n' +
        'client-output-buffer-limit pubsub 64mb 1000 90\n',
    );
    expect(loaded(text).getString('client-output-buffer-limit')).toBe(c.getString('client-output-buffer-limit'));
  });
});
