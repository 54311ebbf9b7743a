//! The store's schema and its migrations. The version lives in SQLite's `PRAGMA user_version`; each
//! migration takes a file from one version to the next inside one transaction, so a file is always at a
//! version this code knows, or untouched.
//!
//! - version 0: one `pages` table of JSON results keyed by a document's path (the first stores).
//! - version 1: documents known by their content hash, pages with an outcome per stage, and their regions,
//!   lines, tables, chunks and embeddings in tables of their own; jobs and the pages each has finished.
//!   The version-0 pages are imported (their table is kept as `pages_v0`).
//! - version 2: each line's words (text, polygon, confidence) as JSON in `lines.words`; lines stored
//!   before have none (`[]`) until their page is processed again.
//! - version 3: `passages`, the full-text index search reads (FTS5, `unicode61` with diacritics removed):
//!   each page's chunks, or where it has none its regions' text, or where it has neither its lines. Built
//!   from the pages already stored. Each page's image size in pixels (`pages.width`, `pages.height`; 0 for
//!   pages stored before).
//! - version 4: `corrections`, what a user changed on a page (a line's text), kept beside what was found and
//!   applied when the page is read; a page processed again drops its corrections with its old results.

use rusqlite::{Connection, OptionalExtension, Transaction};

/// The version this build writes.
pub const VERSION: i64 = 4;

