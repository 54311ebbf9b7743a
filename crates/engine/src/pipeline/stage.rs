//! The stages a job can run and how many items each takes per model call.

use serde::{Deserialize, Serialize};

use crate::models::{ModelId, Recogniser};

/// The stages a job runs, in their fixed order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Orientation,
    Layout,
    Ocr,
    Table,
    Embed,
}

impl Stage {
    pub const ALL: [Stage; 5] = [Stage::Orientation, Stage::Layout, Stage::Ocr, Stage::Table, Stage::Embed];

    pub fn name(self) -> &'static str {
        match self {
            Stage::Orientation => "orientation",
            Stage::Layout => "layout",
            Stage::Ocr => "ocr",
            Stage::Table => "table",
            Stage::Embed => "embed",
        }
    }

    pub fn parse(name: &str) -> Option<Stage> {
        Stage::ALL.into_iter().find(|s| s.name() == name.trim())
    }

    /// The models the stage runs with `recogniser` for OCR.
    pub fn models(self, recogniser: Recogniser) -> &'static [ModelId] {
        match self {
            Stage::Orientation => &[ModelId::Orientation],
            Stage::Layout => &[ModelId::Layout],
            Stage::Ocr => match recogniser {
                Recogniser::V4 => &[ModelId::OcrDet, ModelId::OcrCls, ModelId::OcrRec],
                Recogniser::V5 => &[ModelId::OcrDet, ModelId::OcrCls, ModelId::OcrRecV5],
            },
            Stage::Table => &[ModelId::Table],
            Stage::Embed => &[ModelId::Embedding],
        }
    }

    /// Parses `STAGE=N`, one stage's batch size (at least 1).
    pub fn parse_batch_size(spec: &str) -> std::result::Result<(Stage, usize), String> {
        let (stage, size) = spec.split_once('=').ok_or_else(|| format!("expected STAGE=N, not '{spec}'"))?;
        let stage = Stage::parse(stage).ok_or_else(|| format!("unknown stage '{stage}'"))?;
        let size: usize = size.trim().parse().map_err(|_| format!("'{size}' is not a batch size"))?;
        if size == 0 {
            return Err("a batch size is at least 1".into());
        }
        Ok((stage, size))
    }

    /// Parses a comma-separated list such as `orientation,layout,ocr`.
    pub fn parse_list(list: &str) -> std::result::Result<Vec<Stage>, String> {
        let mut stages = Vec::new();
        for name in list.split(',').filter(|s| !s.trim().is_empty()) {
            let stage = Stage::parse(name).ok_or_else(|| {
                format!("unknown stage '{}'; the stages are orientation, layout, ocr, table, embed", name.trim())
            })?;
            if !stages.contains(&stage) {
                stages.push(stage);
            }
        }
        Ok(stages)
    }
}

/// How many items each stage takes per model call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct BatchSizes {
    /// Pages per orientation call.
    pub orientation: usize,
    /// Pages per layout call. The layout model's input is fixed at batch 1: pages of a batch run one after
    /// another under one hold of the session.
    pub layout: usize,
    /// Text-line crops per classifier and per recogniser call.
    pub ocr: usize,
    /// Tables per call (the table model decodes one table at a time).
    pub table: usize,
    /// Chunks per embedding call.
    pub embed: usize,
}

impl Default for BatchSizes {
    fn default() -> Self {
        BatchSizes { orientation: 4, layout: 1, ocr: 6, table: 1, embed: 16 }
    }
}

impl BatchSizes {
    pub fn of(&self, stage: Stage) -> usize {
        match stage {
            Stage::Orientation => self.orientation,
            Stage::Layout => self.layout,
            Stage::Ocr => self.ocr,
            Stage::Table => self.table,
            Stage::Embed => self.embed,
        }
    }

    pub fn set(&mut self, stage: Stage, size: usize) {
        let size = size.max(1);
        match stage {
            Stage::Orientation => self.orientation = size,
            Stage::Layout => self.layout = size,
            Stage::Ocr => self.ocr = size,
            Stage::Table => self.table = size,
            Stage::Embed => self.embed = size,
        }
    }

    /// Pages the first step of the pipeline (orientation and layout) takes at once.
    pub fn pages_per_vision_batch(&self) -> usize {
        self.orientation.max(self.layout).max(1)
    }
}
