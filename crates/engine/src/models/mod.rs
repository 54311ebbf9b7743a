//! The model hub: every ONNX model is loaded at most once per process, lazily, and shared.
//!
//! `get(id)` returns a shared [`Model`]; concurrent first callers wait on the same load. Every load is
//! counted and measured (time, and the heap it kept, taken while no inference and no other pipeline work
//! runs: see [`LoadGate`]), and announced as a [`HubEvent`] so the memory panel can attribute the bytes. A
//! model leaves memory only through [`ModelHub::unload`] or the optional idle policy.
//!
//! Inferences share one CPU arena (see `native::register_shared_cpu_arena`). It reuses what it has grown to,
//! and keeps free what [`ArenaPolicy`] allows: before each inference, its free part and that inference's
//! working memory together stay under 1.1 times the largest working memory any inference has needed. Its
//! reserve stays bounded however many input shapes go through it (every page size, resolution and line width
//! is a new shape, and its free regions rarely fit the next one exactly), and the largest inference starts
//! with little free beside it.
//! [`ModelHub::set_arena_free_limit`] sets a fixed bound instead (a memory budget sets 0), and
//! [`ModelHub::request_arena_shrink`] has the free part given back before the next inference.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use ort::ep;
use ort::session::builder::GraphOptimizationLevel;
use ort::session::{RunOptions, Session};
use serde::Serialize;

use crate::memory::{heap_in_use_bytes, mb2, MemoryGauges};
use crate::{native, Error, Result};

/// The models Folio runs, one per pipeline stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelId {
    Orientation,
    Layout,
    OcrDet,
    OcrCls,
    OcrRec,
    /// PP-OCRv5's recogniser, the other choice for [`ModelId::OcrRec`]'s place (see [`Recogniser`]).
    OcrRecV5,
    Table,
    Embedding,
}

impl ModelId {
    pub const ALL: [ModelId; 8] = [
        ModelId::Orientation,
        ModelId::Layout,
        ModelId::OcrDet,
        ModelId::OcrCls,
        ModelId::OcrRec,
        ModelId::OcrRecV5,
        ModelId::Table,
        ModelId::Embedding,
    ];

    /// The artifact id in `models/manifest.json`.
    pub fn artifact(self) -> &'static str {
        match self {
            ModelId::Orientation => "orientation",
            ModelId::Layout => "layout",
            ModelId::OcrDet => "ocr_det",
            ModelId::OcrCls => "ocr_cls",
            ModelId::OcrRec => "ocr_rec",
            ModelId::OcrRecV5 => "ocr_rec_v5",
            ModelId::Table => "table",
            ModelId::Embedding => "embedding",
        }
    }

    pub fn name(self) -> &'static str {
        self.artifact()
    }
}

/// Which text recogniser OCR runs (`--rec-model`). PP-OCRv4 is the parity baseline, the reference's own;
/// PP-OCRv5 reads English better on scans (BENCHMARKS.md, "Words on scans"). Both take the same 48-pixel
/// line crops and decode the same way; they differ in weights and in their character lists.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Recogniser {
    #[default]
    V4,
    V5,
}

impl Recogniser {
    pub const ALL: [Recogniser; 2] = [Recogniser::V4, Recogniser::V5];

    pub fn name(self) -> &'static str {
        match self {
            Recogniser::V4 => "v4",
            Recogniser::V5 => "v5",
        }
    }

    pub fn parse(name: &str) -> std::result::Result<Recogniser, String> {
        Recogniser::ALL
            .into_iter()
            .find(|r| r.name() == name.trim().to_ascii_lowercase())
            .ok_or_else(|| format!("unknown recogniser '{name}'; the recognisers are v4 and v5"))
    }

    /// The model in the hub.
    pub fn model(self) -> ModelId {
        match self {
            Recogniser::V4 => ModelId::OcrRec,
            Recogniser::V5 => ModelId::OcrRecV5,
        }
    }

    /// The manifest artifact holding the character list, one per line, when the model's own metadata does
    /// not carry it (`None`: the model's `character` metadata).
    pub fn character_list(self) -> Option<&'static str> {
        match self {
            Recogniser::V4 => None,
            Recogniser::V5 => Some("ocr_rec_v5_dict"),
        }
    }
}


/// ONNX Runtime session settings shared by every model.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct SessionOptions {
    /// Threads one inference may use (0: ONNX Runtime's default, one per core).
    pub intra_threads: usize,
    /// ONNX Runtime's CPU memory arena, one for the whole process (see `native::register_shared_cpu_arena`).
    /// On by default: without it every inference allocates and frees its page-sized tensors through malloc,
    /// and the page faults cost a third of the throughput (10 pages of source2e.pdf: 28.1 pages/min without,
    /// 42.1 with). The arena keeps its peak, so RSS levels off there; see the README for the figures.
    pub cpu_arena: bool,
    /// Use the process's one shared arena instead of one arena per session. Shared is smaller (the largest
    /// working set instead of the sum), and its statistics say how much of it is free; a shrink returns the
    /// free part, whichever model used it.
    pub shared_arena: bool,
    /// Pre-plans allocations for repeated input shapes. Off: page and crop shapes vary, and with it peak RSS
    /// rose from 1,058 to 1,434 MB for no gain in speed.
    pub memory_pattern: bool,
    /// Let ONNX Runtime keep a second, pre-packed copy of weights for faster matrix products.
    pub prepacking: bool,
    /// Run one model at a time across the process. Each inference already uses every core; running two at
    /// once mostly adds their working memory together.
    pub one_at_a_time: bool,
    /// What the shared arena keeps free between inferences when no fixed bound is set.
    pub arena_policy: ArenaPolicy,
}

