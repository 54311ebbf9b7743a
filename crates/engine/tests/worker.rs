//! The background worker end to end: streaming, cancel keeps finished pages, the leak sentinel, and what
//! happens to a page whose stage fails or panics (real models on real pages).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use folio_engine::models::{ModelHub, ModelId, SessionOptions};
use folio_engine::worker::{JobSpec, JobState, Worker, WorkerEvent, WorkerOptions};
use folio_engine::memory::MemoryGauges;
use folio_engine::pipeline::{Outcome, PageResult, Stage};
use folio_engine::diagnostics::sentinel::SentinelOptions;
use folio_engine::document::source::{self, OpenOptions};
use folio_engine::{RecyclePolicy, RenderOptions, Renderer};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures").join(name)
}

fn worker(sentinel: SentinelOptions) -> Worker {
    let gauges = Arc::new(MemoryGauges::default());
    let hub = Arc::new(ModelHub::new(SessionOptions::default(), Arc::clone(&gauges)));
    worker_on(hub, gauges, sentinel)
}

fn worker_on(hub: Arc<ModelHub>, gauges: Arc<MemoryGauges>, sentinel: SentinelOptions) -> Worker {
    let renderer = Arc::new(Renderer::start(RenderOptions::default(), RecyclePolicy::default(), Arc::clone(&gauges)));
    Worker::start(hub, renderer, gauges, WorkerOptions { sentinel, ..WorkerOptions::default() })
}

fn render_only_job(pages: usize) -> JobSpec {
    let document = Arc::new(source::open_file(&fixture("three-pages.pdf"), &OpenOptions::default()).unwrap());
    // No model stages: pages are rendered, streamed through every stage thread and delivered.
    JobSpec { documents: vec![document], pages: None, stages: Vec::new(), dpi: 20.0, repeat_to_pages: Some(pages), only: None, text_layer: Default::default(), recogniser: Default::default() }
}

fn small_sentinel() -> SentinelOptions {
    SentinelOptions { warmup_pages: 20, window_pages: 200, threshold_bytes_per_page: 50.0 * 1024.0, confirm_pages: 100, ..SentinelOptions::default() }
}

/// Runs `pages` pages with a hook that keeps `leak(page)` bytes per page; returns the leak warnings.
fn run_with_hook(pages: usize, leak: fn(usize) -> usize) -> Vec<folio_engine::diagnostics::sentinel::LeakWarning> {
    let worker = worker(small_sentinel());
    let kept: Arc<Mutex<Vec<Vec<u8>>>> = Arc::new(Mutex::new(Vec::new()));
    let held = Arc::clone(&kept);
    let mut n = 0usize;
    worker.set_hook(
        "leaky",
        Box::new(move |_| {
            n += 1;
            let bytes = leak(n);
            // Touch every page of the block so it is resident, as a real leak would be.
            held.lock().unwrap().push(vec![1u8; bytes]);
            Ok(bytes as f64)
        }),
    );
    let events = worker.subscribe();
    worker.submit(render_only_job(pages)).unwrap();
    loop {
        match events.recv_timeout(Duration::from_secs(120)).expect("the job ends") {
            WorkerEvent::JobEnded { state, pages_done, .. } => {
                assert_eq!(state, JobState::Finished);
                assert_eq!(pages_done, pages as u64);
                break;
            }
            _ => {}
        }
    }
    worker.leak_warnings()
}

#[test]
fn a_leaking_stage_is_flagged_by_name() {
    // 100-400 KB kept per page, varying page to page.
    let warnings = run_with_hook(420, |n| (100 + (n * 7919) % 300) * 1024);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(warnings[0].suspect_stage.as_deref(), Some("leaky"));
    assert!(warnings[0].slope_bytes_per_page > 100.0 * 1024.0);
}

#[test]
fn the_same_run_without_the_leak_stays_quiet() {
    let warnings = run_with_hook(420, |_| 0);
    assert!(warnings.is_empty(), "{warnings:?}");
}

