// The jobs panel's list: the store's jobs (`store_jobs()`) with the live progress of this process's jobs
// (`worker-event`s) laid over them, and which buttons each row gets.
import { applyJobEvent, isActive, setState, type JobView } from './jobs';
import type { JobRecord, JobState, WorkerEvent } from './types';

let clock = 0;

/** A logical clock: what was learnt later has the larger stamp (live events vs. store snapshots). */
export function stamp(): number {
  return ++clock;
}

/** The last part of a path, for `/` and `\` separators alike. */
export function fileName(path: string): string {
  const parts = path.split(/[\\/]/).filter((p) => p.length > 0);
  return parts.length > 0 ? parts[parts.length - 1] : path;
}

/** "a.pdf, b.pdf" for a stored job's documents. */
export function documentNames(rec: Pick<JobRecord, 'spec'>): string {
  return (rec.spec?.documents ?? []).map((d) => fileName(d.path)).join(', ');
}

/** What the store said, and when it was asked (a `stamp()` taken before the request). */
export interface StoreSnapshot {
  jobs: readonly JobRecord[];
  /** Jobs left unfinished by an earlier process and not queued in this one. */
  unfinished: readonly JobRecord[];
  stamp: number;
}

/** This process's jobs as its events tell them, with when each was last updated. */
export interface LiveJobs {
  views: readonly JobView[];
  stamps: Readonly<Record<number, number>>;
}

export const NO_LIVE_JOBS: LiveJobs = { views: [], stamps: {} };

/** Worker events that change what the store holds about jobs. */
export function refreshesStore(ev: WorkerEvent): boolean {
  return ev.kind === 'job_queued' || ev.kind === 'job_started' || ev.kind === 'job_progress' || ev.kind === 'job_ended';
}

/** Apply a worker event. Events that carry a job's state or counts stamp it; a page failure only adds its text. */
export function applyLiveEvent(live: LiveJobs, ev: WorkerEvent, at: number = stamp()): LiveJobs {
  const views = applyJobEvent(live.views, ev);
  if (views === live.views) return live;
  const stamps = refreshesStore(ev) && 'job' in ev ? { ...live.stamps, [ev.job]: at } : live.stamps;
  return { views, stamps };
}

/** An optimistic state (pause/resume clicked), newer than any snapshot so far. */
export function setLiveState(live: LiveJobs, id: number, state: JobState, at: number = stamp()): LiveJobs {
  return { views: setState(live.views, id, state), stamps: { ...live.stamps, [id]: at } };
}

export type RowKind = 'live' | 'interrupted';

/** One row of the jobs panel. */
export interface JobRow extends JobView {
  /** `interrupted`: unfinished in the store but not queued in this process (resume or discard it). */
  kind: RowKind;
  /** Whether the store holds the job (its store buttons work). */
  stored: boolean;
  /** The job's documents' paths, from the store. */
  paths: string[];
  /** The store's pages for the whole job ("5/10"), where the row shows this run's pages instead. */
  jobPages: string | null;
}

function fromLive(v: JobView): JobRow {
  return { ...v, kind: 'live', stored: false, paths: [], jobPages: null };
}

function row(v: JobView | undefined, liveAt: number, rec: JobRecord, snap: StoreSnapshot, interrupted: boolean): JobRow {
  const liveFresher = v !== undefined && liveAt > snap.stamp;
  const state: JobState = v && liveFresher ? v.state : rec.state;
  const stored = {
    pagesDone: rec.pages_done,
    pagesTotal: rec.pages_total,
    pagesFailed: rec.pages_failed,
  };
  let counts = stored;
  if (v && isActive(state) && (v.state === 'running' || v.state === 'paused')) {
    // The running job's live progress (this run's pages: a resumed job runs only those it had left).
    counts = { pagesDone: v.pagesDone, pagesTotal: v.pagesTotal, pagesFailed: v.pagesFailed };
  } else if (v && liveFresher && !isActive(v.state) && v.pagesTotal === rec.pages_total) {
    // Just ended, before the store has been asked again.
    counts = { pagesDone: v.pagesDone, pagesTotal: v.pagesTotal, pagesFailed: v.pagesFailed };
  }
  const runOnly = counts !== stored && counts.pagesTotal !== stored.pagesTotal;
  const reason = isActive(state) ? null : (v?.reason ?? (state === 'failed' ? rec.error : null));
  return {
    id: rec.id,
    state,
    docId: v?.docId ?? null,
    docName: v?.docName ?? (documentNames(rec) || null),
    ...counts,
    pagesPerS: v?.pagesPerS ?? 0,
    etaS: v?.etaS ?? null,
    stageRates: v?.stageRates ?? [],
    routes: v?.routes ?? null,
    lastFailure: v?.lastFailure ?? null,
    reason,
    kind: interrupted && !liveFresher ? 'interrupted' : 'live',
    stored: true,
    paths: (rec.spec?.documents ?? []).map((d) => d.path),
    jobPages: runOnly ? `${stored.pagesDone}/${stored.pagesTotal}` : null,
  };
}

