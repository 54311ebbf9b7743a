//! Search across every processed document: by words (the store's full-text index of passages, BM25), by
//! meaning (an exact cosine scan over the chunks' MiniLM embeddings), or both, fused by reciprocal rank.
//!
//! The query is embedded with the same model the pipeline used, through the [`ModelHub`] (loaded once,
//! so only the first semantic query pays the load). The embeddings are scanned from one contiguous block
//! of f32 held by the [`Searcher`], read from the store again when the store changes; the block has a byte
//! bound ([`SearchOptions::max_index_bytes`]) past which the scan streams from the store instead, and it is
//! counted in the memory gauges (`search_index_bytes`), so the memory panel shows it.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde::Serialize;

use crate::models::ModelHub;
use crate::stages::embed::{EmbedOptions, EmbedStage, EMBEDDING_DIM};
use crate::stages::BBox;
use crate::store::search::{KeywordMatch, PassageKey, MATCH_END, MATCH_START};
use crate::store::Store;
use crate::Result;

/// The most results one search returns.
pub const MAX_RESULTS: usize = 1000;

/// How results are found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum SearchMode {
    /// Words and meaning, fused by reciprocal rank.
    #[default]
    Hybrid,
    /// Meaning only: cosine similarity of the query's embedding to each chunk's.
    Semantic,
    /// Words only: full-text matches ranked by BM25.
    Keyword,
}

impl SearchMode {
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "hybrid" => Some(SearchMode::Hybrid),
            "semantic" => Some(SearchMode::Semantic),
            "keyword" => Some(SearchMode::Keyword),
            _ => None,
        }
    }
}

/// One search: the query and what narrows it.
#[derive(Debug, Clone, Default)]
pub struct SearchQuery {
    pub text: String,
    /// How many results (10 when 0).
    pub k: usize,
    pub mode: SearchMode,
    /// Only this document (its content hash).
    pub document: Option<String>,
    /// Only pages whose text took this route (`text`, `ocr`, `mixed`).
    pub route: Option<String>,
    /// Only passages from regions of this layout class (`title`, `table`, …).
    pub class: Option<String>,
}

/// Settings of the searcher; the defaults suit a desktop library of documents.
#[derive(Debug, Clone)]
pub struct SearchOptions {
    /// Candidates each ranking contributes before fusion and filters. Raise it when filters leave too few.
    pub candidates: usize,
    /// Reciprocal-rank fusion's constant: larger flattens the difference between ranks (60 is the usual).
    pub rrf_k: f64,
    /// The most bytes the embeddings block may hold in memory (4 bytes × 384 per chunk: 150 MB is ~100,000
    /// chunks). Past it, each semantic query streams the embeddings from the store (slower, bounded).
    pub max_index_bytes: usize,
    /// Words of context in a snippet.
    pub snippet_words: usize,
}

impl Default for SearchOptions {
    fn default() -> Self {
        SearchOptions { candidates: 100, rrf_k: 60.0, max_index_bytes: 512 << 20, snippet_words: 24 }
    }
}

/// A piece of a snippet: plain text, or a matched word. The window draws matches highlighted, as text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SnippetPart {
    pub text: String,
    #[serde(rename = "match")]
    pub is_match: bool,
}

/// One result.
#[derive(Debug, Clone, Serialize)]
pub struct SearchHit {
    /// The document's content hash.
    pub doc: String,
    /// The path it was last opened from.
    pub path: String,
    pub name: String,
    /// 1-based.
    pub page: usize,
    /// The region's place in the page's reading order, where the passage is one region's text.
    pub region: Option<usize>,
    /// The region's class and box (page pixels at the page's DPI), for the window to scroll to and flash.
    pub class: Option<String>,
    pub bbox: Option<BBox>,
    pub dpi: f32,
    pub route: Option<String>,
    /// Higher is better: the fused reciprocal-rank score (hybrid), the cosine similarity (semantic), or
    /// BM25's relevance with its sign turned so that higher is better (keyword).
    pub score: f64,
    /// The ranks (1 first) the passage had by words and by meaning, where it had one.
    pub keyword_rank: Option<usize>,
    pub semantic_rank: Option<usize>,
    /// The passage around its matches, as plain text.
    pub snippet: String,
    /// The same snippet in parts, matched words marked.
    pub snippet_parts: Vec<SnippetPart>,
}

