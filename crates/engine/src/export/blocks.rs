//! What the text exports share: a page's lines grouped into blocks in reading order (each layout region
//! with the lines whose centre falls inside it, then the lines outside every region), each line's words
//! (split evenly along the line where it has none stored), the upright page's size, and a table's grid read
//! back from its structure.

use super::json::{Line, Page, Region, Word};
use crate::stages::{polygon_bbox, BBox, Table};

/// A region (or the page's left-over lines) with its lines in reading order.
pub struct Block<'a> {
    /// `None` for lines outside every region.
    pub region: Option<&'a Region>,
    pub lines: Vec<&'a Line>,
    pub bbox: BBox,
}

/// Each line's region: the smallest its centre is in (the rule that fills regions' text), or none.
fn owners(page: &Page) -> Vec<Option<usize>> {
    let centre = |b: &BBox| [(b[0] + b[2]) / 2.0, (b[1] + b[3]) / 2.0];
    let inside = |b: &BBox, p: [f32; 2]| p[0] >= b[0] && p[0] <= b[2] && p[1] >= b[1] && p[1] <= b[3];
    let area = |b: &BBox| (b[2] - b[0]).max(0.0) * (b[3] - b[1]).max(0.0);
    page.lines
        .iter()
        .map(|line| {
            let c = centre(&line.bbox);
            (0..page.regions.len()).filter(|&r| inside(&page.regions[r].bbox, c)).min_by(|&a, &b| area(&page.regions[a].bbox).total_cmp(&area(&page.regions[b].bbox)))
        })
        .collect()
}

/// The page's blocks in reading order; regions without lines are kept (figures, tables without text).
pub fn blocks(page: &Page) -> Vec<Block<'_>> {
    let owner = owners(page);
    let mut out: Vec<Block<'_>> = page
        .regions
        .iter()
        .enumerate()
        .map(|(r, region)| Block {
            region: Some(region),
            bbox: region.bbox,
            lines: page.lines.iter().zip(&owner).filter(|(_, o)| **o == Some(r)).map(|(l, _)| l).collect(),
        })
        .collect();
    let rest: Vec<&Line> = page.lines.iter().zip(&owner).filter(|(_, o)| o.is_none()).map(|(l, _)| l).collect();
    if !rest.is_empty() {
        let bbox = union(rest.iter().map(|l| l.bbox));
        out.push(Block { region: None, lines: rest, bbox });
    }
    out
}

/// A block of the page's text as the window's side panel lists it: the region (its place in reading order
/// and its class; none for the lines outside every region) and its lines, by their index in the page's lines.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TextBlock {
    pub region: Option<usize>,
    pub class: Option<String>,
    pub lines: Vec<usize>,
}

/// The page's text in reading order, as line indices grouped by region (the grouping the exports use).
pub fn reading_order(page: &Page) -> Vec<TextBlock> {
    let owner = owners(page);
    let indices = |region: Option<usize>| (0..page.lines.len()).filter(|&i| owner[i] == region).collect::<Vec<_>>();
    let mut out: Vec<TextBlock> = page
        .regions
        .iter()
        .enumerate()
        .map(|(r, region)| TextBlock { region: Some(region.order), class: Some(region.class.clone()), lines: indices(Some(r)) })
        .collect();
    let rest = indices(None);
    if !rest.is_empty() {
        out.push(TextBlock { region: None, class: None, lines: rest });
    }
    out
}

/// Text as XML 1.0 can hold it: control characters other than tab, line feed and carriage return (which
/// PDF text layers and OCR can carry) left out. Escaping is the XML writer's.
pub fn xml_text(text: &str) -> std::borrow::Cow<'_, str> {
    let allowed = |c: char| !(c < '\u{20}' && !matches!(c, '\t' | '\n' | '\r')) && !matches!(c, '\u{FFFE}' | '\u{FFFF}');
    if text.chars().all(allowed) {
        std::borrow::Cow::Borrowed(text)
    } else {
        std::borrow::Cow::Owned(text.chars().filter(|&c| allowed(c)).collect())
    }
}

/// The box around several boxes.
pub fn union(boxes: impl Iterator<Item = BBox>) -> BBox {
    boxes.fold([f32::INFINITY, f32::INFINITY, f32::NEG_INFINITY, f32::NEG_INFINITY], |a, b| {
        [a[0].min(b[0]), a[1].min(b[1]), a[2].max(b[2]), a[3].max(b[3])]
    })
}

