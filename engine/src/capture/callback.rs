//! The real-time side: what runs inside the audio callback.
//!
//! The data callback converts the device's samples to `f32` straight into a
//! pre-allocated `rtrb` ring buffer and bumps atomic counters: it never
//! blocks, never allocates and never makes a system call. When the ring is
//! full (the spool thread stalled for seconds) the frames that do not fit are
//! counted as overruns; the spool thread fills them with silence so the
//! timeline stays right.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use cpal::{FromSample, Sample};
use rtrb::Producer;

/// Counters one open stream (a "session") shares between its callbacks, the
/// device thread and the spool thread.
#[derive(Debug)]
pub(crate) struct SessionCounters {
    /// When the stream was requested: the zero of `first_data_nanos`.
    pub opened: Instant,
    /// Frames the callback received from the device.
    pub frames_in: AtomicU64,
    /// Frames that did not fit in the ring and were dropped there.
    pub dropped_frames: AtomicU64,
    /// Nanoseconds after `opened` of the first callback with data (0: none yet).
    pub first_data_nanos: AtomicU64,
    /// Overruns/underruns the device reported through the error callback.
    pub xruns: AtomicU64,
    /// Non-fatal errors the device reported.
    pub errors: AtomicU64,
    /// Set when the stream is gone for good (device unplugged, server died).
    pub fatal: AtomicBool,
    /// What the audio system said about the fatal error.
    pub fatal_message: Mutex<Option<String>>,
}

impl SessionCounters {
    /// Fresh counters for a stream started now.
    pub fn new() -> Self {
        SessionCounters {
            opened: Instant::now(),
            frames_in: AtomicU64::new(0),
            dropped_frames: AtomicU64::new(0),
            first_data_nanos: AtomicU64::new(0),
            xruns: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            fatal: AtomicBool::new(false),
            fatal_message: Mutex::new(None),
        }
    }

    /// The error callback: counts xruns, flags stream loss. Runs on an audio
    /// thread, so it only touches atomics, except for keeping the message of
    /// a fatal error (the stream is over then), without waiting on the lock.
    pub fn on_error(&self, err: cpal::Error) {
        use cpal::ErrorKind as K;
        match err.kind() {
            K::Xrun => {
                self.xruns.fetch_add(1, Ordering::Relaxed);
            }
            K::DeviceNotAvailable | K::StreamInvalidated | K::HostUnavailable => {
                if let Ok(mut slot) = self.fatal_message.try_lock() {
                    if slot.is_none() {
                        *slot = Some(err.to_string());
                    }
                }
                self.fatal.store(true, Ordering::Release);
            }
            _ => {
                self.errors.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// The fatal error's message, if the stream was lost.
    pub fn fatal_reason(&self) -> Option<String> {
        if !self.fatal.load(Ordering::Acquire) {
            return None;
        }
        let message = self
            .fatal_message
            .lock()
            .ok()
            .and_then(|m| m.clone())
            .unwrap_or_else(|| "the audio system reported the device gone".to_string());
        Some(message)
    }
}

/// The data callback body: pushes `data` (interleaved, `channels` per frame)
/// into the ring as `f32`, whole frames only, and counts what did not fit.
pub(crate) fn push_block<T>(
    data: &[T],
    channels: usize,
    ring: &mut Producer<f32>,
    counters: &SessionCounters,
) where
    T: Sample,
    f32: FromSample<T>,
{
    let channels = channels.max(1);
    let frames = data.len() / channels;
    if frames == 0 {
        return;
    }
    if counters.first_data_nanos.load(Ordering::Relaxed) == 0 {
        let nanos = counters
            .opened
            .elapsed()
            .as_nanos()
            .clamp(1, u64::MAX as u128) as u64;
        counters.first_data_nanos.store(nanos, Ordering::Relaxed);
    }
    let fit_frames = (ring.slots() / channels).min(frames);
    let n = fit_frames * channels;
    if n > 0 {
        if let Ok(chunk) = ring.write_chunk_uninit(n) {
            chunk.fill_from_iter(data[..n].iter().map(|&s| f32::from_sample(s)));
        }
    }
    counters
        .frames_in
        .fetch_add(frames as u64, Ordering::Release);
    if fit_frames < frames {
        counters
            .dropped_frames
            .fetch_add((frames - fit_frames) as u64, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_to_f32_and_counts_what_does_not_fit() {
        let (mut prod, mut cons) = rtrb::RingBuffer::<f32>::new(6);
        let counters = SessionCounters::new();
        let data: [i16; 8] = [0, 16384, -32768, 32767, 1, 2, 3, 4];
        push_block(&data, 2, &mut prod, &counters);
        // 3 frames fit (6 slots), 1 frame dropped.
        assert_eq!(counters.frames_in.load(Ordering::Relaxed), 4);
        assert_eq!(counters.dropped_frames.load(Ordering::Relaxed), 1);
        let chunk = cons.read_chunk(6).unwrap();
        let (a, b) = chunk.as_slices();
        let got: Vec<f32> = a.iter().chain(b).copied().collect();
        assert_eq!(got[0], 0.0);
        assert_eq!(got[1], 0.5);
        assert_eq!(got[2], -1.0);
        assert!(got[3] > 0.9999);
        assert!(counters.first_data_nanos.load(Ordering::Relaxed) > 0);
    }

    #[test]
    fn fatal_errors_keep_their_message() {
        let counters = SessionCounters::new();
        counters.on_error(cpal::Error::new(cpal::ErrorKind::Xrun));
        assert_eq!(counters.xruns.load(Ordering::Relaxed), 1);
        assert!(counters.fatal_reason().is_none());
        counters.on_error(cpal::Error::with_message(
            cpal::ErrorKind::StreamInvalidated,
            "PulseAudio disconnected",
        ));
        assert_eq!(
            counters.fatal_reason().as_deref(),
            Some("PulseAudio disconnected")
        );
    }
}
