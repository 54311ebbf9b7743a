//! A PDF page's own text: its characters with their boxes, read through pdfium on the thread that renders
//! the page, grouped into lines in page pixels at the render's resolution (page rotation and rotated text
//! included), and the figures routing judges the text by — how many characters, how many are unmapped or
//! private-use, how many are drawn invisibly, and where the page's images lie.

use pdfium_render::prelude::{PdfPage, PdfPageObject, PdfPageObjectCommon, PdfPageObjectType, PdfPageObjectsCommon, PdfPageTextRenderMode, PdfPoints, PdfRenderConfig};

use crate::native;
use crate::stages::{BBox, LineSource, OcrLine, Quad, Word};

/// An image drawn on the page, and how much of the text layer lies over it.
#[derive(Debug, Clone, PartialEq)]
pub struct PageImageArea {
    /// In page pixels.
    pub bbox: BBox,
    /// Text-layer characters (not whitespace) whose centres lie inside it.
    pub chars_inside: usize,
}

/// What a page's text layer holds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TextLayer {
    /// Lines in page pixels, in the PDF's text order, with `source: pdf` and confidence 1.0.
    pub lines: Vec<OcrLine>,
    /// Characters that are not whitespace (invisible ones included, unless they were left out).
    pub chars: usize,
    /// Of those: no Unicode mapping, U+FFFD, private-use or control characters, or `(cid:NN)` spelled out.
    pub bad_chars: usize,
    /// Of the page's characters: drawn with text render mode 3 (invisible), as OCR tools lay text over a scan.
    pub invisible_chars: usize,
    /// Whether invisible characters were left out of `lines` and `chars` (`--text-layer redo`).
    pub invisible_ignored: bool,
    /// The page's images, largest first.
    pub images: Vec<PageImageArea>,
    /// The page's size in pixels.
    pub width: u32,
    pub height: u32,
}

impl TextLayer {
    /// The heap blocks the layer holds, as the C heap counts them (lines, their words, their strings, images).
    pub fn bytes(&self) -> u64 {
        let words = |line: &OcrLine| -> u64 {
            native::vec_block_bytes(&line.words) + line.words.iter().map(|w| native::string_block_bytes(&w.text)).sum::<u64>()
        };
        let lines: u64 = self.lines.iter().map(|l| native::string_block_bytes(&l.text) + words(l)).sum();
        native::vec_block_bytes(&self.lines) + lines + native::vec_block_bytes(&self.images)
    }

    /// The share of the page the images cover (overlaps counted once), 0 to 1.
    pub fn image_cover(&self) -> f64 {
        cover(&self.images.iter().map(|i| i.bbox).collect::<Vec<_>>(), self.width, self.height)
    }
}

/// The share of a `width` × `height` page that `boxes` cover together, on a grid of 128 × 128 cells.
pub fn cover(boxes: &[BBox], width: u32, height: u32) -> f64 {
    if boxes.is_empty() || width == 0 || height == 0 {
        return 0.0;
    }
    const N: usize = 128;
    let (cw, ch) = (width as f32 / N as f32, height as f32 / N as f32);
    let mut covered = 0usize;
    for gy in 0..N {
        let y = (gy as f32 + 0.5) * ch;
        for gx in 0..N {
            let x = (gx as f32 + 0.5) * cw;
            if boxes.iter().any(|b| x >= b[0] && x <= b[2] && y >= b[1] && y <= b[3]) {
                covered += 1;
            }
        }
    }
    covered as f64 / (N * N) as f64
}

/// An affine map from page points to page pixels: `[a, b, c, d, e, f]` with x' = a·x + b·y + c and
/// y' = d·x + e·y + f.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PageToPixels(pub [f64; 6]);

impl PageToPixels {
    pub fn apply(&self, x: f64, y: f64) -> [f32; 2] {
        let [a, b, c, d, e, f] = self.0;
        [(a * x + b * y + c) as f32, (d * x + e * y + f) as f32]
    }

