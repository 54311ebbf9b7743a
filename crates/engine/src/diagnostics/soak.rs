//! What a soak measures: the RSS floor at every count of pages done (sampled 20 times a second), and the
//! report fitted from it — window floors against page counts over the first pass, each window against itself
//! a pass later, the arena's reserve, and the peaks at checkpoints; and, every few pages, a settled floor read
//! with the pipeline drained and free heap returned, whose scatter is a fraction of the sampled floors'.
//! `folio soak` prints the report.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;

use super::sentinel::{fit_slope, fit_slope_se, matched_slope, matched_windows, window_minima, MatchedWindow};
use crate::document::page_range;
use crate::document::source::{open_path, Document, OpenOptions};
use crate::memory::{current_rss_bytes, peak_rss_bytes, release_free_memory, Attribution, AttributionMb, MemoryGauges, MemorySample};
use crate::native::{heap_statistics, shared_arena_stats};
use crate::pipeline::PageResult;

const MB: f64 = 1048576.0;

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

fn kb_per_page(slope: Option<f64>) -> Option<f64> {
    slope.map(|s| round2(s / 1024.0))
}

/// Page counts at which a soak reports the peak RSS so far: the first pages against the first 1,500.
pub const PEAK_CHECKPOINTS: [usize; 10] = [10, 30, 100, 200, 500, 1000, 1500, 2000, 5000, 10000];

/// For each count of pages done, the lowest RSS seen while that many were done, the lowest RSS less the
/// page images then in flight (counted by the memory gauges; each is a separate mapping, unmapped when it is
/// dropped), and the lowest of that less pdfium's per-document caches: 24 bytes per page, however long the run.
#[derive(Default)]
pub struct PageFloors {
    floors: Mutex<Floors>,
    pages_done: AtomicUsize,
}

/// The three series of [`PageFloors`].
#[derive(Debug, Default)]
pub struct Floors {
    pub rss: Vec<u64>,
    pub without_in_flight: Vec<u64>,
    pub without_pdfium: Vec<u64>,
    /// What RSS was made of at each RSS floor (the memory panel's parts), so a step in the floors names its part.
    pub parts: Vec<Attribution>,
}

impl PageFloors {
    fn observe(&self, reading: FloorReading) {
        let page = self.pages_done.load(Ordering::Relaxed);
        let mut floors = self.floors.lock().unwrap();
        if floors.rss.len() <= page {
            floors.rss.resize(page + 1, u64::MAX);
            floors.without_in_flight.resize(page + 1, u64::MAX);
            floors.without_pdfium.resize(page + 1, u64::MAX);
            floors.parts.resize(page + 1, Attribution::default());
        }
        if reading.rss < floors.rss[page] {
            floors.rss[page] = reading.rss;
            floors.parts[page] = reading.parts;
        }
        if let Some(kept) = reading.without_in_flight {
            floors.without_in_flight[page] = floors.without_in_flight[page].min(kept);
            let own = kept.saturating_sub(reading.pdfium);
            floors.without_pdfium[page] = floors.without_pdfium[page].min(own);
        }
    }

    /// One more page is done; the reading taken as it finished counts for the new count, so every count has
    /// at least one value however fast pages go.
    pub fn page_done(&self, gauges: &MemoryGauges) {
        self.pages_done.fetch_add(1, Ordering::Relaxed);
        self.observe(read_floor(gauges));
    }
}

/// One reading for [`PageFloors`].
struct FloorReading {
    rss: u64,
    parts: Attribution,
    without_in_flight: Option<u64>,
    /// pdfium's per-document caches (they grow with the position in a long document: page objects walked
    /// past to reach a page, kept until the document is closed).
    pdfium: u64,
}

/// RSS, and RSS less the page images in flight. The images are read before and after RSS; when they
/// changed in between (an image handed on or dropped meanwhile), the second figure is left out rather than
/// risk subtracting an image RSS no longer held.
fn read_floor(gauges: &MemoryGauges) -> FloorReading {
    let before = gauges.in_flight_bytes.load(Ordering::Relaxed);
    let parts = MemorySample::now(gauges).attribution();
    let rss = parts.rss;
    let after = gauges.in_flight_bytes.load(Ordering::Relaxed);
    FloorReading {
        rss,
        parts,
        without_in_flight: (before == after).then(|| rss.saturating_sub(after)),
        pdfium: gauges.pdfium_bytes.load(Ordering::Relaxed),
    }
}