impl Default for SessionOptions {
    fn default() -> Self {
        SessionOptions {
            intra_threads: 0,
            cpu_arena: true,
            shared_arena: true,
            memory_pattern: false,
            prepacking: true,
            one_at_a_time: true,
            arena_policy: ArenaPolicy::default(),
        }
    }
}

/// How much free memory the shared arena keeps for the next inference.
///
/// The arena hands out chunks of regions it took from the system and never merges two regions, so a new
/// input shape that no free chunk fits takes a region of its own while the old ones stay. With input
/// shapes that keep changing (pages of other sizes, other resolutions, lines of every width) the free part
/// grows page after page: at 72 dpi it reached six times the peak in use. What is free when an inference
/// starts and does not fit it stays beside what it takes, so the policy bounds the two together: before
/// each inference, when its free part and the inference's own working memory (the largest that model has
/// needed) would pass a ceiling, every region without a chunk in use goes back first. A small inference may
/// run on a large reserve; the largest starts with little free.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ArenaPolicy {
    /// The ceiling, as a multiple of the largest working memory one inference has needed (the arena's peak
    /// in use less the weights it holds, or the most one model's inference grew it): 1 + this. It is also
    /// how far the arena at a page's peak can rise over that working memory (docs/decisions/arena-policy.md).
    pub free_beside_largest: f64,
    /// Free bytes always allowed: below this a shrink costs more in page faults than it returns.
    pub min_free_bytes: u64,
    /// Give the free regions back once per page as well (the worker asks after each page): what the
    /// process holds between pages is then the same whichever pages came before, instead of whatever
    /// reserve the last inferences left under the bound.
    pub shrink_between_pages: bool,
}

impl Default for ArenaPolicy {
    fn default() -> Self {
        ArenaPolicy { free_beside_largest: 0.1, min_free_bytes: 16 << 20, shrink_between_pages: true }
    }
}

impl ArenaPolicy {
    /// The free bytes allowed when an inference that needs `own` bytes of working memory starts, given the
    /// largest any inference has needed. `pinned` is what the last shrink could not return (free chunks
    /// inside regions that also hold weights): it is added, or a reserve that no shrink can lower would ask
    /// for a shrink at every inference. With `own` 0 this is the most the arena keeps free.
    pub fn free_limit(&self, largest: u64, own: u64, pinned: u64) -> u64 {
        let ceiling = (largest as f64 * (1.0 + self.free_beside_largest.max(0.0))) as u64;
        ceiling.saturating_sub(own).max(self.min_free_bytes) + pinned
    }
}

/// Wall time during which at least one model was running: stages run on their own threads, so summing each
/// call's time would count overlapping calls twice.
#[derive(Default)]
pub struct OrtClock {
    state: Mutex<(usize, Option<Instant>)>,
    busy_nanos: AtomicU64,
    /// Held across every inference when models run one at a time, and across every load.
    exclusive: Mutex<()>,
    one_at_a_time: bool,
    /// The shared arena gives its free regions back before the next inference when they pass this
    /// many bytes, or when a shrink was asked for (`u64::MAX`: no fixed bound, `policy` decides).
    arena_free_limit: AtomicU64,
    shrink_requested: std::sync::atomic::AtomicBool,
    policy: ArenaPolicy,
    /// Free bytes left right after the last shrink: what a shrink cannot give back.
    pinned_free: AtomicU64,
    /// The most each model's inference has needed of the arena, and the most any has.
    working: Mutex<HashMap<ModelId, u64>>,
    largest_working: AtomicU64,
    gauges: Arc<MemoryGauges>,
}

/// An inference in progress on the clock; leaves it when dropped.
struct Entered<'a>(&'a OrtClock);

impl Drop for Entered<'_> {
    fn drop(&mut self) {
        self.0.leave();
    }
}

