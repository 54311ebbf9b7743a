import { describe, expect, it } from 'vitest';
import {
  DEFAULT_TEXT_LAYER,
  formatRouteCounts,
  isRoute,
  isTextLayerMode,
  pageRoute,
  ROUTES,
  routeBadge,
  routeCountParts,
  routeCounts,
  routeName,
  routeText,
  TEXT_LAYER_OPTIONS,
  textLayerDescription,
} from './route';

describe('page routes', () => {
  it('takes the route and reason the engine gave; an unknown or missing route is none', () => {
    expect(pageRoute('text', '1424 characters in the text layer')).toEqual({ route: 'text', reason: '1424 characters in the text layer' });
    expect(pageRoute('ocr', '  ')).toEqual({ route: 'ocr', reason: null });
    expect(pageRoute('mixed', null)).toEqual({ route: 'mixed', reason: null });
    expect(pageRoute('pdf', 'x')).toBeNull();
    expect(pageRoute(null, 'x')).toBeNull();
    expect(pageRoute(undefined, undefined)).toBeNull();
    expect(ROUTES.every(isRoute)).toBe(true);
    expect(isRoute('TEXT')).toBe(false);
  });

  it('names each route, short for a badge and in words with its reason', () => {
    expect(ROUTES.map(routeBadge)).toEqual(['Text', 'OCR', 'Mixed']);
    expect(ROUTES.map(routeName)).toEqual(['Text layer', 'OCR', 'Text layer + OCR']);
    expect(routeText({ route: 'text', reason: '1424 characters in the text layer' })).toBe(
      'Text layer — 1424 characters in the text layer',
    );
    expect(routeText({ route: 'ocr', reason: 'no text layer; images cover 100% of the page' })).toBe(
      'OCR — no text layer; images cover 100% of the page',
    );
    expect(routeText({ route: 'mixed', reason: null })).toBe('Text layer + OCR');
  });
});

describe('text-layer modes', () => {
  it('offers the four modes the engine takes, Auto first and by default, each with a description', () => {
    expect(TEXT_LAYER_OPTIONS.map((o) => o.mode)).toEqual(['auto', 'text', 'ocr', 'redo']);
    expect(DEFAULT_TEXT_LAYER).toBe('auto');
    expect(TEXT_LAYER_OPTIONS[0].label).toBe('Auto');
    for (const o of TEXT_LAYER_OPTIONS) {
      expect(o.label.length).toBeGreaterThan(0);
      expect(textLayerDescription(o.mode)).toBe(o.description);
      expect(o.description.length).toBeGreaterThan(10);
    }
    expect(new Set(TEXT_LAYER_OPTIONS.map((o) => o.description)).size).toBe(4);
    expect(isTextLayerMode('redo')).toBe(true);
    expect(isTextLayerMode('mixed')).toBe(false);
  });
});

describe('route counts', () => {
  it("reads a progress event's routes; none without them, bad counts are 0", () => {
    expect(routeCounts({ text: 40, ocr: 3, mixed: 1 })).toEqual({ text: 40, ocr: 3, mixed: 1 });
    expect(routeCounts({ text: 2 })).toEqual({ text: 2, ocr: 0, mixed: 0 });
    expect(routeCounts({ text: -1, ocr: Number.NaN, mixed: '4' })).toEqual({ text: 0, ocr: 0, mixed: 0 });
    expect(routeCounts(undefined)).toBeNull();
    expect(routeCounts(null)).toBeNull();
    expect(routeCounts([1, 2, 3])).toBeNull();
  });

  it('shows the routes that have pages, in route order', () => {
    expect(formatRouteCounts({ text: 40, ocr: 3, mixed: 1 })).toBe('text 40 · OCR 3 · mixed 1');
    expect(formatRouteCounts({ text: 0, ocr: 5, mixed: 0 })).toBe('OCR 5');
    expect(formatRouteCounts({ text: 0, ocr: 0, mixed: 0 })).toBe('');
    expect(formatRouteCounts(null)).toBe('');
    expect(routeCountParts({ text: 1, ocr: 0, mixed: 2 })).toEqual([
      { route: 'text', count: 1, text: 'text 1' },
      { route: 'mixed', count: 2, text: 'mixed 2' },
    ]);
  });
});
