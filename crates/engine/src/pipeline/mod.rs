//! The pipeline: pages through the stages in order — orientation, layout, OCR, tables, reading order,
//! embeddings — each stage on a batch. One [`Pipeline`] per job; every pipeline shares the process's one
//! [`ModelHub`], so however many pipelines and threads run, each model is loaded once.

use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use image::RgbImage;
use serde::Serialize;

use crate::hub::ModelHub;
use crate::stages::embed::{EmbedOptions, EmbedStage};
use crate::stages::layout::LayoutStage;
use crate::stages::ocr::{OcrOptions, OcrStage};
use crate::stages::orientation::{make_upright, OrientationStage};
use crate::stages::reading_order::{assign_text, reading_order};
use crate::stages::table::TableStage;
use crate::stages::{Chunk, LayoutRegion, OcrLine, Table};
use crate::Result;

/// The stages a job runs, in their fixed order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Stage {
    Orientation,
    Layout,
    Ocr,
    Table,
    Embed,
}

impl Stage {
    pub const ALL: [Stage; 5] = [Stage::Orientation, Stage::Layout, Stage::Ocr, Stage::Table, Stage::Embed];

    pub fn name(self) -> &'static str {
        match self {
            Stage::Orientation => "orientation",
            Stage::Layout => "layout",
            Stage::Ocr => "ocr",
            Stage::Table => "table",
            Stage::Embed => "embed",
        }
    }

    pub fn parse(name: &str) -> Option<Stage> {
        Stage::ALL.into_iter().find(|s| s.name() == name.trim())
    }

    /// Parses a comma-separated list such as `orientation,layout,ocr`.
    pub fn parse_list(list: &str) -> std::result::Result<Vec<Stage>, String> {
        let mut stages = Vec::new();
        for name in list.split(',').filter(|s| !s.trim().is_empty()) {
            let stage = Stage::parse(name).ok_or_else(|| {
                format!("unknown stage '{}'; the stages are orientation, layout, ocr, table, embed", name.trim())
            })?;
            if !stages.contains(&stage) {
                stages.push(stage);
            }
        }
        Ok(stages)
    }
}

/// How many items each stage takes per model call.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct BatchSizes {
    /// Pages per orientation call.
    pub orientation: usize,
    /// Pages per layout call. The layout model's input is fixed at batch 1: pages of a batch run one after
    /// another under one hold of the session.
    pub layout: usize,
    /// Text-line crops per classifier and per recogniser call.
    pub ocr: usize,
    /// Tables per call (the table model decodes one table at a time).
    pub table: usize,
    /// Chunks per embedding call.
    pub embed: usize,
}

impl Default for BatchSizes {
    fn default() -> Self {
        BatchSizes { orientation: 4, layout: 1, ocr: 6, table: 1, embed: 16 }
    }
}

impl BatchSizes {
    pub fn of(&self, stage: Stage) -> usize {
        match stage {
            Stage::Orientation => self.orientation,
            Stage::Layout => self.layout,
            Stage::Ocr => self.ocr,
            Stage::Table => self.table,
            Stage::Embed => self.embed,
        }
    }

    pub fn set(&mut self, stage: Stage, size: usize) {
        let size = size.max(1);
        match stage {
            Stage::Orientation => self.orientation = size,
            Stage::Layout => self.layout = size,
            Stage::Ocr => self.ocr = size,
            Stage::Table => self.table = size,
            Stage::Embed => self.embed = size,
        }
    }
}

#[derive(Debug, Clone)]
pub struct PipelineOptions {
    pub stages: Vec<Stage>,
    pub batch: BatchSizes,
    /// Pages are turned upright only when the orientation model is at least this sure.
    pub orientation_threshold: f32,
    pub embed: EmbedOptions,
}

impl Default for PipelineOptions {
    fn default() -> Self {
        PipelineOptions {
            stages: Stage::ALL.to_vec(),
            batch: BatchSizes::default(),
            orientation_threshold: 0.8,
            embed: EmbedOptions::default(),
        }
    }
}

