// Job list state from `worker-event`s, notices, and the jobs panel's formatting.
import { formatMB } from './format';
import { routeCounts } from './route';
import type { JobState, RouteCounts, WorkerEvent } from './types';

export interface JobView {
  id: number;
  state: JobState;
  docId: number | null;
  docName: string | null;
  pagesDone: number;
  pagesTotal: number;
  /** Pages that went through but failed (a part of `pagesDone`). */
  pagesFailed: number;
  pagesPerS: number;
  etaS: number | null;
  stageRates: [string, number][];
  /** Pages so far per route (where their text came from) in this run; null until a progress event says. */
  routes: RouteCounts | null;
  /** The latest page failure, "page 3: ocr: …". */
  lastFailure: string | null;
  /** Why the job ended `failed`. */
  reason: string | null;
}

export function isActive(state: JobState): boolean {
  return state === 'queued' || state === 'running' || state === 'paused';
}

function blank(id: number): JobView {
  return {
    id,
    state: 'queued',
    docId: null,
    docName: null,
    pagesDone: 0,
    pagesTotal: 0,
    pagesFailed: 0,
    pagesPerS: 0,
    etaS: null,
    stageRates: [],
    routes: null,
    lastFailure: null,
    reason: null,
  };
}

function num(v: unknown, fallback = 0): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : fallback;
}

function update(jobs: readonly JobView[], id: number, fn: (j: JobView) => JobView): JobView[] {
  const i = jobs.findIndex((j) => j.id === id);
  if (i < 0) return [fn(blank(id)), ...jobs];
  const next = jobs.slice();
  next[i] = fn(jobs[i]);
  return next;
}

/** A job the UI just submitted (events about it may already have arrived). */
export function addSubmitted(
  jobs: readonly JobView[],
  id: number,
  docId: number,
  docName: string,
  pagesTotal: number,
): JobView[] {
  return update(jobs, id, (j) => ({ ...j, docId, docName, pagesTotal: j.pagesTotal || pagesTotal }));
}

/** Apply a worker event; returns the same array when the event is not about a job. Newest job first. */
export function applyJobEvent(jobs: readonly JobView[], ev: WorkerEvent): readonly JobView[] {
  switch (ev.kind) {
    case 'job_queued':
      // A resumed or retried job is queued again under its id: an ended view starts over (this run's pages).
      return update(jobs, ev.job, (j) =>
        isActive(j.state)
          ? { ...j, pagesTotal: num(ev.pages, j.pagesTotal) }
          : { ...blank(j.id), docId: j.docId, docName: j.docName, pagesTotal: num(ev.pages) },
      );
    case 'job_started':
      return update(jobs, ev.job, (j) => (isActive(j.state) ? { ...j, state: 'running' } : j));
    case 'job_progress':
      return update(jobs, ev.job, (j) => {
        // A late progress event must not revive an ended job.
        const state = isActive(j.state) ? ev.state : j.state;
        return {
          ...j,
          state,
          pagesDone: Math.max(j.pagesDone, num(ev.pages_done)),
          pagesTotal: num(ev.pages_total, j.pagesTotal),
          pagesFailed: num(ev.pages_failed, j.pagesFailed),
          pagesPerS: num(ev.pages_per_s),
          etaS: typeof ev.eta_s === 'number' && Number.isFinite(ev.eta_s) ? ev.eta_s : null,
          stageRates: Array.isArray(ev.stage_rates) ? ev.stage_rates : j.stageRates,
          routes: routeCounts(ev.routes) ?? j.routes,
        };
      });
    case 'job_ended':
      return update(jobs, ev.job, (j) => ({
        ...j,
        state: ev.state,
        pagesDone: Math.max(j.pagesDone, num(ev.pages_done)),
        pagesFailed: Math.max(j.pagesFailed, num(ev.pages_failed)),
        reason: typeof ev.reason === 'string' ? ev.reason : null,
        etaS: null,
      }));
    case 'page_failed':
      // The count comes with the next progress event; the failure itself is shown now.
      return update(jobs, ev.job, (j) => ({ ...j, lastFailure: `page ${ev.page}: ${ev.error}` }));
    default:
      return jobs;
  }
}

/** Optimistic state after a pause / resume / cancel click (events confirm it). */
export function setState(jobs: readonly JobView[], id: number, state: JobState): JobView[] {
  return jobs.map((j) => (j.id === id && isActive(j.state) ? { ...j, state } : j));
}

/** Drop ended jobs. */
export function clearEnded(jobs: readonly JobView[]): JobView[] {
  return jobs.filter((j) => isActive(j.state));
}

/** 0..1; failed pages are among the pages done. */
export function progressFraction(j: Pick<JobView, 'pagesDone' | 'pagesTotal'>): number {
  if (!(j.pagesTotal > 0)) return 0;
  return Math.min(1, Math.max(0, j.pagesDone / j.pagesTotal));
}

/** "3/10" */
export function formatPages(j: Pick<JobView, 'pagesDone' | 'pagesTotal'>): string {
  return `${j.pagesDone}/${j.pagesTotal}`;
}

/** "1.25 p/s", "12.3 p/s", "–" */
export function formatRate(pagesPerS: number): string {
  if (!Number.isFinite(pagesPerS) || pagesPerS <= 0) return '–';
  if (pagesPerS < 10) return `${pagesPerS.toFixed(2)} p/s`;
  return `${pagesPerS.toFixed(1)} p/s`;
}

/** "0:42", "12:05", "1:02:03", "–" */
export function formatEta(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds) || seconds < 0) return '–';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  const ss = r.toString().padStart(2, '0');
  return h > 0 ? `${h}:${m.toString().padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** "ocr 2.10 · layout 5.00" */
export function formatStageRates(rates: readonly [string, number][]): string {
  return rates
    .filter(([, r]) => Number.isFinite(r) && r > 0)
    .map(([s, r]) => `${s} ${r < 10 ? r.toFixed(2) : r.toFixed(1)}`)
    .join(' · ');
}

export interface Notice {
  id: number;
  level: 'warn' | 'error';
  text: string;
}

/** A notice for events the user should see without being interrupted (page failures, leak warnings). */
export function noticeText(ev: WorkerEvent): { level: Notice['level']; text: string } | null {
  switch (ev.kind) {
    case 'page_failed':
      return { level: 'error', text: `Job ${ev.job}: ${ev.doc} page ${ev.page} failed: ${ev.error}` };
    case 'leak_warning': {
      const slope = Number.isFinite(ev.slope_bytes_per_page) ? formatMB(ev.slope_bytes_per_page) : '?';
      const suspect = ev.suspect_stage ? ` Suspect stage: ${ev.suspect_stage}.` : '';
      return { level: 'warn', text: `Memory keeps rising: +${slope} per page at page ${ev.page}.${suspect}` };
    }
    default:
      return null;
  }
}

/** Append a notice, keeping the newest `max`. */
export function pushNotice(list: readonly Notice[], notice: Notice, max = 20): Notice[] {
  const next = [...list, notice];
  return next.length > max ? next.slice(next.length - max) : next;
}
