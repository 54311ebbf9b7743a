use std::path::PathBuf;

use folio_engine::LibrarySnapshot;
use tauri::{AppHandle, Emitter, State};

use crate::state::AppState;
use crate::Error;

/// Opens files and folders (from the dialog or a drop) and tells every window the library changed.
#[tauri::command]
#[tracing::instrument(skip(app, state))]
pub async fn open_paths(app: AppHandle, state: State<'_, AppState>, paths: Vec<PathBuf>) -> Result<LibrarySnapshot, Error> {
    let library = state.library.clone();
    let snapshot = tauri::async_runtime::spawn_blocking(move || library.open_paths(&paths))
        .await
        .map_err(|e| Error::Background(e.to_string()))?;
    app.emit("library-changed", &snapshot)?;
    Ok(snapshot)
}

#[tauri::command]
pub fn library(state: State<'_, AppState>) -> LibrarySnapshot {
    state.library.snapshot()
}
