//! The spool thread: drains the ring buffers into the WAV spool, syncs it on
//! schedule, keeps the timeline whole, and publishes progress to readers.
//!
//! It never waits on the transcription side: the live source reads the
//! spool file behind it at its own pace, so a slow pipeline only grows the
//! backlog (frames spooled but not yet read), never drops audio.
//! Lost stretches (device gone and back, ring overruns) are filled with
//! silence and logged as gaps, so offsets in the file stay wall-clock true.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use crossbeam_channel::{Receiver, RecvTimeoutError};

use super::callback::SessionCounters;
use super::log::{CaptureEnd, CaptureLog, Gap, SegmentLog};
use super::stop::StopHandle;
use super::stream::ToSpool;
use super::wav::{max_data_bytes, SpoolEncoding, WavWriter};

/// How often the spool thread wakes to drain the ring.
const POLL: Duration = Duration::from_millis(10);
/// How long to wait for a closed stream's last samples after the device
/// thread is done (its ring producer should already be gone).
const DRAIN_GRACE: Duration = Duration::from_secs(2);

/// One spool file as readers see it.
#[derive(Debug, Clone)]
pub(crate) struct Segment {
    pub path: PathBuf,
    pub first_frame: u64,
    pub frames: u64,
}

/// What the spool thread shares with the live source and monitors.
#[derive(Debug, Default)]
pub(crate) struct SpoolState {
    /// Spool files so far; the last one is being written.
    pub segments: Vec<Segment>,
    /// Warnings not yet taken by the live source.
    pub warnings: VecDeque<String>,
    /// Set once the spool is closed.
    pub final_log: Option<CaptureLog>,
    /// The spool write error that ended the capture, if any.
    pub io_error: Option<(PathBuf, std::io::ErrorKind, String)>,
}

/// Progress counters plus the state behind a lock; readers wait on `cond`.
#[derive(Debug, Default)]
pub(crate) struct Shared {
    pub state: Mutex<SpoolState>,
    pub cond: Condvar,
    /// Frames written to the spool and visible to readers of the file.
    pub frames_written: AtomicU64,
    /// Frames covered by the WAV header as of the last sync.
    pub frames_synced: AtomicU64,
    /// Frames the live source has read.
    pub frames_read: AtomicU64,
    /// Frames dropped because the ring was full.
    pub overrun_frames: AtomicU64,
    /// Overruns the device reported.
    pub xruns: AtomicU64,
    /// Nanoseconds from stream start to first audio (0: none yet).
    pub first_audio_nanos: AtomicU64,
    /// The device is lost and being reopened.
    pub reconnecting: AtomicBool,
    /// The spool is closed: no more frames will be written.
    pub finished: AtomicBool,
}

impl Shared {
    /// Locks the state, recovering from a poisoned lock (the data is still
    /// consistent: every update is a single assignment).
    pub fn lock(&self) -> std::sync::MutexGuard<'_, SpoolState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Settings for the spool thread.
pub(crate) struct SpoolPlan {
    pub sync_every: Duration,
    pub max_frames: Option<u64>,
    pub max_segment_bytes: u64,
}

/// A session's ring as the spool drains it.
struct Drain {
    ring: rtrb::Consumer<f32>,
    counters: Arc<SessionCounters>,
    started: Instant,
    dropped_seen: u64,
    xruns_seen: u64,
    begun: bool,
    /// The device thread closed this session (its stream may still exist
    /// if closing hung, but it delivers nothing more).
    closed: bool,
    /// Why the timeline broke before this session (a previous loss).
    gap_reason: Option<String>,
}

impl Drain {
    /// Closed and emptied: nothing more will come from this session.
    fn finished(&self) -> bool {
        (self.closed || self.ring.is_abandoned()) && self.ring.is_empty()
    }
}

/// The spool thread's state.
pub(crate) struct Spooler {
    shared: Arc<Shared>,
    rx: Receiver<ToSpool>,
    stop: StopHandle,
    plan: SpoolPlan,
    writer: WavWriter,
    encoding: SpoolEncoding,
    base_path: PathBuf,
    log: CaptureLog,
    log_path: PathBuf,
    rate: u32,
    channels: usize,
    segment_limit: u64,
    sessions: VecDeque<Drain>,
    timeline_start: Option<Instant>,
    frames: u64,
    limit_hit: bool,
    unresolved_loss: Option<String>,
    last_sync: Instant,
    dirty: bool,
    scratch: Vec<f32>,
}

impl Spooler {
    /// Prepares the spool thread around an already created first segment.
    pub fn new(
        shared: Arc<Shared>,
        rx: Receiver<ToSpool>,
        stop: StopHandle,
        plan: SpoolPlan,
        writer: WavWriter,
        log: CaptureLog,
        log_path: PathBuf,
    ) -> Self {
        let (encoding, channels) = (writer.encoding(), writer.channels());
        let segment_limit = plan
            .max_segment_bytes
            .min(max_data_bytes(encoding, channels));
        let frame_bytes = encoding.sample_bytes() * u64::from(channels.max(1));
        let segment_limit = (segment_limit / frame_bytes).max(1) * frame_bytes;
        let base_path = writer.path().to_path_buf();
        shared.lock().segments.push(Segment {
            path: base_path.clone(),
            first_frame: 0,
            frames: 0,
        });
        Spooler {
            rate: log.sample_rate,
            channels: usize::from(channels.max(1)),
            shared,
            rx,
            stop,
            plan,
            writer,
            encoding,
            base_path,
            log,
            log_path,
            segment_limit,
            sessions: VecDeque::new(),
            timeline_start: None,
            frames: 0,
            limit_hit: false,
            unresolved_loss: None,
            last_sync: Instant::now(),
            dirty: false,
            scratch: Vec::new(),
        }
    }