/// What one search found and what it cost.
#[derive(Debug, Clone, Serialize)]
pub struct SearchResults {
    pub query: String,
    pub mode: SearchMode,
    pub results: Vec<SearchHit>,
    /// Time to embed the query (0 for keyword search), including a first load of the model.
    pub embed_ms: f64,
    /// Whether this query loaded the embedding model.
    pub model_loaded: bool,
    /// Time for everything else: the scans, fusion and snippets.
    pub search_ms: f64,
    /// Chunks the semantic scan compared.
    pub chunks_scanned: usize,
}

/// The chunks' embeddings as one block, with where each row came from.
struct VectorIndex {
    generation: i64,
    vectors: Vec<f32>,
    keys: Vec<PassageKey>,
}

impl VectorIndex {
    fn bytes(&self) -> usize {
        self.vectors.capacity() * 4 + self.keys.capacity() * std::mem::size_of::<PassageKey>()
    }
}

/// Finds passages in a store; holds the embeddings block between queries.
pub struct Searcher {
    store: Arc<Store>,
    hub: Arc<ModelHub>,
    embed: EmbedStage,
    options: SearchOptions,
    index: Mutex<Option<VectorIndex>>,
}

/// A candidate row in the semantic scan's top-k heap (a min-heap on similarity, so the worst is on top).
#[derive(PartialEq)]
struct Scored(f32, usize);

impl Eq for Scored {}

impl PartialOrd for Scored {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Scored {
    fn cmp(&self, other: &Self) -> Ordering {
        other.0.total_cmp(&self.0).then(self.1.cmp(&other.1))
    }
}

/// The `k` rows of `vectors` (rows of `query.len()` values) most similar to `query`, best first, as (row,
/// similarity). One pass, no allocation per row.
pub fn top_k_cosine(query: &[f32], vectors: &[f32], k: usize) -> Vec<(usize, f32)> {
    top_k_cosine_where(query, vectors, k, |_| true)
}

/// [`top_k_cosine`] over the rows `keep` accepts.
pub fn top_k_cosine_where(query: &[f32], vectors: &[f32], k: usize, keep: impl Fn(usize) -> bool) -> Vec<(usize, f32)> {
    let mut heap = BinaryHeap::with_capacity(k + 1);
    for (row, v) in vectors.chunks_exact(query.len()).enumerate() {
        if keep(row) {
            push_bounded(&mut heap, Scored(dot(query, v), row), k);
        }
    }
    let mut best: Vec<(usize, f32)> = heap.into_iter().map(|Scored(s, row)| (row, s)).collect();
    best.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    best
}

fn push_bounded(heap: &mut BinaryHeap<Scored>, item: Scored, k: usize) {
    if k == 0 {
        return;
    }
    if heap.len() < k {
        heap.push(item);
    } else if heap.peek().is_some_and(|worst| item.0 > worst.0) {
        heap.pop();
        heap.push(item);
    }
}

/// A dot product in eight lanes, so the compiler keeps it in vector registers.
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut lanes = [0f32; 8];
    let (ac, bc) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = ac.remainder().iter().zip(bc.remainder()).map(|(x, y)| x * y).sum();
    for (x, y) in ac.zip(bc) {
        for i in 0..8 {
            lanes[i] += x[i] * y[i];
        }
    }
    lanes.iter().sum::<f32>() + tail
}

/// Reciprocal-rank fusion of ranked lists of the same items: each item scores Σ 1 / (k + rank).
pub fn reciprocal_rank_fusion<T: Copy + Eq + std::hash::Hash>(lists: &[&[T]], k: f64) -> Vec<(T, f64)> {
    let mut scores: HashMap<T, f64> = HashMap::new();
    let mut first_seen: Vec<T> = Vec::new();
    for list in lists {
        for (rank, item) in list.iter().enumerate() {
            let entry = scores.entry(*item).or_insert_with(|| {
                first_seen.push(*item);
                0.0
            });
            *entry += 1.0 / (k + rank as f64 + 1.0);
        }
    }
    let mut fused: Vec<(T, f64)> = first_seen.into_iter().map(|item| (item, scores[&item])).collect();
    // A stable sort keeps ties in the order they were first ranked.
    fused.sort_by(|a, b| b.1.total_cmp(&a.1));
    fused
}

