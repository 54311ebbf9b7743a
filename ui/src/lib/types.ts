// Types mirrored from the Rust side (serde, snake_case fields).

export type DocumentKind = 'pdf' | 'image' | 'image_folder';

/** For images: pixels treated as points at 72 dpi. */
export interface PageSize {
  width_pt: number;
  height_pt: number;
}

export interface DocumentInfo {
  id: number;
  path: string;
  name: string;
  kind: DocumentKind;
  pages: PageSize[];
  /** The content hash the store knows the document by (optional: not every back end sends it). */
  hash?: string;
}

/** A file that failed to open or was skipped, with the reason. */
export interface Problem {
  path: string;
  message: string;
}

export interface LibrarySnapshot {
  documents: DocumentInfo[];
  problems: Problem[];
}

export interface MemorySample {
  t_ms: number;
  rss_bytes: number;
  available_bytes: number;
  total_bytes: number;
  page_cache_bytes: number;
  page_cache_limit_bytes: number;
  pdfium_bytes: number;
  /** Bytes held by loaded models (all of them). Optional: older back ends do not send it. */
  models_bytes?: number;
  /** Bytes of pages and intermediate results between pipeline stages, and the running inference's tensors. */
  in_flight_bytes?: number;
  /** Free memory the inference arena keeps for the next inference (bounded). */
  arena_free_bytes?: number;
  /** Its bound (0 or absent: none). */
  arena_free_limit_bytes?: number;
  /** The search's block of embeddings, held between queries. */
  search_index_bytes?: number;
  /** Resident code, libraries and mapped files. */
  libraries_bytes?: number;
  /** Optional per-model breakdown of `models_bytes` (name → bytes, or [name, bytes] pairs). */
  models?: Record<string, number> | [string, number][];
  /** RSS no part accounts for, as the engine computes it (absent from older back ends). */
  other_bytes?: number;
}

/** Fit width, fit the whole page, 100%, or a scale of 100% (Ctrl+wheel). */
export type ZoomMode = 'fit' | 'page' | 'actual' | number;

/** An error shown in the dismissible banner. */
export interface BannerError {
  id: number;
  message: string;
}

/** Pipeline stages, in pipeline order. */
export const STAGES = ['orientation', 'layout', 'ocr', 'table', 'embed'] as const;
export type Stage = (typeof STAGES)[number];

/** `jobs_batch_sizes()`. */
export type BatchSizes = Record<Stage, number>;

export type JobState = 'queued' | 'running' | 'paused' | 'cancelled' | 'finished' | 'failed';

export interface AutotuneRow {
  stage: string;
  batch_size: number;
  pages_per_s: number;
  peak_rss_mb: number;
  within_budget: boolean;
}

/** `jobs_autotune()`. */
export interface AutotuneReport {
  sample_pages: number;
  budget_mb: number | null;
  /** Under a budget, the largest side text detection ran at (as the worker runs it); null: full size. */
  detection_max_side: number | null;
  rows: AutotuneRow[];
  recommended: [string, number][];
}

/**
 * Where a page's text came from: its own text layer (`text`), OCR (`ocr`: no usable text layer), or the
 * text layer plus OCR over the images that carry none of its text (`mixed`).
 */
export type Route = 'text' | 'ocr' | 'mixed';

/** Pages per route. */
export interface RouteCounts {
  text: number;
  ocr: number;
  mixed: number;
}

/**
 * What a job asks of the text layer: decide per page (`auto`), never OCR (`text`), OCR every page (`ocr`),
 * or decide per page ignoring an invisible OCR layer another tool left (`redo`).
 */
export type TextLayerMode = 'auto' | 'text' | 'ocr' | 'redo';

export interface LayoutRegion {
  class: string;
  bbox: [number, number, number, number];
  score: number;
  text: string;
}

export interface OcrLine {
  text: string;
  score: number;
  polygon: [number, number][];
  /** Recognised from the pixels, or taken from the PDF's own text layer (absent from older results). */
  source?: 'ocr' | 'pdf';
}

