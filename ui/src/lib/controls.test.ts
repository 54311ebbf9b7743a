import { describe, expect, it } from 'vitest';
import {
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
});
