import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  concernsDocument,
  createPageStatusFeed,
  pageRouteAt,
  pageStatus,
  statusMap,
  statusSymbol,
  statusText,
  thumbLabel,
  type StatusMap,
} from './pageStatus';
import type { JobRecord, WorkerEvent } from './types';

const doc = { id: 1, path: '/docs/a.pdf' };

/** A `store_page_statuses()` entry. */
function stored(page: unknown, status: unknown, route: unknown = null, route_reason: unknown = null) {
  return { page, status, route, route_reason };
}

/** A status map as [index, status] pairs. */
const statuses = (m: StatusMap | null | undefined) => (m ? [...m].map(([i, e]) => [i, e.status]) : null);

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
    const map = statusMap([
      stored(1, 'done'),
      stored(3, 'failed'),
      stored(4, 'running'),
      stored(0, 'done'),
      stored('2', 'done'),
      stored(2.5, 'done'),
      'junk',
      [5, 'done'],
      { status: 'done' },
      null,
    ]);
    expect(statuses(map)).toEqual([
      [0, 'done'],
      [2, 'failed'],
    ]);
    expect(statusMap(null).size).toBe(0);
    expect(statusMap({ page: 1, status: 'done' }).size).toBe(0);
    expect([0, 1, 2, 3].map((i) => pageStatus(map, i))).toEqual(['done', 'none', 'failed', 'none']);
    expect(pageStatus(null, 0)).toBeNull();
  });

  it("keeps each page's route and reason; an unknown route or none is no route", () => {
    const map = statusMap([
      stored(1, 'done', 'text', '1424 characters in the text layer'),
      stored(2, 'done', 'ocr', 'no text layer; images cover 100% of the page'),
      stored(3, 'failed', 'mixed', null),
      stored(4, 'done'),
      stored(5, 'done', 'handwriting', 'x'),
    ]);
    expect(pageRouteAt(map, 0)).toEqual({ route: 'text', reason: '1424 characters in the text layer' });
    expect(pageRouteAt(map, 1)).toEqual({ route: 'ocr', reason: 'no text layer; images cover 100% of the page' });
    expect(pageRouteAt(map, 2)).toEqual({ route: 'mixed', reason: null });
    expect(pageRouteAt(map, 3)).toBeNull();
    expect(pageRouteAt(map, 4)).toBeNull();
    expect(pageStatus(map, 4)).toBe('done');
    expect(pageRouteAt(map, 9)).toBeNull();
    expect(pageRouteAt(null, 0)).toBeNull();
  });

  it('gives each status a badge and a text alternative, with the route where there is one', () => {
    expect(thumbLabel(0, 'done')).toBe('Page 1, processed');
    expect(thumbLabel(2, 'failed')).toBe('Page 3, failed');
    expect(thumbLabel(4, 'none')).toBe('Page 5, not processed');
    expect(thumbLabel(4, null)).toBe('Page 5');
    expect(thumbLabel(0, 'done', { route: 'text', reason: '1424 characters in the text layer' })).toBe(
      'Page 1, processed, Text layer — 1424 characters in the text layer',
    );
    expect(thumbLabel(1, 'done', { route: 'mixed', reason: null })).toBe('Page 2, processed, Text layer + OCR');
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
    const load = vi.fn(async (id: number) => [stored(1, id === 1 ? 'done' : 'failed', 'text', 'a text layer')]);
    const { feed, changes } = setup(load);
    feed.setDoc(doc);
    await vi.advanceTimersByTimeAsync(0);
    expect(changes.map(statuses)).toEqual([null, [[0, 'done']]]);
    expect(pageRouteAt(changes[1], 0)).toEqual({ route: 'text', reason: 'a text layer' });
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
    expect(statuses(changes.at(-1))).toEqual([[0, 'failed']]);
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
    resolveFirst([stored(1, 'done')]);
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
