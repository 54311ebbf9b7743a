//! Long PDFs open as windows of their pages: every page renders, with its text layer, exactly as it does from
//! the whole document, and pdfium no longer holds more the further into the document a page is.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use folio_engine::document::page_tree::{PageTree, PageTreeError};
use folio_engine::document::source::{self, Document, OpenOptions};
use folio_engine::memory::MemoryGauges;
use folio_engine::render::TextLayerRead;
use folio_engine::{RecyclePolicy, RenderOptions, RenderSize, Renderer};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures").join(name)
}

/// Tests here run one at a time: one renderer's pdfium at work.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner())
}

fn renderer(window_pages: u32) -> Renderer {
    let policy = RecyclePolicy { window_pages, ..RecyclePolicy::default() };
    Renderer::start(RenderOptions::default(), policy, Arc::new(MemoryGauges::default()))
}

fn assert_same_pages(document: &Document, pages: impl IntoIterator<Item = usize>, whole: &Renderer, windows: &Renderer) {
    for page in pages {
        let size = RenderSize::Dpi(40.0);
        let a = whole.render_with_text(document, page, size, TextLayerRead::All).unwrap();
        let b = windows.render_with_text(document, page, size, TextLayerRead::All).unwrap();
        assert_eq!((a.width, a.height), (b.width, b.height), "page {}: size", page + 1);
        assert!(a.rgb == b.rgb, "page {}: pixels differ between the whole document and its window", page + 1);
        let (ta, tb) = (a.text_layer.unwrap(), b.text_layer.unwrap());
        assert_eq!(format!("{:?}", ta.lines), format!("{:?}", tb.lines), "page {}: text layer", page + 1);
    }
}

#[test]
fn a_nested_page_tree_renders_the_same_in_windows_with_inherited_sizes_and_rotation() {
    let _serial = serial();
    // Classic cross-reference table, junk before the header, three intermediate nodes: the second gives
    // its pages a landscape paper size, the third a rotation, the root the fonts every page uses.
    let path = fixture("page-tree.pdf");
    let document = source::open_file(&path, &OpenOptions::default()).unwrap();
    assert_eq!(document.page_count(), 150);
    let tree = PageTree::read(&path).unwrap();
    assert_eq!(tree.len(), 150);
    let (whole, windows) = (renderer(0), renderer(16));
    assert_same_pages(&document, 0..150, &whole, &windows);
    let stats = windows.stats();
    assert_eq!(whole.stats().window_opens, 0);
    assert!(stats.window_opens >= 150 / 16, "every window past the first opened as a window: {stats:?}");
    // Pages of the second group are landscape, of the third turned: the inherited attributes came through.
    let landscape = windows.render(&document, 60, RenderSize::Dpi(72.0)).unwrap();
    assert_eq!((landscape.width, landscape.height), (842, 595));
    let turned = windows.render(&document, 120, RenderSize::Dpi(72.0)).unwrap();
    assert_eq!((turned.width, turned.height), (792, 612));
}

#[test]
fn a_manual_with_cross_reference_streams_renders_the_same_in_windows() {
    let _serial = serial();
    let path = fixture("real/source2e.pdf");
    let document = source::open_file(&path, &OpenOptions::default()).unwrap();
    let (whole, windows) = (renderer(0), renderer(64));
    let last = document.page_count() - 1;
    assert_same_pages(&document, [0, 63, 64, 700, last - 1, last], &whole, &windows);
    assert!(windows.stats().window_opens >= 3, "{:?}", windows.stats());
}

#[test]
fn pdfium_holds_as_little_for_the_last_page_as_for_the_first() {
    let _serial = serial();
    // One page rendered alone in a fresh renderer. From the whole document, pdfium keeps every page
    // dictionary it walked past to reach the page (about 9 KB a page in this manual); from a window, only the
    // window's.
    let path = fixture("real/source2e.pdf");
    let document = source::open_file(&path, &OpenOptions::default()).unwrap();
    let held = |window_pages: u32, page: usize| {
        let renderer = renderer(window_pages);
        renderer.render(&document, page, RenderSize::Dpi(72.0)).unwrap();
        renderer.stats().pdfium_bytes as f64 / (1 << 20) as f64
    };
    let last = document.page_count() - 1;
    let (first_page, whole_last, window_last) = (held(0, 0), held(0, last), held(64, last));
    eprintln!("pdfium after page 1: {first_page:.2} MB; after page {}: {whole_last:.2} MB whole, {window_last:.2} MB in a window", last + 1);
    assert!(whole_last > first_page + 4.0, "the walk's cost shows from the whole document");
    assert!(window_last < first_page + 2.0, "a window holds about what the first page does");
}

#[test]
fn documents_that_cannot_be_listed_say_why() {
    let _serial = serial();
    assert!(matches!(PageTree::read(&fixture("bad/encrypted.pdf")), Err(PageTreeError::Encrypted | PageTreeError::Parse(_))));
    assert!(PageTree::read(&fixture("bad/truncated.pdf")).is_err());
    assert!(PageTree::read(&fixture("bad/random-bytes.pdf")).is_err());
}

