//! The document store: everything Folio computes, in one SQLite file, written a page at a time as pages
//! finish, so a cancelled, killed or crashed job loses nothing it finished and results never accumulate
//! in memory. Documents are known by their content hash ([`crate::document::identity`]); jobs and the
//! pages each has finished are kept too, so an interrupted job can go on where it stopped.
//!
//! One writer connection (behind a lock: one transaction per page) and a separate read connection, so
//! that the window's reads never wait for the writer (WAL). The schema and its migrations are in
//! [`schema`]; pages in and out of the tables in [`pages`]; jobs in [`jobs`]; the first stores' pages
//! are imported by [`legacy`].

pub mod jobs;
pub mod legacy;
pub mod pages;
pub mod schema;
pub mod search;

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::{params, Connection, ErrorCode, OpenFlags, OptionalExtension};
use serde::Serialize;

use crate::document::source::Document;
use crate::pipeline::PageResult;
use crate::{Error, Result};

pub use jobs::{JobDocument, JobRecord, StoredSpec};

/// The current time as the store writes it (UTC, ISO 8601 with milliseconds).
pub(crate) const NOW: &str = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";

/// How long a write waits for another process's write to finish before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The store's file when no other is named: `$XDG_DATA_HOME/folio/folio.sqlite` (by default
/// `~/.local/share/folio/folio.sqlite`), shared by the app and the command line.
pub fn default_path() -> PathBuf {
    let base = std::env::var_os("XDG_DATA_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
        .unwrap_or_else(|| PathBuf::from("."));
    base.join("folio").join("folio.sqlite")
}

/// Puts a SQLite error in the words a user needs: a damaged file, one another process holds, a full disk.
fn classify(path: &Path, e: rusqlite::Error) -> Error {
    let path = path.to_path_buf();
    match e.sqlite_error_code() {
        Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase) => Error::StoreCorrupt { path, detail: e.to_string() },
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => Error::StoreLocked { path },
        Some(ErrorCode::DiskFull) => Error::StoreFull { path },
        Some(ErrorCode::ReadOnly) => Error::StoreReadOnly { path },
        _ => Error::Store { path, detail: e.to_string() },
    }
}

/// A stored page's status (`done` or `failed`), where its text came from (`text`, `ocr`, `mixed`; `None`
/// when its job asked for no text), and what it holds.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PageStatus {
    pub page: usize,
    pub status: String,
    pub route: Option<String>,
    pub route_reason: Option<String>,
    /// Its lines (text-layer and OCR), the OCR ones among them, and their mean confidence (none without OCR
    /// lines): what the document overview lists and filters on.
    pub lines: usize,
    pub ocr_lines: usize,
    pub mean_confidence: Option<f64>,
    /// Lines and regions a user corrected.
    pub edited: usize,
}

/// A document as the store knows it.
#[derive(Debug, Clone, Serialize)]
pub struct DocumentRecord {
    #[serde(skip)]
    pub id: i64,
    pub hash: String,
    pub kind: String,
    pub name: String,
    pub page_count: usize,
    pub size_bytes: u64,
    /// Every path it was opened from, most recent first.
    pub paths: Vec<String>,
}

impl DocumentRecord {
    /// The path it was last opened from.
    pub fn last_path(&self) -> &str {
        self.paths.first().map(String::as_str).unwrap_or("")
    }
}

pub struct Store {
    path: PathBuf,
    writer: Mutex<Connection>,
    reader: Mutex<Connection>,
    read_only: bool,
    imported: usize,
}

fn lock(connection: &Mutex<Connection>) -> std::sync::MutexGuard<'_, Connection> {
    connection.lock().unwrap_or_else(|p| p.into_inner())
}

