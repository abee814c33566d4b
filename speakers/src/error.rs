//! Why a speaker stage could not load or run.

use std::path::PathBuf;

/// Why a speaker model could not load or run.
#[derive(Debug, thiserror::Error)]
pub enum SpeakerError {
    /// A model file is not there.
    #[error("{}: missing; run `hotwash models fetch speakers`", path.display())]
    Missing {
        /// The file.
        path: PathBuf,
    },
    /// A model file could not be read or does not hold the expected weights.
    #[error("{}: {reason}; run `hotwash models fetch speakers --force` to reinstall it", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What was wrong with it.
        reason: String,
    },
    /// The model failed while running.
    #[error("speaker model failed: {0}")]
    Run(String),
}
