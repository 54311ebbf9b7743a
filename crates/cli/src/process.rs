//! `folio process`, `folio soak` and `folio tune`: documents through the background worker, the same one the
//! desktop app uses, with a summary of where the time and the memory went.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use folio_engine::control::autotune::{autotune, TuneOptions};
use folio_engine::models::{ModelHub, SessionOptions};
use folio_engine::worker::{JobSpec, JobState, Worker, WorkerEvent, WorkerOptions};
use folio_engine::memory::{current_rss_bytes, heap_in_use_bytes, peak_rss_bytes, MemoryGauges, MemorySample};
use folio_engine::pipeline::{BatchSizes, Stage};
use folio_engine::diagnostics::sentinel::{fit_slope, matched_slope, matched_windows, window_minima, MatchedWindow};
use folio_engine::document::source::{self, Document, OpenOptions};
use folio_engine::{RecyclePolicy, RenderOptions, Renderer};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{json, Value};

use crate::commands::parse_pages;

const MB: f64 = 1048576.0;

/// Options every pipeline command shares.
#[derive(clap::Args, Clone)]
pub struct PipelineArgs {
    /// Comma-separated stages: orientation, layout, ocr, table, embed.
    #[arg(long, default_value = "orientation,layout,ocr,table,embed")]
    stages: String,
    #[arg(long, default_value_t = 150.0)]
    dpi: f32,
    /// Batch size of one stage, e.g. `--batch-size ocr=8` (repeatable).
    #[arg(long = "batch-size", value_parser = parse_batch_size)]
    batch_size: Vec<(Stage, usize)>,
    /// Threads each ONNX Runtime inference may use (0: one per core).
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// Turn off ONNX Runtime's CPU memory arena (memory falls back between pages, a third slower).
    #[arg(long)]
    no_arena: bool,
    /// Let ONNX Runtime pre-plan allocations for repeated input shapes.
    #[arg(long)]
    mem_pattern: bool,
    /// Do not keep pre-packed copies of weights (less memory, slower matrix products).
    #[arg(long)]
    no_prepacking: bool,
    /// Let models run at the same time on different stage threads (more working memory at once).
    #[arg(long)]
    concurrent_models: bool,
    /// Bound the memory the inference arena keeps free between inferences, in MB (0: give it all back after
    /// every inference). Without it the arena keeps up to 1.75 times its largest inference's working memory free (see
    /// `ArenaPolicy`).
    #[arg(long)]
    arena_free_mb: Option<u64>,
    /// Keep RSS under this many MB: the worker evicts, lowers batch sizes and pauses intake to stay under.
    #[arg(long)]
    budget_mb: Option<u64>,
    /// Pages that may wait between two stages of the worker, each holding its page image (`process`, `soak`).
    #[arg(long, default_value_t = WorkerOptions::default().channel_capacity as u64, value_parser = clap::value_parser!(u64).range(1..))]
    queue_pages: u64,
}

#[derive(clap::Args)]
pub struct ProcessArgs {
    /// PDFs, images or folders of page images.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Where to write one JSON line per page.
    #[arg(long)]
    out: PathBuf,
    /// Pages of each document: N, A-B (1-based) or all.
    #[arg(long, default_value = "all")]
    pages: String,
    #[command(flatten)]
    pipeline: PipelineArgs,
}

#[derive(clap::Args)]
pub struct SoakArgs {
    /// PDFs, images or folders of page images, processed in turn as one queue.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Pages to process in total; the documents are looped if shorter.
    #[arg(long, default_value_t = 2000)]
    pages: usize,
    /// Pages counted as warm-up before the slope is fitted.
    #[arg(long, default_value_t = 100)]
    warmup: usize,
    /// Pages of each document to loop over: A-B (1-based) or all.
    #[arg(long, default_value = "all")]
    range: String,
    /// Pages per window whose lowest RSS makes one point of the slope.
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u64).range(1..))]
    floor_window: u64,
    /// Also write the pages as JSON lines here.
    #[arg(long)]
    out: Option<PathBuf>,
    #[command(flatten)]
    pipeline: PipelineArgs,
}

