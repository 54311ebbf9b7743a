//! Where a PDF's pages are, read from the file's own cross-reference data, so that pdfium can open a window
//! of a long document.
//!
//! pdfium finds page N by walking the page tree from its start and keeps every object it parsed on the way
//! until the document closes: about 5 KB per page of position (BENCHMARKS.md, "The page walk"). Over the
//! first pass of a long document, that is memory growing with every page. A [`PageTree`] lists each page's
//! object once (8 bytes a page). [`PageTree::window`] then gives pdfium the file as it is plus an
//! incremental update, kept in memory, that replaces the root of the page tree with one holding only the
//! window's pages. The pages keep their own dictionaries and `/Parent` chains (inherited resources, boxes
//! and rotation come from the document's own nodes, the root's copied into its replacement), and the
//! catalog (forms, optional content) is the document's own, so a page renders as it does in the whole
//! document. The file on disk is never written.
//!
//! Anything unusual (encryption, a damaged cross-reference table, pages that are not objects of their own)
//! is an error here, and the renderer opens the whole document instead.

use std::collections::HashSet;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

use pdf::error::PdfError;
use pdf::file::{Cache, NoCache, NoLog, Storage};
use pdf::object::{ParseOptions, PlainRef, Resolve};
use pdf::primitive::{Dictionary, Primitive};

/// Attributes a page inherits from the root of its page tree (ISO 32000-1, 7.7.3.4).
const INHERITED: [&str; 4] = ["Resources", "MediaBox", "CropBox", "Rotate"];
/// pdfium gives up on page trees deeper than this; so does the index.
const MAX_DEPTH: usize = 1024;