/// Everything Folio learned about one page.
#[derive(Debug, Clone, Serialize)]
pub struct PageResult {
    pub doc: String,
    /// 1-based.
    pub page: usize,
    /// Degrees the page was turned (counter-clockwise) to make it upright.
    pub rotation: u16,
    /// The resolution the page was rendered at: coordinates are pixels at this DPI (0 when unknown).
    #[serde(default)]
    pub dpi: f32,
    pub regions: Vec<LayoutRegion>,
    pub lines: Vec<OcrLine>,
    pub tables: Vec<Table>,
    pub chunks: Vec<Chunk>,
}

/// Time spent in one stage so far.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct StageTiming {
    pub total_ms: f64,
    pub pages: u64,
    pub ms_per_page: f64,
    pub batch_size: usize,
}

pub struct Pipeline {
    options: PipelineOptions,
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
        let ocr_options = OcrOptions { cls_batch: options.batch.ocr, rec_batch: options.batch.ocr, ..OcrOptions::default() };
        let embed_options = EmbedOptions { batch_size: options.batch.embed, ..options.embed };
        Pipeline {
            orientation: OrientationStage::new(Arc::clone(&hub)),
            layout: LayoutStage::new(Arc::clone(&hub)),
            ocr: RwLock::new(OcrStage::new(Arc::clone(&hub), ocr_options)),
            table: TableStage::new(Arc::clone(&hub)),
            embed: EmbedStage::new(hub, embed_options),
            batch: Mutex::new(options.batch),
            options,
            timings: Mutex::new([(Duration::ZERO, 0); 5]),
        }
    }

    pub fn options(&self) -> &PipelineOptions {
        &self.options
    }

    pub fn batch_sizes(&self) -> BatchSizes {
        *self.batch.lock().unwrap()
    }

    /// New batch sizes, used from each stage's next batch on.
    pub fn set_batch_sizes(&self, batch: BatchSizes) {
        let previous = std::mem::replace(&mut *self.batch.lock().unwrap(), batch);
        self.embed.set_batch_size(batch.embed);
        if previous.ocr != batch.ocr {
            self.ocr.write().unwrap().set_batch_sizes(batch.ocr, batch.ocr);
        }
    }

    /// The longest side text detection may see from the next page on (`None`: full size).
    pub fn set_detection_max_side(&self, max_side: Option<u32>) {
        if self.ocr.read().unwrap().options().det_max_side != max_side {
            self.ocr.write().unwrap().set_det_max_side(max_side);
        }
    }

    pub fn runs(&self, stage: Stage) -> bool {
        self.options.stages.contains(&stage)
    }

    fn timed<T>(&self, stage: Stage, pages: usize, f: impl FnOnce() -> Result<T>) -> Result<T> {
        let started = Instant::now();
        let result = f();
        let mut timings = self.timings.lock().unwrap();
        let slot = &mut timings[stage as usize];
        slot.0 += started.elapsed();
        slot.1 += pages as u64;
        result
    }

    /// Turns pages upright in place where the model is sure enough; returns the rotation applied to each.
    pub fn orient(&self, pages: &mut [RgbImage]) -> Result<Vec<u16>> {
        let mut rotations = vec![0; pages.len()];
        let batch = self.batch_sizes().orientation.max(1);
        self.timed(Stage::Orientation, pages.len(), || {
            for (chunk_index, chunk) in pages.chunks_mut(batch).enumerate() {
                let refs: Vec<&RgbImage> = chunk.iter().collect();
                let found = self.orientation.run(&refs)?;
                for (i, (page, o)) in chunk.iter_mut().zip(found).enumerate() {
                    if o.score >= self.options.orientation_threshold {
                        if let Some(upright) = make_upright(page, o) {
                            *page = upright;
                            rotations[chunk_index * batch + i] = o.degrees;
                        }
                    }
                }
            }
            Ok(())
        })?;
        Ok(rotations)
    }

    pub fn layout(&self, pages: &[RgbImage]) -> Result<Vec<Vec<LayoutRegion>>> {
        let batch = self.batch_sizes().layout.max(1);
        self.timed(Stage::Layout, pages.len(), || {
            let mut out = Vec::with_capacity(pages.len());
            for chunk in pages.chunks(batch) {
                out.extend(self.layout.run(&chunk.iter().collect::<Vec<_>>())?);
            }
            Ok(out)
        })
    }

    pub fn ocr(&self, page: &RgbImage) -> Result<Vec<OcrLine>> {
        self.timed(Stage::Ocr, 1, || self.ocr.read().unwrap().run(page))
    }

    pub fn tables(&self, page: &RgbImage, regions: &[LayoutRegion], lines: &[OcrLine]) -> Result<Vec<Table>> {
        let boxes: Vec<[f32; 4]> = regions.iter().filter(|r| r.class == "table").map(|r| r.bbox).collect();
        self.timed(Stage::Table, 1, || if boxes.is_empty() { Ok(Vec::new()) } else { self.table.run(page, &boxes, lines) })
    }

    /// Puts regions in reading order and gives each its text; returns the texts to embed, in order.
    pub fn read(&self, regions: &mut Vec<LayoutRegion>, lines: &[OcrLine]) -> Vec<String> {
        if regions.is_empty() {
            let all: Vec<&str> = lines.iter().map(|l| l.text.as_str()).collect();
            return if all.is_empty() { Vec::new() } else { vec![all.join("\n")] };
        }
        let order = reading_order(regions);
        let mut ordered: Vec<LayoutRegion> = order.iter().map(|&i| regions[i].clone()).collect();
        let orphans = assign_text(&mut ordered, lines);
        *regions = ordered;
        let mut texts: Vec<String> =
            regions.iter().filter(|r| r.class != "table" && !r.text.trim().is_empty()).map(|r| r.text.clone()).collect();
        if !orphans.is_empty() {
            texts.push(orphans.iter().map(|&i| lines[i].text.as_str()).collect::<Vec<_>>().join("\n"));
        }
        texts
    }

    pub fn embed(&self, texts: &[String]) -> Result<Vec<Chunk>> {
        self.timed(Stage::Embed, 1, || self.embed.run(texts))
    }

    /// Runs every selected stage on a batch of pages (`doc`, 1-based page, image) and returns their results.
    /// The images are consumed: nothing of a page outlives its result.
    pub fn process(&self, batch: Vec<(String, usize, RgbImage)>) -> Result<Vec<PageResult>> {
        let (meta, mut images): (Vec<(String, usize)>, Vec<RgbImage>) =
            batch.into_iter().map(|(d, p, i)| ((d, p), i)).unzip();
        let rotations = if self.runs(Stage::Orientation) { self.orient(&mut images)? } else { vec![0; images.len()] };
        let mut layouts = if self.runs(Stage::Layout) { self.layout(&images)? } else { vec![Vec::new(); images.len()] };
        let mut results = Vec::with_capacity(images.len());
        for (i, ((doc, page), image)) in meta.into_iter().zip(images).enumerate() {
            let mut regions = std::mem::take(&mut layouts[i]);
            let lines = if self.runs(Stage::Ocr) { self.ocr(&image)? } else { Vec::new() };
            let tables = if self.runs(Stage::Table) { self.tables(&image, &regions, &lines)? } else { Vec::new() };
            drop(image);
            let texts = self.read(&mut regions, &lines);
            let chunks = if self.runs(Stage::Embed) { self.embed(&texts)? } else { Vec::new() };
            results.push(PageResult { doc, page, rotation: rotations[i], dpi: 0.0, regions, lines, tables, chunks });
        }
        Ok(results)
    }

    /// Time per stage so far, for the selected stages.
    pub fn timings(&self) -> Vec<(Stage, StageTiming)> {
        let timings = self.timings.lock().unwrap();
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
