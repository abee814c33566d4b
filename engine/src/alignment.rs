//! Which of a model's attention heads align text to audio: whisper.cpp's
//! DTW token timestamps need them, and they depend on the model's shape.
//!
//! whisper's own per-token timestamps drift by seconds on long sentences
//! (a 10 s sentence stamped 0.3–2.2 s, nine words sharing one instant);
//! dynamic time warping over the alignment heads' cross-attention is what
//! OpenAI's `word_timestamps` uses and is within a few tens of ms on clean
//! speech. The heads are known for every released model; a model of another
//! shape (a user's own fine-tune) falls back to the top half of its text
//! layers, which works less well but never fails.

use std::io::Read;
use std::path::Path;

use whisper_rs::{DtwMode, DtwModelPreset};

/// The hyper-parameters of a ggml whisper model that tell its kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ModelShape {
    /// Vocabulary size: 51864 for English-only models, more for multilingual.
    pub n_vocab: i32,
    /// Width of the text decoder.
    pub n_text_state: i32,
    /// Decoder layers.
    pub n_text_layer: i32,
    /// Mel bands (128 for large-v3 and its turbo).
    pub n_mels: i32,
}

impl ModelShape {
    /// Reads the header of a ggml whisper file; `None` for anything else.
    pub fn read(path: &Path) -> Option<Self> {
        let mut head = [0u8; 48];
        std::fs::File::open(path).ok()?.read_exact(&mut head).ok()?;
        let field =
            |i: usize| i32::from_le_bytes(head[i * 4..i * 4 + 4].try_into().unwrap_or([0; 4]));
        if u32::from_le_bytes(head[0..4].try_into().ok()?) != 0x6767_6d6c {
            return None;
        }
        Some(Self {
            n_vocab: field(1),
            n_text_state: field(7),
            n_text_layer: field(9),
            n_mels: field(10),
        })
    }

    /// The alignment heads for this shape.
    pub fn dtw_mode(self) -> DtwMode<'static> {
        let english = self.n_vocab == 51864;
        let preset = match (self.n_text_state, self.n_text_layer, english) {
            (384, 4, true) => Some(DtwModelPreset::TinyEn),
            (384, 4, false) => Some(DtwModelPreset::Tiny),
            (512, 6, true) => Some(DtwModelPreset::BaseEn),
            (512, 6, false) => Some(DtwModelPreset::Base),
            (768, 12, true) => Some(DtwModelPreset::SmallEn),
            (768, 12, false) => Some(DtwModelPreset::Small),
            (1024, 24, true) => Some(DtwModelPreset::MediumEn),
            (1024, 24, false) => Some(DtwModelPreset::Medium),
            (1280, 32, _) if self.n_mels == 128 => Some(DtwModelPreset::LargeV3),
            (1280, 32, _) => Some(DtwModelPreset::LargeV2),
            (1280, 4, _) => Some(DtwModelPreset::LargeV3Turbo),
            _ => None,
        };
        match preset {
            Some(model_preset) => DtwMode::ModelPreset { model_preset },
            None => DtwMode::TopMost {
                n_top: (self.n_text_layer / 2).max(1),
            },
        }
    }
}

/// How late the alignment heads' times run, in 10 ms frames, when the
/// window's own first word cannot tell: measured with tiny.en on jfk.wav,
/// where every word's DTW start is 0.4–0.6 s behind the voice (large-v2
/// shows ~0.2 s in whisper.cpp's issue #2148).
const PRIOR_LAG: i64 = 45;

/// How far the window's first word may put the lag from the prior before
/// it is taken for an alignment slip (DTW sometimes parks the first token
/// on the silence before it), in frames.
const TRUSTED_SPREAD: i64 = 25;

/// How late the window's DTW word times run behind the audio, in 10 ms
/// frames: the first word starts where the detected speech does (`first`
/// and `onset`, both in frames of the window), unless that lag is far from
/// the one measured on real speech, when the measured one is used.
pub(crate) fn alignment_lag(first: Option<i64>, onset: Option<i64>) -> i64 {
    match (first, onset) {
        (Some(first), Some(onset)) if (first - onset - PRIOR_LAG).abs() <= TRUSTED_SPREAD => {
            first - onset
        }
        _ => PRIOR_LAG,
    }
}

/// Frames of 10 ms at 16 kHz: the unit of whisper's times.
const FRAME: usize = crate::SAMPLE_RATE as usize / 100;

/// Where a window's audio is quiet, frame by frame: a frame is quiet when
/// its level is 20 dB under the window's speech level (95th percentile)
/// and within the lower fifth of the way up from its floor (10th
/// percentile). Word and
/// utterance edges that fall on quiet frames are moved onto the voice.
#[derive(Debug, Clone)]
pub(crate) struct Loudness {
    quiet: Vec<bool>,
}

