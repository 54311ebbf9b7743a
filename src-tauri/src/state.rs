use std::path::PathBuf;
use std::sync::Arc;

use folio_engine::hub::{ModelHub, SessionOptions};
use folio_engine::jobs::{Worker, WorkerOptions};
use folio_engine::library::LibraryOptions;
use folio_engine::memory::{MemoryGauges, SamplerOptions};
use folio_engine::store::ResultStore;
use folio_engine::{Library, MemorySampler};

/// Everything the commands share, created once when the app starts.
pub struct AppState {
    pub library: Arc<Library>,
    pub sampler: MemorySampler,
    pub hub: Arc<ModelHub>,
    pub worker: Worker,
    pub store: Arc<ResultStore>,
}

impl AppState {
    pub fn new(data_dir: PathBuf) -> Result<Self, folio_engine::Error> {
        let gauges = Arc::new(MemoryGauges::default());
        let library = Arc::new(Library::new(LibraryOptions::default(), Arc::clone(&gauges)));
        let hub = Arc::new(ModelHub::new(SessionOptions::default(), Arc::clone(&gauges)));
        let store = Arc::new(ResultStore::open(&data_dir.join("results.sqlite"))?);
        let worker = Worker::start(Arc::clone(&hub), Arc::clone(library.renderer()), Arc::clone(&gauges), WorkerOptions::default());
        let sink_store = Arc::clone(&store);
        worker.set_sink(Box::new(move |job, page| {
            if let Err(error) = sink_store.put(job, page) {
                tracing::error!(%error, "could not save a page result");
            }
        }));
        Ok(AppState {
            sampler: MemorySampler::start(SamplerOptions::default(), gauges),
            library,
            hub,
            worker,
            store,
        })
    }
}
