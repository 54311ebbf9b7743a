import { describe, expect, it } from 'vitest';
import { cellLabel, displayToResultBox, FALLBACK_DPI, lineShapes, linesMarkup, resultTransform, toDisplayBox, rotate, hasShapes, overlayScale, overlayShapes, resultDpi, rotationNote, stageStatuses, unrotate } from './overlay';
import type { PageResult } from './types';

function result(over: Partial<PageResult> = {}): PageResult {
  return {
    doc: 'a.pdf',
    page: 1,
    rotation: 0,
    dpi: 144,
    regions: [{ class: 'text', bbox: [100, 200, 300, 400], score: 0.9, text: 'Hello' }],
    lines: [
      {
        text: 'Hello',
        score: 0.8,
        polygon: [
          [100, 200],
          [300, 200],
          [300, 220],
          [100, 220],
        ],
      },
    ],
    tables: [],
    chunks: [],
    ...over,
  };
}

// A4-ish page 600 × 800 pt; at 144 dpi the result image is 1200 × 1600 px.
const page = { width_pt: 600, height_pt: 800 };

describe('overlayScale', () => {
  it('is displayed width / (width_pt × dpi / 72)', () => {
    expect(overlayScale(600, 600, 144)).toBe(0.5);
    expect(overlayScale(1200, 600, 72)).toBe(2);
    expect(overlayScale(600, 0, 144)).toBe(0);
  });

  it('falls back when the result has no DPI', () => {
    expect(resultDpi({ dpi: 0 })).toBe(FALLBACK_DPI);
    expect(resultDpi({ dpi: 200 })).toBe(200);
  });
});

describe('unrotate', () => {
  // The unturned page is 100 × 50 px.
  it('undoes quarter turns', () => {
    expect(unrotate([10, 20], 0, 100, 50)).toEqual([10, 20]);
    // Turned 90° counter-clockwise: the top-right corner (100, 0) became the top-left (0, 0).
    expect(unrotate([0, 0], 90, 100, 50)).toEqual([100, 0]);
    expect(unrotate([0, 100], 90, 100, 50)).toEqual([0, 0]);
    expect(unrotate([0, 0], 180, 100, 50)).toEqual([100, 50]);
    // Turned 270° counter-clockwise (90° clockwise): the bottom-left (0, 50) became the top-left.
    expect(unrotate([0, 0], 270, 100, 50)).toEqual([0, 50]);
    expect(unrotate([50, 0], 270, 100, 50)).toEqual([0, 0]);
  });
});

describe('rotate', () => {
  it('undoes unrotate at every turn', () => {
    for (const r of [0, 90, 180, 270]) {
      for (const p of [
        [0, 0],
        [10, 20],
        [100, 50],
      ] as [number, number][]) {
        expect(rotate(unrotate(p, r, 100, 50), r, 100, 50)).toEqual(p);
      }
    }
  });
});

describe('displayToResultBox', () => {
  it('maps a box drawn on the shown page back to result pixels, clamped to the page', () => {
    // Shown 600 px wide: 0.5 displayed px per result px.
    expect(displayToResultBox([60, 110], [10, 100], result(), page, 600)).toEqual([20, 200, 120, 220]);
    expect(displayToResultBox([-5, -5], [10, 10], result(), page, 600)).toEqual([0, 0, 20, 20]);
    expect(displayToResultBox([10, 10], [10, 40], result(), page, 600)).toBeNull();
  });
  it('draws on a turned page in the upright image\'s pixels, where the overlay puts it back', () => {
    const turned = result({ rotation: 90 });
    const box = displayToResultBox([50, 100], [150, 110], turned, page, 600);
    expect(box).not.toBeNull();
    const shapes = overlayShapes(result({ rotation: 90, regions: [{ class: 'text', bbox: box!, score: 1, text: '' }], lines: [] }), page, 600);
    expect(shapes.regions[0]).toMatchObject({ x: 50, y: 100, w: 100, h: 10 });
  });
});

