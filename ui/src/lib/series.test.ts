import { describe, expect, it } from 'vitest';
import { DEFAULT_CAPACITY, DEFAULT_WINDOW_MS, TimeSeries } from './series';

describe('TimeSeries', () => {
  it('defaults to 10 minutes and 4000 points', () => {
    const s = new TimeSeries();
    expect(s.windowMs).toBe(600_000);
    expect(s.capacity).toBe(4000);
    expect(DEFAULT_WINDOW_MS).toBe(600_000);
    expect(DEFAULT_CAPACITY).toBe(4000);
  });

  it('keeps points in insertion order', () => {
    const s = new TimeSeries(10, 1_000_000);
    s.push(1, 10);
    s.push(2, 20);
    s.push(3, 30);
    expect(s.length).toBe(3);
    expect(s.toArrays()).toEqual([
      [1, 2, 3],
      [10, 20, 30],
    ]);
    expect(s.lastTime).toBe(3);
    expect(s.lastValue).toBe(30);
  });

  it('drops points older than the window relative to the newest point', () => {
    const s = new TimeSeries(100, 1000);
    s.push(0, 1);
    s.push(500, 2);
    s.push(1000, 3); // cutoff 0: keeps t=0
    expect(s.length).toBe(3);
    s.push(1001, 4); // cutoff 1: drops t=0
    expect(s.toArrays()[0]).toEqual([500, 1000, 1001]);
    s.push(5000, 5); // everything else is too old
    expect(s.toArrays()).toEqual([[5000], [5]]);
  });

  it('enforces the hard cap by overwriting the oldest point', () => {
    const s = new TimeSeries(3, 1e12);
    for (let t = 1; t <= 5; t++) s.push(t, t * 10);
    expect(s.length).toBe(3);
    expect(s.toArrays()).toEqual([
      [3, 4, 5],
      [30, 40, 50],
    ]);
  });

  it('wraps around many times and stays consistent', () => {
    const s = new TimeSeries(7, 1e12);
    for (let t = 1; t <= 1000; t++) s.push(t, -t);
    const [xs, ys] = s.toArrays();
    expect(xs).toEqual([994, 995, 996, 997, 998, 999, 1000]);
    expect(ys).toEqual(xs.map((x) => -x));
  });

  it('caps a 10-minute window at 4000 points even with fast sampling', () => {
    const s = new TimeSeries();
    // 10 samples/s for 10 minutes = 6000 samples
    for (let i = 0; i < 6000; i++) s.push(i * 100, i);
    expect(s.length).toBe(4000);
    expect(s.lastValue).toBe(5999);
  });

  it('keeps only 10 minutes of 4 Hz samples', () => {
    const s = new TimeSeries();
    // 15 minutes at 4 samples/s
    for (let i = 0; i < 15 * 60 * 4; i++) s.push(i * 250, i);
    expect(s.length).toBe(10 * 60 * 4 + 1);
    const [xs] = s.toArrays();
    expect(xs[xs.length - 1] - xs[0]).toBe(600_000);
  });

  it('rejects duplicate, out-of-order and non-finite points', () => {
    const s = new TimeSeries(10, 1e9);
    expect(s.push(10, 1)).toBe(true);
    expect(s.push(10, 2)).toBe(false);
    expect(s.push(5, 2)).toBe(false);
    expect(s.push(NaN, 2)).toBe(false);
    expect(s.push(11, Infinity)).toBe(false);
    expect(s.length).toBe(1);
  });

  it('pushMany counts accepted points (history + overlapping live samples)', () => {
    const s = new TimeSeries(100, 1e9);
    expect(s.pushMany([[1, 1], [2, 2], [3, 3]])).toBe(3);
    expect(s.pushMany([[3, 3], [4, 4]])).toBe(1);
    expect(s.length).toBe(4);
  });

  it('scales output for uPlot', () => {
    const s = new TimeSeries(10, 1e9);
    s.push(2000, 3 * 1024 * 1024);
    expect(s.toArrays(1 / 1000, 1 / (1024 * 1024))).toEqual([[2], [3]]);
  });

  it('clear empties the buffer', () => {
    const s = new TimeSeries(4, 1e9);
    s.push(1, 1);
    s.clear();
    expect(s.length).toBe(0);
    expect(s.lastTime).toBeNull();
    expect(s.push(0, 0)).toBe(true);
  });

  it('rejects invalid construction', () => {
    expect(() => new TimeSeries(0)).toThrow(RangeError);
    expect(() => new TimeSeries(10, 0)).toThrow(RangeError);
  });
});
