//! Stage 3b: speech segmentation.
//!
//! A [`Segmenter`] feeds 16 kHz mono audio through a [`VoiceDetector`] and
//! cuts it into [`SpeechSegment`]s for whisper: speech opens after a few
//! speech frames in a row and closes after a run of silent frames
//! (hysteresis); each segment gets padding before and after; blips shorter
//! than a minimum are dropped; segments separated by a short gap are merged;
//! and a segment that grows past the maximum length is split at the
//! quietest frame of its last seconds, preferring frames the detector calls
//! silence, so the cut falls between words. Detected speech edges are
//! tightened with frame energy (the detector's own hang-over would leave
//! them late).
//!
//! Memory is bounded: while silent only the pre-pad's worth of audio is
//! kept, and an open segment never grows past the maximum length.

use std::collections::VecDeque;

use crate::vad::{frame_energy, VadError, VoiceDetector};
use crate::SAMPLE_RATE;

/// Settings of a [`Segmenter`]. Times are in milliseconds (or seconds where
/// named so) of 16 kHz audio.
#[derive(Debug, Clone, PartialEq)]
pub struct SegmenterConfig {
    /// Audio kept before detected speech (catches soft onsets).
    pub pre_pad_ms: u32,
    /// Audio kept after detected speech (catches trailing consonants).
    pub post_pad_ms: u32,
    /// Speech spans shorter than this are dropped (clicks, coughs).
    pub min_speech_ms: u32,
    /// Speech spans separated by at most this much silence are merged.
    pub merge_gap_ms: u32,
    /// Longest segment, padding included; longer speech is split (whisper
    /// takes 30 s windows).
    pub max_segment_s: f32,
    /// How far back from the maximum length to look for a quiet split point.
    pub split_search_s: f32,
    /// Consecutive speech frames needed to open speech.
    pub open_frames: u32,
    /// Consecutive non-speech frames needed to close speech.
    pub close_frames: u32,
}

impl Default for SegmenterConfig {
    /// Tuned for meeting speech going to whisper: 250 ms padding, 200 ms
    /// minimum speech, gaps under 500 ms merged, 28 s maximum, speech opens
    /// after about 90 ms and closes after about 300 ms of silence (with
    /// WebRTC's 30 ms frames).
    fn default() -> Self {
        SegmenterConfig {
            pre_pad_ms: 250,
            post_pad_ms: 250,
            min_speech_ms: 200,
            merge_gap_ms: 500,
            max_segment_s: 28.0,
            split_search_s: 6.0,
            open_frames: 3,
            close_frames: 10,
        }
    }
}

impl SegmenterConfig {
    /// For live capture, where every utterance waits on the segment closing:
    /// speech closes after about 240 ms of silence and gaps over 150 ms are
    /// not waited for, so a segment is handed on about 0.27 s after the
    /// speaker stops instead of 0.51 s (measured in the tests). Utterances
    /// come out shorter.
    pub fn live() -> Self {
        SegmenterConfig {
            post_pad_ms: 200,
            merge_gap_ms: 150,
            close_frames: 8,
            ..SegmenterConfig::default()
        }
    }
}

/// A stretch of audio holding speech, ready for transcription.
#[derive(Debug, Clone, PartialEq)]
pub struct SpeechSegment {
    /// 16 kHz sample index of `samples[0]` from the stream's start.
    pub start: u64,
    /// The audio, padding included.
    pub samples: Vec<f32>,
    /// Sample index where detected speech begins (no padding).
    pub speech_start: u64,
    /// Sample index where detected speech ends, exclusive (no padding).
    pub speech_end: u64,
}

impl SpeechSegment {
    /// Sample index just past the segment's last sample.
    pub fn end(&self) -> u64 {
        self.start + self.samples.len() as u64
    }

    /// Start in seconds from the stream's start.
    pub fn start_secs(&self) -> f64 {
        self.start as f64 / f64::from(SAMPLE_RATE)
    }

    /// End in seconds from the stream's start.
    pub fn end_secs(&self) -> f64 {
        self.end() as f64 / f64::from(SAMPLE_RATE)
    }
}