/// The line's words: those stored, or (for lines stored before words were) its text split at spaces,
/// each given a share of the line's box in proportion to its characters.
pub fn words(line: &Line) -> Vec<Word> {
    if !line.words.is_empty() {
        return line.words.clone();
    }
    let parts: Vec<&str> = line.text.split_whitespace().collect();
    let total: usize = parts.iter().map(|w| w.chars().count() + 1).sum::<usize>().max(1);
    let [x0, y0, x1, y1] = line.bbox;
    let mut at = 0usize;
    parts
        .iter()
        .map(|w| {
            let n = w.chars().count();
            let (a, b) = (x0 + (x1 - x0) * at as f32 / total as f32, x0 + (x1 - x0) * (at + n) as f32 / total as f32);
            at += n + 1;
            let polygon = [[a, y0], [b, y0], [b, y1], [a, y1]];
            Word { text: w.to_string(), bbox: polygon_bbox(&polygon), polygon, confidence: line.confidence }
        })
        .collect()
}

/// The upright page's size in pixels: the rendered size, turned with the page; where the store has no
/// size, the extent of what was found on it.
pub fn page_size(page: &Page) -> (u32, u32) {
    if page.width > 0 && page.height > 0 {
        return if page.rotation % 180 == 90 { (page.height, page.width) } else { (page.width, page.height) };
    }
    let extent = union(page.lines.iter().map(|l| l.bbox).chain(page.regions.iter().map(|r| r.bbox)));
    if extent[2].is_finite() {
        (extent[2].ceil().max(1.0) as u32, extent[3].ceil().max(1.0) as u32)
    } else {
        (1, 1)
    }
}

/// One cell of a table's grid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GridCell {
    pub text: String,
    pub colspan: usize,
    pub rowspan: usize,
}

/// The table's rows of cells, read from its structure HTML. The structure's own tags (`tr`, `td` with
/// `colspan`/`rowspan`, `b`) are recognised; whatever stands between a cell's tags is the document's text
/// and stays text (never markup).
pub fn grid(table: &Table) -> Vec<Vec<GridCell>> {
    let html = table.html.as_str();
    let body = html.strip_prefix("<html><body><table>").and_then(|b| b.strip_suffix("</table></body></html>")).unwrap_or(html);
    let mut rows: Vec<Vec<GridCell>> = Vec::new();
    let mut rest = body;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix("<tr>") {
            rows.push(Vec::new());
            rest = r;
        } else if let Some(r) = rest.strip_prefix("</tr>") {
            rest = r;
        } else if rest.starts_with("<td") {
            let Some(open_end) = rest.find('>') else { break };
            let open = &rest[..open_end];
            let span = |name: &str| {
                open.find(&format!("{name}=\""))
                    .and_then(|i| open[i + name.len() + 2..].split('"').next())
                    .and_then(|v| v.parse::<usize>().ok())
                    .unwrap_or(1)
                    .max(1)
            };
            let after = &rest[open_end + 1..];
            let close = after.find("</td>").unwrap_or(after.len());
            let text = after[..close].replace("<b>", "").replace("</b>", "");
            if rows.is_empty() {
                rows.push(Vec::new());
            }
            rows.last_mut().unwrap().push(GridCell { text: text.trim().to_string(), colspan: span("colspan"), rowspan: span("rowspan") });
            rest = after.get(close + "</td>".len()..).unwrap_or("");
        } else {
            // Anything else the structure holds (a stray tag): skip one character.
            let next = rest.char_indices().nth(1).map_or(rest.len(), |(i, _)| i);
            rest = &rest[next..];
        }
    }
    rows
}

/// The grid laid out on a rectangle: each cell's text in its top-left position, the positions it spans
/// left empty. Rows are padded to the widest.
pub fn rectangle(grid: &[Vec<GridCell>]) -> Vec<Vec<String>> {
    let mut out: Vec<Vec<Option<String>>> = Vec::new();
    for (r, row) in grid.iter().enumerate() {
        while out.len() <= r {
            out.push(Vec::new());
        }
        let mut c = 0;
        for cell in row {
            while out[r].get(c).is_some_and(|s| s.is_some()) {
                c += 1;
            }
            for dr in 0..cell.rowspan {
                while out.len() <= r + dr {
                    out.push(Vec::new());
                }
                for dc in 0..cell.colspan {
                    let target = &mut out[r + dr];
                    while target.len() <= c + dc {
                        target.push(None);
                    }
                    target[c + dc] = Some(if dr == 0 && dc == 0 { cell.text.clone() } else { String::new() });
                }
            }
            c += cell.colspan;
        }
    }
    let width = out.iter().map(Vec::len).max().unwrap_or(0);
    out.into_iter().map(|row| (0..width).map(|i| row.get(i).cloned().flatten().unwrap_or_default()).collect()).collect()
}