/// The user's words as an FTS5 query: each word (or each "quoted phrase") a quoted string, so that nothing
/// typed is read as FTS5 syntax and each is cut into tokens by the index's own tokenizer (a word with
/// combining marks stays one word); joined with `joiner` (`AND` or `OR`). `None` when no word is left.
pub fn fts_query(text: &str, joiner: &str) -> Option<String> {
    let quoted = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    let has_word = |s: &str| s.chars().any(char::is_alphanumeric);
    let mut terms = Vec::new();
    for (i, part) in text.split('"').enumerate() {
        if i % 2 == 1 {
            let phrase = part.split_whitespace().collect::<Vec<_>>().join(" ");
            if has_word(&phrase) {
                terms.push(quoted(&phrase));
            }
        } else {
            terms.extend(part.split_whitespace().filter(|w| has_word(w)).map(quoted));
        }
    }
    (!terms.is_empty()).then(|| terms.join(&format!(" {joiner} ")))
}

/// A keyword snippet's marked text in parts.
fn parts_of_marked(marked: &str) -> Vec<SnippetPart> {
    let mut parts = Vec::new();
    let mut rest = marked;
    while let Some(start) = rest.find(MATCH_START) {
        if start > 0 {
            parts.push(SnippetPart { text: rest[..start].to_string(), is_match: false });
        }
        let after = &rest[start + MATCH_START.len_utf8()..];
        let end = after.find(MATCH_END).unwrap_or(after.len());
        parts.push(SnippetPart { text: after[..end].to_string(), is_match: true });
        rest = after.get(end + MATCH_END.len_utf8()..).unwrap_or("");
    }
    if !rest.is_empty() {
        parts.push(SnippetPart { text: rest.to_string(), is_match: false });
    }
    parts
}

/// A snippet of `text` for a passage found by meaning: `words` words around the first word the query shares
/// with it (from the start when it shares none), those words marked.
pub fn snippet_of(text: &str, query: &str, words: usize) -> Vec<SnippetPart> {
    let fold = |w: &str| w.trim_matches(|c: char| !c.is_alphanumeric()).to_lowercase();
    let wanted: Vec<String> = query.split_whitespace().map(fold).filter(|w| w.len() > 2).collect();
    let all: Vec<&str> = text.split_whitespace().collect();
    let first = all.iter().position(|w| wanted.contains(&fold(w))).unwrap_or(0);
    let start = first.saturating_sub(words / 3);
    let end = (start + words).min(all.len());
    let mut parts: Vec<SnippetPart> = Vec::new();
    let mut push = |text: String, is_match: bool| match parts.last_mut() {
        Some(last) if last.is_match == is_match && !is_match => last.text.push_str(&text),
        _ => parts.push(SnippetPart { text, is_match }),
    };
    if start > 0 {
        push("… ".into(), false);
    }
    for (i, word) in all[start..end].iter().enumerate() {
        if i > 0 {
            push(" ".into(), false);
        }
        if wanted.contains(&fold(word)) {
            push(word.to_string(), true);
        } else {
            push(word.to_string(), false);
        }
    }
    if end < all.len() {
        push(" …".into(), false);
    }
    parts
}

impl Searcher {
    pub fn new(store: Arc<Store>, hub: Arc<ModelHub>, options: SearchOptions) -> Self {
        let embed = EmbedStage::new(Arc::clone(&hub), EmbedOptions::default());
        Searcher { store, hub, embed, options, index: Mutex::new(None) }
    }

    /// Bytes the embeddings block holds now (what the memory panel draws as "Search index").
    pub fn index_bytes(&self) -> usize {
        self.index.lock().unwrap_or_else(|p| p.into_inner()).as_ref().map_or(0, VectorIndex::bytes)
    }

