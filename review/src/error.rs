//! What can stop the review server from starting.

use std::net::SocketAddr;
use std::path::PathBuf;

/// Why the review page could not be served.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The incident directory does not exist.
    #[error("{0}: no such incident directory")]
    NoDir(PathBuf),
    /// The directory holds no record.
    #[error("{0}: no incident.json here; build it first with `hotwash postmortem CALL -o DIR`")]
    NoRecord(PathBuf),
    /// The record could not be read (another schema, broken JSON).
    #[error(transparent)]
    Record(#[from] hotwash_postmortem::Error),
    /// Something else holds the port.
    #[error("{0}: the port is in use; pick another with --port")]
    PortInUse(SocketAddr),
    /// The address cannot be listened on.
    #[error("{addr}: cannot listen: {err}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The I/O error.
        err: std::io::Error,
    },
    /// The server failed while running.
    #[error("review server: {0}")]
    Io(#[from] std::io::Error),
}
