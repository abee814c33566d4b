//! [`Capture`]: one device recorded into one spool; [`LiveSource`]: the same
//! capture as an [`AudioSource`] for the pipeline; [`CaptureMonitor`]: its
//! progress (backlog, overruns) for a status line.

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::device::{host_label, AudioHost};
use super::error::CaptureError;
use super::log::{CaptureEnd, CaptureLog};
use super::spool::{Shared, SpoolPlan, Spooler};
use super::stop::StopHandle;
use super::stream::{self, DevicePlan, Opened};
use super::wav::{SpoolEncoding, WavReader, WavWriter};
use crate::source::{AudioSource, SourceError, SourceFormat};

/// Longest interval between syncs the capture accepts: the promise
/// is that a crash loses at most two seconds.
pub const MAX_SYNC_EVERY: Duration = Duration::from_secs(2);

/// How to capture one device.
#[derive(Debug, Clone)]
pub struct CaptureConfig {
    /// Device to open (`--device`): an id from `hotwash devices`, a
    /// description, or a unique part of either. `None`: the default input.
    pub device: Option<String>,
    /// Audio system to capture through (default: PulseAudio/PipeWire when a
    /// server answers, else ALSA).
    pub host: AudioHost,
    /// Track label for messages and transcripts (`None`: the device id).
    pub label: Option<String>,
    /// Spool file to create (`INCIDENT/mic.wav`); must not exist. Its
    /// directory is created. The log goes next to it (`mic.capture.json`);
    /// segments past the size limit are `mic.002.wav`, ...
    pub spool_path: PathBuf,
    /// Sync interval: header rewrite + fsync. At most [`MAX_SYNC_EVERY`].
    pub sync_every: Duration,
    /// Ring buffer between the audio callback and the spool thread, in
    /// seconds of audio (the spool may stall this long without loss).
    pub ring_seconds: f64,
    /// Buffer to ask the audio system for. `None`: 100 ms on PulseAudio
    /// (where the server drops audio that overflows it: raise it if the
    /// machine is heavily loaded), ALSA's own default on ALSA.
    pub device_buffer: Option<Duration>,
    /// Stop by itself after this much audio (`--duration`).
    pub max_duration: Option<Duration>,
    /// Keep reopening the device after a loss, filling the gap with silence
    /// (`--reconnect`). Without it a loss ends the capture cleanly.
    pub reconnect: bool,
    /// Pause between reconnect attempts.
    pub retry_every: Duration,
    /// No audio for this long from a running stream counts as a lost device.
    pub stall_timeout: Duration,
    /// Longest wait for a new stream's first audio before it counts as lost.
    pub first_audio_timeout: Duration,
    /// Largest spool file before rolling to the next segment (capped by the
    /// WAV format's 4 GiB limit).
    pub max_segment_bytes: u64,
    /// Largest block [`LiveSource::read_block`] returns.
    pub block: Duration,
}

impl CaptureConfig {
    /// Defaults: default device, sync every second, 10 s ring, no duration
    /// limit, no reconnect, 5 s stall timeout, 100 ms blocks.
    pub fn new(spool_path: impl Into<PathBuf>) -> Self {
        CaptureConfig {
            device: None,
            host: AudioHost::Auto,
            label: None,
            spool_path: spool_path.into(),
            sync_every: Duration::from_secs(1),
            ring_seconds: 10.0,
            device_buffer: None,
            max_duration: None,
            reconnect: false,
            retry_every: Duration::from_secs(1),
            stall_timeout: Duration::from_secs(5),
            first_audio_timeout: Duration::from_secs(10),
            max_segment_bytes: u64::from(u32::MAX),
            block: Duration::from_millis(100),
        }
    }

    fn validate(&self) -> Result<(), CaptureError> {
        if self.sync_every.is_zero() || self.sync_every > MAX_SYNC_EVERY {
            return Err(CaptureError::Config(format!(
                "sync interval {:?} must be above 0 and at most 2 s",
                self.sync_every
            )));
        }
        if !(1.0..=600.0).contains(&self.ring_seconds) {
            return Err(CaptureError::Config(format!(
                "ring buffer of {} s must hold 1..=600 s",
                self.ring_seconds
            )));
        }
        if self.stall_timeout < Duration::from_millis(500)
            || self.first_audio_timeout < Duration::from_millis(500)
        {
            return Err(CaptureError::Config(
                "stall and first-audio timeouts must be at least 0.5 s".to_string(),
            ));
        }
        if self.block < Duration::from_millis(1) {
            return Err(CaptureError::Config(
                "block must be at least 1 ms".to_string(),
            ));
        }
        if self.max_segment_bytes < 1 << 16 {
            return Err(CaptureError::Config(
                "segments must allow at least 64 KiB".to_string(),
            ));
        }
        if self.spool_path.file_name().is_none() {
            return Err(CaptureError::Config(format!(
                "spool path '{}' names no file",
                self.spool_path.display()
            )));
        }
        Ok(())
    }
}

