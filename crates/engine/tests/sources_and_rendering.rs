//! Opening and rendering the committed fixtures with the real pdfium and `image`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use folio_engine::library::LibraryOptions;
use folio_engine::memory::MemoryGauges;
use folio_engine::document::source::{self, OpenOptions};
use folio_engine::{DocumentKind, Error, Library, RecyclePolicy, RenderOptions, RenderSize, Renderer};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures").join(name)
}

fn renderer(policy: RecyclePolicy) -> Renderer {
    Renderer::start(RenderOptions::default(), policy, Arc::new(MemoryGauges::default()))
}

fn dark_pixels(rgb: &[u8]) -> usize {
    rgb.chunks_exact(3).filter(|p| p.iter().map(|&c| c as u32).sum::<u32>() < 300).count()
}

#[test]
fn a_pdf_opens_with_page_count_and_sizes_without_rendering() {
    let doc = source::open_file(&fixture("mixed-sizes.pdf"), &OpenOptions::default()).unwrap();
    assert_eq!(doc.kind, DocumentKind::Pdf);
    let sizes: Vec<(i32, i32)> = doc.pages.iter().map(|p| (p.width_pt.round() as i32, p.height_pt.round() as i32)).collect();
    assert_eq!(sizes, [(595, 842), (792, 612), (612, 792), (300, 300)]);
}

#[test]
fn each_kind_of_bad_input_gets_its_own_error() {
    let open = |name: &str| source::open_file(&fixture(name), &OpenOptions::default());
    assert!(matches!(open("bad/encrypted.pdf"), Err(Error::Encrypted { .. })), "{:?}", open("bad/encrypted.pdf"));
    assert!(matches!(open("bad/truncated.pdf"), Err(Error::CorruptPdf { .. })));
    assert!(matches!(open("bad/random-bytes.pdf"), Err(Error::CorruptPdf { .. })));
    assert!(matches!(open("bad/empty.pdf"), Err(Error::Empty { .. })));
    assert!(matches!(open("bad/notes.txt"), Err(Error::Unsupported { .. })));
    match open("bad/bomb.png") {
        Err(Error::ImageTooLarge { width: 100_000, height: 100_000, .. }) => {}
        other => panic!("a decompression bomb must be refused from its header, got {other:?}"),
    }
    let dir = tempfile::tempdir().unwrap();
    let dangling = dir.path().join("gone.pdf");
    std::os::unix::fs::symlink(dir.path().join("nowhere.pdf"), &dangling).unwrap();
    assert!(matches!(source::open_file(&dangling, &OpenOptions::default()), Err(Error::Unreadable { .. })));
    let message = open("bad/encrypted.pdf").unwrap_err().to_string();
    assert!(message.contains("encrypted.pdf") && message.contains("password"), "{message}");
}

#[test]
fn a_folder_with_bad_files_still_opens_the_rest() {
    let opened = source::open_path(&fixture("bad"), &OpenOptions::default());
    let names: Vec<&str> = opened.documents.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(names, ["good.pdf"]);
    assert_eq!(opened.documents[0].page_count(), 2);
    let mut failed: Vec<String> =
        opened.problems.iter().map(|p| p.path.file_name().unwrap().to_string_lossy().into_owned()).collect();
    failed.sort();
    assert_eq!(failed, ["bomb.png", "empty.pdf", "encrypted.pdf", "notes.txt", "random-bytes.pdf", "truncated.pdf"]);
}

#[test]
fn a_folder_of_scans_is_one_document_in_natural_order_recognised_by_content() {
    let opened = source::open_path(&fixture("scans"), &OpenOptions::default());
    assert_eq!(opened.documents.len(), 1);
    let doc = &opened.documents[0];
    assert_eq!(doc.kind, DocumentKind::ImageFolder);
    let files: Vec<String> = doc.page_files.iter().map(|p| p.strip_prefix(fixture("scans")).unwrap().display().to_string()).collect();
    assert_eq!(files, ["page1.png", "page2.jpg", "page3.tiff", "page4.dat", "page10.webp", "part2/page11.bmp"]);
    assert_eq!(opened.problems.len(), 1, "readme.txt is skipped with a reason");
    assert!(opened.problems[0].message.contains("not a PDF or a supported image"));
}