#[derive(Debug, thiserror::Error)]
pub enum PageTreeError {
    #[error("could not read the file: {0}")]
    Io(#[from] io::Error),
    #[error("could not parse the file's structure: {0}")]
    Parse(String),
    #[error("the document is encrypted")]
    Encrypted,
    #[error("unusual page tree: {0}")]
    Structure(&'static str),
    #[error("the file changed since its pages were listed")]
    Changed,
}

impl From<PdfError> for PageTreeError {
    fn from(e: PdfError) -> Self {
        PageTreeError::Parse(e.to_string())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ObjectRef {
    id: u32,
    gen: u16,
}

impl ObjectRef {
    fn from_plain(r: PlainRef) -> Result<Self, PageTreeError> {
        let id = u32::try_from(r.id).map_err(|_| PageTreeError::Structure("object number out of range"))?;
        let gen = u16::try_from(r.gen).map_err(|_| PageTreeError::Structure("generation out of range"))?;
        Ok(ObjectRef { id, gen })
    }
}

/// A PDF's pages as objects of the file, in reading order, and what an update of its page tree needs.
#[derive(Debug)]
pub struct PageTree {
    path: PathBuf,
    pages: Vec<ObjectRef>,
    /// The root `/Pages` node, replaced in a window.
    root: ObjectRef,
    /// The root node's inheritable attributes, written out (`/MediaBox [...] ...`), for its replacement.
    root_inherited: Vec<u8>,
    /// `/Root`, `/Info` and `/ID` of the last trailer, written out, for the update's trailer.
    trailer_keys: Vec<u8>,
    /// The trailer's `/Size`: the first object number free for the update's cross-reference stream.
    size: u32,
    /// Where the last cross-reference section starts, counted from the header (as every offset in a PDF).
    last_xref: u64,
    /// Whether that section is a stream (PDF 1.5) or a table.
    xref_stream: bool,
    /// Bytes before `%PDF-`.
    header_offset: u64,
    file_len: u64,
    modified: Option<SystemTime>,
}

impl PageTree {
    /// Lists the pages of the PDF at `path` without pdfium. Reads the cross-reference data and the page tree's
    /// nodes only (the file is mapped, not read whole), in tens of milliseconds for a 1,600-page manual.
    pub fn read(path: &Path) -> Result<PageTree, PageTreeError> {
        // The reader is another library's parser meeting whatever files users drop: a panic in it must cost
        // this document its windows, not the renderer thread.
        std::panic::catch_unwind(|| Self::read_unguarded(path))
            .unwrap_or_else(|_| Err(PageTreeError::Parse("the PDF reader gave up on this file".into())))
    }

    fn read_unguarded(path: &Path) -> Result<PageTree, PageTreeError> {
        let file = File::open(path)?;
        let meta = file.metadata()?;
        // SAFETY: the map is read only while this function runs; a file truncated meanwhile by another
        // program could fault, the same risk every reader of a mapped file takes. Folio never writes it.
        let map = unsafe { memmap2::Mmap::map(&file)? };
        let bytes: &[u8] = &map;
        let header_offset = find(&bytes[..bytes.len().min(1024)], b"%PDF-")
            .ok_or(PageTreeError::Structure("no %PDF- header in the first 1,024 bytes"))? as u64;
        let (last_xref, xref_stream) = last_xref_section(bytes, header_offset)?;

        if !xref_sections_are_safe(bytes, header_offset, last_xref, xref_stream)? {
            return Err(PageTreeError::Structure("an updated file with cross-reference streams"));
        }

        let mut storage = Storage::with_cache(bytes, ParseOptions::strict(), NoCache, LastStream::default(), NoLog)?;
        let trailer = storage.load_storage_and_trailer()?;
        if trailer.get("Encrypt").is_some() {
            return Err(PageTreeError::Encrypted);
        }
        let size = match trailer.get("Size") {
            Some(Primitive::Integer(n)) if *n > 0 => *n as u32,
            _ => return Err(PageTreeError::Structure("trailer without /Size")),
        };
        let mut trailer_keys = Vec::new();
        for key in ["Root", "Info", "ID"] {
            match trailer.get(key) {
                Some(value @ (Primitive::Reference(_) | Primitive::Array(_))) => write_entry(&mut trailer_keys, key, value)?,
                Some(_) if key == "Root" => return Err(PageTreeError::Structure("/Root is not a reference")),
                _ => {}
            }
        }

        let resolver = storage.resolver();
        let catalog_ref = reference(trailer.get("Root")).ok_or(PageTreeError::Structure("/Root is not a reference"))?;
        let catalog = dictionary(resolver.resolve(catalog_ref)?)?;
        let root_ref = reference(catalog.get("Pages")).ok_or(PageTreeError::Structure("/Pages is not a reference"))?;
        let root_node = dictionary(resolver.resolve(root_ref)?)?;
        let mut root_inherited = Vec::new();
        for key in INHERITED {
            if let Some(value) = root_node.get(key) {
                if matches!(value, Primitive::Stream(_)) {
                    return Err(PageTreeError::Structure("an inherited attribute is a stream"));
                }
                write_entry(&mut root_inherited, key, value)?;
            }
        }

        let pages = walk(&resolver, root_ref, root_node)?;
        drop(resolver);
        Ok(PageTree {
            path: path.to_path_buf(),
            pages,
            root: ObjectRef::from_plain(root_ref)?,
            root_inherited,
            trailer_keys,
            size,
            last_xref,
            xref_stream,
            header_offset,
            file_len: meta.len(),
            modified: meta.modified().ok(),
        })
    }

    /// Pages in the document, as the page tree lists them.
    pub fn len(&self) -> usize {
        self.pages.len()
    }

    pub fn is_empty(&self) -> bool {
        self.pages.is_empty()
    }

    /// Heap bytes this list holds.
    pub fn bytes(&self) -> usize {
        self.pages.capacity() * std::mem::size_of::<ObjectRef>() + self.root_inherited.capacity() + self.trailer_keys.capacity()
    }

    /// The file with a page tree of pages `first .. first + count` only, for pdfium to open: page `first`
    /// of the document is page 0 of the window.
    pub fn window(&self, first: usize, count: usize) -> Result<WindowFile, PageTreeError> {
        let end = first.checked_add(count).filter(|&e| e <= self.pages.len() && count > 0);
        let end = end.ok_or(PageTreeError::Structure("window outside the document"))?;
        let file = File::open(&self.path)?;
        let meta = file.metadata()?;
        if meta.len() != self.file_len || meta.modified().ok() != self.modified {
            return Err(PageTreeError::Changed);
        }
        let tail = self.update(first, end)?;
        Ok(WindowFile { file, file_len: self.file_len, tail, pos: 0 })
    }

    /// The incremental update: a new version of the root `/Pages` node, a cross-reference section of the
    /// same kind as the file's last one pointing back to it (`/Prev`), and a trailer.
    fn update(&self, first: usize, end: usize) -> io::Result<Vec<u8>> {
        let base = self.file_len - self.header_offset;
        let mut tail = Vec::with_capacity(256 + 12 * (end - first));
        tail.push(b'\n');
        let node_at = base + tail.len() as u64;
        let ObjectRef { id: root_id, gen: root_gen } = self.root;
        write!(tail, "{root_id} {root_gen} obj\n<< /Type /Pages /Count {} /Kids [", end - first)?;
        for page in &self.pages[first..end] {
            write!(tail, "{} {} R ", page.id, page.gen)?;
        }
        tail.extend_from_slice(b"] ");
        tail.extend_from_slice(&self.root_inherited);
        tail.extend_from_slice(b">>\nendobj\n");
        let xref_at = base + tail.len() as u64;
        if self.xref_stream {
            // The stream lists the new node only, not itself: its own number (past every object the
            // trailer counts) then cannot stand for an object of the file, even where `/Size` is too small.
            let own = self.size.max(root_id + 1);
            let mut rows = Vec::with_capacity(11);
            rows.push(1u8);
            rows.extend_from_slice(&node_at.to_be_bytes());
            rows.extend_from_slice(&root_gen.to_be_bytes());
            write!(
                tail,
                "{own} 0 obj\n<< /Type /XRef /Size {own} /W [1 8 2] /Index [{root_id} 1] /Prev {} ",
                self.last_xref
            )?;
            tail.extend_from_slice(&self.trailer_keys);
            write!(tail, "/Length {} >>\nstream\n", rows.len())?;
            tail.extend_from_slice(&rows);
            tail.extend_from_slice(b"\nendstream\nendobj\n");
        } else {
            write!(tail, "xref\n0 1\n0000000000 65535 f\r\n{root_id} 1\n{node_at:010} {root_gen:05} n\r\n")?;
            write!(tail, "trailer\n<< /Size {} /Prev {} ", self.size.max(root_id + 1), self.last_xref)?;
            tail.extend_from_slice(&self.trailer_keys);
            tail.extend_from_slice(b">>\n");
        }
        write!(tail, "startxref\n{xref_at}\n%%EOF\n")?;
        Ok(tail)
    }
}

/// The PDF file followed by a window's update, read as one file.
pub struct WindowFile {
    file: File,
    file_len: u64,
    tail: Vec<u8>,
    pos: u64,
}

impl WindowFile {
    fn len(&self) -> u64 {
        self.file_len + self.tail.len() as u64
    }
}

impl Read for WindowFile {
    /// Fills `buf` whole unless the end comes first: pdfium takes a block it asked for as read in full, so a
    /// read across the end of the file and the start of the update must not stop at the file's end.
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut done = 0;
        while done < buf.len() {
            let n = if self.pos < self.file_len {
                let want = (buf.len() - done).min((self.file_len - self.pos) as usize);
                self.file.seek(SeekFrom::Start(self.pos))?;
                match self.file.read(&mut buf[done..done + want]) {
                    Ok(0) => return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "the file got shorter")),
                    Ok(n) => n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(e),
                }
            } else {
                let at = ((self.pos - self.file_len) as usize).min(self.tail.len());
                let n = (buf.len() - done).min(self.tail.len() - at);
                buf[done..done + n].copy_from_slice(&self.tail[at..at + n]);
                n
            };
            if n == 0 {
                break;
            }
            done += n;
            self.pos += n as u64;
        }
        Ok(done)
    }
}

impl Seek for WindowFile {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let target = match to {
            SeekFrom::Start(n) => Some(n),
            SeekFrom::End(d) => self.len().checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        self.pos = target.ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "seek before the start"))?;
        Ok(self.pos)
    }
}

