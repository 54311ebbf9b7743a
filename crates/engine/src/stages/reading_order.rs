//! Reading order: which region comes after which, aware of columns, and the text of each region.
//!
//! Regions are ordered by recursive XY-cut: at each level the set is split at a vertical gap that runs the
//! whole height (columns, read left to right) and otherwise at a horizontal gap that runs the whole width
//! (bands, read top to bottom). A full-width title above two columns is a band of its own; the columns under
//! it are then split apart. Page headers come first and footers last, wherever they sit.

use super::{BBox, LayoutRegion, OcrLine};

/// Gaps narrower than this (in pixels) do not separate columns or bands.
const MIN_GAP: f32 = 4.0;

/// Indices of `regions` in reading order.
pub fn reading_order(regions: &[LayoutRegion]) -> Vec<usize> {
    let rank = |class: &str| match class {
        "header" => 0,
        "footer" => 2,
        _ => 1,
    };
    let mut order = Vec::with_capacity(regions.len());
    for band in 0..3 {
        let items: Vec<(usize, BBox)> =
            regions.iter().enumerate().filter(|(_, r)| rank(&r.class) == band).map(|(i, r)| (i, r.bbox)).collect();
        xy_cut(items, &mut order);
    }
    order
}

fn xy_cut(mut items: Vec<(usize, BBox)>, out: &mut Vec<usize>) {
    if items.len() <= 1 {
        out.extend(items.iter().map(|(i, _)| *i));
        return;
    }
    let columns = split(&mut items, 0);
    if columns.len() > 1 {
        columns.into_iter().for_each(|c| xy_cut(c, out));
        return;
    }
    let bands = split(&mut items, 1);
    if bands.len() > 1 {
        // Consecutive multi-column bands are one multi-column section: rows of paragraphs that happen to
        // line up across columns must not be read across.
        let mut merged: Vec<Vec<(usize, BBox)>> = Vec::new();
        let mut last_multi = false;
        for mut band in bands.iter().cloned() {
            let multi = split(&mut band, 0).len() > 1;
            match merged.last_mut() {
                Some(prev) if multi && last_multi => prev.extend(band),
                _ => merged.push(band),
            }
            last_multi = multi;
        }
        let sections = if merged.len() > 1 { merged } else { bands };
        sections.into_iter().for_each(|b| xy_cut(b, out));
        return;
    }
    // Overlapping boxes with no clean cut: top to bottom, then left to right.
    items.sort_by(|a, b| a.1[1].total_cmp(&b.1[1]).then(a.1[0].total_cmp(&b.1[0])));
    out.extend(items.iter().map(|(i, _)| *i));
}

/// Groups separated by gaps along `axis` (0: columns along x, 1: bands along y), in order.
fn split(items: &mut [(usize, BBox)], axis: usize) -> Vec<Vec<(usize, BBox)>> {
    items.sort_by(|a, b| a.1[axis].total_cmp(&b.1[axis]).then(a.1[1 - axis].total_cmp(&b.1[1 - axis])));
    let mut groups: Vec<Vec<(usize, BBox)>> = vec![Vec::new()];
    let mut reach = f32::MIN;
    for item in items.iter() {
        if !groups.last().unwrap().is_empty() && item.1[axis] > reach + MIN_GAP {
            groups.push(Vec::new());
        }
        reach = reach.max(item.1[axis + 2]);
        groups.last_mut().unwrap().push(*item);
    }
    groups
}

fn centre(q: &[[f32; 2]; 4]) -> (f32, f32) {
    (q.iter().map(|p| p[0]).sum::<f32>() / 4.0, q.iter().map(|p| p[1]).sum::<f32>() / 4.0)
}

/// Fills each region's text with the OCR lines whose centre falls inside it (the smallest such region when
/// they nest), in the lines' own order, one line per row. Returns the lines that fell in no region.
pub fn assign_text(regions: &mut [LayoutRegion], lines: &[OcrLine]) -> Vec<usize> {
    let mut texts: Vec<Vec<&str>> = vec![Vec::new(); regions.len()];
    let mut orphans = Vec::new();
    for (li, line) in lines.iter().enumerate() {
        let (cx, cy) = centre(&line.polygon);
        let best = regions
            .iter()
            .enumerate()
            .filter(|(_, r)| cx >= r.bbox[0] && cx <= r.bbox[2] && cy >= r.bbox[1] && cy <= r.bbox[3])
            .min_by(|a, b| area(&a.1.bbox).total_cmp(&area(&b.1.bbox)));
        match best {
            Some((ri, _)) => texts[ri].push(line.text.as_str()),
            None => orphans.push(li),
        }
    }
    for (region, parts) in regions.iter_mut().zip(texts) {
        region.text = parts.join("\n");
    }
    orphans
}

fn area(b: &BBox) -> f32 {
    (b[2] - b[0]).max(0.0) * (b[3] - b[1]).max(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn region(class: &str, bbox: BBox) -> LayoutRegion {
        LayoutRegion { class: class.into(), bbox, score: 1.0, text: String::new() }
    }

    #[test]
    fn title_then_left_column_then_right_column() {
        let regions = vec![
            region("text", [520.0, 200.0, 900.0, 400.0]),  // right column, top
            region("footer", [100.0, 1200.0, 900.0, 1230.0]),
            region("text", [100.0, 420.0, 480.0, 700.0]),  // left column, bottom
            region("title", [100.0, 100.0, 900.0, 160.0]), // full width
            region("text", [100.0, 200.0, 480.0, 400.0]),  // left column, top
            region("header", [100.0, 20.0, 900.0, 50.0]),
            region("text", [520.0, 420.0, 900.0, 700.0]),  // right column, bottom
        ];
        assert_eq!(reading_order(&regions), vec![5, 3, 4, 2, 0, 6, 1]);
    }

    #[test]
    fn a_full_width_figure_between_two_column_sections() {
        let regions = vec![
            region("text", [100.0, 100.0, 480.0, 300.0]),
            region("text", [520.0, 100.0, 900.0, 300.0]),
            region("figure", [100.0, 320.0, 900.0, 600.0]),
            region("text", [100.0, 620.0, 480.0, 900.0]),
            region("text", [520.0, 620.0, 900.0, 900.0]),
        ];
        assert_eq!(reading_order(&regions), vec![0, 1, 2, 3, 4]);
    }

    #[test]
    fn lines_go_to_the_smallest_region_that_holds_their_centre() {
        let mut regions = vec![region("table", [0.0, 0.0, 500.0, 500.0]), region("text", [10.0, 10.0, 200.0, 100.0])];
        let line = |t: &str, x: f32, y: f32| OcrLine {
            text: t.into(),
            score: 1.0,
            polygon: [[x, y], [x + 20.0, y], [x + 20.0, y + 10.0], [x, y + 10.0]],
            source: Default::default(),
            words: Vec::new(),
        };
        let orphans = assign_text(&mut regions, &[line("inner", 20.0, 20.0), line("outer", 300.0, 300.0), line("none", 900.0, 900.0)]);
        assert_eq!(regions[1].text, "inner");
        assert_eq!(regions[0].text, "outer");
        assert_eq!(orphans, vec![2]);
    }
}
