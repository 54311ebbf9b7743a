//! The budget controller: keeps RSS at or under a memory budget the user sets.
//!
//! When RSS nears the budget it acts, cheapest first: evict the page cache, lower batch sizes, detect text
//! on a smaller copy of the page, pause intake of new pages, unload idle models. Once RSS passes the budget
//! itself, every batch size drops to 1 at once. Each action carries its reason so the memory panel can mark
//! it. When RSS falls well below the budget again, intake resumes; batch sizes come back one step at a time,
//! never above what the user set. Text detection, which a budget starts on a smaller page (the worker sets
//! that with the budget, before the first inference can pass it), goes back to full size last, and only
//! when the peaks are under half the budget: it is the largest single step up. Without a budget the
//! controller never acts.

use serde::Serialize;

#[derive(Debug, Clone, Copy, Serialize)]
pub struct BudgetOptions {
    /// Act when RSS passes this fraction of the budget.
    pub act_at: f64,
    /// Resume and restore once RSS is under this fraction.
    pub relax_at: f64,
}

impl Default for BudgetOptions {
    fn default() -> Self {
        BudgetOptions { act_at: 0.92, relax_at: 0.80 }
    }
}

/// What the worker tells the controller on each tick.
#[derive(Debug, Clone)]
pub struct BudgetState {
    pub rss_bytes: u64,
    pub page_cache_bytes: u64,
    /// The highest RSS over the last few seconds. Inference makes RSS rise and fall with every page, so
    /// the controller relaxes only when the peaks, not the troughs, are low.
    pub recent_peak_bytes: u64,
    /// Current batch size of each stage, and the size the user chose.
    pub batch_sizes: Vec<(String, usize, usize)>,
    pub intake_paused: bool,
    /// Loaded models that may be unloaded, the first to go first.
    pub idle_models: Vec<String>,
    /// Models the budget has had loaded for each use only, to be kept loaded again when there is room.
    pub uncached_models: Vec<String>,
    /// Whether the running job detects text (so a smaller detection input would free memory), and the
    /// longest side detection is held to now.
    pub detects_text: bool,
    pub detection_max_side: Option<u32>,
    /// Whether a page went through the limited detector within the window `recent_peak_bytes` covers, so
    /// that peak includes what detection needs.
    pub detected_recently: bool,
}

/// The longest side, in pixels, text detection sees under a budget until the peaks leave room for more. A
/// 150-dpi Letter page is detected at 1280 × 1664, with ~300 MB of working memory; at 1440 it is about 0.75×
/// the area. On 40 pages of a LaTeX manual the recognised text stayed 97.6% the same on average (89.3% on
/// the worst page); at 1280 it was 97.1% (74.1%). Lines are still cut from the full page.
pub const BUDGET_DETECTION_MAX_SIDE: u32 = 1440;

/// Something the worker should do now, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum BudgetAction {
    EvictCache { to_bytes: u64, reason: String },
    /// The inference arena gives its free memory back after every inference (`on`), or keeps its reserve.
    /// Set with the budget itself, so the budget holds from the first page.
    LeanArena { on: bool, reason: String },
    SetBatchSize { stage: String, size: usize, reason: String },
    /// Text detection sees the page scaled to at most `max_side` pixels (`None`: full size again).
    LimitDetection { max_side: Option<u32>, reason: String },
    PauseIntake { reason: String },
    ResumeIntake { reason: String },
    /// Unload a model; if the job still needs it, it is loaded for each use and freed after, until `KeepModel`.
    UnloadModel { model: String, reason: String },
    /// Keep a model loaded between uses again.
    KeepModel { model: String, reason: String },
}

pub struct BudgetController {
    budget_bytes: Option<u64>,
    options: BudgetOptions,
    /// Every step has been taken and RSS is still over: intake runs again (the job must finish) and the
    /// controller waits for RSS to come down before it escalates again.
    exhausted: bool,
}

impl BudgetController {
    pub fn new(budget_bytes: Option<u64>, options: BudgetOptions) -> Self {
        BudgetController { budget_bytes, options, exhausted: false }
    }

    pub fn budget_bytes(&self) -> Option<u64> {
        self.budget_bytes
    }

    pub fn set_budget(&mut self, budget_bytes: Option<u64>) {
        self.budget_bytes = budget_bytes;
    }

