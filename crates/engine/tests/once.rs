//! Once means once: however many pipelines and threads run, each model is loaded one time per hub.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Weak};

use folio_engine::models::{ModelHub, ModelId, SessionOptions};
use folio_engine::memory::MemoryGauges;
use folio_engine::pipeline::{Pipeline, PipelineOptions, Stage};
use folio_engine::document::source::{self, OpenOptions};
use folio_engine::{RecyclePolicy, RenderOptions, RenderSize, Renderer};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures").join(name)
}

#[test]
fn fifty_pages_through_every_stage_from_three_pipelines_on_three_threads_load_each_model_once() {
    let gauges = Arc::new(MemoryGauges::default());
    let hub = Arc::new(ModelHub::new(SessionOptions { intra_threads: 1, ..SessionOptions::default() }, Arc::clone(&gauges)));
    let events = hub.subscribe();
    let document = Arc::new(source::open_file(&fixture("three-pages.pdf"), &OpenOptions::default()).unwrap());
    let renderer = Arc::new(Renderer::start(RenderOptions::default(), RecyclePolicy::default(), Arc::clone(&gauges)));

    let threads: Vec<_> = (0..3)
        .map(|t| {
            let (hub, document, renderer) = (Arc::clone(&hub), Arc::clone(&document), Arc::clone(&renderer));
            std::thread::spawn(move || {
                let pipeline = Pipeline::new(hub, PipelineOptions::default());
                let mut processed = 0;
                // 17 + 17 + 16 = 50 pages; small renders keep the test quick, the models see real pages.
                let pages = if t == 2 { 16 } else { 17 };
                for chunk in (0..pages).collect::<Vec<_>>().chunks(4) {
                    let batch = chunk
                        .iter()
                        .map(|&i| {
                            let image = renderer.render(&document, i % 3, RenderSize::Dpi(60.0)).unwrap();
                            pipeline.page("three-pages.pdf", i % 3 + 1, 60.0, image.into_rgb_image())
                        })
                        .collect();
                    let results = pipeline.process(batch);
                    assert!(results.iter().all(|r| !r.failed()), "{:?}", results.iter().map(|r| r.failures()).collect::<Vec<_>>());
                    assert!(results.iter().all(|r| !r.lines.is_empty()), "OCR found text");
                    processed += results.len();
                }
                processed
            })
        })
        .collect();
    let total: usize = threads.into_iter().map(|t| t.join().unwrap()).sum();
    assert_eq!(total, 50);
    let recogniser = PipelineOptions::default().recogniser;
    let run: Vec<ModelId> = Stage::ALL.iter().flat_map(|s| s.models(recogniser).iter().copied()).collect();
    for id in ModelId::ALL {
        let expected = if run.contains(&id) { 1 } else { 0 };
        assert_eq!(hub.stats(id).load_count, expected, "{id:?} loaded {} times", hub.stats(id).load_count);
    }
    let loads = events.try_iter().filter(|e| matches!(e, folio_engine::models::HubEvent::Loaded { .. })).count();
    assert_eq!(loads, run.len(), "one loaded event per model the stages run, none for the recogniser not chosen");
    assert!(gauges.models_bytes.load(std::sync::atomic::Ordering::Relaxed) > 0, "model bytes are attributed");
}

#[test]
fn unload_frees_the_session_and_the_next_get_loads_again() {
    let hub = ModelHub::new(SessionOptions::default(), Arc::new(MemoryGauges::default()));
    let first = hub.get(ModelId::OcrCls).unwrap();
    let weak: Weak<_> = Arc::downgrade(&first);
    assert!(Arc::ptr_eq(&first, &hub.get(ModelId::OcrCls).unwrap()), "a second get shares the first load");
    drop(first);
    assert!(hub.unload(ModelId::OcrCls, "test"));
    assert!(weak.upgrade().is_none(), "no one holds the session after unload: it is freed");
    assert!(!hub.stats(ModelId::OcrCls).loaded);
    let again = hub.get(ModelId::OcrCls).unwrap();
    assert_eq!(hub.stats(ModelId::OcrCls).load_count, 2);
    drop(again);
    assert!(!hub.unload(ModelId::Layout, "test"), "unloading what was never loaded does nothing");
}

