//! The shared inference arena: its statistics are read, what it keeps free is attributed, and a shrink
//! gives the free part back to the system before the next inference starts.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use image::RgbImage;

use folio_engine::models::{ModelHub, ModelId, SessionOptions};
use folio_engine::memory::{MemoryGauges, MemorySample};
use folio_engine::native::shared_arena_stats;
use folio_engine::document::source::{self, OpenOptions};
use folio_engine::stages::layout::LayoutStage;
use folio_engine::{RecyclePolicy, RenderOptions, RenderSize, Renderer};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures").join(name)
}

const MB: u64 = 1 << 20;

/// A hub on the shared arena with its gauges, the layout stage, and a page at 100 dpi for it.
fn layout_on_a_page() -> (Arc<MemoryGauges>, Arc<ModelHub>, LayoutStage, RgbImage) {
    folio_engine::native::configure_allocator();
    let gauges = Arc::new(MemoryGauges::default());
    let hub = Arc::new(ModelHub::new(SessionOptions { intra_threads: 1, ..SessionOptions::default() }, Arc::clone(&gauges)));
    let document = source::open_file(&fixture("three-pages.pdf"), &OpenOptions::default()).unwrap();
    let renderer = Renderer::start(RenderOptions::default(), RecyclePolicy::default(), Arc::clone(&gauges));
    let page = renderer.render(&document, 0, RenderSize::Dpi(100.0)).unwrap().into_rgb_image();
    (gauges, Arc::clone(&hub), LayoutStage::new(hub), page)
}

#[test]
fn the_arena_keeps_its_free_memory_until_asked_and_then_gives_it_back() {
    let (gauges, hub, layout, page) = layout_on_a_page();
    // One shape run again and again keeps about 1.5 times its working memory free; the default bound is set
    // by the largest inference of a whole pipeline, which this one alone is not.
    hub.set_arena_free_limit(Some(256 * MB));

    layout.run(&[&page]).unwrap();
    let after_run = shared_arena_stats().expect("a model on the shared arena makes its statistics readable");
    assert!(after_run.peak_in_use_bytes > 10 * MB, "the layout model's tensors went through the arena: {after_run:?}");
    assert!(after_run.free_bytes() > 10 * MB, "and the arena keeps them for the next inference: {after_run:?}");
    let sample = MemorySample::now(&gauges);
    assert_eq!(sample.arena_free_bytes, after_run.free_resident_bytes(), "the memory panel sees the reserve and its table");
    assert_eq!(after_run.free_resident_bytes(), after_run.free_bytes() + after_run.free_bytes() / 32);

    // Kept and reused: a second inference of the same shape does not grow it.
    layout.run(&[&page]).unwrap();
    let again = shared_arena_stats().unwrap();
    assert_eq!(again.reserved_bytes, after_run.reserved_bytes, "{after_run:?} → {again:?}");

    // Asked for, the free regions go back before the next inference starts: it finds them gone.
    let rss_before = MemorySample::now(&gauges).rss_bytes;
    hub.request_arena_shrink();
    let model = hub.get(ModelId::Layout).unwrap();
    let at_start = model.run(|_, _| Ok(shared_arena_stats().unwrap())).unwrap();
    assert!(at_start.shrinks > again.shrinks, "{at_start:?}");
    // A region holding one small block stays; the rest went back.
    assert!(at_start.reserved_bytes < again.reserved_bytes / 2, "the free regions went back: {again:?} → {at_start:?}");
    let rss_after = MemorySample::now(&gauges).rss_bytes;
    assert!(
        rss_after + after_run.free_bytes() / 2 < rss_before,
        "RSS fell by about the reserve ({} MB): {} → {} MB",
        after_run.free_bytes() / MB,
        rss_before / MB,
        rss_after / MB
    );
    // Not asked, and under the bound, they stay.
    layout.run(&[&page]).unwrap();
    let kept = model.run(|_, _| Ok(shared_arena_stats().unwrap())).unwrap();
    assert_eq!(kept.shrinks, at_start.shrinks, "{kept:?}");
    assert!(kept.free_bytes() > 10 * MB, "{kept:?}");

    // A bound of zero: every inference starts with the arena's free memory given back.
    hub.set_arena_free_limit(Some(0));
    let bounded = model.run(|_, _| Ok(shared_arena_stats().unwrap())).unwrap();
    assert!(bounded.reserved_bytes < again.reserved_bytes / 2, "{bounded:?}");
    assert_eq!(MemorySample::now(&gauges).arena_free_limit_bytes, 0);
}

