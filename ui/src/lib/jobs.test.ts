import { describe, expect, it } from 'vitest';
import {
  addSubmitted,
  applyJobEvent,
  clearEnded,
  formatEta,
  formatPages,
  formatRate,
  formatStageRates,
  isActive,
  noticeText,
  progressFraction,
  pushNotice,
  setState,
  type JobView,
} from './jobs';
import type { WorkerEvent } from './types';

function progress(over: Partial<Extract<WorkerEvent, { kind: 'job_progress' }>> = {}): WorkerEvent {
  return {
    kind: 'job_progress',
    job: 1,
    state: 'running',
    pages_done: 3,
    pages_total: 10,
    pages_failed: 0,
    pages_per_s: 1.5,
    eta_s: 4.7,
    stage_rates: [['ocr', 2]],
    ...over,
  };
}

describe('applyJobEvent', () => {
  it('follows a job from queued to finished', () => {
    let jobs: readonly JobView[] = [];
    jobs = applyJobEvent(jobs, { kind: 'job_queued', job: 1, pages: 10 });
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({ id: 1, state: 'queued', pagesTotal: 10 });
    jobs = applyJobEvent(jobs, { kind: 'job_started', job: 1 });
    expect(jobs[0].state).toBe('running');
    jobs = applyJobEvent(jobs, progress());
    expect(jobs[0]).toMatchObject({ pagesDone: 3, pagesTotal: 10, pagesPerS: 1.5, etaS: 4.7, stageRates: [['ocr', 2]] });
    jobs = applyJobEvent(jobs, progress({ state: 'paused', eta_s: null }));
    expect(jobs[0]).toMatchObject({ state: 'paused', etaS: null });
    jobs = applyJobEvent(jobs, { kind: 'job_ended', job: 1, state: 'finished', pages_done: 10, pages_failed: 0, reason: null });
    expect(jobs[0]).toMatchObject({ state: 'finished', pagesDone: 10 });
  });

  it('keeps page failures and a failed job with its reason', () => {
    let jobs = applyJobEvent([], { kind: 'job_started', job: 4 });
    jobs = applyJobEvent(jobs, { kind: 'page_failed', job: 4, doc: 'a.pdf', page: 2, error: 'ocr: the model failed' });
    expect(jobs[0]).toMatchObject({ lastFailure: 'page 2: ocr: the model failed' });
    jobs = applyJobEvent(jobs, progress({ job: 4, pages_done: 3, pages_failed: 1 }));
    expect(jobs[0]).toMatchObject({ pagesDone: 3, pagesFailed: 1 });
    jobs = applyJobEvent(jobs, {
      kind: 'job_ended',
      job: 4,
      state: 'failed',
      pages_done: 3,
      pages_failed: 3,
      reason: 'the job cannot go on: layout.onnx is missing',
    });
    expect(jobs[0]).toMatchObject({ state: 'failed', pagesFailed: 3, reason: 'the job cannot go on: layout.onnx is missing' });
    expect(isActive('failed')).toBe(false);
  });

  it('a late progress event does not revive an ended job nor lower pages done', () => {
    let jobs = applyJobEvent([], { kind: 'job_ended', job: 2, state: 'cancelled', pages_done: 5, pages_failed: 0, reason: null });
    jobs = applyJobEvent(jobs, progress({ job: 2, pages_done: 4 }));
    expect(jobs[0]).toMatchObject({ state: 'cancelled', pagesDone: 5 });
  });

  it("counts a job's pages per route from its progress, and starts over when it is queued again", () => {
    let jobs = applyJobEvent([], { kind: 'job_started', job: 5 });
    expect(jobs[0].routes).toBeNull();
    jobs = applyJobEvent(jobs, progress({ job: 5, routes: { text: 40, ocr: 3, mixed: 1 } }));
    expect(jobs[0].routes).toEqual({ text: 40, ocr: 3, mixed: 1 });
    // An event without routes (an older back end) keeps the last counts.
    jobs = applyJobEvent(jobs, progress({ job: 5 }));
    expect(jobs[0].routes).toEqual({ text: 40, ocr: 3, mixed: 1 });
    jobs = applyJobEvent(jobs, { kind: 'job_ended', job: 5, state: 'finished', pages_done: 44, pages_failed: 0, reason: null });
    expect(jobs[0].routes).toEqual({ text: 40, ocr: 3, mixed: 1 });
    jobs = applyJobEvent(jobs, { kind: 'job_queued', job: 5, pages: 2 });
    expect(jobs[0].routes).toBeNull();
  });

  it('puts new jobs first and ignores unrelated events', () => {
    let jobs = applyJobEvent([], { kind: 'job_queued', job: 1, pages: 1 });
    jobs = applyJobEvent(jobs, { kind: 'job_queued', job: 2, pages: 1 });
    expect(jobs.map((j) => j.id)).toEqual([2, 1]);
    expect(applyJobEvent(jobs, { kind: 'model_loaded', model: 'x', bytes: 1, ms: 1 })).toBe(jobs);
  });

  it('merges the submit reply with events that came first', () => {
    let jobs = applyJobEvent([], { kind: 'job_started', job: 7 });
    jobs = addSubmitted(jobs, 7, 3, 'a.pdf', 12);
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({ id: 7, docId: 3, docName: 'a.pdf', pagesTotal: 12, state: 'running' });
  });

  it('sets states optimistically only on active jobs, and clears ended ones', () => {
    let jobs = applyJobEvent([], { kind: 'job_started', job: 1 });
    jobs = applyJobEvent(jobs, { kind: 'job_ended', job: 2, state: 'finished', pages_done: 1, pages_failed: 0, reason: null });
    jobs = setState(jobs, 1, 'paused');
    jobs = setState(jobs, 2, 'paused');
    expect(jobs.map((j) => j.state)).toEqual(['finished', 'paused']);
    expect(clearEnded(jobs).map((j) => j.id)).toEqual([1]);
    expect(isActive('queued')).toBe(true);
    expect(isActive('cancelled')).toBe(false);
  });
});

