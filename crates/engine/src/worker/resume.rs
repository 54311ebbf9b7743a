//! Jobs between processes: a job's request as the store keeps it, and the way back — reopening its
//! documents, checking they are the same bytes, and planning only the pages it has not finished (resume)
//! or those that failed (retry).

use std::path::Path;
use std::sync::Arc;

use super::{JobId, JobSpec, Worker};
use crate::document::source::{open_path, Document, OpenOptions};
use crate::store::{JobDocument, JobRecord, Store, StoredSpec};
use crate::{Error, Result};

/// What the store keeps of `spec`.
pub fn stored_spec(spec: &JobSpec) -> Result<StoredSpec> {
    let documents = spec
        .documents
        .iter()
        .map(|d| Ok(JobDocument { path: d.path.display().to_string(), hash: d.content_hash()? }))
        .collect::<Result<Vec<_>>>()?;
    Ok(StoredSpec {
        documents,
        pages: spec.pages.as_ref().map(|r| (r.start, r.end)),
        only: spec.only.clone(),
        stages: spec.stages.clone(),
        dpi: spec.dpi,
        text_layer: spec.text_layer,
        recogniser: spec.recogniser,
    })
}

/// Why a stored job cannot be run again.
fn cannot(job: &JobRecord, why: String) -> Error {
    Error::Resume { job: job.id, detail: why }
}

/// Reopens a stored job's documents, each from its path, and checks that each is still the same bytes.
fn reopen(job: &JobRecord) -> Result<Vec<Arc<Document>>> {
    job.spec
        .documents
        .iter()
        .map(|d| {
            let path = Path::new(&d.path);
            let opened = open_path(path, &OpenOptions::default());
            let document = opened.documents.into_iter().find(|doc| doc.path == path).ok_or_else(|| {
                let reason = opened.problems.first().map(|p| p.message.clone()).unwrap_or_else(|| "it is no longer there".into());
                cannot(job, format!("{} cannot be opened: {reason}", d.path))
            })?;
            if document.content_hash()? != d.hash {
                return Err(cannot(job, format!("{} has changed since the job was queued (its content is not the same); discard the job and queue the file again", d.path)));
            }
            Ok(Arc::new(document))
        })
        .collect()
}

/// The job again, with only the pages it has still to do (`failed_only`: only those that failed).
pub fn spec_for(store: &Store, job: &JobRecord, failed_only: bool) -> Result<JobSpec> {
    let documents = reopen(job)?;
    let counts: Vec<usize> = documents.iter().map(|d| d.page_count()).collect();
    let only = store.remaining_pages(job, &counts, failed_only)?;
    Ok(JobSpec {
        documents,
        pages: job.spec.pages.map(|(a, b)| a..b),
        stages: job.spec.stages.clone(),
        dpi: job.spec.dpi,
        repeat_to_pages: None,
        only: Some(only),
        text_layer: job.spec.text_layer,
        recogniser: job.spec.recogniser,
    })
}

/// What resuming or retrying one job came to.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Requeued {
    pub job: JobId,
    /// Pages queued again.
    pub pages: usize,
    /// Why the job could not be queued again, when it could not.
    pub error: Option<String>,
}

impl Worker {
    /// Queues again, in their order, the store's jobs that did not finish (`only`: just that one), each
    /// with the pages it has not finished. A job whose documents are gone or changed is reported, and the
    /// others go on.
    pub fn resume_unfinished(&self, only: Option<JobId>) -> Result<Vec<Requeued>> {
        let store = self.store().ok_or(Error::NoStore)?;
        let jobs: Vec<JobRecord> = match only {
            Some(id) => {
                let job = store.job(id)?.ok_or(Error::UnknownJob(id))?;
                if !store.unfinished_jobs()?.iter().any(|j| j.id == id) {
                    return Err(cannot(&job, format!("it is {} (only queued, running or paused jobs that no live process runs can be resumed)", job.state)));
                }
                vec![job]
            }
            None => store.unfinished_jobs()?,
        };
        Ok(jobs.iter().map(|job| self.requeue(&store, job, false)).collect())
    }

    /// Queues the pages of job `id` that failed, under the same job.
    pub fn retry_failed(&self, id: JobId) -> Result<Requeued> {
        let store = self.store().ok_or(Error::NoStore)?;
        let job = store.job(id)?.ok_or(Error::UnknownJob(id))?;
        if job.unfinished() {
            return Err(cannot(&job, format!("it is still {}; resume it instead", job.state)));
        }
        Ok(self.requeue(&store, &job, true))
    }

    fn requeue(&self, store: &Store, job: &JobRecord, failed_only: bool) -> Requeued {
        let queued = spec_for(store, job, failed_only).and_then(|spec| {
            let pages = spec.plan().len();
            self.submit_stored(job.id, spec).map(|_| pages)
        });
        match queued {
            Ok(pages) => Requeued { job: job.id, pages, error: None },
            Err(error) => Requeued { job: job.id, pages: 0, error: Some(error.to_string()) },
        }
    }
}
