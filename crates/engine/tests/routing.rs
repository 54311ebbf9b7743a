//! Per-page text routing on PDFs written here, one kind of page each: a text layer (route text), an image
//! only (ocr), both (mixed: OCR lines only inside the image), a garbage text layer (ocr), another tool's
//! invisible OCR layer over a scan (text; ocr under `redo`) and a page turned by /Rotate with a text layer.
//! Real pdfium, the real layout, orientation and OCR models (`make models`).

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use folio_engine::document::source::{self, OpenOptions};
use folio_engine::memory::MemoryGauges;
use folio_engine::models::{ModelHub, SessionOptions};
use folio_engine::pipeline::{Outcome, PageResult, Pipeline, PipelineOptions, Stage};
use folio_engine::render::TextLayerRead;
use folio_engine::stages::LineSource;
use folio_engine::text::{Route, TextLayerMode};
use folio_engine::{RecyclePolicy, RenderOptions, RenderSize, Renderer};

const DPI: f32 = 150.0;
const BODY: [&str; 3] = ["Folio reads the text layer first", "where a page has one of its own", "and keeps each line exactly"];
const SCANNED: [&str; 2] = ["Invoice number 4471 paid", "Delivered to the harbour office"];

fn hub() -> &'static Arc<ModelHub> {
    static HUB: OnceLock<Arc<ModelHub>> = OnceLock::new();
    HUB.get_or_init(|| Arc::new(ModelHub::new(SessionOptions::default(), Arc::new(MemoryGauges::default()))))
}

fn renderer() -> &'static Renderer {
    static RENDERER: OnceLock<Renderer> = OnceLock::new();
    RENDERER.get_or_init(|| Renderer::start(RenderOptions::default(), RecyclePolicy::default(), Arc::new(MemoryGauges::default())))
}

fn dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("folio-routing-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    })
}

/// A one-page PDF (612 × 792 pt) with `content`, Helvetica as /F1 (its ToUnicode map replaced by
/// `to_unicode` when given), an RGB image as /Im1 when given, and `page_extra` in the page dictionary.
fn pdf(name: &str, content: &str, to_unicode: Option<&str>, image: Option<&image::RgbImage>, page_extra: &str) -> PathBuf {
    let mut objects: Vec<Vec<u8>> = Vec::new();
    objects.push(b"<< /Type /Catalog /Pages 2 0 R >>".to_vec());
    objects.push(b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec());
    let xobject = if image.is_some() { "/XObject << /Im1 6 0 R >>" } else { "" };
    objects.push(
        format!("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 5 0 R >> {xobject} >> /Contents 4 0 R {page_extra} >>")
            .into_bytes(),
    );
    objects.push(stream("", content.as_bytes()));
    let cmap = if to_unicode.is_some() { " /ToUnicode 7 0 R" } else { "" };
    objects.push(format!("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding{cmap} >>").into_bytes());
    match image {
        Some(img) => objects.push(stream(
            &format!("/Type /XObject /Subtype /Image /Width {} /Height {} /ColorSpace /DeviceRGB /BitsPerComponent 8", img.width(), img.height()),
            img.as_raw(),
        )),
        None => objects.push(b"<< >>".to_vec()),
    }
    if let Some(cmap) = to_unicode {
        objects.push(stream("", cmap.as_bytes()));
    }
    let mut out = b"%PDF-1.7\n".to_vec();
    let mut offsets = Vec::new();
    for (i, object) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend(format!("{} 0 obj\n", i + 1).bytes());
        out.extend(object);
        out.extend(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).bytes());
    for offset in offsets {
        out.extend(format!("{offset:010} 00000 n \n").bytes());
    }
    out.extend(format!("trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n", objects.len() + 1).bytes());
    let path = dir().join(name);
    std::fs::write(&path, out).unwrap();
    path
}

fn stream(dict: &str, data: &[u8]) -> Vec<u8> {
    let mut s = format!("<< {dict} /Length {} >>\nstream\n", data.len()).into_bytes();
    s.extend(data);
    s.extend(b"\nendstream");
    s
}

