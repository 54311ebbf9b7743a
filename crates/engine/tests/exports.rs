//! Every export format written from a real store file: golden files for a fixture page set (regions, OCR
//! lines with words, a spanning table, a figure), XML that parses, and document text with markup in it
//! (`<script>`, `&`) that comes out as text in every format. Set `FOLIO_UPDATE_GOLDEN=1` to rewrite the
//! golden files after a deliberate change, and read the diff.

use std::path::{Path, PathBuf};

use folio_engine::document::source::{open_path, Document, OpenOptions};
use folio_engine::export::{self, Format};
use folio_engine::pipeline::{Outcome, PageResult, StageOutcome};
use folio_engine::stages::{LayoutRegion, LineSource, OcrLine, Quad, Table, TableCell, Word};
use folio_engine::store::Store;
use quick_xml::events::Event;

const HOSTILE: &str = "<script>alert('x')</script> & Co";

fn quad(x0: f32, y0: f32, x1: f32, y1: f32) -> Quad {
    [[x0, y0], [x1, y0], [x1, y1], [x0, y1]]
}

fn line(text: &str, x0: f32, y0: f32, x1: f32, y1: f32, source: LineSource) -> OcrLine {
    let count = text.split_whitespace().count() as f32;
    let step = (x1 - x0) / count.max(1.0);
    let words = text
        .split_whitespace()
        .enumerate()
        .map(|(i, w)| Word { text: w.into(), polygon: quad(x0 + step * i as f32, y0, x0 + step * (i as f32 + 0.9), y1), score: 0.9 })
        .collect();
    OcrLine { text: text.into(), score: 0.875, polygon: quad(x0, y0, x1, y1), source, words }
}

/// Two pages: a title, a paragraph with markup in its text, a figure with a caption, a spanning table; a
/// second page with lines but no layout.
fn pages(document: &Document) -> Vec<PageResult> {
    let hash = document.content_hash().unwrap();
    let mut first = PageResult::empty(document.path.display().to_string(), 1, 150.0);
    first.doc_hash = hash.clone();
    (first.width, first.height) = (600, 800);
    first.lines = vec![
        line("Getting started", 50.0, 40.0, 300.0, 70.0, LineSource::Ocr),
        line(HOSTILE, 50.0, 100.0, 500.0, 120.0, LineSource::Ocr),
        line("# not a heading", 50.0, 125.0, 300.0, 145.0, LineSource::Ocr),
        line("Figure 1: a chart", 50.0, 420.0, 300.0, 440.0, LineSource::Ocr),
        line("Header", 50.0, 5.0, 150.0, 20.0, LineSource::Ocr),
    ];
    first.regions = vec![
        LayoutRegion { class: "header".into(), bbox: [40.0, 0.0, 200.0, 25.0], score: 0.9, text: "Header".into() },
        LayoutRegion { class: "title".into(), bbox: [40.0, 30.0, 320.0, 80.0], score: 0.9, text: "Getting started".into() },
        LayoutRegion { class: "text".into(), bbox: [40.0, 90.0, 520.0, 150.0], score: 0.9, text: format!("{HOSTILE}\n# not a heading") },
        LayoutRegion { class: "figure".into(), bbox: [40.0, 200.0, 520.0, 400.0], score: 0.9, text: String::new() },
        LayoutRegion { class: "figure_caption".into(), bbox: [40.0, 410.0, 320.0, 450.0], score: 0.9, text: "Figure 1: a chart".into() },
        LayoutRegion { class: "table".into(), bbox: [40.0, 500.0, 520.0, 700.0], score: 0.9, text: String::new() },
    ];
    first.tables = vec![Table {
        bbox: [40.0, 500.0, 520.0, 700.0],
        html: "<html><body><table><tr><td colspan=\"2\">Total & <b>sum</b></td></tr><tr><td>a|b</td><td><script>x</script></td></tr></table></body></html>".into(),
        cells: vec![TableCell { polygon: quad(40.0, 500.0, 520.0, 600.0), text: "Total & sum".into() , row: 0, col: 0, row_span: 1, col_span: 1 }],
    }];
    first.outcomes = vec![StageOutcome { stage: "ocr".into(), outcome: Outcome::Done, ms: 1.0 }];
    let mut second = PageResult::empty(document.path.display().to_string(), 2, 150.0);
    second.doc_hash = hash;
    (second.width, second.height) = (600, 800);
    second.lines = vec![line("Plain lines only", 50.0, 40.0, 300.0, 70.0, LineSource::Ocr), line("from the text layer", 50.0, 80.0, 300.0, 100.0, LineSource::Pdf)];
    second.outcomes = vec![StageOutcome { stage: "ocr".into(), outcome: Outcome::Done, ms: 1.0 }];
    vec![first, second]
}

