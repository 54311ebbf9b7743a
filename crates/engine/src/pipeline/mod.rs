//! The pipeline: the one place that decides what happens to a page. Pages go through three steps —
//! [`Pipeline::vision`] (orientation and layout, on a batch), [`Pipeline::recognise`] (OCR) and
//! [`Pipeline::finish`] (tables, reading order, embeddings, a job's extra stage) — and every step records an
//! [`Outcome`] per stage on the page: done, failed with the error, or skipped with why. A stage's error or
//! panic becomes that page's failure; the other pages and later jobs are not affected.
//!
//! The worker runs the steps on its own threads (so rendering, vision, OCR and the rest overlap) and
//! [`Pipeline::process`] runs them one after another (auto-tune, tests): both run the same code. Every
//! pipeline shares the process's one [`ModelHub`], so however many run, each model is loaded once.

mod page;
mod stage;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::{Duration, Instant};

use image::RgbImage;
use serde::Serialize;

use crate::models::{ModelHub, Recogniser};
use crate::memory::InFlight;
use crate::stages::embed::{EmbedOptions, EmbedStage};
use crate::stages::layout::LayoutStage;
use crate::stages::ocr::{OcrOptions, OcrStage, SpaceParams};
use crate::stages::orientation::{make_upright, OrientationStage};
use crate::stages::reading_order::{assign_text, reading_order};
use crate::stages::table::TableStage;
use crate::stages::{polygon_bbox, BBox, LayoutRegion, LineSource, OcrLine};
use crate::text::{self, Route, RouteParams, TextLayerMode};
use crate::Error;

pub use page::{DeletedRegion, LineEdit, Outcome, PageResult, PageWork, RegionEdit, StageOutcome};
pub use stage::{BatchSizes, Stage};

#[derive(Debug, Clone)]
pub struct PipelineOptions {
    pub stages: Vec<Stage>,
    pub batch: BatchSizes,
    /// Pages are turned upright only when the orientation model is at least this sure.
    pub orientation_threshold: f32,
    pub embed: EmbedOptions,
    /// Where pages' text comes from (the job's `--text-layer`).
    pub text_layer: TextLayerMode,
    pub routing: RouteParams,
    /// The text recogniser OCR runs (the job's `--rec-model`).
    pub recogniser: Recogniser,
}

impl Default for PipelineOptions {
    fn default() -> Self {
        PipelineOptions {
            stages: Stage::ALL.to_vec(),
            batch: BatchSizes::default(),
            orientation_threshold: 0.8,
            embed: EmbedOptions::default(),
            text_layer: TextLayerMode::default(),
            routing: RouteParams::default(),
            recogniser: Recogniser::default(),
        }
    }
}

/// Time spent in one stage so far, over the pages it ran on (pages where it was skipped are not counted).
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct StageTiming {
    pub total_ms: f64,
    pub pages: u64,
    pub ms_per_page: f64,
    pub batch_size: usize,
}

/// A job's extra stage, run on every page after the pipeline's own: it may change the result and returns
/// how much work it did on the page (which the leak sentinel correlates with memory growth), or an error.
pub type ExtraStage<'a> = &'a mut dyn FnMut(&mut PageResult) -> std::result::Result<f64, String>;

/// A stage's failure on a page: its message, and whether no later page can escape it either.
struct Failure {
    message: String,
    fatal: bool,
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        // A model or runtime that cannot be found or loaded fails every page after this one too.
        let fatal = matches!(
            error,
            Error::ArtifactMissing { .. } | Error::ArtifactMismatch { .. } | Error::RuntimeLoad { .. } | Error::ModelLoad { .. }
        );
        Failure { message: error.to_string(), fatal }
    }
}

/// Runs `f`, turning an error or a panic into a [`Failure`].
fn guarded<T>(f: impl FnOnce() -> crate::Result<T>) -> std::result::Result<T, Failure> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(result) => result.map_err(Failure::from),
        Err(payload) => Err(Failure { message: format!("the stage panicked: {}", panic_message(&payload)), fatal: false }),
    }
}

/// The text a panic was raised with.
pub fn panic_message(payload: &Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "no message".to_string()
    }
}

/// A poisoned lock still holds valid data here (counters and settings), so a panic elsewhere never stops
/// the next page from using it.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

pub struct Pipeline {
    options: PipelineOptions,
    hub: Arc<ModelHub>,
    orientation: OrientationStage,
    layout: LayoutStage,
    /// Written only when the batch size changes, so a change waits for the page being read.
    ocr: RwLock<OcrStage>,
    table: TableStage,
    embed: EmbedStage,
    /// Current batch sizes; a change applies at each stage's next batch.
    batch: Mutex<BatchSizes>,
    timings: Mutex<[(Duration, u64); 5]>,
}

