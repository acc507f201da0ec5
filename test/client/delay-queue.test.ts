import { describe, it, expect, vi, afterEach } from 'vitest';
import { DelayQueue } from '../../src/client/delay-queue.js';

describe('DelayQueue', () => {
  afterEach(() => vi.useRealTimers());

  it('DelayQueue runs items after their delay with one timer per distinct delay', () => {
    vi.useFakeTimers();
    const ran: string[] = [];
    const q = new DelayQueue<string>((x) => ran.push(x));
    q.push('a', 10);
    q.push('b', 10);
    q.push('c', 20);
    expect(vi.getTimerCount()).toBe(2);
    vi.advanceTimersByTime(10);
    expect(ran).toEqual(['a', 'b']);
    vi.advanceTimersByTime(10);
    expect(ran).toEqual(['a', 'b', 'c']);
    expect(q.size).toBe(0);
  });

  it('DelayQueue.clear() cancels every timer and returns the waiting items', () => {
    vi.useFakeTimers();
    const q = new DelayQueue<number>(() => expect.fail('must not run'));
    q.push(1, 5);
    q.push(2, 50);
    expect(q.clear().sort()).toEqual([1, 2]);
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(100);
  });
});
