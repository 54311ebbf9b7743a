//! Auto-tune measures the pipeline the worker runs: its rows come from the same executor, so a stage that
//! fails there fails the tuning with the page and stage the executor recorded.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use folio_engine::control::autotune::{autotune, TuneOptions};
use folio_engine::models::{ModelHub, ModelId, SessionOptions};
use folio_engine::memory::MemoryGauges;
use folio_engine::pipeline::Stage;
use folio_engine::document::source::{self, OpenOptions};
use folio_engine::{Error, RecyclePolicy, RenderOptions, Renderer};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures").join(name)
}

fn options(stages: Vec<Stage>) -> TuneOptions {
    TuneOptions { sample_pages: 2, sizes: vec![1, 2], stages, dpi: 40.0, budget_bytes: None }
}

#[test]
fn auto_tune_reports_a_stage_failure_as_the_executor_records_it() {
    let gauges = Arc::new(MemoryGauges::default());
    let hub = Arc::new(ModelHub::new(SessionOptions::default(), Arc::clone(&gauges)));
    hub.set_path(ModelId::OcrRec, PathBuf::from("/nonexistent/folio-rec.onnx"));
    let renderer = Renderer::start(RenderOptions::default(), RecyclePolicy::default(), gauges);
    let document = source::open_file(&fixture("three-pages.pdf"), &OpenOptions::default()).unwrap();
    match autotune(Arc::clone(&hub), &renderer, &document, &options(vec![Stage::Ocr])) {
        Err(Error::Tune { detail }) => {
            assert!(detail.contains("page 1") && detail.contains("ocr: ") && detail.contains("folio-rec.onnx"), "{detail}");
        }
        other => panic!("expected the OCR failure, got {other:?}"),
    }
    // The same hub tunes a stage whose model loads: one row per size, each measured.
    let report = autotune(hub, &renderer, &document, &options(vec![Stage::Orientation])).unwrap();
    assert_eq!(report.rows.iter().map(|r| r.batch_size).collect::<Vec<_>>(), vec![1, 2]);
    assert!(report.rows.iter().all(|r| r.stage == "orientation" && r.pages_per_s > 0.0));
}
