//! Sources: turning a path the user dropped into documents, without rendering anything.
//!
//! PDFs open through pdfium; single images (PNG, JPEG, TIFF, WebP, BMP) through `image`; folders are walked
//! recursively in natural order ("page2" before "page10"), every image in them becoming a page of one
//! image-folder document and every PDF a document of its own. Files are recognised by their first bytes, not
//! their extension. Each file that cannot be opened becomes a [`Problem`] with a reason, and the rest opens.

use std::cmp::Ordering;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use image::{ImageFormat, ImageReader};
use pdfium_render::prelude::{PdfiumError, PdfiumInternalError};
use serde::Serialize;

use crate::{native, Error, Result};

/// A page's size in PDF points (1/72 inch). Image pages count one pixel as 0.75 pt, i.e. they are taken
/// to be 96 dpi, so that "100%" shows an image pixel for pixel.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PageSize {
    pub width_pt: f32,
    pub height_pt: f32,
}

pub const IMAGE_POINTS_PER_PIXEL: f32 = 72.0 / 96.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    Pdf,
    Image,
    ImageFolder,
}

/// An open document: where its pages come from and how big they are. Holds no pixels and no pdfium handle.
#[derive(Debug, Clone)]
pub struct Document {
    pub path: PathBuf,
    pub name: String,
    pub kind: DocumentKind,
    pub pages: Vec<PageSize>,
    /// For image documents, the file of each page; empty for PDFs.
    pub page_files: Vec<PathBuf>,
    /// The content hash, worked out the first time it is asked for.
    identity: std::sync::OnceLock<String>,
}

impl Document {
    pub fn page_count(&self) -> usize {
        self.pages.len()
    }

    /// What the document is known by: the BLAKE3 of its content ([`super::identity`]), read once.
    pub fn content_hash(&self) -> Result<String> {
        if let Some(hash) = self.identity.get() {
            return Ok(hash.clone());
        }
        let hash = super::identity::content_hash(self)?;
        Ok(self.identity.get_or_init(|| hash).clone())
    }

    /// Bytes on disk: the file's, or the sum of a folder's page files.
    pub fn size_bytes(&self) -> u64 {
        let size = |p: &Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
        match self.kind {
            DocumentKind::ImageFolder => self.page_files.iter().map(|p| size(p)).sum(),
            _ => size(&self.path),
        }
    }

    pub(crate) fn check_page(&self, page: usize) -> Result<()> {
        if page < self.pages.len() {
            Ok(())
        } else {
            Err(Error::PageOutOfRange { path: self.path.clone(), page: page + 1, count: self.pages.len() })
        }
    }
}

/// A file that was skipped or failed to open, with the reason shown to the user.
#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    pub path: PathBuf,
    pub message: String,
}

impl Problem {
    fn from_error(path: &Path, error: &Error) -> Self {
        Problem { path: path.to_path_buf(), message: error.to_string() }
    }
}

/// Limits that protect the process from hostile input.
#[derive(Debug, Clone, Copy)]
pub struct OpenOptions {
    /// Largest image (width × height) Folio will decode. Raise it for very large scans; an image header that
    /// claims more is refused before any pixel is decoded.
    pub max_image_pixels: u64,
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions { max_image_pixels: 200_000_000 }
    }
}

/// What opening one path produced.
#[derive(Debug, Default)]
pub struct Opened {
    pub documents: Vec<Document>,
    pub problems: Vec<Problem>,
}

/// What a file is, judged by its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sniffed {
    Pdf,
    Image(ImageFormat),
}

const IMAGE_FORMATS: [ImageFormat; 5] =
    [ImageFormat::Png, ImageFormat::Jpeg, ImageFormat::Tiff, ImageFormat::WebP, ImageFormat::Bmp];

/// Recognises PDFs and the supported images by content.
pub fn sniff(path: &Path) -> Result<Sniffed> {
    let mut file = File::open(path).map_err(|source| Error::Unreadable { path: path.to_path_buf(), source })?;
    let mut head = Vec::with_capacity(1024);
    (&mut file)
        .take(1024)
        .read_to_end(&mut head)
        .map_err(|source| Error::Unreadable { path: path.to_path_buf(), source })?;
    if head.is_empty() {
        return Err(Error::Empty { path: path.to_path_buf() });
    }
    // The PDF header may follow a little junk; readers accept it anywhere in the first kilobyte.
    if head.windows(5).any(|w| w == b"%PDF-") {
        return Ok(Sniffed::Pdf);
    }
    match image::guess_format(&head) {
        Ok(format) if IMAGE_FORMATS.contains(&format) => Ok(Sniffed::Image(format)),
        Ok(format) => Err(Error::Unsupported {
            path: path.to_path_buf(),
            detail: format!("{format:?} images are not supported"),
        }),
        Err(_) => Err(Error::Unsupported {
            path: path.to_path_buf(),
            detail: format!("starts with bytes {}", hex_prefix(&head)),
        }),
    }
}

fn hex_prefix(head: &[u8]) -> String {
    head.iter().take(8).map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(" ")
}