describe('overlayShapes', () => {
  it('scales regions and lines to the displayed size', () => {
    const s = overlayShapes(result(), page, 600);
    expect(s.regions).toHaveLength(1);
    expect(s.regions[0]).toMatchObject({ x: 50, y: 100, w: 100, h: 100, label: 'text' });
    expect(s.regions[0].title).toContain('90%');
    // Lines stay in result pixels, drawn through one transform that scales them (0.5 here).
    expect(lineShapes(result())).toMatchObject([{ points: '100,200 300,200 300,220 100,220', title: 'Hello (80%)', source: 'ocr', index: 0, score: 0.8 }]);
    expect(resultTransform(result(), page, 600)).toBe('matrix(0.5 0 0 0.5 0 0)');
  });

  it('draws lines on a turned page where the regions go, through the transform', () => {
    for (const rotation of [0, 90, 180, 270]) {
      const r = result({ rotation, regions: [{ class: 'text', bbox: [100, 200, 300, 220], score: 1, text: '' }] });
      const region = overlayShapes(r, page, 600).regions[0];
      const line = toDisplayBox(lineShapes(r)[0], r, page, 600)!;
      for (const key of ['x', 'y', 'w', 'h'] as const) expect(line[key]).toBeCloseTo(region[key], 6);
      // The transform is the same map: apply it to the line's first corner.
      const [a, b, c, d, e, f] = /matrix\((.*)\)/.exec(resultTransform(r, page, 600)!)![1].split(' ').map(Number);
      const [x, y] = [100, 200];
      const corner = [a * x + c * y + e, b * x + d * y + f];
      expect([region.x, region.x + region.w]).toContainEqual(expect.closeTo(corner[0], 3));
      expect([region.y, region.y + region.h]).toContainEqual(expect.closeTo(corner[1], 3));
    }
  });

  it('numbers regions in reading order and gives each line its hover text and box', () => {
    const two = result({
      regions: [
        { class: 'title', bbox: [100, 100, 300, 150], score: 0.9, text: 'T' },
        { class: 'text', bbox: [100, 200, 300, 400], score: 0.9, text: 'Hello' },
      ],
    });
    const s = overlayShapes(two, page, 600);
    expect(s.regions.map((r) => [r.order, r.label])).toEqual([
      [1, 'title'],
      [2, 'text'],
    ]);
    expect(s.regions[1].title.startsWith('2. text')).toBe(true);
    expect(lineShapes(two)[0]).toMatchObject({ text: 'Hello', confidence: '80%', x: 100, y: 200, w: 200, h: 20 });
    expect(toDisplayBox(lineShapes(two)[0], two, page, 600)).toEqual({ x: 50, y: 100, w: 100, h: 10 });
  });

  it('draws table cells with their row and column', () => {
    const cell = (row: number, col: number, text: string, col_span = 1) => ({
      polygon: [
        [100 + col * 50, 200 + row * 20],
        [150 + col * 50, 200 + row * 20],
        [150 + col * 50, 220 + row * 20],
        [100 + col * 50, 220 + row * 20],
      ] as [number, number][],
      text,
      row,
      col,
      row_span: 1,
      col_span,
    });
    const s = overlayShapes(result({ tables: [{ bbox: [100, 200, 300, 400], html: '', cells: [cell(0, 0, 'a'), cell(1, 1, '<b>', 2)] }] }), page, 600);
    expect(s.cells.map((c) => c.label)).toEqual(['r1 c1', 'r2 c2 (1×2)']);
    expect(s.cells[1].title).toBe('r2 c2 (1×2): <b>');
    expect(cellLabel({})).toBe('r1 c1');
  });

  it('says how the orientation stage turned the page', () => {
    expect(rotationNote(0)).toBeNull();
    expect(rotationNote(undefined)).toBeNull();
    expect(rotationNote(90)).toBe('Turned 90° counter-clockwise to read upright');
    expect(rotationNote(-90)).toBe('Turned 270° counter-clockwise to read upright');
  });

  it('tells text-layer lines from OCR lines', () => {
    const polygon: [number, number][] = [
      [0, 0],
      [10, 0],
      [10, 5],
      [0, 5],
    ];
    const lines = lineShapes(
      result({
        regions: [],
        lines: [
          { text: 'From the PDF', score: 1, polygon, source: 'pdf' },
          { text: 'Recognised', score: 0.9, polygon, source: 'ocr' },
        ],
      }),
    );
    expect(lines.map((l) => [l.source, l.title])).toEqual([
      ['pdf', 'From the PDF (text layer)'],
      ['ocr', 'Recognised (90%)'],
    ]);
  });

  it('maps a turned page back onto the unturned image', () => {
    // rotation 180: a box at the upright image's top-left is at the page's bottom-right.
    const s = overlayShapes(result({ rotation: 180, regions: [{ class: 'title', bbox: [0, 0, 100, 50], score: 1, text: '' }] }), page, 1200);
    expect(s.regions[0]).toMatchObject({ x: 1100, y: 1550, w: 100, h: 50 });
  });

  it('skips malformed shapes and draws table boxes', () => {
    const s = overlayShapes(
      result({
        regions: [{ class: 'text', bbox: [1, 2] as unknown as [number, number, number, number], score: 1, text: '' }],
        lines: [{ text: '', score: 1, polygon: [[1, 2]] }],
        tables: [{ bbox: [0, 0, 144, 144], html: '', cells: [] }],
      }),
      page,
      600,
    );
    expect(s.regions).toEqual([]);
    expect(lineShapes(result({ lines: [{ text: '', score: 1, polygon: [[1, 2]] }] }))).toEqual([]);
    expect(s.tables[0]).toMatchObject({ x: 0, y: 0, w: 72, h: 72 });
  });

  it('knows whether there is anything to draw', () => {
    expect(hasShapes(null)).toBe(false);
    expect(hasShapes(result({ regions: [], lines: [] }))).toBe(false);
    expect(hasShapes(result())).toBe(true);
  });
});