fn fixture(dir: &Path) -> (Store, folio_engine::store::DocumentRecord) {
    let folder = dir.join("scans");
    std::fs::create_dir_all(&folder).unwrap();
    for (i, shade) in [200u8, 220].iter().enumerate() {
        image::RgbImage::from_pixel(600, 800, image::Rgb([*shade; 3])).save(folder.join(format!("page-{}.png", i + 1))).unwrap();
    }
    let document = open_path(&folder, &OpenOptions::default()).documents.remove(0);
    let store = Store::open(&dir.join("folio.sqlite")).unwrap();
    store.register(&document).unwrap();
    for page in pages(&document) {
        store.put_page(None, &page).unwrap();
    }
    let record = store.find_document(&document.content_hash().unwrap()).unwrap().unwrap();
    (store, record)
}

fn exported(store: &Store, record: &folio_engine::store::DocumentRecord, format: Format, dir: &Path) -> String {
    let mut out = Vec::new();
    export::export(store, record, format, &mut out).unwrap();
    String::from_utf8(out).unwrap().replace(&dir.display().to_string(), "DIR")
}

fn golden(name: &str, actual: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/golden/exports").join(name);
    if std::env::var_os("FOLIO_UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e} (FOLIO_UPDATE_GOLDEN=1 writes it)", path.display()));
    assert_eq!(actual, expected, "{name} differs from its golden file");
}

/// The text of an XML document (a space at each element), every attribute decoded, and the element names;
/// panics if it does not parse.
fn xml_texts(xml: &str) -> (String, Vec<(String, String)>, Vec<String>) {
    let mut reader = quick_xml::Reader::from_str(xml);
    let (mut text, mut attributes, mut elements) = (String::new(), Vec::new(), Vec::new());
    loop {
        match reader.read_event().unwrap_or_else(|e| panic!("not well-formed XML at {}: {e}", reader.buffer_position())) {
            Event::Eof => break,
            Event::Start(e) | Event::Empty(e) => {
                text.push(' ');
                for a in e.attributes() {
                    let a = a.unwrap();
                    let value = quick_xml::escape::unescape(a.value.as_ref()).unwrap().into_owned();
                    attributes.push((AsRef::<str>::as_ref(&a.key).to_string(), value));
                }
                elements.push(AsRef::<str>::as_ref(&e.name()).to_string());
            }
            Event::Text(t) => text.push_str(&t.xml10_content()),
            Event::GeneralRef(r) => text.push_str(&quick_xml::escape::unescape(&format!("&{};", r.into_inner())).unwrap()),
            _ => {}
        }
    }
    (text, attributes, elements)
}

#[test]
fn markdown_matches_its_golden_file_and_keeps_markup_as_text() {
    let dir = tempfile::tempdir().unwrap();
    let (store, record) = fixture(dir.path());
    let md = exported(&store, &record, Format::Md, dir.path());
    golden("fixture.md", &md);
    assert!(md.contains("## Getting started"), "{md}");
    assert!(!md.contains("<script>") && md.contains("&lt;script&gt;"), "{md}");
    assert!(md.contains("<!-- page 1 -->") && md.contains("<!-- page 2 -->"));
    assert!(!md.contains("Header"), "page headers are left out: {md}");
    assert!(md.contains("*[Figure on page 1]*") && md.contains("*Figure 1: a chart*"));
    assert!(md.contains("<td colspan=\"2\">Total &amp; sum</td>"), "a spanning table is HTML, its text escaped: {md}");
}

#[test]
fn hocr_parses_as_xml_with_a_box_on_every_element_and_words_as_text() {
    let dir = tempfile::tempdir().unwrap();
    let (store, record) = fixture(dir.path());
    let hocr = exported(&store, &record, Format::Hocr, dir.path());
    golden("fixture.hocr", &hocr);
    let (words, attributes, _) = xml_texts(&hocr);
    let classes: Vec<&str> = attributes.iter().filter(|(k, _)| k == "class").map(|(_, v)| v.as_str()).collect();
    assert_eq!(classes.iter().filter(|c| **c == "ocr_page").count(), 2);
    for class in ["ocr_carea", "ocr_par", "ocr_line", "ocrx_word"] {
        assert!(classes.contains(&class), "{class} missing");
    }
    let titles: Vec<&str> = attributes.iter().filter(|(k, _)| k == "title").map(|(_, v)| v.as_str()).collect();
    assert!(titles.iter().all(|t| t.contains("bbox ")), "every element has a bbox");
    assert!(titles.iter().any(|t| t.contains("x_wconf 90")), "word confidence");
    assert!(words.contains("<script>alert('x')</script>") && words.contains("&"), "the text comes back as it was: {words}");
    assert!(!hocr.contains("<script>"), "never as markup");
}