/// Opens a file or a folder. Never fails as a whole: what cannot be opened is listed in `problems`.
pub fn open_path(path: &Path, options: &OpenOptions) -> Opened {
    let mut opened = Opened::default();
    if path.is_dir() {
        open_folder(path, options, &mut opened);
    } else {
        match open_file(path, options) {
            Ok(document) => opened.documents.push(document),
            Err(error) => opened.problems.push(Problem::from_error(path, &error)),
        }
    }
    opened
}

/// Opens one file as a document.
pub fn open_file(path: &Path, options: &OpenOptions) -> Result<Document> {
    match sniff(path)? {
        Sniffed::Pdf => open_pdf(path),
        Sniffed::Image(format) => {
            let size = image_page_size(path, format, options)?;
            Ok(Document {
                path: path.to_path_buf(),
                name: file_name(path),
                kind: DocumentKind::Image,
                pages: vec![size],
                page_files: vec![path.to_path_buf()],
                identity: Default::default(),
            })
        }
    }
}

fn file_name(path: &Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| path.display().to_string())
}

/// Reads a PDF's page count and page sizes without rendering or even loading its pages.
pub fn open_pdf(path: &Path) -> Result<Document> {
    let pdfium = native::pdfium()?;
    let document = pdfium.load_pdf_from_file(path, None).map_err(|e| pdf_error(path, e))?;
    let pages = document.pages();
    let mut sizes = Vec::with_capacity(pages.len() as usize);
    for index in 0..pages.len() {
        let rect = pages.page_size(index).map_err(|e| pdf_error(path, e))?;
        sizes.push(PageSize { width_pt: rect.width().value, height_pt: rect.height().value });
    }
    if sizes.is_empty() {
        return Err(Error::NoPages { path: path.to_path_buf() });
    }
    Ok(Document {
        path: path.to_path_buf(),
        name: file_name(path),
        kind: DocumentKind::Pdf,
        pages: sizes,
        page_files: Vec::new(),
        identity: Default::default(),
    })
}

/// The text a PDF page carries in its own text layer (born-digital PDFs): ground truth for OCR accuracy.
pub fn pdf_page_text(path: &Path, page: usize) -> Result<String> {
    let pdfium = native::pdfium()?;
    let document = pdfium.load_pdf_from_file(path, None).map_err(|e| pdf_error(path, e))?;
    let count = document.pages().len() as usize;
    if page >= count {
        return Err(Error::PageOutOfRange { path: path.to_path_buf(), page: page + 1, count });
    }
    let pdf_page = document.pages().get(page as _).map_err(|e| pdf_error(path, e))?;
    let text = pdf_page.text().map_err(|e| pdf_error(path, e))?;
    Ok(text.all())
}

pub(crate) fn pdf_error(path: &Path, error: PdfiumError) -> Error {
    match error {
        PdfiumError::PdfiumLibraryInternalError(PdfiumInternalError::PasswordError) => {
            Error::Encrypted { path: path.to_path_buf() }
        }
        PdfiumError::IoError(source) => Error::Unreadable { path: path.to_path_buf(), source },
        PdfiumError::PdfiumLibraryInternalError(PdfiumInternalError::FormatError) => {
            Error::CorruptPdf { path: path.to_path_buf(), detail: "not a valid PDF structure".into() }
        }
        PdfiumError::PdfiumLibraryInternalError(PdfiumInternalError::FileError) => {
            Error::CorruptPdf { path: path.to_path_buf(), detail: "the file could not be parsed".into() }
        }
        other => Error::CorruptPdf { path: path.to_path_buf(), detail: other.to_string() },
    }
}

/// Reads an image's dimensions from its header, refusing sizes over the limit before decoding anything.
fn image_page_size(path: &Path, format: ImageFormat, options: &OpenOptions) -> Result<PageSize> {
    let (width, height) = image_dimensions(path, format)?;
    check_image_pixels(path, width, height, options.max_image_pixels)?;
    Ok(PageSize {
        width_pt: width as f32 * IMAGE_POINTS_PER_PIXEL,
        height_pt: height as f32 * IMAGE_POINTS_PER_PIXEL,
    })
}

pub(crate) fn image_dimensions(path: &Path, format: ImageFormat) -> Result<(u32, u32)> {
    let file = File::open(path).map_err(|source| Error::Unreadable { path: path.to_path_buf(), source })?;
    let mut reader = ImageReader::new(BufReader::new(file));
    reader.set_format(format);
    reader
        .into_dimensions()
        .map_err(|e| Error::CorruptImage { path: path.to_path_buf(), detail: e.to_string() })
}

pub(crate) fn check_image_pixels(path: &Path, width: u32, height: u32, limit: u64) -> Result<()> {
    if width as u64 * height as u64 > limit {
        return Err(Error::ImageTooLarge { path: path.to_path_buf(), width, height, limit_pixels: limit });
    }
    Ok(())
}

