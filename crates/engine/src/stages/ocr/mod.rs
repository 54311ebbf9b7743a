//! The OCR stage: text lines of a page, with their polygons, in reading order.
//!
//! It reproduces RapidOCR 1.4.4 (`rapidocr-onnxruntime`) with its default models and settings:
//! PP-OCRv4 detection (DB, shortest side to 736), the mobile v2 direction classifier (0°/180°), and PP-OCRv4
//! recognition (CTC over 6625 classes). Each step names the reference operation it reproduces; the image
//! operations are bit-exact where OpenCV's are integer (`resize_linear`, the bicubic warp's fixed-point
//! tables) and follow OpenCV's `f32` arithmetic in the geometry (`minAreaRect`, `boxPoints`).
//!
//! Checked against the reference on the fixture pages: the detector map, every box, every box score (to
//! 1e-16) and every crop are identical. Known deviations:
//! - The reference orders crops for batching with `np.argsort`, which is not stable (numpy's AVX-512 sort);
//!   crops with equal aspect ratios can land in other batches there, changing the batch's padded width and
//!   now and then a character or a score (one line of the `code` fixture). Here the order is stable.
//! - `cv2.findContours(RETR_LIST)` also lists hole borders as candidates; connected components give outer
//!   borders only. No fixture page has a hole in its text mask.
//! - `cv2.minAreaRect` on slanted boxes can differ from this in the last bit (axis-aligned ones are exact),
//!   and Clipper's final union is left out (for a convex offset it only drops collinear points).
//!
//! The steps are public for debugging: [`OcrStage::detect`] (boxes of an image), [`crop_quad`],
//! [`OcrStage::classify`] and [`OcrStage::recognize`] (crops to text).

pub mod ctc;
pub mod db;
pub mod geometry;
pub mod warp;
pub mod words;

use std::borrow::Cow;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use image::RgbImage;
use ort::value::TensorRef;
use serde::Serialize;

use super::imageops::{resize_linear, write_bgr_planes, Normalize};
use super::{LineSource, OcrLine, Quad};
use crate::models::{Model, ModelHub, ModelId, Recogniser};
use crate::{native, Error, Result};

pub use db::DbParams;
pub use warp::crop_quad;
pub use words::{SpaceParams, SpaceRule};

/// Settings of the stage; the defaults are the reference's.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct OcrOptions {
    /// Crops per direction-classifier inference.
    pub cls_batch: usize,
    /// Crops per recogniser inference.
    pub rec_batch: usize,
    /// Most tensor columns (crops × padded width, at the recogniser's 48-pixel height) one recogniser call
    /// takes: a batch of long lines is split so that its working memory stays that of ordinary lines,
    /// whatever the page holds (`usize::MAX`: batches of `rec_batch` as the reference makes them).
    pub rec_batch_columns: usize,
    /// Lines recognised with a lower mean confidence are dropped.
    pub text_score: f32,
    /// Run the 0°/180° classifier on each crop.
    pub use_cls: bool,
    /// Scale pages down for detection so their longer side is at most this many pixels (`None`: the
    /// reference's sizes). Lines are still cut from the full page for recognition; a memory budget sets
    /// this while the peaks leave no room for full-size detection.
    pub det_max_side: Option<u32>,
    /// Where a line's text gets its spaces (and its words); [`SpaceParams::for_recogniser`] by default.
    pub spaces: SpaceParams,
    /// The text recogniser (`--rec-model`).
    pub recogniser: Recogniser,
    /// How the detector's map becomes boxes.
    pub db: DbParams,
}

impl Default for OcrOptions {
    fn default() -> Self {
        OcrOptions { cls_batch: 6, rec_batch: 6, rec_batch_columns: REC_BATCH_COLUMNS, text_score: 0.5, use_cls: true, det_max_side: None, spaces: SpaceParams::default(), recogniser: Recogniser::V4, db: DbParams::default() }
    }
}

