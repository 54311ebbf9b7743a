//! What the pipeline learns about a page, and what happened to each stage on it.

use image::RgbImage;
use serde::{Deserialize, Serialize};

use crate::memory::InFlight;
use crate::models::Recogniser;
use crate::stages::{Chunk, LayoutRegion, OcrLine, Table};
use crate::text::{Route, RouteDecision, TextLayer};

/// What one stage did with one page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Outcome {
    Done,
    /// The stage ran and failed; the page's results from this stage are empty.
    Failed { error: String },
    /// The stage did not run on this page, for `reason`.
    Skipped { reason: String },
}

/// One stage's outcome on one page, with the time it took.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StageOutcome {
    /// A pipeline stage's name, or a job's extra stage.
    pub stage: String,
    #[serde(flatten)]
    pub outcome: Outcome,
    /// Wall time on this page (a batch's time is shared out over its pages).
    #[serde(default)]
    pub ms: f64,
}

/// Everything Folio learned about one page.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PageResult {
    /// The document's path as it was opened.
    pub doc: String,
    /// The document's content hash, what the store knows it by (empty where nobody asked for it).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub doc_hash: String,
    /// 1-based.
    pub page: usize,
    /// Degrees the page was turned (counter-clockwise) to make it upright.
    pub rotation: u16,
    /// The resolution the page was rendered at: coordinates are pixels at this DPI (0 when unknown).
    #[serde(default)]
    pub dpi: f32,
    /// The page image's size in pixels as rendered, before any turn (0 where the page was not rendered).
    #[serde(default)]
    pub width: u32,
    #[serde(default)]
    pub height: u32,
    pub regions: Vec<LayoutRegion>,
    pub lines: Vec<OcrLine>,
    pub tables: Vec<Table>,
    pub chunks: Vec<Chunk>,
    /// Where the page's text came from (`None` where the job did not ask for text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route: Option<Route>,
    /// Why it took that route.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route_reason: Option<String>,
    /// Why the page could not be worked on at all (it could not be rendered); its stages are skipped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Each stage the job asked for, in order, with what it did on this page.
    #[serde(default)]
    pub outcomes: Vec<StageOutcome>,
    /// The lines a user corrected, with the text that was found (the store keeps both; the line holds the
    /// correction).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub edits: Vec<LineEdit>,
    /// The regions whose class a user changed, with the class that was found.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub region_edits: Vec<RegionEdit>,
    /// The regions a user drew (their places in `regions`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub added_regions: Vec<usize>,
    /// The regions layout analysis found that a user deleted: left out of `regions`, kept in the store.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deleted_regions: Vec<DeletedRegion>,
    /// Per place in `regions`, the region's key in the store (what corrections name); empty where the page
    /// has no corrections of its regions (each key is then its place).
    #[serde(skip)]
    pub region_keys: Vec<usize>,
    /// The text recogniser the job's OCR ran with (what the store records as the page's OCR model).
    #[serde(skip)]
    pub recogniser: Recogniser,
}

/// A line a user corrected: its index in the page's lines and the text that was found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LineEdit {
    pub line: usize,
    pub original: String,
}

/// A region whose class a user changed: its place in the page's regions and the class that was found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegionEdit {
    pub region: usize,
    pub original_class: String,
}

/// A region a user deleted: what layout analysis found, and the key that restores it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeletedRegion {
    pub key: usize,
    pub class: String,
    pub bbox: crate::stages::BBox,
}

impl PageResult {
    /// A page with no results yet.
    pub fn empty(doc: impl Into<String>, page: usize, dpi: f32) -> Self {
        PageResult {
            doc: doc.into(),
            doc_hash: String::new(),
            page,
            rotation: 0,
            dpi,
            width: 0,
            height: 0,
            regions: Vec::new(),
            lines: Vec::new(),
            tables: Vec::new(),
            chunks: Vec::new(),
            route: None,
            route_reason: None,
            error: None,
            outcomes: Vec::new(),
            edits: Vec::new(),
            region_edits: Vec::new(),
            added_regions: Vec::new(),
            deleted_regions: Vec::new(),
            region_keys: Vec::new(),
            recogniser: Recogniser::default(),
        }
    }

    /// True when the page could not be rendered or a stage failed on it.
    pub fn failed(&self) -> bool {
        self.error.is_some() || self.outcomes.iter().any(|o| matches!(o.outcome, Outcome::Failed { .. }))
    }

    /// What went wrong on the page, one line per failure (empty when nothing did).
    pub fn failures(&self) -> Vec<String> {
        let mut failures: Vec<String> = self.error.iter().cloned().collect();
        failures.extend(self.outcomes.iter().filter_map(|o| match &o.outcome {
            Outcome::Failed { error } => Some(format!("{}: {error}", o.stage)),
            _ => None,
        }));
        failures
    }

    /// The store's key of the region at place `index` in `regions`.
    pub fn region_key(&self, index: usize) -> Option<usize> {
        if index >= self.regions.len() {
            return None;
        }
        Some(self.region_keys.get(index).copied().unwrap_or(index))
    }

    /// The outcome of `stage` on this page, if the job ran it.
    pub fn outcome(&self, stage: &str) -> Option<&Outcome> {
        self.outcomes.iter().find(|o| o.stage == stage).map(|o| &o.outcome)
    }

    pub(crate) fn record(&mut self, stage: &str, outcome: Outcome, ms: f64) {
        self.outcomes.push(StageOutcome { stage: stage.to_string(), outcome, ms });
    }
}

/// A page on its way through the pipeline: its image (counted as in flight until the step that no longer
/// needs it drops it) and the result so far.
pub struct PageWork {
    pub(crate) image: Option<InFlight<RgbImage>>,
    pub result: PageResult,
    /// The page's own text layer, read with its image (PDF pages, when the job reads text layers).
    pub(crate) text_layer: Option<TextLayer>,
    /// The route decided for the page, with where OCR looks on a mixed page.
    pub(crate) route: Option<RouteDecision>,
    /// An error no later page can escape (a model or runtime that cannot be loaded): the job stops on it.
    pub(crate) fatal: Option<String>,
}

impl PageWork {
    /// A rendered page (`page` 1-based), ready for the pipeline.
    pub fn new(doc: impl Into<String>, page: usize, dpi: f32, image: InFlight<RgbImage>) -> Self {
        let mut result = PageResult::empty(doc, page, dpi);
        (result.width, result.height) = image.dimensions();
        PageWork { image: Some(image), result, text_layer: None, route: None, fatal: None }
    }

    /// A page that could not be rendered: it goes through the pipeline with every stage skipped.
    pub fn unrendered(doc: impl Into<String>, page: usize, dpi: f32, error: String) -> Self {
        let mut result = PageResult::empty(doc, page, dpi);
        result.error = Some(error);
        PageWork { image: None, result, text_layer: None, route: None, fatal: None }
    }

    /// The page with its own text layer, read when it was rendered.
    pub fn with_text_layer(mut self, layer: Option<TextLayer>) -> Self {
        self.text_layer = layer;
        self
    }

    /// The reason the job cannot go on, when this page hit one.
    pub fn fatal(&self) -> Option<&str> {
        self.fatal.as_deref()
    }
}