    /// Runs one search. A query with no word in it, or one narrowed to a document the store does not hold
    /// (not processed yet), finds nothing.
    pub fn search(&self, query: &SearchQuery) -> Result<SearchResults> {
        let k = if query.k == 0 { 10 } else { query.k.min(MAX_RESULTS) };
        let nothing = || SearchResults { query: query.text.clone(), mode: query.mode, results: Vec::new(), embed_ms: 0.0, model_loaded: false, search_ms: 0.0, chunks_scanned: 0 };
        if !query.text.chars().any(char::is_alphanumeric) {
            return Ok(nothing());
        }
        let document = match &query.document {
            Some(key) => match self.store.find_document(key)? {
                Some(record) => Some(record.id),
                None => return Ok(nothing()),
            },
            None => None,
        };
        let filtered = query.route.is_some() || query.class.is_some();
        let wanted = if filtered { self.options.candidates.max(k) * 4 } else { self.options.candidates.max(k) };

        let (mut embed_ms, mut model_loaded) = (0.0, false);
        let vector = if query.mode != SearchMode::Keyword {
            let loads_before = self.hub.stats(crate::models::ModelId::Embedding).load_count;
            let started = Instant::now();
            let vector = self.embed.embed(&[query.text.as_str()])?.pop().unwrap_or_default();
            embed_ms = started.elapsed().as_secs_f64() * 1e3;
            model_loaded = self.hub.stats(crate::models::ModelId::Embedding).load_count > loads_before;
            Some(vector)
        } else {
            None
        };
        let started = Instant::now();
        let (semantic, chunks_scanned) = match &vector {
            Some(vector) => self.semantic(vector, document, wanted)?,
            None => (Vec::new(), 0),
        };
        let keyword: Vec<KeywordMatch> = if query.mode != SearchMode::Semantic { self.keyword(&query.text, document, wanted, k)? } else { Vec::new() };

        let keyword_ids: Vec<_> = keyword.iter().map(|m| m.key.id()).collect();
        let semantic_ids: Vec<_> = semantic.iter().map(|(key, _)| key.id()).collect();
        let ranked: Vec<(_, f64)> = match query.mode {
            SearchMode::Hybrid => reciprocal_rank_fusion(&[&keyword_ids, &semantic_ids], self.options.rrf_k),
            SearchMode::Semantic => semantic.iter().map(|(key, s)| (key.id(), *s as f64)).collect(),
            SearchMode::Keyword => keyword.iter().map(|m| (m.key.id(), -m.bm25)).collect(),
        };

        let mut keys: HashMap<_, PassageKey> = HashMap::new();
        for key in semantic.iter().map(|(key, _)| *key).chain(keyword.iter().map(|m| m.key)) {
            keys.entry(key.id()).or_insert(key);
        }
        let mut results = Vec::new();
        let mut documents = HashMap::new();
        for (id, score) in ranked {
            if results.len() == k {
                break;
            }
            let key = keys[&id];
            let facts = self.store.passage_facts(key.document, key.page, key.region, key.chunk)?;
            if query.route.as_ref().is_some_and(|r| facts.route.as_ref() != Some(r)) || query.class.as_ref().is_some_and(|c| facts.class.as_ref() != Some(c)) {
                continue;
            }
            let keyword_rank = keyword_ids.iter().position(|k| *k == id);
            let marked = match (keyword_rank, fts_query(&query.text, "OR")) {
                (Some(rank), Some(any)) => self.store.keyword_snippet(&any, keyword[rank].rowid, self.options.snippet_words)?,
                _ => None,
            };
            let parts = match marked {
                Some(marked) => parts_of_marked(&marked),
                None => {
                    let text = match key.chunk {
                        Some(chunk) => self.store.chunk_text(key.document, key.page, chunk)?.unwrap_or_default(),
                        None => String::new(),
                    };
                    snippet_of(&text, &query.text, self.options.snippet_words)
                }
            };
            if !documents.contains_key(&key.document) {
                documents.insert(key.document, self.store.document_by_id(key.document)?);
            }
            let record = &documents[&key.document];
            results.push(SearchHit {
                doc: record.hash.clone(),
                path: record.last_path().to_string(),
                name: record.name.clone(),
                page: key.page,
                region: facts.region,
                class: facts.class,
                bbox: facts.bbox,
                dpi: facts.dpi,
                route: facts.route,
                score,
                keyword_rank: keyword_rank.map(|r| r + 1),
                semantic_rank: semantic_ids.iter().position(|k| *k == id).map(|r| r + 1),
                snippet: parts.iter().map(|p| p.text.as_str()).collect(),
                snippet_parts: parts,
            });
        }
        Ok(SearchResults {
            query: query.text.clone(),
            mode: query.mode,
            results,
            embed_ms,
            model_loaded,
            search_ms: started.elapsed().as_secs_f64() * 1e3,
            chunks_scanned,
        })
    }

