//! Rendering: one page into an RGB [`PageImage`], at a DPI or a pixel width, never above a pixel cap.
//!
//! pdfium is not re-entrant and keeps per-document caches (fonts, decoded images, parsed page content) that
//! grow with every page rendered and are freed only when the document is closed. So one thread owns every
//! open pdfium document, and a [`RecyclePolicy`] closes and reopens a document after N pages or M MB of
//! growth, then hands the freed heap back to the OS. A long PDF opens as windows of its pages
//! ([`crate::document::page_tree`]): pdfium walks the page tree from its start to find a page and keeps what it
//! parsed, so the whole document would hold more with every page of a first pass. Images decode on the calling
//! thread, within limits.

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, Sender, SyncSender};
use std::sync::Arc;

use image::{ImageReader, Limits, RgbImage};
use pdfium_render::prelude::{PdfBitmapFormat, PdfDocument, PdfRenderConfig};
use serde::Serialize;

use crate::memory::{current_rss_bytes, mb2, peak_rss_bytes, recv_idle, release_free_memory, MemoryGauges};
use crate::document::page_tree::{PageTree, PageTreeError};
use crate::document::source::{self, Document, DocumentKind};
use crate::text::{TextLayer, TextLayerMode};
use crate::{native, Error, Result};

/// How big a rendered page should be.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RenderSize {
    /// Dots per inch for PDF pages. Images have no physical size here: they render at their own pixel size.
    Dpi(f32),
    /// Exact output width in pixels; the height follows the page's aspect ratio.
    Width(u32),
}

#[derive(Debug, Clone, Copy)]
pub struct RenderOptions {
    /// Largest output (width × height). A page that would be bigger is scaled down to fit, so a hostile page
    /// size cannot exhaust memory. 40 MP is an A0 poster at 150 dpi.
    pub max_pixels: u64,
    /// Largest image file Folio will decode, checked against its header before decoding.
    pub max_image_pixels: u64,
}

impl Default for RenderOptions {
    fn default() -> Self {
        RenderOptions { max_pixels: 40_000_000, max_image_pixels: source::OpenOptions::default().max_image_pixels }
    }
}

/// A rendered page: tightly packed RGB, row-major.
#[derive(Debug, Clone)]
pub struct PageImage {
    pub width: u32,
    pub height: u32,
    pub rgb: Vec<u8>,
    /// True when the pixel cap made the page smaller than asked.
    pub capped: bool,
    /// The page's own text layer in this image's pixels, when it was asked for (PDF pages only).
    pub text_layer: Option<TextLayer>,
}

impl PageImage {
    pub fn into_rgb_image(self) -> RgbImage {
        self.split().0
    }

    /// The image, and the text layer read with it.
    pub fn split(self) -> (RgbImage, Option<TextLayer>) {
        let image = RgbImage::from_raw(self.width, self.height, self.rgb).expect("PageImage holds width × height × 3 bytes");
        (image, self.text_layer)
    }

    pub fn bytes(&self) -> usize {
        self.rgb.len()
    }
}

/// When to close and reopen a PDF so pdfium's per-document caches cannot grow without bound.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct RecyclePolicy {
    /// Reopen after this many rendered pages (0: never by count).
    pub every_pages: u32,
    /// Reopen once the document's estimated cache growth passes this many MB (0: never by size).
    pub every_mb: u64,
    /// After every page and after closing a document, give the C heap's free pages back to the system now.
    /// With glibc's heap, what a page's rendering freed in the middle of a heap stayed resident until trimmed
    /// (RSS 22-28 MB above the bytes in use on a second pass over a 1,611-page PDF, trimming only at each
    /// reopen); jemalloc gives pages back as they are freed, and the call costs nothing measurable.
    pub trim: bool,
    /// Most PDFs kept open at once; the least recently used is closed first.
    pub max_open: usize,
    /// A PDF longer than this opens as windows of this many pages (0: always whole). pdfium then walks
    /// and keeps at most a window's page dictionaries, wherever the page is in the document.
    pub window_pages: u32,
}

impl Default for RecyclePolicy {
    fn default() -> Self {
        RecyclePolicy { every_pages: 50, every_mb: 64, trim: true, max_open: 4, window_pages: 64 }
    }
}

impl RecyclePolicy {
    /// Never recycle: pdfium's caches live as long as the document is open.
    pub fn never() -> Self {
        RecyclePolicy { every_pages: 0, every_mb: 0, trim: false, max_open: usize::MAX, window_pages: 0 }
    }
}

