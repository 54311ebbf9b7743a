//! Search over a real store file with the real embedding model: passages found by words and by meaning,
//! the embeddings block counted in the memory gauges and read again when the store changes, the same
//! results past the block's byte bound (streamed from the store), and typed text that is never FTS5 syntax.

use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use folio_engine::document::source::{open_path, OpenOptions};
use folio_engine::memory::MemoryGauges;
use folio_engine::models::{ModelHub, ModelId, SessionOptions};
use folio_engine::pipeline::PageResult;
use folio_engine::search::{SearchMode, SearchOptions, SearchQuery, Searcher};
use folio_engine::stages::embed::{EmbedOptions, EmbedStage};
use folio_engine::stages::LayoutRegion;
use folio_engine::store::Store;

const PASSAGES: [&str; 6] = [
    "The invoice is due within thirty days of delivery; late payment adds two percent interest each month.",
    "Our cafeteria serves vegetarian lunches on Tuesdays and fish on Fridays.",
    "To reset the router, hold the small button on its back for ten seconds until the lights blink.",
    "The museum's winter exhibition shows Dutch landscape paintings from the seventeenth century.",
    "Employees may carry over at most five unused vacation days into the next calendar year.",
    "Café Zürich <b>&amp; partners</b> signed the lease for the ground floor.",
];

fn store_with_passages(dir: &Path, hub: &Arc<ModelHub>, count: usize) -> (Store, String) {
    let image = dir.join("page.png");
    image::RgbImage::from_pixel(32, 32, image::Rgb([250; 3])).save(&image).unwrap();
    let document = open_path(&image, &OpenOptions::default()).documents.remove(0);
    let store = Store::open(&dir.join("folio.sqlite")).unwrap();
    let hash = store.register(&document).unwrap();
    let embed = EmbedStage::new(Arc::clone(hub), EmbedOptions::default());
    for (i, text) in PASSAGES.iter().take(count).enumerate() {
        let mut page = PageResult::empty(image.display().to_string(), i + 1, 150.0);
        page.doc_hash = hash.clone();
        page.regions = vec![LayoutRegion { class: if i == 0 { "title".into() } else { "text".into() }, bbox: [10.0, 20.0, 300.0, 60.0], score: 0.9, text: text.to_string() }];
        page.chunks = embed.run(&[text.to_string()]).unwrap();
        store.put_page(None, &page).unwrap();
    }
    (store, hash)
}

fn pages(searcher: &Searcher, text: &str, mode: SearchMode) -> Vec<usize> {
    searcher.search(&SearchQuery { text: text.into(), k: 3, mode, ..Default::default() }).unwrap().results.iter().map(|r| r.page).collect()
}

#[test]
fn words_and_meaning_find_their_passage_and_the_block_is_counted() {
    let dir = tempfile::tempdir().unwrap();
    let gauges = Arc::new(MemoryGauges::default());
    let hub = Arc::new(ModelHub::new(SessionOptions::default(), Arc::clone(&gauges)));
    let (store, _) = store_with_passages(dir.path(), &hub, 5);
    let store = Arc::new(store);
    let searcher = Searcher::new(Arc::clone(&store), Arc::clone(&hub), SearchOptions::default());

    assert_eq!(pages(&searcher, "router button", SearchMode::Keyword)[0], 3);
    assert_eq!(pages(&searcher, "How do I restart my internet box?", SearchMode::Semantic)[0], 3);
    assert_eq!(pages(&searcher, "paintings in a gallery", SearchMode::Semantic)[0], 4);
    assert_eq!(pages(&searcher, "vacation days", SearchMode::Hybrid)[0], 5);
    assert_eq!(hub.stats(ModelId::Embedding).load_count, 1, "the model is loaded once for the store and every query");

    let held = gauges.search_index_bytes.load(Ordering::Relaxed);
    assert_eq!(held as usize, searcher.index_bytes());
    assert!(held >= 5 * 384 * 4, "five 384-value vectors: {held}");

    // The store changes: the next query reads the block again and finds the new page.
    let image = dir.path().join("page.png");
    let document = open_path(&image, &OpenOptions::default()).documents.remove(0);
    let mut page = PageResult::empty(image.display().to_string(), 6, 150.0);
    page.doc_hash = document.content_hash().unwrap();
    page.chunks = EmbedStage::new(Arc::clone(&hub), EmbedOptions::default()).run(&[PASSAGES[5].to_string()]).unwrap();
    store.put_page(None, &page).unwrap();
    assert_eq!(pages(&searcher, "lease of the ground floor", SearchMode::Semantic)[0], 6);
    assert!(gauges.search_index_bytes.load(Ordering::Relaxed) > held);
}

