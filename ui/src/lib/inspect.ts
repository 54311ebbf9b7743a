// What the inspection tools decide: which region classes a page has, which lines are of low confidence,
// and what the side panel lists. The grouping of lines into regions comes from the engine (`page_text`).
import type { OcrLine, PageResult, TextBlock } from './types';

/** Each region class on the page with how many regions have it, in the order they first appear. */
export function regionClasses(result: Pick<PageResult, 'regions'> | null): { cls: string; count: number }[] {
  const out: { cls: string; count: number }[] = [];
  for (const r of result?.regions ?? []) {
    const entry = out.find((e) => e.cls === r.class);
    if (entry) entry.count++;
    else out.push({ cls: r.class, count: 1 });
  }
  return out;
}

/** A recognised line under the threshold (0–1); text-layer lines have no recogniser's confidence. */
export function isLowConfidence(line: Pick<OcrLine, 'score' | 'source'>, threshold: number): boolean {
  return line.source !== 'pdf' && Number.isFinite(line.score) && line.score < threshold;
}

/** How many recognised lines fall under the threshold. */
export function lowConfidenceCount(result: Pick<PageResult, 'lines'> | null, threshold: number): number {
  return (result?.lines ?? []).filter((l) => isLowConfidence(l, threshold)).length;
}

export interface PanelLine {
  index: number;
  text: string;
  /** "92%" for a recognised line, "text layer" for one from the PDF's own text. */
  confidence: string;
  low: boolean;
  /** The text that was found, where a user corrected it. */
  original: string | null;
}

export interface PanelBlock {
  key: string;
  heading: string;
  /** The region's place in the page's regions (null for lines outside every region), its class, and the
   * class layout analysis found where a user changed it. */
  region: number | null;
  cls: string | null;
  originalClass: string | null;
  lines: PanelLine[];
}

/** The classes a region can be given (the layout model's). */
export const LAYOUT_CLASSES = ['text', 'title', 'figure', 'figure_caption', 'table', 'table_caption', 'header', 'footer', 'reference', 'equation'];

/** The side panel's blocks: the engine's reading order, each line with its text and confidence. */
export function panelBlocks(
  blocks: TextBlock[],
  result: Pick<PageResult, 'lines' | 'edits' | 'region_edits'> | null,
  threshold: number,
): PanelBlock[] {
  const lines = result?.lines ?? [];
  const edits = result?.edits ?? [];
  const regionEdits = result?.region_edits ?? [];
  return blocks
    .filter((b) => b.lines.length > 0)
    .map((b, i) => ({
      key: b.region === null ? `rest-${i}` : `region-${b.region}`,
      heading: b.class ? b.class.replace(/_/g, ' ') : 'outside regions',
      region: b.region,
      cls: b.class,
      originalClass: regionEdits.find((e) => e.region === b.region)?.original_class ?? null,
      lines: b.lines
        .filter((index) => index >= 0 && index < lines.length)
        .map((index) => {
          const line = lines[index];
          return {
            index,
            text: line.text,
            confidence: line.source === 'pdf' ? 'text layer' : `${Math.round(line.score * 100)}%`,
            low: isLowConfidence(line, threshold),
            original: edits.find((e) => e.line === index)?.original ?? null,
          };
        }),
    }));
}

/** The panel's text for copying: blocks apart by a blank line, lines on their own lines. */
export function panelText(blocks: PanelBlock[]): string {
  return blocks.map((b) => b.lines.map((l) => l.text).join('\n')).join('\n\n');
}
