//! Words on scanned pages: OCR of an image-only PDF made from a born-digital one (`tests/scans/bench.sh`
//! makes them) against the original's text layer. Each page is read once; every space rule is applied to
//! the same reading, so the rules' figures differ by the rule alone. Prints, per rule, word precision,
//! recall and F1 (bag of words), the character error rate (whitespace left out: the recogniser's
//! characters, the same for every rule) and pages/min of the reading.
//!
//! The scan's page 1 is the original's page FIRST.
//!
//! `cargo run --release -p folio-engine --example scan_words -- SCANNED.pdf ORIGINAL.pdf FIRST DPI PAGES [--clean] [--json] [--sweep] [--rec-model=v4|v5]`
//!
//! `--clean` reads ORIGINAL's own pages from FIRST on (rendered, never its text layer) instead of SCANNED's:
//! the clean baseline. `--json` prints one JSON object instead of the table; `--sweep` adds the space rule's parameters on a
//! grid around the defaults; `--rec-model` picks the recogniser (default v4, the parity baseline).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use folio_engine::document::source::{self, OpenOptions};
use folio_engine::memory::MemoryGauges;
use folio_engine::models::{ModelHub, Recogniser, SessionOptions};
use folio_engine::stages::ocr::{OcrOptions, OcrStage, SpaceParams, SpaceRule};
use folio_engine::text::score::{edit_distance, word_score, WordScore};
use folio_engine::{RecyclePolicy, RenderOptions, RenderSize, Renderer};
use serde_json::json;


fn without_whitespace(s: &str) -> Vec<char> {
    s.chars().filter(|c| !c.is_whitespace() && *c != '\u{2}' && *c != '\u{FFFE}').collect()
}