/// A worker whose sink records the number of every page it is given.
fn worker_collecting_pages() -> (Worker, Arc<Mutex<Vec<usize>>>) {
    let worker = worker(SentinelOptions::default());
    let delivered = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&delivered);
    worker.set_sink(Box::new(move |_, page| sink.lock().unwrap().push(page.page)));
    (worker, delivered)
}

#[test]
fn cancel_keeps_the_pages_already_finished() {
    let (worker, delivered) = worker_collecting_pages();
    let events = worker.subscribe();
    let job = worker.submit(render_only_job(100_000)).unwrap();
    let (mut ended, mut cancelled) = (None, false);
    while ended.is_none() {
        match events.recv_timeout(Duration::from_secs(60)).expect("events keep coming") {
            // Pages already in flight still report progress after the cancel; it is asked once.
            WorkerEvent::JobProgress(p) if p.pages_done >= 10 && !cancelled => {
                assert!(worker.cancel(job), "a running job accepts a cancel");
                cancelled = true;
            }
            WorkerEvent::JobEnded { state, pages_done, .. } => ended = Some((state, pages_done)),
            _ => {}
        }
    }
    let (state, pages_done) = ended.unwrap();
    assert_eq!(state, JobState::Cancelled);
    assert!(pages_done >= 10 && pages_done < 100_000);
    assert_eq!(delivered.lock().unwrap().len() as u64, pages_done, "every finished page was delivered");
}

#[test]
fn pause_stops_intake_and_resume_continues() {
    let worker = worker(SentinelOptions::default());
    let events = worker.subscribe();
    let job = worker.submit(render_only_job(60)).unwrap();
    let mut paused_at = None;
    loop {
        match events.recv_timeout(Duration::from_secs(60)).expect("events keep coming") {
            WorkerEvent::JobProgress(p) if paused_at.is_none() && p.pages_done >= 5 => {
                assert!(worker.pause(job));
                std::thread::sleep(Duration::from_millis(500));
                // Pages already in the channels drain; intake has stopped.
                let drained = events.try_iter().filter_map(|e| match e { WorkerEvent::JobProgress(p) => Some(p.pages_done), _ => None }).max();
                let before = drained.unwrap_or(p.pages_done);
                std::thread::sleep(Duration::from_millis(500));
                let after = events.try_iter().filter_map(|e| match e { WorkerEvent::JobProgress(p) => Some(p.pages_done), _ => None }).max();
                assert!(after.is_none(), "no page finished while paused (was at {before}, then {after:?})");
                paused_at = Some(before);
                assert!(worker.resume(job));
            }
            WorkerEvent::JobEnded { state, pages_done, .. } => {
                assert_eq!(state, JobState::Finished);
                assert_eq!(pages_done, 60);
                break;
            }
            _ => {}
        }
    }
    assert!(paused_at.is_some());
    let _ = Stage::ALL;
}

#[test]
fn a_measurement_runs_with_the_pipeline_empty_and_the_job_goes_on() {
    let gauges = Arc::new(MemoryGauges::default());
    let hub = Arc::new(ModelHub::new(SessionOptions::default(), Arc::clone(&gauges)));
    let worker = worker_on(hub, Arc::clone(&gauges), SentinelOptions::default());
    let delivered = Arc::new(Mutex::new(0usize));
    let sink = Arc::clone(&delivered);
    worker.set_sink(Box::new(move |_, _| *sink.lock().unwrap() += 1));
    let events = worker.subscribe();
    let job = worker.submit(render_only_job(60)).unwrap();
    let mut measured = None;
    loop {
        match events.recv_timeout(Duration::from_secs(60)).expect("events keep coming") {
            WorkerEvent::JobProgress(p) if measured.is_none() && p.pages_done >= 5 => {
                let reading = worker.while_drained(job, Duration::from_secs(30), || {
                    let (images, before) = (gauges.in_flight_bytes.load(std::sync::atomic::Ordering::Relaxed), *delivered.lock().unwrap());
                    std::thread::sleep(Duration::from_millis(300));
                    (images, before, *delivered.lock().unwrap())
                });
                let (images, before, after) = reading.expect("the pipeline drained");
                assert_eq!(images, 0, "no page image in flight while drained");
                assert_eq!(before, after, "no page finished while drained");
                assert!(before >= 5 && before < 60, "{before}");
                measured = Some(before);
            }
            WorkerEvent::JobProgress(p) if p.state != JobState::Running => panic!("a measurement changed the job's state to {:?}", p.state),
            WorkerEvent::JobEnded { state, pages_done, .. } => {
                assert_eq!(state, JobState::Finished);
                assert_eq!(pages_done, 60, "intake went on after the measurement");
                break;
            }
            _ => {}
        }
    }
    assert!(measured.is_some());
    assert!(worker.while_drained(job, Duration::from_secs(1), || ()).is_none(), "a job no longer running is not drained");
}