/// Where one page's time went, in milliseconds (each step with its own pre- and post-processing).
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct OcrTimings {
    pub det_ms: f64,
    pub cls_ms: f64,
    pub rec_ms: f64,
    pub total_ms: f64,
    /// Boxes the detector kept (before the recognition score filter).
    pub boxes: usize,
}

/// The classifier's verdict on one crop.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Direction {
    /// True when the crop reads upside down (label "180").
    pub upside_down: bool,
    pub score: f32,
    /// Whether the crop was turned (label "180" with a score over 0.9).
    pub rotated: bool,
}

const MAX_SIDE_LEN: u32 = 2000;
const MIN_SIDE_LEN: u32 = 30;
const MIN_HEIGHT: u32 = 30;
const WIDTH_HEIGHT_RATIO: f64 = 8.0;
const DET_LIMIT_SIDE_LEN: f64 = 736.0;
const CLS_SHAPE: (usize, usize) = (48, 192);
const CLS_THRESH: f32 = 0.9;
const REC_SHAPE: (usize, usize) = (48, 320);
/// The recogniser's working memory grows with crops × padded width: six lines of 1,500 pixels in one call
/// took ~180 MB more RSS than the call before (more than detection on a whole 72-dpi page), and a page of such
/// lines set the process's peak. 2,400 columns keep six short lines (up to 400 pixels at height 48) in one
/// call and split longer ones: on dense 72-dpi pages the recogniser's peak fell from 98–347 MB to 9–30 MB and
/// it ran 5–17% faster, with less padding per line (BENCHMARKS.md).
pub const REC_BATCH_COLUMNS: usize = 2400;

pub struct OcrStage {
    hub: Arc<ModelHub>,
    pub options: OcrOptions,
    vocabulary: OnceLock<Arc<Vec<String>>>,
}

fn inference_error(model: ModelId, detail: impl Into<String>) -> Error {
    Error::Inference { model: model.name(), detail: detail.into() }
}

/// Runs a model on one `[n, 3, h, w]` tensor and copies out its first output (shape and values).
fn run_model(model: &Model, data: &[f32], shape: [usize; 4]) -> Result<(Vec<i64>, Vec<f32>)> {
    model.run(|session, options| {
        let input = TensorRef::from_array_view((shape, data))?;
        let outputs = session.run_with_options(ort::inputs!["x" => input], options)?;
        let (out_shape, values) = outputs[0].try_extract_tensor::<f32>()?;
        Ok((out_shape.iter().copied().collect(), values.to_vec()))
    })
}

/// `int(round(int(side * ratio) / 32) * 32)`, Python rounding.
fn multiple_of_32(side: u32, ratio: f64) -> u32 {
    let scaled = (side as f64 * ratio) as u32;
    ((scaled as f64 / 32.0).round_ties_even() as u32) * 32
}

/// Planar B, G, R as the classifier and recogniser expect: `(p / 255 - 0.5) / 0.5` in `f32`.
fn write_rec_planes(img: &RgbImage, out: &mut [f32], tensor_w: usize, tensor_h: usize) {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let plane = tensor_w * tensor_h;
    let raw = img.as_raw();
    for y in 0..h.min(tensor_h) {
        for x in 0..w.min(tensor_w) {
            let p = (y * w + x) * 3;
            for (plane_index, rgb_index) in [(0usize, 2usize), (1, 1), (2, 0)] {
                let v = (raw[p + rgb_index] as f32 / 255.0 - 0.5) / 0.5;
                out[plane_index * plane + y * tensor_w + x] = v;
            }
        }
    }
}

/// The recogniser's batches: crops in ascending aspect order, at most `per_batch` of them and, past the
/// first, at most `columns` tensor columns (each crop padded to the batch's widest, at least 320).
fn rec_batches(crops: &[RgbImage], per_batch: usize, columns: usize) -> Vec<Vec<usize>> {
    let (th, base_w) = REC_SHAPE;
    let mut batches: Vec<Vec<usize>> = Vec::new();
    let mut current: Vec<usize> = Vec::new();
    for i in by_aspect(crops) {
        let ratio = crops[i].width() as f64 / crops[i].height().max(1) as f64;
        // Ascending order: this crop is the widest of the batch so far.
        let width = ((th as f64 * ratio) as usize).max(base_w);
        if !current.is_empty() && (current.len() >= per_batch.max(1) || (current.len() + 1).saturating_mul(width) > columns) {
            batches.push(std::mem::take(&mut current));
        }
        current.push(i);
    }
    if !current.is_empty() {
        batches.push(current);
    }
    batches
}

