//! What search reads from the store: full-text matches from `passages` (FTS5, BM25 order; snippets apart)
//! and the chunks' embeddings, one row at a time. Ranking and fusion are in [`crate::search`].

use rusqlite::{params, OptionalExtension};

use super::pages::passage_rowid;
use super::{document_record, DocumentRecord, Store};
use crate::Result;

/// Marks around a matched term in a keyword snippet (control characters no document text keeps).
pub const MATCH_START: char = '\u{2}';
pub const MATCH_END: char = '\u{3}';

/// Where a passage is: its document (the store's row id), page, chunk (when it is one) and region.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PassageKey {
    pub document: i64,
    pub page: usize,
    pub chunk: Option<usize>,
    pub region: Option<usize>,
}

impl PassageKey {
    /// The same passage whether it was found by words or by meaning (region is where, not which).
    pub fn id(&self) -> (i64, usize, Option<usize>, Option<usize>) {
        (self.document, self.page, self.chunk, if self.chunk.is_some() { None } else { self.region })
    }
}

/// Where a passage sits: its page's route and DPI, its region's class and box.
#[derive(Debug, Clone, Default)]
pub struct PassageFacts {
    pub route: Option<String>,
    pub dpi: f32,
    /// The passage's region as its page reads now (a chunk's region moves when regions are drawn or deleted).
    pub region: Option<usize>,
    pub class: Option<String>,
    pub bbox: Option<crate::stages::BBox>,
}

/// One full-text match.
#[derive(Debug, Clone)]
pub struct KeywordMatch {
    pub key: PassageKey,
    /// SQLite's BM25 (lower is better).
    pub bm25: f64,
    /// The passage's row, for its snippet ([`Store::keyword_snippet`]).
    pub rowid: i64,
}

/// The rowids of one document's passages, or of all (see the store's version 3: `document << 40 | …`).
fn rowid_range(document: Option<i64>) -> (i64, i64) {
    match document {
        Some(d) => (passage_rowid(d, 0, 0), passage_rowid(d + 1, 0, 0) - 1),
        None => (0, i64::MAX),
    }
}

impl Store {
    /// Up to `limit` passages matching the FTS5 `query`, best first, of one document or of all. Scores only:
    /// snippets are made for the few results shown ([`Store::keyword_snippet`]), not for every candidate.
    pub fn keyword_matches(&self, query: &str, document: Option<i64>, limit: usize) -> Result<Vec<KeywordMatch>> {
        let (low, high) = rowid_range(document);
        self.read(|c| {
            let mut statement = c.prepare_cached(
                "SELECT rowid, document, page, chunk, region, bm25(passages) FROM passages
                 WHERE passages MATCH ?1 AND rowid BETWEEN ?2 AND ?3 ORDER BY bm25(passages) LIMIT ?4",
            )?;
            let rows = statement.query_map(params![query, low, high, limit as i64], |r| {
                Ok(KeywordMatch {
                    rowid: r.get(0)?,
                    key: PassageKey {
                        document: r.get(1)?,
                        page: r.get::<_, i64>(2)? as usize,
                        chunk: r.get::<_, Option<i64>>(3)?.map(|v| v as usize),
                        region: r.get::<_, Option<i64>>(4)?.map(|v| v as usize),
                    },
                    bm25: r.get(5)?,
                })
            })?;
            rows.collect()
        })
    }

    /// The passage `rowid` around the matches of `query`, about `tokens` tokens, each match between
    /// [`MATCH_START`] and [`MATCH_END`].
    pub fn keyword_snippet(&self, query: &str, rowid: i64, tokens: usize) -> Result<Option<String>> {
        self.read(|c| {
            c.prepare_cached("SELECT snippet(passages, 0, char(2), char(3), '…', ?3) FROM passages WHERE passages MATCH ?1 AND rowid = ?2")?
                .query_row(params![query, rowid, tokens.clamp(1, 64) as i64], |r| r.get(0))
                .optional()
        })
    }

    /// Calls `each` with every stored embedding of `dim` values (of one document or of all), as the
    /// little-endian bytes the store holds, without a copy per row.
    pub fn for_each_embedding(&self, dim: usize, document: Option<i64>, mut each: impl FnMut(PassageKey, &[u8])) -> Result<()> {
        self.read(|c| {
            let mut statement = c.prepare_cached(
                "SELECT e.document, e.page, e.chunk, c.region, e.vector FROM embeddings e
                 JOIN chunks c ON c.document = e.document AND c.page = e.page AND c.ord = e.chunk
                 WHERE e.dim = ?1 AND (?2 IS NULL OR e.document = ?2)",
            )?;
            let mut rows = statement.query(params![dim as i64, document])?;
            while let Some(row) = rows.next()? {
                let key = PassageKey {
                    document: row.get(0)?,
                    page: row.get::<_, i64>(1)? as usize,
                    chunk: Some(row.get::<_, i64>(2)? as usize),
                    region: row.get::<_, Option<i64>>(3)?.map(|v| v as usize),
                };
                let bytes = row.get_ref(4)?.as_blob()?;
                if bytes.len() == dim * 4 {
                    each(key, bytes);
                }
            }
            Ok(())
        })
    }

