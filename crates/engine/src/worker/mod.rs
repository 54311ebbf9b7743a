//! The background worker: a queue of jobs (documents × stages), each streamed through the stages on its own
//! threads joined by bounded channels — render → orientation + layout → OCR → tables, reading order and
//! embeddings → sink — so rendering page n+1 overlaps inference on page n and nothing grows with document
//! length. Jobs can be paused, resumed and cancelled (finished pages stay written); batch sizes change at
//! the next batch; a memory budget is enforced by the [`BudgetController`]; the [`LeakSentinel`] watches.

use std::collections::{HashMap, VecDeque};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::control::budget::{BudgetAction, BudgetController, BudgetOptions, BudgetState, BUDGET_DETECTION_MAX_SIDE};
use crate::models::{HubEvent, ModelHub, ModelId, Recogniser};
use crate::library::Library;
use crate::memory::{current_rss_bytes, recv_idle, InFlight, MemoryGauges};
use crate::pipeline::{self, lock, BatchSizes, PageResult, PageWork, Pipeline, PipelineOptions, Stage};
use crate::render::{RenderSize, Renderer, TextLayerRead};
use crate::text::{RouteCounts, TextLayerMode};
use crate::diagnostics::sentinel::{LeakSentinel, LeakWarning, SentinelOptions};
use crate::document::source::Document;
use crate::store::Store;

pub mod resume;

pub type JobId = u64;

/// What to process.
#[derive(Debug, Clone)]
pub struct JobSpec {
    pub documents: Vec<Arc<Document>>,
    /// 0-based page range per document (all pages when `None`).
    pub pages: Option<std::ops::Range<usize>>,
    pub stages: Vec<Stage>,
    pub dpi: f32,
    /// Process this many pages in total, going round the documents again if they are shorter (soak runs).
    pub repeat_to_pages: Option<usize>,
    /// Exactly these pages (document index, 0-based page), in order, instead of `pages`: what a resumed or
    /// retried job still has to do.
    pub only: Option<Vec<(usize, usize)>>,
    /// Where pages' text comes from: their text layer, OCR, or both (`--text-layer`).
    pub text_layer: TextLayerMode,
    /// The text recogniser OCR runs (`--rec-model`).
    pub recogniser: Recogniser,
}

impl JobSpec {
    /// Pages of `documents` (all of them, or `pages` of each).
    pub fn new(documents: Vec<Arc<Document>>, pages: Option<std::ops::Range<usize>>, stages: Vec<Stage>, dpi: f32) -> Self {
        JobSpec { documents, pages, stages, dpi, repeat_to_pages: None, only: None, text_layer: TextLayerMode::Auto, recogniser: Recogniser::default() }
    }

    /// The pages the job goes through, as (document index, 0-based page), in order.
    pub fn plan(&self) -> Vec<(usize, usize)> {
        if let Some(only) = &self.only {
            return only.iter().copied().filter(|&(d, p)| d < self.documents.len() && p < self.documents[d].page_count()).collect();
        }
        let mut plan = Vec::new();
        for (d, document) in self.documents.iter().enumerate() {
            let range = self.pages.clone().unwrap_or(0..document.page_count());
            let range = range.start.min(document.page_count())..range.end.min(document.page_count());
            plan.extend(range.map(|p| (d, p)));
        }
        plan
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    Queued,
    Running,
    Paused,
    Cancelled,
    Finished,
    /// The job could not go on (its reason is in [`WorkerEvent::JobEnded`]); finished pages stay delivered.
    Failed,
}

impl JobState {
    /// The state's name, as events and the store spell it.
    pub fn name(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Paused => "paused",
            JobState::Cancelled => "cancelled",
            JobState::Finished => "finished",
            JobState::Failed => "failed",
        }
    }
}

/// A job's progress, sent after every page.
#[derive(Debug, Clone, Serialize)]
pub struct JobProgress {
    pub job: JobId,
    pub state: JobState,
    pub pages_done: u64,
    pub pages_total: u64,
    pub pages_failed: u64,
    pub pages_per_s: f64,
    pub eta_s: Option<f64>,
    /// Pages per second each stage manages on its own.
    pub stage_rates: Vec<(String, f64)>,
    /// Pages so far per route (where their text came from).
    pub routes: RouteCounts,
}

/// Everything the memory panel's timeline marks, and everything a job reports.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum WorkerEvent {
    JobQueued { job: JobId, pages: u64 },
    JobStarted { job: JobId },
    JobProgress(JobProgress),
    /// `pages_done` counts every page that went through, `pages_failed` those of them that failed;
    /// `reason` says why a job ended `failed`.
    JobEnded { job: JobId, state: JobState, pages_done: u64, pages_failed: u64, reason: Option<String> },
    /// A page that could not be rendered or on which a stage failed: `error` names each failure. The page
    /// is still delivered, with each stage's outcome.
    PageFailed { job: JobId, doc: String, page: usize, error: String },
    BatchSizeChanged { stage: String, size: usize, reason: String },
    ModelLoaded { model: ModelId, bytes: u64, ms: f64 },
    ModelUnloaded { model: ModelId, bytes: u64, reason: String },
    Budget(BudgetAction),
    LeakWarning(LeakWarning),
}

