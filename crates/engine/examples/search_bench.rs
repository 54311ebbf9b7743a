//! Search latency over a large store (`make bench-search`): a fresh store holding CHUNKS chunks — real text
//! (a PDF's text layer cut into passages of about 60 words) with generated unit vectors as their embeddings —
//! then QUERIES queries in each mode. Prints p50 and p99 of the search itself for semantic, keyword and
//! hybrid, the query's embedding time apart (the model loaded once, before the timed queries), and the
//! first semantic query's reading of the embeddings block.
//!
//! `cargo run --release -p folio-engine --example search_bench -- FILE.pdf [CHUNKS] [QUERIES]`

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use folio_engine::document::source::{self, OpenOptions};
use folio_engine::memory::MemoryGauges;
use folio_engine::models::{ModelHub, SessionOptions};
use folio_engine::pipeline::PageResult;
use folio_engine::search::{SearchMode, SearchOptions, SearchQuery, Searcher};
use folio_engine::stages::embed::EMBEDDING_DIM;
use folio_engine::stages::Chunk;
use folio_engine::store::Store;

const WORDS_PER_CHUNK: usize = 60;
const CHUNKS_PER_PAGE: usize = 50;

/// xorshift64*: the same vectors on every run.
struct Generator(u64);

impl Generator {
    fn next(&mut self) -> f32 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        ((self.0.wrapping_mul(0x2545F4914F6CDD1D) >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
    }

    fn unit_vector(&mut self) -> Vec<f32> {
        let mut v: Vec<f32> = (0..EMBEDDING_DIM).map(|_| self.next()).collect();
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
        v.iter_mut().for_each(|x| *x /= norm);
        v
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let path = PathBuf::from(args.first().expect("usage: search_bench FILE.pdf [CHUNKS] [QUERIES]"));
    let chunks: usize = args.get(1).map_or(100_000, |s| s.parse().unwrap());
    let queries: usize = args.get(2).map_or(100, |s| s.parse().unwrap());

    // The PDF's words, read once.
    let pdfium = folio_engine::native::pdfium().unwrap();
    let pdf = pdfium.load_pdf_from_file(&path, None).unwrap();
    let mut words: Vec<String> = Vec::new();
    for page in pdf.pages().iter() {
        words.extend(page.text().unwrap().all().split_whitespace().map(str::to_string));
    }
    drop(pdf);
    assert!(words.len() > WORDS_PER_CHUNK * 10, "{} has too little text", path.display());

    let dir = std::env::temp_dir().join(format!("folio-search-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let store = Arc::new(Store::open(&dir.join("bench.sqlite")).unwrap());
    let document = source::open_file(&path, &OpenOptions::default()).unwrap();
    let hash = store.register(&document).unwrap();
    let mut generator = Generator(0x9E3779B97F4A7C15);
    let started = Instant::now();
    let (mut written, mut page, mut at) = (0, 0, 0);
    while written < chunks {
        page += 1;
        let mut result = PageResult::empty(path.display().to_string(), page, 150.0);
        result.doc_hash = hash.clone();
        for _ in 0..CHUNKS_PER_PAGE.min(chunks - written) {
            let text: Vec<&str> = (0..WORDS_PER_CHUNK).map(|i| words[(at + i) % words.len()].as_str()).collect();
            at = (at + WORDS_PER_CHUNK) % words.len();
            result.chunks.push(Chunk { text: text.join(" "), embedding: generator.unit_vector(), region: None });
            written += 1;
        }
        store.put_page(None, &result).unwrap();
    }
    println!("store: {written} chunks on {page} pages written in {:.1} s", started.elapsed().as_secs_f64());

    let hub = Arc::new(ModelHub::new(SessionOptions::default(), Arc::new(MemoryGauges::default())));
    let searcher = Searcher::new(Arc::clone(&store), hub, SearchOptions::default());
    // Queries: runs of two to four words from the text, spread over it.
    let texts: Vec<String> = (0..queries)
        .map(|q| {
            let start = (q * 7919 * 31) % (words.len() - 4);
            words[start..start + 2 + q % 3].join(" ")
        })
        .collect();
    // The first query loads the embedding model and reads the embeddings block; neither is timed below.
    let first = searcher.search(&SearchQuery { text: texts[0].clone(), k: 10, mode: SearchMode::Semantic, ..Default::default() }).unwrap();
    println!(
        "first semantic query: model loaded {} ({:.1} ms to embed), embeddings block read and searched in {:.1} ms ({} chunks, {:.1} MB)",
        first.model_loaded,
        first.embed_ms,
        first.search_ms,
        first.chunks_scanned,
        searcher.index_bytes() as f64 / 1048576.0
    );
    println!("{:<10} {:>8} {:>12} {:>12} {:>14} {:>14} {:>10}", "mode", "queries", "p50 ms", "p99 ms", "embed p50 ms", "embed p99 ms", "results");
    for mode in [SearchMode::Semantic, SearchMode::Keyword, SearchMode::Hybrid] {
        let (mut search, mut embed, mut found) = (Vec::new(), Vec::new(), 0);
        for text in &texts {
            let result = searcher.search(&SearchQuery { text: text.clone(), k: 10, mode, ..Default::default() }).unwrap();
            search.push(result.search_ms);
            embed.push(result.embed_ms);
            found += result.results.len();
        }
        search.sort_by(f64::total_cmp);
        embed.sort_by(f64::total_cmp);
        println!(
            "{:<10} {:>8} {:>12.2} {:>12.2} {:>14.2} {:>14.2} {:>10.1}",
            format!("{mode:?}").to_lowercase(),
            texts.len(),
            percentile(&search, 0.5),
            percentile(&search, 0.99),
            percentile(&embed, 0.5),
            percentile(&embed, 0.99),
            found as f64 / texts.len() as f64
        );
    }
    drop(searcher);
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
}
