//! The leak sentinel: tells warm-up from leak by the slope of RSS per page after warm-up.
//!
//! Memory that rises while caches fill and models load, then levels off, is warm-up. Memory that keeps
//! rising page after page is a leak. The sentinel fits a least-squares line of RSS against pages over a
//! sliding window, and warns only when both the whole window and its most recent half rise faster than the
//! threshold and keep doing so for a confirmation period — a rise that has plateaued has a flat recent half.
//! The warning names the stage whose per-page activity correlates best with the per-page growth.
//!
//! The inference arena's reserve is memory the process holds too, even while it is free: the sentinel also
//! warns when the reserve stays above a multiple of the arena's peak in use, which a reserve that grows
//! with every new input shape reaches long before its steps add up to a slope.

use std::collections::VecDeque;

use serde::Serialize;

#[derive(Debug, Clone, Copy, Serialize)]
pub struct SentinelOptions {
    /// Pages ignored at the start of a run (models loading, caches filling).
    pub warmup_pages: usize,
    /// Pages in the sliding window the slope is fitted over.
    pub window_pages: usize,
    /// Growth that counts as a leak, in bytes per page.
    pub threshold_bytes_per_page: f64,
    /// Pages the rise must go on for, once a full window shows it, before it is called a leak. A long
    /// warm-up that is about to level off stops rising within this time.
    pub confirm_pages: usize,
    /// The inference arena's reserve counts as growth above this multiple of its peak in use: the arena
    /// policy keeps it under about two (the weights and one working set in use, one working set free).
    pub arena_reserve_per_peak: f64,
    /// Pages the arena's reserve must stay above that bound before it is called growth (a shrink brings it
    /// back within an inference or two when the policy works).
    pub arena_confirm_pages: usize,
}

impl Default for SentinelOptions {
    fn default() -> Self {
        SentinelOptions {
            warmup_pages: 50,
            window_pages: 500,
            threshold_bytes_per_page: 50.0 * 1024.0,
            confirm_pages: 250,
            arena_reserve_per_peak: 2.0,
            arena_confirm_pages: 25,
        }
    }
}

/// What grew.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GrowthCause {
    /// Resident memory rose page after page.
    Rss,
    /// The inference arena kept more free than its bound.
    ArenaReserve,
}

/// A sustained rise, and the stage most likely behind it.
#[derive(Debug, Clone, Serialize)]
pub struct LeakWarning {
    pub cause: GrowthCause,
    pub page: u64,
    pub slope_bytes_per_page: f64,
    pub recent_slope_bytes_per_page: f64,
    pub suspect_stage: Option<String>,
    pub correlation: f64,
    /// For [`GrowthCause::ArenaReserve`]: the arena's reserve and its peak in use when the warning was made.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arena_reserved_bytes: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arena_peak_in_use_bytes: Option<u64>,
}

struct Point {
    page: f64,
    rss: f64,
    activity: Vec<f64>,
}

pub struct LeakSentinel {
    options: SentinelOptions,
    stages: Vec<String>,
    window: VecDeque<Point>,
    pages_seen: u64,
    warned: bool,
    rising_since: Option<u64>,
    /// The arena's reserve after each page since warm-up (page, bytes), for the reserve's slope.
    arena: VecDeque<(f64, f64)>,
    arena_over_since: Option<u64>,
    arena_warned: bool,
}

impl LeakSentinel {
    /// `stages` names the columns of the activity passed to [`LeakSentinel::observe`].
    pub fn new(options: SentinelOptions, stages: Vec<String>) -> Self {
        LeakSentinel {
            options,
            stages,
            window: VecDeque::new(),
            pages_seen: 0,
            warned: false,
            rising_since: None,
            arena: VecDeque::new(),
            arena_over_since: None,
            arena_warned: false,
        }
    }