impl Store {
    /// Opens (creating if needed) the store at `path` and brings it to the current schema. A damaged file,
    /// one from a newer Folio, one another process holds, or a full disk is an error that says so (see
    /// [`Store::open_read_only`] and [`Store::move_aside`] for the ways on).
    pub fn open(path: &Path) -> Result<Self> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| Error::Unreadable { path: dir.to_path_buf(), source })?;
        }
        let e = |e| classify(path, e);
        let mut writer = Connection::open(path).map_err(e)?;
        writer.busy_timeout(BUSY_TIMEOUT).map_err(e)?;
        // Reading the header first tells a file that is not a database from one that is merely busy.
        schema::version(&writer).map_err(e)?;
        writer.pragma_update(None, "journal_mode", "WAL").map_err(e)?;
        writer.execute_batch("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;").map_err(e)?;
        let imported = schema::migrate(&mut writer).map_err(|m| match m {
            schema::MigrationError::TooNew(version) => Error::StoreTooNew { path: path.to_path_buf(), version, supported: schema::VERSION },
            schema::MigrationError::Sqlite(s) => classify(path, s),
        })?;
        let reader = Self::reader(path)?;
        Ok(Store { path: path.to_path_buf(), writer: Mutex::new(writer), reader: Mutex::new(reader), read_only: false, imported })
    }

    /// Opens the store for reading only: its results can be looked at and exported, nothing is written
    /// (what a user chooses when the file is from a newer Folio or another process holds it).
    pub fn open_read_only(path: &Path) -> Result<Self> {
        let writer = Self::reader(path)?;
        let reader = Self::reader(path)?;
        Ok(Store { path: path.to_path_buf(), writer: Mutex::new(writer), reader: Mutex::new(reader), read_only: true, imported: 0 })
    }

    fn reader(path: &Path) -> Result<Connection> {
        let e = |e| classify(path, e);
        let reader = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX).map_err(e)?;
        reader.busy_timeout(BUSY_TIMEOUT).map_err(e)?;
        schema::version(&reader).map_err(e)?;
        Ok(reader)
    }

    /// Moves a store that cannot be opened out of the way (with its WAL files), so that a fresh one can
    /// start at `path`; returns where it went. Nothing is deleted.
    pub fn move_aside(path: &Path) -> Result<PathBuf> {
        let stamp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
        let aside = path.with_file_name(format!("{}.aside-{stamp}", path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default()));
        for suffix in ["", "-wal", "-shm"] {
            let from = PathBuf::from(format!("{}{suffix}", path.display()));
            if from.exists() {
                let to = PathBuf::from(format!("{}{suffix}", aside.display()));
                std::fs::rename(&from, &to).map_err(|source| Error::Unreadable { path: from.clone(), source })?;
            }
        }
        Ok(aside)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    /// Pages brought over from an earlier store when this one was opened.
    pub fn imported_pages(&self) -> usize {
        self.imported
    }

    fn err(&self, e: rusqlite::Error) -> Error {
        classify(&self.path, e)
    }

    fn write<T>(&self, f: impl FnOnce(&rusqlite::Transaction<'_>) -> rusqlite::Result<T>) -> Result<T> {
        if self.read_only {
            return Err(Error::StoreReadOnly { path: self.path.clone() });
        }
        let mut connection = lock(&self.writer);
        let tx = connection.transaction().map_err(|e| self.err(e))?;
        let value = f(&tx).map_err(|e| self.err(e))?;
        tx.commit().map_err(|e| self.err(e))?;
        Ok(value)
    }

    fn read<T>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Result<T> {
        f(&lock(&self.reader)).map_err(|e| self.err(e))
    }

    /// Records `document` (by its content hash) and the path it was opened from; returns its hash.
    pub fn register(&self, document: &Document) -> Result<String> {
        let hash = document.content_hash()?;
        self.write(|tx| pages::register_document(tx, &hash, document))?;
        Ok(hash)
    }

    /// Saves a page's result in one transaction, replacing what the store held for that page, and marks it
    /// finished for `job`. The page's document must have been registered (`result.doc_hash`).
    pub fn put_page(&self, job: Option<u64>, result: &PageResult) -> Result<()> {
        self.write(|tx| {
            let id: i64 = tx.prepare_cached("SELECT id FROM documents WHERE hash = ?1")?.query_row(params![result.doc_hash], |r| r.get(0))?;
            pages::put_page(tx, id, job, result)?;
            if let Some(job) = job {
                jobs::page_finished(tx, job, id, result.page, pages::page_status(result))?;
            }
            Ok(())
        })
    }

    /// The document with this hash, or the one last opened from this path.
    pub fn find_document(&self, key: &str) -> Result<Option<DocumentRecord>> {
        self.read(|c| {
            let id: Option<i64> = c.prepare_cached("SELECT id FROM documents WHERE hash = ?1")?.query_row(params![key], |r| r.get(0)).optional()?;
            let id = match id {
                Some(id) => Some(id),
                None => c
                    .prepare_cached("SELECT document FROM document_paths WHERE path = ?1 ORDER BY seen DESC LIMIT 1")?
                    .query_row(params![key], |r| r.get(0))
                    .optional()?,
            };
            id.map(|id| document_record(c, id)).transpose()
        })
    }

    /// Records `correction` on `page` (1-based) of the document with this hash; what was found is kept.
    /// Returns the page as it now reads, or `None` when there is no such stored page, line or region.
    pub fn correct(&self, hash: &str, page: usize, correction: &pages::Correction) -> Result<Option<PageResult>> {
        let outcome = self.write(|tx| {
            let Some(id) = tx.prepare_cached("SELECT id FROM documents WHERE hash = ?1")?.query_row(params![hash], |r| r.get::<_, i64>(0)).optional()? else {
                return Ok(Err(pages::Refusal::NotFound));
            };
            pages::correct(tx, id, page, correction)
        })?;
        match outcome {
            Ok(()) => self.page(hash, page),
            Err(pages::Refusal::NotFound) => Ok(None),
            Err(pages::Refusal::Invalid(reason)) => Err(Error::InvalidCorrection(reason)),
        }
    }

    /// The document a user names: a file or folder that exists (known by its content, wherever it is now),
    /// a document hash, or a path the store has seen.
    pub fn resolve_document(&self, key: &str) -> Result<Option<DocumentRecord>> {
        let path = Path::new(key);
        if path.exists() {
            let opened = crate::document::source::open_path(path, &Default::default());
            if let Some(problem) = opened.problems.into_iter().next().filter(|_| opened.documents.is_empty()) {
                return Err(Error::NotADocument { reason: problem.message });
            }
            if let Some(document) = opened.documents.into_iter().next() {
                return self.find_document(&document.content_hash()?);
            }
        }
        self.find_document(key)
    }

    /// Every document the store holds, most recently seen first.
    pub fn documents(&self) -> Result<Vec<DocumentRecord>> {
        self.read(|c| {
            let ids: Vec<i64> = c
                .prepare_cached("SELECT d.id FROM documents d ORDER BY (SELECT MAX(seen) FROM document_paths p WHERE p.document = d.id) DESC")?
                .query_map([], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            ids.into_iter().map(|id| document_record(c, id)).collect()
        })
    }

    /// The stored result of `page` (1-based) of the document with this hash.
    pub fn page(&self, hash: &str, page: usize) -> Result<Option<PageResult>> {
        self.read(|c| {
            let Some(id) = c.prepare_cached("SELECT id FROM documents WHERE hash = ?1")?.query_row(params![hash], |r| r.get::<_, i64>(0)).optional()? else {
                return Ok(None);
            };
            let record = document_record(c, id)?;
            pages::read_page(c, id, page, record.last_path(), hash)
        })
    }

    /// Each stored page of a document with its status and route, in page order.
    pub fn page_statuses(&self, hash: &str) -> Result<Vec<PageStatus>> {
        self.read(|c| {
            let mut statement = c.prepare_cached(
                "SELECT p.page, p.status, p.route, p.route_reason,
                        (SELECT COUNT(*) FROM lines l WHERE l.document = p.document AND l.page = p.page),
                        (SELECT COUNT(*) FROM lines l WHERE l.document = p.document AND l.page = p.page AND l.source = 'ocr'),
                        (SELECT AVG(confidence) FROM lines l WHERE l.document = p.document AND l.page = p.page AND l.source = 'ocr'),
                        (SELECT COUNT(*) FROM corrections c WHERE c.document = p.document AND c.page = p.page)
                 FROM pages p JOIN documents d ON d.id = p.document WHERE d.hash = ?1 ORDER BY p.page",
            )?;
            let rows = statement.query_map(params![hash], |r| {
                Ok(PageStatus {
                    page: r.get::<_, i64>(0)? as usize,
                    status: r.get(1)?,
                    route: r.get(2)?,
                    route_reason: r.get(3)?,
                    lines: r.get::<_, i64>(4)? as usize,
                    ocr_lines: r.get::<_, i64>(5)? as usize,
                    mean_confidence: r.get(6)?,
                    edited: r.get::<_, i64>(7)? as usize,
                })
            })?;
            rows.collect()
        })
    }

    /// Calls `each` with every stored page of a document in page order, one page in memory at a time.
    pub fn for_each_page(&self, document: &DocumentRecord, mut each: impl FnMut(PageResult) -> Result<()>) -> Result<()> {
        let numbers: Vec<usize> = self.read(|c| {
            let mut statement = c.prepare_cached("SELECT page FROM pages WHERE document = ?1 ORDER BY page")?;
            let rows = statement.query_map(params![document.id], |r| Ok(r.get::<_, i64>(0)? as usize))?;
            rows.collect()
        })?;
        for number in numbers {
            let page = self.read(|c| pages::read_page(c, document.id, number, document.last_path(), &document.hash))?;
            if let Some(page) = page {
                each(page)?;
            }
        }
        Ok(())
    }

    /// Adds a job in the `queued` state at the end of the queue; returns its id.
    pub fn create_job(&self, spec: &StoredSpec, pages_total: u64) -> Result<u64> {
        self.write(|tx| jobs::create(tx, spec, pages_total))
    }

    /// Sets a job's state (`queued`, `running`, `paused`, `cancelled`, `finished`, `failed`) and error.
    pub fn set_job_state(&self, id: u64, state: &str, error: Option<&str>) -> Result<()> {
        self.write(|tx| jobs::set_state(tx, id, state, error))
    }

    pub fn jobs(&self) -> Result<Vec<JobRecord>> {
        self.read(jobs::list)
    }

    pub fn job(&self, id: u64) -> Result<Option<JobRecord>> {
        self.read(|c| jobs::get(c, id))
    }

    /// Jobs that did not reach an end and that no live process is running, in queue order.
    pub fn unfinished_jobs(&self) -> Result<Vec<JobRecord>> {
        self.read(jobs::unfinished)
    }

    /// The pages of a job still to do (or, with `failed_only`, those that failed), as (document index,
    /// 0-based page); `page_counts` are its documents' page counts.
    pub fn remaining_pages(&self, job: &JobRecord, page_counts: &[usize], failed_only: bool) -> Result<Vec<(usize, usize)>> {
        self.read(|c| jobs::remaining(c, job.id, &job.spec, page_counts, failed_only))
    }

    /// Removes a job that no live process is running (its pages' results stay). False when there is no
    /// such job or it is running.
    pub fn remove_job(&self, id: u64) -> Result<bool> {
        self.write(|tx| jobs::remove(tx, id))
    }

    /// Moves a queued job one place up (sooner) or down in the queue.
    pub fn move_job(&self, id: u64, up: bool) -> Result<bool> {
        self.write(|tx| jobs::move_job(tx, id, up))
    }

    /// Imports the pages of a first-version store file at `legacy` (the app's `results.sqlite`); returns
    /// how many. The file is left as it was.
    pub fn import_legacy_file(&self, legacy: &Path) -> Result<usize> {
        if self.read_only {
            return Err(Error::StoreReadOnly { path: self.path.clone() });
        }
        let mut connection = lock(&self.writer);
        let e = |e| classify(legacy, e);
        connection.execute("ATTACH DATABASE ?1 AS legacy", params![legacy.display().to_string()]).map_err(e)?;
        let imported = (|| {
            let tx = connection.transaction()?;
            let n = legacy::import_v0(&tx, "legacy.pages")?;
            tx.commit()?;
            Ok(n)
        })();
        let _ = connection.execute_batch("DETACH DATABASE legacy");
        imported.map_err(e)
    }

    /// Caps the store at about `bytes` (SQLite's `max_page_count`, never below what it holds now): past it a
    /// write fails as it would on a full disk. How tests fill a disk; also a hard cap for a small volume.
    pub fn limit_size(&self, bytes: u64) -> Result<()> {
        let connection = lock(&self.writer);
        let e = |e| classify(&self.path, e);
        let page_size: i64 = connection.query_row("PRAGMA page_size", [], |r| r.get(0)).map_err(e)?;
        let pages: i64 = connection.query_row("PRAGMA page_count", [], |r| r.get(0)).map_err(e)?;
        let cap = (bytes as i64 / page_size.max(1)).max(pages);
        connection.query_row(&format!("PRAGMA max_page_count = {cap}"), [], |_| Ok(())).map_err(e)
    }

    /// The size of the file and its write-ahead log, in bytes.
    pub fn file_bytes(&self) -> u64 {
        ["", "-wal"].iter().filter_map(|s| std::fs::metadata(format!("{}{s}", self.path.display())).ok()).map(|m| m.len()).sum()
    }
}

fn document_record(c: &Connection, id: i64) -> rusqlite::Result<DocumentRecord> {
    let (hash, kind, name, page_count, size_bytes) = c
        .prepare_cached("SELECT hash, kind, name, page_count, size_bytes FROM documents WHERE id = ?1")?
        .query_row(params![id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get::<_, i64>(3)?, r.get::<_, i64>(4)?)))?;
    let paths = c
        .prepare_cached("SELECT path FROM document_paths WHERE document = ?1 ORDER BY seen DESC")?
        .query_map(params![id], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(DocumentRecord { id, hash, kind, name, page_count: page_count as usize, size_bytes: size_bytes as u64, paths })
}
