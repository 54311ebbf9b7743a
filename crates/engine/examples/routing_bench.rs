//! What text routing buys on a born-digital PDF, in one run: the same pages through layout + text with
//! `--text-layer auto` and with `--text-layer ocr`, each page's results written to a store and read back;
//! prints pages/min side by side, the share of wall time inside the layout model, pages per route, and
//! the word F1 (bag of words) of the stored lines against the PDF's own text layer. With a second PDF (the
//! same pages rasterised, `tests/scans/make_scanned_pdf.py`), runs it both ways too and prints whether
//! every page routed to OCR and whether both ways gave the same text.
//!
//! `cargo run --release -p folio-engine --example routing_bench -- BORN_DIGITAL.pdf [PAGES] [DPI] [SCANNED.pdf]`

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use folio_engine::document::source::{self, Document, OpenOptions};
use folio_engine::memory::MemoryGauges;
use folio_engine::models::{ModelHub, SessionOptions};
use folio_engine::pipeline::{PageResult, Pipeline, PipelineOptions, Stage};
use folio_engine::render::TextLayerRead;
use folio_engine::store::Store;
use folio_engine::text::score::{word_score, WordScore};
use folio_engine::text::{RouteCounts, TextLayerMode};
use folio_engine::{RecyclePolicy, RenderOptions, RenderSize, Renderer};

struct Pass {
    mode: TextLayerMode,
    pages: usize,
    seconds: f64,
    layout_ms: f64,
    routes: RouteCounts,
    score: WordScore,
    texts: Vec<String>,
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let path = PathBuf::from(args.first().expect("usage: routing_bench BORN_DIGITAL.pdf [PAGES] [DPI] [SCANNED.pdf]"));
    let pages: usize = args.get(1).map_or(120, |s| s.parse().unwrap());
    let dpi: f32 = args.get(2).map_or(150.0, |s| s.parse().unwrap());
    let scanned = args.get(3).map(PathBuf::from);

    let gauges = Arc::new(MemoryGauges::default());
    let hub = Arc::new(ModelHub::new(SessionOptions::default(), Arc::clone(&gauges)));
    let renderer = Renderer::start(RenderOptions::default(), RecyclePolicy::default(), Arc::clone(&gauges));
    let dir = std::env::temp_dir().join(format!("folio-routing-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let store = Store::open(&dir.join("bench.sqlite")).unwrap();

    let document = source::open_file(&path, &OpenOptions::default()).unwrap();
    let pages = pages.min(document.page_count());
    // The truth: each page's text layer as pdfium gives it.
    let truth: Vec<String> = (0..pages).map(|p| source::pdf_page_text(&path, p).unwrap()).collect();
    println!("{}: {pages} pages at {dpi} dpi, stages layout + text", path.display());
    let auto = pass(&hub, &renderer, &store, &document, pages, dpi, TextLayerMode::Auto, Some(&truth));
    let ocr = pass(&hub, &renderer, &store, &document, pages, dpi, TextLayerMode::Ocr, Some(&truth));
    print_table(&[&auto, &ocr]);
    println!("speed-up of routing: {:.2}x pages/min", rate(&auto) / rate(&ocr));

    if let Some(scanned) = scanned {
        let document = source::open_file(&scanned, &OpenOptions::default()).unwrap();
        let pages = pages.min(document.page_count());
        println!("\n{}: {pages} pages at {dpi} dpi (the same pages rasterised)", scanned.display());
        let auto = pass(&hub, &renderer, &store, &document, pages, dpi, TextLayerMode::Auto, Some(&truth));
        let ocr = pass(&hub, &renderer, &store, &document, pages, dpi, TextLayerMode::Ocr, Some(&truth));
        print_table(&[&auto, &ocr]);
        let same = auto.texts.iter().zip(&ocr.texts).filter(|(a, b)| a == b).count();
        println!("pages routed to ocr under auto: {} of {pages}", auto.routes.ocr);
        println!("pages whose text is the same under auto and ocr: {same} of {pages}");
    }
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
}

fn rate(pass: &Pass) -> f64 {
    pass.pages as f64 / pass.seconds.max(1e-9) * 60.0
}

fn print_table(passes: &[&Pass]) {
    println!("{:<12} {:>10} {:>14} {:>8} {:>8} {:>8} {:>10} {:>10} {:>8}", "text layer", "pages/min", "layout share", "text", "ocr", "mixed", "precision", "recall", "word F1");
    for p in passes {
        println!(
            "{:<12} {:>10.2} {:>13.1}% {:>8} {:>8} {:>8} {:>10.4} {:>10.4} {:>8.4}",
            p.mode.name(),
            rate(p),
            p.layout_ms / 1000.0 / p.seconds.max(1e-9) * 100.0,
            p.routes.text,
            p.routes.ocr,
            p.routes.mixed,
            p.score.precision,
            p.score.recall,
            p.score.f1
        );
    }
}

#[allow(clippy::too_many_arguments)]
fn pass(hub: &Arc<ModelHub>, renderer: &Renderer, store: &Store, document: &Document, pages: usize, dpi: f32, mode: TextLayerMode, truth: Option<&[String]>) -> Pass {
    let options = PipelineOptions { stages: vec![Stage::Layout, Stage::Ocr], text_layer: mode, ..PipelineOptions::default() };
    let pipeline = Pipeline::new(Arc::clone(hub), options);
    let read = TextLayerRead::for_mode(mode, true);
    let hash = document.content_hash().unwrap();
    store.register(document).unwrap();
    let run_page = |p: usize| -> PageResult {
        let rendered = renderer.render_with_text(document, p, RenderSize::Dpi(dpi), read).unwrap();
        let page = pipeline.rendered_page(document.path.display().to_string(), p + 1, dpi, rendered);
        let mut result = pipeline.process(vec![page]).remove(0);
        result.doc_hash = hash.clone();
        result
    };
    // The models load on a page of their own, before the clock starts (for OCR: a page of the other mode's
    // run may not have needed it).
    let warm = PipelineOptions { stages: vec![Stage::Layout, Stage::Ocr], text_layer: TextLayerMode::Ocr, ..PipelineOptions::default() };
    let warm = Pipeline::new(Arc::clone(hub), warm);
    warm.process(vec![warm.page("warm-up", 1, dpi, renderer.render(document, 0, RenderSize::Dpi(dpi)).unwrap().into_rgb_image())]);

    let started = Instant::now();
    let mut routes = RouteCounts::default();
    let mut score = WordScore::default();
    let mut texts = Vec::new();
    for p in 0..pages {
        let result = run_page(p);
        store.put_page(None, &result).unwrap();
        let stored = store.page(&hash, p + 1).unwrap().expect("the page was stored");
        if let Some(route) = stored.route {
            routes.count(route);
        }
        let text = stored.lines.iter().map(|l| l.text.as_str()).collect::<Vec<_>>().join("\n");
        if let Some(truth) = truth {
            score.add(&word_score(&truth[p], &text));
        }
        texts.push(text);
    }
    let seconds = started.elapsed().as_secs_f64();
    let layout_ms = pipeline.timings().iter().find(|(s, _)| *s == Stage::Layout).map_or(0.0, |(_, t)| t.total_ms);
    Pass { mode, pages, seconds, layout_ms, routes, score, texts }
}
