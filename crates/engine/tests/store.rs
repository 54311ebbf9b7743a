//! The document store on real SQLite files: pages written and read back unchanged, documents known by
//! their bytes, the first stores' pages imported, jobs and what each finished, and files that cannot be
//! opened as they are (damaged, from a newer Folio) turned into errors that say so.

use std::path::Path;

use folio_engine::document::source::{open_path, Document, OpenOptions};
use folio_engine::export::{self, Format};
use folio_engine::pipeline::{Outcome, PageResult, StageOutcome};
use folio_engine::stages::{Chunk, LayoutRegion, LineSource, OcrLine, Table, TableCell, Word};
use folio_engine::store::pages::Correction;
use folio_engine::store::{schema, JobDocument, Store, StoredSpec};
use folio_engine::Error;
use rusqlite::Connection;

fn png(path: &Path, shade: u8) {
    image::RgbImage::from_pixel(16, 12, image::Rgb([shade; 3])).save(path).unwrap();
}

fn open(path: &Path) -> Document {
    open_path(path, &OpenOptions::default()).documents.remove(0)
}

/// A page result with something in every table.
fn full_page(document: &Document, page: usize) -> PageResult {
    let mut result = PageResult::empty(document.path.display().to_string(), page, 150.0);
    result.doc_hash = document.content_hash().unwrap();
    result.rotation = 90;
    result.regions = vec![
        LayoutRegion { class: "title".into(), bbox: [1.0, 2.0, 30.5, 8.25], score: 0.9, text: "Heading".into() },
        LayoutRegion { class: "table".into(), bbox: [0.0, 10.0, 40.0, 30.0], score: 0.75, text: String::new() },
    ];
    result.lines = vec![OcrLine {
        text: "Heading <b>&amp;</b>".into(),
        score: 0.875,
        polygon: [[1.0, 2.0], [30.5, 2.5], [30.0, 8.25], [1.5, 8.0]],
        source: LineSource::Ocr,
        words: vec![Word { text: "Heading".into(), polygon: [[1.0, 2.0], [20.0, 2.3], [19.8, 8.1], [1.5, 8.0]], score: 0.5 }],
    }];
    result.tables = vec![Table {
        bbox: [0.0, 10.0, 40.0, 30.0],
        html: "<table><tr><td>a &lt; b</td></tr></table>".into(),
        cells: vec![TableCell { polygon: [[0.0, 10.0], [40.0, 10.0], [40.0, 30.0], [0.0, 30.0]], text: "a < b".into() , row: 0, col: 0, row_span: 1, col_span: 1 }],
    }];
    result.chunks = vec![Chunk { text: "Heading".into(), embedding: vec![0.25, -0.5, 1.0e-7], region: Some(0) }];
    result.outcomes = vec![
        StageOutcome { stage: "layout".into(), outcome: Outcome::Done, ms: 12.5 },
        StageOutcome { stage: "table".into(), outcome: Outcome::Failed { error: "the table model failed".into() }, ms: 3.0 },
        StageOutcome { stage: "embed".into(), outcome: Outcome::Skipped { reason: "no text".into() }, ms: 0.0 },
    ];
    result
}

#[test]
fn a_page_comes_back_as_it_was_written() {
    let dir = tempfile::tempdir().unwrap();
    let image = dir.path().join("page.png");
    png(&image, 40);
    let document = open(&image);
    let store = Store::open(&dir.path().join("folio.sqlite")).unwrap();
    let hash = store.register(&document).unwrap();
    let written = full_page(&document, 1);
    store.put_page(None, &written).unwrap();
    let read = store.page(&hash, 1).unwrap().expect("the page is stored");
    assert_eq!(serde_json::to_value(&read).unwrap(), serde_json::to_value(&written).unwrap());
    assert!(store.page(&hash, 2).unwrap().is_none());
    assert_eq!(statuses(&store, &hash), vec![(1, "failed".to_string())], "a failed stage fails the page");

    // Written again, the page replaces what was there (no duplicate rows).
    let mut again = written.clone();
    again.lines.clear();
    again.outcomes.truncate(1);
    store.put_page(None, &again).unwrap();
    let read = store.page(&hash, 1).unwrap().unwrap();
    assert!(read.lines.is_empty());
    assert_eq!(statuses(&store, &hash), vec![(1, "done".to_string())]);
}

