//! Differentiable Binarization post-processing: from the detector's probability map to text boxes.
//!
//! The reference traces the dilated bitmap's contours with `cv2.findContours` and feeds each contour's
//! points to `cv2.minAreaRect`. Only the points' convex hull matters there, so the connected components
//! (8-connectivity, which is what outer contours follow) and each row's two extreme pixels stand in for them.

use super::geometry::{fill_poly_mask, mini_box, unclip, PointF};

/// The detector's post-processing settings: the reference's, and a second look at regions it drops.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct DbParams {
    pub thresh: f32,
    pub box_thresh: f64,
    pub max_candidates: usize,
    pub unclip_ratio: f64,
    pub min_size: f32,
    /// A region whose box scores under `box_thresh` is split where it narrows to a neck, and each part
    /// that then scores at least `box_thresh` is a box of its own (`false`: dropped, as the reference does).
    /// Two lines that touch at a corner (a margin note beside the first line of a paragraph) make one
    /// slanted region whose rectangle is mostly background: its mean score is low, and both lines were lost.
    pub split_merged: bool,
}

impl Default for DbParams {
    fn default() -> Self {
        DbParams { thresh: 0.3, box_thresh: 0.5, max_candidates: 1000, unclip_ratio: 1.6, min_size: 3.0, split_merged: true }
    }
}

impl DbParams {
    /// The reference's settings exactly (no second look at low-scoring regions): the parity baseline.
    pub fn reference() -> Self {
        DbParams { split_merged: false, ..DbParams::default() }
    }
}

/// The probability map thresholded and dilated with a 2×2 kernel (anchor at its centre, as `cv2.dilate`).
pub fn binarize_dilate(pred: &[f32], w: usize, h: usize, thresh: f32) -> Vec<bool> {
    let bit: Vec<bool> = pred.iter().map(|&p| p > thresh).collect();
    let mut mask = vec![false; w * h];
    for y in 0..h {
        for x in 0..w {
            let mut v = bit[y * w + x];
            if x > 0 {
                v |= bit[y * w + x - 1];
            }
            if y > 0 {
                v |= bit[(y - 1) * w + x];
                if x > 0 {
                    v |= bit[(y - 1) * w + x - 1];
                }
            }
            mask[y * w + x] = v;
        }
    }
    mask
}

/// For each 8-connected component of `mask`, in raster order of first pixel: each row's leftmost and
/// rightmost pixel (enough for the convex hull).
pub fn components(mask: &[bool], w: usize, h: usize) -> Vec<Vec<[i64; 2]>> {
    labelled(mask, w, h).into_iter().map(|(_, points)| points).collect()
}

/// [`components`] with each one's first pixel (its index in `mask`).
fn labelled(mask: &[bool], w: usize, h: usize) -> Vec<(usize, Vec<[i64; 2]>)> {
    let mut seen = vec![false; w * h];
    let mut out = Vec::new();
    let mut stack: Vec<usize> = Vec::new();
    let mut pixels: Vec<usize> = Vec::new();
    for start in 0..w * h {
        if !mask[start] || seen[start] {
            continue;
        }
        seen[start] = true;
        stack.push(start);
        pixels.clear();
        while let Some(i) = stack.pop() {
            pixels.push(i);
            let (x, y) = ((i % w) as isize, (i / w) as isize);
            for dy in -1isize..=1 {
                for dx in -1isize..=1 {
                    let (nx, ny) = (x + dx, y + dy);
                    if nx < 0 || ny < 0 || nx >= w as isize || ny >= h as isize {
                        continue;
                    }
                    let j = ny as usize * w + nx as usize;
                    if mask[j] && !seen[j] {
                        seen[j] = true;
                        stack.push(j);
                    }
                }
            }
        }
        let ymin = pixels.iter().map(|&i| i / w).min().unwrap();
        let ymax = pixels.iter().map(|&i| i / w).max().unwrap();
        let rows = ymax - ymin + 1;
        let mut lo = vec![usize::MAX; rows];
        let mut hi = vec![0usize; rows];
        for &i in &pixels {
            let (x, r) = (i % w, i / w - ymin);
            lo[r] = lo[r].min(x);
            hi[r] = hi[r].max(x);
        }
        let mut points = Vec::with_capacity(rows * 2);
        for r in 0..rows {
            if lo[r] == usize::MAX {
                continue;
            }
            points.push([lo[r] as i64, (ymin + r) as i64]);
            if hi[r] != lo[r] {
                points.push([hi[r] as i64, (ymin + r) as i64]);
            }
        }
        out.push((start, points));
    }
    out
}

