//! Image operations the models were trained with, reproduced exactly.
//!
//! The reference pipelines prepare images with OpenCV; a bilinear resize that rounds differently shifts
//! detection boxes by a pixel and changes recognition scores. `resize_linear` reproduces `cv2.resize`
//! with `INTER_LINEAR` on 8-bit images bit for bit (fixed-point weights, 11-bit coefficients).
//! Models read channels in B, G, R order: tensors are built from RGB images with the channels reversed.

use image::RgbImage;

const COEF_BITS: i32 = 11;
const COEF_SCALE: f32 = (1 << COEF_BITS) as f32;

/// Source index and fixed-point weights for each destination coordinate along one axis.
fn axis_weights(src: u32, dst: u32, clamp_index: bool) -> Vec<(i64, i32, i32)> {
    let scale = 1.0 / (dst as f64 / src as f64);
    (0..dst)
        .map(|d| {
            let mut f = ((d as f64 + 0.5) * scale - 0.5) as f32;
            let mut s = f.floor() as i64;
            f -= s as f32;
            if clamp_index {
                if s < 0 {
                    s = 0;
                    f = 0.0;
                }
                if s >= src as i64 - 1 {
                    s = src as i64 - 1;
                    f = 0.0;
                }
            }
            let w0 = ((1.0 - f) * COEF_SCALE).round_ties_even() as i32;
            let w1 = (f * COEF_SCALE).round_ties_even() as i32;
            (s, w0, w1)
        })
        .collect()
}

/// `cv2.resize(src, (dst_w, dst_h), interpolation=cv2.INTER_LINEAR)` for 3-channel 8-bit images.
pub fn resize_linear(src: &RgbImage, dst_w: u32, dst_h: u32) -> RgbImage {
    let (sw, sh) = src.dimensions();
    if (sw, sh) == (dst_w, dst_h) {
        return src.clone();
    }
    let xs = axis_weights(sw, dst_w, true);
    let ys = axis_weights(sh, dst_h, false);
    let raw = src.as_raw();
    let row_stride = sw as usize * 3;
    // Horizontal pass for one source row, into fixed-point intermediates.
    let horizontal = |row: usize, out: &mut Vec<i32>| {
        out.clear();
        let base = row * row_stride;
        for &(sx, a0, a1) in &xs {
            let x0 = sx as usize;
            let x1 = (x0 + 1).min(sw as usize - 1);
            for c in 0..3 {
                let p0 = raw[base + x0 * 3 + c] as i32;
                let p1 = raw[base + x1 * 3 + c] as i32;
                out.push(p0 * a0 + p1 * a1);
            }
        }
    };
    let mut dst = RgbImage::new(dst_w, dst_h);
    let out = dst.as_mut();
    let (mut h0, mut h1) = (Vec::with_capacity(dst_w as usize * 3), Vec::with_capacity(dst_w as usize * 3));
    let mut cached: (i64, i64) = (-1, -1);
    for (dy, &(sy, b0, b1)) in ys.iter().enumerate() {
        let clamp = |v: i64| v.clamp(0, sh as i64 - 1);
        let (r0, r1) = (clamp(sy), clamp(sy + 1));
        if cached != (r0, r1) {
            horizontal(r0 as usize, &mut h0);
            horizontal(r1 as usize, &mut h1);
            cached = (r0, r1);
        }
        let line = &mut out[dy * dst_w as usize * 3..(dy + 1) * dst_w as usize * 3];
        for (i, px) in line.iter_mut().enumerate() {
            let v = (((b0 as i64 * (h0[i] >> 4) as i64) >> 16) + ((b1 as i64 * (h1[i] >> 4) as i64) >> 16) + 2) >> 2;
            *px = v.clamp(0, 255) as u8;
        }
    }
    dst
}

/// Per-channel normalisation in the order the models read them (B, G, R).
#[derive(Debug, Clone, Copy)]
pub struct Normalize {
    /// Mean and standard deviation for the B, G and R planes, applied to values already scaled to 0..1.
    pub mean: [f32; 3],
    pub std: [f32; 3],
}

impl Normalize {
    /// ImageNet statistics, as the reference pipelines apply them: to B, G, R in that order.
    pub const IMAGENET: Normalize = Normalize { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };
    /// Maps 0..255 to -1..1.
    pub const HALF: Normalize = Normalize { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] };
}

/// Writes `img` into `out` (length 3 × `tensor_w` × `tensor_h`) as planar B, G, R, each value `p / 255`
/// normalised by `value(plane, v)`. Extra columns and rows are left as they are: pad with zeros beforehand.
fn write_planes(img: &RgbImage, out: &mut [f32], tensor_w: usize, tensor_h: usize, value: impl Fn(usize, f32) -> f32) {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let plane = tensor_w * tensor_h;
    let scale = 1.0f32 / 255.0;
    let raw = img.as_raw();
    for y in 0..h.min(tensor_h) {
        for x in 0..w.min(tensor_w) {
            let p = (y * w + x) * 3;
            for (plane_index, rgb_index) in [(0usize, 2usize), (1, 1), (2, 0)] {
                out[plane_index * plane + y * tensor_w + x] = value(plane_index, raw[p + rgb_index] as f32 * scale);
            }
        }
    }
}

/// Planar B, G, R, normalised in f64 as the layout and detection references do (`(f64(v) - mean) / std`).
pub fn write_bgr_planes(img: &RgbImage, norm: Normalize, out: &mut [f32], tensor_w: usize, tensor_h: usize) {
    write_planes(img, out, tensor_w, tensor_h, |c, v| ((v as f64 - norm.mean[c] as f64) / norm.std[c] as f64) as f32);
}

/// Planar B, G, R, normalised entirely in f32 as the orientation and table references do.
pub fn write_bgr_planes_f32(img: &RgbImage, norm: Normalize, out: &mut [f32], tensor_w: usize, tensor_h: usize) {
    write_planes(img, out, tensor_w, tensor_h, |c, v| (v - norm.mean[c]) / norm.std[c]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_and_constant_images_survive_resizing() {
        let mut img = RgbImage::new(37, 23);
        for (x, y, p) in img.enumerate_pixels_mut() {
            *p = image::Rgb([(x * 7) as u8, (y * 11) as u8, 200]);
        }
        assert_eq!(resize_linear(&img, 37, 23), img);
        let flat = RgbImage::from_pixel(50, 40, image::Rgb([10, 128, 250]));
        for (w, h) in [(608, 800), (13, 7), (100, 80)] {
            let out = resize_linear(&flat, w, h);
            assert!(out.pixels().all(|p| p.0 == [10, 128, 250]), "{w}×{h}");
        }
    }

    #[test]
    fn exact_half_downscale_averages_pixel_pairs() {
        // cv2 INTER_LINEAR at exactly 1/2 samples between two source pixels with equal weights.
        let mut img = RgbImage::new(4, 2);
        for (x, _, p) in img.enumerate_pixels_mut() {
            *p = image::Rgb([x as u8 * 60, 0, 0]);
        }
        let out = resize_linear(&img, 2, 1);
        assert_eq!(out.get_pixel(0, 0).0[0], 30);
        assert_eq!(out.get_pixel(1, 0).0[0], 150);
    }
}