#[derive(clap::Args)]
pub struct TuneArgs {
    pdf: PathBuf,
    /// Sample pages (from the start of the document).
    #[arg(long, default_value_t = 8)]
    sample: usize,
    /// Batch sizes to try.
    #[arg(long, value_delimiter = ',', default_value = "1,2,4,8,16")]
    sizes: Vec<usize>,
    #[command(flatten)]
    pipeline: PipelineArgs,
}

fn parse_batch_size(spec: &str) -> Result<(Stage, usize), String> {
    let (stage, size) = spec.split_once('=').ok_or_else(|| format!("expected STAGE=N, not '{spec}'"))?;
    let stage = Stage::parse(stage).ok_or_else(|| format!("unknown stage '{stage}'"))?;
    let size: usize = size.trim().parse().map_err(|_| format!("'{size}' is not a batch size"))?;
    if size == 0 {
        return Err("a batch size is at least 1".into());
    }
    Ok((stage, size))
}

struct Engine {
    gauges: Arc<MemoryGauges>,
    hub: Arc<ModelHub>,
    renderer: Arc<Renderer>,
    stages: Vec<Stage>,
    batch: BatchSizes,
    queue_pages: usize,
}

impl PipelineArgs {
    fn engine(&self) -> Result<Engine> {
        let stages = Stage::parse_list(&self.stages).map_err(anyhow::Error::msg)?;
        if stages.is_empty() {
            bail!("--stages names no stage");
        }
        let mut batch = BatchSizes::default();
        for &(stage, size) in &self.batch_size {
            batch.set(stage, size);
        }
        let gauges = Arc::new(MemoryGauges::default());
        let hub = Arc::new(ModelHub::new(SessionOptions {
                intra_threads: self.threads,
                cpu_arena: !self.no_arena,
                shared_arena: true,
                memory_pattern: self.mem_pattern,
                prepacking: !self.no_prepacking,
                one_at_a_time: !self.concurrent_models,
                ..SessionOptions::default()
            }, Arc::clone(&gauges)));
        hub.set_arena_free_limit(self.arena_free_mb.map(|mb| mb << 20));
        let renderer = Arc::new(Renderer::start(RenderOptions::default(), RecyclePolicy::default(), Arc::clone(&gauges)));
        Ok(Engine { gauges, hub, renderer, stages, batch, queue_pages: self.queue_pages as usize })
    }
}

impl Engine {
    /// The worker, without a budget yet: `run_jobs` sets it once it listens, so the actions taken when the
    /// budget is set are reported with the rest.
    fn worker(&self) -> Worker {
        Worker::start(
            Arc::clone(&self.hub),
            Arc::clone(&self.renderer),
            Arc::clone(&self.gauges),
            WorkerOptions { pipeline_batch: self.batch, channel_capacity: self.queue_pages, ..WorkerOptions::default() },
        )
    }

    fn models(&self) -> Value {
        self.hub
            .all_stats()
            .into_iter()
            .filter(|(_, s)| s.load_count > 0)
            .map(|(id, s)| (id.name().to_string(), json!({ "load_count": s.load_count, "load_ms": round2(s.load_ms), "bytes": s.bytes })))
            .collect::<serde_json::Map<_, _>>()
            .into()
    }

    /// MB per component now, with `other` the part of RSS nothing accounts for.
    fn attribution(&self) -> Value {
        let a = MemorySample::now(&self.gauges).attribution();
        let mb = |b: u64| round2(b as f64 / MB);
        json!({
            "rss": mb(a.rss),
            "models": mb(a.models),
            "page_cache": mb(a.page_cache),
            "pdfium": mb(a.pdfium),
            "in_flight": mb(a.in_flight),
            "arena_free": mb(a.arena_free),
            "libraries": mb(a.libraries),
            "other": mb(a.other),
        })
    }
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

fn open_documents(paths: &[PathBuf], pages: &str) -> (Vec<(Arc<Document>, std::ops::Range<usize>)>, Vec<String>) {
    let mut documents = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        let opened = source::open_path(path, &OpenOptions::default());
        errors.extend(opened.problems.iter().map(|p| p.message.clone()));
        for document in opened.documents {
            match parse_pages("--pages", pages, document.page_count()) {
                Ok(range) => documents.push((Arc::new(document), range)),
                Err(e) => errors.push(format!("{}: {e}", document.path.display())),
            }
        }
    }
    (documents, errors)
}