#[test]
fn analyse_now_puts_a_page_ahead_of_the_running_job() {
    let (worker, delivered) = worker_collecting_pages();
    let document = Arc::new(source::open_file(&fixture("mixed-sizes.pdf"), &OpenOptions::default()).unwrap());
    let events = worker.subscribe();
    // A long job over page 1 only.
    let spec = JobSpec { documents: vec![Arc::clone(&document)], pages: Some(0..1), stages: Vec::new(), dpi: 20.0, repeat_to_pages: Some(2000), only: None, text_layer: Default::default(), recogniser: Default::default() };
    let job = worker.submit(spec).unwrap();
    let mut asked = false;
    loop {
        match events.recv_timeout(Duration::from_secs(60)).expect("events keep coming") {
            WorkerEvent::JobProgress(p) if !asked && p.pages_done >= 5 => {
                assert_eq!(worker.analyse_now(Arc::clone(&document), 3).unwrap(), job, "the running job takes it");
                asked = true;
            }
            WorkerEvent::JobProgress(_) if asked && delivered.lock().unwrap().contains(&4) => {
                let position = delivered.lock().unwrap().iter().position(|&p| p == 4).unwrap();
                assert!(position < 20, "page 4 came right after the request (at {position})");
                worker.cancel(job);
            }
            WorkerEvent::JobEnded { .. } => break,
            _ => {}
        }
    }
    assert!(delivered.lock().unwrap().contains(&4));
}

#[test]
fn a_budget_starts_detection_small_and_clearing_it_restores_full_size() {
    use folio_engine::control::budget::{BudgetAction, BUDGET_DETECTION_MAX_SIDE};
    let worker = worker(SentinelOptions::default());
    let events = worker.subscribe();
    let budget_actions = |events: &std::sync::mpsc::Receiver<WorkerEvent>| -> Vec<BudgetAction> {
        events.try_iter().filter_map(|e| match e { WorkerEvent::Budget(a) => Some(a), _ => None }).collect()
    };
    worker.set_budget(Some(600 << 20));
    let set = budget_actions(&events);
    assert!(set.iter().any(|a| matches!(a, BudgetAction::LeanArena { on: true, .. })), "{set:?}");
    assert!(set.iter().any(|a| matches!(a, BudgetAction::LimitDetection { max_side: Some(m), .. } if *m == BUDGET_DETECTION_MAX_SIDE)), "{set:?}");
    worker.set_budget(Some(700 << 20));
    assert!(budget_actions(&events).is_empty(), "a changed budget keeps the allocation mode");
    worker.set_budget(None);
    let cleared = budget_actions(&events);
    assert!(cleared.iter().any(|a| matches!(a, BudgetAction::LeanArena { on: false, .. })), "{cleared:?}");
    assert!(cleared.iter().any(|a| matches!(a, BudgetAction::LimitDetection { max_side: None, .. })), "{cleared:?}");
}

/// A worker whose sink keeps every result it is given.
fn worker_collecting_results() -> (Worker, Arc<Mutex<Vec<PageResult>>>) {
    let worker = worker(SentinelOptions::default());
    let delivered = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&delivered);
    worker.set_sink(Box::new(move |_, page| sink.lock().unwrap().push(page.clone())));
    (worker, delivered)
}

