// What the resident set is made of: pure logic behind the memory panel's stacked graph.
import { formatMB } from './format';
import { DEFAULT_CAPACITY, DEFAULT_WINDOW_MS } from './series';
import type { MemorySample, WorkerEvent } from './types';

/** One sample split into the parts the graph stacks (bytes). */
export interface Attribution {
  t_ms: number;
  rss: number;
  /** Per-model bytes, when known (sums to at most `modelsTotal`). */
  models: [string, number][];
  /** Model bytes not attributed to a named model. */
  modelsOther: number;
  /** All model bytes. */
  modelsTotal: number;
  pageCache: number;
  pdfium: number;
  inFlight: number;
  /** Free memory the inference arena keeps for the next inference. */
  arenaFree: number;
  /** The search's block of embeddings, held between queries. */
  searchIndex: number;
  /** Resident code, libraries and mapped files. */
  libraries: number;
  /** RSS minus everything above, never negative. */
  other: number;
}

/** Bands of the stacked graph, bottom to top. Model bands are `model:<name>`. */
export const BAND_MODELS_OTHER = 'models';
export const FIXED_BANDS = ['page_cache', 'pdfium', 'in_flight', 'arena_free', 'search_index', 'libraries', 'other'] as const;

export const BAND_LABELS: Record<string, string> = {
  models: 'Models',
  page_cache: 'Page cache',
  pdfium: 'PDFium',
  in_flight: 'In flight',
  arena_free: 'Arena reserve',
  search_index: 'Search index',
  libraries: 'Code & libraries',
  other: 'Other',
};

export function bandLabel(key: string): string {
  if (key.startsWith('model:')) return key.slice('model:'.length);
  return BAND_LABELS[key] ?? key;
}

/** Model bands take these colours in turn; every other band has its own. */
const MODEL_PALETTE = ['#f78c6c', '#c792ea', '#ff9e64', '#bb80b3', '#f4a261', '#d291bc'];
const BAND_COLORS: Record<string, string> = {
  models: '#f78c6c',
  page_cache: '#89ddff',
  pdfium: '#5fd38d',
  in_flight: '#e6b450',
  arena_free: '#7fb4d0',
  search_index: '#c3e88d',
  libraries: '#9aa5ce',
  other: '#6c737d',
};

/** Colour of the band `key`, drawn `index`-th from the bottom (a model band's colour depends on its place). */
export function bandColor(key: string, index: number): string {
  if (key.startsWith('model:')) return MODEL_PALETTE[index % MODEL_PALETTE.length];
  return BAND_COLORS[key] ?? '#6c737d';
}

/** Colour of the band `key` among the bands `keys` (bottom to top), as the graph draws it. */
export function bandColorIn(keys: readonly string[], key: string): string {
  return bandColor(key, keys.indexOf(key));
}

function nonNeg(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : 0;
}

