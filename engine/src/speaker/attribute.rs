//! Giving utterances their speakers from speaker turns, word by word.

use super::SpeakerTurn;
use crate::utterance::{Utterance, Word};

/// A part of one word or shorter than this (seconds) at a speaker change is
/// taken as turn-boundary jitter and stays with its neighbour.
const MIN_PART_S: f64 = 0.4;

/// The speaker whose turns cover most of `[start, end]`; with none covering
/// it, the speaker of the nearest turn (a short reply between turns belongs
/// to someone already on the call, never to nobody).
fn speaker_at(turns: &[SpeakerTurn], start: f64, end: f64) -> Option<&str> {
    let mut best: Option<(&str, f64)> = None;
    for t in turns {
        let overlap = (t.end.min(end) - t.start.max(start)).max(0.0);
        if overlap > 0.0 && best.is_none_or(|(_, b)| overlap > b) {
            best = Some((&t.speaker, overlap));
        }
    }
    if let Some((s, _)) = best {
        return Some(s);
    }
    let mid = (start + end) / 2.0;
    turns
        .iter()
        .map(|t| {
            let d = if mid < t.start {
                t.start - mid
            } else if mid > t.end {
                mid - t.end
            } else {
                0.0
            };
            (t.speaker.as_str(), d)
        })
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(s, _)| s)
}

/// One utterance labelled from `turns`: each word takes the speaker whose
/// turns cover it most, and the utterance is split where consecutive words
/// change speaker (a split-off part of a single short word stays with its
/// neighbour). Without words, the whole utterance takes the speaker of its
/// span. Ids are left for the caller to renumber.
pub fn attribute(u: &Utterance, turns: &[SpeakerTurn]) -> Vec<Utterance> {
    if turns.is_empty() {
        return vec![u.clone()];
    }
    if u.words.is_empty() {
        let mut one = u.clone();
        one.speaker = speaker_at(turns, u.start, u.end).map(str::to_string);
        return vec![one];
    }
    // Runs of consecutive words with one speaker.
    let mut runs: Vec<(String, Vec<Word>)> = Vec::new();
    for w in &u.words {
        let s = speaker_at(turns, w.start, w.end.max(w.start + 0.01))
            .unwrap_or_default()
            .to_string();
        match runs.last_mut() {
            Some((last, words)) if *last == s => words.push(w.clone()),
            _ => runs.push((s, vec![w.clone()])),
        }
    }
    // Jitter: a run of one short word joins the longer neighbour.
    let mut i = 0;
    while runs.len() > 1 && i < runs.len() {
        let (_, words) = &runs[i];
        let span = words.last().map_or(0.0, |w| w.end) - words.first().map_or(0.0, |w| w.start);
        if words.len() == 1 && span < MIN_PART_S {
            let left = i.checked_sub(1).map(|j| runs[j].1.len());
            let right = runs.get(i + 1).map(|r| r.1.len());
            let into = match (left, right) {
                (Some(l), Some(r)) if r > l => i + 1,
                (Some(_), _) => i - 1,
                (None, _) => i + 1,
            };
            let (_, moved) = runs.remove(i);
            let target = if into > i { i } else { into };
            if into > i {
                let mut m = moved;
                m.append(&mut runs[target].1);
                runs[target].1 = m;
            } else {
                runs[target].1.extend(moved);
            }
            // Neighbours that now share a speaker become one run.
            let mut j = 1;
            while j < runs.len() {
                if runs[j].0 == runs[j - 1].0 {
                    let (_, w) = runs.remove(j);
                    runs[j - 1].1.extend(w);
                } else {
                    j += 1;
                }
            }
            i = 0;
            continue;
        }
        i += 1;
    }
    if runs.len() == 1 {
        let mut one = u.clone();
        one.speaker = Some(runs.remove(0).0).filter(|s| !s.is_empty());
        return vec![one];
    }
    runs.into_iter()
        .map(|(speaker, words)| {
            let start = words.first().map_or(u.start, |w| w.start).max(u.start);
            let end = words.last().map_or(u.end, |w| w.end).min(u.end).max(start);
            let text = words
                .iter()
                .map(|w| w.text.as_str())
                .collect::<Vec<_>>()
                .join(" ");
            Utterance {
                id: u.id,
                track: u.track.clone(),
                speaker: Some(speaker).filter(|s| !s.is_empty()),
                start,
                end,
                wall_start: u.wall_start.map(|t| {
                    t + chrono::Duration::milliseconds(((start - u.start) * 1000.0) as i64)
                }),
                text,
                words,
                avg_logprob: u.avg_logprob,
                no_speech_prob: u.no_speech_prob,
            }
        })
        .collect()
}