    /// The actions for this tick; at most one escalation step per tick, so each can take effect.
    pub fn tick(&mut self, state: &BudgetState) -> Vec<BudgetAction> {
        let Some(budget) = self.budget_bytes else { return Vec::new() };
        let rss = state.rss_bytes as f64;
        let mb = |b: f64| b / 1048576.0;
        let over = format!("RSS {:.0} MB is over {:.0}% of the {:.0} MB budget", mb(rss), self.options.act_at * 100.0, mb(budget as f64));
        if rss > budget as f64 * self.options.act_at {
            if self.exhausted {
                return Vec::new();
            }
            if state.page_cache_bytes > 0 {
                let excess = rss - budget as f64 * self.options.relax_at;
                let to = (state.page_cache_bytes as f64 - excess).max(0.0) as u64;
                return vec![BudgetAction::EvictCache { to_bytes: to, reason: over }];
            }
            if rss > budget as f64 {
                // Past the budget itself there is no time for one step a tick: every batch goes to 1 now.
                let all: Vec<BudgetAction> = state
                    .batch_sizes
                    .iter()
                    .filter(|(_, s, _)| *s > 1)
                    .map(|(stage, _, _)| BudgetAction::SetBatchSize { stage: stage.clone(), size: 1, reason: over.clone() })
                    .collect();
                if !all.is_empty() {
                    return all;
                }
            }
            if let Some((stage, size, _)) = state.batch_sizes.iter().filter(|(_, s, _)| *s > 1).max_by_key(|(_, s, _)| *s) {
                return vec![BudgetAction::SetBatchSize { stage: stage.clone(), size: (size / 2).max(1), reason: over }];
            }
            if state.detects_text && state.detection_max_side.is_none() {
                return vec![BudgetAction::LimitDetection { max_side: Some(BUDGET_DETECTION_MAX_SIDE), reason: over }];
            }
            if !state.intake_paused {
                return vec![BudgetAction::PauseIntake { reason: over }];
            }
            if let Some(model) = state.idle_models.first() {
                return vec![BudgetAction::UnloadModel { model: model.clone(), reason: over }];
            }
            // Nothing more can be freed: a paused job would wait forever, so it goes on at the smallest sizes.
            self.exhausted = true;
            return vec![BudgetAction::ResumeIntake { reason: format!("{over}, and nothing more can be freed: continuing at the smallest batch sizes") }];
        }
        let peak = state.recent_peak_bytes.max(state.rss_bytes) as f64;
        if state.intake_paused && peak >= budget as f64 * self.options.relax_at {
            // Under the act mark with intake paused: unloading has freed what it could and a paused job frees
            // nothing more by waiting, so it goes on rather than waiting for a mark it cannot reach.
            return vec![BudgetAction::ResumeIntake { reason: format!("RSS {:.0} MB is back under {:.0}% of the budget", mb(rss), self.options.act_at * 100.0) }];
        }
        if peak < budget as f64 * self.options.relax_at {
            self.exhausted = false;
            let under = format!("RSS peaked at {:.0} MB lately, under {:.0}% of the {:.0} MB budget", mb(peak), self.options.relax_at * 100.0, mb(budget as f64));
            if state.intake_paused {
                return vec![BudgetAction::ResumeIntake { reason: under }];
            }
            if let Some((stage, size, chosen)) =
                state.batch_sizes.iter().filter(|(_, s, c)| s < c).min_by_key(|(_, s, _)| *s)
            {
                return vec![BudgetAction::SetBatchSize { stage: stage.clone(), size: (size * 2).min(*chosen), reason: under }];
            }
            if let Some(model) = state.uncached_models.first() {
                return vec![BudgetAction::KeepModel { model: model.clone(), reason: under }];
            }
            // On a 150-dpi Letter page, full-size detection needs up to (1664 / 1440)² ≈ 1.34× the detector's
            // memory at the limit, which is part of the peak: under half the budget, restoring it cannot pass
            // the act mark.
            if state.detection_max_side.is_some() && state.detected_recently && peak < budget as f64 * 0.5 {
                let reason = format!("RSS peaked at {:.0} MB lately, under half the {:.0} MB budget", mb(peak), mb(budget as f64));
                return vec![BudgetAction::LimitDetection { max_side: None, reason }];
            }
        }
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MB: u64 = 1 << 20;

    fn state(rss_mb: u64) -> BudgetState {
        BudgetState {
            rss_bytes: rss_mb * MB,
            page_cache_bytes: 0,
            recent_peak_bytes: 0,
            batch_sizes: vec![("ocr".into(), 8, 8), ("embed".into(), 16, 16)],
            intake_paused: false,
            idle_models: vec!["table".into()],
            uncached_models: Vec::new(),
            detects_text: false,
            detection_max_side: None,
            detected_recently: false,
        }
    }

    #[test]
    fn without_a_budget_nothing_changes() {
        let mut c = BudgetController::new(None, BudgetOptions::default());
        assert!(c.tick(&state(50_000)).is_empty());
    }

    #[test]
    fn escalates_in_order_cache_batch_pause_unload() {
        let mut c = BudgetController::new(Some(1000 * MB), BudgetOptions::default());
        let mut s = state(980);
        s.page_cache_bytes = 100 * MB;
        assert!(matches!(c.tick(&s)[0], BudgetAction::EvictCache { to_bytes, .. } if to_bytes < 100 * MB));
        s.page_cache_bytes = 0;
        assert!(matches!(&c.tick(&s)[0], BudgetAction::SetBatchSize { stage, size: 8, .. } if stage == "embed"));
        s.batch_sizes = vec![("ocr".into(), 1, 8), ("embed".into(), 1, 16)];
        assert!(matches!(c.tick(&s)[0], BudgetAction::PauseIntake { .. }));
        s.intake_paused = true;
        assert!(matches!(&c.tick(&s)[0], BudgetAction::UnloadModel { model, .. } if model == "table"));
    }

    #[test]
    fn text_detection_shrinks_after_batch_sizes_and_before_pausing() {
        let mut c = BudgetController::new(Some(1000 * MB), BudgetOptions::default());
        let mut s = state(980);
        s.detects_text = true;
        s.batch_sizes = vec![("ocr".into(), 1, 8)];
        assert!(matches!(c.tick(&s)[0], BudgetAction::LimitDetection { max_side: Some(BUDGET_DETECTION_MAX_SIDE), .. }));
        s.detection_max_side = Some(BUDGET_DETECTION_MAX_SIDE);
        assert!(matches!(c.tick(&s)[0], BudgetAction::PauseIntake { .. }));
        let mut low = state(600);
        low.detects_text = true;
        low.detection_max_side = Some(BUDGET_DETECTION_MAX_SIDE);
        low.batch_sizes = vec![("ocr".into(), 8, 8)];
        assert!(c.tick(&low).is_empty(), "under the relax mark but over half the budget, detection stays small");
        low.rss_bytes = 400 * MB;
        assert!(c.tick(&low).is_empty(), "a low peak says nothing until a page has been through detection");
        low.detected_recently = true;
        assert!(matches!(c.tick(&low)[0], BudgetAction::LimitDetection { max_side: None, .. }), "then under half it is restored");
    }

    #[test]
    fn past_the_budget_every_batch_drops_to_one_at_once() {
        let mut c = BudgetController::new(Some(1000 * MB), BudgetOptions::default());
        let actions = c.tick(&state(1010));
        assert_eq!(actions.len(), 2, "{actions:?}");
        assert!(actions.iter().all(|a| matches!(a, BudgetAction::SetBatchSize { size: 1, .. })));
        assert!(matches!(&c.tick(&state(950))[0], BudgetAction::SetBatchSize { size: 8, .. }), "under the budget, one step a tick");
    }

    #[test]
    fn when_nothing_more_can_be_freed_the_job_goes_on() {
        let mut c = BudgetController::new(Some(1000 * MB), BudgetOptions::default());
        let mut s = state(990);
        s.batch_sizes = vec![("ocr".into(), 1, 8)];
        s.intake_paused = true;
        s.idle_models.clear();
        assert!(matches!(c.tick(&s)[0], BudgetAction::ResumeIntake { .. }), "a paused job must not wait forever");
        s.intake_paused = false;
        assert!(c.tick(&s).is_empty(), "no pausing again while still over with nothing left to free");
        let mut low = state(500);
        low.batch_sizes = vec![("ocr".into(), 1, 8)];
        assert!(matches!(c.tick(&low)[0], BudgetAction::SetBatchSize { size: 2, .. }), "below the budget it relaxes");
        let mut again = state(990);
        again.batch_sizes = vec![("ocr".into(), 1, 8)];
        assert!(matches!(c.tick(&again)[0], BudgetAction::PauseIntake { .. }), "and escalates again next time");
    }

    #[test]
    fn relaxes_only_when_the_recent_peaks_are_low() {
        let mut c = BudgetController::new(Some(1000 * MB), BudgetOptions::default());
        let mut trough = state(300);
        trough.batch_sizes = vec![("ocr".into(), 2, 8)];
        trough.recent_peak_bytes = 900 * MB;
        assert!(c.tick(&trough).is_empty(), "a trough between two inferences is not room to grow");
        trough.recent_peak_bytes = 700 * MB;
        assert!(matches!(c.tick(&trough)[0], BudgetAction::SetBatchSize { size: 4, .. }));
    }

    #[test]
    fn relaxes_below_the_budget_without_exceeding_the_users_choice() {
        let mut c = BudgetController::new(Some(1000 * MB), BudgetOptions::default());
        let mut s = state(500);
        s.intake_paused = true;
        s.batch_sizes = vec![("ocr".into(), 4, 8)];
        assert!(matches!(c.tick(&s)[0], BudgetAction::ResumeIntake { .. }));
        s.intake_paused = false;
        assert!(matches!(&c.tick(&s)[0], BudgetAction::SetBatchSize { size: 8, .. }));
        s.batch_sizes = vec![("ocr".into(), 8, 8)];
        s.uncached_models = vec!["embedding".into()];
        assert!(matches!(&c.tick(&s)[0], BudgetAction::KeepModel { model, .. } if model == "embedding"), "models stay loaded again last");
        s.uncached_models.clear();
        assert!(c.tick(&s).is_empty(), "at the user's size nothing more happens");

        assert!(c.tick(&state(850)).is_empty(), "between the two marks the controller holds still");
        let mut paused = state(850);
        paused.intake_paused = true;
        assert!(matches!(c.tick(&paused)[0], BudgetAction::ResumeIntake { .. }), "but never leaves a job paused there");
    }
}