/// `--misses`: the truth's words the default rule did not find and the words it found that are not in the
/// truth, most frequent first (page by page, as the score counts them).
fn print_misses(pages: &[(String, String)]) {
    use std::collections::HashMap;
    let (mut missing, mut extra): (HashMap<String, usize>, HashMap<String, usize>) = (HashMap::new(), HashMap::new());
    for (truth, found) in pages {
        let mut bag: HashMap<&str, isize> = HashMap::new();
        for w in folio_engine::text::score::words(truth) {
            *bag.entry(w).or_default() += 1;
        }
        for w in folio_engine::text::score::words(found) {
            *bag.entry(w).or_default() -= 1;
        }
        for (w, n) in bag {
            if n > 0 {
                *missing.entry(w.to_string()).or_default() += n as usize;
            } else if n < 0 {
                *extra.entry(w.to_string()).or_default() += (-n) as usize;
            }
        }
    }
    for (name, map) in [("missing", missing), ("extra", extra)] {
        let mut v: Vec<_> = map.into_iter().collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let total: usize = v.iter().map(|(_, n)| n).sum();
        let top: Vec<String> = v.iter().take(60).map(|(w, n)| format!("{w}×{n}")).collect();
        eprintln!("{name} ({total}): {}", top.join(" "));
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flags: Vec<&str> = args.iter().filter(|a| a.starts_with("--")).map(String::as_str).collect();
    let positional: Vec<&String> = args.iter().filter(|a| !a.starts_with("--")).collect();
    let [scanned, original, first, dpi, pages] = positional[..] else {
        eprintln!("usage: scan_words SCANNED.pdf ORIGINAL.pdf FIRST DPI PAGES [--clean] [--json] [--sweep] [--rec-model=v4|v5]");
        std::process::exit(2);
    };
    let recogniser = flags
        .iter()
        .find_map(|f| f.strip_prefix("--rec-model="))
        .map(|name| Recogniser::parse(name).unwrap_or_else(|e| panic!("{e}")))
        .unwrap_or(Recogniser::V4);
    let (scanned, original) = (PathBuf::from(scanned), PathBuf::from(original));
    // The scan's page 1 is the original's page FIRST (counted from 1).
    let first: usize = first.parse::<usize>().expect("FIRST").max(1) - 1;
    let dpi: f32 = dpi.parse().expect("DPI");
    let pages: usize = pages.parse().expect("PAGES");

    let defaults = SpaceParams::for_recogniser(recogniser);
    let mut rules = vec![("model".to_string(), SpaceParams { rule: SpaceRule::Model, ..defaults })];
    rules.push(("alignment (default)".to_string(), defaults));
    if flags.contains(&"--sweep") {
        for gap_ratio in [1.3f32, 1.4, 1.5, 1.6, 1.8, 2.0, 0.0] {
            for space_prob in [0.02f32, 0.05, 0.1, 0.2, 0.4, 2.0] {
                let p = SpaceParams { gap_ratio, space_prob, ..defaults };
                rules.push((format!("gap {gap_ratio} prob {space_prob}"), p));
            }
        }
    }

    let gauges = Arc::new(MemoryGauges::default());
    let hub = Arc::new(ModelHub::new(SessionOptions::default(), Arc::clone(&gauges)));
    let renderer = Renderer::start(RenderOptions::default(), RecyclePolicy::default(), Arc::clone(&gauges));
    let stage = OcrStage::new(Arc::clone(&hub), OcrOptions { recogniser, spaces: defaults, ..OcrOptions::default() });
    let clean = flags.contains(&"--clean");
    let read_from = if clean { &original } else { &scanned };
    let document = source::open_file(read_from, &OpenOptions::default()).expect("open the PDF to read");
    let offset = if clean { first } else { 0 };
    let pages = pages.min(document.page_count() - offset);

    let mut scores = vec![WordScore::default(); rules.len()];
    let (mut edits, mut truth_chars, mut seconds) = (0usize, 0usize, 0.0f64);
    let mut words_placed = (0usize, 0usize);
    let mut misses: Vec<(String, String)> = Vec::new();
    for p in 0..pages {
        let truth = source::pdf_page_text(&original, first + p).expect("the original's text layer");
        let image = renderer.render(&document, offset + p, RenderSize::Dpi(dpi)).expect("render").into_rgb_image();
        let started = Instant::now();
        let (readings, _) = stage.read_page(&image).expect("OCR");
        seconds += started.elapsed().as_secs_f64();
        for (k, (_, params)) in rules.iter().enumerate() {
            let lines = stage.lines(readings.clone(), params);
            let text: Vec<&str> = lines.iter().map(|l| l.text.as_str()).collect();
            scores[k].add(&word_score(&truth, &text.join("\n")));
            if k == 1 && flags.contains(&"--misses") {
                misses.push((truth.clone(), text.join("\n")));
            }
            if k == 1 {
                let t = without_whitespace(&truth);
                edits += edit_distance(&without_whitespace(&text.concat()), &t);
                truth_chars += t.len();
                words_placed.0 += lines.iter().map(|l| l.words.len()).sum::<usize>();
                words_placed.1 += lines.iter().filter(|l| !l.words.is_empty()).count();
            }
        }
    }
    if !misses.is_empty() {
        print_misses(&misses);
    }
    let cer = edits as f64 / truth_chars.max(1) as f64;
    let ppm = pages as f64 / (seconds / 60.0);
    if flags.contains(&"--json") {
        let rows: Vec<_> = rules
            .iter()
            .zip(&scores)
            .map(|((name, params), s)| json!({"rule": name, "params": params, "precision": s.precision, "recall": s.recall, "f1": s.f1, "truth_words": s.truth_words, "found_words": s.found_words}))
            .collect();
        let out = json!({"scanned": if clean { None } else { Some(&scanned) }, "original": original, "recogniser": recogniser.name(), "dpi": dpi, "pages": pages, "cer": cer, "pages_per_min": ppm, "words": words_placed.0, "rules": rows});
        println!("{out}");
        return;
    }
    println!("{}: {pages} pages at {dpi} dpi against {}, recogniser {}", scanned.display(), original.display(), recogniser.name());
    println!("CER (no whitespace) {:.4}  pages/min {:.2}  words placed {}", cer, ppm, words_placed.0);
    println!("{:28} {:>9} {:>9} {:>9}", "space rule", "precision", "recall", "word F1");
    for ((name, _), s) in rules.iter().zip(&scores) {
        println!("{name:28} {:9.4} {:9.4} {:9.4}", s.precision, s.recall, s.f1);
    }
}