/// What a run of jobs came to, counted from the worker's events (what `folio process` and `soak` report).
#[derive(Debug, Default, Clone)]
pub struct RunTally {
    jobs_left: usize,
    /// Pages of the jobs that have ended.
    ended_pages: u64,
    /// Pages that went through, failed ones included.
    pub pages: u64,
    pub failed: u64,
    pub cancelled: bool,
    /// Why jobs ended `failed`, one line each.
    pub job_failures: Vec<String>,
    pub budget_actions: Vec<BudgetAction>,
    pub leak_warnings: Vec<LeakWarning>,
    /// Pages per second of each stage on its own, from the last progress event.
    pub stage_rates: Vec<(String, f64)>,
    /// Pages per route, per job, from each job's last progress event.
    job_routes: HashMap<JobId, RouteCounts>,
}

impl RunTally {
    /// Pages per route over every job so far.
    pub fn routes(&self) -> RouteCounts {
        let mut all = RouteCounts::default();
        for counts in self.job_routes.values() {
            all.add(counts);
        }
        all
    }

    /// A tally waiting for `jobs` jobs to end.
    pub fn new(jobs: usize) -> Self {
        RunTally { jobs_left: jobs, ..RunTally::default() }
    }

    pub fn observe(&mut self, event: &WorkerEvent) {
        match event {
            WorkerEvent::JobProgress(p) => {
                self.stage_rates = p.stage_rates.clone();
                self.job_routes.insert(p.job, p.routes);
            }
            WorkerEvent::JobEnded { state, pages_done, reason, .. } => {
                self.ended_pages += pages_done;
                self.pages += pages_done;
                self.cancelled |= *state == JobState::Cancelled;
                self.job_failures.extend(reason.clone());
                self.jobs_left = self.jobs_left.saturating_sub(1);
            }
            WorkerEvent::PageFailed { .. } => self.failed += 1,
            WorkerEvent::Budget(action) => self.budget_actions.push(action.clone()),
            WorkerEvent::LeakWarning(w) => self.leak_warnings.push(w.clone()),
            _ => {}
        }
    }

    /// True while a job is still to end.
    pub fn running(&self) -> bool {
        self.jobs_left > 0
    }

    /// Pages through over every job, with the running one at `progress`.
    pub fn pages_so_far(&self, progress: &JobProgress) -> u64 {
        self.ended_pages + progress.pages_done
    }
}

/// Where finished pages go, failed ones included. Called on the sink thread, in page order.
pub type PageSink = Box<dyn FnMut(JobId, &PageResult) + Send>;

/// An extra stage run on every page after the pipeline's own (plug-ins, diagnostics). It returns how much
/// work it did for the page, which the leak sentinel correlates with memory growth, or an error that
/// fails the page; a panic fails the page too.
pub type PageHook = Box<dyn FnMut(&mut PageResult) -> Result<f64, String> + Send>;

#[derive(Debug, Clone, Copy)]
pub struct WorkerOptions {
    pub pipeline_batch: BatchSizes,
    /// Pages waiting between two stages; what bounds memory in flight.
    pub channel_capacity: usize,
    pub budget_bytes: Option<u64>,
    pub sentinel: SentinelOptions,
    /// How often the budget controller looks at RSS.
    pub control_period: Duration,
}

impl Default for WorkerOptions {
    fn default() -> Self {
        WorkerOptions {
            pipeline_batch: BatchSizes::default(),
            channel_capacity: 1,
            budget_bytes: None,
            sentinel: SentinelOptions::default(),
            control_period: Duration::from_millis(250),
        }
    }
}

struct Control {
    paused: AtomicBool,
    cancelled: AtomicBool,
    intake_paused_by_budget: AtomicBool,
    /// Intake held while the pipeline drains for a measurement ([`Worker::while_drained`]).
    held: AtomicBool,
    /// Whether intake is waiting for a pause to end (and so takes no page).
    intake_waiting: AtomicBool,
    /// Pages taken by intake and not yet through the finishing stage.
    in_pipeline: AtomicUsize,
    wake: (Mutex<()>, Condvar),
}

impl Control {
    fn new() -> Self {
        Control {
            paused: AtomicBool::new(false),
            cancelled: AtomicBool::new(false),
            intake_paused_by_budget: AtomicBool::new(false),
            held: AtomicBool::new(false),
            intake_waiting: AtomicBool::new(false),
            in_pipeline: AtomicUsize::new(0),
            wake: (Mutex::new(()), Condvar::new()),
        }
    }

    fn intake_open(&self) -> bool {
        !self.paused.load(Ordering::Relaxed) && !self.intake_paused_by_budget.load(Ordering::Relaxed) && !self.held.load(Ordering::Relaxed)
    }

    /// Blocks intake while the job is paused (by the user, the budget or a measurement); false once
    /// cancelled. A page it lets through counts as in the pipeline from here.
    fn wait_for_intake(&self) -> bool {
        let (lock, cv) = &self.wake;
        let mut guard = lock.lock().unwrap();
        loop {
            if self.cancelled.load(Ordering::Relaxed) {
                self.intake_waiting.store(false, Ordering::SeqCst);
                return false;
            }
            if self.intake_open() {
                self.in_pipeline.fetch_add(1, Ordering::SeqCst);
                self.intake_waiting.store(false, Ordering::SeqCst);
                return true;
            }
            self.intake_waiting.store(true, Ordering::SeqCst);
            guard = cv.wait_timeout(guard, Duration::from_millis(100)).unwrap().0;
        }
    }

    fn notify(&self) {
        self.wake.1.notify_all();
    }
}