/// Outcome of running jobs to the end with a progress bar.
struct Run {
    pages: u64,
    failed: u64,
    seconds: f64,
    budget_actions: Vec<Value>,
    leak_warnings: Vec<Value>,
    rss_per_page: Vec<u64>,
    /// The process's peak RSS so far when each of [`PEAK_CHECKPOINTS`] pages were done.
    peaks_at: Vec<(usize, u64)>,
    /// Per count of pages done, the lowest RSS sampled while that many were done (`u64::MAX`: none sampled).
    floors: Vec<u64>,
    /// The same for RSS less the page images in flight.
    retained_floors: Vec<u64>,
    /// The position in the looped queue (0-based) of each page done, in the order they were done.
    positions: Vec<usize>,
    /// The inference arena's reserve as each page was done.
    arena_per_page: Vec<u64>,
    /// Per page, the share of RSS that no component accounts for.
    other_shares: Vec<f64>,
    cancelled: bool,
    /// Why jobs ended `failed`, one line each.
    job_failures: Vec<String>,
    /// Pages per second of each stage on its own, from the last progress report.
    stage_rates: Vec<(String, f64)>,
}

struct RunOptions {
    total: u64,
    budget_mb: Option<u64>,
    quiet: bool,
    /// Where each document's pages start in the queue that a soak loops over: a page's position is this
    /// plus its 0-based page number. Documents not named count from 0.
    queue_offsets: std::collections::HashMap<String, isize>,
}

