//! hotwash-engine: a streaming speech-to-text pipeline for meeting and
//! incident-call recordings.
//!
//! Audio flows source → resample → speech segmentation → whisper workers →
//! reorder → [`Sink`], with a [`Diarizer`] beside the speech segmentation
//! on a mixed track. Each stage is one type with one job; [`pipeline`]
//! wires them together with bounded crossbeam channels so memory stays
//! bounded whatever the recording's length.

mod alignment;
pub mod call;
pub mod capture;
pub mod error;
pub mod format;
pub mod guard;
pub mod memory;
pub mod pipeline;
pub mod reorder;
pub mod resample;
pub mod segment;
pub mod sink;
pub mod source;
pub mod speaker;
pub mod transcriber;
pub mod utterance;
pub mod vad;
pub mod window;

pub use error::EngineError;
pub use pipeline::{Pipeline, PipelineBuilder, Track};
pub use sink::{FinalOnly, Sink};
pub use speaker::{DiarizeError, Diarizer, DiarizerFactory, SpeakerTurn};
pub use utterance::{Partial, RecordingInfo, Summary, Utterance, Word};

/// The sample rate every stage after resampling works at (whisper's rate).
pub const SAMPLE_RATE: u32 = 16_000;

/// Silences whisper.cpp's and ggml's own logging (it writes to stderr).
pub(crate) fn quiet_whisper_logs() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(whisper_rs::install_logging_hooks);
}
