//! Folio's desktop shell. It wires `folio-engine` into Tauri: state, commands, events and the `folio:`
//! page-image protocol. Every command is a thin call into the engine; nothing here decides anything about
//! documents or memory.

mod commands;
mod error;
mod protocol;
mod state;

use std::path::PathBuf;

use tauri::{Emitter, Manager};

pub use error::Error;
use state::AppState;

/// Paths given with `--open PATH` (repeatable) on the command line: how tests and scripts open documents,
/// since native dialogs cannot be driven.
fn startup_paths() -> Vec<PathBuf> {
    let mut paths = Vec::new();
    let mut args = std::env::args_os().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--open" {
            if let Some(path) = args.next() {
                paths.push(PathBuf::from(path));
            }
        } else if let Some(path) = arg.to_str().and_then(|a| a.strip_prefix("--open=")) {
            paths.push(PathBuf::from(path));
        }
    }
    paths
}

pub fn run() {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("FOLIO_LOG").unwrap_or_else(|_| "info".into()))
        .init();

    tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .manage(AppState::new())
        .register_asynchronous_uri_scheme_protocol("folio", protocol::handle)
        .invoke_handler(tauri::generate_handler![
            commands::library::open_paths,
            commands::library::library,
            commands::memory::memory_subscribe,
        ])
        .setup(|app| {
            let paths = startup_paths();
            if !paths.is_empty() {
                let handle = app.handle().clone();
                // Opening reads every file's header; keep it off the thread that shows the window.
                std::thread::spawn(move || {
                    let snapshot = handle.state::<AppState>().library.open_paths(&paths);
                    if let Err(error) = handle.emit("library-changed", &snapshot) {
                        tracing::warn!(%error, "could not announce the start-up documents");
                    }
                });
            }
            Ok(())
        })
        .run(tauri::generate_context!())
        .expect("Folio failed to start");
}
