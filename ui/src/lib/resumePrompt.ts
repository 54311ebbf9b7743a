// The start-up prompt for jobs an earlier run left unfinished: its rows, what resuming or discarding them
// came to, and keyboard focus that stays inside it.
import { formatPages } from './jobs';
import { documentNames } from './jobsStore';
import type { BannerError, JobRecord, JobState, Requeued } from './types';

export interface PromptRow {
  id: number;
  /** "a.pdf, b.pdf" */
  names: string;
  /** Full paths, for a tooltip. */
  paths: string[];
  /** "3/10" (failed pages among those done). */
  pages: string;
  pagesFailed: number;
  state: JobState;
  /** Why it could not be resumed, once tried. */
  error: string | null;
}

export interface PromptState {
  rows: PromptRow[];
  errors: BannerError[];
  nextErrorId: number;
}

/** The rows in queue order (position, then id), each job once. */
export function promptRows(jobs: readonly JobRecord[]): PromptRow[] {
  const seen = new Set<number>();
  return [...jobs]
    .sort((a, b) => a.position - b.position || a.id - b.id)
    .filter((j) => !seen.has(j.id) && seen.add(j.id))
    .map((j) => ({
      id: j.id,
      names: documentNames(j) || `Job ${j.id}`,
      paths: (j.spec?.documents ?? []).map((d) => d.path),
      pages: formatPages({ pagesDone: j.pages_done, pagesTotal: j.pages_total }),
      pagesFailed: j.pages_failed,
      state: j.state,
      error: null,
    }));
}

export function initialPrompt(jobs: readonly JobRecord[]): PromptState {
  return { rows: promptRows(jobs), errors: [], nextErrorId: 1 };
}

function addError(state: PromptState, message: string): PromptState {
  if (state.errors.some((e) => e.message === message)) return state;
  return { ...state, errors: [...state.errors, { id: state.nextErrorId, message }], nextErrorId: state.nextErrorId + 1 };
}

/**
 * After `store_resume`: a job queued again leaves the prompt; one that could not be keeps its row with the
 * reason, also listed in the prompt's errors. After "Resume all" (`all`), a row the reply does not mention
 * is no longer waiting and leaves too.
 */
export function afterResume(state: PromptState, results: readonly Requeued[], all: boolean): PromptState {
  const byId = new Map(results.map((r) => [r.job, r]));
  let next: PromptState = { ...state, rows: [] };
  for (const row of state.rows) {
    const r = byId.get(row.id);
    if (!r) {
      if (!all) next.rows.push(row);
      continue;
    }
    if (r.error) {
      next.rows.push({ ...row, error: r.error });
      next = addError(next, `Job ${row.id} (${row.names}) cannot be resumed: ${r.error}`);
    }
  }
  return next;
}

/** After `store_discard`: the row leaves when the job was dropped; otherwise it stays, with an error. */
export function afterDiscard(state: PromptState, id: number, dropped: boolean): PromptState {
  if (dropped) return { ...state, rows: state.rows.filter((r) => r.id !== id) };
  return addError(state, `Job ${id} was not discarded: another Folio process may be running it, or it is gone.`);
}

/** A request that failed outright. */
export function afterFailure(state: PromptState, message: string): PromptState {
  return addError(state, message);
}

export function dismissError(state: PromptState, id: number): PromptState {
  return { ...state, errors: state.errors.filter((e) => e.id !== id) };
}

/** The prompt closes by itself once no job is left in it. */
export function isDone(state: PromptState): boolean {
  return state.rows.length === 0;
}

/** Tab / Shift+Tab inside the prompt: the next focusable element's index, wrapping (-1: none focused yet). */
export function nextFocusIndex(current: number, count: number, back: boolean): number {
  if (count <= 0) return -1;
  if (current < 0 || current >= count) return back ? count - 1 : 0;
  return back ? (current - 1 + count) % count : (current + 1) % count;
}
