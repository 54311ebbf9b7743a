/** Default retention: 10 minutes. */
export const DEFAULT_WINDOW_MS = 10 * 60 * 1000;
/** Default hard cap on the number of points. */
export const DEFAULT_CAPACITY = 4000;

/**
 * Fixed-capacity ring buffer of (time, value) points with time-based trimming.
 *
 * - Points older than `windowMs` before the newest point are dropped.
 * - When full, the oldest point is overwritten.
 * - Points whose time is not strictly after the newest point are ignored, so
 *   history seeding and live samples can overlap without duplicates.
 */
export class TimeSeries {
  readonly capacity: number;
  readonly windowMs: number;
  private readonly times: Float64Array;
  private readonly values: Float64Array;
  private head = 0; // index of the oldest point
  private len = 0;

  constructor(capacity = DEFAULT_CAPACITY, windowMs = DEFAULT_WINDOW_MS) {
    if (!Number.isInteger(capacity) || capacity <= 0) throw new RangeError(`invalid capacity: ${capacity}`);
    if (!(windowMs > 0)) throw new RangeError(`invalid window: ${windowMs}`);
    this.capacity = capacity;
    this.windowMs = windowMs;
    this.times = new Float64Array(capacity);
    this.values = new Float64Array(capacity);
  }

  get length(): number {
    return this.len;
  }

  /** Time of the newest point, or null when empty. */
  get lastTime(): number | null {
    return this.len === 0 ? null : this.times[this.index(this.len - 1)];
  }

  /** Value of the newest point, or null when empty. */
  get lastValue(): number | null {
    return this.len === 0 ? null : this.values[this.index(this.len - 1)];
  }

  private index(i: number): number {
    return (this.head + i) % this.capacity;
  }

  /** Append a point; returns false if it was rejected (non-finite or not newer than the last point). */
  push(timeMs: number, value: number): boolean {
    if (!Number.isFinite(timeMs) || !Number.isFinite(value)) return false;
    const last = this.lastTime;
    if (last !== null && timeMs <= last) return false;

    if (this.len === this.capacity) {
      this.head = (this.head + 1) % this.capacity;
      this.len--;
    }
    const i = this.index(this.len);
    this.times[i] = timeMs;
    this.values[i] = value;
    this.len++;
    this.trim(timeMs);
    return true;
  }

  /** Append many points in order; returns the number accepted. */
  pushMany(points: Iterable<readonly [number, number]>): number {
    let n = 0;
    for (const [t, v] of points) if (this.push(t, v)) n++;
    return n;
  }

  private trim(newestMs: number): void {
    const cutoff = newestMs - this.windowMs;
    while (this.len > 0 && this.times[this.head] < cutoff) {
      this.head = (this.head + 1) % this.capacity;
      this.len--;
    }
  }

  clear(): void {
    this.head = 0;
    this.len = 0;
  }

  /**
   * Points oldest-first as two parallel arrays, optionally scaled
   * (e.g. timeScale = 1/1000 for uPlot seconds, valueScale = 1/2^20 for MB).
   */
  toArrays(timeScale = 1, valueScale = 1): [number[], number[]] {
    const xs = new Array<number>(this.len);
    const ys = new Array<number>(this.len);
    for (let k = 0; k < this.len; k++) {
      const i = this.index(k);
      xs[k] = this.times[i] * timeScale;
      ys[k] = this.values[i] * valueScale;
    }
    return [xs, ys];
  }
}