/// Indices ordering crops by width / height, ascending (stable).
fn by_aspect(crops: &[RgbImage]) -> Vec<usize> {
    let ratios: Vec<f64> = crops.iter().map(|c| c.width() as f64 / c.height() as f64).collect();
    let mut order: Vec<usize> = (0..crops.len()).collect();
    order.sort_by(|&a, &b| ratios[a].partial_cmp(&ratios[b]).unwrap_or(std::cmp::Ordering::Equal));
    order
}

impl OcrStage {
    pub fn new(hub: Arc<ModelHub>, options: OcrOptions) -> Self {
        OcrStage { hub, options, vocabulary: OnceLock::new() }
    }

    pub fn options(&self) -> &OcrOptions {
        &self.options
    }

    pub fn set_det_max_side(&mut self, max_side: Option<u32>) {
        self.options.det_max_side = max_side;
    }

    pub fn set_batch_sizes(&mut self, cls: usize, rec: usize) {
        self.options.cls_batch = cls.max(1);
        self.options.rec_batch = rec.max(1);
    }

    /// Lines of one page in reading order, polygons in the page's pixels.
    pub fn run(&self, page: &RgbImage) -> Result<Vec<OcrLine>> {
        self.run_timed(page).map(|(lines, _)| lines)
    }

    /// [`OcrStage::run`], with where the time went.
    pub fn run_timed(&self, page: &RgbImage) -> Result<(Vec<OcrLine>, OcrTimings)> {
        let (readings, timings) = self.read_page(page)?;
        Ok((self.lines(readings, &self.options.spaces), timings))
    }

    /// What the recogniser read on a page, line by line, before the score filter and the space rule: the
    /// steps [`OcrStage::run`] takes up to decoding (with its timings), so that several space rules can be
    /// applied to one reading ([`OcrStage::lines`]).
    pub fn read_page(&self, page: &RgbImage) -> Result<(Vec<LineReading>, OcrTimings)> {
        let started = Instant::now();
        let mut timings = OcrTimings::default();
        let (raw_w, raw_h) = page.dimensions();
        if raw_w == 0 || raw_h == 0 {
            return Ok((Vec::new(), timings));
        }
        // Whole-image limits (pages at usual resolutions pass through untouched).
        let Some((image, ratio_h, ratio_w)) = limit_sides(page) else { return Ok((Vec::new(), timings)) };
        let (image, pad_top) = letterbox(image);

        let t = Instant::now();
        let boxes = self.detect(&image)?;
        timings.det_ms = t.elapsed().as_secs_f64() * 1000.0;
        timings.boxes = boxes.len();
        if boxes.is_empty() {
            timings.total_ms = started.elapsed().as_secs_f64() * 1000.0;
            return Ok((Vec::new(), timings));
        }

        let t = Instant::now();
        let mut crops: Vec<RgbImage> = boxes.iter().map(|q| crop_quad(&image, q)).collect();
        let directions = if self.options.use_cls { Some(self.classify(&mut crops)?) } else { None };
        timings.cls_ms = t.elapsed().as_secs_f64() * 1000.0;

        let t = Instant::now();
        let readings = self.read(&crops)?;
        drop(crops);
        timings.rec_ms = t.elapsed().as_secs_f64() * 1000.0;

        let (fw, fh) = (raw_w as f32, raw_h as f32);
        let to_page = |q: &Quad| {
            q.map(|[x, y]| {
                let (x, y) = (x * ratio_w, (y - pad_top as f32) * ratio_h);
                [x.max(0.0).min(fw), y.max(0.0).min(fh)]
            })
        };
        let lines = readings
            .into_iter()
            .zip(&boxes)
            .enumerate()
            .map(|(i, (reading, quad))| {
                let flipped = directions.as_ref().is_some_and(|d| d[i].rotated);
                let frame = words::LineFrame { quad: to_page(quad), width_steps: reading.width_steps, turned: warp::turns_crop(quad), flipped };
                LineReading { reading, frame }
            })
            .collect();
        timings.total_ms = started.elapsed().as_secs_f64() * 1000.0;
        Ok((lines, timings))
    }