/// Whether any cell spans more than one row or column.
pub fn spans(grid: &[Vec<GridCell>]) -> bool {
    grid.iter().flatten().any(|c| c.colspan > 1 || c.rowspan > 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(html: &str) -> Table {
        Table { bbox: [0.0; 4], html: html.to_string(), cells: Vec::new() }
    }

    #[test]
    fn a_grid_reads_spans_and_keeps_text_as_text() {
        let t = table("<html><body><table><tr><td>a & <script>x</script></td><td colspan=\"2\"><b>b</b></td></tr><tr><td rowspan=\"2\">c</td><td>d</td><td></td></tr><tr><td>e</td></tr></table></body></html>");
        let g = grid(&t);
        assert_eq!(g.len(), 3);
        assert_eq!(g[0][0].text, "a & <script>x</script>");
        assert_eq!((g[0][1].text.as_str(), g[0][1].colspan), ("b", 2));
        assert_eq!(g[1][0].rowspan, 2);
        assert!(spans(&g));
        let r = rectangle(&g);
        assert_eq!(r[0], vec!["a & <script>x</script>", "b", ""]);
        assert_eq!(r[1], vec!["c", "d", ""]);
        assert_eq!(r[2], vec!["", "e", ""]);
    }

    #[test]
    fn reading_order_groups_line_indices_by_region_and_keeps_the_rest() {
        let line = |text: &str, y: f32| Line {
            text: text.into(),
            polygon: [[10.0, y], [90.0, y], [90.0, y + 8.0], [10.0, y + 8.0]],
            bbox: [10.0, y, 90.0, y + 8.0],
            confidence: 0.9,
            source: crate::stages::LineSource::Ocr,
            words: Vec::new(),
            edited: false,
            original_text: None,
        };
        let region = |order: usize, class: &str, y0: f32, y1: f32| Region {
            order,
            class: class.into(),
            bbox: [0.0, y0, 100.0, y1],
            score: 0.9,
            text: String::new(),
            original_class: None,
            drawn: false,
        };
        let page = Page {
            page: 1,
            status: "done".into(),
            error: None,
            dpi: 150.0,
            width: 100,
            height: 200,
            rotation: 0,
            route: None,
            route_reason: None,
            stages: Vec::new(),
            // Lines in the order they were stored: the second region's line first.
            lines: vec![line("body", 60.0), line("title", 10.0), line("stray", 150.0)],
            regions: vec![region(0, "title", 0.0, 30.0), region(1, "text", 50.0, 80.0), region(2, "figure", 90.0, 120.0)],
            deleted_regions: Vec::new(),
            tables: Vec::new(),
            chunks: Vec::new(),
        };
        let order = reading_order(&page);
        assert_eq!(order.iter().map(|b| (b.region, b.lines.clone())).collect::<Vec<_>>(), vec![(Some(0), vec![1]), (Some(1), vec![0]), (Some(2), vec![]), (None, vec![2])]);
        assert_eq!(order[0].class.as_deref(), Some("title"));
    }

    #[test]
    fn a_line_belongs_to_the_smallest_region_around_it_and_xml_text_drops_control_characters() {
        let line = Line {
            text: "inner".into(),
            polygon: [[20.0, 20.0], [40.0, 20.0], [40.0, 28.0], [20.0, 28.0]],
            bbox: [20.0, 20.0, 40.0, 28.0],
            confidence: 0.9,
            source: crate::stages::LineSource::Ocr,
            words: Vec::new(),
            edited: false,
            original_text: None,
        };
        let region = |order: usize, bbox: BBox| Region { order, class: "text".into(), bbox, score: 0.9, text: String::new(), original_class: None, drawn: false };
        let page = Page {
            page: 1,
            status: "done".into(),
            error: None,
            dpi: 150.0,
            width: 200,
            height: 200,
            rotation: 0,
            route: None,
            route_reason: None,
            stages: Vec::new(),
            lines: vec![line],
            // The outer region comes first in reading order; the line is in the inner one.
            regions: vec![region(0, [0.0, 0.0, 200.0, 200.0]), region(1, [10.0, 10.0, 60.0, 40.0])],
            deleted_regions: Vec::new(),
            tables: Vec::new(),
            chunks: Vec::new(),
        };
        let order = reading_order(&page);
        assert_eq!(order.iter().map(|b| b.lines.clone()).collect::<Vec<_>>(), vec![vec![], vec![0]]);
        assert_eq!(xml_text("a\u{1}b\tc\u{FFFE}"), "ab\tc");
        assert!(matches!(xml_text("plain <b>"), std::borrow::Cow::Borrowed(_)));
    }

    #[test]
    fn words_split_a_line_without_stored_words_inside_its_box() {
        let line = Line {
            text: "ab cdef".into(),
            polygon: [[0.0, 0.0], [80.0, 0.0], [80.0, 10.0], [0.0, 10.0]],
            bbox: [0.0, 0.0, 80.0, 10.0],
            confidence: 0.9,
            source: crate::stages::LineSource::Ocr,
            words: Vec::new(),
            edited: false,
            original_text: None,
        };
        let w = words(&line);
        assert_eq!(w.iter().map(|w| w.text.as_str()).collect::<Vec<_>>(), vec!["ab", "cdef"]);
        assert!(w.iter().all(|w| w.bbox[0] >= 0.0 && w.bbox[2] <= 80.0));
        assert!(w[0].bbox[2] <= w[1].bbox[0]);
    }
}
