// What the models panel shows of each model, apart from the component.
import { formatMB } from './format';
import type { ModelStatus } from './types';

/** The idle-unload choices, in seconds (null: never). */
export const IDLE_CHOICES: { seconds: number | null; label: string }[] = [
  { seconds: null, label: 'Never' },
  { seconds: 60, label: 'After 1 minute unused' },
  { seconds: 300, label: 'After 5 minutes unused' },
  { seconds: 900, label: 'After 15 minutes unused' },
];

export const MODEL_NAMES: Record<string, string> = {
  orientation: 'Orientation',
  layout: 'Layout',
  ocr_det: 'Text detection',
  ocr_cls: 'Text direction',
  ocr_rec: 'Text recognition (PP-OCRv4)',
  ocr_rec_v5: 'Text recognition (PP-OCRv5)',
  table: 'Table structure',
  embedding: 'Embeddings (MiniLM)',
};

/** "3 s ago", "4 min ago", "never". */
export function lastUsed(idleMs: number | null): string {
  if (idleMs === null) return 'never';
  const s = Math.round(idleMs / 1000);
  if (s < 60) return `${s} s ago`;
  const m = Math.round(s / 60);
  return m < 60 ? `${m} min ago` : `${Math.round(m / 60)} h ago`;
}

export interface ModelRow {
  name: string;
  label: string;
  state: 'loaded' | 'not loaded';
  bytes: string;
  loads: number;
  loadTime: string;
  lastUsed: string;
  canUnload: boolean;
}

export function modelRows(statuses: ModelStatus[]): ModelRow[] {
  return statuses.map((s) => ({
    name: s.name,
    label: MODEL_NAMES[s.name] ?? s.name,
    state: s.loaded ? 'loaded' : 'not loaded',
    bytes: s.load_count > 0 ? formatMB(s.bytes) : '—',
    loads: s.load_count,
    loadTime: s.load_count > 0 ? `${Math.round(s.load_ms)} ms` : '—',
    lastUsed: lastUsed(s.idle_ms),
    canUnload: s.loaded,
  }));
}
