use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use folio_engine::models::{ModelHub, SessionOptions};
use folio_engine::worker::{Worker, WorkerOptions};
use folio_engine::library::LibraryOptions;
use folio_engine::memory::{MemoryGauges, SamplerOptions};
use folio_engine::search::{SearchOptions, Searcher};
use folio_engine::store::Store;
use folio_engine::{Library, MemorySampler};

/// Everything the commands share, created once when the app starts.
pub struct AppState {
    pub library: Arc<Library>,
    /// `None` when started with `FOLIO_SAMPLE_HZ=0` (used to measure what sampling and the graph cost).
    pub sampler: Option<MemorySampler>,
    /// How often the memory stream sends its batch of samples to the window, in milliseconds.
    pub memory_stream_ms: Arc<AtomicU64>,
    /// A refresh interval fixed by `FOLIO_MEMORY_REFRESH_MS`, whatever the panel asks for (how the cost of
    /// the graph at a given refresh is measured without running a job beside it).
    pub memory_refresh_pinned_ms: Option<u64>,
    pub hub: Arc<ModelHub>,
    pub worker: Worker,
    pub store: Arc<Store>,
    /// Search across the store's documents; holds the embeddings block between queries.
    pub searcher: Arc<Searcher>,
}

/// The memory sampler at `FOLIO_SAMPLE_HZ` samples per second (default 5), or none at 0.
fn sampler(gauges: Arc<MemoryGauges>) -> Option<MemorySampler> {
    let rate_hz = std::env::var("FOLIO_SAMPLE_HZ").ok().and_then(|v| v.parse::<f64>().ok()).unwrap_or(SamplerOptions::default().rate_hz);
    (rate_hz > 0.0).then(|| MemorySampler::start(SamplerOptions { rate_hz, ..SamplerOptions::default() }, gauges))
}

impl AppState {
    /// The app's state over an open store (the worker keeps every job and finished page in it).
    pub fn new(store: Store) -> Self {
        let gauges = Arc::new(MemoryGauges::default());
        let library = Arc::new(Library::new(LibraryOptions::default(), Arc::clone(&gauges)));
        let hub = Arc::new(ModelHub::new(SessionOptions::default(), Arc::clone(&gauges)));
        library.set_load_gate(hub.load_gate());
        let store = Arc::new(store);
        let worker = Worker::start(Arc::clone(&hub), Arc::clone(library.renderer()), Arc::clone(&gauges), WorkerOptions::default());
        worker.attach_library(Arc::clone(&library));
        if !store.is_read_only() {
            worker.attach_store(Arc::clone(&store));
        }
        let searcher = Arc::new(Searcher::new(Arc::clone(&store), Arc::clone(&hub), SearchOptions::default()));
        AppState {
            searcher,
            sampler: sampler(gauges),
            memory_stream_ms: Arc::new(AtomicU64::new(1500)),
            memory_refresh_pinned_ms: std::env::var("FOLIO_MEMORY_REFRESH_MS").ok().and_then(|v| v.parse().ok()),
            library,
            hub,
            worker,
            store,
        }
    }
}