#[test]
fn the_same_bytes_under_another_name_are_the_same_document() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.png"), dir.path().join("copy of a.png"));
    png(&a, 70);
    std::fs::copy(&a, &b).unwrap();
    let store = Store::open(&dir.path().join("folio.sqlite")).unwrap();
    let first = open(&a);
    store.register(&first).unwrap();
    store.put_page(None, &full_page(&first, 1)).unwrap();
    let copy = open(&b);
    let hash = store.register(&copy).unwrap();
    assert!(store.page(&hash, 1).unwrap().is_some(), "the copy's results are there without running anything");
    let record = store.find_document(&b.display().to_string()).unwrap().unwrap();
    assert_eq!(record.paths.len(), 2, "both paths are listed: {:?}", record.paths);
    assert_eq!(record.last_path(), b.display().to_string());

    png(&b, 71);
    let changed = open(&b);
    assert_ne!(changed.content_hash().unwrap(), hash, "a changed file is a new document");
    assert!(store.page(&changed.content_hash().unwrap(), 1).unwrap().is_none());
}

#[test]
fn the_first_stores_pages_are_imported() {
    let dir = tempfile::tempdir().unwrap();
    let image = dir.path().join("kept.png");
    png(&image, 90);
    let document = open(&image);
    let db = dir.path().join("old.sqlite");
    {
        // The version-0 layout, exactly as the first stores wrote it.
        let c = Connection::open(&db).unwrap();
        c.execute_batch(
            "CREATE TABLE pages (doc TEXT NOT NULL, page INTEGER NOT NULL, job INTEGER NOT NULL, dpi REAL NOT NULL, result TEXT NOT NULL, PRIMARY KEY (doc, page));",
        )
        .unwrap();
        let mut kept = full_page(&document, 1);
        kept.doc_hash.clear();
        let mut gone = PageResult::empty("/nowhere/lost.pdf", 3, 72.0);
        gone.lines = kept.lines.clone();
        for (doc, page, result) in [(image.display().to_string(), 1, &kept), ("/nowhere/lost.pdf".to_string(), 3, &gone)] {
            c.execute("INSERT INTO pages VALUES (?1, ?2, 7, ?3, ?4)", rusqlite::params![doc, page, result.dpi as f64, serde_json::to_string(result).unwrap()])
                .unwrap();
        }
    }
    let store = Store::open(&db).unwrap();
    assert_eq!(store.imported_pages(), 2);
    let page = store.page(&document.content_hash().unwrap(), 1).unwrap().expect("a document still on disk is known by its bytes");
    assert_eq!(page.lines[0].text, "Heading <b>&amp;</b>");
    assert_eq!(page.regions.len(), 2);
    let lost = store.find_document("/nowhere/lost.pdf").unwrap().expect("one whose file is gone is kept under its path");
    assert!(lost.hash.starts_with("missing:"));
    assert_eq!(store.page(&lost.hash, 3).unwrap().unwrap().dpi, 72.0);
    drop(store);
    let c = Connection::open(&db).unwrap();
    assert_eq!(schema::version(&c).unwrap(), schema::VERSION);
    let kept: i64 = c.query_row("SELECT COUNT(*) FROM pages_v0", [], |r| r.get(0)).unwrap();
    assert_eq!(kept, 2, "the old rows are kept, not dropped");
    drop(c);
    assert_eq!(Store::open(&db).unwrap().imported_pages(), 0, "a migrated file is not imported twice");
}