describe('formatting', () => {
  it('formats pages, fractions, rates and ETAs', () => {
    expect(formatPages({ pagesDone: 3, pagesTotal: 10 })).toBe('3/10');
    // Failed pages are among the pages done: counted once.
    expect(progressFraction({ pagesDone: 3, pagesTotal: 10 })).toBeCloseTo(0.3);
    expect(progressFraction({ pagesDone: 3, pagesTotal: 0 })).toBe(0);
    expect(progressFraction({ pagesDone: 30, pagesTotal: 10 })).toBe(1);
    expect(formatRate(1.234)).toBe('1.23 p/s');
    expect(formatRate(12.34)).toBe('12.3 p/s');
    expect(formatRate(0)).toBe('–');
    expect(formatEta(null)).toBe('–');
    expect(formatEta(42.4)).toBe('0:42');
    expect(formatEta(725)).toBe('12:05');
    expect(formatEta(3723)).toBe('1:02:03');
    expect(formatEta(-1)).toBe('–');
    expect(formatStageRates([['ocr', 2.1], ['layout', 15], ['table', 0]])).toBe('ocr 2.10 · layout 15.0');
  });
});

describe('notices', () => {
  it('turns page failures and leak warnings into notices', () => {
    expect(noticeText({ kind: 'page_failed', job: 1, doc: 'a.pdf', page: 2, error: 'boom' })).toEqual({
      level: 'error',
      text: 'Job 1: a.pdf page 2 failed: boom',
    });
    expect(
      noticeText({ kind: 'leak_warning', page: 50, slope_bytes_per_page: 1 << 20, suspect_stage: 'embed' })?.level,
    ).toBe('warn');
    expect(noticeText({ kind: 'job_started', job: 1 })).toBeNull();
  });

  it('keeps the newest notices', () => {
    let list: { id: number; level: 'warn'; text: string }[] = [];
    for (let i = 0; i < 5; i++) list = pushNotice(list, { id: i, level: 'warn', text: '' }, 3) as typeof list;
    expect(list.map((n) => n.id)).toEqual([2, 3, 4]);
  });
});

describe('a job queued again', () => {
  it('starts its ended view over under the same id (a resumed or retried job)', () => {
    let jobs: readonly JobView[] = addSubmitted([], 3, 9, 'a.pdf', 10);
    jobs = applyJobEvent(jobs, { kind: 'job_ended', job: 3, state: 'failed', pages_done: 10, pages_failed: 4, reason: 'x' });
    jobs = applyJobEvent(jobs, { kind: 'job_queued', job: 3, pages: 4 });
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({ id: 3, state: 'queued', docId: 9, docName: 'a.pdf', pagesTotal: 4, pagesDone: 0, pagesFailed: 0, reason: null });
    jobs = applyJobEvent(jobs, { kind: 'job_started', job: 3 });
    jobs = applyJobEvent(jobs, progress({ job: 3, pages_done: 1, pages_total: 4 }));
    expect(jobs[0]).toMatchObject({ state: 'running', pagesDone: 1, pagesTotal: 4 });
  });
});