fn run_jobs(worker: &Worker, gauges: &Arc<MemoryGauges>, specs: Vec<JobSpec>, options: RunOptions, mut sink: Box<dyn FnMut(&folio_engine::pipeline::PageResult) + Send>) -> Run {
    let RunOptions { total, budget_mb, quiet, queue_offsets } = options;
    let events = worker.subscribe();
    if let Some(mb) = budget_mb {
        worker.set_budget(Some(mb << 20));
    }
    let rss_per_page = Arc::new(Mutex::new(Vec::new()));
    let other_shares = Arc::new(Mutex::new(Vec::new()));
    let peaks_at = Arc::new(Mutex::new(Vec::new()));
    let peak_log = Arc::clone(&peaks_at);
    let positions = Arc::new(Mutex::new(Vec::new()));
    let position_log = Arc::clone(&positions);
    let arena_per_page = Arc::new(Mutex::new(Vec::new()));
    let arena_log = Arc::clone(&arena_per_page);
    let (rss_log, other_log, g) = (Arc::clone(&rss_per_page), Arc::clone(&other_shares), Arc::clone(gauges));
    let floors = FloorSampler::start(Arc::clone(gauges));
    let page_floors = floors.floors();
    worker.set_sink(Box::new(move |_, page| {
        sink(page);
        let sample = MemorySample::now(&g);
        let pages = {
            let mut rss = rss_log.lock().unwrap();
            rss.push(sample.rss_bytes);
            rss.len()
        };
        if PEAK_CHECKPOINTS.contains(&pages) {
            peak_log.lock().unwrap().push((pages, peak_rss_bytes()));
        }
        other_log.lock().unwrap().push(sample.attribution().other_share());
        let offset = queue_offsets.get(&page.doc).copied().unwrap_or(0);
        position_log.lock().unwrap().push((offset + page.page.saturating_sub(1) as isize).max(0) as usize);
        arena_log.lock().unwrap().push(folio_engine::native::shared_arena_stats().map_or(0, |a| a.reserved_bytes));
        page_floors.page_done(&g);
    }));
    let progress = if quiet { ProgressBar::hidden() } else { ProgressBar::new(total) };
    progress.set_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} pages  {per_sec}  eta {eta}  {msg}").unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let started = Instant::now();
    let jobs: Vec<u64> = specs.into_iter().map(|s| worker.submit(s)).collect();
    let mut remaining = jobs.len();
    let mut run = Run {
        pages: 0,
        failed: 0,
        seconds: 0.0,
        budget_actions: Vec::new(),
        leak_warnings: Vec::new(),
        rss_per_page: Vec::new(),
        peaks_at: Vec::new(),
        floors: Vec::new(),
        retained_floors: Vec::new(),
        positions: Vec::new(),
        arena_per_page: Vec::new(),
        other_shares: Vec::new(),
        cancelled: false,
        job_failures: Vec::new(),
        stage_rates: Vec::new(),
    };
    let mut reported = 0u64;
    let mut base = 0u64;
    while remaining > 0 {
        let Ok(event) = events.recv() else { break };
        match event {
            WorkerEvent::JobProgress(p) => {
                run.stage_rates = p.stage_rates.clone();
                progress.set_position(base + p.pages_done);
                let rates: Vec<String> = p.stage_rates.iter().map(|(s, r)| format!("{s} {r:.1}/s")).collect();
                progress.set_message(format!("RSS {:.0} MB  {}", current_rss_bytes() as f64 / MB, rates.join("  ")));
                // Without a progress bar (JSON on stdout), long runs still say how far they are on stderr.
                if quiet && base + p.pages_done >= reported + 100 {
                    reported = (base + p.pages_done) / 100 * 100;
                    // What the C heap holds in use and what the inference arena reserved, beside RSS: the
                    // difference between RSS and those two is where fragmentation shows.
                    let arena = folio_engine::native::shared_arena_stats().map_or(0, |a| a.reserved_bytes);
                    eprintln!(
                        "folio: {}/{total} pages, RSS {:.0} MB, C heap in use {:.0} MB, arena reserved {:.0} MB",
                        base + p.pages_done,
                        current_rss_bytes() as f64 / MB,
                        heap_in_use_bytes() as f64 / MB,
                        arena as f64 / MB
                    );
                }
            }
            WorkerEvent::JobEnded { state, pages_done, reason, .. } => {
                base += pages_done;
                run.pages += pages_done;
                run.cancelled |= state == JobState::Cancelled;
                if let Some(reason) = reason {
                    progress.suspend(|| eprintln!("folio: job failed: {reason}"));
                    run.job_failures.push(reason);
                }
                remaining -= 1;
            }
            WorkerEvent::PageFailed { doc, page, error, .. } => {
                run.failed += 1;
                progress.suspend(|| eprintln!("folio: {doc} page {page}: {error}"));
            }
            WorkerEvent::Budget(action) => {
                progress.suspend(|| eprintln!("folio: budget: {}", serde_json::to_string(&action).unwrap_or_default()));
                run.budget_actions.push(serde_json::to_value(&action).unwrap_or(Value::Null));
            }
            WorkerEvent::BatchSizeChanged { stage, size, reason } => {
                progress.suspend(|| eprintln!("folio: {stage} batch size {size} ({reason})"));
            }
            WorkerEvent::LeakWarning(w) => {
                progress.suspend(|| eprintln!("folio: leak warning: {}", serde_json::to_string(&w).unwrap_or_default()));
                run.leak_warnings.push(serde_json::to_value(&w).unwrap_or(Value::Null));
            }
            _ => {}
        }
    }
    progress.finish_and_clear();
    run.seconds = started.elapsed().as_secs_f64();
    run.rss_per_page = std::mem::take(&mut *rss_per_page.lock().unwrap());
    (run.floors, run.retained_floors) = floors.stop();
    run.positions = std::mem::take(&mut *positions.lock().unwrap());
    run.arena_per_page = std::mem::take(&mut *arena_per_page.lock().unwrap());
    run.peaks_at = std::mem::take(&mut *peaks_at.lock().unwrap());
    run.other_shares = std::mem::take(&mut *other_shares.lock().unwrap());
    run
}

/// Page counts at which a soak reports the peak RSS so far: the first pages against the first 1,500.
const PEAK_CHECKPOINTS: [usize; 10] = [10, 30, 100, 200, 500, 1000, 1500, 2000, 5000, 10000];

/// For each count of pages done, the lowest RSS seen while that many were done, and the lowest RSS less the
/// page images then in flight (counted by the memory gauges; each is a separate mapping, unmapped when it is
/// dropped): sixteen bytes per page, however long the run.
#[derive(Default)]
struct PageFloors {
    floors: Mutex<(Vec<u64>, Vec<u64>)>,
    pages_done: AtomicUsize,
}

