import { describe, expect, it } from 'vitest';
import {
  attribute,
  bandColor,
  bandColorIn,
  bandKeys,
  bandLabel,
  bandValue,
  componentRows,
  ModelTracker,
  normalizeModels,
  SampleWindow,
  stackColumns,
  thin,
  type Attribution,
} from './attribution';
import type { MemorySample } from './types';

const MB = 1024 * 1024;

function sample(over: Partial<MemorySample> = {}): MemorySample {
  return {
    t_ms: 1000,
    rss_bytes: 1000 * MB,
    available_bytes: 0,
    total_bytes: 0,
    page_cache_bytes: 100 * MB,
    page_cache_limit_bytes: 256 * MB,
    pdfium_bytes: 50 * MB,
    models_bytes: 400 * MB,
    in_flight_bytes: 30 * MB,
    ...over,
  };
}

describe('attribute', () => {
  it('computes "other" as RSS minus the known parts', () => {
    const a = attribute(sample());
    expect(a.modelsTotal).toBe(400 * MB);
    expect(a.modelsOther).toBe(400 * MB);
    expect(a.models).toEqual([]);
    expect(a.other).toBe((1000 - 400 - 100 - 50 - 30) * MB);
  });

  it('takes the arena reserve and the libraries out of "other"', () => {
    const a = attribute(sample({ arena_free_bytes: 120 * MB, libraries_bytes: 80 * MB }));
    expect(a.arenaFree).toBe(120 * MB);
    expect(a.libraries).toBe(80 * MB);
    expect(a.other).toBe((1000 - 400 - 100 - 50 - 30 - 120 - 80) * MB);
    expect(bandValue(a, 'arena_free')).toBe(120 * MB);
    expect(bandValue(a, 'libraries')).toBe(80 * MB);
    expect(bandLabel('arena_free')).toBe('Arena reserve');
  });

  it('shows the engine\'s "other" when the sample carries it', () => {
    const a = attribute(sample({ other_bytes: 7 * MB }));
    expect(a.other).toBe(7 * MB);
    expect(bandValue(a, 'other')).toBe(7 * MB);
  });

  it('never makes "other" negative', () => {
    const a = attribute(sample({ rss_bytes: 200 * MB }));
    expect(a.other).toBe(0);
  });

  it('treats missing / invalid fields as zero (older back ends)', () => {
    const a = attribute(sample({ models_bytes: undefined, in_flight_bytes: undefined, pdfium_bytes: NaN }));
    expect(a.modelsTotal).toBe(0);
    expect(a.inFlight).toBe(0);
    expect(a.pdfium).toBe(0);
    expect(a.other).toBe(900 * MB);
  });

  it('uses a per-model breakdown from the sample, unattributed rest in "models"', () => {
    const a = attribute(sample({ models: { ocr: 100 * MB, layout: 200 * MB } }));
    expect(a.models).toEqual([
      ['layout', 200 * MB],
      ['ocr', 100 * MB],
    ]);
    expect(a.modelsOther).toBe(100 * MB);
  });

  it('uses known models from events when the sample has none, scaled to models_bytes', () => {
    const a = attribute(sample({ models_bytes: 300 * MB }), [
      ['a', 200 * MB],
      ['b', 400 * MB],
    ]);
    expect(a.models[0][1]).toBeCloseTo(100 * MB);
    expect(a.models[1][1]).toBeCloseTo(200 * MB);
    expect(a.modelsOther).toBeCloseTo(0);
  });

  it('without models_bytes, the named models are the total', () => {
    const a = attribute(sample({ models_bytes: undefined }), [['a', 10 * MB]]);
    expect(a.modelsTotal).toBe(10 * MB);
    expect(a.modelsOther).toBe(0);
  });
});

describe('normalizeModels', () => {
  it('accepts objects, pairs and maps, drops junk, sorts by name', () => {
    expect(normalizeModels({ z: 2, a: 1, bad: -1 })).toEqual([
      ['a', 1],
      ['z', 2],
    ]);
    expect(normalizeModels([['b', 3], ['', 4], ['c', NaN]] as [string, number][])).toEqual([['b', 3]]);
    expect(normalizeModels(new Map([['m', 5]]))).toEqual([['m', 5]]);
    expect(normalizeModels(undefined)).toEqual([]);
  });
});

