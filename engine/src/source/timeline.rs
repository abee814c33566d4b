//! Keeping decoded audio at its true time across lost packets.
//!
//! Each decoded packet carries the container's timestamp. While packets
//! follow one another, the timestamp runs a fixed small distance ahead of
//! or behind the count of frames handed out (decoder delay, pre-skip);
//! when packets are lost — they failed to decode, or the demuxer skipped
//! damaged bytes — the next good packet's timestamp jumps ahead by what was
//! lost. [`Timeline`] notices the jump and says how much silence to insert
//! before that packet so that it, and everything after it, lands at its
//! true time.

/// A stretch that could not be decoded and was filled with silence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Gap {
    /// Output frame where the gap starts.
    pub at: u64,
    /// Frames of silence inserted.
    pub frames: u64,
}

/// Tracks packet times against frames handed out; see the module docs.
#[derive(Debug, Clone)]
pub(crate) struct Timeline {
    /// Jumps up to this many frames are absorbed, not filled (timestamp
    /// rounding, block-size jitter, a single lost packet).
    tolerance: u64,
    /// Frames handed out so far, silence included.
    position: u64,
    /// Packet time minus position, as it stands while nothing is lost.
    reference: Option<i64>,
    /// Good packets seen; the reference follows small moves during the
    /// first few (decoder start-up).
    settled: u32,
    /// Time of the first packet lost before any decoded.
    lost_before_start: Option<i64>,
    /// Whether a packet was lost since the last one decoded: then a jump
    /// is known to be a loss, and filled from a much smaller size.
    lost_pending: bool,
    /// Frames the whole stream may span at most (stated length plus
    /// slack); a jump beyond it is a damaged timestamp, not a gap.
    limit: u64,
    /// Longest gap filled (for streams that state no length).
    max_gap: u64,
}

/// Good packets after which the reference stops following small moves.
const SETTLE_PACKETS: u32 = 3;

impl Timeline {
    /// A timeline at `rate` frames per second, without bounds.
    pub(crate) fn new(rate: u32) -> Self {
        Timeline {
            // 60 ms: above the jitter of every codec we read (Vorbis
            // block switches reach about 30 ms), below anything audible
            // in a transcript's timing.
            tolerance: u64::from(rate) * 6 / 100,
            position: 0,
            reference: None,
            settled: 0,
            lost_before_start: None,
            lost_pending: false,
            limit: u64::MAX,
            max_gap: u64::MAX,
        }
    }

    /// Bounds what a jump may be before it is taken as a damaged timestamp:
    /// the stream spans at most `limit` frames, and no gap is longer than
    /// `max_gap` frames.
    pub(crate) fn set_bounds(&mut self, limit: u64, max_gap: u64) {
        self.limit = limit;
        self.max_gap = max_gap;
    }

    /// Frames handed out so far, silence included.
    #[cfg(test)]
    pub(crate) fn position(&self) -> u64 {
        self.position
    }

    /// Notes a packet that was lost (failed to decode) at packet time `at`
    /// (in output frames), when known.
    pub(crate) fn lost(&mut self, at: Option<i64>) {
        self.lost_pending = true;
        if self.reference.is_none() && self.lost_before_start.is_none() {
            self.lost_before_start = at;
        }
    }

    /// A packet at time `at` (output frames; `None` when the container
    /// gives none) decoded to `frames` frames. Returns the silence to hand
    /// out before them, if any, and advances past both.
    pub(crate) fn decoded(&mut self, at: Option<i64>, frames: u64) -> Option<Gap> {
        let gap = at.and_then(|at| self.place(at));
        self.lost_pending = false;
        if let Some(g) = gap {
            self.position += g.frames;
        }
        self.position += frames;
        gap
    }

