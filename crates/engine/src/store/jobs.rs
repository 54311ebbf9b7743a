//! Jobs as the store keeps them: what was asked for (documents by path and hash, pages, stages, DPI), its
//! state, its place in the queue, and every page it has finished. A job that was running when its process
//! died is still `running` here, with the process's id: [`unfinished`] finds it, and the pages it has
//! finished tell a resumed run where to go on.

use std::collections::HashSet;

use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

use super::NOW;
use crate::models::Recogniser;
use crate::pipeline::Stage;
use crate::text::TextLayerMode;

/// One document of a stored job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobDocument {
    pub path: String,
    pub hash: String,
}

/// A job's request, enough to run it again in another process.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredSpec {
    pub documents: Vec<JobDocument>,
    /// The 0-based page range asked for in each document (`None`: all pages).
    pub pages: Option<(usize, usize)>,
    /// Exactly these pages (document index, 0-based page), in order, when set: what a retry runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub only: Option<Vec<(usize, usize)>>,
    pub stages: Vec<Stage>,
    pub dpi: f32,
    /// Where pages' text comes from (jobs stored before routing existed: `auto`).
    #[serde(default)]
    pub text_layer: TextLayerMode,
    /// The text recogniser OCR runs (jobs stored before the choice existed: `v4`).
    #[serde(default)]
    pub recogniser: Recogniser,
}

/// A job as listed by `folio jobs` and the jobs panel.
#[derive(Debug, Clone, Serialize)]
pub struct JobRecord {
    pub id: u64,
    pub state: String,
    pub spec: StoredSpec,
    /// Its place in the queue (lower runs first).
    pub position: i64,
    pub pages_total: u64,
    pub pages_done: u64,
    pub pages_failed: u64,
    pub created_at: String,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    pub error: Option<String>,
    /// The process that last ran it.
    pub owner_pid: Option<u32>,
}

impl JobRecord {
    /// Queued, running or paused: not yet at an end.
    pub fn unfinished(&self) -> bool {
        matches!(self.state.as_str(), "queued" | "running" | "paused")
    }
}

/// Whether a Folio process with this id is alive (this one included): the app and the command line are
/// both named `folio…`, so an id reused by some other program does not count.
fn folio_process_alive(pid: u32) -> bool {
    pid == std::process::id() || std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|name| name.starts_with("folio"))
}

pub fn create(connection: &Connection, spec: &StoredSpec, pages_total: u64) -> rusqlite::Result<u64> {
    let json = serde_json::to_string(spec).unwrap_or_default();
    connection
        .prepare_cached(&format!(
            "INSERT INTO jobs (spec, state, position, pages_total, created_at) VALUES
             (?1, 'queued', (SELECT COALESCE(MAX(position), 0) + 1 FROM jobs), ?2, {NOW}) RETURNING id"
        ))?
        .query_row(params![json, pages_total as i64], |r| r.get::<_, i64>(0))
        .map(|id| id as u64)
}

pub fn set_state(connection: &Connection, id: u64, state: &str, error: Option<&str>) -> rusqlite::Result<()> {
    let (started, finished) = match state {
        "running" => (format!("COALESCE(started_at, {NOW})"), "NULL".to_string()),
        "queued" | "paused" => ("started_at".into(), "NULL".into()),
        _ => ("started_at".into(), NOW.to_string()),
    };
    let owner = if state == "running" { std::process::id() as i64 } else { -1 };
    connection
        .prepare_cached(&format!(
            "UPDATE jobs SET state = ?2, error = ?3, started_at = {started}, finished_at = {finished},
             owner_pid = CASE WHEN ?4 >= 0 THEN ?4 ELSE owner_pid END WHERE id = ?1"
        ))?
        .execute(params![id as i64, state, error, owner])?;
    Ok(())
}

/// Records that `job` finished a page (done or failed), in the page's own transaction (nothing, when the
/// job has been removed meanwhile: the page's results are kept all the same).
pub fn page_finished(connection: &Connection, job: u64, document: i64, page: usize, status: &str) -> rusqlite::Result<()> {
    connection
        .prepare_cached(
            "INSERT OR REPLACE INTO job_pages (job, document, page, status) SELECT ?1, ?2, ?3, ?4 WHERE EXISTS (SELECT 1 FROM jobs WHERE id = ?1)",
        )?
        .execute(params![job as i64, document, page as i64, status])?;
    Ok(())
}

const SELECT: &str = "SELECT j.id, j.state, j.spec, j.position, j.pages_total, j.created_at, j.started_at, j.finished_at, j.error, j.owner_pid,
    (SELECT COUNT(*) FROM job_pages p WHERE p.job = j.id),
    (SELECT COUNT(*) FROM job_pages p WHERE p.job = j.id AND p.status = 'failed')
    FROM jobs j";

fn record(r: &rusqlite::Row<'_>) -> rusqlite::Result<JobRecord> {
    let spec: String = r.get(2)?;
    Ok(JobRecord {
        id: r.get::<_, i64>(0)? as u64,
        state: r.get(1)?,
        spec: serde_json::from_str(&spec).map_err(|e| rusqlite::Error::FromSqlConversionFailure(2, rusqlite::types::Type::Text, Box::new(e)))?,
        position: r.get(3)?,
        pages_total: r.get::<_, i64>(4)? as u64,
        created_at: r.get(5)?,
        started_at: r.get(6)?,
        finished_at: r.get(7)?,
        error: r.get(8)?,
        owner_pid: r.get::<_, Option<i64>>(9)?.map(|p| p as u32),
        pages_done: r.get::<_, i64>(10)? as u64,
        pages_failed: r.get::<_, i64>(11)? as u64,
    })
}

