//! The document store from the window: jobs (listed, resumed, discarded, retried, reordered), each page's
//! status, and where the store is.

use folio_engine::pipeline::PageResult;
use folio_engine::store::pages::Correction;
use folio_engine::store::{JobRecord, PageStatus};
use folio_engine::worker::resume::Requeued;
use folio_engine::worker::JobId;
use serde_json::{json, Value};
use tauri::State;

use crate::state::AppState;
use crate::Error;

/// Every job the store holds: unfinished ones first, in queue order.
#[tauri::command]
pub fn store_jobs(state: State<'_, AppState>) -> Result<Vec<JobRecord>, Error> {
    Ok(state.store.jobs()?)
}

/// Jobs a crash or a closed window left unfinished (what the resume prompt lists).
#[tauri::command]
pub fn store_unfinished_jobs(state: State<'_, AppState>) -> Result<Vec<JobRecord>, Error> {
    let queued = state.worker.queued();
    Ok(state.store.unfinished_jobs()?.into_iter().filter(|j| !queued.contains(&j.id)).collect())
}

/// Queues an unfinished job again from its first unfinished page (`job` null: all of them).
#[tauri::command]
#[tracing::instrument(skip(state))]
pub fn store_resume(state: State<'_, AppState>, job: Option<JobId>) -> Result<Vec<Requeued>, Error> {
    Ok(state.worker.resume_unfinished(job)?)
}

/// Drops an unfinished job without running it; the pages it finished stay.
#[tauri::command]
#[tracing::instrument(skip(state))]
pub fn store_discard(state: State<'_, AppState>, job: JobId) -> Result<bool, Error> {
    state.worker.cancel(job);
    Ok(state.store.remove_job(job)?)
}

/// "Retry failed pages": queues the job's failed pages again.
#[tauri::command]
#[tracing::instrument(skip(state))]
pub fn store_retry(state: State<'_, AppState>, job: JobId) -> Result<Requeued, Error> {
    Ok(state.worker.retry_failed(job)?)
}

/// Moves a queued job one place sooner (`up`) or later.
#[tauri::command]
pub fn store_move_job(state: State<'_, AppState>, job: JobId, up: bool) -> Result<bool, Error> {
    Ok(state.worker.move_queued(job, up)?)
}

/// Each stored page of an open document with its status (`done`, `failed`); pages not listed are not
/// processed yet.
#[tauri::command]
pub fn store_page_statuses(state: State<'_, AppState>, doc_id: u64) -> Result<Vec<PageStatus>, Error> {
    let document = state.library.document(doc_id)?;
    Ok(state.store.page_statuses(&document.content_hash()?)?)
}

/// Where the store is and whether it is read-only.
#[tauri::command]
pub fn store_info(state: State<'_, AppState>) -> Value {
    json!({ "path": state.store.path(), "read_only": state.store.is_read_only(), "imported_pages": state.store.imported_pages() })
}

/// Corrects a line's text on a stored page (`page` 1-based, `line` its index in the page's lines): kept
/// beside what was found, and used by search and every export. Returns the page as it now reads.
#[tauri::command]
#[tracing::instrument(skip(state, text))]
pub fn correct_line(state: State<'_, AppState>, doc_id: u64, page: usize, line: usize, text: String) -> Result<PageResult, Error> {
    correct(&state, doc_id, page, Correction::LineText { line, text })
}

/// Changes a region's class on a stored page (`region` its place in the page's regions), kept beside what
/// layout analysis found. Returns the page as it now reads.
#[tauri::command]
#[tracing::instrument(skip(state))]
pub fn correct_region(state: State<'_, AppState>, doc_id: u64, page: usize, region: usize, class: String) -> Result<PageResult, Error> {
    correct(&state, doc_id, page, Correction::RegionClass { region, class })
}

/// Deletes a region on a stored page (one layout analysis found stays in the store and can be restored).
/// Returns the page as it now reads.
#[tauri::command]
#[tracing::instrument(skip(state))]
pub fn delete_region(state: State<'_, AppState>, doc_id: u64, page: usize, region: usize) -> Result<PageResult, Error> {
    correct(&state, doc_id, page, Correction::RegionDelete { region })
}

/// Brings back a region deleted from a stored page (`key` from the page's `deleted_regions`).
#[tauri::command]
#[tracing::instrument(skip(state))]
pub fn restore_region(state: State<'_, AppState>, doc_id: u64, page: usize, key: usize) -> Result<PageResult, Error> {
    correct(&state, doc_id, page, Correction::RegionRestore { key })
}

/// Adds a region layout analysis missed: its box in page pixels (of the upright page, at the page's DPI)
/// and its class. Returns the page as it now reads.
#[tauri::command]
#[tracing::instrument(skip(state))]
pub fn add_region(state: State<'_, AppState>, doc_id: u64, page: usize, bbox: [f32; 4], class: String) -> Result<PageResult, Error> {
    correct(&state, doc_id, page, Correction::RegionAdd { bbox, class })
}

fn correct(state: &AppState, doc_id: u64, page: usize, correction: Correction) -> Result<PageResult, Error> {
    let document = state.library.document(doc_id)?;
    state
        .store
        .correct(&document.content_hash()?, page, &correction)?
        .ok_or_else(|| Error::Invalid(format!("{} has no such stored line or region on page {page}", document.name)))
}
