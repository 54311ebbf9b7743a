//! The library: the documents the user has open, and their pages served as encoded images through a
//! byte-bounded cache. This is what the desktop shell holds in its state.

pub mod cache;

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};

use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::ImageEncoder;
use serde::Serialize;

pub use crate::document::source::Problem;
use cache::ByteLru;
use crate::models::LoadGate;
use crate::memory::MemoryGauges;
use crate::render::{RecyclePolicy, RenderOptions, RenderSize, Renderer};
use crate::document::source::{self, Document, DocumentKind, OpenOptions, PageSize};
use crate::{Error, Result};

pub type DocumentId = u64;

/// A document as the UI lists it.
#[derive(Debug, Clone, Serialize)]
pub struct DocumentInfo {
    pub id: DocumentId,
    pub path: PathBuf,
    pub name: String,
    pub kind: DocumentKind,
    pub pages: Vec<PageSize>,
    /// What the store knows it by (its content hash); `None` when its bytes could not be read.
    pub hash: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct LibrarySnapshot {
    pub documents: Vec<DocumentInfo>,
    pub problems: Vec<Problem>,
}

#[derive(Debug, Clone, Copy)]
pub struct LibraryOptions {
    /// Bytes of encoded page images kept for instant re-display (thumbnails and viewed pages).
    pub page_cache_bytes: usize,
    pub render: RenderOptions,
    pub recycle: RecyclePolicy,
}

impl Default for LibraryOptions {
    fn default() -> Self {
        LibraryOptions { page_cache_bytes: 128 << 20, render: RenderOptions::default(), recycle: RecyclePolicy::default() }
    }
}

/// Problems kept for display; older ones are dropped so a folder of junk cannot grow this without bound.
const MAX_PROBLEMS: usize = 1000;
const MIN_WIDTH: u32 = 16;
const MAX_WIDTH: u32 = 8192;

type PageKey = (DocumentId, usize, u32);

pub struct Library {
    documents: RwLock<Vec<(DocumentId, Arc<Document>)>>,
    problems: Mutex<Vec<Problem>>,
    next_id: AtomicU64,
    renderer: Arc<Renderer>,
    page_cache: Mutex<ByteLru<PageKey, Arc<Vec<u8>>>>,
    open_options: OpenOptions,
    /// The model hub's load gate, once the shell has joined the two: a page rendered for the viewer while
    /// a model loads would otherwise be counted in that model's bytes.
    load_gate: OnceLock<Arc<LoadGate>>,
}

impl Library {
    pub fn new(options: LibraryOptions, gauges: Arc<MemoryGauges>) -> Self {
        Library {
            documents: RwLock::new(Vec::new()),
            problems: Mutex::new(Vec::new()),
            next_id: AtomicU64::new(1),
            renderer: Arc::new(Renderer::start(options.render, options.recycle, Arc::clone(&gauges))),
            page_cache: Mutex::new(ByteLru::new(options.page_cache_bytes).reporting_to(gauges)),
            open_options: OpenOptions { max_image_pixels: options.render.max_image_pixels },
            load_gate: OnceLock::new(),
        }
    }

    /// Renders for the viewer as work under `gate` (see [`LoadGate`]): they wait while a model loads. Set
    /// once; later calls change nothing.
    pub fn set_load_gate(&self, gate: Arc<LoadGate>) {
        let _ = self.load_gate.set(gate);
    }

    /// Opens files and folders; what is already open is not opened twice. Returns the whole library.
    pub fn open_paths(&self, paths: &[PathBuf]) -> LibrarySnapshot {
        for path in paths {
            let path = std::fs::canonicalize(path).unwrap_or_else(|_| path.clone());
            if self.documents.read().unwrap().iter().any(|(_, d)| d.path == path) {
                continue;
            }
            let opened = source::open_path(&path, &self.open_options);
            // Read each document's bytes once now, off the snapshot's lock: its results are found by them.
            for document in &opened.documents {
                if let Err(error) = document.content_hash() {
                    tracing::warn!(%error, "a document's content hash could not be read");
                }
            }
            {
                let mut documents = self.documents.write().unwrap();
                for document in opened.documents {
                    if documents.iter().any(|(_, d)| d.path == document.path && d.kind == document.kind) {
                        continue;
                    }
                    let id = self.next_id.fetch_add(1, Ordering::Relaxed);
                    documents.push((id, Arc::new(document)));
                }
            }
            let mut problems = self.problems.lock().unwrap();
            problems.extend(opened.problems);
            let excess = problems.len().saturating_sub(MAX_PROBLEMS);
            problems.drain(..excess);
        }
        self.snapshot()
    }