/// Where the state machine stands.
#[derive(Debug, Clone, Copy, PartialEq)]
enum State {
    /// No speech open.
    Idle,
    /// Speech open since `speech_start`; the segment's audio starts at
    /// `seg_start`; the last speech frame ended at `last_speech_end`.
    Active {
        seg_start: u64,
        speech_start: u64,
        last_speech_end: u64,
    },
    /// Speech closed at `speech_end`; waiting to see whether more speech
    /// follows within the merge gap.
    Closing {
        seg_start: u64,
        speech_start: u64,
        speech_end: u64,
    },
}

/// Per-frame facts kept for edge tightening and split-point search.
#[derive(Debug, Clone, Copy)]
struct FrameInfo {
    energy: f32,
    speech: bool,
}

/// Settings converted to samples.
#[derive(Debug, Clone, Copy)]
struct Limits {
    pre_pad: u64,
    post_pad: u64,
    min_speech: u64,
    merge_gap: u64,
    max_len: u64,
    search: u64,
    open_frames: u32,
    close_frames: u32,
}

impl Limits {
    fn new(c: &SegmenterConfig, frame: u64) -> Self {
        let ms = |v: u32| u64::from(v) * u64::from(SAMPLE_RATE) / 1000;
        let secs = |v: f32| (f64::from(v.max(0.0)) * f64::from(SAMPLE_RATE)) as u64;
        // A segment must hold at least a few frames beyond its padding.
        let max_len = secs(c.max_segment_s).max(8 * frame + ms(c.pre_pad_ms));
        Limits {
            pre_pad: ms(c.pre_pad_ms),
            post_pad: ms(c.post_pad_ms),
            min_speech: ms(c.min_speech_ms),
            merge_gap: ms(c.merge_gap_ms),
            max_len,
            search: secs(c.split_search_s).clamp(frame, max_len / 2),
            open_frames: c.open_frames.max(1),
            close_frames: c.close_frames.max(1),
        }
    }
}

/// Energy below which a frame at a speech edge counts as silence: this
/// fraction of the loudest frame in the speech span (-30 dB) ...
const EDGE_REL: f32 = 1e-3;
/// ... or this multiple of the noise floor, whichever is higher.
const EDGE_FLOOR_FACTOR: f32 = 4.0;
/// How much speech next to an edge sets the level the edge is judged by
/// (one second).
const EDGE_SPAN: u64 = SAMPLE_RATE as u64;

/// Turns a 16 kHz mono stream into speech segments; see the module docs.
pub struct Segmenter {
    lim: Limits,
    detector: Box<dyn VoiceDetector>,
    frame: usize,
    /// Audio from `buf_start` on.
    buf: Vec<f32>,
    buf_start: u64,
    /// Samples classified so far (a multiple of the frame length until
    /// `finish`).
    pos: u64,
    /// Facts for frames from `info_start` (a frame index) on.
    info: VecDeque<FrameInfo>,
    info_start: u64,
    decisions: Vec<bool>,
    pad: Vec<f32>,
    run_len: u32,
    run_start: u64,
    silent_run: u32,
    state: State,
    last_emit_end: u64,
    /// Split point the open segment continues from, if it was split.
    continued_from: Option<u64>,
    /// Slowly adapting estimate of the background energy.
    noise_floor: f32,
    finished: bool,
}

impl std::fmt::Debug for Segmenter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Segmenter")
            .field("pos", &self.pos)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

impl Segmenter {
    /// A segmenter deciding speech with `detector`.
    pub fn new(config: SegmenterConfig, detector: Box<dyn VoiceDetector>) -> Self {
        let frame = detector.frame_len().max(1);
        Segmenter {
            lim: Limits::new(&config, frame as u64),
            detector,
            frame,
            buf: Vec::new(),
            buf_start: 0,
            pos: 0,
            info: VecDeque::new(),
            info_start: 0,
            decisions: Vec::new(),
            pad: Vec::new(),
            run_len: 0,
            run_start: 0,
            silent_run: 0,
            state: State::Idle,
            last_emit_end: 0,
            continued_from: None,
            noise_floor: f32::INFINITY,
            finished: false,
        }
    }