/// Every job, in queue order (unfinished first by position, then the rest newest first).
pub fn list(connection: &Connection) -> rusqlite::Result<Vec<JobRecord>> {
    let mut statement = connection.prepare_cached(&format!(
        "{SELECT} ORDER BY CASE WHEN j.state IN ('queued', 'running', 'paused') THEN 0 ELSE 1 END,
         CASE WHEN j.state IN ('queued', 'running', 'paused') THEN j.position ELSE -j.id END"
    ))?;
    let rows = statement.query_map([], record)?;
    rows.collect()
}

pub fn get(connection: &Connection, id: u64) -> rusqlite::Result<Option<JobRecord>> {
    connection.prepare_cached(&format!("{SELECT} WHERE j.id = ?1"))?.query_row(params![id as i64], record).optional()
}

/// Jobs that did not reach an end and that no live Folio process (this one included) is running, in queue
/// order.
pub fn unfinished(connection: &Connection) -> rusqlite::Result<Vec<JobRecord>> {
    Ok(list(connection)?
        .into_iter()
        .filter(|j| j.unfinished() && !(j.state != "queued" && j.owner_pid.is_some_and(folio_process_alive)))
        .collect())
}

/// The pages `job` has finished, as (document row id, 1-based page), with their status.
pub fn finished_pages(connection: &Connection, job: u64) -> rusqlite::Result<Vec<(i64, usize, String)>> {
    let mut statement = connection.prepare_cached("SELECT document, page, status FROM job_pages WHERE job = ?1 ORDER BY document, page")?;
    let rows = statement.query_map(params![job as i64], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as usize, r.get(2)?)))?;
    rows.collect()
}

/// The document row ids of hashes, `None` for a hash the store does not know.
pub fn document_ids(connection: &Connection, hashes: &[String]) -> rusqlite::Result<Vec<Option<i64>>> {
    let mut statement = connection.prepare_cached("SELECT id FROM documents WHERE hash = ?1")?;
    hashes.iter().map(|h| statement.query_row(params![h], |r| r.get(0)).optional()).collect()
}

/// Pages of `spec`'s plan that `job` has not finished (or, with `failed_only`, that it finished as failed),
/// as (document index, 0-based page), in the plan's order.
pub fn remaining(connection: &Connection, job: u64, spec: &StoredSpec, page_counts: &[usize], failed_only: bool) -> rusqlite::Result<Vec<(usize, usize)>> {
    let hashes: Vec<String> = spec.documents.iter().map(|d| d.hash.clone()).collect();
    let ids = document_ids(connection, &hashes)?;
    let finished = finished_pages(connection, job)?;
    let done: HashSet<(i64, usize)> = finished.iter().filter(|(_, _, s)| !failed_only || s != "failed").map(|(d, p, _)| (*d, *p)).collect();
    let failed: HashSet<(i64, usize)> = finished.iter().filter(|(_, _, s)| s == "failed").map(|(d, p, _)| (*d, *p)).collect();
    let plan: Vec<(usize, usize)> = match &spec.only {
        Some(only) => only.clone(),
        None => {
            let mut plan = Vec::new();
            for (d, &count) in page_counts.iter().enumerate() {
                let (a, b) = spec.pages.unwrap_or((0, count));
                plan.extend((a.min(count)..b.min(count)).map(|p| (d, p)));
            }
            plan
        }
    };
    Ok(plan
        .into_iter()
        .filter(|&(d, p)| {
            let key = ids.get(d).copied().flatten().map(|id| (id, p + 1));
            match key {
                None => !failed_only,
                Some(key) if failed_only => failed.contains(&key),
                Some(key) => !done.contains(&key),
            }
        })
        .collect())
}

/// Removes a job that is not running in a live process. Its pages' results stay (they belong to the
/// documents); only the job and its list of pages go.
pub fn remove(connection: &Connection, id: u64) -> rusqlite::Result<bool> {
    let Some(job) = get(connection, id)? else { return Ok(false) };
    if job.state == "running" && job.owner_pid.is_some_and(|p| p != std::process::id() && folio_process_alive(p)) {
        return Ok(false);
    }
    connection.prepare_cached("DELETE FROM job_pages WHERE job = ?1")?.execute(params![id as i64])?;
    Ok(connection.prepare_cached("DELETE FROM jobs WHERE id = ?1")?.execute(params![id as i64])? > 0)
}

/// Swaps a queued job with its neighbour among the queued jobs (`up`: runs sooner). False when there is
/// no neighbour that way.
pub fn move_job(connection: &Connection, id: u64, up: bool) -> rusqlite::Result<bool> {
    let Some(job) = get(connection, id)? else { return Ok(false) };
    let neighbour: Option<(i64, i64)> = connection
        .prepare_cached(if up {
            "SELECT id, position FROM jobs WHERE state = 'queued' AND position < ?1 ORDER BY position DESC LIMIT 1"
        } else {
            "SELECT id, position FROM jobs WHERE state = 'queued' AND position > ?1 ORDER BY position ASC LIMIT 1"
        })?
        .query_row(params![job.position], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let Some((other, other_position)) = neighbour else { return Ok(false) };
    let mut update = connection.prepare_cached("UPDATE jobs SET position = ?2 WHERE id = ?1")?;
    update.execute(params![id as i64, other_position])?;
    update.execute(params![other, job.position])?;
    Ok(true)
}