impl OrtClock {
    fn enter(&self) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if state.0 == 0 {
            state.1 = Some(Instant::now());
        }
        state.0 += 1;
    }

    fn entered(&self) -> Entered<'_> {
        self.enter();
        Entered(self)
    }

    fn leave(&self) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        state.0 -= 1;
        if state.0 == 0 {
            if let Some(since) = state.1.take() {
                self.busy_nanos.fetch_add(since.elapsed().as_nanos() as u64, Ordering::Relaxed);
            }
        }
    }

    pub fn busy(&self) -> Duration {
        Duration::from_nanos(self.busy_nanos.load(Ordering::Relaxed))
    }

    /// Whether the arena's free regions should go back before an inference of `model` starts, and the
    /// arena's statistics if they were read to decide.
    fn should_shrink(&self, model: ModelId) -> (bool, Option<native::ArenaStats>) {
        if self.shrink_requested.swap(false, Ordering::Relaxed) {
            return (true, None);
        }
        let Some(arena) = native::shared_arena_stats() else { return (false, None) };
        let fixed = self.arena_free_limit.load(Ordering::Relaxed);
        // What the last inference left free is what this one would otherwise reuse; past the limit it goes.
        let limit = if fixed != u64::MAX { fixed } else { self.free_limit(&arena, model) };
        (arena.free_bytes() > limit, Some(arena))
    }

    /// The free bytes allowed when an inference of `model` starts; publishes the most allowed for any.
    fn free_limit(&self, arena: &native::ArenaStats, model: ModelId) -> u64 {
        let weights = self.gauges.models_arena_bytes.load(Ordering::Relaxed);
        let largest = self.largest_working.load(Ordering::Relaxed).max(arena.peak_in_use_bytes.saturating_sub(weights));
        let own = self.working.lock().unwrap_or_else(|p| p.into_inner()).get(&model).copied().unwrap_or(0);
        let pinned = self.pinned_free.load(Ordering::Relaxed);
        self.gauges.arena_free_limit_bytes.store(self.policy.free_limit(largest, 0, pinned), Ordering::Relaxed);
        self.policy.free_limit(largest, own, pinned)
    }

    /// Called after a shrink: what is still free could not be given back. Returns the arena's statistics.
    fn shrunk(&self) -> Option<native::ArenaStats> {
        let arena = native::shared_arena_stats();
        self.pinned_free.store(arena.map_or(0, |a| a.free_bytes()), Ordering::Relaxed);
        arena
    }

    /// Learns what an inference of `model` needed from the arena, from its statistics when it started and
    /// when it ended: the regions it added, or, when it set a new peak in use, that peak over what was in use
    /// before it (what it used of the free part, too).
    fn learn(&self, model: ModelId, start: &native::ArenaStats, end: &native::ArenaStats) {
        let grown = end.reserved_bytes.saturating_sub(start.reserved_bytes);
        let peak = if end.peak_in_use_bytes > start.peak_in_use_bytes { end.peak_in_use_bytes.saturating_sub(start.in_use_bytes) } else { 0 };
        let needed = grown.max(peak);
        let mut working = self.working.lock().unwrap_or_else(|p| p.into_inner());
        let known = working.entry(model).or_default();
        if needed > *known {
            *known = needed;
            drop(working);
            self.largest_working.fetch_max(needed, Ordering::Relaxed);
            if self.arena_free_limit.load(Ordering::Relaxed) == u64::MAX {
                self.free_limit(end, model);
            }
        }
    }
}

/// A loaded model: its session (one inference at a time), and what was learned when loading it.
pub struct Model {
    pub id: ModelId,
    session: Mutex<Session>,
    /// Custom metadata from the ONNX file (class names, character lists).
    pub metadata: HashMap<String, String>,
    pub file_bytes: u64,
    clock: Arc<OrtClock>,
    plain_run: RunOptions,
    /// Bytes counted in the gauges' transient model bytes while this instance lives (models loaded for
    /// one use only).
    transient: Option<(u64, Arc<MemoryGauges>)>,
    /// The same, and the arena returns its free regions to the system when the inference ends: for a
    /// session with an arena of its own. `None` without an arena, and on the shared arena, which gives its
    /// free regions back before the inference instead (`native::shrink_shared_arena`).
    shrinking_run: Option<RunOptions>,
    /// Whether the session allocates from the process's shared arena.
    shared_arena: bool,
}

impl Drop for Model {
    fn drop(&mut self) {
        if let Some((bytes, gauges)) = self.transient.take() {
            gauges.transient_models_bytes.fetch_sub(bytes, Ordering::Relaxed);
        }
    }
}

impl Model {
    /// Runs `f` with exclusive use of the session, counting the time as time inside ONNX Runtime. `f` gets
    /// the run options to pass to `Session::run_with_options`: they carry the arena policy.
    pub fn run<R>(&self, f: impl FnOnce(&mut Session, &RunOptions) -> ort::Result<R>) -> Result<R> {
        let _turn = self.clock.one_at_a_time.then(|| self.clock.exclusive.lock().unwrap_or_else(|p| p.into_inner()));
        let mut session = self.session.lock().unwrap_or_else(|p| p.into_inner());
        let arena = self.shared_arena || self.shrinking_run.is_some();
        let (shrink_now, mut start) = if arena { self.clock.should_shrink(self.id) } else { (false, None) };
        // On the shared arena the free regions go back before this inference starts, so what the last ones
        // left free is not held beside what this one takes; an arena of the session's own can only shrink at
        // the end of one of its runs.
        if shrink_now && self.shared_arena {
            match native::shrink_shared_arena() {
                Ok(()) => start = self.clock.shrunk(),
                Err(e) => tracing::warn!("could not give the arena's free memory back: {e}"),
            }
        }
        let shrink = self.shrinking_run.as_ref().filter(|_| shrink_now && !self.shared_arena);
        // The shared arena as this inference finds it, to learn what it needs.
        let start = if self.shared_arena { start.or_else(native::shared_arena_stats) } else { None };
        let result = {
            // Left on drop, so a panic inside the run cannot leave the clock counting a run that ended.
            let _entered = self.clock.entered();
            f(&mut session, shrink.unwrap_or(&self.plain_run))
        };
        if shrink.is_some() {
            self.clock.shrunk();
        }
        if let Some(start) = start {
            if let Some(end) = native::shared_arena_stats() {
                self.clock.learn(self.id, &start, &end);
            }
        }
        result.map_err(|e| Error::Inference { model: self.id.name(), detail: e.to_string() })
    }

