//! Documents: what a path the user dropped becomes ([`source`]): PDFs and images recognised by their bytes,
//! folders of images as one document. Opening reads page counts and sizes only: rendering and the documents
//! a user has open live in the `render` and `library` modules, above this one.

pub mod identity;
pub mod page_tree;
pub mod source;

use std::path::PathBuf;
use std::sync::Arc;

/// Opens `paths` (files and folders) and takes pages `pages` (`N`, `A-B`, `all`) of each document: the
/// documents with their 0-based ranges, and one message per file that did not open or whose range is wrong.
pub fn open_with_pages(paths: &[PathBuf], pages: &str) -> (Vec<(Arc<source::Document>, std::ops::Range<usize>)>, Vec<String>) {
    let (mut documents, mut errors) = (Vec::new(), Vec::new());
    for path in paths {
        let opened = source::open_path(path, &source::OpenOptions::default());
        errors.extend(opened.problems.iter().map(|p| p.message.clone()));
        for document in opened.documents {
            match page_range(pages, document.page_count()) {
                Ok(range) => documents.push((Arc::new(document), range)),
                Err(e) => errors.push(format!("{}: --pages {e}", document.path.display())),
            }
        }
    }
    (documents, errors)
}

/// Parses `N`, `A-B` (1-based) or `all` into a 0-based page range within `count` pages; the error says
/// what is wrong with `spec`, for the option or field it came from.
pub fn page_range(spec: &str, count: usize) -> Result<std::ops::Range<usize>, String> {
    let spec = spec.trim();
    if spec.eq_ignore_ascii_case("all") {
        return Ok(0..count);
    }
    let (a, b) = match spec.split_once('-') {
        Some((a, b)) => (a.trim().parse::<usize>(), b.trim().parse::<usize>()),
        None => (spec.parse::<usize>(), spec.parse::<usize>()),
    };
    let (Ok(a), Ok(b)) = (a, b) else { return Err(format!("must be N, A-B or all, not '{spec}'")) };
    if a == 0 || b < a {
        return Err(format!("'{spec}': pages count from 1 and A must not exceed B"));
    }
    if b > count {
        return Err(format!("'{spec}': the document has {count} pages"));
    }
    Ok(a - 1..b)
}

#[cfg(test)]
mod tests {
    use super::page_range;

    #[test]
    fn page_specs() {
        assert_eq!(page_range("all", 5).unwrap(), 0..5);
        assert_eq!(page_range("3", 5).unwrap(), 2..3);
        assert_eq!(page_range("2-4", 5).unwrap(), 1..4);
        assert!(page_range("0", 5).is_err());
        assert!(page_range("4-2", 5).is_err());
        assert!(page_range("6", 5).unwrap_err().contains("5 pages"));
        assert!(page_range("x", 5).is_err());
    }
}