#[test]
fn a_version_1_store_keeps_its_lines_and_gains_words() {
    let dir = tempfile::tempdir().unwrap();
    let image = dir.path().join("page.png");
    png(&image, 55);
    let document = open(&image);
    let db = dir.path().join("v1.sqlite");
    let hash = {
        let store = Store::open(&db).unwrap();
        let hash = store.register(&document).unwrap();
        store.put_page(None, &full_page(&document, 1)).unwrap();
        hash
    };
    {
        // Back to version 1's tables: lines without their words, pages without their size, no passages.
        let c = Connection::open(&db).unwrap();
        c.execute_batch(
            "ALTER TABLE lines DROP COLUMN words; ALTER TABLE pages DROP COLUMN width; ALTER TABLE pages DROP COLUMN height;
             DROP TABLE passages; DROP TABLE corrections; PRAGMA user_version = 1;",
        )
        .unwrap();
    }
    let store = Store::open(&db).unwrap();
    let page = store.page(&hash, 1).unwrap().expect("the page survives the migration");
    assert_eq!(page.lines[0].text, "Heading <b>&amp;</b>");
    assert!(page.lines[0].words.is_empty(), "lines stored before words were kept have none");
    // Version 3 built the passages of the pages already stored: the page is found by its words.
    let c = Connection::open(&db).unwrap();
    let found: i64 = c.query_row("SELECT COUNT(*) FROM passages WHERE passages MATCH 'heading'", [], |r| r.get(0)).unwrap();
    assert_eq!(found, 1);
    drop(c);
    store.put_page(None, &full_page(&document, 1)).unwrap();
    assert_eq!(store.page(&hash, 1).unwrap().unwrap().lines[0].words, full_page(&document, 1).lines[0].words);
}

#[test]
fn files_that_cannot_be_opened_say_why() {
    let dir = tempfile::tempdir().unwrap();
    let garbage = dir.path().join("garbage.sqlite");
    std::fs::write(&garbage, vec![0x5a; 8192]).unwrap();
    match Store::open(&garbage) {
        Err(Error::StoreCorrupt { .. }) => {}
        Err(other) => panic!("a damaged file is reported as damaged, not: {other}"),
        Ok(_) => panic!("a damaged file does not open"),
    }
    let aside = Store::move_aside(&garbage).unwrap();
    assert!(aside.exists() && !garbage.exists(), "moving aside keeps the file");
    assert!(Store::open(&garbage).is_ok(), "a fresh store starts where it was");

    let newer = dir.path().join("newer.sqlite");
    Store::open(&newer).unwrap();
    Connection::open(&newer).unwrap().pragma_update(None, "user_version", schema::VERSION + 1).unwrap();
    match Store::open(&newer) {
        Err(Error::StoreTooNew { version, .. }) => assert_eq!(version, schema::VERSION + 1),
        Err(other) => panic!("a newer file is reported as newer, not: {other}"),
        Ok(_) => panic!("a newer file is not written"),
    }
    let read_only = Store::open_read_only(&newer).unwrap();
    assert!(read_only.jobs().unwrap().is_empty(), "read-only, it can still be read");
    assert!(matches!(read_only.create_job(&spec("x"), 1), Err(Error::StoreReadOnly { .. })));
}

fn spec(hash: &str) -> StoredSpec {
    StoredSpec { documents: vec![JobDocument { path: "/d.pdf".into(), hash: hash.into() }], pages: None, only: None, stages: Vec::new(), dpi: 72.0, text_layer: Default::default(), recogniser: Default::default() }
}

