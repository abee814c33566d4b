//! Names for the speakers a diarizer found ("Speaker 2"), from what the call
//! says: self-introductions ("Grant here", "this is Maya from payments") and
//! being addressed then answering ("Priya, can you…" → the next voice says
//! "yes"). Each cluster gets at most one person and each person at most one
//! cluster, by optimal assignment over the evidence; a cluster without
//! enough evidence stays "Speaker 3 (unconfirmed)" — never a guessed name.

use std::collections::HashMap;

use super::context::Sentence;
use super::people::{addressed, name_at, self_intro};
use crate::input::Call;

/// Evidence a self-introduction counts for.
const INTRO: f64 = 3.0;
/// Evidence an answer right after being addressed counts for.
const ANSWER: f64 = 1.0;
/// Evidence against: the speaker addressed that person (people do not
/// address themselves).
const ADDRESSED_OTHER: f64 = 1.0;
/// Evidence a match needs (one answer names a voice, with low confidence).
const ENOUGH: f64 = 1.0;
/// Evidence for full confidence.
const SURE: f64 = 3.0;
/// An answer starts at most this long after the addressing utterance ends.
const ANSWER_WITHIN_S: f64 = 4.0;

/// How a speaker on the call was identified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Identified {
    /// Their own track (a participant's file, a `--track`).
    Track,
    /// One speaker per channel (`--split-channels`).
    Channel,
    /// A diarization cluster they introduced themselves in.
    Introduction,
    /// A diarization cluster that answered when they were addressed.
    Addressed,
    /// A diarization cluster no name could be given with confidence.
    Unconfirmed,
}

impl Identified {
    /// The word the record uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Track => "track",
            Self::Channel => "channel",
            Self::Introduction => "introduction",
            Self::Addressed => "addressed",
            Self::Unconfirmed => "unconfirmed",
        }
    }
}

/// A diarizer's label ("Speaker 2", "SPEAKER_01"), not a person or a track.
pub fn is_cluster_label(label: &str) -> bool {
    let l = label.trim();
    let rest = l
        .strip_prefix("Speaker ")
        .or_else(|| l.strip_prefix("SPEAKER_"))
        .or_else(|| l.strip_prefix("speaker_"));
    rest.is_some_and(|r| !r.is_empty() && r.chars().all(|c| c.is_ascii_digit()))
}

/// A channel label (`left`, `right`, `ch3`).
pub fn is_channel_label(label: &str) -> bool {
    let l = label.trim().to_ascii_lowercase();
    l == "left"
        || l == "right"
        || l.rsplit('.').next().is_some_and(|last| {
            last == "left"
                || last == "right"
                || (last.starts_with("ch")
                    && last[2..].chars().all(|c| c.is_ascii_digit())
                    && last.len() > 2)
        })
}

/// The name given to one cluster.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterName {
    /// The display name: a person's, or `Speaker N (unconfirmed)`.
    pub name: String,
    /// How.
    pub identified: Identified,
    /// How sure, in [0, 1].
    pub confidence: f32,
}

/// The optimal one-to-one assignment of rows to columns maximising the
/// summed score (Hungarian method, O(n³)); per row, its column.
fn best_assignment(score: &[Vec<f64>]) -> Vec<Option<usize>> {
    let rows = score.len();
    let cols = score.iter().map(Vec::len).max().unwrap_or(0);
    let n = rows.max(cols);
    if n == 0 {
        return Vec::new();
    }
    let max = score.iter().flatten().copied().fold(0.0f64, f64::max);
    let cost = |r: usize, c: usize| {
        max - score
            .get(r)
            .and_then(|row| row.get(c))
            .copied()
            .unwrap_or(0.0)
    };
    let mut u = vec![0.0; n + 1];
    let mut v = vec![0.0; n + 1];
    let mut p = vec![0usize; n + 1];
    let mut way = vec![0usize; n + 1];
    for i in 1..=n {
        p[0] = i;
        let mut j0 = 0;
        let mut minv = vec![f64::INFINITY; n + 1];
        let mut used = vec![false; n + 1];
        loop {
            used[j0] = true;
            let i0 = p[j0];
            let mut delta = f64::INFINITY;
            let mut j1 = 0;
            for j in 1..=n {
                if !used[j] {
                    let cur = cost(i0 - 1, j - 1) - u[i0] - v[j];
                    if cur < minv[j] {
                        minv[j] = cur;
                        way[j] = j0;
                    }
                    if minv[j] < delta {
                        delta = minv[j];
                        j1 = j;
                    }
                }
            }
            for j in 0..=n {
                if used[j] {
                    u[p[j]] += delta;
                    v[j] -= delta;
                } else {
                    minv[j] -= delta;
                }
            }
            j0 = j1;
            if p[j0] == 0 {
                break;
            }
        }
        loop {
            let j1 = way[j0];
            p[j0] = p[j1];
            j0 = j1;
            if j0 == 0 {
                break;
            }
        }
    }
    let mut out = vec![None; rows];
    for j in 1..=n {
        if p[j] >= 1 && p[j] <= rows && j <= cols {
            out[p[j] - 1] = Some(j - 1);
        }
    }
    out
}

