//! OCR parity with the reference (RapidOCR 1.4.4 goldens in `tests/golden/reference`) and accuracy against
//! a born-digital PDF's own text layer. Needs the models: `FOLIO_MODELS_DIR` (or `make models`).

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use folio_engine::models::{ModelHub, SessionOptions};
use folio_engine::memory::MemoryGauges;
use folio_engine::document::source::{self, OpenOptions};
use folio_engine::stages::ocr::{DbParams, OcrOptions, OcrStage, SpaceParams, SpaceRule};
use folio_engine::stages::OcrLine;
use folio_engine::text::score::edit_distance as levenshtein;
use folio_engine::{RecyclePolicy, RenderOptions, RenderSize, Renderer};
use serde::Deserialize;

const PAGES: [&str; 6] = ["title", "toc", "code", "table-text", "rotated-90", "rotated-180"];

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(rel)
}

fn hub() -> &'static Arc<ModelHub> {
    static HUB: OnceLock<Arc<ModelHub>> = OnceLock::new();
    HUB.get_or_init(|| Arc::new(ModelHub::new(SessionOptions::default(), Arc::new(MemoryGauges::default()))))
}

/// The model tests take turns, so each page's timings (and the hub's ONNX Runtime time) are its own.
fn exclusive() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|p| p.into_inner())
}

/// The reference's spaces: only those the recogniser emits. Folio's default also puts back the spaces the
/// alignment shows (`SpaceRule::Alignment`); the parity tests compare the reference's text, and
/// `alignment_spaces_only_add_spaces` checks that the default changes nothing else.
fn model_spaces() -> SpaceParams {
    SpaceParams { rule: SpaceRule::Model, ..SpaceParams::default() }
}

fn stage() -> &'static OcrStage {
    static STAGE: OnceLock<OcrStage> = OnceLock::new();
    STAGE.get_or_init(|| OcrStage::new(Arc::clone(hub()), OcrOptions { spaces: model_spaces(), db: DbParams::reference(), ..OcrOptions::default() }))
}

/// The stage batching crops for the recogniser as the reference does (six at a time, whatever their width):
/// padding changes what the recogniser reads, so parity is checked with the reference's batches.
fn reference_stage() -> &'static OcrStage {
    static STAGE: OnceLock<OcrStage> = OnceLock::new();
    STAGE.get_or_init(|| OcrStage::new(Arc::clone(hub()), OcrOptions { rec_batch_columns: usize::MAX, spaces: model_spaces(), db: DbParams::reference(), ..OcrOptions::default() }))
}

#[derive(Deserialize)]
struct Golden {
    ocr: Vec<GoldenLine>,
}

#[derive(Deserialize)]
struct GoldenLine {
    text: String,
    score: f32,
    polygon: [[f32; 2]; 4],
}

/// Character error rate of `hyp` against `reference`.
fn cer(hyp: &str, reference: &str) -> f64 {
    let (h, r): (Vec<char>, Vec<char>) = (hyp.chars().collect(), reference.chars().collect());
    levenshtein(&h, &r) as f64 / r.len().max(1) as f64
}

/// Lines joined with '\n', runs of whitespace inside a line collapsed to one space.
fn joined<'a>(lines: impl Iterator<Item = &'a str>) -> String {
    lines.map(|l| l.split_whitespace().collect::<Vec<_>>().join(" ")).collect::<Vec<_>>().join("\n")
}

fn polygon_distance(a: &[[f32; 2]; 4], b: &[[f32; 2]; 4]) -> f32 {
    a.iter().zip(b).map(|(p, q)| (p[0] - q[0]).abs().max((p[1] - q[1]).abs())).fold(0.0, f32::max)
}

fn report_mismatches(name: &str, ours: &[OcrLine], golden: &[GoldenLine]) {
    let mut shown = 0;
    for i in 0..ours.len().max(golden.len()) {
        let (o, g) = (ours.get(i), golden.get(i));
        let same = match (o, g) {
            (Some(o), Some(g)) => o.text == g.text && polygon_distance(&o.polygon, &g.polygon) <= 2.0,
            _ => false,
        };
        if !same && shown < 8 {
            shown += 1;
            eprintln!("  {name} line {i}:");
            if let Some(o) = o {
                eprintln!("    ours   {:?} {:.3} {:?}", o.text, o.score, o.polygon);
            }
            if let Some(g) = g {
                eprintln!("    golden {:?} {:.3} {:?}", g.text, g.score, g.polygon);
            }
        }
    }
}