fn open_folder(root: &Path, options: &OpenOptions, opened: &mut Opened) {
    let mut files = Vec::new();
    collect_files(root, &mut files, &mut opened.problems);
    files.sort_by(|a, b| natural_cmp(&a.to_string_lossy(), &b.to_string_lossy()));

    let mut images = Vec::new();
    let mut sizes = Vec::new();
    for file in files {
        let outcome = sniff(&file).and_then(|sniffed| match sniffed {
            Sniffed::Pdf => open_pdf(&file).map(|doc| opened.documents.push(doc)),
            Sniffed::Image(format) => image_page_size(&file, format, options).map(|size| {
                images.push(file.clone());
                sizes.push(size);
            }),
        });
        if let Err(error) = outcome {
            opened.problems.push(Problem::from_error(&file, &error));
        }
    }
    if !images.is_empty() {
        opened.documents.insert(
            0,
            Document {
                path: root.to_path_buf(),
                name: file_name(root),
                kind: DocumentKind::ImageFolder,
                pages: sizes,
                page_files: images,
                identity: Default::default(),
            },
        );
    }
}

fn collect_files(dir: &Path, files: &mut Vec<PathBuf>, problems: &mut Vec<Problem>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(source) => {
            let error = Error::Unreadable { path: dir.to_path_buf(), source };
            problems.push(Problem::from_error(dir, &error));
            return;
        }
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        if name.to_string_lossy().starts_with('.') {
            continue; // hidden files and folders (.DS_Store, .git) are never pages
        }
        match entry.file_type() {
            Ok(t) if t.is_dir() => collect_files(&path, files, problems),
            Ok(t) if t.is_file() => files.push(path),
            Ok(t) if t.is_symlink() && path.is_file() => files.push(path),
            _ => {}
        }
    }
}

/// Orders names the way people number pages: digit runs compare as numbers, letters ignore case.
pub fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (mut a, mut b) = (a, b);
    loop {
        match (a.is_empty(), b.is_empty()) {
            (true, true) => return Ordering::Equal,
            (true, false) => return Ordering::Less,
            (false, true) => return Ordering::Greater,
            _ => {}
        }
        let a_digits = a.chars().next().is_some_and(|c| c.is_ascii_digit());
        let b_digits = b.chars().next().is_some_and(|c| c.is_ascii_digit());
        let split = |s: &str, digits: bool| s.find(|c: char| c.is_ascii_digit() != digits).unwrap_or(s.len());
        let (a_run, a_rest) = a.split_at(split(a, a_digits));
        let (b_run, b_rest) = b.split_at(split(b, b_digits));
        let order = if a_digits && b_digits {
            let (a_num, b_num) = (a_run.trim_start_matches('0'), b_run.trim_start_matches('0'));
            a_num.len().cmp(&b_num.len()).then_with(|| a_num.cmp(b_num)).then_with(|| a_run.len().cmp(&b_run.len()))
        } else {
            a_run.to_lowercase().cmp(&b_run.to_lowercase()).then_with(|| a_run.cmp(b_run))
        };
        if order != Ordering::Equal {
            return order;
        }
        (a, b) = (a_rest, b_rest);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn natural_order_numbers_pages_like_people() {
        let mut names = vec!["page10.png", "page2.png", "Page1.png", "page02.png", "appendix.png", "page1a.png"];
        names.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(names, ["appendix.png", "Page1.png", "page1a.png", "page2.png", "page02.png", "page10.png"]);
    }

    #[test]
    fn sniffing_ignores_extensions() {
        let dir = tempfile::tempdir().unwrap();
        let disguised = dir.path().join("scan.pdf");
        let mut png = Vec::new();
        image::RgbImage::new(4, 3)
            .write_to(&mut std::io::Cursor::new(&mut png), ImageFormat::Png)
            .unwrap();
        std::fs::write(&disguised, &png).unwrap();
        assert_eq!(sniff(&disguised).unwrap(), Sniffed::Image(ImageFormat::Png));

        let text = dir.path().join("notes.png");
        std::fs::write(&text, b"just some text, not an image").unwrap();
        assert!(matches!(sniff(&text), Err(Error::Unsupported { .. })));

        let empty = dir.path().join("empty.jpg");
        std::fs::write(&empty, b"").unwrap();
        assert!(matches!(sniff(&empty), Err(Error::Empty { .. })));
    }
}

/// One page size of a document (in points) and how many of its pages have it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SizeCount {
    pub width_pt: f32,
    pub height_pt: f32,
    pub pages: usize,
}

impl Document {
    /// Its distinct page sizes (within half a point), most common first.
    pub fn size_counts(&self) -> Vec<SizeCount> {
        let mut sizes: Vec<SizeCount> = Vec::new();
        for p in &self.pages {
            match sizes.iter_mut().find(|s| (s.width_pt - p.width_pt).abs() < 0.5 && (s.height_pt - p.height_pt).abs() < 0.5) {
                Some(s) => s.pages += 1,
                None => sizes.push(SizeCount { width_pt: p.width_pt, height_pt: p.height_pt, pages: 1 }),
            }
        }
        sizes.sort_by(|a, b| b.pages.cmp(&a.pages));
        sizes
    }
}
