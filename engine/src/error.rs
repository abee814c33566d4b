//! The engine's error type.

use std::path::PathBuf;

/// Everything that can stop a pipeline. Messages are one line, name the
/// file or device involved and say what to do.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The model file does not exist.
    #[error("{}: model file not found; run `hotwash models fetch tiny.en` or pass --model PATH to a whisper.cpp ggml file", .0.display())]
    ModelMissing(PathBuf),
    /// whisper.cpp refused the model file.
    #[error("{}: not a loadable whisper.cpp ggml model ({reason}); re-fetch it with `hotwash models fetch` or pass another --model", path.display())]
    ModelLoad {
        /// The model file.
        path: PathBuf,
        /// What whisper.cpp said.
        reason: String,
    },
    /// whisper.cpp failed while transcribing.
    #[error("whisper failed: {0}")]
    Whisper(String),
    /// Reading or decoding the audio failed.
    #[error(transparent)]
    Source(#[from] crate::source::SourceError),
    /// Resampling failed.
    #[error(transparent)]
    Resample(#[from] crate::resample::ResampleError),
    /// Voice activity detection failed.
    #[error(transparent)]
    Vad(#[from] crate::vad::VadError),
    /// The sink failed (a write error, a closed pipe).
    #[error("output failed: {0}")]
    Sink(Box<dyn std::error::Error + Send + Sync>),
    /// The pipeline was configured wrongly.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// A pipeline thread panicked (a bug: please report it).
    #[error("internal error: the {0} thread panicked")]
    ThreadPanic(&'static str),
}
