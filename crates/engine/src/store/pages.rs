//! Pages in and out of the store's tables: one page's result is written in one transaction (its row, then
//! its regions, lines, tables, chunks and embeddings), and read back into the same [`PageResult`].

use std::collections::BTreeMap;

use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

use super::NOW;
use crate::document::source::Document;
use crate::models::ModelId;
use crate::native;
use crate::pipeline::{Outcome, PageResult, Stage, StageOutcome};
use crate::text::Route;
use crate::stages::{polygon_bbox, BBox, Chunk, LayoutRegion, LineSource, OcrLine, Table, TableCell};

/// A page's status as the store and its readers name it.
pub fn page_status(result: &PageResult) -> &'static str {
    if result.failed() {
        "failed"
    } else {
        "done"
    }
}


/// The id under which embeddings of the shipped embedding model are stored: its manifest checksum.
pub fn embedding_model_id() -> &'static str {
    native::artifact_sha256(ModelId::Embedding.artifact())
}

/// The manifest checksums of the models behind the stages that ran on the page.
fn models_used(result: &PageResult) -> BTreeMap<&'static str, &'static str> {
    let mut models = BTreeMap::new();
    for outcome in &result.outcomes {
        if let (Some(stage), Outcome::Done) = (Stage::parse(&outcome.stage), &outcome.outcome) {
            for model in stage.models(result.recogniser) {
                models.insert(model.artifact(), native::artifact_sha256(model.artifact()));
            }
        }
    }
    models
}

/// Adds the document (known by its hash) if it is new and records `path` as seen now; returns its row id.
pub fn register_document(connection: &Connection, hash: &str, document: &Document) -> rusqlite::Result<i64> {
    let kind = serde_json::to_value(document.kind).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
    register(connection, hash, &kind, &document.name, document.page_count(), document.size_bytes(), &document.path.display().to_string())
}

pub(crate) fn register(connection: &Connection, hash: &str, kind: &str, name: &str, pages: usize, bytes: u64, path: &str) -> rusqlite::Result<i64> {
    let id: i64 = connection.prepare_cached(&format!(
        "INSERT INTO documents (hash, kind, name, page_count, size_bytes, added_at) VALUES (?1, ?2, ?3, ?4, ?5, {NOW})
         ON CONFLICT (hash) DO UPDATE SET name = excluded.name RETURNING id"
    ))?
    .query_row(params![hash, kind, name, pages as i64, bytes as i64], |r| r.get(0))?;
    connection
        .prepare_cached(&format!(
            "INSERT INTO document_paths (document, path, first_seen, last_seen, seen)
             VALUES (?1, ?2, {NOW}, {NOW}, (SELECT COALESCE(MAX(seen), 0) + 1 FROM document_paths))
             ON CONFLICT (document, path) DO UPDATE SET last_seen = excluded.last_seen, seen = excluded.seen"
        ))?
        .execute(params![id, path])?;
    Ok(id)
}