    /// A direction in page space (no translation), as a unit vector in pixels.
    pub fn direction(&self, dx: f64, dy: f64) -> [f32; 2] {
        let [a, b, _, d, e, _] = self.0;
        let (x, y) = (a * dx + b * dy, d * dx + e * dy);
        let n = (x * x + y * y).sqrt().max(1e-9);
        [(x / n) as f32, (y / n) as f32]
    }

    /// The pixel box of a page-space rectangle.
    fn rect(&self, left: f64, bottom: f64, right: f64, top: f64) -> BBox {
        let corners = [self.apply(left, bottom), self.apply(right, bottom), self.apply(right, top), self.apply(left, top)];
        bbox_of(&corners)
    }
}

fn bbox_of(points: &[[f32; 2]]) -> BBox {
    let mut b = [f32::MAX, f32::MAX, f32::MIN, f32::MIN];
    for p in points {
        b = [b[0].min(p[0]), b[1].min(p[1]), b[2].max(p[0]), b[3].max(p[1])];
    }
    b
}

/// The map pdfium renders `page` with into a `width` × `height` bitmap (its /Rotate and crop box included),
/// read off pdfium at eight times the size so that rounding to whole device pixels costs under 1/16 pixel.
fn page_to_pixels(page: &PdfPage, width: u32, height: u32) -> Option<PageToPixels> {
    const FINE: u32 = 8;
    let config = PdfRenderConfig::new().set_target_width((width * FINE) as i32).set_target_height((height * FINE) as i32);
    let at = |x: f32, y: f32| -> Option<(f64, f64)> {
        let (px, py) = page.points_to_pixels(PdfPoints::new(x), PdfPoints::new(y), &config).ok()?;
        Some((px as f64 / FINE as f64, py as f64 / FINE as f64))
    };
    const SPAN: f32 = 1000.0;
    let (ox, oy) = at(0.0, 0.0)?;
    let (xx, xy) = at(SPAN, 0.0)?;
    let (yx, yy) = at(0.0, SPAN)?;
    let s = SPAN as f64;
    Some(PageToPixels([(xx - ox) / s, (yx - ox) / s, ox, (xy - oy) / s, (yy - oy) / s, oy]))
}

/// One character as line building sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerChar {
    pub ch: char,
    /// Its box in pixels (empty for characters pdfium generated, such as the spaces between words).
    pub bbox: Option<BBox>,
    /// The direction its text runs in, a unit vector in pixels.
    pub dir: [f32; 2],
}

/// Whether `c` is no use as text: U+FFFD, private-use, or a control character other than whitespace.
pub fn is_bad_char(c: char) -> bool {
    let u = c as u32;
    c == '\u{FFFD}' || (0xE000..=0xF8FF).contains(&u) || u >= 0xF0000 || (c.is_control() && !c.is_whitespace())
}

/// Characters of `text` inside `(cid:NN)` spellings of unmapped glyphs.
pub fn cid_chars(text: &str) -> usize {
    let mut count = 0;
    let mut rest = text;
    while let Some(at) = rest.find("(cid:") {
        let after = &rest[at + 5..];
        let digits = after.chars().take_while(|c| c.is_ascii_digit()).count();
        if digits > 0 && after[digits..].starts_with(')') {
            count += 5 + digits + 1;
            rest = &after[digits + 1..];
        } else {
            rest = after;
        }
    }
    count
}

