//! Memory: what the process holds, sampled often enough to watch it move, and the gauges that explain it.
//!
//! Components that hold memory on purpose (the page cache, pdfium's open documents) publish their bytes to
//! [`MemoryGauges`]; the [`MemorySampler`] reads process RSS (from `/proc`) and system memory (through `sysinfo`)
//! at a fixed rate, stamps each sample with the gauges, keeps a bounded history and pushes every sample to subscribers.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::Serialize;
use sysinfo::{MemoryRefreshKind, System};

/// Bytes held by the components Folio can name. Each is written by its owner and read by the sampler.
#[derive(Debug, Default)]
pub struct MemoryGauges {
    pub page_cache_bytes: AtomicU64,
    pub page_cache_limit_bytes: AtomicU64,
    /// Estimated growth of pdfium's per-document caches since each open document was loaded.
    pub pdfium_bytes: AtomicU64,
    /// Loaded models: what each load kept (weights in the shared arena, and the session outside it).
    pub models_bytes: AtomicU64,
    /// The part of `models_bytes` inside the shared arena; the arena's other bytes in use are tensors.
    pub models_arena_bytes: AtomicU64,
    /// Models loaded for one use only (under a tight budget), while they live.
    pub transient_models_bytes: AtomicU64,
    /// The bound on the arena's free memory between inferences (0: none).
    pub arena_free_limit_bytes: AtomicU64,
    /// The same, per model, by name.
    pub per_model: Mutex<Vec<(String, u64)>>,
    /// Page images and tensors inside the pipeline right now (see [`InFlight`]).
    pub in_flight_bytes: AtomicU64,
    /// The search's block of embeddings held between queries (see `search::Searcher`).
    pub search_index_bytes: AtomicU64,
}

/// A buffer on its way between pipeline stages, counted in the "in flight" gauge from the moment it is
/// made until it is dropped, wherever that happens.
pub struct InFlight<T> {
    value: T,
    bytes: u64,
    gauges: Arc<MemoryGauges>,
}

impl<T> InFlight<T> {
    pub fn new(value: T, bytes: u64, gauges: &Arc<MemoryGauges>) -> Self {
        gauges.in_flight_bytes.fetch_add(bytes, Ordering::Relaxed);
        InFlight { value, bytes, gauges: Arc::clone(gauges) }
    }

    pub fn bytes(&self) -> u64 {
        self.bytes
    }
}

impl<T> std::ops::Deref for InFlight<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T> std::ops::DerefMut for InFlight<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.value
    }
}

impl<T> Drop for InFlight<T> {
    fn drop(&mut self) {
        self.gauges.in_flight_bytes.fetch_sub(self.bytes, Ordering::Relaxed);
    }
}

/// One reading of the process and the machine.
#[derive(Debug, Clone, Serialize)]
pub struct MemorySample {
    /// Milliseconds since the Unix epoch.
    pub t_ms: u64,
    pub rss_bytes: u64,
    pub available_bytes: u64,
    pub total_bytes: u64,
    pub page_cache_bytes: u64,
    pub page_cache_limit_bytes: u64,
    pub pdfium_bytes: u64,
    pub models_bytes: u64,
    /// Page images and crops between stages, plus the tensors of the inference running now.
    pub in_flight_bytes: u64,
    /// Memory the inference arena holds free for the next inference, with its table (bounded; see `ModelHub`).
    pub arena_free_bytes: u64,
    /// The search's embeddings block (bounded by `SearchOptions::max_index_bytes`).
    pub search_index_bytes: u64,
    /// Its bound (0: none).
    pub arena_free_limit_bytes: u64,
    /// Resident pages of the program, its libraries and other mapped files.
    pub libraries_bytes: u64,
    /// Bytes per loaded model, by name.
    pub models: Vec<(String, u64)>,
    /// RSS that none of the parts above accounts for (what the memory panel draws as "other").
    pub other_bytes: u64,
}

/// One sample split into the parts the memory panel stacks, in bytes; `other` is RSS minus the rest.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Attribution {
    pub rss: u64,
    pub models: u64,
    pub page_cache: u64,
    pub pdfium: u64,
    pub in_flight: u64,
    pub arena_free: u64,
    pub search_index: u64,
    pub libraries: u64,
    pub other: u64,
}

/// An [`Attribution`] in MB (MiB, to two decimals), as reports print it.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct AttributionMb {
    pub rss: f64,
    pub models: f64,
    pub page_cache: f64,
    pub pdfium: f64,
    pub in_flight: f64,
    pub arena_free: f64,
    pub search_index: f64,
    pub libraries: f64,
    pub other: f64,
}

