//! Stage 2: any rate and channel layout → 16 kHz mono (or one 16 kHz mono
//! stream per channel, for `--split-channels`).
//!
//! Time is kept exact: after [`Resampler::finish`] a stream of `n` input
//! frames has produced exactly `round(n * 16000 / rate)` output samples, and
//! output sample `k` lies at input time `k / 16000` s (the resampler's filter
//! delay is dropped at the start and flushed at the end). A two-hour
//! recording therefore keeps its clock to the sample, and block sizes never
//! matter.
//!
//! Fixed common ratios use rubato's FFT resampler (fast, exact ratio);
//! unusual rates whose ratio to 16 kHz needs an enormous FFT use rubato's
//! sinc resampler. 16 kHz input is passed straight through.

use audioadapter_buffers::direct::SequentialSliceOfVecs;
use rubato::{
    Async, Fft, FixedAsync, FixedSync, Indexing, SincInterpolationParameters, WindowFunction,
};

use crate::source::SourceFormat;
use crate::SAMPLE_RATE;

/// Input frames per resampler call (rounded up by rubato to whole FFT blocks).
const CHUNK_FRAMES: usize = 2048;
/// Largest reduced input block (`rate / gcd(rate, 16000)`) handed to the FFT
/// resampler; larger ones (odd rates like 44,101 Hz) go to the sinc one.
const MAX_FFT_BLOCK: usize = 2048;

/// What to do with several input channels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelMode {
    /// Average all channels into one mono stream.
    Downmix,
    /// Keep each channel as its own mono stream (one speaker per channel).
    Split,
}

/// Why resampling could not start or failed.
#[derive(thiserror::Error, Debug)]
pub enum ResampleError {
    /// The input format is unusable (zero channels, absurd rate).
    #[error("cannot resample audio with {0}")]
    BadFormat(String),
    /// rubato refused to build a resampler for these rates.
    #[error("cannot build a resampler: {0}")]
    Construction(#[from] rubato::ResamplerConstructionError),
    /// rubato failed while processing (a bug, not bad input).
    #[error("resampling failed: {0}")]
    Process(#[from] rubato::ResampleError),
    /// The caller passed the wrong number of output vectors.
    #[error("expected {expected} output stream(s), got {got}")]
    OutputStreams {
        /// Streams this resampler produces.
        expected: usize,
        /// Vectors passed in.
        got: usize,
    },
    /// An input block did not hold whole frames.
    #[error("input of {len} samples is not a whole number of {channels}-channel frames")]
    PartialFrame {
        /// Samples passed in.
        len: usize,
        /// Channels per frame.
        channels: usize,
    },
}

/// The rubato resampler and its buffers (absent for 16 kHz input).
struct Engine {
    inner: Box<dyn rubato::Resampler<f32>>,
    /// Per output stream: input-rate samples gathered for the next chunk.
    pending: Vec<Vec<f32>>,
    /// Frames filled in `pending`.
    filled: usize,
    /// Per output stream: scratch the resampler writes into.
    scratch: Vec<Vec<f32>>,
    /// Output frames still to drop from the start (filter delay).
    delay_left: usize,
}

/// Converts interleaved audio at any rate/channel count to 16 kHz mono (or
/// to one 16 kHz mono stream per channel, for `--split-channels`).
pub struct Resampler {
    input: SourceFormat,
    mode: ChannelMode,
    streams: usize,
    engine: Option<Engine>,
    frames_in: u64,
    frames_out: u64,
    finished: bool,
}

impl std::fmt::Debug for Resampler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Resampler")
            .field("input", &self.input)
            .field("mode", &self.mode)
            .field("frames_in", &self.frames_in)
            .field("frames_out", &self.frames_out)
            .finish_non_exhaustive()
    }
}

impl Resampler {
    /// Builds a converter for `input`; `mode` says whether channels are
    /// mixed to one stream or kept apart.
    pub fn new(input: SourceFormat, mode: ChannelMode) -> Result<Self, ResampleError> {
        input.validate().map_err(ResampleError::BadFormat)?;
        let streams = match mode {
            ChannelMode::Downmix => 1,
            ChannelMode::Split => usize::from(input.channels),
        };
        let engine = if input.sample_rate == SAMPLE_RATE {
            None
        } else {
            Some(Engine::new(input.sample_rate, streams)?)
        };
        Ok(Resampler {
            input,
            mode,
            streams,
            engine,
            frames_in: 0,
            frames_out: 0,
            finished: false,
        })
    }