#[test]
fn the_idle_policy_unloads_only_what_went_unused_and_only_when_on() {
    let hub = ModelHub::new(SessionOptions::default(), Arc::new(MemoryGauges::default()));
    let events = hub.subscribe();
    drop(hub.get(ModelId::OcrCls).unwrap());
    std::thread::sleep(std::time::Duration::from_millis(120));
    assert!(hub.unload_expired().is_empty(), "off by default");
    hub.set_idle_unload(Some(std::time::Duration::from_millis(100)));
    let status = |id| hub.statuses().into_iter().find(|s| s.model == id).unwrap();
    assert!(status(ModelId::OcrCls).loaded && status(ModelId::OcrCls).idle_ms.unwrap() >= 100);
    assert_eq!(status(ModelId::Layout).idle_ms, None, "never used");
    assert_eq!(hub.unload_expired(), vec![ModelId::OcrCls]);
    let unloaded = status(ModelId::OcrCls);
    assert!(!unloaded.loaded && unloaded.load_count == 1 && unloaded.bytes > 0, "{unloaded:?}");
    let reasons: Vec<String> = events.try_iter().filter_map(|e| match e {
        folio_engine::models::HubEvent::Unloaded { reason, .. } => Some(reason),
        _ => None,
    }).collect();
    assert_eq!(reasons, vec!["idle".to_string()], "the unload is an event the memory graph marks");
    // Used again just now: not idle.
    drop(hub.get(ModelId::OcrCls).unwrap());
    assert!(hub.unload_expired().is_empty());
    hub.set_idle_unload(None);
    assert_eq!(hub.idle_unload(), None);
}

#[test]
fn concurrent_first_callers_share_one_load() {
    let hub = Arc::new(ModelHub::new(SessionOptions::default(), Arc::new(MemoryGauges::default())));
    let models: Vec<_> = (0..6)
        .map(|_| {
            let hub = Arc::clone(&hub);
            std::thread::spawn(move || hub.get(ModelId::Orientation).unwrap())
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|t| t.join().unwrap())
        .collect();
    assert!(models.windows(2).all(|w| Arc::ptr_eq(&w[0], &w[1])));
    assert_eq!(hub.stats(ModelId::Orientation).load_count, 1);
}

#[test]
fn a_model_loaded_for_one_use_waits_for_work_in_progress_like_any_load() {
    use std::time::{Duration, Instant};

    let gauges = Arc::new(MemoryGauges::default());
    let hub = Arc::new(ModelHub::new(SessionOptions::default(), Arc::clone(&gauges)));
    hub.set_uncached(ModelId::OcrCls, true, "test");
    let (entered, enter) = std::sync::mpsc::channel();
    let stage = {
        let hub = Arc::clone(&hub);
        std::thread::spawn(move || {
            let _working = hub.work();
            entered.send(()).unwrap();
            // A stage busy with a page: the load must not overlap it.
            std::thread::sleep(Duration::from_millis(400));
            Instant::now()
        })
    };
    enter.recv().unwrap();
    let model = hub.get(ModelId::OcrCls).unwrap();
    let loaded = Instant::now();
    let work_ended = stage.join().unwrap();
    assert!(loaded >= work_ended, "the one-use load ended {:?} before the stage's work did", work_ended - loaded);
    assert!(gauges.transient_models_bytes.load(std::sync::atomic::Ordering::Relaxed) > 0, "counted while it lives");
    drop(model);
    assert_eq!(gauges.transient_models_bytes.load(std::sync::atomic::Ordering::Relaxed), 0, "and no longer once let go");
    assert_eq!(hub.stats(ModelId::OcrCls).load_count, 1);
}
