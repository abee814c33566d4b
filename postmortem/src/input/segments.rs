//! Repairs to how a speech engine cut the audio into utterances. Whisper
//! sometimes runs the first words of the next speaker onto the end of a
//! segment and, unable to align them, squashes their timings onto the
//! segment's last instant ("…keep digging. Rolling back now." with "Rolling",
//! "back" and "now." all at 232.77 s). Those words were said after the
//! segment, usually by someone else: they are cut off into an utterance of
//! their own, placed a little after the segment.

use super::parse::{RawUtterance, RawWord};

/// Seconds within which word times count as the same instant.
const SAME_INSTANT_S: f64 = 0.05;

/// Seconds after a segment's end at which its squashed tail is placed: the
/// words were said after it, never before.
pub const TAIL_LAG_S: f64 = 1.0;

/// Rough seconds per word, for the squashed tail's end.
const WORD_S: f64 = 0.3;

/// Whether a word ends a sentence.
fn ends_sentence(w: &RawWord) -> bool {
    w.text.trim_end().ends_with(['.', '?', '!'])
}

/// Index of the first word of a squashed tail that starts a sentence, if any:
/// at least two words at the segment's last instant (the first may start a
/// little earlier), after a word that ends a sentence.
pub fn squashed_tail(words: &[RawWord]) -> Option<usize> {
    let last = words.last()?.end;
    let at_end = |w: &RawWord| (w.end - last).abs() < SAME_INSTANT_S;
    let squashed = |w: &RawWord| at_end(w) && (w.start - last).abs() < SAME_INSTANT_S;
    let mut k = words.len();
    while k > 0 && squashed(&words[k - 1]) {
        k -= 1;
    }
    // The tail's first word may have kept a start of its own.
    let candidates = [Some(k), k.checked_sub(1).filter(|&j| at_end(&words[j]))];
    candidates
        .into_iter()
        .flatten()
        .find(|&j| j >= 1 && words.len() - j >= 2 && ends_sentence(&words[j - 1]))
}

/// Byte offset in `text` where word `index` starts, following the words in order.
fn word_byte(text: &str, words: &[RawWord], index: usize) -> Option<usize> {
    let lower = text.to_lowercase();
    let mut cursor = 0;
    for (i, w) in words.iter().enumerate() {
        let wt = w.text.trim().to_lowercase();
        if wt.is_empty() {
            continue;
        }
        let at = cursor + lower.get(cursor..)?.find(&wt)?;
        if i == index {
            return Some(at);
        }
        cursor = at + wt.len();
    }
    None
}

/// Cuts squashed tails off utterances (see the module docs). A tail ends
/// before the next utterance starts; its id is the utterance's id with `.1`.
pub fn split_squashed_tails(utts: Vec<RawUtterance>) -> Vec<RawUtterance> {
    let starts: Vec<f64> = utts.iter().map(|u| u.start).collect();
    let mut out = Vec::with_capacity(utts.len());
    for (i, u) in utts.into_iter().enumerate() {
        let cut = squashed_tail(&u.words)
            .and_then(|k| word_byte(&u.text, &u.words, k).map(|b| (k, b)))
            .filter(|&(_, b)| b > 0 && b < u.text.len());
        let Some((k, byte)) = cut else {
            out.push(u);
            continue;
        };
        let head_text = u.text[..byte].trim().to_string();
        let tail_text = u.text[byte..].trim().to_string();
        let head_end = u.words[k - 1].end.max(u.start);
        let tail_start = u.end + TAIL_LAG_S;
        let n = (u.words.len() - k) as f64;
        let mut tail_end = tail_start + WORD_S * n;
        if let Some(&next) = starts
            .get(i + 1..)
            .and_then(|s| s.iter().find(|&&s| s > tail_start))
        {
            tail_end = tail_end.min(next);
        }
        let shift = tail_start - u.end;
        let tail_words = u.words[k..]
            .iter()
            .map(|w| RawWord {
                text: w.text.clone(),
                start: w.start + shift,
                end: w.end + shift,
            })
            .collect();
        let tail = RawUtterance {
            id: format!("{}.1", u.id),
            track: u.track.clone(),
            speaker: u.speaker.clone(),
            start: tail_start,
            end: tail_end,
            wall_start: u
                .wall_start
                .map(|w| w + chrono::Duration::milliseconds((shift * 1000.0).round() as i64)),
            text: tail_text,
            words: tail_words,
        };
        let mut head = u;
        head.words.truncate(k);
        head.text = head_text;
        head.end = head_end;
        out.push(head);
        out.push(tail);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(spec: &[(&str, f64, f64)]) -> Vec<RawWord> {
        spec.iter()
            .map(|&(t, s, e)| RawWord {
                text: t.into(),
                start: s,
                end: e,
            })
            .collect()
    }

    fn utt(id: &str, text: &str, w: Vec<RawWord>) -> RawUtterance {
        RawUtterance {
            id: id.into(),
            track: Some("main".into()),
            speaker: None,
            start: w.first().map(|x| x.start).unwrap_or(0.0),
            end: w.last().map(|x| x.end).unwrap_or(0.0),
            wall_start: None,
            text: text.into(),
            words: w,
        }
    }

    #[test]
    fn cuts_a_squashed_sentence_off_the_end() {
        let u = utt(
            "7",
            "Okay, drain the node in zone b. Draining it now.",
            words(&[
                ("Okay,", 10.0, 10.3),
                ("drain", 10.3, 10.6),
                ("the", 10.6, 10.7),
                ("node", 10.7, 11.0),
                ("in", 11.0, 11.1),
                ("zone", 11.1, 11.4),
                ("b.", 11.4, 11.8),
                ("Draining", 11.8, 11.8),
                ("it", 11.8, 11.8),
                ("now.", 11.8, 11.8),
            ]),
        );
        let out = split_squashed_tails(vec![u]);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].text, "Okay, drain the node in zone b.");
        assert_eq!(out[1].text, "Draining it now.");
        assert_eq!(out[1].id, "7.1");
        assert!(out[1].start > out[0].end);
        assert_eq!(out[1].words.len(), 3);
    }

    #[test]
    fn keeps_tails_that_finish_a_sentence_or_have_real_times() {
        // Squashed words that end the same sentence stay.
        let u = utt(
            "1",
            "Errors are at forty percent of requests.",
            words(&[
                ("Errors", 1.0, 1.4),
                ("are", 1.4, 1.6),
                ("at", 1.6, 1.7),
                ("forty", 1.7, 2.0),
                ("percent", 2.0, 2.4),
                ("of", 2.4, 2.4),
                ("requests.", 2.4, 2.4),
            ]),
        );
        assert_eq!(split_squashed_tails(vec![u.clone()]), vec![u]);
        // Properly timed last sentence stays.
        let v = utt(
            "2",
            "We paused it. It is quiet now.",
            words(&[
                ("We", 1.0, 1.2),
                ("paused", 1.2, 1.5),
                ("it.", 1.5, 1.7),
                ("It", 2.0, 2.1),
                ("is", 2.1, 2.2),
                ("quiet", 2.2, 2.5),
                ("now.", 2.5, 2.8),
            ]),
        );
        assert_eq!(split_squashed_tails(vec![v.clone()]), vec![v]);
    }
}
