// What the inspection tools decide: which region classes a page has, which lines are of low confidence,
// and what the side panel lists. The grouping of lines into regions comes from the engine (`page_text`).
import type { OcrLine, PageResult, TableResult, TextBlock } from './types';

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

/** One cell of a table as the side panel lays it out. */
export interface GridCellView {
  text: string;
  rowSpan: number;
  colSpan: number;
}

/**
 * A table's rows for the side panel, from its cells' places in the grid (the engine's), each row in column
 * order. Null where the cells have no places (results stored before cells had them).
 */
export function tableRows(table: Pick<TableResult, 'cells'>): GridCellView[][] | null {
  const cells = table.cells ?? [];
  if (cells.length === 0) return null;
  const placed = cells.some((c) => (c.row ?? 0) > 0 || (c.col ?? 0) > 0);
  if (!placed && cells.length > 1) return null;
  const at = (v: number | undefined) => Math.max(0, Math.trunc(v ?? 0));
  const span = (v: number | undefined) => Math.max(1, Math.trunc(v ?? 1));
  const height = Math.max(...cells.map((c) => at(c.row) + span(c.row_span)));
  const width = Math.max(...cells.map((c) => at(c.col) + span(c.col_span)));
  // Which positions a cell covers; a position no cell covers (a cell the model gave no box) is shown empty.
  const start = new Map<string, GridCellView>();
  const covered = new Set<string>();
  for (const c of cells) {
    const [r, col, rs, cs] = [at(c.row), at(c.col), span(c.row_span), span(c.col_span)];
    if (start.has(`${r},${col}`) || covered.has(`${r},${col}`)) continue;
    start.set(`${r},${col}`, { text: c.text, rowSpan: rs, colSpan: cs });
    for (let dr = 0; dr < rs; dr++) for (let dc = 0; dc < cs; dc++) if (dr || dc) covered.add(`${r + dr},${col + dc}`);
  }
  const rows: GridCellView[][] = [];
  for (let r = 0; r < height; r++) {
    const row: GridCellView[] = [];
    for (let c = 0; c < width; c++) {
      const cell = start.get(`${r},${c}`);
      if (cell) row.push(cell);
      else if (!covered.has(`${r},${c}`)) row.push({ text: '', rowSpan: 1, colSpan: 1 });
    }
    rows.push(row);
  }
  return rows;
}

/** The page's tables that belong to region `region` (the table stage keeps the region's box as the table's). */
export function tablesOf(result: Pick<PageResult, 'regions' | 'tables'>, region: number | null): TableResult[] {
  const r = region === null ? undefined : result.regions?.[region];
  if (!r) return [];
  return (result.tables ?? []).filter((t) => t.bbox.length >= 4 && t.bbox.every((v, i) => i >= 4 || Math.abs(v - r.bbox[i]) < 0.5));
}

/** The line `step` lines after `current` in the panel's reading order (the first or last when none is chosen). */
export function stepLine(blocks: PanelBlock[], current: number | null, step: 1 | -1): number | null {
  const order = blocks.flatMap((b) => b.lines.map((l) => l.index));
  if (order.length === 0) return null;
  const at = current === null ? -1 : order.indexOf(current);
  if (at < 0) return step > 0 ? order[0] : order[order.length - 1];
  return order[Math.min(order.length - 1, Math.max(0, at + step))];
}