/// Samples RSS 20 times a second into [`PageFloors`].
pub struct FloorSampler {
    floors: Arc<PageFloors>,
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<()>,
}

impl FloorSampler {
    pub fn start(gauges: Arc<MemoryGauges>) -> Self {
        let floors = Arc::new(PageFloors::default());
        let stop = Arc::new(AtomicBool::new(false));
        let (flag, sampled) = (Arc::clone(&stop), Arc::clone(&floors));
        let thread = std::thread::spawn(move || {
            while !flag.load(Ordering::Relaxed) {
                sampled.observe(read_floor(&gauges));
                std::thread::sleep(Duration::from_millis(50));
            }
        });
        FloorSampler { floors, stop, thread }
    }

    pub fn floors(&self) -> Arc<PageFloors> {
        Arc::clone(&self.floors)
    }

    /// The floors per count of pages done.
    pub fn stop(self) -> Floors {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.thread.join();
        std::mem::take(&mut *self.floors.floors.lock().unwrap())
    }
}


/// The documents a soak loops over as one queue, each limited to the same page range.
pub struct SoakQueue {
    pub documents: Vec<Arc<Document>>,
    /// The 0-based range of every document, clamped to each one's length, as the job plans it.
    pub range: std::ops::Range<usize>,
    /// Where each document's pages start in the queue (see [`SoakRecorder`]).
    pub offsets: HashMap<String, isize>,
    /// Pages in one pass of the queue.
    pub pages: usize,
    /// The document page (0-based) queue windows count from: the range's start for one document, 0 for
    /// several (positions in the queue).
    pub first_page: usize,
}

impl SoakQueue {
    /// Opens `paths` (documents and folders) and lays out pages `range` (`N`, `A-B`, `all`) of each; the
    /// error names the first file that cannot be opened or why the queue is empty.
    pub fn open(paths: &[std::path::PathBuf], range: &str) -> Result<Self, String> {
        let mut documents = Vec::new();
        for path in paths {
            let opened = open_path(path, &OpenOptions::default());
            if let Some(problem) = opened.problems.first() {
                return Err(problem.message.clone());
            }
            documents.extend(opened.documents.into_iter().map(Arc::new));
        }
        if documents.is_empty() {
            let names: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
            return Err(format!("no document in {}", names.join(", ")));
        }
        let longest = documents.iter().map(|d| d.page_count()).max().unwrap_or(0);
        let spec = range;
        let range = page_range(spec, longest).map_err(|e| format!("--range {e}"))?;
        let (mut offsets, mut pages) = (HashMap::new(), 0usize);
        for document in &documents {
            let own = range.start.min(document.page_count())..range.end.min(document.page_count());
            offsets.insert(document.path.display().to_string(), pages as isize - own.start as isize);
            pages += own.len();
        }
        if pages == 0 {
            return Err(format!("--range {spec} holds no page of these documents"));
        }
        let first_page = if documents.len() == 1 { range.start } else { 0 };
        Ok(SoakQueue { documents, range, offsets, pages, first_page })
    }
}

/// Records, as each page is delivered, what the soak report is fitted from: RSS, the peak at checkpoints,
/// the unexplained share of RSS, the page's place in the looped queue and the arena's reserve; with a
/// [`FloorSampler`] running beside it for the floors.
pub struct SoakRecorder {
    gauges: Arc<MemoryGauges>,
    /// Where each document's pages start in the queue a soak loops over: a page's position is this plus its
    /// 0-based page number. Documents not named count from 0.
    queue_offsets: HashMap<String, isize>,
    pages: Mutex<SoakRecording>,
    sampler: Mutex<Option<FloorSampler>>,
    /// Pages between settled floors (0: none), and the count of pages done at which the next is due.
    settle_every: usize,
    next_settle: AtomicUsize,
}

