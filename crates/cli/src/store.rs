//! `folio jobs`, `resume`, `retry`, `export` and `store`: the document store from the command line.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use folio_engine::export::{self, Format};
use folio_engine::store::{schema, Store};
use folio_engine::worker::resume::Requeued;
use serde_json::json;

use crate::process::{self, PipelineArgs};

#[derive(clap::Args)]
pub struct JobsArgs {
    /// Remove this job (not a running one); its pages' results stay in the store.
    #[arg(long, value_name = "JOB")]
    remove: Option<u64>,
    /// Move this queued job one place sooner.
    #[arg(long, value_name = "JOB")]
    up: Option<u64>,
    /// Move this queued job one place later.
    #[arg(long, value_name = "JOB")]
    down: Option<u64>,
}

#[derive(clap::Args)]
pub struct ResumeArgs {
    /// The job to resume (every unfinished job, in queue order, when left out).
    job: Option<u64>,
    /// Also write one JSON line per page here.
    #[arg(long)]
    out: Option<PathBuf>,
    #[command(flatten)]
    pipeline: PipelineArgs,
}

#[derive(clap::Args)]
pub struct RetryArgs {
    /// The job whose failed pages to run again.
    job: u64,
    #[arg(long)]
    out: Option<PathBuf>,
    #[command(flatten)]
    pipeline: PipelineArgs,
}

#[derive(clap::Args)]
pub struct ExportArgs {
    /// A document: a path (its bytes are hashed) or a document hash.
    doc: String,
    /// json (the lossless document object), md, hocr, alto, pdf (searchable: the original with an invisible
    /// text layer over its OCR lines) or csv (each table as a file, in the folder -o names).
    #[arg(long, default_value = "json")]
    format: String,
    /// Where to write it: a file, or a folder for csv (standard output when left out, for json, md, hocr
    /// and alto). With --json, what was written is printed as one object.
    #[arg(short, long)]
    out: Option<PathBuf>,
}

#[derive(clap::Args)]
pub struct StoreArgs {
    /// Move the store (and its write-ahead log) aside, so the next command starts a fresh one.
    #[arg(long)]
    move_aside: bool,
}

/// Opens the store for a command: read-only when asked, with the engine's own words when it cannot be.
pub fn open(db: &Path, read_only: bool) -> Result<Arc<Store>> {
    let store = if read_only { Store::open_read_only(db) } else { Store::open(db) };
    let store = store.with_context(|| format!("cannot open the store (`folio --read-only` opens it read-only; `folio store --move-aside` starts a fresh one; `--db PATH` picks another)"))?;
    if store.imported_pages() > 0 {
        eprintln!("folio: imported {} pages from the earlier store format", store.imported_pages());
    }
    Ok(Arc::new(store))
}

