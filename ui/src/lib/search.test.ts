import { describe, expect, it } from 'vitest';
import { exportFileName, hitHeading, hitProvenance, openDocumentFor, searchable, targetFor, targetRect } from './search';
import type { DocumentInfo, SearchHit } from './types';

const hit: SearchHit = {
  doc: 'abc',
  path: '/docs/manual.pdf',
  name: 'manual.pdf',
  page: 3,
  region: 2,
  class: 'figure_caption',
  bbox: [150, 300, 450, 330],
  dpi: 150,
  route: 'text',
  score: 0.0328,
  keyword_rank: 1,
  semantic_rank: null,
  snippet: 'a <b> snippet',
  snippet_parts: [{ text: 'a <b> ', match: false }, { text: 'snippet', match: true }],
};

const doc = (id: number, path: string, hash?: string): DocumentInfo => ({ id, path, name: path, kind: 'pdf', pages: [], hash });

describe('search results', () => {
  it('sends only queries with a letter or digit', () => {
    expect(searchable('  ')).toBe(false);
    expect(searchable('*** ()')).toBe(false);
    expect(searchable('Zürich')).toBe(true);
    expect(searchable('42')).toBe(true);
  });

  it('heads a result with document, page and class, and says how it was found', () => {
    expect(hitHeading(hit)).toBe('manual.pdf · p. 3 · figure caption');
    expect(hitHeading({ ...hit, class: null })).toBe('manual.pdf · p. 3');
    expect(hitProvenance(hit)).toBe('words: #1 · score 0.0328');
    expect(hitProvenance({ ...hit, semantic_rank: 4 })).toBe('words: #1, meaning: #4 · score 0.0328');
  });

  it('finds the open document by content hash first, then by path', () => {
    expect(openDocumentFor(hit, [doc(1, '/elsewhere/copy.pdf', 'abc'), doc(2, '/docs/manual.pdf')])?.id).toBe(1);
    expect(openDocumentFor(hit, [doc(2, '/docs/manual.pdf')])?.id).toBe(2);
    expect(openDocumentFor(hit, [doc(3, '/docs/other.pdf', 'zzz')])).toBeNull();
  });

  it('turns a result into a page target and its box into CSS pixels', () => {
    expect(targetFor(hit, 7)).toEqual({ pageIndex: 2, bbox: [150, 300, 450, 330], dpi: 150, serial: 7 });
    // A 612 pt page at 150 dpi is 1275 px; drawn 637.5 CSS px wide, half size.
    expect(targetRect([150, 300, 450, 330], 150, 612, 637.5)).toEqual({ x: 75, y: 150, w: 150, h: 15 });
    expect(targetRect(null, 150, 612, 600)).toBeNull();
    expect(targetRect([0, 0, 1, 1], 0, 612, 600)).toBeNull();
  });
});

describe('export names', () => {
  it('suggests a name per format and never the original PDF', () => {
    expect(exportFileName('manual.pdf', 'md')).toBe('manual.md');
    expect(exportFileName('manual.pdf', 'pdf')).toBe('manual-searchable.pdf');
    expect(exportFileName('manual.pdf', 'alto')).toBe('manual.xml');
    expect(exportFileName('scans', 'csv')).toBe('scans-tables');
    expect(exportFileName('.pdf', 'json')).toBe('document.json');
  });
});