/// Counters the renderer keeps about pdfium.
#[derive(Debug, Default)]
struct RenderCounters {
    recycles: AtomicU64,
    opens: AtomicU64,
    /// Opens of a window of a document's pages rather than the whole document.
    window_opens: AtomicU64,
    pdf_pages: AtomicU64,
    /// A tighter size bound (MB) set while memory is short (0: the policy's own).
    tight_mb: AtomicU64,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct RenderStats {
    pub pdf_pages: u64,
    pub opens: u64,
    /// Of `opens`, those of a window of a long document's pages.
    pub window_opens: u64,
    pub recycles: u64,
    pub pdfium_bytes: u64,
}

/// Which text layer to read with a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextLayerRead {
    None,
    /// Every character.
    All,
    /// Leaving out text drawn invisibly.
    Visible,
}

impl TextLayerRead {
    /// What a job's pages need read: nothing under `ocr` (or when `wants_text` is false, no text stage),
    /// the visible text under `redo`, all of it otherwise.
    pub fn for_mode(mode: TextLayerMode, wants_text: bool) -> Self {
        match mode {
            _ if !wants_text => TextLayerRead::None,
            TextLayerMode::Ocr => TextLayerRead::None,
            TextLayerMode::Redo => TextLayerRead::Visible,
            TextLayerMode::Auto | TextLayerMode::Text => TextLayerRead::All,
        }
    }
}

/// What the pdfium thread is asked to do.
enum Message {
    Render(Request),
    /// Close every open document, then answer.
    CloseAll(SyncSender<()>),
}

struct Request {
    path: PathBuf,
    page: usize,
    /// Pages in the document, as pdfium counted them when it was opened.
    page_count: usize,
    size: RenderSize,
    text: TextLayerRead,
    reply: SyncSender<Result<PageImage>>,
}

/// Renders pages of any open document. PDFs go to the one pdfium thread; images decode on the caller.
pub struct Renderer {
    requests: Sender<Message>,
    options: RenderOptions,
    policy: RecyclePolicy,
    counters: Arc<RenderCounters>,
    gauges: Arc<MemoryGauges>,
}

impl Renderer {
    pub fn start(options: RenderOptions, policy: RecyclePolicy, gauges: Arc<MemoryGauges>) -> Self {
        let (requests, inbox) = mpsc::channel();
        let counters = Arc::new(RenderCounters::default());
        let worker = PdfWorker { policy, options, open: Vec::new(), lists: Vec::new(), served: 0, counters: Arc::clone(&counters), gauges: Arc::clone(&gauges) };
        std::thread::Builder::new()
            .name("folio-pdfium".into())
            .spawn(move || worker.run(inbox))
            .expect("spawn the pdfium thread");
        Renderer { requests, options, policy, counters, gauges }
    }

    /// How pdfium's documents are recycled.
    pub fn policy(&self) -> RecyclePolicy {
        self.policy
    }

    /// Renders page `page` (0-based) of `document`.
    pub fn render(&self, document: &Document, page: usize, size: RenderSize) -> Result<PageImage> {
        self.render_with_text(document, page, size, TextLayerRead::None)
    }

    /// Renders page `page` (0-based) of `document` and, for a PDF page, reads its text layer with it.
    pub fn render_with_text(&self, document: &Document, page: usize, size: RenderSize, text: TextLayerRead) -> Result<PageImage> {
        document.check_page(page)?;
        match document.kind {
            DocumentKind::Pdf => {
                let (reply, answer) = mpsc::sync_channel(1);
                let request = Request { path: document.path.clone(), page, page_count: document.page_count(), size, text, reply };
                self.requests.send(Message::Render(request)).map_err(|_| Error::RendererStopped)?;
                answer.recv().map_err(|_| Error::RendererStopped)?
            }
            DocumentKind::Image | DocumentKind::ImageFolder => {
                render_image(&document.page_files[page], size, &self.options)
            }
        }
    }

    /// Closes every open PDF (pdfium's caches go with them; page lists are kept), returning when done.
    pub fn close_documents(&self) {
        let (reply, done) = mpsc::sync_channel(1);
        if self.requests.send(Message::CloseAll(reply)).is_ok() {
            let _ = done.recv();
        }
    }