pub fn jobs(args: &JobsArgs, store: &Store, json: bool) -> Result<ExitCode> {
    let changed = match (args.remove, args.up, args.down) {
        (Some(job), _, _) => Some((job, store.remove_job(job)?, "removed")),
        (_, Some(job), _) => Some((job, store.move_job(job, true)?, "moved up")),
        (_, _, Some(job)) => Some((job, store.move_job(job, false)?, "moved down")),
        _ => None,
    };
    if let Some((job, false, what)) = changed {
        bail!("job {job} could not be {what} (no such job, one a live process is running, or no queued neighbour)");
    }
    let jobs = store.jobs()?;
    if json {
        let rows: Vec<_> = jobs
            .iter()
            .map(|j| {
                json!({ "id": j.id, "state": j.state, "documents": j.spec.documents.iter().map(|d| &d.path).collect::<Vec<_>>(),
                        "pages_done": j.pages_done - j.pages_failed, "pages_failed": j.pages_failed, "pages_total": j.pages_total,
                        "stages": j.spec.stages, "dpi": j.spec.dpi, "text_layer": j.spec.text_layer, "recogniser": j.spec.recogniser, "created_at": j.created_at, "finished_at": j.finished_at, "error": j.error })
            })
            .collect();
        println!("{}", json!({ "db": store.path(), "jobs": rows }));
    } else {
        println!("{:>5}  {:<10} {:>15}  documents", "job", "state", "done/failed/all");
        for j in &jobs {
            let docs: Vec<&str> = j.spec.documents.iter().map(|d| d.path.as_str()).collect();
            let counts = format!("{}/{}/{}", j.pages_done - j.pages_failed, j.pages_failed, j.pages_total);
            println!("{:>5}  {:<10} {:>15}  {}", j.id, j.state, counts, docs.join(", "));
            if let Some(error) = &j.error {
                println!("       {error}");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Reports jobs that could not be queued again and passes the rest on.
fn requeued(list: Vec<Requeued>, errors: &mut Vec<String>) -> Vec<u64> {
    list.into_iter()
        .filter_map(|r| match r.error {
            Some(e) => {
                eprintln!("folio: {e}");
                errors.push(e);
                None
            }
            None => {
                eprintln!("folio: job {}: {} pages to go", r.job, r.pages);
                Some(r.job)
            }
        })
        .collect()
}

pub fn resume(args: &ResumeArgs, store: Arc<Store>, json: bool) -> Result<ExitCode> {
    let engine = args.pipeline.engine()?;
    let (job, mut errors) = (args.job, Vec::new());
    let result = process::run_on_store(&engine, store, Box::new(|worker| Ok(requeued(worker.resume_unfinished(job)?, &mut errors))), args.out.as_ref(), 0, &[], json);
    if !errors.is_empty() && result.is_ok() {
        return Ok(ExitCode::from(1));
    }
    result
}

pub fn retry(args: &RetryArgs, store: Arc<Store>, json: bool) -> Result<ExitCode> {
    let engine = args.pipeline.engine()?;
    let job = args.job;
    let mut errors = Vec::new();
    process::run_on_store(&engine, store, Box::new(|worker| Ok(requeued(vec![worker.retry_failed(job)?], &mut errors))), args.out.as_ref(), 0, &[], json)
}

pub fn export(args: &ExportArgs, store: &Store, json: bool) -> Result<ExitCode> {
    let names: Vec<&str> = Format::ALL.iter().map(|f| f.name()).collect();
    let format = Format::parse(&args.format).with_context(|| format!("unknown format '{}' ({})", args.format, names.join(", ")))?;
    let document = store.resolve_document(&args.doc)?.with_context(|| format!("the store holds no document {} (process it first)", args.doc))?;
    match &args.out {
        Some(path) => {
            let written = export::export_to_path(store, &document, format, path)?;
            if json {
                println!("{}", serde_json::to_string(&written)?);
            } else {
                eprintln!("folio: wrote {} ({} file{})", path.display(), written.files.len(), if written.files.len() == 1 { "" } else { "s" });
            }
        }
        None if format.streams() => {
            let mut out = BufWriter::new(std::io::stdout().lock());
            export::export(store, &document, format, &mut out)?;
            out.flush()?;
        }
        None => bail!("{} is written to a path: add -o {}", format.name(), if format == Format::Csv { "FOLDER" } else { "FILE" }),
    }
    Ok(ExitCode::SUCCESS)
}

pub fn store(args: &StoreArgs, db: &Path, read_only: bool, json: bool) -> Result<ExitCode> {
    if args.move_aside {
        let aside = Store::move_aside(db)?;
        if json {
            println!("{}", json!({ "db": db, "moved_to": aside }));
        } else {
            println!("moved {} to {}; the next command starts a fresh store", db.display(), aside.display());
        }
        return Ok(ExitCode::SUCCESS);
    }
    let store = open(db, read_only)?;
    let (documents, jobs) = (store.documents()?, store.jobs()?);
    let report = json!({ "db": db, "schema_version": schema::VERSION, "bytes": store.file_bytes(), "documents": documents.len(), "jobs": jobs.len(),
                          "unfinished_jobs": store.unfinished_jobs()?.len() });
    println!("{}", if json { report.to_string() } else { serde_json::to_string_pretty(&report)? });
    Ok(ExitCode::SUCCESS)
}