/// Writes one page, replacing what the store held for it. The caller holds the transaction.
pub fn put_page(connection: &Connection, document: i64, job: Option<u64>, result: &PageResult) -> rusqlite::Result<()> {
    let page = result.page as i64;
    // Processed again: the old results go, and the corrections made to them.
    for table in ["regions", "lines", "page_tables", "chunks", "embeddings", "corrections"] {
        connection.prepare_cached(&format!("DELETE FROM {table} WHERE document = ?1 AND page = ?2"))?.execute(params![document, page])?;
    }
    let first = passage_rowid(document, page, 0);
    connection.prepare_cached("DELETE FROM passages WHERE rowid BETWEEN ?1 AND ?2")?.execute(params![first, first | 0xFFFF])?;
    let stages = serde_json::to_string(&result.outcomes).unwrap_or_else(|_| "[]".into());
    let models = serde_json::to_string(&models_used(result)).unwrap_or_else(|_| "{}".into());
    connection
        .prepare_cached(&format!(
            "INSERT OR REPLACE INTO pages (document, page, status, error, dpi, rotation, stages, models, route, route_reason, job, width, height, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, {NOW})"
        ))?
        .execute(params![
            document,
            page,
            page_status(result),
            result.error,
            result.dpi as f64,
            result.rotation as i64,
            stages,
            models,
            result.route.map(|r| r.name()),
            result.route_reason,
            job.map(|j| j as i64),
            result.width as i64,
            result.height as i64
        ])?;

    let mut regions = connection.prepare_cached(
        "INSERT INTO regions (document, page, ord, class, x0, y0, x1, y1, score, text) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?;
    for (i, r) in result.regions.iter().enumerate() {
        let [x0, y0, x1, y1] = r.bbox.map(f64::from);
        regions.execute(params![document, page, i as i64, r.class, x0, y0, x1, y1, r.score as f64, r.text])?;
    }
    let mut lines = connection.prepare_cached(
        "INSERT INTO lines (document, page, ord, text, polygon, x0, y0, x1, y1, confidence, source, words)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )?;
    for (i, l) in result.lines.iter().enumerate() {
        let [x0, y0, x1, y1] = polygon_bbox(&l.polygon).map(f64::from);
        let polygon = serde_json::to_string(&l.polygon).unwrap_or_default();
        let words = serde_json::to_string(&l.words).unwrap_or_default();
        lines.execute(params![document, page, i as i64, l.text, polygon, x0, y0, x1, y1, l.score as f64, l.source.name(), words])?;
    }
    let mut tables = connection.prepare_cached(
        "INSERT INTO page_tables (document, page, ord, x0, y0, x1, y1, html, cells) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?;
    for (i, t) in result.tables.iter().enumerate() {
        let [x0, y0, x1, y1] = t.bbox.map(f64::from);
        tables.execute(params![document, page, i as i64, x0, y0, x1, y1, t.html, serde_json::to_string(&t.cells).unwrap_or_default()])?;
    }
    let mut chunks = connection.prepare_cached(
        "INSERT INTO chunks (document, page, ord, text, page_start, page_end, region) VALUES (?1, ?2, ?3, ?4, ?2, ?2, ?5)",
    )?;
    let mut embeddings =
        connection.prepare_cached("INSERT INTO embeddings (document, page, chunk, model, dim, vector) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")?;
    let mut vector = Vec::new();
    for (i, c) in result.chunks.iter().enumerate() {
        chunks.execute(params![document, page, i as i64, c.text, c.region.map(|r| r as i64)])?;
        if !c.embedding.is_empty() {
            vector.clear();
            vector.extend(c.embedding.iter().flat_map(|v| v.to_le_bytes()));
            embeddings.execute(params![document, page, i as i64, embedding_model_id(), c.embedding.len() as i64, vector])?;
        }
    }
    put_passages(connection, document, result)
}

/// The rowid of passage `n` of a page (see the store's version 3).
pub(crate) fn passage_rowid(document: i64, page: i64, n: i64) -> i64 {
    (document << 40) | (page << 16) | (n & 0xFFFF)
}

/// The page's searchable passages: its chunks; where it has none, its regions' text and the lines outside
/// every region; where it has no regions, its lines as one passage.
fn put_passages(connection: &Connection, document: i64, result: &PageResult) -> rusqlite::Result<()> {
    let page = result.page as i64;
    let mut insert = connection.prepare_cached("INSERT INTO passages (rowid, text, document, page, chunk, region) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")?;
    if !result.chunks.is_empty() {
        for (i, c) in result.chunks.iter().enumerate().filter(|(_, c)| !c.text.trim().is_empty()) {
            insert.execute(params![passage_rowid(document, page, i as i64), c.text, document, page, i as i64, c.region.map(|r| r as i64)])?;
        }
    } else if !result.regions.is_empty() {
        for (i, r) in result.regions.iter().enumerate().filter(|(_, r)| !r.text.trim().is_empty()) {
            insert.execute(params![passage_rowid(document, page, i as i64), r.text, document, page, None::<i64>, i as i64])?;
        }
        let outside = lines_outside_regions(result);
        if !outside.trim().is_empty() {
            let n = result.regions.len() as i64;
            insert.execute(params![passage_rowid(document, page, n), outside, document, page, None::<i64>, None::<i64>])?;
        }
    } else if !result.lines.is_empty() {
        let text: Vec<&str> = result.lines.iter().map(|l| l.text.as_str()).collect();
        insert.execute(params![passage_rowid(document, page, 0), text.join("\n"), document, page, None::<i64>, None::<i64>])?;
    }
    Ok(())
}

/// The text of the page's lines that fall in no region (the rule that fills regions' text), one per row.
fn lines_outside_regions(result: &PageResult) -> String {
    let mut regions = result.regions.clone();
    let outside = crate::stages::reading_order::assign_text(&mut regions, &result.lines);
    outside.iter().map(|&i| result.lines[i].text.as_str()).collect::<Vec<_>>().join("\n")
}

fn text_error(e: serde_json::Error) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
}

/// Reads one page back, or `None` when the store has none for it. `doc` and `doc_hash` fill the result's
/// own fields.
pub fn read_page(connection: &Connection, document: i64, page: usize, doc: &str, doc_hash: &str) -> rusqlite::Result<Option<PageResult>> {
    let p = page as i64;
    let row = connection
        .prepare_cached("SELECT error, dpi, rotation, stages, route, route_reason, width, height FROM pages WHERE document = ?1 AND page = ?2")?
        .query_row(params![document, p], |r| {
            Ok((
                r.get::<_, Option<String>>(0)?,
                r.get::<_, f64>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, Option<String>>(4)?,
                r.get::<_, Option<String>>(5)?,
                r.get::<_, i64>(6)?,
                r.get::<_, i64>(7)?,
            ))
        })
        .optional()?;
    let Some((error, dpi, rotation, stages, route, route_reason, width, height)) = row else { return Ok(None) };
    let mut result = PageResult::empty(doc, page, dpi as f32);
    (result.width, result.height) = (width as u32, height as u32);
    result.doc_hash = doc_hash.to_string();
    result.error = error;
    result.rotation = rotation as u16;
    result.route = route.as_deref().and_then(Route::parse);
    result.route_reason = route_reason;
    result.outcomes = serde_json::from_str::<Vec<StageOutcome>>(&stages).map_err(text_error)?;

    let mut regions = connection.prepare_cached("SELECT class, x0, y0, x1, y1, score, text FROM regions WHERE document = ?1 AND page = ?2 ORDER BY ord")?;
    result.regions = regions
        .query_map(params![document, p], |r| {
            Ok(LayoutRegion {
                class: r.get(0)?,
                bbox: [r.get::<_, f64>(1)? as f32, r.get::<_, f64>(2)? as f32, r.get::<_, f64>(3)? as f32, r.get::<_, f64>(4)? as f32],
                score: r.get::<_, f64>(5)? as f32,
                text: r.get(6)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut lines = connection.prepare_cached("SELECT text, polygon, confidence, source, words FROM lines WHERE document = ?1 AND page = ?2 ORDER BY ord")?;
    result.lines = lines
        .query_map(params![document, p], |r| {
            let polygon: String = r.get(1)?;
            let source: String = r.get(3)?;
            let words: String = r.get(4)?;
            Ok(OcrLine {
                text: r.get(0)?,
                score: r.get::<_, f64>(2)? as f32,
                polygon: serde_json::from_str(&polygon).map_err(text_error)?,
                source: LineSource::parse(&source).unwrap_or_default(),
                words: serde_json::from_str(&words).map_err(text_error)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut tables = connection.prepare_cached("SELECT x0, y0, x1, y1, html, cells FROM page_tables WHERE document = ?1 AND page = ?2 ORDER BY ord")?;
    result.tables = tables
        .query_map(params![document, p], |r| {
            let cells: String = r.get(5)?;
            Ok(Table {
                bbox: [r.get::<_, f64>(0)? as f32, r.get::<_, f64>(1)? as f32, r.get::<_, f64>(2)? as f32, r.get::<_, f64>(3)? as f32],
                html: r.get(4)?,
                cells: serde_json::from_str::<Vec<TableCell>>(&cells).map_err(text_error)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut chunks = connection.prepare_cached(
        "SELECT c.text, c.region, e.vector FROM chunks c LEFT JOIN embeddings e ON e.document = c.document AND e.page = c.page AND e.chunk = c.ord
         WHERE c.document = ?1 AND c.page = ?2 ORDER BY c.ord",
    )?;
    result.chunks = chunks
        .query_map(params![document, p], |r| {
            let vector: Option<Vec<u8>> = r.get(2)?;
            let embedding = vector
                .unwrap_or_default()
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect();
            Ok(Chunk { text: r.get(0)?, embedding, region: r.get::<_, Option<i64>>(1)?.map(|i| i as usize) })
        })?
        .collect::<rusqlite::Result<_>>()?;
    apply_corrections(connection, document, &mut result)?;
    Ok(Some(result))
}

/// What a user corrected on a stored page; the store keeps it beside what was found. Lines and regions
/// are named by their places in the page as it reads now (with earlier corrections).
#[derive(Debug, Clone, PartialEq)]
pub enum Correction {
    /// Line `line` (its index in the page's lines) reads `text`.
    LineText { line: usize, text: String },
    /// Region `region` (its place in the page's regions) is of class `class`.
    RegionClass { region: usize, class: String },
    /// Region `region` is not a region: left out of the page (one layout analysis found is kept in the
    /// store and can be restored; one a user drew is gone).
    RegionDelete { region: usize },
    /// A region layout analysis missed: its box (page pixels of the upright page) and class.
    RegionAdd { bbox: BBox, class: String },
    /// Undoes the deletion of a region layout analysis found (`key` from the page's `deleted_regions`).
    RegionRestore { key: usize },
}

/// A drawn region as the store keeps it.
#[derive(Serialize, Deserialize)]
struct DrawnRegion {
    bbox: BBox,
    class: String,
}

/// Puts the page's corrections on its results: each corrected line takes its new text (its words split
/// from it again); regions a user deleted leave, drawn ones come in and each corrected region takes its
/// class, what was found noted in `edits`, `region_edits` and `deleted_regions`; where regions came or
/// went, they are put in reading order again. The regions' text follows their lines.
fn apply_corrections(connection: &Connection, document: i64, result: &mut PageResult) -> rusqlite::Result<()> {
    let mut statement = connection.prepare_cached("SELECT kind, target, value FROM corrections WHERE document = ?1 AND page = ?2 ORDER BY kind, target")?;
    let corrections: Vec<(String, usize, String)> = statement
        .query_map(params![document, result.page as i64], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as usize, r.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?;
    if corrections.is_empty() {
        return Ok(());
    }
    // Regions by key: the ones found keep their places as keys, drawn ones have keys after them.
    let mut regions: Vec<(usize, LayoutRegion)> = std::mem::take(&mut result.regions).into_iter().enumerate().collect();
    let mut added = Vec::new();
    let mut deleted = std::collections::HashSet::new();
    for (kind, key, value) in &corrections {
        match kind.as_str() {
            "region_add" => {
                if let Ok(d) = serde_json::from_str::<DrawnRegion>(value) {
                    regions.push((*key, LayoutRegion { class: d.class, bbox: d.bbox, score: 1.0, text: String::new() }));
                    added.push(*key);
                }
            }
            "region_delete" => {
                deleted.insert(*key);
            }
            _ => {}
        }
    }
    // Deleted regions are kept as layout analysis found them (before any change of class).
    let deleted_found: Vec<crate::pipeline::DeletedRegion> = regions
        .iter()
        .filter(|(k, _)| deleted.contains(k))
        .map(|(k, r)| crate::pipeline::DeletedRegion { key: *k, class: r.class.clone(), bbox: r.bbox })
        .collect();
    let mut class_edits = Vec::new();
    for (kind, key, value) in &corrections {
        match kind.as_str() {
            "line_text" => {
                let Some(line) = result.lines.get_mut(*key) else { continue };
                let original = std::mem::replace(&mut line.text, value.clone());
                // The words' boxes belonged to the text that was found; the exports split the new text along the line.
                line.words.clear();
                result.edits.push(crate::pipeline::LineEdit { line: *key, original });
            }
            "region_class" => {
                let Some((_, region)) = regions.iter_mut().find(|(k, _)| k == key) else { continue };
                let original_class = std::mem::replace(&mut region.class, value.clone());
                if !added.contains(key) {
                    class_edits.push((*key, original_class));
                }
            }
            _ => {}
        }
    }
    let structural = !added.is_empty() || !deleted.is_empty();
    if !deleted.is_empty() {
        // A deleted table region takes its table with it (the table stage keeps the region's box as the table's).
        result.tables.retain(|t| !deleted_found.iter().any(|d| d.bbox == t.bbox));
        result.deleted_regions = deleted_found;
        regions.retain(|(k, _)| !deleted.contains(k));
    }
    if structural {
        let bare: Vec<LayoutRegion> = regions.iter().map(|(_, r)| r.clone()).collect();
        let order = crate::stages::reading_order::reading_order(&bare);
        let mut slots: Vec<Option<(usize, LayoutRegion)>> = regions.into_iter().map(Some).collect();
        regions = order.into_iter().filter_map(|i| slots.get_mut(i).and_then(Option::take)).collect();
    }
    let place = |key: usize| regions.iter().position(|(k, _)| *k == key);
    result.region_edits = class_edits.into_iter().filter_map(|(key, original_class)| Some(crate::pipeline::RegionEdit { region: place(key)?, original_class })).collect();
    result.added_regions = added.iter().filter_map(|&k| place(k)).collect();
    if structural {
        for chunk in &mut result.chunks {
            chunk.region = chunk.region.and_then(place);
        }
    }
    result.region_keys = regions.iter().map(|(k, _)| *k).collect();
    result.regions = regions.into_iter().map(|(_, r)| r).collect();
    if (structural || !result.edits.is_empty()) && !result.regions.is_empty() {
        crate::stages::reading_order::assign_text(&mut result.regions, &result.lines);
    }
    Ok(())
}

/// Why a correction was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// No such stored page, line or region.
    NotFound,
    /// The correction itself is not one (an empty class, a box without area).
    Invalid(String),
}

/// Records `correction` on a stored page (replacing an earlier correction of the same line or region), and
/// makes the page's searchable text follow: the passages are rebuilt from the corrected regions and lines.
pub fn correct(connection: &Connection, document: i64, page: usize, correction: &Correction) -> rusqlite::Result<Result<(), Refusal>> {
    let Some(current) = read_page(connection, document, page, "", "")? else { return Ok(Err(Refusal::NotFound)) };
    let class_ok = |class: &str| {
        let c = class.trim();
        if c.is_empty() || c.chars().count() > 64 || c.chars().any(char::is_control) {
            Err(Refusal::Invalid("a region's class is a name of 1 to 64 characters".into()))
        } else {
            Ok(c.to_string())
        }
    };
    let put = |kind: &str, target: usize, value: &str| -> rusqlite::Result<()> {
        connection
            .prepare_cached(&format!(
                "INSERT INTO corrections (document, page, kind, target, value, edited_at) VALUES (?1, ?2, ?3, ?4, ?5, {NOW})
                 ON CONFLICT (document, page, kind, target) DO UPDATE SET value = excluded.value, edited_at = excluded.edited_at"
            ))?
            .execute(params![document, page as i64, kind, target as i64, value])
            .map(|_| ())
    };
    let found: i64 = connection
        .prepare_cached("SELECT COUNT(*) FROM regions WHERE document = ?1 AND page = ?2")?
        .query_row(params![document, page as i64], |r| r.get(0))?;
    let found = found as usize;
    match correction {
        Correction::LineText { line, text } => {
            if *line >= current.lines.len() {
                return Ok(Err(Refusal::NotFound));
            }
            put("line_text", *line, text)?;
        }
        Correction::RegionClass { region, class } => {
            let Some(key) = current.region_key(*region) else { return Ok(Err(Refusal::NotFound)) };
            let class = match class_ok(class) {
                Ok(c) => c,
                Err(e) => return Ok(Err(e)),
            };
            put("region_class", key, &class)?;
        }
        Correction::RegionDelete { region } => {
            let Some(key) = current.region_key(*region) else { return Ok(Err(Refusal::NotFound)) };
            if key >= found {
                // Drawn by a user: nothing was found there to keep.
                connection
                    .prepare_cached("DELETE FROM corrections WHERE document = ?1 AND page = ?2 AND kind IN ('region_add', 'region_class') AND target = ?3")?
                    .execute(params![document, page as i64, key as i64])?;
            } else {
                put("region_delete", key, "")?;
            }
        }
        Correction::RegionAdd { bbox, class } => {
            let class = match class_ok(class) {
                Ok(c) => c,
                Err(e) => return Ok(Err(e)),
            };
            let [x0, y0, x1, y1] = *bbox;
            let (w, h) = upright_size(&current);
            let inside = |v: f32, max: f32| v.is_finite() && v >= 0.0 && (max <= 0.0 || v <= max + 0.5);
            if !(inside(x0, w) && inside(x1, w) && inside(y0, h) && inside(y1, h)) || x1 - x0 < 1.0 || y1 - y0 < 1.0 {
                return Ok(Err(Refusal::Invalid(format!("a drawn region needs a box of at least 1 × 1 pixels on the page, not {bbox:?}"))));
            }
            let last: Option<i64> = connection
                .prepare_cached("SELECT MAX(target) FROM corrections WHERE document = ?1 AND page = ?2 AND kind = 'region_add'")?
                .query_row(params![document, page as i64], |r| r.get(0))?;
            let key = last.map_or(found, |k| (k as usize + 1).max(found));
            let value = serde_json::to_string(&DrawnRegion { bbox: *bbox, class }).map_err(text_error)?;
            put("region_add", key, &value)?;
        }
        Correction::RegionRestore { key } => {
            let n = connection
                .prepare_cached("DELETE FROM corrections WHERE document = ?1 AND page = ?2 AND kind = 'region_delete' AND target = ?3")?
                .execute(params![document, page as i64, *key as i64])?;
            if n == 0 {
                return Ok(Err(Refusal::NotFound));
            }
        }
    }
    let Some(mut corrected) = read_page(connection, document, page, "", "")? else { return Ok(Err(Refusal::NotFound)) };
    let first = passage_rowid(document, page as i64, 0);
    connection.prepare_cached("DELETE FROM passages WHERE rowid BETWEEN ?1 AND ?2")?.execute(params![first, first | 0xFFFF])?;
    // A chunk's text is what was embedded; the corrected page is searched by words in its corrected text,
    // under the same chunk keys (so a passage found both ways is one): the first chunk of each region takes
    // the region's corrected text, the first chunk outside every region the corrected lines there.
    let outside = lines_outside_regions(&corrected);
    let mut seen = std::collections::HashSet::new();
    let texts: Vec<String> = corrected
        .chunks
        .iter()
        .map(|c| match c.region {
            _ if !seen.insert(c.region) => String::new(),
            Some(r) => corrected.regions.get(r).map(|region| region.text.clone()).unwrap_or_default(),
            None => outside.clone(),
        })
        .collect();
    for (chunk, text) in corrected.chunks.iter_mut().zip(texts) {
        chunk.text = text;
    }
    put_passages(connection, document, &corrected)?;
    // Drawn regions have no chunk: their text is a passage of its own, after the chunks'.
    if !corrected.chunks.is_empty() {
        let mut insert = connection.prepare_cached("INSERT INTO passages (rowid, text, document, page, chunk, region) VALUES (?1, ?2, ?3, ?4, NULL, ?5)")?;
        let n = corrected.chunks.len();
        for (j, &place) in corrected.added_regions.iter().enumerate() {
            let text = corrected.regions.get(place).map_or("", |r| r.text.as_str());
            if !text.trim().is_empty() {
                insert.execute(params![passage_rowid(document, page as i64, (n + j) as i64), text, document, page as i64, place as i64])?;
            }
        }
    }
    Ok(Ok(()))
}

/// The page's size in pixels once turned upright (where its regions' boxes are); 0 where unknown.
fn upright_size(result: &PageResult) -> (f32, f32) {
    let (w, h) = (result.width as f32, result.height as f32);
    if result.rotation % 180 == 90 {
        (h, w)
    } else {
        (w, h)
    }
}
