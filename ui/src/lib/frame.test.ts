import { describe, expect, it } from 'vitest';
import { createFrameThrottle } from './frame';

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