/**
 * The panel's rows: this process's unfinished jobs (the store's queue order, then those it does not show
 * yet, oldest first), then interrupted ones, then ended ones (those the store does not show as ended yet,
 * then the store's order). Without a snapshot, the live jobs as they are (newest first).
 */
export function mergeJobs(live: LiveJobs, snap: StoreSnapshot | null): JobRow[] {
  if (!snap) return live.views.map(fromLive);
  const byId = new Map(live.views.map((v) => [v.id, v]));
  const unfinished = new Set(snap.unfinished.map((j) => j.id));
  const storedIds = new Set<number>();
  const active: JobRow[] = [];
  const interrupted: JobRow[] = [];
  const ended: JobRow[] = [];
  const activeLate: JobRow[] = [];
  const endedEarly: JobRow[] = [];
  for (const rec of snap.jobs) {
    storedIds.add(rec.id);
    const r = row(byId.get(rec.id), live.stamps[rec.id] ?? 0, rec, snap, unfinished.has(rec.id));
    const storeActive = isActive(rec.state);
    if (r.kind === 'interrupted') interrupted.push(r);
    else if (isActive(r.state)) (storeActive ? active : activeLate).push(r);
    else (storeActive ? endedEarly : ended).push(r);
  }
  for (const v of live.views) {
    if (storedIds.has(v.id)) continue;
    const r = fromLive(v);
    if (isActive(r.state)) activeLate.push(r);
    else endedEarly.push(r);
  }
  // Live views are newest first: the queue's tail is the oldest of those not stored yet.
  const order = new Map(live.views.map((v, i) => [v.id, i]));
  activeLate.sort((a, b) => (order.get(b.id) ?? -1) - (order.get(a.id) ?? -1));
  endedEarly.sort((a, b) => (order.get(a.id) ?? Infinity) - (order.get(b.id) ?? Infinity));
  return [...active, ...activeLate, ...interrupted, ...endedEarly, ...ended];
}

/** The buttons a row shows; `moveUp`/`moveDown` say whether they can be used (shown with `move`). */
export interface RowActions {
  pause: boolean;
  resume: boolean;
  cancel: boolean;
  move: boolean;
  moveUp: boolean;
  moveDown: boolean;
  remove: boolean;
  requeue: boolean;
  discard: boolean;
  retry: boolean;
}

export function rowActions(r: JobRow, rows: readonly JobRow[], storeAvailable: boolean): RowActions {
  const none: RowActions = {
    pause: false,
    resume: false,
    cancel: false,
    move: false,
    moveUp: false,
    moveDown: false,
    remove: false,
    requeue: false,
    discard: false,
    retry: false,
  };
  if (r.kind === 'interrupted') return { ...none, requeue: storeAvailable, discard: storeAvailable };
  if (r.state === 'running') return { ...none, pause: true, cancel: true };
  if (r.state === 'paused') return { ...none, resume: true, cancel: true };
  if (r.state === 'queued') {
    if (!storeAvailable) return { ...none, cancel: true };
    const queued = rows.filter((x) => x.kind === 'live' && x.state === 'queued');
    const i = queued.findIndex((x) => x.id === r.id);
    return { ...none, move: true, moveUp: i > 0, moveDown: i >= 0 && i < queued.length - 1, remove: true };
  }
  const retry = storeAvailable && r.stored && (r.state === 'finished' || r.state === 'failed') && r.pagesFailed > 0;
  return { ...none, retry };
}

/** Rows to show: hidden ended rows left out, and ended rows beyond `endedLimit` counted in `more`. */
export function visibleRows(
  rows: readonly JobRow[],
  hidden: ReadonlySet<number>,
  endedLimit: number,
): { rows: JobRow[]; more: number } {
  const out: JobRow[] = [];
  let ended = 0;
  let more = 0;
  for (const r of rows) {
    const isEnded = r.kind === 'live' && !isActive(r.state);
    if (isEnded && hidden.has(r.id)) continue;
    if (isEnded && ended++ >= endedLimit) {
      more++;
      continue;
    }
    out.push(r);
  }
  return { rows: out, more };
}
