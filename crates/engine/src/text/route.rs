//! Where a page's text comes from: its own text layer (`text`), OCR (`ocr`), or the text layer plus OCR over
//! the images that carry text the layer lacks (`mixed`) — decided per page from the layer's figures, with
//! the reason kept beside the route, and overridden by the job's [`TextLayerMode`].

use serde::{Deserialize, Serialize};

use super::layer::{area, TextLayer};
use crate::stages::BBox;

/// What the user asked for (`--text-layer`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TextLayerMode {
    /// Decide per page.
    #[default]
    Auto,
    /// Never OCR: use the text layer, or have no text.
    Text,
    /// OCR every page, whatever text layer it has.
    Ocr,
    /// Like `auto`, but text drawn invisibly (another tool's OCR layer) is ignored, so those pages are OCR'd again.
    Redo,
}

impl TextLayerMode {
    pub const ALL: [TextLayerMode; 4] = [TextLayerMode::Auto, TextLayerMode::Text, TextLayerMode::Ocr, TextLayerMode::Redo];

    pub fn name(self) -> &'static str {
        match self {
            TextLayerMode::Auto => "auto",
            TextLayerMode::Text => "text",
            TextLayerMode::Ocr => "ocr",
            TextLayerMode::Redo => "redo",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.name() == name.trim())
    }

    /// Whether pages need their text layer read at all.
    pub fn reads_layer(self) -> bool {
        self != TextLayerMode::Ocr
    }
}

/// Where a page's text came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Route {
    Text,
    Ocr,
    Mixed,
}

impl Route {
    pub const ALL: [Route; 3] = [Route::Text, Route::Ocr, Route::Mixed];

    pub fn name(self) -> &'static str {
        match self {
            Route::Text => "text",
            Route::Ocr => "ocr",
            Route::Mixed => "mixed",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.name() == name)
    }
}

/// Pages per route.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteCounts {
    pub text: u64,
    pub ocr: u64,
    pub mixed: u64,
}

impl RouteCounts {
    pub fn count(&mut self, route: Route) {
        match route {
            Route::Text => self.text += 1,
            Route::Ocr => self.ocr += 1,
            Route::Mixed => self.mixed += 1,
        }
    }

    pub fn add(&mut self, other: &RouteCounts) {
        self.text += other.text;
        self.ocr += other.ocr;
        self.mixed += other.mixed;
    }
}

/// The thresholds routing decides by.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RouteParams {
    /// Fewer characters than this (not whitespace) is no text layer. One stray character — a page number
    /// stamped on a scan, a watermark letter — is not a page's text; a born-digital page's shortest
    /// content (a chapter title alone) has more.
    pub min_chars: usize,
    /// Over this share of unmapped, replacement, private-use or control characters, the layer is garbage
    /// and the page goes to OCR. Born-digital text has none; a font without a Unicode map gives nearly all.
    pub max_bad_share: f64,
    /// Over this share of invisible characters, the layer is another tool's OCR layer: used as it is under
    /// `auto`, left out under `redo`.
    pub ocr_layer_share: f64,
    /// Images smaller than this share of the page (logos, icons, bullets) are never OCR'd on their own.
    pub min_image_share: f64,
    /// An image with fewer text-layer characters over it than this many per 10,000 square pixels at
    /// 72 dpi (about 1.9 square inches) carries no text of the layer's: it is OCR'd on a mixed page. A
    /// paragraph of 10-point text runs about 170 characters over that area; a figure with a few labels
    /// set over it, a handful.
    pub min_chars_per_image_area: f64,
}

impl Default for RouteParams {
    fn default() -> Self {
        RouteParams { min_chars: 3, max_bad_share: 0.1, ocr_layer_share: 0.5, min_image_share: 0.02, min_chars_per_image_area: 30.0 }
    }
}

/// A page's route, why, and where OCR should look on a mixed page.
#[derive(Debug, Clone, PartialEq)]
pub struct RouteDecision {
    pub route: Route,
    pub reason: String,
    /// On a mixed page: the images to OCR, in page pixels.
    pub ocr_regions: Vec<BBox>,
}

fn decision(route: Route, reason: impl Into<String>) -> RouteDecision {
    RouteDecision { route, reason: reason.into(), ocr_regions: Vec::new() }
}

fn percent(share: f64) -> String {
    format!("{:.0}%", share * 100.0)
}

