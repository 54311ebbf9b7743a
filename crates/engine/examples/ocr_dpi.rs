//! Where OCR's time goes at several resolutions: renders the same pages of a PDF at each DPI and prints,
//! per DPI, the mean detection, classification and recognition times, boxes and detector input size.
//!
//! `cargo run --release -p folio-engine --example ocr_dpi -- FILE.pdf [FIRST] [COUNT] [DPI...]`

use std::path::PathBuf;
use std::sync::Arc;

use folio_engine::models::{ModelHub, SessionOptions};
use folio_engine::memory::MemoryGauges;
use folio_engine::document::source::{self, OpenOptions};
use folio_engine::stages::ocr::{OcrOptions, OcrStage};
use folio_engine::{RecyclePolicy, RenderOptions, RenderSize, Renderer};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let path = PathBuf::from(args.first().expect("usage: ocr_dpi FILE.pdf [FIRST] [COUNT] [DPI...]"));
    let first: usize = args.get(1).map_or(10, |s| s.parse().unwrap());
    let count: usize = args.get(2).map_or(10, |s| s.parse().unwrap());
    let dpis: Vec<f32> = if args.len() > 3 { args[3..].iter().map(|s| s.parse().unwrap()).collect() } else { vec![72.0, 150.0] };

    let gauges = Arc::new(MemoryGauges::default());
    let hub = Arc::new(ModelHub::new(SessionOptions::default(), Arc::clone(&gauges)));
    let stage = OcrStage::new(Arc::clone(&hub), OcrOptions::default());
    let doc = source::open_file(&path, &OpenOptions::default()).unwrap();
    let renderer = Renderer::start(RenderOptions::default(), RecyclePolicy::default(), Arc::clone(&gauges));
    let last = (first + count).min(doc.page_count());

    // Warm every model once so no DPI pays the loads.
    let warm = renderer.render(&doc, first, RenderSize::Dpi(100.0)).unwrap().into_rgb_image();
    stage.run(&warm).unwrap();

    println!("| dpi | page px | det ms | cls ms | rec ms | total ms | boxes | lines | chars |");
    println!("|---|---|---|---|---|---|---|---|---|");
    for dpi in dpis {
        let (mut det, mut cls, mut rec, mut total, mut boxes, mut lines, mut chars) = (0.0, 0.0, 0.0, 0.0, 0, 0, 0);
        let mut dims = (0, 0);
        for page in first..last {
            let image = renderer.render(&doc, page, RenderSize::Dpi(dpi)).unwrap().into_rgb_image();
            dims = image.dimensions();
            let (found, t) = stage.run_timed(&image).unwrap();
            det += t.det_ms;
            cls += t.cls_ms;
            rec += t.rec_ms;
            total += t.total_ms;
            boxes += t.boxes;
            lines += found.len();
            chars += found.iter().map(|l| l.text.chars().count()).sum::<usize>();
        }
        let n = (last - first) as f64;
        println!(
            "| {dpi} | {}x{} | {:.0} | {:.0} | {:.0} | {:.0} | {:.1} | {:.1} | {:.0} |",
            dims.0,
            dims.1,
            det / n,
            cls / n,
            rec / n,
            total / n,
            boxes as f64 / n,
            lines as f64 / n,
            chars as f64 / n
        );
    }
}
