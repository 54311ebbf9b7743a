// The memory panel's data: the back end's sample stream (history, then live samples) and the worker
// events, merged into the one window the graph draws.
import { attribute, bandKeys, ModelTracker, SampleWindow, thin, type Attribution } from './attribution';
import { MarkerLog, markerFromEvent, windowEnd, type Marker } from './markers';
import type { MemorySample, WorkerEvent } from './types';

/**
 * Live samples may arrive before the history they follow: holds them until the history is in, then
 * delivers the history and the held samples, each oldest first. After that, live samples go straight through.
 */
export class SampleFeed {
  private held: MemorySample[] | null = [];

  constructor(private readonly deliver: (sample: MemorySample, live: boolean) => void) {}

  /** A live sample from the stream. */
  live(sample: MemorySample): void {
    if (this.held) this.held.push(sample);
    else this.deliver(sample, true);
  }

  /** The history arrived. */
  history(history: readonly MemorySample[]): void {
    const early = this.held ?? [];
    this.held = null;
    for (const s of [...history].sort((a, b) => a.t_ms - b.t_ms)) this.deliver(s, false);
    for (const s of early.sort((a, b) => a.t_ms - b.t_ms)) this.deliver(s, true);
  }

  /** No history will come: the held samples go through as they came. */
  noHistory(): void {
    const early = this.held ?? [];
    this.held = null;
    for (const s of early) this.deliver(s, true);
  }
}

/** What one redraw of the graph shows. */
export interface MemoryFrame {
  /** The samples to draw, oldest first, thinned to the graph's width. */
  atts: Attribution[];
  /** The bands of those samples, bottom to top. */
  keys: string[];
  /** The markers in the window, in time order. */
  markers: Marker[];
}

/**
 * The window behind the graph: every sample kept (split into its parts), the timeline markers, and which
 * models are loaded, which live samples are split by.
 */
export class MemoryTimeline {
  private readonly samples = new SampleWindow<Attribution>();
  private readonly markers = new MarkerLog();
  private readonly models = new ModelTracker();

  /** Samples in the window. */
  get length(): number {
    return this.samples.length;
  }

  /**
   * Add a sample; its attribution when it was kept, null when it was not newer than the last one.
   * Only live samples can use what model events say is loaded now; history gets one "models" band.
   */
  addSample(sample: MemorySample, live: boolean): Attribution | null {
    const a = attribute(sample, live ? this.models.snapshot() : undefined);
    return this.samples.push(sample.t_ms, a) ? a : null;
  }

  /** Apply a worker event; the marker it put on the timeline, or null when it is not drawn there. */
  applyEvent(ev: WorkerEvent): Marker | null {
    this.models.apply(ev);
    const m = markerFromEvent(ev);
    if (m) this.markers.add(m);
    return m;
  }

  /** A marker the UI adds itself (see `localBatchMarker`). */
  addMarker(m: Marker): void {
    this.markers.add(m);
  }

  /**
   * The next picture: at most about `maxPoints` samples and the markers of the window that ends at the
   * newest sample or marker (`nowMs` when there is neither). Markers older than that window are dropped.
   */
  frame(maxPoints: number, nowMs: number): MemoryFrame {
    const atts = thin(this.samples.toArray(), maxPoints) as Attribution[];
    const keys = bandKeys(atts);
    const end = windowEnd(this.samples.lastTime, this.markers.all(), nowMs);
    this.markers.trim(end);
    return { atts, keys, markers: this.markers.inWindow(end) };
  }
}
