//! Diarization error rate, as NIST md-eval scores it: on 10 ms frames,
//! after the optimal one-to-one mapping of hypothesis speakers to reference
//! speakers, the missed speech, false alarm and speaker confusion over the
//! total reference speech, overlapping speech scored (each speaker of a
//! frame counts), with an optional collar around every reference turn's
//! edges left unscored.

use hotwash_engine::SpeakerTurn;

use crate::assign::best_assignment;

/// Frame length the error is counted on, seconds.
const FRAME: f64 = 0.01;

/// The error of one hypothesis against one reference, in seconds of
/// speaker time.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct DerScore {
    /// Reference speaker time scored (the denominator).
    pub reference: f64,
    /// Reference speaker time with no hypothesis speaker.
    pub missed: f64,
    /// Hypothesis speaker time with no reference speaker.
    pub false_alarm: f64,
    /// Speaker time given to the wrong speaker.
    pub confusion: f64,
    /// Distinct speakers in the reference.
    pub reference_speakers: usize,
    /// Distinct speakers in the hypothesis.
    pub hypothesis_speakers: usize,
}

impl DerScore {
    /// (missed + false alarm + confusion) / reference; 0 with no reference
    /// speech and no hypothesis speech.
    pub fn der(&self) -> f64 {
        let err = self.missed + self.false_alarm + self.confusion;
        if self.reference > 0.0 {
            err / self.reference
        } else if err > 0.0 {
            1.0
        } else {
            0.0
        }
    }

    /// Adds another file's times (for a corpus figure weighted by speech).
    pub fn add(&mut self, other: &DerScore) {
        self.reference += other.reference;
        self.missed += other.missed;
        self.false_alarm += other.false_alarm;
        self.confusion += other.confusion;
        self.reference_speakers += other.reference_speakers;
        self.hypothesis_speakers += other.hypothesis_speakers;
    }
}

/// Distinct speaker labels, in order of first appearance.
fn labels(turns: &[SpeakerTurn]) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    for t in turns {
        if !out.contains(&t.speaker.as_str()) {
            out.push(&t.speaker);
        }
    }
    out
}

fn frame(t: f64) -> usize {
    (t.max(0.0) / FRAME).round() as usize
}

/// Per frame, a bit set of the active speakers (at most 64 per side).
fn activity(turns: &[SpeakerTurn], names: &[&str], frames: usize) -> Vec<u64> {
    let mut act = vec![0u64; frames];
    for t in turns {
        let Some(k) = names.iter().position(|n| *n == t.speaker) else {
            continue;
        };
        if k >= 64 {
            continue;
        }
        for a in act
            .iter_mut()
            .take(frame(t.end).min(frames))
            .skip(frame(t.start))
        {
            *a |= 1 << k;
        }
    }
    act
}