/// Depth-first, in `/Kids` order, as pdfium counts pages: a node without `/Kids` is a page.
fn walk(resolver: &impl Resolve, root_ref: PlainRef, root: Dictionary) -> Result<Vec<ObjectRef>, PageTreeError> {
    let mut pages = Vec::new();
    let mut seen = HashSet::from([root_ref.id]);
    // Each entry: the kids still to visit of one node, last first.
    let mut stack: Vec<Vec<PlainRef>> = vec![kids(resolver, &root)?];
    while let Some(level) = stack.last_mut() {
        let Some(kid) = level.pop() else {
            stack.pop();
            continue;
        };
        if !seen.insert(kid.id) {
            return Err(PageTreeError::Structure("a page or node listed twice"));
        }
        let node = dictionary(resolver.resolve(kid)?)?;
        if node.get("Kids").is_some() {
            if stack.len() >= MAX_DEPTH {
                return Err(PageTreeError::Structure("page tree too deep"));
            }
            let next = kids(resolver, &node)?;
            stack.push(next);
        } else {
            pages.push(ObjectRef::from_plain(kid)?);
        }
    }
    pages.shrink_to_fit();
    Ok(pages)
}

/// A node's `/Kids`, last first; every kid must be a reference.
fn kids(resolver: &impl Resolve, node: &Dictionary) -> Result<Vec<PlainRef>, PageTreeError> {
    let array = match node.get("Kids") {
        Some(Primitive::Array(a)) => a.clone(),
        Some(Primitive::Reference(r)) => resolver.resolve(*r)?.into_array()?,
        _ => return Err(PageTreeError::Structure("/Kids is not an array")),
    };
    array
        .into_iter()
        .rev()
        .map(|kid| match kid {
            Primitive::Reference(r) => Ok(r),
            _ => Err(PageTreeError::Structure("a page that is not an object of its own")),
        })
        .collect()
}

