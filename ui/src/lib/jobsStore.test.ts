import { describe, expect, it } from 'vitest';
import { addSubmitted, type JobView } from './jobs';
import {
  applyLiveEvent,
  documentNames,
  fileName,
  mergeJobs,
  NO_LIVE_JOBS,
  refreshesStore,
  rowActions,
  setLiveState,
  stamp,
  visibleRows,
  type JobRow,
  type LiveJobs,
  type StoreSnapshot,
} from './jobsStore';
import type { JobRecord, RouteCounts, WorkerEvent } from './types';

function rec(id: number, over: Partial<JobRecord> = {}): JobRecord {
  return {
    id,
    state: 'finished',
    spec: { documents: [{ path: `/docs/doc${id}.pdf`, hash: `h${id}` }], pages: null, stages: ['ocr'], dpi: 150 },
    position: id,
    pages_total: 10,
    pages_done: 10,
    pages_failed: 0,
    created_at: '2026-12-01 10:00:00',
    started_at: null,
    finished_at: null,
    error: null,
    owner_pid: null,
    ...over,
  };
}

function snap(jobs: JobRecord[], at: number, unfinished: JobRecord[] = []): StoreSnapshot {
  return { jobs, unfinished, stamp: at };
}

function progress(job: number, done: number, total: number, failed = 0, routes?: RouteCounts): WorkerEvent {
  return {
    kind: 'job_progress',
    job,
    state: 'running',
    pages_done: done,
    pages_total: total,
    pages_failed: failed,
    pages_per_s: 2,
    eta_s: 3,
    stage_rates: [['ocr', 2]],
    ...(routes ? { routes } : {}),
  };
}

function feed(live: LiveJobs, events: WorkerEvent[]): LiveJobs {
  return events.reduce((l, ev) => applyLiveEvent(l, ev), live);
}

const ids = (rows: JobRow[]) => rows.map((r) => r.id);

describe('file names', () => {
  it('takes the last part of Unix and Windows paths', () => {
    expect(fileName('/home/a/report.pdf')).toBe('report.pdf');
    expect(fileName('C:\\Users\\a\\scan.png')).toBe('scan.png');
    expect(fileName('/home/a/pages/')).toBe('pages');
    expect(fileName('plain.pdf')).toBe('plain.pdf');
    const two = rec(1, { spec: { ...rec(1).spec, documents: [{ path: '/a/x.pdf', hash: '1' }, { path: 'C:\\b\\y.pdf', hash: '2' }] } });
    expect(documentNames(two)).toBe('x.pdf, y.pdf');
  });
});

describe('live jobs', () => {
  it('stamps a job on events with its state or counts, not on a page failure or other events', () => {
    const s0 = stamp();
    let live = applyLiveEvent(NO_LIVE_JOBS, { kind: 'job_started', job: 3 });
    const s1 = live.stamps[3];
    expect(s1).toBeGreaterThan(s0);
    live = applyLiveEvent(live, { kind: 'page_failed', job: 3, doc: '/a.pdf', page: 1, error: 'x' });
    expect(live.stamps[3]).toBe(s1);
    expect(live.views[0].lastFailure).toBe('page 1: x');
    const same = applyLiveEvent(live, { kind: 'model_loaded', model: 'ocr', bytes: 1, ms: 1 });
    expect(same).toBe(live);
    live = setLiveState(live, 3, 'paused');
    expect(live.stamps[3]).toBeGreaterThan(s1);
    expect(live.views[0].state).toBe('paused');
  });

  it('refreshes the store on job events only', () => {
    expect(refreshesStore({ kind: 'job_queued', job: 1, pages: 2 })).toBe(true);
    expect(refreshesStore(progress(1, 1, 2))).toBe(true);
    expect(refreshesStore({ kind: 'job_ended', job: 1, state: 'finished', pages_done: 1, pages_failed: 0, reason: null })).toBe(true);
    expect(refreshesStore({ kind: 'page_failed', job: 1, doc: 'a', page: 1, error: 'x' })).toBe(false);
    expect(refreshesStore({ kind: 'batch_size_changed', stage: 'ocr', size: 2, reason: '' })).toBe(false);
  });
});

