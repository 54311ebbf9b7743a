//! Killing `folio process` (SIGKILL) at random moments over a real PDF: after each kill, `folio resume`
//! goes on from the first unfinished page, and in the end the store holds every page exactly once, its
//! export equal to that of a run that was never interrupted. `FOLIO_CRASH_KILLS` and `FOLIO_CRASH_PAGES`
//! make the longer run (20 kills over 60 pages); `FOLIO_CRASH_SEED` repeats a run's kill times.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

fn real_pdf() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/real/source2e.pdf")
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// xorshift: kill times that a seed repeats.
struct Random(u64);

impl Random {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}

fn folio(db: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_folio"));
    cmd.arg("--db").arg(db).args(args).arg("--json").stdout(Stdio::piped()).stderr(Stdio::piped());
    cmd
}

fn run(db: &Path, args: &[&str]) -> Value {
    let out = folio(db, args).output().expect("run folio");
    let stdout = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{args:?}: one JSON object ({e}): {stdout} {}", String::from_utf8_lossy(&out.stderr)))
}

/// Pages of the export: page number → (line texts, line boxes).
fn pages(export: &Value) -> Vec<(u64, Vec<String>, Vec<Vec<f64>>)> {
    export["pages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let lines = p["lines"].as_array().unwrap();
            (
                p["page"].as_u64().unwrap(),
                lines.iter().map(|l| l["text"].as_str().unwrap().to_string()).collect(),
                lines.iter().map(|l| l["bbox"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect()).collect(),
            )
        })
        .collect()
}

#[test]
fn a_killed_job_resumes_where_it_stopped_and_loses_or_repeats_no_page() {
    let pdf = real_pdf();
    assert!(pdf.exists(), "{} is fetched by tests/fixtures/fetch-real.sh (make test does)", pdf.display());
    let (kills, page_count) = (env_number("FOLIO_CRASH_KILLS", 3), env_number("FOLIO_CRASH_PAGES", 32));
    let clock = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64;
    let seed = env_number("FOLIO_CRASH_SEED", clock ^ std::process::id() as u64);
    eprintln!("kills {kills}, pages {page_count}, seed {seed} (FOLIO_CRASH_SEED repeats it)");
    let mut random = Random(seed | 1);
    let dir = tempfile::tempdir().unwrap();
    let range = format!("1-{page_count}");
    let args = ["process", pdf.to_str().unwrap(), "--pages", &range, "--stages", "layout,ocr", "--dpi", "72"];

    // The run nobody interrupts, and how long it takes.
    let whole = dir.path().join("whole.sqlite");
    let started = Instant::now();
    let summary = run(&whole, &args);
    let whole_seconds = started.elapsed().as_secs_f64();
    assert_eq!(summary["pages"], page_count, "{summary}");

    // The same job, killed `kills` times at moments spread over the run, each time resumed.
    let db = dir.path().join("killed.sqlite");
    let mut child = folio(&db, &args).spawn().unwrap();
    let mut killed = 0;
    let mut moments = Vec::new();
    while killed < kills {
        // Up to 0.8 of a whole run's time: most kills land mid-job (some during start-up or a model load).
        let wait = Duration::from_millis(random.below((whole_seconds * 800.0 / kills as f64 * 2.0) as u64 + 1));
        std::thread::sleep(wait);
        if child.try_wait().unwrap().is_some() {
            break; // the job got to its end first
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        killed += 1;
        moments.push(wait.as_millis());
        // Killed before it had even queued the job, the command is simply run again.
        let queued = !run(&db, &["jobs"])["jobs"].as_array().unwrap().is_empty();
        child = folio(&db, if queued { &["resume"][..] } else { &args[..] }).spawn().unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success() || out.status.code() == Some(1), "the last run ends normally: {}", String::from_utf8_lossy(&out.stderr));
    eprintln!("killed {killed} times, after {moments:?} ms each");
    assert!(killed > 0, "at least one kill landed before the job ended (the whole run took {whole_seconds:.1} s)");
    // Anything the last kill left unfinished, finished now.
    let resumed = run(&db, &["resume"]);
    assert!(resumed["failed_jobs"].as_array().unwrap().is_empty(), "{resumed}");

    let jobs = run(&db, &["jobs"]);
    let jobs = jobs["jobs"].as_array().unwrap();
    assert_eq!(jobs.len(), 1, "one job, resumed, not a new one each time: {jobs:?}");
    assert_eq!(jobs[0]["state"], "finished", "{jobs:?}");
    assert_eq!(jobs[0]["pages_done"], page_count, "{jobs:?}");
    assert_eq!(jobs[0]["pages_total"], page_count, "{jobs:?}");

    let export = |db: &Path| {
        let out = folio(db, &["export", pdf.to_str().unwrap(), "--format", "json"]).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice::<Value>(&out.stdout).unwrap()
    };
    let (expected, actual) = (pages(&export(&whole)), pages(&export(&db)));
    let numbers: Vec<u64> = actual.iter().map(|p| p.0).collect();
    assert_eq!(numbers, (1..=page_count).collect::<Vec<_>>(), "every page exactly once");
    for ((page, texts, boxes), (_, want_texts, want_boxes)) in actual.iter().zip(&expected) {
        assert_eq!(texts, want_texts, "page {page}: the same lines as the uninterrupted run");
        for (got, want) in boxes.iter().zip(want_boxes) {
            let off = got.iter().zip(want).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
            assert!(off <= 0.5, "page {page}: a box {off} px from the uninterrupted run's ({got:?} vs {want:?})");
        }
    }
}