/// The person thanked at the start of a sentence ("Thanks Ian", "Thank
/// you, Ian").
fn thanked(s: &Sentence, names: &[String]) -> Option<String> {
    let t: Vec<&crate::text::Token> = s.toks.iter().filter(|t| !t.is_punct()).collect();
    let at = match (
        t.first().map(|x| x.lower.as_str()),
        t.get(1).map(|x| x.lower.as_str()),
    ) {
        (Some("thanks" | "ta"), _) => 1,
        (Some("thank"), Some("you")) => 2,
        _ => return None,
    };
    t.get(at).and_then(|tok| name_at(tok, names))
}

/// Names for every diarization cluster of the call (label → name), from
/// the people known (`names`: roster names, first names, names heard).
pub fn name_clusters(
    call: &Call,
    sents: &[Sentence],
    names: &[String],
) -> HashMap<String, ClusterName> {
    let mut labels: Vec<String> = Vec::new();
    for u in &call.utterances {
        if let Some(l) = &u.label {
            if u.speaker.is_none() && is_cluster_label(l) && !labels.contains(l) {
                labels.push(l.clone());
            }
        }
    }
    if labels.is_empty() {
        return HashMap::new();
    }
    // People: canonical names, in order of first mention.
    let mut people: Vec<String> = Vec::new();
    let mut evidence: HashMap<(usize, usize), (f64, bool)> = HashMap::new();
    let person = |n: String, people: &mut Vec<String>| -> usize {
        match people.iter().position(|p| *p == n) {
            Some(i) => i,
            None => {
                people.push(n);
                people.len() - 1
            }
        }
    };
    let canonical = |s: &Sentence, said: &str| -> String {
        s.toks
            .iter()
            .find(|t| t.text == said)
            .and_then(|t| name_at(t, names))
            .unwrap_or_else(|| said.to_string())
    };
    let label_index = |u: usize| -> Option<usize> {
        let l = call.utterances.get(u)?.label.as_ref()?;
        labels.iter().position(|x| x == l)
    };
    for s in sents {
        let Some(li) = label_index(s.utt) else {
            continue;
        };
        if s.pos <= 1 {
            if let Some((said, _)) = self_intro(s, names) {
                let p = person(canonical(s, &said), &mut people);
                let e = evidence.entry((li, p)).or_insert((0.0, false));
                e.0 += INTRO;
                e.1 = true;
                continue;
            }
        }
        // "Thanks, Ian": the voice just heard was Ian's.
        if s.pos == 0 {
            if let Some(n) = thanked(s, names) {
                let p = person(n, &mut people);
                evidence.entry((li, p)).or_insert((0.0, false)).0 -= ADDRESSED_OTHER;
                if let Some(prev) = (s.utt.saturating_sub(2)..s.utt)
                    .rev()
                    .find(|&j| label_index(j).is_some_and(|lj| lj != li))
                {
                    if let Some(lj) = label_index(prev) {
                        evidence.entry((lj, p)).or_insert((0.0, false)).0 += ANSWER;
                    }
                }
                continue;
            }
        }
        if let Some((_, n)) = addressed(s, names) {
            let p = person(n, &mut people);
            evidence.entry((li, p)).or_insert((0.0, false)).0 -= ADDRESSED_OTHER;
            let said_end = call.utterances[s.utt].end_s;
            // The next utterance by another voice, soon after.
            if let Some(next) = (s.utt + 1..call.utterances.len().min(s.utt + 3)).find(|&j| {
                label_index(j).is_some_and(|lj| lj != li)
                    && call.utterances[j].offset_s - said_end <= ANSWER_WITHIN_S
            }) {
                if let Some(lj) = label_index(next) {
                    evidence.entry((lj, p)).or_insert((0.0, false)).0 += ANSWER;
                }
            }
        }
    }
    let table: Vec<Vec<f64>> = (0..labels.len())
        .map(|l| {
            (0..people.len())
                .map(|p| evidence.get(&(l, p)).map_or(0.0, |e| e.0.max(0.0)))
                .collect()
        })
        .collect();
    let mapping = best_assignment(&table);
    let mut out = HashMap::new();
    for (l, label) in labels.iter().enumerate() {
        let matched = mapping[l].and_then(|p| {
            let (score, intro) = evidence.get(&(l, p)).copied().unwrap_or((0.0, false));
            (score >= ENOUGH).then_some((p, score, intro))
        });
        let name = match matched {
            Some((p, score, intro)) => ClusterName {
                name: people[p].clone(),
                identified: if intro {
                    Identified::Introduction
                } else {
                    Identified::Addressed
                },
                confidence: (score / SURE).min(1.0) as f32,
            },
            None => ClusterName {
                name: format!("{} (unconfirmed)", label.trim()),
                identified: Identified::Unconfirmed,
                confidence: 0.0,
            },
        };
        out.insert(label.clone(), name);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cluster_and_channel_labels_are_told_apart() {
        assert!(is_cluster_label("Speaker 2"));
        assert!(is_cluster_label("SPEAKER_01"));
        assert!(!is_cluster_label("Speaker"));
        assert!(!is_cluster_label("maya"));
        assert!(is_channel_label("left"));
        assert!(is_channel_label("call.ch2"));
        assert!(!is_channel_label("chen"));
    }

    #[test]
    fn assignment_is_optimal() {
        let s = vec![vec![9.0, 8.0], vec![7.0, 1.0]];
        assert_eq!(best_assignment(&s), vec![Some(1), Some(0)]);
        assert_eq!(
            best_assignment(&[vec![1.0], vec![3.0]]),
            vec![None, Some(0)]
        );
    }
}