#[test]
fn past_its_byte_bound_the_scan_streams_with_the_same_results() {
    let dir = tempfile::tempdir().unwrap();
    let gauges = Arc::new(MemoryGauges::default());
    let hub = Arc::new(ModelHub::new(SessionOptions::default(), Arc::clone(&gauges)));
    let (store, _) = store_with_passages(dir.path(), &hub, 6);
    let store = Arc::new(store);
    let held = Searcher::new(Arc::clone(&store), Arc::clone(&hub), SearchOptions::default());
    let streamed = Searcher::new(Arc::clone(&store), Arc::clone(&hub), SearchOptions { max_index_bytes: 1024, ..SearchOptions::default() });
    for question in ["When must the bill be paid?", "What is for lunch on Friday?", "a coffee house signed a rental contract"] {
        let a = held.search(&SearchQuery { text: question.into(), k: 6, mode: SearchMode::Semantic, ..Default::default() }).unwrap();
        let b = streamed.search(&SearchQuery { text: question.into(), k: 6, mode: SearchMode::Semantic, ..Default::default() }).unwrap();
        let ranked = |r: &folio_engine::search::SearchResults| r.results.iter().map(|h| (h.page, (h.score * 1e5).round() as i64)).collect::<Vec<_>>();
        assert_eq!(ranked(&a), ranked(&b), "{question}");
        assert_eq!(b.chunks_scanned, 6);
    }
    assert_eq!(streamed.index_bytes(), 0, "over its bound, nothing is held");
}

#[test]
fn filters_markup_and_fts_syntax_in_queries() {
    let dir = tempfile::tempdir().unwrap();
    let hub = Arc::new(ModelHub::new(SessionOptions::default(), Arc::new(MemoryGauges::default())));
    let (store, hash) = store_with_passages(dir.path(), &hub, 6);
    let searcher = Searcher::new(Arc::new(store), hub, SearchOptions::default());
    let keyword = |text: &str, class: Option<&str>| {
        searcher
            .search(&SearchQuery { text: text.into(), k: 5, mode: SearchMode::Keyword, class: class.map(str::to_string), document: Some(hash.clone()), ..Default::default() })
            .unwrap()
    };
    // Diacritics folded; the document's markup stays text in the snippet.
    let found = keyword("cafe zurich", None);
    assert_eq!(found.results[0].page, 6);
    assert!(found.results[0].snippet.contains("<b>&amp; partners</b>"), "{}", found.results[0].snippet);
    assert!(found.results[0].snippet_parts.iter().any(|p| p.is_match && p.text == "Café"));
    // FTS5 operators typed by a user are words, not syntax (and never an error).
    assert!(keyword("invoice AND NOT) OR \"", None).results.iter().any(|r| r.page == 1));
    assert!(keyword("NEAR(interest* payment)", None).results.iter().any(|r| r.page == 1));
    // The class filter keeps only that class's regions.
    assert_eq!(keyword("invoice", Some("title")).results.len(), 1);
    assert!(keyword("invoice", Some("table")).results.is_empty());
}

#[test]
fn lines_outside_every_region_and_corrected_text_are_searched() {
    let dir = tempfile::tempdir().unwrap();
    let image = dir.path().join("page.png");
    image::RgbImage::from_pixel(32, 32, image::Rgb([250; 3])).save(&image).unwrap();
    let document = open_path(&image, &OpenOptions::default()).documents.remove(0);
    let store = Store::open(&dir.path().join("folio.sqlite")).unwrap();
    let hash = store.register(&document).unwrap();
    let line = |text: &str, y: f32| folio_engine::stages::OcrLine {
        text: text.into(),
        score: 0.9,
        polygon: [[10.0, y], [100.0, y], [100.0, y + 10.0], [10.0, y + 10.0]],
        source: Default::default(),
        words: Vec::new(),
    };
    let mut page = PageResult::empty(image.display().to_string(), 1, 150.0);
    page.doc_hash = hash.clone();
    page.lines = vec![line("inside the region", 20.0), line("a marginal zebra note", 300.0)];
    page.regions = vec![LayoutRegion { class: "text".into(), bbox: [0.0, 0.0, 200.0, 100.0], score: 0.9, text: "inside the region".into() }];
    store.put_page(None, &page).unwrap();
    // No embeddings ran: the region's text and the line outside it are both searchable.
    assert_eq!(store.keyword_matches("\"zebra\"", None, 5).unwrap().len(), 1);
    assert_eq!(store.keyword_matches("\"region\"", None, 5).unwrap().len(), 1);
    // A corrected line outside the region is searched by its new text.
    store.correct(&hash, 1, &folio_engine::store::pages::Correction::LineText { line: 1, text: "a marginal giraffe note".into() }).unwrap().unwrap();
    assert!(store.keyword_matches("\"zebra\"", None, 5).unwrap().is_empty());
    assert_eq!(store.keyword_matches("\"giraffe\"", None, 5).unwrap().len(), 1);
}

#[test]
fn a_query_without_words_or_for_an_unprocessed_document_finds_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let hub = Arc::new(ModelHub::new(SessionOptions::default(), Arc::new(MemoryGauges::default())));
    let (store, _) = store_with_passages(dir.path(), &hub, 2);
    let searcher = Searcher::new(Arc::new(store), Arc::clone(&hub), SearchOptions::default());
    let loads = hub.stats(ModelId::Embedding).load_count;
    let empty = searcher.search(&SearchQuery { text: "  *** ".into(), k: 5, ..Default::default() }).unwrap();
    assert!(empty.results.is_empty());
    assert_eq!(hub.stats(ModelId::Embedding).load_count, loads, "no embedding for a query without words");
    let elsewhere = searcher.search(&SearchQuery { text: "invoice".into(), k: usize::MAX, document: Some("0".repeat(64)), mode: SearchMode::Keyword, ..Default::default() }).unwrap();
    assert!(elsewhere.results.is_empty());
}
