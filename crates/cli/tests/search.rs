//! `folio search` and `folio export` on a real manual: the first 45 pages of fancyhdr.pdf processed with
//! layout, text and embeddings into a store of the test's own, then exact phrases found on their page by
//! keyword search (top 3), questions written by hand that paraphrase passages found on their page by
//! semantic search (top 5, at least 8 of 10), and every export format written from the same store.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value;

/// Exact phrases from the manual's pages, and the page each is on.
const PHRASES: [(&str, usize); 10] = [
    ("should therefore not be modified", 6),
    ("lower case roman numerals", 8),
    ("Longtables will be automatically split", 44),
    ("the TEX machinery has only one", 20),
    ("decorative line occupy zero vertical space", 23),
    ("possibly leaving you with a half-empty page", 35),
    ("Floats are page elements that float with respect to the rest of the document", 41),
    ("there will be no chapter numbers", 29),
    ("LATEX may have a different idea about the current page", 32),
    ("special page style toc for use in the table of contents", 14),
];

/// Questions that say what a passage says in other words, and the passage's page.
const QUESTIONS: [(&str, usize); 10] = [
    ("Why shouldn't I change LaTeX's output routine myself?", 6),
    ("How can I remove the headers and footers on the first page but keep the page number?", 10),
    ("How do I create my own page style for the table of contents?", 14),
    ("How does LaTeX remember the current chapter and section for the running heads?", 17),
    ("Why is the right mark empty on the first page of a chapter?", 20),
    ("An ornamental line under the header instead of a plain rule", 23),
    ("Roman page numbers in the front matter and numbering restarted in each chapter", 29),
    ("Make a page style change start on the following page without ending the current page early", 35),
    ("Why does LaTeX move my figure away from where I put it?", 41),
    ("What to do with a table that is longer than one page", 44),
];

fn manual() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/real/fancyhdr.pdf")
}

fn folio(db: &Path, args: &[&str]) -> Value {
    let mut command = Command::new(env!("CARGO_BIN_EXE_folio"));
    // Searching and exporting only read: the tests share one store, opened read-only.
    if matches!(args.first(), Some(&"search") | Some(&"export")) {
        command.arg("--read-only");
    }
    let out = command.arg("--db").arg(db).args(args).arg("--json").output().expect("run folio");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "folio {args:?}: {stdout} {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("one JSON object ({e}): {stdout}"))
}

/// The store with the manual's first 45 pages. Each test runs in a process of its own, so the first to
/// get here processes the pages (holding a lock file) and the others wait for its store; a new build of
/// `folio` processes them again.
fn store() -> &'static PathBuf {
    static STORE: OnceLock<PathBuf> = OnceLock::new();
    STORE.get_or_init(|| {
        let binary = std::fs::metadata(env!("CARGO_BIN_EXE_folio")).and_then(|m| m.modified()).unwrap();
        let stamp = binary.duration_since(std::time::UNIX_EPOCH).unwrap().as_millis();
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("search-store-{stamp}"));
        std::fs::create_dir_all(&dir).unwrap();
        let (db, lock) = (dir.join("folio.sqlite"), dir.join("processing.lock"));
        let started = std::time::Instant::now();
        while !db.exists() {
            match std::fs::OpenOptions::new().write(true).create_new(true).open(&lock) {
                Ok(_) => {
                    let partial = dir.join("partial.sqlite");
                    let _ = std::fs::remove_file(&partial);
                    let done = folio(&partial, &["process", "--pages", "1-45", "--stages", "layout,ocr,embed", "--dpi", "100", manual().to_str().unwrap()]);
                    assert_eq!(done["pages"], 45, "{done}");
                    // Fold the write-ahead log in, so that the one file is the whole store.
                    rusqlite::Connection::open(&partial).unwrap().pragma_update(None, "journal_mode", "DELETE").unwrap();
                    std::fs::rename(&partial, &db).unwrap();
                    std::fs::remove_file(&lock).unwrap();
                }
                Err(_) => {
                    assert!(started.elapsed().as_secs() < 600, "another test holds {} for over 10 minutes", lock.display());
                    std::thread::sleep(std::time::Duration::from_millis(200));
                }
            }
        }
        db
    })
}

