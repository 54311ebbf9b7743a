//! `folio process`, `folio soak` and `folio tune`: documents through the background worker, the same one the
//! desktop app uses, with a summary of where the time and the memory went.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use folio_engine::control::autotune::{autotune, TuneOptions};
use folio_engine::models::{ArenaPolicy, ModelHub, Recogniser, SessionOptions};
use folio_engine::store::Store;
use folio_engine::worker::{JobId, JobSpec, RunTally, Worker, WorkerEvent, WorkerOptions};
use folio_engine::memory::{current_rss_bytes, heap_in_use_bytes, peak_rss_bytes, MemoryGauges, MemorySample};
use folio_engine::pipeline::{BatchSizes, PageResult, Stage};
use folio_engine::diagnostics::soak::{SoakQueue, SoakRecorder, SoakRecording, SoakReport};
use folio_engine::document::source::{self, OpenOptions};
use folio_engine::text::TextLayerMode;
use folio_engine::{RecyclePolicy, RenderOptions, Renderer};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{json, Value};


const MB: f64 = 1048576.0;

/// Options every pipeline command shares.
#[derive(clap::Args, Clone)]
pub struct PipelineArgs {
    /// Comma-separated stages: orientation, layout, ocr, table, embed.
    #[arg(long, default_value = "orientation,layout,ocr,table,embed")]
    stages: String,
    #[arg(long, default_value_t = 150.0)]
    dpi: f32,
    /// Where pages' text comes from: auto (a PDF's own text layer where it has a usable one, OCR where
    /// not, both on pages with images), text (never OCR), ocr (OCR every page), redo (ignore invisible
    /// OCR layers and OCR those pages again).
    #[arg(long, default_value = "auto", value_parser = parse_text_layer)]
    text_layer: TextLayerMode,
    /// The text recogniser OCR runs: v4 (PP-OCRv4, the reference's) or v5 (PP-OCRv5).
    #[arg(long = "rec-model", default_value = Recogniser::default().name(), value_parser = Recogniser::parse)]
    rec_model: Recogniser,
    /// Batch size of one stage, e.g. `--batch-size ocr=8` (repeatable).
    #[arg(long = "batch-size", value_parser = Stage::parse_batch_size)]
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
    /// Open a PDF longer than this as windows of this many pages (0: always whole).
    #[arg(long, default_value_t = RecyclePolicy::default().window_pages)]
    window_pages: u32,
    /// Let models run at the same time on different stage threads (more working memory at once).
    #[arg(long)]
    concurrent_models: bool,
    /// Bound the memory the inference arena keeps free between inferences, in MB (0: give it all back before
    /// every inference). Without it, the free part and the next inference's working memory stay under the
    /// ceiling `--arena-beside-largest` sets (`ArenaPolicy`).
    #[arg(long)]
    arena_free_mb: Option<u64>,
    /// The arena's ceiling: how far its free part and the next inference's working memory together may pass
    /// the largest inference's working memory, as a fraction of it (`ArenaPolicy::free_beside_largest`).
    #[arg(long, default_value_t = ArenaPolicy::default().free_beside_largest)]
    arena_beside_largest: f64,
    /// Keep the arena's free regions from one page to the next (by default they go back once per page).
    #[arg(long)]
    keep_arena_between_pages: bool,
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
    /// Also write one JSON line per page here (the results are kept in the store either way).
    #[arg(long)]
    out: Option<PathBuf>,
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
    /// Read no settled floors (by default the pipeline drains once per floor window for one).
    #[arg(long)]
    no_settle: bool,
    /// Load each model when a page first needs it, as jobs do, instead of before the first page.
    #[arg(long)]
    lazy_models: bool,
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

fn parse_text_layer(name: &str) -> std::result::Result<TextLayerMode, String> {
    TextLayerMode::parse(name).ok_or_else(|| format!("'{name}' is not a text-layer mode: auto, text, ocr or redo"))
}

pub struct Engine {
    text_layer: TextLayerMode,
    recogniser: Recogniser,
    gauges: Arc<MemoryGauges>,
    hub: Arc<ModelHub>,
    renderer: Arc<Renderer>,
    stages: Vec<Stage>,
    batch: BatchSizes,
    queue_pages: usize,
    budget_mb: Option<u64>,
}

impl PipelineArgs {
    pub fn engine(&self) -> Result<Engine> {
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
                arena_policy: ArenaPolicy {
                    free_beside_largest: self.arena_beside_largest,
                    shrink_between_pages: !self.keep_arena_between_pages,
                    ..ArenaPolicy::default()
                },
                ..SessionOptions::default()
            }, Arc::clone(&gauges)));
        hub.set_arena_free_limit(self.arena_free_mb.map(|mb| mb << 20));
        let renderer = Arc::new(Renderer::start(
            RenderOptions::default(),
            RecyclePolicy { window_pages: self.window_pages, ..RecyclePolicy::default() },
            Arc::clone(&gauges),
        ));
        Ok(Engine { text_layer: self.text_layer, recogniser: self.rec_model, gauges, hub, renderer, stages, batch, queue_pages: self.queue_pages as usize, budget_mb: self.budget_mb })
    }
}

