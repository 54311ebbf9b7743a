// Where a page's text came from, as the engine decided it (the route and its reason), in the user's words;
// the text-layer modes a job can ask for; and a job's pages per route.
import type { Route, RouteCounts, TextLayerMode } from './types';

export const ROUTES: readonly Route[] = ['text', 'ocr', 'mixed'];

export function isRoute(v: unknown): v is Route {
  return v === 'text' || v === 'ocr' || v === 'mixed';
}

/** A page's route and why, as the engine gave them. */
export interface PageRoute {
  route: Route;
  /** Null when the engine gave none. */
  reason: string | null;
}

/** From a result's or a stored page's `route` and `route_reason`; null when the route is missing or unknown. */
export function pageRoute(route: unknown, reason: unknown): PageRoute | null {
  if (!isRoute(route)) return null;
  return { route, reason: typeof reason === 'string' && reason.trim() !== '' ? reason.trim() : null };
}

const BADGE: Record<Route, string> = { text: 'Text', ocr: 'OCR', mixed: 'Mixed' };
const NAME: Record<Route, string> = { text: 'Text layer', ocr: 'OCR', mixed: 'Text layer + OCR' };
const COUNT_LABEL: Record<Route, string> = { text: 'text', ocr: 'OCR', mixed: 'mixed' };

/** The short label a badge shows: "Text", "OCR", "Mixed". */
export function routeBadge(route: Route): string {
  return BADGE[route];
}

/** "Text layer", "OCR", "Text layer + OCR". */
export function routeName(route: Route): string {
  return NAME[route];
}

/** "Text layer — 1424 characters in the text layer", or the name alone without a reason. */
export function routeText(r: PageRoute): string {
  return r.reason ? `${NAME[r.route]} — ${r.reason}` : NAME[r.route];
}

export interface TextLayerOption {
  mode: TextLayerMode;
  label: string;
  description: string;
}

/** The modes a job can ask for, the default first. */
export const TEXT_LAYER_OPTIONS: readonly TextLayerOption[] = [
  { mode: 'auto', label: 'Auto', description: 'Decide per page: the text layer where it is usable, OCR where it is not.' },
  { mode: 'text', label: 'Text layer only', description: 'Never OCR: use the text layer, or have no text.' },
  { mode: 'ocr', label: 'OCR every page', description: 'OCR every page, whatever text layer it has.' },
  {
    mode: 'redo',
    label: 'Redo OCR',
    description: "Like Auto, but an invisible OCR layer another tool left is ignored, so those pages are OCR'd again.",
  },
];

export const DEFAULT_TEXT_LAYER: TextLayerMode = 'auto';

export function isTextLayerMode(v: unknown): v is TextLayerMode {
  return TEXT_LAYER_OPTIONS.some((o) => o.mode === v);
}

/** A mode's description, for the help line under the select. */
export function textLayerDescription(mode: TextLayerMode): string {
  return TEXT_LAYER_OPTIONS.find((o) => o.mode === mode)?.description ?? '';
}

function count(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? Math.floor(v) : 0;
}

/** A progress event's `routes`; null when it has none (an older back end). */
export function routeCounts(raw: unknown): RouteCounts | null {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return null;
  const r = raw as Record<string, unknown>;
  return { text: count(r.text), ocr: count(r.ocr), mixed: count(r.mixed) };
}

export interface RouteCountPart {
  route: Route;
  count: number;
  /** "text 40" */
  text: string;
}

/** The routes that have pages, in route order; empty when none has. */
export function routeCountParts(counts: RouteCounts | null): RouteCountPart[] {
  if (!counts) return [];
  return ROUTES.filter((r) => counts[r] > 0).map((r) => ({ route: r, count: counts[r], text: `${COUNT_LABEL[r]} ${counts[r]}` }));
}

/** "text 40 · OCR 3 · mixed 1"; empty when no page has a route yet. */
export function formatRouteCounts(counts: RouteCounts | null): string {
  return routeCountParts(counts)
    .map((p) => p.text)
    .join(' · ');
}
