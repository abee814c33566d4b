//! The diarization pipeline over one stream of 16 kHz mono audio:
//! segmentation over sliding 10 s windows → CAM++ embeddings of the clean
//! single-speaker stretches (≥ 1.5 s, never stitched) → clustering with the
//! within-window constraint → each window's local speakers mapped to the
//! clusters by optimal assignment → frame activity aggregated over the
//! overlapping windows, as many speakers per frame as the windows heard
//! (overlap kept) → turns.
//!
//! It streams: audio is held for one window at a time, and what is kept
//! per window (its frame activities, a few embeddings) is small, so memory
//! grows only linearly, slowly, with the call's length.

use hotwash_engine::{DiarizeError, Diarizer, SpeakerTurn};

use crate::assign::best_assignment;
use crate::cluster::{cluster, cosine, normalise, ClusterConfig, Item};
use crate::SpeakerError;

/// Local speakers per segmentation window.
pub const LOCAL_SPEAKERS: usize = 3;

/// Speaker activity inside fixed windows: what a segmentation model gives.
pub trait LocalActivity: Send + Sync {
    /// Samples (16 kHz) in one window.
    fn window_samples(&self) -> usize;
    /// Output frames' timing inside a window: (start, step, duration), s.
    fn frames(&self) -> (f64, f64, f64);
    /// Per window, per frame, each local speaker's probability of speaking.
    fn activity(&self, windows: &[&[f32]])
        -> Result<Vec<Vec<[f32; LOCAL_SPEAKERS]>>, SpeakerError>;
}

/// A voice embedding per clip: what a speaker-embedding model gives.
pub trait VoiceEmbedding: Send + Sync {
    /// One embedding per clip of 16 kHz mono audio.
    fn embed(&self, clips: &[&[f32]]) -> Result<Vec<Vec<f32>>, SpeakerError>;
}

/// How the diarizer works.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DiarizeConfig {
    /// Seconds between the starts of successive 10 s windows.
    pub step_s: f64,
    /// Shortest clean single-speaker stretch an embedding is taken from.
    pub min_clean_s: f64,
    /// Longest stretch embedded: a longer clean stretch gives its middle.
    pub max_clip_s: f64,
    /// Shortest speech of a local speaker with no clean stretch that is
    /// still mapped to a cluster (from all its frames, for the mapping only).
    pub min_mapped_s: f64,
    /// A local speaker is active on a frame above this probability.
    pub onset: f32,
    /// A mapping of a local speaker to a cluster below this cosine is refused.
    pub min_mapping_cosine: f32,
    /// Clustering.
    pub cluster: ClusterConfig,
}

impl Default for DiarizeConfig {
    fn default() -> Self {
        Self {
            step_s: 2.5,
            min_clean_s: 1.5,
            max_clip_s: 6.0,
            min_mapped_s: 0.5,
            onset: 0.5,
            min_mapping_cosine: 0.2,
            cluster: ClusterConfig::default(),
        }
    }
}

/// What is kept of one window.
struct WindowInfo {
    /// First sample.
    start: usize,
    /// Per frame, each local speaker's probability × 255.
    frames: Vec<[u8; LOCAL_SPEAKERS]>,
    /// Per local speaker, its voice (normalised), when it spoke enough.
    voice: [Option<Vec<f32>>; LOCAL_SPEAKERS],
}

/// One stream's diarization in progress.
pub struct Diarization<A, E> {
    activity: A,
    embedder: E,
    config: DiarizeConfig,
    /// Audio from `buf_start` on.
    buf: Vec<f32>,
    buf_start: usize,
    next_window: usize,
    total: usize,
    windows: Vec<WindowInfo>,
    items: Vec<Item>,
    /// Embeddings of the latest windows' clean stretches (absolute sample
    /// spans): overlapping windows see the same stretch, embedded once.
    recent: Vec<(usize, usize, Vec<f32>)>,
}

/// Spans that overlap this much (intersection over union) share an embedding.
/// A clean stretch this much inside one already embedded (the same audio,
/// seen again by an overlapping window) takes that embedding.
const SAME_STRETCH: f64 = 0.5;

/// The share of span `a` that lies inside span `b`.
fn covered(a: (usize, usize), b: (usize, usize)) -> f64 {
    let inter = a.1.min(b.1).saturating_sub(a.0.max(b.0));
    if a.1 <= a.0 {
        0.0
    } else {
        inter as f64 / (a.1 - a.0) as f64
    }
}

