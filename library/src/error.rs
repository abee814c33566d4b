//! The crate's one error type: every failure names the file, incident or
//! action it is about, and what to do.

use std::path::PathBuf;

/// Everything that can go wrong opening, reading or writing the library.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The database file is not an SQLite database (corrupt, or some other file).
    #[error("{path}: not an SQLite database (corrupt, or some other kind of file); move it aside or pass --db with another path")]
    NotADatabase {
        /// The file.
        path: PathBuf,
    },
    /// The database is SQLite but belongs to something else.
    #[error("{path}: an SQLite database that is not a hotwash library ({reason}); pass --db with another path")]
    Foreign {
        /// The file.
        path: PathBuf,
        /// What gave it away.
        reason: String,
    },
    /// The library was written by a newer hotwash.
    #[error("{path}: library schema version {found} is newer than this hotwash knows ({known}); upgrade hotwash")]
    TooNew {
        /// The file.
        path: PathBuf,
        /// The schema version in the file.
        found: i64,
        /// The newest version this build knows.
        known: i64,
    },
    /// SQLite refused an operation.
    #[error("{path}: database error: {err}")]
    Sqlite {
        /// The database file.
        path: PathBuf,
        /// SQLite's error.
        err: rusqlite::Error,
    },
    /// No place for the library could be found.
    #[error("no data directory for the library: set HOTWASH_HOME or pass --db PATH")]
    NoDataDir,
    /// A file or directory could not be read.
    #[error("{path}: cannot read: {err}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        err: std::io::Error,
    },
    /// A file or directory could not be written.
    #[error("{path}: cannot write: {err}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        err: std::io::Error,
    },
    /// An incident directory given to `add` does not exist.
    #[error("{path}: no such directory; pass a directory written by `hotwash postmortem -o DIR`")]
    NoSuchDir {
        /// The path given.
        path: PathBuf,
    },
    /// A file where an incident directory was expected.
    #[error("{path}: a file, not an incident directory; pass the directory `hotwash postmortem -o DIR` wrote")]
    NotADir {
        /// The path given.
        path: PathBuf,
    },
    /// An incident directory without its record.
    #[error("{path}: no incident.json in this directory; pass a directory written by `hotwash postmortem -o DIR`")]
    NoRecord {
        /// The directory.
        path: PathBuf,
    },
    /// The record is not valid.
    #[error("{reason}; rebuild it with `hotwash postmortem`")]
    BadRecord {
        /// What the record reader said (names the file).
        reason: String,
    },
    /// No incident with this id.
    #[error("no incident {id:?} in the library; `hotwash library list` shows the ids")]
    UnknownIncident {
        /// The id asked for.
        id: String,
    },
    /// No action with this id.
    #[error("no action {id:?} in the library; `hotwash actions list` shows the ids")]
    UnknownAction {
        /// The id asked for.
        id: String,
    },
    /// A status change the workflow does not allow.
    #[error("action {id}: cannot go from {from} to {to}: {hint}")]
    Transition {
        /// The action.
        id: String,
        /// Its status now.
        from: String,
        /// The status asked for.
        to: String,
        /// What to do instead.
        hint: String,
    },
    /// A tag name that cannot be stored.
    #[error("tag {tag:?}: {reason}")]
    BadTag {
        /// The tag given.
        tag: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A search with nothing to search for.
    #[error("{query:?}: no words to search for; give a few words of the symptom or title")]
    EmptyQuery {
        /// The query given.
        query: String,
    },
    /// A line of an import file is not what `export` writes.
    #[error("{path}:{line}: {reason}; expected a file written by `hotwash library export`")]
    Import {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What was wrong.
        reason: String,
    },
    /// A request that does not make sense as given.
    #[error("{0}")]
    Usage(String),
    /// A tracker export that cannot be read.
    #[error("{path}: {reason}; pass a CSV exported from Jira or Linear")]
    TrackerExport {
        /// The file.
        path: std::path::PathBuf,
        /// What was wrong.
        reason: String,
    },
    /// The sentence-embedding model failed.
    #[error("sentence embeddings ({model}): {reason}")]
    Embed {
        /// The model.
        model: String,
        /// What went wrong.
        reason: String,
    },
    /// The failure-mode catalogue is malformed.
    #[error("failure-mode catalogue: {0}")]
    Catalogue(String),
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
