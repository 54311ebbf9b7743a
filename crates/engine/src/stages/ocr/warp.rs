//! Cutting a text line out of the page: `cv2.getPerspectiveTransform` + `cv2.warpPerspective` with
//! `INTER_CUBIC` and `BORDER_REPLICATE`, reproduced with OpenCV's fixed-point tables (source coordinates in
//! 1/32 pixel, 15-bit weights), and the rotations the reference applies to crops.

use image::RgbImage;

use super::geometry::{norm, PointF};

const INTER_BITS: i32 = 5;
const INTER_TAB_SIZE: i32 = 1 << INTER_BITS;
const COEF_BITS: i32 = 15;
const COEF_SCALE: i32 = 1 << COEF_BITS;

/// Solves `a x = b` (8 × 8) as OpenCV's `LU` decomposition does (partial pivoting, reciprocal pivots).
fn solve_lu(mut a: [[f64; 8]; 8], mut b: [f64; 8]) -> Option<[f64; 8]> {
    let m = 8;
    for i in 0..m {
        let mut k = i;
        for j in i + 1..m {
            if a[j][i].abs() > a[k][i].abs() {
                k = j;
            }
        }
        if a[k][i].abs() < f64::EPSILON * 10.0 {
            return None;
        }
        if k != i {
            a.swap(i, k);
            b.swap(i, k);
        }
        let d = -1.0 / a[i][i];
        for j in i + 1..m {
            let alpha = a[j][i] * d;
            for c in i + 1..m {
                a[j][c] += alpha * a[i][c];
            }
            b[j] += alpha * b[i];
        }
        a[i][i] = -d;
    }
    for i in (0..m).rev() {
        let mut s = b[i];
        for c in i + 1..m {
            s -= a[i][c] * b[c];
        }
        b[i] = s * a[i][i];
    }
    Some(b)
}

/// `cv2.getPerspectiveTransform(src, dst)` (row-major 3 × 3).
pub fn perspective_transform(src: &[PointF; 4], dst: &[PointF; 4]) -> Option<[f64; 9]> {
    let mut a = [[0f64; 8]; 8];
    let mut b = [0f64; 8];
    for i in 0..4 {
        let (sx, sy, dx, dy) = (src[i][0], src[i][1], dst[i][0], dst[i][1]);
        a[i][0] = sx as f64;
        a[i + 4][3] = sx as f64;
        a[i][1] = sy as f64;
        a[i + 4][4] = sy as f64;
        a[i][2] = 1.0;
        a[i + 4][5] = 1.0;
        a[i][6] = (-sx * dx) as f64;
        a[i][7] = (-sy * dx) as f64;
        a[i + 4][6] = (-sx * dy) as f64;
        a[i + 4][7] = (-sy * dy) as f64;
        b[i] = dx as f64;
        b[i + 4] = dy as f64;
    }
    let x = solve_lu(a, b)?;
    Some([x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7], 1.0])
}

/// `cv2.invert` of a 3 × 3 matrix (`DECOMP_LU` takes the closed form for 3 × 3).
fn invert3(m: &[f64; 9]) -> Option<[f64; 9]> {
    let s = |r: usize, c: usize| m[r * 3 + c];
    let det = s(0, 0) * (s(1, 1) * s(2, 2) - s(1, 2) * s(2, 1)) - s(0, 1) * (s(1, 0) * s(2, 2) - s(1, 2) * s(2, 0))
        + s(0, 2) * (s(1, 0) * s(2, 1) - s(1, 1) * s(2, 0));
    if det == 0.0 {
        return None;
    }
    let d = 1.0 / det;
    Some([
        (s(1, 1) * s(2, 2) - s(1, 2) * s(2, 1)) * d,
        (s(0, 2) * s(2, 1) - s(0, 1) * s(2, 2)) * d,
        (s(0, 1) * s(1, 2) - s(0, 2) * s(1, 1)) * d,
        (s(1, 2) * s(2, 0) - s(1, 0) * s(2, 2)) * d,
        (s(0, 0) * s(2, 2) - s(0, 2) * s(2, 0)) * d,
        (s(0, 2) * s(1, 0) - s(0, 0) * s(1, 2)) * d,
        (s(1, 0) * s(2, 1) - s(1, 1) * s(2, 0)) * d,
        (s(0, 1) * s(2, 0) - s(0, 0) * s(2, 1)) * d,
        (s(0, 0) * s(1, 1) - s(0, 1) * s(1, 0)) * d,
    ])
}

fn cubic_coeffs(x: f32) -> [f32; 4] {
    const A: f32 = -0.75;
    let c0 = ((A * (x + 1.0) - 5.0 * A) * (x + 1.0) + 8.0 * A) * (x + 1.0) - 4.0 * A;
    let c1 = ((A + 2.0) * x - (A + 3.0)) * x * x + 1.0;
    let c2 = ((A + 2.0) * (1.0 - x) - (A + 3.0)) * (1.0 - x) * (1.0 - x) + 1.0;
    [c0, c1, c2, 1.0 - c0 - c1 - c2]
}

