// Coalesced refetching: many requests (one per worker event) become at most one fetch per `delayMs`, never
// two at once, and a request made while a fetch runs is followed by one more fetch after it.

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

export interface Refresher {
  /** Ask for a fetch: after `delayMs`, or at once with `immediate` (still never two at once). */
  request(immediate?: boolean): void;
  /** Whether a fetch is waiting or running. */
  readonly pending: boolean;
  /** Stop: no fetch starts after this. */
  dispose(): void;
}

export function createRefresher(run: () => Promise<void>, delayMs: number, timers: Timers = realTimers): Refresher {
  let timer: unknown = null;
  let running = false;
  let again = false;
  let disposed = false;

  function start() {
    timer = null;
    if (disposed) return;
    running = true;
    again = false;
    let done: Promise<void>;
    try {
      done = run();
    } catch (err) {
      done = Promise.reject(err);
    }
    // `run` reports its own errors; a rejection here only ends this fetch.
    done
      .catch(() => undefined)
      .then(() => {
        running = false;
        if (again && !disposed) schedule(false);
      });
  }

  function schedule(immediate: boolean) {
    if (immediate) {
      if (timer !== null) timers.clearTimeout(timer);
      start();
      return;
    }
    if (timer === null) timer = timers.setTimeout(start, delayMs);
  }

  return {
    request(immediate = false) {
      if (disposed) return;
      if (running) {
        again = true;
        return;
      }
      schedule(immediate);
    },
    get pending() {
      return timer !== null || running;
    },
    dispose() {
      disposed = true;
      if (timer !== null) timers.clearTimeout(timer);
      timer = null;
    },
  };
}
