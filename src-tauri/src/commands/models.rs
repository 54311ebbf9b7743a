//! The models panel: each model's state, an Unload button, and the idle-unload setting.

use std::time::Duration;

use folio_engine::models::{ModelId, ModelStatus};
use tauri::State;

use crate::state::AppState;
use crate::Error;

/// Every model with its state, loads, bytes and time since last use.
#[tauri::command]
pub fn models_status(state: State<'_, AppState>) -> Vec<ModelStatus> {
    state.hub.statuses()
}

/// Unloads a model now (false when it was not loaded); the next page that needs it loads it again.
#[tauri::command]
#[tracing::instrument(skip(state))]
pub fn models_unload(state: State<'_, AppState>, model: String) -> Result<bool, Error> {
    let id = ModelId::ALL.into_iter().find(|id| id.name() == model).ok_or_else(|| Error::Invalid(format!("unknown model '{model}'")))?;
    Ok(state.hub.unload(id, "unloaded by the user"))
}

/// Unload models unused for `seconds` (`null`: never).
#[tauri::command]
pub fn models_set_idle_unload(state: State<'_, AppState>, seconds: Option<u64>) {
    state.hub.set_idle_unload(seconds.filter(|&s| s > 0).map(Duration::from_secs));
}

/// The idle-unload setting in seconds (`null`: never).
#[tauri::command]
pub fn models_idle_unload(state: State<'_, AppState>) -> Option<u64> {
    state.hub.idle_unload().map(|d| d.as_secs())
}