/// Where a capture stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaptureState {
    /// Audio is flowing into the spool.
    Recording,
    /// The device was lost; reopening it.
    Reconnecting,
    /// The spool is closed.
    Finished,
}

/// Read-only view of a running capture, cheap to clone and share (a status
/// line on another thread).
#[derive(Debug, Clone)]
pub struct CaptureMonitor {
    shared: Arc<Shared>,
    sample_rate: u32,
    spool_path: PathBuf,
}

impl CaptureMonitor {
    fn seconds(&self, frames: u64) -> f64 {
        frames as f64 / f64::from(self.sample_rate)
    }

    /// Seconds spooled so far (audio plus silence-filled gaps).
    pub fn captured_seconds(&self) -> f64 {
        self.seconds(self.shared.frames_written.load(Ordering::Acquire))
    }

    /// Frames covered by the spool's header as of the last sync: what a
    /// crash right now would keep.
    pub fn synced_frames(&self) -> u64 {
        self.shared.frames_synced.load(Ordering::Acquire)
    }

    /// Seconds spooled but not yet read by the live source: how far
    /// transcription is behind the capture.
    pub fn backlog_seconds(&self) -> f64 {
        let written = self.shared.frames_written.load(Ordering::Acquire);
        let read = self.shared.frames_read.load(Ordering::Acquire);
        self.seconds(written.saturating_sub(read))
    }

    /// Frames dropped because the ring buffer was full (each filled with
    /// silence and logged as a gap); zero in a healthy capture.
    pub fn overrun_frames(&self) -> u64 {
        self.shared.overrun_frames.load(Ordering::Relaxed)
    }

    /// Overruns the device itself reported.
    pub fn device_xruns(&self) -> u64 {
        self.shared.xruns.load(Ordering::Relaxed)
    }

    /// Time from starting the stream to its first audio callback.
    pub fn first_audio_latency(&self) -> Option<Duration> {
        match self.shared.first_audio_nanos.load(Ordering::Relaxed) {
            0 => None,
            n => Some(Duration::from_nanos(n)),
        }
    }

    /// Recording, reconnecting or finished.
    pub fn state(&self) -> CaptureState {
        if self.shared.finished.load(Ordering::Acquire) {
            CaptureState::Finished
        } else if self.shared.reconnecting.load(Ordering::Acquire) {
            CaptureState::Reconnecting
        } else {
            CaptureState::Recording
        }
    }

    /// Why the capture ended, once it has.
    pub fn end(&self) -> Option<CaptureEnd> {
        self.shared
            .lock()
            .final_log
            .as_ref()
            .and_then(|l| l.end.clone())
    }

    /// The spool files so far, in order.
    pub fn spool_files(&self) -> Vec<PathBuf> {
        self.shared
            .lock()
            .segments
            .iter()
            .map(|s| s.path.clone())
            .collect()
    }

    /// The first spool file.
    pub fn spool_path(&self) -> &Path {
        &self.spool_path
    }

    /// The sidecar log's path.
    pub fn log_path(&self) -> PathBuf {
        CaptureLog::path_for(&self.spool_path)
    }
}

/// One device being recorded into one spool. Dropping it stops the capture
/// and waits for the spool to be closed cleanly.
pub struct Capture {
    shared: Arc<Shared>,
    stop: StopHandle,
    opened: Opened,
    label: String,
    spool_path: PathBuf,
    encoding: SpoolEncoding,
    block_frames: usize,
    device_thread: Option<JoinHandle<()>>,
    spool_thread: Option<JoinHandle<()>>,
}