describe('bands', () => {
  it('has one "models" band when no model is named', () => {
    expect(bandKeys([attribute(sample())])).toEqual(['models', 'page_cache', 'pdfium', 'in_flight', 'arena_free', 'search_index', 'libraries', 'other']);
    expect(bandKeys([])).toEqual(['models', 'page_cache', 'pdfium', 'in_flight', 'arena_free', 'search_index', 'libraries', 'other']);
  });

  it('has one band per named model, plus "models" only when some bytes are unattributed', () => {
    const full = attribute(sample({ models: { b: 300 * MB, a: 100 * MB } }));
    expect(bandKeys([full])).toEqual(['model:a', 'model:b', 'page_cache', 'pdfium', 'in_flight', 'arena_free', 'search_index', 'libraries', 'other']);
    const part = attribute(sample({ models: { b: 100 * MB } }));
    expect(bandKeys([full, part])).toEqual(['model:a', 'model:b', 'models', 'page_cache', 'pdfium', 'in_flight', 'arena_free', 'search_index', 'libraries', 'other']);
  });

  it('labels bands', () => {
    expect(bandLabel('model:ocr-rec')).toBe('ocr-rec');
    expect(bandLabel('page_cache')).toBe('Page cache');
    expect(bandLabel('other')).toBe('Other');
  });

  it('stacks cumulatively, bottom to top, with RSS last', () => {
    const a = attribute(sample({ t_ms: 2000, models: { m: 400 * MB } }));
    const keys = bandKeys([a]);
    const cols = stackColumns([a], keys, 1 / 1000, 1 / MB);
    expect(cols[0]).toEqual([2]);
    // m 400, cache 500, pdfium 550, in flight 580, no arena reserve, search index or libraries, other up to 1000
    expect(cols.slice(1, -1).map((c) => c[0])).toEqual([400, 500, 550, 580, 580, 580, 580, 1000]);
    expect(cols[cols.length - 1]).toEqual([1000]);
    expect(bandValue(a, 'model:m')).toBe(400 * MB);
    expect(bandValue(a, 'model:none')).toBe(0);
  });

  it('the stack top is max(RSS, parts) when the parts exceed RSS', () => {
    const a = attribute(sample({ rss_bytes: 100 * MB }));
    const cols = stackColumns([a], bandKeys([a]), 1, 1 / MB);
    expect(cols[cols.length - 2][0]).toBe(580);
    expect(cols[cols.length - 1][0]).toBe(100);
  });
});

describe('ModelTracker', () => {
  it('follows load and unload events', () => {
    const t = new ModelTracker();
    expect(t.apply({ kind: 'model_loaded', model: 'ocr', bytes: 10, ms: 5 })).toBe(true);
    t.apply({ kind: 'model_loaded', model: 'layout', bytes: 20, ms: 5 });
    expect(t.snapshot()).toEqual([
      ['layout', 20],
      ['ocr', 10],
    ]);
    expect(t.apply({ kind: 'model_unloaded', model: 'ocr', bytes: 10, reason: 'idle' })).toBe(true);
    expect(t.apply({ kind: 'budget', action: 'unload_model', model: 'layout', reason: 'budget' })).toBe(true);
    expect(t.snapshot()).toEqual([]);
    expect(t.apply({ kind: 'job_started', job: 1 })).toBe(false);
  });
});

describe('SampleWindow', () => {
  it('keeps a time window with a hard cap and rejects old points', () => {
    const w = new SampleWindow<string>(3, 100);
    expect(w.push(1, 'a')).toBe(true);
    expect(w.push(1, 'dup')).toBe(false);
    expect(w.push(NaN, 'x')).toBe(false);
    w.push(2, 'b');
    w.push(3, 'c');
    w.push(4, 'd');
    expect(w.toArray()).toEqual(['b', 'c', 'd']);
    w.push(104, 'e'); // cutoff 4: keeps d
    expect(w.toArray()).toEqual(['d', 'e']);
    w.push(500, 'f');
    expect(w.toArray()).toEqual(['f']);
    expect(w.lastTime).toBe(500);
    w.clear();
    expect(w.length).toBe(0);
  });

  it('defaults to the 10-minute window', () => {
    const w = new SampleWindow<number>();
    expect(w.windowMs).toBe(600_000);
    expect(() => new SampleWindow(0)).toThrow(RangeError);
  });
});

