//! The `folio` binary end to end, with the real runtimes and fixtures.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures").join(name)
}

fn folio(args: &[&str]) -> (i32, Value, String) {
    folio_with_env(args, &[])
}

fn folio_with_env(args: &[&str], env: &[(&str, &Path)]) -> (i32, Value, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_folio"));
    // Tests keep their stores to themselves, never in the user's data directory.
    cmd.env("XDG_DATA_HOME", std::env::temp_dir().join(format!("folio-cli-tests-{}", std::process::id())));
    cmd.args(args).arg("--json");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run folio");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let json: Value = serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("one JSON object on stdout ({e}): {stdout}"));
    (out.status.code().unwrap_or(-1), json, String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn doctor_is_green_with_the_fetched_models_and_red_without_one() {
    let (code, json, _) = folio(&["doctor"]);
    assert_eq!(code, 0, "{json}");
    assert_eq!(json["ok"], true);
    assert_eq!(json["artifacts"].as_array().unwrap().len(), 13, "every artifact of models/manifest.json");

    // A models directory with every file but one.
    let real = PathBuf::from(json["models_dir"].as_str().unwrap());
    let partial = tempfile::tempdir().unwrap();
    for artifact in json["artifacts"].as_array().unwrap() {
        let file = artifact["file"].as_str().unwrap();
        if file != "layout_cdla.onnx" {
            std::os::unix::fs::symlink(real.join(file), partial.path().join(file)).unwrap();
        }
    }
    let (code, json, _) = folio_with_env(&["doctor"], &[("FOLIO_MODELS_DIR", partial.path())]);
    assert_eq!(code, 1);
    assert_eq!(json["ok"], false);
    let layout = json["artifacts"].as_array().unwrap().iter().find(|a| a["id"] == "layout").unwrap();
    let problem = layout["problem"].as_str().unwrap();
    assert!(problem.contains("layout_cdla.onnx") && problem.contains("models/fetch.py"), "{problem}");
}

#[test]
fn info_reports_documents_and_problems() {
    let three = fixture("three-pages.pdf");
    let bad = fixture("bad");
    let (code, json, _) = folio(&["info", three.to_str().unwrap(), bad.to_str().unwrap()]);
    assert_eq!(code, 1, "problems make the exit status 1");
    let docs = json["documents"].as_array().unwrap();
    assert_eq!(docs.len(), 2);
    assert_eq!(docs[0]["pages"], 3);
    assert_eq!(docs[0]["kind"], "pdf");
    assert_eq!(docs[0]["page_sizes"][0]["pages"], 3);
    assert_eq!(json["problems"].as_array().unwrap().len(), 6);
}

#[test]
fn render_reports_speed_and_memory_and_writes_pages() {
    let out = tempfile::tempdir().unwrap();
    let three = fixture("three-pages.pdf");
    let (code, json, stderr) =
        folio(&["render", three.to_str().unwrap(), "--pages", "2-3", "--dpi", "60", "-o", out.path().to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(json["pages"], 2);
    for key in ["pages_per_s", "rss_first_mb", "rss_peak_mb", "rss_end_mb"] {
        assert!(json[key].as_f64().unwrap() > 0.0, "{key} in {json}");
    }
    let page2 = image::open(out.path().join("page-0002.png")).unwrap();
    assert_eq!((page2.width(), page2.height()), (510, 660));
    assert!(out.path().join("page-0003.png").exists());
    assert!(!out.path().join("page-0001.png").exists());

    let (code, json, _) = folio(&["render", three.to_str().unwrap(), "--pages", "7"]);
    assert_eq!(code, 2);
    assert!(json["error"].as_str().unwrap().contains("3 pages"));
}

#[test]
fn tune_measures_each_batch_size_and_recommends_the_fastest_under_the_budget() {
    let pdf = fixture("three-pages.pdf");
    let args = ["tune", pdf.to_str().unwrap(), "--sample", "2", "--sizes", "1,2", "--stages", "orientation", "--dpi", "50"];
    let (code, json, stderr) = folio(&args);
    assert_eq!(code, 0, "{json} {stderr}");
    assert_eq!(json["sample_pages"], 2);
    assert!(json["detection_max_side"].is_null(), "full-size detection without a budget: {json}");
    let rows = json["rows"].as_array().unwrap();
    assert_eq!(rows.iter().map(|r| r["batch_size"].as_u64().unwrap()).collect::<Vec<_>>(), vec![1, 2], "{json}");
    assert!(rows.iter().all(|r| r["stage"] == "orientation" && r["pages_per_s"].as_f64().unwrap() > 0.0 && r["peak_rss_mb"].as_f64().unwrap() > 0.0));
    let fastest = rows.iter().max_by(|a, b| a["pages_per_s"].as_f64().unwrap().total_cmp(&b["pages_per_s"].as_f64().unwrap())).unwrap();
    assert_eq!(json["recommended"], serde_json::json!([["orientation", fastest["batch_size"]]]));

    // No size fits in 1 MB: every row says so, and the recommendation falls back to the lowest peak.
    let (code, json, stderr) = folio(&[&args[..], &["--budget-mb", "1"]].concat());
    assert_eq!(code, 0, "{json} {stderr}");
    assert_eq!(json["detection_max_side"], 1440, "detection limited as the worker limits it under a budget");
    let rows = json["rows"].as_array().unwrap();
    assert!(rows.iter().all(|r| r["within_budget"] == false), "{json}");
    let leanest = rows.iter().min_by(|a, b| a["peak_rss_mb"].as_f64().unwrap().total_cmp(&b["peak_rss_mb"].as_f64().unwrap())).unwrap();
    assert_eq!(json["recommended"], serde_json::json!([["orientation", leanest["batch_size"]]]));
}

#[test]
fn soak_loops_the_document_and_reports_the_slope_and_where_memory_went() {
    let pdf = fixture("three-pages.pdf");
    let (code, json, stderr) = folio(&[
        "soak",
        pdf.to_str().unwrap(),
        "--pages",
        "8",
        "--warmup",
        "2",
        "--floor-window",
        "2",
        "--stages",
        "layout",
        "--dpi",
        "50",
        "--no-settle",
    ]);
    assert_eq!(code, 0, "{json} {stderr}");
    assert_eq!(json["pages"], 8, "three pages looped to eight");
    assert!(json["settled_floors"].as_array().unwrap().is_empty(), "--no-settle: {json}");
    assert_eq!(json["warmup_pages"], 2);
    for key in ["rss_after_warmup_mb", "slope_kb_per_page", "peak_rss_mb", "page_end_slope_kb_per_page"] {
        assert!(json[key].is_number(), "{key}: {json}");
    }
    // Page 3 (a window of its own) was done whole on the first and second passes after warm-up; pages 1-2
    // only on the second: one window to compare with itself.
    assert_eq!(json["slope_method"], "same_pages_next_pass", "{json}");
    let matched = json["matched_windows"].as_array().unwrap();
    assert_eq!(matched.len(), 1, "{json}");
    assert_eq!(matched[0]["first_page"], 3);
    assert_eq!(matched[0]["pages_between"], 3.0);
    assert!(json["window_floor_slope_kb_per_page"].is_number(), "{json}");
    let lean = &json["without_pages_in_flight"];
    assert!(lean["slope_kb_per_page"].is_number(), "{json}");
    assert_eq!(lean["matched_windows"].as_array().unwrap().len(), 1, "{json}");
    assert!(lean["matched_windows"][0]["floor_before_mb"].as_f64().unwrap() <= matched[0]["floor_before_mb"].as_f64().unwrap());
    // Less pdfium's per-document caches as well: never above the floors it is taken from.
    let own = &json["without_pdfium_document_caches"];
    assert_eq!(own["matched_windows"].as_array().unwrap().len(), 1, "{json}");
    assert!(own["matched_windows"][0]["floor_before_mb"].as_f64().unwrap() <= lean["matched_windows"][0]["floor_before_mb"].as_f64().unwrap());
    assert!(own["window_floor_slope_se_kb_per_page"].is_number() || own["window_floor_slope_se_kb_per_page"].is_null());
    assert_eq!(json["floor_mb"].as_array().unwrap().len(), 3, "windows of two pages after two of warm-up: {json}");
    let parts = json["floor_parts_mb"].as_array().unwrap();
    assert_eq!(parts.len(), 3, "the parts of each window's floor: {json}");
    for (part, floor) in parts.iter().zip(json["floor_mb"].as_array().unwrap()) {
        assert_eq!(part["rss"], *floor, "a window's parts are read at its floor: {json}");
        assert!(part["models"].as_f64().unwrap() > 0.0, "{json}");
    }
    assert!(json["leak_warnings"].as_array().unwrap().is_empty());
    let attribution = &json["attribution"];
    assert!(attribution["other"].is_number() && attribution["models"].as_f64().unwrap() > 0.0, "{attribution}");
    assert!(json["peak_rss_mb_after_pages"]["10"].is_null(), "no figure for pages not reached");
}

#[test]
fn soak_reads_settled_floors_with_the_pipeline_drained_and_every_model_loaded_first() {
    let pdf = fixture("three-pages.pdf");
    // Pages taken before a drain finish during it, so floors come a window or more apart: 24 pages leave room
    // for three.
    let args = ["soak", pdf.to_str().unwrap(), "--pages", "24", "--warmup", "2", "--floor-window", "2", "--stages", "layout", "--dpi", "50"];
    let (code, json, stderr) = folio(&args);
    assert_eq!(code, 0, "{json} {stderr}");
    assert_eq!(json["models_preloaded"], serde_json::json!(["layout"]), "{json}");
    assert_eq!(json["model_loaded_after_pages"]["layout"], 1, "loaded before the first page was done: {json}");
    let floors = json["settled_floors"].as_array().unwrap();
    assert!(floors.len() >= 3, "one every two pages, as the pipeline allows: {json}");
    let done: Vec<u64> = floors.iter().map(|f| f["pages_done"].as_u64().unwrap()).collect();
    assert!(done.windows(2).all(|w| w[1] >= w[0] + 2), "a window's worth of pages between two: {done:?}");
    assert!(done.iter().all(|&d| (2..=24).contains(&d)), "{done:?}");
    for floor in floors {
        let (rss, free, at) = (floor["rss_mb"].as_f64().unwrap(), floor["arena_free_mb"].as_f64().unwrap(), floor["floor_mb"].as_f64().unwrap());
        assert!((at - (rss - free)).abs() < 0.02, "the floor is RSS less the arena's free part and its table: {floor}");
        assert!(free * 32.0 / 33.0 <= floor["arena_reserved_mb"].as_f64().unwrap() + 0.02, "{floor}");
        assert!(floor["libraries_mb"].as_f64().unwrap() > 0.0 && floor["heap_in_use_mb"].as_f64().unwrap() > 0.0, "{floor}");
    }
    assert_eq!(json["slope_method"], "settled_floor", "{json}");
    assert_eq!(json["slope_kb_per_page"], json["settled_floor_slope_kb_per_page"]);
    assert!(json["settled_floor_slope_se_kb_per_page"].is_number(), "{json}");
    assert!(json["settle_seconds"].as_f64().unwrap() > 0.0 && json["pages_per_min_between_settles"].as_f64().unwrap() > 0.0, "{json}");
}

#[test]
fn soak_loops_over_a_range_of_pages_and_names_its_windows_by_document_page() {
    let pdf = fixture("three-pages.pdf");
    let args = [
        "soak", pdf.to_str().unwrap(), "--range", "2-3", "--pages", "6", "--warmup", "1", "--floor-window", "1",
        "--stages", "layout", "--dpi", "50",
    ];
    let (code, json, stderr) = folio(&args);
    assert_eq!(code, 0, "{json} {stderr}");
    assert_eq!(json["pages"], 6);
    // Pages 2, 3, 2, 3, 2, 3: page 2 is compared from its first pass to its third, page 3 (whose third
    // pass ends the run, with the pipeline drained) from its first to its second.
    let matched = json["matched_windows"].as_array().unwrap();
    let pages: Vec<_> = matched.iter().map(|m| (m["first_page"].as_u64().unwrap(), m["pages_between"].as_f64().unwrap())).collect();
    assert_eq!(pages, vec![(2, 4.0), (3, 2.0)], "{json}");

    let (code, json, _) = folio(&[&args[..2], &["--range", "3-4"]].concat());
    assert_ne!(code, 0);
    assert!(json["error"].as_str().unwrap().contains("--range '3-4': the document has 3 pages"), "{json}");
}

#[test]
fn process_delivers_a_failed_page_with_its_error_and_goes_on() {
    let folder = fixture("damaged-pages");
    let out = tempfile::tempdir().unwrap();
    let lines = out.path().join("pages.jsonl");
    let db = out.path().join("folio.sqlite");
    let db = db.to_str().unwrap();
    let (code, json, stderr) =
        folio(&["--db", db, "process", folder.to_str().unwrap(), "--out", lines.to_str().unwrap(), "--stages", "orientation", "--dpi", "50"]);
    assert_eq!(code, 1, "a failed page makes the exit status 1: {json} {stderr}");
    assert_eq!(json["failed_pages"], 1, "{json}");
    assert_eq!(json["pages"], 2, "the other two pages are done: {json}");
    assert_eq!(json["failed_jobs"].as_array().unwrap().len(), 0, "the job itself went on: {json}");
    assert!(stderr.contains("page 2") && stderr.contains("page2.png"), "{stderr}");
    let pages: Vec<Value> = std::fs::read_to_string(&lines).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(pages.iter().map(|p| p["page"].as_u64().unwrap()).collect::<Vec<_>>(), vec![1, 2, 3], "every page is written");
    for page in &pages {
        let outcome = &page["outcomes"][0];
        assert_eq!(outcome["stage"], "orientation", "{page}");
        if page["page"] == 2 {
            assert!(page["error"].as_str().unwrap().contains("page2.png"), "{page}");
            assert_eq!(outcome["status"], "skipped", "{page}");
        } else {
            assert!(page.get("error").is_none(), "{page}");
            assert_eq!(outcome["status"], "done", "{page}");
        }
    }

    // The store has the job with its failed page, and the page with its error.
    let job = json["jobs"][0].as_u64().expect("the job's id is printed");
    let (code, jobs, _) = folio(&["--db", db, "jobs"]);
    assert_eq!(code, 0);
    let listed = &jobs["jobs"][0];
    assert_eq!((listed["id"].as_u64(), listed["state"].as_str()), (Some(job), Some("finished")), "{jobs}");
    assert_eq!((listed["pages_done"].as_u64(), listed["pages_failed"].as_u64(), listed["pages_total"].as_u64()), (Some(2), Some(1), Some(3)), "{jobs}");
    let export = Command::new(env!("CARGO_BIN_EXE_folio")).args(["--db", db, "export", folder.to_str().unwrap(), "--format", "json"]).output().unwrap();
    assert!(export.status.success(), "{}", String::from_utf8_lossy(&export.stderr));
    let document: Value = serde_json::from_slice(&export.stdout).unwrap();
    let statuses: Vec<&str> = document["pages"].as_array().unwrap().iter().map(|p| p["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, vec!["done", "failed", "done"], "{document}");
    assert!(document["pages"][1]["error"].as_str().unwrap().contains("page2.png"));
}

#[test]
fn a_renamed_copy_finds_its_results_and_a_changed_file_is_a_new_document() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("folio.sqlite");
    let db = db.to_str().unwrap();
    let original = dir.path().join("report.pdf");
    std::fs::copy(fixture("three-pages.pdf"), &original).unwrap();
    let (code, json, stderr) = folio(&["--db", db, "process", original.to_str().unwrap(), "--stages", "layout", "--dpi", "50"]);
    assert_eq!(code, 0, "{json} {stderr}");
    let export = |path: &Path| {
        let out = Command::new(env!("CARGO_BIN_EXE_folio")).args(["--db", db, "export", path.to_str().unwrap()]).output().unwrap();
        (out.status.success(), serde_json::from_slice::<Value>(&out.stdout).unwrap_or(Value::Null), String::from_utf8_lossy(&out.stderr).into_owned())
    };
    let (ok, first, _) = export(&original);
    assert!(ok);
    assert_eq!(first["pages"].as_array().unwrap().len(), 3);

    // Renamed: the same document, found by its bytes, its results as they were (no model runs to export).
    let renamed = dir.path().join("renamed copy.pdf");
    std::fs::rename(&original, &renamed).unwrap();
    let (ok, copy, stderr) = export(&renamed);
    assert!(ok, "{stderr}");
    assert_eq!(copy["doc"], first["doc"]);
    assert_eq!(copy["pages"], first["pages"]);

    // One byte more (an appended comment, as an incremental save adds): a new document, with no results yet.
    let mut bytes = std::fs::read(&renamed).unwrap();
    bytes.extend_from_slice(b"\n%appended\n");
    std::fs::write(&renamed, bytes).unwrap();
    let (code, info, _) = folio(&["info", renamed.to_str().unwrap()]);
    assert_eq!((code, info["documents"][0]["pages"].as_u64()), (0, Some(3)), "it still opens: {info}");
    let (ok, _, stderr) = export(&renamed);
    assert!(!ok && stderr.contains("holds no document"), "{stderr}");
}