/** Accept `{name: bytes}` or `[[name, bytes]]`; drop bad entries, keep order, sort by name for stable bands. */
export function normalizeModels(raw: MemorySample['models'] | Map<string, number> | null | undefined): [string, number][] {
  if (!raw) return [];
  let entries: [unknown, unknown][];
  if (raw instanceof Map) entries = [...raw.entries()];
  else if (Array.isArray(raw)) entries = raw.filter((e) => Array.isArray(e) && e.length >= 2) as [unknown, unknown][];
  else entries = Object.entries(raw);
  const out: [string, number][] = [];
  for (const [name, bytes] of entries) {
    if (typeof name !== 'string' || name === '') continue;
    const b = nonNeg(bytes);
    if (b > 0) out.push([name, b]);
  }
  return out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/**
 * Split one sample. Per-model bytes come from the sample itself when it has them, else from `known`
 * (what model load/unload events say is loaded). They are scaled down if they add up to more than
 * `models_bytes`; whatever they do not cover stays in one "models" band.
 */
export function attribute(sample: MemorySample, known?: [string, number][]): Attribution {
  const rss = nonNeg(sample.rss_bytes);
  const fromSample = normalizeModels(sample.models);
  let models = fromSample.length > 0 ? fromSample : (known ?? []).filter(([, b]) => b > 0);
  const named = models.reduce((s, [, b]) => s + b, 0);
  const modelsTotal = sample.models_bytes === undefined || sample.models_bytes === null ? named : nonNeg(sample.models_bytes);
  if (named > modelsTotal && named > 0) {
    const k = modelsTotal / named;
    models = models.map(([n, b]) => [n, b * k] as [string, number]).filter(([, b]) => b > 0);
  }
  const namedScaled = models.reduce((s, [, b]) => s + b, 0);
  const modelsOther = Math.max(0, modelsTotal - namedScaled);
  const pageCache = nonNeg(sample.page_cache_bytes);
  const pdfium = nonNeg(sample.pdfium_bytes);
  const inFlight = nonNeg(sample.in_flight_bytes);
  const arenaFree = nonNeg(sample.arena_free_bytes);
  const searchIndex = nonNeg(sample.search_index_bytes);
  const libraries = nonNeg(sample.libraries_bytes);
  // The engine's figure; only a sample from an older back end leaves it to be worked out here.
  const other =
    typeof sample.other_bytes === 'number' && Number.isFinite(sample.other_bytes)
      ? nonNeg(sample.other_bytes)
      : Math.max(0, rss - modelsTotal - pageCache - pdfium - inFlight - arenaFree - searchIndex - libraries);
  return { t_ms: sample.t_ms, rss, models, modelsOther, modelsTotal, pageCache, pdfium, inFlight, arenaFree, searchIndex, libraries, other };
}

/** Value of one band in an attribution. */
export function bandValue(a: Attribution, key: string): number {
  switch (key) {
    case BAND_MODELS_OTHER:
      return a.modelsOther;
    case 'page_cache':
      return a.pageCache;
    case 'pdfium':
      return a.pdfium;
    case 'in_flight':
      return a.inFlight;
    case 'arena_free':
      return a.arenaFree;
    case 'search_index':
      return a.searchIndex;
    case 'libraries':
      return a.libraries;
    case 'other':
      return a.other;
    default:
      if (key.startsWith('model:')) {
        const name = key.slice('model:'.length);
        return a.models.find(([n]) => n === name)?.[1] ?? 0;
      }
      return 0;
  }
}

/**
 * Band keys for a window of attributions, bottom to top: one band per named model seen (sorted), then
 * "models" when some model bytes are unattributed (or no model is named), then the fixed bands.
 */
export function bandKeys(atts: readonly Attribution[]): string[] {
  const names = new Set<string>();
  let unattributed = false;
  for (const a of atts) {
    for (const [n] of a.models) names.add(n);
    if (a.modelsOther > 0) unattributed = true;
  }
  const keys = [...names].sort().map((n) => `model:${n}`);
  if (unattributed || names.size === 0) keys.push(BAND_MODELS_OTHER);
  return [...keys, ...FIXED_BANDS];
}

/**
 * At most about `maxPoints` of `atts` to draw, oldest first: each bucket of consecutive samples is drawn as
 * its highest-RSS sample (peaks stay visible), and the newest sample is always kept. Every sample stays in
 * the window; only the picture has fewer vertices than there are samples, never more than pixels.
 */
export function thin(atts: readonly Attribution[], maxPoints: number): readonly Attribution[] {
  const n = atts.length;
  const limit = Math.max(2, Math.floor(maxPoints));
  if (n <= limit) return atts;
  const bucket = Math.ceil(n / limit);
  const out: Attribution[] = [];
  for (let start = 0; start < n; start += bucket) {
    let best = atts[start];
    const end = Math.min(n, start + bucket);
    for (let i = start + 1; i < end; i++) if (atts[i].rss > best.rss) best = atts[i];
    out.push(best);
  }
  const last = atts[n - 1];
  if (out[out.length - 1] !== last) out.push(last);
  return out;
}

/**
 * uPlot columns: x (t × timeScale), one cumulative column per band (bottom to top, × valueScale), then RSS.
 * The top of the stack is max(RSS, sum of the parts).
 */
export function stackColumns(
  atts: readonly Attribution[],
  keys: readonly string[],
  timeScale = 1,
  valueScale = 1,
): number[][] {
  const n = atts.length;
  const cols: number[][] = [new Array<number>(n)];
  for (let k = 0; k < keys.length; k++) cols.push(new Array<number>(n));
  const rss = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const a = atts[i];
    cols[0][i] = a.t_ms * timeScale;
    let acc = 0;
    for (let k = 0; k < keys.length; k++) {
      acc += bandValue(a, keys[k]);
      cols[k + 1][i] = acc * valueScale;
    }
    rss[i] = a.rss * valueScale;
  }
  cols.push(rss);
  return cols;
}

/** Which models are loaded, from `model_loaded` / `model_unloaded` events. */
export class ModelTracker {
  private loaded = new Map<string, number>();

