//! What every extractor reads: the call split into sentences with their own
//! times, tokens and normalised text, plus who said each one.

use chrono::{DateTime, NaiveDate, Utc};

use super::lexicon;
use crate::input::{Call, CallUtterance};
use crate::text::{normalise, tokenize, Token};

/// One sentence of one utterance.
#[derive(Debug, Clone)]
pub struct Sentence {
    /// Index of the utterance in the call.
    pub utt: usize,
    /// Position of this sentence within its utterance.
    pub pos: usize,
    /// The text as said.
    pub text: String,
    /// Tokens.
    pub toks: Vec<Token>,
    /// Normalised lowercase text (cue patterns match this).
    pub norm: String,
    /// Ends with a question mark.
    pub question: bool,
    /// Start, seconds from the incident's offset 0.
    pub offset_s: f64,
}

impl Sentence {
    /// Sentence `pos` of utterance `utt`, tokenised and normalised.
    pub fn new(utt: usize, pos: usize, text: String, offset_s: f64) -> Self {
        let toks = tokenize(&text);
        Sentence {
            utt,
            pos,
            norm: normalise(&toks),
            question: text.trim_end().ends_with('?'),
            text,
            toks,
            offset_s,
        }
    }
}

/// A lone sentence for the extractors' unit tests.
#[cfg(test)]
pub(crate) fn sentence(text: &str) -> Sentence {
    Sentence::new(0, 0, text.into(), 0.0)
}

/// The call prepared for extraction.
#[derive(Debug, Clone)]
pub struct Ctx<'a> {
    /// The call.
    pub call: &'a Call,
    /// Every sentence, in timeline order.
    pub sents: Vec<Sentence>,
    /// Speaker display name per utterance (after inference).
    pub speaker: Vec<Option<String>>,
    /// The call's date (due dates resolve against it).
    pub today: Option<NaiveDate>,
    /// Wall clock at offset 0.
    pub start_utc: Option<DateTime<Utc>>,
    /// Names of people on the call, for spotting them in the text.
    pub names: Vec<String>,
    /// Incident commander, when identified.
    pub commander: Option<String>,
    /// Speakers whose voice was tied to their name with little evidence
    /// (one exchange) or not at all (`Speaker N (unconfirmed)`): what they
    /// own is to confirm.
    pub unsure: Vec<String>,
    /// Logical turn per utterance: pieces of one speaker's turn that the
    /// transcriber split share a turn number.
    pub turn: Vec<usize>,
}

impl Ctx<'_> {
    /// The utterance a sentence came from.
    pub fn utt(&self, s: &Sentence) -> &CallUtterance {
        &self.call.utterances[s.utt]
    }

    /// Utterance id of a sentence, for `sources`.
    pub fn source(&self, s: &Sentence) -> String {
        self.call.utterances[s.utt].id.clone()
    }

    /// Who said a sentence.
    pub fn who(&self, s: &Sentence) -> Option<String> {
        self.speaker[s.utt].clone()
    }

    /// Wall clock at an offset.
    pub fn utc(&self, offset_s: f64) -> Option<DateTime<Utc>> {
        self.start_utc
            .map(|t| t + chrono::Duration::milliseconds((offset_s * 1000.0).round() as i64))
    }

    /// Indexes of the sentences of turn `t`.
    pub fn sentences_of_turn(&self, t: usize) -> impl Iterator<Item = usize> + '_ {
        self.sents
            .iter()
            .enumerate()
            .filter(move |(_, s)| self.turn[s.utt] == t)
            .map(|(i, _)| i)
    }

    /// Number of turns.
    pub fn turns(&self) -> usize {
        self.turn.last().map(|t| t + 1).unwrap_or(0)
    }

    /// Indexes of the sentences of utterance `u`.
    pub fn sentences_of(&self, u: usize) -> impl Iterator<Item = usize> + '_ {
        self.sents
            .iter()
            .enumerate()
            .filter(move |(_, s)| s.utt == u)
            .map(|(i, _)| i)
    }
}

