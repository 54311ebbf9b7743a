import { describe, expect, it } from 'vitest';
import { isLowConfidence, lowConfidenceCount, panelBlocks, panelText, regionClasses } from './inspect';
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