    /// A metadata value the stage cannot work without.
    pub fn required_metadata(&self, key: &str) -> Result<&str> {
        self.metadata.get(key).map(String::as_str).ok_or_else(|| Error::Inference {
            model: self.id.name(),
            detail: format!("the model has no '{key}' metadata"),
        })
    }
}

/// What the hub knows about one model, loaded or not.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ModelStats {
    pub loaded: bool,
    pub load_count: u64,
    pub load_ms: f64,
    /// What the last load kept: its share of the shared arena plus the heap the session holds outside it.
    pub bytes: u64,
    /// The part of `bytes` inside the shared arena (weights and pre-packed weights).
    pub arena_bytes: u64,
}

/// A change the memory panel draws as a marker.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum HubEvent {
    Loaded { model: ModelId, bytes: u64, ms: f64 },
    Unloaded { model: ModelId, bytes: u64, reason: String },
}

/// Keeps a model's load apart from the pipeline's other work. Stage threads mark what they do between two
/// queues (rendering, inference, pre- and post-processing) with [`LoadGate::work`]; a load waits until no
/// other thread is inside such work and holds new work back until it ends. Without it, the heap's growth
/// during a load also holds the pages rendered and the tensors built meanwhile, and the memory panel would
/// put them on the model.
pub struct LoadGate {
    id: u64,
    state: Mutex<GateState>,
    changed: Condvar,
}

#[derive(Default)]
struct GateState {
    /// Threads inside work now (a thread counts once per guard it holds).
    active: usize,
    loading: bool,
}

thread_local! {
    /// Work guards the current thread holds, per gate: a thread that loads from inside its own work steps
    /// out of it while it loads, rather than waiting for itself.
    static INSIDE: RefCell<Vec<(u64, usize)>> = const { RefCell::new(Vec::new()) };
}

fn inside(gate: u64) -> usize {
    INSIDE.with(|inside| inside.borrow().iter().find(|(id, _)| *id == gate).map_or(0, |(_, n)| *n))
}

fn set_inside(gate: u64, delta: isize) {
    INSIDE.with(|inside| {
        let mut inside = inside.borrow_mut();
        match inside.iter().position(|(id, _)| *id == gate) {
            Some(i) => {
                inside[i].1 = inside[i].1.saturating_add_signed(delta);
                if inside[i].1 == 0 {
                    inside.swap_remove(i);
                }
            }
            None if delta > 0 => inside.push((gate, delta as usize)),
            None => {}
        }
    });
}

impl Default for LoadGate {
    fn default() -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        LoadGate { id: NEXT.fetch_add(1, Ordering::Relaxed), state: Mutex::default(), changed: Condvar::new() }
    }
}

impl LoadGate {
    /// Marks the calling thread as working until the guard drops; waits first while a model loads.
    pub fn work(&self) -> GateWork<'_> {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        // A thread already inside goes on: it is what a waiting load waits for.
        if inside(self.id) == 0 {
            while state.loading {
                state = self.changed.wait(state).unwrap_or_else(|p| p.into_inner());
            }
        }
        state.active += 1;
        set_inside(self.id, 1);
        GateWork { gate: self }
    }

    /// Waits until no other thread is inside work, then keeps new work out until the guard drops.
    pub fn quiet(&self) -> GateQuiet<'_> {
        let own = inside(self.id);
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        state.active -= own;
        self.changed.notify_all();
        while state.loading {
            state = self.changed.wait(state).unwrap_or_else(|p| p.into_inner());
        }
        state.loading = true;
        while state.active > 0 {
            state = self.changed.wait(state).unwrap_or_else(|p| p.into_inner());
        }
        GateQuiet { gate: self, own }
    }
}

/// A thread's work between two queues; a load waits for it to drop.
pub struct GateWork<'a> {
    gate: &'a LoadGate,
}

impl Drop for GateWork<'_> {
    fn drop(&mut self) {
        let mut state = self.gate.state.lock().unwrap_or_else(|p| p.into_inner());
        state.active -= 1;
        set_inside(self.gate.id, -1);
        self.gate.changed.notify_all();
    }
}

/// A load in progress: new work waits for it to drop.
pub struct GateQuiet<'a> {
    gate: &'a LoadGate,
    own: usize,
}

