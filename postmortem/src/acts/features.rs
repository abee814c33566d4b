//! Features of one utterance for the learned head: hashed words and word
//! pairs of the utterance, words of the turns before and after it, the cue
//! lexicon's hits, and a little shape (question, length, place in the call,
//! speaker change). Numbers are folded to one token so the head learns the
//! shape of "by Friday" or "PR <num>", not the corpus's figures.

use super::Act;
use crate::input::Call;

/// Width of the hashed feature space.
pub const DIM: usize = 1 << 13;

/// Dense features after the hashed ones when the head reads sentence
/// embeddings: the utterance's (indices `DIM..DIM + EMBED_DIM`) and the
/// previous turn's, at half weight (`DIM + EMBED_DIM..DIM + DENSE`).
pub const DENSE: usize = 2 * super::embed::EMBED_DIM;

/// The active features of one utterance: (index, value) pairs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Features(pub Vec<(u32, f32)>);

fn fnv(s: &str) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in s.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

/// Lowercase words, digits folded to `<num>`, spoken numbers kept as words.
pub(crate) fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let flush = |cur: &mut String, out: &mut Vec<String>| {
        if !cur.is_empty() {
            let w = std::mem::take(cur);
            let w = w.trim_matches('\'').to_string();
            if w.chars().any(|c| c.is_ascii_digit()) {
                out.push("<num>".into());
            } else if !w.is_empty() {
                out.push(w);
            }
        }
    };
    for c in text.chars() {
        if c.is_alphanumeric() || c == '\'' || c == '’' {
            cur.extend(if c == '’' { '\'' } else { c }.to_lowercase());
        } else {
            flush(&mut cur, &mut out);
        }
    }
    flush(&mut cur, &mut out);
    out
}

struct Builder(Vec<(u32, f32)>);

impl Builder {
    fn add(&mut self, key: &str, v: f32) {
        self.0.push((fnv(key) % DIM as u32, v));
    }

    fn bag(&mut self, prefix: &str, ws: &[String], pairs: bool, weight: f32) {
        for w in ws {
            self.add(&format!("{prefix}{w}"), weight);
        }
        if pairs {
            for p in ws.windows(2) {
                self.add(&format!("{prefix}{} {}", p[0], p[1]), weight);
            }
        }
        if let Some(first) = ws.first() {
            self.add(&format!("{prefix}^{first}"), weight);
        }
        if ws.len() >= 2 {
            self.add(&format!("{prefix}^{} {}", ws[0], ws[1]), weight);
        }
    }

    fn finish(mut self) -> Features {
        self.0.sort_by_key(|&(i, _)| i);
        let mut out: Vec<(u32, f32)> = Vec::with_capacity(self.0.len());
        for (i, v) in self.0 {
            match out.last_mut() {
                Some(last) if last.0 == i => last.1 += v,
                _ => out.push((i, v)),
            }
        }
        // Scale to unit length so long turns do not shout.
        let norm = out.iter().map(|(_, v)| v * v).sum::<f32>().sqrt().max(1e-6);
        for (_, v) in &mut out {
            *v /= norm;
        }
        Features(out)
    }
}

/// Features of every utterance of a call; `cues[i]` are the acts the cue
/// lexicon found in utterance `i`.
pub fn featurize(call: &Call, cues: &[Vec<Act>]) -> Vec<Features> {
    featurize_with(call, cues, None)
}

/// [`featurize`], plus the [`DENSE`] embedding features when `embeddings`
/// (one vector per utterance) are given.
pub fn featurize_with(
    call: &Call,
    cues: &[Vec<Act>],
    embeddings: Option<&[Vec<f32>]>,
) -> Vec<Features> {
    let mut out = featurize_words(call, cues);
    if let Some(e) = embeddings {
        let d = super::embed::EMBED_DIM;
        for (i, f) in out.iter_mut().enumerate() {
            let Some(cur) = e.get(i) else { continue };
            f.0.extend(
                cur.iter()
                    .take(d)
                    .enumerate()
                    .map(|(k, &v)| ((DIM + k) as u32, v)),
            );
            if let Some(prev) = i.checked_sub(1).and_then(|p| e.get(p)) {
                f.0.extend(
                    prev.iter()
                        .take(d)
                        .enumerate()
                        .map(|(k, &v)| ((DIM + d + k) as u32, 0.5 * v)),
                );
            }
        }
    }
    out
}

fn featurize_words(call: &Call, cues: &[Vec<Act>]) -> Vec<Features> {
    let texts: Vec<Vec<String>> = call.utterances.iter().map(|u| words(&u.text)).collect();
    let n = texts.len();
    (0..n)
        .map(|i| {
            let u = &call.utterances[i];
            let mut b = Builder(Vec::new());
            b.add("bias", 1.0);
            b.bag("", &texts[i], true, 1.0);
            if i > 0 {
                b.bag("p:", &texts[i - 1], false, 0.5);
                let same = call.utterances[i - 1].label == u.label && u.label.is_some();
                b.add(if same { "same-speaker" } else { "new-speaker" }, 1.0);
                if call.utterances[i - 1].text.trim_end().ends_with('?') {
                    b.add("after-question", 1.0);
                }
            }
            if i + 1 < n {
                b.bag("n:", &texts[i + 1], false, 0.5);
            }
            if u.text.trim_end().ends_with('?') {
                b.add("question", 1.0);
            }
            let len = texts[i].len();
            b.add(
                match len {
                    0..=3 => "len:tiny",
                    4..=9 => "len:short",
                    10..=25 => "len:mid",
                    _ => "len:long",
                },
                1.0,
            );
            let place = if n > 1 { i * 5 / n } else { 0 };
            b.add(&format!("place:{place}"), 1.0);
            for a in cues.get(i).into_iter().flatten() {
                b.add(&format!("cue:{}", a.as_str()), 2.0);
            }
            if i > 0 {
                for a in cues.get(i - 1).into_iter().flatten() {
                    b.add(&format!("cue-prev:{}", a.as_str()), 1.0);
                }
            }
            b.finish()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_fold_digits_and_keep_contractions() {
        assert_eq!(
            words("I'll ship PR 4521 by Friday."),
            vec!["i'll", "ship", "pr", "<num>", "by", "friday"]
        );
    }
}