impl Engine {
    /// Loads every model the stages use.
    fn preload(&self) -> Result<Vec<&'static str>> {
        Ok(self.hub.load_all(self.stages.iter().flat_map(|s| s.models(self.recogniser)).copied())?)
    }

    /// The worker without a budget: `run_jobs` sets it once it listens, so its first actions are reported.
    fn worker(&self) -> Worker {
        Worker::start(
            Arc::clone(&self.hub),
            Arc::clone(&self.renderer),
            Arc::clone(&self.gauges),
            WorkerOptions { pipeline_batch: self.batch, channel_capacity: self.queue_pages, ..WorkerOptions::default() },
        )
    }
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// Outcome of running jobs to the end with a progress bar.
pub struct Run {
    /// The jobs that ran.
    pub jobs: Vec<JobId>,
    pub tally: RunTally,
    seconds: f64,
    recording: SoakRecording,
}

pub struct RunOptions {
    pub total: u64,
    pub budget_mb: Option<u64>,
    pub quiet: bool,
    pub queue_offsets: HashMap<String, isize>,
    /// Pages between settled floors (0: none).
    pub settle_every: usize,
}

/// The longest a soak waits for the pipeline to drain before reading a settled floor.
const SETTLE_TIMEOUT: Duration = Duration::from_secs(120);

/// Queues jobs on a worker that is already listening; returns their ids.
pub type Queue<'a> = Box<dyn FnOnce(&Worker) -> Result<Vec<JobId>> + 'a>;

/// Where finished pages go besides the store: a JSON-lines file, or nowhere.
pub type Sink = Box<dyn FnMut(&PageResult) + Send>;

pub fn run_jobs(worker: &Worker, engine: &Engine, queue: Queue<'_>, options: RunOptions, mut sink: Sink) -> Result<Run> {
    let (gauges, renderer) = (&engine.gauges, &engine.renderer);
    let RunOptions { total, budget_mb, quiet, queue_offsets, settle_every } = options;
    let events = worker.subscribe();
    if let Some(mb) = budget_mb {
        worker.set_budget(Some(mb << 20));
    }
    let recorder = Arc::new(SoakRecorder::start(Arc::clone(gauges), queue_offsets, settle_every));
    let record = Arc::clone(&recorder);
    worker.set_sink(Box::new(move |_, page| {
        sink(page);
        record.page_done(page);
    }));
    let progress = if quiet { ProgressBar::hidden() } else { ProgressBar::new(total) };
    progress.set_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} pages  {per_sec}  eta {eta}  {msg}").unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let started = Instant::now();
    let jobs = queue(worker)?;
    let mut tally = RunTally::new(jobs.len());
    let mut reported = 0u64;
    while tally.running() {
        let Ok(event) = events.recv() else { break };
        tally.observe(&event);
        match &event {
            WorkerEvent::JobProgress(p) => {
                let done = tally.pages_so_far(p);
                progress.set_position(done);
                if done < total && recorder.settle_due(done as usize) {
                    let since = Instant::now();
                    worker.while_drained(p.job, SETTLE_TIMEOUT, || recorder.read_settled(since, done as usize, || renderer.close_documents()));
                }
                let rates: Vec<String> = p.stage_rates.iter().map(|(s, r)| format!("{s} {r:.1}/s")).collect();
                progress.set_message(format!("RSS {:.0} MB  {}", current_rss_bytes() as f64 / MB, rates.join("  ")));
                // Without a progress bar (JSON on stdout), long runs still say how far they are on stderr,
                // with the C heap in use and the arena's reserve beside RSS (their difference is fragmentation).
                if quiet && done >= reported + 100 {
                    reported = done / 100 * 100;
                    let arena = folio_engine::native::shared_arena_stats().map_or(0, |a| a.reserved_bytes);
                    let (rss, heap) = (current_rss_bytes() as f64 / MB, heap_in_use_bytes() as f64 / MB);
                    eprintln!("folio: {done}/{total} pages, RSS {rss:.0} MB, C heap in use {heap:.0} MB, arena reserved {:.0} MB", arena as f64 / MB);
                }
            }
            WorkerEvent::JobEnded { reason: Some(reason), .. } => progress.suspend(|| eprintln!("folio: job failed: {reason}")),
            WorkerEvent::PageFailed { doc, page, error, .. } => progress.suspend(|| eprintln!("folio: {doc} page {page}: {error}")),
            WorkerEvent::Budget(action) => progress.suspend(|| eprintln!("folio: budget: {}", serde_json::to_string(action).unwrap_or_default())),
            WorkerEvent::BatchSizeChanged { stage, size, reason } => progress.suspend(|| eprintln!("folio: {stage} batch size {size} ({reason})")),
            WorkerEvent::LeakWarning(w) => progress.suspend(|| eprintln!("folio: leak warning: {}", serde_json::to_string(w).unwrap_or_default())),
            _ => {}
        }
    }
    let mut run = Run { jobs, tally, seconds: 0.0, recording: SoakRecording::default() };
    progress.finish_and_clear();
    run.seconds = started.elapsed().as_secs_f64();
    run.recording = recorder.finish();
    Ok(run)
}