    /// Records the inference arena's reserve and peak in use after the page last passed to
    /// [`LeakSentinel::observe`]. Returns a warning the first time the reserve has stayed above its bound
    /// for [`SentinelOptions::arena_confirm_pages`] pages after warm-up.
    pub fn observe_arena(&mut self, reserved_bytes: u64, peak_in_use_bytes: u64) -> Option<LeakWarning> {
        if self.pages_seen <= self.options.warmup_pages as u64 || self.arena_warned {
            return None;
        }
        self.arena.push_back((self.pages_seen as f64, reserved_bytes as f64));
        if self.arena.len() > self.options.window_pages.max(2) {
            self.arena.pop_front();
        }
        if (reserved_bytes as f64) <= peak_in_use_bytes as f64 * self.options.arena_reserve_per_peak {
            self.arena_over_since = None;
            return None;
        }
        let since = *self.arena_over_since.get_or_insert(self.pages_seen);
        if self.pages_seen - since < self.options.arena_confirm_pages as u64 {
            return None;
        }
        self.arena_warned = true;
        let (xs, ys): (Vec<f64>, Vec<f64>) = self.arena.iter().copied().unzip();
        let slope = fit_slope(&xs, &ys).unwrap_or(0.0);
        let half = xs.len() / 2;
        Some(LeakWarning {
            cause: GrowthCause::ArenaReserve,
            page: self.pages_seen,
            slope_bytes_per_page: slope,
            recent_slope_bytes_per_page: fit_slope(&xs[half..], &ys[half..]).unwrap_or(slope),
            suspect_stage: Some("inference arena".to_string()),
            correlation: 0.0,
            arena_reserved_bytes: Some(reserved_bytes),
            arena_peak_in_use_bytes: Some(peak_in_use_bytes),
        })
    }

    /// Records RSS after one more page, with how much each stage did for it (items, or milliseconds).
    /// Returns a warning the first time growth is sustained over a full window.
    pub fn observe(&mut self, rss_bytes: u64, activity: &[f64]) -> Option<LeakWarning> {
        self.pages_seen += 1;
        if self.pages_seen <= self.options.warmup_pages as u64 {
            return None;
        }
        self.window.push_back(Point { page: self.pages_seen as f64, rss: rss_bytes as f64, activity: activity.to_vec() });
        if self.window.len() > self.options.window_pages {
            self.window.pop_front();
        }
        if self.warned || self.window.len() < self.options.window_pages {
            return None;
        }
        let Some(warning) = self.evaluate() else {
            self.rising_since = None;
            return None;
        };
        let since = *self.rising_since.get_or_insert(self.pages_seen);
        if self.pages_seen - since < self.options.confirm_pages as u64 {
            return None;
        }
        self.warned = true;
        Some(warning)
    }

    /// Slope of RSS per page over the current window (bytes per page), once there are two points.
    pub fn slope(&self) -> Option<f64> {
        let points: Vec<&Point> = self.window.iter().collect();
        slope(&points)
    }

    fn evaluate(&self) -> Option<LeakWarning> {
        let points: Vec<&Point> = self.window.iter().collect();
        let whole = slope(&points)?;
        let recent = slope(&points[points.len() / 2..])?;
        let threshold = self.options.threshold_bytes_per_page;
        if whole <= threshold || recent <= threshold * 0.5 {
            return None;
        }
        let growth: Vec<f64> = points.windows(2).map(|w| w[1].rss - w[0].rss).collect();
        let (suspect, correlation) = (0..self.stages.len())
            .map(|s| {
                let activity: Vec<f64> = points[1..].iter().map(|p| p.activity.get(s).copied().unwrap_or(0.0)).collect();
                (s, pearson(&activity, &growth))
            })
            .filter(|(_, r)| r.is_finite())
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(s, r)| (Some(self.stages[s].clone()), r))
            .unwrap_or((None, 0.0));
        Some(LeakWarning {
            cause: GrowthCause::Rss,
            page: self.pages_seen,
            slope_bytes_per_page: whole,
            recent_slope_bytes_per_page: recent,
            suspect_stage: suspect,
            correlation,
            arena_reserved_bytes: None,
            arena_peak_in_use_bytes: None,
        })
    }
}