/// What a soak recorded, page by page.
#[derive(Debug, Default)]
pub struct SoakRecording {
    /// RSS as each page was delivered.
    pub rss_per_page: Vec<u64>,
    /// The lowest RSS at each count of pages done (`u64::MAX`: none sampled), the same less the page
    /// images in flight, and that less pdfium's per-document caches.
    pub floors: Vec<u64>,
    pub retained_floors: Vec<u64>,
    pub own_floors: Vec<u64>,
    /// RSS's parts at each RSS floor.
    pub floor_parts: Vec<Attribution>,
    /// The position in the looped queue (0-based) of each page done, in the order they were done.
    pub positions: Vec<usize>,
    /// The inference arena's reserve as each page was done.
    pub arena_per_page: Vec<u64>,
    /// The peak RSS so far once each of [`PEAK_CHECKPOINTS`] pages were done.
    pub peaks_at: Vec<(usize, u64)>,
    /// Per page, the share of RSS that no component accounts for.
    pub other_shares: Vec<f64>,
    /// Each model the pages loaded, with the count of pages done when it was first seen loaded: a model
    /// first needed late in a document (the first table on page 60) steps the floors up once.
    pub model_loads: Vec<(String, usize)>,
    /// The settled floors, in the order read.
    pub settled: Vec<SettledFloor>,
    /// Time spent draining the pipeline and reading settled floors, and the pages finished meanwhile.
    pub settle_time: Duration,
    pub settle_pages: usize,
}

/// Memory read with no page in the pipeline, no PDF open and free heap handed back to the system: what the
/// process holds between pages, without the scatter of pages in flight, of freed blocks not yet returned and
/// of whichever window of a document pdfium had open (bounded by the window, measured on its own).
#[derive(Debug, Clone, Copy, Default)]
pub struct SettledFloor {
    pub pages_done: usize,
    pub rss: u64,
    /// The inference arena's free regions and their table: kept for the next inference under the arena's
    /// own bound (a shrink happens only when an inference is about to start), so the floor is read without
    /// them and the arena's reserve is reported on its own.
    pub arena_free: u64,
    /// The C heap's blocks in use: a rise here is held allocations, a rise in RSS alone is the heap's
    /// layout or memory outside it.
    pub heap_in_use: u64,
    /// What the C heap keeps resident beyond its blocks in use, after free pages were given back.
    pub heap_free: u64,
    pub arena_reserved: u64,
    pub pdfium: u64,
    /// What RSS fell by when the open PDFs were closed (pdfium's per-document caches: the page objects,
    /// fonts and images of the window it had open); the floor is read after.
    pub open_documents: u64,
    /// Resident pages of the program, its libraries and mapped files (part of `rss`): they grow as code
    /// runs for the first time, up to the size of the libraries.
    pub libraries: u64,
}

/// A [`SettledFloor`] in MB.
#[derive(Debug, Clone, Serialize)]
pub struct SettledFloorMb {
    pub pages_done: usize,
    /// RSS less the arena's free regions and their table: the floor the slope is fitted to.
    pub floor_mb: f64,
    pub rss_mb: f64,
    pub arena_free_mb: f64,
    pub heap_in_use_mb: f64,
    pub heap_free_mb: f64,
    pub arena_reserved_mb: f64,
    pub pdfium_mb: f64,
    pub open_documents_mb: f64,
    pub libraries_mb: f64,
}

impl SettledFloor {
    fn floor(&self) -> u64 {
        self.rss.saturating_sub(self.arena_free)
    }

    fn in_mb(&self) -> SettledFloorMb {
        let mb = |v: u64| round2(v as f64 / MB);
        SettledFloorMb {
            pages_done: self.pages_done,
            floor_mb: mb(self.floor()),
            rss_mb: mb(self.rss),
            arena_free_mb: mb(self.arena_free),
            heap_in_use_mb: mb(self.heap_in_use),
            heap_free_mb: mb(self.heap_free),
            arena_reserved_mb: mb(self.arena_reserved),
            pdfium_mb: mb(self.pdfium),
            open_documents_mb: mb(self.open_documents),
            libraries_mb: mb(self.libraries),
        }
    }
}

impl SoakRecording {
    /// The mean share of RSS nothing accounts for, over the pages (to 0.001).
    pub fn other_share_avg(&self) -> f64 {
        (self.other_shares.iter().sum::<f64>() / self.other_shares.len().max(1) as f64 * 1000.0).round() / 1000.0
    }