/// The parts of the component of `mask` that holds pixel `start`, where it narrows to a neck: the
/// component is eroded (3 × 3, at most twice) until it falls apart, and its pixels are then shared out to
/// the nearest part, so each part keeps its full extent. Each part as [`components`] gives it, in the map's
/// coordinates; none when the component does not fall apart.
fn split_component(mask: &[bool], w: usize, h: usize, start: usize) -> Vec<Vec<[i64; 2]>> {
    const NEIGHBOURS: [(isize, isize); 8] = [(-1, -1), (0, -1), (1, -1), (-1, 0), (1, 0), (-1, 1), (0, 1), (1, 1)];
    let mut pixels = vec![start];
    let mut seen = std::collections::HashSet::from([start]);
    let mut next = 0;
    while next < pixels.len() {
        let (x, y) = ((pixels[next] % w) as isize, (pixels[next] / w) as isize);
        next += 1;
        for (dx, dy) in NEIGHBOURS {
            let (nx, ny) = (x + dx, y + dy);
            if nx >= 0 && ny >= 0 && nx < w as isize && ny < h as isize {
                let j = ny as usize * w + nx as usize;
                if mask[j] && seen.insert(j) {
                    pixels.push(j);
                }
            }
        }
    }
    let (x0, y0) = (pixels.iter().map(|&i| i % w).min().unwrap_or(0), pixels.iter().map(|&i| i / w).min().unwrap_or(0));
    let (x1, y1) = (pixels.iter().map(|&i| i % w).max().unwrap_or(0), pixels.iter().map(|&i| i / w).max().unwrap_or(0));
    let (ww, wh) = (x1 - x0 + 1, y1 - y0 + 1);
    let mut inside = vec![false; ww * wh];
    for &i in &pixels {
        inside[(i / w - y0) * ww + (i % w - x0)] = true;
    }
    let at = |x: isize, y: isize| (x >= 0 && y >= 0 && x < ww as isize && y < wh as isize).then(|| y as usize * ww + x as usize);
    let erode = |core: &[bool]| -> Vec<bool> {
        (0..ww * wh)
            .map(|i| {
                let (x, y) = ((i % ww) as isize, (i / ww) as isize);
                core[i] && NEIGHBOURS.iter().all(|&(dx, dy)| at(x + dx, y + dy).is_some_and(|j| core[j]))
            })
            .collect()
    };
    let mut core = inside.clone();
    let mut labels = Vec::new();
    for _ in 0..2 {
        core = erode(&core);
        labels = label_map(&core, ww, wh);
        if labels.iter().copied().max().unwrap_or(0) >= 2 {
            break;
        }
    }
    // A core that one more erosion removes is the neck itself (a bridge a few pixels wide), not a line:
    // it is left out, and its pixels go to the lines on either side.
    let deeper = erode(&core);
    let found = labels.iter().copied().max().unwrap_or(0) as usize;
    let mut kept = vec![0u32; found + 1];
    let mut parts = 0u32;
    for label in 1..=found as u32 {
        if (0..ww * wh).any(|i| labels[i] == label && deeper[i]) {
            parts += 1;
            kept[label as usize] = parts;
        }
    }
    labels.iter_mut().for_each(|l| *l = kept[*l as usize]);
    let parts = parts as usize;
    if parts < 2 {
        return Vec::new();
    }
    // Every pixel of the component goes to the part it is nearest to, growing out from the cores.
    let mut frontier: Vec<usize> = (0..ww * wh).filter(|&i| labels[i] > 0).collect();
    while !frontier.is_empty() {
        let mut grown = Vec::new();
        for &i in &frontier {
            let (x, y) = ((i % ww) as isize, (i / ww) as isize);
            for (dx, dy) in NEIGHBOURS {
                if let Some(j) = at(x + dx, y + dy) {
                    if inside[j] && labels[j] == 0 {
                        labels[j] = labels[i];
                        grown.push(j);
                    }
                }
            }
        }
        frontier = grown;
    }
    (1..=parts as u32)
        .map(|label| {
            let part: Vec<bool> = labels.iter().map(|&l| l == label).collect();
            let mut points = Vec::new();
            for (_, part_points) in labelled(&part, ww, wh) {
                points.extend(part_points.into_iter().map(|[x, y]| [x + x0 as i64, y + y0 as i64]));
            }
            points
        })
        .collect()
}

