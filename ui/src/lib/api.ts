// All IPC with the Rust side goes through this module.
import { Channel, invoke, isTauri } from '@tauri-apps/api/core';
import { listen, type UnlistenFn } from '@tauri-apps/api/event';
import { getCurrentWebview } from '@tauri-apps/api/webview';
import { open, save, type DialogFilter } from '@tauri-apps/plugin-dialog';
import type {
  AutotuneReport,
  BatchSizes,
  ExportFormat,
  ExportWritten,
  JobRecord,
  LibrarySnapshot,
  ModelStatus,
  MemorySample,
  PageResult,
  Requeued,
  SearchMode,
  SearchResults,
  StoredPage,
  StoreInfo,
  TextBlock,
  TextLayerMode,
  WorkerEvent,
} from './types';
import { normalizeWorkerEvent } from './workerEvent';

export type { UnlistenFn };

export const DOCUMENT_FILTERS: DialogFilter[] = [
  { name: 'Documents and images', extensions: ['pdf', 'png', 'jpg', 'jpeg', 'webp', 'bmp', 'tif', 'tiff'] },
  { name: 'PDF', extensions: ['pdf'] },
  { name: 'Images', extensions: ['png', 'jpg', 'jpeg', 'webp', 'bmp', 'tif', 'tiff'] },
  { name: 'All files', extensions: ['*'] },
];

/** True when running inside a Tauri webview (false in a plain browser, e.g. `vite dev`). */
export function inTauri(): boolean {
  try {
    return isTauri();
  } catch {
    return false;
  }
}

function normalizePaths(selection: string | string[] | null): string[] {
  if (selection === null) return [];
  return Array.isArray(selection) ? selection : [selection];
}

/** `open_paths({ paths })`: open files and/or folders. */
export function openPaths(paths: string[]): Promise<LibrarySnapshot> {
  return invoke<LibrarySnapshot>('open_paths', { paths });
}

/** `library()`: the current library. */
export function getLibrary(): Promise<LibrarySnapshot> {
  return invoke<LibrarySnapshot>('library');
}

/** Subscribe to `library-changed` events (payload: full snapshot). */
export function onLibraryChanged(cb: (snapshot: LibrarySnapshot) => void): Promise<UnlistenFn> {
  return listen<LibrarySnapshot>('library-changed', (event) => cb(event.payload));
}

/**
 * `memory_subscribe({ onSample })`: live samples arrive on the channel; the
 * promise resolves with the recent history.
 */
export function subscribeMemory(onSample: (sample: MemorySample) => void): Promise<MemorySample[]> {
  // Samples come in batches (about one a second); each is handed on in order.
  const channel = new Channel<MemorySample[] | MemorySample>();
  channel.onmessage = (batch) => {
    if (Array.isArray(batch)) for (const s of batch) onSample(s);
    else onSample(batch);
  };
  return invoke<MemorySample[]>('memory_subscribe', { onSample: channel });
}

/** `memory_set_refresh({ ms })`: how often the memory stream sends its batch of samples. */
export function setMemoryRefresh(ms: number): Promise<number> {
  return invoke<number>('memory_set_refresh', { ms });
}

export interface SubmitOptions {
  dpi?: number;
  /** What to do with the document's text layer (the engine's default: `auto`). */
  textLayer?: TextLayerMode;
}

/** `jobs_submit({ docId, stages, dpi?, textLayer? })`: queue a job; resolves with its id. */
export function jobsSubmit(docId: number, stages: string[], options: SubmitOptions = {}): Promise<number> {
  const args: Record<string, unknown> = { docId, stages };
  if (options.dpi !== undefined) args.dpi = options.dpi;
  if (options.textLayer !== undefined) args.textLayer = options.textLayer;
  return invoke<number>('jobs_submit', args);
}

export function jobsPause(job: number): Promise<void> {
  return invoke<void>('jobs_pause', { job });
}

export function jobsResume(job: number): Promise<void> {
  return invoke<void>('jobs_resume', { job });
}

export function jobsCancel(job: number): Promise<void> {
  return invoke<void>('jobs_cancel', { job });
}

/** `jobs_set_batch_size({ stage, size })`. */
export function jobsSetBatchSize(stage: string, size: number): Promise<void> {
  return invoke<void>('jobs_set_batch_size', { stage, size });
}