/// Text lines from the top left, `size` points, 1.5 lines apart; `mode` is the text render mode.
fn text(lines: &[&str], x: f32, top: f32, size: f32, mode: u8) -> String {
    let mut s = format!("BT /F1 {size} Tf {mode} Tr {x} {top} Td ");
    for (i, line) in lines.iter().enumerate() {
        if i > 0 {
            s.push_str(&format!("0 {} Td ", -size * 1.5));
        }
        s.push_str(&format!("({line}) Tj "));
    }
    s + "ET\n"
}

/// The scanned lines as pixels: a text page rendered at 150 dpi and cut to the lines' area.
fn scanned_image() -> &'static image::RgbImage {
    static IMAGE: OnceLock<image::RgbImage> = OnceLock::new();
    IMAGE.get_or_init(|| {
        let path = pdf("to-scan.pdf", &text(&SCANNED, 72.0, 700.0, 22.0, 0), None, None, "");
        let document = source::open_file(&path, &OpenOptions::default()).unwrap();
        let page = renderer().render(&document, 0, RenderSize::Dpi(150.0)).unwrap().into_rgb_image();
        // 72..540 pt across, 660..730 pt from the bottom: the two lines with a margin.
        let scale = 150.0 / 72.0;
        let (x, y) = ((60.0 * scale) as u32, ((792.0 - 730.0) * scale) as u32);
        image::imageops::crop_imm(&page, x, y, (480.0 * scale) as u32, (90.0 * scale) as u32).to_image()
    })
}

/// Where the scanned image is drawn (pt): 480 × 90 from (66, 200).
const IMAGE_AT: &str = "q 480 0 0 90 66 200 cm /Im1 Do Q\n";
const IMAGE_PT: [f32; 4] = [66.0, 792.0 - 290.0, 546.0, 792.0 - 200.0];

fn run(path: &Path, mode: TextLayerMode) -> PageResult {
    let document = source::open_file(path, &OpenOptions::default()).unwrap();
    let rendered = renderer().render_with_text(&document, 0, RenderSize::Dpi(DPI), TextLayerRead::for_mode(mode, true)).unwrap();
    let options = PipelineOptions { stages: vec![Stage::Orientation, Stage::Layout, Stage::Ocr], text_layer: mode, ..PipelineOptions::default() };
    let pipeline = Pipeline::new(Arc::clone(hub()), options);
    let page = pipeline.rendered_page(path.display().to_string(), 1, DPI, rendered);
    pipeline.process(vec![page]).remove(0)
}

fn texts(page: &PageResult, source: LineSource) -> Vec<String> {
    page.lines.iter().filter(|l| l.source == source).map(|l| l.text.clone()).collect()
}

/// Letters and digits only, lower case: OCR of these lines may lose spaces (the next issue's work).
fn squeezed(s: &str) -> String {
    s.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}

fn bbox(q: &[[f32; 2]; 4]) -> [f32; 4] {
    let xs = q.map(|p| p[0]);
    let ys = q.map(|p| p[1]);
    [xs.iter().cloned().fold(f32::MAX, f32::min), ys.iter().cloned().fold(f32::MAX, f32::min), xs.iter().cloned().fold(f32::MIN, f32::max), ys.iter().cloned().fold(f32::MIN, f32::max)]
}

fn px(pt: f32) -> f32 {
    pt * DPI / 72.0
}

