//! ALTO v4 (`folio export --format alto`), the layout-and-text format digitisation and library software
//! imports: `Description` (pixels as the unit), then a `Page` per stored page with its `PrintSpace`, a
//! `TextBlock` per region with lines (or for the lines outside every region), `TextLine`, and `String` per
//! word with `SP` between, each with `HPOS`, `VPOS`, `WIDTH`, `HEIGHT` and `WC` (confidence, 0–1). Written
//! with an XML writer, so the document's text is always escaped.

use std::io::Write;

use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use quick_xml::Writer;

use super::blocks;
use super::json::Page;
use crate::stages::BBox;
use crate::store::{DocumentRecord, Store};
use crate::Result;

pub const NAMESPACE: &str = "http://www.loc.gov/standards/alto/ns-v4#";

/// `HPOS`, `VPOS`, `WIDTH`, `HEIGHT` of a box, in whole pixels.
fn position(b: &BBox) -> [(&'static str, String); 4] {
    let (x0, y0) = (b[0].floor().max(0.0), b[1].floor().max(0.0));
    let (x1, y1) = (b[2].ceil().max(x0), b[3].ceil().max(y0));
    [("HPOS", format!("{x0}")), ("VPOS", format!("{y0}")), ("WIDTH", format!("{}", x1 - x0)), ("HEIGHT", format!("{}", y1 - y0))]
}

fn start<'a>(name: &'a str, id: &str, b: &BBox) -> BytesStart<'a> {
    let mut e = BytesStart::new(name);
    e.push_attribute(("ID", id));
    for (k, v) in position(b) {
        e.push_attribute((k, v.as_str()));
    }
    e
}

fn page<W: Write>(w: &mut Writer<W>, p: &Page) -> std::io::Result<()> {
    let (width, height) = blocks::page_size(p);
    let mut page = BytesStart::new("Page");
    let id = format!("page_{}", p.page);
    page.push_attribute(("ID", id.as_str()));
    page.push_attribute(("PHYSICAL_IMG_NR", p.page.to_string().as_str()));
    page.push_attribute(("WIDTH", width.to_string().as_str()));
    page.push_attribute(("HEIGHT", height.to_string().as_str()));
    w.write_event(Event::Start(page))?;
    let space = [0.0, 0.0, width as f32, height as f32];
    w.write_event(Event::Start(start("PrintSpace", &format!("space_{}", p.page), &space)))?;
    for (b, block) in blocks::blocks(p).iter().enumerate().filter(|(_, b)| !b.lines.is_empty()) {
        w.write_event(Event::Start(start("TextBlock", &format!("block_{}_{}", p.page, b + 1), &block.bbox)))?;
        for (l, line) in block.lines.iter().enumerate() {
            w.write_event(Event::Start(start("TextLine", &format!("line_{}_{}_{}", p.page, b + 1, l + 1), &line.bbox)))?;
            for (k, word) in blocks::words(line).iter().enumerate() {
                if k > 0 {
                    w.write_event(Event::Empty(BytesStart::new("SP")))?;
                }
                let mut string = start("String", &format!("word_{}_{}_{}_{}", p.page, b + 1, l + 1, k + 1), &word.bbox);
                string.push_attribute(("CONTENT", blocks::xml_text(&word.text).as_ref()));
                string.push_attribute(("WC", format!("{:.2}", word.confidence.clamp(0.0, 1.0)).as_str()));
                w.write_event(Event::Empty(string))?;
            }
            w.write_event(Event::End(BytesEnd::new("TextLine")))?;
        }
        w.write_event(Event::End(BytesEnd::new("TextBlock")))?;
    }
    w.write_event(Event::End(BytesEnd::new("PrintSpace")))?;
    w.write_event(Event::End(BytesEnd::new("Page")))
}

/// Writes the document's stored pages as one ALTO file, one page in memory at a time.
pub fn write(store: &Store, document: &DocumentRecord, out: &mut dyn Write) -> Result<()> {
    let io = super::io;
    let mut w = Writer::new_with_indent(out, b' ', 1);
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None))).map_err(io)?;
    let mut alto = BytesStart::new("alto");
    alto.push_attribute(("xmlns", NAMESPACE));
    alto.push_attribute(("xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance"));
    alto.push_attribute(("xsi:schemaLocation", "http://www.loc.gov/standards/alto/ns-v4# http://www.loc.gov/standards/alto/v4/alto-4-4.xsd"));
    w.write_event(Event::Start(alto)).map_err(io)?;
    w.create_element("Description")
        .write_inner_content(|w| {
            w.create_element("MeasurementUnit").write_text_content(BytesText::new("pixel"))?;
            w.create_element("sourceImageInformation").write_inner_content(|w| {
                w.create_element("fileName").write_text_content(BytesText::new(&blocks::xml_text(document.last_path())))?;
                Ok(())
            })?;
            w.create_element("OCRProcessing").with_attribute(("ID", "ocr_1")).write_inner_content(|w| {
                w.create_element("ocrProcessingStep").write_inner_content(|w| {
                    w.create_element("processingSoftware").write_inner_content(|w| {
                        w.create_element("softwareName").write_text_content(BytesText::new("Folio"))?;
                        w.create_element("softwareVersion").write_text_content(BytesText::new(env!("CARGO_PKG_VERSION")))?;
                        Ok(())
                    })?;
                    Ok(())
                })?;
                Ok(())
            })?;
            Ok(())
        })
        .map_err(io)?;
    w.write_event(Event::Start(BytesStart::new("Layout"))).map_err(io)?;
    super::pages(store, document, |p| page(&mut w, &p).map_err(io))?;
    w.write_event(Event::End(BytesEnd::new("Layout"))).map_err(io)?;
    w.write_event(Event::End(BytesEnd::new("alto"))).map_err(io)?;
    let out = w.into_inner();
    out.write_all(b"\n").map_err(io)?;
    out.flush().map_err(io)
}
