//! The results store: every finished page, kept in a SQLite file as soon as it is done, so a cancelled or
//! crashed job loses nothing already computed and results never accumulate in memory.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rusqlite::{params, Connection, OptionalExtension};

use crate::pipeline::PageResult;
use crate::{Error, Result};

pub struct ResultStore {
    path: PathBuf,
    connection: Mutex<Connection>,
}

fn db_error(path: &Path, e: rusqlite::Error) -> Error {
    Error::Store { path: path.to_path_buf(), detail: e.to_string() }
}

impl ResultStore {
    /// Opens (creating if needed) the store at `path`.
    pub fn open(path: &Path) -> Result<Self> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|source| Error::Unreadable { path: dir.to_path_buf(), source })?;
        }
        let connection = Connection::open(path).map_err(|e| db_error(path, e))?;
        connection
            .execute_batch(
                "PRAGMA journal_mode = WAL;
                 PRAGMA synchronous = NORMAL;
                 CREATE TABLE IF NOT EXISTS pages (
                     doc TEXT NOT NULL,
                     page INTEGER NOT NULL,
                     job INTEGER NOT NULL,
                     dpi REAL NOT NULL,
                     result TEXT NOT NULL,
                     PRIMARY KEY (doc, page)
                 );",
            )
            .map_err(|e| db_error(path, e))?;
        Ok(ResultStore { path: path.to_path_buf(), connection: Mutex::new(connection) })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Saves a page's result, replacing an earlier one for the same page.
    pub fn put(&self, job: u64, result: &PageResult) -> Result<()> {
        let dpi = result.dpi;
        let json = serde_json::to_string(result).map_err(|e| Error::Store { path: self.path.clone(), detail: e.to_string() })?;
        self.connection
            .lock()
            .unwrap()
            .execute(
                "INSERT OR REPLACE INTO pages (doc, page, job, dpi, result) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![result.doc, result.page as i64, job as i64, dpi as f64, json],
            )
            .map_err(|e| db_error(&self.path, e))?;
        Ok(())
    }

    /// The stored result of `page` (1-based) of `doc`, with the DPI it was computed at.
    pub fn get(&self, doc: &str, page: usize) -> Result<Option<(f32, serde_json::Value)>> {
        let row: Option<(f64, String)> = self
            .connection
            .lock()
            .unwrap()
            .query_row("SELECT dpi, result FROM pages WHERE doc = ?1 AND page = ?2", params![doc, page as i64], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()
            .map_err(|e| db_error(&self.path, e))?;
        row.map(|(dpi, json)| {
            serde_json::from_str(&json).map(|v| (dpi as f32, v)).map_err(|e| Error::Store { path: self.path.clone(), detail: e.to_string() })
        })
        .transpose()
    }

    /// How many pages of `doc` have results.
    pub fn count(&self, doc: &str) -> Result<usize> {
        self.connection
            .lock()
            .unwrap()
            .query_row("SELECT COUNT(*) FROM pages WHERE doc = ?1", params![doc], |r| r.get::<_, i64>(0))
            .map(|n| n as usize)
            .map_err(|e| db_error(&self.path, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_survive_reopening_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("results.sqlite");
        let result = PageResult::empty("/docs/a.pdf", 2, 150.0);
        ResultStore::open(&path).unwrap().put(7, &result).unwrap();
        let store = ResultStore::open(&path).unwrap();
        let (dpi, value) = store.get("/docs/a.pdf", 2).unwrap().unwrap();
        assert_eq!(dpi, 150.0);
        assert_eq!(value["page"], 2);
        assert!(store.get("/docs/a.pdf", 3).unwrap().is_none());
        assert_eq!(store.count("/docs/a.pdf").unwrap(), 1);
    }
}