    /// The largest share of RSS nothing accounted for at a page's end (to 0.001).
    pub fn other_share_max(&self) -> f64 {
        (self.other_shares.iter().copied().fold(0.0, f64::max) * 1000.0).round() / 1000.0
    }
}

impl SoakRecorder {
    /// Starts sampling floors now; a settled floor is due every `settle_every` pages (0: never).
    pub fn start(gauges: Arc<MemoryGauges>, queue_offsets: HashMap<String, isize>, settle_every: usize) -> Self {
        let sampler = FloorSampler::start(Arc::clone(&gauges));
        SoakRecorder {
            gauges,
            queue_offsets,
            pages: Mutex::new(SoakRecording::default()),
            sampler: Mutex::new(Some(sampler)),
            settle_every,
            next_settle: AtomicUsize::new(settle_every),
        }
    }

    /// Whether a settled floor is due now that `pages_done` pages are done (each is due once).
    pub fn settle_due(&self, pages_done: usize) -> bool {
        let next = self.next_settle.load(Ordering::Relaxed);
        if self.settle_every == 0 || pages_done < next {
            return false;
        }
        self.next_settle.store((pages_done / self.settle_every + 1) * self.settle_every, Ordering::Relaxed);
        true
    }

    /// Reads a settled floor: to be called with the pipeline drained (`Worker::while_drained`), which
    /// began at `since` with `pages_then` pages done (the time and the pages finished while draining count
    /// as settling, not as the run's pace). `close_documents` closes the open PDFs: what RSS drops by is
    /// reported as theirs, and the floor is read without them.
    pub fn read_settled(&self, since: Instant, pages_then: usize, close_documents: impl FnOnce()) {
        release_free_memory();
        let with_documents = current_rss_bytes();
        close_documents();
        release_free_memory();
        let arena = shared_arena_stats().unwrap_or_default();
        let memory = MemorySample::now(&self.gauges);
        let heap = heap_statistics();
        let rss = memory.rss_bytes;
        let floor = SettledFloor {
            pages_done: 0,
            rss,
            libraries: memory.libraries_bytes,
            open_documents: with_documents.saturating_sub(rss),
            arena_free: memory.arena_free_bytes,
            heap_in_use: heap.in_use_bytes,
            heap_free: heap.free_resident_bytes,
            arena_reserved: arena.reserved_bytes,
            pdfium: self.gauges.pdfium_bytes.load(Ordering::Relaxed),
        };
        let mut pages = self.pages.lock().unwrap_or_else(|p| p.into_inner());
        let pages_done = pages.rss_per_page.len();
        pages.settled.push(SettledFloor { pages_done, ..floor });
        // Pages finished while draining count: the next floor is due a whole window after this one.
        if let Some(windows) = pages_done.checked_div(self.settle_every) {
            self.next_settle.fetch_max((windows + 1) * self.settle_every, Ordering::Relaxed);
        }
        pages.settle_time += since.elapsed();
        pages.settle_pages += pages_done.saturating_sub(pages_then);
    }


    /// One more page was delivered.
    pub fn page_done(&self, page: &PageResult) {
        let sample = MemorySample::now(&self.gauges);
        let mut pages = self.pages.lock().unwrap_or_else(|p| p.into_inner());
        pages.rss_per_page.push(sample.rss_bytes);
        let done = pages.rss_per_page.len();
        if PEAK_CHECKPOINTS.contains(&done) {
            pages.peaks_at.push((done, peak_rss_bytes()));
        }
        pages.other_shares.push(sample.attribution().other_share());
        let offset = self.queue_offsets.get(&page.doc).copied().unwrap_or(0);
        pages.positions.push((offset + page.page.saturating_sub(1) as isize).max(0) as usize);
        pages.arena_per_page.push(shared_arena_stats().map_or(0, |a| a.reserved_bytes));
        for (model, _) in &sample.models {
            if !pages.model_loads.iter().any(|(seen, _)| seen == model) {
                pages.model_loads.push((model.clone(), done));
            }
        }
        drop(pages);
        if let Some(sampler) = self.sampler.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
            sampler.floors.page_done(&self.gauges);
        }
    }

    /// Stops sampling; everything recorded.
    pub fn finish(&self) -> SoakRecording {
        let mut recording = std::mem::take(&mut *self.pages.lock().unwrap_or_else(|p| p.into_inner()));
        if let Some(sampler) = self.sampler.lock().unwrap_or_else(|p| p.into_inner()).take() {
            let floors = sampler.stop();
            (recording.floors, recording.retained_floors, recording.own_floors, recording.floor_parts) =
                (floors.rss, floors.without_in_flight, floors.without_pdfium, floors.parts);
        }
        recording
    }
}