#[test]
fn a_page_with_a_text_layer_takes_it_and_runs_neither_ocr_nor_orientation() {
    let path = pdf("text.pdf", &text(&BODY, 72.0, 700.0, 18.0, 0), None, None, "");
    let page = run(&path, TextLayerMode::Auto);
    assert_eq!(page.route, Some(Route::Text), "{:?}", page.route_reason);
    assert_eq!(texts(&page, LineSource::Pdf), BODY);
    assert!(page.lines.iter().all(|l| l.score == 1.0));
    assert!(matches!(page.outcome("ocr"), Some(Outcome::Skipped { .. })), "{:?}", page.outcomes);
    assert!(matches!(page.outcome("orientation"), Some(Outcome::Skipped { .. })), "{:?}", page.outcomes);
    // Each line's box sits on its glyphs: the first starts at 72 pt from the left, its top near 700 pt.
    let first = bbox(&page.lines[0].polygon);
    assert!((first[0] - px(72.0)).abs() < 3.0, "{first:?}");
    let baseline_from_top = px(792.0 - 700.0);
    assert!(first[1] < baseline_from_top && first[3] > baseline_from_top - 2.0, "{first:?}");
    assert!(first[3] - first[1] < px(18.0) * 1.5, "{first:?}");

    let ocr = run(&path, TextLayerMode::Ocr);
    assert_eq!(ocr.route, Some(Route::Ocr));
    assert!(ocr.lines.iter().all(|l| l.source == LineSource::Ocr) && !ocr.lines.is_empty());
    assert!(matches!(ocr.outcome("ocr"), Some(Outcome::Done)));
}

#[test]
fn an_image_only_page_goes_to_ocr() {
    let path = pdf("scan.pdf", IMAGE_AT, None, Some(scanned_image()), "");
    let page = run(&path, TextLayerMode::Auto);
    assert_eq!(page.route, Some(Route::Ocr));
    assert!(page.route_reason.as_deref().unwrap().contains("no text layer"), "{:?}", page.route_reason);
    let read = squeezed(&texts(&page, LineSource::Ocr).join(" "));
    for line in SCANNED {
        assert!(read.contains(&squeezed(line)), "{line:?} not in {read:?}");
    }
    assert!(matches!(page.outcome("orientation"), Some(Outcome::Done)), "{:?}", page.outcomes);
}

#[test]
fn a_mixed_page_keeps_its_text_layer_and_reads_only_inside_the_image() {
    let content = text(&BODY, 72.0, 700.0, 18.0, 0) + IMAGE_AT;
    let path = pdf("mixed.pdf", &content, None, Some(scanned_image()), "");
    let page = run(&path, TextLayerMode::Auto);
    assert_eq!(page.route, Some(Route::Mixed), "{:?}", page.route_reason);
    assert_eq!(texts(&page, LineSource::Pdf), BODY);
    let ocr: Vec<_> = page.lines.iter().filter(|l| l.source == LineSource::Ocr).collect();
    assert!(!ocr.is_empty());
    let image = IMAGE_PT.map(px);
    for line in &ocr {
        let b = bbox(&line.polygon);
        assert!(b[0] >= image[0] - 5.0 && b[1] >= image[1] - 5.0 && b[2] <= image[2] + 5.0 && b[3] <= image[3] + 5.0, "{:?} {b:?} outside {image:?}", line.text);
        // Words read in the image's crop are put back on the page with their line.
        assert!(!line.words.is_empty(), "{:?}", line.text);
        for w in &line.words {
            let wb = bbox(&w.polygon);
            assert!(wb[0] >= b[0] - 0.01 && wb[1] >= b[1] - 0.01 && wb[2] <= b[2] + 0.01 && wb[3] <= b[3] + 0.01, "{:?} {wb:?} outside {b:?}", w.text);
        }
    }
    // Text-layer lines carry their words, from the characters' boxes.
    for line in page.lines.iter().filter(|l| l.source == LineSource::Pdf) {
        assert_eq!(line.words.iter().map(|w| w.text.as_str()).collect::<Vec<_>>().join(" "), line.text);
    }
    let read = squeezed(&ocr.iter().map(|l| l.text.as_str()).collect::<Vec<_>>().join(" "));
    assert!(read.contains(&squeezed(SCANNED[0])), "{read:?}");
}

