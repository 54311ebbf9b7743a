//! Words of a recognised line: where the spaces are, from the recogniser's own alignment, and a box for each
//! word inside the line's polygon.
//!
//! PP-OCR's recognisers read a line as a sequence of time steps across the crop (one per 8 pixels of the
//! 48-pixel-high input) and greedy CTC decoding knows the steps each character came from. The multilingual
//! PP-OCRv4 model emits the space class for few of the spaces in English text, so the characters run
//! together. A space is put back where two characters stand further apart than the line's own character
//! pitch says they should ([`SpaceParams::gap_ratio`]) or where the recogniser gave the space class a real
//! chance between them without emitting it ([`SpaceParams::space_prob`]).

use serde::{Deserialize, Serialize};

use super::ctc::Alignment;
use crate::models::Recogniser;
use crate::stages::{Quad, Word};

/// Which spaces a line's text gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SpaceRule {
    /// Only the spaces the recogniser emitted (the reference's text, for parity).
    Model,
    /// Also spaces from the alignment: wide gaps and the space class's hints.
    #[default]
    Alignment,
}

impl SpaceRule {
    pub fn name(self) -> &'static str {
        match self {
            SpaceRule::Model => "model",
            SpaceRule::Alignment => "alignment",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "model" => Some(SpaceRule::Model),
            "alignment" => Some(SpaceRule::Alignment),
            _ => None,
        }
    }
}

/// The space rule and its parameters (BENCHMARKS.md "Words on scans" measures them: the space class's hint
/// carries most of the spaces; a gap rule under twice the pitch splits words, because the steps are coarse
/// and a narrow letter next to a wide one already stands 1.5 pitches off).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SpaceParams {
    pub rule: SpaceRule,
    /// Two characters whose centres are more than this many times the line's typical pitch (the median
    /// centre-to-centre distance of its neighbouring characters) apart have a space between them (0: never).
    pub gap_ratio: f32,
    /// Neighbouring characters between which the space class reached this probability have a space between
    /// them (above 1: never).
    pub space_prob: f32,
    /// Lines with fewer character-to-character distances than this have no typical pitch to go by: only
    /// the space class's hints split them.
    pub min_pitches: usize,
}

impl Default for SpaceParams {
    fn default() -> Self {
        SpaceParams { rule: SpaceRule::Alignment, gap_ratio: 2.0, space_prob: 0.05, min_pitches: 3 }
    }
}

impl SpaceParams {
    /// The alignment rule's settings measured best for `recogniser` (`scan_words --sweep`, BENCHMARKS.md
    /// "Words on scans"). PP-OCRv5 emits most spaces itself and its space class is less sure where it does
    /// not: a hint from 0.2 up, and no gap rule (its characters' steps are uneven enough that two pitches
    /// split words).
    pub fn for_recogniser(recogniser: Recogniser) -> Self {
        match recogniser {
            Recogniser::V4 => SpaceParams::default(),
            Recogniser::V5 => SpaceParams { gap_ratio: 0.0, space_prob: 0.2, ..SpaceParams::default() },
        }
    }
}

/// One word of a line in the recogniser's steps: its text, its first and last step, its mean character
/// probability.
#[derive(Debug, Clone, PartialEq)]
pub struct WordSpan {
    pub text: String,
    pub first: u32,
    pub last: u32,
    pub score: f32,
}