#[test]
fn jobs_keep_their_order_and_what_they_finished() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("folio.sqlite")).unwrap();
    let (a, b, c) = (store.create_job(&spec("a"), 3).unwrap(), store.create_job(&spec("b"), 3).unwrap(), store.create_job(&spec("c"), 3).unwrap());
    let order = |s: &Store| s.jobs().unwrap().iter().map(|j| j.id).collect::<Vec<_>>();
    assert_eq!(order(&store), vec![a, b, c]);
    assert!(store.move_job(c, true).unwrap());
    assert_eq!(order(&store), vec![a, c, b]);
    assert!(!store.move_job(a, true).unwrap(), "the first job has nothing above it");
    assert!(store.remove_job(c).unwrap());
    assert_eq!(order(&store), vec![a, b]);

    store.set_job_state(a, "finished", None).unwrap();
    store.set_job_state(b, "failed", Some("the layout model cannot be loaded")).unwrap();
    let failed = store.job(b).unwrap().unwrap();
    assert_eq!(failed.error.as_deref(), Some("the layout model cannot be loaded"));
    assert!(failed.finished_at.is_some());
    assert!(store.unfinished_jobs().unwrap().is_empty());

    // A job left `running` by a process that is gone is unfinished; its finished pages are left out.
    let image = dir.path().join("p.png");
    png(&image, 5);
    let document = open(&image);
    let hash = store.register(&document).unwrap();
    let job = store.create_job(&spec(&hash), 1).unwrap();
    store.set_job_state(job, "running", None).unwrap();
    let record = store.job(job).unwrap().unwrap();
    assert_eq!(store.remaining_pages(&record, &[1], false).unwrap(), vec![(0, 0)]);
    store.put_page(Some(job), &full_page(&document, 1)).unwrap();
    let record = store.job(job).unwrap().unwrap();
    assert_eq!((record.pages_done, record.pages_failed), (1, 1));
    assert!(store.remaining_pages(&record, &[1], false).unwrap().is_empty(), "a finished page is not done again");
    assert_eq!(store.remaining_pages(&record, &[1], true).unwrap(), vec![(0, 0)], "a retry takes the failed page");
}

#[test]
fn the_json_export_holds_every_page_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("scans");
    std::fs::create_dir(&folder).unwrap();
    for i in 1..=3 {
        png(&folder.join(format!("p{i}.png")), i * 10);
    }
    let document = open(&folder);
    let store = Store::open(&dir.path().join("folio.sqlite")).unwrap();
    store.register(&document).unwrap();
    for page in [3, 1] {
        store.put_page(None, &full_page(&document, page)).unwrap();
    }
    let record = store.find_document(&document.content_hash().unwrap()).unwrap().unwrap();
    let mut out = Vec::new();
    export::export(&store, &record, Format::Json, &mut out).unwrap();
    let value: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(value["doc"], document.content_hash().unwrap());
    assert_eq!(value["kind"], "image_folder");
    let pages: Vec<u64> = value["pages"].as_array().unwrap().iter().map(|p| p["page"].as_u64().unwrap()).collect();
    assert_eq!(pages, vec![1, 3]);
    let line = &value["pages"][0]["lines"][0];
    assert_eq!(line["source"], "ocr");
    assert_eq!(line["bbox"], serde_json::json!([1.0, 2.0, 30.5, 8.25]));
    assert_eq!(value["pages"][0]["status"], "failed");
    assert_eq!(value["pages"][0]["stages"][1]["error"], "the table model failed");

    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/schema/document.schema.json")).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("the schema is valid JSON Schema");
    let errors: Vec<String> = validator.iter_errors(&value).map(|e| format!("{} at {}", e, e.instance_path)).collect();
    assert!(errors.is_empty(), "the export follows docs/schema/document.schema.json: {errors:#?}");
    let mut broken = value.clone();
    broken["pages"][0]["lines"][0]["source"] = "guess".into();
    assert!(!validator.is_valid(&broken), "the schema rejects what the format does not allow");
}

fn statuses(store: &Store, hash: &str) -> Vec<(usize, String)> {
    store.page_statuses(hash).unwrap().into_iter().map(|s| (s.page, s.status)).collect()
}