fn reference(value: Option<&Primitive>) -> Option<PlainRef> {
    match value {
        Some(Primitive::Reference(r)) => Some(*r),
        _ => None,
    }
}

fn dictionary(value: Primitive) -> Result<Dictionary, PageTreeError> {
    match value {
        Primitive::Dictionary(d) => Ok(d),
        _ => Err(PageTreeError::Structure("a page tree node that is not a dictionary")),
    }
}

fn write_entry(out: &mut Vec<u8>, key: &str, value: &Primitive) -> Result<(), PageTreeError> {
    write_name(out, key.as_bytes());
    out.push(b' ');
    write_value(out, value, 0)?;
    out.push(b' ');
    Ok(())
}

/// Writes `value` in PDF syntax: names with `#xx` for every byte that is not a regular character, strings in
/// hex, so that whatever the parser decoded is read back the same.
fn write_value(out: &mut Vec<u8>, value: &Primitive, depth: usize) -> Result<(), PageTreeError> {
    if depth > 32 {
        return Err(PageTreeError::Structure("an inherited attribute nested too deep"));
    }
    match value {
        Primitive::Null => out.extend_from_slice(b"null"),
        Primitive::Integer(n) => write!(out, "{n}")?,
        Primitive::Number(x) if x.is_finite() => write!(out, "{x}")?,
        Primitive::Number(_) => return Err(PageTreeError::Structure("a number out of range")),
        Primitive::Boolean(b) => write!(out, "{b}")?,
        Primitive::String(text) => {
            out.push(b'<');
            for byte in text.as_bytes() {
                write!(out, "{byte:02x}")?;
            }
            out.push(b'>');
        }
        Primitive::Name(name) => write_name(out, name.as_bytes()),
        Primitive::Reference(r) => write!(out, "{} {} R", r.id, r.gen)?,
        Primitive::Array(items) => {
            out.push(b'[');
            for item in items {
                write_value(out, item, depth + 1)?;
                out.push(b' ');
            }
            out.push(b']');
        }
        Primitive::Dictionary(dict) => {
            out.extend_from_slice(b"<<");
            for (key, item) in dict.iter() {
                write_name(out, key.as_bytes());
                out.push(b' ');
                write_value(out, item, depth + 1)?;
                out.push(b' ');
            }
            out.extend_from_slice(b">>");
        }
        Primitive::Stream(_) => return Err(PageTreeError::Structure("an inherited attribute holds a stream")),
    }
    Ok(())
}

