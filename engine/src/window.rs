//! Packs consecutive speech segments into windows of up to ~30 s.
//!
//! Whisper's encoder costs the same for one second of audio as for thirty,
//! so short segments are packed together (with a short silence between them)
//! and every time whisper reports inside a window is mapped back to the
//! recording through the window's [`Piece`]s.

use crate::SAMPLE_RATE;

/// One speech segment placed inside a window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Piece {
    /// Offset of the piece inside the window, in samples.
    pub window_offset: usize,
    /// Length in samples.
    pub len: usize,
    /// Start of the piece in the track, in 16 kHz samples from the recording start.
    pub track_start: u64,
    /// Where detected speech begins and ends inside the piece (track
    /// samples, padding excluded): the utterance times whisper's coarse
    /// word timestamps are anchored to.
    pub speech: (u64, u64),
}

impl Piece {
    /// The piece's span inside the window, in seconds.
    pub fn window_span(&self) -> (f64, f64) {
        let sr = SAMPLE_RATE as f64;
        (
            self.window_offset as f64 / sr,
            (self.window_offset + self.len) as f64 / sr,
        )
    }

    /// The piece's span in the recording, in seconds.
    pub fn track_span(&self) -> (f64, f64) {
        let sr = SAMPLE_RATE as f64;
        (
            self.track_start as f64 / sr,
            (self.track_start + self.len as u64) as f64 / sr,
        )
    }

    /// The detected speech span in the recording, seconds (padding excluded).
    pub fn speech_span(&self) -> (f64, f64) {
        let sr = SAMPLE_RATE as f64;
        (self.speech.0 as f64 / sr, self.speech.1 as f64 / sr)
    }

    /// The detected speech span inside the window, in seconds.
    pub fn speech_window_span(&self) -> (f64, f64) {
        let (w0, _) = self.window_span();
        let (t0, _) = self.track_span();
        let (s0, s1) = self.speech_span();
        (w0 + s0 - t0, w0 + s1 - t0)
    }

    /// Maps a time in the recording (seconds) into the window, clipped to this piece.
    pub fn to_window_time(&self, track_time: f64) -> f64 {
        let (w0, _) = self.window_span();
        let (t0, t1) = self.track_span();
        w0 + track_time.clamp(t0, t1) - t0
    }

    /// Maps a time inside the window (seconds) to the recording, clipped to this piece.
    pub fn to_track_time(&self, window_time: f64) -> f64 {
        let (w0, w1) = self.window_span();
        let (t0, _) = self.track_span();
        t0 + window_time.clamp(w0, w1) - w0
    }
}

/// Audio for one whisper call and the map from its time to the recording's.
#[derive(Debug, Clone, Default)]
pub struct Window {
    /// Index of the track this window belongs to.
    pub track: usize,
    /// Position of this window among its track's windows (0, 1, 2…).
    pub seq: u64,
    /// 16 kHz mono samples.
    pub samples: Vec<f32>,
    /// The speech segments inside, in time order.
    pub pieces: Vec<Piece>,
}

impl Window {
    /// Start of the window's first piece in the recording, seconds.
    pub fn start(&self) -> f64 {
        self.pieces.first().map_or(0.0, |p| p.track_span().0)
    }

    /// End of the window's last piece in the recording, seconds.
    pub fn end(&self) -> f64 {
        self.pieces.last().map_or(0.0, |p| p.track_span().1)
    }

    /// Seconds of speech in the window (silence gaps excluded).
    pub fn speech_seconds(&self) -> f64 {
        self.pieces.iter().map(|p| p.len).sum::<usize>() as f64 / SAMPLE_RATE as f64
    }

    /// The piece holding a time of the recording (seconds), if any.
    pub fn piece_of_track_time(&self, track_time: f64) -> Option<&Piece> {
        self.pieces.iter().find(|p| {
            let (t0, t1) = p.track_span();
            track_time >= t0 && track_time <= t1
        })
    }