#[test]
fn a_corrected_line_is_read_exported_and_searched_with_the_original_kept() {
    let dir = tempfile::tempdir().unwrap();
    let image = dir.path().join("page.png");
    png(&image, 70);
    let document = open(&image);
    let store = Store::open(&dir.path().join("folio.sqlite")).unwrap();
    let hash = store.register(&document).unwrap();
    store.put_page(None, &full_page(&document, 1)).unwrap();

    let corrected = store.correct(&hash, 1, &Correction::LineText { line: 0, text: "Heading <i>fixed</i> & checked".into() }).unwrap().expect("the line exists");
    assert_eq!(corrected.lines[0].text, "Heading <i>fixed</i> & checked");
    assert_eq!(corrected.edits[0].original, "Heading <b>&amp;</b>", "what was found is kept");
    assert!(corrected.lines[0].words.is_empty());
    assert_eq!(corrected.regions[0].text, "Heading <i>fixed</i> & checked", "the region's text follows its line");
    assert!(store.correct(&hash, 1, &Correction::LineText { line: 7, text: "no such line".into() }).unwrap().is_none());
    assert!(store.correct(&hash, 2, &Correction::LineText { line: 0, text: "no such page".into() }).unwrap().is_none());

    // Read back, exported, searched.
    assert_eq!(store.page(&hash, 1).unwrap().unwrap().lines[0].text, "Heading <i>fixed</i> & checked");
    let record = store.find_document(&hash).unwrap().unwrap();
    let mut json = Vec::new();
    export::export(&store, &record, Format::Json, &mut json).unwrap();
    let json: serde_json::Value = serde_json::from_slice(&json).unwrap();
    assert_eq!(json["pages"][0]["lines"][0]["edited"], true);
    assert_eq!(json["pages"][0]["lines"][0]["original_text"], "Heading <b>&amp;</b>");
    let mut md = Vec::new();
    export::export(&store, &record, Format::Md, &mut md).unwrap();
    assert!(String::from_utf8(md).unwrap().contains("Heading &lt;i&gt;fixed&lt;/i&gt; &amp; checked"));
    assert_eq!(store.keyword_matches("\"checked\"", None, 5).unwrap().len(), 1, "search finds the corrected text");

    // A region's class, corrected the same way; the overview and the JSON say so.
    let reclassed = store.correct(&hash, 1, &Correction::RegionClass { region: 1, class: "figure".into() }).unwrap().unwrap();
    assert_eq!(reclassed.regions[1].class, "figure");
    assert_eq!(reclassed.region_edits[0].original_class, "table");
    assert!(store.correct(&hash, 1, &Correction::RegionClass { region: 9, class: "text".into() }).unwrap().is_none());
    let mut json = Vec::new();
    export::export(&store, &record, Format::Json, &mut json).unwrap();
    let json: serde_json::Value = serde_json::from_slice(&json).unwrap();
    assert_eq!(json["pages"][0]["regions"][1]["class"], "figure");
    assert_eq!(json["pages"][0]["regions"][1]["original_class"], "table");

    // The overview counts it.
    let status = &store.page_statuses(&hash).unwrap()[0];
    assert_eq!((status.lines, status.ocr_lines, status.edited), (1, 1, 2));
    assert!((status.mean_confidence.unwrap() - 0.875).abs() < 1e-6);

    // Processed again: new results, and the correction made to the old ones goes with them.
    store.put_page(None, &full_page(&document, 1)).unwrap();
    let again = store.page(&hash, 1).unwrap().unwrap();
    assert_eq!(again.lines[0].text, "Heading <b>&amp;</b>");
    assert!(again.edits.is_empty());
    assert!(store.keyword_matches("\"checked\"", None, 5).unwrap().is_empty());
}

