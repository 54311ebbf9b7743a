import { describe, expect, it } from 'vitest';
import { ACTIVE_REDRAW_MS, createFrameThrottle, IDLE_REDRAW_MS, RedrawCadence } from './frame';

function fakeRaf() {
  const queue = new Map<number, () => void>();
  let next = 1;
  return {
    raf: (cb: () => void) => {
      const id = next++;
      queue.set(id, cb);
      return id;
    },
    caf: (id: number) => void queue.delete(id),
    flush() {
      const cbs = [...queue.values()];
      queue.clear();
      cbs.forEach((cb) => cb());
    },
    get size() {
      return queue.size;
    },
  };
}

describe('createFrameThrottle', () => {
  it('runs at most once per frame', () => {
    const f = fakeRaf();
    let calls = 0;
    const t = createFrameThrottle(() => calls++, f.raf, f.caf);
    for (let i = 0; i < 50; i++) t.schedule();
    expect(f.size).toBe(1);
    expect(t.pending).toBe(true);
    f.flush();
    expect(calls).toBe(1);
    expect(t.pending).toBe(false);
    t.schedule();
    t.schedule();
    f.flush();
    expect(calls).toBe(2);
  });

  it('can be cancelled', () => {
    const f = fakeRaf();
    let calls = 0;
    const t = createFrameThrottle(() => calls++, f.raf, f.caf);
    t.schedule();
    t.cancel();
    f.flush();
    expect(calls).toBe(0);
    t.schedule();
    f.flush();
    expect(calls).toBe(1);
  });
});

describe('RedrawCadence', () => {
  it('redraws every 1.5 s while any job runs and every two seconds when none does', () => {
    const c = new RedrawCadence();
    expect(c.intervalMs).toBe(IDLE_REDRAW_MS);
    expect(c.apply({ kind: 'job_started', job: 1 })).toBe(true);
    expect(c.intervalMs).toBe(ACTIVE_REDRAW_MS);
    expect(c.apply({ kind: 'job_progress', job: 2 })).toBe(false);
    expect(c.apply({ kind: 'job_ended', job: 1 })).toBe(false);
    expect(c.intervalMs).toBe(ACTIVE_REDRAW_MS);
    expect(c.apply({ kind: 'job_ended', job: 2 })).toBe(true);
    expect(c.intervalMs).toBe(IDLE_REDRAW_MS);
  });

  it('ignores events that say nothing about jobs', () => {
    const c = new RedrawCadence();
    expect(c.apply({ kind: 'model_loaded' })).toBe(false);
    expect(c.apply({ kind: 'job_ended', job: 9 })).toBe(false);
    expect(c.intervalMs).toBe(IDLE_REDRAW_MS);
  });

  it('follows an interval the app fixed, running or not', () => {
    const c = new RedrawCadence();
    c.answered(IDLE_REDRAW_MS, IDLE_REDRAW_MS);
    expect(c.pinnedMs).toBeNull();
    c.answered(IDLE_REDRAW_MS, 1000);
    expect(c.intervalMs).toBe(1000);
    c.apply({ kind: 'job_started', job: 1 });
    c.apply({ kind: 'job_ended', job: 1 });
    expect(c.intervalMs).toBe(1000);
  });
});
