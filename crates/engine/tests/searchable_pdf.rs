//! The searchable PDF export on a scanned PDF: pages of a real manual rendered to images and written as an
//! image-only PDF, read by the real OCR models, stored in a real store, exported with an invisible text
//! layer, and read back with pdfium. The text read back is the stored OCR text (word F1 ≥ 0.98), each word
//! lies inside its line's box, and the pages render exactly as the original's at 72 dpi.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use folio_engine::document::source::{self, OpenOptions};
use folio_engine::export::{self, Format};
use folio_engine::memory::MemoryGauges;
use folio_engine::models::{ModelHub, SessionOptions};
use folio_engine::pipeline::{PageResult, Pipeline, PipelineOptions, Stage};
use folio_engine::render::TextLayerRead;
use folio_engine::stages::LineSource;
use folio_engine::store::Store;
use folio_engine::text::score::word_score;
use folio_engine::text::{Route, TextLayerMode};
use folio_engine::{RecyclePolicy, RenderOptions, RenderSize, Renderer};
use pdfium_render::prelude::*;

const DPI: f32 = 150.0;

fn manual() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/real/clsguide.pdf")
}

/// Pages of `original` rendered at `DPI` and written as an image-only PDF of the same page size.
fn scanned_pdf(renderer: &Renderer, original: &Path, pages: &[usize], out: &Path) {
    let document = source::open_file(original, &OpenOptions::default()).unwrap();
    let pdfium = folio_engine::native::pdfium().unwrap();
    let mut pdf = pdfium.create_new_pdf().unwrap();
    for &page in pages {
        let image = image::DynamicImage::ImageRgb8(renderer.render(&document, page - 1, RenderSize::Dpi(DPI)).unwrap().into_rgb_image());
        let (w, h) = (image.width() as f32 * 72.0 / DPI, image.height() as f32 * 72.0 / DPI);
        let mut pdf_page = pdf.pages_mut().create_page_at_end(PdfPagePaperSize::Custom(PdfPoints::new(w), PdfPoints::new(h))).unwrap();
        let object = PdfPageImageObject::new_with_size(&pdf, &image, PdfPoints::new(w), PdfPoints::new(h)).unwrap();
        pdf_page.objects_mut().add_image_object(object).unwrap();
        pdf_page.regenerate_content().unwrap();
    }
    pdf.save_to_file(out).unwrap();
}

fn ocr(renderer: &Renderer, hub: &Arc<ModelHub>, path: &Path, pages: usize) -> Vec<PageResult> {
    let document = source::open_file(path, &OpenOptions::default()).unwrap();
    let options = PipelineOptions { stages: vec![Stage::Ocr], text_layer: TextLayerMode::Auto, ..PipelineOptions::default() };
    let pipeline = Pipeline::new(Arc::clone(hub), options);
    (0..pages)
        .map(|i| {
            let rendered = renderer.render_with_text(&document, i, RenderSize::Dpi(DPI), TextLayerRead::for_mode(TextLayerMode::Auto, true)).unwrap();
            let page = pipeline.rendered_page(path.display().to_string(), i + 1, DPI, rendered);
            let mut result = pipeline.process(vec![page]).remove(0);
            result.doc_hash = document.content_hash().unwrap();
            result
        })
        .collect()
}

fn render_72(path: &Path, page: usize) -> Vec<u8> {
    let pdfium = folio_engine::native::pdfium().unwrap();
    let pdf = pdfium.load_pdf_from_file(path, None).unwrap();
    let page = pdf.pages().get(page as PdfPageIndex).unwrap();
    let config = PdfRenderConfig::new().scale_page_by_factor(1.0);
    let bytes = page.render_with_config(&config).unwrap().as_rgba_bytes();
    bytes
}

