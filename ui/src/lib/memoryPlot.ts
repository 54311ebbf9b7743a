// The memory graph's uPlot set-up: its columns, series and bands, scales and axes, and the hover readout.
import type uPlot from 'uplot';
import { bandColor, bandLabel, bandValue, stackColumns, type Attribution } from './attribution';
import { formatMB, formatRelativeSeconds } from './format';
import { describeMarker, type Marker } from './markers';

const MB = 1024 * 1024;

/** "#rrggbb" at `alpha` as "rgba(r,g,b,alpha)". */
export function withAlpha(hex: string, alpha: number): string {
  const n = Number.parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255},${(n >> 8) & 255},${n & 255},${alpha})`;
}

/** The plot's size for a box of `width` × `height` CSS pixels; never smaller than 100 × 60. */
export function plotSize(width: number, height: number): { width: number; height: number } {
  return { width: Math.max(100, width), height: Math.max(60, height) };
}

/**
 * What uPlot draws: x in seconds, the stacked bands and RSS in MB (see `stackColumns`), then the budget
 * line (MB at every point, or a gap throughout when there is no budget).
 */
export function plotColumns(atts: readonly Attribution[], keys: readonly string[], budgetMb: number | null): uPlot.AlignedData {
  const cols: (number | null)[][] = stackColumns(atts, keys, 1 / 1000, 1 / MB);
  cols.push(atts.map(() => budgetMb));
  return cols as uPlot.AlignedData;
}

/** The newest x (seconds): the axis and the readout count back from it. */
export function newestX(data: uPlot.AlignedData): number {
  const xs = data[0];
  return xs.length > 0 ? (xs[xs.length - 1] as number) : 0;
}

/** The y range for a largest value of `max` MB: from 0 to 15% above it, in steps of 16 MB (100 MB when empty). */
export function yRange(max: number | null | undefined): [number, number] {
  const top = max == null || !Number.isFinite(max) ? 100 : max;
  return [0, Math.max(16, Math.ceil((top * 1.15) / 16) * 16)];
}

/**
 * The readout for one drawn sample: how long before the newest (`newestSeconds`) it was, its RSS and each
 * band it has bytes in; the marker under the cursor, if any, comes first. Empty without a sample.
 */
export function readout(a: Attribution | undefined, keys: readonly string[], newestSeconds: number, marker: Marker | null): string {
  if (!a) return '';
  const parts: string[] = [formatRelativeSeconds(a.t_ms / 1000 - newestSeconds), `RSS ${formatMB(a.rss)}`];
  for (const key of keys) {
    const v = bandValue(a, key);
    if (v > 0) parts.push(`${bandLabel(key)} ${formatMB(v)}`);
  }
  if (marker) parts.unshift(describeMarker(marker));
  return parts.join(' · ');
}

/** The axes' colours (the theme's `--plot-*` variables). */
export interface PlotPalette {
  axis: string;
  grid: string;
  tick: string;
}

export const DARK_PALETTE: PlotPalette = { axis: '#8b9098', grid: 'rgba(255,255,255,0.06)', tick: 'rgba(255,255,255,0.12)' };

/** The palette of the theme shown, from its CSS variables (the dark one where a variable is missing). */
export function themePalette(read: (name: string) => string): PlotPalette {
  const pick = (name: string, fallback: string) => read(name).trim() || fallback;
  return { axis: pick('--plot-axis', DARK_PALETTE.axis), grid: pick('--plot-grid', DARK_PALETTE.grid), tick: pick('--plot-tick', DARK_PALETTE.tick) };
}

/** What the plot calls back: `draw` after each repaint (for the markers), `setCursor` as the cursor moves. */
export interface PlotHooks {
  draw: (u: uPlot) => void;
  setCursor: (u: uPlot) => void;
}

/**
 * Options for a plot of the bands `keys` (bottom to top): one series per band, each filled down to the
 * band below it (the bottom one to zero), then RSS and the dashed budget line; x counts back from the newest.
 */
export function plotOptions(
  keys: readonly string[],
  size: { width: number; height: number },
  hooks: PlotHooks,
  palette: PlotPalette = DARK_PALETTE,
): uPlot.Options {
  const axisColor = palette.axis;
  const grid = { stroke: palette.grid, width: 1 };
  const ticks = { stroke: palette.tick, width: 1, size: 4 };
  const stacked: uPlot.Series[] = keys.map((key, i) => ({
    label: bandLabel(key),
    stroke: withAlpha(bandColor(key, i), 0.7),
    width: 0.5,
    // The bottom band fills to zero; the others fill down to the band below (see `bands`).
    fill: i === 0 ? withAlpha(bandColor(key, i), 0.35) : undefined,
    points: { show: false },
  }));
  const bands: uPlot.Band[] = keys.slice(1).map((key, j) => ({
    series: [j + 2, j + 1] as [number, number],
    fill: withAlpha(bandColor(key, j + 1), 0.35),
  }));
  return {
    width: size.width,
    height: size.height,
    legend: { show: false },
    cursor: { drag: { x: false, y: false }, points: { show: false } },
    scales: {
      x: { time: false },
      y: { range: (_u, _min, max) => yRange(max) },
    },
    series: [
      {},
      ...stacked,
      { label: 'RSS', stroke: '#4ea1ff', width: 1.5, points: { show: false } },
      { label: 'Budget', stroke: '#e6b450', width: 1.25, dash: [6, 4], points: { show: false }, spanGaps: true },
    ],
    bands,
    hooks: {
      draw: [hooks.draw],
      setCursor: [hooks.setCursor],
    },
    axes: [
      {
        stroke: axisColor,
        grid,
        ticks,
        space: 70,
        incrs: [1, 2, 5, 10, 15, 30, 60, 120, 300, 600],
        values: (u, splits) => splits.map((v) => formatRelativeSeconds(v - newestX(u.data))),
      },
      {
        stroke: axisColor,
        grid,
        ticks,
        size: 56,
        values: (_u, splits) => splits.map((v) => `${Math.round(v)} MB`),
      },
    ],
  };
}