struct Shared {
    hub: Arc<ModelHub>,
    renderer: Arc<Renderer>,
    gauges: Arc<MemoryGauges>,
    batch: Mutex<BatchSizes>,
    chosen_batch: Mutex<BatchSizes>,
    budget: Mutex<BudgetController>,
    listeners: Mutex<Vec<Sender<WorkerEvent>>>,
    queue: Mutex<VecDeque<(JobId, JobSpec)>>,
    queue_cv: Condvar,
    current: Mutex<Option<(JobId, Arc<Control>)>>,
    current_stages: Mutex<Vec<Stage>>,
    current_recogniser: Mutex<Recogniser>,
    /// Pages the user asked to see analysed now: the running job's intake takes them before its own next page.
    priority: Mutex<VecDeque<(Arc<Document>, usize)>>,
    next_id: AtomicU64,
    shutdown: AtomicBool,
    sink: Mutex<Option<PageSink>>,
    /// The library whose page cache the budget evicts (the app's; the command line has none).
    library: Mutex<Option<Arc<Library>>>,
    hook: Mutex<Option<(String, PageHook)>>,
    /// Where jobs and finished pages are kept, when the worker has a store.
    store: Mutex<Option<Arc<Store>>>,
    options: WorkerOptions,
    leak_warnings: Mutex<Vec<LeakWarning>>,
    /// The arena's free-memory bound from before a budget was set, restored when it is cleared.
    arena_limit_before_budget: Mutex<Option<Option<u64>>>,
    /// The longest side text detection sees, set by the budget (0: full size).
    detection_max_side: AtomicU32,
    /// When a page last went through detection at that limit.
    last_limited_detection: Mutex<Option<Instant>>,
}

impl Shared {
    fn emit(&self, event: WorkerEvent) {
        self.listeners.lock().unwrap().retain(|tx| tx.send(event.clone()).is_ok());
    }
}

/// The process's background worker. Jobs run one at a time, in the order queued.
pub struct Worker {
    shared: Arc<Shared>,
    threads: Vec<JoinHandle<()>>,
}

impl Worker {
    pub fn start(hub: Arc<ModelHub>, renderer: Arc<Renderer>, gauges: Arc<MemoryGauges>, options: WorkerOptions) -> Self {
        let shared = Arc::new(Shared {
            budget: Mutex::new(BudgetController::new(options.budget_bytes, BudgetOptions::default())),
            batch: Mutex::new(options.pipeline_batch),
            chosen_batch: Mutex::new(options.pipeline_batch),
            hub,
            renderer,
            gauges,
            listeners: Mutex::new(Vec::new()),
            queue: Mutex::new(VecDeque::new()),
            queue_cv: Condvar::new(),
            current: Mutex::new(None),
            current_stages: Mutex::new(Vec::new()),
            current_recogniser: Mutex::new(Recogniser::default()),
            priority: Mutex::new(VecDeque::new()),
            next_id: AtomicU64::new(1),
            shutdown: AtomicBool::new(false),
            sink: Mutex::new(None),
            library: Mutex::new(None),
            hook: Mutex::new(None),
            store: Mutex::new(None),
            options,
            leak_warnings: Mutex::new(Vec::new()),
            arena_limit_before_budget: Mutex::new(None),
            detection_max_side: AtomicU32::new(0),
            last_limited_detection: Mutex::new(None),
        });
        if shared.options.budget_bytes.is_some() {
            apply_allocation_mode(&shared, shared.options.budget_bytes);
        }
        let hub_events = shared.hub.subscribe();
        let forward = Arc::clone(&shared);
        let forwarder = std::thread::Builder::new()
            .name("folio-hub-events".into())
            .spawn(move || {
                while !forward.shutdown.load(Ordering::Relaxed) {
                    if let Ok(event) = hub_events.recv_timeout(Duration::from_millis(200)) {
                        forward.emit(match event {
                            HubEvent::Loaded { model, bytes, ms } => WorkerEvent::ModelLoaded { model, bytes, ms },
                            HubEvent::Unloaded { model, bytes, reason } => WorkerEvent::ModelUnloaded { model, bytes, reason },
                        });
                    }
                }
            })
            .expect("spawn the hub event thread");
        let run = Arc::clone(&shared);
        let runner = std::thread::Builder::new().name("folio-jobs".into()).spawn(move || job_loop(run)).expect("spawn the job thread");
        let control = Arc::clone(&shared);
        let controller = std::thread::Builder::new()
            .name("folio-budget".into())
            .spawn(move || budget_loop(control))
            .expect("spawn the budget thread");
        Worker { shared, threads: vec![forwarder, runner, controller] }
    }

    /// Where finished pages are delivered (JSONL file, database, UI). Set before queuing jobs.
    pub fn set_sink(&self, sink: PageSink) {
        *self.shared.sink.lock().unwrap() = Some(sink);
    }

    /// Keeps jobs and every finished page in `store`, one transaction per page, before the sink sees it.
    /// Set before queuing jobs: job ids then come from the store.
    pub fn attach_store(&self, store: Arc<Store>) {
        *lock(&self.shared.store) = Some(store);
    }

    pub fn store(&self) -> Option<Arc<Store>> {
        lock(&self.shared.store).clone()
    }

    /// The library whose page cache the memory budget may evict: every budget action is carried out here.
    pub fn attach_library(&self, library: Arc<Library>) {
        *lock(&self.shared.library) = Some(library);
    }

    /// Adds a named extra stage run on every page of later jobs.
    pub fn set_hook(&self, name: &str, hook: PageHook) {
        *self.shared.hook.lock().unwrap() = Some((name.to_string(), hook));
    }

    pub fn subscribe(&self) -> Receiver<WorkerEvent> {
        let (tx, rx) = mpsc::channel();
        self.shared.listeners.lock().unwrap().push(tx);
        rx
    }

    /// Queues a job at the end of the queue (recorded in the store first, when there is one).
    pub fn submit(&self, spec: JobSpec) -> crate::Result<JobId> {
        let id = new_job(&self.shared, &spec)?;
        self.enqueue(id, spec, false);
        Ok(id)
    }

