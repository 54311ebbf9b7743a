use folio_engine::control::autotune::{autotune, TuneOptions, TuneReport};
use folio_engine::export::blocks::{reading_order, TextBlock};
use folio_engine::export::json::Page as ExportPage;
use folio_engine::models::Recogniser;
use folio_engine::text::TextLayerMode;
use folio_engine::worker::{JobId, JobSpec};
use folio_engine::pipeline::{BatchSizes, PageResult, Stage};
use tauri::State;

use crate::state::AppState;
use crate::Error;

fn stages(names: &[String]) -> Result<Vec<Stage>, Error> {
    Stage::parse_list(&names.join(",")).map_err(Error::Invalid)
}

/// Queues a job over one open document; progress arrives as `worker-event`s.
#[tauri::command]
#[tracing::instrument(skip(state))]
pub fn jobs_submit(state: State<'_, AppState>, doc_id: u64, stages: Vec<String>, dpi: Option<f32>, text_layer: Option<String>, rec_model: Option<String>) -> Result<JobId, Error> {
    let document = state.library.document(doc_id)?;
    let mut spec = JobSpec::new(vec![document], None, self::stages(&stages)?, dpi.unwrap_or(150.0));
    if let Some(mode) = text_layer {
        spec.text_layer = TextLayerMode::parse(&mode).ok_or_else(|| Error::Invalid(format!("'{mode}' is not a text-layer mode: auto, text, ocr or redo")))?;
    }
    if let Some(name) = rec_model {
        spec.recogniser = Recogniser::parse(&name).map_err(Error::Invalid)?;
    }
    Ok(state.worker.submit(spec)?)
}

#[tauri::command]
pub fn jobs_pause(state: State<'_, AppState>, job: JobId) -> bool {
    state.worker.pause(job)
}

#[tauri::command]
pub fn jobs_resume(state: State<'_, AppState>, job: JobId) -> bool {
    state.worker.resume(job)
}

#[tauri::command]
#[tracing::instrument(skip(state))]
pub fn jobs_cancel(state: State<'_, AppState>, job: JobId) -> bool {
    state.worker.cancel(job)
}

#[tauri::command]
#[tracing::instrument(skip(state))]
pub fn jobs_set_batch_size(state: State<'_, AppState>, stage: String, size: usize) -> Result<(), Error> {
    let stage = Stage::parse(&stage).ok_or_else(|| Error::Invalid(format!("unknown stage '{stage}'")))?;
    state.worker.set_batch_size(stage, size);
    Ok(())
}

#[tauri::command]
pub fn jobs_batch_sizes(state: State<'_, AppState>) -> BatchSizes {
    state.worker.batch_sizes()
}

/// Tries batch sizes on sample pages of a document (tens of seconds, off the UI thread).
#[tauri::command]
#[tracing::instrument(skip(state))]
pub async fn jobs_autotune(state: State<'_, AppState>, doc_id: u64, sample: Option<usize>) -> Result<TuneReport, Error> {
    let document = state.library.document(doc_id)?;
    let (hub, renderer, budget) = (state.hub.clone(), state.library.renderer().clone(), state.worker.budget_bytes());
    tauri::async_runtime::spawn_blocking(move || {
        let options = TuneOptions { sample_pages: sample.unwrap_or(4), sizes: vec![1, 2, 4, 8, 16], stages: Stage::ALL.to_vec(), dpi: 150.0, budget_bytes: budget };
        autotune(hub, &renderer, &document, &options)
    })
    .await
    .map_err(|e| Error::Background(e.to_string()))?
    .map_err(Error::from)
}

/// "Analyse this page now" from the viewer: `page` is 1-based. Returns the job that will do it.
#[tauri::command]
#[tracing::instrument(skip(state))]
pub fn analyse_page(state: State<'_, AppState>, doc_id: u64, page: usize) -> Result<JobId, Error> {
    let document = state.library.document(doc_id)?;
    if page == 0 || page > document.page_count() {
        return Err(Error::Invalid(format!("page {page} is not in {} ({} pages)", document.name, document.page_count())));
    }
    Ok(state.worker.analyse_now(document, page - 1)?)
}

/// The stored analysis of a page (1-based), or null when it has none yet: found by the document's content,
/// so a copy opened from another path shows its results at once.
#[tauri::command]
pub fn page_result(state: State<'_, AppState>, doc_id: u64, page: usize) -> Result<Option<PageResult>, Error> {
    let document = state.library.document(doc_id)?;
    Ok(state.store.page(&document.content_hash()?, page)?)
}

/// The stored page's text in reading order: its lines (by index) grouped by region, for the side panel.
#[tauri::command]
pub fn page_text(state: State<'_, AppState>, doc_id: u64, page: usize) -> Result<Vec<TextBlock>, Error> {
    let document = state.library.document(doc_id)?;
    let stored = state.store.page(&document.content_hash()?, page)?;
    Ok(stored.map(|result| reading_order(&ExportPage::of(&result))).unwrap_or_default())
}