  /** Returns true when the event changed what is loaded. */
  apply(ev: WorkerEvent): boolean {
    if (ev.kind === 'model_loaded') {
      this.loaded.set(ev.model, nonNeg(ev.bytes));
      return true;
    }
    if (ev.kind === 'model_unloaded' || (ev.kind === 'budget' && ev.action === 'unload_model' && ev.model)) {
      return this.loaded.delete(ev.model as string);
    }
    return false;
  }

  snapshot(): [string, number][] {
    return normalizeModels(this.loaded);
  }
}

/**
 * Time-ordered ring of items with the same rules as `TimeSeries`: items older than `windowMs` before
 * the newest are dropped, the oldest is overwritten when full, and items not newer than the newest are
 * rejected.
 */
export class SampleWindow<T> {
  private readonly items: (T | undefined)[];
  private readonly times: Float64Array;
  private head = 0;
  private len = 0;

  constructor(
    readonly capacity = DEFAULT_CAPACITY,
    readonly windowMs = DEFAULT_WINDOW_MS,
  ) {
    if (!Number.isInteger(capacity) || capacity <= 0) throw new RangeError(`invalid capacity: ${capacity}`);
    if (!(windowMs > 0)) throw new RangeError(`invalid window: ${windowMs}`);
    this.items = new Array<T | undefined>(capacity);
    this.times = new Float64Array(capacity);
  }

  get length(): number {
    return this.len;
  }

  get lastTime(): number | null {
    return this.len === 0 ? null : this.times[(this.head + this.len - 1) % this.capacity];
  }

  push(timeMs: number, item: T): boolean {
    if (!Number.isFinite(timeMs)) return false;
    const last = this.lastTime;
    if (last !== null && timeMs <= last) return false;
    if (this.len === this.capacity) {
      this.items[this.head] = undefined;
      this.head = (this.head + 1) % this.capacity;
      this.len--;
    }
    const i = (this.head + this.len) % this.capacity;
    this.items[i] = item;
    this.times[i] = timeMs;
    this.len++;
    const cutoff = timeMs - this.windowMs;
    while (this.len > 0 && this.times[this.head] < cutoff) {
      this.items[this.head] = undefined;
      this.head = (this.head + 1) % this.capacity;
      this.len--;
    }
    return true;
  }

  /** Oldest first. */
  toArray(): T[] {
    const out = new Array<T>(this.len);
    for (let k = 0; k < this.len; k++) out[k] = this.items[(this.head + k) % this.capacity] as T;
    return out;
  }

  clear(): void {
    this.items.fill(undefined);
    this.head = 0;
    this.len = 0;
  }
}

/** One line of the figures beside the graph: a part of RSS, and its bound when it has one. */
export interface ComponentRow {
  /** The band it is drawn as. */
  key: string;
  label: string;
  bytes: number;
  /** E.g. "/ 256.0 MB", the cache's limit. */
  extra?: string;
}

/**
 * The parts of the newest sample, in the graph's order: one row per named model (and the rest of the
 * model bytes), else one "Models" row; then the fixed bands, the cache and the arena with their limits.
 */
export function componentRows(a: Attribution | null, sample: MemorySample | null): ComponentRow[] {
  if (!a) return [];
  const rows: ComponentRow[] = [];
  if (a.models.length > 0) {
    for (const [name, bytes] of a.models) rows.push({ key: `model:${name}`, label: name, bytes });
    if (a.modelsOther > 0) rows.push({ key: 'models', label: 'Models (other)', bytes: a.modelsOther });
  } else {
    rows.push({ key: 'models', label: 'Models', bytes: a.modelsTotal });
  }
  const limit = sample?.page_cache_limit_bytes ?? 0;
  rows.push({ key: 'page_cache', label: 'Page cache', bytes: a.pageCache, extra: limit > 0 ? `/ ${formatMB(limit)}` : undefined });
  rows.push({ key: 'pdfium', label: 'PDFium', bytes: a.pdfium });
  rows.push({ key: 'in_flight', label: 'In flight', bytes: a.inFlight });
  const arenaLimit = sample?.arena_free_limit_bytes ?? 0;
  rows.push({ key: 'arena_free', label: 'Arena reserve', bytes: a.arenaFree, extra: arenaLimit > 0 ? `/ ${formatMB(arenaLimit)}` : undefined });
  rows.push({ key: 'search_index', label: 'Search index', bytes: a.searchIndex });
  rows.push({ key: 'libraries', label: 'Code & libraries', bytes: a.libraries });
  rows.push({ key: 'other', label: 'Other', bytes: a.other });
  return rows;
}
