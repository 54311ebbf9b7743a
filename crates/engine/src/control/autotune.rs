//! Auto-tune: on a sample of the user's own pages, try each batch size per stage and measure pages per
//! second against peak RSS, then recommend the fastest size whose peak stays under the budget.
//!
//! Only stages whose model takes a dynamic batch are tuned (orientation, OCR, embeddings); the layout model's
//! input is fixed at one page and the table model decodes one table at a time.

use std::sync::Arc;
use std::time::Instant;

use image::RgbImage;
use serde::Serialize;

use crate::control::budget::BUDGET_DETECTION_MAX_SIDE;
use crate::models::ModelHub;
use crate::memory::{peak_rss_bytes, reset_peak_rss};
use crate::pipeline::{BatchSizes, PageWork, Pipeline, PipelineOptions, Stage};
use crate::render::{RenderSize, Renderer};
use crate::document::source::Document;
use crate::{Error, Result};

#[derive(Debug, Clone)]
pub struct TuneOptions {
    pub sample_pages: usize,
    pub sizes: Vec<usize>,
    pub stages: Vec<Stage>,
    pub dpi: f32,
    pub budget_bytes: Option<u64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TuneRow {
    pub stage: String,
    pub batch_size: usize,
    pub pages_per_s: f64,
    pub peak_rss_mb: f64,
    pub within_budget: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct TuneReport {
    pub sample_pages: usize,
    pub budget_mb: Option<f64>,
    /// Under a budget, text detection runs on pages scaled to at most this many pixels, as the worker
    /// runs it under one; `None`: full size.
    pub detection_max_side: Option<u32>,
    pub rows: Vec<TuneRow>,
    /// Per tuned stage, the recommended batch size.
    pub recommended: Vec<(String, usize)>,
}

/// The arena's free-memory bound at 0 while it lives, the previous bound restored when dropped.
struct LeanArena {
    hub: Arc<ModelHub>,
    before: Option<u64>,
}

impl LeanArena {
    fn set(hub: &Arc<ModelHub>) -> Self {
        let before = hub.arena_free_limit();
        hub.set_arena_free_limit(Some(0));
        LeanArena { hub: Arc::clone(hub), before }
    }
}

impl Drop for LeanArena {
    fn drop(&mut self) {
        self.hub.set_arena_free_limit(self.before);
    }
}

pub const TUNABLE: [Stage; 3] = [Stage::Orientation, Stage::Ocr, Stage::Embed];

pub fn autotune(hub: Arc<ModelHub>, renderer: &Renderer, document: &Document, options: &TuneOptions) -> Result<TuneReport> {
    let count = options.sample_pages.clamp(1, document.page_count());
    let sample: Vec<RgbImage> = (0..count)
        .map(|p| renderer.render(document, p, RenderSize::Dpi(options.dpi)).map(|i| i.into_rgb_image()))
        .collect::<Result<_>>()?;
    // Rows under a budget are measured the way the worker runs under one, or they would not say what the
    // job will peak at.
    let detection_max_side = options.budget_bytes.map(|_| BUDGET_DETECTION_MAX_SIDE);
    // As the worker does under a budget, the arena gives its free memory back after every inference; the
    // bound the user had comes back when tuning ends.
    let _lean_arena = options.budget_bytes.map(|_| LeanArena::set(&hub));
    let run = |batch: BatchSizes| -> Result<(f64, f64)> {
        let pipeline = Pipeline::new(Arc::clone(&hub), PipelineOptions { stages: options.stages.clone(), batch, ..PipelineOptions::default() });
        pipeline.set_detection_max_side(detection_max_side);
        let pages: Vec<PageWork> =
            sample.iter().enumerate().map(|(i, img)| pipeline.page("sample", i + 1, options.dpi, img.clone())).collect();
        reset_peak_rss();
        let started = Instant::now();
        // The pipeline the worker runs, step by step on this thread: a row measures what a job does.
        let results = pipeline.process(pages);
        let seconds = started.elapsed().as_secs_f64();
        if let Some(failure) = results.iter().find(|r| r.failed()) {
            return Err(Error::Tune { detail: format!("page {} of the sample failed: {}", failure.page, failure.failures().join("; ")) });
        }
        Ok((count as f64 / seconds.max(1e-9), peak_rss_bytes() as f64 / 1048576.0))
    };
    // Loads every model once so no row pays for loading.
    run(BatchSizes::default())?;

    let mut rows = Vec::new();
    let mut recommended = Vec::new();
    let budget_mb = options.budget_bytes.map(|b| b as f64 / 1048576.0);
    for stage in TUNABLE.into_iter().filter(|s| options.stages.contains(s)) {
        let mut stage_rows = Vec::new();
        for &size in &options.sizes {
            let mut batch = BatchSizes::default();
            batch.set(stage, size);
            let (pages_per_s, peak_rss_mb) = run(batch)?;
            let within_budget = budget_mb.is_none_or(|b| peak_rss_mb <= b);
            stage_rows.push(TuneRow { stage: stage.name().into(), batch_size: size.max(1), pages_per_s, peak_rss_mb, within_budget });
        }
        let best = stage_rows
            .iter()
            .filter(|r| r.within_budget)
            .max_by(|a, b| a.pages_per_s.total_cmp(&b.pages_per_s))
            .or_else(|| stage_rows.iter().min_by(|a, b| a.peak_rss_mb.total_cmp(&b.peak_rss_mb)));
        if let Some(best) = best {
            recommended.push((stage.name().to_string(), best.batch_size));
        }
        rows.extend(stage_rows);
    }
    Ok(TuneReport { sample_pages: count, budget_mb, detection_max_side, rows, recommended })
}