    /// Samples pushed so far.
    pub fn position(&self) -> u64 {
        self.buf_start + self.buf.len() as u64
    }

    /// The speech still open (not yet emitted as a segment): the sample it
    /// starts at and its audio classified so far. For provisional
    /// transcripts of speech in progress; `None` when nobody is speaking.
    pub fn open_speech(&self) -> Option<(u64, &[f32])> {
        let seg_start = match self.state {
            State::Idle => return None,
            State::Active { seg_start, .. } | State::Closing { seg_start, .. } => seg_start,
        };
        let from = seg_start.max(self.buf_start) - self.buf_start;
        let to = self.pos.min(self.position()) - self.buf_start;
        (to > from).then(|| (seg_start, &self.buf[from as usize..to as usize]))
    }

    /// Pushes 16 kHz samples (any length); calls `emit` for every segment
    /// that closed.
    pub fn push(
        &mut self,
        samples: &[f32],
        emit: &mut dyn FnMut(SpeechSegment),
    ) -> Result<(), VadError> {
        if self.finished {
            return Ok(());
        }
        self.buf.extend_from_slice(samples);
        let batch = (self.detector.batch_frames().max(1) * self.frame) as u64;
        while self.position() - self.pos >= batch {
            self.classify(batch as usize, emit)?;
        }
        self.trim();
        Ok(())
    }

    /// Ends the stream: classifies what is left (the last partial frame
    /// padded with silence) and emits the open segment, if any.
    pub fn finish(&mut self, emit: &mut dyn FnMut(SpeechSegment)) -> Result<(), VadError> {
        if self.finished {
            return Ok(());
        }
        let whole = (self.position() - self.pos) as usize / self.frame * self.frame;
        if whole > 0 {
            self.classify(whole, emit)?;
        }
        let rest = (self.position() - self.pos) as usize;
        if rest > 0 {
            let at = (self.pos - self.buf_start) as usize;
            self.pad.clear();
            self.pad.extend_from_slice(&self.buf[at..]);
            self.pad.resize(self.frame, 0.0);
            self.decisions.clear();
            self.detector.detect(&self.pad, &mut self.decisions)?;
            let speech = self.decisions.first().copied().unwrap_or(false);
            let energy = frame_energy(&self.buf[at..]);
            self.step(self.pos + rest as u64, energy, speech, emit);
        }
        let end = self.position();
        match self.state {
            State::Idle => {}
            State::Active {
                seg_start,
                speech_start,
                last_speech_end,
            } => self.close(seg_start, speech_start, last_speech_end, end, emit),
            State::Closing {
                seg_start,
                speech_start,
                speech_end,
            } => self.close(seg_start, speech_start, speech_end, end, emit),
        }
        self.state = State::Idle;
        self.finished = true;
        Ok(())
    }

    /// Runs the detector over the next `len` samples (whole frames) and
    /// steps the state machine frame by frame.
    fn classify(
        &mut self,
        len: usize,
        emit: &mut dyn FnMut(SpeechSegment),
    ) -> Result<(), VadError> {
        let at = (self.pos - self.buf_start) as usize;
        self.decisions.clear();
        self.detector
            .detect(&self.buf[at..at + len], &mut self.decisions)?;
        for i in 0..len / self.frame {
            let speech = self.decisions.get(i).copied().unwrap_or(false);
            let from = at + i * self.frame;
            let energy = frame_energy(&self.buf[from..from + self.frame]);
            let end = self.pos + self.frame as u64;
            self.step(end, energy, speech, emit);
        }
        Ok(())
    }