    /// Full-text matches: passages with every word (AND) first; where those are fewer than the `k` results
    /// asked for, passages with any of the words follow. (Any of a query's common words matches most of a
    /// library, so the wider query runs only when it is needed.)
    fn keyword(&self, text: &str, document: Option<i64>, limit: usize, k: usize) -> Result<Vec<KeywordMatch>> {
        let Some(all) = fts_query(text, "AND") else {
            return Ok(Vec::new());
        };
        let mut found = self.store.keyword_matches(&all, document, limit)?;
        if found.len() < k {
            if let Some(any) = fts_query(text, "OR").filter(|any| *any != all) {
                let seen: std::collections::HashSet<_> = found.iter().map(|m| m.key.id()).collect();
                let more = self.store.keyword_matches(&any, document, limit)?;
                found.extend(more.into_iter().filter(|m| !seen.contains(&m.key.id())).take(limit - found.len()));
            }
        }
        Ok(found)
    }

    /// The `limit` chunks nearest the query's embedding, and how many were compared.
    fn semantic(&self, vector: &[f32], document: Option<i64>, limit: usize) -> Result<(Vec<(PassageKey, f32)>, usize)> {
        if vector.len() != EMBEDDING_DIM {
            return Ok((Vec::new(), 0));
        }
        let generation = self.store.data_generation()?;
        let mut guard = self.index.lock().unwrap_or_else(|p| p.into_inner());
        if guard.as_ref().is_none_or(|i| i.generation != generation) {
            *guard = None;
            self.hub.gauges().search_index_bytes.store(0, std::sync::atomic::Ordering::Relaxed);
            let rows = self.store.embedding_count(EMBEDDING_DIM)?;
            if rows * EMBEDDING_DIM * 4 <= self.options.max_index_bytes {
                let mut index = VectorIndex { generation, vectors: Vec::with_capacity(rows * EMBEDDING_DIM), keys: Vec::with_capacity(rows) };
                self.store.for_each_embedding(EMBEDDING_DIM, None, |key, bytes| {
                    index.keys.push(key);
                    index.vectors.extend(bytes.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])));
                })?;
                self.hub.gauges().search_index_bytes.store(index.bytes() as u64, std::sync::atomic::Ordering::Relaxed);
                *guard = Some(index);
            }
        }
        if let Some(index) = guard.as_ref() {
            let found = match document {
                None => top_k_cosine(vector, &index.vectors, limit),
                Some(doc) => top_k_cosine_where(vector, &index.vectors, limit, |row| index.keys[row].document == doc),
            };
            return Ok((found.into_iter().map(|(row, s)| (index.keys[row], s)).collect(), index.keys.len()));
        }
        drop(guard);
        // Past the byte bound: stream the rows, one at a time.
        let (mut heap, mut keys, mut scanned) = (BinaryHeap::with_capacity(limit + 1), Vec::new(), 0usize);
        let mut row = [0f32; EMBEDDING_DIM];
        self.store.for_each_embedding(EMBEDDING_DIM, document, |key, bytes| {
            for (v, b) in row.iter_mut().zip(bytes.chunks_exact(4)) {
                *v = f32::from_le_bytes([b[0], b[1], b[2], b[3]]);
            }
            let similarity = dot(vector, &row);
            // `limit` slots of keys at most: a row that enters a full heap takes the slot of the one it evicts.
            if heap.len() < limit {
                keys.push(key);
                heap.push(Scored(similarity, keys.len() - 1));
            } else if heap.peek().is_some_and(|w: &Scored| similarity > w.0) {
                let Scored(_, slot) = heap.pop().expect("a full heap has a worst row");
                keys[slot] = key;
                heap.push(Scored(similarity, slot));
            }
            scanned += 1;
        })?;
        let mut best: Vec<(PassageKey, f32)> = heap.into_iter().map(|Scored(s, i)| (keys[i], s)).collect();
        best.sort_by(|a, b| b.1.total_cmp(&a.1));
        Ok((best, scanned))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_k_is_the_exact_best_in_order() {
        let dim = 3;
        let rows = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.6, 0.8, 0.0], [-1.0, 0.0, 0.0], [0.8, 0.6, 0.0]];
        let flat: Vec<f32> = rows.iter().flatten().copied().collect();
        let best = top_k_cosine(&[1.0, 0.0, 0.0], &flat, 3);
        assert_eq!(best.iter().map(|b| b.0).collect::<Vec<_>>(), vec![0, 4, 2]);
        assert!((best[1].1 - 0.8).abs() < 1e-6);
        assert_eq!(top_k_cosine(&[1.0, 0.0, 0.0], &flat, 0), vec![]);
        assert_eq!(top_k_cosine(&[1.0, 0.0, 0.0], &flat, 10).len(), 5);
        let _ = dim;
    }

    #[test]
    fn eight_lane_dot_matches_the_plain_sum() {
        let a: Vec<f32> = (0..389).map(|i| (i as f32 * 0.37).sin()).collect();
        let b: Vec<f32> = (0..389).map(|i| (i as f32 * 0.11).cos()).collect();
        let plain: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
        assert!((dot(&a, &b) - plain).abs() < 1e-3);
    }

    #[test]
    fn fusion_rewards_what_both_lists_rank() {
        let fused = reciprocal_rank_fusion(&[&[1, 2, 3][..], &[3, 4, 1][..]], 60.0);
        let order: Vec<i32> = fused.iter().map(|f| f.0).collect();
        assert_eq!(order[..2], [1, 3]);
        assert!((fused[0].1 - (1.0 / 61.0 + 1.0 / 63.0)).abs() < 1e-12);
        assert_eq!(order.len(), 4);
    }

    #[test]
    fn typed_text_never_becomes_fts_syntax() {
        assert_eq!(fts_query("unwind protect", "AND").unwrap(), "\"unwind\" AND \"protect\"");
        assert_eq!(fts_query("say \"exact phrase\" now", "OR").unwrap(), "\"say\" OR \"exact phrase\" OR \"now\"");
        assert_eq!(fts_query("NEAR(a* OR b) -c ^d", "AND").unwrap(), "\"NEAR(a*\" AND \"OR\" AND \"b)\" AND \"-c\" AND \"^d\"");
        assert_eq!(fts_query("*** ()", "AND"), None);
        // A word with combining marks stays one word (the tokenizer keeps them in it).
        assert_eq!(fts_query("हिन्दी", "AND").unwrap(), "\"हिन्दी\"");
    }

    #[test]
    fn snippet_parts_keep_the_text_and_mark_matches() {
        let parts = parts_of_marked("the \u{2}unwind\u{3}-\u{2}protect\u{3} block");
        assert_eq!(parts.iter().filter(|p| p.is_match).map(|p| p.text.as_str()).collect::<Vec<_>>(), vec!["unwind", "protect"]);
        assert_eq!(parts.iter().map(|p| p.text.as_str()).collect::<String>(), "the unwind-protect block");
        let parts = snippet_of("one two three Protect, four", "protect", 3);
        assert_eq!(parts.iter().map(|p| p.text.as_str()).collect::<String>(), "… three Protect, four");
        assert_eq!(parts.iter().filter(|p| p.is_match).count(), 1);
    }
}