/// Layout and OCR on the three pages of `three-pages.pdf`, small renders: real models on real pages (OCR on
/// every page, whatever text layer it has).
fn layout_and_ocr_job() -> JobSpec {
    let document = Arc::new(source::open_file(&fixture("three-pages.pdf"), &OpenOptions::default()).unwrap());
    JobSpec {
        documents: vec![document],
        pages: None,
        stages: vec![Stage::Layout, Stage::Ocr],
        dpi: 60.0,
        repeat_to_pages: None,
        only: None,
        text_layer: folio_engine::text::TextLayerMode::Ocr,
        recogniser: Default::default(),
    }
}

/// Waits for the end of `job`; returns how it ended and the pages reported failed (page, error).
fn wait_for_end(events: &std::sync::mpsc::Receiver<WorkerEvent>, job: u64) -> ((JobState, u64, u64, Option<String>), Vec<(usize, String)>) {
    let mut failed = Vec::new();
    loop {
        match events.recv_timeout(Duration::from_secs(300)).expect("the job ends") {
            WorkerEvent::PageFailed { job: j, page, error, .. } if j == job => failed.push((page, error)),
            WorkerEvent::JobEnded { job: j, state, pages_done, pages_failed, reason } if j == job => {
                return ((state, pages_done, pages_failed, reason), failed)
            }
            _ => {}
        }
    }
}

/// Checks a job of `layout_and_ocr_job` in which page 2's extra stage failed with a message containing `error`.
fn assert_only_page_two_failed(results: &[PageResult], ended: (JobState, u64, u64, Option<String>), failed: &[(usize, String)], error: &str) {
    assert_eq!(ended, (JobState::Finished, 3, 1, None), "the job finished its 3 pages, 1 of them failed");
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0].0, 2);
    assert!(failed[0].1.contains("check: ") && failed[0].1.contains(error), "{failed:?}");
    assert_eq!(results.iter().map(|r| r.page).collect::<Vec<_>>(), vec![1, 2, 3], "every page was delivered, the failed one too");
    for result in results {
        assert_eq!(result.outcome("layout"), Some(&Outcome::Done), "page {}", result.page);
        assert_eq!(result.outcome("ocr"), Some(&Outcome::Done), "page {}", result.page);
        assert!(!result.lines.is_empty(), "page {} has its OCR lines", result.page);
        match result.outcome("check") {
            Some(Outcome::Failed { error: e }) => {
                assert_eq!(result.page, 2);
                assert!(e.contains(error), "{e}");
                assert!(result.failed());
            }
            Some(Outcome::Done) => {
                assert_ne!(result.page, 2);
                assert!(!result.failed());
            }
            other => panic!("page {}: check stage {other:?}", result.page),
        }
    }
}

#[test]
fn a_stage_that_fails_on_one_page_fails_that_page_and_the_job_goes_on() {
    let (worker, delivered) = worker_collecting_results();
    worker.set_hook("check", Box::new(|page| if page.page == 2 { Err("page 2 is refused".into()) } else { Ok(0.0) }));
    let events = worker.subscribe();
    let job = worker.submit(layout_and_ocr_job()).unwrap();
    let (ended, failed) = wait_for_end(&events, job);
    assert_only_page_two_failed(&delivered.lock().unwrap(), ended, &failed, "page 2 is refused");
}