#[test]
fn a_garbage_text_layer_goes_to_ocr() {
    // Every printable code maps to a private-use character, as fonts without a real Unicode map do.
    let cmap = "/CIDInit /ProcSet findresource begin 12 dict begin begincmap /CMapName /Garbage def /CMapType 2 def\n\
                1 begincodespacerange <00> <FF> endcodespacerange\n1 beginbfrange <20> <7E> <E020> endbfrange\n\
                endcmap CMapName currentdict /CMap defineresource pop end end";
    let path = pdf("garbage.pdf", &text(&BODY, 72.0, 700.0, 18.0, 0), Some(cmap), None, "");
    let page = run(&path, TextLayerMode::Auto);
    assert_eq!(page.route, Some(Route::Ocr), "{:?}", page.route_reason);
    assert!(page.route_reason.as_deref().unwrap().contains("garbage"), "{:?}", page.route_reason);
    let read = squeezed(&texts(&page, LineSource::Ocr).join(" "));
    assert!(read.contains("folioreads"), "{read:?}");
}

#[test]
fn an_invisible_ocr_layer_is_used_and_redo_reads_the_scan_again() {
    // Another tool's OCR: the scan, and its text drawn invisibly over it.
    let content = IMAGE_AT.to_string() + &text(&SCANNED, 72.0, 262.0, 22.0, 3);
    let path = pdf("ocr-layer.pdf", &content, None, Some(scanned_image()), "");
    let page = run(&path, TextLayerMode::Auto);
    assert_eq!(page.route, Some(Route::Text), "{:?}", page.route_reason);
    assert!(page.route_reason.as_deref().unwrap().contains("invisible OCR layer"), "{:?}", page.route_reason);
    assert_eq!(texts(&page, LineSource::Pdf), SCANNED);

    let redone = run(&path, TextLayerMode::Redo);
    assert_eq!(redone.route, Some(Route::Ocr), "{:?}", redone.route_reason);
    assert!(redone.lines.iter().all(|l| l.source == LineSource::Ocr));
    let read = squeezed(&texts(&redone, LineSource::Ocr).join(" "));
    assert!(read.contains(&squeezed(SCANNED[1])), "{read:?}");
}

#[test]
fn a_rotated_page_gets_its_lines_where_the_render_draws_them() {
    let path = pdf("rotated.pdf", &text(&BODY, 72.0, 700.0, 18.0, 0), None, None, "/Rotate 90");
    let document = source::open_file(&path, &OpenOptions::default()).unwrap();
    let image = renderer().render(&document, 0, RenderSize::Dpi(DPI)).unwrap().into_rgb_image();
    // /Rotate 90 turns the page clockwise: landscape, the text running down the page.
    assert!(image.width() > image.height());
    let page = run(&path, TextLayerMode::Auto);
    assert_eq!(page.route, Some(Route::Text), "{:?}", page.route_reason);
    // pdfium lists a turned page's lines in its own order; each line is whole.
    let mut found = texts(&page, LineSource::Pdf);
    found.sort();
    let mut body = BODY.to_vec();
    body.sort();
    assert_eq!(found, body);
    for line in &page.lines {
        let b = bbox(&line.polygon);
        assert!(b[3] - b[1] > 4.0 * (b[2] - b[0]), "{:?}: {b:?} is not a line running down", line.text);
        assert!(b[0] >= 0.0 && b[1] >= 0.0 && b[2] <= image.width() as f32 && b[3] <= image.height() as f32, "{b:?}");
        // Its glyphs are inside its box: dark pixels there.
        let dark = (b[1] as u32..b[3] as u32)
            .flat_map(|y| (b[0] as u32..b[2] as u32).map(move |x| (x, y)))
            .filter(|&(x, y)| image.get_pixel(x, y).0[0] < 128)
            .count();
        assert!(dark > 100, "{:?}: {dark} dark pixels in {b:?}", line.text);
        // The polygon starts where the line starts reading, its glyphs' tops to the right: the box's top right.
        assert!((line.polygon[0][0] - b[2]).abs() < 1.0 && (line.polygon[0][1] - b[1]).abs() < 1.0, "{:?}", line.polygon);
    }
}