/// OpenCV's 2-D bicubic fixed-point weight table: 32 × 32 sub-pixel positions × 16 weights summing to 2^15.
fn bicubic_table() -> &'static Vec<[i32; 16]> {
    static TABLE: std::sync::OnceLock<Vec<[i32; 16]>> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        let scale = 1.0f32 / INTER_TAB_SIZE as f32;
        let tab1: Vec<[f32; 4]> = (0..INTER_TAB_SIZE).map(|i| cubic_coeffs(i as f32 * scale)).collect();
        let mut out = Vec::with_capacity((INTER_TAB_SIZE * INTER_TAB_SIZE) as usize);
        for i in 0..INTER_TAB_SIZE as usize {
            for j in 0..INTER_TAB_SIZE as usize {
                let mut itab = [0i32; 16];
                let mut isum = 0;
                for k1 in 0..4 {
                    let vy = tab1[i][k1];
                    for k2 in 0..4 {
                        let v = vy * tab1[j][k2];
                        let q = ((v * COEF_SCALE as f32).round_ties_even() as i32).clamp(i16::MIN as i32, i16::MAX as i32);
                        itab[k1 * 4 + k2] = q;
                        isum += q;
                    }
                }
                if isum != COEF_SCALE {
                    let diff = isum - COEF_SCALE;
                    let (mut mk1, mut mk2, mut bk1, mut bk2) = (2, 2, 2, 2);
                    for k1 in 2..4 {
                        for k2 in 2..4 {
                            if itab[k1 * 4 + k2] < itab[mk1 * 4 + mk2] {
                                mk1 = k1;
                                mk2 = k2;
                            } else if itab[k1 * 4 + k2] > itab[bk1 * 4 + bk2] {
                                bk1 = k1;
                                bk2 = k2;
                            }
                        }
                    }
                    if diff < 0 {
                        itab[bk1 * 4 + bk2] -= diff;
                    } else {
                        itab[mk1 * 4 + mk2] -= diff;
                    }
                }
                out.push(itab);
            }
        }
        out
    })
}

/// `cv2.warpPerspective(src, m, (dst_w, dst_h), flags=INTER_CUBIC, borderMode=BORDER_REPLICATE)`.
pub fn warp_perspective_cubic(src: &RgbImage, m: &[f64; 9], dst_w: u32, dst_h: u32) -> RgbImage {
    let mut dst = RgbImage::new(dst_w, dst_h);
    let Some(inv) = invert3(m) else { return dst };
    let table = bicubic_table();
    let (sw, sh) = (src.width() as i32, src.height() as i32);
    let raw = src.as_raw();
    let out = dst.as_mut();
    let (width, height) = (dst_w as i32, dst_h as i32);
    // OpenCV works in blocks and accumulates from each block's left edge.
    let bh0 = height.min(16);
    let bw0 = (32 * 32 / bh0.max(1)).min(width);
    let clamp_x = |v: i32| v.clamp(0, sw - 1) as usize;
    let clamp_y = |v: i32| v.clamp(0, sh - 1) as usize;
    let mut y = 0;
    while y < height {
        let bh = bh0.min(height - y);
        let mut x = 0;
        while x < width {
            let bw = bw0.min(width - x);
            for y1 in 0..bh {
                let yy = (y + y1) as f64;
                let x0 = inv[0] * x as f64 + inv[1] * yy + inv[2];
                let y0 = inv[3] * x as f64 + inv[4] * yy + inv[5];
                let w0 = inv[6] * x as f64 + inv[7] * yy + inv[8];
                for x1 in 0..bw {
                    let mut w = w0 + inv[6] * x1 as f64;
                    w = if w != 0.0 { INTER_TAB_SIZE as f64 / w } else { 0.0 };
                    let fx = ((x0 + inv[0] * x1 as f64) * w).clamp(i32::MIN as f64, i32::MAX as f64);
                    let fy = ((y0 + inv[3] * x1 as f64) * w).clamp(i32::MIN as f64, i32::MAX as f64);
                    let (ix, iy) = (fx.round_ties_even() as i32, fy.round_ties_even() as i32);
                    let sx = (ix >> INTER_BITS).clamp(i16::MIN as i32, i16::MAX as i32) - 1;
                    let sy = (iy >> INTER_BITS).clamp(i16::MIN as i32, i16::MAX as i32) - 1;
                    let alpha = ((iy & (INTER_TAB_SIZE - 1)) * INTER_TAB_SIZE + (ix & (INTER_TAB_SIZE - 1))) as usize;
                    let wt = &table[alpha];
                    let xs = [clamp_x(sx), clamp_x(sx + 1), clamp_x(sx + 2), clamp_x(sx + 3)];
                    let ys = [clamp_y(sy), clamp_y(sy + 1), clamp_y(sy + 2), clamp_y(sy + 3)];
                    let d = (((y + y1) * width + x + x1) * 3) as usize;
                    for c in 0..3 {
                        let mut sum = 0i32;
                        for (r, &yr) in ys.iter().enumerate() {
                            let row = yr * sw as usize * 3;
                            for (k, &xk) in xs.iter().enumerate() {
                                sum += raw[row + xk * 3 + c] as i32 * wt[r * 4 + k];
                            }
                        }
                        out[d + c] = ((sum + (1 << (COEF_BITS - 1))) >> COEF_BITS).clamp(0, 255) as u8;
                    }
                }
            }
            x += bw;
        }
        y += bh;
    }
    dst
}