/// 8-connected components of `mask` numbered from 1 in raster order of first pixel (0: not in `mask`).
fn label_map(mask: &[bool], w: usize, h: usize) -> Vec<u32> {
    let mut labels = vec![0u32; w * h];
    let mut count = 0;
    let mut stack = Vec::new();
    for start in 0..w * h {
        if !mask[start] || labels[start] != 0 {
            continue;
        }
        count += 1;
        labels[start] = count;
        stack.push(start);
        while let Some(i) = stack.pop() {
            let (x, y) = ((i % w) as isize, (i / w) as isize);
            for dy in -1isize..=1 {
                for dx in -1isize..=1 {
                    let (nx, ny) = (x + dx, y + dy);
                    if nx >= 0 && ny >= 0 && nx < w as isize && ny < h as isize {
                        let j = ny as usize * w + nx as usize;
                        if mask[j] && labels[j] == 0 {
                            labels[j] = count;
                            stack.push(j);
                        }
                    }
                }
            }
        }
    }
    labels
}

/// The reference's `box_score_fast`: mean probability inside the box, over its integer bounding window.
pub fn box_score_fast(pred: &[f32], w: usize, h: usize, quad: &[PointF; 4]) -> f64 {
    let clampi = |v: f32, hi: usize| (v as i64).clamp(0, hi as i64 - 1);
    let xmin = clampi(quad.iter().map(|p| p[0]).fold(f32::INFINITY, f32::min).floor(), w);
    let xmax = clampi(quad.iter().map(|p| p[0]).fold(f32::NEG_INFINITY, f32::max).ceil(), w);
    let ymin = clampi(quad.iter().map(|p| p[1]).fold(f32::INFINITY, f32::min).floor(), h);
    let ymax = clampi(quad.iter().map(|p| p[1]).fold(f32::NEG_INFINITY, f32::max).ceil(), h);
    let poly: Vec<[i64; 2]> = quad
        .iter()
        .map(|p| [((p[0] as f64 - xmin as f64) as f32) as i64, ((p[1] as f64 - ymin as f64) as f32) as i64])
        .collect();
    let (ww, wh) = ((xmax - xmin + 1) as usize, (ymax - ymin + 1) as usize);
    let mask = fill_poly_mask(&poly, ww, wh);
    let (mut sum, mut count) = (0.0f64, 0u64);
    for y in 0..wh {
        let row = (ymin as usize + y) * w + xmin as usize;
        for x in 0..ww {
            if mask[y * ww + x] {
                sum += pred[row + x] as f64;
                count += 1;
            }
        }
    }
    if count == 0 {
        0.0
    } else {
        sum / count as f64
    }
}