/// The default policy bounds what is free when an inference starts together with what that inference needs:
/// a model whose inferences need little runs on the reserve the largest one left, and the largest one starts
/// with the reserve given back, so it does not sit beside the memory it takes.
#[test]
fn the_largest_inference_starts_with_the_reserve_given_back_and_a_small_one_runs_on_it() {
    let (gauges, hub, layout, page) = layout_on_a_page();
    // Loaded first, so that its weights are in the arena before the reserve is read.
    let small = hub.get(ModelId::OcrCls).unwrap();

    layout.run(&[&page]).unwrap();
    let left = shared_arena_stats().unwrap();
    assert!(left.free_bytes() > 20 * MB, "the layout model's tensors left a reserve: {left:?}");
    let limit = MemorySample::now(&gauges).arena_free_limit_bytes;

    // An inference that needs nothing from the arena: the reserve stays for it.
    let at_small = small.run(|_, _| Ok(shared_arena_stats().unwrap())).unwrap();
    assert_eq!(at_small.shrinks, left.shrinks, "{left:?} → {at_small:?}");
    assert_eq!(at_small.reserved_bytes, left.reserved_bytes);

    // The layout model needs about what it left free: together they pass the ceiling, so it goes first.
    let model = hub.get(ModelId::Layout).unwrap();
    let at_large = model.run(|_, _| Ok(shared_arena_stats().unwrap())).unwrap();
    assert!(at_large.shrinks > left.shrinks, "{at_large:?}");
    assert!(at_large.reserved_bytes + left.free_bytes() / 2 < left.reserved_bytes, "the reserve went back: {left:?} → {at_large:?}");

    // The panel's bound is the most kept free when an inference starts, and the run held to it.
    assert!(limit >= left.free_bytes(), "free {} MB under the bound {} MB", left.free_bytes() / MB, limit / MB);
    layout.run(&[&page]).unwrap();
    let again = shared_arena_stats().unwrap();
    assert!(again.free_bytes() <= MemorySample::now(&gauges).arena_free_limit_bytes, "{again:?}");
}

#[test]
fn attribution_names_the_libraries_and_leaves_the_rest_as_other() {
    let gauges = Arc::new(MemoryGauges::default());
    gauges.page_cache_bytes.store(3 * MB, std::sync::atomic::Ordering::Relaxed);
    // Heap that no gauge names: it can only show as "other".
    let unnamed = std::hint::black_box(vec![1u8; 32 << 20]);
    let with = MemorySample::now(&gauges).attribution();
    drop(unnamed);
    let without = MemorySample::now(&gauges).attribution();
    assert!(with.libraries > MB, "the program's own code is resident: {with:?}");
    assert!(with.libraries < with.rss);
    assert_eq!(with.page_cache, 3 * MB);
    // Stacked, the parts are RSS: what the memory panel draws adds up to what the process holds.
    let a = with;
    assert_eq!(a.libraries + a.page_cache + a.models + a.pdfium + a.in_flight + a.arena_free + a.other, a.rss, "{a:?}");
    // The block nobody names was "other", and left it when it was freed.
    assert!(with.other >= without.other + 24 * MB, "with the block {with:?}, without {without:?}");
}

/// Pages of many sizes through the detector and recogniser: every size is a new set of input shapes. The
/// arena's default policy keeps its reserve under twice its peak in use however many shapes go through it.
#[test]
fn pages_of_many_sizes_leave_the_arena_reserve_under_twice_its_peak_in_use() {
    use folio_engine::stages::ocr::{OcrOptions, OcrStage};
    folio_engine::native::configure_allocator();
    let gauges = Arc::new(MemoryGauges::default());
    let hub = Arc::new(ModelHub::new(SessionOptions { intra_threads: 1, ..SessionOptions::default() }, Arc::clone(&gauges)));
    let fixed = std::env::var("FOLIO_TEST_ARENA_FREE_MB").ok().and_then(|v| v.parse::<u64>().ok());
    hub.set_arena_free_limit(fixed.map(|mb| mb << 20));
    let document = source::open_file(&fixture("mixed-sizes.pdf"), &OpenOptions::default()).unwrap();
    let renderer = Renderer::start(RenderOptions::default(), RecyclePolicy::default(), Arc::clone(&gauges));
    let ocr = OcrStage::new(Arc::clone(&hub), OcrOptions::default());
    let mut lines = 0;
    let mut worst: f64 = 0.0;
    // Each page a little larger than the last: no free chunk left by the pages before fits its tensors, so
    // without a bound every page adds regions (FOLIO_TEST_ARENA_FREE_MB=100000 shows it: the assertion fails).
    for (i, dpi) in [50.0, 56.0, 62.0, 68.0, 74.0, 80.0, 86.0, 92.0, 98.0, 104.0, 110.0, 116.0].into_iter().enumerate() {
        let page = renderer.render(&document, i % document.page_count(), RenderSize::Dpi(dpi)).unwrap().into_rgb_image();
        lines += ocr.run(&page).unwrap().len();
        let arena = shared_arena_stats().unwrap();
        worst = worst.max(arena.reserved_bytes as f64 / arena.peak_in_use_bytes as f64);
        assert!(
            arena.reserved_bytes < 2 * arena.peak_in_use_bytes,
            "page {i} at {dpi} dpi: reserve {} MB against a peak in use of {} MB ({arena:?})",
            arena.reserved_bytes / MB,
            arena.peak_in_use_bytes / MB
        );
    }
    assert!(lines > 12, "the recogniser saw text on the pages ({lines} lines)");
    let arena = shared_arena_stats().unwrap();
    eprintln!("arena after 12 page sizes: {arena:?}, worst reserve/peak {worst:.2}");
    assert!(MemorySample::now(&gauges).arena_free_limit_bytes > 0, "the memory panel sees the policy's bound");
}
