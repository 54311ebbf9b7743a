import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  concernsDocument,
  createPageStatusFeed,
  pageStatus,
  statusMap,
  statusSymbol,
  statusText,
  thumbLabel,
  type StatusMap,
} from './pageStatus';
import type { JobRecord, WorkerEvent } from './types';

const doc = { id: 1, path: '/docs/a.pdf' };

function job(id: number, paths: string[], hash = 'x'): JobRecord {
  return {
    id,
    state: 'running',
    spec: { documents: paths.map((path) => ({ path, hash })), pages: null, stages: [], dpi: 150 },
    position: 1,
    pages_total: 1,
    pages_done: 0,
    pages_failed: 0,
    created_at: '',
    started_at: null,
    finished_at: null,
    error: null,
    owner_pid: null,
  };
}

const progress = (job: number): WorkerEvent => ({
  kind: 'job_progress',
  job,
  state: 'running',
  pages_done: 1,
  pages_total: 2,
  pages_failed: 0,
  pages_per_s: 1,
  eta_s: 1,
  stage_rates: [],
});

describe('statuses', () => {
  it('maps 1-based stored pages to 0-based indexes; unknown statuses and bad entries mean not processed', () => {
    const map = statusMap([[1, 'done'], [3, 'failed'], [4, 'running'], [0, 'done'], ['2', 'done'], 'junk', [5]]);
    expect([...map.entries()]).toEqual([
      [0, 'done'],
      [2, 'failed'],
    ]);
    expect(statusMap(null).size).toBe(0);
    expect([0, 1, 2, 3].map((i) => pageStatus(map, i))).toEqual(['done', 'none', 'failed', 'none']);
    expect(pageStatus(null, 0)).toBeNull();
  });

  it('gives each status a badge and a text alternative', () => {
    expect(thumbLabel(0, 'done')).toBe('Page 1, processed');
    expect(thumbLabel(2, 'failed')).toBe('Page 3, failed');
    expect(thumbLabel(4, 'none')).toBe('Page 5, not processed');
    expect(thumbLabel(4, null)).toBe('Page 5');
    expect(statusText('none')).toBe('not processed');
    expect(new Set(['done', 'failed', 'none'].map((s) => statusSymbol(s as 'done')))).toHaveProperty('size', 3);
  });
});

describe('concernsDocument', () => {
  const jobs = [job(1, ['/docs/a.pdf']), job(2, ['/docs/b.pdf'], 'hash-a'), job(3, ['C:\\docs\\c.pdf'])];

  it("asks again on page events of a job on the document, or of a job the store does not list yet", () => {
    expect(concernsDocument(progress(1), doc, jobs)).toBe(true);
    expect(concernsDocument(progress(2), doc, jobs)).toBe(false);
    expect(concernsDocument(progress(9), doc, jobs)).toBe(true);
    expect(concernsDocument(progress(2), doc, null)).toBe(true);
    expect(concernsDocument({ kind: 'job_ended', job: 1, state: 'finished', pages_done: 1, pages_failed: 0, reason: null }, doc, jobs)).toBe(
      true,
    );
    // A copy with the same content, under another path.
    expect(concernsDocument(progress(2), { ...doc, hash: 'hash-a' }, jobs)).toBe(true);
    expect(concernsDocument(progress(3), { id: 3, path: 'C:/docs/c.pdf' }, jobs)).toBe(true);
  });

  it('matches a page failure by its document path, and ignores other events', () => {
    expect(concernsDocument({ kind: 'page_failed', job: 2, doc: '/docs/a.pdf', page: 1, error: 'x' }, doc, jobs)).toBe(true);
    expect(concernsDocument({ kind: 'page_failed', job: 2, doc: '/docs/b.pdf', page: 1, error: 'x' }, doc, jobs)).toBe(false);
    expect(concernsDocument({ kind: 'job_queued', job: 1, pages: 1 }, doc, jobs)).toBe(false);
    expect(concernsDocument({ kind: 'job_started', job: 1 }, doc, jobs)).toBe(false);
  });
});

describe('createPageStatusFeed', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  function setup(load: (id: number) => Promise<unknown>) {
    const changes: (StatusMap | null)[] = [];
    const errors: string[] = [];
    const feed = createPageStatusFeed({ load, onChange: (m) => changes.push(m), onError: (e) => errors.push(e), delayMs: 100 });
    return { feed, changes, errors };
  }

  it('asks at once for a new document, drops the old one, and asks again on its page events (coalesced)', async () => {
    const load = vi.fn(async (id: number) => [[1, id === 1 ? 'done' : 'failed']]);
    const { feed, changes } = setup(load);
    feed.setDoc(doc);
    await vi.advanceTimersByTimeAsync(0);
    expect(changes.map((m) => (m ? [...m] : null))).toEqual([null, [[0, 'done']]]);
    // The same document again (a new library snapshot): nothing is asked.
    feed.setDoc({ ...doc });
    expect(load).toHaveBeenCalledTimes(1);
    feed.onEvent(progress(1), [job(1, ['/docs/a.pdf'])]);
    feed.onEvent(progress(1), [job(1, ['/docs/a.pdf'])]);
    feed.onEvent(progress(2), [job(2, ['/docs/b.pdf'])]);
    await vi.advanceTimersByTimeAsync(100);
    expect(load).toHaveBeenCalledTimes(2);
    feed.setDoc({ id: 2, path: '/docs/b.pdf' });
    await vi.advanceTimersByTimeAsync(0);
    expect(load).toHaveBeenLastCalledWith(2);
    expect(changes.at(-2)).toBeNull();
    expect([...(changes.at(-1) ?? [])]).toEqual([[0, 'failed']]);
  });

  it('drops an answer for a document no longer shown, and reports an error once', async () => {
    let resolveFirst: (v: unknown) => void = () => undefined;
    const load = vi
      .fn<(id: number) => Promise<unknown>>()
      .mockImplementationOnce(() => new Promise((r) => (resolveFirst = r)))
      .mockRejectedValue('no store');
    const { feed, changes, errors } = setup(load);
    feed.setDoc(doc);
    feed.setDoc({ id: 2, path: '/b' });
    resolveFirst([[1, 'done']]);
    await vi.advanceTimersByTimeAsync(100);
    expect(changes).toEqual([null, null]);
    feed.onEvent(progress(5), null);
    await vi.advanceTimersByTimeAsync(100);
    expect(errors).toEqual(['Page statuses: no store']);
    feed.setDoc(null);
    feed.onEvent(progress(5), null);
    await vi.advanceTimersByTimeAsync(1000);
    expect(load).toHaveBeenCalledTimes(3);
  });
});
