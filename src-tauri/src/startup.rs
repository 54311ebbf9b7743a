//! Opening the store when the app starts: the file named by `FOLIO_DATA_DIR` (tests) or the one the
//! command line shares; the first stores' `results.sqlite` is imported once. A store that cannot be opened
//! is a question for the user — open it read-only, or move it aside and start fresh — never a crash.

use std::path::{Path, PathBuf};

use folio_engine::store::{self, Store};
use tauri::AppHandle;
use tauri_plugin_dialog::{DialogExt, MessageDialogButtons, MessageDialogKind};

/// Where the store lives: `$FOLIO_DATA_DIR/folio.sqlite`, else the shared default.
pub fn store_path() -> PathBuf {
    match std::env::var_os("FOLIO_DATA_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir).join("folio.sqlite"),
        _ => store::default_path(),
    }
}

/// Imports the app's earlier `results.sqlite` (in its own data directory) once, then renames it.
fn import_legacy(store: &Store, app_data_dir: Option<PathBuf>) {
    let Some(legacy) = app_data_dir.map(|d| d.join("results.sqlite")).filter(|p| p.exists()) else { return };
    match store.import_legacy_file(&legacy) {
        Ok(pages) => {
            tracing::info!(pages, from = %legacy.display(), "imported the earlier store's pages");
            let _ = std::fs::rename(&legacy, legacy.with_extension("sqlite.imported"));
        }
        Err(error) => tracing::warn!(%error, from = %legacy.display(), "could not import the earlier store"),
    }
}

/// Opens the store, asking the user what to do when it cannot be opened as it is.
pub fn open_store(app: &AppHandle, path: &Path, app_data_dir: Option<PathBuf>) -> Result<Store, String> {
    let error = match Store::open(path) {
        Ok(store) => {
            import_legacy(&store, app_data_dir);
            return Ok(store);
        }
        Err(error) => error,
    };
    tracing::error!(%error, "the store cannot be opened");
    let fresh = app
        .dialog()
        .message(format!("{error}\n\nOpen it read-only (results can be looked at and exported, nothing new is kept), or move it aside and start a fresh store (nothing is deleted)?"))
        .title("Folio cannot open its store")
        .kind(MessageDialogKind::Error)
        .buttons(MessageDialogButtons::OkCancelCustom("Start fresh".into(), "Open read-only".into()))
        .blocking_show();
    if fresh {
        let aside = Store::move_aside(path).map_err(|e| e.to_string())?;
        tracing::warn!(aside = %aside.display(), "moved the store aside");
        Store::open(path).map_err(|e| e.to_string())
    } else {
        Store::open_read_only(path).map_err(|e| e.to_string())
    }
}
