type Scheduler = (cb: () => void) => number;
type Canceller = (id: number) => void;

export interface FrameThrottle {
  /** Request a run on the next frame; repeated calls before it runs are coalesced. */
  schedule(): void;
  /** Cancel a pending run. */
  cancel(): void;
  readonly pending: boolean;
}

/** Coalesce many schedule() calls into at most one `fn` call per animation frame. */
export function createFrameThrottle(
  fn: () => void,
  raf: Scheduler = (cb) => requestAnimationFrame(cb),
  caf: Canceller = (id) => cancelAnimationFrame(id),
): FrameThrottle {
  let id: number | null = null;
  return {
    schedule() {
      if (id !== null) return;
      id = raf(() => {
        id = null;
        fn();
      });
    },
    cancel() {
      if (id !== null) caf(id);
      id = null;
    },
    get pending() {
      return id !== null;
    },
  };
}
