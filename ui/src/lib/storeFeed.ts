// The store's jobs, fetched again (coalesced) when worker events say they changed, and handed to whoever
// listens: the jobs panel, and the thumbnail strip (which job is about which document).
import { errorMessage } from './format';
import { stamp as nextStamp, type StoreSnapshot } from './jobsStore';
import { createRefresher, type Timers } from './refresher';
import type { JobRecord } from './types';

export interface StoreFeed {
  /** Fetch again: soon (coalesced with other requests), or at once. */
  refresh(immediate?: boolean): void;
  /** `fn` gets the latest snapshot now (when there is one) and every later one. */
  subscribe(fn: (snap: StoreSnapshot) => void): () => void;
  latest(): StoreSnapshot | null;
  dispose(): void;
}

export interface StoreFeedOptions {
  load: () => Promise<{ jobs: JobRecord[]; unfinished: JobRecord[] }>;
  onError: (message: string) => void;
  delayMs?: number;
  stamp?: () => number;
  timers?: Timers;
}

export function createStoreFeed(opts: StoreFeedOptions): StoreFeed {
  const subs = new Set<(snap: StoreSnapshot) => void>();
  const stamp = opts.stamp ?? nextStamp;
  let snapshot: StoreSnapshot | null = null;
  let lastError: string | null = null;

  const refresher = createRefresher(
    async () => {
      const at = stamp();
      try {
        const { jobs, unfinished } = await opts.load();
        lastError = null;
        snapshot = { jobs: Array.isArray(jobs) ? jobs : [], unfinished: Array.isArray(unfinished) ? unfinished : [], stamp: at };
      } catch (err) {
        // Reported once while it keeps failing the same way (it is asked again on every job event).
        const message = `Jobs store: ${errorMessage(err)}`;
        if (message !== lastError) opts.onError(message);
        lastError = message;
        return;
      }
      for (const fn of [...subs]) {
        try {
          fn(snapshot);
        } catch (err) {
          opts.onError(errorMessage(err));
        }
      }
    },
    opts.delayMs ?? 250,
    opts.timers,
  );

  return {
    refresh: (immediate) => refresher.request(immediate),
    subscribe(fn) {
      subs.add(fn);
      if (snapshot) fn(snapshot);
      return () => subs.delete(fn);
    },
    latest: () => snapshot,
    dispose() {
      refresher.dispose();
      subs.clear();
    },
  };
}