impl PageFloors {
    fn observe(&self, rss: u64, kept: Option<u64>) {
        let page = self.pages_done.load(Ordering::Relaxed);
        let mut floors = self.floors.lock().unwrap();
        let (all, retained) = &mut *floors;
        if all.len() <= page {
            all.resize(page + 1, u64::MAX);
            retained.resize(page + 1, u64::MAX);
        }
        all[page] = all[page].min(rss);
        if let Some(kept) = kept {
            retained[page] = retained[page].min(kept);
        }
    }

    /// One more page is done; the reading taken as it finished counts for the new count, so every count has
    /// at least one value however fast pages go.
    fn page_done(&self, gauges: &MemoryGauges) {
        self.pages_done.fetch_add(1, Ordering::Relaxed);
        let (rss, kept) = read_floor(gauges);
        self.observe(rss, kept);
    }
}

/// RSS, and RSS less the page images in flight. The images are read before and after RSS; when they
/// changed in between (an image handed on or dropped meanwhile), the second figure is left out rather than
/// risk subtracting an image RSS no longer held.
fn read_floor(gauges: &MemoryGauges) -> (u64, Option<u64>) {
    let before = gauges.in_flight_bytes.load(Ordering::Relaxed);
    let rss = current_rss_bytes();
    let after = gauges.in_flight_bytes.load(Ordering::Relaxed);
    (rss, (before == after).then(|| rss.saturating_sub(after)))
}

/// Samples RSS 20 times a second into [`PageFloors`].
struct FloorSampler {
    floors: Arc<PageFloors>,
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<()>,
}

impl FloorSampler {
    fn start(gauges: Arc<MemoryGauges>) -> Self {
        let floors = Arc::new(PageFloors::default());
        let stop = Arc::new(AtomicBool::new(false));
        let (flag, sampled) = (Arc::clone(&stop), Arc::clone(&floors));
        let thread = std::thread::spawn(move || {
            while !flag.load(Ordering::Relaxed) {
                let (rss, kept) = read_floor(&gauges);
                sampled.observe(rss, kept);
                std::thread::sleep(Duration::from_millis(50));
            }
        });
        FloorSampler { floors, stop, thread }
    }

    fn floors(&self) -> Arc<PageFloors> {
        Arc::clone(&self.floors)
    }

    /// The floors per count of pages done: of RSS, and of RSS less the page images in flight.
    fn stop(self) -> (Vec<u64>, Vec<u64>) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.thread.join();
        std::mem::take(&mut *self.floors.floors.lock().unwrap())
    }
}

