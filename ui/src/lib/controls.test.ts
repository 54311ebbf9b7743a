import { describe, expect, it } from 'vitest';
import {
  autotuneSummary,
  batchSizeFromEvent,
  budgetFromReply,
  budgetText,
  formatFigure,
  formatRecommendation,
  isRecommendedRow,
  isStage,
  normalizeBatchSizes,
  parseBatchSize,
  parseBudget,
  recommendedSizes,
} from './controls';

describe('controls', () => {
  it('parses batch sizes', () => {
    expect(parseBatchSize('8')).toBe(8);
    expect(parseBatchSize(' 3 ')).toBe(3);
    expect(parseBatchSize('2.6')).toBe(3);
    expect(parseBatchSize('0')).toBeNull();
    expect(parseBatchSize('')).toBeNull();
    expect(parseBatchSize('abc')).toBeNull();
    expect(parseBatchSize('5000')).toBeNull();
    expect(parseBatchSize(16)).toBe(16);
  });

  it('parses budgets: empty or none is no budget, junk is invalid', () => {
    expect(parseBudget('')).toBeNull();
    expect(parseBudget('None')).toBeNull();
    expect(parseBudget(null)).toBeNull();
    expect(parseBudget('2048')).toBe(2048);
    expect(parseBudget('-5')).toBeUndefined();
    expect(parseBudget('x')).toBeUndefined();
  });

  it('normalizes batch sizes', () => {
    expect(normalizeBatchSizes({ ocr: 8, embed: 0, layout: 'x' as unknown as number }, 1)).toEqual({
      orientation: 1,
      layout: 1,
      ocr: 8,
      table: 1,
      embed: 1,
    });
    expect(isStage('ocr')).toBe(true);
    expect(isStage('nope')).toBe(false);
  });

  it('reads recommendations', () => {
    const report = {
      recommended: [
        ['orientation', 8],
        ['ocr', 12],
        ['bogus', 3],
        ['embed', 0],
      ] as [string, number][],
    };
    expect(recommendedSizes(report)).toEqual([
      ['orientation', 8],
      ['ocr', 12],
    ]);
    expect(formatRecommendation(report)).toBe('orientation 8 · ocr 12');
    expect(formatRecommendation({ recommended: [] })).toBe('no change');
    expect(isRecommendedRow(report, 'ocr', 12)).toBe(true);
    expect(isRecommendedRow(report, 'ocr', 8)).toBe(false);
  });

  it('shows a budget in its input, and reads the back end\'s answer', () => {
    expect(budgetText(null)).toBe('');
    expect(budgetText(2048)).toBe('2048');
    expect(budgetFromReply(1536)).toBe(1536);
    expect(budgetFromReply(0)).toBeNull();
    expect(budgetFromReply(-1)).toBeNull();
    expect(budgetFromReply(NaN)).toBeNull();
    expect(budgetFromReply(null)).toBeNull();
    expect(budgetFromReply('512')).toBeNull();
  });

  it('reads batch sizes the worker reports', () => {
    expect(batchSizeFromEvent({ kind: 'batch_size_changed', stage: 'ocr', size: 8, reason: 'user' })).toEqual(['ocr', 8]);
    expect(batchSizeFromEvent({ kind: 'budget', action: 'set_batch_size', stage: 'layout', size: 2, reason: 'over' })).toEqual([
      'layout',
      2,
    ]);
    expect(batchSizeFromEvent({ kind: 'batch_size_changed', stage: 'bogus', size: 8, reason: 'user' })).toBeNull();
    expect(batchSizeFromEvent({ kind: 'batch_size_changed', stage: 'ocr', size: 0, reason: 'user' })).toBeNull();
    expect(batchSizeFromEvent({ kind: 'budget', action: 'set_batch_size', stage: 'ocr', reason: 'over' })).toBeNull();
    expect(batchSizeFromEvent({ kind: 'budget', action: 'set_batch_size', size: 2, reason: 'over' })).toBeNull();
    expect(batchSizeFromEvent({ kind: 'budget', action: 'pause_intake', stage: 'ocr', size: 2, reason: 'over' })).toBeNull();
    expect(batchSizeFromEvent({ kind: 'job_started', job: 1 })).toBeNull();
  });

  it('sums up an auto-tune run', () => {
    const report = { sample_pages: 3, budget_mb: 2047.6, detection_max_side: 1280 };
    expect(autotuneSummary(report, 'manual.pdf')).toBe('manual.pdf · 3 sample pages · budget 2048 MB · text detection at ≤ 1280 px');
    expect(autotuneSummary({ sample_pages: 1, budget_mb: null, detection_max_side: null }, 'scan.png')).toBe(
      'scan.png · 1 sample page · budget none',
    );
  });

  it('formats the report\'s figures', () => {
    expect(formatFigure(3.14159, 2)).toBe('3.14');
    expect(formatFigure(812.6, 0)).toBe('813');
    expect(formatFigure(2.25)).toBe('2.3');
    expect(formatFigure(NaN, 2)).toBe('–');
    expect(formatFigure(Infinity)).toBe('–');
  });
});
