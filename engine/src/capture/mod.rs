//! Live capture: record audio devices as the call happens, and never lose a
//! second of it.
//!
//! ```text
//! device ─callback─▶ rtrb ring ─▶ spool thread ─▶ NAME.wav (synced ≤ 2 s)
//!   (no locks, no allocation)        │                  │
//!                                    │ gaps, overruns   └─▶ LiveSource ─▶ pipeline
//!                                    └─▶ NAME.capture.json   (reads the spool behind it)
//! ```
//!
//! * The audio callback converts samples to `f32` into a pre-allocated
//!   lock-free ring buffer and bumps atomic counters; nothing else.
//! * The spool thread drains the ring into a WAV file whose header is
//!   rewritten and fsynced every `sync_every` (≤ 2 s), so a SIGKILL leaves a
//!   valid file holding everything up to the last sync.
//! * [`LiveSource`] feeds the pipeline by reading the spool file behind the
//!   writer: a slow pipeline grows the backlog
//!   ([`CaptureMonitor::backlog_seconds`]) instead of dropping audio.
//! * A lost device (unplugged, audio server gone, or silent for the stall
//!   timeout) closes the spool cleanly and ends the source with a warning;
//!   with `reconnect` the device is reopened and the gap is filled with
//!   silence and logged.
//! * One [`Capture`] per device: a headset mic and the meeting app's output
//!   monitor are two captures, two spools, two tracks.
//!
//! First audio (measured on a PulseAudio null sink, 2-core machine): 0.03 to
//! 0.05 s after opening when the sink is busy, 1.1 to 1.9 s when it was idle
//! (the server renders an idle null sink in large blocks); through ALSA's
//! pulse plugin about 1.9 s. [`Capture::start`] returns only once audio
//! flows, so nothing said after it returns is missed. Data then arrives in
//! 100 ms fragments (see [`CaptureConfig::device_buffer`]).

mod callback;
mod device;
mod error;
mod live;
mod log;
pub mod silence;
mod spool;
mod stop;
mod stream;
mod wav;

pub use device::{list_devices, list_devices_on, AudioHost, InputDevice};
pub use error::CaptureError;
pub use live::{Capture, CaptureConfig, CaptureMonitor, CaptureState, LiveSource, MAX_SYNC_EVERY};
pub use log::{CaptureEnd, CaptureLog, Gap, SegmentLog};
pub use silence::{LastSpeech, SilenceWatcher, SpeechClock};
pub use stop::StopHandle;
pub use wav::SpoolEncoding;
