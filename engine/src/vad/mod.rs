//! Stage 3a: voice activity detection on 16 kHz mono audio.
//!
//! A [`VoiceDetector`] decides, frame by frame, whether a frame holds
//! speech; the [`crate::segment::Segmenter`] turns those decisions into
//! speech segments. Two detectors sit behind the one trait: [`WebRtcVad`]
//! (libfvad, cheap, 30 ms frames) and [`SileroVad`] (whisper.cpp's Silero
//! network, more accurate on noise, 32 ms frames, run in batches).
//!
//! Neither detector can move between threads once built (libfvad's handle
//! is not `Send`), so pipelines carry a [`VadConfig`], which is `Send`, and
//! call [`VadConfig::build`] inside the thread that uses the detector.

mod silero;
mod webrtc;

use std::path::PathBuf;

pub use silero::SileroVad;
pub use webrtc::WebRtcVad;

/// Why a detector could not be built or failed on a frame.
#[derive(thiserror::Error, Debug)]
pub enum VadError {
    /// A frame of the wrong length was passed.
    #[error("VAD frame of {got} samples; this detector takes {expected}")]
    FrameLength {
        /// The detector's frame length.
        expected: usize,
        /// What was passed.
        got: usize,
    },
    /// WebRTC aggressiveness outside 0–3.
    #[error("VAD aggressiveness {0} is out of range; use 0 (least) to 3 (most aggressive)")]
    Aggressiveness(u8),
    /// Silero threshold outside (0, 1).
    #[error(
        "Silero VAD threshold {0} is out of range; use a probability between 0 and 1, e.g. 0.5"
    )]
    Threshold(f32),
    /// The Silero model file could not be loaded.
    #[error("{path}: cannot load the Silero VAD model ({reason}); check the path or fetch the ggml-silero model")]
    Model {
        /// The model path given.
        path: String,
        /// What went wrong.
        reason: String,
    },
    /// The detector itself failed on audio.
    #[error("voice activity detection failed: {0}")]
    Detect(String),
}

/// Decides, per frame of 16 kHz mono audio, whether it holds speech.
pub trait VoiceDetector {
    /// Samples per frame this detector decides on.
    fn frame_len(&self) -> usize;

    /// Decides whether one frame (exactly [`frame_len`](Self::frame_len)
    /// samples) holds speech. Detectors keep state between frames, so
    /// frames must come in stream order.
    fn is_speech(&mut self, frame: &[f32]) -> Result<bool, VadError>;

    /// Frames this detector prefers per [`detect`](Self::detect) call;
    /// network detectors run faster (and keep more context) in batches.
    fn batch_frames(&self) -> usize {
        1
    }

    /// Decides on consecutive frames: `samples.len()` must be a multiple of
    /// [`frame_len`](Self::frame_len); one decision per frame is appended
    /// to `out`.
    fn detect(&mut self, samples: &[f32], out: &mut Vec<bool>) -> Result<(), VadError> {
        let len = self.frame_len();
        if !samples.len().is_multiple_of(len) {
            return Err(VadError::FrameLength {
                expected: len,
                got: samples.len() % len,
            });
        }
        for frame in samples.chunks_exact(len) {
            out.push(self.is_speech(frame)?);
        }
        Ok(())
    }
}

/// How to build a detector; `Send`, so it can travel to the thread that
/// builds and uses the detector.
#[derive(Debug, Clone, PartialEq)]
pub enum VadConfig {
    /// libfvad (WebRTC) with an aggressiveness of 0 (keeps most) to 3.
    WebRtc {
        /// 0–3; higher drops more non-speech and some quiet speech.
        aggressiveness: u8,
    },
    /// whisper.cpp's Silero VAD with a ggml model file.
    Silero {
        /// Path to `ggml-silero-v6.2.0.bin` (or another ggml Silero model).
        model: PathBuf,
        /// Speech probability above which a frame counts as speech.
        threshold: f32,
    },
}

impl Default for VadConfig {
    /// WebRTC at aggressiveness 2: on meeting recordings it keeps quiet
    /// speech while rejecting most keyboard and room noise.
    fn default() -> Self {
        VadConfig::WebRtc { aggressiveness: 2 }
    }
}

impl VadConfig {
    /// Builds the detector. Call this inside the thread that will use it.
    pub fn build(&self) -> Result<Box<dyn VoiceDetector>, VadError> {
        Ok(match self {
            VadConfig::WebRtc { aggressiveness } => Box::new(WebRtcVad::new(*aggressiveness)?),
            VadConfig::Silero { model, threshold } => Box::new(SileroVad::new(model, *threshold)?),
        })
    }

    /// Checks the settings without building anything (for early CLI errors).
    pub fn validate(&self) -> Result<(), VadError> {
        match self {
            VadConfig::WebRtc { aggressiveness } if *aggressiveness > 3 => {
                Err(VadError::Aggressiveness(*aggressiveness))
            }
            VadConfig::Silero { threshold, .. } if !(*threshold > 0.0 && *threshold < 1.0) => {
                Err(VadError::Threshold(*threshold))
            }
            VadConfig::Silero { model, .. } if !model.is_file() => Err(VadError::Model {
                path: model.display().to_string(),
                reason: "no such file".into(),
            }),
            _ => Ok(()),
        }
    }
}

/// Mean square of a frame: the energy the segmenter compares when it looks
/// for the quietest place to split a long segment.
pub fn frame_energy(frame: &[f32]) -> f32 {
    if frame.is_empty() {
        return 0.0;
    }
    frame.iter().map(|s| s * s).sum::<f32>() / frame.len() as f32
}
