// What the search panel and the export dialog decide, apart from the components (tested on its own).
import type { DocumentInfo, ExportFormat, PageTarget, SearchHit, SearchMode } from './types';

export const SEARCH_MODES: { mode: SearchMode; label: string; title: string }[] = [
  { mode: 'hybrid', label: 'Both', title: 'By words and by meaning, fused by rank' },
  { mode: 'semantic', label: 'Meaning', title: 'Passages that say the same in other words' },
  { mode: 'keyword', label: 'Words', title: 'Passages with the words (a "quoted phrase" as it stands)' },
];

/** The layout classes a search can be narrowed to (the layout model's). */
export const REGION_CLASSES = ['text', 'title', 'figure_caption', 'table', 'table_caption', 'reference', 'equation', 'header', 'footer'];

/** A query worth sending: at least one letter or digit. */
export function searchable(query: string): boolean {
  return /[\p{L}\p{N}]/u.test(query);
}

/** "name · p. 3 · title", for a result's heading. */
export function hitHeading(hit: SearchHit): string {
  const parts = [hit.name, `p. ${hit.page}`];
  if (hit.class) parts.push(hit.class.replace(/_/g, ' '));
  return parts.join(' · ');
}

/** How a result was found, for its tooltip. */
export function hitProvenance(hit: SearchHit): string {
  const how: string[] = [];
  if (hit.keyword_rank != null) how.push(`words: #${hit.keyword_rank}`);
  if (hit.semantic_rank != null) how.push(`meaning: #${hit.semantic_rank}`);
  return `${how.join(', ') || 'found'} · score ${hit.score.toFixed(4)}`;
}

/** The open document a result belongs to: by content hash, else by path. */
export function openDocumentFor(hit: SearchHit, documents: DocumentInfo[]): DocumentInfo | null {
  return documents.find((d) => d.hash && d.hash === hit.doc) ?? documents.find((d) => d.path === hit.path) ?? null;
}

/** Where the viewer should go for a result. */
export function targetFor(hit: SearchHit, serial: number): PageTarget {
  return { pageIndex: Math.max(0, hit.page - 1), bbox: hit.bbox, dpi: hit.dpi, serial };
}

/**
 * A box in page pixels at `dpi` as CSS pixels on a page drawn `cssWidth` wide (`widthPt` points across);
 * null without a box or a resolution.
 */
export function targetRect(
  bbox: [number, number, number, number] | null,
  dpi: number,
  widthPt: number,
  cssWidth: number,
): { x: number; y: number; w: number; h: number } | null {
  if (!bbox || !(dpi > 0) || !(widthPt > 0) || !(cssWidth > 0)) return null;
  const scale = cssWidth / ((widthPt * dpi) / 72);
  const [x0, y0, x1, y1] = bbox;
  return { x: x0 * scale, y: y0 * scale, w: Math.max(1, (x1 - x0) * scale), h: Math.max(1, (y1 - y0) * scale) };
}

export const EXPORT_FORMATS: { format: ExportFormat; label: string; extension: string | null; description: string }[] = [
  { format: 'md', label: 'Markdown', extension: 'md', description: 'Reading order, headings, tables, figure captions' },
  { format: 'pdf', label: 'Searchable PDF', extension: 'pdf', description: 'The original pages with invisible text over OCR lines' },
  { format: 'json', label: 'JSON', extension: 'json', description: 'Everything Folio found, lossless' },
  { format: 'hocr', label: 'hOCR', extension: 'hocr', description: 'Pages, areas, lines and words with boxes (XHTML)' },
  { format: 'alto', label: 'ALTO XML', extension: 'xml', description: 'ALTO v4, for digitisation and library software' },
  { format: 'csv', label: 'Tables as CSV', extension: null, description: 'One CSV file per table, in a folder' },
];

/** The suggested file (or folder, for csv) name for a document's export. */
export function exportFileName(documentName: string, format: ExportFormat): string {
  const base = documentName.replace(/\.[^./\\]+$/, '') || 'document';
  const entry = EXPORT_FORMATS.find((f) => f.format === format);
  if (!entry || entry.extension === null) return `${base}-tables`;
  // A searchable PDF of a PDF is a new file beside the original, never the original itself.
  return format === 'pdf' ? `${base}-searchable.pdf` : `${base}.${entry.extension}`;
}
