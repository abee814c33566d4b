//! The crate's one error type: every failure names the file and what to do.

use std::path::PathBuf;

/// Everything that can go wrong reading inputs, building or rendering a record.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read.
    #[error("{path}: cannot read: {err}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        err: std::io::Error,
    },
    /// A file could not be written.
    #[error("{path}: cannot write: {err}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        err: std::io::Error,
    },
    /// An input is not a transcript this crate understands.
    #[error("{path}: {reason}; expected a `transcribe -f json`/`-f jsonl` transcript or a .ref.json with `turns`")]
    Transcript {
        /// The file.
        path: PathBuf,
        /// What was wrong.
        reason: String,
    },
    /// The roster file is malformed.
    #[error(
        "{path}: roster {reason}; expected [speakers.LABEL] tables with name, role and aliases, and an optional top-level terms list"
    )]
    Roster {
        /// The file.
        path: PathBuf,
        /// What was wrong.
        reason: String,
    },
    /// No input transcripts were given.
    #[error("no transcripts given: pass at least one transcript file")]
    NoInput,
    /// A user template failed to load or render.
    #[error("template {path}: {reason}")]
    Template {
        /// The template file.
        path: PathBuf,
        /// What was wrong.
        reason: String,
    },
    /// A file is not an incident record.
    #[error("{path}: not a hotwash incident record: {reason}")]
    Record {
        /// The file.
        path: PathBuf,
        /// What was wrong.
        reason: String,
    },
    /// A scenario file for evaluation is malformed.
    #[error("{path}: not a scenario with `truth`: {reason}")]
    Scenario {
        /// The file.
        path: PathBuf,
        /// What was wrong.
        reason: String,
    },
    /// A rule extractor's cue lexicon (`postmortem/lexicon/*.toml`) is malformed.
    #[error("{path}: not a usable cue lexicon: {reason}; fix the list it names or restore the shipped file")]
    Lexicon {
        /// The file.
        path: PathBuf,
        /// What was wrong.
        reason: String,
    },
    /// A lexicon or act model file is malformed.
    #[error("{path}: not a usable act model or lexicon: {reason}; retrain with `hotwash train acts` or restore the shipped file")]
    Model {
        /// The file.
        path: PathBuf,
        /// What was wrong.
        reason: String,
    },
    /// The sentence embedder failed.
    #[error("sentence embeddings: {reason}")]
    Embed {
        /// What went wrong.
        reason: String,
    },
    /// CSV export failed.
    #[error("{path}: cannot write CSV: {reason}")]
    Csv {
        /// The file.
        path: PathBuf,
        /// What was wrong.
        reason: String,
    },
}

/// Shorthand for this crate's results.
pub type Result<T, E = Error> = std::result::Result<T, E>;
