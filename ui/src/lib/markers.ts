// Timeline markers on the memory graph: which worker events become markers, their labels, and the window.
import { formatMB } from './format';
import { DEFAULT_WINDOW_MS } from './series';
import type { WorkerEvent } from './types';

export type MarkerKind =
  | 'job_start'
  | 'job_end'
  | 'batch'
  | 'model_loaded'
  | 'model_unloaded'
  | 'cache_evict'
  | 'budget'
  | 'leak';

export interface Marker {
  t_ms: number;
  kind: MarkerKind;
  /** Short text, e.g. "OCR batch → 8". */
  text: string;
  /** Markers with the same key close together in time are one marker (see `MarkerLog.add`). */
  key?: string;
  /** Added by the UI itself (e.g. the user changed a batch size) rather than from an event. */
  local?: boolean;
}

export const MARKER_KINDS: readonly MarkerKind[] = [
  'job_start',
  'job_end',
  'batch',
  'model_loaded',
  'model_unloaded',
  'cache_evict',
  'budget',
  'leak',
];

/** Readable label and colour per kind. */
export const MARKER_STYLE: Record<MarkerKind, { label: string; color: string }> = {
  job_start: { label: 'Job started', color: '#5fd38d' },
  job_end: { label: 'Job ended', color: '#3fa56b' },
  batch: { label: 'Batch size changed', color: '#c792ea' },
  model_loaded: { label: 'Model loaded', color: '#f78c6c' },
  model_unloaded: { label: 'Model unloaded', color: '#b0715c' },
  cache_evict: { label: 'Cache eviction', color: '#89ddff' },
  budget: { label: 'Budget action', color: '#e6b450' },
  leak: { label: 'Leak warning', color: '#ff6b6b' },
};

export function markerLabel(kind: MarkerKind): string {
  return MARKER_STYLE[kind].label;
}

function stageName(stage: string | null | undefined): string {
  if (!stage) return '?';
  return stage === 'ocr' ? 'OCR' : stage;
}

function withReason(text: string, reason: string | undefined): string {
  return reason ? `${text} (${reason})` : text;
}

/** The marker for a worker event, or null when the event is not drawn on the timeline. */
export function markerFromEvent(ev: WorkerEvent, nowMs: number = Date.now()): Marker | null {
  const t_ms = typeof ev.t_ms === 'number' && Number.isFinite(ev.t_ms) ? ev.t_ms : nowMs;
  switch (ev.kind) {
    case 'job_started':
      return { t_ms, kind: 'job_start', text: `Job ${ev.job} started` };
    case 'job_ended':
      return { t_ms, kind: 'job_end', text: `Job ${ev.job} ${ev.state} (${ev.pages_done} pages)` };
    case 'batch_size_changed':
      return {
        t_ms,
        kind: 'batch',
        text: withReason(`${stageName(ev.stage)} batch → ${ev.size}`, ev.reason),
        key: batchKey(ev.stage, ev.size),
      };
    case 'model_loaded':
      return {
        t_ms,
        kind: 'model_loaded',
        text: `${ev.model} loaded (${formatMB(ev.bytes)}, ${Math.round(ev.ms)} ms)`,
      };
    case 'model_unloaded':
      return { t_ms, kind: 'model_unloaded', text: withReason(`${ev.model} unloaded`, ev.reason) };
    case 'budget':
      switch (ev.action) {
        case 'evict_cache':
          return {
            t_ms,
            kind: 'cache_evict',
            text: withReason(
              typeof ev.to_bytes === 'number' ? `Cache evicted to ${formatMB(ev.to_bytes)}` : 'Cache evicted',
              ev.reason,
            ),
          };
        case 'set_batch_size':
          return { t_ms, kind: 'budget', text: withReason(`Budget: ${stageName(ev.stage)} batch → ${ev.size ?? '?'}`, ev.reason) };
        case 'limit_detection':
          return {
            t_ms,
            kind: 'budget',
            text: withReason(
              typeof ev.max_side === 'number' ? `Budget: text detection at ${ev.max_side} px` : 'Budget: text detection at full size',
              ev.reason,
            ),
          };
        case 'pause_intake':
          return { t_ms, kind: 'budget', text: withReason('Budget: intake paused', ev.reason) };
        case 'resume_intake':
          return { t_ms, kind: 'budget', text: withReason('Budget: intake resumed', ev.reason) };
        case 'unload_model':
          return { t_ms, kind: 'budget', text: withReason(`Budget: unload ${ev.model ?? 'model'}`, ev.reason) };
        case 'keep_model':
          return { t_ms, kind: 'budget', text: withReason(`Budget: keep ${ev.model ?? 'model'} loaded`, ev.reason) };
        case 'lean_arena':
          return {
            t_ms,
            kind: 'budget',
            text: withReason(ev.on === false ? 'Budget: arena keeps its reserve' : 'Budget: arena gives memory back', ev.reason),
          };
        default:
          return { t_ms, kind: 'budget', text: withReason(`Budget: ${String((ev as { action: unknown }).action)}`, ev.reason) };
      }
    case 'leak_warning': {
      const slope = Number.isFinite(ev.slope_bytes_per_page) ? formatMB(ev.slope_bytes_per_page) : '?';
      const suspect = ev.suspect_stage ? `, suspect ${stageName(ev.suspect_stage)}` : '';
      return { t_ms, kind: 'leak', text: `Leak warning at page ${ev.page}: +${slope}/page${suspect}` };
    }
    default:
      return null;
  }
}

