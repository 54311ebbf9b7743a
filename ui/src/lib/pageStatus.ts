// Each page's stored status and route for the thumbnail strip (`store_page_statuses()`), its badges and
// text, and when to ask again (worker events about the shown document).
import { errorMessage } from './format';
import { createRefresher, type Timers } from './refresher';
import { pageRoute, routeText, type PageRoute } from './route';
import type { JobRecord, StoredPageStatus, WorkerEvent } from './types';

export type PageStatus = StoredPageStatus | 'none';

/** What the store holds about one processed page. */
export interface StoredPageInfo {
  status: StoredPageStatus;
  /** Where its text came from; null where its job asked for no text. */
  route: PageRoute | null;
}

/** 0-based page index → what the store holds; pages not in it are not processed. */
export type StatusMap = ReadonlyMap<number, StoredPageInfo>;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * From `{ page (1-based), status, route, route_reason }` objects; other statuses and malformed entries are
 * left out (not processed), an unknown route is no route.
 */
export function statusMap(entries: unknown): Map<number, StoredPageInfo> {
  const map = new Map<number, StoredPageInfo>();
  if (!Array.isArray(entries)) return map;
  for (const e of entries) {
    if (!isObject(e)) continue;
    const { page, status } = e;
    if (typeof page !== 'number' || !Number.isInteger(page) || page < 1) continue;
    if (status === 'done' || status === 'failed') map.set(page - 1, { status, route: pageRoute(e.route, e.route_reason) });
  }
  return map;
}

/** A page's status; null when the statuses are not known (no badge is shown). */
export function pageStatus(map: StatusMap | null, index: number): PageStatus | null {
  if (!map) return null;
  return map.get(index)?.status ?? 'none';
}

/** A processed page's route; null when it has none or the statuses are not known. */
export function pageRouteAt(map: StatusMap | null, index: number): PageRoute | null {
  return map?.get(index)?.route ?? null;
}

const TEXT: Record<PageStatus, string> = { done: 'processed', failed: 'failed', none: 'not processed' };
const SYMBOL: Record<PageStatus, string> = { done: '✓', failed: '!', none: '○' };

export function statusText(status: PageStatus): string {
  return TEXT[status];
}

export function statusSymbol(status: PageStatus): string {
  return SYMBOL[status];
}

/** "Page 3", "Page 3, processed" once statuses are known, "Page 3, processed, Text layer — …" with a route. */
export function thumbLabel(index: number, status: PageStatus | null, route: PageRoute | null = null): string {
  const label = status ? `Page ${index + 1}, ${TEXT[status]}` : `Page ${index + 1}`;
  return route ? `${label}, ${routeText(route)}` : label;
}

/** The document a thumbnail strip shows. */
export interface StatusDoc {
  id: number;
  path: string;
  hash?: string;
}

function samePath(a: string, b: string): boolean {
  return a.replace(/\\/g, '/') === b.replace(/\\/g, '/');
}

/**
 * Whether an event may change the statuses of `doc`'s pages: page events (progress, failure, end) of a job
 * that works on it (by path or content hash), or of a job the store has not listed yet.
 */
export function concernsDocument(ev: WorkerEvent, doc: StatusDoc, jobs: readonly JobRecord[] | null): boolean {
  if (ev.kind !== 'job_progress' && ev.kind !== 'page_failed' && ev.kind !== 'job_ended') return false;
  if (ev.kind === 'page_failed' && typeof ev.doc === 'string' && samePath(ev.doc, doc.path)) return true;
  const rec = jobs?.find((j) => j.id === ev.job);
  if (!rec) return true;
  return (rec.spec?.documents ?? []).some((d) => samePath(d.path, doc.path) || (!!doc.hash && d.hash === doc.hash));
}

export interface PageStatusFeed {
  /** The document shown (null: none); a new one is asked for at once, and its old statuses dropped. */
  setDoc(doc: StatusDoc | null): void;
  /** Ask again (coalesced) when the event concerns the shown document. */
  onEvent(ev: WorkerEvent, jobs: readonly JobRecord[] | null): void;
  dispose(): void;
}

export interface PageStatusFeedOptions {
  load: (docId: number) => Promise<unknown>;
  /** The shown document's statuses; null while not known. */
  onChange: (map: StatusMap | null) => void;
  onError: (message: string) => void;
  delayMs?: number;
  timers?: Timers;
}

export function createPageStatusFeed(opts: PageStatusFeedOptions): PageStatusFeed {
  let doc: StatusDoc | null = null;
  let lastError: string | null = null;
  const refresher = createRefresher(
    async () => {
      const target = doc;
      if (!target) return;
      try {
        const entries = await opts.load(target.id);
        lastError = null;
        if (doc?.id === target.id) opts.onChange(statusMap(entries));
      } catch (err) {
        const message = `Page statuses: ${errorMessage(err)}`;
        if (message !== lastError) opts.onError(message);
        lastError = message;
      }
    },
    opts.delayMs ?? 300,
    opts.timers,
  );
  return {
    setDoc(next) {
      if (next?.id === doc?.id && next?.path === doc?.path) {
        doc = next;
        return;
      }
      doc = next;
      opts.onChange(null);
      if (next) refresher.request(true);
    },
    onEvent(ev, jobs) {
      if (doc && concernsDocument(ev, doc, jobs)) refresher.request();
    },
    dispose: () => refresher.dispose(),
  };
}