/// Reads `page`'s text layer for a `width` × `height` render. `ignore_invisible` leaves out text drawn
/// invisibly (an OCR layer another tool laid over a scan).
pub fn extract(page: &PdfPage, width: u32, height: u32, ignore_invisible: bool) -> TextLayer {
    let mut layer = TextLayer { width, height, invisible_ignored: ignore_invisible, ..TextLayer::default() };
    let Some(map) = page_to_pixels(page, width, height) else {
        return layer;
    };
    let mut chars = Vec::new();
    if let Ok(text) = page.text() {
        for c in text.chars().iter() {
            let generated = c.is_generated().unwrap_or(false);
            let ch = match c.unicode_value() {
                // pdfium's marks for a hyphen that ends a line (the word goes on on the next).
                2 | 0xFFFE => '-',
                0 => '\u{FFFD}',
                u => char::from_u32(u).unwrap_or('\u{FFFD}'),
            };
            let mut bbox = None;
            if !generated && !ch.is_whitespace() {
                let invisible = matches!(c.render_mode(), Ok(PdfPageTextRenderMode::Invisible));
                layer.invisible_chars += invisible as usize;
                if invisible && ignore_invisible {
                    continue;
                }
                layer.chars += 1;
                layer.bad_chars += is_bad_char(ch) as usize;
                bbox = c
                    .loose_bounds()
                    .or_else(|_| c.tight_bounds())
                    .ok()
                    .map(|r| map.rect(r.left().value as f64, r.bottom().value as f64, r.right().value as f64, r.top().value as f64));
            }
            let angle = c.angle_radians().unwrap_or(0.0) as f64;
            chars.push(LayerChar { ch, bbox, dir: map.direction(angle.cos(), angle.sin()) });
        }
    }
    let spelled: String = chars.iter().map(|c| c.ch).collect();
    layer.bad_chars = (layer.bad_chars + cid_chars(&spelled)).min(layer.chars);
    layer.lines = build_lines(&chars, &LineRules::default());

    let mut images = Vec::new();
    collect_images(page.objects().iter(), &map, &mut images, 0);
    let page_box = [0.0, 0.0, width as f32, height as f32];
    layer.images = images
        .into_iter()
        .filter_map(|b| clip(b, page_box))
        .map(|bbox| PageImageArea {
            bbox,
            chars_inside: chars.iter().filter_map(|c| c.bbox).filter(|b| inside(centre(b), &bbox)).count(),
        })
        .collect();
    layer.images.sort_by(|a, b| area(&b.bbox).total_cmp(&area(&a.bbox)));
    layer
}

fn collect_images<'a>(objects: impl Iterator<Item = PdfPageObject<'a>>, map: &PageToPixels, out: &mut Vec<BBox>, depth: usize) {
    for object in objects {
        match object.object_type() {
            PdfPageObjectType::Image => {
                if let Ok(q) = object.bounds() {
                    let points = [(q.x1(), q.y1()), (q.x2(), q.y2()), (q.x3(), q.y3()), (q.x4(), q.y4())].map(|(x, y)| map.apply(x.value as f64, y.value as f64));
                    out.push(bbox_of(&points));
                }
            }
            PdfPageObjectType::XObjectForm if depth < 4 => {
                if let Some(form) = object.as_x_object_form_object() {
                    collect_images(form.iter(), map, out, depth + 1);
                }
            }
            _ => {}
        }
    }
}

fn clip(b: BBox, to: BBox) -> Option<BBox> {
    let c = [b[0].max(to[0]), b[1].max(to[1]), b[2].min(to[2]), b[3].min(to[3])];
    (c[2] - c[0] >= 1.0 && c[3] - c[1] >= 1.0).then_some(c)
}

fn centre(b: &BBox) -> [f32; 2] {
    [(b[0] + b[2]) / 2.0, (b[1] + b[3]) / 2.0]
}

fn inside(p: [f32; 2], b: &BBox) -> bool {
    p[0] >= b[0] && p[0] <= b[2] && p[1] >= b[1] && p[1] <= b[3]
}

pub(crate) fn area(b: &BBox) -> f32 {
    (b[2] - b[0]).max(0.0) * (b[3] - b[1]).max(0.0)
}

/// When a run of characters stops being one line.
#[derive(Debug, Clone, Copy)]
pub struct LineRules {
    /// A gap along the line wider than this many character heights ends it (a column gutter, a table's
    /// cell border) even where the PDF did not break the text.
    pub max_gap_heights: f32,
    /// A character whose centre is off the line's centre line by more than this many heights starts a new
    /// one, unless it still overlaps the previous character across the line by `min_overlap` of the
    /// smaller height (a raised or lowered letter inside a word, as in the TeX logo).
    pub max_offset_heights: f32,
    pub min_overlap: f32,
    /// Directions further apart than this (degrees) are different lines, unless the turned character still
    /// overlaps the line across by `min_overlap`.
    pub max_turn_degrees: f32,
}