/// One window of pages compared with itself a pass later.
#[derive(Debug, Clone, Serialize)]
pub struct MatchedWindowReport {
    /// The window's first page: a document page for one document, a queue position for several (1-based).
    pub first_page: usize,
    pub pages_between: f64,
    pub floor_before_mb: f64,
    pub floor_after_mb: f64,
    pub slope_kb_per_page: f64,
}

/// The floors less the page images in flight, read the same ways.
#[derive(Debug, Clone, Serialize)]
pub struct RetainedReport {
    pub slope_kb_per_page: Option<f64>,
    pub window_floor_slope_kb_per_page: Option<f64>,
    /// Its standard error: the floors' scatter about the fitted line, as a slope.
    pub window_floor_slope_se_kb_per_page: Option<f64>,
    pub floor_mb: Vec<f64>,
    pub matched_windows: Vec<MatchedWindowReport>,
}

/// A soak's memory figures (field by field in `docs/cli-json.md`).
#[derive(Debug, Clone, Serialize)]
pub struct SoakReport {
    pub warmup_pages: usize,
    pub rss_after_warmup_mb: f64,
    pub rss_end_mb: f64,
    /// The headline: settled floors against pages done, else the same pages a pass later when the queue came
    /// round, else window floors, else RSS at each page's end (`slope_method` says which).
    pub slope_kb_per_page: f64,
    pub slope_method: &'static str,
    pub window_floor_slope_kb_per_page: Option<f64>,
    /// Growth within a pass: window floors against page counts until the queue first came round.
    pub first_pass_window_floor_slope_kb_per_page: Option<f64>,
    /// Its standard error: the floors' scatter about the fitted line, as a slope.
    pub first_pass_window_floor_slope_se_kb_per_page: Option<f64>,
    /// Each window against itself a pass later (`None` until the queue has come round).
    pub same_pages_next_pass_slope_kb_per_page: Option<f64>,
    /// Floors read with the pipeline drained and free heap returned, every few pages (see [`SettledFloor`]).
    pub settled_floors: Vec<SettledFloorMb>,
    /// The settled floors after warm-up against pages done (every pass), and its standard error.
    pub settled_floor_slope_kb_per_page: Option<f64>,
    pub settled_floor_slope_se_kb_per_page: Option<f64>,
    /// The same fit of the C heap's bytes in use outside the arena at those moments.
    pub settled_heap_slope_kb_per_page: Option<f64>,
    /// Time spent draining the pipeline for settled floors (part of the run's seconds), and the pages
    /// finished meanwhile.
    pub settle_seconds: f64,
    pub settle_pages: usize,
    pub queue_pages: usize,
    pub matched_windows: Vec<MatchedWindowReport>,
    /// The arena's reserve is memory the process holds: its growth is growth, free or not.
    pub arena_reserve_slope_kb_per_page: Option<f64>,
    /// Whole page-image mappings come and go with the pipeline's queues, so one image more or less at a
    /// window's lowest moment moves its floor by as much: the same figures without them.
    pub without_pages_in_flight: RetainedReport,
    /// pdfium keeps the page objects it walked past to reach a page until the document is closed, so a long
    /// document's first pass grows by a few KB per page of position whatever Folio does: the floors less
    /// pdfium's per-document caches as well (what Folio itself holds).
    pub without_pdfium_document_caches: RetainedReport,
    pub floor_window_pages: usize,
    pub floor_windows: usize,
    pub floor_first_mb: Option<f64>,
    pub floor_last_mb: Option<f64>,
    /// One value per window: a step (the arena growing for a larger page) reads differently from a ramp.
    pub floor_mb: Vec<f64>,
    /// Per window, what RSS was made of at its floor (the memory panel's parts): which part a step is in.
    pub floor_parts_mb: Vec<AttributionMb>,
    pub page_end_slope_kb_per_page: f64,
    /// Peak RSS so far once N pages were done.
    pub peak_rss_mb_after_pages: BTreeMap<String, f64>,
    /// Pages done when each model was first seen loaded.
    pub model_loaded_after_pages: BTreeMap<String, usize>,
}