impl<A: LocalActivity, E: VoiceEmbedding> Diarization<A, E> {
    /// A diarization of a new stream.
    pub fn new(activity: A, embedder: E, config: DiarizeConfig) -> Self {
        Self {
            activity,
            embedder,
            config,
            buf: Vec::new(),
            buf_start: 0,
            next_window: 0,
            total: 0,
            windows: Vec::new(),
            items: Vec::new(),
            recent: Vec::new(),
        }
    }

    fn step_samples(&self) -> usize {
        ((self.config.step_s * 16_000.0) as usize).max(1600)
    }

    /// Takes the next block of audio.
    pub fn push_samples(&mut self, samples: &[f32]) -> Result<(), SpeakerError> {
        self.buf.extend_from_slice(samples);
        self.total += samples.len();
        let w = self.activity.window_samples();
        while self.next_window + w <= self.total {
            self.window(self.next_window)?;
            self.next_window += self.step_samples();
            let drop = self.next_window.min(self.total) - self.buf_start;
            self.buf.drain(..drop);
            self.buf_start += drop;
        }
        Ok(())
    }

    /// Segments and embeds the window starting at sample `start`.
    fn window(&mut self, start: usize) -> Result<(), SpeakerError> {
        let w = self.activity.window_samples();
        let from = start - self.buf_start;
        let to = (from + w).min(self.buf.len());
        let mut padded;
        let audio: &[f32] = if to - from == w {
            &self.buf[from..to]
        } else {
            padded = self.buf[from..to].to_vec();
            padded.resize(w, 0.0);
            &padded
        };
        let valid = to - from;
        let probs = self
            .activity
            .activity(&[audio])?
            .pop()
            .ok_or_else(|| SpeakerError::Run("segmentation gave no window".into()))?;
        let (f0, fstep, fdur) = self.activity.frames();
        let sample_of = |t: f64| ((t * 16_000.0).round().max(0.0) as usize).min(valid);
        let frame_span = |a: usize, b: usize| {
            (
                sample_of(f0 + a as f64 * fstep),
                sample_of(f0 + b as f64 * fstep + fdur),
            )
        };
        let onset = self.config.onset;
        let window_index = self.windows.len();
        let mut clips: Vec<(usize, usize, usize, bool)> = Vec::new(); // (local, from, to, clean)
        for k in 0..LOCAL_SPEAKERS {
            let active: Vec<bool> = probs.iter().map(|p| p[k] > onset).collect();
            let clean: Vec<bool> = probs
                .iter()
                .map(|p| p[k] > onset && (0..LOCAL_SPEAKERS).all(|j| j == k || p[j] <= onset))
                .collect();
            let mut any_clean = false;
            let mut f = 0;
            while f < clean.len() {
                if !clean[f] {
                    f += 1;
                    continue;
                }
                let a = f;
                while f < clean.len() && clean[f] {
                    f += 1;
                }
                let (s, e) = frame_span(a, f - 1);
                if e > s && (e - s) as f64 / 16_000.0 >= self.config.min_clean_s {
                    let max =
                        (self.config.max_clip_s.max(self.config.min_clean_s) * 16_000.0) as usize;
                    let (s, e) = if e - s > max {
                        let mid = (s + e) / 2;
                        (mid - max / 2, mid - max / 2 + max)
                    } else {
                        (s, e)
                    };
                    clips.push((k, s, e, true));
                    any_clean = true;
                }
            }
            let speech = active.iter().filter(|a| **a).count() as f64 * fstep;
            if !any_clean && speech >= self.config.min_mapped_s {
                // Stitched, for mapping only: mark with clean = false.
                clips.push((k, usize::MAX, usize::MAX, false));
            }
        }
        let mut stitched: Vec<(usize, Vec<f32>)> = Vec::new();
        for &(k, _, _, clean) in &clips {
            if clean {
                continue;
            }
            // Its active runs, end to end.
            let mut a = Vec::new();
            let mut f = 0;
            while f < probs.len() {
                if probs[f][k] <= onset {
                    f += 1;
                    continue;
                }
                let start_frame = f;
                while f < probs.len() && probs[f][k] > onset {
                    f += 1;
                }
                let (s, e) = frame_span(start_frame, f - 1);
                a.extend_from_slice(&audio[s..e.max(s)]);
            }
            stitched.push((k, a));
        }
        // Clean stretches already embedded in an earlier window are reused.
        let reused: Vec<Option<Vec<f32>>> = clips
            .iter()
            .map(|&(_, s, e, clean)| {
                if !clean {
                    return None;
                }
                let span = (start + s, start + e);
                self.recent
                    .iter()
                    .map(|(a, b, v)| (covered(span, (*a, *b)), v))
                    .filter(|(c, _)| *c >= SAME_STRETCH)
                    .max_by(|x, y| x.0.total_cmp(&y.0))
                    .map(|(_, v)| v.clone())
            })
            .collect();
        let mut inputs: Vec<&[f32]> = Vec::new();
        for (&(_, s, e, clean), r) in clips.iter().zip(&reused) {
            if clean && r.is_none() {
                inputs.push(&audio[s..e]);
            }
        }
        for (_, a) in &stitched {
            inputs.push(a);
        }
        let fresh = if inputs.is_empty() {
            Vec::new()
        } else {
            self.embedder.embed(&inputs)?
        };
        let mut fresh = fresh.into_iter();
        self.recent.retain(|(_, b, _)| *b > start);
        let mut vectors: Vec<Vec<f32>> = Vec::new();
        for (&(_, s, e, clean), r) in clips.iter().zip(reused) {
            if !clean {
                continue;
            }
            let v = match r {
                Some(v) => v,
                None => {
                    let v = fresh.next().ok_or_else(|| {
                        SpeakerError::Run("embedding model gave too few vectors".into())
                    })?;
                    self.recent.push((start + s, start + e, v.clone()));
                    v
                }
            };
            vectors.push(v);
        }
        vectors.extend(fresh);
        let mut voice: [Option<Vec<f32>>; LOCAL_SPEAKERS] = Default::default();
        let mut sums: [Option<(Vec<f32>, f32)>; LOCAL_SPEAKERS] = Default::default();
        let mut vi = 0;
        for &(k, s, e, clean) in &clips {
            if !clean {
                continue;
            }
            let mut v = vectors[vi].clone();
            vi += 1;
            normalise(&mut v);
            let weight = (e - s) as f32 / 16_000.0;
            let entry = sums[k].get_or_insert_with(|| (vec![0.0; v.len()], 0.0));
            for (x, y) in entry.0.iter_mut().zip(&v) {
                *x += y * weight;
            }
            entry.1 += weight;
            self.items.push(Item {
                vector: v,
                weight,
                window: window_index,
                local: k as u8,
            });
        }
        for (k, s) in sums.into_iter().enumerate() {
            if let Some((mut v, _)) = s {
                normalise(&mut v);
                voice[k] = Some(v);
            }
        }
        for (k, _) in &stitched {
            let mut v = vectors[vi].clone();
            vi += 1;
            normalise(&mut v);
            voice[*k] = Some(v);
        }
        self.windows.push(WindowInfo {
            start,
            frames: probs
                .iter()
                .map(|p| p.map(|x| (x.clamp(0.0, 1.0) * 255.0).round() as u8))
                .collect(),
            voice,
        });
        Ok(())
    }

