// Results overlay geometry: result pixels (page rendered at the job's DPI, turned upright) → displayed CSS px.
import type { PageResult, PageSize } from './types';

/** Used when a result does not say at which DPI it was made. */
export const FALLBACK_DPI = 150;

export type Point = [number, number];

/** Displayed px per result px: displayed width / (width_pt × dpi / 72). */
export function overlayScale(displayWidth: number, widthPt: number, dpi: number): number {
  const px = (widthPt * dpi) / 72;
  return px > 0 && displayWidth > 0 ? displayWidth / px : 0;
}

export function resultDpi(result: Pick<PageResult, 'dpi'>, fallback = FALLBACK_DPI): number {
  return typeof result.dpi === 'number' && Number.isFinite(result.dpi) && result.dpi > 0 ? result.dpi : fallback;
}

/**
 * Map a point of the upright image back to the page as rendered (before the orientation stage turned it
 * `rotation` degrees counter-clockwise). `w`, `h`: the unturned page in result pixels.
 */
export function unrotate([x, y]: Point, rotation: number, w: number, h: number): Point {
  switch (((Math.round(rotation) % 360) + 360) % 360) {
    case 90:
      return [w - y, x];
    case 180:
      return [w - x, h - y];
    case 270:
      return [y, h - x];
    default:
      return [x, y];
  }
}

/** The inverse of [`unrotate`]: a point of the page as rendered → the upright image the results are in. */
export function rotate([x, y]: Point, rotation: number, w: number, h: number): Point {
  switch (((Math.round(rotation) % 360) + 360) % 360) {
    case 90:
      return [y, w - x];
    case 180:
      return [w - x, h - y];
    case 270:
      return [h - y, x];
    default:
      return [x, y];
  }
}

/**
 * A box drawn on the displayed page (CSS px, corners in any order) as a box of result pixels of the upright
 * page (what the store keeps), rounded to whole pixels; null when it has no area there.
 */
export function displayToResultBox(
  a: Point,
  b: Point,
  result: Pick<PageResult, 'dpi' | 'rotation'>,
  page: PageSize,
  displayWidth: number,
  fallbackDpi = FALLBACK_DPI,
): [number, number, number, number] | null {
  const dpi = resultDpi(result, fallbackDpi);
  const k = overlayScale(displayWidth, page.width_pt, dpi);
  if (!(k > 0)) return null;
  const w = (page.width_pt * dpi) / 72;
  const h = (page.height_pt * dpi) / 72;
  const rotation = result.rotation ?? 0;
  const [p, q] = [a, b].map(([x, y]) => rotate([Math.min(Math.max(x / k, 0), w), Math.min(Math.max(y / k, 0), h)], rotation, w, h));
  const x0 = Math.round(Math.min(p[0], q[0]));
  const y0 = Math.round(Math.min(p[1], q[1]));
  const x1 = Math.round(Math.max(p[0], q[0]));
  const y1 = Math.round(Math.max(p[1], q[1]));
  return x1 - x0 >= 1 && y1 - y0 >= 1 ? [x0, y0, x1, y1] : null;
}

export interface OverlayBox {
  /** The region's class (tables: "table"), for the legend's toggles. */
  cls: string;
  x: number;
  y: number;
  w: number;
  h: number;
  label: string;
  title: string;
  color: string;
}

export interface OverlayPolygon {
  points: string;
  title: string;
  /** Recognised from the pixels (`ocr`) or taken from the text layer (`pdf`). */
  source: 'ocr' | 'pdf';
  /** The line's index in the page's lines (what the side panel selects by). */
  index: number;
  /** The recogniser's confidence (1 for text-layer lines). */
  score: number;
  /** What hovering the line shows: its text, and "92%" or "text layer". */
  text: string;
  confidence: string;
  /** The line's bounding box (in the same pixels as `points`), where its hover card is placed. */
  x: number;
  y: number;
  w: number;
  h: number;
}

/** A table cell with its place in the grid ("r2 c3", 1-based for people). */
export interface OverlayCell {
  points: string;
  label: string;
  title: string;
  x: number;
  y: number;
}

export interface OverlayShapes {
  /** In reading order (the order the engine stores them in): `order` numbers them from 1. */
  regions: (OverlayBox & { order: number; index: number })[];
  tables: OverlayBox[];
  cells: OverlayCell[];
}

const CLASS_COLORS: Record<string, string> = {
  text: '#4ea1ff',
  title: '#c792ea',
  list: '#5fd38d',
  table: '#e6b450',
  figure: '#f78c6c',
  picture: '#f78c6c',
  image: '#f78c6c',
  caption: '#89ddff',
  header: '#9aa1ab',
  footer: '#9aa1ab',
  formula: '#ff6b9d',
  equation: '#ff6b9d',
};

export function classColor(cls: string): string {
  const key = cls.toLowerCase();
  for (const [name, color] of Object.entries(CLASS_COLORS)) if (key.includes(name)) return color;
  return '#4ea1ff';
}