/** A table cell: its corners, text and place in the grid (0-based; results stored before cells had a place
 * read 0, 0). */
export interface TableCellResult {
  polygon: [number, number][];
  text: string;
  row?: number;
  col?: number;
  row_span?: number;
  col_span?: number;
}

export interface TableResult {
  bbox: number[];
  html: string;
  cells: TableCellResult[];
}

/** `page_result()`: coordinates are pixels of the page rendered at `dpi`, after turning it by `rotation`. */
export interface PageResult {
  doc: string;
  /** The document's content hash: what the store finds the page by. */
  doc_hash?: string;
  page: number;
  rotation: number;
  dpi: number;
  regions: LayoutRegion[];
  lines: OcrLine[];
  tables: TableResult[];
  /** `region`: the region (index in reading order) the text came from; null for text outside every region. */
  chunks: { text: string; embedding: number[]; region?: number | null }[];
  /** Where the page's text came from (absent where the job asked for no text). */
  route?: Route | null;
  /** Why it took that route, in words. */
  route_reason?: string | null;
  /** Why the page could not be worked on at all (it could not be rendered). */
  error?: string;
  /** Each stage the job ran, with what it did on this page. */
  outcomes?: StageOutcome[];
  /** Lines a user corrected, with the text that was found. */
  edits?: { line: number; original: string }[];
  /** Regions whose class a user changed, with the class that was found. */
  region_edits?: { region: number; original_class: string }[];
  /** Regions a user drew (their places in `regions`). */
  added_regions?: number[];
  /** Regions layout analysis found that a user deleted; `key` restores one. */
  deleted_regions?: { key: number; class: string; bbox: [number, number, number, number] }[];
  /** The page image's size in pixels as rendered, before any turn (0 where unknown). */
  width?: number;
  height?: number;
}

/** What one stage did with one page. */
export type StageOutcome = { stage: string; ms: number } & (
  | { status: 'done' }
  | { status: 'failed'; error: string }
  | { status: 'skipped'; reason: string }
);

/** Every `worker-event` carries `t_ms` (Unix ms); optional here so a missing one is tolerated. */
interface Timed {
  t_ms?: number;
}

export type WorkerEvent = Timed &
  (
    | { kind: 'job_queued'; job: number; pages: number }
    | { kind: 'job_started'; job: number }
    | {
        kind: 'job_progress';
        job: number;
        state: 'running' | 'paused';
        pages_done: number;
        pages_total: number;
        pages_failed: number;
        pages_per_s: number;
        eta_s: number | null;
        stage_rates: [string, number][];
        /** Pages so far per route in this job (absent from older back ends). */
        routes?: RouteCounts;
      }
    | {
        kind: 'job_ended';
        job: number;
        state: 'finished' | 'cancelled' | 'failed';
        pages_done: number;
        pages_failed: number;
        reason: string | null;
      }
    | { kind: 'page_failed'; job: number; doc: string; page: number; error: string }
    | { kind: 'batch_size_changed'; stage: string; size: number; reason: string }
    | { kind: 'model_loaded'; model: string; bytes: number; ms: number }
    | { kind: 'model_unloaded'; model: string; bytes: number; reason: string }
    | {
        kind: 'budget';
        action:
          | 'evict_cache'
          | 'set_batch_size'
          | 'limit_detection'
          | 'pause_intake'
          | 'resume_intake'
          | 'unload_model'
          | 'keep_model'
          | 'lean_arena';
        reason: string;
        on?: boolean;
        max_side?: number | null;
        to_bytes?: number;
        stage?: string;
        size?: number;
        model?: string;
      }
    | {
        kind: 'leak_warning';
        page: number;
        slope_bytes_per_page: number;
        suspect_stage: string | null;
        recent_slope_bytes_per_page?: number;
        correlation?: number;
      }
  );

export type WorkerEventKind = WorkerEvent['kind'];

/** One document of a stored job. */
export interface JobDocument {
  path: string;
  hash: string;
}