/// A sink writing one JSON line per page to `path`, with the handle to flush it at the end.
fn jsonl(path: Option<&PathBuf>) -> Result<(Option<Arc<Mutex<BufWriter<File>>>>, Sink)> {
    let Some(path) = path else { return Ok((None, Box::new(|_| {}))) };
    let out = Arc::new(Mutex::new(BufWriter::new(File::create(path).with_context(|| format!("creating {}", path.display()))?)));
    let writer = Arc::clone(&out);
    Ok((Some(out), Box::new(move |page| {
        let mut out = writer.lock().unwrap();
        let _ = serde_json::to_writer(&mut *out, page);
        let _ = out.write_all(b"\n");
    })))
}

/// Runs what `queue` queues on a worker that keeps its results in `store`, then prints the summary with
/// the jobs' ids: `folio process`, `resume` and `retry`.
pub fn run_on_store(engine: &Engine, store: Arc<Store>, queue: Queue<'_>, out: Option<&PathBuf>, total: u64, errors: &[String], json_summary: bool) -> Result<ExitCode> {
    let worker = engine.worker();
    worker.attach_store(Arc::clone(&store));
    let (file, sink) = jsonl(out)?;
    let options = RunOptions { total, budget_mb: engine.budget_mb, quiet: json_summary, queue_offsets: Default::default(), settle_every: 0 };
    let run = run_jobs(&worker, engine, queue, options, sink)?;
    if let Some(file) = file {
        file.lock().unwrap().flush()?;
    }
    let mut summary = summary(engine, &run, &worker, errors, engine.budget_mb);
    summary["jobs"] = json!(run.jobs);
    summary["db"] = json!(store.path());
    print(&summary, json_summary);
    Ok(if errors.is_empty() && run.tally.failed == 0 && run.tally.job_failures.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// `folio process`: one job over every document that opened, kept in the store.
pub fn process(args: &ProcessArgs, store: Arc<Store>, json_summary: bool) -> Result<ExitCode> {
    let engine = args.pipeline.engine()?;
    let (documents, errors) = folio_engine::document::open_with_pages(&args.paths, &args.pages);
    for e in &errors {
        eprintln!("folio: {e}");
    }
    let total = documents.iter().map(|(_, r)| r.len() as u64).sum();
    // `--pages` is one range for every document (those it does not fit are left out above).
    let range = documents.first().map(|(_, r)| r.clone()).filter(|_| !args.pages.trim().eq_ignore_ascii_case("all"));
    let mut spec = JobSpec::new(documents.iter().map(|(d, _)| Arc::clone(d)).collect(), range, engine.stages.clone(), args.pipeline.dpi);
    spec.text_layer = engine.text_layer;
    spec.recogniser = engine.recogniser;
    let queue: Queue<'_> = Box::new(move |worker| {
        if spec.documents.is_empty() {
            return Ok(Vec::new());
        }
        let job = worker.submit(spec)?;
        eprintln!("folio: job {job}");
        Ok(vec![job])
    });
    run_on_store(&engine, store, queue, args.out.as_ref(), total, &errors, json_summary)
}