pub fn process(args: &ProcessArgs, json_summary: bool) -> Result<ExitCode> {
    let engine = args.pipeline.engine()?;
    let (documents, errors) = open_documents(&args.paths, &args.pages);
    for e in &errors {
        eprintln!("folio: {e}");
    }
    let total: u64 = documents.iter().map(|(_, r)| r.len() as u64).sum();
    let out = File::create(&args.out).with_context(|| format!("creating {}", args.out.display()))?;
    let out = Arc::new(Mutex::new(BufWriter::new(out)));
    let writer = Arc::clone(&out);
    let worker = engine.worker();
    let specs = documents
        .iter()
        .map(|(d, r)| JobSpec { documents: vec![Arc::clone(d)], pages: Some(r.clone()), stages: engine.stages.clone(), dpi: args.pipeline.dpi, repeat_to_pages: None })
        .collect();
    let options = RunOptions { total, budget_mb: args.pipeline.budget_mb, quiet: json_summary, queue_offsets: Default::default() };
    let run = run_jobs(&worker, &engine.gauges, specs, options, Box::new(move |page| {
        let mut out = writer.lock().unwrap();
        let _ = serde_json::to_writer(&mut *out, page);
        let _ = out.write_all(b"\n");
    }));
    out.lock().unwrap().flush()?;
    let summary = summary(&engine, &run, &worker, &errors, args.pipeline.budget_mb);
    print(&summary, json_summary);
    Ok(if errors.is_empty() && run.failed == 0 && run.job_failures.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

fn summary(engine: &Engine, run: &Run, worker: &Worker, errors: &[String], budget_mb: Option<u64>) -> Value {
    let ort_share = (engine.hub.ort_time().as_secs_f64() / run.seconds.max(1e-9)).min(1.0);
    let batch = worker.batch_sizes();
    let stages: serde_json::Map<String, Value> = engine
        .stages
        .iter()
        .map(|s| {
            let rate = run.stage_rates.iter().find(|(n, _)| n == s.name()).map(|(_, r)| *r);
            let ms = rate.map(|r| round2(1000.0 / r.max(1e-9)));
            (s.name().to_string(), json!({ "batch_size": batch.of(*s), "ms_per_page": ms }))
        })
        .collect();
    json!({
        "pages": run.pages - run.failed.min(run.pages),
        "failed_pages": run.failed,
        "failed_jobs": run.job_failures,
        "errors": errors,
        "seconds": round2(run.seconds),
        "pages_per_min": round2(run.pages as f64 / run.seconds.max(1e-9) * 60.0),
        "peak_rss_mb": round2(peak_rss_bytes() as f64 / MB),
        "ort_share": round2(ort_share),
        "stages": stages,
        "models": engine.models(),
        "budget_mb": budget_mb,
        "budget_actions": run.budget_actions,
        "leak_warnings": run.leak_warnings,
        "attribution": engine.attribution(),
        "other_share_avg": round3(run.other_shares.iter().sum::<f64>() / run.other_shares.len().max(1) as f64),
        "other_share_max": round3(run.other_shares.iter().copied().fold(0.0, f64::max)),
        "arena": folio_engine::native::shared_arena_stats().map(|a| json!({
            "in_use_mb": round2(a.in_use_bytes as f64 / MB),
            "reserved_mb": round2(a.reserved_bytes as f64 / MB),
            "peak_in_use_mb": round2(a.peak_in_use_bytes as f64 / MB),
            "shrinks": a.shrinks,
            // What the reserve holds against the most the arena has had in use: the policy keeps it under 2.
            "reserve_per_peak": round2(a.reserved_bytes as f64 / a.peak_in_use_bytes.max(1) as f64),
            "free_limit_mb": round2(MemorySample::now(&engine.gauges).arena_free_limit_bytes as f64 / MB),
            "fixed_free_limit_mb": engine.hub.arena_free_limit().map(|l| l >> 20),
        })),
    })
}

fn print(summary: &Value, json: bool) {
    if json {
        println!("{summary}");
        return;
    }
    println!("{}", serde_json::to_string_pretty(summary).unwrap_or_default());
}

pub fn soak(args: &SoakArgs, json_summary: bool) -> Result<ExitCode> {
    let engine = args.pipeline.engine()?;
    let mut documents = Vec::new();
    for path in &args.paths {
        let opened = source::open_path(path, &OpenOptions::default());
        if let Some(problem) = opened.problems.first() {
            bail!("cannot soak: {}", problem.message);
        }
        documents.extend(opened.documents.into_iter().map(Arc::new));
    }
    if documents.is_empty() {
        bail!("cannot soak: no document in {}", args.paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", "));
    }
    // One range for every document, each clamped to its length, as the job plans it.
    let longest = documents.iter().map(|d| d.page_count()).max().unwrap_or(0);
    let range = parse_pages("--range", &args.range, longest)?;
    let mut queue_offsets = std::collections::HashMap::new();
    let mut queue_len = 0usize;
    for document in &documents {
        let pages = range.start.min(document.page_count())..range.end.min(document.page_count());
        queue_offsets.insert(document.path.display().to_string(), queue_len as isize - pages.start as isize);
        queue_len += pages.len();
    }
    if queue_len == 0 {
        bail!("cannot soak: --range {} holds no page of these documents", args.range);
    }
    let single = documents.len() == 1;
    let worker = engine.worker();
    let out = match &args.out {
        Some(path) => Some(Arc::new(Mutex::new(BufWriter::new(File::create(path).with_context(|| format!("creating {}", path.display()))?)))),
        None => None,
    };
    let writer = out.clone();
    let spec = JobSpec {
        documents,
        pages: Some(range.clone()),
        stages: engine.stages.clone(),
        dpi: args.pipeline.dpi,
        repeat_to_pages: Some(args.pages),
    };
    let options = RunOptions { total: args.pages as u64, budget_mb: args.pipeline.budget_mb, quiet: json_summary, queue_offsets };
    let run = run_jobs(&worker, &engine.gauges, vec![spec], options, Box::new(move |page| {
        if let Some(out) = &writer {
            let mut out = out.lock().unwrap();
            let _ = serde_json::to_writer(&mut *out, page);
            let _ = out.write_all(b"\n");
        }
    }));
    if let Some(out) = out {
        out.lock().unwrap().flush()?;
    }
    let warmup = args.warmup.min(run.rss_per_page.len().saturating_sub(2));
    let after: Vec<f64> = run.rss_per_page[warmup..].iter().map(|&b| b as f64).collect();
    let xs: Vec<f64> = (0..after.len()).map(|i| (warmup + i) as f64).collect();
    let slope = fit_slope(&xs, &after).unwrap_or(0.0);
    let window = args.floor_window as usize;
    // Windows are counted from the first page looped over: document pages for one document, positions in
    // the queue for several.
    let first_page = if single { range.start } else { 0 };
    let floors = FloorFit::of(&run.floors, &run.positions, queue_len, first_page, warmup, window);
    let retained = FloorFit::of(&run.retained_floors, &run.positions, queue_len, first_page, warmup, window);
    // The floors until the queue first came round (matched windows need a second pass: none here).
    let during = during_run(&run.floors);
    let (fx, fy): (Vec<f64>, Vec<f64>) = window_minima(&during[..during.len().min(queue_len + 1)], warmup, window).into_iter().unzip();
    let mut summary = summary(&engine, &run, &worker, &[], args.pipeline.budget_mb);
    summary["warmup_pages"] = json!(warmup);
    summary["rss_after_warmup_mb"] = json!(round2(after.first().copied().unwrap_or(0.0) / MB));
    summary["rss_end_mb"] = json!(round2(after.last().copied().unwrap_or(0.0) / MB));
    // The floor (the lowest RSS in each window of pages) is what the process keeps; RSS at the moment each
    // page ends also carries the next pages in flight. When the document came round again, each window of
    // its pages is compared with itself a pass later, since what stays resident also depends on where in
    // the document a page is (see `matched_windows`); otherwise the floors are fitted against page counts,
    // and runs too short for a window fall back to the per-page figure. All three are printed.
    let (headline, method) = match (matched_slope(&floors.matched), floors.window_slope) {
        (Some(s), _) => (s, "same_pages_next_pass"),
        (None, Some(s)) => (s, "window_floor"),
        (None, None) => (slope, "page_end"),
    };
    summary["slope_kb_per_page"] = json!(round2(headline / 1024.0));
    summary["slope_method"] = json!(method);
    summary["window_floor_slope_kb_per_page"] = kb_per_page(floors.window_slope);
    // Both readings, whatever the run: window floors against page counts over the first pass (growth
    // within a pass), and the same pages a pass later (null until the queue has come round).
    summary["first_pass_window_floor_slope_kb_per_page"] = kb_per_page(fit_slope(&fx, &fy));
    summary["same_pages_next_pass_slope_kb_per_page"] = kb_per_page(matched_slope(&floors.matched));
    summary["queue_pages"] = json!(queue_len);
    summary["matched_windows"] = floors.matched_json();
    // The arena's reserve is memory the process holds: its growth is growth, free or not.
    let reserve = window_minima(&during_run_per_page(&run.arena_per_page), warmup, window);
    let (rx, ry): (Vec<f64>, Vec<f64>) = reserve.into_iter().unzip();
    summary["arena_reserve_slope_kb_per_page"] = kb_per_page(fit_slope(&rx, &ry));
    // The same without the page images in flight: whole 6 MB mappings that come and go with the pipeline's
    // queues, so one image more or less at a window's lowest moment moves its floor by as much.
    summary["without_pages_in_flight"] = json!({
        "slope_kb_per_page": kb_per_page(matched_slope(&retained.matched).or(retained.window_slope)),
        "window_floor_slope_kb_per_page": kb_per_page(retained.window_slope),
        "floor_mb": retained.floor_mb(),
        "matched_windows": retained.matched_json(),
    });
    summary["floor_window_pages"] = json!(args.floor_window);
    summary["floor_windows"] = json!(floors.ys.len());
    summary["floor_first_mb"] = json!(floors.ys.first().map(|v| round2(v / MB)));
    summary["floor_last_mb"] = json!(floors.ys.last().map(|v| round2(v / MB)));
    // One value per window: a step (the arena growing for a larger page) reads differently from a ramp.
    summary["floor_mb"] = floors.floor_mb();
    summary["page_end_slope_kb_per_page"] = json!(round2(slope / 1024.0));
    // Peak RSS so far once N pages are done: the first pages against the first 1,500, in one run.
    let peaks: serde_json::Map<String, Value> = run.peaks_at.iter().map(|&(n, b)| (n.to_string(), json!(round2(b as f64 / MB)))).collect();
    summary["peak_rss_mb_after_pages"] = Value::Object(peaks);
    print(&summary, json_summary);
    Ok(if run.leak_warnings.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// One series of per-page floors, read both ways: windows fitted against page counts, and each window of
/// document pages against itself a pass later.
struct FloorFit {
    /// The floor of each window after warm-up.
    ys: Vec<f64>,
    window_slope: Option<f64>,
    matched: Vec<MatchedWindow>,
    /// The document page (0-based) that `positions` count from.
    first_page: usize,
}

impl FloorFit {
    fn of(floors: &[u64], positions: &[usize], pages: usize, first_page: usize, warmup: usize, window: usize) -> Self {
        let floors = during_run(floors);
        let (xs, ys): (Vec<f64>, Vec<f64>) = window_minima(floors, warmup, window).into_iter().unzip();
        let matched = matched_windows(floors, positions, pages, warmup, window);
        FloorFit { window_slope: fit_slope(&xs, &ys), ys, matched, first_page }
    }

    fn floor_mb(&self) -> Value {
        json!(self.ys.iter().map(|v| round2(v / MB)).collect::<Vec<_>>())
    }

    fn matched_json(&self) -> Value {
        json!(self
            .matched
            .iter()
            .map(|m| json!({
                "first_page": self.first_page + m.first_page + 1,
                "pages_between": round2(m.pages_between),
                "floor_before_mb": round2(m.floor_before / MB),
                "floor_after_mb": round2(m.floor_after / MB),
                "slope_kb_per_page": round2(m.slope() / 1024.0),
            }))
            .collect::<Vec<_>>())
    }
}

fn kb_per_page(slope: Option<f64>) -> Value {
    json!(slope.map(|s| round2(s / 1024.0)))
}

/// Per-page readings (`values[i]` after `i + 1` pages) laid out as floors are (`floors[p]` at `p` pages
/// done), so that [`window_minima`] reads both the same way.
fn during_run_per_page(values: &[u64]) -> Vec<u64> {
    std::iter::once(u64::MAX).chain(values.iter().copied()).collect()
}

/// The floors while pages were still to come: the last count is the drained pipeline after the final page,
/// lower than any point of the run, and would tilt the slope down.
fn during_run(floors: &[u64]) -> &[u64] {
    &floors[..floors.len().saturating_sub(1)]
}

pub fn tune(args: &TuneArgs, json_summary: bool) -> Result<ExitCode> {
    let engine = args.pipeline.engine()?;
    let document = Arc::new(source::open_file(&args.pdf, &OpenOptions::default()).with_context(|| "cannot tune")?);
    let report = autotune(
        Arc::clone(&engine.hub),
        &engine.renderer,
        &document,
        &TuneOptions {
            sample_pages: args.sample,
            sizes: args.sizes.clone(),
            stages: engine.stages.clone(),
            dpi: args.pipeline.dpi,
            budget_bytes: args.pipeline.budget_mb.map(|m| m << 20),
        },
    )?;
    if json_summary {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        println!("{:<12} {:>6} {:>9} {:>12}", "stage", "batch", "pages/s", "peak RSS MB");
        for row in &report.rows {
            println!("{:<12} {:>6} {:>9.2} {:>12.1}", row.stage, row.batch_size, row.pages_per_s, row.peak_rss_mb);
        }
        for (stage, size) in &report.recommended {
            println!("recommended: {stage}={size}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