#[test]
fn a_scanned_pdf_exported_as_pdf_is_searchable_and_looks_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let gauges = Arc::new(MemoryGauges::default());
    let renderer = Renderer::start(RenderOptions::default(), RecyclePolicy::default(), Arc::clone(&gauges));
    let hub = Arc::new(ModelHub::new(SessionOptions::default(), gauges));
    let scan = dir.path().join("scan.pdf");
    scanned_pdf(&renderer, &manual(), &[3, 4], &scan);

    let results = ocr(&renderer, &hub, &scan, 2);
    assert!(results.iter().all(|r| r.route == Some(Route::Ocr) && r.lines.len() > 10), "both pages go to OCR and find lines");
    let store = Store::open(&dir.path().join("folio.sqlite")).unwrap();
    store.register(&source::open_file(&scan, &OpenOptions::default()).unwrap()).unwrap();
    for result in &results {
        store.put_page(None, result).unwrap();
    }
    let record = store.resolve_document(scan.to_str().unwrap()).unwrap().unwrap();
    let out = dir.path().join("searchable.pdf");
    let written = export::export_to_path(&store, &record, Format::Pdf, &out).unwrap();
    let report = written.pdf.unwrap();
    assert_eq!((report.pages, report.pages_with_ocr_text), (2, 2));

    let pdfium = folio_engine::native::pdfium().unwrap();
    let pdf = pdfium.load_pdf_from_file(&out, None).unwrap();
    for (i, result) in results.iter().enumerate() {
        let page = pdf.pages().get(i as PdfPageIndex).unwrap();
        let read_back = page.text().unwrap().all();
        let stored: Vec<&str> = result.lines.iter().filter(|l| l.source == LineSource::Ocr).map(|l| l.text.as_str()).collect();
        let scores = word_score(&stored.join("\n"), &read_back);
        if std::env::var_os("FOLIO_SHOW").is_some() { println!("READ {read_back}\nSTORED {}", stored.join("\n")); }
        println!("page {}: word F1 {:.4} (precision {:.4}, recall {:.4}), {} words", i + 1, scores.f1, scores.precision, scores.recall, report.words);
        assert!(scores.f1 >= 0.98, "page {}: the text read back is the stored OCR text (F1 {:.4})", i + 1, scores.f1);

        // Every invisible word lies inside its line's box (pixels at DPI, 2 px slack for rounding).
        let height_pt = page.height().value;
        let to_px = |x: f32, y: f32| [x * DPI / 72.0, (height_pt - y) * DPI / 72.0];
        let words: Vec<(String, [f32; 4])> = page
            .objects()
            .iter()
            .filter_map(|o| o.as_text_object().map(|t| (t.text(), o.bounds().unwrap())))
            .map(|(text, b)| {
                let (a, c) = (to_px(b.left().value, b.top().value), to_px(b.right().value, b.bottom().value));
                (text, [a[0], a[1], c[0], c[1]])
            })
            .collect();
        let expected: Vec<(&str, [f32; 4])> = result
            .lines
            .iter()
            .filter(|l| l.source == LineSource::Ocr)
            .flat_map(|l| l.words.iter().filter(|w| !w.text.trim().is_empty()).map(move |w| (w.text.as_str(), folio_engine::stages::polygon_bbox(&l.polygon))))
            .collect();
        assert_eq!(words.len(), expected.len(), "one text object per word");
        for ((text, bounds), (word, line)) in words.iter().zip(&expected) {
            // pdfium reads a hyphen that ends a line as its soft-hyphen mark.
            assert_eq!(text.trim_end().replace('\u{2}', "-"), *word);
            let slack = 2.0;
            assert!(
                bounds[0] >= line[0] - slack && bounds[2] <= line[2] + slack && bounds[1] >= line[1] - slack && bounds[3] <= line[3] + slack,
                "'{word}' at {bounds:?} is outside its line {line:?}"
            );
        }
        assert_eq!(render_72(&scan, i), render_72(&out, i), "page {} renders as the original", i + 1);
    }
}