impl Default for LineRules {
    fn default() -> Self {
        LineRules { max_gap_heights: 2.5, max_offset_heights: 0.6, min_overlap: 0.3, max_turn_degrees: 10.0 }
    }
}

/// Groups characters, in the PDF's order, into lines: a line ends at a line break in the text, where the
/// text turns, steps off its centre line, or jumps along it (see [`LineRules`]). Each line's polygon is the
/// rectangle along its direction that holds its characters' boxes.
pub fn build_lines(chars: &[LayerChar], rules: &LineRules) -> Vec<OcrLine> {
    let mut lines = Vec::new();
    let mut current: Vec<&LayerChar> = Vec::new();
    let cos_turn = rules.max_turn_degrees.to_radians().cos();
    for c in chars {
        if c.ch == '\n' || c.ch == '\r' {
            finish_line(&mut current, &mut lines);
            continue;
        }
        if let (Some(b), Some(last)) = (c.bbox, current.iter().rev().find(|l| l.bbox.is_some())) {
            let lb = last.bbox.unwrap();
            // Along and across the line as its first character runs, so one turned glyph does not turn it.
            let dir = current.iter().find(|l| l.bbox.is_some()).map_or(last.dir, |f| f.dir);
            let turned = dir[0] * c.dir[0] + dir[1] * c.dir[1] < cos_turn;
            let normal = [-dir[1], dir[0]];
            let height = extent(&lb, normal).max(extent(&b, normal)).max(1.0);
            let (lc, cc) = (centre(&lb), centre(&b));
            let offset = ((cc[0] - lc[0]) * normal[0] + (cc[1] - lc[1]) * normal[1]).abs();
            let along = (cc[0] - lc[0]) * dir[0] + (cc[1] - lc[1]) * dir[1];
            let gap = along - (extent(&lb, dir) + extent(&b, dir)) / 2.0;
            let backwards = along < -height;
            // A box's span across the line: its centre's projection, give or take half its extent.
            let across = |b: &BBox| {
                let (mid, half) = (centre(b), extent(b, normal) / 2.0);
                let t = mid[0] * normal[0] + mid[1] * normal[1];
                (t - half, t + half)
            };
            let ((l0, l1), (c0, c1)) = (across(&lb), across(&b));
            let overlap = (l1.min(c1) - l0.max(c0)).max(0.0) / (l1 - l0).min(c1 - c0).max(1.0);
            let stepped = offset > rules.max_offset_heights * height && overlap < rules.min_overlap;
            // A glyph drawn turned or mirrored on the line itself (the reversed E of the XeTeX logo) stays in it.
            let turned = turned && overlap < rules.min_overlap;
            if turned || stepped || gap > rules.max_gap_heights * height || backwards {
                finish_line(&mut current, &mut lines);
            }
        }
        current.push(c);
    }
    finish_line(&mut current, &mut lines);
    lines
}

/// How long box `b` is along unit vector `dir`.
fn extent(b: &BBox, dir: [f32; 2]) -> f32 {
    (b[2] - b[0]) * dir[0].abs() + (b[3] - b[1]) * dir[1].abs()
}

fn finish_line(current: &mut Vec<&LayerChar>, lines: &mut Vec<OcrLine>) {
    let chars = std::mem::take(current);
    let text: String = chars.iter().map(|c| c.ch).collect::<String>();
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let boxes: Vec<BBox> = chars.iter().filter_map(|c| c.bbox).collect();
    if text.is_empty() || boxes.is_empty() {
        return;
    }
    // The line's direction: its first character's.
    let dir = chars.iter().find(|c| c.bbox.is_some()).map_or([1.0, 0.0], |c| c.dir);
    let polygon = oriented_rect(&boxes, dir);
    let words = chars
        .split(|c| c.ch.is_whitespace())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let boxes: Vec<BBox> = w.iter().filter_map(|c| c.bbox).collect();
            let polygon = if boxes.is_empty() { polygon } else { oriented_rect(&boxes, dir) };
            Word { text: w.iter().map(|c| c.ch).collect(), polygon, score: 1.0 }
        })
        .collect();
    lines.push(OcrLine { text, score: 1.0, polygon, source: LineSource::Pdf, words });
}