/// Splits text into sentences, returning (byte start, text) pairs.
pub fn split_sentences(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let bytes: Vec<(usize, char)> = text.char_indices().collect();
    let mut start = 0;
    for (k, &(i, c)) in bytes.iter().enumerate() {
        if !matches!(c, '.' | '?' | '!') {
            continue;
        }
        let next = bytes.get(k + 1).map(|&(_, c)| c);
        if next.is_some_and(|n| !n.is_whitespace() && n != '"' && n != '\'') {
            continue;
        }
        let after = bytes[k + 1..]
            .iter()
            .map(|&(_, c)| c)
            .find(|c| !c.is_whitespace());
        // "4. 18" and "or. or" carry on; "on the call. 40 minutes is…" does not.
        let before_digit = k > 0 && bytes[k - 1].1.is_ascii_digit();
        if after.is_some_and(|a| a.is_ascii_digit() && before_digit || a.is_lowercase()) && c == '.'
        {
            continue;
        }
        let word_start = text[..i]
            .char_indices()
            .rev()
            .find(|(_, c)| c.is_whitespace())
            .map(|(p, c)| p + c.len_utf8())
            .unwrap_or(0);
        let word = text[word_start..=i].to_lowercase();
        // "u.s." and "e.g." are abbreviations; "or..." ends a sentence.
        let letters_dots = word.len() >= 3
            && word.matches('.').count() >= 2
            && word
                .trim_end_matches('.')
                .split('.')
                .all(|p| p.len() == 1 && p.chars().all(|c| c.is_ascii_alphabetic()));
        if c == '.' && (lexicon::list("context.abbreviation").has(&word) || letters_dots) {
            continue;
        }
        let end = i + c.len_utf8();
        let s = text[start..end].trim();
        if !s.is_empty() {
            out.push((start, s.to_string()));
        }
        start = end;
    }
    let rest = text[start..].trim();
    if !rest.is_empty() {
        out.push((start, rest.to_string()));
    }
    out.into_iter()
        .flat_map(|(start, s)| {
            let lead = text[start..].len() - text[start..].trim_start().len();
            match question_clause(&s) {
                Some(p) => vec![
                    (start, s[..p].trim_end().to_string()),
                    (start + lead + p, s[p..].to_string()),
                ],
                None => vec![(start, s)],
            }
        })
        .collect()
}

/// Where a question tacked onto a statement with a comma starts ("Hold the
/// canary now, then how do we patch it?"): whisper often writes two
/// sentences as one. None when the sentence is a question throughout, or
/// the comma only sets off a name ("Elena, can you…?").
fn question_clause(s: &str) -> Option<usize> {
    if !s.ends_with('?') {
        return None;
    }
    let words = |t: &str| -> Vec<String> {
        t.split_whitespace()
            .map(|w| {
                w.trim_matches(|c: char| !c.is_alphanumeric() && c != '\'')
                    .to_lowercase()
            })
            .filter(|w| !w.is_empty())
            .collect()
    };
    let head_words = |p: usize| words(&s[..p]);
    if head_words(s.len())
        .first()
        .is_some_and(|w| lexicon::list("context.question_opener").has(w))
    {
        return None;
    }
    for (p, _) in s.match_indices(", ") {
        let after = words(&s[p + 2..]);
        let mut i = 0;
        while after
            .get(i)
            .is_some_and(|w| matches!(w.as_str(), "then" | "and" | "so" | "but" | "also"))
        {
            i += 1;
        }
        let opens = after
            .get(i)
            .is_some_and(|w| lexicon::list("context.question_opener").has(w));
        let head = head_words(p);
        let last_part = s[..p].rsplit(',').next().unwrap_or("");
        if opens && head.len() >= 3 && words(last_part).len() >= 2 {
            return Some(p + 2);
        }
    }
    None
}