#[test]
fn a_stage_that_panics_on_one_page_fails_that_page_and_a_second_job_runs_normally() {
    let (worker, delivered) = worker_collecting_results();
    let mut calls = 0;
    worker.set_hook(
        "check",
        Box::new(move |page| {
            calls += 1;
            if calls <= 3 && page.page == 2 {
                panic!("no page 2 today");
            }
            Ok(0.0)
        }),
    );
    let events = worker.subscribe();
    let first = worker.submit(layout_and_ocr_job()).unwrap();
    let (ended, failed) = wait_for_end(&events, first);
    assert_only_page_two_failed(&delivered.lock().unwrap(), ended, &failed, "the stage panicked: no page 2 today");
    assert!(failed[0].1.contains("panicked"), "{failed:?}");

    delivered.lock().unwrap().clear();
    let second = worker.submit(layout_and_ocr_job()).unwrap();
    let (ended, failed) = wait_for_end(&events, second);
    assert_eq!(ended, (JobState::Finished, 3, 0, None));
    assert!(failed.is_empty(), "{failed:?}");
    let results = delivered.lock().unwrap();
    assert_eq!(results.len(), 3);
    assert!(results.iter().all(|r| !r.failed() && !r.lines.is_empty() && r.outcome("check") == Some(&Outcome::Done)));
}

#[test]
fn a_job_whose_model_cannot_be_loaded_ends_failed_with_the_reason() {
    let gauges = Arc::new(MemoryGauges::default());
    let hub = Arc::new(ModelHub::new(SessionOptions::default(), Arc::clone(&gauges)));
    hub.set_path(ModelId::Layout, PathBuf::from("/nonexistent/folio-layout.onnx"));
    let worker = worker_on(hub, gauges, SentinelOptions::default());
    let delivered = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&delivered);
    worker.set_sink(Box::new(move |_, page: &PageResult| sink.lock().unwrap().push(page.clone())));
    let events = worker.subscribe();
    let document = Arc::new(source::open_file(&fixture("three-pages.pdf"), &OpenOptions::default()).unwrap());
    let spec = JobSpec { documents: vec![document], pages: None, stages: vec![Stage::Layout], dpi: 30.0, repeat_to_pages: Some(500), only: None, text_layer: Default::default(), recogniser: Default::default() };
    let job = worker.submit(spec).unwrap();
    let ((state, pages_done, pages_failed, reason), _) = wait_for_end(&events, job);
    assert_eq!(state, JobState::Failed);
    let reason = reason.expect("a failed job says why");
    assert!(reason.contains("folio-layout.onnx"), "{reason}");
    assert!(pages_done < 500, "the job stopped instead of failing all 500 pages ({pages_done})");
    assert_eq!(pages_failed, pages_done, "no page is reported done without its layout");
    let results = delivered.lock().unwrap();
    assert!(results.iter().all(|r| matches!(r.outcome("layout"), Some(Outcome::Failed { .. }))));
}

#[test]
fn over_its_budget_the_worker_evicts_the_library_page_cache_itself() {
    use folio_engine::library::LibraryOptions;
    use folio_engine::Library;
    use std::sync::atomic::Ordering;
    let gauges = Arc::new(MemoryGauges::default());
    let library = Arc::new(Library::new(LibraryOptions::default(), Arc::clone(&gauges)));
    let snapshot = library.open_paths(&[fixture("three-pages.pdf")]);
    let id = snapshot.documents[0].id;
    for page in 0..3 {
        library.page_png(id, page, 800).unwrap();
    }
    let cached = gauges.page_cache_bytes.load(Ordering::Relaxed);
    assert!(cached > 0, "three pages cached");
    let hub = Arc::new(ModelHub::new(SessionOptions::default(), Arc::clone(&gauges)));
    let renderer = Arc::clone(library.renderer());
    let worker = Worker::start(hub, renderer, Arc::clone(&gauges), WorkerOptions { control_period: Duration::from_millis(20), ..WorkerOptions::default() });
    worker.attach_library(Arc::clone(&library));
    let events = worker.subscribe();
    // A budget far under any process's RSS: the first thing the controller gives up is the page cache.
    worker.set_budget(Some(1 << 20));
    worker.submit(render_only_job(100_000)).unwrap();
    let to_bytes = loop {
        match events.recv_timeout(Duration::from_secs(60)).expect("the budget acts") {
            WorkerEvent::Budget(folio_engine::control::budget::BudgetAction::EvictCache { to_bytes, .. }) => break to_bytes,
            _ => {}
        }
    };
    std::thread::sleep(Duration::from_millis(100));
    let after = gauges.page_cache_bytes.load(Ordering::Relaxed);
    assert!(after <= to_bytes && after < cached, "the cache went from {cached} to {after} bytes (asked: {to_bytes})");
}

