//! A document is known by its content, not its path: BLAKE3 of a file's bytes, and for a folder of page
//! images, of the ordered list of its files' names (relative to the folder) and hashes. The same bytes
//! opened from any path are the same document; a changed byte, or an image added to a folder, is a new one.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use super::source::{Document, DocumentKind};
use crate::{Error, Result};

/// Hex BLAKE3 of a file's bytes, read in blocks (nothing the size of the file is held).
pub fn hash_file(path: &Path) -> Result<String> {
    let mut file = File::open(path).map_err(|source| Error::Unreadable { path: path.to_path_buf(), source })?;
    let mut hasher = blake3::Hasher::new();
    let mut block = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut block).map_err(|source| Error::Unreadable { path: path.to_path_buf(), source })?;
        if n == 0 {
            break;
        }
        hasher.update(&block[..n]);
    }
    Ok(hasher.finalize().to_hex().to_string())
}

/// The content hash of `document` (see the module's documentation).
pub fn content_hash(document: &Document) -> Result<String> {
    match document.kind {
        DocumentKind::Pdf | DocumentKind::Image => hash_file(&document.path),
        DocumentKind::ImageFolder => {
            let mut listing = blake3::Hasher::new();
            listing.update(b"folio image folder\n");
            for file in &document.page_files {
                let name = file.strip_prefix(&document.path).unwrap_or(file);
                listing.update(name.to_string_lossy().as_bytes());
                listing.update(b"\0");
                listing.update(hash_file(file)?.as_bytes());
                listing.update(b"\n");
            }
            Ok(listing.finalize().to_hex().to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::source::{open_path, OpenOptions};

    fn png(path: &Path, shade: u8) {
        image::RgbImage::from_pixel(8, 8, image::Rgb([shade; 3])).save(path).unwrap();
    }

    #[test]
    fn the_same_bytes_are_the_same_document_wherever_they_are() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a.png"), dir.path().join("renamed.png"));
        png(&a, 10);
        std::fs::copy(&a, &b).unwrap();
        let open = |p: &Path| open_path(p, &OpenOptions::default()).documents.remove(0);
        assert_eq!(content_hash(&open(&a)).unwrap(), content_hash(&open(&b)).unwrap());
        png(&b, 11);
        assert_ne!(content_hash(&open(&a)).unwrap(), content_hash(&open(&b)).unwrap());
    }

    #[test]
    fn a_folder_changes_identity_when_an_image_is_added_or_renamed() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("scans");
        std::fs::create_dir(&folder).unwrap();
        png(&folder.join("p1.png"), 1);
        png(&folder.join("p2.png"), 2);
        let hash = || content_hash(&open_path(&folder, &OpenOptions::default()).documents.remove(0)).unwrap();
        let before = hash();
        assert_eq!(before, hash());
        png(&folder.join("p0.png"), 0);
        let added = hash();
        assert_ne!(before, added);
        std::fs::rename(folder.join("p0.png"), folder.join("p3.png")).unwrap();
        assert_ne!(added, hash());
    }
}
