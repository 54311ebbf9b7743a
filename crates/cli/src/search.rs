//! `folio search`: passages across every processed document, by meaning and by words.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result};
use folio_engine::memory::MemoryGauges;
use folio_engine::models::{ModelHub, SessionOptions};
use folio_engine::search::{SearchMode, SearchOptions, SearchQuery, Searcher};
use folio_engine::store::Store;

#[derive(clap::Args)]
pub struct SearchArgs {
    /// What to look for: words, a "quoted phrase", or a question.
    query: String,
    /// How many results.
    #[arg(long, default_value_t = 10)]
    k: usize,
    /// hybrid (words and meaning, fused by rank), semantic (meaning) or keyword (words).
    #[arg(long, default_value = "hybrid")]
    mode: String,
    /// Only this document: a path or a document hash.
    #[arg(long)]
    doc: Option<String>,
    /// Only pages whose text took this route: text, ocr or mixed.
    #[arg(long)]
    route: Option<String>,
    /// Only passages from regions of this layout class (title, text, table, …).
    #[arg(long)]
    class: Option<String>,
}

pub fn search(args: &SearchArgs, store: Arc<Store>, json: bool) -> Result<ExitCode> {
    let mode = SearchMode::parse(&args.mode).with_context(|| format!("unknown mode '{}' (hybrid, semantic, keyword)", args.mode))?;
    let document = match &args.doc {
        Some(key) => Some(store.resolve_document(key)?.with_context(|| format!("the store holds no document {key} (process it first)"))?.hash),
        None => None,
    };
    let hub = Arc::new(ModelHub::new(SessionOptions::default(), Arc::new(MemoryGauges::default())));
    let searcher = Searcher::new(store, hub, SearchOptions::default());
    let query = SearchQuery { text: args.query.clone(), k: args.k, mode, document, route: args.route.clone(), class: args.class.clone() };
    let found = searcher.search(&query)?;
    if json {
        println!("{}", serde_json::to_string(&found)?);
        return Ok(ExitCode::SUCCESS);
    }
    if found.results.is_empty() {
        eprintln!("folio: nothing found for '{}'", args.query);
    }
    for (i, hit) in found.results.iter().enumerate() {
        let region = hit.class.as_deref().map(|c| format!(", {c}")).unwrap_or_default();
        println!("{:>2}. {} p. {}{}  ({:.4})", i + 1, hit.name, hit.page, region, hit.score);
        println!("    {}", hit.snippet.replace('\n', " "));
    }
    eprintln!("folio: {} results; query embedded in {:.1} ms, searched in {:.1} ms", found.results.len(), found.embed_ms, found.search_ms);
    Ok(ExitCode::SUCCESS)
}
