//! The searchable PDF (`folio export --format pdf -o FILE`): the original pages unchanged, with an
//! invisible text layer (render mode 3) laid over each OCR line, word by word, so that selecting and
//! searching work in any PDF viewer. Lines that came from the page's own text layer are not written again:
//! pages that had a text layer keep it as it is. A folder of page images becomes a PDF of those images with
//! the same invisible text.
//!
//! Each word is one text object whose matrix maps the font's baseline onto the word box's bottom edge and
//! its height onto the box's height, in the page's own coordinates: the box is carried back through the
//! orientation turn (upright image → rendered image) and the page's `/Rotate` (rendered → PDF user space).

use std::path::Path;

use pdfium_render::prelude::*;

use super::blocks;
use super::json::Page;
use crate::stages::LineSource;
use crate::store::{DocumentRecord, Store};
use crate::{Error, Result};

fn pdf_error(e: PdfiumError) -> Error {
    Error::Export { detail: format!("pdfium: {e}") }
}

/// A point of the upright page image (pixels at `dpi`) in PDF user space (points, origin bottom-left).
struct Placement {
    /// Degrees the page image was turned counter-clockwise to make it upright.
    turn: u16,
    /// The rendered image's size in pixels.
    rendered: (f32, f32),
    /// Points per pixel.
    scale: f32,
    /// The page's `/Rotate` (clockwise degrees) and its unrotated size in points.
    rotate: u16,
    user: (f32, f32),
}

impl Placement {
    fn map(&self, [x, y]: [f32; 2]) -> [f32; 2] {
        let (w, h) = self.rendered;
        // Upright → rendered: undo the counter-clockwise turn.
        let (rx, ry) = match self.turn % 360 {
            90 => (w - y, x),
            180 => (w - x, h - y),
            270 => (y, h - x),
            _ => (x, y),
        };
        // Rendered pixels → displayed points (origin top-left, y down) → user space.
        let (dx, dy) = (rx * self.scale, ry * self.scale);
        let (uw, uh) = self.user;
        match self.rotate % 360 {
            90 => [dy, dx],
            180 => [uw - dx, dy],
            270 => [uw - dy, uh - dx],
            _ => [dx, uh - dy],
        }
    }
}

/// Adds one invisible text object per OCR word of `page` to `pdf_page`; returns how many.
fn add_words<'a>(document: &PdfDocument<'a>, pdf_page: &mut PdfPage<'a>, font: PdfFontToken, page: &Page, place: &Placement) -> Result<usize> {
    // The font's descent and ascent at size 1, from a text that reaches both (a word's own glyphs may not:
    // a "·" is a dot), so that every word is placed on the same baseline rule.
    let reach = PdfPageTextObject::new(document, "Hg|", font, PdfPoints::new(1.0)).map_err(pdf_error)?.bounds().map_err(pdf_error)?;
    let (bottom, top) = (reach.bottom().value, reach.top().value);
    let glyph_height = (top - bottom).max(1e-3);
    let mut added = 0;
    for line in page.lines.iter().filter(|l| l.source == LineSource::Ocr) {
        let words: Vec<_> = blocks::words(line).into_iter().filter(|w| !w.text.trim().is_empty()).collect();
        for (k, word) in words.iter().enumerate() {
            // The word's corners: tl, tr, br, bl in the line's reading direction.
            let [tl, _tr, br, bl] = word.polygon.map(|p| place.map(p));
            let base = [br[0] - bl[0], br[1] - bl[1]];
            let up = [tl[0] - bl[0], tl[1] - bl[1]];
            let length = (base[0] * base[0] + base[1] * base[1]).sqrt();
            let height = (up[0] * up[0] + up[1] * up[1]).sqrt();
            if length < 0.5 || height < 0.5 {
                continue;
            }
            let mut object = PdfPageTextObject::new(document, &word.text, font, PdfPoints::new(1.0)).map_err(pdf_error)?;
            object.set_render_mode(PdfPageTextRenderMode::Invisible).map_err(pdf_error)?;
            // The word's extent across at size 1.
            let natural = object.bounds().map_err(pdf_error)?;
            let (left, width) = (natural.left().value, natural.width().value.max(1e-3));
            // A space after every word but a line's last, so that viewers read words apart; it falls in the
            // gap before the next word.
            if k + 1 < words.len() {
                object.set_text(format!("{} ", word.text)).map_err(pdf_error)?;
            }
            // Baseline along the box's bottom edge (raised by the descent), stretched to the box's length; from
            // descent to ascent the box's height.
            let (ux, uy) = (up[0] / height, up[1] / height);
            let rise = height / glyph_height;
            let (ox, oy) = (bl[0] - ux * bottom * rise - base[0] * left / width, bl[1] - uy * bottom * rise - base[1] * left / width);
            let matrix = PdfMatrix::new(base[0] / width, base[1] / width, ux * rise, uy * rise, ox, oy);
            object.apply_matrix(matrix).map_err(pdf_error)?;
            pdf_page.objects_mut().add_text_object(object).map_err(pdf_error)?;
            added += 1;
        }
    }
    Ok(added)
}

fn rotate_degrees(rotation: PdfPageRenderRotation) -> u16 {
    match rotation {
        PdfPageRenderRotation::Degrees90 => 90,
        PdfPageRenderRotation::Degrees180 => 180,
        PdfPageRenderRotation::Degrees270 => 270,
        PdfPageRenderRotation::None => 0,
    }
}

/// What the export wrote.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct PdfReport {
    pub pages: usize,
    /// Pages that received an invisible text layer.
    pub pages_with_ocr_text: usize,
    pub words: usize,
}

