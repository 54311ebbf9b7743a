//! What keeping results costs: runs every stage over sample pages of a PDF (the pipeline's time per page),
//! then writes 1,000 pages' results — the samples' results, page numbers 1 to 1,000 — into a fresh store,
//! one transaction per page, and prints both times side by side with the store's size per page.
//!
//! `cargo run --release -p folio-engine --example store_cost -- FILE.pdf [SAMPLE_PAGES] [PAGES_WRITTEN]`

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use folio_engine::document::source::{self, OpenOptions};
use folio_engine::memory::MemoryGauges;
use folio_engine::models::{ModelHub, SessionOptions};
use folio_engine::pipeline::{Pipeline, PipelineOptions};
use folio_engine::store::Store;
use folio_engine::{RecyclePolicy, RenderOptions, RenderSize, Renderer};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let path = PathBuf::from(args.first().expect("usage: store_cost FILE.pdf [SAMPLE_PAGES] [PAGES_WRITTEN]"));
    let sample: usize = args.get(1).map_or(10, |s| s.parse().unwrap());
    let written: usize = args.get(2).map_or(1000, |s| s.parse().unwrap());

    let gauges = Arc::new(MemoryGauges::default());
    let hub = Arc::new(ModelHub::new(SessionOptions::default(), Arc::clone(&gauges)));
    let pipeline = Pipeline::new(Arc::clone(&hub), PipelineOptions::default());
    let renderer = Renderer::start(RenderOptions::default(), RecyclePolicy::default(), Arc::clone(&gauges));
    let document = source::open_file(&path, &OpenOptions::default()).unwrap();
    let hash = document.content_hash().unwrap();
    let doc = path.display().to_string();
    let render = |p: usize| pipeline.page(doc.clone(), p + 1, 150.0, renderer.render(&document, p, RenderSize::Dpi(150.0)).unwrap().into_rgb_image());

    // One page first, so that model loads do not count as the pipeline's time per page.
    pipeline.process(vec![render(0)]);
    let started = Instant::now();
    let mut results = Vec::new();
    for p in 1..=sample.min(document.page_count() - 1) {
        results.extend(pipeline.process(vec![render(p)]));
    }
    let pipeline_ms = started.elapsed().as_secs_f64() * 1000.0 / results.len() as f64;

    let dir = tempfile_dir();
    let store = Store::open(&dir.join("cost.sqlite")).unwrap();
    store.register(&document).unwrap();
    let started = Instant::now();
    for page in 1..=written {
        let mut result = results[(page - 1) % results.len()].clone();
        result.page = page;
        result.doc_hash = hash.clone();
        store.put_page(None, &result).unwrap();
    }
    let write_ms = started.elapsed().as_secs_f64() * 1000.0 / written as f64;
    drop(store);
    let bytes: u64 = std::fs::read_dir(&dir).unwrap().flatten().filter_map(|e| e.metadata().ok()).map(|m| m.len()).sum();
    let lines: usize = results.iter().map(|r| r.lines.len()).sum::<usize>() / results.len();
    let chunks: usize = results.iter().map(|r| r.chunks.len()).sum::<usize>() / results.len();
    println!("sample pages {} (all stages, 150 dpi; {lines} lines and {chunks} chunks per page on average)", results.len());
    println!("{:<32} {:>10}", "", "ms/page");
    println!("{:<32} {:>10.2}", "pipeline", pipeline_ms);
    println!("{:<32} {:>10.2}", format!("store write ({written} pages)"), write_ms);
    println!("store write / pipeline: {:.2}%", write_ms / pipeline_ms * 100.0);
    println!("store size: {:.1} KB per page ({:.1} MB for {written} pages, with the write-ahead log)", bytes as f64 / 1024.0 / written as f64, bytes as f64 / 1048576.0);
    let _ = std::fs::remove_dir_all(&dir);
}

fn tempfile_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("folio-store-cost-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