describe('thin', () => {
  const series = (rss: number[]): Attribution[] => rss.map((r, i) => attribute(sample({ t_ms: 1000 + i * 200, rss_bytes: r * MB })));

  it('keeps every sample when they fit', () => {
    const atts = series([1, 2, 3]);
    expect(thin(atts, 10)).toBe(atts);
  });

  it('keeps the highest sample of each bucket and always the newest', () => {
    const rss = Array.from({ length: 3000 }, (_, i) => 500 + (i % 7));
    rss[1234] = 900;
    const out = thin(series(rss), 400);
    expect(out.length).toBeLessThanOrEqual(401);
    expect(out.length).toBeGreaterThan(300);
    expect(Math.max(...out.map((a) => a.rss))).toBe(900 * MB);
    expect(out[out.length - 1].t_ms).toBe(1000 + 2999 * 200);
    for (let i = 1; i < out.length; i++) expect(out[i].t_ms).toBeGreaterThan(out[i - 1].t_ms);
  });
});

describe('band colours', () => {
  it('gives each fixed band its own colour, whatever its place', () => {
    expect(bandColor('page_cache', 0)).toBe('#89ddff');
    expect(bandColor('page_cache', 5)).toBe('#89ddff');
    expect(bandColor('models', 3)).toBe('#f78c6c');
    expect(bandColor('unknown', 0)).toBe('#6c737d');
  });

  it('colours model bands by their place, cycling through the palette', () => {
    expect(bandColor('model:a', 0)).toBe('#f78c6c');
    expect(bandColor('model:b', 1)).toBe('#c792ea');
    expect(bandColor('model:g', 6)).toBe(bandColor('model:a', 0));
    const keys = ['model:a', 'model:b', 'models', 'page_cache'];
    expect(bandColorIn(keys, 'model:b')).toBe('#c792ea');
    expect(bandColorIn(keys, 'page_cache')).toBe('#89ddff');
  });
});

describe('componentRows', () => {
  it('has no rows before the first sample', () => {
    expect(componentRows(null, null)).toEqual([]);
  });

  it('lists one "Models" row, then every fixed part, with the cache limit', () => {
    const s = sample({ arena_free_bytes: 20 * MB, search_index_bytes: 15 * MB, libraries_bytes: 10 * MB });
    const rows = componentRows(attribute(s), s);
    expect(rows.map((r) => r.key)).toEqual(['models', 'page_cache', 'pdfium', 'in_flight', 'arena_free', 'search_index', 'libraries', 'other']);
    expect(rows[0]).toEqual({ key: 'models', label: 'Models', bytes: 400 * MB });
    expect(rows[1]).toEqual({ key: 'page_cache', label: 'Page cache', bytes: 100 * MB, extra: '/ 256.0 MB' });
    // No arena bound in the sample: no "/ …" beside the reserve.
    expect(rows[4]).toEqual({ key: 'arena_free', label: 'Arena reserve', bytes: 20 * MB, extra: undefined });
    expect(rows[5]).toEqual({ key: 'search_index', label: 'Search index', bytes: 15 * MB });
    expect(rows[7]).toEqual({ key: 'other', label: 'Other', bytes: (1000 - 400 - 100 - 50 - 30 - 20 - 15 - 10) * MB });
  });

  it('lists named models, and the unattributed rest as "Models (other)"', () => {
    const s = sample({ models: { ocr: 100 * MB, layout: 200 * MB }, arena_free_limit_bytes: 64 * MB });
    const rows = componentRows(attribute(s), s);
    expect(rows.slice(0, 3)).toEqual([
      { key: 'model:layout', label: 'layout', bytes: 200 * MB },
      { key: 'model:ocr', label: 'ocr', bytes: 100 * MB },
      { key: 'models', label: 'Models (other)', bytes: 100 * MB },
    ]);
    expect(rows.find((r) => r.key === 'arena_free')?.extra).toBe('/ 64.0 MB');
    const whole = sample({ models: { ocr: 400 * MB } });
    expect(componentRows(attribute(whole), whole).map((r) => r.key)).not.toContain('models');
  });
});