#[test]
fn a_full_disk_stops_the_job_with_the_error_and_keeps_what_was_committed() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(folio_engine::store::Store::open(&dir.path().join("folio.sqlite")).unwrap());
    let worker = worker(SentinelOptions::default());
    worker.attach_store(Arc::clone(&store));
    // Each page carries 100 KB of text (kept twice: as its line and in the full-text index), and the store
    // has room for about one page more.
    worker.set_hook("pad", Box::new(|page| {
        page.lines = vec![folio_engine::stages::OcrLine { text: "x".repeat(100_000), score: 1.0, polygon: [[0.0; 2]; 4], source: Default::default(), words: Vec::new() }];
        Ok(0.0)
    }));
    store.limit_size(store.file_bytes() + 450_000).unwrap();
    let document = Arc::new(source::open_path(&fixture("pages"), &OpenOptions::default()).documents.remove(0));
    let events = worker.subscribe();
    let job = worker.submit(JobSpec::new(vec![Arc::clone(&document)], None, Vec::new(), 20.0)).unwrap();
    let (ended, _) = wait_for_end(&events, job);
    let (state, _, _, reason) = ended;
    assert_eq!(state, JobState::Failed);
    let reason = reason.unwrap();
    assert!(reason.contains("is full") && reason.contains("resume"), "{reason}");
    let hash = document.content_hash().unwrap();
    assert!(store.page(&hash, 1).unwrap().is_some(), "the page committed before the disk filled is kept");
    let record = store.job(job).unwrap().unwrap();
    assert_eq!(record.state, "failed");
    assert!(record.error.unwrap().contains("is full"));
    assert_eq!(record.pages_done, store.page_statuses(&hash).unwrap().len() as u64, "every page the job finished is in the store");
    assert!(record.pages_done < document.page_count() as u64, "the job stopped at the full disk");
}

#[test]
fn a_renamed_copy_shows_its_results_without_running_a_model() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(folio_engine::store::Store::open(&dir.path().join("folio.sqlite")).unwrap());
    let gauges = Arc::new(MemoryGauges::default());
    let hub = Arc::new(ModelHub::new(SessionOptions::default(), Arc::clone(&gauges)));
    let worker = worker_on(Arc::clone(&hub), gauges, SentinelOptions::default());
    worker.attach_store(Arc::clone(&store));
    let original = dir.path().join("report.pdf");
    std::fs::copy(fixture("three-pages.pdf"), &original).unwrap();
    let document = Arc::new(source::open_file(&original, &OpenOptions::default()).unwrap());
    let events = worker.subscribe();
    let job = worker.submit(JobSpec::new(vec![document], None, vec![Stage::Layout], 50.0)).unwrap();
    assert_eq!(wait_for_end(&events, job).0 .0, JobState::Finished);
    let (loads, inference) = (hub.stats(ModelId::Layout).load_count, hub.ort_time());
    assert_eq!(loads, 1);

    // The copy is opened the way the window opens it, and its pages come from the store.
    let copy = dir.path().join("renamed copy.pdf");
    std::fs::rename(&original, &copy).unwrap();
    let library = folio_engine::Library::new(folio_engine::library::LibraryOptions::default(), Arc::new(MemoryGauges::default()));
    let snapshot = library.open_paths(&[copy.clone()]);
    let hash = snapshot.documents[0].hash.clone().expect("the copy's bytes are read");
    for page in 1..=3 {
        let result = store.page(&hash, page).unwrap().unwrap_or_else(|| panic!("page {page} of the copy has its results"));
        assert!(!result.regions.is_empty(), "page {page}");
    }
    assert_eq!(hub.stats(ModelId::Layout).load_count, loads, "no model was loaded for the copy");
    assert_eq!(hub.ort_time(), inference, "no model ran for the copy");
}
