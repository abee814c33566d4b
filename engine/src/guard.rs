//! Guards against whisper's known failure modes: text invented over silence
//! or noise, repetition loops, and non-speech annotations.

/// Thresholds for dropping text whisper probably invented.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GuardConfig {
    /// A segment whose no-speech probability is above this…
    pub no_speech_threshold: f32,
    /// …and whose average log-probability is below this is dropped.
    pub logprob_threshold: f32,
    /// Any segment with an average log-probability below this is dropped.
    pub min_logprob: f32,
}

impl Default for GuardConfig {
    fn default() -> Self {
        Self {
            no_speech_threshold: 0.6,
            logprob_threshold: -1.0,
            min_logprob: -2.0,
        }
    }
}

impl GuardConfig {
    /// True when a segment with these scores is likely invented (silence, noise).
    pub fn is_hallucination(&self, no_speech_prob: f32, avg_logprob: f32) -> bool {
        (no_speech_prob > self.no_speech_threshold && avg_logprob < self.logprob_threshold)
            || avg_logprob < self.min_logprob
    }
}

/// Sign-offs whisper learned from subtitled videos and writes over quiet or
/// noisy tails ("Thank you for watching."), normalised: lowercase words.
const STOCK_PHRASES: &[&str] = &[
    "thank you for watching",
    "thanks for watching",
    "thank you so much for watching",
    "thank you for watching and see you next time",
    "thanks for watching and see you next time",
    "please subscribe",
    "please like and subscribe",
    "like and subscribe",
    "subscribe to my channel",
    "subtitles by the amara org community",
    "transcription by castingwords",
];

/// True when a segment is one of whisper's stock sign-offs and whisper
/// itself was not sure the window held speech (no-speech probability at
/// least 0.2): text invented over a quiet tail, not something said.
pub fn is_stock_phrase(text: &str, no_speech_prob: f32) -> bool {
    let words: Vec<String> = text
        .split_whitespace()
        .map(norm)
        .filter(|w| !w.is_empty())
        .collect();
    no_speech_prob >= 0.2 && STOCK_PHRASES.contains(&words.join(" ").as_str())
}

/// True when a word is a non-speech annotation such as `[BLANK_AUDIO]`,
/// `(music)` or `*laughs*` rather than something said.
pub fn is_annotation(word: &str) -> bool {
    let w = word.trim();
    let pairs = [('[', ']'), ('(', ')'), ('*', '*'), ('♪', '♪')];
    w.len() >= 2
        && pairs
            .iter()
            .any(|&(open, close)| w.starts_with(open) && w.ends_with(close))
}

/// Normalised form used to compare words for repetition (case and punctuation ignored).
fn norm(word: &str) -> String {
    word.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Finds repetition loops in a word sequence and returns the indices of the
/// words to keep: a phrase of 2–12 words repeated three or more times in a
/// row, or a single word repeated more than three times, keeps one copy.
pub fn collapse_repeats(words: &[&str]) -> Vec<usize> {
    let normed: Vec<String> = words.iter().map(|w| norm(w)).collect();
    let mut keep = Vec::with_capacity(words.len());
    let mut i = 0;
    while i < words.len() {
        let mut skipped = false;
        for n in 1..=12usize {
            let min_repeats = if n == 1 { 4 } else { 3 };
            if i + n * min_repeats > words.len() {
                break;
            }
            if normed[i..i + n].iter().all(|w| w.is_empty()) {
                continue;
            }
            let mut reps = 1;
            while i + (reps + 1) * n <= words.len()
                && normed[i + reps * n..i + (reps + 1) * n] == normed[i..i + n]
            {
                reps += 1;
            }
            if reps >= min_repeats {
                keep.extend(i..i + n);
                i += reps * n;
                skipped = true;
                break;
            }
        }
        if !skipped {
            keep.push(i);
            i += 1;
        }
    }
    keep
}

/// A word with its time span (seconds), for [`drop_squashed_doubles`].
pub type TimedText<'a> = (&'a str, f64, f64);

/// Median word duration of a run (seconds).
fn median_duration(words: &[TimedText]) -> f64 {
    let mut d: Vec<f64> = words.iter().map(|&(_, a, b)| (b - a).max(0.0)).collect();
    d.sort_by(f64::total_cmp);
    d[d.len() / 2]
}