#[test]
fn alto_parses_with_strings_for_every_word() {
    let dir = tempfile::tempdir().unwrap();
    let (store, record) = fixture(dir.path());
    let alto = exported(&store, &record, Format::Alto, dir.path());
    golden("fixture.alto.xml", &alto);
    let (_, attributes, elements) = xml_texts(&alto);
    assert_eq!(elements.iter().filter(|e| *e == "Page").count(), 2);
    for element in ["PrintSpace", "TextBlock", "TextLine", "String", "SP"] {
        assert!(elements.iter().any(|e| e == element), "{element} missing");
    }
    let contents: Vec<&str> = attributes.iter().filter(|(k, _)| k == "CONTENT").map(|(_, v)| v.as_str()).collect();
    assert_eq!(contents.join(" ").matches("<script>alert('x')</script>").count(), 1, "{contents:?}");
    assert_eq!(contents.iter().filter(|c| **c == "&").count(), 1);
    for attribute in ["HPOS", "VPOS", "WIDTH", "HEIGHT", "WC"] {
        assert!(attributes.iter().any(|(k, _)| k == attribute), "{attribute} missing");
    }
    assert!(!alto.contains("<script>"));
    if let Some(schema) = std::env::var_os("FOLIO_ALTO_XSD") {
        let file = dir.path().join("fixture.alto.xml");
        std::fs::write(&file, &alto).unwrap();
        let status = std::process::Command::new("xmllint").arg("--noout").arg("--schema").arg(schema).arg(&file).status().unwrap();
        assert!(status.success(), "ALTO validates against its v4 schema");
    }
}

#[test]
fn csv_writes_each_table_as_a_file_with_spans_laid_out() {
    let dir = tempfile::tempdir().unwrap();
    let (store, record) = fixture(dir.path());
    let folder = dir.path().join("tables");
    let written = export::export_to_path(&store, &record, Format::Csv, &folder).unwrap();
    assert_eq!(written.files, vec![folder.join("page-0001-table-1.csv")]);
    let csv = std::fs::read_to_string(&written.files[0]).unwrap();
    golden("page-0001-table-1.csv", &csv);
    assert_eq!(csv, "Total & sum,\na|b,<script>x</script>\n");
}

#[test]
fn json_carries_page_size_and_words() {
    let dir = tempfile::tempdir().unwrap();
    let (store, record) = fixture(dir.path());
    let json: serde_json::Value = serde_json::from_str(&exported(&store, &record, Format::Json, dir.path())).unwrap();
    assert_eq!(json["pages"][0]["width"], 600);
    assert_eq!(json["pages"][0]["lines"][1]["words"][0]["text"], "<script>alert('x')</script>");
}

#[test]
fn an_export_that_fails_leaves_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let (store, record) = fixture(dir.path());
    std::fs::remove_dir_all(dir.path().join("scans")).unwrap();
    let target = dir.path().join("out.pdf");
    let error = export::export_to_path(&store, &record, Format::Pdf, &target).unwrap_err();
    assert!(error.to_string().contains("not at"), "{error}");
    assert!(!target.exists());
    assert!(std::fs::read_dir(dir.path()).unwrap().all(|e| !e.unwrap().file_name().to_string_lossy().contains("partial")));
}

#[test]
fn a_preview_stops_at_its_size_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let (store, record) = fixture(dir.path());
    let whole = export::preview(&store, &record, Format::Md, 1 << 20).unwrap();
    assert_eq!(whole, exported(&store, &record, Format::Md, dir.path()).replace("DIR", &dir.path().display().to_string()));
    let cut = export::preview(&store, &record, Format::Md, 40).unwrap();
    assert!(cut.starts_with(&whole[..40]) && cut.contains("the preview shows the first"), "{cut}");
}

#[test]
fn a_folder_of_page_images_becomes_a_searchable_pdf() {
    let dir = tempfile::tempdir().unwrap();
    let (store, record) = fixture(dir.path());
    let target = dir.path().join("scans.pdf");
    let written = export::export_to_path(&store, &record, Format::Pdf, &target).unwrap();
    let report = written.pdf.unwrap();
    assert_eq!((report.pages, report.pages_with_ocr_text), (2, 2), "text-layer lines are not written again, OCR lines are");
    let pdfium = folio_engine::native::pdfium().unwrap();
    let pdf = pdfium.load_pdf_from_file(&target, None).unwrap();
    assert_eq!(pdf.pages().len(), 2);
    let first = pdf.pages().get(0).unwrap().text().unwrap().all();
    assert!(first.contains("Getting started") && first.contains("<script>alert('x')</script>"), "{first}");
    let second = pdf.pages().get(1).unwrap().text().unwrap().all();
    assert!(second.contains("Plain lines only") && !second.contains("from the text layer"), "{second}");
}
