//! Exports of a stored document, one module per format, each built from the store's pages one page at a
//! time (nothing the size of the document is held). [`json`] is the lossless document object; every other
//! format is written from its pages ([`blocks`] holds what they share). The command line and the window call
//! the same functions.

pub mod alto;
pub mod blocks;
pub mod csv;
pub mod hocr;
pub mod json;
pub mod markdown;
pub mod pdf;

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::store::{DocumentRecord, Store};
use crate::{Error, Result};

/// The formats `folio export` and the window offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// The lossless document object.
    Json,
    /// Markdown in reading order.
    Md,
    /// hOCR (XHTML with page, area, paragraph, line and word boxes).
    Hocr,
    /// ALTO v4 XML.
    Alto,
    /// The original PDF with an invisible text layer over its OCR lines.
    Pdf,
    /// Each table as a CSV file, in a folder.
    Csv,
}

impl Format {
    pub const ALL: [Format; 6] = [Format::Json, Format::Md, Format::Hocr, Format::Alto, Format::Pdf, Format::Csv];

    pub fn parse(name: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.name() == name)
    }

    pub fn name(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Md => "md",
            Format::Hocr => "hocr",
            Format::Alto => "alto",
            Format::Pdf => "pdf",
            Format::Csv => "csv",
        }
    }

    /// The file name extension a file of this format takes (`None`: a folder).
    pub fn extension(self) -> Option<&'static str> {
        match self {
            Format::Json => Some("json"),
            Format::Md => Some("md"),
            Format::Hocr => Some("hocr"),
            Format::Alto => Some("xml"),
            Format::Pdf => Some("pdf"),
            Format::Csv => None,
        }
    }

    /// Whether the format streams to any writer (PDF and CSV need a path).
    pub fn streams(self) -> bool {
        !matches!(self, Format::Pdf | Format::Csv)
    }
}

pub(crate) fn io(e: std::io::Error) -> Error {
    Error::Export { detail: e.to_string() }
}

/// Calls `each` with every stored page of the document as the export's page object, in page order.
pub(crate) fn pages(store: &Store, document: &DocumentRecord, mut each: impl FnMut(json::Page) -> Result<()>) -> Result<()> {
    store.for_each_page(document, |result| each(json::Page::of(&result)))
}

/// Writes `document` from `store` in a streaming `format` to `out`.
pub fn export(store: &Store, document: &DocumentRecord, format: Format, out: &mut dyn Write) -> Result<()> {
    match format {
        Format::Json => json::write(store, document, out),
        Format::Md => markdown::write(store, document, out),
        Format::Hocr => hocr::write(store, document, out),
        Format::Alto => alto::write(store, document, out),
        Format::Pdf | Format::Csv => Err(Error::Export { detail: format!("{} is written to a path (-o)", format.name()) }),
    }
}

/// What an export to a path wrote.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Written {
    pub format: Format,
    pub path: PathBuf,
    /// The files written (one, or one per table for CSV).
    pub files: Vec<PathBuf>,
    /// For a PDF: pages, pages that received OCR text, words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pdf: Option<pdf::PdfReport>,
}

/// Writes `document` in `format` to `path` (a folder for CSV). A file is written beside its final name and
/// renamed into place, so a failed export leaves no half-written file.
pub fn export_to_path(store: &Store, document: &DocumentRecord, format: Format, path: &Path) -> Result<Written> {
    if format == Format::Csv {
        let files = csv::write(store, document, path)?;
        return Ok(Written { format, path: path.to_path_buf(), files, pdf: None });
    }
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "export".into());
    let partial = path.with_file_name(format!(".{name}.partial"));
    let result = (|| {
        if format == Format::Pdf {
            return pdf::write(store, document, &partial).map(Some);
        }
        let mut out = std::io::BufWriter::new(std::fs::File::create(&partial).map_err(io)?);
        export(store, document, format, &mut out)?;
        out.flush().map_err(io)?;
        Ok(None)
    })();
    match result {
        Ok(report) => {
            std::fs::rename(&partial, path).map_err(io)?;
            Ok(Written { format, path: path.to_path_buf(), files: vec![path.to_path_buf()], pdf: report })
        }
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            Err(e)
        }
    }
}

/// A writer that keeps up to `limit` bytes and then refuses more, so a preview stops reading pages.
struct Capped {
    bytes: Vec<u8>,
    limit: usize,
    full: bool,
}

impl Write for Capped {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let room = self.limit.saturating_sub(self.bytes.len());
        if room == 0 {
            self.full = true;
            return Err(std::io::Error::new(std::io::ErrorKind::WriteZero, "preview is full"));
        }
        let n = room.min(buf.len());
        self.bytes.extend_from_slice(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The first `max_bytes` of `document` in a streaming `format` (what the window's preview shows), cut at a
/// character boundary, with a last line saying so where it was cut.
pub fn preview(store: &Store, document: &DocumentRecord, format: Format, max_bytes: usize) -> Result<String> {
    let mut out = Capped { bytes: Vec::new(), limit: max_bytes, full: false };
    match export(store, document, format, &mut out) {
        Ok(()) => {}
        Err(_) if out.full => {}
        Err(e) => return Err(e),
    }
    let mut text = String::from_utf8_lossy(&out.bytes).into_owned();
    if out.full {
        // A cut inside a character leaves a replacement character at the end.
        while text.ends_with('\u{FFFD}') {
            text.pop();
        }
        text.push_str(&format!("\n\n… (the preview shows the first {} KB)\n", max_bytes >> 10));
    }
    Ok(text)
}