/// Every utterance labelled from `turns` (see [`attribute`]), renumbered
/// from 0 in start order.
pub fn attribute_all(utterances: &[Utterance], turns: &[SpeakerTurn]) -> Vec<Utterance> {
    let mut out: Vec<Utterance> = utterances
        .iter()
        .flat_map(|u| attribute(u, turns))
        .collect();
    out.sort_by(|a, b| a.start.total_cmp(&b.start));
    for (i, u) in out.iter_mut().enumerate() {
        u.id = i as u64;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn turn(start: f64, end: f64, s: &str) -> SpeakerTurn {
        SpeakerTurn {
            start,
            end,
            speaker: s.into(),
        }
    }

    fn utt(words: &[(&str, f64, f64)]) -> Utterance {
        Utterance {
            id: 7,
            track: "main".into(),
            speaker: None,
            start: words.first().map_or(0.0, |w| w.1),
            end: words.last().map_or(0.0, |w| w.2),
            wall_start: None,
            text: words.iter().map(|w| w.0).collect::<Vec<_>>().join(" "),
            words: words
                .iter()
                .map(|&(t, s, e)| Word {
                    text: t.into(),
                    start: s,
                    end: e,
                    probability: 0.9,
                })
                .collect(),
            avg_logprob: -0.2,
            no_speech_prob: 0.01,
        }
    }

    #[test]
    fn an_utterance_splits_where_the_speaker_changes() {
        let turns = [turn(0.0, 2.0, "A"), turn(2.1, 5.0, "B")];
        let u = utt(&[
            ("is", 0.1, 0.4),
            ("it", 0.4, 0.6),
            ("back?", 0.6, 1.2),
            ("yes,", 2.3, 2.7),
            ("since", 2.8, 3.2),
            ("noon.", 3.2, 3.8),
        ]);
        let parts = attribute_all(&[u], &turns);
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].speaker.as_deref(), Some("A"));
        assert_eq!(parts[0].text, "is it back?");
        assert_eq!(parts[1].speaker.as_deref(), Some("B"));
        assert_eq!(parts[1].text, "yes, since noon.");
        assert_eq!((parts[1].start, parts[1].end), (2.3, 3.8));
        assert_eq!(parts[1].id, 1);
    }

    #[test]
    fn one_word_of_boundary_jitter_stays_with_its_neighbour() {
        let turns = [turn(0.0, 1.9, "A"), turn(1.9, 5.0, "B")];
        let u = utt(&[
            ("we", 0.2, 0.5),
            ("roll", 0.5, 0.9),
            ("back", 0.9, 1.5),
            ("now.", 1.7, 2.0),
        ]);
        let parts = attribute(&u, &turns);
        assert_eq!(parts.len(), 1);
        assert_eq!(parts[0].speaker.as_deref(), Some("A"));
        assert_eq!(parts[0].text, u.text);
    }

    #[test]
    fn speech_between_turns_goes_to_the_nearest_speaker() {
        let turns = [turn(0.0, 1.0, "A"), turn(6.0, 8.0, "B")];
        let u = utt(&[("okay.", 4.6, 5.0)]);
        assert_eq!(attribute(&u, &turns)[0].speaker.as_deref(), Some("B"));
        let mut bare = utt(&[("x", 0.2, 0.5)]);
        bare.words.clear();
        assert_eq!(attribute(&bare, &turns)[0].speaker.as_deref(), Some("A"));
        assert_eq!(attribute(&bare, &[])[0].speaker, None);
    }
}