describe('mergeJobs', () => {
  it('shows the live jobs as they are without a store snapshot', () => {
    const live = feed(NO_LIVE_JOBS, [{ kind: 'job_queued', job: 1, pages: 3 }, { kind: 'job_queued', job: 2, pages: 3 }]);
    const rows = mergeJobs(live, null);
    expect(ids(rows)).toEqual([2, 1]);
    expect(rows.every((r) => r.kind === 'live' && !r.stored)).toBe(true);
  });

  it('orders queued jobs, then interrupted ones, then ended ones', () => {
    const live = feed(NO_LIVE_JOBS, [
      { kind: 'job_queued', job: 5, pages: 4 },
      { kind: 'job_started', job: 5 },
      { kind: 'job_queued', job: 6, pages: 4 },
      { kind: 'job_queued', job: 9, pages: 2 }, // not in the snapshot yet
      { kind: 'job_queued', job: 10, pages: 2 }, // not in the snapshot yet
    ]);
    const at = stamp();
    const s = snap(
      [
        rec(5, { state: 'running', position: 1, pages_total: 4, pages_done: 0 }),
        rec(6, { state: 'queued', position: 2, pages_total: 4, pages_done: 0 }),
        rec(2, { state: 'running', position: 3, owner_pid: 999 }),
        rec(8, { state: 'finished' }),
        rec(7, { state: 'failed', error: 'boom' }),
      ],
      at,
      [rec(2, { state: 'running', position: 3 })],
    );
    const rows = mergeJobs(live, s);
    expect(ids(rows)).toEqual([5, 6, 9, 10, 2, 8, 7]);
    expect(rows.find((r) => r.id === 2)?.kind).toBe('interrupted');
    expect(rows.find((r) => r.id === 9)?.stored).toBe(false);
    expect(rows.find((r) => r.id === 8)?.docName).toBe('doc8.pdf');
    expect(rows.find((r) => r.id === 8)?.paths).toEqual(['/docs/doc8.pdf']);
  });

  it('takes the state from whichever was learnt later: the snapshot or the events', () => {
    let live = feed(NO_LIVE_JOBS, [{ kind: 'job_queued', job: 1, pages: 10 }]);
    // The store was asked after the event: it says the job has started.
    const later = snap([rec(1, { state: 'running', pages_done: 0 })], stamp());
    expect(mergeJobs(live, later)[0].state).toBe('running');
    // An event after the snapshot wins.
    live = applyLiveEvent(live, { kind: 'job_ended', job: 1, state: 'cancelled', pages_done: 0, pages_failed: 0, reason: null });
    expect(mergeJobs(live, later)[0].state).toBe('cancelled');
  });

  it("shows the running job's live progress, and a resumed job's run beside the whole job's pages", () => {
    // Job 4 was resumed with the 6 pages it had left; 2 of them are done in this run.
    const live = feed(NO_LIVE_JOBS, [{ kind: 'job_queued', job: 4, pages: 6 }, { kind: 'job_started', job: 4 }, progress(4, 2, 6, 1)]);
    const s = snap([rec(4, { state: 'running', pages_total: 10, pages_done: 6, pages_failed: 1 })], stamp());
    const [row] = mergeJobs(live, s);
    expect(row).toMatchObject({ state: 'running', pagesDone: 2, pagesTotal: 6, pagesFailed: 1, pagesPerS: 2, etaS: 3 });
    expect(row.jobPages).toBe('6/10');
    expect(row.stageRates).toEqual([['ocr', 2]]);
    expect(row.routes).toBeNull();
  });

  it("shows a job's pages per route from its live progress; a stored job alone has none", () => {
    const live = feed(NO_LIVE_JOBS, [{ kind: 'job_started', job: 6 }, progress(6, 4, 10, 0, { text: 3, ocr: 1, mixed: 0 })]);
    const s = snap([rec(6, { state: 'running', pages_total: 10, pages_done: 4 }), rec(7, { state: 'finished' })], stamp());
    const rows = mergeJobs(live, s);
    expect(rows.find((r) => r.id === 6)?.routes).toEqual({ text: 3, ocr: 1, mixed: 0 });
    expect(rows.find((r) => r.id === 7)?.routes).toBeNull();
  });

  it("uses the job_ended counts until the store has caught up, then the store's", () => {
    const before = stamp();
    const stale = snap([rec(3, { state: 'running', pages_total: 3, pages_done: 2, pages_failed: 1 })], before);
    let live = feed(NO_LIVE_JOBS, [
      { kind: 'job_started', job: 3 },
      progress(3, 3, 3, 1),
      { kind: 'job_ended', job: 3, state: 'finished', pages_done: 3, pages_failed: 1, reason: null },
    ]);
    live = applyLiveEvent(live, { kind: 'page_failed', job: 3, doc: '/d', page: 2, error: 'page2.png: bad' });
    const [row] = mergeJobs(live, stale);
    expect(row).toMatchObject({ state: 'finished', pagesDone: 3, pagesTotal: 3, pagesFailed: 1, lastFailure: 'page 2: page2.png: bad' });
    expect(row.jobPages).toBeNull();
    const fresh = snap([rec(3, { state: 'finished', pages_total: 3, pages_done: 3, pages_failed: 1 })], stamp());
    expect(mergeJobs(live, fresh)[0]).toMatchObject({ state: 'finished', pagesDone: 3, pagesFailed: 1, stored: true });
  });

  it("uses the store's counts for a queued or ended job", () => {
    // A retried job: its earlier run's view ended at 10/10 with 4 failed; the store has it queued again.
    let live = feed(NO_LIVE_JOBS, [{ kind: 'job_ended', job: 2, state: 'finished', pages_done: 10, pages_failed: 4, reason: null }]);
    live = { ...live, views: addSubmitted(live.views, 2, 7, 'mine.pdf', 10) };
    const s = snap([rec(2, { state: 'queued', pages_total: 10, pages_done: 10, pages_failed: 4 })], stamp());
    const [row] = mergeJobs(live, s);
    expect(row).toMatchObject({ state: 'queued', pagesDone: 10, pagesFailed: 4, docName: 'mine.pdf', docId: 7, reason: null });
  });

  it("shows a failed job's error from the store, or the reason its events gave", () => {
    const s = snap([rec(1, { state: 'failed', error: 'layout.onnx is missing' }), rec(2, { state: 'cancelled', error: 'ignored' })], stamp());
    const rows = mergeJobs(NO_LIVE_JOBS, s);
    expect(rows.map((r) => r.reason)).toEqual(['layout.onnx is missing', null]);
    const live = feed(NO_LIVE_JOBS, [
      { kind: 'job_ended', job: 1, state: 'failed', pages_done: 1, pages_failed: 1, reason: 'the job cannot go on: x' },
    ]);
    expect(mergeJobs(live, s)[0].reason).toBe('the job cannot go on: x');
  });

  it('an interrupted job resumed in this process becomes a live one', () => {
    const s = snap([rec(2, { state: 'running', pages_done: 4 })], stamp(), [rec(2, { state: 'running' })]);
    expect(mergeJobs(NO_LIVE_JOBS, s)[0].kind).toBe('interrupted');
    const live = feed(NO_LIVE_JOBS, [{ kind: 'job_queued', job: 2, pages: 6 }]);
    expect(mergeJobs(live, s)[0]).toMatchObject({ kind: 'live', state: 'queued' });
  });
});