    /// A page's lines from its reading: lines under the score threshold dropped, the rest given their spaces
    /// and words by `spaces`.
    pub fn lines(&self, readings: Vec<LineReading>, spaces: &SpaceParams) -> Vec<OcrLine> {
        readings
            .into_iter()
            .filter(|l| l.reading.alignment.score >= self.options.text_score as f64)
            .map(|LineReading { reading, frame }| {
                let spans = words::split(&reading.alignment, spaces);
                let text = match spaces.rule {
                    SpaceRule::Model => reading.alignment.text(),
                    SpaceRule::Alignment => spans.iter().map(|w| w.text.as_str()).collect::<Vec<_>>().join(" "),
                };
                let words = words::place(&spans, &frame);
                OcrLine { text, score: reading.alignment.score as f32, polygon: frame.quad, source: LineSource::Ocr, words }
            })
            .collect()
    }

    /// The detector's probability map for `image`: values, map width, map height.
    pub fn detect_map(&self, image: &RgbImage) -> Result<(Vec<f32>, usize, usize)> {
        let (w, h) = image.dimensions();
        let mut ratio = if w.min(h) as f64 >= DET_LIMIT_SIDE_LEN { 1.0 } else { DET_LIMIT_SIDE_LEN / w.min(h) as f64 };
        if let Some(max_side) = self.options.det_max_side {
            // The detector's working memory grows with the area it sees: a full 150-dpi page needs ~300 MB.
            ratio = ratio.min(max_side as f64 / w.max(h) as f64);
        }
        let (rw, rh) = (multiple_of_32(w, ratio), multiple_of_32(h, ratio));
        if rw == 0 || rh == 0 {
            return Ok((Vec::new(), 0, 0));
        }
        let resized = resize_linear(image, rw, rh);
        let (tw, th) = (rw as usize, rh as usize);
        let mut data = vec![0f32; 3 * tw * th];
        write_bgr_planes(&resized, Normalize::HALF, &mut data, tw, th);
        let model = self.hub.get(ModelId::OcrDet)?;
        let (shape, values) = run_model(&model, &data, [1, 3, th, tw])?;
        if shape.len() != 4 || shape[0] != 1 || shape[1] != 1 {
            return Err(inference_error(ModelId::OcrDet, format!("unexpected output shape {shape:?}")));
        }
        let (mh, mw) = (shape[2] as usize, shape[3] as usize);
        if values.len() != mh * mw {
            return Err(inference_error(ModelId::OcrDet, "output size does not match its shape"));
        }
        Ok((values, mw, mh))
    }

    /// Text boxes of `image` (tl, tr, br, bl, in its pixels), in reading order.
    pub fn detect(&self, image: &RgbImage) -> Result<Vec<Quad>> {
        let (map, mw, mh) = self.detect_map(image)?;
        if mw == 0 || mh == 0 {
            return Ok(Vec::new());
        }
        let (w, h) = image.dimensions();
        let raw = db::boxes_from_map(&map, mw, mh, w, h, &self.options.db);
        Ok(filter_and_order(raw.into_iter().map(|(q, _)| q).collect(), w, h))
    }