function finitePoint(p: unknown): p is Point {
  return Array.isArray(p) && p.length >= 2 && Number.isFinite(p[0]) && Number.isFinite(p[1]);
}

function boxFrom(
  bbox: readonly number[],
  rotation: number,
  w: number,
  h: number,
  k: number,
): { x: number; y: number; w: number; h: number } | null {
  if (!Array.isArray(bbox) || bbox.length < 4 || !bbox.slice(0, 4).every(Number.isFinite)) return null;
  const [x0, y0, x1, y1] = bbox;
  const corners = [
    unrotate([x0, y0], rotation, w, h),
    unrotate([x1, y1], rotation, w, h),
  ];
  const xs = corners.map((c) => c[0] * k);
  const ys = corners.map((c) => c[1] * k);
  const x = Math.min(...xs);
  const y = Math.min(...ys);
  return { x, y, w: Math.max(...xs) - x, h: Math.max(...ys) - y };
}

function pct(score: number): string {
  return Number.isFinite(score) ? `${Math.round(score * 100)}%` : '?';
}

/** Shapes in displayed CSS px for a page shown `displayWidth` px wide. */
export function overlayShapes(result: PageResult, page: PageSize, displayWidth: number, fallbackDpi = FALLBACK_DPI): OverlayShapes {
  const dpi = resultDpi(result, fallbackDpi);
  const k = overlayScale(displayWidth, page.width_pt, dpi);
  const w = (page.width_pt * dpi) / 72;
  const h = (page.height_pt * dpi) / 72;
  const rotation = result.rotation ?? 0;
  const shapes: OverlayShapes = { regions: [], tables: [], cells: [] };
  if (!(k > 0)) return shapes;
  for (const [index, r] of (result.regions ?? []).entries()) {
    const b = boxFrom(r.bbox, rotation, w, h, k);
    if (!b) continue;
    const text = r.text ? `\n${r.text.slice(0, 200)}` : '';
    const order = index + 1;
    shapes.regions.push({ ...b, cls: r.class, label: r.class, title: `${order}. ${r.class} (${pct(r.score)})${text}`, color: classColor(r.class), order, index });
  }
  for (const t of result.tables ?? []) {
    const b = boxFrom(t.bbox, rotation, w, h, k);
    if (!b) continue;
    shapes.tables.push({ ...b, cls: 'table', label: 'table', title: `table, ${t.cells?.length ?? 0} cells`, color: classColor('table') });
    for (const c of t.cells ?? []) {
      const shape = polygonShape(c.polygon, rotation, w, h, k);
      if (!shape) continue;
      const label = cellLabel(c);
      shapes.cells.push({ points: shape.points, label, title: `${label}: ${c.text}`, x: shape.x, y: shape.y });
    }
  }
  return shapes;
}

/**
 * The page's lines in result pixels of the upright page: they do not depend on the zoom, so a page of a
 * thousand lines is worked out once per result and drawn through [`resultTransform`].
 */
export function lineShapes(result: Pick<PageResult, 'lines'>): OverlayPolygon[] {
  const out: OverlayPolygon[] = [];
  for (const [index, l] of (result.lines ?? []).entries()) {
    const shape = polygonShape(l.polygon, 0, 0, 0, 1);
    if (!shape) continue;
    // A text-layer line has no recogniser's confidence to show.
    const source = l.source === 'pdf' ? 'pdf' : 'ocr';
    const confidence = source === 'pdf' ? 'text layer' : pct(l.score);
    out.push({ ...shape, title: `${l.text} (${confidence})`, source, index, score: l.score, text: l.text, confidence });
  }
  return out;
}

/**
 * The page's lines as SVG markup, for drawing a thousand lines at once (the browser's parser builds them far
 * faster than one component per line). Only numbers and Folio's own class names go in: a line's text never
 * does (it is shown by the hover card and the text panel, as text).
 */
export function linesMarkup(lines: readonly OverlayPolygon[], isLow: (line: OverlayPolygon) => boolean): string {
  let out = '';
  for (const l of lines) {
    if (!/^[-0-9., e]*$/.test(l.points) || !Number.isInteger(l.index)) continue;
    const cls = `line${l.source === 'pdf' ? ' pdf' : ''}${isLow(l) ? ' low' : ''}`;
    out += `<polygon data-testid="overlay-line" data-index="${l.index}" data-source="${l.source === 'pdf' ? 'pdf' : 'ocr'}" class="${cls}" points="${l.points}"></polygon>`;
  }
  return out;
}