    /// Number of 16 kHz output streams (1, or the channel count in
    /// [`ChannelMode::Split`]); `out` must hold this many vectors.
    pub fn streams(&self) -> usize {
        self.streams
    }

    /// Input frames consumed so far.
    pub fn frames_in(&self) -> u64 {
        self.frames_in
    }

    /// Output samples (per stream) produced so far.
    pub fn frames_out(&self) -> u64 {
        self.frames_out
    }

    /// Output samples per stream that `frames` input frames come to:
    /// `round(frames * 16000 / rate)`, what [`Resampler::finish`] ends on.
    pub fn output_len(&self, frames: u64) -> u64 {
        let rate = u128::from(self.input.sample_rate);
        let n = (u128::from(frames) * u128::from(SAMPLE_RATE) + rate / 2) / rate;
        u64::try_from(n).unwrap_or(u64::MAX)
    }

    /// Pushes interleaved input; appends 16 kHz output to `out[stream]`.
    /// No allocation per call once warm (beyond `out` growing).
    pub fn process(
        &mut self,
        interleaved: &[f32],
        out: &mut [Vec<f32>],
    ) -> Result<(), ResampleError> {
        self.check_out(out)?;
        let channels = usize::from(self.input.channels);
        if !interleaved.len().is_multiple_of(channels) {
            return Err(ResampleError::PartialFrame {
                len: interleaved.len(),
                channels,
            });
        }
        let frames = interleaved.len() / channels;
        self.frames_in += frames as u64;
        let mode = self.mode;
        let Some(engine) = self.engine.as_mut() else {
            // 16 kHz already: only the channel layout changes.
            let at = out[0].len();
            for stream in out.iter_mut() {
                stream.resize(at + frames, 0.0);
            }
            write_frames(interleaved, channels, mode, out, at);
            self.frames_out += frames as u64;
            return Ok(());
        };
        let mut rest = interleaved;
        while !rest.is_empty() {
            let room = engine.chunk_in() - engine.filled;
            let take = room.min(rest.len() / channels);
            let (now, later) = rest.split_at(take * channels);
            write_frames(now, channels, mode, &mut engine.pending, engine.filled);
            engine.filled += take;
            rest = later;
            if engine.filled == engine.chunk_in() {
                self.frames_out += engine.run(None, out, u64::MAX)? as u64;
            }
        }
        Ok(())
    }

    /// Flushes the tail (the last partial chunk and the filter delay) at
    /// end of stream, so that the output length is exact. Later calls do
    /// nothing.
    pub fn finish(&mut self, out: &mut [Vec<f32>]) -> Result<(), ResampleError> {
        self.check_out(out)?;
        if self.finished {
            return Ok(());
        }
        self.finished = true;
        let target = self.output_len(self.frames_in);
        let Some(engine) = self.engine.as_mut() else {
            return Ok(());
        };
        let mut partial = Some(engine.filled);
        // A guard against an endless loop: the delay is far below this.
        for _ in 0..64 {
            if self.frames_out >= target {
                break;
            }
            let left = target - self.frames_out;
            self.frames_out += engine.run(partial, out, left)? as u64;
            partial = Some(0);
        }
        engine.filled = 0;
        Ok(())
    }

    fn check_out(&self, out: &[Vec<f32>]) -> Result<(), ResampleError> {
        if out.len() != self.streams {
            return Err(ResampleError::OutputStreams {
                expected: self.streams,
                got: out.len(),
            });
        }
        Ok(())
    }
}