    /// Classifies each crop as upright or upside down, turning those confidently upside down.
    pub fn classify(&self, crops: &mut [RgbImage]) -> Result<Vec<Direction>> {
        let mut results = vec![Direction { upside_down: false, score: 0.0, rotated: false }; crops.len()];
        if crops.is_empty() {
            return Ok(results);
        }
        let model = self.hub.get(ModelId::OcrCls)?;
        let order = by_aspect(crops);
        let (th, tw) = CLS_SHAPE;
        for batch in order.chunks(self.options.cls_batch.max(1)) {
            let data = line_batch(crops, batch, th, tw);
            let (shape, values) = run_model(&model, &data, [batch.len(), 3, th, tw])?;
            if shape.len() != 2 || shape[0] as usize != batch.len() || shape[1] < 2 {
                return Err(inference_error(ModelId::OcrCls, format!("unexpected output shape {shape:?}")));
            }
            let classes = shape[1] as usize;
            for (b, &i) in batch.iter().enumerate() {
                let row = &values[b * classes..(b + 1) * classes];
                let upside_down = row[1] > row[0];
                let score = if upside_down { row[1] } else { row[0] };
                let rotated = upside_down && score > CLS_THRESH;
                if rotated {
                    crops[i] = warp::rotate180(&crops[i]);
                }
                results[i] = Direction { upside_down, score, rotated };
            }
        }
        Ok(results)
    }

    /// The recogniser's classes: from its `character` metadata, or from the character list the manifest
    /// ships beside it.
    fn vocabulary(&self, model: &Model) -> Result<Arc<Vec<String>>> {
        if let Some(v) = self.vocabulary.get() {
            return Ok(Arc::clone(v));
        }
        let vocab = Arc::new(match self.options.recogniser.character_list() {
            None => ctc::vocabulary(model.required_metadata("character")?),
            Some(artifact) => {
                let path = native::verified_path(artifact)?;
                ctc::vocabulary_file(&std::fs::read_to_string(&path).map_err(|source| Error::Unreadable { path, source })?)
            }
        });
        Ok(Arc::clone(self.vocabulary.get_or_init(|| vocab)))
    }

    /// Text and mean confidence of each crop, in the crops' order, as the reference decodes them.
    pub fn recognize(&self, crops: &[RgbImage]) -> Result<Vec<(String, f64)>> {
        Ok(self.read(crops)?.into_iter().map(|r| (r.alignment.text(), r.alignment.score)).collect())
    }

    /// What the recogniser read from each crop, with where each character was emitted.
    pub fn read(&self, crops: &[RgbImage]) -> Result<Vec<Reading>> {
        let mut results = vec![Reading::default(); crops.len()];
        if crops.is_empty() {
            return Ok(results);
        }
        let id = self.options.recogniser.model();
        let model = self.hub.get(id)?;
        let vocab = self.vocabulary(&model)?;
        let (th, base_w) = REC_SHAPE;
        for batch in rec_batches(crops, self.options.rec_batch, self.options.rec_batch_columns) {
            let batch = batch.as_slice();
            let mut max_ratio = base_w as f64 / th as f64;
            for &i in batch {
                max_ratio = max_ratio.max(crops[i].width() as f64 / crops[i].height() as f64);
            }
            let tw = (th as f64 * max_ratio) as usize;
            let data = line_batch(crops, batch, th, tw);
            let (shape, values) = run_model(&model, &data, [batch.len(), 3, th, tw])?;
            if shape.len() != 3 || shape[0] as usize != batch.len() {
                return Err(inference_error(id, format!("unexpected output shape {shape:?}")));
            }
            let (steps, classes) = (shape[1] as usize, shape[2] as usize);
            if classes != vocab.len() {
                return Err(inference_error(
                    id,
                    format!("the model has {classes} classes but its character list gives {}", vocab.len()),
                ));
            }
            // Steps per input pixel: the recogniser's output runs across the padded batch width.
            let steps_per_px = steps as f32 / tw as f32;
            for (b, &i) in batch.iter().enumerate() {
                let probs = &values[b * steps * classes..(b + 1) * steps * classes];
                let alignment = ctc::align(probs, steps, classes, &vocab);
                let width_steps = rec_width(&crops[i], th, tw) as f32 * steps_per_px;
                results[i] = Reading { alignment, width_steps };
            }
        }
        Ok(results)
    }
}