    /// Reopens documents once their caches pass `mb` instead of the policy's bound (`None`: the policy's
    /// own again). The memory budget tightens it.
    pub fn set_tight_recycle_mb(&self, mb: Option<u64>) {
        self.counters.tight_mb.store(mb.unwrap_or(0), Ordering::Relaxed);
    }

    pub fn stats(&self) -> RenderStats {
        RenderStats {
            pdf_pages: self.counters.pdf_pages.load(Ordering::Relaxed),
            opens: self.counters.opens.load(Ordering::Relaxed),
            window_opens: self.counters.window_opens.load(Ordering::Relaxed),
            recycles: self.counters.recycles.load(Ordering::Relaxed),
            pdfium_bytes: self.gauges.pdfium_bytes.load(Ordering::Relaxed),
        }
    }
}

/// Output size for a page of `width_pt` × `height_pt` points, and whether the cap shrank it.
pub fn target_pixels(width_pt: f32, height_pt: f32, size: RenderSize, max_pixels: u64) -> (u32, u32, bool) {
    let scale = match size {
        RenderSize::Dpi(dpi) => dpi / 72.0,
        RenderSize::Width(w) => w as f32 / width_pt.max(1.0),
    };
    let (mut w, mut h) = ((width_pt * scale).round().max(1.0) as f64, (height_pt * scale).round().max(1.0) as f64);
    let capped = w * h > max_pixels as f64;
    if capped {
        let shrink = (max_pixels as f64 / (w * h)).sqrt();
        w = (w * shrink).floor().max(1.0);
        h = (h * shrink).floor().max(1.0);
    }
    (w as u32, h as u32, capped)
}

struct OpenPdf {
    path: PathBuf,
    document: PdfDocument<'static>,
    /// The document's pages this handle holds, from its first: all of them (`None`), or a window.
    window: Option<(usize, usize)>,
    /// The request it last served (the worker counts them).
    last_used: u64,
    pages_rendered: u32,
    /// Heap growth seen inside pdfium calls on this document, less the pages handed out.
    growth_bytes: i64,
}

/// Documents whose page lists the worker keeps (8 bytes a page), most recently used kept.
const KEPT_PAGE_LISTS: usize = 16;
/// A second handle on the same document (another window of it) is closed once it has served none of this
/// many requests: a viewer and a job taking turns in different parts of one document each keep theirs,
/// while a job moving on through a document closes its last window with its second page in the next.
const IDLE_REQUESTS: u64 = 1;

/// What is known of where a document's pages are; kept across reopens and windows of the document.
enum PageList {
    /// Not read yet: a short document, or only its first window asked for.
    Unknown,
    Listed(PageTree),
    /// Could not be listed (encrypted, unusual or damaged structure): the document opens whole.
    Unavailable,
}

impl OpenPdf {
    /// Whether this handle should render `page` (0-based in the document) without another open: a window
    /// holds its pages; the whole document holds every page where it cannot be listed, else its first
    /// window's.
    fn holds(&self, page: usize, window_pages: usize, listable: bool) -> bool {
        match self.window {
            Some((first, count)) => (first..first + count).contains(&page),
            None => !listable || window_pages == 0 || page < window_pages,
        }
    }
}

impl PageList {
    fn bytes(&self) -> usize {
        match self {
            PageList::Listed(tree) => tree.bytes(),
            _ => 0,
        }
    }
}

struct PdfWorker {
    policy: RecyclePolicy,
    options: RenderOptions,
    /// Most recently used last.
    open: Vec<OpenPdf>,
    /// Page lists by document, most recently used last; at most [`KEPT_PAGE_LISTS`].
    lists: Vec<(PathBuf, PageList)>,
    /// Requests served so far.
    served: u64,
    counters: Arc<RenderCounters>,
    gauges: Arc<MemoryGauges>,
}

impl PdfWorker {
    fn run(mut self, inbox: Receiver<Message>) {
        while let Ok(message) = recv_idle(&inbox) {
            match message {
                Message::Render(request) => {
                    let result = self.render(&request.path, request.page, request.page_count, request.size, request.text);
                    let _ = request.reply.send(result);
                }
                Message::CloseAll(reply) => {
                    if !self.open.is_empty() {
                        self.open.clear();
                        self.after_close();
                    }
                    let _ = reply.send(());
                }
            }
        }
    }