/// Writes the searchable PDF of `document` to `path`. The original must still be where the store last saw
/// it (a PDF, or the folder of page images).
pub fn write(store: &Store, document: &DocumentRecord, path: &Path) -> Result<PdfReport> {
    let pdfium = crate::native::pdfium()?;
    let source = document.last_path();
    let mut report = PdfReport::default();
    let missing = || Error::Export { detail: format!("the original of {} is not at {source} any more; open it again where it is now", document.name) };
    if !Path::new(source).exists() {
        return Err(missing());
    }
    if document.kind == "pdf" {
        let mut pdf = pdfium.load_pdf_from_file(source, None).map_err(pdf_error)?;
        let font = pdf.fonts_mut().helvetica();
        report.pages = pdf.pages().len() as usize;
        super::pages(store, document, |page| {
            if !page.lines.iter().any(|l| l.source == LineSource::Ocr) || page.page == 0 || page.page > report.pages {
                return Ok(());
            }
            let mut pdf_page = pdf.pages().get((page.page - 1) as PdfPageIndex).map_err(pdf_error)?;
            // One regeneration of the page's content after all its words, not one per word.
            pdf_page.set_content_regeneration_strategy(PdfPageContentRegenerationStrategy::Manual);
            let rotate = rotate_degrees(pdf_page.rotation().unwrap_or(PdfPageRenderRotation::None));
            let (dw, dh) = (pdf_page.width().value, pdf_page.height().value);
            let user = if rotate % 180 == 90 { (dh, dw) } else { (dw, dh) };
            let dpi = if page.dpi > 0.0 { page.dpi } else { 72.0 };
            let rendered = if page.width > 0 { (page.width as f32, page.height as f32) } else { (dw * dpi / 72.0, dh * dpi / 72.0) };
            let place = Placement { turn: page.rotation, rendered, scale: dw / rendered.0, rotate, user };
            let added = add_words(&pdf, &mut pdf_page, font, &page, &place)?;
            if added > 0 {
                pdf_page.regenerate_content().map_err(pdf_error)?;
                report.pages_with_ocr_text += 1;
                report.words += added;
            }
            Ok(())
        })?;
        pdf.save_to_file(path).map_err(pdf_error)?;
        return Ok(report);
    }
    // Page images: one PDF page per image, the image filling it, at the DPI the job ran at.
    let opened = crate::document::source::open_path(Path::new(source), &Default::default());
    let images = opened.documents.into_iter().next().ok_or_else(missing)?;
    let mut pdf = pdfium.create_new_pdf().map_err(pdf_error)?;
    let font = pdf.fonts_mut().helvetica();
    for number in 1..=images.page_count() {
        // One page's results and one image in memory at a time.
        let stored = store.page(&document.hash, number)?.map(|result| Page::of(&result));
        let file = images.page_files.get(number - 1).ok_or_else(missing)?;
        let image = image::open(file).map_err(|e| Error::Export { detail: format!("{}: {e}", file.display()) })?;
        let dpi = stored.as_ref().map(|p| p.dpi).filter(|d| *d > 0.0).unwrap_or(72.0);
        let (w, h) = (image.width() as f32 * 72.0 / dpi, image.height() as f32 * 72.0 / dpi);
        let mut pdf_page = pdf.pages_mut().create_page_at_end(PdfPagePaperSize::Custom(PdfPoints::new(w), PdfPoints::new(h))).map_err(pdf_error)?;
        pdf_page.set_content_regeneration_strategy(PdfPageContentRegenerationStrategy::Manual);
        let object = PdfPageImageObject::new_with_size(&pdf, &image, PdfPoints::new(w), PdfPoints::new(h)).map_err(pdf_error)?;
        pdf_page.objects_mut().add_image_object(object).map_err(pdf_error)?;
        report.pages += 1;
        if let Some(page) = &stored {
            let place = Placement { turn: page.rotation, rendered: (image.width() as f32, image.height() as f32), scale: 72.0 / dpi, rotate: 0, user: (w, h) };
            let added = add_words(&pdf, &mut pdf_page, font, page, &place)?;
            if added > 0 {
                report.pages_with_ocr_text += 1;
                report.words += added;
            }
        }
        pdf_page.regenerate_content().map_err(pdf_error)?;
    }
    pdf.save_to_file(path).map_err(pdf_error)?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placement_undoes_the_turn_and_the_page_rotation() {
        // A 100 × 50 pt page rendered at 144 dpi: 200 × 100 px.
        let flat = Placement { turn: 0, rendered: (200.0, 100.0), scale: 0.5, rotate: 0, user: (100.0, 50.0) };
        assert_eq!(flat.map([0.0, 0.0]), [0.0, 50.0]);
        assert_eq!(flat.map([200.0, 100.0]), [100.0, 0.0]);
        // Turned 90° counter-clockwise to be upright: the upright image is 100 × 200.
        let turned = Placement { turn: 90, ..flat };
        // The upright top-left corner was the rendered top-right.
        assert_eq!(turned.map([0.0, 0.0]), [100.0, 50.0]);
        // /Rotate 90: displayed 100 × 50 pt is a 50 × 100 pt page in user space; the displayed top-left
        // is the user origin.
        let rotated = Placement { turn: 0, rendered: (200.0, 100.0), scale: 0.5, rotate: 90, user: (50.0, 100.0) };
        assert_eq!(rotated.map([0.0, 0.0]), [0.0, 0.0]);
        assert_eq!(rotated.map([200.0, 0.0]), [0.0, 100.0]);
    }
}
