// The document overview: every page with its status, route, lines and mean confidence, and the filters a
// reviewer works through (failed pages, pages with low confidence, pages not processed yet).
import { routeBadge } from './route';
import type { StoredPage } from './types';

export type OverviewFilter = 'all' | 'failed' | 'low' | 'unprocessed' | 'edited';

export const OVERVIEW_FILTERS: { filter: OverviewFilter; label: string }[] = [
  { filter: 'all', label: 'All pages' },
  { filter: 'failed', label: 'Failed' },
  { filter: 'low', label: 'Low confidence' },
  { filter: 'unprocessed', label: 'Not processed' },
  { filter: 'edited', label: 'Corrected' },
];

export interface OverviewRow {
  /** 1-based. */
  page: number;
  status: 'done' | 'failed' | 'not processed';
  route: string;
  lines: number | null;
  /** "93%", or "—" without OCR lines. */
  confidence: string;
  low: boolean;
  edited: number;
}

/** One row per page of the document (`pageCount`), from what the store holds. */
export function overviewRows(pageCount: number, stored: StoredPage[], threshold: number): OverviewRow[] {
  const byPage = new Map(stored.map((s) => [s.page, s]));
  return Array.from({ length: Math.max(0, pageCount) }, (_, i) => {
    const s = byPage.get(i + 1);
    if (!s) return { page: i + 1, status: 'not processed', route: '—', lines: null, confidence: '—', low: false, edited: 0 };
    const mean = typeof s.mean_confidence === 'number' ? s.mean_confidence : null;
    return {
      page: i + 1,
      status: s.status === 'failed' ? 'failed' : 'done',
      route: s.route ? routeBadge(s.route) : '—',
      lines: s.lines ?? null,
      confidence: mean === null ? '—' : `${Math.round(mean * 100)}%`,
      low: mean !== null && mean < threshold,
      edited: s.edited ?? 0,
    };
  });
}

export function filterRows(rows: OverviewRow[], filter: OverviewFilter): OverviewRow[] {
  switch (filter) {
    case 'failed':
      return rows.filter((r) => r.status === 'failed');
    case 'low':
      return rows.filter((r) => r.low);
    case 'unprocessed':
      return rows.filter((r) => r.status === 'not processed');
    case 'edited':
      return rows.filter((r) => r.edited > 0);
    default:
      return rows;
  }
}