    fn render(&mut self, path: &Path, page: usize, page_count: usize, size: RenderSize, text: TextLayerRead) -> Result<PageImage> {
        let slot = self.document(path, page, page_count)?;
        let open = &mut self.open[slot];
        let local = page - open.window.map_or(0, |(first, _)| first);
        // pdfium runs on this thread only: what this thread kept across the call, less the page we hand out,
        // is what pdfium cached.
        let balance_before = native::thread_heap_balance();
        let image = render_pdf_page(&open.document, path, page, local, size, self.options.max_pixels, text)?;
        let handed_out = native::vec_block_bytes(&image.rgb) + image.text_layer.as_ref().map_or(0, TextLayer::bytes);
        let growth = native::thread_heap_balance() - balance_before - handed_out as i64;
        open.growth_bytes = (open.growth_bytes + growth).max(0);
        open.pages_rendered += 1;
        self.counters.pdf_pages.fetch_add(1, Ordering::Relaxed);
        if self.policy.trim {
            release_free_memory();
        }
        self.publish();
        Ok(image)
    }

    /// Index of the open handle for `path` that holds `page`, opening (or reopening, per the policy, or for
    /// another window) as needed.
    fn document(&mut self, path: &Path, page: usize, page_count: usize) -> Result<usize> {
        self.served += 1;
        let window_pages = self.policy.window_pages as usize;
        let listable = !matches!(self.list_of(path), Some(PageList::Unavailable));
        let mut found = None;
        if let Some(i) = self.open.iter().position(|o| o.path == path && o.holds(page, window_pages, listable)) {
            let open = self.open.remove(i);
            let by_pages = self.policy.every_pages > 0 && open.pages_rendered >= self.policy.every_pages;
            let tight = self.counters.tight_mb.load(Ordering::Relaxed);
            let limit_mb = if tight > 0 { tight } else { self.policy.every_mb };
            let by_size = limit_mb > 0 && open.growth_bytes as u64 >= limit_mb << 20;
            if by_pages || by_size {
                drop(open);
                self.counters.recycles.fetch_add(1, Ordering::Relaxed);
                self.after_close();
            } else {
                found = Some(open);
            }
        }
        let mut open = match found {
            Some(open) => open,
            None => {
                while self.open.len() >= self.policy.max_open.max(1) {
                    drop(self.open.remove(0));
                    self.after_close();
                }
                let mut pages = self.take_list(path);
                let opened = self.open_pages(path, page, page_count, &mut pages);
                self.keep_list(path, pages);
                let (document, window) = opened?;
                self.counters.opens.fetch_add(1, Ordering::Relaxed);
                if window.is_some() {
                    self.counters.window_opens.fetch_add(1, Ordering::Relaxed);
                }
                OpenPdf { path: path.to_path_buf(), document, window, last_used: 0, pages_rendered: 0, growth_bytes: 0 }
            }
        };
        open.last_used = self.served;
        let served = self.served;
        let before = self.open.len();
        self.open.retain(|o| o.path != path || o.last_used + IDLE_REQUESTS >= served);
        if self.open.len() < before {
            self.after_close();
        }
        self.open.push(open);
        Ok(self.open.len() - 1)
    }

    fn list_of(&self, path: &Path) -> Option<&PageList> {
        self.lists.iter().find(|(p, _)| p == path).map(|(_, list)| list)
    }

    fn take_list(&mut self, path: &Path) -> PageList {
        match self.lists.iter().position(|(p, _)| p == path) {
            Some(i) => self.lists.remove(i).1,
            None => PageList::Unknown,
        }
    }

    fn keep_list(&mut self, path: &Path, list: PageList) {
        if self.lists.len() >= KEPT_PAGE_LISTS {
            self.lists.remove(0);
        }
        self.lists.push((path.to_path_buf(), list));
    }

