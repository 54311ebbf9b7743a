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

/// `["blank"] + character lines + [" "]`, as the reference's `CTCLabelDecode` builds it.
pub fn vocabulary(character_metadata: &str) -> Vec<String> {
    let mut vocab = vec!["blank".to_string()];
    vocab.extend(split_lines(character_metadata).into_iter().map(str::to_string));
    vocab.push(" ".to_string());
    vocab
}

/// Greedy CTC over one sequence of `steps` × `classes` probabilities: per step the arg-max (first on ties),
/// collapse repeats, drop blanks (index 0). The score is the mean of the kept steps' probabilities (0 if none).
pub fn decode(probs: &[f32], steps: usize, classes: usize, vocab: &[String]) -> (String, f64) {
    let mut text = String::new();
    let (mut sum, mut kept) = (0.0f64, 0usize);
    let mut previous = usize::MAX;
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
                text.push_str(s);
            }
            sum += best_p as f64;
            kept += 1;
        }
        previous = best;
    }
    (text, if kept == 0 { 0.0 } else { sum / kept as f64 })
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
        let (text, score) = decode(&flat, 8, 4, &vocab);
        assert_eq!(text, "aab ");
        let want = (0.8f32 as f64 + 1.0 + 0.8f32 as f64 + 0.9f32 as f64) / 4.0;
        assert!((score - want).abs() < 1e-12);
        assert_eq!(decode(&[1.0, 0.0, 0.0, 0.0], 1, 4, &vocab), (String::new(), 0.0));
    }
}
