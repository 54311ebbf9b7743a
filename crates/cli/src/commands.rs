use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result};
use folio_engine::memory::MemoryGauges;
use folio_engine::document::source::{self, OpenOptions, SizeCount};
use folio_engine::{native, DocumentKind, RecyclePolicy, RenderOptions, Renderer};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use serde_json::json;

const MB: f64 = 1024.0 * 1024.0;

fn mb(bytes: u64) -> f64 {
    (bytes as f64 / MB * 10.0).round() / 10.0
}

pub fn doctor(json: bool) -> Result<ExitCode> {
    let statuses = native::doctor();
    let ok = statuses.iter().all(|s| s.ok);
    if json {
        println!("{}", json!({ "ok": ok, "models_dir": native::models_dir(), "artifacts": statuses }));
    } else {
        println!("models directory: {}", native::models_dir().display());
        for s in &statuses {
            let mark = if s.ok { "ok  " } else { "FAIL" };
            let size = s.bytes.map(|b| format!("{:.1} MB", mb(b))).unwrap_or_else(|| "-".into());
            println!("{mark} {:<16} {:<38} {:>9}  {} {}", s.id, s.file, size, s.package, s.version);
            if let Some(v) = &s.loaded_version {
                println!("       loaded: {v}");
            }
            if let Some(p) = &s.problem {
                println!("       {p}");
            }
        }
        println!("{}", if ok { "all runtimes and models are ready" } else { "some runtimes or models are missing" });
    }
    Ok(if ok { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

#[derive(Serialize)]
struct DocumentReport {
    path: PathBuf,
    kind: DocumentKind,
    pages: usize,
    /// Distinct page sizes in points with how many pages have each, most common first.
    page_sizes: Vec<SizeCount>,
}

pub fn info(paths: &[PathBuf], json: bool) -> Result<ExitCode> {
    let started = Instant::now();
    let options = OpenOptions::default();
    let mut documents = Vec::new();
    let mut problems = Vec::new();
    for path in paths {
        let opened = source::open_path(path, &options);
        documents.extend(opened.documents.into_iter().map(|d| DocumentReport {
            page_sizes: d.size_counts(),
            pages: d.pages.len(),
            kind: d.kind,
            path: d.path,
        }));
        problems.extend(opened.problems);
    }
    let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
    if json {
        println!("{}", json!({ "documents": documents, "problems": problems, "elapsed_ms": elapsed_ms.round() }));
    } else {
        for d in &documents {
            let sizes: Vec<String> = d
                .page_sizes
                .iter()
                .take(4)
                .map(|s| format!("{:.0}×{:.0} pt ({})", s.width_pt, s.height_pt, s.pages))
                .collect();
            let more = if d.page_sizes.len() > 4 { ", …" } else { "" };
            println!("{}: {:?}, {} pages, {}{more}", d.path.display(), d.kind, d.pages, sizes.join(", "));
        }
        for p in &problems {
            println!("{}", p.message);
        }
    }
    Ok(if problems.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

#[derive(clap::Args)]
pub struct RenderArgs {
    /// The PDF (or image, or folder of images) to render.
    path: PathBuf,
    /// Which pages: N, A-B (1-based, inclusive) or all.
    #[arg(long, default_value = "all")]
    pages: String,
    #[arg(long, default_value_t = 150.0)]
    dpi: f32,
    /// Write each page as PNG into this folder (page-0001.png, ...). Without it pages are rendered and dropped.
    #[arg(short = 'o', long)]
    out: Option<PathBuf>,
    /// Largest output in pixels (width × height); bigger pages are scaled down to fit.
    #[arg(long, default_value_t = 40_000_000)]
    max_pixels: u64,
    /// Reopen the PDF after this many pages to free pdfium's caches (0: never).
    #[arg(long, default_value_t = RecyclePolicy::default().every_pages)]
    recycle_pages: u32,
    /// Reopen the PDF once pdfium's caches grew by this many MB (0: never).
    #[arg(long, default_value_t = RecyclePolicy::default().every_mb)]
    recycle_mb: u64,
    /// Do not return freed heap to the OS after closing a document.
    #[arg(long)]
    no_trim: bool,
    /// Open a PDF longer than this as windows of this many pages (0: always whole).
    #[arg(long, default_value_t = RecyclePolicy::default().window_pages)]
    window_pages: u32,
}

/// A page range option (`N`, `A-B` or `all`) as a 0-based range within `count` pages.
pub fn parse_pages(flag: &str, spec: &str, count: usize) -> Result<std::ops::Range<usize>> {
    folio_engine::document::page_range(spec, count).map_err(|e| anyhow::anyhow!("{flag} {e}"))
}

pub fn render(args: &RenderArgs, json: bool) -> Result<ExitCode> {
    let document = source::open_file(&args.path, &OpenOptions::default()).with_context(|| "cannot render")?;
    let range = parse_pages("--pages", &args.pages, document.page_count())?;
    if let Some(out) = &args.out {
        std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    }
    let policy = RecyclePolicy {
        every_pages: args.recycle_pages,
        every_mb: args.recycle_mb,
        trim: !args.no_trim,
        window_pages: args.window_pages,
        ..RecyclePolicy::default()
    };
    let renderer = Renderer::start(
        RenderOptions { max_pixels: args.max_pixels, ..RenderOptions::default() },
        policy,
        std::sync::Arc::new(MemoryGauges::default()),
    );
    let progress = if json { ProgressBar::hidden() } else { ProgressBar::new(range.len() as u64) };
    progress.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} pages  {per_sec}  eta {eta}  {msg}").unwrap_or(ProgressStyle::default_bar()),
    );

    let run = renderer.measure(&document, range, args.dpi, |page, image, rss| {
        if let Some(out) = &args.out {
            save_png(out, page, image).map_err(|e| folio_engine::Error::Render { path: args.path.clone(), page: page + 1, detail: e.to_string() })?;
        }
        progress.set_message(format!("RSS {:.0} MB", mb(rss)));
        progress.inc(1);
        Ok(())
    })?;
    progress.finish_and_clear();
    if json {
        println!("{}", serde_json::to_string(&run)?);
    } else {
        println!(
            "{} pages in {:.1} s ({:.2} pages/s); RSS after first page {:.1} MB, peak {:.1} MB, end {:.1} MB; {} reopens",
            run.pages, run.elapsed_s, run.pages_per_s, run.rss_first_mb, run.rss_peak_mb, run.rss_end_mb, run.pdfium.recycles
        );
        if run.capped_pages > 0 {
            println!("{} pages were larger than --max-pixels and were scaled down", run.capped_pages);
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn save_png(dir: &Path, page: usize, image: folio_engine::PageImage) -> Result<()> {
    let path = dir.join(format!("page-{:04}.png", page + 1));
    image.into_rgb_image().save(&path).with_context(|| format!("writing {}", path.display()))
}