describe('rowActions', () => {
  const base: JobView = {
    id: 0,
    state: 'queued',
    docId: null,
    docName: null,
    pagesDone: 0,
    pagesTotal: 1,
    pagesFailed: 0,
    pagesPerS: 0,
    etaS: null,
    stageRates: [],
    routes: null,
    lastFailure: null,
    reason: null,
  };
  const r = (id: number, over: Partial<JobRow> = {}): JobRow => ({ ...base, id, kind: 'live', stored: true, paths: [], jobPages: null, ...over });
  const on = (a: object) => Object.entries(a).filter(([, v]) => v).map(([k]) => k);

  it('gives the running and paused job pause, resume and cancel', () => {
    expect(on(rowActions(r(1, { state: 'running' }), [], true))).toEqual(['pause', 'cancel']);
    expect(on(rowActions(r(1, { state: 'paused' }), [], true))).toEqual(['resume', 'cancel']);
  });

  it('lets queued jobs move within the queue and be removed', () => {
    const rows = [r(1, { state: 'running' }), r(2), r(3), r(4)];
    expect(on(rowActions(rows[1], rows, true))).toEqual(['move', 'moveDown', 'remove']);
    expect(on(rowActions(rows[2], rows, true))).toEqual(['move', 'moveUp', 'moveDown', 'remove']);
    expect(on(rowActions(rows[3], rows, true))).toEqual(['move', 'moveUp', 'remove']);
    // Without the store, a queued job can only be cancelled.
    expect(on(rowActions(rows[1], rows, false))).toEqual(['cancel']);
  });

  it('offers resume and discard for interrupted jobs, and a retry of failed pages for ended ones', () => {
    expect(on(rowActions(r(1, { kind: 'interrupted', state: 'running' }), [], true))).toEqual(['requeue', 'discard']);
    expect(on(rowActions(r(1, { state: 'finished', pagesFailed: 2 }), [], true))).toEqual(['retry']);
    expect(on(rowActions(r(1, { state: 'failed', pagesFailed: 1 }), [], true))).toEqual(['retry']);
    expect(on(rowActions(r(1, { state: 'finished', pagesFailed: 0 }), [], true))).toEqual([]);
    expect(on(rowActions(r(1, { state: 'cancelled', pagesFailed: 2 }), [], true))).toEqual([]);
    expect(on(rowActions(r(1, { state: 'finished', pagesFailed: 2, stored: false }), [], true))).toEqual([]);
  });
});

describe('visibleRows', () => {
  const row = (id: number, state: JobRow['state'], kind: JobRow['kind'] = 'live') =>
    ({ id, state, kind }) as JobRow;

  it('leaves out cleared ended jobs, never unfinished ones, and counts ended ones past the limit', () => {
    const rows = [row(1, 'running'), row(2, 'queued', 'interrupted'), row(3, 'finished'), row(4, 'failed'), row(5, 'cancelled')];
    expect(visibleRows(rows, new Set([1, 2, 3]), 10)).toEqual({ rows: [rows[0], rows[1], rows[3], rows[4]], more: 0 });
    expect(visibleRows(rows, new Set(), 1)).toEqual({ rows: [rows[0], rows[1], rows[2]], more: 2 });
  });
});
