//! Folio's engine: everything the desktop app and the `folio` command line share.
//!
//! The data path runs one way: a [`source`] turns a path into documents, [`render`] turns a page into a
//! [`PageImage`], the [`library`] keeps what the user has open and serves encoded pages through a
//! byte-bounded [`cache`], and [`memory`] samples the process so every byte can be shown and explained.
//! [`runtime`] finds and verifies the native runtimes and models listed in `models/manifest.json`.
//!
//! This crate knows nothing about Tauri or terminals: the shells call into it and print or emit its results.

pub mod autotune;
pub mod budget;
pub mod cache;
mod error;
pub mod hub;
pub mod jobs;
pub mod library;
pub mod memory;
pub mod pipeline;
pub mod render;
pub mod sentinel;
pub mod runtime;
pub mod source;
pub mod stages;
pub mod store;

pub use error::{Error, Result};
pub use library::{DocumentId, DocumentInfo, Library, LibrarySnapshot, Problem};
pub use memory::{MemorySample, MemorySampler};
pub use render::{PageImage, RecyclePolicy, RenderOptions, RenderSize, Renderer};
pub use source::{Document, DocumentKind, PageSize};