/// The rectangle along `dir` that holds every box: clockwise from the line's top-left as it reads.
pub fn oriented_rect(boxes: &[BBox], dir: [f32; 2]) -> Quad {
    let normal = [-dir[1], dir[0]];
    let (mut s0, mut s1, mut t0, mut t1) = (f32::MAX, f32::MIN, f32::MAX, f32::MIN);
    for b in boxes {
        for p in [[b[0], b[1]], [b[2], b[1]], [b[2], b[3]], [b[0], b[3]]] {
            let s = p[0] * dir[0] + p[1] * dir[1];
            let t = p[0] * normal[0] + p[1] * normal[1];
            (s0, s1, t0, t1) = (s0.min(s), s1.max(s), t0.min(t), t1.max(t));
        }
    }
    let at = |s: f32, t: f32| [s * dir[0] + t * normal[0], s * dir[1] + t * normal[1]];
    [at(s0, t0), at(s1, t0), at(s1, t1), at(s0, t1)]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ch(c: char, x: f32, y: f32) -> LayerChar {
        LayerChar { ch: c, bbox: (!c.is_whitespace()).then_some([x, y, x + 8.0, y + 12.0]), dir: [1.0, 0.0] }
    }

    fn word(s: &str, x: f32, y: f32) -> Vec<LayerChar> {
        s.chars().enumerate().map(|(i, c)| ch(c, x + i as f32 * 9.0, y)).collect()
    }

    #[test]
    fn a_line_breaks_at_new_lines_and_across_a_gutter() {
        let mut chars = word("left one", 10.0, 10.0);
        // The right column's first line, at the same height, with no break in the text between.
        chars.extend(word("right", 400.0, 10.0));
        chars.push(LayerChar { ch: '\n', bbox: None, dir: [1.0, 0.0] });
        chars.extend(word("next", 10.0, 30.0));
        // The line below, with no break in the text before it.
        chars.extend(word("below", 10.0, 50.0));
        // A lowered letter inside a word stays in it.
        chars.push(ch('T', 200.0, 50.0));
        chars.push(ch('E', 209.0, 58.0));
        chars.push(ch('X', 218.0, 50.0));
        let lines = build_lines(&chars, &LineRules::default());
        let texts: Vec<&str> = lines.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(texts, ["left one", "right", "next", "below", "TEX"]);
        assert_eq!(lines[0].polygon[0], [10.0, 10.0]);
        assert_eq!(lines[0].polygon[2], [10.0 + 7.0 * 9.0 + 8.0, 22.0]);
        assert!(lines.iter().all(|l| l.source == LineSource::Pdf && l.score == 1.0));
    }

    #[test]
    fn text_running_upwards_gets_an_upright_polygon_along_it() {
        // Characters stacked bottom to top, reading upwards (direction (0, -1) in pixels).
        let chars: Vec<LayerChar> = "up".chars().enumerate().map(|(i, c)| LayerChar {
            ch: c,
            bbox: Some([100.0, 200.0 - i as f32 * 9.0 - 8.0, 112.0, 200.0 - i as f32 * 9.0]),
            dir: [0.0, -1.0],
        }).collect();
        let lines = build_lines(&chars, &LineRules::default());
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].text, "up");
        // The first corner is where the line starts reading: bottom left as the page lies.
        assert_eq!(lines[0].polygon[0], [100.0, 200.0]);
        assert_eq!(lines[0].polygon[1], [100.0, 183.0]);
    }

    #[test]
    fn bad_characters_and_cid_spellings_are_counted() {
        assert!(is_bad_char('\u{E001}') && is_bad_char('\u{FFFD}') && is_bad_char('\u{1}'));
        assert!(!is_bad_char('é') && !is_bad_char('\n'));
        assert_eq!(cid_chars("a (cid:12)(cid:3) b (cid:x)"), 8 + 7);
    }

    #[test]
    fn cover_counts_overlaps_once() {
        let share = cover(&[[0.0, 0.0, 50.0, 100.0], [25.0, 0.0, 50.0, 100.0]], 100, 100);
        assert!((share - 0.5).abs() < 0.01, "{share}");
    }
}
