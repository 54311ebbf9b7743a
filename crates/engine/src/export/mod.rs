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