#[test]
fn a_file_changed_after_listing_is_listed_again() {
    let _serial = serial();
    let dir = std::env::temp_dir().join(format!("folio-page-tree-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("tree.pdf");
    std::fs::copy(fixture("page-tree.pdf"), &path).unwrap();
    let tree = PageTree::read(&path).unwrap();
    assert!(tree.window(16, 16).is_ok());
    let mut bytes = std::fs::read(&path).unwrap();
    bytes.extend_from_slice(b"\n% appended\n");
    std::fs::write(&path, bytes).unwrap();
    assert!(matches!(tree.window(16, 16), Err(PageTreeError::Changed)));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_viewer_and_a_job_in_different_windows_do_not_reopen_each_other() {
    let _serial = serial();
    let document = source::open_file(&fixture("page-tree.pdf"), &OpenOptions::default()).unwrap();
    let windows = renderer(16);
    // A job walks pages 100-129 while a viewer turns pages 20-34, one request each in turn.
    for i in 0..30 {
        windows.render(&document, 100 + i, RenderSize::Dpi(20.0)).unwrap();
        windows.render(&document, 20 + i / 2, RenderSize::Dpi(20.0)).unwrap();
    }
    let stats = windows.stats();
    // Windows 96-111, 112-127, 128-143 for the job and 16-31, 32-47 for the viewer: five opens, no more.
    assert_eq!(stats.opens, 5, "{stats:?}");
}

#[test]
fn a_file_updated_with_a_table_renders_its_updated_page_order_in_windows() {
    let _serial = serial();
    // page-tree.pdf plus an incremental update (a classic table, as form fillers and signers append) that
    // gives the root its three groups in reverse order: the turned pages come first now.
    let original = std::fs::read(fixture("page-tree.pdf")).unwrap();
    let text = String::from_utf8_lossy(&original);
    let header = text.find("%PDF-").unwrap();
    let root = text.find("\n3 0 obj\n").expect("the generator's root node is object 3");
    let line = &text[root + 9..root + 9 + text[root + 9..].find('\n').unwrap()];
    let reversed = line.replace("[4 0 R 85 0 R 186 0 R]", "[186 0 R 85 0 R 4 0 R]");
    assert_ne!(line, reversed, "the root lists the three groups");
    let last_xref: String = text[text.rfind("startxref").unwrap() + 9..].trim().chars().take_while(char::is_ascii_digit).collect();
    let size: String = text[text.rfind("/Size ").unwrap() + 6..].chars().take_while(char::is_ascii_digit).collect();
    let mut bytes = original.clone();
    let node_at = bytes.len() + 1 - header;
    bytes.extend_from_slice(format!("\n3 0 obj\n{reversed}\nendobj\n").as_bytes());
    let xref_at = bytes.len() - header;
    bytes.extend_from_slice(
        format!(
            "xref\n0 1\n0000000000 65535 f\r\n3 1\n{node_at:010} 00000 n\r\ntrailer\n<< /Size {size} /Root {} 0 R /Prev {last_xref} >>\nstartxref\n{xref_at}\n%%EOF\n",
            text[text.rfind("/Root ").unwrap() + 6..].split_whitespace().next().unwrap()
        )
        .as_bytes(),
    );
    let dir = std::env::temp_dir().join(format!("folio-page-tree-update-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("updated.pdf");
    std::fs::write(&path, bytes).unwrap();

    let document = source::open_file(&path, &OpenOptions::default()).unwrap();
    assert_eq!(document.page_count(), 150);
    let (whole, windows) = (renderer(0), renderer(16));
    assert_same_pages(&document, 0..150, &whole, &windows);
    assert!(windows.stats().window_opens > 0, "a file updated with tables is listed: {:?}", windows.stats());
    let first = windows.render(&document, 0, RenderSize::Dpi(72.0)).unwrap();
    assert_eq!((first.width, first.height), (792, 612), "the update's order: a turned page first");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn closing_every_document_empties_pdfiums_caches_and_the_next_page_reopens_its_window() {
    let _serial = serial();
    let document = source::open_file(&fixture("page-tree.pdf"), &OpenOptions::default()).unwrap();
    let windows = renderer(16);
    let before = windows.render(&document, 100, RenderSize::Dpi(20.0)).unwrap();
    assert!(windows.stats().pdfium_bytes > 0);
    windows.close_documents();
    let closed = windows.stats();
    assert_eq!(closed.opens, 1);
    // What stays is the page list kept for the next open (8 bytes a page, 150 pages, and its record).
    assert!(closed.pdfium_bytes < 4096, "pdfium's caches went with the document: {closed:?}");
    let after = windows.render(&document, 100, RenderSize::Dpi(20.0)).unwrap();
    assert_eq!(windows.stats().opens, 2, "the next page opened its window again");
    assert!(before.rgb == after.rgb);
}
