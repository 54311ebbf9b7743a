//! Which pages drive OCR's peak memory: renders pages of a PDF at one DPI and runs each step of OCR on its
//! own (detection, then recognition of the page's lines), printing per page the peak RSS during each step
//! above the RSS before it, the arena's peak in use, the lines and their widest aspect ratio.
//!
//! `cargo run --release -p folio-engine --example ocr_peaks -- FILE.pdf DPI FIRST COUNT`

use std::path::PathBuf;
use std::sync::Arc;

use folio_engine::document::source::{self, OpenOptions};
use folio_engine::memory::{current_rss_bytes, peak_rss_bytes, reset_peak_rss, MemoryGauges};
use folio_engine::models::{ModelHub, SessionOptions};
use folio_engine::stages::ocr::{crop_quad, OcrOptions, OcrStage};
use folio_engine::{RecyclePolicy, RenderOptions, RenderSize, Renderer};

fn main() {
    folio_engine::native::configure_allocator();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let path = PathBuf::from(&args[0]);
    let dpi: f32 = args[1].parse().unwrap();
    let first: usize = args[2].parse().unwrap();
    let count: usize = args[3].parse().unwrap();
    let gauges = Arc::new(MemoryGauges::default());
    let hub = Arc::new(ModelHub::new(SessionOptions::default(), Arc::clone(&gauges)));
    // `FOLIO_ARENA_FREE_MB=0` gives the arena's free memory back after every inference.
    if let Some(mb) = std::env::var("FOLIO_ARENA_FREE_MB").ok().and_then(|v| v.parse::<u64>().ok()) {
        hub.set_arena_free_limit(Some(mb << 20));
    }
    // `FOLIO_REC_COLUMNS=N` sets the recogniser's column budget (`max`: the reference's batches).
    let columns = match std::env::var("FOLIO_REC_COLUMNS").ok().as_deref() {
        Some("max") => usize::MAX,
        Some(v) => v.parse().unwrap(),
        None => OcrOptions::default().rec_batch_columns,
    };
    let stage = OcrStage::new(Arc::clone(&hub), OcrOptions { rec_batch_columns: columns, ..OcrOptions::default() });
    let doc = source::open_file(&path, &OpenOptions::default()).unwrap();
    let renderer = Renderer::start(RenderOptions::default(), RecyclePolicy::default(), Arc::clone(&gauges));
    let mb = |b: u64| b as f64 / 1048576.0;
    println!("page\tlines\tmax_aspect\tdet_peak_mb\trec_peak_mb\trec_ms\tarena_peak_in_use_mb\treserved_mb");
    for page in first..(first + count).min(doc.page_count()) {
        let image = renderer.render(&doc, page, RenderSize::Dpi(dpi)).unwrap().into_rgb_image();
        let before = current_rss_bytes();
        reset_peak_rss();
        let boxes = stage.detect(&image).unwrap();
        let det_peak = peak_rss_bytes().saturating_sub(before);
        let crops: Vec<_> = boxes.iter().map(|q| crop_quad(&image, q)).collect();
        let max_aspect = crops.iter().map(|c| c.width() as f64 / c.height().max(1) as f64).fold(0.0, f64::max);
        let before = current_rss_bytes();
        reset_peak_rss();
        let started = std::time::Instant::now();
        stage.recognize(&crops).unwrap();
        let rec_ms = started.elapsed().as_secs_f64() * 1000.0;
        let rec_peak = peak_rss_bytes().saturating_sub(before);
        let arena = folio_engine::native::shared_arena_stats().unwrap_or_default();
        println!(
            "{}\t{}\t{:.1}\t{:.1}\t{:.1}\t{:.0}\t{:.1}\t{:.1}",
            page + 1,
            crops.len(),
            max_aspect,
            mb(det_peak),
            mb(rec_peak),
            rec_ms,
            mb(arena.peak_in_use_bytes),
            mb(arena.reserved_bytes)
        );
    }
}