    /// Opens the window of a long document that holds `page` where its pages can be listed, else the whole
    /// document.
    fn open_pages(
        &self,
        path: &Path,
        page: usize,
        page_count: usize,
        pages: &mut PageList,
    ) -> Result<(PdfDocument<'static>, Option<(usize, usize)>)> {
        let pdfium = native::pdfium()?;
        let window_pages = self.policy.window_pages as usize;
        if window_pages > 0 && page_count > window_pages {
            if matches!(pages, PageList::Unknown) && page >= window_pages {
                *pages = match PageTree::read(path) {
                    Ok(tree) if tree.len() == page_count => PageList::Listed(tree),
                    Ok(tree) => {
                        tracing::debug!(path = %path.display(), listed = tree.len(), page_count, "page tree disagrees with pdfium's count; opening whole");
                        PageList::Unavailable
                    }
                    Err(e) => {
                        tracing::debug!(path = %path.display(), error = %e, "pages not listed; opening whole");
                        PageList::Unavailable
                    }
                };
            }
            if let PageList::Listed(tree) = pages {
                let first = page / window_pages * window_pages;
                let count = window_pages.min(page_count - first);
                match tree.window(first, count) {
                    Ok(file) => match pdfium.load_pdf_from_reader(file, None) {
                        Ok(document) if document.pages().len() as usize == count => {
                            return Ok((document, Some((first, count))));
                        }
                        opened => {
                            let opened = opened.map(|d| d.pages().len()).map_err(|e| e.to_string());
                            tracing::debug!(path = %path.display(), first, count, ?opened, "pdfium did not take the window; opening whole");
                            *pages = PageList::Unavailable;
                        }
                    },
                    Err(PageTreeError::Changed) => *pages = PageList::Unknown,
                    Err(e) => {
                        tracing::debug!(path = %path.display(), error = %e, "window not opened; opening whole");
                        *pages = PageList::Unavailable;
                    }
                }
            }
        }
        let document = pdfium.load_pdf_from_file(path, None).map_err(|e| source::pdf_error(path, e))?;
        Ok((document, None))
    }

    fn after_close(&self) {
        if self.policy.trim {
            release_free_memory();
        }
        self.publish();
    }

    fn publish(&self) {
        let lists: usize = self.lists.iter().map(|(_, list)| list.bytes()).sum();
        let total: i64 = self.open.iter().map(|o| o.growth_bytes).sum::<i64>() + lists as i64;
        self.gauges.pdfium_bytes.store(total.max(0) as u64, Ordering::Relaxed);
    }
}

/// Renders page `local` of `document`, which is page `page` of the file at `path` (for messages).
fn render_pdf_page(
    document: &PdfDocument<'static>,
    path: &Path,
    page: usize,
    local: usize,
    size: RenderSize,
    max_pixels: u64,
    text: TextLayerRead,
) -> Result<PageImage> {
    let render_error = |detail: String| Error::Render { path: path.to_path_buf(), page: page + 1, detail };
    let pdf_page = document.pages().get(local as u16 as _).map_err(|e| render_error(e.to_string()))?;
    let (width_pt, height_pt) = (pdf_page.width().value, pdf_page.height().value);
    let (width, height, capped) = target_pixels(width_pt, height_pt, size, max_pixels);
    let config = PdfRenderConfig::new()
        .set_target_width(width as i32)
        .set_target_height(height as i32)
        .set_format(PdfBitmapFormat::BGRx)
        .set_reverse_byte_order(true)
        .render_form_data(true);
    let bitmap = pdf_page.render_with_config(&config).map_err(|e| render_error(e.to_string()))?;
    let (out_w, out_h) = (bitmap.width() as usize, bitmap.height() as usize);
    let raw = bitmap.as_raw_bytes();
    drop(bitmap);
    let stride = raw.len() / out_h.max(1);
    let mut rgb = Vec::with_capacity(out_w * out_h * 3);
    for row in raw.chunks_exact(stride).take(out_h) {
        for px in row[..out_w * 4].chunks_exact(4) {
            rgb.extend_from_slice(&px[..3]);
        }
    }
    let text_layer = match text {
        TextLayerRead::None => None,
        read => Some(crate::text::layer::extract(&pdf_page, out_w as u32, out_h as u32, read == TextLayerRead::Visible)),
    };
    Ok(PageImage { width: out_w as u32, height: out_h as u32, rgb, capped, text_layer })
}