impl Loudness {
    /// Measures 16 kHz `samples`.
    pub fn of(samples: &[f32]) -> Self {
        let level: Vec<f32> = samples
            .chunks(FRAME)
            .map(|f| {
                let power = f.iter().map(|x| x * x).sum::<f32>() / f.len().max(1) as f32;
                10.0 * (power + 1e-10).log10()
            })
            .collect();
        let mut sorted = level.clone();
        sorted.sort_by(f32::total_cmp);
        let at = |p: f32| {
            sorted
                .get(((sorted.len().saturating_sub(1)) as f32 * p) as usize)
                .copied()
                .unwrap_or(0.0)
        };
        let (floor, voice) = (at(0.10), at(0.95));
        // Too little contrast to tell voice from pause: nothing is quiet.
        let threshold = if voice - floor < 12.0 {
            f32::NEG_INFINITY
        } else {
            (floor + 0.2 * (voice - floor)).max(voice - 20.0)
        };
        Self {
            quiet: level.iter().map(|&l| l <= threshold).collect(),
        }
    }

    fn is_quiet(&self, frame: i64) -> bool {
        usize::try_from(frame)
            .ok()
            .and_then(|f| self.quiet.get(f))
            .copied()
            .unwrap_or(false)
    }

    /// Moves a span `start..end` (seconds in the window) onto the voice:
    /// a start on a quiet stretch moves forward to where the voice comes
    /// up, an end on one moves back to where it fell, never past each
    /// other; a span that is quiet throughout is left alone.
    pub fn snap(&self, start: f64, end: f64) -> (f64, f64) {
        let (mut a, mut b) = (
            (start * 100.0).floor() as i64,
            (end * 100.0).ceil() as i64 - 1,
        );
        if b < a || (a..=b).all(|f| self.is_quiet(f)) {
            return (start, end);
        }
        while a < b && self.is_quiet(a) {
            a += 1;
        }
        while b > a && self.is_quiet(b) {
            b -= 1;
        }
        let s = if a as f64 / 100.0 > start {
            a as f64 / 100.0
        } else {
            start
        };
        let e = if ((b + 1) as f64 / 100.0) < end {
            (b + 1) as f64 / 100.0
        } else {
            end
        };
        (s, e.max(s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(n_vocab: i32, n_text_state: i32, n_text_layer: i32, n_mels: i32) -> ModelShape {
        ModelShape {
            n_vocab,
            n_text_state,
            n_text_layer,
            n_mels,
        }
    }

    #[test]
    fn released_models_get_their_heads() {
        assert!(matches!(
            shape(51864, 384, 4, 80).dtw_mode(),
            DtwMode::ModelPreset {
                model_preset: DtwModelPreset::TinyEn
            }
        ));
        assert!(matches!(
            shape(51865, 512, 6, 80).dtw_mode(),
            DtwMode::ModelPreset {
                model_preset: DtwModelPreset::Base
            }
        ));
        assert!(matches!(
            shape(51866, 1280, 32, 128).dtw_mode(),
            DtwMode::ModelPreset {
                model_preset: DtwModelPreset::LargeV3
            }
        ));
    }

    #[test]
    fn an_unknown_shape_uses_the_top_layers() {
        assert!(matches!(
            shape(51865, 640, 10, 80).dtw_mode(),
            DtwMode::TopMost { n_top: 5 }
        ));
    }

    #[test]
    fn the_first_word_sets_the_lag_when_plausible() {
        assert_eq!(alignment_lag(Some(80), Some(30)), 50);
        assert_eq!(alignment_lag(Some(60), Some(30)), 30);
    }

    #[test]
    fn an_implausible_first_word_falls_back_to_the_measured_lag() {
        // Parked 1.2 s late on the silence, or before the speech began.
        assert_eq!(alignment_lag(Some(150), Some(30)), PRIOR_LAG);
        assert_eq!(alignment_lag(Some(20), Some(30)), PRIOR_LAG);
        assert_eq!(alignment_lag(None, Some(30)), PRIOR_LAG);
        assert_eq!(alignment_lag(Some(80), None), PRIOR_LAG);
    }

    #[test]
    fn edges_on_a_pause_move_onto_the_voice() {
        // 0.5 s silence, 1 s tone, 0.5 s silence.
        let mut audio = vec![0.0f32; 8_000];
        audio.extend((0..16_000).map(|k| 0.3 * (k as f32 * 0.07).sin()));
        audio.extend(vec![0.0f32; 8_000]);
        let loud = Loudness::of(&audio);
        let (s, e) = loud.snap(0.2, 1.8);
        assert!(
            (s - 0.5).abs() < 0.011 && (e - 1.5).abs() < 0.011,
            "{s} {e}"
        );
        // Inside the voice nothing moves; a span all in the pause stays.
        assert_eq!(loud.snap(0.7, 1.2), (0.7, 1.2));
        assert_eq!(loud.snap(0.1, 0.3), (0.1, 0.3));
    }

    #[test]
    fn flat_audio_moves_nothing() {
        let loud = Loudness::of(&vec![0.1f32; 16_000]);
        assert_eq!(loud.snap(0.2, 0.8), (0.2, 0.8));
    }

    #[test]
    fn a_file_that_is_not_ggml_has_no_shape() {
        let dir = std::env::temp_dir().join(format!("hotwash-shape-{}", std::process::id()));
        std::fs::write(&dir, b"RIFF....WAVEfmt not a model at all, just bytes....").unwrap();
        assert_eq!(ModelShape::read(&dir), None);
        let _ = std::fs::remove_file(&dir);
    }
}
