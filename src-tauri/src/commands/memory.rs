use std::sync::atomic::Ordering;
use std::sync::mpsc::RecvTimeoutError;
use std::sync::Arc;
use std::time::{Duration, Instant};

use folio_engine::MemorySample;
use tauri::ipc::Channel;
use tauri::State;

use crate::state::AppState;

/// Streams every memory sample to the window over `on_sample`, in batches, and returns the history so far.
/// The stream ends by itself when the window goes away (the channel stops accepting).
#[tauri::command]
#[tracing::instrument(skip_all)]
pub fn memory_subscribe(state: State<'_, AppState>, on_sample: Channel<Vec<MemorySample>>) -> Vec<MemorySample> {
    let Some(sampler) = state.sampler.as_ref() else { return Vec::new() };
    // Subscribe before reading the history so no sample falls between the two; the UI drops duplicates.
    let samples = sampler.subscribe();
    let history = sampler.history();
    let period_ms = Arc::clone(&state.memory_stream_ms);
    std::thread::Builder::new()
        .name("folio-memory-stream".into())
        .spawn(move || {
            // Every sample is sent, in batches as often as the panel redraws (`memory_set_refresh`): each
            // message wakes the webview.
            let mut batch = Vec::new();
            let mut sent = Instant::now();
            loop {
                let period = Duration::from_millis(period_ms.load(Ordering::Relaxed));
                match samples.recv_timeout(period) {
                    Ok(sample) => batch.push(sample),
                    Err(RecvTimeoutError::Timeout) => {}
                    Err(RecvTimeoutError::Disconnected) => break,
                }
                if !batch.is_empty() && sent.elapsed() >= period {
                    if on_sample.send(std::mem::take(&mut batch)).is_err() {
                        break;
                    }
                    sent = Instant::now();
                }
            }
        })
        .expect("spawn the memory stream thread");
    history
}

/// How often samples are sent to the window, in milliseconds: as often as the memory panel redraws (every
/// 1.5 s while a job runs, every 2 s while the worker is idle). Kept between 250 ms and 10 s. Returns
/// the interval in effect, which the panel then redraws at (`FOLIO_MEMORY_REFRESH_MS` fixes it).
#[tauri::command]
pub fn memory_set_refresh(state: State<'_, AppState>, ms: u64) -> u64 {
    let ms = state.memory_refresh_pinned_ms.unwrap_or(ms).clamp(250, 10_000);
    state.memory_stream_ms.store(ms, Ordering::Relaxed);
    ms
}

/// Sets (or with `null` clears) the memory budget the worker keeps RSS under.
#[tauri::command]
#[tracing::instrument(skip(state))]
pub fn memory_set_budget(state: State<'_, AppState>, mb: Option<u64>) {
    state.worker.set_budget(mb.map(|m| m << 20));
}

#[tauri::command]
pub fn memory_budget(state: State<'_, AppState>) -> Option<u64> {
    state.worker.budget_bytes().map(|b| b >> 20)
}
