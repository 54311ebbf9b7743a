//! hOCR (`folio export --format hocr`): one XHTML file with an `ocr_page` per stored page, and in it
//! `ocr_carea` (a layout region, or the lines outside every region) / `ocr_par` / `ocr_line` / `ocrx_word`,
//! each with its `bbox` in page pixels and `x_wconf` (confidence, 0–100) on lines and words. Written with an
//! XML writer, so the document's text is always escaped text.

use std::io::Write;

use quick_xml::events::{BytesDecl, BytesText, Event};
use quick_xml::Writer;

use super::blocks;
use super::json::Page;
use crate::stages::BBox;
use crate::store::{DocumentRecord, Store};
use crate::Result;

fn bbox(b: &BBox) -> String {
    format!("bbox {} {} {} {}", b[0].floor().max(0.0) as i64, b[1].floor().max(0.0) as i64, b[2].ceil().max(0.0) as i64, b[3].ceil().max(0.0) as i64)
}

fn wconf(confidence: f32) -> String {
    format!("x_wconf {}", (confidence * 100.0).round().clamp(0.0, 100.0) as i64)
}

fn page<W: Write>(w: &mut Writer<W>, document: &DocumentRecord, p: &Page) -> std::io::Result<()> {
    let (width, height) = blocks::page_size(p);
    let title = format!(
        "image \"{}\"; bbox 0 0 {width} {height}; ppageno {}; scan_res {} {}",
        blocks::xml_text(document.last_path()).replace('"', "'"),
        p.page - 1,
        p.dpi.round() as i64,
        p.dpi.round() as i64
    );
    let id = format!("page_{}", p.page);
    w.create_element("div").with_attributes([("class", "ocr_page"), ("id", id.as_str()), ("title", title.as_str())]).write_inner_content(|w| {
        for (b, block) in blocks::blocks(p).iter().enumerate().filter(|(_, b)| !b.lines.is_empty()) {
            let area = format!("block_{}_{}", p.page, b + 1);
            let par = format!("par_{}_{}", p.page, b + 1);
            let block_box = bbox(&block.bbox);
            w.create_element("div").with_attributes([("class", "ocr_carea"), ("id", area.as_str()), ("title", block_box.as_str())]).write_inner_content(|w| {
                w.create_element("p")
                    .with_attributes([("class", "ocr_par"), ("id", par.as_str()), ("title", block_box.as_str())])
                    .write_inner_content(|w| {
                        for (l, line) in block.lines.iter().enumerate() {
                            let line_id = format!("line_{}_{}_{}", p.page, b + 1, l + 1);
                            let line_title = format!("{}; {}", bbox(&line.bbox), wconf(line.confidence));
                            w.create_element("span")
                                .with_attributes([("class", "ocr_line"), ("id", line_id.as_str()), ("title", line_title.as_str())])
                                .write_inner_content(|w| {
                                    for (k, word) in blocks::words(line).iter().enumerate() {
                                        let word_id = format!("word_{}_{}_{}_{}", p.page, b + 1, l + 1, k + 1);
                                        let word_title = format!("{}; {}", bbox(&word.bbox), wconf(word.confidence));
                                        w.create_element("span")
                                            .with_attributes([("class", "ocrx_word"), ("id", word_id.as_str()), ("title", word_title.as_str())])
                                            .write_text_content(BytesText::new(&blocks::xml_text(&word.text)))?;
                                    }
                                    Ok(())
                                })?;
                        }
                        Ok(())
                    })?;
                Ok(())
            })?;
        }
        Ok(())
    })?;
    Ok(())
}

/// Writes the document's stored pages as one hOCR file, one page in memory at a time.
pub fn write(store: &Store, document: &DocumentRecord, out: &mut dyn Write) -> Result<()> {
    let mut w = Writer::new_with_indent(out, b' ', 1);
    let io = super::io;
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None))).map_err(io)?;
    w.get_mut()
        .write_all(b"\n<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Transitional//EN\" \"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd\">")
        .map_err(io)?;
    w.write_event(Event::Start(
        quick_xml::events::BytesStart::new("html").with_attributes([("xmlns", "http://www.w3.org/1999/xhtml"), ("xml:lang", "en"), ("lang", "en")]),
    ))
    .map_err(io)?;
    w.create_element("head")
        .write_inner_content(|w| {
            w.create_element("title").write_text_content(BytesText::new(&blocks::xml_text(&document.name)))?;
            w.create_element("meta").with_attributes([("http-equiv", "Content-Type"), ("content", "text/html;charset=utf-8")]).write_empty()?;
            let system = format!("folio {}", env!("CARGO_PKG_VERSION"));
            w.create_element("meta").with_attributes([("name", "ocr-system"), ("content", system.as_str())]).write_empty()?;
            w.create_element("meta")
                .with_attributes([("name", "ocr-capabilities"), ("content", "ocr_page ocr_carea ocr_par ocr_line ocrx_word ocrp_wconf")])
                .write_empty()?;
            Ok(())
        })
        .map_err(io)?;
    w.write_event(Event::Start(quick_xml::events::BytesStart::new("body"))).map_err(io)?;
    super::pages(store, document, |p| page(&mut w, document, &p).map_err(io))?;
    w.write_event(Event::End(quick_xml::events::BytesEnd::new("body"))).map_err(io)?;
    w.write_event(Event::End(quick_xml::events::BytesEnd::new("html"))).map_err(io)?;
    let out = w.into_inner();
    out.write_all(b"\n").map_err(io)?;
    out.flush().map_err(io)
}