    /// Runs until the device thread is done and every ring is drained, then
    /// closes the spool (final header, fsync, log).
    pub fn run(mut self) {
        let _ = self.log.write(&self.log_path, true);
        let end = match self.main_loop() {
            Ok(end) => end,
            Err(e) => {
                let path = self.writer.path().to_path_buf();
                self.warn(format!(
                    "{}: spool write failed ({e}); capture stopped, audio up to {:.1} s is kept",
                    path.display(),
                    self.shared.frames_synced.load(Ordering::Acquire) as f64 / f64::from(self.rate)
                ));
                self.shared.lock().io_error = Some((path, e.kind(), e.to_string()));
                self.stop.stop();
                CaptureEnd::SpoolFailed(e.to_string())
            }
        };
        self.finalize(end);
    }

    fn main_loop(&mut self) -> std::io::Result<CaptureEnd> {
        let mut done_at: Option<Instant> = None;
        let mut lost_for_good: Option<String> = None;
        loop {
            if done_at.is_none() {
                match self.rx.recv_timeout(POLL) {
                    Ok(ToSpool::Session {
                        ring,
                        counters,
                        started,
                    }) => {
                        self.shared.reconnecting.store(false, Ordering::Release);
                        let gap_reason = self.unresolved_loss.take();
                        self.sessions.push_back(Drain {
                            ring,
                            counters,
                            started,
                            dropped_seen: 0,
                            xruns_seen: 0,
                            begun: false,
                            closed: false,
                            gap_reason,
                        });
                    }
                    Ok(ToSpool::Lost {
                        reason,
                        reconnecting,
                    }) => {
                        self.close_last_session();
                        let at = self.frames as f64 / f64::from(self.rate);
                        let next = if reconnecting {
                            "trying to reconnect".to_string()
                        } else {
                            format!(
                                "the recording so far is kept in {}",
                                self.base_path.display()
                            )
                        };
                        self.warn(format!(
                            "capture device '{}' lost at {at:.1} s ({reason}); {next}",
                            self.log.device
                        ));
                        self.shared
                            .reconnecting
                            .store(reconnecting, Ordering::Release);
                        if !reconnecting {
                            lost_for_good = Some(reason.clone());
                        }
                        self.unresolved_loss = Some(reason);
                    }
                    Ok(ToSpool::Done) | Err(RecvTimeoutError::Disconnected) => {
                        self.close_last_session();
                        done_at = Some(Instant::now());
                    }
                    Err(RecvTimeoutError::Timeout) => {}
                }
            } else {
                std::thread::sleep(POLL);
            }
            self.drain()?;
            if self.last_sync.elapsed() >= self.plan.sync_every {
                self.sync()?;
            }
            if let Some(t) = done_at {
                if self.all_drained() || t.elapsed() > DRAIN_GRACE {
                    break;
                }
            }
        }
        Ok(if self.limit_hit {
            CaptureEnd::DurationReached
        } else if let Some(reason) = lost_for_good {
            CaptureEnd::DeviceLost(reason)
        } else {
            CaptureEnd::Stopped
        })
    }