fn slope(points: &[&Point]) -> Option<f64> {
    if points.len() < 2 {
        return None;
    }
    let n = points.len() as f64;
    let mean_x = points.iter().map(|p| p.page).sum::<f64>() / n;
    let mean_y = points.iter().map(|p| p.rss).sum::<f64>() / n;
    let sxy: f64 = points.iter().map(|p| (p.page - mean_x) * (p.rss - mean_y)).sum();
    let sxx: f64 = points.iter().map(|p| (p.page - mean_x).powi(2)).sum();
    (sxx > 0.0).then(|| sxy / sxx)
}

/// Least-squares slope of `ys` against `xs` (for reports).
pub fn fit_slope(xs: &[f64], ys: &[f64]) -> Option<f64> {
    let points: Vec<Point> = xs.iter().zip(ys).map(|(&page, &rss)| Point { page, rss, activity: Vec::new() }).collect();
    slope(&points.iter().collect::<Vec<_>>())
}

/// The standard error of [`fit_slope`]'s slope: how far the points' scatter about the line lets the
/// slope wander (`None` for fewer than three points). A slope within about two of these of zero is not
/// told apart from flat by these points.
pub fn fit_slope_se(xs: &[f64], ys: &[f64]) -> Option<f64> {
    let n = xs.len().min(ys.len());
    if n < 3 {
        return None;
    }
    let slope = fit_slope(xs, ys)?;
    let (mx, my) = (xs[..n].iter().sum::<f64>() / n as f64, ys[..n].iter().sum::<f64>() / n as f64);
    let sxx: f64 = xs[..n].iter().map(|x| (x - mx).powi(2)).sum();
    let residuals: f64 = xs[..n].iter().zip(&ys[..n]).map(|(x, y)| (y - (my + slope * (x - mx))).powi(2)).sum();
    (sxx > 0.0).then(|| (residuals / (n - 2) as f64 / sxx).sqrt())
}

/// The lowest value in each complete window of `window` consecutive pages from `from` on, with the page at
/// the window's middle: `(page, floor)`, ready for [`fit_slope`].
///
/// `floors[p]` is the lowest RSS sampled while `p` pages were done. RSS at any one moment also holds the
/// images and tensors of the pages in flight, which swing with page content by tens of MB; the floor under
/// them is what the process keeps between pages, and it is what a leak raises, page after page.
pub fn window_minima(floors: &[u64], from: usize, window: usize) -> Vec<(f64, f64)> {
    if window == 0 || floors.len() <= from {
        return Vec::new();
    }
    floors[from..]
        .chunks_exact(window)
        .enumerate()
        .filter_map(|(k, chunk)| {
            let floor = chunk.iter().copied().filter(|&v| v != u64::MAX).min()?;
            Some(((from + k * window) as f64 + window as f64 / 2.0, floor as f64))
        })
        .collect()
}

/// One window of document pages whose floor was seen in a pass over a looped document after warm-up and
/// again in a later pass.
#[derive(Debug, Clone, PartialEq)]
pub struct MatchedWindow {
    /// First page (0-based) of the window in the document.
    pub first_page: usize,
    /// Pages processed between the two passes over the window.
    pub pages_between: f64,
    pub floor_before: f64,
    pub floor_after: f64,
}

impl MatchedWindow {
    pub fn slope(&self) -> f64 {
        (self.floor_after - self.floor_before) / self.pages_between
    }
}