#[test]
fn ocr_matches_the_reference_goldens() {
    let _turn = exclusive();
    let stage = reference_stage();
    let mut failures = Vec::new();
    let mut total = (0.0, 0.0, 0.0, 0usize);
    for name in PAGES {
        let page = image::open(repo(&format!("tests/fixtures/pages/{name}.png"))).unwrap().to_rgb8();
        let golden: Golden =
            serde_json::from_str(&std::fs::read_to_string(repo(&format!("tests/golden/reference/{name}.json"))).unwrap()).unwrap();
        let ort_before = hub().ort_time();
        let (lines, t) = stage.run_timed(&page).unwrap();
        let ort_ms = (hub().ort_time() - ort_before).as_secs_f64() * 1000.0;
        let ours = joined(lines.iter().map(|l| l.text.as_str()));
        let theirs = joined(golden.ocr.iter().map(|l| l.text.as_str()));
        let rate = cer(&ours, &theirs);
        let boxes_close = lines
            .iter()
            .filter(|l| golden.ocr.iter().any(|g| polygon_distance(&l.polygon, &g.polygon) <= 1.0))
            .count();
        let texts_equal = lines.iter().zip(&golden.ocr).filter(|(o, g)| o.text == g.text).count();
        // The goldens keep scores to two decimals.
        let scores_equal =
            lines.iter().zip(&golden.ocr).filter(|(o, g)| ((o.score * 100.0).round() - g.score * 100.0).abs() < 0.01).count();
        println!(
            "{name:12} CER {:6.3}%  lines {:3} (reference {:3})  same text in place {:3}  same score {:3}  polygons within 1 px {:3}  \
             det {:7.1} ms  cls {:6.1} ms  rec {:7.1} ms  total {:7.1} ms (in ONNX Runtime {:7.1} ms)",
            rate * 100.0,
            lines.len(),
            golden.ocr.len(),
            texts_equal,
            scores_equal,
            boxes_close,
            t.det_ms,
            t.cls_ms,
            t.rec_ms,
            t.total_ms,
            ort_ms
        );
        total = (total.0 + t.det_ms, total.1 + t.cls_ms, total.2 + t.rec_ms, total.3 + 1);
        if rate > 0.02 || texts_equal < golden.ocr.len() {
            report_mismatches(name, &lines, &golden.ocr);
        }
        if rate > 0.02 {
            failures.push(format!("{name}: CER {:.2}%", rate * 100.0));
        }
        // The detector and its post-processing are exact: as many lines as the reference, each box within
        // a pixel of one of the reference's.
        if lines.len() != golden.ocr.len() {
            failures.push(format!("{name}: {} lines, the reference has {}", lines.len(), golden.ocr.len()));
        }
        if boxes_close != golden.ocr.len() {
            failures.push(format!("{name}: {boxes_close} of {} boxes within 1 px of the reference's", golden.ocr.len()));
        }
    }
    let n = total.3 as f64;
    println!("mean per page: det {:.1} ms, cls {:.1} ms, rec {:.1} ms", total.0 / n, total.1 / n, total.2 / n);
    assert!(failures.is_empty(), "pages apart from the reference: {failures:?}");
}

/// With Folio's own batching (long lines split into smaller recogniser calls, see `REC_BATCH_COLUMNS`) the
/// upright pages still read as the reference reads them: the same boxes, within 1% CER.
#[test]
fn ocr_with_the_column_budget_stays_within_one_percent_of_the_reference() {
    let _turn = exclusive();
    for name in ["title", "toc", "code", "table-text"] {
        let page = image::open(repo(&format!("tests/fixtures/pages/{name}.png"))).unwrap().to_rgb8();
        let golden: Golden =
            serde_json::from_str(&std::fs::read_to_string(repo(&format!("tests/golden/reference/{name}.json"))).unwrap()).unwrap();
        let lines = stage().run(&page).unwrap();
        let rate = cer(&joined(lines.iter().map(|l| l.text.as_str())), &joined(golden.ocr.iter().map(|l| l.text.as_str())));
        println!("{name:12} CER {:6.3}% with the column budget, lines {} (reference {})", rate * 100.0, lines.len(), golden.ocr.len());
        assert_eq!(lines.len(), golden.ocr.len(), "{name}");
        assert!(rate <= 0.01, "{name}: CER {:.2}%", rate * 100.0);
    }
}

