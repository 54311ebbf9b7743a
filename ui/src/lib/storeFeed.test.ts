import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { StoreSnapshot } from './jobsStore';
import { createStoreFeed } from './storeFeed';
import type { JobRecord } from './types';

const job = (id: number) => ({ id, state: 'queued' }) as JobRecord;

describe('createStoreFeed', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('hands each snapshot, stamped when it was asked for, to its subscribers', async () => {
    let n = 100;
    const load = vi.fn(async () => ({ jobs: [job(1)], unfinished: [job(2)] }));
    const feed = createStoreFeed({ load, onError: () => undefined, delayMs: 50, stamp: () => ++n });
    const got: StoreSnapshot[] = [];
    feed.subscribe((s) => got.push(s));
    feed.refresh();
    feed.refresh();
    await vi.advanceTimersByTimeAsync(50);
    expect(load).toHaveBeenCalledTimes(1);
    expect(got).toEqual([{ jobs: [job(1)], unfinished: [job(2)], stamp: 101 }]);
    // A late subscriber gets the latest at once.
    const late: StoreSnapshot[] = [];
    feed.subscribe((s) => late.push(s));
    expect(late).toHaveLength(1);
    expect(feed.latest()?.stamp).toBe(101);
  });

  it('reports an error once while it keeps failing the same way, and keeps the last snapshot', async () => {
    const errors: string[] = [];
    let fail = false;
    const feed = createStoreFeed({
      load: async () => {
        if (fail) throw 'no such command: store_jobs';
        return { jobs: [job(1)], unfinished: [] };
      },
      onError: (m) => errors.push(m),
      delayMs: 10,
    });
    feed.refresh(true);
    await vi.advanceTimersByTimeAsync(0);
    fail = true;
    feed.refresh(true);
    await vi.advanceTimersByTimeAsync(0);
    feed.refresh(true);
    await vi.advanceTimersByTimeAsync(0);
    expect(errors).toEqual(['Jobs store: no such command: store_jobs']);
    expect(feed.latest()?.jobs).toEqual([job(1)]);
  });

  it('treats missing lists as empty, and stops on dispose', async () => {
    const load = vi.fn(async () => ({ jobs: null as unknown as JobRecord[], unfinished: undefined as unknown as JobRecord[] }));
    const feed = createStoreFeed({ load, onError: () => undefined, delayMs: 10 });
    feed.refresh(true);
    await vi.advanceTimersByTimeAsync(0);
    expect(feed.latest()).toMatchObject({ jobs: [], unfinished: [] });
    feed.dispose();
    feed.refresh(true);
    await vi.advanceTimersByTimeAsync(100);
    expect(load).toHaveBeenCalledTimes(1);
  });
});
