use folio_engine::MemorySample;
use tauri::ipc::Channel;
use tauri::State;

use crate::state::AppState;

/// Streams every memory sample to the window over `on_sample` and returns the history so far.
/// The stream ends by itself when the window goes away (the channel stops accepting).
#[tauri::command]
#[tracing::instrument(skip_all)]
pub fn memory_subscribe(state: State<'_, AppState>, on_sample: Channel<MemorySample>) -> Vec<MemorySample> {
    // Subscribe before reading the history so no sample falls between the two; the UI drops duplicates.
    let samples = state.sampler.subscribe();
    let history = state.sampler.history();
    std::thread::Builder::new()
        .name("folio-memory-stream".into())
        .spawn(move || {
            for sample in samples {
                if on_sample.send(sample).is_err() {
                    break;
                }
            }
        })
        .expect("spawn the memory stream thread");
    history
}