/// Start time of the sentence at byte `pos` of an utterance: from word timings
/// when the transcript has them, else interpolated along the text.
fn sentence_time(u: &CallUtterance, pos: usize) -> f64 {
    if pos == 0 {
        return u.offset_s;
    }
    if !u.words.is_empty() {
        let lower = u.text.to_ascii_lowercase();
        let mut cursor = 0;
        for w in &u.words {
            let wt = w.text.trim().to_ascii_lowercase();
            if wt.is_empty() {
                continue;
            }
            if let Some(found) = lower[cursor..].find(&wt) {
                let at = cursor + found;
                cursor = at + wt.len();
                if at + wt.len() > pos {
                    return w.start.max(u.offset_s);
                }
            }
        }
    }
    let len = u.text.len().max(1) as f64;
    u.offset_s + (u.end_s - u.offset_s) * (pos as f64 / len)
}

/// Whether utterance `b` carries on the turn of utterance `a` (a transcriber split).
fn continues(a: &CallUtterance, b: &CallUtterance) -> bool {
    let gap = b.offset_s - a.end_s;
    let first = b.text.trim_start();
    let lower_start = first.chars().next().is_some_and(|c| c.is_lowercase());
    let l = first.to_lowercase();
    let cue = lexicon::list("context.continuation")
        .prefix_of(&l)
        .is_some();
    let unfinished = !a.text.trim_end().ends_with(['.', '?', '!']);
    match (&a.label, &b.label) {
        (Some(x), Some(y)) => x == y && gap < 1.5,
        (None, None) => gap < 0.8 && (lower_start || cue || unfinished),
        _ => false,
    }
}

/// Logical turn numbers for the call's utterances.
pub fn turns(call: &Call) -> Vec<usize> {
    let mut out = Vec::with_capacity(call.utterances.len());
    let mut t = 0;
    for (i, u) in call.utterances.iter().enumerate() {
        if i > 0 && !continues(&call.utterances[i - 1], u) {
            t += 1;
        }
        out.push(t);
    }
    out
}

/// Splits every utterance into timed, tokenised sentences.
pub fn sentences(call: &Call) -> Vec<Sentence> {
    let mut out = Vec::new();
    for (ui, u) in call.utterances.iter().enumerate() {
        for (pos, (start, text)) in split_sentences(&u.text).into_iter().enumerate() {
            let offset_s = sentence_time(u, start);
            out.push(Sentence::new(ui, pos, text, offset_s));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_sentences_but_not_numbers_or_acronyms() {
        let s = split_sentences("Release 4.18 went out. Ticket C.S. 4118 is open? Yes! done");
        let texts: Vec<&str> = s.iter().map(|(_, t)| t.as_str()).collect();
        assert_eq!(
            texts,
            vec![
                "Release 4.18 went out.",
                "Ticket C.S. 4118 is open?",
                "Yes!",
                "done"
            ]
        );
    }

    #[test]
    fn splits_what_whisper_runs_together() {
        let texts =
            |t: &str| -> Vec<String> { split_sentences(t).into_iter().map(|(_, s)| s).collect() };
        assert_eq!(
            texts("we go with the failover on the call. 20 minutes is too long."),
            vec![
                "we go with the failover on the call.",
                "20 minutes is too long."
            ]
        );
        assert_eq!(
            texts("so we could drain it or... Or we restart it."),
            vec!["so we could drain it or...", "Or we restart it."]
        );
        assert_eq!(
            texts("Yes, freeze the deploys right now, then what's our fix for the queue?"),
            vec![
                "Yes, freeze the deploys right now,",
                "then what's our fix for the queue?"
            ]
        );
        let s = split_sentences("Okay, drain it, how long will it take?");
        assert_eq!(s[1].0, "Okay, drain it, ".len());
        for whole in [
            "Ines, can you share the replica lag?",
            "Okay, that explains it, Ines, when does the job run?",
            "Can you check the logs, and is the dashboard up?",
            "Release 4. 18 went out.",
        ] {
            assert_eq!(texts(whole), vec![whole.to_string()], "{whole}");
        }
    }
}