    /// A chunk's text as search shows it: its passage's (a corrected page's corrected text), else the chunk's
    /// own.
    pub fn chunk_text(&self, document: i64, page: usize, chunk: usize) -> Result<Option<String>> {
        let rowid = passage_rowid(document, page as i64, chunk as i64);
        self.read(|c| {
            let passage: Option<String> = c.prepare_cached("SELECT text FROM passages WHERE rowid = ?1")?.query_row(params![rowid], |r| r.get(0)).optional()?;
            match passage {
                Some(text) => Ok(Some(text)),
                None => c
                    .prepare_cached("SELECT text FROM chunks WHERE document = ?1 AND page = ?2 AND ord = ?3")?
                    .query_row(params![document, page as i64, chunk as i64], |r| r.get(0))
                    .optional(),
            }
        })
    }

    /// The document behind a store row id.
    pub fn document_by_id(&self, id: i64) -> Result<DocumentRecord> {
        self.read(|c| document_record(c, id))
    }

    /// How many embeddings of `dim` values the store holds.
    pub fn embedding_count(&self, dim: usize) -> Result<usize> {
        self.read(|c| c.prepare_cached("SELECT COUNT(*) FROM embeddings WHERE dim = ?1")?.query_row(params![dim as i64], |r| r.get::<_, i64>(0)))
            .map(|n| n as usize)
    }

    /// A page's route and DPI, and the place, class and box of a passage's region (`region` as the passage
    /// or the chunk `chunk` names it), for search's filters and for the window to show where a result is.
    pub fn passage_facts(&self, document: i64, page: usize, region: Option<usize>, chunk: Option<usize>) -> Result<PassageFacts> {
        self.read(|c| {
            let (route, dpi): (Option<String>, f64) = c
                .prepare_cached("SELECT route, dpi FROM pages WHERE document = ?1 AND page = ?2")?
                .query_row(params![document, page as i64], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?
                .unwrap_or((None, 0.0));
            // Where regions were drawn or deleted, a passage names the region's place in the page as it
            // reads now: read the page.
            let reshaped: bool = c
                .prepare_cached("SELECT EXISTS (SELECT 1 FROM corrections WHERE document = ?1 AND page = ?2 AND kind IN ('region_add', 'region_delete'))")?
                .query_row(params![document, page as i64], |r| r.get(0))?;
            if reshaped {
                let Some(read) = super::pages::read_page(c, document, page, "", "")? else {
                    return Ok(PassageFacts { route, dpi: dpi as f32, region: None, class: None, bbox: None });
                };
                // A chunk names the region as analysis found it; the page read now says where that region is.
                let region = match chunk {
                    Some(chunk) => read.chunks.get(chunk).and_then(|c| c.region),
                    None => region,
                };
                let found = region.and_then(|r| read.regions.get(r));
                return Ok(PassageFacts { route, dpi: dpi as f32, region, class: found.map(|r| r.class.clone()), bbox: found.map(|r| r.bbox) });
            }
            let (class, bbox) = match region {
                Some(region) => c
                    .prepare_cached(
                        "SELECT COALESCE(c.value, r.class), r.x0, r.y0, r.x1, r.y1 FROM regions r
                         LEFT JOIN corrections c ON c.document = r.document AND c.page = r.page AND c.kind = 'region_class' AND c.target = r.ord
                         WHERE r.document = ?1 AND r.page = ?2 AND r.ord = ?3",
                    )?
                    .query_row(params![document, page as i64, region as i64], |r| {
                        Ok((Some(r.get::<_, String>(0)?), Some([r.get::<_, f64>(1)? as f32, r.get::<_, f64>(2)? as f32, r.get::<_, f64>(3)? as f32, r.get::<_, f64>(4)? as f32])))
                    })
                    .optional()?
                    .unwrap_or((None, None)),
                None => (None, None),
            };
            Ok(PassageFacts { route, dpi: dpi as f32, region, class, bbox })
        })
    }

    /// A number that changes whenever the store's file changes (SQLite's `data_version` on the read
    /// connection: every write, this process's own writer included, is another connection's), so a cache of
    /// what the store holds knows when to read again.
    pub fn data_generation(&self) -> Result<i64> {
        self.read(|c| c.query_row("PRAGMA data_version", [], |r| r.get(0)))
    }
}