    /// The stream has ended: the turns, labelled `Speaker 1`, `Speaker 2`, …
    /// in order of first speech.
    pub fn finish_turns(mut self) -> Result<Vec<SpeakerTurn>, SpeakerError> {
        let w = self.activity.window_samples();
        // The tail: windows until the audio is covered (the last padded).
        if (self.windows.is_empty() || self.next_window < self.total)
            && self.total > 0
            && (self.windows.is_empty() || self.next_window + w > self.total)
        {
            let last_start = self.windows.last().map(|x| x.start);
            let start = self.total.saturating_sub(w);
            if last_start != Some(start) && start >= self.buf_start {
                self.window(start)?;
            } else if self.windows.is_empty() {
                self.window(self.buf_start)?;
            }
        }
        if self.items.is_empty() {
            return Ok(Vec::new());
        }
        let clusters = cluster(&self.items, &self.config.cluster);
        let n = clusters.centroids.len();
        let (f0, fstep, _) = self.activity.frames();
        // Map each window's local speakers to clusters.
        let mut item_weight: Vec<[Vec<f32>; LOCAL_SPEAKERS]> = self
            .windows
            .iter()
            .map(|_| std::array::from_fn(|_| vec![0.0f32; n]))
            .collect();
        for (item, &label) in self.items.iter().zip(&clusters.labels) {
            item_weight[item.window][item.local as usize][label] += item.weight;
        }
        let frames_total = ((self.total as f64 / 16_000.0) / fstep).ceil() as usize + 1;
        let mut score = vec![vec![0.0f32; frames_total]; n];
        let mut coverage = vec![0u16; frames_total];
        let mut count = vec![0.0f32; frames_total];
        let onset = (self.config.onset * 255.0) as u8;
        for (wi, win) in self.windows.iter().enumerate() {
            let mut rows: Vec<usize> = Vec::new();
            let mut table: Vec<Vec<f64>> = Vec::new();
            for (k, voice) in win.voice.iter().enumerate() {
                let Some(v) = voice else { continue };
                let total: f32 = item_weight[wi][k].iter().sum();
                rows.push(k);
                table.push(
                    (0..n)
                        .map(|c| {
                            let cos = cosine(v, &clusters.centroids[c]);
                            let own = if total > 0.0 {
                                item_weight[wi][k][c] / total
                            } else {
                                0.0
                            };
                            if cos < self.config.min_mapping_cosine && own == 0.0 {
                                f64::NEG_INFINITY
                            } else {
                                f64::from(cos + own)
                            }
                        })
                        .collect(),
                );
            }
            let mapping = best_assignment(&table);
            let offset = win.start as f64 / 16_000.0;
            let valid_end = (self.total - win.start.min(self.total)) as f64 / 16_000.0;
            for (f, p) in win.frames.iter().enumerate() {
                let t = f0 + f as f64 * fstep;
                if t > valid_end {
                    break;
                }
                let g = ((offset + t) / fstep).round() as usize;
                if g >= frames_total {
                    break;
                }
                coverage[g] += 1;
                count[g] += p.iter().filter(|&&x| x > onset).count() as f32;
                for (r, &k) in rows.iter().enumerate() {
                    if let Some(c) = mapping[r] {
                        if table[r][c].is_finite() {
                            score[c][g] += f32::from(p[k]) / 255.0;
                        }
                    }
                }
            }
        }
        // Per frame, as many speakers as the windows heard, the likeliest.
        let mut active = vec![vec![false; frames_total]; n];
        let mut order: Vec<usize> = (0..n).collect();
        for g in 0..frames_total {
            if coverage[g] == 0 {
                continue;
            }
            let speakers = (count[g] / f32::from(coverage[g])).round() as usize;
            if speakers == 0 {
                continue;
            }
            order.sort_by(|&a, &b| score[b][g].total_cmp(&score[a][g]));
            for &c in order.iter().take(speakers) {
                if score[c][g] > 0.0 {
                    active[c][g] = true;
                }
            }
        }
        let mut turns: Vec<(usize, f64, f64)> = Vec::new();
        for (c, frames) in active.iter().enumerate() {
            let mut g = 0;
            while g < frames.len() {
                if !frames[g] {
                    g += 1;
                    continue;
                }
                let a = g;
                while g < frames.len() && frames[g] {
                    g += 1;
                }
                turns.push((c, a as f64 * fstep, g as f64 * fstep));
            }
        }
        turns.sort_by(|a, b| a.1.total_cmp(&b.1));
        // Labels in order of first speech.
        let mut names: Vec<Option<usize>> = vec![None; n];
        let mut next = 0;
        for &(c, _, _) in &turns {
            if names[c].is_none() {
                next += 1;
                names[c] = Some(next);
            }
        }
        let end = self.total as f64 / 16_000.0;
        Ok(turns
            .into_iter()
            .map(|(c, s, e)| SpeakerTurn {
                start: s,
                end: e.min(end),
                speaker: format!("Speaker {}", names[c].unwrap_or(0)),
            })
            .collect())
    }
}