/// The reference's `reduce_max_side` / `increase_min_side`: the image to work on and the factors mapping
/// its coordinates back (`None` when a side would round to zero).
fn limit_sides(page: &RgbImage) -> Option<(Cow<'_, RgbImage>, f32, f32)> {
    let mut image = Cow::Borrowed(page);
    let (mut ratio_h, mut ratio_w) = (1.0f64, 1.0f64);
    let (w, h) = page.dimensions();
    if w.max(h) > MAX_SIDE_LEN {
        let ratio = MAX_SIDE_LEN as f64 / if h > w { h } else { w } as f64;
        let (rw, rh) = (multiple_of_32(w, ratio), multiple_of_32(h, ratio));
        if rw == 0 || rh == 0 {
            return None;
        }
        image = Cow::Owned(resize_linear(page, rw, rh));
        ratio_h = h as f64 / rh as f64;
        ratio_w = w as f64 / rw as f64;
    }
    let (w, h) = image.dimensions();
    if w.min(h) < MIN_SIDE_LEN {
        let ratio = MIN_SIDE_LEN as f64 / if h < w { h } else { w } as f64;
        let (rw, rh) = (multiple_of_32(w, ratio), multiple_of_32(h, ratio));
        if rw == 0 || rh == 0 {
            return None;
        }
        image = Cow::Owned(resize_linear(&image, rw, rh));
        ratio_h = h as f64 / rh as f64;
        ratio_w = w as f64 / rw as f64;
    }
    Some((image, ratio_h as f32, ratio_w as f32))
}

/// The reference's `maybe_add_letterbox`: black bands above and below short or very wide images.
fn letterbox(image: Cow<'_, RgbImage>) -> (Cow<'_, RgbImage>, u32) {
    let (w, h) = image.dimensions();
    if h > MIN_HEIGHT && (w as f64 / h as f64) <= WIDTH_HEIGHT_RATIO {
        return (image, 0);
    }
    let new_h = ((w as f64 / WIDTH_HEIGHT_RATIO) as i64).max(MIN_HEIGHT as i64) * 2;
    let pad = ((new_h - h as i64).abs() / 2) as u32;
    let mut out = RgbImage::new(w, h + 2 * pad);
    image::imageops::replace(&mut out, image.as_ref(), 0, pad as i64);
    (Cow::Owned(out), pad)
}

/// The reference's `filter_tag_det_res` then `sorted_boxes`.
pub fn filter_and_order(boxes: Vec<Quad>, w: u32, h: u32) -> Vec<Quad> {
    let kept: Vec<Quad> = boxes
        .into_iter()
        .filter_map(|q| {
            let q = geometry::order_points_clockwise(&q)
                .map(|[x, y]| [(x.max(0.0).min(w as f32 - 1.0) as i64) as f32, (y.max(0.0).min(h as f32 - 1.0) as i64) as f32]);
            let rect_w = geometry::norm(q[0], q[1]) as i64;
            let rect_h = geometry::norm(q[0], q[3]) as i64;
            (rect_w > 3 && rect_h > 3).then_some(q)
        })
        .collect();
    geometry::reading_order(&kept).into_iter().map(|i| kept[i]).collect()
}

/// One line of a page as the recogniser read it, and where it lies on the page.
#[derive(Debug, Clone)]
pub struct LineReading {
    pub reading: Reading,
    pub frame: words::LineFrame,
}

/// One crop's reading: the characters with their steps, and the crop's own width in steps.
#[derive(Debug, Clone, Default)]
pub struct Reading {
    pub alignment: ctc::Alignment,
    pub width_steps: f32,
}

/// How wide a crop is at the recogniser's height (at most the batch's width `tw`).
fn rec_width(crop: &RgbImage, th: usize, tw: usize) -> usize {
    let ratio = crop.width() as f64 / crop.height() as f64;
    ((th as f64 * ratio).ceil() as usize).min(tw).max(1)
}

