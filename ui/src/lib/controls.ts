// Parsing and helpers for the memory panel's controls (batch sizes, budget, auto-tune).
import { STAGES, type AutotuneReport, type BatchSizes, type Stage } from './types';

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