/** `jobs_batch_sizes()`. */
export function jobsBatchSizes(): Promise<BatchSizes> {
  return invoke<BatchSizes>('jobs_batch_sizes');
}

/** `memory_set_budget({ mb })`: `null` removes the budget. */
export function memorySetBudget(mb: number | null): Promise<void> {
  return invoke<void>('memory_set_budget', { mb });
}

/** `memory_budget()`: MB, or null when none is set. */
export function memoryBudget(): Promise<number | null> {
  return invoke<number | null>('memory_budget');
}

/** `jobs_autotune({ docId, sample? })`: takes tens of seconds. */
export function jobsAutotune(docId: number, sample?: number): Promise<AutotuneReport> {
  const args: Record<string, unknown> = { docId };
  if (sample !== undefined) args.sample = sample;
  return invoke<AutotuneReport>('jobs_autotune', args);
}

/** `analyse_page({ docId, page })` with a 1-based page: analyse it now, ahead of the queue. Returns the job. */
export function analysePage(docId: number, page: number): Promise<number> {
  return invoke<number>('analyse_page', { docId, page });
}

/**
 * `page_result({ docId, page })` with a 1-based page; null when the page has no result. Found by the
 * document's content hash, so a renamed copy shows its results at once.
 */
export function pageResult(docId: number, page: number): Promise<PageResult | null> {
  return invoke<PageResult | null>('page_result', { docId, page });
}

/** `page_text({ docId, page })` with a 1-based page: its lines (by index) grouped by region, in reading order. */
export function pageText(docId: number, page: number): Promise<TextBlock[]> {
  return invoke<TextBlock[]>('page_text', { docId, page });
}

/** `models_status()`: every model with its state, loads, bytes and time since last use. */
export function modelsStatus(): Promise<ModelStatus[]> {
  return invoke<ModelStatus[]>('models_status');
}

/** `models_unload({ model })`: unload it now; false when it was not loaded. */
export function modelsUnload(model: string): Promise<boolean> {
  return invoke<boolean>('models_unload', { model });
}

/** `models_set_idle_unload({ seconds })`: unload models unused that long (null: never). */
export function modelsSetIdleUnload(seconds: number | null): Promise<void> {
  return invoke<void>('models_set_idle_unload', { seconds });
}

/** `models_idle_unload()`: the idle-unload setting in seconds, or null. */
export function modelsIdleUnload(): Promise<number | null> {
  return invoke<number | null>('models_idle_unload');
}

/** `correct_line({ docId, page, line, text })`: a line's corrected text, kept beside what was found. */
export function correctLine(docId: number, page: number, line: number, text: string): Promise<PageResult> {
  return invoke<PageResult>('correct_line', { docId, page, line, text });
}

/** `correct_region({ docId, page, region, class })`: a region's class changed, kept beside what was found. */
export function correctRegion(docId: number, page: number, region: number, cls: string): Promise<PageResult> {
  return invoke<PageResult>('correct_region', { docId, page, region, class: cls });
}

/** `delete_region()`: a region is not one; the page as it now reads (what was found stays in the store). */
export function deleteRegion(docId: number, page: number, region: number): Promise<PageResult> {
  return invoke<PageResult>('delete_region', { docId, page, region });
}

/** `restore_region()`: brings back a deleted region (`key` from the page's `deleted_regions`). */
export function restoreRegion(docId: number, page: number, key: number): Promise<PageResult> {
  return invoke<PageResult>('restore_region', { docId, page, key });
}

/** `add_region()`: a region layout analysis missed, its box in result pixels of the upright page. */
export function addRegion(docId: number, page: number, bbox: [number, number, number, number], cls: string): Promise<PageResult> {
  return invoke<PageResult>('add_region', { docId, page, bbox, class: cls });
}

/** `store_jobs()`: every stored job, unfinished ones first in queue order, then the others newest first. */
export function storeJobs(): Promise<JobRecord[]> {
  return invoke<JobRecord[]>('store_jobs');
}

/** `store_unfinished_jobs()`: jobs a crash or a closed window left unfinished, not queued in this process. */
export function storeUnfinishedJobs(): Promise<JobRecord[]> {
  return invoke<JobRecord[]>('store_unfinished_jobs');
}

/** Both lists at once: what the jobs panel shows. */
export async function storeJobLists(): Promise<{ jobs: JobRecord[]; unfinished: JobRecord[] }> {
  const [jobs, unfinished] = await Promise.all([storeJobs(), storeUnfinishedJobs()]);
  return { jobs, unfinished };
}