impl Capture {
    /// Opens the device at its native rate, channels and sample format,
    /// creates the spool (never overwriting a file) and starts capturing.
    /// Returns once the first audio has arrived (see
    /// [`CaptureMonitor::first_audio_latency`]; at most
    /// `first_audio_timeout`, else an error): everything the device hears
    /// from then on is captured.
    pub fn start(config: CaptureConfig) -> Result<Capture, CaptureError> {
        config.validate()?;
        let spool_path = config.spool_path.clone();
        let spool_err = |source: std::io::Error| CaptureError::Spool {
            path: spool_path.clone(),
            err: source,
        };
        if spool_path.exists() {
            return Err(CaptureError::SpoolExists { path: spool_path });
        }
        if let Some(dir) = spool_path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(spool_err)?;
        }
        let stop = StopHandle::new();
        let (tx, rx) = crossbeam_channel::unbounded();
        let plan = DevicePlan {
            query: config.device.clone(),
            host: config.host,
            ring_seconds: config.ring_seconds,
            device_buffer: config.device_buffer,
            stall_timeout: config.stall_timeout,
            first_audio_timeout: config.first_audio_timeout,
            reconnect: config.reconnect,
            retry_every: config.retry_every,
        };
        let (device_thread, opened) = stream::spawn(plan, stop.clone(), tx)?;
        let encoding = SpoolEncoding::for_device(opened.sample_format);
        let stop_device = |e: CaptureError| {
            stop.stop();
            e
        };
        let writer = WavWriter::create(&spool_path, encoding, opened.sample_rate, opened.channels)
            .map_err(|e| {
                if e.kind() == std::io::ErrorKind::AlreadyExists {
                    CaptureError::SpoolExists {
                        path: spool_path.clone(),
                    }
                } else {
                    spool_err(e)
                }
            })
            .map_err(stop_device)?;
        let label = config
            .label
            .clone()
            .unwrap_or_else(|| opened.device_id.clone());
        let log = CaptureLog {
            track: label.clone(),
            device: opened.device_id.clone(),
            host: host_label(opened.host),
            native_format: opened.sample_format.to_string(),
            spool_encoding: encoding.name().to_string(),
            sample_rate: opened.sample_rate,
            channels: opened.channels,
            started_utc: opened.started_utc,
            first_audio_after_seconds: None,
            segments: Vec::new(),
            gaps: Vec::new(),
            frames: 0,
            seconds: 0.0,
            synced_frames: 0,
            overrun_frames: 0,
            device_xruns: 0,
            warnings: Vec::new(),
            end: None,
            ended_utc: None,
        };
        let shared = Arc::new(Shared::default());
        let max_frames = config
            .max_duration
            .map(|d| (d.as_secs_f64() * f64::from(opened.sample_rate)).round() as u64);
        let spooler = Spooler::new(
            shared.clone(),
            rx,
            stop.clone(),
            SpoolPlan {
                sync_every: config.sync_every,
                max_frames,
                max_segment_bytes: config.max_segment_bytes,
            },
            writer,
            log,
            CaptureLog::path_for(&spool_path),
        );
        let spool_thread = std::thread::Builder::new()
            .name("capture-spool".to_string())
            .spawn(move || spooler.run())
            .map_err(|e| stop_device(CaptureError::Thread(e.to_string())))?;
        let block_frames =
            ((config.block.as_secs_f64() * f64::from(opened.sample_rate)).ceil() as usize).max(1);
        Ok(Capture {
            shared,
            stop,
            opened,
            label,
            spool_path,
            encoding,
            block_frames,
            device_thread: Some(device_thread),
            spool_thread: Some(spool_thread),
        })
    }

    /// Native rate and channels: the spool's and the live source's format.
    pub fn format(&self) -> SourceFormat {
        SourceFormat {
            sample_rate: self.opened.sample_rate,
            channels: self.opened.channels,
        }
    }

    /// The device id that was opened.
    pub fn device_id(&self) -> &str {
        &self.opened.device_id
    }

    /// The audio host used (`pulseaudio` or `alsa`).
    pub fn host(&self) -> String {
        host_label(self.opened.host)
    }

    /// The device's native sample format (`i16`, `f32`, ...).
    pub fn native_sample_format(&self) -> String {
        self.opened.sample_format.to_string()
    }

    /// Wall-clock time of the first frame.
    pub fn start_utc(&self) -> DateTime<Utc> {
        self.opened.started_utc
    }

    /// The track label.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// A handle that stops this capture (Ctrl-C, stop-after-silence).
    pub fn stop_handle(&self) -> StopHandle {
        self.stop.clone()
    }

    /// A progress view for status lines.
    pub fn monitor(&self) -> CaptureMonitor {
        CaptureMonitor {
            shared: self.shared.clone(),
            sample_rate: self.opened.sample_rate,
            spool_path: self.spool_path.clone(),
        }
    }

    /// Turns the capture into a pipeline source that reads the spool.
    pub fn into_source(self) -> LiveSource {
        LiveSource {
            capture: self,
            pos: 0,
            reader: None,
        }
    }

    /// Waits until the capture ends by itself (duration reached, device
    /// lost), then returns its log.
    pub fn wait(mut self) -> Result<CaptureLog, CaptureError> {
        self.join()
    }

    /// Stops the capture, waits for the spool to close, returns its log.
    pub fn finish(mut self) -> Result<CaptureLog, CaptureError> {
        self.stop.stop();
        self.join()
    }

    fn join(&mut self) -> Result<CaptureLog, CaptureError> {
        if let Some(t) = self.spool_thread.take() {
            t.join()
                .map_err(|_| CaptureError::Thread("the spool thread panicked".to_string()))?;
        }
        // The spool is closed; make sure the stream is too.
        self.stop.stop();
        if let Some(t) = self.device_thread.take() {
            t.join()
                .map_err(|_| CaptureError::Thread("the device thread panicked".to_string()))?;
        }
        let state = self.shared.lock();
        if let Some((path, kind, message)) = &state.io_error {
            return Err(CaptureError::Spool {
                path: path.clone(),
                err: std::io::Error::new(*kind, message.clone()),
            });
        }
        state
            .final_log
            .clone()
            .ok_or_else(|| CaptureError::Thread("the spool thread ended without a log".to_string()))
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        self.stop.stop();
        let _ = self.join();
    }
}