/// Finds a phrase of three or more words that whisper wrote twice in a
/// row where the second copy has no time of its own (its words squashed
/// onto an instant: median word under 80 ms and under a third of the first
/// copy's), as a decode under an initial prompt sometimes does; returns
/// the indices of the words to keep (the copy dropped). A phrase said
/// twice at a speaking pace is kept.
pub fn drop_squashed_doubles(words: &[TimedText]) -> Vec<usize> {
    let normed: Vec<String> = words.iter().map(|w| norm(w.0)).collect();
    let mut keep = Vec::with_capacity(words.len());
    let mut i = 0;
    while i < words.len() {
        let longest = (words.len() - i) / 2;
        let copy = (3..=longest).rev().find(|&n| {
            let (first, second) = (&words[i..i + n], &words[i + n..i + 2 * n]);
            normed[i..i + n] == normed[i + n..i + 2 * n]
                && normed[i..i + n].iter().any(|w| !w.is_empty())
                && {
                    let (a, b) = (median_duration(first), median_duration(second));
                    b < 0.08 && b < a / 3.0
                }
        });
        match copy {
            Some(n) => {
                keep.extend(i..i + n);
                i += 2 * n;
            }
            None => {
                keep.push(i);
                i += 1;
            }
        }
    }
    keep
}

#[cfg(test)]
mod tests {

    /// Words of `text` one after another, each lasting `each` seconds from `t`.
    fn timed(text: &str, t: f64, each: f64) -> Vec<(String, f64, f64)> {
        text.split_whitespace()
            .enumerate()
            .map(|(k, w)| {
                let a = t + k as f64 * each;
                (w.to_string(), a, a + each)
            })
            .collect()
    }

    fn kept(words: &[(String, f64, f64)]) -> String {
        let view: Vec<TimedText> = words.iter().map(|(w, a, b)| (w.as_str(), *a, *b)).collect();
        drop_squashed_doubles(&view)
            .into_iter()
            .map(|i| words[i].0.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn a_copy_squashed_onto_an_instant_is_dropped() {
        let mut w = timed("Paging the storage team now.", 4.0, 0.3);
        w.extend(timed("Paging the storage team now.", 5.5, 0.005));
        w.extend(timed("They answer fast.", 6.0, 0.3));
        assert_eq!(kept(&w), "Paging the storage team now. They answer fast.");
    }

    #[test]
    fn a_phrase_said_twice_at_speaking_pace_is_kept() {
        let mut w = timed("roll it back", 1.0, 0.25);
        w.extend(timed("roll it back", 1.8, 0.25));
        assert_eq!(kept(&w), "roll it back roll it back");
        // Two words squashed are too little to call a copy.
        let mut w = timed("go now", 1.0, 0.3);
        w.extend(timed("go now", 1.6, 0.0));
        assert_eq!(kept(&w), "go now go now");
    }

    #[test]
    fn stock_sign_offs_over_quiet_tails_are_dropped() {
        assert!(is_stock_phrase("Thank you for watching.", 0.53));
        assert!(is_stock_phrase(" thanks  for watching! ", 0.25));
        // Said with confidence that there is speech: kept.
        assert!(!is_stock_phrase("Thank you for watching.", 0.05));
        // Ordinary thanks on a bridge call: kept.
        assert!(!is_stock_phrase("Thank you, everyone.", 0.9));
        assert!(!is_stock_phrase(
            "Thanks for watching the dashboard, Ken.",
            0.5
        ));
    }

    use super::*;

    #[test]
    fn hallucination_needs_both_signals() {
        let g = GuardConfig::default();
        assert!(g.is_hallucination(0.9, -1.5));
        assert!(!g.is_hallucination(0.9, -0.3));
        assert!(!g.is_hallucination(0.1, -1.5));
        assert!(g.is_hallucination(0.1, -2.5));
    }

    #[test]
    fn annotations() {
        assert!(is_annotation("[BLANK_AUDIO]"));
        assert!(is_annotation(" (music)"));
        assert!(is_annotation("*sigh*"));
        assert!(!is_annotation("rollback"));
        assert!(!is_annotation("("));
    }

    #[test]
    fn collapses_phrase_loops() {
        let words: Vec<&str> = "we roll back. we roll back. we roll back. we roll back. done"
            .split(' ')
            .collect();
        let kept: Vec<&str> = collapse_repeats(&words).iter().map(|&i| words[i]).collect();
        assert_eq!(kept, vec!["we", "roll", "back.", "done"]);
    }

    #[test]
    fn keeps_ordinary_repeats() {
        let words: Vec<&str> = "no no we said that that is fine".split(' ').collect();
        assert_eq!(collapse_repeats(&words).len(), words.len());
        let words: Vec<&str> = "go go go go go".split(' ').collect();
        assert_eq!(collapse_repeats(&words), vec![0]);
    }
}
