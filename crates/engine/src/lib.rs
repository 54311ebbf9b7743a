//! Folio's engine: everything the desktop app and the `folio` command line share. It knows nothing about
//! Tauri or terminals: the shells call into it and print or emit its results.
//!
//! The data path runs one way — document → render → pipeline (stages) → store — and memory is watched
//! beside it. One hop per concern:
//!
//! | module | what it is | what it is not for |
//! |---|---|---|
//! | [`document`] | opening paths as documents: sniffing, PDFs, images, folders of images | rendering, results |
//! | [`render`] | pages to pixels through pdfium and `image`, with pdfium's caches recycled | deciding what to render |
//! | [`library`] | the documents the user has open, their pages served through a byte-bounded cache | processing |
//! | [`native`] | the manifest, checksums and `doctor`; loading ONNX Runtime (with the shared arena) and pdfium; allocator settings | models' sessions |
//! | [`models`] | the model hub: each model loaded once, shared, counted; the inference clock, the arena policy, the load gate | what a model's output means |
//! | [`text`] | a PDF page's own text layer, the per-page route (text layer, OCR or both) and word scores | running OCR |
//! | [`stages`] | one module per stage: orientation, layout, OCR, tables, reading order, embeddings | scheduling, errors per page |
//! | [`pipeline`] | the one executor: what happens to a page, with an outcome per stage | threads, queues |
//! | [`worker`] | the job queue, the stage threads, pause/cancel/priority, progress events, carrying out budget actions | deciding what a page's stages do |
//! | [`control`] | the budget controller and auto-tune | running pages itself |
//! | [`diagnostics`] | the leak sentinel and slope fitting | fixing what it finds |
//! | [`memory`] | gauges, `/proc` readers, the sampler, attribution | changing memory |
//! | [`store`] | the document store in SQLite: documents by content hash, pages as they finish, jobs and what each finished | holding results in memory |
//! | [`search`] | finding passages across documents by words, by meaning, or both | indexing (the store keeps the full-text index) |
//! | [`export`] | a stored document written out, one module per format (the lossless JSON first) | computing results |
//!
//! No module imports one that imports it back: `native` and `memory` are at the bottom, `worker`, `search` and `export` at the top.

pub mod control;
pub mod diagnostics;
pub mod document;
mod error;
pub mod export;
pub mod library;
pub mod memory;
pub mod models;
pub mod native;
pub mod pipeline;
pub mod render;
pub mod search;
pub mod stages;
pub mod store;
pub mod text;
pub mod worker;

pub use library::{DocumentId, DocumentInfo, Library, LibrarySnapshot, Problem};
pub use document::source::{Document, DocumentKind, PageSize};
pub use error::{Error, Result};
pub use memory::{MemorySample, MemorySampler};
pub use render::{PageImage, RecyclePolicy, RenderOptions, RenderSize, Renderer};