/// The line's words under `params`. The characters' own spaces always split; the alignment rule adds its
/// spaces between characters that have none.
pub fn split(alignment: &Alignment, params: &SpaceParams) -> Vec<WordSpan> {
    let chars = &alignment.chars;
    let centre = |i: usize| (chars[i].first + chars[i].last) as f32 / 2.0;
    let pitch = {
        let mut d: Vec<f32> = (1..chars.len())
            .filter(|&i| !is_space(&chars[i].text) && !is_space(&chars[i - 1].text))
            .map(|i| centre(i) - centre(i - 1))
            .collect();
        if d.len() < params.min_pitches.max(1) {
            None
        } else {
            d.sort_by(f32::total_cmp);
            Some(d[d.len() / 2])
        }
    };
    let mut words = Vec::new();
    let mut current: Option<(String, u32, u32, f32, usize)> = None;
    let flush = |current: &mut Option<(String, u32, u32, f32, usize)>, words: &mut Vec<WordSpan>| {
        if let Some((text, first, last, sum, n)) = current.take() {
            words.push(WordSpan { text, first, last, score: sum / n as f32 });
        }
    };
    for (i, c) in chars.iter().enumerate() {
        if is_space(&c.text) {
            flush(&mut current, &mut words);
            continue;
        }
        if i > 0 && params.rule == SpaceRule::Alignment && !is_space(&chars[i - 1].text) {
            let wide = params.gap_ratio > 0.0 && pitch.is_some_and(|p| centre(i) - centre(i - 1) > params.gap_ratio * p);
            if wide || c.space_before >= params.space_prob {
                flush(&mut current, &mut words);
            }
        }
        match &mut current {
            Some((text, _, last, sum, n)) => {
                text.push_str(&c.text);
                *last = c.last;
                *sum += c.prob;
                *n += 1;
            }
            None => current = Some((c.text.clone(), c.first, c.last, c.prob, 1)),
        }
    }
    flush(&mut current, &mut words);
    words
}

fn is_space(s: &str) -> bool {
    s.chars().all(char::is_whitespace)
}

/// How a recogniser input relates to its line's polygon.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LineFrame {
    /// The line's polygon (clockwise from its top-left corner) in the image the crop was cut from.
    pub quad: Quad,
    /// The crop's width in the recogniser's steps (its own pixels, not the batch's padding).
    pub width_steps: f32,
    /// The crop was turned a quarter counter-clockwise (a tall line, read downwards).
    pub turned: bool,
    /// The crop was turned half round (the direction classifier read it upside down).
    pub flipped: bool,
}

/// The words of a line with their boxes: each word's steps widened by half a step before and one and a half
/// after (a character's ink reaches past the step it is emitted at), never past the middle of the gap to
/// its neighbour, and mapped into the line's polygon along its reading direction, so that every word's box
/// lies inside the polygon.
pub fn place(spans: &[WordSpan], frame: &LineFrame) -> Vec<Word> {
    let width = frame.width_steps.max(1.0);
    let mut out = Vec::with_capacity(spans.len());
    for (k, span) in spans.iter().enumerate() {
        let mut x0 = span.first as f32 - 0.5;
        let mut x1 = span.last as f32 + 1.5;
        if let Some(prev) = k.checked_sub(1).map(|j| &spans[j]) {
            x0 = x0.max((prev.last as f32 + 1.0 + span.first as f32) / 2.0);
        }
        if let Some(next) = spans.get(k + 1) {
            x1 = x1.min((span.last as f32 + 1.0 + next.first as f32) / 2.0);
        }
        let (mut f0, mut f1) = ((x0 / width).clamp(0.0, 1.0), (x1 / width).clamp(0.0, 1.0));
        if frame.flipped {
            (f0, f1) = (1.0 - f1, 1.0 - f0);
        }
        out.push(Word { text: span.text.clone(), score: span.score, polygon: sub_quad(&frame.quad, f0, f1, frame.turned) });
    }
    out
}

/// The part of `quad` between fractions `f0` and `f1` of its reading direction: along its top and bottom
/// edges, or for a turned line down its left and right edges.
fn sub_quad(q: &Quad, f0: f32, f1: f32, turned: bool) -> Quad {
    let lerp = |a: [f32; 2], b: [f32; 2], f: f32| [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f];
    if turned {
        [lerp(q[0], q[3], f0), lerp(q[1], q[2], f0), lerp(q[1], q[2], f1), lerp(q[0], q[3], f1)]
    } else {
        [lerp(q[0], q[1], f0), lerp(q[0], q[1], f1), lerp(q[3], q[2], f1), lerp(q[3], q[2], f0)]
    }
}