/// The crops `batch` indexes, each resized to height `th` keeping its aspect ratio (at most `tw` wide),
/// normalised and zero-padded on the right into one `[batch, 3, th, tw]` tensor.
fn line_batch(crops: &[RgbImage], batch: &[usize], th: usize, tw: usize) -> Vec<f32> {
    let mut data = vec![0f32; batch.len() * 3 * th * tw];
    for (b, &i) in batch.iter().enumerate() {
        let crop = &crops[i];
        let rw = rec_width(crop, th, tw);
        let resized = resize_linear(crop, rw as u32, th as u32);
        write_rec_planes(&resized, &mut data[b * 3 * th * tw..(b + 1) * 3 * th * tw], tw, th);
    }
    data
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_go_to_the_recogniser_in_smaller_batches() {
        // Heights 48: widths are the tensor columns each crop needs.
        let crops: Vec<RgbImage> = [100u32, 200, 300, 1000, 1200, 1500, 1600, 2000, 4000, 150]
            .iter()
            .map(|&w| RgbImage::new(w, 48))
            .collect();
        // Without a column budget: sixes in ascending aspect order, as the reference batches.
        let plain = rec_batches(&crops, 6, usize::MAX);
        assert_eq!(plain, vec![vec![0, 9, 1, 2, 3, 4], vec![5, 6, 7, 8]]);
        // With 4,800 columns: short lines (padded to 320) stay six to a call; long ones are split, and a line
        // wider than the budget goes alone.
        let budgeted = rec_batches(&crops, 6, 4800);
        assert_eq!(budgeted, vec![vec![0, 9, 1, 2], vec![3, 4, 5], vec![6, 7], vec![8]]);
        for batch in &budgeted {
            let widest = batch.iter().map(|&i| crops[i].width().max(320) as usize).max().unwrap();
            assert!(batch.len() == 1 || batch.len() * widest <= 4800, "{batch:?}");
        }
    }

    #[test]
    fn detector_input_is_a_multiple_of_32_with_python_rounding() {
        // A 150-dpi A4 page keeps its scale: 1240 → 1248, 1754 → 1760.
        assert_eq!(multiple_of_32(1240, 1.0), 1248);
        assert_eq!(multiple_of_32(1754, 1.0), 1760);
        // 48 / 32 = 1.5 rounds to even (2), 80 / 32 = 2.5 rounds to even (2).
        assert_eq!(multiple_of_32(48, 1.0), 64);
        assert_eq!(multiple_of_32(80, 1.0), 64);
    }

    #[test]
    fn small_boxes_are_dropped_and_the_rest_ordered() {
        let q = |x: f32, y: f32, w: f32, h: f32| [[x, y], [x + w, y], [x + w, y + h], [x, y + h]];
        let boxes = vec![q(50.0, 40.0, 30.0, 10.0), q(5.0, 5.0, 3.0, 10.0), q(10.0, 42.0, 30.0, 10.0), q(0.0, 0.0, 200.0, 20.0)];
        let kept = filter_and_order(boxes, 100, 100);
        // The 3-px-wide box goes; the overlong one is clipped to the image.
        assert_eq!(kept.len(), 3);
        assert_eq!(kept[0], [[0.0, 0.0], [99.0, 0.0], [99.0, 20.0], [0.0, 20.0]]);
        assert_eq!(kept[1][0], [10.0, 42.0]);
        assert_eq!(kept[2][0], [50.0, 40.0]);
    }

    #[test]
    fn letterbox_pads_wide_images() {
        let img = RgbImage::from_pixel(400, 20, image::Rgb([255, 255, 255]));
        let (out, pad) = letterbox(Cow::Borrowed(&img));
        // new_h = max(400 / 8, 30) × 2 = 100; pad = (100 - 20) / 2 = 40.
        assert_eq!((pad, out.height()), (40, 100));
        assert_eq!(out.get_pixel(0, 0).0, [0, 0, 0]);
        assert_eq!(out.get_pixel(0, 40).0, [255, 255, 255]);
    }
}