/** The affine map from result pixels of the upright page to displayed CSS px: unrotate, then scale. */
function resultMatrix(
  result: Pick<PageResult, 'dpi' | 'rotation'>,
  page: PageSize,
  displayWidth: number,
  fallbackDpi = FALLBACK_DPI,
): [number, number, number, number, number, number] | null {
  const dpi = resultDpi(result, fallbackDpi);
  const k = overlayScale(displayWidth, page.width_pt, dpi);
  if (!(k > 0)) return null;
  const w = (page.width_pt * dpi) / 72;
  const h = (page.height_pt * dpi) / 72;
  // x' = a·x + c·y + e, y' = b·x + d·y + f, as SVG's matrix(a b c d e f); the same turns as `unrotate`.
  let m: [number, number, number, number, number, number];
  switch ((((Math.round(result.rotation ?? 0) % 360) + 360) % 360)) {
    case 90:
      m = [0, 1, -1, 0, w, 0];
      break;
    case 180:
      m = [-1, 0, 0, -1, w, h];
      break;
    case 270:
      m = [0, -1, 1, 0, 0, h];
      break;
    default:
      m = [1, 0, 0, 1, 0, 0];
  }
  return m.map((v) => v * k) as typeof m;
}

/** `resultMatrix` as an SVG transform (null when the page has no size to scale to). */
export function resultTransform(result: Pick<PageResult, 'dpi' | 'rotation'>, page: PageSize, displayWidth: number, fallbackDpi = FALLBACK_DPI): string | null {
  const m = resultMatrix(result, page, displayWidth, fallbackDpi);
  return m ? `matrix(${m.map((v) => round4(v)).join(' ')})` : null;
}

/** A box of result pixels (x, y, w, h) as displayed CSS px. */
export function toDisplayBox(
  box: { x: number; y: number; w: number; h: number },
  result: Pick<PageResult, 'dpi' | 'rotation'>,
  page: PageSize,
  displayWidth: number,
  fallbackDpi = FALLBACK_DPI,
): { x: number; y: number; w: number; h: number } | null {
  const m = resultMatrix(result, page, displayWidth, fallbackDpi);
  if (!m) return null;
  const [a, b, c, d, e, f] = m;
  const corners = [
    [box.x, box.y],
    [box.x + box.w, box.y + box.h],
  ].map(([x, y]) => [a * x + c * y + e, b * x + d * y + f]);
  const x = Math.min(corners[0][0], corners[1][0]);
  const y = Math.min(corners[0][1], corners[1][1]);
  return { x, y, w: Math.abs(corners[1][0] - corners[0][0]), h: Math.abs(corners[1][1] - corners[0][1]) };
}

function round4(v: number): number {
  return Math.round(v * 10000) / 10000;
}

/** "r1 c2" (1-based), with the span where the cell spans more than one row or column. */
export function cellLabel(c: { row?: number; col?: number; row_span?: number; col_span?: number }): string {
  const row = (c.row ?? 0) + 1;
  const col = (c.col ?? 0) + 1;
  const rs = c.row_span ?? 1;
  const cs = c.col_span ?? 1;
  const span = rs > 1 || cs > 1 ? ` (${rs}×${cs})` : '';
  return `r${row} c${col}${span}`;
}

/** A polygon of result pixels as SVG points in displayed px, with its bounding box. */
function polygonShape(
  polygon: readonly unknown[] | undefined,
  rotation: number,
  w: number,
  h: number,
  k: number,
): { points: string; x: number; y: number; w: number; h: number } | null {
  const pts = (polygon ?? []).filter(finitePoint).map((p) => unrotate(p, rotation, w, h)).map(([x, y]): Point => [round2(x * k), round2(y * k)]);
  if (pts.length < 2) return null;
  const xs = pts.map((p) => p[0]);
  const ys = pts.map((p) => p[1]);
  const x = Math.min(...xs);
  const y = Math.min(...ys);
  return { points: pts.map(([px, py]) => `${px},${py}`).join(' '), x, y, w: Math.max(...xs) - x, h: Math.max(...ys) - y };
}

/** The turn the orientation stage made, as people read it ("turned 90° to read upright"); null when none. */
export function rotationNote(rotation: number | undefined): string | null {
  const r = (((Math.round(rotation ?? 0) % 360) + 360) % 360);
  return r === 0 ? null : `Turned ${r}° counter-clockwise to read upright`;
}

function round2(v: number): number {
  return Math.round(v * 100) / 100;
}

/** Whether a result has anything to draw. */
export function hasShapes(result: PageResult | null): boolean {
  return !!result && ((result.regions?.length ?? 0) > 0 || (result.lines?.length ?? 0) > 0 || (result.tables?.length ?? 0) > 0);
}

/** Per stage on a page, "done", "failed: …" or "skipped: …", for the viewer's status line. */
export function stageStatuses(result: Pick<PageResult, 'outcomes' | 'error'>): { stage: string; status: string; detail: string }[] {
  const rows = (result.outcomes ?? []).map((o) => ({
    stage: o.stage,
    status: o.status,
    detail: o.status === 'failed' ? o.error : o.status === 'skipped' ? o.reason : '',
  }));
  if (result.error) rows.unshift({ stage: 'render', status: 'failed', detail: result.error });
  return rows;
}
