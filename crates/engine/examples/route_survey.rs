//! Which route every page of some PDFs takes, and how many pages each routing threshold moves when it is
//! halved or doubled: the figures `docs/decisions/text-routing.md` quotes. Reads text layers only (pages
//! are rendered at 72 dpi for their size; no model runs).
//!
//! `cargo run --release -p folio-engine --example route_survey -- FILE.pdf... [--pages N]`

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use folio_engine::document::source::{self, OpenOptions};
use folio_engine::memory::MemoryGauges;
use folio_engine::render::TextLayerRead;
use folio_engine::text::{decide, Route, RouteParams, TextLayer, TextLayerMode};
use folio_engine::{RecyclePolicy, RenderOptions, RenderSize, Renderer};

const DPI: f32 = 72.0;

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut limit = usize::MAX;
    if let Some(i) = args.iter().position(|a| a == "--pages") {
        limit = args[i + 1].parse().unwrap();
        args.drain(i..i + 2);
    }
    let renderer = Renderer::start(RenderOptions::default(), RecyclePolicy::default(), Arc::new(MemoryGauges::default()));
    let base = RouteParams::default();
    let variants: Vec<(String, RouteParams)> = vec![
        ("min_chars 1".into(), RouteParams { min_chars: 1, ..base }),
        ("min_chars 10".into(), RouteParams { min_chars: 10, ..base }),
        ("max_bad_share 0.05".into(), RouteParams { max_bad_share: 0.05, ..base }),
        ("max_bad_share 0.2".into(), RouteParams { max_bad_share: 0.2, ..base }),
        ("min_image_share 0.01".into(), RouteParams { min_image_share: 0.01, ..base }),
        ("min_image_share 0.04".into(), RouteParams { min_image_share: 0.04, ..base }),
        ("min_chars_per_image_area 15".into(), RouteParams { min_chars_per_image_area: 15.0, ..base }),
        ("min_chars_per_image_area 60".into(), RouteParams { min_chars_per_image_area: 60.0, ..base }),
    ];
    for path in args.iter().map(PathBuf::from) {
        let document = match source::open_file(&path, &OpenOptions::default()) {
            Ok(d) => d,
            Err(e) => {
                println!("{}: {e}", path.display());
                continue;
            }
        };
        let pages = document.page_count().min(limit);
        let layers: Vec<Option<TextLayer>> = (0..pages)
            .map(|p| renderer.render_with_text(&document, p, RenderSize::Dpi(DPI), TextLayerRead::All).ok().and_then(|i| i.text_layer))
            .collect();
        let routes = |params: &RouteParams| -> Vec<Route> {
            layers.iter().map(|l| decide(l.as_ref(), TextLayerMode::Auto, DPI, params).route).collect()
        };
        let chosen = routes(&base);
        let count = |r: Route| chosen.iter().filter(|&&c| c == r).count();
        println!("{}: {pages} pages: text {}, ocr {}, mixed {}", path.display(), count(Route::Text), count(Route::Ocr), count(Route::Mixed));
        let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
        for layer in &layers {
            let reason = decide(layer.as_ref(), TextLayerMode::Auto, DPI, &base).reason;
            // The reason's kind, without its numbers.
            let kind: String = reason.chars().map(|c| if c.is_ascii_digit() { '#' } else { c }).collect();
            *reasons.entry(kind).or_default() += 1;
        }
        for (kind, n) in &reasons {
            println!("  {n:>5}  {kind}");
        }
        for (name, params) in &variants {
            let moved = routes(params).iter().zip(&chosen).filter(|(a, b)| a != b).count();
            println!("  {name:<32} moves {moved} pages");
        }
    }
}