fn write_name(out: &mut Vec<u8>, name: &[u8]) {
    out.push(b'/');
    for &byte in name {
        let regular = (0x21..=0x7e).contains(&byte) && !b"()<>[]{}/%#".contains(&byte);
        if regular {
            out.push(byte);
        } else {
            out.extend_from_slice(format!("#{byte:02X}").as_bytes());
        }
    }
}

/// Whether the file's cross-reference sections can be merged as the listing does: a file never updated, or
/// updated with tables only. The reader merges the sections of an updated file so that an older section's
/// entry can win over a newer one's for an object in an object stream, and the list could then hold a page
/// tree as it was before the update.
fn xref_sections_are_safe(bytes: &[u8], header_offset: u64, last: u64, last_is_stream: bool) -> Result<bool, PageTreeError> {
    let mut offset = last;
    let mut is_stream = last_is_stream;
    for sections in 1..=256 {
        let start = usize::try_from(header_offset + offset).map_err(|_| PageTreeError::Structure("offset out of range"))?;
        let section = bytes.get(start..).ok_or(PageTreeError::Structure("a /Prev past the end"))?;
        // The dictionary of this section: a table's trailer, or the stream's own.
        let dict_at = if is_stream { 0 } else { find(section, b"trailer").ok_or(PageTreeError::Structure("a table without a trailer"))? };
        let dict = &section[dict_at..section.len().min(dict_at + 4096)];
        let end = find(dict, if is_stream { &b"stream"[..] } else { &b"startxref"[..] }).unwrap_or(dict.len());
        let prev = find(&dict[..end], b"/Prev").and_then(|at| number_at(&dict[at + 5..end]));
        let Some(prev) = prev else { return Ok(!(is_stream && sections > 1)) };
        if is_stream {
            return Ok(false);
        }
        is_stream = section_is_stream(bytes, header_offset, prev).ok_or(PageTreeError::Structure("a /Prev past the end"))?;
        offset = prev;
    }
    Err(PageTreeError::Structure("too many updates"))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Where the last `startxref` points (from the header) and whether a stream or a table starts there.
fn last_xref_section(bytes: &[u8], header_offset: u64) -> Result<(u64, bool), PageTreeError> {
    let tail_start = bytes.len().saturating_sub(4096);
    let tail = &bytes[tail_start..];
    let at = tail
        .windows(9)
        .rposition(|w| w == b"startxref")
        .ok_or(PageTreeError::Structure("no startxref near the end"))?;
    let offset = number_at(&tail[at + 9..]).ok_or(PageTreeError::Structure("startxref without an offset"))?;
    let is_stream = section_is_stream(bytes, header_offset, offset).ok_or(PageTreeError::Structure("startxref points past the end"))?;
    Ok((offset, is_stream))
}

/// The number that starts `text` after any whitespace.
fn number_at(text: &[u8]) -> Option<u64> {
    let digits = text.iter().skip_while(|b| b.is_ascii_whitespace()).take_while(|b| b.is_ascii_digit());
    let mut seen = false;
    let value = digits.fold(0u64, |n, &d| {
        seen = true;
        n.saturating_mul(10).saturating_add(u64::from(d - b'0'))
    });
    seen.then_some(value)
}

/// Whether the cross-reference section at `offset` (from the header) is a stream rather than a table; `None`
/// past the end of the file.
fn section_is_stream(bytes: &[u8], header_offset: u64, offset: u64) -> Option<bool> {
    let section = usize::try_from(header_offset.checked_add(offset)?).ok().and_then(|at| bytes.get(at..))?;
    let keyword = section.iter().position(|b| !b.is_ascii_whitespace()).map(|i| &section[i..]).unwrap_or_default();
    Some(!keyword.starts_with(b"xref"))
}

/// Keeps the last decoded stream only: the walk reads nodes that share an object stream one after another.
struct LastStream<T>(Mutex<Option<(PlainRef, T)>>);

impl<T> Default for LastStream<T> {
    fn default() -> Self {
        LastStream(Mutex::new(None))
    }
}

impl<T: Clone> Cache<T> for LastStream<T> {
    fn get_or_compute(&self, key: PlainRef, compute: impl FnOnce() -> T) -> T {
        if let Some((k, v)) = self.0.lock().unwrap_or_else(|e| e.into_inner()).as_ref() {
            if *k == key {
                return v.clone();
            }
        }
        let value = compute();
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some((key, value.clone()));
        value
    }
    fn clear(&self) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }
    fn remove(&self, _key: PlainRef) {
        self.clear();
    }
}