/// Boxes (tl, tr, br, bl) in the pixels of an image `dest_w` × `dest_h` whose detector map is `w` × `h`,
/// with their scores, before the reference's `filter_tag_det_res`.
pub fn boxes_from_map(pred: &[f32], w: usize, h: usize, dest_w: u32, dest_h: u32, params: &DbParams) -> Vec<([PointF; 4], f64)> {
    let mask = binarize_dilate(pred, w, h, params.thresh);
    let comps = labelled(&mask, w, h);
    let mut boxes = Vec::new();
    for (start, points) in comps.iter().take(params.max_candidates) {
        let (quad, sside) = mini_box(points);
        if sside < params.min_size {
            continue;
        }
        let score = box_score_fast(pred, w, h, &quad);
        if params.box_thresh > score {
            if params.split_merged {
                for part in split_component(&mask, w, h, *start) {
                    let (quad, sside) = mini_box(&part);
                    if sside < params.min_size {
                        continue;
                    }
                    let score = box_score_fast(pred, w, h, &quad);
                    if params.box_thresh <= score {
                        boxes.extend(grown_box(&quad, score, w, h, dest_w, dest_h, params));
                    }
                }
            }
            continue;
        }
        boxes.extend(grown_box(&quad, score, w, h, dest_w, dest_h, params));
    }
    boxes
}

/// `quad` unclipped and scaled to the destination image, unless it comes out too small.
fn grown_box(quad: &[PointF; 4], score: f64, w: usize, h: usize, dest_w: u32, dest_h: u32, params: &DbParams) -> Option<([PointF; 4], f64)> {
    let grown = unclip(quad, params.unclip_ratio);
    if grown.is_empty() {
        return None;
    }
    let (quad, sside) = mini_box(&grown);
    if sside < params.min_size + 2.0 {
        return None;
    }
    let scale = |v: f32, size: usize, dest: u32| (v / size as f32 * dest as f32).round_ties_even().clamp(0.0, dest as f32);
    Some((quad.map(|p| [scale(p[0], w, dest_w), scale(p[1], h, dest_h)]), score))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dilation_spreads_right_and_down() {
        let mut pred = vec![0.0f32; 16];
        pred[5] = 0.9; // (1, 1)
        let mask = binarize_dilate(&pred, 4, 4, 0.3);
        let on: Vec<usize> = (0..16).filter(|&i| mask[i]).collect();
        assert_eq!(on, vec![5, 6, 9, 10]);
    }

    #[test]
    fn a_bright_block_becomes_one_grown_box() {
        let (w, h) = (64usize, 32usize);
        let mut pred = vec![0.0f32; w * h];
        for y in 10..20 {
            for x in 8..48 {
                pred[y * w + x] = 0.9;
            }
        }
        let boxes = boxes_from_map(&pred, w, h, w as u32, h as u32, &DbParams::default());
        assert_eq!(boxes.len(), 1);
        let (quad, score) = boxes[0];
        assert!((score - 0.9 * 400.0 / 451.0).abs() < 1e-6, "{score}");
        // Mask spans x 8..=48, y 10..=20: 40 × 10, distance 400 × 1.6 / 100 = 6.4.
        assert_eq!(quad, [[2.0, 4.0], [54.0, 4.0], [54.0, 26.0], [2.0, 26.0]]);
    }

    #[test]
    fn two_lines_joined_by_a_narrow_neck_become_two_boxes() {
        // Two text lines at different heights, touching through a 3-pixel bridge: one slanted region
        // whose rectangle is mostly background.
        let (w, h) = (64usize, 28usize);
        let mut pred = vec![0.0f32; w * h];
        let mut fill = |xs: std::ops::Range<usize>, ys: std::ops::Range<usize>| {
            for y in ys {
                for x in xs.clone() {
                    pred[y * w + x] = 0.9;
                }
            }
        };
        fill(2..30, 4..10);
        fill(33..62, 16..22);
        fill(30..33, 9..17);
        let reference = boxes_from_map(&pred, w, h, w as u32, h as u32, &DbParams::reference());
        assert!(reference.is_empty(), "the reference drops the joined region: {reference:?}");
        let boxes = boxes_from_map(&pred, w, h, w as u32, h as u32, &DbParams::default());
        assert_eq!(boxes.len(), 2, "{boxes:?}");
        let centre_y = |q: &[PointF; 4]| q.iter().map(|p| p[1]).sum::<f32>() / 4.0;
        let (upper, lower) = (centre_y(&boxes[0].0), centre_y(&boxes[1].0));
        assert!((5.0..10.0).contains(&upper) && (16.0..22.0).contains(&lower), "{upper} {lower}");
    }
}
