import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { formatBytes, formatDuration, Progress } from '../../../scripts/admin/progress.js';

/** A stream that records what is written, posing as a TTY or not. */
function sink(tty: boolean): { out: NodeJS.WriteStream; text: () => string } {
  const chunks: string[] = [];
  const w = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  }) as unknown as NodeJS.WriteStream;
  (w as { isTTY?: boolean }).isTTY = tty;
  return { out: w, text: () => chunks.join('') };
}

describe('Progress', () => {
  it('line reports slots, keys and bytes, and the bar follows the lagging fraction', () => {
    const p = new Progress(sink(false).out, false);
    p.totalSlots = 10;
    p.totalKeys = 1000;
    p.slotsDone = 5;
    p.keysDone = 250;
    p.bytesDone = 3 * 1024 * 1024;
    expect(p.fraction).toBe(0.25);
    const line = p.line(true);
    expect(line.startsWith('[#####...............]  25%  slots 5/10  keys 250/1000  3.0 MiB  ')).toBe(true);
    expect(line).toMatch(/keys\/s {2}elapsed \d+s {2}ETA \d+s$/);
  });

  it('line leaves bytes out until some are known, and the bar out unless asked', () => {
    const p = new Progress(sink(false).out, false);
    p.totalSlots = 2;
    p.slotsDone = 2;
    expect(p.line()).toMatch(/^slots 2\/2 {2}keys 0\/0 {2}0 keys\/s/);
    expect(p.line()).not.toContain('B ');
  });

  it('update rewrites one line with a bar on a TTY and prints plain lines otherwise', () => {
    const tty = sink(true);
    const p = new Progress(tty.out, false);
    p.totalSlots = 4;
    p.slotsDone = 1;
    p.update(true);
    p.done();
    expect(tty.text()).toMatch(/^\r\x1b\[2K\[#####\.{15}\] {2}25% {2}slots 1\/4/);
    expect(tty.text().endsWith('\n')).toBe(true);
    const plain = sink(false);
    const q = new Progress(plain.out, false);
    q.update(true);
    expect(plain.text()).toMatch(/^slots 0\/0 .*\n$/);
  });

  it('update prints nothing in --json mode', () => {
    const s = sink(true);
    const p = new Progress(s.out, true);
    p.update(true);
    p.done();
    expect(s.text()).toBe('');
  });
});

describe('formatBytes and formatDuration', () => {
  it('formatBytes picks binary units with one decimal', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(5 * 1024 ** 3)).toBe('5.0 GiB');
  });

  it('formatDuration shows seconds, minutes and hours', () => {
    expect(formatDuration(4_400)).toBe('4s');
    expect(formatDuration(125_000)).toBe('2m05s');
    expect(formatDuration(3_900_000)).toBe('1h05m');
  });
});