#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_strings_are_written_back_as_they_were_read() {
        let mut out = Vec::new();
        let name = Primitive::Name("PANTONE 186 C#1%(x)".into());
        write_value(&mut out, &Primitive::Array(vec![name, Primitive::String(pdf::primitive::PdfString::new(b"a)\\".as_slice().into()))]), 0).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "[/PANTONE#20186#20C#231#25#28x#29 <61295c> ]");
        let mut out = Vec::new();
        assert!(write_value(&mut out, &Primitive::Number(f32::INFINITY), 0).is_err());
    }

    /// A file of cross-reference sections, each `(is_stream, prev)`, laid out one after another.
    fn sections(list: &[(bool, Option<usize>)]) -> (Vec<u8>, Vec<u64>) {
        let mut bytes = b"%PDF-1.7\n".to_vec();
        let mut offsets = Vec::new();
        for (i, &(stream, prev)) in list.iter().enumerate() {
            offsets.push(bytes.len() as u64);
            let prev = prev.map(|p| format!("/Prev {{{p}}} ")).unwrap_or_default();
            if stream {
                bytes.extend_from_slice(format!("{} 0 obj\n<< /Type /XRef {prev}/Size 9 >>\nstream\nendstream\n", 10 + i).as_bytes());
            } else {
                bytes.extend_from_slice(format!("xref\n0 1\n0000000000 65535 f\r\ntrailer\n<< /Size 9 {prev}>>\nstartxref\n0\n").as_bytes());
            }
        }
        // Fill in the /Prev placeholders with the sections' offsets (each padded to ten digits).
        let mut text = String::from_utf8(bytes).unwrap();
        for (i, offset) in offsets.iter().enumerate() {
            text = text.replace(&format!("{{{i}}}"), &format!("{offset:010}"));
        }
        (text.into_bytes(), offsets)
    }

    #[test]
    fn only_files_never_updated_or_updated_with_tables_are_listed() {
        let safe = |list: &[(bool, Option<usize>)]| {
            let (bytes, offsets) = sections(list);
            let last = offsets.len() - 1;
            xref_sections_are_safe(&bytes, 0, offsets[last], list[last].0).unwrap()
        };
        assert!(safe(&[(false, None)]), "one table");
        assert!(safe(&[(true, None)]), "one stream");
        assert!(safe(&[(false, None), (false, Some(0))]), "a table updated by a table");
        assert!(!safe(&[(true, None), (true, Some(0))]), "a stream updated by a stream");
        assert!(!safe(&[(true, None), (false, Some(0))]), "a stream updated by a table");
        assert!(!safe(&[(false, None), (true, Some(0))]), "a table updated by a stream");
    }
}