    fn place(&mut self, at: i64) -> Option<Gap> {
        let position = i64::try_from(self.position).ok()?;
        let lead = at.checked_sub(position)?;
        let reference = match self.reference {
            Some(r) => r,
            None => {
                // The first good packet: it starts the timeline, unless
                // packets before it were lost (damage at the very start).
                let start = self.lost_before_start.take().filter(|&l| l < at);
                let Some(lost_at) = start else {
                    self.reference = Some(lead);
                    self.settled = 1;
                    return None;
                };
                self.reference = Some(lost_at - position);
                lost_at - position
            }
        };
        let excess = lead.checked_sub(reference)?;
        // After a known loss, 5 ms: more than timestamp rounding, less
        // than any packet.
        let tolerance = if self.lost_pending {
            self.tolerance / 12
        } else {
            self.tolerance
        };
        let tolerance = i64::try_from(tolerance).unwrap_or(i64::MAX);
        if excess > tolerance {
            let frames = excess.unsigned_abs();
            if frames <= self.max_gap && self.position.saturating_add(frames) <= self.limit {
                self.settled = self.settled.max(SETTLE_PACKETS);
                return Some(Gap {
                    at: self.position,
                    frames,
                });
            }
            // A timestamp no stream of this length can have: damaged.
            // Follow it rather than fill, so the next packets compare
            // against it.
            self.reference = Some(lead);
            return None;
        }
        if self.settled < SETTLE_PACKETS || excess < -tolerance {
            // Still starting up, or the output ran ahead of the
            // timestamps (nothing can be taken back): follow.
            self.reference = Some(lead);
        }
        self.settled = self.settled.saturating_add(1);
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RATE: u32 = 16_000;

    /// Feeds packets of `len` frames at times `t0 + i·len`, skipping the
    /// indices in `lost`, and returns the gaps and the position at which
    /// every packet's frames were placed.
    fn run(
        t0: i64,
        len: u64,
        n: u64,
        lost: &[u64],
        jitter: &dyn Fn(u64) -> i64,
    ) -> (Vec<Gap>, Vec<(u64, u64)>) {
        let mut tl = Timeline::new(RATE);
        let mut gaps = Vec::new();
        let mut placed = Vec::new();
        for i in 0..n {
            let at = t0 + (i * len) as i64 + jitter(i);
            if lost.contains(&i) {
                tl.lost(Some(at));
                continue;
            }
            if let Some(g) = tl.decoded(Some(at), 0) {
                gaps.push(g);
            }
            placed.push((i, tl.position()));
            tl.position += len;
        }
        (gaps, placed)
    }

    #[test]
    fn a_clean_stream_has_no_gaps() {
        let (gaps, placed) = run(0, 1024, 500, &[], &|_| 0);
        assert!(gaps.is_empty());
        assert_eq!(placed[499], (499, 499 * 1024));
        // A start-up offset (mp3 decoder delay, Opus pre-skip) and
        // timestamp rounding to the millisecond are absorbed.
        let (gaps, _) = run(-1105, 576, 500, &[], &|i| (i % 3) as i64 * 8 - 8);
        assert!(gaps.is_empty(), "{gaps:?}");
    }

    #[test]
    fn lost_packets_become_silence_and_later_packets_keep_their_time() {
        // 40 packets (2.56 s) lost in the middle.
        let lost: Vec<u64> = (100..140).collect();
        let (gaps, placed) = run(0, 1024, 300, &lost, &|_| 0);
        assert_eq!(
            gaps,
            vec![Gap {
                at: 100 * 1024,
                frames: 40 * 1024
            }]
        );
        for &(i, at) in &placed {
            assert_eq!(at, i * 1024, "packet {i} misplaced");
        }
    }

    #[test]
    fn a_single_lost_packet_is_filled() {
        // One 20 ms packet lost every 50, each known to be lost: filled.
        let lost: Vec<u64> = (1..20).map(|k| k * 50).collect();
        let (gaps, placed) = run(0, 320, 1000, &lost, &|_| 0);
        assert_eq!(gaps.len(), 19);
        for &(i, at) in &placed {
            assert_eq!(at, i * 320, "packet {i} misplaced");
        }
    }

    #[test]
    fn small_unseen_losses_add_up_until_they_are_filled() {
        // One 20 ms packet missing every 50 without a decode error (the
        // demuxer dropped it): each is below the tolerance, but the drift
        // never exceeds it.
        let missing: Vec<u64> = (1..20).map(|k| k * 50).collect();
        let mut tl = Timeline::new(RATE);
        let mut placed = Vec::new();
        for i in (0..1000u64).filter(|i| !missing.contains(i)) {
            tl.decoded(Some((i * 320) as i64), 0);
            placed.push((i, tl.position()));
            tl.position += 320;
        }
        let tolerance = RATE as i64 * 6 / 100;
        for &(i, at) in &placed {
            let drift = (i * 320) as i64 - at as i64;
            assert!(
                drift >= 0 && drift <= tolerance,
                "packet {i}: drift {drift}"
            );
        }
    }

    #[test]
    fn damage_at_the_start_is_placed_from_the_first_lost_packet() {
        let lost: Vec<u64> = (0..10).collect();
        let (gaps, placed) = run(0, 1024, 50, &lost, &|_| 0);
        assert_eq!(
            gaps,
            vec![Gap {
                at: 0,
                frames: 10 * 1024
            }]
        );
        assert_eq!(placed[0], (10, 10 * 1024));
    }

    #[test]
    fn absurd_timestamps_are_not_filled() {
        let mut tl = Timeline::new(RATE);
        tl.set_bounds(100 * 1024, u64::MAX);
        for i in 0..10 {
            assert_eq!(tl.decoded(Some(i * 1024), 1024), None);
        }
        // A damaged timestamp far past the stream's end: followed, not filled.
        assert_eq!(tl.decoded(Some(1 << 40), 1024), None);
        // Back to normal: the output is now ahead, so it re-anchors.
        assert_eq!(tl.decoded(Some(11 * 1024), 1024), None);
        assert_eq!(tl.decoded(Some(12 * 1024), 1024), None);
        // A real gap after that is still filled.
        assert_eq!(
            tl.decoded(Some(20 * 1024), 1024),
            Some(Gap {
                at: 13 * 1024,
                frames: 7 * 1024
            })
        );
        // No timestamps at all: nothing to place.
        assert_eq!(tl.decoded(None, 1024), None);
    }
}
