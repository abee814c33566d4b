//! [`SileroVad`]: the Silero network as whisper.cpp runs it (whisper-rs
//! `WhisperVadContext`), adapted to per-frame decisions.
//!
//! whisper.cpp resets the network's recurrent state at every
//! `detect_speech` call and rebuilds its graph, so frames are classified in
//! batches (about 8 s), each preceded by the last half second of the
//! previous batch as warm-up context whose probabilities are discarded.
//! Probabilities become decisions with Silero's own hysteresis: speech
//! starts at `threshold` and ends below `threshold - 0.15`.

use std::path::Path;

use whisper_rs::{WhisperVadContext, WhisperVadContextParams};

use super::{VadError, VoiceDetector};

/// Samples per Silero window at 16 kHz (32 ms).
const FRAME_LEN: usize = 512;
/// Frames per batch (8.2 s).
const BATCH_FRAMES: usize = 256;
/// Frames of warm-up context carried into each batch (0.5 s).
const CONTEXT_FRAMES: usize = 16;
/// How far below the threshold the probability must fall to end speech.
const HYSTERESIS: f32 = 0.15;

/// Silero VAD over whisper.cpp. Build it in the thread that uses it.
pub struct SileroVad {
    ctx: WhisperVadContext,
    threshold: f32,
    in_speech: bool,
    /// Context frames followed by the batch being classified.
    window: Vec<f32>,
    /// Real (non-padding) context samples at the front of `window`.
    context_len: usize,
}

impl std::fmt::Debug for SileroVad {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SileroVad")
            .field("threshold", &self.threshold)
            .finish_non_exhaustive()
    }
}

impl SileroVad {
    /// Loads a ggml Silero model (e.g. `ggml-silero-v6.2.0.bin`); frames
    /// whose speech probability reaches `threshold` count as speech.
    pub fn new(model: &Path, threshold: f32) -> Result<Self, VadError> {
        if !(threshold > 0.0 && threshold < 1.0) {
            return Err(VadError::Threshold(threshold));
        }
        let path = model.display().to_string();
        if !model.is_file() {
            return Err(VadError::Model {
                path,
                reason: "no such file".into(),
            });
        }
        let Some(model_str) = model.to_str().filter(|s| !s.contains('\0')) else {
            return Err(VadError::Model {
                path,
                reason: "the path is not valid UTF-8".into(),
            });
        };
        // Route whisper.cpp's per-call log lines away from stderr.
        whisper_rs::install_logging_hooks();
        let mut params = WhisperVadContextParams::new();
        params.set_n_threads(1);
        params.set_use_gpu(false);
        let ctx = WhisperVadContext::new(model_str, params).map_err(|e| VadError::Model {
            path,
            reason: format!("{e:?} (not a ggml Silero model?)"),
        })?;
        Ok(SileroVad {
            ctx,
            threshold,
            in_speech: false,
            window: Vec::with_capacity((CONTEXT_FRAMES + BATCH_FRAMES) * FRAME_LEN),
            context_len: 0,
        })
    }

    /// Runs the network over context + `samples` and appends decisions for
    /// the frames of `samples`.
    fn classify(&mut self, samples: &[f32], out: &mut Vec<bool>) -> Result<(), VadError> {
        let context = self.context_len;
        self.window.truncate(context);
        self.window.extend_from_slice(samples);
        self.ctx
            .detect_speech(&self.window)
            .map_err(|e| VadError::Detect(format!("Silero: {e:?}")))?;
        let probs = self.ctx.probabilities();
        let skip = context / FRAME_LEN;
        let frames = samples.len() / FRAME_LEN;
        if probs.len() < skip + frames {
            return Err(VadError::Detect(format!(
                "Silero returned {} probabilities for {} frames",
                probs.len(),
                skip + frames
            )));
        }
        for &p in &probs[skip..skip + frames] {
            self.in_speech = if self.in_speech {
                p >= self.threshold - HYSTERESIS
            } else {
                p >= self.threshold
            };
            out.push(self.in_speech);
        }
        // Keep the tail as the next batch's warm-up context.
        let keep = (CONTEXT_FRAMES * FRAME_LEN).min(self.window.len());
        let from = self.window.len() - keep;
        self.window.copy_within(from.., 0);
        self.window.truncate(keep);
        self.context_len = keep;
        Ok(())
    }
}

impl VoiceDetector for SileroVad {
    fn frame_len(&self) -> usize {
        FRAME_LEN
    }

    fn is_speech(&mut self, frame: &[f32]) -> Result<bool, VadError> {
        if frame.len() != FRAME_LEN {
            return Err(VadError::FrameLength {
                expected: FRAME_LEN,
                got: frame.len(),
            });
        }
        let mut out = Vec::with_capacity(1);
        self.classify(frame, &mut out)?;
        Ok(out.first().copied().unwrap_or(false))
    }

    fn batch_frames(&self) -> usize {
        BATCH_FRAMES
    }

    fn detect(&mut self, samples: &[f32], out: &mut Vec<bool>) -> Result<(), VadError> {
        if !samples.len().is_multiple_of(FRAME_LEN) {
            return Err(VadError::FrameLength {
                expected: FRAME_LEN,
                got: samples.len() % FRAME_LEN,
            });
        }
        for batch in samples.chunks(BATCH_FRAMES * FRAME_LEN) {
            self.classify(batch, out)?;
        }
        Ok(())
    }
}