    /// The window from piece `from` on, as a window of its own: its samples
    /// from that piece's start, the pieces' offsets moved with them (track
    /// times unchanged). `None` when there is no such piece.
    pub fn tail(&self, from: usize) -> Option<Window> {
        let first = self.pieces.get(from)?;
        let offset = first.window_offset;
        let samples = self.samples.get(offset..)?.to_vec();
        let pieces = self.pieces[from..]
            .iter()
            .map(|p| Piece {
                window_offset: p.window_offset.saturating_sub(offset),
                ..*p
            })
            .collect();
        Some(Window {
            track: self.track,
            seq: self.seq,
            samples,
            pieces,
        })
    }

    /// The piece a window time falls in, or the nearest one when it falls in a gap.
    pub fn piece_at(&self, window_time: f64) -> Option<(usize, &Piece)> {
        let mut best: Option<(usize, &Piece, f64)> = None;
        for (i, p) in self.pieces.iter().enumerate() {
            let (w0, w1) = p.window_span();
            let dist = if window_time < w0 {
                w0 - window_time
            } else if window_time > w1 {
                window_time - w1
            } else {
                0.0
            };
            if best.is_none_or(|(_, _, d)| dist < d) {
                best = Some((i, p, dist));
            }
        }
        best.map(|(i, p, _)| (i, p))
    }
}

/// Settings for [`WindowPacker`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PackerConfig {
    /// Longest window, seconds (whisper sees at most 30 s).
    pub max_window_s: f64,
    /// Silence put between packed segments, seconds.
    pub gap_s: f64,
    /// Close the window when the next segment starts this long after the last
    /// one ended (seconds): keeps latency bounded on sparse calls. `None` packs
    /// regardless of the distance.
    pub max_hold_s: Option<f64>,
}

impl Default for PackerConfig {
    fn default() -> Self {
        Self {
            max_window_s: 29.0,
            gap_s: 1.5,
            max_hold_s: None,
        }
    }
}

/// Collects speech segments of one track into windows.
#[derive(Debug)]
pub struct WindowPacker {
    config: PackerConfig,
    track: usize,
    next_seq: u64,
    current: Window,
}

impl WindowPacker {
    /// A packer for the track with index `track`.
    pub fn new(track: usize, config: PackerConfig) -> Self {
        Self {
            config,
            track,
            next_seq: 0,
            current: Window {
                track,
                ..Window::default()
            },
        }
    }

    /// Start of the earliest segment held (not yet emitted), in 16 kHz samples.
    pub fn pending_start(&self) -> Option<u64> {
        self.current.pieces.first().map(|p| p.track_start)
    }

    /// Adds one speech segment starting at `start` (16 kHz samples) whose
    /// detected speech spans `speech` (padding excluded); emits a full window
    /// first when the segment does not fit.
    pub fn push(
        &mut self,
        start: u64,
        samples: &[f32],
        speech: (u64, u64),
        emit: &mut dyn FnMut(Window),
    ) {
        let sr = SAMPLE_RATE as f64;
        let max_len = (self.config.max_window_s * sr) as usize;
        let gap = (self.config.gap_s * sr) as usize;
        if let Some(last) = self.current.pieces.last() {
            let needed = self.current.samples.len() + gap + samples.len();
            let held_too_long = self.config.max_hold_s.is_some_and(|h| {
                let last_end = last.track_start + last.len as u64;
                start.saturating_sub(last_end) as f64 / sr > h
            });
            if needed > max_len || held_too_long {
                self.flush(emit);
            }
        }
        // A segment longer than a window (the segmenter should prevent it) is cut.
        let mut offset = 0;
        while offset < samples.len() {
            if !self.current.pieces.is_empty() {
                self.current
                    .samples
                    .resize(self.current.samples.len() + gap, 0.0);
            }
            let room = max_len.saturating_sub(self.current.samples.len()).max(1);
            let take = room.min(samples.len() - offset);
            let piece_start = start + offset as u64;
            let piece_end = piece_start + take as u64;
            self.current.pieces.push(Piece {
                window_offset: self.current.samples.len(),
                len: take,
                track_start: piece_start,
                speech: (
                    speech.0.clamp(piece_start, piece_end),
                    speech.1.clamp(piece_start, piece_end),
                ),
            });
            self.current
                .samples
                .extend_from_slice(&samples[offset..offset + take]);
            offset += take;
            if offset < samples.len() {
                self.flush(emit);
            }
        }
    }