/// Scores `hypothesis` against `reference`; `collar` seconds either side of
/// each reference turn's start and end are not scored (0.25 is usual; 0 for
/// the strict figure).
pub fn score(reference: &[SpeakerTurn], hypothesis: &[SpeakerTurn], collar: f64) -> DerScore {
    let ref_names = labels(reference);
    let hyp_names = labels(hypothesis);
    let end = reference
        .iter()
        .chain(hypothesis)
        .map(|t| t.end)
        .fold(0.0f64, f64::max);
    let frames = frame(end) + 1;
    let r = activity(reference, &ref_names, frames);
    let h = activity(hypothesis, &hyp_names, frames);
    let mut scored = vec![true; frames];
    if collar > 0.0 {
        for t in reference {
            for edge in [t.start, t.end] {
                let a = frame(edge - collar);
                let b = frame(edge + collar).min(frames);
                for s in scored.iter_mut().take(b).skip(a) {
                    *s = false;
                }
            }
        }
    }
    // Overlap time of each (reference, hypothesis) pair, for the mapping.
    let mut overlap = vec![vec![0.0f64; hyp_names.len().min(64)]; ref_names.len().min(64)];
    for f in 0..frames {
        if !scored[f] || r[f] == 0 || h[f] == 0 {
            continue;
        }
        for (i, row) in overlap.iter_mut().enumerate() {
            if r[f] >> i & 1 == 1 {
                for (j, cell) in row.iter_mut().enumerate() {
                    if h[f] >> j & 1 == 1 {
                        *cell += FRAME;
                    }
                }
            }
        }
    }
    let mapping = best_assignment(&overlap);
    // For each hypothesis speaker, its reference speaker's bit.
    let mut hyp_to_ref = vec![0u64; hyp_names.len().min(64)];
    for (i, m) in mapping.iter().enumerate() {
        if let Some(j) = *m {
            if overlap[i][j] > 0.0 {
                hyp_to_ref[j] = 1 << i;
            }
        }
    }
    let mut s = DerScore {
        reference_speakers: ref_names.len(),
        hypothesis_speakers: hyp_names.len(),
        ..DerScore::default()
    };
    for f in 0..frames {
        if !scored[f] {
            continue;
        }
        let nr = r[f].count_ones() as f64;
        let nh = h[f].count_ones() as f64;
        let mapped: u64 = (0..hyp_to_ref.len())
            .filter(|&j| h[f] >> j & 1 == 1)
            .fold(0, |acc, j| acc | hyp_to_ref[j]);
        let correct = (mapped & r[f]).count_ones() as f64;
        s.reference += nr * FRAME;
        s.missed += (nr - nh).max(0.0) * FRAME;
        s.false_alarm += (nh - nr).max(0.0) * FRAME;
        s.confusion += (nr.min(nh) - correct) * FRAME;
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(start: f64, end: f64, s: &str) -> SpeakerTurn {
        SpeakerTurn {
            start,
            end,
            speaker: s.into(),
        }
    }

    #[test]
    fn a_perfect_hypothesis_under_other_names_scores_zero() {
        let r = [t(0.0, 2.0, "maya"), t(2.0, 5.0, "dev"), t(5.0, 6.0, "maya")];
        let h = [t(0.0, 2.0, "S2"), t(2.0, 5.0, "S1"), t(5.0, 6.0, "S2")];
        let s = score(&r, &h, 0.0);
        assert!(s.der() < 1e-9, "{s:?}");
        assert!((s.reference - 6.0).abs() < 0.02);
        assert_eq!((s.reference_speakers, s.hypothesis_speakers), (2, 2));
    }

    #[test]
    fn missed_false_alarm_and_confusion_are_counted_apart() {
        let r = [t(0.0, 4.0, "a"), t(4.0, 8.0, "b")];
        // a right, first half of b given to a, b's last second missed, and
        // one second of speech invented after the end.
        let h = [t(0.0, 6.0, "x"), t(6.0, 7.0, "y"), t(9.0, 10.0, "y")];
        let s = score(&r, &h, 0.0);
        assert!((s.confusion - 2.0).abs() < 0.02, "{s:?}");
        assert!((s.missed - 1.0).abs() < 0.02, "{s:?}");
        assert!((s.false_alarm - 1.0).abs() < 0.02, "{s:?}");
        assert!((s.der() - 0.5).abs() < 0.01);
    }

    #[test]
    fn overlap_counts_each_speaker_and_the_collar_forgives_edges() {
        let r = [t(0.0, 4.0, "a"), t(3.0, 6.0, "b")];
        let h = [t(0.0, 4.0, "x"), t(4.0, 6.0, "y")];
        let s = score(&r, &h, 0.0);
        // The second of overlap: b missed there.
        assert!((s.reference - 7.0).abs() < 0.02, "{s:?}");
        assert!((s.missed - 1.0).abs() < 0.02, "{s:?}");
        let near = [t(0.0, 4.1, "x"), t(4.1, 6.0, "y")];
        let strict = score(&[t(0.0, 4.0, "a"), t(4.0, 6.0, "b")], &near, 0.0);
        let collar = score(&[t(0.0, 4.0, "a"), t(4.0, 6.0, "b")], &near, 0.25);
        assert!(
            strict.der() > 0.0 && collar.der() < 1e-9,
            "{strict:?} {collar:?}"
        );
    }
}