/// Bytes in MB (MiB), to two decimals.
pub fn mb2(bytes: u64) -> f64 {
    (bytes as f64 / 1048576.0 * 100.0).round() / 100.0
}

impl Attribution {
    pub fn in_mb(&self) -> AttributionMb {
        AttributionMb {
            rss: mb2(self.rss),
            models: mb2(self.models),
            page_cache: mb2(self.page_cache),
            pdfium: mb2(self.pdfium),
            in_flight: mb2(self.in_flight),
            arena_free: mb2(self.arena_free),
            search_index: mb2(self.search_index),
            libraries: mb2(self.libraries),
            other: mb2(self.other),
        }
    }

    /// The share of RSS nothing accounts for.
    pub fn other_share(&self) -> f64 {
        self.other as f64 / self.rss.max(1) as f64
    }
}

impl MemorySample {
    /// Reads the process and the gauges now (what the sampler does on each tick, without system memory).
    pub fn now(gauges: &MemoryGauges) -> MemorySample {
        let process = ProcessMemory::read();
        let arena = crate::native::shared_arena_stats().unwrap_or_default();
        let models_in_arena = gauges.models_arena_bytes.load(Ordering::Relaxed);
        MemorySample {
            t_ms: SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0),
            rss_bytes: process.rss_bytes,
            available_bytes: 0,
            total_bytes: 0,
            page_cache_bytes: gauges.page_cache_bytes.load(Ordering::Relaxed),
            page_cache_limit_bytes: gauges.page_cache_limit_bytes.load(Ordering::Relaxed),
            pdfium_bytes: gauges.pdfium_bytes.load(Ordering::Relaxed),
            models_bytes: gauges.models_bytes.load(Ordering::Relaxed) + gauges.transient_models_bytes.load(Ordering::Relaxed),
            in_flight_bytes: gauges.in_flight_bytes.load(Ordering::Relaxed)
                + arena.in_use_resident_bytes().saturating_sub(crate::native::with_arena_table(models_in_arena)),
            arena_free_bytes: arena.free_resident_bytes(),
            search_index_bytes: gauges.search_index_bytes.load(Ordering::Relaxed),
            // In the same terms as the reserve beside it: the bound's bytes and their table.
            arena_free_limit_bytes: crate::native::with_arena_table(gauges.arena_free_limit_bytes.load(Ordering::Relaxed)),
            libraries_bytes: process.file_bytes,
            models: gauges.per_model.lock().unwrap().clone(),
            other_bytes: 0,
        }
        .with_other()
    }

    /// The sample with `other_bytes` set from its parts.
    fn with_other(mut self) -> Self {
        self.other_bytes = self.attribution().other;
        self
    }

    pub fn attribution(&self) -> Attribution {
        let named = self.models_bytes
            + self.page_cache_bytes
            + self.pdfium_bytes
            + self.in_flight_bytes
            + self.arena_free_bytes
            + self.search_index_bytes
            + self.libraries_bytes;
        Attribution {
            rss: self.rss_bytes,
            models: self.models_bytes,
            page_cache: self.page_cache_bytes,
            pdfium: self.pdfium_bytes,
            in_flight: self.in_flight_bytes,
            arena_free: self.arena_free_bytes,
            search_index: self.search_index_bytes,
            libraries: self.libraries_bytes,
            other: self.rss_bytes.saturating_sub(named),
        }
    }
}

/// The process's resident memory from `/proc/self/status`, read in one pass so the parts agree.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcessMemory {
    pub rss_bytes: u64,
    /// Resident file-backed and shared pages (`RssFile` + `RssShmem`): code, libraries, mapped files.
    pub file_bytes: u64,
    /// The highest RSS so far (`VmHWM`).
    pub peak_bytes: u64,
}

impl ProcessMemory {
    pub fn read() -> ProcessMemory {
        let mut memory = ProcessMemory::default();
        let Ok(status) = std::fs::read_to_string("/proc/self/status") else { return memory };
        let kb = |v: &str| v.trim().trim_end_matches("kB").trim().parse::<u64>().unwrap_or(0) * 1024;
        for line in status.lines() {
            if let Some(v) = line.strip_prefix("VmRSS:") {
                memory.rss_bytes = kb(v);
            } else if let Some(v) = line.strip_prefix("VmHWM:") {
                memory.peak_bytes = kb(v);
            } else if let Some(v) = line.strip_prefix("RssFile:").or_else(|| line.strip_prefix("RssShmem:")) {
                memory.file_bytes += kb(v);
            }
        }
        memory
    }
}

