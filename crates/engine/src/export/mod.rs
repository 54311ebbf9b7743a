//! Exports of a stored document, one module per format, each built from the store's pages one page at a
//! time (nothing the size of the document is held). [`json`] is the lossless document object that every
//! other format and the window build on.

pub mod json;

use std::io::Write;

use crate::store::{DocumentRecord, Store};
use crate::Result;

/// The formats `folio export` and the window offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
}

impl Format {
    pub fn parse(name: &str) -> Option<Format> {
        match name {
            "json" => Some(Format::Json),
            _ => None,
        }
    }
}

/// Writes `document` from `store` in `format` to `out`.
pub fn export(store: &Store, document: &DocumentRecord, format: Format, out: &mut dyn Write) -> Result<()> {
    match format {
        Format::Json => json::write(store, document, out),
    }
}