    /// Queues a job the store already holds under `id` (a resumed or retried one), marking it queued.
    pub fn submit_stored(&self, id: JobId, spec: JobSpec) -> crate::Result<JobId> {
        if let Some(store) = self.store() {
            store.set_job_state(id, "queued", None)?;
        }
        self.enqueue(id, spec, false);
        Ok(id)
    }

    fn enqueue(&self, id: JobId, spec: JobSpec, front: bool) {
        let pages = spec.repeat_to_pages.unwrap_or_else(|| spec.plan().len()) as u64;
        let mut queue = self.shared.queue.lock().unwrap();
        if front {
            queue.push_front((id, spec));
        } else {
            queue.push_back((id, spec));
        }
        drop(queue);
        self.shared.queue_cv.notify_all();
        self.shared.emit(WorkerEvent::JobQueued { job: id, pages });
    }

    /// The ids of the jobs waiting in the queue, in the order they will run.
    pub fn queued(&self) -> Vec<JobId> {
        self.shared.queue.lock().unwrap().iter().map(|(id, _)| *id).collect()
    }

    /// Moves a queued job one place sooner (`up`) or later, in the queue and in the store.
    pub fn move_queued(&self, job: JobId, up: bool) -> crate::Result<bool> {
        let mut queue = self.shared.queue.lock().unwrap();
        let Some(i) = queue.iter().position(|(id, _)| *id == job) else { return Ok(false) };
        let j = if up { i.checked_sub(1) } else { (i + 1 < queue.len()).then_some(i + 1) };
        let Some(j) = j else { return Ok(false) };
        if let Some(store) = self.store() {
            store.move_job(job, up)?;
        }
        queue.swap(i, j);
        Ok(true)
    }

    /// "Analyse this page now": the running job takes the page next (with its own stages); with no job
    /// running, a one-page job with every stage goes to the front of the queue. Returns the job that will do it.
    pub fn analyse_now(&self, document: Arc<Document>, page: usize) -> crate::Result<JobId> {
        if let Some((id, _)) = self.shared.current.lock().unwrap().as_ref() {
            self.shared.priority.lock().unwrap().push_back((document, page));
            return Ok(*id);
        }
        let spec = JobSpec::new(vec![document], Some(page..page + 1), Stage::ALL.to_vec(), 150.0);
        let id = new_job(&self.shared, &spec)?;
        self.enqueue(id, spec, true);
        Ok(id)
    }

    fn control(&self, job: JobId) -> Option<Arc<Control>> {
        self.shared.current.lock().unwrap().as_ref().filter(|(id, _)| *id == job).map(|(_, c)| Arc::clone(c))
    }

    pub fn pause(&self, job: JobId) -> bool {
        let paused = self.control(job).map(|c| c.paused.store(true, Ordering::Relaxed)).is_some();
        if paused {
            record_state(&self.shared, job, JobState::Paused, None);
        }
        paused
    }

    pub fn resume(&self, job: JobId) -> bool {
        let resumed = self.control(job).map(|c| {
            c.paused.store(false, Ordering::Relaxed);
            c.notify();
        }).is_some();
        if resumed {
            record_state(&self.shared, job, JobState::Running, None);
        }
        resumed
    }

    /// Stops a job (running or queued). Pages already finished stay delivered.
    pub fn cancel(&self, job: JobId) -> bool {
        let mut queue = self.shared.queue.lock().unwrap();
        if let Some(i) = queue.iter().position(|(id, _)| *id == job) {
            queue.remove(i);
            drop(queue);
            record_state(&self.shared, job, JobState::Cancelled, None);
            self.shared.emit(WorkerEvent::JobEnded { job, state: JobState::Cancelled, pages_done: 0, pages_failed: 0, reason: None });
            return true;
        }
        drop(queue);
        self.control(job).map(|c| {
            c.cancelled.store(true, Ordering::Relaxed);
            c.notify();
        }).is_some()
    }

    /// Takes effect at each stage's next batch.
    pub fn set_batch_size(&self, stage: Stage, size: usize) {
        self.shared.batch.lock().unwrap().set(stage, size);
        self.shared.chosen_batch.lock().unwrap().set(stage, size);
        self.shared.emit(WorkerEvent::BatchSizeChanged { stage: stage.name().into(), size: size.max(1), reason: "set by the user".into() });
    }

    pub fn batch_sizes(&self) -> BatchSizes {
        *self.shared.batch.lock().unwrap()
    }

    pub fn set_budget(&self, budget_bytes: Option<u64>) {
        self.shared.budget.lock().unwrap().set_budget(budget_bytes);
        apply_allocation_mode(&self.shared, budget_bytes);
        if budget_bytes.is_none() {
            for id in self.shared.hub.uncached() {
                self.shared.hub.set_uncached(id, false, "no budget");
            }
            if let Some((_, control)) = self.shared.current.lock().unwrap().as_ref() {
                control.intake_paused_by_budget.store(false, Ordering::Relaxed);
                control.notify();
            }
        }
    }

    pub fn budget_bytes(&self) -> Option<u64> {
        self.shared.budget.lock().unwrap().budget_bytes()
    }

    pub fn leak_warnings(&self) -> Vec<LeakWarning> {
        self.shared.leak_warnings.lock().unwrap().clone()
    }