/** A stored job's request. */
export interface StoredSpec {
  documents: JobDocument[];
  /** The 0-based page range asked for in each document (null: all pages). */
  pages: [number, number] | null;
  /** Exactly these pages (document index, 0-based page), when set: what a retry runs. */
  only?: [number, number][];
  stages: string[];
  dpi: number;
}

/** A job as the document store keeps it (`store_jobs()`, `store_unfinished_jobs()`). */
export interface JobRecord {
  id: number;
  state: JobState;
  spec: StoredSpec;
  /** Its place in the queue (lower runs first). */
  position: number;
  pages_total: number;
  /** Pages finished, failed ones included. */
  pages_done: number;
  pages_failed: number;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  error: string | null;
  /** The process that last ran it. */
  owner_pid: number | null;
}

/** What resuming or retrying one job came to. */
export interface Requeued {
  job: number;
  /** Pages queued again. */
  pages: number;
  /** Why the job could not be queued again (its documents are gone or changed). */
  error: string | null;
}

/** `store_info()`. */
export interface StoreInfo {
  path: string;
  read_only: boolean;
  imported_pages: number;
}

/** A stored page's status (`store_page_statuses()`); a page not listed is not processed. */
export type StoredPageStatus = 'done' | 'failed';

/** One stored page (`store_page_statuses()`): its status and where its text came from. */
export interface StoredPage {
  /** 1-based. */
  page: number;
  status: StoredPageStatus;
  /** Null where its job asked for no text. */
  route: Route | null;
  route_reason: string | null;
  /** Its lines, the OCR ones among them, their mean confidence (null without OCR lines), lines corrected. */
  lines?: number;
  ocr_lines?: number;
  mean_confidence?: number | null;
  edited?: number;
}

/** How `search` finds passages. */
export type SearchMode = 'hybrid' | 'semantic' | 'keyword';

/** A piece of a result's snippet: plain text, or a matched word (drawn highlighted, always as text). */
export interface SnippetPart {
  text: string;
  match: boolean;
}

/** One passage `search` found. */
export interface SearchHit {
  /** The document's content hash. */
  doc: string;
  /** Where it was last opened from. */
  path: string;
  name: string;
  /** 1-based. */
  page: number;
  /** The region's place in the page's reading order, where the passage is one region's text. */
  region: number | null;
  class: string | null;
  /** The region's box in page pixels at `dpi`. */
  bbox: [number, number, number, number] | null;
  dpi: number;
  route: Route | null;
  score: number;
  keyword_rank: number | null;
  semantic_rank: number | null;
  snippet: string;
  snippet_parts: SnippetPart[];
}

export interface SearchResults {
  query: string;
  mode: SearchMode;
  results: SearchHit[];
  embed_ms: number;
  model_loaded: boolean;
  search_ms: number;
  chunks_scanned: number;
}

/** What `export_document` can write. */
export type ExportFormat = 'json' | 'md' | 'hocr' | 'alto' | 'pdf' | 'csv';

/** What an export wrote. */
export interface ExportWritten {
  format: ExportFormat;
  path: string;
  files: string[];
  pdf?: { pages: number; pages_with_ocr_text: number; words: number };
}

/** A place on a page to show and flash: a search result's region. */
export interface PageTarget {
  /** 0-based page. */
  pageIndex: number;
  bbox: [number, number, number, number] | null;
  dpi: number;
  /** Changes on every request, so asking for the same place again flashes it again. */
  serial: number;
}

/** A block of a page's text in reading order (`page_text`): a region and its lines, by index. */
export interface TextBlock {
  /** The region's place in reading order; null for lines outside every region. */
  region: number | null;
  class: string | null;
  lines: number[];
}

/** A model as the models panel shows it (`models_status`). */
export interface ModelStatus {
  model: string;
  name: string;
  loaded: boolean;
  load_count: number;
  load_ms: number;
  bytes: number;
  /** Milliseconds since it was last used; null when it never was. */
  idle_ms: number | null;
}