const V1: &str = "
CREATE TABLE documents (
    id INTEGER PRIMARY KEY,
    hash TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    page_count INTEGER NOT NULL,
    size_bytes INTEGER NOT NULL,
    added_at TEXT NOT NULL
);
CREATE TABLE document_paths (
    document INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    -- Higher for a later sighting, so that sightings within one clock tick keep their order.
    seen INTEGER NOT NULL,
    PRIMARY KEY (document, path)
) WITHOUT ROWID;
CREATE INDEX document_paths_by_path ON document_paths(path);
CREATE TABLE pages (
    document INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    page INTEGER NOT NULL,
    status TEXT NOT NULL,
    error TEXT,
    dpi REAL NOT NULL,
    rotation INTEGER NOT NULL,
    stages TEXT NOT NULL,
    models TEXT NOT NULL,
    route TEXT,
    route_reason TEXT,
    job INTEGER,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (document, page)
) WITHOUT ROWID;
CREATE TABLE regions (
    document INTEGER NOT NULL,
    page INTEGER NOT NULL,
    ord INTEGER NOT NULL,
    class TEXT NOT NULL,
    x0 REAL NOT NULL, y0 REAL NOT NULL, x1 REAL NOT NULL, y1 REAL NOT NULL,
    score REAL NOT NULL,
    text TEXT NOT NULL,
    PRIMARY KEY (document, page, ord),
    FOREIGN KEY (document, page) REFERENCES pages(document, page) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE TABLE lines (
    document INTEGER NOT NULL,
    page INTEGER NOT NULL,
    ord INTEGER NOT NULL,
    text TEXT NOT NULL,
    polygon TEXT NOT NULL,
    x0 REAL NOT NULL, y0 REAL NOT NULL, x1 REAL NOT NULL, y1 REAL NOT NULL,
    confidence REAL NOT NULL,
    source TEXT NOT NULL,
    PRIMARY KEY (document, page, ord),
    FOREIGN KEY (document, page) REFERENCES pages(document, page) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE TABLE page_tables (
    document INTEGER NOT NULL,
    page INTEGER NOT NULL,
    ord INTEGER NOT NULL,
    x0 REAL NOT NULL, y0 REAL NOT NULL, x1 REAL NOT NULL, y1 REAL NOT NULL,
    html TEXT NOT NULL,
    cells TEXT NOT NULL,
    PRIMARY KEY (document, page, ord),
    FOREIGN KEY (document, page) REFERENCES pages(document, page) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE TABLE chunks (
    document INTEGER NOT NULL,
    page INTEGER NOT NULL,
    ord INTEGER NOT NULL,
    text TEXT NOT NULL,
    page_start INTEGER NOT NULL,
    page_end INTEGER NOT NULL,
    region INTEGER,
    PRIMARY KEY (document, page, ord),
    FOREIGN KEY (document, page) REFERENCES pages(document, page) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE TABLE embeddings (
    document INTEGER NOT NULL,
    page INTEGER NOT NULL,
    chunk INTEGER NOT NULL,
    model TEXT NOT NULL,
    dim INTEGER NOT NULL,
    vector BLOB NOT NULL,
    PRIMARY KEY (document, page, chunk),
    FOREIGN KEY (document, page) REFERENCES pages(document, page) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE TABLE jobs (
    id INTEGER PRIMARY KEY,
    spec TEXT NOT NULL,
    state TEXT NOT NULL,
    position INTEGER NOT NULL,
    pages_total INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    started_at TEXT,
    finished_at TEXT,
    error TEXT,
    owner_pid INTEGER
);
CREATE TABLE job_pages (
    job INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    document INTEGER NOT NULL,
    page INTEGER NOT NULL,
    status TEXT NOT NULL,
    PRIMARY KEY (job, document, page)
) WITHOUT ROWID;
";

const V2: &str = "ALTER TABLE lines ADD COLUMN words TEXT NOT NULL DEFAULT '[]';";

/// The rowid of a page's passages: `document << 40 | page << 16 | n`, so that one page's rows are one rowid
/// range (FTS5 finds a range without scanning; its unindexed columns it would have to scan).
const V3: &str = "
ALTER TABLE pages ADD COLUMN width INTEGER NOT NULL DEFAULT 0;
ALTER TABLE pages ADD COLUMN height INTEGER NOT NULL DEFAULT 0;
CREATE VIRTUAL TABLE passages USING fts5(
    text, document UNINDEXED, page UNINDEXED, chunk UNINDEXED, region UNINDEXED,
    tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO passages (rowid, text, document, page, chunk, region)
    SELECT (document << 40) | (page << 16) | ord, text, document, page, ord, region FROM chunks WHERE text <> '';
INSERT INTO passages (rowid, text, document, page, chunk, region)
    SELECT (r.document << 40) | (r.page << 16) | r.ord, r.text, r.document, r.page, NULL, r.ord FROM regions r
    WHERE r.text <> '' AND NOT EXISTS (SELECT 1 FROM chunks c WHERE c.document = r.document AND c.page = r.page);
INSERT INTO passages (rowid, text, document, page, chunk, region)
    SELECT (document << 40) | (page << 16), group_concat(text, char(10)), document, page, NULL, NULL
    FROM (SELECT l.document, l.page, l.text FROM lines l
          WHERE NOT EXISTS (SELECT 1 FROM chunks c WHERE c.document = l.document AND c.page = l.page)
            AND NOT EXISTS (SELECT 1 FROM regions r WHERE r.document = l.document AND r.page = l.page AND r.text <> '')
          ORDER BY l.document, l.page, l.ord)
    GROUP BY document, page;
";

const V4: &str = "
CREATE TABLE corrections (
    document INTEGER NOT NULL,
    page INTEGER NOT NULL,
    kind TEXT NOT NULL,
    target INTEGER NOT NULL,
    value TEXT NOT NULL,
    edited_at TEXT NOT NULL,
    PRIMARY KEY (document, page, kind, target),
    FOREIGN KEY (document, page) REFERENCES pages(document, page) ON DELETE CASCADE
) WITHOUT ROWID;
";

/// Why a file cannot be brought to [`VERSION`].
#[derive(Debug)]
pub enum MigrationError {
    /// Written by a newer Folio.
    TooNew(i64),
    Sqlite(rusqlite::Error),
}

impl From<rusqlite::Error> for MigrationError {
    fn from(e: rusqlite::Error) -> Self {
        MigrationError::Sqlite(e)
    }
}

pub fn version(connection: &Connection) -> rusqlite::Result<i64> {
    connection.query_row("PRAGMA user_version", [], |r| r.get(0))
}

/// Whether the file holds the version-0 `pages` table (with its `result` JSON column).
fn has_v0_pages(tx: &Transaction<'_>) -> rusqlite::Result<bool> {
    let sql: Option<String> =
        tx.query_row("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'pages'", [], |r| r.get(0)).optional()?;
    Ok(sql.is_some_and(|s| s.contains("result")))
}

/// Brings the file to [`VERSION`], each step in one transaction (version 0's pages are imported inside
/// its step, so a crash leaves the file at version 0 with its pages). Returns the pages imported.
pub fn migrate(connection: &mut Connection) -> Result<usize, MigrationError> {
    let mut from = version(connection)?;
    if from > VERSION {
        return Err(MigrationError::TooNew(from));
    }
    let mut imported = 0;
    while from < VERSION {
        let tx = connection.transaction()?;
        from = match from {
            // The import writes pages as this build does, so a first store goes straight to the newest
            // tables and its pages come in with them.
            0 => {
                let v0 = has_v0_pages(&tx)?;
                if v0 {
                    tx.execute_batch("ALTER TABLE pages RENAME TO pages_v0;")?;
                }
                tx.execute_batch(V1)?;
                tx.execute_batch(V2)?;
                tx.execute_batch(V3)?;
                tx.execute_batch(V4)?;
                if v0 {
                    imported += super::legacy::import_v0(&tx, "pages_v0")?;
                }
                4
            }
            1 => {
                tx.execute_batch(V2)?;
                2
            }
            2 => {
                tx.execute_batch(V3)?;
                3
            }
            3 => {
                tx.execute_batch(V4)?;
                4
            }
            _ => unreachable!("every version below VERSION has a migration"),
        };
        tx.pragma_update(None, "user_version", from)?;
        tx.commit()?;
    }
    Ok(imported)
}