fn render_image(path: &Path, size: RenderSize, options: &RenderOptions) -> Result<PageImage> {
    let corrupt = |detail: String| Error::CorruptImage { path: path.to_path_buf(), detail };
    let file = File::open(path).map_err(|source| Error::Unreadable { path: path.to_path_buf(), source })?;
    let mut reader = ImageReader::new(BufReader::new(file)).with_guessed_format().map_err(|e| corrupt(e.to_string()))?;
    let format = reader
        .format()
        .ok_or_else(|| Error::Unsupported { path: path.to_path_buf(), detail: "unknown image format".into() })?;
    let (w, h) = source::image_dimensions(path, format)?;
    source::check_image_pixels(path, w, h, options.max_image_pixels)?;
    let mut limits = Limits::default();
    limits.max_alloc = Some(options.max_image_pixels.saturating_mul(4));
    reader.limits(limits);
    let decoded = reader.decode().map_err(|e| match e {
        image::ImageError::Limits(_) => {
            Error::ImageTooLarge { path: path.to_path_buf(), width: w, height: h, limit_pixels: options.max_image_pixels }
        }
        other => corrupt(other.to_string()),
    })?;
    let rgb = decoded.into_rgb8();
    let (width_pt, height_pt) = (rgb.width() as f32 * source::IMAGE_POINTS_PER_PIXEL, rgb.height() as f32 * source::IMAGE_POINTS_PER_PIXEL);
    let size = match size {
        RenderSize::Dpi(_) => RenderSize::Width(rgb.width()),
        width => width,
    };
    let (tw, th, capped) = target_pixels(width_pt, height_pt, size, options.max_pixels);
    let out = if (tw, th) == rgb.dimensions() {
        rgb
    } else if tw < rgb.width() {
        image::imageops::thumbnail(&rgb, tw, th)
    } else {
        image::imageops::resize(&rgb, tw, th, image::imageops::FilterType::Triangle)
    };
    Ok(PageImage { width: out.width(), height: out.height(), rgb: out.into_raw(), capped, text_layer: None })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dpi_sets_size_and_cap_preserves_aspect() {
        assert_eq!(target_pixels(612.0, 792.0, RenderSize::Dpi(72.0), 40_000_000), (612, 792, false));
        assert_eq!(target_pixels(612.0, 792.0, RenderSize::Dpi(150.0), 40_000_000), (1275, 1650, false));
        assert_eq!(target_pixels(612.0, 792.0, RenderSize::Width(160), 40_000_000), (160, 207, false));
        // A 200 × 200 inch page at 300 dpi would be 3.6 GP; the cap brings it to at most 40 MP.
        let (w, h, capped) = target_pixels(14_400.0, 14_400.0, RenderSize::Dpi(300.0), 40_000_000);
        assert!(capped);
        assert!((w as u64) * (h as u64) <= 40_000_000);
        assert_eq!(w, h);
    }
}

/// What rendering a range of pages one after another cost (`folio render`).
#[derive(Debug, Clone, Serialize)]
pub struct RenderRun {
    pub path: PathBuf,
    pub pages: usize,
    pub dpi: f32,
    pub elapsed_s: f64,
    pub pages_per_s: f64,
    pub rss_first_mb: f64,
    pub rss_peak_mb: f64,
    pub rss_end_mb: f64,
    pub process_peak_rss_mb: f64,
    /// Pages larger than the pixel cap, rendered smaller.
    pub capped_pages: usize,
    pub recycle: RecyclePolicy,
    pub pdfium: RenderStats,
}

impl Renderer {
    /// Renders `pages` of `document` at `dpi` one after another, handing each image to `each` with the RSS
    /// after it, and reports the time and memory it took.
    pub fn measure(
        &self,
        document: &Document,
        pages: std::ops::Range<usize>,
        dpi: f32,
        mut each: impl FnMut(usize, PageImage, u64) -> Result<()>,
    ) -> Result<RenderRun> {
        let started = std::time::Instant::now();
        let (mut rss_first, mut rss_peak, mut capped) = (0u64, 0u64, 0usize);
        let count = pages.len();
        for (i, page) in pages.enumerate() {
            let image = self.render(document, page, RenderSize::Dpi(dpi))?;
            capped += image.capped as usize;
            let rss = current_rss_bytes();
            if i == 0 {
                rss_first = rss;
            }
            rss_peak = rss_peak.max(rss);
            each(page, image, rss)?;
        }
        let elapsed = started.elapsed().as_secs_f64();
        Ok(RenderRun {
            path: document.path.clone(),
            pages: count,
            dpi,
            elapsed_s: (elapsed * 1000.0).round() / 1000.0,
            pages_per_s: (count as f64 / elapsed.max(1e-9) * 100.0).round() / 100.0,
            rss_first_mb: mb2(rss_first),
            rss_peak_mb: mb2(rss_peak),
            rss_end_mb: mb2(current_rss_bytes()),
            process_peak_rss_mb: mb2(peak_rss_bytes()),
            capped_pages: capped,
            recycle: self.policy(),
            pdfium: self.stats(),
        })
    }
}