/// A live capture as a pipeline [`AudioSource`]: reads the spool file behind
/// the capture, so it never holds the capture back and nothing captured is
/// ever skipped. `read_block` blocks until audio is available; it returns
/// `Ok(false)` once the capture has ended (stop request, duration, device
/// loss: reported as a warning) and everything spooled has been read.
pub struct LiveSource {
    capture: Capture,
    pos: u64,
    reader: Option<(usize, WavReader)>,
}

impl LiveSource {
    /// Starts a capture and wraps it (see [`Capture::start`]).
    pub fn start(config: CaptureConfig) -> Result<LiveSource, CaptureError> {
        Capture::start(config).map(Capture::into_source)
    }

    /// A handle that stops the capture; the source then ends after
    /// delivering everything spooled.
    pub fn stop_handle(&self) -> StopHandle {
        self.capture.stop_handle()
    }

    /// A progress view (backlog, overruns) for status lines.
    pub fn monitor(&self) -> CaptureMonitor {
        self.capture.monitor()
    }

    /// The capture underneath (device id, host, format).
    pub fn capture(&self) -> &Capture {
        &self.capture
    }

    /// Stops the capture, waits for the spool to close, returns its log.
    pub fn finish(self) -> Result<CaptureLog, CaptureError> {
        self.capture.finish()
    }

    fn io_error(&self, path: &Path, e: std::io::Error) -> SourceError {
        SourceError::Io {
            name: path.display().to_string(),
            err: e,
        }
    }
}

impl AudioSource for LiveSource {
    fn format(&self) -> SourceFormat {
        self.capture.format()
    }

    fn name(&self) -> &str {
        &self.capture.label
    }

    fn read_block(&mut self, buf: &mut Vec<f32>) -> Result<bool, SourceError> {
        buf.clear();
        let shared = self.capture.shared.clone();
        let channels = usize::from(self.capture.opened.channels.max(1));
        loop {
            let written = shared.frames_written.load(Ordering::Acquire);
            if self.pos < written {
                let (index, segment) = {
                    let state = shared.lock();
                    let found = state
                        .segments
                        .iter()
                        .enumerate()
                        .rev()
                        .find(|(_, s)| s.first_frame <= self.pos);
                    match found {
                        Some((i, s)) => (i, s.clone()),
                        None => {
                            return Err(self.io_error(
                                &self.capture.spool_path,
                                std::io::Error::other("spool segment missing"),
                            ))
                        }
                    }
                };
                let in_segment = (segment.first_frame + segment.frames).saturating_sub(self.pos);
                let frames = (written - self.pos)
                    .min(in_segment)
                    .min(self.capture.block_frames as u64);
                if frames == 0 {
                    // The next segment is being published; look again.
                    std::thread::yield_now();
                    continue;
                }
                if self.reader.as_ref().map(|(i, _)| *i) != Some(index) {
                    let reader = WavReader::open(&segment.path, self.capture.encoding)
                        .map_err(|e| self.io_error(&segment.path, e))?;
                    self.reader = Some((index, reader));
                }
                let first_sample = (self.pos - segment.first_frame) * channels as u64;
                if let Some((_, reader)) = self.reader.as_mut() {
                    let result = reader.read(first_sample, frames as usize * channels, buf);
                    result.map_err(|e| self.io_error(&segment.path, e))?;
                }
                self.pos += frames;
                shared.frames_read.store(self.pos, Ordering::Release);
                return Ok(true);
            }
            let state = shared.lock();
            if shared.finished.load(Ordering::Acquire)
                && self.pos >= shared.frames_written.load(Ordering::Acquire)
            {
                if let Some((path, kind, message)) = &state.io_error {
                    let path = path.clone();
                    let e = std::io::Error::new(*kind, message.clone());
                    drop(state);
                    return Err(self.io_error(&path, e));
                }
                return Ok(false);
            }
            if self.pos >= shared.frames_written.load(Ordering::Acquire) {
                let _ = shared
                    .cond
                    .wait_timeout(state, Duration::from_millis(200))
                    .unwrap_or_else(|e| e.into_inner());
            }
        }
    }

    fn start_utc(&self) -> Option<DateTime<Utc>> {
        Some(self.capture.start_utc())
    }

    fn take_warnings(&mut self) -> Vec<String> {
        self.capture.shared.lock().warnings.drain(..).collect()
    }
}