    /// Advances over one frame ending at `end`.
    fn step(&mut self, end: u64, energy: f32, speech: bool, emit: &mut dyn FnMut(SpeechSegment)) {
        let start = self.pos;
        self.pos = end;
        self.info.push_back(FrameInfo { energy, speech });
        if !speech {
            // The floor follows quiet frames down fast and up slowly.
            self.noise_floor = if energy < self.noise_floor {
                energy
            } else {
                self.noise_floor + (energy - self.noise_floor) * 0.01
            };
        }
        if speech {
            if self.run_len == 0 {
                self.run_start = start;
            }
            self.run_len += 1;
            self.silent_run = 0;
        } else {
            self.run_len = 0;
            self.silent_run += 1;
        }
        let opened = speech && self.run_len >= self.lim.open_frames;
        let lim = self.lim;
        self.state = match self.state {
            State::Idle if opened => self.open(),
            State::Idle => State::Idle,
            State::Active {
                seg_start,
                speech_start,
                last_speech_end,
            } => {
                if speech {
                    State::Active {
                        seg_start,
                        speech_start,
                        last_speech_end: end,
                    }
                } else if self.silent_run >= lim.close_frames {
                    State::Closing {
                        seg_start,
                        speech_start,
                        speech_end: last_speech_end,
                    }
                } else {
                    self.state
                }
            }
            State::Closing {
                seg_start,
                speech_start,
                speech_end,
            } => {
                let run_in_gap = self.run_len > 0 && self.run_start <= speech_end + lim.merge_gap;
                if opened && run_in_gap {
                    State::Active {
                        seg_start,
                        speech_start,
                        last_speech_end: end,
                    }
                } else if opened {
                    self.close(seg_start, speech_start, speech_end, end, emit);
                    self.open()
                } else if !run_in_gap && end >= speech_end + lim.merge_gap.max(lim.post_pad) {
                    self.close(seg_start, speech_start, speech_end, end, emit);
                    State::Idle
                } else {
                    self.state
                }
            }
        };
        self.enforce_max_len(end, emit);
    }

    /// Opens speech at the current run's start.
    fn open(&self) -> State {
        let speech_start = self.run_start;
        let seg_start = speech_start
            .saturating_sub(self.lim.pre_pad)
            .max(self.last_emit_end)
            .max(self.buf_start);
        State::Active {
            seg_start,
            speech_start,
            last_speech_end: self.pos,
        }
    }

    /// Splits or closes a segment that reached the maximum length.
    fn enforce_max_len(&mut self, end: u64, emit: &mut dyn FnMut(SpeechSegment)) {
        match self.state {
            State::Active {
                seg_start,
                speech_start,
                last_speech_end,
            } if end - seg_start >= self.lim.max_len => {
                let split = self.quiet_point(seg_start);
                self.emit_range(
                    seg_start,
                    split,
                    speech_start,
                    split.max(speech_start),
                    emit,
                );
                self.state = State::Active {
                    seg_start: split,
                    speech_start: split,
                    last_speech_end: last_speech_end.max(split),
                };
            }
            State::Closing {
                seg_start,
                speech_start,
                speech_end,
            } if end - seg_start >= self.lim.max_len => {
                self.close(seg_start, speech_start, speech_end, end, emit);
                self.state = State::Idle;
            }
            _ => {}
        }
    }

    /// The sample to split an over-long segment starting at `seg_start`:
    /// the middle of the quietest frame in the search window before the
    /// maximum length, preferring frames the detector calls silence.
    fn quiet_point(&self, seg_start: u64) -> u64 {
        let f = self.frame as u64;
        let hi = seg_start + self.lim.max_len;
        let lo = hi - self.lim.search;
        let first = lo.div_ceil(f).max(self.info_start);
        let mut best: Option<(bool, f32, u64)> = None;
        let mut frame = first;
        while (frame + 1) * f <= hi {
            let Some(info) = self.info.get((frame - self.info_start) as usize) else {
                break;
            };
            let key = (info.speech, info.energy, frame);
            let better = match best {
                None => true,
                Some((s, e, _)) => (key.0, key.1) < (s, e),
            };
            if better {
                best = Some(key);
            }
            frame += 1;
        }
        match best {
            Some((_, _, frame)) => frame * f + f / 2,
            None => hi,
        }
    }

    /// Ends a segment whose speech ended at `speech_end`, now that audio up
    /// to `now` is known; drops it if the speech was too short.
    fn close(
        &mut self,
        seg_start: u64,
        speech_start: u64,
        speech_end: u64,
        now: u64,
        emit: &mut dyn FnMut(SpeechSegment),
    ) {
        let speech_end = self.tighten_end(speech_start, speech_end);
        let (seg_start, speech_start) = self.settle_start(seg_start, speech_start, speech_end);
        if speech_end.saturating_sub(speech_start) < self.lim.min_speech {
            return;
        }
        let end = (speech_end + self.lim.post_pad)
            .min(now)
            .min(seg_start + self.lim.max_len)
            .min(self.position());
        self.emit_range(seg_start, end, speech_start, speech_end, emit);
    }