#[cfg(test)]
mod tests {
    use super::super::ctc::AlignedChar;
    use super::*;

    fn line(spec: &[(&str, u32, f32)]) -> Alignment {
        let chars = spec
            .iter()
            .map(|&(t, step, space_before)| AlignedChar { text: t.to_string(), first: step, last: step, prob: 0.9, space_before })
            .collect();
        Alignment { chars, score: 0.9 }
    }

    fn texts(words: &[WordSpan]) -> Vec<&str> {
        words.iter().map(|w| w.text.as_str()).collect()
    }

    #[test]
    fn a_gap_wider_than_the_pitch_is_a_space() {
        // "the cat": pitch 2 steps, 5 across the word boundary.
        let a = line(&[("t", 0, 0.0), ("h", 2, 0.0), ("e", 4, 0.0), ("c", 9, 0.0), ("a", 11, 0.0), ("t", 13, 0.0)]);
        let params = SpaceParams::default();
        assert_eq!(texts(&split(&a, &params)), vec!["the", "cat"]);
        assert_eq!(texts(&split(&a, &SpaceParams { rule: SpaceRule::Model, ..params })), vec!["thecat"]);
        assert_eq!(a.text(), "thecat");
    }

    #[test]
    fn the_space_class_hint_and_emitted_spaces_split() {
        let a = line(&[("a", 0, 0.0), ("b", 2, 0.4), ("c", 4, 0.0), (" ", 5, 0.0), ("d", 6, 0.0), ("e", 8, 0.0)]);
        assert_eq!(texts(&split(&a, &SpaceParams::default())), vec!["a", "bc", "de"]);
        assert_eq!(texts(&split(&a, &SpaceParams { rule: SpaceRule::Model, ..SpaceParams::default() })), vec!["abc", "de"]);
        // Short lines have no pitch: only hints and emitted spaces split them.
        let short = line(&[("o", 0, 0.0), ("k", 9, 0.0)]);
        assert_eq!(texts(&split(&short, &SpaceParams::default())), vec!["ok"]);
    }

    #[test]
    fn word_boxes_lie_in_order_inside_the_line_polygon() {
        let a = line(&[("t", 0, 0.0), ("h", 2, 0.0), ("e", 4, 0.0), ("c", 9, 0.0), ("a", 11, 0.0), ("t", 13, 0.0)]);
        let spans = split(&a, &SpaceParams::default());
        let quad = [[100.0, 50.0], [240.0, 50.0], [240.0, 70.0], [100.0, 70.0]];
        let frame = LineFrame { quad, width_steps: 14.0, turned: false, flipped: false };
        let words = place(&spans, &frame);
        assert_eq!(words.len(), 2);
        // "the" over steps 0–5.5 of 14, "cat" over 8.5 to the line's end.
        assert_eq!(words[0].polygon[0], [100.0, 50.0]);
        assert!((words[0].polygon[1][0] - 155.0).abs() < 1e-3 && (words[1].polygon[0][0] - 185.0).abs() < 1e-3);
        assert_eq!(words[1].polygon[2], [240.0, 70.0]);
        for w in &words {
            assert!(w.polygon.iter().all(|p| (100.0..=240.0).contains(&p[0]) && (50.0..=70.0).contains(&p[1])));
        }
        // Read upside down, the first word is at the polygon's right end.
        let flipped = place(&spans, &LineFrame { flipped: true, ..frame });
        assert!((flipped[0].polygon[0][0] - 185.0).abs() < 1e-3 && flipped[1].polygon[0][0] == 100.0);
        // A tall line reads down its left and right edges.
        let tall = LineFrame { quad: [[10.0, 0.0], [30.0, 0.0], [30.0, 140.0], [10.0, 140.0]], turned: true, ..frame };
        let words = place(&spans, &tall);
        assert_eq!(words[0].polygon[0], [10.0, 0.0]);
        assert!((words[0].polygon[3][1] - 55.0).abs() < 1e-3);
    }
}
