//! The recogniser's vocabulary and greedy CTC decoding.

/// Python's `str.splitlines()`: the separators it breaks on, no empty last entry for a trailing break.
pub fn split_lines(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut iter = s.char_indices().peekable();
    while let Some((i, c)) = iter.next() {
        let is_break = matches!(
            c,
            '\n' | '\r' | '\u{0b}' | '\u{0c}' | '\u{1c}' | '\u{1d}' | '\u{1e}' | '\u{85}' | '\u{2028}' | '\u{2029}'
        );
        if !is_break {
            continue;
        }
        out.push(&s[start..i]);
        let mut end = i + c.len_utf8();
        if c == '\r' {
            if let Some(&(j, '\n')) = iter.peek() {
                iter.next();
                end = j + 1;
            }
        }
        start = end;
    }
    if start < s.len() {
        out.push(&s[start..]);
    }
    out
}

/// `["blank"] + character lines + [" "]`, as the reference's `CTCLabelDecode` builds it from a model's
/// `character` metadata (Python's `splitlines`).
pub fn vocabulary(character_metadata: &str) -> Vec<String> {
    with_blank_and_space(split_lines(character_metadata))
}

/// The same from a character-list file: one entry per `\n`-ended line (a `\r` before it dropped), so that
/// entries such as U+2028 or U+001C stay characters rather than breaks.
pub fn vocabulary_file(text: &str) -> Vec<String> {
    with_blank_and_space(text.lines().collect())
}

fn with_blank_and_space(entries: Vec<&str>) -> Vec<String> {
    let mut vocab = vec!["blank".to_string()];
    vocab.extend(entries.into_iter().map(str::to_string));
    vocab.push(" ".to_string());
    vocab
}

/// One character the greedy decoder emitted, with the time steps its run covered (the recogniser's output
/// steps run left to right across its input, one per 8 pixels at height 48 for PP-OCR).
#[derive(Debug, Clone, PartialEq)]
pub struct AlignedChar {
    /// The vocabulary entry (one character, or the space class).
    pub text: String,
    /// First and last step of the run the character was emitted from.
    pub first: u32,
    pub last: u32,
    /// The probability at the run's first step (what the line's score averages).
    pub prob: f32,
    /// The highest probability of the space class over the steps between the previous character and this
    /// one (0 for the first character): the recogniser's own hint of a space it did not emit.
    pub space_before: f32,
}

/// What greedy CTC decoding read from one line: the characters with their steps, and the mean confidence.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Alignment {
    pub chars: Vec<AlignedChar>,
    pub score: f64,
}

impl Alignment {
    /// The characters as one string, as the reference decodes them.
    pub fn text(&self) -> String {
        self.chars.iter().map(|c| c.text.as_str()).collect()
    }
}

/// Greedy CTC over one sequence of `steps` × `classes` probabilities, keeping where each character was
/// emitted: per step the arg-max (first on ties), collapse repeats, drop blanks (index 0). The score is the
/// mean of the kept steps' probabilities (0 if none). The space class is the vocabulary's last entry when
/// it is `" "`.
pub fn align(probs: &[f32], steps: usize, classes: usize, vocab: &[String]) -> Alignment {
    let space = vocab.last().filter(|s| s.as_str() == " ").map(|_| vocab.len() - 1);
    let mut chars: Vec<AlignedChar> = Vec::new();
    let (mut sum, mut kept) = (0.0f64, 0usize);
    let mut previous = usize::MAX;
    let mut space_since = 0f32;
    for t in 0..steps {
        let row = &probs[t * classes..(t + 1) * classes];
        let (mut best, mut best_p) = (0usize, row[0]);
        for (i, &p) in row.iter().enumerate().skip(1) {
            if p > best_p {
                best = i;
                best_p = p;
            }
        }
        if best != 0 && (t == 0 || best != previous) {
            if let Some(s) = vocab.get(best) {
                chars.push(AlignedChar { text: s.clone(), first: t as u32, last: t as u32, prob: best_p, space_before: space_since });
            }
            sum += best_p as f64;
            kept += 1;
            space_since = 0.0;
        } else if best != 0 && best == previous {
            if let Some(c) = chars.last_mut() {
                c.last = t as u32;
            }
        } else if let Some(s) = space {
            space_since = space_since.max(row.get(s).copied().unwrap_or(0.0));
        }
        previous = best;
    }
    Alignment { chars, score: if kept == 0 { 0.0 } else { sum / kept as f64 } }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitlines_like_python() {
        assert_eq!(split_lines("a\nb\r\nc\rd\n"), vec!["a", "b", "c", "d"]);
        assert_eq!(split_lines("a\n\nb"), vec!["a", "", "b"]);
        assert_eq!(vocabulary("x\ny").len(), 4);
    }

    #[test]
    fn ctc_collapses_repeats_and_drops_blanks() {
        let vocab: Vec<String> = ["blank", "a", "b", " "].iter().map(|s| s.to_string()).collect();
        // Steps: a a blank a b b blank(0.5 tie -> first) space
        let rows: [[f32; 4]; 8] = [
            [0.1, 0.8, 0.1, 0.0],
            [0.1, 0.6, 0.3, 0.0],
            [0.9, 0.1, 0.0, 0.0],
            [0.0, 1.0, 0.0, 0.0],
            [0.2, 0.0, 0.8, 0.0],
            [0.3, 0.0, 0.7, 0.0],
            [0.5, 0.0, 0.0, 0.5],
            [0.0, 0.0, 0.0, 0.9],
        ];
        let flat: Vec<f32> = rows.iter().flatten().copied().collect();
        let a = align(&flat, 8, 4, &vocab);
        let (text, score) = (a.text(), a.score);
        assert_eq!(text, "aab ");
        let want = (0.8f32 as f64 + 1.0 + 0.8f32 as f64 + 0.9f32 as f64) / 4.0;
        assert!((score - want).abs() < 1e-12);
        let empty = align(&[1.0, 0.0, 0.0, 0.0], 1, 4, &vocab);
        assert_eq!((empty.text(), empty.score), (String::new(), 0.0));

        let spans: Vec<(&str, u32, u32)> = a.chars.iter().map(|c| (c.text.as_str(), c.first, c.last)).collect();
        assert_eq!(spans, vec![("a", 0, 1), ("a", 3, 3), ("b", 4, 5), (" ", 7, 7)]);
        // The space class's probability over the blank steps before a character is kept as a hint.
        assert_eq!(a.chars[1].space_before, 0.0);
        assert_eq!(a.chars[3].space_before, 0.5);
    }
}
