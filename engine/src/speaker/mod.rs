//! Who is speaking, on a track that mixes several people: the pipeline's
//! slot for a diarizer, and the step that gives each utterance its speaker
//! word by word.
//!
//! The engine knows no speaker model. A [`DiarizerFactory`] (the
//! `hotwash-speakers` crate has the pyannote + CAM++ one) starts one
//! [`Diarizer`] per mixed stream; the pipeline feeds it the same 16 kHz mono
//! audio the voice detector sees, on its own thread, and at the end of the
//! stream it answers with [`SpeakerTurn`]s. The utterances of that stream
//! wait for the turns, then [`attribute`] labels them, splitting an
//! utterance where the speaker changes between its words.

mod attribute;

pub use attribute::{attribute, attribute_all};

/// One stretch of one speaker's voice, seconds from the recording's start.
/// Turns of different speakers may overlap (people talk over each other).
#[derive(Debug, Clone, PartialEq)]
pub struct SpeakerTurn {
    /// Start, seconds.
    pub start: f64,
    /// End, seconds.
    pub end: f64,
    /// The speaker's label (`Speaker 1`, …, or a name).
    pub speaker: String,
}

/// Why a diarizer could not run; the transcript is still delivered, without
/// speakers, with this as a warning.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct DiarizeError(pub String);

/// Finds who spoke when in one stream of 16 kHz mono audio, fed in order.
pub trait Diarizer: Send {
    /// Takes the next block of samples (16 kHz mono, in `[-1, 1]`).
    fn push(&mut self, samples: &[f32]) -> Result<(), DiarizeError>;
    /// The stream has ended (or the run was stopped): the turns found in
    /// what was pushed, in start order.
    fn finish(self: Box<Self>) -> Result<Vec<SpeakerTurn>, DiarizeError>;
}

/// Starts a [`Diarizer`] for each mixed stream of a run.
pub trait DiarizerFactory: Send + Sync + std::fmt::Debug {
    /// What finds the speakers, for the transcript's header (e.g.
    /// `pyannote segmentation-3.0 + CAM++`).
    fn name(&self) -> String;
    /// A diarizer for one stream.
    fn start(&self) -> Result<Box<dyn Diarizer>, DiarizeError>;
}