#[test]
fn pdf_pages_render_at_the_asked_dpi_with_content() {
    let doc = source::open_file(&fixture("three-pages.pdf"), &OpenOptions::default()).unwrap();
    let renderer = renderer(RecyclePolicy::default());
    let page = renderer.render(&doc, 0, RenderSize::Dpi(72.0)).unwrap();
    assert_eq!((page.width, page.height), (612, 792));
    assert_eq!(page.rgb.len(), 612 * 792 * 3);
    assert!(dark_pixels(&page.rgb) > 2_000, "text and rules are drawn");
    let thumb = renderer.render(&doc, 2, RenderSize::Width(160)).unwrap();
    assert_eq!((thumb.width, thumb.height), (160, 207));
    assert!(matches!(renderer.render(&doc, 3, RenderSize::Dpi(72.0)), Err(Error::PageOutOfRange { page: 4, count: 3, .. })));
}

#[test]
fn a_hostile_page_size_is_capped() {
    let doc = source::open_file(&fixture("huge-page.pdf"), &OpenOptions::default()).unwrap();
    let renderer = Renderer::start(
        RenderOptions { max_pixels: 4_000_000, ..RenderOptions::default() },
        RecyclePolicy::default(),
        Arc::new(MemoryGauges::default()),
    );
    let page = renderer.render(&doc, 0, RenderSize::Dpi(150.0)).unwrap();
    assert!(page.capped);
    assert!(page.width as u64 * page.height as u64 <= 4_000_000);
    assert_eq!(page.width, page.height);
}

#[test]
fn image_pages_render_and_scale() {
    let opened = source::open_path(&fixture("scans"), &OpenOptions::default());
    let doc = &opened.documents[0];
    let renderer = renderer(RecyclePolicy::default());
    for page in 0..doc.page_count() {
        let native = renderer.render(doc, page, RenderSize::Dpi(150.0)).unwrap();
        let expected_w = (doc.pages[page].width_pt / source::IMAGE_POINTS_PER_PIXEL).round() as u32;
        assert_eq!(native.width, expected_w, "page {page} renders at its own pixel size");
        assert!(dark_pixels(&native.rgb) > 100, "page {page} has its drawn content");
        let small = renderer.render(doc, page, RenderSize::Width(160)).unwrap();
        assert_eq!(small.width, 160);
    }
}

#[test]
fn recycling_reopens_the_document_and_renders_identically() {
    let doc = source::open_file(&fixture("three-pages.pdf"), &OpenOptions::default()).unwrap();
    let recycling = renderer(RecyclePolicy { every_pages: 5, ..RecyclePolicy::default() });
    let keeping = renderer(RecyclePolicy::never());
    for i in 0..30 {
        let a = recycling.render(&doc, i % 3, RenderSize::Dpi(50.0)).unwrap();
        let b = keeping.render(&doc, i % 3, RenderSize::Dpi(50.0)).unwrap();
        assert_eq!(a.rgb, b.rgb, "render {i} differs after recycling");
    }
    assert_eq!(recycling.stats().recycles, 5, "30 pages at every 5 pages: 5 reopens after the first open");
    assert_eq!(recycling.stats().opens, 6);
    assert_eq!(keeping.stats().recycles, 0);
    assert_eq!(keeping.stats().opens, 1);
}

#[test]
fn the_library_serves_pages_from_a_bounded_cache_it_reports() {
    let gauges = Arc::new(MemoryGauges::default());
    let library = Library::new(LibraryOptions { page_cache_bytes: 1 << 20, ..LibraryOptions::default() }, Arc::clone(&gauges));
    let snapshot = library.open_paths(&[fixture("three-pages.pdf"), fixture("bad"), fixture("three-pages.pdf")]);
    let names: Vec<&str> = snapshot.documents.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(names, ["three-pages.pdf", "good.pdf"], "opening the same file twice lists it once");
    assert_eq!(snapshot.problems.len(), 6);
    let id = snapshot.documents[0].id;

    let first = library.page_png(id, 0, 160).unwrap();
    assert_eq!(&first[1..4], b"PNG");
    let again = library.page_png(id, 0, 160).unwrap();
    assert!(Arc::ptr_eq(&first, &again), "the second request is served from the cache");
    let cached = gauges.page_cache_bytes.load(std::sync::atomic::Ordering::Relaxed);
    assert_eq!(cached as usize, first.len());
    for page in 0..3 {
        library.page_png(id, page, 1200).unwrap();
    }
    let cached = gauges.page_cache_bytes.load(std::sync::atomic::Ordering::Relaxed);
    assert!(cached <= 1 << 20, "the cache stays within its bound ({cached} bytes)");
    assert!(matches!(library.page_png(999, 0, 160), Err(Error::UnknownDocument(999))));
}