    fn emit_range(
        &mut self,
        start: u64,
        end: u64,
        speech_start: u64,
        speech_end: u64,
        emit: &mut dyn FnMut(SpeechSegment),
    ) {
        let start = start.max(self.buf_start);
        if end <= start {
            return;
        }
        let a = (start - self.buf_start) as usize;
        let b = (end - self.buf_start) as usize;
        self.last_emit_end = end;
        emit(SpeechSegment {
            start,
            samples: self.buf[a..b].to_vec(),
            speech_start: speech_start.clamp(start, end),
            speech_end: speech_end.clamp(start, end),
        });
    }

    /// Tightens a detected speech start (not a split point) now that the
    /// speech up to `end` is known, and moves the segment start so the
    /// pre-pad stays what it should be.
    fn settle_start(&self, seg_start: u64, speech_start: u64, end: u64) -> (u64, u64) {
        if self.continued_from == Some(speech_start) {
            return (seg_start, speech_start);
        }
        let start = self.tighten_start(speech_start, end);
        (seg_start.max(start.saturating_sub(self.lim.pre_pad)), start)
    }

    /// Energy under which an edge frame counts as silence: relative to the
    /// loudest frame in `[from, to)` or above the noise floor.
    fn edge_threshold(&self, from: u64, to: u64) -> f32 {
        let f = self.frame as u64;
        let peak = (from / f..to.div_ceil(f))
            .filter_map(|i| self.frame_info(i))
            .map(|i| i.energy)
            .fold(0.0f32, f32::max);
        let floor = if self.noise_floor.is_finite() {
            self.noise_floor * EDGE_FLOOR_FACTOR
        } else {
            0.0
        };
        (peak * EDGE_REL).max(floor)
    }

    fn frame_info(&self, frame: u64) -> Option<&FrameInfo> {
        frame
            .checked_sub(self.info_start)
            .and_then(|i| self.info.get(i as usize))
    }

    /// Moves a detected speech start later past leading frames that are
    /// only background, judged against the first second of the speech.
    fn tighten_start(&self, start: u64, end: u64) -> u64 {
        let f = self.frame as u64;
        let thr = self.edge_threshold(start, end.min(start + EDGE_SPAN));
        let mut s = start;
        while s + f < end {
            match self.frame_info(s / f) {
                Some(i) if i.energy <= thr => s += f,
                _ => break,
            }
        }
        s
    }

    /// Moves a detected speech end earlier past trailing frames that are
    /// only background (the detector's hang-over), judged against the last
    /// second of the speech.
    fn tighten_end(&self, start: u64, end: u64) -> u64 {
        let f = self.frame as u64;
        let thr = self.edge_threshold(end.saturating_sub(EDGE_SPAN).max(start), end);
        let mut e = end;
        while e >= start + f {
            match self.frame_info((e - 1) / f) {
                Some(i) if i.energy <= thr => e -= f,
                _ => break,
            }
        }
        e.max(start)
    }

