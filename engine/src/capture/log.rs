//! The capture's sidecar log: `NAME.capture.json` next to `NAME.wav`.
//!
//! It says what was recorded from where, the spool segments in order, and
//! every gap in the timeline (device lost and reconnected, ring overruns),
//! each filled with silence in the WAV so offsets stay wall-clock true. It is
//! rewritten (write to a temporary file, then rename) at every sync and
//! event, so after a crash it is at most one sync behind the WAV header,
//! which remains the authority on how much audio is valid.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A stretch of the timeline with no captured audio (filled with silence).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Gap {
    /// Where the gap starts, in seconds from the start of the recording.
    pub offset_seconds: f64,
    /// How long it lasts, in seconds.
    pub seconds: f64,
    /// Why (`device lost: ...`, `ring overrun`).
    pub reason: String,
}

/// One spool file; segments follow each other without overlap.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SegmentLog {
    /// File name, relative to the log's directory.
    pub file: String,
    /// Index of its first frame in the whole recording.
    pub first_frame: u64,
    /// Frames it holds.
    pub frames: u64,
}

/// Why a capture ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "detail", rename_all = "snake_case")]
pub enum CaptureEnd {
    /// Stopped on request (Ctrl-C, stop-after-silence, end of the program).
    Stopped,
    /// The requested duration was reached.
    DurationReached,
    /// The device or the audio server went away and reconnecting was not
    /// requested (or was given up on a stop request).
    DeviceLost(String),
    /// The spool could not be written (disk full, I/O error).
    SpoolFailed(String),
}

impl std::fmt::Display for CaptureEnd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CaptureEnd::Stopped => f.write_str("stopped"),
            CaptureEnd::DurationReached => f.write_str("duration reached"),
            CaptureEnd::DeviceLost(why) => write!(f, "device lost: {why}"),
            CaptureEnd::SpoolFailed(why) => write!(f, "spool write failed: {why}"),
        }
    }
}

/// Everything known about one capture; serialised as the sidecar JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaptureLog {
    /// Track label (speaker or source name).
    pub track: String,
    /// Device id captured.
    pub device: String,
    /// Audio host (`pulseaudio`, `alsa`).
    pub host: String,
    /// The device's native sample format (`i16`, `f32`, ...).
    pub native_format: String,
    /// How the spool stores samples (`pcm_s16le`, `f32le`).
    pub spool_encoding: String,
    /// Sample rate of the spool (the device's native rate), Hz.
    pub sample_rate: u32,
    /// Channels of the spool (the device's native count).
    pub channels: u16,
    /// Wall-clock time of the first frame.
    pub started_utc: DateTime<Utc>,
    /// Seconds from starting the stream to the first audio callback.
    pub first_audio_after_seconds: Option<f64>,
    /// Spool files in order.
    pub segments: Vec<SegmentLog>,
    /// Silence-filled gaps in the timeline.
    pub gaps: Vec<Gap>,
    /// Frames spooled (audio plus gap silence).
    pub frames: u64,
    /// `frames` in seconds.
    pub seconds: f64,
    /// Frames covered by the WAV headers as of the last sync.
    pub synced_frames: u64,
    /// Frames dropped because the ring buffer was full (filled with silence).
    pub overrun_frames: u64,
    /// Overruns the device itself reported.
    pub device_xruns: u64,
    /// Non-fatal problems, in order.
    pub warnings: Vec<String>,
    /// Why the capture ended; `None` while recording (or if the process died).
    pub end: Option<CaptureEnd>,
    /// When the capture ended.
    pub ended_utc: Option<DateTime<Utc>>,
}

impl CaptureLog {
    /// Where the log for spool file `spool` lives (`a/b.wav` → `a/b.capture.json`).
    pub fn path_for(spool: &Path) -> PathBuf {
        let stem = spool
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "capture".to_string());
        spool.with_file_name(format!("{stem}.capture.json"))
    }

    /// Reads a log written by a capture.
    pub fn read(path: &Path) -> std::io::Result<CaptureLog> {
        let text = std::fs::read_to_string(path)?;
        serde_json::from_str(&text)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
    }

    /// Writes the log atomically (temporary file, then rename); `durable`
    /// also fsyncs it.
    pub(crate) fn write(&self, path: &Path, durable: bool) -> std::io::Result<()> {
        let tmp = path.with_extension("json.tmp");
        let text = serde_json::to_vec_pretty(self)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
        std::fs::write(&tmp, text)?;
        if durable {
            std::fs::File::open(&tmp)?.sync_all()?;
        }
        std::fs::rename(&tmp, path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_path_sits_next_to_the_spool() {
        assert_eq!(
            CaptureLog::path_for(Path::new("/x/inc/mic.wav")),
            PathBuf::from("/x/inc/mic.capture.json")
        );
    }

    #[test]
    fn end_reasons_round_trip_through_json() {
        for end in [
            CaptureEnd::Stopped,
            CaptureEnd::DurationReached,
            CaptureEnd::DeviceLost("PulseAudio disconnected".into()),
        ] {
            let s = serde_json::to_string(&end).unwrap();
            assert_eq!(serde_json::from_str::<CaptureEnd>(&s).unwrap(), end);
        }
    }
}
