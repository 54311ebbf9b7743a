//! The lossless document object (`folio export --format json`): the document's hash and paths, and every
//! stored page with its status, each stage's outcome, and its lines, regions, tables and chunks. Its
//! schema is `docs/schema/document.schema.json`; `docs/export-json.md` describes each field.

use std::io::Write;

use serde::{Deserialize, Serialize};

use crate::pipeline::{PageResult, StageOutcome};
use crate::stages::{BBox, LineSource, Quad, Table};
use crate::text::Route;
use crate::stages::polygon_bbox;
use crate::store::pages::page_status;
use crate::store::{DocumentRecord, Store};
use crate::{Error, Result};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Line {
    pub text: String,
    /// Clockwise from the top-left corner, in page pixels at the page's `dpi`.
    pub polygon: Quad,
    /// `[x0, y0, x1, y1]` around the polygon.
    pub bbox: BBox,
    pub confidence: f32,
    pub source: LineSource,
    /// The line's words in reading order (their texts joined by single spaces give the line's text).
    pub words: Vec<Word>,
    /// Whether a user corrected the text; `original_text` is then what was found.
    #[serde(default)]
    pub edited: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original_text: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Word {
    pub text: String,
    /// Inside the line's polygon, in the line's corner order.
    pub polygon: Quad,
    pub bbox: BBox,
    pub confidence: f32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Region {
    /// Its place in reading order (0 first).
    pub order: usize,
    pub class: String,
    pub bbox: BBox,
    pub score: f32,
    pub text: String,
    /// The class layout analysis found, where a user changed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original_class: Option<String>,
    /// Drawn by a user (layout analysis missed it).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub drawn: bool,
}

/// A region layout analysis found that a user deleted (left out of `regions`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeletedRegion {
    pub class: String,
    pub bbox: BBox,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Chunk {
    pub text: String,
    /// The `order` of the region it came from (`null` for text outside every region).
    pub region: Option<usize>,
    pub page_start: usize,
    pub page_end: usize,
    pub embedding: Vec<f32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page {
    /// 1-based.
    pub page: usize,
    /// `done` or `failed`.
    pub status: String,
    /// Why the page could not be rendered, when it could not.
    pub error: Option<String>,
    pub dpi: f32,
    /// The page image's size in pixels at `dpi`, as rendered (before any turn; 0 where unknown).
    pub width: u32,
    pub height: u32,
    /// Degrees the page was turned (counter-clockwise) to make it upright.
    pub rotation: u16,
    /// Where the page's text came from: `text` (its text layer), `ocr`, or `mixed` (the text layer, and OCR
    /// over its images); `null` where the job asked for no text.
    pub route: Option<Route>,
    /// Why it took that route.
    pub route_reason: Option<String>,
    /// Each stage the job asked for, with its outcome (`done`, `failed` with `error`, `skipped` with `reason`).
    pub stages: Vec<StageOutcome>,
    pub lines: Vec<Line>,
    pub regions: Vec<Region>,
    /// Regions a user deleted, as layout analysis found them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deleted_regions: Vec<DeletedRegion>,
    pub tables: Vec<Table>,
    pub chunks: Vec<Chunk>,
}

impl Page {
    pub fn of(result: &PageResult) -> Page {
        Page {
            page: result.page,
            status: page_status(result).to_string(),
            error: result.error.clone(),
            dpi: result.dpi,
            width: result.width,
            height: result.height,
            rotation: result.rotation,
            route: result.route,
            route_reason: result.route_reason.clone(),
            stages: result.outcomes.clone(),
            lines: result
                .lines
                .iter()
                .enumerate()
                .map(|(i, l)| (l, result.edits.iter().find(|e| e.line == i)))
                .map(|(l, edit)| Line {
                    text: l.text.clone(),
                    polygon: l.polygon,
                    bbox: polygon_bbox(&l.polygon),
                    confidence: l.score,
                    source: l.source,
                    words: l
                        .words
                        .iter()
                        .map(|w| Word { text: w.text.clone(), polygon: w.polygon, bbox: polygon_bbox(&w.polygon), confidence: w.score })
                        .collect(),
                    edited: edit.is_some(),
                    original_text: edit.map(|e| e.original.clone()),
                })
                .collect(),
            regions: result
                .regions
                .iter()
                .enumerate()
                .map(|(order, r)| Region {
                    order,
                    class: r.class.clone(),
                    bbox: r.bbox,
                    score: r.score,
                    text: r.text.clone(),
                    original_class: result.region_edits.iter().find(|e| e.region == order).map(|e| e.original_class.clone()),
                    drawn: result.added_regions.contains(&order),
                })
                .collect(),
            deleted_regions: result.deleted_regions.iter().map(|d| DeletedRegion { class: d.class.clone(), bbox: d.bbox }).collect(),
            tables: result.tables.clone(),
            chunks: result
                .chunks
                .iter()
                .map(|c| Chunk { text: c.text.clone(), region: c.region, page_start: result.page, page_end: result.page, embedding: c.embedding.clone() })
                .collect(),
        }
    }
}

/// The document object without its pages (they are written one at a time after it).
#[derive(Serialize)]
struct Head<'a> {
    doc: &'a str,
    name: &'a str,
    kind: &'a str,
    page_count: usize,
    size_bytes: u64,
    paths: &'a [String],
}

fn io(e: std::io::Error) -> Error {
    Error::Export { detail: e.to_string() }
}

fn json(e: serde_json::Error) -> Error {
    Error::Export { detail: e.to_string() }
}

/// Writes the document object: `{"doc": …, …, "pages": [ … ]}`, one page read from the store at a time.
pub fn write(store: &Store, document: &DocumentRecord, out: &mut dyn Write) -> Result<()> {
    let head = Head {
        doc: &document.hash,
        name: &document.name,
        kind: &document.kind,
        page_count: document.page_count,
        size_bytes: document.size_bytes,
        paths: &document.paths,
    };
    let head = serde_json::to_string(&head).map_err(json)?;
    out.write_all(head[..head.len() - 1].as_bytes()).map_err(io)?;
    out.write_all(b",\"pages\":[").map_err(io)?;
    let mut first = true;
    store.for_each_page(document, |result| {
        if !first {
            out.write_all(b",").map_err(io)?;
        }
        first = false;
        serde_json::to_writer(&mut *out, &Page::of(&result)).map_err(json)
    })?;
    out.write_all(b"]}\n").map_err(io)?;
    out.flush().map_err(io)
}
