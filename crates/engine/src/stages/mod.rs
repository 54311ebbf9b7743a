//! Pipeline stages, one module each, in the order a page goes through them:
//! orientation → layout → OCR → table → reading order → embeddings.
//!
//! Each stage takes a batch and a batch size, and returns typed, serialisable results in page pixels. Models
//! come from the [`crate::models::ModelHub`], so however many pipelines use a stage, its model is loaded once.

pub mod embed;
pub mod imageops;
pub mod layout;
pub mod ocr;
pub mod orientation;
pub mod reading_order;
pub mod table;

use serde::{Deserialize, Serialize};

/// An axis-aligned box in page pixels: `[x0, y0, x1, y1]`.
pub type BBox = [f32; 4];

/// A quadrilateral in page pixels, clockwise from the top-left corner.
pub type Quad = [[f32; 2]; 4];

/// The axis-aligned box around a polygon.
pub fn polygon_bbox(polygon: &Quad) -> BBox {
    let xs = polygon.iter().map(|p| p[0]);
    let ys = polygon.iter().map(|p| p[1]);
    [
        xs.clone().fold(f32::INFINITY, f32::min),
        ys.clone().fold(f32::INFINITY, f32::min),
        xs.fold(f32::NEG_INFINITY, f32::max),
        ys.fold(f32::NEG_INFINITY, f32::max),
    ]
}

/// How far the page's content is turned clockwise, as the orientation model sees it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PageOrientation {
    pub degrees: u16,
    pub score: f32,
}

/// One region found by layout analysis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LayoutRegion {
    pub class: String,
    pub bbox: BBox,
    pub score: f32,
    /// The OCR text inside the region, in reading order (filled after OCR).
    #[serde(default)]
    pub text: String,
}

/// Where a line's text came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineSource {
    /// Recognised from the page's pixels.
    #[default]
    Ocr,
    /// Taken from the PDF's own text layer.
    Pdf,
}

impl LineSource {
    pub fn name(self) -> &'static str {
        match self {
            LineSource::Ocr => "ocr",
            LineSource::Pdf => "pdf",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "ocr" => Some(LineSource::Ocr),
            "pdf" => Some(LineSource::Pdf),
            _ => None,
        }
    }
}

/// One line of text on a page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OcrLine {
    pub text: String,
    /// The recogniser's confidence (1.0 for text-layer lines).
    pub score: f32,
    pub polygon: Quad,
    #[serde(default)]
    pub source: LineSource,
    /// The line's words in reading order, each with its box inside the line's polygon.
    #[serde(default)]
    pub words: Vec<Word>,
}

impl OcrLine {
    /// Moves the line and its words by `(dx, dy)` pixels (a line read in a crop, put back on its page).
    pub fn translate(&mut self, dx: f32, dy: f32) {
        for p in self.polygon.iter_mut().chain(self.words.iter_mut().flat_map(|w| w.polygon.iter_mut())) {
            p[0] += dx;
            p[1] += dy;
        }
    }
}

/// One word of a line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Word {
    pub text: String,
    /// The word's corners in page pixels, in the line's corner order.
    pub polygon: Quad,
    /// The recogniser's mean confidence over the word's characters (1.0 for text-layer words).
    pub score: f32,
}

/// One cell of a recognised table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableCell {
    /// The cell's corners in page pixels, clockwise from the top-left.
    pub polygon: Quad,
    pub text: String,
    /// Where the cell sits in the table's grid (0-based row and column of its top-left position) and how
    /// many rows and columns it spans (results stored before cells had them read 0, 0, 1, 1).
    #[serde(default)]
    pub row: usize,
    #[serde(default)]
    pub col: usize,
    #[serde(default = "one")]
    pub row_span: usize,
    #[serde(default = "one")]
    pub col_span: usize,
}

fn one() -> usize {
    1
}

/// A table region's structure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Table {
    pub bbox: BBox,
    pub html: String,
    pub cells: Vec<TableCell>,
}

/// A run of region text with its embedding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Chunk {
    pub text: String,
    pub embedding: Vec<f32>,
    /// The region (its index in the page's reading order) the text came from; `None` for text outside
    /// every region. From [`embed::EmbedStage::run`] alone, the index of the input text.
    #[serde(default)]
    pub region: Option<usize>,
}
