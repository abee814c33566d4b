//! Word error rate after normalising case, punctuation and number formatting
//! on both sides ("forty percent" = "40%", "four eighteen" = "4.18",
//! "D 4 6 9 2" = "D4692").

/// Words of `text`, lower case, punctuation dropped, number words turned into
/// digits and every digit a word of its own.
pub fn normalize(text: &str) -> Vec<String> {
    let mut spaced = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '%' => spaced.push_str(" percent "),
            '&' => spaced.push_str(" and "),
            '\'' | '’' => {}
            c if c.is_alphanumeric() => spaced.extend(c.to_lowercase()),
            _ => spaced.push(' '),
        }
    }
    let words: Vec<&str> = spaced.split_whitespace().collect();
    let mut out = Vec::with_capacity(words.len());
    for w in numbers_to_digits(&words) {
        // Split letter/digit runs ("d4692" → "d 4 6 9 2") and digits apart.
        let mut run = String::new();
        for c in w.chars() {
            if c.is_ascii_digit() {
                if !run.is_empty() {
                    out.push(std::mem::take(&mut run));
                }
                out.push(c.to_string());
            } else {
                run.push(c);
            }
        }
        if !run.is_empty() {
            out.push(run);
        }
    }
    out
}

fn unit(w: &str) -> Option<u64> {
    const UNITS: [&str; 20] = [
        "zero",
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "eleven",
        "twelve",
        "thirteen",
        "fourteen",
        "fifteen",
        "sixteen",
        "seventeen",
        "eighteen",
        "nineteen",
    ];
    if w == "oh" {
        return None;
    }
    UNITS.iter().position(|u| *u == w).map(|i| i as u64)
}

fn tens(w: &str) -> Option<u64> {
    const TENS: [&str; 8] = [
        "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
    ];
    TENS.iter()
        .position(|t| *t == w)
        .map(|i| 20 + 10 * i as u64)
}

/// Replaces runs of English number words by their digits.
fn numbers_to_digits(words: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let w = words[i];
        if unit(w).is_none() && tens(w).is_none() {
            out.push(w.to_string());
            i += 1;
            continue;
        }
        // Parse one number: [tens [unit] | unit/teen] [hundred [and] …] [thousand …]
        let mut total = 0u64;
        let mut current = 0u64;
        let mut last_kind = ""; // "unit", "teen", "tens", "scale"
        while i < words.len() {
            let w = words[i];
            if let Some(t) = tens(w) {
                if matches!(last_kind, "unit" | "teen" | "tens") {
                    break;
                }
                current += t;
                last_kind = "tens";
            } else if let Some(u) = unit(w) {
                let teen = u >= 10;
                match last_kind {
                    "tens" if !teen && u > 0 => current += u,
                    "" | "scale" => current += u,
                    _ => break,
                }
                last_kind = if teen { "teen" } else { "unit" };
            } else if w == "hundred" && matches!(last_kind, "unit" | "teen" | "tens") {
                current *= 100;
                last_kind = "scale";
            } else if (w == "thousand" || w == "million") && !last_kind.is_empty() {
                let scale = if w == "thousand" { 1_000 } else { 1_000_000 };
                total += current.max(1) * scale;
                current = 0;
                last_kind = "scale";
            } else if w == "and"
                && last_kind == "scale"
                && words
                    .get(i + 1)
                    .is_some_and(|n| unit(n).is_some() || tens(n).is_some())
            {
                // "two hundred and fifty"
            } else {
                break;
            }
            i += 1;
        }
        out.push((total + current).to_string());
    }
    out
}

/// Edit distance between two word sequences.
pub fn edit_distance(reference: &[String], hypothesis: &[String]) -> usize {
    let mut prev: Vec<usize> = (0..=hypothesis.len()).collect();
    let mut cur = vec![0; hypothesis.len() + 1];
    for (i, r) in reference.iter().enumerate() {
        cur[0] = i + 1;
        for (j, h) in hypothesis.iter().enumerate() {
            let sub = prev[j] + usize::from(r != h);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[hypothesis.len()]
}

/// Errors and reference length, to add up over files before dividing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WerCount {
    /// Substitutions + deletions + insertions.
    pub errors: usize,
    /// Words in the normalised reference.
    pub words: usize,
}

impl WerCount {
    /// Counts errors of `hypothesis` against `reference`.
    pub fn of(reference: &str, hypothesis: &str) -> Self {
        let r = normalize(reference);
        let h = normalize(hypothesis);
        Self {
            errors: edit_distance(&r, &h),
            words: r.len(),
        }
    }
    /// The rate (0 when the reference is empty and so is the hypothesis).
    pub fn rate(&self) -> f64 {
        if self.words == 0 {
            return if self.errors == 0 { 0.0 } else { 1.0 };
        }
        self.errors as f64 / self.words as f64
    }
}

impl std::ops::AddAssign for WerCount {
    fn add_assign(&mut self, o: Self) {
        self.errors += o.errors;
        self.words += o.words;
    }
}

/// Normalised word error rate of `hypothesis` against `reference`.
pub fn wer(reference: &str, hypothesis: &str) -> f64 {
    WerCount::of(reference, hypothesis).rate()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_formats_agree() {
        assert_eq!(
            wer("roughly forty percent of calls", "Roughly 40% of calls."),
            0.0
        );
        assert_eq!(
            wer("Release six twenty shipped", "Release 6.20 shipped"),
            0.0
        );
        assert_eq!(wer("Build ID is D 4 6 9 2.", "Build ID is D4692."), 0.0);
        assert_eq!(wer("two hundred and fifty tickets", "250 tickets"), 0.0);
        assert_eq!(wer("nine o'clock", "9 o'clock"), 0.0);
        assert_eq!(wer("twenty one", "21"), 0.0);
    }

    #[test]
    fn counts_errors() {
        assert_eq!(wer("a b c d", "a x c"), 0.5);
        assert_eq!(wer("", ""), 0.0);
        assert_eq!(wer("", "a"), 1.0);
        let mut c = WerCount::of("a b", "a b");
        c += WerCount::of("a b", "b");
        assert_eq!(
            c,
            WerCount {
                errors: 1,
                words: 4
            }
        );
    }
}