#[test]
fn regions_deleted_and_drawn_are_kept_apart_from_what_was_found() {
    let dir = tempfile::tempdir().unwrap();
    let image = dir.path().join("page.png");
    png(&image, 90);
    let document = open(&image);
    let store = Store::open(&dir.path().join("folio.sqlite")).unwrap();
    let hash = store.register(&document).unwrap();
    store.put_page(None, &full_page(&document, 1)).unwrap();

    // A region's class changed, then the region deleted: it is kept as it was found.
    store.correct(&hash, 1, &Correction::RegionClass { region: 0, class: "list".into() }).unwrap().unwrap();
    // The table region is not one: its table goes with it.
    let no_table = store.correct(&hash, 1, &Correction::RegionDelete { region: 1 }).unwrap().unwrap();
    assert!(no_table.tables.is_empty());
    let back = store.correct(&hash, 1, &Correction::RegionRestore { key: 1 }).unwrap().unwrap();
    assert_eq!(back.tables.len(), 1);
    // The title is not a region; a text region around the heading is.
    let without = store.correct(&hash, 1, &Correction::RegionDelete { region: 0 }).unwrap().expect("the region exists");
    assert_eq!(without.regions.iter().map(|r| r.class.as_str()).collect::<Vec<_>>(), ["table"]);
    assert_eq!((without.deleted_regions[0].key, without.deleted_regions[0].class.as_str()), (0, "title"));
    let drawn = store.correct(&hash, 1, &Correction::RegionAdd { bbox: [0.0, 0.0, 35.0, 9.0], class: "text".into() }).unwrap().unwrap();
    assert_eq!(drawn.regions.len(), 2);
    let place = drawn.added_regions[0];
    assert_eq!(drawn.regions[place].class, "text");
    assert_eq!(drawn.regions[place].text, "Heading <b>&amp;</b>", "the drawn region takes the lines inside it");
    // Its chunk's region is gone, so the chunk no longer points at a region, and search says so.
    assert_eq!(drawn.chunks[0].region, None);
    let record = store.find_document(&hash).unwrap().unwrap();
    assert_eq!(store.passage_facts(record.id, 1, Some(0), Some(0)).unwrap().region, None);

    // Search finds the heading in the drawn region; the hit names it.
    let hits = store.keyword_matches("\"Heading\"", None, 5).unwrap();
    assert_eq!(hits.len(), 1);
    let facts = store.passage_facts(record.id, 1, hits[0].key.region, hits[0].key.chunk).unwrap();
    assert_eq!(facts.region, Some(place));
    assert_eq!(facts.class.as_deref(), Some("text"));
    assert_eq!(facts.bbox, Some([0.0, 0.0, 35.0, 9.0]));

    // The JSON export marks the drawn region and lists the deleted one.
    let mut json = Vec::new();
    export::export(&store, &record, Format::Json, &mut json).unwrap();
    let json: serde_json::Value = serde_json::from_slice(&json).unwrap();
    let page = &json["pages"][0];
    assert_eq!(page["regions"].as_array().unwrap().len(), 2);
    assert_eq!(page["regions"][place]["drawn"], true);
    assert_eq!(page["deleted_regions"][0]["class"], "title");

    // A drawn region's class changes like any other's, with nothing "found" to keep.
    let reclassed = store.correct(&hash, 1, &Correction::RegionClass { region: place, class: "list".into() }).unwrap().unwrap();
    assert_eq!(reclassed.regions[place].class, "list");
    assert!(reclassed.region_edits.is_empty());

    // Bad corrections are refused with a reason; unknown ones find nothing.
    for bad in [
        Correction::RegionAdd { bbox: [5.0, 5.0, 5.0, 20.0], class: "text".into() },
        Correction::RegionAdd { bbox: [0.0, 0.0, 10.0, 10.0], class: "  ".into() },
        Correction::RegionAdd { bbox: [f32::NAN, 0.0, 10.0, 10.0], class: "text".into() },
    ] {
        assert!(matches!(store.correct(&hash, 1, &bad), Err(folio_engine::Error::InvalidCorrection(_))), "{bad:?}");
    }
    assert!(store.correct(&hash, 1, &Correction::RegionRestore { key: 7 }).unwrap().is_none());
    assert!(store.correct(&hash, 1, &Correction::RegionDelete { region: 9 }).unwrap().is_none());

    // The drawn region deleted is gone; the title restored is back, with the lines in it.
    let place = reclassed.added_regions[0];
    let gone = store.correct(&hash, 1, &Correction::RegionDelete { region: place }).unwrap().unwrap();
    assert!(gone.added_regions.is_empty() && gone.regions.len() == 1);
    assert_eq!(gone.deleted_regions.len(), 1, "only what layout analysis found is kept when deleted");
    let back = store.correct(&hash, 1, &Correction::RegionRestore { key: 0 }).unwrap().unwrap();
    assert_eq!(back.regions.iter().map(|r| r.class.as_str()).collect::<Vec<_>>(), ["list", "table"], "its change of class stays");
    assert_eq!(back.region_edits[0].original_class, "title");
    assert!(back.deleted_regions.is_empty());
    assert_eq!(serde_json::to_value(&back).unwrap(), serde_json::to_value(store.page(&hash, 1).unwrap().unwrap()).unwrap());
    assert_eq!(back.regions[0].text, "Heading", "with the regions as found, their text is what was found");
    assert_eq!(back.chunks[0].region, Some(0));
}
