//! Folio's desktop shell. It wires `folio-engine` into Tauri: state, commands, events and the `folio:`
//! page-image protocol. Every command is a thin call into the engine; nothing here decides anything about
//! documents or memory.

mod commands;
mod error;
mod protocol;
mod startup;
mod state;

use std::path::PathBuf;

use std::time::{SystemTime, UNIX_EPOCH};

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

/// Sends every worker event to the window as `worker-event`, stamped with the time for the timeline.
fn forward_worker_events(app: tauri::AppHandle) {
    let events = app.state::<AppState>().worker.subscribe();
    std::thread::Builder::new()
        .name("folio-worker-events".into())
        .spawn(move || {
            for event in events {
                let mut payload = serde_json::to_value(&event).unwrap_or_default();
                let t_ms = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0);
                payload["t_ms"] = t_ms.into();
                if app.emit("worker-event", payload).is_err() {
                    break;
                }
            }
        })
        .expect("spawn the worker event thread");
}

pub fn run() {
    folio_engine::native::configure_allocator();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("FOLIO_LOG").unwrap_or_else(|_| "info".into()))
        .init();

    tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .register_asynchronous_uri_scheme_protocol("folio", protocol::handle)
        .invoke_handler(tauri::generate_handler![
            commands::library::open_paths,
            commands::library::library,
            commands::memory::memory_subscribe,
            commands::memory::memory_set_refresh,
            commands::memory::memory_set_budget,
            commands::memory::memory_budget,
            commands::jobs::jobs_submit,
            commands::jobs::jobs_pause,
            commands::jobs::jobs_resume,
            commands::jobs::jobs_cancel,
            commands::jobs::jobs_set_batch_size,
            commands::jobs::jobs_batch_sizes,
            commands::jobs::jobs_autotune,
            commands::jobs::page_result,
            commands::jobs::page_text,
            commands::jobs::analyse_page,
            commands::store::store_jobs,
            commands::store::store_unfinished_jobs,
            commands::store::store_resume,
            commands::store::store_discard,
            commands::store::store_retry,
            commands::store::store_move_job,
            commands::store::store_page_statuses,
            commands::store::store_info,
            commands::store::correct_line,
            commands::store::correct_region,
            commands::store::delete_region,
            commands::store::restore_region,
            commands::store::add_region,
            commands::search::search,
            commands::models::models_status,
            commands::models::models_unload,
            commands::models::models_set_idle_unload,
            commands::models::models_idle_unload,
            commands::export::export_document,
            commands::export::export_preview,
        ])
        .setup(|app| {
            let store = startup::open_store(app.handle(), &startup::store_path(), app.path().app_data_dir().ok())
                .map_err(|e| Box::<dyn std::error::Error>::from(e))?;
            app.manage(AppState::new(store));
            forward_worker_events(app.handle().clone());
            let paths = startup_paths();
            if !paths.is_empty() {
                let handle = app.handle().clone();
                // Opening reads every file's header; keep it off the thread that shows the window.
                std::thread::spawn(move || {
                    let state = handle.state::<AppState>();
                    let snapshot = commands::library::open_and_record(&state.library, &state.store, &paths);
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