    fn all_drained(&self) -> bool {
        self.sessions.iter().all(Drain::finished)
    }

    fn close_last_session(&mut self) {
        if let Some(last) = self.sessions.back_mut() {
            last.closed = true;
        }
    }

    /// Moves everything the rings hold into the spool and publishes it.
    fn drain(&mut self) -> std::io::Result<()> {
        while let Some(front) = self.sessions.front_mut() {
            if !front.begun {
                front.begun = true;
                let started = front.started;
                let reason = front.gap_reason.take();
                match self.timeline_start {
                    None => self.timeline_start = Some(started),
                    Some(t0) => {
                        // Sample 0 of a stream is captured when it starts, so
                        // the new stream's audio belongs at (start - t0).
                        let expected = (started.saturating_duration_since(t0).as_secs_f64()
                            * f64::from(self.rate))
                        .round() as u64;
                        let missing = expected.saturating_sub(self.frames);
                        if missing > 0 {
                            let why = reason.unwrap_or_else(|| "stream restarted".to_string());
                            self.gap(missing, format!("device lost: {why}"))?;
                        }
                    }
                }
            }
            let Some(front) = self.sessions.front_mut() else {
                break;
            };
            let closed = front.closed || front.ring.is_abandoned();
            let readable = front.ring.slots() / self.channels * self.channels;
            let mut scratch = std::mem::take(&mut self.scratch);
            scratch.clear();
            if readable > 0 {
                if let Ok(chunk) = front.ring.read_chunk(readable) {
                    let (a, b) = chunk.as_slices();
                    scratch.extend_from_slice(a);
                    scratch.extend_from_slice(b);
                    chunk.commit_all();
                }
            }
            // Read after the chunk: every drop counted so far happened after
            // the samples just read (the ring was full of them).
            let dropped = front.counters.dropped_frames.load(Ordering::Acquire);
            let new_drops = dropped - front.dropped_seen;
            front.dropped_seen = dropped;
            let xruns = front.counters.xruns.load(Ordering::Relaxed);
            let new_xruns = xruns - front.xruns_seen;
            front.xruns_seen = xruns;
            let first_nanos = front.counters.first_data_nanos.load(Ordering::Relaxed);
            let finished = closed && front.ring.is_empty();
            let more_sessions = self.sessions.len() > 1;

            if first_nanos > 0 && self.shared.first_audio_nanos.load(Ordering::Relaxed) == 0 {
                self.shared
                    .first_audio_nanos
                    .store(first_nanos, Ordering::Relaxed);
                self.log.first_audio_after_seconds = Some(first_nanos as f64 / 1e9);
            }
            let result = self.write_frames(&scratch);
            self.scratch = scratch;
            result?;
            if new_drops > 0 {
                self.shared
                    .overrun_frames
                    .fetch_add(new_drops, Ordering::Relaxed);
                self.log.overrun_frames += new_drops;
                self.gap(new_drops, "ring overrun".to_string())?;
            }
            if new_xruns > 0 {
                self.shared.xruns.fetch_add(new_xruns, Ordering::Relaxed);
                self.log.device_xruns += new_xruns;
            }
            if finished && more_sessions {
                self.sessions.pop_front();
                continue;
            }
            break;
        }
        self.publish()
    }

    /// Fills `frames` frames of lost audio with silence and logs the gap.
    fn gap(&mut self, frames: u64, reason: String) -> std::io::Result<()> {
        let offset = self.frames as f64 / f64::from(self.rate);
        let seconds = frames as f64 / f64::from(self.rate);
        let zeros = vec![0.0f32; 4096 * self.channels];
        let mut left = frames;
        while left > 0 && !self.limit_hit {
            let n = left.min(4096) as usize;
            self.write_frames(&zeros[..n * self.channels])?;
            left -= n as u64;
        }
        if reason != "ring overrun"
            || self.log.gaps.last().map(|g| g.reason.as_str()) != Some("ring overrun")
        {
            self.warn(format!(
                "capture of '{}': {seconds:.2} s gap at {offset:.1} s ({reason}), filled with silence",
                self.log.device
            ));
        }
        self.log.gaps.push(Gap {
            offset_seconds: offset,
            seconds,
            reason,
        });
        Ok(())
    }

