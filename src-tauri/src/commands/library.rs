use std::path::PathBuf;

use folio_engine::store::Store;
use folio_engine::{Library, LibrarySnapshot};
use tauri::{AppHandle, Emitter, State};

use crate::state::AppState;
use crate::Error;

/// Opens files and folders (from the dialog or a drop) and tells every window the library changed.
#[tauri::command]
#[tracing::instrument(skip(app, state))]
pub async fn open_paths(app: AppHandle, state: State<'_, AppState>, paths: Vec<PathBuf>) -> Result<LibrarySnapshot, Error> {
    let (library, store) = (state.library.clone(), state.store.clone());
    let snapshot = tauri::async_runtime::spawn_blocking(move || open_and_record(&library, &store, &paths))
        .await
        .map_err(|e| Error::Background(e.to_string()))?;
    app.emit("library-changed", &snapshot)?;
    Ok(snapshot)
}

#[tauri::command]
pub fn library(state: State<'_, AppState>) -> LibrarySnapshot {
    state.library.snapshot()
}

/// Opens paths into the library and records in the store where each document was opened from (the store
/// lists every path a document was seen at).
pub fn open_and_record(library: &Library, store: &Store, paths: &[PathBuf]) -> LibrarySnapshot {
    let snapshot = library.open_paths(paths);
    if !store.is_read_only() {
        for info in &snapshot.documents {
            if let Err(error) = library.document(info.id).and_then(|d| store.register(&d)) {
                tracing::warn!(%error, "could not record where a document was opened from");
            }
        }
    }
    snapshot
}
