use std::path::PathBuf;

/// Everything that can go wrong in the engine, each with the file it concerns where there is one,
/// worded for the person who opened that file.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: could not read the file: {source}")]
    Unreadable { path: PathBuf, source: std::io::Error },

    #[error("{path}: the file is empty (0 bytes)")]
    Empty { path: PathBuf },

    #[error("{path}: not a PDF or a supported image ({detail})")]
    Unsupported { path: PathBuf, detail: String },

    #[error("{path}: the PDF is password-protected; Folio cannot open encrypted PDFs")]
    Encrypted { path: PathBuf },

    #[error("{path}: the PDF is damaged or truncated ({detail})")]
    CorruptPdf { path: PathBuf, detail: String },

    #[error("{path}: the image is damaged or truncated ({detail})")]
    CorruptImage { path: PathBuf, detail: String },

    #[error("{path}: the image is {width}×{height} pixels, over the limit of {limit_pixels} pixels (possible decompression bomb)")]
    ImageTooLarge { path: PathBuf, width: u32, height: u32, limit_pixels: u64 },

    #[error("{path}: no pages")]
    NoPages { path: PathBuf },

    #[error("{path}: page {page} does not exist (the document has {count} pages)")]
    PageOutOfRange { path: PathBuf, page: usize, count: usize },

    #[error("{path}: page {page} could not be rendered: {detail}")]
    Render { path: PathBuf, page: usize, detail: String },

    #[error("{file} is missing from {dir}; run `make models` (or `python3 models/fetch.py`) to fetch it")]
    ArtifactMissing { file: String, dir: PathBuf },

    #[error("{path} does not match the manifest (sha256 {actual}, expected {expected}); run `make models` (or `python3 models/fetch.py`) to fetch it again")]
    ArtifactMismatch { path: PathBuf, actual: String, expected: String },

    #[error("could not load the native library {path}: {detail}")]
    RuntimeLoad { path: PathBuf, detail: String },

    #[error("could not load the model {path}: {detail}")]
    ModelLoad { path: PathBuf, detail: String },

    #[error("the {model} model failed: {detail}")]
    Inference { model: &'static str, detail: String },

    #[error("auto-tune could not measure: {detail}")]
    Tune { detail: String },

    #[error("results store {path}: {detail}")]
    Store { path: PathBuf, detail: String },

    #[error("the results store {path} is damaged ({detail}); open it read-only to export what can be read, or move it aside and start a fresh one")]
    StoreCorrupt { path: PathBuf, detail: String },

    #[error("the results store {path} is held by another Folio process; wait for it to finish, open the store read-only, or use another with --db")]
    StoreLocked { path: PathBuf },

    #[error("the results store {path} was written by a newer Folio (schema version {version}; this one knows up to {supported}); open it read-only, or move it aside and start a fresh one")]
    StoreTooNew { path: PathBuf, version: i64, supported: i64 },

    #[error("the disk holding the results store {path} is full; every page saved before this one is kept: free some space and resume the job")]
    StoreFull { path: PathBuf },

    #[error("the results store {path} is open read-only (or the file cannot be written)")]
    StoreReadOnly { path: PathBuf },

    #[error("the export could not be written: {detail}")]
    Export { detail: String },

    #[error("{reason}")]
    NotADocument { reason: String },

    #[error("job {job} cannot be run again: {detail}")]
    Resume { job: u64, detail: String },

    #[error("the worker keeps no store, so its jobs cannot be resumed or retried")]
    NoStore,

    #[error("the store holds no job {0}")]
    UnknownJob(u64),

    #[error("not a correction Folio can keep: {0}")]
    InvalidCorrection(String),

    #[error("unknown document id {0}")]
    UnknownDocument(u64),

    #[error("the render worker has stopped")]
    RendererStopped,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
