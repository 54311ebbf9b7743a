import { describe, expect, it } from 'vitest';
import {
  countByKind,
  describeMarker,
  localBatchMarker,
  MARKER_KINDS,
  MARKER_STYLE,
  markerFromEvent,
  markerLabel,
  MarkerLog,
  markersInWindow,
  nearestMarker,
  placeMarkers,
  windowEnd,
  type Marker,
} from './markers';
import type { WorkerEvent } from './types';

describe('markerFromEvent', () => {
  const cases: [WorkerEvent, string][] = [
    [{ kind: 'job_started', job: 1, t_ms: 5 }, 'job_start'],
    [{ kind: 'job_ended', job: 1, state: 'finished', pages_done: 3, pages_failed: 0, reason: null, t_ms: 5 }, 'job_end'],
    [{ kind: 'batch_size_changed', stage: 'ocr', size: 8, reason: 'user', t_ms: 5 }, 'batch'],
    [{ kind: 'model_loaded', model: 'ocr', bytes: 1 << 20, ms: 12.4, t_ms: 5 }, 'model_loaded'],
    [{ kind: 'model_unloaded', model: 'ocr', bytes: 1, reason: 'idle', t_ms: 5 }, 'model_unloaded'],
    [{ kind: 'budget', action: 'evict_cache', to_bytes: 0, reason: 'over', t_ms: 5 }, 'cache_evict'],
    [{ kind: 'budget', action: 'pause_intake', reason: 'over', t_ms: 5 }, 'budget'],
    [{ kind: 'budget', action: 'lean_arena', on: true, reason: 'a budget is set', t_ms: 5 }, 'budget'],
    [{ kind: 'budget', action: 'limit_detection', max_side: 1280, reason: 'over', t_ms: 5 }, 'budget'],
    [{ kind: 'budget', action: 'set_batch_size', stage: 'ocr', size: 2, reason: 'over', t_ms: 5 }, 'budget'],
    [{ kind: 'leak_warning', page: 40, slope_bytes_per_page: 2 << 20, suspect_stage: 'ocr', t_ms: 5 }, 'leak'],
  ];
  it.each(cases)('%o → %s', (ev, kind) => {
    const m = markerFromEvent(ev);
    expect(m?.kind).toBe(kind);
    expect(m?.t_ms).toBe(5);
    expect(m?.text.length).toBeGreaterThan(0);
  });

  it('says how far text detection is scaled down, and when it is back to full size', () => {
    const down = markerFromEvent({ kind: 'budget', action: 'limit_detection', max_side: 1280, reason: 'RSS over', t_ms: 1 });
    expect(down?.text).toContain('1280 px');
    expect(down?.text).toContain('RSS over');
    const back = markerFromEvent({ kind: 'budget', action: 'limit_detection', max_side: null, reason: 'no budget', t_ms: 1 });
    expect(back?.text).toContain('full size');
  });

  it('ignores progress and failures, and uses now when t_ms is missing', () => {
    expect(
      markerFromEvent({
        kind: 'job_progress',
        job: 1,
        state: 'running',
        pages_done: 1,
        pages_total: 3,
        pages_failed: 0,
        pages_per_s: 1,
        eta_s: 2,
        stage_rates: [],
      }),
    ).toBeNull();
    expect(markerFromEvent({ kind: 'page_failed', job: 1, doc: 'a', page: 1, error: 'x' })).toBeNull();
    expect(markerFromEvent({ kind: 'job_started', job: 2 }, 777)?.t_ms).toBe(777);
  });

  it('describes events readably', () => {
    expect(markerFromEvent({ kind: 'batch_size_changed', stage: 'ocr', size: 8, reason: 'user' })?.text).toBe(
      'OCR batch → 8 (user)',
    );
    expect(markerFromEvent({ kind: 'model_loaded', model: 'layout', bytes: 10 * (1 << 20), ms: 99.6 })?.text).toBe(
      'layout loaded (10.0 MB, 100 ms)',
    );
    expect(
      markerFromEvent({ kind: 'leak_warning', page: 40, slope_bytes_per_page: 1 << 20, suspect_stage: 'ocr' })?.text,
    ).toBe('Leak warning at page 40: +1.0 MB/page, suspect OCR');
  });

  it('has a readable label and colour for every kind', () => {
    for (const k of MARKER_KINDS) {
      expect(markerLabel(k)).toMatch(/^[A-Z]/);
      expect(MARKER_STYLE[k].color).toMatch(/^#[0-9a-f]{6}$/);
    }
  });
});

describe('MarkerLog', () => {
  it('keeps markers in time order and trims to the window', () => {
    const log = new MarkerLog(1000);
    log.add({ t_ms: 500, kind: 'job_start', text: 'b' });
    log.add({ t_ms: 100, kind: 'job_start', text: 'a' });
    log.add({ t_ms: 1500, kind: 'job_end', text: 'c' });
    expect(log.all().map((m) => m.text)).toEqual(['a', 'b', 'c']);
    expect(log.inWindow(1500).map((m) => m.text)).toEqual(['b', 'c']);
    log.trim(1500);
    expect(log.length).toBe(2);
    expect(log.add({ t_ms: NaN, kind: 'leak', text: 'x' })).toBe(false);
  });

  it('merges a local batch marker with the event confirming it', () => {
    const log = new MarkerLog();
    expect(log.add(localBatchMarker('ocr', 8, 1000))).toBe(true);
    expect(log.add(markerFromEvent({ kind: 'batch_size_changed', stage: 'ocr', size: 8, reason: 'user', t_ms: 1200 })!)).toBe(false);
    expect(log.length).toBe(1);
    expect(log.all()[0]).toMatchObject({ t_ms: 1200, text: 'OCR batch → 8 (user)' });
    expect(log.all()[0].local).toBeFalsy();
    // A later change back to the same size is a new marker.
    expect(log.add(localBatchMarker('ocr', 8, 20_000))).toBe(true);
    // Different size: not merged.
    expect(log.add(localBatchMarker('ocr', 9, 20_100))).toBe(true);
    expect(log.length).toBe(3);
  });

  it('an event marker is not replaced by a local one', () => {
    const log = new MarkerLog();
    log.add(markerFromEvent({ kind: 'batch_size_changed', stage: 'ocr', size: 8, reason: 'user', t_ms: 1000 })!);
    expect(log.add(localBatchMarker('ocr', 8, 1100))).toBe(false);
    expect(log.all()[0].text).toBe('OCR batch → 8 (user)');
  });

  it('caps the number of markers', () => {
    const log = new MarkerLog(1e12, 5);
    for (let i = 0; i < 10; i++) log.add({ t_ms: i, kind: 'job_start', text: String(i) });
    expect(log.all().map((m) => m.text)).toEqual(['5', '6', '7', '8', '9']);
  });
});

describe('windowing helpers', () => {
  const ms: Marker[] = [
    { t_ms: 300, kind: 'leak', text: 'c' },
    { t_ms: 100, kind: 'job_start', text: 'a' },
    { t_ms: 200, kind: 'job_start', text: 'b' },
  ];

  it('selects and orders markers in a window', () => {
    expect(markersInWindow(ms, 150, 300).map((m) => m.text)).toEqual(['b', 'c']);
  });

  it('ends the window at the newest sample or marker', () => {
    expect(windowEnd(250, ms, 9999)).toBe(300);
    expect(windowEnd(400, ms, 9999)).toBe(400);
    expect(windowEnd(null, [], 9999)).toBe(9999);
  });

  it('finds the nearest marker within a pixel tolerance', () => {
    const toPx = (t: number) => t / 10;
    expect(nearestMarker(ms, 21, toPx, 5)?.text).toBe('b');
    expect(nearestMarker(ms, 50, toPx, 5)).toBeNull();
  });

  it('counts per kind', () => {
    expect(countByKind(ms)).toEqual({ leak: 1, job_start: 2 });
  });
});

describe('placing markers on the plot', () => {
  const ms: Marker[] = [
    { t_ms: 1000, kind: 'job_start', text: 'a' },
    { t_ms: 1046, kind: 'batch', text: 'b' },
    { t_ms: 5000, kind: 'leak', text: 'c' },
  ];

  it('puts each marker at a whole pixel', () => {
    const placed = placeMarkers(ms, (t) => t / 10, 50, 500);
    expect(placed.map((p) => [p.marker.text, p.x])).toEqual([
      ['a', 100],
      ['b', 105],
      ['c', 500],
    ]);
  });

  it('leaves out markers off the plot area, with a pixel of slack either side', () => {
    const toPx = (t: number) => t / 10;
    const texts = (left: number, width: number) => placeMarkers(ms, toPx, left, width).map((p) => p.marker.text);
    expect(texts(101, 300)).toEqual(['a', 'b']);
    expect(texts(102, 300)).toEqual(['b']);
    expect(texts(0, 499)).toEqual(['a', 'b', 'c']);
    expect(texts(0, 498)).toEqual(['a', 'b']);
    expect(texts(107, 300)).toEqual([]);
    expect(placeMarkers(ms, () => NaN, 0, 1e6)).toEqual([]);
  });

  it('names a marker by its kind and text', () => {
    expect(describeMarker({ t_ms: 0, kind: 'batch', text: 'OCR batch → 8' })).toBe('Batch size changed: OCR batch → 8');
  });
});
