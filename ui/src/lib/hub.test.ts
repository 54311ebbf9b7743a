import { describe, expect, it } from 'vitest';
import { createHub } from './hub';

describe('createHub', () => {
  it('fans out to every subscriber and unsubscribes', () => {
    const hub = createHub<number>();
    const a: number[] = [];
    const b: number[] = [];
    const unA = hub.subscribe((v) => a.push(v));
    hub.subscribe((v) => b.push(v));
    hub.emit(1);
    unA();
    hub.emit(2);
    expect(a).toEqual([1]);
    expect(b).toEqual([1, 2]);
    expect(hub.size).toBe(1);
  });

  it('a throwing subscriber does not stop the others', () => {
    const errors: unknown[] = [];
    const hub = createHub<number>((e) => errors.push(e));
    const got: number[] = [];
    hub.subscribe(() => {
      throw new Error('x');
    });
    hub.subscribe((v) => got.push(v));
    hub.emit(3);
    expect(got).toEqual([3]);
    expect(errors).toHaveLength(1);
  });
});
