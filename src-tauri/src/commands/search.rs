//! Search across every processed document from the window's search box.

use folio_engine::search::{SearchMode, SearchQuery, SearchResults};
use tauri::State;

use crate::state::AppState;
use crate::Error;

/// Passages for `query` (`mode`: hybrid, semantic or keyword), best first, narrowed to one open document
/// (`doc_id`), a route or a region class where given. Runs off the window's thread: the first semantic
/// query loads the embedding model.
#[tauri::command]
#[tracing::instrument(skip(state))]
pub async fn search(
    state: State<'_, AppState>,
    query: String,
    k: Option<usize>,
    mode: Option<String>,
    doc_id: Option<u64>,
    route: Option<String>,
    class: Option<String>,
) -> Result<SearchResults, Error> {
    let mode = match mode.as_deref() {
        None => SearchMode::default(),
        Some(name) => SearchMode::parse(name).ok_or_else(|| Error::Invalid(format!("unknown search mode '{name}'")))?,
    };
    let document = doc_id.map(|id| state.library.document(id).and_then(|d| d.content_hash())).transpose()?;
    let searcher = state.searcher.clone();
    let query = SearchQuery { text: query, k: k.unwrap_or(20), mode, document, route, class };
    tauri::async_runtime::spawn_blocking(move || searcher.search(&query))
        .await
        .map_err(|e| Error::Background(e.to_string()))?
        .map_err(Error::from)
}