fn summary(engine: &Engine, run: &Run, worker: &Worker, errors: &[String], budget_mb: Option<u64>) -> Value {
    let ort_share = (engine.hub.ort_time().as_secs_f64() / run.seconds.max(1e-9)).min(1.0);
    let batch = worker.batch_sizes();
    let stages: serde_json::Map<String, Value> = engine
        .stages
        .iter()
        .map(|s| {
            let rate = run.tally.stage_rates.iter().find(|(n, _)| n == s.name()).map(|(_, r)| *r);
            let ms = rate.map(|r| round2(1000.0 / r.max(1e-9)));
            (s.name().to_string(), json!({ "batch_size": batch.of(*s), "ms_per_page": ms }))
        })
        .collect();
    json!({
        "pages": run.tally.pages - run.tally.failed.min(run.tally.pages),
        "failed_pages": run.tally.failed,
        "failed_jobs": run.tally.job_failures,
        "errors": errors,
        "seconds": round2(run.seconds),
        "pages_per_min": round2(run.tally.pages as f64 / run.seconds.max(1e-9) * 60.0),
        "peak_rss_mb": round2(peak_rss_bytes() as f64 / MB),
        "ort_share": round2(ort_share),
        "stages": stages,
        "routes": run.tally.routes(),
        "models": engine.hub.load_report(),
        "budget_mb": budget_mb,
        "budget_actions": run.tally.budget_actions,
        "leak_warnings": run.tally.leak_warnings,
        "attribution": MemorySample::now(&engine.gauges).attribution().in_mb(),
        "other_share_avg": run.recording.other_share_avg(),
        "other_share_max": run.recording.other_share_max(),
        "arena": engine.hub.arena_report(),
    })
}

fn print(summary: &Value, json: bool) {
    println!("{}", if json { summary.to_string() } else { serde_json::to_string_pretty(summary).unwrap_or_default() });
}

pub fn soak(args: &SoakArgs, json_summary: bool) -> Result<ExitCode> {
    let engine = args.pipeline.engine()?;
    let queue = SoakQueue::open(&args.paths, &args.range).map_err(|e| anyhow::anyhow!("cannot soak: {e}"))?;
    let worker = engine.worker();
    let (out, sink) = jsonl(args.out.as_ref())?;
    let mut spec = JobSpec::new(queue.documents, Some(queue.range), engine.stages.clone(), args.pipeline.dpi);
    spec.repeat_to_pages = Some(args.pages);
    spec.text_layer = engine.text_layer;
    spec.recogniser = engine.recogniser;
    // Loaded before the first page, a model first needed late (a table after 129 pages) is not read as
    // growth, and the peak after warm-up includes every model the stages use.
    let preloaded = if args.lazy_models { Vec::new() } else { engine.preload()? };
    let settle_every = if args.no_settle { 0 } else { args.floor_window as usize };
    let options = RunOptions { total: args.pages as u64, budget_mb: args.pipeline.budget_mb, quiet: json_summary, queue_offsets: queue.offsets, settle_every };
    let run = run_jobs(&worker, &engine, Box::new(move |w| Ok(vec![w.submit(spec)?])), options, sink)?;
    if let Some(out) = out {
        out.lock().unwrap().flush()?;
    }
    let report = SoakReport::of(&run.recording, queue.pages, queue.first_page, args.warmup, args.floor_window as usize);
    let mut summary = summary(&engine, &run, &worker, &[], args.pipeline.budget_mb);
    // The pace outside the drains: the pages finished while draining, and the time, left out.
    let running = (run.seconds - report.settle_seconds).max(1e-9);
    let pages = run.tally.pages.saturating_sub(report.settle_pages as u64);
    summary["pages_per_min_between_settles"] = json!(round2(pages as f64 / running * 60.0));
    summary["models_preloaded"] = json!(preloaded);
    if let (Value::Object(summary), Value::Object(report)) = (&mut summary, serde_json::to_value(&report)?) {
        summary.extend(report);
    }
    print(&summary, json_summary);
    Ok(if run.tally.leak_warnings.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) })
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