/// The default space rule only adds spaces: per line, the same characters as the reference's decoding, the
/// same polygon; its words joined by single spaces are its text, and each word's box lies inside its
/// line's polygon (upright, turned and upside-down pages alike).
#[test]
fn alignment_spaces_only_add_spaces() {
    let _turn = exclusive();
    let aligned = OcrStage::new(Arc::clone(hub()), OcrOptions::default());
    assert_eq!(aligned.options().spaces.rule, SpaceRule::Alignment);
    let (mut lines_seen, mut spaces_added) = (0, 0);
    for name in PAGES {
        let page = image::open(repo(&format!("tests/fixtures/pages/{name}.png"))).unwrap().to_rgb8();
        let (readings, _) = aligned.read_page(&page).unwrap();
        let model = aligned.lines(readings.clone(), &model_spaces());
        let ours = aligned.lines(readings, &aligned.options().spaces);
        assert_eq!(model.len(), ours.len(), "{name}");
        for (m, o) in model.iter().zip(&ours) {
            assert_eq!(strip(&m.text), strip(&o.text), "{name}: characters changed");
            assert_eq!(m.polygon, o.polygon);
            let joined = o.words.iter().map(|w| w.text.as_str()).collect::<Vec<_>>().join(" ");
            assert_eq!(joined, o.text.split_whitespace().collect::<Vec<_>>().join(" "), "{name}: words are not the text");
            assert!(!o.words.is_empty() || o.text.trim().is_empty(), "{name}: a line without words: {:?}", o.text);
            for w in &o.words {
                assert!(inside(&w.polygon, &o.polygon), "{name}: word {:?} {:?} outside line {:?}", w.text, w.polygon, o.polygon);
            }
            spaces_added += o.text.matches(' ').count().saturating_sub(m.text.trim().matches(' ').count());
            lines_seen += 1;
        }
    }
    println!("{lines_seen} lines, {spaces_added} spaces put back by the alignment rule");
    assert!(lines_seen > 100 && spaces_added > 0);
}

/// Whether every corner of `inner` lies inside convex `outer` (clockwise corners), give or take 0.01 px.
fn inside(inner: &[[f32; 2]; 4], outer: &[[f32; 2]; 4]) -> bool {
    let area = |p: &[[f32; 2]; 4]| (0..4).map(|i| p[i][0] * p[(i + 1) % 4][1] - p[(i + 1) % 4][0] * p[i][1]).sum::<f32>();
    let sign = area(outer).signum();
    inner.iter().all(|q| {
        (0..4).all(|i| {
            let (a, b) = (outer[i], outer[(i + 1) % 4]);
            let cross = (b[0] - a[0]) * (q[1] - a[1]) - (b[1] - a[1]) * (q[0] - a[0]);
            let len = ((b[0] - a[0]).powi(2) + (b[1] - a[1]).powi(2)).sqrt().max(1e-6);
            cross * sign / len >= -0.01
        })
    })
}

/// The first page of `three-pages.pdf` rendered at 150 dpi, with the PDF's path (for its text layer).
fn three_pages_first_page() -> (PathBuf, image::RgbImage) {
    let path = repo("tests/fixtures/three-pages.pdf");
    let doc = source::open_file(&path, &OpenOptions::default()).unwrap();
    let renderer = Renderer::start(RenderOptions::default(), RecyclePolicy::default(), Arc::new(MemoryGauges::default()));
    let page = renderer.render(&doc, 0, RenderSize::Dpi(150.0)).unwrap().into_rgb_image();
    (path, page)
}