/// The reference's `get_rotate_crop_image`: the quad (tl, tr, br, bl) straightened to its own size, turned
/// 90° counter-clockwise when it is at least 1.5 times taller than wide.
pub fn crop_quad(image: &RgbImage, quad: &[PointF; 4]) -> RgbImage {
    let (cw, ch) = crop_size(quad);
    if cw == 0 || ch == 0 {
        return RgbImage::new(cw.max(1), ch.max(1));
    }
    let dst = [[0.0, 0.0], [cw as f32, 0.0], [cw as f32, ch as f32], [0.0, ch as f32]];
    let crop = match perspective_transform(quad, &dst) {
        Some(m) => warp_perspective_cubic(image, &m, cw, ch),
        None => RgbImage::new(cw, ch),
    };
    if turns_crop(quad) {
        rotate90_ccw(&crop)
    } else {
        crop
    }
}

/// The straightened crop's width and height.
fn crop_size(quad: &[PointF; 4]) -> (u32, u32) {
    (norm(quad[0], quad[1]).max(norm(quad[2], quad[3])) as u32, norm(quad[0], quad[3]).max(norm(quad[1], quad[2])) as u32)
}

/// Whether [`crop_quad`] turns the quad's crop a quarter (it is at least 1.5 times taller than wide).
pub fn turns_crop(quad: &[PointF; 4]) -> bool {
    let (cw, ch) = crop_size(quad);
    cw > 0 && ch > 0 && ch as f64 / cw as f64 >= 1.5
}

/// `np.rot90`: a quarter turn counter-clockwise.
pub fn rotate90_ccw(img: &RgbImage) -> RgbImage {
    let (w, h) = img.dimensions();
    let mut out = RgbImage::new(h, w);
    for y in 0..w {
        for x in 0..h {
            out.put_pixel(x, y, *img.get_pixel(w - 1 - y, x));
        }
    }
    out
}

/// `cv2.rotate(img, cv2.ROTATE_180)`.
pub fn rotate180(img: &RgbImage) -> RgbImage {
    let (w, h) = img.dimensions();
    let mut out = RgbImage::new(w, h);
    for (x, y, p) in img.enumerate_pixels() {
        out.put_pixel(w - 1 - x, h - 1 - y, *p);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gradient(w: u32, h: u32) -> RgbImage {
        RgbImage::from_fn(w, h, |x, y| image::Rgb([(x * 3) as u8, (y * 5) as u8, ((x + y) % 251) as u8]))
    }

    #[test]
    fn bicubic_weights_sum_to_one_and_integer_positions_copy() {
        assert!(bicubic_table().iter().all(|t| t.iter().sum::<i32>() == COEF_SCALE));
        // At a whole pixel the weight 2^15 saturates to 2^15 - 1 and OpenCV puts the missing 1 at (+1, +1).
        assert_eq!(bicubic_table()[0], [0, 0, 0, 0, 0, COEF_SCALE - 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0]);
        let img = gradient(60, 40);
        let crop = crop_quad(&img, &[[10.0, 5.0], [50.0, 5.0], [50.0, 25.0], [10.0, 25.0]]);
        assert_eq!(crop.dimensions(), (40, 20));
        for (x, y, p) in crop.enumerate_pixels() {
            assert_eq!(p, img.get_pixel(x + 10, y + 5));
        }
    }

    #[test]
    fn perspective_transform_maps_the_corners() {
        let src = [[12.0, 7.0], [80.0, 11.0], [78.0, 40.0], [10.0, 36.0]];
        let dst = [[0.0, 0.0], [68.0, 0.0], [68.0, 29.0], [0.0, 29.0]];
        let m = perspective_transform(&src, &dst).unwrap();
        for (s, d) in src.iter().zip(dst.iter()) {
            let w = m[6] * s[0] as f64 + m[7] * s[1] as f64 + m[8];
            let x = (m[0] * s[0] as f64 + m[1] * s[1] as f64 + m[2]) / w;
            let y = (m[3] * s[0] as f64 + m[4] * s[1] as f64 + m[5]) / w;
            assert!((x - d[0] as f64).abs() < 1e-9 && (y - d[1] as f64).abs() < 1e-9);
        }
    }

    #[test]
    fn tall_crops_turn_counter_clockwise() {
        let img = gradient(30, 90);
        let crop = crop_quad(&img, &[[0.0, 0.0], [10.0, 0.0], [10.0, 40.0], [0.0, 40.0]]);
        assert_eq!(crop.dimensions(), (40, 10));
        // The crop's top-right column (x = 9) becomes the top row.
        assert_eq!(crop.get_pixel(0, 0), img.get_pixel(9, 0));
        assert_eq!(crop.get_pixel(39, 0), img.get_pixel(9, 39));
        let r = rotate180(&crop);
        assert_eq!(r.get_pixel(0, 0), crop.get_pixel(39, 9));
    }
}