impl Pipeline {
    pub fn new(hub: Arc<ModelHub>, options: PipelineOptions) -> Self {
        let ocr_options = OcrOptions { cls_batch: options.batch.ocr, rec_batch: options.batch.ocr, recogniser: options.recogniser, spaces: SpaceParams::for_recogniser(options.recogniser), ..OcrOptions::default() };
        let embed_options = EmbedOptions { batch_size: options.batch.embed, ..options.embed };
        Pipeline {
            orientation: OrientationStage::new(Arc::clone(&hub)),
            layout: LayoutStage::new(Arc::clone(&hub)),
            ocr: RwLock::new(OcrStage::new(Arc::clone(&hub), ocr_options)),
            table: TableStage::new(Arc::clone(&hub)),
            embed: EmbedStage::new(Arc::clone(&hub), embed_options),
            hub,
            batch: Mutex::new(options.batch),
            options,
            timings: Mutex::new([(Duration::ZERO, 0); 5]),
        }
    }

    pub fn options(&self) -> &PipelineOptions {
        &self.options
    }

    pub fn batch_sizes(&self) -> BatchSizes {
        *lock(&self.batch)
    }

    /// New batch sizes, used from each stage's next batch on.
    pub fn set_batch_sizes(&self, batch: BatchSizes) {
        let previous = std::mem::replace(&mut *lock(&self.batch), batch);
        self.embed.set_batch_size(batch.embed);
        if previous.ocr != batch.ocr {
            self.ocr.write().unwrap_or_else(|p| p.into_inner()).set_batch_sizes(batch.ocr, batch.ocr);
        }
    }

    /// The longest side text detection may see from the next page on (`None`: full size).
    pub fn set_detection_max_side(&self, max_side: Option<u32>) {
        if self.ocr.read().unwrap_or_else(|p| p.into_inner()).options().det_max_side != max_side {
            self.ocr.write().unwrap_or_else(|p| p.into_inner()).set_det_max_side(max_side);
        }
    }

    pub fn runs(&self, stage: Stage) -> bool {
        self.options.stages.contains(&stage)
    }

    /// Runs one stage on `pages` pages, counting its time; returns the result and the milliseconds per page.
    fn timed<T>(&self, stage: Stage, pages: usize, f: impl FnOnce() -> crate::Result<T>) -> (std::result::Result<T, Failure>, f64) {
        let started = Instant::now();
        let result = guarded(f);
        let elapsed = started.elapsed();
        let mut timings = lock(&self.timings);
        let slot = &mut timings[stage as usize];
        slot.0 += elapsed;
        slot.1 += pages as u64;
        (result, elapsed.as_secs_f64() * 1000.0 / pages.max(1) as f64)
    }

    /// Records a failure on a page; a fatal one also stops the job.
    fn failed(page: &mut PageWork, stage: Stage, failure: Failure, ms: f64) {
        if failure.fatal && page.fatal.is_none() {
            page.fatal = Some(failure.message.clone());
        }
        page.result.record(stage.name(), Outcome::Failed { error: failure.message }, ms);
    }

    /// Step 1, on a batch: turns pages upright where the orientation model is sure enough, then finds their
    /// layout regions. A batch that fails is retried page by page, so only the page at fault fails.
    pub fn vision(&self, pages: &mut [PageWork]) {
        if self.runs(Stage::Ocr) {
            for page in pages.iter_mut().filter(|p| p.image.is_some()) {
                self.route(page);
            }
        }
        let rendered: Vec<usize> = (0..pages.len()).filter(|&i| pages[i].image.is_some()).collect();
        if self.runs(Stage::Orientation) {
            // A page whose text comes from its text layer is upright as the PDF draws it.
            let (to_orient, upright): (Vec<usize>, Vec<usize>) =
                rendered.iter().partition(|&&i| !matches!(pages[i].result.route, Some(Route::Text | Route::Mixed)));
            for &i in &upright {
                let reason = "the page's text layer is used, and it sets which way is up".to_string();
                pages[i].result.record(Stage::Orientation.name(), Outcome::Skipped { reason }, 0.0);
            }
            let batch = self.batch_sizes().orientation.max(1);
            for chunk in to_orient.chunks(batch) {
                self.orient(pages, chunk);
            }
        }
        if self.runs(Stage::Layout) {
            let batch = self.batch_sizes().layout.max(1);
            for chunk in rendered.chunks(batch) {
                self.find_layout(pages, chunk);
            }
        }
        for page in pages.iter_mut().filter(|p| p.image.is_none()) {
            for stage in [Stage::Orientation, Stage::Layout].into_iter().filter(|&s| self.runs(s)) {
                page.result.record(stage.name(), Outcome::Skipped { reason: "the page could not be rendered".into() }, 0.0);
            }
        }
    }

