import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createRefresher } from './refresher';

/** A fetch that waits until released, counting how many started. */
function gatedRun() {
  const releases: (() => void)[] = [];
  let started = 0;
  const run = () => {
    started++;
    return new Promise<void>((resolve) => releases.push(resolve));
  };
  return { run, started: () => started, release: () => releases.shift()?.() };
}

describe('createRefresher', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('coalesces requests made within the delay into one fetch', async () => {
    const g = gatedRun();
    const r = createRefresher(g.run, 100);
    r.request();
    r.request();
    r.request();
    expect(g.started()).toBe(0);
    expect(r.pending).toBe(true);
    await vi.advanceTimersByTimeAsync(100);
    expect(g.started()).toBe(1);
    g.release();
    await vi.advanceTimersByTimeAsync(500);
    expect(g.started()).toBe(1);
    expect(r.pending).toBe(false);
  });

  it('never runs two fetches at once, and fetches once more after one that was asked for meanwhile', async () => {
    const g = gatedRun();
    const r = createRefresher(g.run, 100);
    r.request(true);
    expect(g.started()).toBe(1);
    r.request();
    r.request(true);
    await vi.advanceTimersByTimeAsync(1000);
    expect(g.started()).toBe(1);
    g.release();
    await vi.advanceTimersByTimeAsync(99);
    expect(g.started()).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(g.started()).toBe(2);
    g.release();
    await vi.advanceTimersByTimeAsync(1000);
    expect(g.started()).toBe(2);
  });

  it('an immediate request does not wait for a pending delay', async () => {
    const g = gatedRun();
    const r = createRefresher(g.run, 100);
    r.request();
    r.request(true);
    expect(g.started()).toBe(1);
    g.release();
    await vi.advanceTimersByTimeAsync(1000);
    expect(g.started()).toBe(1);
  });

  it('keeps going after a failed fetch, and starts nothing once disposed', async () => {
    let calls = 0;
    const r = createRefresher(() => {
      calls++;
      if (calls === 1) throw new Error('sync failure');
      return Promise.reject(new Error('async failure'));
    }, 50);
    r.request(true);
    await vi.advanceTimersByTimeAsync(0);
    r.request();
    await vi.advanceTimersByTimeAsync(50);
    expect(calls).toBe(2);
    r.request();
    r.dispose();
    await vi.advanceTimersByTimeAsync(1000);
    r.request(true);
    expect(calls).toBe(2);
  });
});
