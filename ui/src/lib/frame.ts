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

/** How often the memory panel redraws while a job runs. Each refresh (the batch of samples crossing into
 *  the webview, and the repaint) costs about 1% of a core per refresh a second, whatever is drawn, so a
 *  refresh every second would put the sampler and graph above 1% of a core; every 1.5 s keeps them under. */
export const ACTIVE_REDRAW_MS = 1500;
/** How often it redraws while the worker is idle, when the picture mostly scrolls. Every sample is kept
 *  and drawn either way; only the refresh is less frequent. */
export const IDLE_REDRAW_MS = 2000;

/** Tracks from worker events whether a job is running, and so how often the panel should redraw. */
export class RedrawCadence {
  private running = new Set<number>();

  /** Returns true when the cadence changed. */
  apply(ev: { kind: string; job?: number }): boolean {
    const before = this.running.size > 0;
    if ((ev.kind === 'job_started' || ev.kind === 'job_progress') && ev.job !== undefined) this.running.add(ev.job);
    else if (ev.kind === 'job_ended' && ev.job !== undefined) this.running.delete(ev.job);
    return before !== this.running.size > 0;
  }

  /** An interval the app fixed, whatever the state (see `memory_set_refresh`). */
  pinnedMs: number | null = null;

  /** What the app answered when asked for `requested` ms: a different answer pins the cadence to it. */
  answered(requested: number, effective: number) {
    if (effective !== requested) this.pinnedMs = effective;
  }

  get intervalMs(): number {
    return this.pinnedMs ?? (this.running.size > 0 ? ACTIVE_REDRAW_MS : IDLE_REDRAW_MS);
  }
}