impl Drop for GateQuiet<'_> {
    fn drop(&mut self) {
        let mut state = self.gate.state.lock().unwrap_or_else(|p| p.into_inner());
        state.loading = false;
        state.active += self.own;
        self.gate.changed.notify_all();
    }
}

/// A model just loaded, and what its load changed.
struct MeasuredLoad {
    model: Model,
    ms: f64,
    /// The C heap's growth across the load.
    heap_grown: u64,
    /// The shared arena's bytes in use, and its reserve, grown across the load.
    arena_in_use_grown: u64,
    arena_reserved_grown: u64,
}

struct Entry {
    slot: Mutex<Option<Arc<Model>>>,
    stats: Mutex<ModelStats>,
    last_used: Mutex<Instant>,
}

pub struct ModelHub {
    options: SessionOptions,
    entries: HashMap<ModelId, Entry>,
    listeners: Mutex<Vec<Sender<HubEvent>>>,
    gauges: Arc<MemoryGauges>,
    clock: Arc<OrtClock>,
    paths: Mutex<HashMap<ModelId, PathBuf>>,
    /// Models loaded for each use and freed after it rather than kept: what a memory budget falls back
    /// to when even the models it needs do not fit beside the work.
    uncached: Mutex<std::collections::HashSet<ModelId>>,
    gate: Arc<LoadGate>,
    /// Unload a model unused this long, in milliseconds (0: never).
    idle_unload_ms: AtomicU64,
}

/// A model as the models panel shows it.
#[derive(Debug, Clone, Serialize)]
pub struct ModelStatus {
    pub model: ModelId,
    pub name: &'static str,
    pub loaded: bool,
    pub load_count: u64,
    /// How long the last load took.
    pub load_ms: f64,
    /// What the last load kept.
    pub bytes: u64,
    /// Milliseconds since it was last used (`None` when it never was).
    pub idle_ms: Option<u64>,
}

/// A model's loads, as reports print them.
#[derive(Debug, Clone, Serialize)]
pub struct LoadReport {
    pub load_count: u64,
    pub load_ms: f64,
    pub bytes: u64,
}

/// The shared inference arena now, in MB, with the bound on its free part in force.
#[derive(Debug, Clone, Serialize)]
pub struct ArenaReport {
    pub in_use_mb: f64,
    pub reserved_mb: f64,
    pub peak_in_use_mb: f64,
    pub shrinks: u64,
    /// The reserve against the most the arena has had in use: the policy keeps it under 2.
    pub reserve_per_peak: f64,
    /// The bound in force on the free part (the policy's, or the fixed one).
    pub free_limit_mb: f64,
    /// The fixed bound the user set (`None`: the policy decides).
    pub fixed_free_limit_mb: Option<u64>,
}

impl ModelHub {
    /// Every model loaded at least once, by name.
    pub fn load_report(&self) -> BTreeMap<String, LoadReport> {
        self.all_stats()
            .into_iter()
            .filter(|(_, s)| s.load_count > 0)
            .map(|(id, s)| {
                let load_ms = (s.load_ms * 100.0).round() / 100.0;
                (id.name().to_string(), LoadReport { load_count: s.load_count, load_ms, bytes: s.bytes })
            })
            .collect()
    }

    /// The shared arena now (`None` without one).
    pub fn arena_report(&self) -> Option<ArenaReport> {
        native::shared_arena_stats().map(|a| ArenaReport {
            in_use_mb: mb2(a.in_use_bytes),
            reserved_mb: mb2(a.reserved_bytes),
            peak_in_use_mb: mb2(a.peak_in_use_bytes),
            shrinks: a.shrinks,
            reserve_per_peak: (a.reserved_bytes as f64 / a.peak_in_use_bytes.max(1) as f64 * 100.0).round() / 100.0,
            free_limit_mb: mb2(self.gauges.arena_free_limit_bytes.load(Ordering::Relaxed)),
            fixed_free_limit_mb: self.arena_free_limit().map(|l| l >> 20),
        })
    }

    /// The gauges the hub counts its models in (and its users count their buffers in).
    pub fn gauges(&self) -> &Arc<MemoryGauges> {
        &self.gauges
    }

    pub fn new(options: SessionOptions, gauges: Arc<MemoryGauges>) -> Self {
        let entries = ModelId::ALL
            .iter()
            .map(|&id| {
                let entry = Entry {
                    slot: Mutex::new(None),
                    stats: Mutex::new(ModelStats::default()),
                    last_used: Mutex::new(Instant::now()),
                };
                (id, entry)
            })
            .collect();
        let clock = Arc::new(OrtClock {
            one_at_a_time: options.one_at_a_time,
            arena_free_limit: AtomicU64::new(u64::MAX),
            policy: options.arena_policy,
            gauges: Arc::clone(&gauges),
            ..OrtClock::default()
        });
        ModelHub {
            options,
            entries,
            listeners: Mutex::new(Vec::new()),
            gauges,
            clock,
            paths: Mutex::new(HashMap::new()),
            uncached: Mutex::new(std::collections::HashSet::new()),
            gate: Arc::new(LoadGate::default()),
            idle_unload_ms: AtomicU64::new(0),
        }
    }