impl SoakReport {
    /// The report of a soak over a queue of `queue_pages` pages whose first is document page `first_page`
    /// (0-based; 0 for a queue of several documents), fitted after `warmup` pages in windows of `window`.
    pub fn of(record: &SoakRecording, queue_pages: usize, first_page: usize, warmup: usize, window: usize) -> Self {
        // Warm-up lasts until every model the pages needed has loaded: a model first needed late (the first
        // table on page 47) steps the floors up once, which is warm-up, not growth per page.
        let last_load = record.model_loads.iter().map(|&(_, page)| page).max().unwrap_or(0);
        let warmup = warmup.max(last_load).min(record.rss_per_page.len().saturating_sub(2));
        let after: Vec<f64> = record.rss_per_page[warmup..].iter().map(|&b| b as f64).collect();
        let xs: Vec<f64> = (0..after.len()).map(|i| (warmup + i) as f64).collect();
        let slope = fit_slope(&xs, &after).unwrap_or(0.0);
        let floors = FloorFit::of(&record.floors, &record.positions, queue_pages, first_page, warmup, window);
        let retained = FloorFit::of(&record.retained_floors, &record.positions, queue_pages, first_page, warmup, window);
        let own = FloorFit::of(&record.own_floors, &record.positions, queue_pages, first_page, warmup, window);
        // The floors until the queue first came round (matched windows need a second pass: none here).
        let during = during_run(&record.floors);
        let (fx, fy): (Vec<f64>, Vec<f64>) =
            window_minima(&during[..during.len().min(queue_pages + 1)], warmup, window).into_iter().unzip();
        // Read with every document closed, a settled floor does not depend on where in the queue it falls:
        // the passes after the first count too.
        let settled: Vec<&SettledFloor> = record.settled.iter().filter(|f| f.pages_done >= warmup).collect();
        let settled_x: Vec<f64> = settled.iter().map(|f| f.pages_done as f64).collect();
        let settled_rss: Vec<f64> = settled.iter().map(|f| f.floor() as f64).collect();
        // The arena's regions and their table come from the same heap and swing with its free part: left out.
        let settled_heap: Vec<f64> =
            settled.iter().map(|f| f.heap_in_use.saturating_sub(crate::native::with_arena_table(f.arena_reserved)) as f64).collect();
        let settled_slope = (settled.len() >= 3).then(|| fit_slope(&settled_x, &settled_rss)).flatten();
        let (headline, method) = match (settled_slope, matched_slope(&floors.matched), floors.window_slope) {
            (Some(s), _, _) => (s, "settled_floor"),
            (None, Some(s), _) => (s, "same_pages_next_pass"),
            (None, None, Some(s)) => (s, "window_floor"),
            (None, None, None) => (slope, "page_end"),
        };
        let reserve = window_minima(&during_run_per_page(&record.arena_per_page), warmup, window);
        let (rx, ry): (Vec<f64>, Vec<f64>) = reserve.into_iter().unzip();
        SoakReport {
            warmup_pages: warmup,
            rss_after_warmup_mb: round2(after.first().copied().unwrap_or(0.0) / MB),
            rss_end_mb: round2(after.last().copied().unwrap_or(0.0) / MB),
            slope_kb_per_page: round2(headline / 1024.0),
            slope_method: method,
            window_floor_slope_kb_per_page: kb_per_page(floors.window_slope),
            first_pass_window_floor_slope_kb_per_page: kb_per_page(fit_slope(&fx, &fy)),
            first_pass_window_floor_slope_se_kb_per_page: kb_per_page(fit_slope_se(&fx, &fy)),
            same_pages_next_pass_slope_kb_per_page: kb_per_page(matched_slope(&floors.matched)),
            settled_floors: record.settled.iter().map(SettledFloor::in_mb).collect(),
            settled_floor_slope_kb_per_page: kb_per_page(settled_slope),
            settled_floor_slope_se_kb_per_page: kb_per_page(fit_slope_se(&settled_x, &settled_rss)),
            settled_heap_slope_kb_per_page: kb_per_page((settled.len() >= 3).then(|| fit_slope(&settled_x, &settled_heap)).flatten()),
            settle_seconds: round2(record.settle_time.as_secs_f64()),
            settle_pages: record.settle_pages,
            queue_pages,
            matched_windows: floors.matched_report(),
            arena_reserve_slope_kb_per_page: kb_per_page(fit_slope(&rx, &ry)),
            without_pages_in_flight: retained.report(),
            without_pdfium_document_caches: own.report(),
            floor_window_pages: window,
            floor_windows: floors.ys.len(),
            floor_first_mb: floors.ys.first().map(|v| round2(v / MB)),
            floor_last_mb: floors.ys.last().map(|v| round2(v / MB)),
            floor_mb: floors.floor_mb(),
            floor_parts_mb: window_parts(&record.floors, &record.floor_parts, warmup, window),
            page_end_slope_kb_per_page: round2(slope / 1024.0),
            peak_rss_mb_after_pages: record.peaks_at.iter().map(|&(n, b)| (n.to_string(), round2(b as f64 / MB))).collect(),
            model_loaded_after_pages: record.model_loads.iter().cloned().collect(),
        }
    }
}

