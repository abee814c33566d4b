//! Stopping a live capture after a stretch without speech: a sink that
//! notes where the last utterance ended, and a watcher that compares it
//! with how much has been captured.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use crate::{Partial, RecordingInfo, Sink, Summary, Utterance};

/// How often the watcher looks.
const POLL: Duration = Duration::from_millis(200);

/// Where the last speech ended, in seconds of the recording; shared
/// between a [`SpeechClock`] and a [`SilenceWatcher`].
#[derive(Debug, Clone, Default)]
pub struct LastSpeech(Arc<AtomicU64>);

impl LastSpeech {
    /// Where the last speech heard so far ended (0 before any).
    pub fn seconds(&self) -> f64 {
        self.0.load(Ordering::Relaxed) as f64 / 1000.0
    }

    /// Notes speech ending at `end` seconds (never moves back).
    pub fn note(&self, end: f64) {
        self.0
            .fetch_max((end.max(0.0) * 1000.0) as u64, Ordering::Relaxed);
    }
}

/// Passes everything on to the sink inside and notes where each final
/// utterance ended in a [`LastSpeech`].
#[derive(Debug)]
pub struct SpeechClock<S> {
    inner: S,
    last: LastSpeech,
}

impl<S> SpeechClock<S> {
    /// Wraps `inner`, noting speech into `last`.
    pub fn new(inner: S, last: LastSpeech) -> Self {
        Self { inner, last }
    }
}

impl<S: Sink> Sink for SpeechClock<S> {
    type Error = S::Error;
    fn begin(&mut self, info: &RecordingInfo) -> Result<(), Self::Error> {
        self.inner.begin(info)
    }
    fn utterance(&mut self, u: &Utterance) -> Result<bool, Self::Error> {
        self.last.note(u.end);
        self.inner.utterance(u)
    }
    fn partial(&mut self, p: &Partial) -> Result<bool, Self::Error> {
        self.inner.partial(p)
    }
    fn finish(&mut self, s: &Summary) -> Result<(), Self::Error> {
        self.inner.finish(s)
    }
}

/// Whether `silence` has passed since speech last ended, with `captured`
/// seconds recorded and speech ending at `spoke`.
pub fn silence_reached(captured: f64, spoke: f64, silence: f64) -> bool {
    captured - spoke >= silence
}

/// A thread that calls `on_silence` once, as soon as `silence` seconds have
/// been captured since the last speech, and then ends.
#[derive(Debug)]
pub struct SilenceWatcher {
    handle: JoinHandle<()>,
}

impl SilenceWatcher {
    /// Starts watching: `captured` says how many seconds have been captured
    /// (the longest track), `last` where speech last ended.
    pub fn spawn(
        silence: f64,
        last: LastSpeech,
        captured: impl Fn() -> f64 + Send + 'static,
        on_silence: impl FnOnce() + Send + 'static,
    ) -> Self {
        let handle = std::thread::spawn(move || loop {
            std::thread::sleep(POLL);
            if silence_reached(captured(), last.seconds(), silence) {
                on_silence();
                return;
            }
        });
        Self { handle }
    }

    /// Whether the watcher has fired (and ended).
    pub fn is_finished(&self) -> bool {
        self.handle.is_finished()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::VecSink;
    use std::sync::atomic::AtomicBool;
    use std::time::Instant;

    fn utterance(end: f64) -> Utterance {
        Utterance {
            id: 0,
            track: "mic".into(),
            speaker: None,
            start: 0.0,
            end,
            wall_start: None,
            text: "hello".into(),
            words: Vec::new(),
            avg_logprob: 0.0,
            no_speech_prob: 0.0,
        }
    }

    #[test]
    fn the_clock_notes_the_latest_end_and_passes_on() {
        let last = LastSpeech::default();
        let mut sink = SpeechClock::new(VecSink::default(), last.clone());
        assert!(sink.utterance(&utterance(2.5)).unwrap());
        assert!(sink.utterance(&utterance(1.0)).unwrap());
        assert_eq!(last.seconds(), 2.5);
        assert_eq!(sink.inner.utterances.len(), 2);
    }

    #[test]
    fn silence_is_measured_from_the_last_speech() {
        assert!(!silence_reached(4.0, 2.0, 3.0));
        assert!(silence_reached(5.0, 2.0, 3.0));
        assert!(silence_reached(3.0, 0.0, 3.0));
    }

    #[test]
    fn the_watcher_fires_once_silence_has_passed() {
        let last = LastSpeech::default();
        last.note(1.0);
        let captured = Arc::new(AtomicU64::new(1000));
        let fired = Arc::new(AtomicBool::new(false));
        let (c, f) = (Arc::clone(&captured), Arc::clone(&fired));
        let w = SilenceWatcher::spawn(
            2.0,
            last,
            move || c.load(Ordering::Relaxed) as f64 / 1000.0,
            move || f.store(true, Ordering::Relaxed),
        );
        std::thread::sleep(Duration::from_millis(500));
        assert!(!fired.load(Ordering::Relaxed), "fired during speech");
        captured.store(3000, Ordering::Relaxed);
        let deadline = Instant::now() + Duration::from_secs(5);
        while !w.is_finished() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(fired.load(Ordering::Relaxed));
        assert!(w.is_finished());
    }
}
