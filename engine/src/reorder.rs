//! Puts utterances back in start-time order.
//!
//! Workers finish windows out of order, and several tracks run side by side.
//! [`Reorder`] holds finished windows until nothing earlier can still
//! arrive, then releases their utterances one by one, strictly by start time,
//! as soon as everything before them is done.

use std::collections::{BTreeMap, VecDeque};

use crate::transcriber::Draft;

#[derive(Debug, Default)]
struct TrackQueue {
    /// Dispatched windows by sequence number: start time, and the drafts once done.
    pending: BTreeMap<u64, (f64, Option<VecDeque<Draft>>)>,
    /// No window of this track will start before this time (seconds).
    watermark: f64,
    done: bool,
}

/// What the front of one track looks like to the merger.
enum Front {
    /// A finished utterance is ready, starting at this time.
    Ready(f64),
    /// Nothing before this time can be released from this track yet.
    Blocked(f64),
    /// The track has nothing more.
    Exhausted,
}

/// Orders the drafts of all tracks by start time.
#[derive(Debug)]
pub struct Reorder {
    tracks: Vec<TrackQueue>,
}

impl Reorder {
    /// A merger for `tracks` tracks.
    pub fn new(tracks: usize) -> Self {
        Self {
            tracks: (0..tracks).map(|_| TrackQueue::default()).collect(),
        }
    }

    /// A window starting at `start` was sent to the workers.
    pub fn dispatched(&mut self, track: usize, seq: u64, start: f64) {
        self.tracks[track].pending.insert(seq, (start, None));
    }

    /// A window's drafts are ready (in time order).
    pub fn completed(&mut self, track: usize, seq: u64, drafts: Vec<Draft>) {
        let q = &mut self.tracks[track];
        match q.pending.get_mut(&seq) {
            Some(entry) => entry.1 = Some(drafts.into()),
            None => {
                q.pending
                    .insert(seq, (f64::NEG_INFINITY, Some(drafts.into())));
            }
        }
    }

    /// No window of `track` will start before `time` any more.
    pub fn watermark(&mut self, track: usize, time: f64) {
        let q = &mut self.tracks[track];
        q.watermark = q.watermark.max(time);
    }

    /// `track` will dispatch nothing more.
    pub fn track_done(&mut self, track: usize) {
        self.tracks[track].done = true;
    }

    fn front(&mut self, track: usize) -> Front {
        let q = &mut self.tracks[track];
        loop {
            let Some(mut entry) = q.pending.first_entry() else {
                return if q.done {
                    Front::Exhausted
                } else {
                    Front::Blocked(q.watermark)
                };
            };
            let (start, drafts) = entry.get_mut();
            match drafts {
                None => return Front::Blocked(*start),
                Some(d) => match d.front() {
                    Some(first) => return Front::Ready(first.start),
                    None => {
                        entry.remove();
                    }
                },
            }
        }
    }

    /// The next utterance in start-time order, if it can be released now.
    pub fn pop(&mut self) -> Option<(usize, Draft)> {
        let mut best_ready: Option<(usize, f64)> = None;
        let mut lowest_block = f64::INFINITY;
        for t in 0..self.tracks.len() {
            match self.front(t) {
                Front::Ready(s) => {
                    if best_ready.is_none_or(|(_, b)| s < b) {
                        best_ready = Some((t, s));
                    }
                }
                Front::Blocked(s) => lowest_block = lowest_block.min(s),
                Front::Exhausted => {}
            }
        }
        let (track, start) = best_ready?;
        if start > lowest_block {
            return None;
        }
        let q = &mut self.tracks[track];
        let mut entry = q.pending.first_entry()?;
        entry.get_mut().1.as_mut()?.pop_front().map(|d| (track, d))
    }

    /// Seconds up to which every track's output has been released.
    pub fn released_until(&mut self) -> f64 {
        let mut t = f64::INFINITY;
        for i in 0..self.tracks.len() {
            match self.front(i) {
                Front::Ready(s) | Front::Blocked(s) => t = t.min(s),
                Front::Exhausted => {}
            }
        }
        t
    }

    /// True when every track is done and everything was released.
    pub fn is_finished(&mut self) -> bool {
        (0..self.tracks.len()).all(|t| matches!(self.front(t), Front::Exhausted))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(start: f64) -> Draft {
        Draft {
            start,
            end: start + 1.0,
            text: format!("at {start}"),
            words: vec![],
            avg_logprob: 0.0,
            no_speech_prob: 0.0,
        }
    }

    fn drain(r: &mut Reorder) -> Vec<(usize, f64)> {
        std::iter::from_fn(|| r.pop())
            .map(|(t, d)| (t, d.start))
            .collect()
    }

    #[test]
    fn out_of_order_windows_released_in_order() {
        let mut r = Reorder::new(1);
        r.dispatched(0, 0, 0.0);
        r.dispatched(0, 1, 30.0);
        r.completed(0, 1, vec![d(31.0)]);
        assert!(drain(&mut r).is_empty(), "window 0 still running");
        r.completed(0, 0, vec![d(1.0), d(5.0)]);
        assert_eq!(drain(&mut r), vec![(0, 1.0), (0, 5.0), (0, 31.0)]);
        r.track_done(0);
        assert!(r.is_finished());
    }

    #[test]
    fn tracks_interleave_by_start_time() {
        let mut r = Reorder::new(2);
        r.dispatched(0, 0, 0.0);
        r.completed(0, 0, vec![d(1.0), d(10.0)]);
        // Track 1 has not said how far it got: nothing after its watermark (0) is safe.
        assert!(drain(&mut r).is_empty());
        r.watermark(1, 4.0);
        assert_eq!(drain(&mut r), vec![(0, 1.0)]);
        r.dispatched(1, 0, 5.0);
        r.completed(1, 0, vec![d(5.0)]);
        r.track_done(1);
        assert_eq!(drain(&mut r), vec![(1, 5.0), (0, 10.0)]);
        r.track_done(0);
        assert!(r.is_finished());
    }

    #[test]
    fn empty_windows_are_skipped() {
        let mut r = Reorder::new(1);
        r.dispatched(0, 0, 0.0);
        r.dispatched(0, 1, 3.0);
        r.completed(0, 0, vec![]);
        r.completed(0, 1, vec![d(3.5)]);
        r.track_done(0);
        assert_eq!(drain(&mut r), vec![(0, 3.5)]);
        assert!(r.is_finished());
    }
}