/// Writes `interleaved` frames, downmixed or split, into `dst[stream]`
/// starting at frame `at` (each `dst[stream]` must have room).
fn write_frames(
    interleaved: &[f32],
    channels: usize,
    mode: ChannelMode,
    dst: &mut [Vec<f32>],
    at: usize,
) {
    let frames = interleaved.len() / channels;
    match (mode, channels) {
        (_, 1) => dst[0][at..at + frames].copy_from_slice(interleaved),
        (ChannelMode::Downmix, 2) => {
            for (d, f) in dst[0][at..at + frames]
                .iter_mut()
                .zip(interleaved.chunks_exact(2))
            {
                *d = (f[0] + f[1]) * 0.5;
            }
        }
        (ChannelMode::Downmix, n) => {
            let scale = 1.0 / n as f32;
            for (d, f) in dst[0][at..at + frames]
                .iter_mut()
                .zip(interleaved.chunks_exact(n))
            {
                *d = f.iter().sum::<f32>() * scale;
            }
        }
        (ChannelMode::Split, n) => {
            for (s, stream) in dst.iter_mut().enumerate().take(n) {
                for (d, f) in stream[at..at + frames]
                    .iter_mut()
                    .zip(interleaved.chunks_exact(n))
                {
                    *d = f[s];
                }
            }
        }
    }
}

impl Engine {
    fn new(rate: u32, streams: usize) -> Result<Self, ResampleError> {
        let rate_in = rate as usize;
        let rate_out = SAMPLE_RATE as usize;
        let block = rate_in / gcd(rate_in, rate_out);
        let inner: Box<dyn rubato::Resampler<f32>> = if block <= MAX_FFT_BLOCK {
            // A power-of-two number of reduced blocks per FFT keeps the FFT
            // sizes smooth (683, prime, for 48 kHz otherwise: 10x slower).
            let blocks = CHUNK_FRAMES.div_ceil(block).next_power_of_two();
            Box::new(Fft::<f32>::new(
                rate_in,
                rate_out,
                block * blocks,
                streams,
                FixedSync::Both,
            )?)
        } else {
            let params = SincInterpolationParameters::new(128, WindowFunction::BlackmanHarris2);
            Box::new(Async::<f32>::new_sinc(
                rate_out as f64 / rate_in as f64,
                1.0,
                &params,
                CHUNK_FRAMES,
                streams,
                FixedAsync::Input,
            )?)
        };
        let chunk_in = inner.input_frames_max();
        let out_max = inner.output_frames_max();
        let delay_left = inner.output_delay();
        Ok(Engine {
            inner,
            pending: vec![vec![0.0; chunk_in]; streams],
            filled: 0,
            scratch: vec![vec![0.0; out_max]; streams],
            delay_left,
        })
    }

    fn chunk_in(&self) -> usize {
        self.inner.input_frames_next()
    }

    /// Resamples the pending chunk (`partial`: only that many frames are
    /// real, the rest silence) and appends at most `limit` output frames
    /// per stream after the delay is dropped. Returns frames appended.
    fn run(
        &mut self,
        partial: Option<usize>,
        out: &mut [Vec<f32>],
        limit: u64,
    ) -> Result<usize, ResampleError> {
        let streams = self.pending.len();
        let chunk = self.chunk_in();
        let input = SequentialSliceOfVecs::new(&self.pending[..], streams, chunk)
            .map_err(|e| ResampleError::BadFormat(e.to_string()))?;
        let out_max = self.scratch[0].len();
        let mut output = SequentialSliceOfVecs::new_mut(&mut self.scratch[..], streams, out_max)
            .map_err(|e| ResampleError::BadFormat(e.to_string()))?;
        let indexing = partial.map(|n| Indexing::new().partial_len(n));
        let (_, written) =
            self.inner
                .process_into_buffer(&input, &mut output, indexing.as_ref())?;
        self.filled = 0;
        let skip = self.delay_left.min(written);
        self.delay_left -= skip;
        let keep = (written - skip).min(usize::try_from(limit).unwrap_or(usize::MAX));
        for (dst, src) in out.iter_mut().zip(&self.scratch) {
            dst.extend_from_slice(&src[skip..skip + keep]);
        }
        Ok(keep)
    }
}