describe('stageStatuses', () => {
  it('lists each stage with its status and puts a render failure first', () => {
    const rows = stageStatuses({
      error: 'page2.png: the image is damaged',
      outcomes: [
        { stage: 'layout', status: 'skipped', reason: 'the page could not be rendered', ms: 0 },
        { stage: 'ocr', status: 'failed', error: 'the ocr_rec model failed', ms: 3 },
        { stage: 'embed', status: 'done', ms: 5 },
      ],
    });
    expect(rows).toEqual([
      { stage: 'render', status: 'failed', detail: 'page2.png: the image is damaged' },
      { stage: 'layout', status: 'skipped', detail: 'the page could not be rendered' },
      { stage: 'ocr', status: 'failed', detail: 'the ocr_rec model failed' },
      { stage: 'embed', status: 'done', detail: '' },
    ]);
    expect(stageStatuses({})).toEqual([]);
  });
});

describe('linesMarkup', () => {
  it('writes one polygon per line with numbers and class names only, never the text', () => {
    const lines = lineShapes(
      result({
        lines: [
          { text: '<script>alert(1)</script>', score: 0.5, polygon: [[1, 2], [3, 2], [3, 4], [1, 4]], source: 'ocr' },
          { text: '" onmouseover="x', score: 1, polygon: [[5, 6], [7, 6], [7, 8], [5, 8]], source: 'pdf' },
        ],
      }),
    );
    const markup = linesMarkup(lines, (l) => l.score < 0.8);
    expect(markup).toBe(
      '<polygon data-testid="overlay-line" data-index="0" data-source="ocr" class="line low" points="1,2 3,2 3,4 1,4"></polygon>' +
        '<polygon data-testid="overlay-line" data-index="1" data-source="pdf" class="line pdf" points="5,6 7,6 7,8 5,8"></polygon>',
    );
    // Points that are not numbers are left out rather than written.
    expect(linesMarkup([{ ...lines[0], points: '1,2 "/><script>' }], () => false)).toBe('');
  });
});