/// One series of per-page floors, read both ways: windows fitted against page counts, and each window of
/// document pages against itself a pass later.
struct FloorFit {
    /// The floor of each window after warm-up.
    ys: Vec<f64>,
    window_slope: Option<f64>,
    window_slope_se: Option<f64>,
    matched: Vec<MatchedWindow>,
    /// The document page (0-based) that `positions` count from.
    first_page: usize,
}

impl FloorFit {
    fn of(floors: &[u64], positions: &[usize], pages: usize, first_page: usize, warmup: usize, window: usize) -> Self {
        let floors = during_run(floors);
        let (xs, ys): (Vec<f64>, Vec<f64>) = window_minima(floors, warmup, window).into_iter().unzip();
        let matched = matched_windows(floors, positions, pages, warmup, window);
        FloorFit { window_slope: fit_slope(&xs, &ys), window_slope_se: fit_slope_se(&xs, &ys), ys, matched, first_page }
    }

    /// The series read the ways the report reads RSS's.
    fn report(&self) -> RetainedReport {
        RetainedReport {
            slope_kb_per_page: kb_per_page(matched_slope(&self.matched).or(self.window_slope)),
            window_floor_slope_kb_per_page: kb_per_page(self.window_slope),
            window_floor_slope_se_kb_per_page: kb_per_page(self.window_slope_se),
            floor_mb: self.floor_mb(),
            matched_windows: self.matched_report(),
        }
    }

    fn floor_mb(&self) -> Vec<f64> {
        self.ys.iter().map(|v| round2(v / MB)).collect()
    }

    fn matched_report(&self) -> Vec<MatchedWindowReport> {
        self.matched
            .iter()
            .map(|m| MatchedWindowReport {
                first_page: self.first_page + m.first_page + 1,
                pages_between: round2(m.pages_between),
                floor_before_mb: round2(m.floor_before / MB),
                floor_after_mb: round2(m.floor_after / MB),
                slope_kb_per_page: round2(m.slope() / 1024.0),
            })
            .collect()
    }
}