/** `store_resume({ job })`: queue an unfinished job again from its first unfinished page (null: all of them). */
export function storeResume(job: number | null): Promise<Requeued[]> {
  return invoke<Requeued[]>('store_resume', { job });
}

/** `store_discard({ job })`: drop an unfinished (or queued) job; its finished pages stay. */
export function storeDiscard(job: number): Promise<boolean> {
  return invoke<boolean>('store_discard', { job });
}

/** `store_retry({ job })`: queue a finished or failed job's failed pages again. */
export function storeRetry(job: number): Promise<Requeued> {
  return invoke<Requeued>('store_retry', { job });
}

/** `store_move_job({ job, up })`: move a queued job one place sooner (`up`) or later; false when it cannot move. */
export function storeMoveJob(job: number, up: boolean): Promise<boolean> {
  return invoke<boolean>('store_move_job', { job, up });
}

/** `store_page_statuses({ docId })`: each stored page's status and route; pages not listed are not processed. */
export function storePageStatuses(docId: number): Promise<StoredPage[]> {
  return invoke<StoredPage[]>('store_page_statuses', { docId });
}

/** `store_info()`: where the store is, whether it is read-only, and how many pages were imported into it. */
export function storeInfo(): Promise<StoreInfo> {
  return invoke<StoreInfo>('store_info');
}

/** Subscribe to `worker-event` events (jobs, batch sizes, models, budget actions, leak warnings). */
export function onWorkerEvent(cb: (event: WorkerEvent) => void): Promise<UnlistenFn> {
  return listen<unknown>('worker-event', (event) => {
    const ev = normalizeWorkerEvent(event.payload);
    if (ev) cb(ev);
  });
}

export interface SearchFilters {
  /** Only this open document. */
  docId?: number | null;
  route?: string | null;
  class?: string | null;
}

/** `search({ query, k, mode, docId?, route?, class? })`: passages across every processed document, best first. */
export function search(query: string, mode: SearchMode, k: number, filters: SearchFilters = {}): Promise<SearchResults> {
  const args: Record<string, unknown> = { query, mode, k };
  if (filters.docId != null) args.docId = filters.docId;
  if (filters.route) args.route = filters.route;
  if (filters.class) args.class = filters.class;
  return invoke<SearchResults>('search', args);
}

/** `export_document({ docId, format, path })`: write the open document's stored results (csv: a folder). */
export function exportDocument(docId: number, format: ExportFormat, path: string): Promise<ExportWritten> {
  return invoke<ExportWritten>('export_document', { docId, format, path });
}

/** `export_preview({ docId, format, maxBytes })`: the start of a text export, for the preview. */
export function exportPreview(docId: number, format: ExportFormat, maxBytes = 256 * 1024): Promise<string> {
  return invoke<string>('export_preview', { docId, format, maxBytes });
}

/** Native save dialog for an export: a file path, or a folder's path for csv. Null when cancelled. */
export async function pickExportPath(defaultPath: string, extension: string | null): Promise<string | null> {
  const filters = extension ? [{ name: extension.toUpperCase(), extensions: [extension] }] : undefined;
  return save({ defaultPath, filters });
}

/** Native file picker (multiple files). Returns [] when cancelled. */
export async function pickFiles(): Promise<string[]> {
  return normalizePaths(await open({ multiple: true, directory: false, filters: DOCUMENT_FILTERS }));
}

/** Native folder picker. Returns [] when cancelled. */
export async function pickFolders(): Promise<string[]> {
  return normalizePaths(await open({ multiple: true, directory: true }));
}

export interface DragDropHandlers {
  onHover(active: boolean): void;
  onDrop(paths: string[]): void;
}

/** Window-level drag and drop of files/folders. */
export function onDragDrop(handlers: DragDropHandlers): Promise<UnlistenFn> {
  return getCurrentWebview().onDragDropEvent((event) => {
    const p = event.payload;
    switch (p.type) {
      case 'enter':
      case 'over':
        handlers.onHover(true);
        break;
      case 'leave':
        handlers.onHover(false);
        break;
      case 'drop':
        handlers.onHover(false);
        if (p.paths.length > 0) handlers.onDrop(p.paths);
        break;
    }
  });
}
