//! Why a live capture could not start or had to stop.

use std::path::PathBuf;

/// A capture failure: each message is one line that names the device or
/// spool file involved and says what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    /// No audio host (PulseAudio/PipeWire or ALSA) could be reached.
    #[error("no audio system is reachable ({0}); start PulseAudio/PipeWire or check ALSA")]
    NoHost(String),
    /// The host has no default input device.
    #[error("no default audio input device; connect a microphone or pass --device (see `hotwash devices`)")]
    NoDefaultDevice,
    /// No input device matches the name given.
    #[error("no input device matches '{name}'; run `hotwash devices` to list them")]
    DeviceNotFound {
        /// The name as given.
        name: String,
    },
    /// The name given matches several input devices.
    #[error("input device name '{name}' is ambiguous (matches {matches}); pass a full id from `hotwash devices`")]
    AmbiguousDevice {
        /// The name as given.
        name: String,
        /// The ids it matched, comma separated.
        matches: String,
    },
    /// Listing devices failed.
    #[error("could not list audio input devices: {0}")]
    Enumerate(String),
    /// The device exists but would not open or start.
    #[error(
        "could not open input device '{device}': {reason}; check it is not in use and try again"
    )]
    Open {
        /// The device id.
        device: String,
        /// What the audio system said.
        reason: String,
    },
    /// The device only offers a sample format we cannot convert.
    #[error("input device '{device}' delivers {format} samples, which hotwash cannot capture; pick another device")]
    UnsupportedFormat {
        /// The device id.
        device: String,
        /// The sample format it offers.
        format: String,
    },
    /// The spool path already holds a file: a recording is never overwritten.
    #[error("{}: a recording already exists there; refusing to overwrite it, choose another output directory or name", .path.display())]
    SpoolExists {
        /// The existing file.
        path: PathBuf,
    },
    /// Creating, writing or syncing the spool file failed.
    #[error("{}: cannot write the capture spool ({err}); check free disk space and permissions", .path.display())]
    Spool {
        /// The spool file.
        path: PathBuf,
        /// What the operating system said (in the message, so not also a `source()`).
        err: std::io::Error,
    },
    /// A capture setting is out of range.
    #[error("invalid capture setting: {0}")]
    Config(String),
    /// A capture thread could not be started, or died.
    #[error("capture thread failure: {0}")]
    Thread(String),
}
