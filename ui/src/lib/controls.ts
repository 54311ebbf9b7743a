// Parsing and helpers for the memory panel's controls (batch sizes, budget, auto-tune).
import { STAGES, type AutotuneReport, type BatchSizes, type Stage, type WorkerEvent } from './types';

export const MAX_BATCH = 1024;

export function isStage(s: string): s is Stage {
  return (STAGES as readonly string[]).includes(s);
}

/** A batch size from an input's text: a whole number in 1..MAX_BATCH, else null. */
export function parseBatchSize(text: string | number): number | null {
  const n = typeof text === 'number' ? text : Number(String(text).trim());
  if (!Number.isFinite(n) || String(text).trim() === '') return null;
  const i = Math.round(n);
  if (i < 1 || i > MAX_BATCH) return null;
  return i;
}

/** A budget from an input's text: empty / "none" → null (no budget); a positive number of MB; else undefined (invalid). */
export function parseBudget(text: string | number | null | undefined): number | null | undefined {
  if (text === null || text === undefined) return null;
  const s = String(text).trim().toLowerCase();
  if (s === '' || s === 'none') return null;
  const n = Number(s);
  if (!Number.isFinite(n) || n <= 0) return undefined;
  return Math.round(n);
}

/** The budget as an input shows it: MB, or empty for none. */
export function budgetText(mb: number | null): string {
  return mb === null ? '' : String(mb);
}

/** The budget from `memory_budget()`'s reply: a positive number of MB, else none. */
export function budgetFromReply(mb: unknown): number | null {
  return typeof mb === 'number' && Number.isFinite(mb) && mb > 0 ? mb : null;
}

/** The batch size a worker event says a stage now runs at (the worker's own change or the budget's), or null. */
export function batchSizeFromEvent(ev: WorkerEvent): [Stage, number] | null {
  let stage: string | undefined;
  let size: string | number;
  if (ev.kind === 'batch_size_changed') [stage, size] = [ev.stage, ev.size];
  else if (ev.kind === 'budget' && ev.action === 'set_batch_size') [stage, size] = [ev.stage, ev.size ?? ''];
  else return null;
  if (!stage || !isStage(stage)) return null;
  const n = parseBatchSize(size);
  return n === null ? null : [stage, n];
}

/** Fill in stages a partial reply left out. */
export function normalizeBatchSizes(raw: Partial<Record<string, unknown>> | null | undefined, fallback = 1): BatchSizes {
  const out = {} as BatchSizes;
  for (const s of STAGES) {
    const v = raw?.[s];
    out[s] = typeof v === 'number' && Number.isFinite(v) && v >= 1 ? Math.round(v) : fallback;
  }
  return out;
}

/** The recommended sizes of an auto-tune report, for known stages. */
export function recommendedSizes(report: Pick<AutotuneReport, 'recommended'>): [Stage, number][] {
  const out: [Stage, number][] = [];
  for (const entry of report.recommended ?? []) {
    if (!Array.isArray(entry) || entry.length < 2) continue;
    const [stage, size] = entry;
    const n = parseBatchSize(size);
    if (typeof stage === 'string' && isStage(stage) && n !== null) out.push([stage, n]);
  }
  return out;
}

/** Whether a row is the recommended one for its stage. */
export function isRecommendedRow(report: Pick<AutotuneReport, 'recommended'>, stage: string, batch: number): boolean {
  return (report.recommended ?? []).some((e) => Array.isArray(e) && e[0] === stage && e[1] === batch);
}

/** "orientation 8 · ocr 12" */
export function formatRecommendation(report: Pick<AutotuneReport, 'recommended'>): string {
  const rec = recommendedSizes(report);
  return rec.length === 0 ? 'no change' : rec.map(([s, n]) => `${s} ${n}`).join(' · ');
}

/** "ocr-sample.pdf · 3 sample pages · budget 2048 MB · text detection at ≤ 1280 px", the report's heading. */
export function autotuneSummary(report: Pick<AutotuneReport, 'sample_pages' | 'budget_mb' | 'detection_max_side'>, docName: string): string {
  const pages = `${report.sample_pages} sample page${report.sample_pages === 1 ? '' : 's'}`;
  const budget = report.budget_mb === null ? 'none' : `${Math.round(report.budget_mb)} MB`;
  const detection = report.detection_max_side === null ? '' : ` · text detection at ≤ ${report.detection_max_side} px`;
  return `${docName} · ${pages} · budget ${budget}${detection}`;
}

/** A figure of the report's table to `digits` decimals, "–" when it is not a number. */
export function formatFigure(v: number, digits = 1): string {
  return Number.isFinite(v) ? v.toFixed(digits) : '–';
}