    /// Decides where the page's text comes from.
    fn route(&self, page: &mut PageWork) {
        let decision = text::decide(page.text_layer.as_ref(), self.options.text_layer, page.result.dpi, &self.options.routing);
        page.result.route = Some(decision.route);
        page.result.route_reason = Some(decision.reason.clone());
        page.route = Some(decision);
    }

    fn orient(&self, pages: &mut [PageWork], chunk: &[usize]) {
        let threshold = self.options.orientation_threshold;
        self.batch_step(Stage::Orientation, pages, chunk, &|images| self.orientation.run(images), &|page, o| {
            if o.score >= threshold {
                let image = page.image.as_mut().unwrap();
                if let Some(upright) = make_upright(image, o) {
                    **image = upright;
                    page.result.rotation = o.degrees;
                }
            }
        });
    }

    fn find_layout(&self, pages: &mut [PageWork], chunk: &[usize]) {
        self.batch_step(Stage::Layout, pages, chunk, &|images| self.layout.run(images), &|page, regions| page.result.regions = regions);
    }

    /// Runs a batch stage over the pages at `chunk` and hands each page its result; a batch that fails is
    /// run again page by page, so only the page at fault records the failure.
    fn batch_step<T>(
        &self,
        stage: Stage,
        pages: &mut [PageWork],
        chunk: &[usize],
        run: &dyn Fn(&[&RgbImage]) -> crate::Result<Vec<T>>,
        apply: &dyn Fn(&mut PageWork, T),
    ) {
        let (found, ms) = self.timed(stage, chunk.len(), || {
            let images: Vec<&RgbImage> = chunk.iter().map(|&i| &**pages[i].image.as_ref().unwrap()).collect();
            run(&images)
        });
        match found {
            Ok(found) => {
                for (&i, value) in chunk.iter().zip(found) {
                    apply(&mut pages[i], value);
                    pages[i].result.record(stage.name(), Outcome::Done, ms);
                }
            }
            Err(_) if chunk.len() > 1 => {
                for &i in chunk {
                    self.batch_step(stage, pages, &[i], run, apply);
                }
            }
            Err(failure) => Self::failed(&mut pages[chunk[0]], stage, failure, ms),
        }
    }

    /// Step 2: the page's text lines.
    pub fn recognise(&self, page: &mut PageWork) {
        if !self.runs(Stage::Ocr) {
            return;
        }
        let Some(image) = page.image.as_ref() else {
            page.result.record(Stage::Ocr.name(), Outcome::Skipped { reason: "the page could not be rendered".into() }, 0.0);
            return;
        };
        let layer_lines = page.text_layer.take().map(|l| l.lines).unwrap_or_default();
        let (route, regions) = match page.route.take() {
            Some(d) => (d.route, d.ocr_regions),
            None => (Route::Ocr, Vec::new()),
        };
        if route == Route::Text {
            page.result.lines = layer_lines;
            let reason = format!("the text layer is used: {}", page.result.route_reason.as_deref().unwrap_or("text route"));
            page.result.record(Stage::Ocr.name(), Outcome::Skipped { reason }, 0.0);
            return;
        }
        // Should OCR fail on a mixed page, its text-layer lines stay.
        let fallback = if route == Route::Mixed { layer_lines.clone() } else { Vec::new() };
        let (lines, ms) = self.timed(Stage::Ocr, 1, || {
            let ocr = self.ocr.read().unwrap_or_else(|p| p.into_inner());
            match route {
                Route::Mixed => ocr_regions(&ocr, image, &regions, layer_lines),
                _ => ocr.run(image),
            }
        });
        if route == Route::Mixed {
            if let Ok(lines) = &lines {
                if !lines.iter().any(|l| l.source == LineSource::Ocr) {
                    // OCR looked at the images and found no text in them: the page's text is its layer's.
                    page.result.route = Some(Route::Text);
                    let reason = page.result.route_reason.take().unwrap_or_default();
                    page.result.route_reason = Some(format!("{reason}; OCR found no text in them"));
                }
            }
        }
        page.result.recogniser = self.options.recogniser;
        match lines {
            Ok(lines) => {
                page.result.lines = lines;
                page.result.record(Stage::Ocr.name(), Outcome::Done, ms);
            }
            Err(failure) => {
                page.result.lines = fallback;
                Self::failed(page, Stage::Ocr, failure, ms)
            }
        }
    }