/// The floors of the same document pages in their first and last passes of a looped run.
///
/// What stays resident between pages depends on where in the document they are, not only on how many came
/// before: pdfium keeps every page dictionary it walked past to reach a page (a few KB per page), so the
/// floor at page 1,500 of a document sits above the floor at page 100 until the loop starts over. A fit
/// over page counts reads that as growth on a first pass and as a fall after the loop; comparing each
/// window with itself a pass later leaves only what the passes in between added.
///
/// `floors[p]` is the lowest RSS while `p` pages were done, `positions[i]` the document page of the
/// `i`-th page done (0-based); windows hold `window` document pages of a `doc_pages`-page document. Only
/// passes over the whole window from page count `from` on count: each window's first such pass is
/// compared with its last.
pub fn matched_windows(floors: &[u64], positions: &[usize], doc_pages: usize, from: usize, window: usize) -> Vec<MatchedWindow> {
    use std::collections::BTreeMap;
    if window == 0 || doc_pages == 0 {
        return Vec::new();
    }
    // (pass, window) -> (floor, page counts seen, their sum)
    let mut seen: BTreeMap<(usize, usize), (u64, usize, f64)> = BTreeMap::new();
    let (mut pass, mut last) = (0usize, None::<usize>);
    for (i, &position) in positions.iter().enumerate() {
        // Pages finish in order within a pass; a position far below the last one starts the next pass.
        if last.is_some_and(|l| position + (doc_pages / 2).max(1) <= l) {
            pass += 1;
        }
        last = Some(position);
        let count = i + 1;
        let Some(&floor) = floors.get(count) else { break };
        if count < from || floor == u64::MAX {
            continue;
        }
        let entry = seen.entry((pass, position / window)).or_insert((u64::MAX, 0, 0.0));
        entry.0 = entry.0.min(floor);
        entry.1 += 1;
        entry.2 += count as f64;
    }
    let complete = |w: usize, n: usize| n >= window.min(doc_pages.saturating_sub(w * window));
    // Each window's first complete pass against its last one: the longest stretch of pages between them.
    let mut ends: BTreeMap<usize, ((u64, f64), (u64, f64))> = BTreeMap::new();
    for (&(_, w), &(floor, n, counts)) in seen.iter().filter(|(&(_, w), &(_, n, _))| complete(w, n)) {
        let at = (floor, counts / n as f64);
        ends.entry(w).and_modify(|e| e.1 = at).or_insert((at, at));
    }
    let mut matched = Vec::new();
    for (w, ((before, at_before), (after, at_after))) in ends {
        if at_after > at_before {
            matched.push(MatchedWindow {
                first_page: w * window,
                pages_between: at_after - at_before,
                floor_before: before as f64,
                floor_after: after as f64,
            });
        }
    }
    matched
}

/// Mean slope (bytes per page) over the matched windows.
pub fn matched_slope(windows: &[MatchedWindow]) -> Option<f64> {
    (!windows.is_empty()).then(|| windows.iter().map(MatchedWindow::slope).sum::<f64>() / windows.len() as f64)
}

