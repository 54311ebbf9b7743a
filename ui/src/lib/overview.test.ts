import { describe, expect, it } from 'vitest';
import { filterRows, overviewRows } from './overview';
import type { StoredPage } from './types';

const stored: StoredPage[] = [
  { page: 1, status: 'done', route: 'text', route_reason: null, lines: 40, ocr_lines: 0, mean_confidence: null, edited: 0 },
  { page: 2, status: 'done', route: 'ocr', route_reason: null, lines: 30, ocr_lines: 30, mean_confidence: 0.62, edited: 2 },
  { page: 4, status: 'failed', route: null, route_reason: null, lines: 0, ocr_lines: 0, mean_confidence: null, edited: 0 },
];

describe('document overview', () => {
  it('has a row per page, unprocessed ones included', () => {
    const rows = overviewRows(4, stored, 0.8);
    expect(rows.map((r) => r.status)).toEqual(['done', 'done', 'not processed', 'failed']);
    expect(rows[0]).toMatchObject({ route: 'Text', lines: 40, confidence: '—', low: false });
    expect(rows[1]).toMatchObject({ route: 'OCR', confidence: '62%', low: true, edited: 2 });
    expect(rows[2]).toMatchObject({ lines: null, route: '—' });
  });

  it('filters failed, low-confidence, unprocessed and corrected pages', () => {
    const rows = overviewRows(4, stored, 0.8);
    expect(filterRows(rows, 'all')).toHaveLength(4);
    expect(filterRows(rows, 'failed').map((r) => r.page)).toEqual([4]);
    expect(filterRows(rows, 'low').map((r) => r.page)).toEqual([2]);
    expect(filterRows(rows, 'unprocessed').map((r) => r.page)).toEqual([3]);
    expect(filterRows(rows, 'edited').map((r) => r.page)).toEqual([2]);
    expect(filterRows(overviewRows(4, stored, 0.5), 'low')).toEqual([]);
  });
});
