import { describe, expect, it } from 'vitest';
import {
  afterDiscard,
  afterFailure,
  afterResume,
  dismissError,
  initialPrompt,
  isDone,
  nextFocusIndex,
  promptRows,
} from './resumePrompt';
import type { JobRecord } from './types';

function rec(id: number, position: number, over: Partial<JobRecord> = {}): JobRecord {
  return {
    id,
    state: 'running',
    spec: { documents: [{ path: `/scans/book${id}.pdf`, hash: 'h' }], pages: null, stages: ['ocr'], dpi: 150 },
    position,
    pages_total: 20,
    pages_done: 5,
    pages_failed: 1,
    created_at: '',
    started_at: null,
    finished_at: null,
    error: null,
    owner_pid: 4242,
    ...over,
  };
}

describe('promptRows', () => {
  it('lists the jobs in queue order, each once, with file names, pages and state', () => {
    const rows = promptRows([rec(7, 3, { state: 'queued', pages_done: 0, pages_failed: 0 }), rec(4, 1), rec(9, 1), rec(4, 1)]);
    expect(rows.map((r) => r.id)).toEqual([4, 9, 7]);
    expect(rows[0]).toEqual({
      id: 4,
      names: 'book4.pdf',
      paths: ['/scans/book4.pdf'],
      pages: '5/20',
      pagesFailed: 1,
      state: 'running',
      error: null,
    });
    expect(rows[2]).toMatchObject({ pages: '0/20', state: 'queued' });
    const nameless = promptRows([rec(2, 1, { spec: { documents: [], pages: null, stages: [], dpi: 150 } })]);
    expect(nameless[0].names).toBe('Job 2');
  });
});

describe('prompt results', () => {
  const start = () => initialPrompt([rec(1, 1), rec(2, 2), rec(3, 3)]);

  it('drops a resumed job and keeps one that could not be resumed, with its reason', () => {
    let p = afterResume(start(), [{ job: 1, pages: 15, error: null }], false);
    expect(p.rows.map((r) => r.id)).toEqual([2, 3]);
    p = afterResume(p, [{ job: 2, pages: 0, error: '/scans/book2.pdf cannot be opened: it is no longer there' }], false);
    expect(p.rows.map((r) => r.id)).toEqual([2, 3]);
    expect(p.rows[0].error).toBe('/scans/book2.pdf cannot be opened: it is no longer there');
    expect(p.errors.map((e) => e.message)).toEqual([
      'Job 2 (book2.pdf) cannot be resumed: /scans/book2.pdf cannot be opened: it is no longer there',
    ]);
    expect(isDone(p)).toBe(false);
  });

  it('after "Resume all", keeps only the jobs that failed, and closes when none is left', () => {
    const p = afterResume(
      start(),
      [
        { job: 1, pages: 15, error: null },
        { job: 3, pages: 0, error: 'changed' },
      ],
      true,
    );
    // Job 2 is not in the reply: it is no longer waiting.
    expect(p.rows.map((r) => r.id)).toEqual([3]);
    expect(p.errors).toHaveLength(1);
    const done = afterDiscard(p, 3, true);
    expect(isDone(done)).toBe(true);
    expect(isDone(afterResume(start(), [], true))).toBe(true);
  });

  it('keeps a job that was not discarded, and collects errors without repeats', () => {
    let p = afterDiscard(start(), 2, false);
    expect(p.rows).toHaveLength(3);
    expect(p.errors[0].message).toMatch(/^Job 2 was not discarded/);
    p = afterDiscard(p, 2, false);
    p = afterFailure(p, 'Resume all jobs: the store is read-only');
    expect(p.errors.map((e) => e.id)).toEqual([1, 2]);
    p = dismissError(p, 1);
    expect(p.errors.map((e) => e.message)).toEqual(['Resume all jobs: the store is read-only']);
  });
});

describe('nextFocusIndex', () => {
  it('cycles through the focusable elements both ways', () => {
    expect(nextFocusIndex(-1, 4, false)).toBe(0);
    expect(nextFocusIndex(-1, 4, true)).toBe(3);
    expect(nextFocusIndex(3, 4, false)).toBe(0);
    expect(nextFocusIndex(0, 4, true)).toBe(3);
    expect(nextFocusIndex(1, 4, false)).toBe(2);
    expect(nextFocusIndex(0, 0, false)).toBe(-1);
  });
});