    /// Marks the calling thread's pipeline work (see [`LoadGate`]) until the guard drops.
    pub fn work(&self) -> GateWork<'_> {
        self.gate.work()
    }

    /// The gate itself, for work outside the worker's stages that should not run during a load either
    /// (the viewer's page renders).
    pub fn load_gate(&self) -> Arc<LoadGate> {
        Arc::clone(&self.gate)
    }

    /// Loads each of `ids` now rather than when a page first needs it; returns their names, each once.
    pub fn load_all(&self, ids: impl IntoIterator<Item = ModelId>) -> Result<Vec<&'static str>> {
        let mut loaded = Vec::new();
        for id in ids {
            if !loaded.contains(&id.name()) {
                self.get(id)?;
                loaded.push(id.name());
            }
        }
        Ok(loaded)
    }

    /// The shared model, loading it on first use. Concurrent first callers wait for the one load.
    pub fn get(&self, id: ModelId) -> Result<Arc<Model>> {
        let model = self.get_or_load(id);
        // Last used when handed out, after any load: a slow load is not idle time.
        *self.entries[&id].last_used.lock().unwrap_or_else(|p| p.into_inner()) = Instant::now();
        model
    }

    fn get_or_load(&self, id: ModelId) -> Result<Arc<Model>> {
        let entry = &self.entries[&id];
        let slot = entry.slot.lock().unwrap_or_else(|p| p.into_inner());
        let uncached = self.uncached.lock().unwrap().contains(&id);
        if let Some(model) = slot.as_ref() {
            let model = Arc::clone(model);
            return Ok(model);
        }
        if uncached {
            // Loaded for this use only: freed when the caller lets go, counted like any load, and in the
            // memory gauges for as long as it lives. Measured alone, as the loads that are kept are.
            drop(slot);
            let quiet = self.gate.quiet();
            let loaded = self.load_measured(id);
            drop(quiet);
            let MeasuredLoad { mut model, heap_grown, .. } = loaded?;
            let bytes = heap_grown.max(model.file_bytes);
            self.gauges.transient_models_bytes.fetch_add(bytes, Ordering::Relaxed);
            model.transient = Some((bytes, Arc::clone(&self.gauges)));
            entry.stats.lock().unwrap().load_count += 1;
            return Ok(Arc::new(model));
        }
        // Nothing else runs during a load (no inference, no other stage's work), so the arena's change and
        // the heap's are this model's alone. Another caller may have loaded it while this one waited.
        drop(slot);
        let quiet = self.gate.quiet();
        let mut slot = entry.slot.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(model) = slot.as_ref() {
            return Ok(Arc::clone(model));
        }
        let loaded = self.load_measured(id);
        drop(quiet);
        let MeasuredLoad { model, ms, heap_grown, arena_in_use_grown: arena_bytes, arena_reserved_grown } = loaded?;
        let model = Arc::new(model);
        // The heap grew by the arena's new regions plus what the session keeps outside the arena.
        let outside = heap_grown.saturating_sub(arena_reserved_grown);
        let bytes = if arena_bytes + outside > 0 { arena_bytes + outside } else { model.file_bytes };
        {
            let mut stats = entry.stats.lock().unwrap();
            stats.loaded = true;
            stats.load_count += 1;
            stats.load_ms = ms;
            stats.bytes = bytes;
            stats.arena_bytes = arena_bytes;
        }
        *slot = Some(Arc::clone(&model));
        drop(slot);
        self.publish_bytes();
        tracing::info!(model = id.name(), ms, bytes, "model loaded");
        self.emit(HubEvent::Loaded { model: id, bytes, ms });
        Ok(model)
    }

    /// Loads `id` with no inference running, and measures what the load kept. The caller holds the gate
    /// quiet, so nothing else on the heap or in the arena changes meanwhile.
    fn load_measured(&self, id: ModelId) -> Result<MeasuredLoad> {
        let _turn = self.clock.exclusive.lock().unwrap_or_else(|p| p.into_inner());
        let (arena_before, heap_before) = (native::shared_arena_stats().unwrap_or_default(), heap_in_use_bytes());
        let started = Instant::now();
        let model = self.load(id)?;
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        let (arena_after, heap_after) = (native::shared_arena_stats().unwrap_or_default(), heap_in_use_bytes());
        Ok(MeasuredLoad {
            model,
            ms,
            heap_grown: heap_after.saturating_sub(heap_before),
            arena_in_use_grown: arena_after.in_use_bytes.saturating_sub(arena_before.in_use_bytes),
            arena_reserved_grown: arena_after.reserved_bytes.saturating_sub(arena_before.reserved_bytes),
        })
    }

    fn load(&self, id: ModelId) -> Result<Model> {
        let path = match self.paths.lock().unwrap().get(&id) {
            Some(path) => path.clone(),
            None => native::verified_path(id.artifact())?,
        };
        let environment = native::onnxruntime()?;
        let fail = |detail: String| Error::ModelLoad { path: path.clone(), detail };
        let arena = self.options.cpu_arena;
        let mut builder = Session::builder(environment)
            .and_then(|b| b.with_optimization_level(GraphOptimizationLevel::Level3).map_err(Into::into))
            .and_then(|b| b.with_memory_pattern(self.options.memory_pattern).map_err(Into::into))
            .and_then(|b| b.with_prepacking(self.options.prepacking).map_err(Into::into))
            .and_then(|b| {
                b.with_execution_providers([ep::CPU::default().with_arena_allocator(arena).build()])
                    .map_err(Into::into)
            })
            .map_err(|e: ort::Error| fail(e.to_string()))?;
        if arena && self.options.shared_arena {
            // The process's one arena (see `native::register_shared_cpu_arena`), not one per session.
            builder = builder.with_env_allocators().map_err(|e| fail(e.to_string()))?;
        }
        if self.options.intra_threads > 0 {
            builder = builder.with_intra_threads(self.options.intra_threads).map_err(|e| fail(e.to_string()))?;
        }
        let session = builder.commit_from_file(&path).map_err(|e| fail(e.to_string()))?;
        if arena && self.options.shared_arena {
            native::observe_shared_arena(&session);
        }
        let metadata = match session.metadata() {
            Ok(meta) => meta
                .custom_keys()
                .unwrap_or_default()
                .into_iter()
                .filter_map(|k| meta.custom(&k).map(|v| (k, v)))
                .collect(),
            Err(_) => HashMap::new(),
        };
        let file_bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        let plain_run = RunOptions::new().map_err(|e| fail(e.to_string()))?;
        let shared_arena = arena && self.options.shared_arena;
        let shrinking_run = if arena && !shared_arena {
            let mut options = RunOptions::new().map_err(|e| fail(e.to_string()))?;
            options.set("memory.enable_memory_arena_shrinkage", "cpu:0").map_err(|e| fail(e.to_string()))?;
            Some(options)
        } else {
            None
        };
        Ok(Model { id, session: Mutex::new(session), metadata, file_bytes, clock: Arc::clone(&self.clock), plain_run, shrinking_run, shared_arena, transient: None })
    }

    /// Uses `path` for `id` instead of the manifest's file (tests, and users with their own models).
    pub fn set_path(&self, id: ModelId, path: PathBuf) {
        self.paths.lock().unwrap().insert(id, path);
    }

    /// Drops the hub's handle; the session is freed once the last running stage lets go of it. Its weights
    /// go back to the shared arena, which returns them to the system before the next inference.
    pub fn unload(&self, id: ModelId, reason: &str) -> bool {
        let entry = &self.entries[&id];
        let Some(model) = entry.slot.lock().unwrap_or_else(|p| p.into_inner()).take() else { return false };
        drop(model);
        self.request_arena_shrink();
        crate::memory::release_free_memory();
        let bytes = {
            let mut stats = entry.stats.lock().unwrap();
            stats.loaded = false;
            stats.bytes
        };
        self.publish_bytes();
        self.emit(HubEvent::Unloaded { model: id, bytes, reason: reason.to_string() });
        true
    }

    /// Unloads every model unused for `ttl`. The idle policy calls this; it is off unless started.
    pub fn unload_idle(&self, ttl: Duration) -> Vec<ModelId> {
        let now = Instant::now();
        ModelId::ALL
            .into_iter()
            .filter(|id| {
                let idle = now.duration_since(*self.entries[id].last_used.lock().unwrap()) >= ttl;
                idle && self.unload(*id, "idle")
            })
            .collect()
    }

    /// Unload models unused for `after` (checked by the worker's control loop), or never (`None`).
    pub fn set_idle_unload(&self, after: Option<Duration>) {
        let ms = after.map_or(0, |d| (d.as_millis() as u64).max(1));
        self.idle_unload_ms.store(ms, Ordering::Relaxed);
    }

    pub fn idle_unload(&self) -> Option<Duration> {
        Some(self.idle_unload_ms.load(Ordering::Relaxed)).filter(|&ms| ms > 0).map(Duration::from_millis)
    }

    /// Unloads the models unused for longer than the idle-unload setting; none when it is off.
    pub fn unload_expired(&self) -> Vec<ModelId> {
        self.idle_unload().map(|ttl| self.unload_idle(ttl)).unwrap_or_default()
    }

    /// Every model with its state, loads, bytes and time since last use, in pipeline order.
    pub fn statuses(&self) -> Vec<ModelStatus> {
        let now = Instant::now();
        ModelId::ALL
            .iter()
            .map(|&id| {
                let stats = self.stats(id);
                let last = *self.entries[&id].last_used.lock().unwrap_or_else(|p| p.into_inner());
                ModelStatus {
                    model: id,
                    name: id.name(),
                    loaded: stats.loaded,
                    load_count: stats.load_count,
                    load_ms: (stats.load_ms * 100.0).round() / 100.0,
                    bytes: stats.bytes,
                    idle_ms: (stats.load_count > 0).then(|| now.duration_since(last).as_millis() as u64),
                }
            })
            .collect()
    }

    pub fn stats(&self, id: ModelId) -> ModelStats {
        self.entries[&id].stats.lock().unwrap().clone()
    }

    pub fn all_stats(&self) -> Vec<(ModelId, ModelStats)> {
        ModelId::ALL.iter().map(|&id| (id, self.stats(id))).collect()
    }

    /// Loads `id` for each use and frees it after (`true`), or keeps it loaded once loaded again (`false`).
    /// Turning it on unloads the model now.
    pub fn set_uncached(&self, id: ModelId, uncached: bool, reason: &str) {
        let changed = if uncached { self.uncached.lock().unwrap().insert(id) } else { self.uncached.lock().unwrap().remove(&id) };
        if changed && uncached {
            self.unload(id, reason);
        }
    }

    /// Models loaded for each use only.
    pub fn uncached(&self) -> Vec<ModelId> {
        let set = self.uncached.lock().unwrap();
        ModelId::ALL.into_iter().filter(|id| set.contains(id)).collect()
    }

    /// The shared arena's free regions go back to the system before the next inference.
    pub fn request_arena_shrink(&self) {
        self.clock.shrink_requested.store(true, Ordering::Relaxed);
    }

    /// A page is done: under [`ArenaPolicy::shrink_between_pages`], the arena's free regions go back before
    /// the next inference.
    pub fn page_done(&self) {
        if self.options.arena_policy.shrink_between_pages {
            self.request_arena_shrink();
        }
    }

    /// Free bytes the shared arena may keep between inferences before it returns them (`None`: the
    /// session options' [`ArenaPolicy`] decides).
    pub fn set_arena_free_limit(&self, limit: Option<u64>) {
        self.clock.arena_free_limit.store(limit.unwrap_or(u64::MAX), Ordering::Relaxed);
        if let Some(limit) = limit {
            self.gauges.arena_free_limit_bytes.store(limit, Ordering::Relaxed);
        }
    }

    /// The fixed bound set with [`ModelHub::set_arena_free_limit`], if any.
    pub fn arena_free_limit(&self) -> Option<u64> {
        Some(self.clock.arena_free_limit.load(Ordering::Relaxed)).filter(|&l| l != u64::MAX)
    }

    /// Wall time during which at least one model was running, since the hub was made.
    pub fn ort_time(&self) -> Duration {
        self.clock.busy()
    }

    pub fn subscribe(&self) -> Receiver<HubEvent> {
        let (tx, rx) = mpsc::channel();
        self.listeners.lock().unwrap().push(tx);
        rx
    }

    fn emit(&self, event: HubEvent) {
        self.listeners.lock().unwrap().retain(|tx| tx.send(event.clone()).is_ok());
    }

    /// Publishes each loaded model's bytes to the memory gauges. The tensors of a running inference are not
    /// a model's: the sampler counts them as in flight (the arena's bytes in use beyond the weights).
    pub fn publish_bytes(&self) {
        let mut per_model = Vec::new();
        let mut in_arena = 0;
        for id in ModelId::ALL {
            let entry = &self.entries[&id];
            if entry.slot.lock().unwrap_or_else(|p| p.into_inner()).is_none() {
                continue;
            }
            let stats = entry.stats.lock().unwrap();
            in_arena += stats.arena_bytes;
            per_model.push((id.name().to_string(), stats.bytes));
        }
        self.gauges.models_bytes.store(per_model.iter().map(|(_, b)| b).sum(), Ordering::Relaxed);
        self.gauges.models_arena_bytes.store(in_arena, Ordering::Relaxed);
        *self.gauges.per_model.lock().unwrap() = per_model;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicBool;

    #[test]
    fn a_load_waits_for_work_in_progress_and_holds_new_work_back() {
        let gate = Arc::new(LoadGate::default());
        let (entered, finished) = (Arc::new(std::sync::Barrier::new(2)), Arc::new(AtomicBool::new(false)));
        let worker = {
            let (gate, entered, finished) = (Arc::clone(&gate), Arc::clone(&entered), Arc::clone(&finished));
            std::thread::spawn(move || {
                let _work = gate.work();
                entered.wait();
                std::thread::sleep(Duration::from_millis(150));
                finished.store(true, Ordering::SeqCst);
            })
        };
        entered.wait();
        let quiet = gate.quiet();
        assert!(finished.load(Ordering::SeqCst), "the load began while another thread was still working");

        let started = Arc::new(AtomicBool::new(false));
        let late = {
            let (gate, started) = (Arc::clone(&gate), Arc::clone(&started));
            std::thread::spawn(move || {
                let _work = gate.work();
                started.store(true, Ordering::SeqCst);
            })
        };
        std::thread::sleep(Duration::from_millis(100));
        assert!(!started.load(Ordering::SeqCst), "new work started during the load");
        drop(quiet);
        late.join().unwrap();
        assert!(started.load(Ordering::SeqCst));
        worker.join().unwrap();
    }

    #[test]
    fn a_thread_loading_from_inside_its_own_work_does_not_wait_for_itself() {
        let gate = LoadGate::default();
        let work = gate.work();
        let nested = gate.work();
        drop(gate.quiet());
        drop(nested);
        drop(work);
        let state = gate.state.lock().unwrap();
        assert_eq!((state.active, state.loading), (0, false));
    }
}