    pub fn snapshot(&self) -> LibrarySnapshot {
        let documents = self
            .documents
            .read()
            .unwrap()
            .iter()
            .map(|(id, d)| DocumentInfo {
                id: *id,
                path: d.path.clone(),
                name: d.name.clone(),
                kind: d.kind,
                pages: d.pages.clone(),
                hash: d.content_hash().ok(),
            })
            .collect();
        LibrarySnapshot { documents, problems: self.problems.lock().unwrap().clone() }
    }

    pub fn document(&self, id: DocumentId) -> Result<Arc<Document>> {
        self.documents
            .read()
            .unwrap()
            .iter()
            .find(|(i, _)| *i == id)
            .map(|(_, d)| Arc::clone(d))
            .ok_or(Error::UnknownDocument(id))
    }

    /// Page `page` (0-based) of document `id` as a PNG `width` pixels wide, from the cache when it is there.
    pub fn page_png(&self, id: DocumentId, page: usize, width: u32) -> Result<Arc<Vec<u8>>> {
        let width = width.clamp(MIN_WIDTH, MAX_WIDTH);
        let key = (id, page, width);
        if let Some(png) = self.page_cache.lock().unwrap().get(&key) {
            return Ok(png);
        }
        let document = self.document(id)?;
        let png = {
            let _working = self.load_gate.get().map(|gate| gate.work());
            let image = self.renderer.render(&document, page, RenderSize::Width(width))?;
            Arc::new(encode_png(&image.rgb, image.width, image.height))
        };
        self.page_cache.lock().unwrap().insert(key, Arc::clone(&png), png.len());
        Ok(png)
    }

    /// The one renderer (and pdfium thread) the library and background jobs share.
    pub fn renderer(&self) -> &Arc<Renderer> {
        &self.renderer
    }

    /// Evicts least recently used pages until the page cache holds at most `bytes` (a budget action).
    pub fn trim_page_cache(&self, bytes: usize) {
        self.page_cache.lock().unwrap().evict_to(bytes);
    }
}

/// PNG with the fastest settings: lossless keeps text crisp, and a page is encoded once then cached.
pub fn encode_png(rgb: &[u8], width: u32, height: u32) -> Vec<u8> {
    let mut out = Vec::with_capacity(rgb.len() / 4);
    PngEncoder::new_with_quality(&mut out, CompressionType::Fast, FilterType::Sub)
        .write_image(rgb, width, height, image::ExtendedColorType::Rgb8)
        .expect("encoding into memory cannot fail for a well-formed buffer");
    out
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::time::{Duration, Instant};

    use super::*;

    #[test]
    fn a_page_for_the_viewer_waits_while_a_model_loads() {
        let library = Arc::new(Library::new(LibraryOptions::default(), Arc::new(MemoryGauges::default())));
        let gate = Arc::new(LoadGate::default());
        library.set_load_gate(Arc::clone(&gate));
        let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/three-pages.pdf");
        let id = library.open_paths(&[fixture]).documents[0].id;

        // A load in progress, as the hub holds it.
        let loading = gate.quiet();
        let viewer = {
            let library = Arc::clone(&library);
            std::thread::spawn(move || {
                let png = library.page_png(id, 0, 400).unwrap();
                (Instant::now(), png.len())
            })
        };
        // Rendering and encoding this page takes tens of milliseconds; without the gate it would be done
        // well before the load ends.
        std::thread::sleep(Duration::from_millis(400));
        let load_ended = Instant::now();
        drop(loading);
        let (rendered, bytes) = viewer.join().unwrap();
        assert!(bytes > 0);
        assert!(rendered >= load_ended, "the page was rendered {:?} before the load ended", load_ended - rendered);
    }
}