impl<A: LocalActivity, E: VoiceEmbedding> Diarizer for Diarization<A, E> {
    fn push(&mut self, samples: &[f32]) -> Result<(), DiarizeError> {
        self.push_samples(samples)
            .map_err(|e| DiarizeError(e.to_string()))
    }
    fn finish(self: Box<Self>) -> Result<Vec<SpeakerTurn>, DiarizeError> {
        (*self)
            .finish_turns()
            .map_err(|e| DiarizeError(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RATE: f64 = 16_000.0;
    const TONES: [f64; 3] = [300.0, 700.0, 1100.0];

    /// Power of `freq` in `x` (Goertzel).
    fn power(x: &[f32], freq: f64) -> f32 {
        let w = 2.0 * std::f64::consts::PI * freq / RATE;
        let (mut s1, mut s2) = (0.0f64, 0.0f64);
        for &v in x {
            let s = f64::from(v) + 2.0 * w.cos() * s1 - s2;
            s2 = s1;
            s1 = s;
        }
        ((s1 * s1 + s2 * s2 - 2.0 * w.cos() * s1 * s2) / x.len().max(1) as f64) as f32
    }

    /// Voices are tones; local speaker slots are shuffled per window, as a
    /// real segmentation model's are.
    struct Tones;
    impl LocalActivity for Tones {
        fn window_samples(&self) -> usize {
            160_000
        }
        fn frames(&self) -> (f64, f64, f64) {
            (0.0, 0.02, 0.02)
        }
        fn activity(&self, windows: &[&[f32]]) -> Result<Vec<Vec<[f32; 3]>>, SpeakerError> {
            Ok(windows
                .iter()
                .map(|w| {
                    let shift =
                        (w.iter().take(4000).map(|x| x.abs()).sum::<f32>() * 7.0) as usize % 3;
                    w.chunks(320)
                        .map(|frame| {
                            let mut p = [0.0f32; 3];
                            for (t, &f) in TONES.iter().enumerate() {
                                if power(frame, f) > 1.0 {
                                    p[(t + shift) % 3] = 0.95;
                                }
                            }
                            p
                        })
                        .collect()
                })
                .collect())
        }
    }

    struct Spectrum;
    impl VoiceEmbedding for Spectrum {
        fn embed(&self, clips: &[&[f32]]) -> Result<Vec<Vec<f32>>, SpeakerError> {
            Ok(clips
                .iter()
                .map(|c| TONES.iter().map(|&f| power(c, f).sqrt()).collect())
                .collect())
        }
    }

    fn call(turns: &[(usize, f64, f64)], len: f64) -> Vec<f32> {
        let mut x = vec![0.0f32; (len * RATE) as usize];
        for &(v, a, b) in turns {
            for i in (a * RATE) as usize..((b * RATE) as usize).min(x.len()) {
                x[i] +=
                    0.3 * (2.0 * std::f64::consts::PI * TONES[v] * i as f64 / RATE).sin() as f32;
            }
        }
        x
    }

    #[test]
    fn finds_three_voices_and_their_turns_across_windows() {
        let truth = [
            (0, 0.5, 6.0),
            (1, 6.5, 14.0),
            (0, 14.5, 19.0),
            (2, 19.5, 27.0),
            (1, 27.5, 33.0),
            (2, 33.0, 40.0),
        ];
        let audio = call(&truth, 41.0);
        let mut d = Diarization::new(Tones, Spectrum, DiarizeConfig::default());
        for block in audio.chunks(4_000) {
            d.push_samples(block).unwrap();
        }
        let turns = d.finish_turns().unwrap();
        let reference: Vec<SpeakerTurn> = truth
            .iter()
            .map(|&(v, a, b)| SpeakerTurn {
                start: a,
                end: b,
                speaker: format!("v{v}"),
            })
            .collect();
        let s = crate::score(&reference, &turns, 0.25);
        assert_eq!(s.hypothesis_speakers, 3, "{turns:?}");
        assert!(s.der() < 0.03, "{s:?} {turns:?}");
        assert_eq!(turns[0].speaker, "Speaker 1");
    }

    #[test]
    fn silence_and_short_calls_give_clear_answers() {
        let mut d = Diarization::new(Tones, Spectrum, DiarizeConfig::default());
        d.push_samples(&vec![0.0; 48_000]).unwrap();
        assert!(d.finish_turns().unwrap().is_empty());
        let d = Diarization::new(Tones, Spectrum, DiarizeConfig::default());
        assert!(d.finish_turns().unwrap().is_empty());
        let mut d = Diarization::new(Tones, Spectrum, DiarizeConfig::default());
        d.push_samples(&call(&[(1, 0.2, 3.8)], 4.0)).unwrap();
        let turns = d.finish_turns().unwrap();
        assert_eq!(turns.len(), 1, "{turns:?}");
        assert!((turns[0].start - 0.2).abs() < 0.1 && (turns[0].end - 3.8).abs() < 0.1);
    }
}
