import { describe, expect, it } from 'vitest';
import { repliesAgree, showReply } from './harness.js';

describe('repliesAgree()', () => {
  it('repliesAgree() requires identical bytes for exact comparisons', () => {
    expect(repliesAgree(Buffer.from('+OK\r\n'), Buffer.from('+OK\r\n'), 'exact')).toBe(true);
    expect(repliesAgree(Buffer.from(':1\r\n'), Buffer.from(':2\r\n'), 'exact')).toBe(false);
  });

  it('repliesAgree() ignores element order for unordered comparisons but not content', () => {
    const a = Buffer.from('*2\r\n$1\r\na\r\n$1\r\nb\r\n');
    const b = Buffer.from('*2\r\n$1\r\nb\r\n$1\r\na\r\n');
    const c = Buffer.from('*2\r\n$1\r\nb\r\n$1\r\nc\r\n');
    expect(repliesAgree(a, b, 'unordered')).toBe(true);
    expect(repliesAgree(a, c, 'unordered')).toBe(false);
  });

  it('repliesAgree() keeps RESP3 map pairs together when unordered', () => {
    const a = Buffer.from('%2\r\n$1\r\na\r\n:1\r\n$1\r\nb\r\n:2\r\n');
    const b = Buffer.from('%2\r\n$1\r\nb\r\n:2\r\n$1\r\na\r\n:1\r\n');
    const swapped = Buffer.from('%2\r\n$1\r\na\r\n:2\r\n$1\r\nb\r\n:1\r\n');
    expect(repliesAgree(a, b, 'unordered')).toBe(true);
    expect(repliesAgree(a, swapped, 'unordered')).toBe(false);
  });

  it('repliesAgree() compares only the reply type for shape comparisons', () => {
    expect(repliesAgree(Buffer.from(':99\r\n'), Buffer.from(':100\r\n'), 'shape')).toBe(true);
    expect(repliesAgree(Buffer.from(':99\r\n'), Buffer.from('$-1\r\n'), 'shape')).toBe(false);
  });

  it('showReply() escapes control and high bytes', () => {
    expect(showReply(Buffer.from([0x2b, 0x00, 0xff, 13, 10]))).toBe('+\\x00\\xff\\r\\n');
  });
});