    /// Emits the window being filled, if it holds anything.
    pub fn flush(&mut self, emit: &mut dyn FnMut(Window)) {
        if self.current.pieces.is_empty() {
            return;
        }
        let next = Window {
            track: self.track,
            seq: self.next_seq + 1,
            samples: Vec::with_capacity(self.current.samples.capacity()),
            pieces: Vec::new(),
        };
        let mut full = std::mem::replace(&mut self.current, next);
        full.seq = self.next_seq;
        self.next_seq += 1;
        emit(full);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(packer: &mut WindowPacker, segs: &[(u64, usize)]) -> Vec<Window> {
        let mut out = Vec::new();
        for &(start, len) in segs {
            packer.push(
                start,
                &vec![0.5; len],
                (start, start + len as u64),
                &mut |w| out.push(w),
            );
        }
        packer.flush(&mut |w| out.push(w));
        out
    }

    #[test]
    fn packs_short_segments_and_maps_time_back() {
        let mut p = WindowPacker::new(0, PackerConfig::default());
        let sr = SAMPLE_RATE as u64;
        let wins = collect(&mut p, &[(sr, 2 * sr as usize), (10 * sr, sr as usize)]);
        assert_eq!(wins.len(), 1);
        let w = &wins[0];
        assert_eq!(w.pieces.len(), 2);
        // 2 s of speech, 1.5 s gap, then the second piece.
        let second = w.pieces[1];
        assert_eq!(
            second.window_offset,
            3 * SAMPLE_RATE as usize + SAMPLE_RATE as usize / 2
        );
        assert!((second.to_track_time(4.0) - 10.5).abs() < 1e-9);
        assert!((w.pieces[0].to_track_time(0.5) - 1.5).abs() < 1e-9);
    }

    #[test]
    fn tail_is_a_window_of_its_own_with_track_times_kept() {
        let mut p = WindowPacker::new(0, PackerConfig::default());
        let sr = SAMPLE_RATE as u64;
        let wins = collect(&mut p, &[(sr, 2 * sr as usize), (10 * sr, sr as usize)]);
        let w = &wins[0];
        let t = w.tail(1).unwrap();
        assert_eq!(t.pieces.len(), 1);
        assert_eq!(t.pieces[0].window_offset, 0);
        assert_eq!(t.samples.len(), w.samples.len() - w.pieces[1].window_offset);
        assert!((t.pieces[0].to_track_time(0.5) - 10.5).abs() < 1e-9);
        assert_eq!(t.pieces[0].speech, w.pieces[1].speech);
        assert_eq!(w.tail(0).unwrap().samples, w.samples);
        assert!(w.tail(2).is_none());
    }

    #[test]
    fn splits_when_full_and_numbers_windows() {
        let mut p = WindowPacker::new(3, PackerConfig::default());
        let sr = SAMPLE_RATE as u64;
        let segs: Vec<(u64, usize)> = (0..5).map(|i| (i * 20 * sr, 10 * sr as usize)).collect();
        let wins = collect(&mut p, &segs);
        assert_eq!(wins.len(), 3);
        assert_eq!(
            wins.iter().map(|w| w.seq).collect::<Vec<_>>(),
            vec![0, 1, 2]
        );
        assert!(wins.iter().all(|w| w.track == 3));
        assert!(wins
            .iter()
            .all(|w| w.samples.len() as f64 <= 29.0 * SAMPLE_RATE as f64));
    }

    #[test]
    fn cuts_overlong_segment() {
        let mut p = WindowPacker::new(0, PackerConfig::default());
        let sr = SAMPLE_RATE as usize;
        let wins = collect(&mut p, &[(0, 70 * sr)]);
        assert_eq!(wins.len(), 3);
        let total: usize = wins.iter().flat_map(|w| &w.pieces).map(|p| p.len).sum();
        assert_eq!(total, 70 * sr);
        assert_eq!(wins[1].pieces[0].track_start, 29 * sr as u64);
    }
}
