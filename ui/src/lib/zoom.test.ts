import { describe, expect, it } from 'vitest';
import {
  actualSizeCssWidth,
  actualSizePixels,
  displayCssWidth,
  fitWidthPixels,
  MAX_PIXEL_WIDTH,
  requestPixelWidth,
  roundUpTo,
  wheelScale,
  zoomLabel,
} from './zoom';

describe('zoom pixel widths', () => {
  it('rounds up to multiples of 64', () => {
    expect(roundUpTo(1, 64)).toBe(64);
    expect(roundUpTo(64, 64)).toBe(64);
    expect(roundUpTo(65, 64)).toBe(128);
    expect(roundUpTo(0, 64)).toBe(64);
  });

  it('fit width = container * dpr rounded up to 64', () => {
    expect(fitWidthPixels(800, 1)).toBe(832);
    expect(fitWidthPixels(768, 1)).toBe(768);
    expect(fitWidthPixels(800, 2)).toBe(1600);
    expect(fitWidthPixels(801, 1.25)).toBe(1024); // 1001.25 -> 1024
    expect(fitWidthPixels(100, 0)).toBe(128); // invalid dpr treated as 1
    expect(fitWidthPixels(100000, 2)).toBe(MAX_PIXEL_WIDTH);
  });

  it('100% displays points at 96/72 CSS px', () => {
    expect(actualSizeCssWidth(612)).toBe(816); // US Letter
    expect(actualSizePixels(612, 1)).toBe(816);
    expect(actualSizePixels(612, 2)).toBe(1632);
    expect(actualSizePixels(595, 1)).toBe(794); // A4: 793.33 -> 794
    expect(actualSizePixels(0, 1)).toBe(1);
  });

  it('selects by mode', () => {
    expect(requestPixelWidth('fit', 800, 612, 1)).toBe(832);
    expect(requestPixelWidth('actual', 800, 612, 1)).toBe(816);
    expect(displayCssWidth('fit', 800, 612)).toBe(800);
    expect(displayCssWidth('actual', 800, 612)).toBe(816);
  });
});

describe('fit page and Ctrl+wheel zoom', () => {
  it('fits the whole page, by width or by height, whichever is tighter', () => {
    // A Letter page (612 × 792 pt) in 800 × 600 CSS px: the height decides, 600 × 612 / 792.
    expect(displayCssWidth('page', 800, 612, 600, 792)).toBeCloseTo(463.64, 2);
    // In 400 × 2000 the width decides.
    expect(displayCssWidth('page', 400, 612, 2000, 792)).toBe(400);
    expect(requestPixelWidth('page', 800, 612, 2, 600, 792)).toBe(960); // 927.3 → 960
  });

  it('scales 100% by the wheel, within bounds, and names each zoom', () => {
    expect(displayCssWidth(1.5, 800, 612)).toBe(1224);
    expect(wheelScale(1, -100)).toBe(1.1);
    expect(wheelScale(1, 100)).toBe(0.909);
    expect(wheelScale(3.9, -1)).toBe(4);
    expect(wheelScale(0.26, 1)).toBe(0.25);
    expect(wheelScale(NaN, -1)).toBe(1.1);
    expect(['fit', 'page', 'actual', 1.5].map((m) => zoomLabel(m as 'fit'))).toEqual(['Fit width', 'Fit page', '100%', '150%']);
  });
});
