import { describe, expect, it } from 'vitest';
import { localBatchMarker } from './markers';
import { MemoryTimeline, SampleFeed } from './memoryStream';
import type { MemorySample } from './types';

const MB = 1024 * 1024;

function sample(t_ms: number, over: Partial<MemorySample> = {}): MemorySample {
  return {
    t_ms,
    rss_bytes: 1000 * MB,
    available_bytes: 0,
    total_bytes: 0,
    page_cache_bytes: 100 * MB,
    page_cache_limit_bytes: 0,
    pdfium_bytes: 0,
    models_bytes: 400 * MB,
    ...over,
  };
}

function feed() {
  const got: [number, boolean][] = [];
  return { got, feed: new SampleFeed((s, live) => got.push([s.t_ms, live])) };
}

describe('SampleFeed', () => {
  it('holds live samples until the history is in, then delivers both oldest first', () => {
    const { got, feed: f } = feed();
    f.live(sample(30));
    f.live(sample(20));
    expect(got).toEqual([]);
    f.history([sample(10), sample(5)]);
    expect(got).toEqual([
      [5, false],
      [10, false],
      [20, true],
      [30, true],
    ]);
    f.live(sample(40));
    expect(got[got.length - 1]).toEqual([40, true]);
  });

  it('without a history, delivers the held samples as they came, then live ones at once', () => {
    const { got, feed: f } = feed();
    f.live(sample(30));
    f.live(sample(20));
    f.noHistory();
    expect(got).toEqual([
      [30, true],
      [20, true],
    ]);
    f.live(sample(50));
    expect(got).toHaveLength(3);
  });
});

describe('MemoryTimeline', () => {
  it('keeps samples newer than the last one', () => {
    const t = new MemoryTimeline();
    expect(t.addSample(sample(1000), false)?.rss).toBe(1000 * MB);
    expect(t.addSample(sample(1000), true)).toBeNull();
    expect(t.addSample(sample(500), true)).toBeNull();
    expect(t.addSample(sample(2000), true)).not.toBeNull();
    expect(t.length).toBe(2);
  });

  it('splits live samples by the models that events say are loaded, history by none', () => {
    const t = new MemoryTimeline();
    t.applyEvent({ kind: 'model_loaded', model: 'ocr', bytes: 100 * MB, ms: 5, t_ms: 900 });
    expect(t.addSample(sample(1000), false)?.models).toEqual([]);
    const live = t.addSample(sample(2000), true);
    expect(live?.models).toEqual([['ocr', 100 * MB]]);
    expect(live?.modelsOther).toBe(300 * MB);
    expect(t.frame(800, 0).keys.slice(0, 2)).toEqual(['model:ocr', 'models']);
  });

  it('puts events on the timeline that are drawn there, and only those', () => {
    const t = new MemoryTimeline();
    expect(t.applyEvent({ kind: 'job_started', job: 1, t_ms: 1000 })?.kind).toBe('job_start');
    expect(t.applyEvent({ kind: 'page_failed', job: 1, doc: 'a', page: 1, error: 'x', t_ms: 1100 })).toBeNull();
    t.addMarker(localBatchMarker('ocr', 8, 1200));
    expect(t.frame(800, 0).markers.map((m) => m.kind)).toEqual(['job_start', 'batch']);
  });

  it('ends the window at the newest sample or marker, and drops markers older than it', () => {
    const t = new MemoryTimeline();
    t.applyEvent({ kind: 'job_started', job: 1, t_ms: 1000 });
    t.addSample(sample(5000), true);
    expect(t.frame(800, 0).markers).toHaveLength(1);
    t.addSample(sample(1000 + 10 * 60 * 1000 + 1), true);
    expect(t.frame(800, 0).markers).toEqual([]);
    // The window is ten minutes back from its end, whenever a marker arrives.
    t.applyEvent({ kind: 'job_ended', job: 1, state: 'finished', pages_done: 1, pages_failed: 0, reason: null, t_ms: 2000 });
    expect(t.frame(800, 0).markers.map((m) => m.kind)).toEqual(['job_end']);
  });

  it('with no samples or markers, the window ends now', () => {
    const t = new MemoryTimeline();
    t.addMarker({ t_ms: 50_000, kind: 'leak', text: 'x' });
    expect(t.frame(800, 1_000_000).markers).toHaveLength(1);
    expect(new MemoryTimeline().frame(800, 1_000_000)).toEqual({
      atts: [],
      keys: ['models', 'page_cache', 'pdfium', 'in_flight', 'arena_free', 'search_index', 'libraries', 'other'],
      markers: [],
    });
  });

  it('thins the picture to the width it is given and keeps the newest sample', () => {
    const t = new MemoryTimeline();
    for (let i = 0; i < 1000; i++) t.addSample(sample(1000 + i * 100, { rss_bytes: (i === 333 ? 2000 : 1000) * MB }), true);
    const { atts } = t.frame(100, 0);
    expect(t.length).toBe(1000);
    expect(atts.length).toBeLessThanOrEqual(101);
    expect(atts[atts.length - 1].t_ms).toBe(1000 + 999 * 100);
    expect(Math.max(...atts.map((a) => a.rss))).toBe(2000 * MB);
  });
});
