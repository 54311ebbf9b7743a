//! Markdown (`folio export --format md`): each page's regions in reading order; titles as headings, tables
//! as GFM tables (HTML tables where cells span), figures as placeholders followed by their captions, page
//! headers and footers left out, and each page's start marked with an HTML comment. Every piece of the
//! document's text is escaped, so none of it becomes Markdown or HTML markup.

use std::io::Write;

use super::blocks::{self, GridCell};
use super::json::Page;
use crate::store::{DocumentRecord, Store};
use crate::Result;

/// Text as Markdown that shows exactly that text: Markdown's punctuation backslash-escaped, `<`, `>` and `&`
/// as entities (so no document text becomes an HTML tag), and line starts that would begin a list, a
/// heading or a quote escaped.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for line in text.split('\n') {
        if !out.is_empty() {
            out.push('\n');
        }
        let trimmed = line.trim_start();
        let mut escaped = String::with_capacity(line.len());
        for c in trimmed.chars() {
            match c {
                '<' => escaped.push_str("&lt;"),
                '>' => escaped.push_str("&gt;"),
                '&' => escaped.push_str("&amp;"),
                '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '#' | '~' | '!' => {
                    escaped.push('\\');
                    escaped.push(c);
                }
                _ => escaped.push(c),
            }
        }
        // A list item ("- ", "+ ", "1. ", "1) ") or a setext underline at the start of a line.
        let digits = escaped.chars().take_while(|c| c.is_ascii_digit()).count();
        if escaped.starts_with("- ") || escaped.starts_with("+ ") || escaped == "-" || escaped.chars().all(|c| c == '-' || c == '=') && !escaped.is_empty() {
            escaped.insert(0, '\\');
        } else if digits > 0 && matches!(escaped[digits..].chars().next(), Some('.') | Some(')')) {
            escaped.insert(digits, '\\');
        }
        out.push_str(&escaped);
    }
    out
}

/// A cell's text for a GFM table: escaped, on one line.
fn cell(text: &str) -> String {
    escape(&text.replace('\n', " "))
}

/// Text as HTML text (for the tables Markdown cannot hold).
pub fn html_text(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn table(grid: &[Vec<GridCell>]) -> String {
    if grid.is_empty() {
        return String::new();
    }
    if blocks::spans(grid) {
        let mut html = String::from("<table>\n");
        for row in grid {
            html.push_str("<tr>");
            for c in row {
                html.push_str("<td");
                if c.colspan > 1 {
                    html.push_str(&format!(" colspan=\"{}\"", c.colspan));
                }
                if c.rowspan > 1 {
                    html.push_str(&format!(" rowspan=\"{}\"", c.rowspan));
                }
                html.push('>');
                html.push_str(&html_text(&c.text));
                html.push_str("</td>");
            }
            html.push_str("</tr>\n");
        }
        html.push_str("</table>");
        return html;
    }
    let rows = blocks::rectangle(grid);
    let width = rows.first().map_or(0, Vec::len).max(1);
    let line = |row: &[String]| format!("| {} |", (0..width).map(|i| cell(row.get(i).map_or("", String::as_str))).collect::<Vec<_>>().join(" | "));
    let mut out = vec![line(&rows[0]), format!("|{}", " --- |".repeat(width))];
    out.extend(rows[1..].iter().map(|r| line(r)));
    out.join("\n")
}

/// One page as Markdown paragraphs.
pub fn page(page: &Page) -> Vec<String> {
    let mut out = Vec::new();
    // Each table printed once: by its region's box, or else the next one not printed yet.
    let mut used = vec![false; page.tables.len()];
    for block in blocks::blocks(page) {
        let text = match block.region {
            Some(r) if !r.text.trim().is_empty() => r.text.clone(),
            _ => block.lines.iter().map(|l| l.text.as_str()).collect::<Vec<_>>().join("\n"),
        };
        let class = block.region.map_or("text", |r| r.class.as_str());
        match class {
            "header" | "footer" => {}
            "title" if !text.trim().is_empty() => out.push(format!("## {}", escape(&text.replace('\n', " ")))),
            "figure" => out.push(format!("*[Figure on page {}]*", page.page)),
            "figure_caption" | "table_caption" if !text.trim().is_empty() => out.push(format!("*{}*", escape(&text))),
            "table" => {
                // A table keeps its region's box; failing that, tables are in the order of their regions.
                let by_box = block.region.and_then(|r| (0..page.tables.len()).find(|&i| !used[i] && page.tables[i].bbox == r.bbox));
                // A region a user drew has no table of its own.
                let drawn = block.region.is_some_and(|r| r.drawn);
                let found = by_box.or_else(|| if drawn { None } else { (0..page.tables.len()).find(|&i| !used[i]) });
                if let Some(i) = found {
                    used[i] = true;
                }
                match found.map(|i| table(&blocks::grid(&page.tables[i]))).filter(|t| !t.is_empty()) {
                    Some(t) => out.push(t),
                    None if !text.trim().is_empty() => out.push(escape(&text)),
                    None => {}
                }
            }
            _ if !text.trim().is_empty() => out.push(escape(&text)),
            _ => {}
        }
    }
    out
}

/// Writes every stored page of the document, one page in memory at a time.
pub fn write(store: &Store, document: &DocumentRecord, out: &mut dyn Write) -> Result<()> {
    let mut first = true;
    super::pages(store, document, |p| {
        if !first {
            out.write_all(b"\n").map_err(super::io)?;
        }
        first = false;
        writeln!(out, "<!-- page {} -->\n", p.page).map_err(super::io)?;
        for paragraph in page(&p) {
            writeln!(out, "{paragraph}\n").map_err(super::io)?;
        }
        Ok(())
    })?;
    out.flush().map_err(super::io)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_text_never_becomes_markup() {
        assert_eq!(escape("<script>alert(1)</script> & *b*"), "&lt;script&gt;alert(1)&lt;/script&gt; &amp; \\*b\\*");
        assert_eq!(escape("# not a heading\n- not a list\n12. not a list"), "\\# not a heading\n\\- not a list\n12\\. not a list");
        assert_eq!(escape("a | b [link](x)"), "a \\| b \\[link\\](x)");
    }

    #[test]
    fn spanning_tables_become_escaped_html_and_plain_ones_gfm() {
        let plain = vec![
            vec![GridCell { text: "a".into(), colspan: 1, rowspan: 1 }, GridCell { text: "b|c".into(), colspan: 1, rowspan: 1 }],
            vec![GridCell { text: "1".into(), colspan: 1, rowspan: 1 }, GridCell { text: "<2>".into(), colspan: 1, rowspan: 1 }],
        ];
        assert_eq!(table(&plain), "| a | b\\|c |\n| --- | --- |\n| 1 | &lt;2&gt; |");
        let spanning = vec![vec![GridCell { text: "<i>&".into(), colspan: 2, rowspan: 1 }]];
        assert_eq!(table(&spanning), "<table>\n<tr><td colspan=\"2\">&lt;i&gt;&amp;</td></tr>\n</table>");
    }
}
