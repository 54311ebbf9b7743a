use std::sync::Arc;

use folio_engine::library::LibraryOptions;
use folio_engine::memory::{MemoryGauges, SamplerOptions};
use folio_engine::{Library, MemorySampler};

/// Everything the commands share, created once when the app starts.
pub struct AppState {
    pub library: Arc<Library>,
    pub sampler: MemorySampler,
}

impl AppState {
    pub fn new() -> Self {
        let gauges = Arc::new(MemoryGauges::default());
        AppState {
            library: Arc::new(Library::new(LibraryOptions::default(), Arc::clone(&gauges))),
            sampler: MemorySampler::start(SamplerOptions::default(), gauges),
        }
    }
}