    /// Runs `measure` with job `job`'s pipeline empty: intake holds its next page, the pages already taken
    /// go through to the end, then `measure` runs and intake goes on. `None` when the job is not running
    /// or did not drain within `timeout` (intake goes on either way). Pause and resume by the user are not
    /// touched, and the job's state does not change.
    pub fn while_drained<R>(&self, job: JobId, timeout: Duration, measure: impl FnOnce() -> R) -> Option<R> {
        let control = self.control(job)?;
        control.held.store(true, Ordering::SeqCst);
        let deadline = Instant::now() + timeout;
        let mut drained = false;
        while Instant::now() < deadline && !control.cancelled.load(Ordering::Relaxed) {
            if control.intake_waiting.load(Ordering::SeqCst) && control.in_pipeline.load(Ordering::SeqCst) == 0 {
                drained = true;
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let result = drained.then(measure);
        control.held.store(false, Ordering::SeqCst);
        control.notify();
        result
    }

    /// Blocks until the queue is empty and no job runs.
    pub fn wait_idle(&self) {
        loop {
            let idle = self.shared.queue.lock().unwrap().is_empty() && self.shared.current.lock().unwrap().is_none();
            if idle {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.shared.shutdown.store(true, Ordering::Relaxed);
        if let Some((_, control)) = self.shared.current.lock().unwrap().as_ref() {
            control.cancelled.store(true, Ordering::Relaxed);
            control.notify();
        }
        self.shared.queue_cv.notify_all();
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

/// A new job's id: from the store, which records the job as queued, or from the worker's own count.
fn new_job(shared: &Shared, spec: &JobSpec) -> crate::Result<JobId> {
    let Some(store) = lock(&shared.store).clone() else {
        return Ok(shared.next_id.fetch_add(1, Ordering::Relaxed));
    };
    let stored = resume::stored_spec(spec)?;
    for document in &spec.documents {
        store.register(document)?;
    }
    store.create_job(&stored, spec.repeat_to_pages.unwrap_or_else(|| spec.plan().len()) as u64)
}

/// Writes a job's state to the store, if there is one (a failure to is logged: the job itself goes on).
fn record_state(shared: &Shared, job: JobId, state: JobState, reason: Option<&str>) {
    if let Some(store) = lock(&shared.store).clone() {
        if let Err(error) = store.set_job_state(job, state.name(), reason) {
            tracing::error!(job, %error, "could not record the job's state");
        }
    }
}

fn job_loop(shared: Arc<Shared>) {
    loop {
        let next = {
            let mut queue = shared.queue.lock().unwrap();
            loop {
                if shared.shutdown.load(Ordering::Relaxed) {
                    return;
                }
                if let Some(job) = queue.pop_front() {
                    break job;
                }
                queue = shared.queue_cv.wait_timeout(queue, Duration::from_millis(200)).unwrap().0;
            }
        };
        let (id, spec) = next;
        let control = Arc::new(Control::new());
        *shared.current_stages.lock().unwrap() = spec.stages.clone();
        *shared.current_recogniser.lock().unwrap() = spec.recogniser;
        *shared.current.lock().unwrap() = Some((id, Arc::clone(&control)));
        record_state(&shared, id, JobState::Running, None);
        shared.emit(WorkerEvent::JobStarted { job: id });
        let end = run_job(&shared, id, &spec, &control);
        *lock(&shared.current) = None;
        // A job the process is leaving (the app closing) stays unfinished in the store, to be resumed.
        if !(shared.shutdown.load(Ordering::Relaxed) && end.state == JobState::Cancelled) {
            record_state(&shared, id, end.state, end.reason.as_deref());
        }
        shared.emit(WorkerEvent::JobEnded { job: id, state: end.state, pages_done: end.pages_done, pages_failed: end.pages_failed, reason: end.reason });
        // Pages asked for while the job was ending still get done, first.
        let leftover: Vec<_> = shared.priority.lock().unwrap().drain(..).collect();
        for (document, page) in leftover.into_iter().rev() {
            let spec = JobSpec::new(vec![document], Some(page..page + 1), Stage::ALL.to_vec(), 150.0);
            match new_job(&shared, &spec) {
                Ok(id) => {
                    shared.queue.lock().unwrap().push_front((id, spec));
                    shared.emit(WorkerEvent::JobQueued { job: id, pages: 1 });
                }
                Err(error) => tracing::error!(%error, "could not queue a page asked for while a job was ending"),
            }
        }
    }
}

/// Why a running job ends, when not because its pages are done.
#[derive(Default)]
struct Ending {
    /// The job cannot go on: a model or runtime cannot be loaded, or its results cannot be delivered.
    failure: Mutex<Option<String>>,
}

impl Ending {
    fn fail(&self, control: &Control, reason: String) {
        let mut failure = self.failure.lock().unwrap_or_else(|p| p.into_inner());
        if failure.is_none() {
            *failure = Some(reason);
        }
        control.cancelled.store(true, Ordering::Relaxed);
        control.notify();
    }

    fn reason(&self) -> Option<String> {
        self.failure.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// Counts a page out of the pipeline when dropped.
struct LeavesPipeline<'a>(&'a AtomicUsize);

impl Drop for LeavesPipeline<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// How a job ended.
struct JobEnd {
    state: JobState,
    pages_done: u64,
    pages_failed: u64,
    reason: Option<String>,
}

fn run_job(shared: &Arc<Shared>, id: JobId, spec: &JobSpec, control: &Arc<Control>) -> JobEnd {
    let plan = spec.plan();
    if plan.is_empty() {
        return JobEnd { state: JobState::Finished, pages_done: 0, pages_failed: 0, reason: None };
    }
    let total = spec.repeat_to_pages.unwrap_or(plan.len());
    let pipeline = Arc::new(Pipeline::new(
        Arc::clone(&shared.hub),
        PipelineOptions { stages: spec.stages.clone(), batch: *lock(&shared.batch), text_layer: spec.text_layer, recogniser: spec.recogniser, ..PipelineOptions::default() },
    ));
    let cap = shared.options.channel_capacity.max(1);
    let (to_vision, vision_in) = mpsc::sync_channel::<PageWork>(cap);
    let (to_ocr, ocr_in) = mpsc::sync_channel::<PageWork>(cap);
    let (to_finish, finish_in) = mpsc::sync_channel::<PageWork>(cap);
    let ending = Ending::default();

    let store = lock(&shared.store).clone();
    let (pipeline, plan, ending, store) = (&pipeline, &plan, &ending, &store);
    let (done, failed) = std::thread::scope(|scope| {
        // Intake: render pages one at a time, only as fast as the next stage takes them.
        let intake = scope.spawn(move || {
            // Text layers are read with the pages when the job wants text and may take it from them.
            let read_text = TextLayerRead::for_mode(spec.text_layer, spec.stages.contains(&Stage::Ocr));
            let mut i = 0;
            // Documents of "analyse this page now" requests recorded in the store, each once per job.
            let mut registered: Vec<String> = Vec::new();
            while i < total {
                if !control.wait_for_intake() {
                    break;
                }
                let priority = lock(&shared.priority).pop_front();
                let (document, p) = match &priority {
                    Some((document, page)) => (document, *page),
                    None => {
                        let (d, p) = plan[i % plan.len()];
                        i += 1;
                        (&spec.documents[d], p)
                    }
                };
                let doc = document.path.display().to_string();
                // The store knows a page by its document's content hash (read once per document).
                let identity = match &store {
                    Some(store) if priority.is_some() => document.content_hash().and_then(|hash| {
                        if !registered.contains(&hash) {
                            store.register(document)?;
                            registered.push(hash.clone());
                        }
                        Ok(hash)
                    }),
                    Some(_) => document.content_hash(),
                    None => Ok(String::new()),
                };
                let rendered = match &identity {
                    Ok(_) => {
                        let _rendering = shared.hub.work();
                        shared.renderer.render_with_text(document, p, RenderSize::Dpi(spec.dpi), read_text)
                    }
                    Err(e) => Err(crate::Error::Render { path: document.path.clone(), page: p + 1, detail: e.to_string() }),
                };
                let mut work = match rendered {
                    Ok(image) => {
                        let bytes = image.bytes() as u64;
                        let (image, layer) = image.split();
                        PageWork::new(doc, p + 1, spec.dpi, InFlight::new(image, bytes, &shared.gauges)).with_text_layer(layer)
                    }
                    Err(e) => PageWork::unrendered(doc, p + 1, spec.dpi, e.to_string()),
                };
                work.result.doc_hash = identity.unwrap_or_default();
                if to_vision.send(work).is_err() {
                    break;
                }
                // What this page left in the thread's cache of freed blocks goes back before the next.
                crate::native::release_thread_cache();
            }
            // Intake takes no more pages: for [`Worker::while_drained`] as good as waiting.
            control.intake_waiting.store(true, Ordering::SeqCst);
        });

        // Orientation and layout take pages in batches.
        let vision = scope.spawn(move || {
            let mut pending: Vec<PageWork> = Vec::new();
            while let Ok(first) = recv_idle(&vision_in) {
                let batch = lock(&shared.batch).pages_per_vision_batch();
                pending.push(first);
                while pending.len() < batch {
                    match vision_in.try_recv() {
                        Ok(w) => pending.push(w),
                        Err(_) => break,
                    }
                }
                pipeline.set_batch_sizes(*lock(&shared.batch));
                {
                    let _working = shared.hub.work();
                    pipeline.vision(&mut pending);
                }
                for work in pending.drain(..) {
                    if to_ocr.send(work).is_err() {
                        return;
                    }
                }
            }
        });

        let ocr = scope.spawn(move || {
            while let Ok(mut work) = recv_idle(&ocr_in) {
                if pipeline.runs(Stage::Ocr) {
                    let max_side = shared.detection_max_side.load(Ordering::Relaxed);
                    pipeline.set_detection_max_side((max_side > 0).then_some(max_side));
                    let _working = shared.hub.work();
                    pipeline.recognise(&mut work);
                    if max_side > 0 {
                        *lock(&shared.last_limited_detection) = Some(Instant::now());
                    }
                }
                if to_finish.send(work).is_err() {
                    break;
                }
            }
        });

        // Tables, reading order, embeddings, the job's extra stage, then the sink: the page's image is
        // dropped here at the latest.
        let finish = scope.spawn(move || {
            let mut names: Vec<String> = Stage::ALL.iter().map(|s| s.name().to_string()).collect();
            let mut hook = lock(&shared.hook).take();
            if let Some((name, _)) = hook.as_ref() {
                names.push(name.clone());
            }
            let mut sentinel = LeakSentinel::new(shared.options.sentinel, names);
            let (mut done, mut failed) = (0u64, 0u64);
            let mut routes = RouteCounts::default();
            let started = Instant::now();
            while let Ok(mut work) = recv_idle(&finish_in) {
                // The page leaves the pipeline when this iteration ends, however it ends.
                let _leaving = LeavesPipeline(&control.in_pipeline);
                let activity = {
                    let _working = shared.hub.work();
                    let extra = hook.as_mut().map(|(name, f)| (name.as_str(), &mut **f as pipeline::ExtraStage<'_>));
                    pipeline.finish(&mut work, extra)
                };
                if let Some(reason) = work.fatal() {
                    ending.fail(control, format!("the job cannot go on: {reason}"));
                }
                let result = work.result;
                shared.hub.page_done();
                // Kept before anyone hears of it: a page the store could not take ends the job (what was
                // committed before it stays), and is not counted as done.
                if let Some(store) = store.as_ref().filter(|_| !result.doc_hash.is_empty()) {
                    if let Err(error) = store.put_page(Some(id), &result) {
                        ending.fail(control, format!("page {} of {} could not be saved: {error}", result.page, result.doc));
                        continue;
                    }
                }
                if let Some(sink) = lock(&shared.sink).as_mut() {
                    if let Err(payload) = catch_unwind(AssertUnwindSafe(|| sink(id, &result))) {
                        ending.fail(control, format!("the results could not be delivered: {}", pipeline::panic_message(&payload)));
                    }
                }
                done += 1;
                if let Some(route) = result.route {
                    routes.count(route);
                }
                if result.failed() {
                    failed += 1;
                    shared.emit(WorkerEvent::PageFailed { job: id, doc: result.doc.clone(), page: result.page, error: result.failures().join("; ") });
                }
                drop(result);
                let rss_warning = sentinel.observe(current_rss_bytes(), &activity);
                let arena = crate::native::shared_arena_stats();
                let arena_warning = arena.and_then(|a| sentinel.observe_arena(a.reserved_bytes, a.peak_in_use_bytes));
                for warning in rss_warning.into_iter().chain(arena_warning) {
                    lock(&shared.leak_warnings).push(warning.clone());
                    shared.emit(WorkerEvent::LeakWarning(warning));
                }
                let elapsed = started.elapsed().as_secs_f64().max(1e-9);
                let rate = done as f64 / elapsed;
                let state = if control.paused.load(Ordering::Relaxed) { JobState::Paused } else { JobState::Running };
                shared.emit(WorkerEvent::JobProgress(JobProgress {
                    job: id,
                    state,
                    pages_done: done,
                    pages_total: total as u64,
                    pages_failed: failed,
                    pages_per_s: rate,
                    eta_s: (rate > 0.0).then(|| (total as u64).saturating_sub(done) as f64 / rate),
                    stage_rates: stage_rates(pipeline),
                    routes,
                }));
            }
            // The hook stays with the worker for later jobs.
            if let Some(hook) = hook {
                *lock(&shared.hook) = Some(hook);
            }
            (done, failed)
        });

        for (name, thread) in [("intake", intake), ("vision", vision), ("ocr", ocr)] {
            if thread.join().is_err() {
                ending.fail(control, format!("the {name} thread stopped unexpectedly"));
            }
        }
        finish.join().unwrap_or_else(|_| {
            ending.fail(control, "the finishing thread stopped unexpectedly".into());
            (0, 0)
        })
    });
    let reason = ending.reason();
    let state = if reason.is_some() {
        JobState::Failed
    } else if control.cancelled.load(Ordering::Relaxed) {
        JobState::Cancelled
    } else {
        JobState::Finished
    };
    JobEnd { state, pages_done: done, pages_failed: failed, reason }
}

/// Pages per second each stage manages on its own, over the pages it ran on; stages that have not run
/// on a page yet (tables on pages without tables) are left out.
fn stage_rates(pipeline: &Pipeline) -> Vec<(String, f64)> {
    pipeline
        .timings()
        .into_iter()
        .filter(|(_, t)| t.pages > 0 && t.total_ms > 0.0)
        .map(|(s, t)| (s.name().to_string(), t.pages as f64 * 1000.0 / t.total_ms))
        .collect()
}

/// How far back the budget controller looks for the peak RSS it relaxes on: longer than one page's cycle.
const RECENT_PEAK_WINDOW: Duration = Duration::from_secs(10);

/// Under a budget, a PDF is reopened once pdfium's caches for it pass this many MB.
const BUDGET_PDFIUM_MB: u64 = 8;

/// Under a budget the inference arena gives its free memory back at the end of every inference, so RSS
/// follows the work from the first page (slower: each inference faults its tensors in afresh), pdfium's
/// caches are held tighter, and text detection starts on a smaller page: the detector's working memory on
/// a full page (~300 MB at 150 dpi) is the largest single allocation, and it would come before the
/// controller can act. Without a budget, all three are as before.
fn apply_allocation_mode(shared: &Shared, budget_bytes: Option<u64>) {
    let mut before = shared.arena_limit_before_budget.lock().unwrap();
    let (arena, detection) = match budget_bytes {
        Some(b) if before.is_none() => {
            *before = Some(shared.hub.arena_free_limit());
            shared.hub.set_arena_free_limit(Some(0));
            shared.hub.request_arena_shrink();
            shared.renderer.set_tight_recycle_mb(Some(BUDGET_PDFIUM_MB));
            shared.detection_max_side.store(BUDGET_DETECTION_MAX_SIDE, Ordering::Relaxed);
            (
                BudgetAction::LeanArena { on: true, reason: format!("a {} MB budget is set: inference gives its memory back after every run", b >> 20) },
                BudgetAction::LimitDetection {
                    max_side: Some(BUDGET_DETECTION_MAX_SIDE),
                    reason: "a budget is set: text detection starts on a smaller page, full size again when the peaks leave room".into(),
                },
            )
        }
        None if before.is_some() => {
            shared.hub.set_arena_free_limit(before.take().flatten());
            shared.renderer.set_tight_recycle_mb(None);
            shared.detection_max_side.store(0, Ordering::Relaxed);
            (
                BudgetAction::LeanArena { on: false, reason: "no budget: the inference arena keeps its reserve again".into() },
                BudgetAction::LimitDetection { max_side: None, reason: "no budget: text detection sees full pages again".into() },
            )
        }
        _ => return,
    };
    shared.emit(WorkerEvent::Budget(arena));
    shared.emit(WorkerEvent::Budget(detection));
}

fn budget_loop(shared: Arc<Shared>) {
    // RSS at each tick over the last RECENT_PEAK_WINDOW: the controller relaxes on peaks, not troughs.
    let window = ((RECENT_PEAK_WINDOW.as_secs_f64() / shared.options.control_period.as_secs_f64().max(1e-3)).ceil() as usize).max(1);
    let mut recent: VecDeque<u64> = VecDeque::with_capacity(window);
    while !shared.shutdown.load(Ordering::Relaxed) {
        std::thread::sleep(shared.options.control_period);
        // The idle-unload setting, when the user has turned it on (each unload is an event and a marker).
        shared.hub.unload_expired();
        let Some((_, control)) = shared.current.lock().unwrap().clone() else {
            recent.clear();
            continue;
        };
        let rss = current_rss_bytes();
        if recent.len() >= window {
            recent.pop_front();
        }
        recent.push_back(rss);
        let batch = *shared.batch.lock().unwrap();
        let chosen = *shared.chosen_batch.lock().unwrap();
        let state = BudgetState {
            rss_bytes: rss,
            page_cache_bytes: shared.gauges.page_cache_bytes.load(Ordering::Relaxed),
            recent_peak_bytes: recent.iter().copied().max().unwrap_or(0),
            batch_sizes: Stage::ALL.iter().map(|&s| (s.name().to_string(), batch.of(s), chosen.of(s))).collect(),
            intake_paused: control.intake_paused_by_budget.load(Ordering::Relaxed),
            idle_models: idle_models(&shared),
            uncached_models: shared.hub.uncached().into_iter().map(|id| id.name().to_string()).collect(),
            detects_text: shared.current_stages.lock().unwrap().contains(&Stage::Ocr),
            detection_max_side: Some(shared.detection_max_side.load(Ordering::Relaxed)).filter(|&m| m > 0),
            detected_recently: shared.last_limited_detection.lock().unwrap().is_some_and(|t| t.elapsed() < RECENT_PEAK_WINDOW),
        };
        let actions = shared.budget.lock().unwrap().tick(&state);
        for action in actions {
            match &action {
                BudgetAction::EvictCache { to_bytes, .. } => {
                    if let Some(library) = lock(&shared.library).as_ref() {
                        library.trim_page_cache(*to_bytes as usize);
                    }
                }
                BudgetAction::LeanArena { .. } => {} // set with the budget, never by a tick
                BudgetAction::SetBatchSize { stage, size, reason } => {
                    if let Some(stage) = Stage::parse(stage) {
                        shared.batch.lock().unwrap().set(stage, *size);
                        shared.emit(WorkerEvent::BatchSizeChanged { stage: stage.name().into(), size: *size, reason: reason.clone() });
                    }
                }
                BudgetAction::LimitDetection { max_side, .. } => shared.detection_max_side.store(max_side.unwrap_or(0), Ordering::Relaxed),
                BudgetAction::PauseIntake { .. } => control.intake_paused_by_budget.store(true, Ordering::Relaxed),
                BudgetAction::ResumeIntake { .. } => {
                    control.intake_paused_by_budget.store(false, Ordering::Relaxed);
                    control.notify();
                }
                BudgetAction::UnloadModel { model, reason } => {
                    if let Some(id) = ModelId::ALL.into_iter().find(|m| m.name() == model) {
                        if needed_by_job(&shared, id) {
                            // Reloaded at its next use anyway: load it for each use until there is room.
                            shared.hub.set_uncached(id, true, reason);
                        } else {
                            shared.hub.unload(id, reason);
                        }
                    }
                }
                BudgetAction::KeepModel { model, reason } => {
                    if let Some(id) = ModelId::ALL.into_iter().find(|m| m.name() == model) {
                        shared.hub.set_uncached(id, false, reason);
                    }
                }
            }
            shared.emit(WorkerEvent::Budget(action));
        }
    }
}

/// Whether the running job has a stage that uses `id`.
fn needed_by_job(shared: &Shared, id: ModelId) -> bool {
    uses_model(&shared.current_stages.lock().unwrap(), *shared.current_recogniser.lock().unwrap(), id)
}

/// Whether one of `stages` runs `id`.
fn uses_model(stages: &[Stage], recogniser: Recogniser, id: ModelId) -> bool {
    stages.iter().any(|s| s.models(recogniser).contains(&id))
}

/// Loaded models the budget may unload, largest first: those the running job does not use, then those it
/// does (then loaded for each use: slower, but they no longer sit beside the largest inference).
fn idle_models(shared: &Shared) -> Vec<String> {
    let stages = shared.current_stages.lock().unwrap().clone();
    let recogniser = *shared.current_recogniser.lock().unwrap();
    let needed = |id: ModelId| uses_model(&stages, recogniser, id);
    let per_model = shared.gauges.per_model.lock().unwrap().clone();
    let bytes = |id: ModelId| per_model.iter().find(|(n, _)| n == id.name()).map(|(_, b)| *b).unwrap_or(0);
    let mut loaded: Vec<ModelId> = shared.hub.all_stats().into_iter().filter(|(_, s)| s.loaded).map(|(id, _)| id).collect();
    loaded.sort_by_key(|&id| (needed(id), std::cmp::Reverse(bytes(id))));
    loaded.into_iter().map(|id| id.name().to_string()).collect()
}