    /// Appends whole frames, rolling to a new segment at the size limit and
    /// stopping the capture at the duration limit.
    fn write_frames(&mut self, samples: &[f32]) -> std::io::Result<()> {
        let mut rest = samples;
        while !rest.is_empty() && !self.limit_hit {
            let mut frames = (rest.len() / self.channels) as u64;
            if let Some(max) = self.plan.max_frames {
                frames = frames.min(max.saturating_sub(self.frames));
                if frames == 0 {
                    self.limit_hit = true;
                    self.stop.stop();
                    break;
                }
            }
            let room = (self.segment_limit - self.writer.data_bytes()) / self.frame_bytes();
            if room == 0 {
                self.roll()?;
                continue;
            }
            let n = frames.min(room) as usize * self.channels;
            self.writer.write(&rest[..n])?;
            self.frames += (n / self.channels) as u64;
            self.dirty = true;
            rest = &rest[n..];
            if self.plan.max_frames == Some(self.frames) {
                self.limit_hit = true;
                self.stop.stop();
            }
        }
        Ok(())
    }

    fn frame_bytes(&self) -> u64 {
        self.encoding.sample_bytes() * self.channels as u64
    }

    /// Closes the current segment and opens the next (`NAME.002.wav`, ...).
    fn roll(&mut self) -> std::io::Result<()> {
        self.publish()?;
        self.writer.sync()?;
        let encoding = self.encoding;
        let mut index = self.shared.lock().segments.len() + 1;
        let writer = loop {
            let path = segment_path(&self.base_path, index);
            match WavWriter::create(&path, encoding, self.rate, self.channels as u16) {
                Ok(w) => break w,
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => index += 1,
                Err(e) => return Err(e),
            }
        };
        self.writer = writer;
        let mut state = self.shared.lock();
        state.segments.push(Segment {
            path: self.writer.path().to_path_buf(),
            first_frame: self.frames,
            frames: 0,
        });
        let segments = state.segments.clone();
        drop(state);
        self.log.segments = segments_log(&segments, &self.log_path);
        self.log.write(&self.log_path, false)
    }

    /// Makes written frames visible to readers of the file and wakes them.
    fn publish(&mut self) -> std::io::Result<()> {
        if !self.dirty {
            return Ok(());
        }
        self.writer.flush()?;
        self.dirty = false;
        let mut state = self.shared.lock();
        if let Some(last) = state.segments.last_mut() {
            last.frames = self.frames - last.first_frame;
        }
        self.shared
            .frames_written
            .store(self.frames, Ordering::Release);
        drop(state);
        self.shared.cond.notify_all();
        Ok(())
    }

    /// Syncs the spool (header + fsync) and refreshes the log.
    fn sync(&mut self) -> std::io::Result<()> {
        self.publish()?;
        self.writer.sync()?;
        self.last_sync = Instant::now();
        self.shared
            .frames_synced
            .store(self.frames, Ordering::Release);
        self.refresh_log();
        // The log is advisory; a failure to write it must not stop the capture.
        let _ = self.log.write(&self.log_path, false);
        Ok(())
    }

    fn refresh_log(&mut self) {
        let segments = self.shared.lock().segments.clone();
        self.log.segments = segments_log(&segments, &self.log_path);
        self.log.frames = self.frames;
        self.log.seconds = self.frames as f64 / f64::from(self.rate);
        self.log.synced_frames = self.shared.frames_synced.load(Ordering::Acquire);
    }

    fn warn(&mut self, message: String) {
        self.log.warnings.push(message.clone());
        self.shared.lock().warnings.push_back(message);
    }