fn pearson(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len().min(b.len()) as f64;
    if n < 2.0 {
        return f64::NAN;
    }
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let cov: f64 = a.iter().zip(b).map(|(x, y)| (x - ma) * (y - mb)).sum();
    let va: f64 = a.iter().map(|x| (x - ma).powi(2)).sum();
    let vb: f64 = b.iter().map(|y| (y - mb).powi(2)).sum();
    cov / (va.sqrt() * vb.sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MB: f64 = 1048576.0;

    /// Feeds `pages` pages with RSS from `rss(page)` and activity from `activity(page)`.
    fn run(pages: u64, rss: impl Fn(u64) -> f64, activity: impl Fn(u64) -> Vec<f64>) -> Option<LeakWarning> {
        let stages = vec!["layout".to_string(), "ocr".to_string(), "embed".to_string()];
        let mut sentinel = LeakSentinel::new(SentinelOptions::default(), stages);
        (1..=pages).find_map(|p| sentinel.observe(rss(p) as u64, &activity(p)))
    }

    fn noise(p: u64) -> f64 {
        // Deterministic jitter of ± 2 MB, as allocators and caches move RSS page to page.
        ((p * 2654435761) % 4096) as f64 / 4096.0 * 4.0 * MB - 2.0 * MB
    }

    #[test]
    fn a_rise_that_plateaus_is_warm_up_not_a_leak() {
        // +300 MB over the first 400 pages, then flat for 1,600 pages.
        let warning = run(2000, |p| 200.0 * MB + (p.min(400) as f64) * 0.75 * MB + noise(p), |_| vec![1.0, 20.0, 5.0]);
        assert!(warning.is_none(), "{warning:?}");
    }

    #[test]
    fn flat_noisy_memory_is_quiet() {
        assert!(run(3000, |p| 400.0 * MB + noise(p), |p| vec![1.0, (p % 7) as f64, 3.0]).is_none());
    }

    #[test]
    fn linear_growth_is_a_leak_and_names_the_stage_that_moves_with_it() {
        // The "ocr" stage's work varies page to page and each unit of it leaks 20 KB.
        let ocr_work = |p: u64| (5 + (p * 7919) % 11) as f64;
        let cumulative = |p: u64| (1..=p).map(ocr_work).sum::<f64>() * 20.0 * 1024.0;
        let warning = run(1200, |p| 300.0 * MB + cumulative(p), |p| vec![1.0, ocr_work(p), 4.0 + (p % 3) as f64])
            .expect("a steady 200 KB/page rise must be flagged");
        assert!(warning.slope_bytes_per_page > 100.0 * 1024.0, "{warning:?}");
        assert_eq!(warning.suspect_stage.as_deref(), Some("ocr"));
        assert!(warning.page <= 850, "flagged once a full window and the confirmation period are in ({})", warning.page);
    }

    #[test]
    fn an_arena_reserve_that_stays_far_above_its_peak_in_use_is_growth() {
        let mut sentinel = LeakSentinel::new(SentinelOptions::default(), vec!["ocr".to_string()]);
        let mut warning = None;
        for p in 1..=200u64 {
            assert!(sentinel.observe(500 * MB as u64, &[1.0]).is_none(), "RSS itself is flat");
            // The reserve steps up by 4 MB a page past twice the 150 MB peak in use, as at 72 dpi before.
            let reserved = (150.0 * MB) as u64 + p * (4 * MB as u64);
            if let Some(w) = sentinel.observe_arena(reserved, (150.0 * MB) as u64) {
                warning = Some(w);
                break;
            }
        }
        let warning = warning.expect("a reserve at six times its peak in use is flagged");
        assert_eq!(warning.cause, GrowthCause::ArenaReserve);
        assert!((warning.slope_bytes_per_page / MB - 4.0).abs() < 0.01, "{warning:?}");
        // Past twice the peak from page 38 on; counted from the end of warm-up (page 51), flagged 25 pages on.
        assert_eq!(warning.page, 76);
    }

    #[test]
    fn an_arena_reserve_within_its_bound_is_quiet() {
        let mut sentinel = LeakSentinel::new(SentinelOptions::default(), vec!["ocr".to_string()]);
        for p in 1..=2000u64 {
            sentinel.observe(500 * MB as u64, &[1.0]);
            // Up and down with the policy's shrinks, never past 1.9× the peak for long.
            let reserved = if p % 10 == 0 { 350.0 * MB } else { 250.0 * MB };
            assert!(sentinel.observe_arena(reserved as u64, (200.0 * MB) as u64).is_none(), "page {p}");
        }
    }

    #[test]
    fn growth_below_the_threshold_is_not_flagged() {
        assert!(run(2000, |p| 300.0 * MB + p as f64 * 10.0 * 1024.0, |_| vec![1.0, 1.0, 1.0]).is_none());
    }

    /// Per-page floors of a run whose momentary RSS swings by up to 150 MB with the pages in flight.
    fn floors(pages: usize, base: impl Fn(usize) -> f64) -> Vec<u64> {
        (0..pages)
            .map(|p| {
                // Most pages dip close to the base between inferences; some never get there.
                let lift = ((p as u64 * 2654435761) % 1000) as f64 / 1000.0;
                let lift = if lift < 0.7 { lift * 2.0 * MB } else { lift * 150.0 * MB };
                (base(p) + lift) as u64
            })
            .collect()
    }

    fn floor_slope(floors: &[u64], from: usize, window: usize) -> f64 {
        let (xs, ys): (Vec<f64>, Vec<f64>) = window_minima(floors, from, window).into_iter().unzip();
        fit_slope(&xs, &ys).unwrap()
    }

    #[test]
    fn the_floor_of_a_plateau_is_flat_under_large_swings() {
        let floors = floors(2000, |_| 600.0 * MB);
        let slope = floor_slope(&floors, 100, 50);
        assert!(slope.abs() < 0.1 * 1024.0, "{} KB/page", slope / 1024.0);
    }

    #[test]
    fn the_floor_rises_with_a_leak_as_fast_as_the_leak() {
        let floors = floors(2000, |p| 600.0 * MB + p as f64 * 3.0 * 1024.0);
        let slope = floor_slope(&floors, 100, 50);
        assert!((slope / 1024.0 - 3.0).abs() < 0.2, "{} KB/page", slope / 1024.0);
    }

    /// A 2,000-page run over a 1,611-page document looped once, whose floor also rises by 5 KB per
    /// document page (what pdfium keeps to reach a page), plus `leak` bytes per page processed.
    fn looped(leak: f64) -> (Vec<u64>, Vec<usize>) {
        let doc = 1611;
        let positions: Vec<usize> = (0..2000).map(|i| i % doc).collect();
        let floors = floors(2001, |p| 600.0 * MB + positions[p.saturating_sub(1)] as f64 * 5.0 * 1024.0 + p as f64 * leak);
        (floors, positions)
    }

    #[test]
    fn matched_windows_take_out_where_in_the_document_a_page_is() {
        let (floors, positions) = looped(0.0);
        // Fitted over page counts, the position reads as growth (about 0.86 KB/page here).
        assert!(floor_slope(&floors, 100, 50) / 1024.0 > 0.5);
        let matched = matched_windows(&floors, &positions, 1611, 100, 50);
        // Pages 100..389 came round again: windows 100, 150, ..., 300 are complete in both passes.
        assert_eq!(matched.iter().map(|m| m.first_page).collect::<Vec<_>>(), vec![100, 150, 200, 250, 300]);
        assert!(matched.iter().all(|m| (m.pages_between - 1611.0).abs() < 1.0));
        let slope = matched_slope(&matched).unwrap() / 1024.0;
        assert!(slope.abs() < 0.5, "{slope} KB/page");
    }

    #[test]
    fn matched_windows_still_see_a_leak() {
        let (floors, positions) = looped(3.0 * 1024.0);
        let slope = matched_slope(&matched_windows(&floors, &positions, 1611, 100, 50)).unwrap() / 1024.0;
        assert!((slope - 3.0).abs() < 0.5, "{slope} KB/page");
    }

    #[test]
    fn a_short_document_looped_many_times_compares_its_first_and_last_passes() {
        let positions: Vec<usize> = (0..600).map(|i| i % 20).collect();
        let floors = floors(601, |p| 600.0 * MB + p as f64 * 3.0 * 1024.0);
        let matched = matched_windows(&floors, &positions, 20, 100, 10);
        assert_eq!(matched.len(), 2);
        assert!(matched.iter().all(|m| m.pages_between == 480.0), "{matched:?}");
        let slope = matched_slope(&matched).unwrap() / 1024.0;
        assert!((slope - 3.0).abs() < 0.5, "{slope} KB/page");
    }

    #[test]
    fn a_run_that_never_loops_has_no_matched_windows() {
        let floors = floors(501, |_| 600.0 * MB);
        let positions: Vec<usize> = (0..500).collect();
        assert!(matched_windows(&floors, &positions, 1611, 100, 50).is_empty());
        assert_eq!(matched_slope(&[]), None);
    }

    #[test]
    fn window_minima_keep_complete_windows_and_skip_unsampled_pages() {
        let mut floors = vec![10, 9, 8, 7, u64::MAX, 5, 4];
        assert_eq!(window_minima(&floors, 1, 2), vec![(2.0, 8.0), (4.0, 7.0), (6.0, 4.0)]);
        floors[4] = u64::MAX;
        floors[3] = u64::MAX;
        assert_eq!(window_minima(&floors, 3, 2), vec![(6.0, 4.0)]);
        assert!(window_minima(&floors, 7, 2).is_empty());
    }

    #[test]
    fn slope_fit_is_exact_on_a_line() {
        let xs: Vec<f64> = (0..100).map(|x| x as f64).collect();
        let ys: Vec<f64> = xs.iter().map(|x| 3.5 * x + 7.0).collect();
        assert!((fit_slope(&xs, &ys).unwrap() - 3.5).abs() < 1e-9);
    }
}