    /// Step 3: tables, reading order and embeddings, then `extra` (a job's own stage, with its name). The
    /// page's image is dropped here. Returns the work each stage did on the page (milliseconds per pipeline
    /// stage, then what the extra stage reports), for the leak sentinel.
    pub fn finish(&self, page: &mut PageWork, extra: Option<(&str, ExtraStage<'_>)>) -> Vec<f64> {
        let image = page.image.take();
        if self.runs(Stage::Table) {
            self.find_tables(page, image.as_ref());
        }
        drop(image);
        let texts = self.read(&mut page.result.regions, &page.result.lines);
        if self.runs(Stage::Embed) {
            self.embed_texts(page, &texts);
        }
        let mut activity = vec![0.0; Stage::ALL.len()];
        for o in &page.result.outcomes {
            if let Some(stage) = Stage::parse(&o.stage) {
                activity[stage as usize] += o.ms;
            }
        }
        if let Some((name, stage)) = extra {
            let started = Instant::now();
            let result = &mut page.result;
            let (outcome, work) = match catch_unwind(AssertUnwindSafe(|| stage(result))) {
                Ok(Ok(work)) => (Outcome::Done, work),
                Ok(Err(error)) => (Outcome::Failed { error }, 0.0),
                Err(payload) => (Outcome::Failed { error: format!("the stage panicked: {}", panic_message(&payload)) }, 0.0),
            };
            activity.push(work);
            page.result.record(name, outcome, started.elapsed().as_secs_f64() * 1000.0);
        }
        activity
    }

    fn find_tables(&self, page: &mut PageWork, image: Option<&InFlight<RgbImage>>) {
        let skipped = |reason: &str| Outcome::Skipped { reason: reason.to_string() };
        let Some(image) = image else {
            page.result.record(Stage::Table.name(), skipped("the page could not be rendered"), 0.0);
            return;
        };
        if matches!(page.result.outcome(Stage::Layout.name()), Some(Outcome::Failed { .. })) {
            page.result.record(Stage::Table.name(), skipped("layout failed, so no table regions are known"), 0.0);
            return;
        }
        let boxes: Vec<[f32; 4]> = page.result.regions.iter().filter(|r| r.class == "table").map(|r| r.bbox).collect();
        if boxes.is_empty() {
            let reason = if self.runs(Stage::Layout) { "no table regions on the page" } else { "layout did not run, so no table regions are known" };
            page.result.record(Stage::Table.name(), skipped(reason), 0.0);
            return;
        }
        let (tables, ms) = self.timed(Stage::Table, 1, || self.table.run(image, &boxes, &page.result.lines));
        match tables {
            Ok(tables) => {
                page.result.tables = tables;
                page.result.record(Stage::Table.name(), Outcome::Done, ms);
            }
            Err(failure) => Self::failed(page, Stage::Table, failure, ms),
        }
    }

    fn embed_texts(&self, page: &mut PageWork, texts: &[(Option<usize>, String)]) {
        if texts.is_empty() {
            let reason = if matches!(page.result.outcome(Stage::Ocr.name()), Some(Outcome::Failed { .. })) {
                "OCR failed, so the page has no text"
            } else if !self.runs(Stage::Ocr) {
                "OCR did not run, so the page has no text"
            } else if page.result.lines.is_empty() {
                "no text on the page"
            } else {
                "no text outside tables"
            };
            page.result.record(Stage::Embed.name(), Outcome::Skipped { reason: reason.into() }, 0.0);
            return;
        }
        let strings: Vec<String> = texts.iter().map(|(_, text)| text.clone()).collect();
        let (chunks, ms) = self.timed(Stage::Embed, 1, || self.embed.run(&strings));
        match chunks {
            Ok(mut chunks) => {
                for chunk in &mut chunks {
                    chunk.region = chunk.region.and_then(|i| texts[i].0);
                }
                page.result.chunks = chunks;
                page.result.record(Stage::Embed.name(), Outcome::Done, ms);
            }
            Err(failure) => Self::failed(page, Stage::Embed, failure, ms),
        }
    }

    /// Puts regions in reading order and gives each its text; returns the texts to embed, in order, each
    /// with the index of its region (`None` for the lines outside every region).
    pub fn read(&self, regions: &mut Vec<LayoutRegion>, lines: &[OcrLine]) -> Vec<(Option<usize>, String)> {
        if regions.is_empty() {
            let all: Vec<&str> = lines.iter().map(|l| l.text.as_str()).collect();
            return if all.is_empty() { Vec::new() } else { vec![(None, all.join("\n"))] };
        }
        let order = reading_order(regions);
        let mut ordered: Vec<LayoutRegion> = order.iter().map(|&i| regions[i].clone()).collect();
        let orphans = assign_text(&mut ordered, lines);
        *regions = ordered;
        let mut texts: Vec<(Option<usize>, String)> = regions
            .iter()
            .enumerate()
            .filter(|(_, r)| r.class != "table" && !r.text.trim().is_empty())
            .map(|(i, r)| (Some(i), r.text.clone()))
            .collect();
        if !orphans.is_empty() {
            texts.push((None, orphans.iter().map(|&i| lines[i].text.as_str()).collect::<Vec<_>>().join("\n")));
        }
        texts
    }

    /// A rendered page (`page` 1-based) as the pipeline's input, its image counted as in flight.
    pub fn page(&self, doc: impl Into<String>, page: usize, dpi: f32, image: RgbImage) -> PageWork {
        let bytes = image.as_raw().len() as u64;
        PageWork::new(doc, page, dpi, InFlight::new(image, bytes, self.hub.gauges()))
    }

    /// A rendered page with the text layer read with it ([`crate::render::Renderer::render_with_text`]).
    pub fn rendered_page(&self, doc: impl Into<String>, page: usize, dpi: f32, rendered: crate::render::PageImage) -> PageWork {
        let (image, layer) = rendered.split();
        self.page(doc, page, dpi, image).with_text_layer(layer)
    }

    /// Every step on a batch of pages, one after another: what the worker's threads do, on one thread.
    pub fn process(&self, mut pages: Vec<PageWork>) -> Vec<PageResult> {
        let per_call = self.batch_sizes().pages_per_vision_batch();
        for chunk in pages.chunks_mut(per_call) {
            self.vision(chunk);
        }
        pages
            .into_iter()
            .map(|mut page| {
                self.recognise(&mut page);
                self.finish(&mut page, None);
                page.result
            })
            .collect()
    }

    /// Time per stage so far, for the selected stages.
    pub fn timings(&self) -> Vec<(Stage, StageTiming)> {
        let timings = lock(&self.timings);
        let batch = self.batch_sizes();
        self.options
            .stages
            .iter()
            .map(|&stage| {
                let (total, pages) = timings[stage as usize];
                let total_ms = total.as_secs_f64() * 1000.0;
                let timing = StageTiming {
                    total_ms,
                    pages,
                    ms_per_page: if pages > 0 { total_ms / pages as f64 } else { 0.0 },
                    batch_size: batch.of(stage),
                };
                (stage, timing)
            })
            .collect()
    }
}

/// OCR over the images of a mixed page: each region is cropped (with a margin), read, and its lines put back
/// in page pixels; an OCR line over a text-layer line (half of its box or more) is dropped, so the layer's
/// text is never doubled. Returns the text-layer lines, then the OCR lines.
fn ocr_regions(ocr: &OcrStage, image: &RgbImage, regions: &[BBox], layer_lines: Vec<OcrLine>) -> crate::Result<Vec<OcrLine>> {
    const MARGIN: f32 = 4.0;
    let layer_boxes: Vec<BBox> = layer_lines.iter().map(|l| polygon_bbox(&l.polygon)).collect();
    let mut lines = layer_lines;
    let (w, h) = (image.width() as f32, image.height() as f32);
    for r in regions {
        let x0 = (r[0] - MARGIN).max(0.0).floor();
        let y0 = (r[1] - MARGIN).max(0.0).floor();
        let x1 = (r[2] + MARGIN).min(w).ceil();
        let y1 = (r[3] + MARGIN).min(h).ceil();
        if x1 - x0 < 8.0 || y1 - y0 < 8.0 {
            continue;
        }
        let crop = image::imageops::crop_imm(image, x0 as u32, y0 as u32, (x1 - x0) as u32, (y1 - y0) as u32).to_image();
        for mut line in ocr.run(&crop)? {
            line.translate(x0, y0);
            let b = polygon_bbox(&line.polygon);
            let own = text::layer::area(&b).max(1.0);
            if layer_boxes.iter().all(|l| text::layer::area(&intersection(&b, l)) / own < 0.5) {
                lines.push(line);
            }
        }
    }
    Ok(lines)
}

fn intersection(a: &BBox, b: &BBox) -> BBox {
    [a[0].max(b[0]), a[1].max(b[1]), a[2].min(b[2]), a[3].min(b[3])]
}