/// Resident set size of this process, read from `/proc/self/statm`: cheap enough to call around every
/// render (a few microseconds), unlike a full `sysinfo` refresh.
pub fn current_rss_bytes() -> u64 {
    static PAGE_SIZE: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    let page = *PAGE_SIZE.get_or_init(|| {
        // SAFETY: sysconf has no preconditions.
        let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
        if size > 0 { size as u64 } else { 4096 }
    });
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1).and_then(|v| v.parse::<u64>().ok()))
        .map(|pages| pages * page)
        .unwrap_or(0)
}

/// Bytes the C heap has handed out and not had back (jemalloc's `stats.allocated`; every native library
/// allocates from it). Unlike RSS, this falls as soon as memory is freed, so a difference across a call is
/// what the call kept.
pub fn heap_in_use_bytes() -> u64 {
    crate::native::heap_statistics().in_use_bytes
}

/// The highest RSS this process has had (`VmHWM` in `/proc/self/status`).
pub fn peak_rss_bytes() -> u64 {
    ProcessMemory::read().peak_bytes
}

/// Starts a new peak: `VmHWM` is set back to the current RSS (Linux `clear_refs` 5).
pub fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Returns freed heap memory to the operating system now: the calling thread's cache of freed blocks first
/// (`native::release_thread_cache`), then every free page. Pages are given back as they are freed
/// (`configure_allocator`); this also covers a process run with other allocator settings.
pub fn release_free_memory() {
    crate::native::release_thread_cache();
    crate::native::release_free_pages();
}

/// The next message on `inbox`; when none is waiting, the thread gives its cache of freed blocks back to the
/// heap before it waits (`native::release_thread_cache`), so that a thread with nothing to do holds nothing.
pub fn recv_idle<T>(inbox: &Receiver<T>) -> Result<T, mpsc::RecvError> {
    match inbox.try_recv() {
        Ok(message) => Ok(message),
        Err(mpsc::TryRecvError::Disconnected) => Err(mpsc::RecvError),
        Err(mpsc::TryRecvError::Empty) => {
            crate::native::release_thread_cache();
            inbox.recv()
        }
    }
}

/// How the sampler runs.
#[derive(Debug, Clone, Copy)]
pub struct SamplerOptions {
    /// Samples per second. The memory graph needs at least 4 to look live.
    pub rate_hz: f64,
    /// How much history is kept (and handed to a new subscriber).
    pub window: Duration,
}

impl Default for SamplerOptions {
    fn default() -> Self {
        SamplerOptions { rate_hz: 5.0, window: Duration::from_secs(600) }
    }
}

struct Shared {
    history: Mutex<VecDeque<MemorySample>>,
    capacity: usize,
    subscribers: Mutex<Vec<Sender<MemorySample>>>,
    stop: AtomicBool,
}

/// A background thread that samples memory at a fixed rate into a bounded ring buffer.
pub struct MemorySampler {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl MemorySampler {
    pub fn start(options: SamplerOptions, gauges: Arc<MemoryGauges>) -> Self {
        let rate_hz = options.rate_hz.clamp(0.1, 100.0);
        let capacity = ((options.window.as_secs_f64() * rate_hz).ceil() as usize).max(1);
        let shared = Arc::new(Shared {
            history: Mutex::new(VecDeque::with_capacity(capacity)),
            capacity,
            subscribers: Mutex::new(Vec::new()),
            stop: AtomicBool::new(false),
        });
        let period = Duration::from_secs_f64(1.0 / rate_hz);
        let thread_shared = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("folio-memory-sampler".into())
            .spawn(move || sample_loop(thread_shared, gauges, period))
            .expect("spawn the memory sampler thread");
        MemorySampler { shared, thread: Some(thread) }
    }

    /// The samples kept so far, oldest first.
    pub fn history(&self) -> Vec<MemorySample> {
        self.shared.history.lock().unwrap().iter().cloned().collect()
    }

    /// The most recent sample, if one has been taken.
    pub fn latest(&self) -> Option<MemorySample> {
        self.shared.history.lock().unwrap().back().cloned()
    }

