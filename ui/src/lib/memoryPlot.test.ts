import type uPlot from 'uplot';
import { describe, expect, it } from 'vitest';
import { attribute, bandKeys } from './attribution';
import { newestX, plotColumns, plotOptions, plotSize, readout, withAlpha, yRange } from './memoryPlot';
import type { MemorySample } from './types';

const MB = 1024 * 1024;

function sample(over: Partial<MemorySample> = {}): MemorySample {
  return {
    t_ms: 10_000,
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

describe('plot data', () => {
  const atts = [attribute(sample({ t_ms: 2000 })), attribute(sample({ t_ms: 4000, rss_bytes: 1200 * MB }))];
  const keys = bandKeys(atts);

  it('has x in seconds, the stack and RSS in MB, then the budget line', () => {
    const cols = plotColumns(atts, keys, 1536);
    expect(cols).toHaveLength(1 + keys.length + 2);
    expect(cols[0]).toEqual([2, 4]);
    expect(cols[1]).toEqual([400, 400]);
    expect(cols[cols.length - 2]).toEqual([1000, 1200]);
    expect(cols[cols.length - 1]).toEqual([1536, 1536]);
  });

  it('leaves a gap for the budget line when there is no budget', () => {
    const cols = plotColumns(atts, keys, null);
    expect(cols[cols.length - 1]).toEqual([null, null]);
  });

  it('counts back from the newest x', () => {
    expect(newestX(plotColumns(atts, keys, null))).toBe(4);
    expect(newestX([[]])).toBe(0);
  });
});

describe('plot scale and size', () => {
  it('tops the y range 15% above the largest value, in 16 MB steps', () => {
    expect(yRange(1000)).toEqual([0, 1152]);
    expect(yRange(1)).toEqual([0, 16]);
    expect(yRange(null)).toEqual([0, 128]);
    expect(yRange(NaN)).toEqual([0, 128]);
  });

  it('never makes the plot smaller than 100 × 60', () => {
    expect(plotSize(800, 150)).toEqual({ width: 800, height: 150 });
    expect(plotSize(0, 0)).toEqual({ width: 100, height: 60 });
  });

  it('turns a colour translucent', () => {
    expect(withAlpha('#4ea1ff', 0.35)).toBe('rgba(78,161,255,0.35)');
  });
});

describe('readout', () => {
  it('says when, the RSS, and each band with bytes in it', () => {
    const a = attribute(sample({ t_ms: 10_000 }));
    const text = readout(a, bandKeys([a]), 100, null);
    expect(text).toBe('-1:30 · RSS 1000 MB · Models 400.0 MB · Page cache 100.0 MB · Other 500.0 MB');
  });

  it('puts the marker under the cursor first, and is empty without a sample', () => {
    const a = attribute(sample({ t_ms: 10_000 }));
    const text = readout(a, ['page_cache'], 10, { t_ms: 10_000, kind: 'leak', text: 'growing' });
    expect(text).toBe('Leak warning: growing · now · RSS 1000 MB · Page cache 100.0 MB');
    expect(readout(undefined, ['page_cache'], 10, null)).toBe('');
  });
});

describe('plotOptions', () => {
  const keys = ['model:ocr', 'models', 'page_cache'];
  const hooks = { draw: () => {}, setCursor: () => {} };
  const opts = plotOptions(keys, { width: 640, height: 120 }, hooks);

  it('has one series per band, then RSS and the budget', () => {
    const series = opts.series;
    expect(series).toHaveLength(1 + keys.length + 2);
    expect(series.slice(1, 4).map((s) => s.label)).toEqual(['ocr', 'Models', 'Page cache']);
    expect(series[4]).toMatchObject({ label: 'RSS', stroke: '#4ea1ff' });
    expect(series[5]).toMatchObject({ label: 'Budget', dash: [6, 4], spanGaps: true });
    expect([opts.width, opts.height]).toEqual([640, 120]);
  });

  it('fills the bottom band to zero and each other band down to the one below', () => {
    expect(opts.series[1].fill).toBe('rgba(247,140,108,0.35)');
    expect(opts.series[2].fill).toBeUndefined();
    expect(opts.bands?.map((b) => b.series)).toEqual([
      [2, 1],
      [3, 2],
    ]);
    expect(opts.bands?.[1].fill).toBe('rgba(137,221,255,0.35)');
  });

  it('wires the hooks, the y range and the axis labels', () => {
    expect(opts.hooks?.draw).toEqual([hooks.draw]);
    expect(opts.hooks?.setCursor).toEqual([hooks.setCursor]);
    const u = { data: [[100, 160]] } as unknown as uPlot;
    const range = opts.scales?.y?.range as (u: uPlot, min: number, max: number, key: string) => [number, number];
    expect(range(u, 0, 1000, 'y')).toEqual([0, 1152]);
    const [x, y] = opts.axes ?? [];
    const xValues = x.values as (u: uPlot, splits: number[]) => string[];
    const yValues = y.values as (u: uPlot, splits: number[]) => string[];
    expect(xValues(u, [100, 130, 160])).toEqual(['-1:00', '-0:30', 'now']);
    expect(yValues(u, [0, 511.6])).toEqual(['0 MB', '512 MB']);
  });
});