/// Per window (as [`window_minima`] cuts them), the parts of RSS at the window's lowest floor.
fn window_parts(floors: &[u64], parts: &[Attribution], from: usize, window: usize) -> Vec<AttributionMb> {
    let floors = during_run(floors);
    if window == 0 || floors.len() <= from || parts.len() < floors.len() {
        return Vec::new();
    }
    floors[from..]
        .chunks_exact(window)
        .enumerate()
        .filter_map(|(k, chunk)| {
            let (i, _) = chunk.iter().enumerate().filter(|(_, &v)| v != u64::MAX).min_by_key(|(_, &v)| v)?;
            Some(parts[from + k * window + i].in_mb())
        })
        .collect()
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


#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_window_names_the_parts_of_its_lowest_floor() {
        let mb = |v: u64| v << 20;
        // Counts 0..=8 (the last is the drained pipeline, left out); windows of 2 after 2 pages.
        let floors = [u64::MAX, mb(9), mb(8), mb(7), mb(6), mb(9), mb(5), mb(4), mb(1)];
        let parts: Vec<Attribution> = floors.iter().map(|&f| Attribution { rss: f, models: f / 2, ..Default::default() }).collect();
        let windows = window_parts(&floors, &parts, 2, 2);
        assert_eq!(windows.iter().map(|w| (w.rss, w.models)).collect::<Vec<_>>(), [(7.0, 3.5), (6.0, 3.0), (4.0, 2.0)]);
        assert!(window_parts(&floors, &[], 2, 2).is_empty(), "no parts recorded: none reported");
    }

    /// A model first loaded after 47 pages raises the floors by 16 MB once; flat before and after.
    fn stepped_recording() -> SoakRecording {
        let pages = 200usize;
        let floor = |p: usize| if p < 47 { 220u64 << 20 } else { 236u64 << 20 };
        SoakRecording {
            rss_per_page: (1..=pages).map(floor).collect(),
            floors: (0..=pages).map(floor).collect(),
            retained_floors: (0..=pages).map(floor).collect(),
            own_floors: (0..=pages).map(floor).collect(),
            floor_parts: Vec::new(),
            positions: (0..pages).collect(),
            arena_per_page: vec![0; pages],
            model_loads: vec![("layout".into(), 1), ("table".into(), 47)],
            ..SoakRecording::default()
        }
    }

    #[test]
    fn warm_up_lasts_until_the_last_model_has_loaded() {
        let report = SoakReport::of(&stepped_recording(), 311, 0, 30, 25);
        assert_eq!(report.warmup_pages, 47);
        assert_eq!(report.first_pass_window_floor_slope_kb_per_page, Some(0.0));
        assert_eq!(report.model_loaded_after_pages.get("table"), Some(&47));
    }

    #[test]
    fn a_settled_floor_is_due_once_per_window_however_many_pages_finish_together() {
        let recorder = SoakRecorder::start(Arc::new(MemoryGauges::default()), HashMap::new(), 25);
        let due: Vec<usize> = [3, 24, 25, 26, 31, 49, 52, 53, 75, 120].into_iter().filter(|&n| recorder.settle_due(n)).collect();
        assert_eq!(due, [25, 52, 75, 120]);
        let never = SoakRecorder::start(Arc::new(MemoryGauges::default()), HashMap::new(), 0);
        assert!(!never.settle_due(25) && !never.settle_due(1000));
        recorder.finish();
        never.finish();
    }

    #[test]
    fn settled_floors_are_fitted_without_the_arenas_free_regions_after_warm_up() {
        let mb = |v: f64| (v * MB) as u64;
        let mut recording = stepped_recording();
        recording.model_loads = vec![("layout".into(), 1)];
        // RSS 2 KB a page higher each time while the arena's free part swings by tens of MB, on the first pass
        // and after it (311 pages); before warm-up the floor is far off and must not count.
        recording.settled = [(10, 100.0, 0.0), (50, 300.0, 40.0), (100, 280.1, 20.0), (150, 330.2, 70.0), (200, 300.3, 40.0), (350, 260.6, 0.0)]
            .into_iter()
            .map(|(pages, rss, free)| SettledFloor { pages_done: pages, rss: mb(rss), arena_free: mb(free), ..SettledFloor::default() })
            .collect();
        let report = SoakReport::of(&recording, 311, 0, 30, 25);
        assert_eq!(report.slope_method, "settled_floor");
        let slope = report.settled_floor_slope_kb_per_page.unwrap();
        assert!((slope - 2.05).abs() < 0.05, "{slope}");
        assert_eq!(report.slope_kb_per_page, slope);
        assert!(report.settled_floor_slope_se_kb_per_page.unwrap() < 0.05);
        assert_eq!(report.settled_floors.len(), 6, "every settled floor is listed");
        assert_eq!(report.settled_floors[1].floor_mb, 260.0);
    }

    #[test]
    fn a_step_after_the_last_model_load_counts_as_growth() {
        let mut recording = stepped_recording();
        recording.model_loads = vec![("layout".into(), 1)];
        let report = SoakReport::of(&recording, 311, 0, 30, 25);
        assert_eq!(report.warmup_pages, 30);
        assert!(report.first_pass_window_floor_slope_kb_per_page.unwrap() > 2.0);
    }
}
