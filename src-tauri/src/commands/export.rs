//! A stored document written out from the window's Export menu, and the Markdown preview.

use std::path::PathBuf;

use folio_engine::export::{self, Format, Written};
use tauri::State;

use crate::state::AppState;
use crate::Error;

fn format(name: &str) -> Result<Format, Error> {
    Format::parse(name).ok_or_else(|| Error::Invalid(format!("unknown export format '{name}'")))
}

fn stored(state: &AppState, doc_id: u64) -> Result<folio_engine::store::DocumentRecord, Error> {
    let document = state.library.document(doc_id)?;
    state
        .store
        .find_document(&document.content_hash()?)?
        .ok_or_else(|| Error::Invalid(format!("{} has no results yet: process it first", document.name)))
}

/// Writes the open document `doc_id` in `format` to `path` (a folder for csv).
#[tauri::command]
#[tracing::instrument(skip(state))]
pub async fn export_document(state: State<'_, AppState>, doc_id: u64, format: String, path: PathBuf) -> Result<Written, Error> {
    let format = self::format(&format)?;
    let record = stored(&state, doc_id)?;
    let store = state.store.clone();
    tauri::async_runtime::spawn_blocking(move || export::export_to_path(&store, &record, format, &path))
        .await
        .map_err(|e| Error::Background(e.to_string()))?
        .map_err(Error::from)
}

/// The document in a text format (`md` for the preview), at most `max_bytes` of it.
#[tauri::command]
pub async fn export_preview(state: State<'_, AppState>, doc_id: u64, format: String, max_bytes: Option<usize>) -> Result<String, Error> {
    let format = self::format(&format)?;
    let record = stored(&state, doc_id)?;
    let store = state.store.clone();
    tauri::async_runtime::spawn_blocking(move || export::preview(&store, &record, format, max_bytes.unwrap_or(256 << 10)))
        .await
        .map_err(|e| Error::Background(e.to_string()))?
        .map_err(Error::from)
}