    /// Every sample from now on. Dropping the receiver unsubscribes.
    pub fn subscribe(&self) -> Receiver<MemorySample> {
        let (tx, rx) = mpsc::channel();
        self.shared.subscribers.lock().unwrap().push(tx);
        rx
    }

    pub fn capacity(&self) -> usize {
        self.shared.capacity
    }
}

impl Drop for MemorySampler {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn sample_loop(shared: Arc<Shared>, gauges: Arc<MemoryGauges>, period: Duration) {
    let mut system = System::new();
    let memory_kind = MemoryRefreshKind::nothing().with_ram();
    let mut next = Instant::now();
    while !shared.stop.load(Ordering::Relaxed) {
        system.refresh_memory_specifics(memory_kind);
        let mut sample = MemorySample::now(&gauges);
        sample.available_bytes = system.available_memory();
        sample.total_bytes = system.total_memory();
        {
            let mut history = shared.history.lock().unwrap();
            if history.len() == shared.capacity {
                history.pop_front();
            }
            history.push_back(sample.clone());
        }
        shared.subscribers.lock().unwrap().retain(|tx| tx.send(sample.clone()).is_ok());

        // Fixed-rate ticks: a slow refresh delays one sample, not every later one.
        next += period;
        let now = Instant::now();
        if next < now {
            next = now;
        }
        std::thread::sleep(next - now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sampler_keeps_a_bounded_history_at_its_rate() {
        let gauges = Arc::new(MemoryGauges::default());
        gauges.page_cache_bytes.store(1234, Ordering::Relaxed);
        let sampler = MemorySampler::start(
            SamplerOptions { rate_hz: 50.0, window: Duration::from_millis(200) },
            Arc::clone(&gauges),
        );
        let rx = sampler.subscribe();
        let first = rx.recv_timeout(Duration::from_secs(2)).expect("a sample arrives");
        assert!(first.rss_bytes > 0, "RSS is read");
        assert!(first.total_bytes >= first.available_bytes);
        assert_eq!(first.page_cache_bytes, 1234);
        std::thread::sleep(Duration::from_millis(500));
        assert_eq!(sampler.capacity(), 10);
        assert_eq!(sampler.history().len(), 10, "history is capped at window × rate");
        let received = rx.try_iter().count();
        assert!(received >= 10, "subscribers get every sample ({received})");
    }

    #[test]
    fn recv_idle_hands_over_waiting_and_later_messages_and_ends_with_the_sender() {
        let (send, inbox) = mpsc::channel();
        send.send(1).unwrap();
        let later = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            send.send(2).unwrap();
        });
        // The first was waiting; the second comes while the thread waits, after it gave its cache back.
        assert_eq!(recv_idle(&inbox), Ok(1));
        assert_eq!(recv_idle(&inbox), Ok(2));
        later.join().unwrap();
        assert_eq!(recv_idle(&inbox), Err(mpsc::RecvError));
    }

    #[test]
    fn in_flight_buffers_are_counted_until_dropped() {
        let gauges = Arc::new(MemoryGauges::default());
        let a = InFlight::new(vec![0u8; 100], 100, &gauges);
        let b = InFlight::new(vec![0u8; 50], 50, &gauges);
        assert_eq!(gauges.in_flight_bytes.load(Ordering::Relaxed), 150);
        let moved = std::thread::spawn(move || a.len()).join().unwrap();
        assert_eq!(moved, 100);
        assert_eq!(gauges.in_flight_bytes.load(Ordering::Relaxed), 50, "dropped on the other thread");
        drop(b);
        assert_eq!(gauges.in_flight_bytes.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn freed_large_blocks_leave_the_resident_set() {
        crate::native::configure_allocator();
        // A block freed earlier leaves nothing resident that the next one could reuse unseen...
        drop(std::hint::black_box(vec![1u8; 24 << 20]));
        let before = current_rss_bytes();
        // ...and this one's pages are given back as soon as it is freed, not ten seconds later.
        let block = std::hint::black_box(vec![1u8; 8 << 20]);
        assert!(current_rss_bytes() >= before + (7 << 20));
        drop(block);
        let after = current_rss_bytes();
        assert!(after < before + (2 << 20), "8 MiB freed, RSS {} → {} KiB", before >> 10, after >> 10);
    }

    #[test]
    fn statm_rss_tracks_allocations() {
        let before = current_rss_bytes();
        let block = vec![1u8; 64 << 20];
        let during = current_rss_bytes();
        assert!(during >= before + (60 << 20), "touching 64 MiB shows in RSS ({before} → {during})");
        drop(block);
    }
}
