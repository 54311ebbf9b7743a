//! Importing the first stores' pages (version 0: JSON results keyed by a document's path). A document whose
//! file is still where it was is known by its content hash from then on; one whose file is gone is kept
//! under a stand-in identity made from its path (`missing:` and the BLAKE3 of the path), listed under that
//! path, so its results are not lost.

use std::collections::HashMap;
use std::path::Path;

use rusqlite::Connection;

use super::pages::{put_page, register, register_document};
use crate::document::source::{open_path, OpenOptions};
use crate::pipeline::PageResult;

/// The document row for a version-0 path, registering it on first sight.
fn document_for(connection: &Connection, path: &str, pages_seen: usize) -> rusqlite::Result<(i64, String)> {
    let opened = open_path(Path::new(path), &OpenOptions::default());
    if let Some(document) = opened.documents.into_iter().find(|d| d.path == Path::new(path)) {
        if let Ok(hash) = document.content_hash() {
            return Ok((register_document(connection, &hash, &document)?, hash));
        }
    }
    let hash = format!("missing:{}", blake3::hash(path.as_bytes()).to_hex());
    let name = Path::new(path).file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| path.to_string());
    Ok((register(connection, &hash, "unknown", &name, pages_seen, 0, path)?, hash))
}

/// Copies every row of `table` (a version-0 `pages` table) into the current tables; returns how many.
/// Rows whose JSON does not parse are skipped with a warning (their row stays in `table`).
pub fn import_v0(connection: &Connection, table: &str) -> rusqlite::Result<usize> {
    let mut pages_seen: HashMap<String, usize> = HashMap::new();
    {
        let mut counts = connection.prepare(&format!("SELECT doc, MAX(page) FROM {table} GROUP BY doc"))?;
        for row in counts.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))? {
            let (doc, max) = row?;
            pages_seen.insert(doc, max.max(0) as usize);
        }
    }
    let mut documents: HashMap<String, (i64, String)> = HashMap::new();
    let mut imported = 0;
    let mut rows = connection.prepare(&format!("SELECT doc, page, dpi, result FROM {table} ORDER BY doc, page"))?;
    let mut query = rows.query([])?;
    while let Some(row) = query.next()? {
        let (doc, page, dpi, json): (String, i64, f64, String) = (row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?);
        let mut result: PageResult = match serde_json::from_str(&json) {
            Ok(result) => result,
            Err(error) => {
                tracing::warn!(%doc, page, %error, "a version-0 page result does not parse; it stays in {table}");
                continue;
            }
        };
        if !documents.contains_key(&doc) {
            let entry = document_for(connection, &doc, pages_seen.get(&doc).copied().unwrap_or(0))?;
            documents.insert(doc.clone(), entry);
        }
        let (id, hash) = &documents[&doc];
        result.page = page as usize;
        result.dpi = dpi as f32;
        result.doc_hash = hash.clone();
        put_page(connection, *id, None, &result)?;
        imported += 1;
    }
    Ok(imported)
}