    /// Drops audio and frame facts no segment can need any more.
    fn trim(&mut self) {
        let f = self.frame as u64;
        let keep_from = match self.state {
            State::Active { seg_start, .. } | State::Closing { seg_start, .. } => seg_start,
            State::Idle => {
                let from = if self.run_len > 0 {
                    self.run_start
                } else {
                    self.pos
                };
                from.saturating_sub(self.lim.pre_pad)
            }
        };
        // Keep whole frames so that frame facts stay aligned to the audio.
        let keep_from = (keep_from / f * f).min(self.pos / f * f);
        let drop = keep_from.saturating_sub(self.buf_start) as usize;
        // Only shift once the dead prefix is large, so the copy amortises.
        if drop >= self.buf.len() / 2 && drop >= 16 * self.frame {
            self.buf.drain(..drop);
            self.buf_start += drop as u64;
            let frames = (keep_from / f).saturating_sub(self.info_start) as usize;
            self.info.drain(..frames.min(self.info.len()));
            self.info_start += frames as u64;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Calls a frame speech when its mean square exceeds a fixed level.
    struct EnergyVad;

    impl VoiceDetector for EnergyVad {
        fn frame_len(&self) -> usize {
            480
        }
        fn is_speech(&mut self, frame: &[f32]) -> Result<bool, VadError> {
            Ok(frame_energy(frame) > 1e-4)
        }
    }

    const MS: usize = 16;

    /// Silence with loud "speech" over the given (start_ms, len_ms) spans,
    /// and quiet dips (amplitude `dip`) over `dips`.
    fn signal(
        total_ms: usize,
        speech: &[(usize, usize)],
        dips: &[(usize, usize, f32)],
    ) -> Vec<f32> {
        let mut v = vec![0.0f32; total_ms * MS];
        for &(s, l) in speech {
            for (i, x) in v[s * MS..(s + l) * MS].iter_mut().enumerate() {
                *x = 0.3 * ((i as f32) * 0.2).sin();
            }
        }
        for &(s, l, a) in dips {
            for x in &mut v[s * MS..(s + l) * MS] {
                *x *= a;
            }
        }
        v
    }

    fn run(
        config: SegmenterConfig,
        audio: &[f32],
        block: usize,
    ) -> (Vec<SpeechSegment>, Segmenter) {
        let mut seg = Segmenter::new(config, Box::new(EnergyVad));
        let mut out = Vec::new();
        for chunk in audio.chunks(block) {
            seg.push(chunk, &mut |s| out.push(s)).unwrap();
        }
        seg.finish(&mut |s| out.push(s)).unwrap();
        (out, seg)
    }

    fn ms(samples: u64) -> i64 {
        (samples / MS as u64) as i64
    }

    #[test]
    fn pads_spans_and_keeps_audio_aligned() {
        let audio = signal(5000, &[(990, 1200)], &[]);
        for block in [1, 100, 480, 7000, 100_000] {
            let (segs, _) = run(SegmenterConfig::default(), &audio, block);
            assert_eq!(segs.len(), 1, "block {block}");
            let s = &segs[0];
            assert!(
                (ms(s.speech_start) - 990).abs() <= 30,
                "{}",
                ms(s.speech_start)
            );
            assert!(
                (ms(s.speech_end) - 2190).abs() <= 30,
                "{}",
                ms(s.speech_end)
            );
            assert_eq!(ms(s.speech_start - s.start), 250);
            assert_eq!(ms(s.end() - s.speech_end), 250);
            // The samples are the stream's own samples at those indices.
            assert_eq!(s.samples[..], audio[s.start as usize..s.end() as usize]);
        }
    }

    /// Milliseconds after speech ends at `end_ms` before the segment is
    /// emitted, pushing 10 ms blocks.
    fn close_delay_ms(config: SegmenterConfig) -> i64 {
        let audio = signal(6000, &[(1000, 2000)], &[]);
        let mut seg = Segmenter::new(config, Box::new(EnergyVad));
        let mut emitted_at = None;
        for chunk in audio.chunks(10 * MS) {
            let mut got = false;
            seg.push(chunk, &mut |_| got = true).unwrap();
            if got && emitted_at.is_none() {
                emitted_at = Some(ms(seg.position()));
            }
        }
        emitted_at.expect("segment closed before the end") - 3000
    }

    #[test]
    fn live_settings_close_speech_sooner() {
        let default = close_delay_ms(SegmenterConfig::default());
        let live = close_delay_ms(SegmenterConfig::live());
        assert!(default >= 450, "default closes {default} ms after speech");
        println!("default {default} ms, live {live} ms");
        assert!(live + 200 <= default, "live closes {live} ms after speech");
    }

    #[test]
    fn open_speech_is_the_audio_of_the_segment_in_progress() {
        let audio = signal(4000, &[(1000, 2500)], &[]);
        let mut seg = Segmenter::new(SegmenterConfig::default(), Box::new(EnergyVad));
        let mut emitted = 0;
        seg.push(&audio[..500 * MS], &mut |_| emitted += 1).unwrap();
        assert!(seg.open_speech().is_none(), "silence is not speech");
        seg.push(&audio[500 * MS..2000 * MS], &mut |_| emitted += 1)
            .unwrap();
        let (start, samples) = seg.open_speech().expect("speech is open");
        assert_eq!(emitted, 0);
        // Starts at the padded onset and holds the stream's own samples.
        assert!((ms(start) - 750).abs() <= 30, "{}", ms(start));
        let end = start as usize + samples.len();
        assert_eq!(samples, &audio[start as usize..end]);
        assert!(ms(end as u64) >= 1900);
        seg.finish(&mut |_| emitted += 1).unwrap();
        assert!(seg.open_speech().is_none());
        assert_eq!(emitted, 1);
    }

    #[test]
    fn drops_blips_and_merges_short_gaps() {
        // A 90 ms blip, two bursts 300 ms apart, two bursts 1.5 s apart.
        let audio = signal(
            12_000,
            &[
                (500, 90),
                (2000, 800),
                (3100, 700),
                (6000, 600),
                (8100, 600),
            ],
            &[],
        );
        let (segs, _) = run(SegmenterConfig::default(), &audio, 1000);
        let spans: Vec<(i64, i64)> = segs
            .iter()
            .map(|s| (ms(s.speech_start), ms(s.speech_end)))
            .collect();
        assert_eq!(spans.len(), 3, "{spans:?}");
        assert!((spans[0].0 - 2000).abs() <= 30 && (spans[0].1 - 3800).abs() <= 30);
        assert!((spans[1].0 - 6000).abs() <= 30 && (spans[1].1 - 6600).abs() <= 30);
        assert!((spans[2].0 - 8100).abs() <= 30 && (spans[2].1 - 8700).abs() <= 30);
        // Padding never makes segments overlap.
        for w in segs.windows(2) {
            assert!(w[0].end() <= w[1].start);
        }
    }

    #[test]
    fn splits_long_speech_at_the_quietest_point() {
        // 70 s of speech with short quiet dips (too short to close speech);
        // the dip at 25.0 s is the quietest one inside the search window.
        let dips = [
            (10_000, 120, 0.1),
            (23_500, 120, 0.05),
            (25_000, 120, 0.001),
            (27_000, 120, 0.02),
            (50_000, 120, 0.001),
            (52_500, 120, 0.01),
        ];
        let audio = signal(72_000, &[(1000, 70_000)], &dips);
        let (segs, _) = run(SegmenterConfig::default(), &audio, 4096);
        assert!(segs.len() >= 3, "{} segments", segs.len());
        for s in &segs {
            assert!(
                s.samples.len() <= 28 * 16_000,
                "{} samples",
                s.samples.len()
            );
        }
        for w in segs.windows(2) {
            // Contiguous: nothing lost at a split.
            assert_eq!(w[0].end(), w[1].start);
        }
        let cut = ms(segs[0].end());
        assert!((25_000..25_120).contains(&cut), "first cut at {cut} ms");
        let cut = ms(segs[1].end());
        assert!((50_000..50_120).contains(&cut), "second cut at {cut} ms");
    }

    #[test]
    fn memory_stays_bounded_over_long_silence_and_speech_at_the_end() {
        let config = SegmenterConfig::default();
        let mut seg = Segmenter::new(config, Box::new(EnergyVad));
        let mut out = Vec::new();
        let silence = vec![0.0f32; 16_000];
        for _ in 0..3600 {
            seg.push(&silence, &mut |s| out.push(s)).unwrap();
            assert!(seg.buf.len() < 3 * 16_000, "buffer {}", seg.buf.len());
        }
        // Speech that runs to the end of the stream is emitted by finish.
        let speech = signal(1000, &[(0, 1000)], &[]);
        seg.push(&speech, &mut |s| out.push(s)).unwrap();
        assert!(out.is_empty());
        seg.finish(&mut |s| out.push(s)).unwrap();
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].speech_start, 3600 * 16_000);
        assert_eq!(out[0].end(), 3601 * 16_000);
        assert_eq!(seg.position(), 3601 * 16_000);
    }
}