/// Decides a page's route. `layer` is `None` for a page with no text layer to read (an image file) and
/// `dpi` the page's resolution.
pub fn decide(layer: Option<&TextLayer>, mode: TextLayerMode, dpi: f32, params: &RouteParams) -> RouteDecision {
    if mode == TextLayerMode::Ocr {
        return decision(Route::Ocr, "OCR asked for on every page (text layer: ocr)");
    }
    let Some(layer) = layer else {
        return match mode {
            TextLayerMode::Text => decision(Route::Text, "text layer only asked for, and an image has none: no text"),
            _ => decision(Route::Ocr, "an image: it has no text layer"),
        };
    };
    let ignored = if layer.invisible_ignored && layer.invisible_chars > 0 {
        format!(" ({} characters of an invisible OCR layer ignored: text layer redo)", layer.invisible_chars)
    } else {
        String::new()
    };
    let cover = layer.image_cover();
    if layer.chars < params.min_chars {
        return match mode {
            TextLayerMode::Text => decision(Route::Text, format!("text layer only asked for; the page has no text layer{ignored}")),
            _ if cover > 0.0 => decision(Route::Ocr, format!("no text layer; images cover {} of the page{ignored}", percent(cover))),
            _ => decision(Route::Ocr, format!("no text layer{ignored}")),
        };
    }
    let bad = layer.bad_chars as f64 / layer.chars as f64;
    if bad > params.max_bad_share && mode != TextLayerMode::Text {
        return decision(
            Route::Ocr,
            format!("the text layer is garbage: {} of its {} characters are unmapped, replacement or private-use", percent(bad), layer.chars),
        );
    }
    let invisible = layer.invisible_chars as f64 / layer.chars.max(1) as f64;
    let kind = if !layer.invisible_ignored && invisible > params.ocr_layer_share {
        "an invisible OCR layer from another tool, used as it is (text layer redo OCRs such pages again)".to_string()
    } else {
        format!("{} characters in the text layer", layer.chars)
    };
    if mode == TextLayerMode::Text {
        return decision(Route::Text, format!("text layer only asked for: {kind}"));
    }
    // Images big enough to matter with (nearly) none of the layer's text over them.
    let page_area = (layer.width as f64 * layer.height as f64).max(1.0);
    let per_unit = (72.0 / dpi.max(1.0) as f64).powi(2) / 10_000.0;
    let bare: Vec<BBox> = layer
        .images
        .iter()
        .filter(|i| area(&i.bbox) as f64 / page_area >= params.min_image_share)
        .filter(|i| (i.chars_inside as f64) < params.min_chars_per_image_area * area(&i.bbox) as f64 * per_unit)
        .map(|i| i.bbox)
        .collect();
    if bare.is_empty() {
        return decision(Route::Text, format!("{kind}{ignored}"));
    }
    let share = super::layer::cover(&bare, layer.width, layer.height);
    RouteDecision {
        route: Route::Mixed,
        reason: format!("{kind}, and {} image{} without text-layer text ({} of the page) for OCR", bare.len(), if bare.len() == 1 { "" } else { "s" }, percent(share)),
        ocr_regions: bare,
    }
}

#[cfg(test)]
mod tests {
    use super::super::layer::PageImageArea;
    use super::*;

    fn layer(chars: usize, bad: usize, invisible: usize, images: Vec<PageImageArea>) -> TextLayer {
        TextLayer { chars, bad_chars: bad, invisible_chars: invisible, images, width: 612, height: 792, ..TextLayer::default() }
    }

    #[test]
    fn each_mode_and_each_kind_of_page() {
        let p = RouteParams::default();
        let digital = layer(1800, 0, 0, vec![]);
        assert_eq!(decide(Some(&digital), TextLayerMode::Auto, 72.0, &p).route, Route::Text);
        assert_eq!(decide(Some(&digital), TextLayerMode::Ocr, 72.0, &p).route, Route::Ocr);
        assert_eq!(decide(None, TextLayerMode::Auto, 72.0, &p).route, Route::Ocr);
        let full_page_image = PageImageArea { bbox: [0.0, 0.0, 612.0, 792.0], chars_inside: 0 };
        let scan = layer(0, 0, 0, vec![full_page_image.clone()]);
        let d = decide(Some(&scan), TextLayerMode::Auto, 72.0, &p);
        assert_eq!(d.route, Route::Ocr);
        assert!(d.reason.contains("images cover 100%"), "{}", d.reason);
        assert_eq!(decide(Some(&scan), TextLayerMode::Text, 72.0, &p).route, Route::Text);
        let garbage = layer(900, 850, 0, vec![]);
        assert_eq!(decide(Some(&garbage), TextLayerMode::Auto, 72.0, &p).route, Route::Ocr);
        // A scan with another tool's invisible text over it: the text sits over the image.
        let covered = PageImageArea { chars_inside: 1500, ..full_page_image };
        let ocr_layer = layer(1500, 0, 1500, vec![covered]);
        let d = decide(Some(&ocr_layer), TextLayerMode::Auto, 72.0, &p);
        assert_eq!(d.route, Route::Text);
        assert!(d.reason.contains("invisible OCR layer"), "{}", d.reason);
    }

    #[test]
    fn a_bare_figure_on_a_text_page_is_mixed_and_a_logo_is_not() {
        let p = RouteParams::default();
        let figure = PageImageArea { bbox: [100.0, 400.0, 500.0, 700.0], chars_inside: 2 };
        let logo = PageImageArea { bbox: [10.0, 10.0, 40.0, 40.0], chars_inside: 0 };
        let page = layer(1200, 0, 0, vec![figure, logo]);
        let d = decide(Some(&page), TextLayerMode::Auto, 72.0, &p);
        assert_eq!(d.route, Route::Mixed);
        assert_eq!(d.ocr_regions, vec![[100.0, 400.0, 500.0, 700.0]]);
        // The same figure with a paragraph of the layer's text set over it is text.
        let texted = PageImageArea { bbox: [100.0, 400.0, 500.0, 700.0], chars_inside: 900 };
        assert_eq!(decide(Some(&layer(1200, 0, 0, vec![texted])), TextLayerMode::Auto, 72.0, &p).route, Route::Text);
    }
}