fn gcd(mut a: usize, mut b: usize) -> usize {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    fn format(sample_rate: u32, channels: u16) -> SourceFormat {
        SourceFormat {
            sample_rate,
            channels,
        }
    }

    /// Feeds `input` in blocks of varying size and returns the streams.
    fn run(rs: &mut Resampler, input: &[f32], channels: usize) -> Vec<Vec<f32>> {
        let mut out = vec![Vec::new(); rs.streams()];
        let sizes = [1usize, 7, 480, 1000, 4096, 333, 2];
        let mut at = 0;
        let mut i = 0;
        while at < input.len() {
            let n = (sizes[i % sizes.len()] * channels).min(input.len() - at);
            rs.process(&input[at..at + n], &mut out).unwrap();
            at += n;
            i += 1;
        }
        rs.finish(&mut out).unwrap();
        out
    }

    /// A click (one full-scale sample) at `at` in `len` frames of silence.
    fn click(len: usize, at: usize) -> Vec<f32> {
        let mut v = vec![0.0; len];
        v[at] = 1.0;
        v
    }

    fn peak(v: &[f32]) -> usize {
        v.iter()
            .enumerate()
            .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()))
            .map(|(i, _)| i)
            .unwrap()
    }

    #[test]
    fn length_and_click_position_are_exact() {
        for rate in [
            8_000u32, 11_025, 22_050, 32_000, 44_100, 48_000, 96_000, 44_101,
        ] {
            for len in [0usize, 1, 99, 12_345, 3 * rate as usize + 17] {
                let mut rs = Resampler::new(format(rate, 1), ChannelMode::Downmix).unwrap();
                let at = len / 2;
                let input = if len == 0 { Vec::new() } else { click(len, at) };
                let out = run(&mut rs, &input, 1);
                let want = rs.output_len(len as u64);
                assert_eq!(out[0].len() as u64, want, "{rate} Hz, {len} frames");
                if len > 1000 {
                    let expect = (at as f64 * 16_000.0 / rate as f64).round() as i64;
                    let got = peak(&out[0]) as i64;
                    assert!(
                        (got - expect).abs() <= 1,
                        "{rate} Hz: click at {got}, want {expect}"
                    );
                }
            }
        }
    }

    #[test]
    fn passthrough_at_16k() {
        let input: Vec<f32> = (0..10_000).map(|i| (i as f32 * 0.01).sin()).collect();
        let mut rs = Resampler::new(format(16_000, 1), ChannelMode::Downmix).unwrap();
        assert_eq!(run(&mut rs, &input, 1)[0], input);
    }

    #[test]
    fn stereo_downmix_and_split() {
        let rate = 44_100;
        let frames = rate as usize * 2;
        // Left: a tone; right: silence with a click.
        let mut input = Vec::with_capacity(frames * 2);
        for i in 0..frames {
            input.push(0.5 * (i as f32 * 2.0 * std::f32::consts::PI * 440.0 / rate as f32).sin());
            input.push(if i == rate as usize { 1.0 } else { 0.0 });
        }
        let mut split = Resampler::new(format(rate, 2), ChannelMode::Split).unwrap();
        let out = run(&mut split, &input, 2);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].len(), 32_000);
        assert_eq!(out[1].len(), 32_000);
        let rms = |v: &[f32]| (v.iter().map(|x| x * x).sum::<f32>() / v.len() as f32).sqrt();
        assert!(
            (rms(&out[0]) - 0.3536).abs() < 0.01,
            "left rms {}",
            rms(&out[0])
        );
        assert!((peak(&out[1]) as i64 - 16_000).abs() <= 1);

        let mut mix = Resampler::new(format(rate, 2), ChannelMode::Downmix).unwrap();
        let out = run(&mut mix, &input, 2);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].len(), 32_000);
        assert!(
            (rms(&out[0]) - 0.1768).abs() < 0.01,
            "mix rms {}",
            rms(&out[0])
        );

        // 16 kHz split passes each channel through untouched.
        let mut pass = Resampler::new(format(16_000, 2), ChannelMode::Split).unwrap();
        let out = run(&mut pass, &[0.1, 0.2, 0.3, 0.4], 2);
        assert_eq!(out, vec![vec![0.1, 0.3], vec![0.2, 0.4]]);
    }

    #[test]
    fn rejects_bad_input() {
        assert!(Resampler::new(format(0, 1), ChannelMode::Downmix).is_err());
        assert!(Resampler::new(format(44_100, 0), ChannelMode::Split).is_err());
        let mut rs = Resampler::new(format(44_100, 2), ChannelMode::Downmix).unwrap();
        let mut out = vec![Vec::new()];
        assert!(matches!(
            rs.process(&[0.0; 3], &mut out),
            Err(ResampleError::PartialFrame { .. })
        ));
        assert!(matches!(
            rs.process(&[0.0; 4], &mut []),
            Err(ResampleError::OutputStreams { .. })
        ));
    }
}
