//! How close one text is to another, word for word: the bag-of-words precision, recall and F1 that OCR and
//! text-layer quality are reported in.

use std::collections::HashMap;

use serde::Serialize;

/// Word-bag agreement of a text with the truth.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct WordScore {
    pub truth_words: usize,
    pub found_words: usize,
    pub matched: usize,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
}

impl WordScore {
    /// Adds another page's counts (the figures are recomputed from the sums).
    pub fn add(&mut self, other: &WordScore) {
        *self = Self::from_counts(self.truth_words + other.truth_words, self.found_words + other.found_words, self.matched + other.matched);
    }

    fn from_counts(truth_words: usize, found_words: usize, matched: usize) -> Self {
        let precision = if found_words == 0 { (truth_words == 0) as u8 as f64 } else { matched as f64 / found_words as f64 };
        let recall = if truth_words == 0 { 1.0 } else { matched as f64 / truth_words as f64 };
        let f1 = if precision + recall == 0.0 { 0.0 } else { 2.0 * precision * recall / (precision + recall) };
        WordScore { truth_words, found_words, matched, precision, recall, f1 }
    }
}

/// The words of `text`: split at whitespace, case kept, punctuation at either end dropped. pdfium's marks for
/// a hyphen at the end of a line (U+0002, U+FFFE) split too: a word hyphenated across two lines counts as
/// its two halves, as the page shows them.
pub fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| c.is_whitespace() || c == '\u{2}' || c == '\u{FFFE}').map(|w| w.trim_matches(|c: char| !c.is_alphanumeric())).filter(|w| !w.is_empty())
}

/// How many of `found`'s words are in `truth`, each counted at most as often as it occurs there.
pub fn word_score(truth: &str, found: &str) -> WordScore {
    let mut bag: HashMap<&str, usize> = HashMap::new();
    let mut truth_words = 0;
    for w in words(truth) {
        *bag.entry(w).or_default() += 1;
        truth_words += 1;
    }
    let (mut found_words, mut matched) = (0, 0);
    for w in words(found) {
        found_words += 1;
        if let Some(n) = bag.get_mut(w).filter(|n| **n > 0) {
            *n -= 1;
            matched += 1;
        }
    }
    WordScore::from_counts(truth_words, found_words, matched)
}

/// The edit distance (insertions, deletions and substitutions of one character each) from `a` to `b`: the
/// numerator of a character error rate.
pub fn edit_distance(a: &[char], b: &[char]) -> usize {
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_matched_as_a_bag() {
        let s = word_score("the cat sat on the mat.", "the mat, the cat sat");
        assert_eq!((s.truth_words, s.found_words, s.matched), (6, 5, 5));
        assert!((s.precision - 1.0).abs() < 1e-9);
        assert!((s.f1 - 2.0 * (5.0 / 6.0) / (1.0 + 5.0 / 6.0)).abs() < 1e-9);
        // Words run together match nothing.
        assert_eq!(word_score("the cat", "thecat").matched, 0);
        // A word hyphenated at a line's end is its two halves.
        assert_eq!(word_score("under\u{FFFE}score", "under-\nscore").f1, 1.0);
    }

    #[test]
    fn edit_distance_counts_single_character_edits() {
        let c = |s: &str| s.chars().collect::<Vec<_>>();
        assert_eq!(edit_distance(&c("kitten"), &c("sitting")), 3);
        assert_eq!(edit_distance(&c(""), &c("abc")), 3);
        assert_eq!(edit_distance(&c("same"), &c("same")), 0);
    }
}