export function batchKey(stage: string, size: number): string {
  return `batch:${stage}:${size}`;
}

/** A marker for a batch size the user set (before, or in case, the back end reports it). */
export function localBatchMarker(stage: string, size: number, nowMs: number = Date.now()): Marker {
  return { t_ms: nowMs, kind: 'batch', text: `${stageName(stage)} batch → ${size} (set by you)`, key: batchKey(stage, size), local: true };
}

/** Markers kept for the graph's window, in time order. */
export class MarkerLog {
  private list: Marker[] = [];

  constructor(
    readonly windowMs = DEFAULT_WINDOW_MS,
    readonly capacity = 1000,
    /** Keyed markers this close together are merged. */
    readonly mergeMs = 5000,
  ) {}

  get length(): number {
    return this.list.length;
  }

  /**
   * Add a marker; returns false when it was merged into an existing one with the same key (a local
   * marker then takes the event's time and text) or rejected (non-finite time).
   */
  add(m: Marker): boolean {
    if (!Number.isFinite(m.t_ms)) return false;
    if (m.key) {
      const same = this.list.find((x) => x.key === m.key && Math.abs(x.t_ms - m.t_ms) <= this.mergeMs);
      if (same) {
        if (same.local && !m.local) {
          this.list = this.list.filter((x) => x !== same);
          this.insert({ ...m });
        }
        return false;
      }
    }
    this.insert({ ...m });
    if (this.list.length > this.capacity) this.list.splice(0, this.list.length - this.capacity);
    return true;
  }

  private insert(m: Marker) {
    let i = this.list.length;
    while (i > 0 && this.list[i - 1].t_ms > m.t_ms) i--;
    this.list.splice(i, 0, m);
  }

  /** Drop markers older than the window before `endMs`. */
  trim(endMs: number): void {
    const cutoff = endMs - this.windowMs;
    let k = 0;
    while (k < this.list.length && this.list[k].t_ms < cutoff) k++;
    if (k > 0) this.list.splice(0, k);
  }

  /** Markers in [endMs − window, endMs]. */
  inWindow(endMs: number): Marker[] {
    return markersInWindow(this.list, endMs - this.windowMs, endMs);
  }

  all(): Marker[] {
    return [...this.list];
  }

  clear(): void {
    this.list = [];
  }
}

/** Markers with start ≤ t ≤ end (input in time order or not; output in time order). */
export function markersInWindow(markers: readonly Marker[], startMs: number, endMs: number): Marker[] {
  return markers.filter((m) => m.t_ms >= startMs && m.t_ms <= endMs).sort((a, b) => a.t_ms - b.t_ms);
}

/** The end of the graph's window: the newest of the last sample and the last marker (or now, when neither). */
export function windowEnd(lastSampleMs: number | null, markers: readonly Marker[], nowMs: number): number {
  let end = lastSampleMs ?? -Infinity;
  for (const m of markers) if (m.t_ms > end) end = m.t_ms;
  return Number.isFinite(end) ? end : nowMs;
}

/** The marker nearest to x (pixels) within `tolerancePx`, given a time → pixel mapping. */
export function nearestMarker(
  markers: readonly Marker[],
  x: number,
  toPx: (t_ms: number) => number,
  tolerancePx = 5,
): Marker | null {
  let best: Marker | null = null;
  let bestD = tolerancePx;
  for (const m of markers) {
    const d = Math.abs(toPx(m.t_ms) - x);
    if (d <= bestD) {
      best = m;
      bestD = d;
    }
  }
  return best;
}

/** Count per kind, e.g. for a legend ("Batch size changed ×2"). */
export function countByKind(markers: readonly Marker[]): Partial<Record<MarkerKind, number>> {
  const out: Partial<Record<MarkerKind, number>> = {};
  for (const m of markers) out[m.kind] = (out[m.kind] ?? 0) + 1;
  return out;
}

/** "Batch size changed: OCR batch → 8", as the graph's readout names a marker. */
export function describeMarker(m: Marker): string {
  return `${MARKER_STYLE[m.kind].label}: ${m.text}`;
}

/** A marker and the pixel column it is drawn at. */
export interface PlacedMarker {
  marker: Marker;
  x: number;
}

/**
 * Where the markers fall on a plot area `left`..`left + width` (pixels, with one pixel of slack either
 * side), given a time → pixel mapping: each at a whole pixel; those outside the area are left out.
 */
export function placeMarkers(
  markers: readonly Marker[],
  toPx: (t_ms: number) => number,
  left: number,
  width: number,
): PlacedMarker[] {
  const out: PlacedMarker[] = [];
  for (const marker of markers) {
    const x = Math.round(toPx(marker.t_ms));
    if (!Number.isFinite(x) || x < left - 1 || x > left + width + 1) continue;
    out.push({ marker, x });
  }
  return out;
}
