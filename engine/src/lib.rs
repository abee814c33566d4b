//! hotwash-engine: a streaming speech-to-text pipeline for meeting and
//! incident-call recordings.
//!
//! Audio flows source → resample → speech segmentation → whisper workers →
//! reorder → [`Sink`]. Each stage is one type with one job; [`pipeline`]
//! wires them together with bounded crossbeam channels so memory stays
//! bounded whatever the recording's length.

pub mod resample;
pub mod segment;
pub mod sink;
pub mod source;
pub mod utterance;
pub mod vad;

pub use sink::Sink;
pub use utterance::{RecordingInfo, Summary, Utterance, Word};

/// The sample rate every stage after resampling works at (whisper's rate).
pub const SAMPLE_RATE: u32 = 16_000;