/// Text without whitespace, for comparing OCR with a PDF's text layer.
fn strip(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

/// What a memory budget does to OCR when it limits detection (`det_max_side`): the detector sees a smaller
/// page, lines are still cut from the full one, and the text stays close to the text layer.
#[test]
fn detection_limited_for_a_budget_still_reads_the_page() {
    let _turn = exclusive();
    let (path, page) = three_pages_first_page();
    let limited = OcrStage::new(Arc::clone(hub()), OcrOptions { det_max_side: Some(1024), db: DbParams::reference(), ..OcrOptions::default() });
    let (_, full_w, full_h) = stage().detect_map(&page).unwrap();
    let (_, w, h) = limited.detect_map(&page).unwrap();
    assert!(full_w.max(full_h) > 1024, "the fixture page is larger than the limit ({full_w}x{full_h})");
    assert!(w.max(h) <= 1024 + 16, "the detector saw {w}x{h}");
    let truth = strip(&source::pdf_page_text(&path, 0).unwrap());
    let read = |stage: &OcrStage| {
        let lines = stage.run(&page).unwrap();
        (cer(&strip(&lines.iter().map(|l| l.text.as_str()).collect::<String>()), &truth), lines.len())
    };
    let (full_cer, full_lines) = read(stage());
    let (limited_cer, limited_lines) = read(&limited);
    println!(
        "detection {full_w}x{full_h}: CER {:.3}%, {full_lines} lines; limited to {w}x{h}: CER {:.3}%, {limited_lines} lines",
        full_cer * 100.0,
        limited_cer * 100.0
    );
    assert!(limited_cer <= 0.05, "CER {:.2}% with detection limited", limited_cer * 100.0);
}

#[test]
fn ocr_of_a_rendered_pdf_matches_its_text_layer() {
    let _turn = exclusive();
    let (path, page) = three_pages_first_page();
    let (lines, t) = stage().run_timed(&page).unwrap();
    let ours = strip(&lines.iter().map(|l| l.text.as_str()).collect::<String>());
    let truth = strip(&source::pdf_page_text(&path, 0).unwrap());
    let rate = cer(&ours, &truth);
    println!(
        "three-pages.pdf p1 @150dpi ({}x{}): CER {:.3}% over {} chars, {} lines, {:.0} ms",
        page.width(),
        page.height(),
        rate * 100.0,
        truth.chars().count(),
        lines.len(),
        t.total_ms
    );
    if rate > 0.05 {
        eprintln!("ours:  {ours}\ntruth: {truth}");
    }
    assert!(rate <= 0.05, "CER {:.2}% against the text layer", rate * 100.0);
}

#[test]
fn cer_is_edit_distance_over_reference_length() {
    assert_eq!(cer("kitten", "sitting"), 3.0 / 7.0);
    assert_eq!(cer("same", "same"), 0.0);
    assert_eq!(joined(["a  b ", " c"].into_iter()), "a b\nc");
}

/// Debugging aid: `FOLIO_OCR_DUMP=/some/dir cargo test ... -- --ignored dump` writes each page's detector map
/// (`<name>.map.f32`, little-endian, with `<name>.map.json` giving its size) and raw boxes.
/// Folio's detector settings differ from the reference's in one way: a region the reference drops for its
/// low score is split where it narrows, and parts that score well become boxes. Every box the reference
/// finds is still found, unchanged; the split only adds boxes.
#[test]
fn splitting_merged_regions_only_adds_boxes() {
    let _turn = exclusive();
    let split = OcrStage::new(Arc::clone(hub()), OcrOptions::default());
    assert!(split.options().db.split_merged);
    let (mut reference_boxes, mut added) = (0, 0);
    for name in PAGES {
        let page = image::open(repo(&format!("tests/fixtures/pages/{name}.png"))).unwrap().to_rgb8();
        let (map, w, h) = stage().detect_map(&page).unwrap();
        let reference = folio_engine::stages::ocr::db::boxes_from_map(&map, w, h, page.width(), page.height(), &DbParams::reference());
        let ours = folio_engine::stages::ocr::db::boxes_from_map(&map, w, h, page.width(), page.height(), &split.options().db);
        for b in &reference {
            assert!(ours.contains(b), "{name}: the reference's box {b:?} is missing");
        }
        reference_boxes += reference.len();
        added += ours.len() - reference.len();
    }
    eprintln!("{reference_boxes} boxes as the reference finds them, {added} more from split regions");
}

#[test]
#[ignore]
fn dump_detection_intermediates() {
    let Some(dir) = std::env::var_os("FOLIO_OCR_DUMP") else { return };
    let dir = PathBuf::from(dir);
    for name in PAGES {
        let page = image::open(repo(&format!("tests/fixtures/pages/{name}.png"))).unwrap().to_rgb8();
        let (map, w, h) = stage().detect_map(&page).unwrap();
        let bytes: Vec<u8> = map.iter().flat_map(|v| v.to_le_bytes()).collect();
        std::fs::write(dir.join(format!("{name}.map.f32")), bytes).unwrap();
        let raw = folio_engine::stages::ocr::db::boxes_from_map(&map, w, h, page.width(), page.height(), &DbParams::reference());
        let boxes = stage().detect(&page).unwrap();
        let json = serde_json::json!({"w": w, "h": h, "raw": raw.iter().map(|(q, s)| (q.to_vec(), *s)).collect::<Vec<_>>(), "sorted": boxes});
        std::fs::write(dir.join(format!("{name}.json")), json.to_string()).unwrap();
        for (i, quad) in boxes.iter().take(5).enumerate() {
            folio_engine::stages::ocr::crop_quad(&page, quad).save(dir.join(format!("{name}_crop{i}.png"))).unwrap();
        }
    }
}