    /// Final header and fsync, final log, then wakes every reader.
    fn finalize(mut self, end: CaptureEnd) {
        let _ = self.publish();
        let _ = self.writer.sync();
        self.shared
            .frames_synced
            .store(self.frames, Ordering::Release);
        self.refresh_log();
        self.log.end = Some(end);
        self.log.ended_utc = Some(Utc::now());
        if let Err(e) = self.log.write(&self.log_path, true) {
            let path = self.log_path.display().to_string();
            self.warn(format!("{path}: could not write the capture log ({e})"));
        }
        let mut state = self.shared.lock();
        state.final_log = Some(self.log.clone());
        self.shared.finished.store(true, Ordering::Release);
        drop(state);
        self.shared.cond.notify_all();
    }
}

/// `dir/mic.wav` → `dir/mic.002.wav` for `index` 2.
fn segment_path(base: &Path, index: usize) -> PathBuf {
    let stem = base
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "capture".to_string());
    base.with_file_name(format!("{stem}.{index:03}.wav"))
}

/// Segments as the log lists them (file names relative to the log).
fn segments_log(segments: &[Segment], log_path: &Path) -> Vec<SegmentLog> {
    let dir = log_path.parent();
    segments
        .iter()
        .map(|s| SegmentLog {
            file: match dir {
                Some(d) => s.path.strip_prefix(d).unwrap_or(&s.path),
                None => &s.path,
            }
            .to_string_lossy()
            .into_owned(),
            first_frame: s.first_frame,
            frames: s.frames,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segment_names_count_up_next_to_the_first() {
        assert_eq!(
            segment_path(Path::new("/a/mic.wav"), 2),
            PathBuf::from("/a/mic.002.wav")
        );
    }

    const RATE: u32 = 1000;

    fn test_log() -> CaptureLog {
        CaptureLog {
            track: "t".into(),
            device: "dev".into(),
            host: "test".into(),
            native_format: "i16".into(),
            spool_encoding: SpoolEncoding::Pcm16.name().into(),
            sample_rate: RATE,
            channels: 1,
            started_utc: Utc::now(),
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
        }
    }

    /// Runs a spool thread over a 1 kHz mono capture fed by `feed`, which
    /// gets the channel to the spool; returns the final log and segments.
    fn run_spool(
        max_frames: Option<u64>,
        max_segment_bytes: u64,
        feed: impl FnOnce(&crossbeam_channel::Sender<ToSpool>),
    ) -> (CaptureLog, Vec<Segment>, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mic.wav");
        let writer = WavWriter::create(&path, SpoolEncoding::Pcm16, RATE, 1).unwrap();
        let shared = Arc::new(Shared::default());
        let (tx, rx) = crossbeam_channel::unbounded();
        let spooler = Spooler::new(
            shared.clone(),
            rx,
            StopHandle::new(),
            SpoolPlan {
                sync_every: Duration::from_millis(50),
                max_frames,
                max_segment_bytes,
            },
            writer,
            test_log(),
            CaptureLog::path_for(&path),
        );
        let thread = std::thread::spawn(move || spooler.run());
        feed(&tx);
        drop(tx);
        thread.join().unwrap();
        let state = shared.lock();
        (
            state.final_log.clone().unwrap(),
            state.segments.clone(),
            dir,
        )
    }

    fn session(
        tx: &crossbeam_channel::Sender<ToSpool>,
        started: Instant,
    ) -> (rtrb::Producer<f32>, Arc<SessionCounters>) {
        let (producer, ring) = rtrb::RingBuffer::new(100_000);
        let counters = Arc::new(SessionCounters::new());
        tx.send(ToSpool::Session {
            ring,
            counters: counters.clone(),
            started,
        })
        .unwrap();
        (producer, counters)
    }

    fn read_pcm16(path: &Path) -> Vec<i16> {
        let bytes = std::fs::read(path).unwrap();
        let n = u32::from_le_bytes(bytes[40..44].try_into().unwrap()) as usize;
        bytes[44..44 + n]
            .chunks_exact(2)
            .map(|b| i16::from_le_bytes([b[0], b[1]]))
            .collect()
    }

    #[test]
    fn overrun_frames_become_logged_silence_after_the_audio_before_them() {
        let (log, segments, _dir) = run_spool(None, u64::from(u32::MAX), |tx| {
            let (mut p, counters) = session(tx, Instant::now());
            for _ in 0..100 {
                p.push(0.5).unwrap();
            }
            counters.dropped_frames.store(30, Ordering::Release);
            std::thread::sleep(Duration::from_millis(50));
            for _ in 0..10 {
                p.push(-0.5).unwrap();
            }
            drop(p);
            tx.send(ToSpool::Done).unwrap();
        });
        assert_eq!(log.end, Some(CaptureEnd::Stopped));
        assert_eq!(log.frames, 140);
        assert_eq!(log.overrun_frames, 30);
        assert_eq!(log.gaps.len(), 1);
        assert_eq!(log.gaps[0].offset_seconds, 0.1);
        assert_eq!(log.gaps[0].reason, "ring overrun");
        let samples = read_pcm16(&segments[0].path);
        assert!(samples[..100].iter().all(|&s| s == 16384));
        assert!(samples[100..130].iter().all(|&s| s == 0));
        assert!(samples[130..].iter().all(|&s| s == -16384));
    }

    #[test]
    fn a_reconnected_stream_lands_at_its_wall_clock_offset() {
        let t0 = Instant::now();
        let (log, segments, _dir) = run_spool(None, u64::from(u32::MAX), |tx| {
            let (mut p, _) = session(tx, t0);
            for _ in 0..200 {
                p.push(0.25).unwrap();
            }
            drop(p);
            tx.send(ToSpool::Lost {
                reason: "unplugged".into(),
                reconnecting: true,
            })
            .unwrap();
            // Back 1.5 s after the first stream started: 1.3 s of gap.
            let (mut p, _) = session(tx, t0 + Duration::from_millis(1500));
            for _ in 0..100 {
                p.push(0.25).unwrap();
            }
            drop(p);
            tx.send(ToSpool::Done).unwrap();
        });
        assert_eq!(log.end, Some(CaptureEnd::Stopped));
        assert_eq!(log.frames, 1600);
        assert_eq!(log.gaps.len(), 1);
        assert_eq!(log.gaps[0].offset_seconds, 0.2);
        assert!((log.gaps[0].seconds - 1.3).abs() < 1e-9);
        assert_eq!(log.gaps[0].reason, "device lost: unplugged");
        let samples = read_pcm16(&segments[0].path);
        assert_eq!(samples.len(), 1600);
        assert!(samples[200..1500].iter().all(|&s| s == 0));
        assert!(samples[1500..].iter().all(|&s| s == 8192));
    }

    #[test]
    fn loss_without_reconnect_ends_as_device_lost() {
        let (log, _, _dir) = run_spool(None, u64::from(u32::MAX), |tx| {
            let (mut p, _) = session(tx, Instant::now());
            p.push(0.1).unwrap();
            tx.send(ToSpool::Lost {
                reason: "server gone".into(),
                reconnecting: false,
            })
            .unwrap();
            // The hung stream never dropped its producer: the spool must
            // finish anyway.
            tx.send(ToSpool::Done).unwrap();
            std::mem::forget(p);
        });
        assert_eq!(log.end, Some(CaptureEnd::DeviceLost("server gone".into())));
        assert_eq!(log.frames, 1);
        assert!(
            log.warnings[0].contains("server gone"),
            "{:?}",
            log.warnings
        );
    }

    #[test]
    fn segments_roll_over_and_the_duration_limit_is_exact() {
        // 64 KiB segments of 16-bit mono: 32768 frames each.
        let (log, segments, _dir) = run_spool(Some(70_000), 1 << 16, |tx| {
            let (mut p, _) = session(tx, Instant::now());
            let mut n = 0u32;
            while n < 80_000 {
                if p.push((n % 100) as f32 / 128.0).is_ok() {
                    n += 1;
                } else {
                    std::thread::sleep(Duration::from_millis(5));
                }
            }
            drop(p);
            tx.send(ToSpool::Done).unwrap();
        });
        assert_eq!(log.end, Some(CaptureEnd::DurationReached));
        assert_eq!(log.frames, 70_000);
        assert_eq!(segments.len(), 3);
        assert_eq!(
            log.segments
                .iter()
                .map(|s| s.file.as_str())
                .collect::<Vec<_>>(),
            ["mic.wav", "mic.002.wav", "mic.003.wav"]
        );
        let mut all = Vec::new();
        for s in &segments {
            let samples = read_pcm16(&s.path);
            assert_eq!(samples.len() as u64, s.frames);
            all.extend(samples);
        }
        assert_eq!(all.len(), 70_000);
        for (i, &s) in all.iter().enumerate() {
            let want = ((i % 100) as f32 / 128.0 * 32768.0).round() as i16;
            assert_eq!(s, want, "frame {i}");
        }
    }
}
