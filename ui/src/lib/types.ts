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
}

export type ZoomMode = 'fit' | 'actual';

/** An error shown in the dismissible banner. */
export interface BannerError {
  id: number;
  message: string;
}
