import { describe, expect, it } from 'vitest';
import { isLowConfidence, lowConfidenceCount, panelBlocks, panelText, regionClasses, stepLine, tableRows, tablesOf } from './inspect';
import type { OcrLine, PageResult } from './types';

const line = (text: string, score: number, source: 'ocr' | 'pdf' = 'ocr'): OcrLine =>
  ({ text, score, source, polygon: [[0, 0], [1, 0], [1, 1], [0, 1]] }) as OcrLine;

const result = {
  regions: [
    { class: 'title', bbox: [0, 0, 1, 1], score: 0.9, text: '' },
    { class: 'text', bbox: [0, 0, 1, 1], score: 0.9, text: '' },
    { class: 'text', bbox: [0, 0, 1, 1], score: 0.9, text: '' },
  ],
  lines: [line('Body <b>', 0.55), line('Heading', 0.98), line('From the PDF', 1, 'pdf'), line('stray', 0.3)],
  edits: [{ line: 2, original: 'From the PFD' }],
  region_edits: [{ region: 1, original_class: 'table' }],
} as unknown as PageResult;

describe('inspection', () => {
  it('lists each class once with its count, in order of appearance', () => {
    expect(regionClasses(result)).toEqual([
      { cls: 'title', count: 1 },
      { cls: 'text', count: 2 },
    ]);
    expect(regionClasses(null)).toEqual([]);
  });

  it('marks recognised lines under the threshold, never text-layer lines', () => {
    expect(isLowConfidence(line('a', 0.5), 0.6)).toBe(true);
    expect(isLowConfidence(line('a', 0.6), 0.6)).toBe(false);
    expect(isLowConfidence(line('a', 0.1, 'pdf'), 0.6)).toBe(false);
    expect(lowConfidenceCount(result, 0.6)).toBe(2);
    expect(lowConfidenceCount(result, 0)).toBe(0);
  });

  it('shows the engine reading order with text, confidence and the low ones marked', () => {
    const blocks = panelBlocks(
      [
        { region: 0, class: 'title', lines: [1] },
        { region: 1, class: 'text', lines: [0, 2] },
        { region: 2, class: 'figure_caption', lines: [] },
        { region: null, class: null, lines: [3, 99] },
      ],
      result,
      0.6,
    );
    expect(blocks.map((b) => b.heading)).toEqual(['title', 'text', 'outside regions']);
    expect(blocks.map((b) => [b.region, b.cls, b.originalClass])).toEqual([
      [0, 'title', null],
      [1, 'text', 'table'],
      [null, null, null],
    ]);
    expect(blocks[1].lines).toEqual([
      { index: 0, text: 'Body <b>', confidence: '55%', low: true, original: null },
      { index: 2, text: 'From the PDF', confidence: 'text layer', low: false, original: 'From the PFD' },
    ]);
    expect(blocks[2].lines.map((l) => l.index)).toEqual([3]);
    expect(panelText(blocks)).toBe('Heading\n\nBody <b>\nFrom the PDF\n\nstray');
  });
});

describe('tables and line steps', () => {
  const poly: [number, number][] = [
    [0, 0],
    [1, 0],
    [1, 1],
    [0, 1],
  ];
  it('lays a table out by its cells\' places, spans kept, text as given', () => {
    const rows = tableRows({
      cells: [
        { polygon: poly, text: 'b', row: 0, col: 1, row_span: 1, col_span: 2 },
        { polygon: poly, text: 'a', row: 0, col: 0 },
        { polygon: poly, text: '<script>', row: 1, col: 0, row_span: 1, col_span: 1 },
      ],
    });
    expect(rows).toEqual([
      [
        { text: 'a', rowSpan: 1, colSpan: 1 },
        { text: 'b', rowSpan: 1, colSpan: 2 },
      ],
      [
        { text: '<script>', rowSpan: 1, colSpan: 1 },
        { text: '', rowSpan: 1, colSpan: 1 },
        { text: '', rowSpan: 1, colSpan: 1 },
      ],
    ]);
    // A cell the model gave no box leaves its place empty; a row span covers the places below it.
    const gaps = tableRows({
      cells: [
        { polygon: poly, text: 'tall', row: 0, col: 0, row_span: 2, col_span: 1 },
        { polygon: poly, text: 'right', row: 0, col: 2 },
        { polygon: poly, text: 'below', row: 1, col: 1 },
      ],
    });
    expect(gaps?.map((r) => r.map((c) => c.text))).toEqual([
      ['tall', '', 'right'],
      ['below', ''],
    ]);
    // Cells without places (older results): no grid to show.
    expect(tableRows({ cells: [{ polygon: poly, text: 'x' }, { polygon: poly, text: 'y' }] })).toBeNull();
    expect(tableRows({ cells: [] })).toBeNull();
  });
  it('finds the tables of a region by its box', () => {
    const r: Pick<PageResult, 'regions' | 'tables'> = {
      regions: [
        { class: 'text', bbox: [0, 0, 10, 10], score: 1, text: '' },
        { class: 'table', bbox: [0, 20, 10, 40], score: 1, text: '' },
      ],
      tables: [{ bbox: [0, 20, 10, 40], html: '', cells: [] }],
    };
    expect(tablesOf(r, 1)).toHaveLength(1);
    expect(tablesOf(r, 0)).toHaveLength(0);
    expect(tablesOf(r, null)).toHaveLength(0);
  });
  it('steps through lines in reading order and stops at the ends', () => {
    const blocks = [
      { key: 'a', heading: '', region: 0, cls: 'text', originalClass: null, lines: [3, 1].map((index) => ({ index, text: '', confidence: '', low: false, original: null })) },
      { key: 'b', heading: '', region: 1, cls: 'text', originalClass: null, lines: [0].map((index) => ({ index, text: '', confidence: '', low: false, original: null })) },
    ];
    expect(stepLine(blocks, null, 1)).toBe(3);
    expect(stepLine(blocks, null, -1)).toBe(0);
    expect(stepLine(blocks, 3, 1)).toBe(1);
    expect(stepLine(blocks, 1, 1)).toBe(0);
    expect(stepLine(blocks, 0, 1)).toBe(0);
    expect(stepLine(blocks, 3, -1)).toBe(3);
    expect(stepLine([], null, 1)).toBeNull();
  });
});