fn pages(found: &Value) -> Vec<u64> {
    found["results"].as_array().unwrap().iter().map(|r| r["page"].as_u64().unwrap()).collect()
}

#[test]
fn exact_phrases_find_their_page_in_the_top_three() {
    let db = store();
    for (phrase, page) in PHRASES {
        let found = folio(db, &["search", "--mode", "keyword", "--k", "3", phrase]);
        let got = pages(&found);
        assert!(got.contains(&(page as u64)), "'{phrase}' is on page {page}; keyword search gave {got:?}");
        let first = &found["results"][0];
        for field in ["doc", "path", "page", "region", "score", "snippet"] {
            assert!(first.get(field).is_some(), "{field} in every result: {first}");
        }
        assert!(first["snippet_parts"].as_array().unwrap().iter().any(|p| p["match"] == true), "matched words are marked");
    }
}

#[test]
fn questions_in_other_words_find_their_page_in_the_top_five() {
    let db = store();
    let mut hits = 0;
    for (question, page) in QUESTIONS {
        let got = pages(&folio(db, &["search", "--mode", "semantic", "--k", "5", question]));
        let hit = got.contains(&(page as u64));
        println!("{} page {page}, found {got:?}: {question}", if hit { "hit " } else { "MISS" });
        hits += hit as usize;
    }
    println!("{hits} of {} questions found their page in the top 5", QUESTIONS.len());
    assert!(hits >= 8, "{hits} of 10");
}

#[test]
fn hybrid_search_ranks_and_filters() {
    let db = store();
    let found = folio(db, &["search", "--k", "5", "roman numerals for page numbers"]);
    assert_eq!(found["mode"], "hybrid");
    let results = found["results"].as_array().unwrap();
    assert!(pages(&found).contains(&8), "{found}");
    let scores: Vec<f64> = results.iter().map(|r| r["score"].as_f64().unwrap()).collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "in rank order: {scores:?}");
    assert!(results.iter().any(|r| r["keyword_rank"].is_u64() && r["semantic_rank"].is_u64()), "fusion found passages both ways");

    // Filters: a document that is not this one finds nothing; a class keeps only its regions.
    let titles = folio(db, &["search", "--k", "5", "--class", "title", "page styles"]);
    assert!(titles["results"].as_array().unwrap().iter().all(|r| r["class"] == "title"), "{titles}");
    let ocr_only = folio(db, &["search", "--k", "5", "--route", "ocr", "page styles"]);
    assert!(ocr_only["results"].as_array().unwrap().is_empty(), "every page took its text layer");
    let one_doc = folio(db, &["search", "--k", "3", "--doc", manual().to_str().unwrap(), "page styles"]);
    assert_eq!(one_doc["results"].as_array().unwrap().len(), 3);
}

#[test]
fn every_format_exports_from_the_store() {
    let db = store();
    let dir = tempfile::tempdir().unwrap();
    let doc = manual();
    for format in ["json", "md", "hocr", "alto", "csv"] {
        let out = dir.path().join(format!("manual.{format}"));
        let written = folio(db, &["export", doc.to_str().unwrap(), "--format", format, "-o", out.to_str().unwrap()]);
        assert_eq!(written["format"], format, "{written}");
        assert!(out.exists(), "{format} written");
    }
    let md = std::fs::read_to_string(dir.path().join("manual.md")).unwrap();
    assert_eq!(md.matches("<!-- page ").count(), 45);
    assert!(md.contains("## ") && md.contains("Redefining page style plain"), "headings from layout titles");
    let hocr = std::fs::read_to_string(dir.path().join("manual.hocr")).unwrap();
    assert_eq!(hocr.matches("class=\"ocr_page\"").count(), 45);
    // A PDF whose pages all took their text layer gets no OCR text and stays as it was, page for page.
    let pdf = dir.path().join("manual.pdf");
    let written = folio(db, &["export", doc.to_str().unwrap(), "--format", "pdf", "-o", pdf.to_str().unwrap()]);
    assert_eq!(written["pdf"]["pages_with_ocr_text"], 0, "{written}");
    assert_eq!(written["pdf"]["pages"], 80);
}
