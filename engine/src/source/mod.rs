//! Stage 1: where audio comes from.
//!
//! An [`AudioSource`] yields blocks of interleaved `f32` samples at the
//! source's native rate and channel count; the resampler turns them into
//! 16 kHz mono afterwards. [`FileSource`] decodes containers and codecs with
//! symphonia (plus libopus for Opus), packet by packet, so memory stays flat
//! whatever the recording's length; [`RawPcmSource`] reads headerless PCM
//! from any reader (a pipe from ffmpeg, for instance).

mod created;
mod error;
mod file;
mod guarded;
mod matroska;
mod mp4;
mod mpa;
mod raw;
mod timeline;
mod view;

pub use created::parse_timestamp;
pub use error::SourceError;
pub use file::FileSource;
pub use raw::{RawPcmSource, RawSampleFormat};

use chrono::{DateTime, Utc};

/// Sample rate and channel count of a source's native audio.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SourceFormat {
    /// Frames per second (Hz).
    pub sample_rate: u32,
    /// Interleaved channels per frame.
    pub channels: u16,
}

/// Lowest sample rate a source may declare; below this a header is taken as
/// damaged rather than as audio.
pub const MIN_SAMPLE_RATE: u32 = 1_000;
/// Highest sample rate a source may declare (the top of what DAWs record).
pub const MAX_SAMPLE_RATE: u32 = 768_000;
/// Most channels a source may declare; more is taken as a damaged header.
pub const MAX_CHANNELS: u16 = 64;

impl SourceFormat {
    /// Checks that the rate and channel count are usable audio, returning a
    /// description of the problem otherwise (used to reject damaged headers
    /// and bad `--rate`/`--channels` values).
    pub fn validate(&self) -> Result<(), String> {
        if self.channels == 0 {
            return Err("zero channels".to_string());
        }
        if self.channels > MAX_CHANNELS {
            return Err(format!(
                "{} channels (at most {MAX_CHANNELS} supported)",
                self.channels
            ));
        }
        if !(MIN_SAMPLE_RATE..=MAX_SAMPLE_RATE).contains(&self.sample_rate) {
            return Err(format!(
                "sample rate {} Hz (expected {MIN_SAMPLE_RATE}..={MAX_SAMPLE_RATE} Hz)",
                self.sample_rate
            ));
        }
        Ok(())
    }
}

/// A stream of interleaved f32 audio blocks. Sources are read on their own
/// thread, so they must be `Send`.
pub trait AudioSource: Send {
    /// Native sample rate and channel count of the blocks this source yields.
    fn format(&self) -> SourceFormat;

    /// Name used in messages (path, `-`, device name).
    fn name(&self) -> &str;

    /// Fills `buf` (cleared first, capacity reused: no allocation per block
    /// once warm) with the next block of interleaved samples.
    /// `Ok(false)` means end of stream (and `buf` is empty).
    fn read_block(&mut self, buf: &mut Vec<f32>) -> Result<bool, SourceError>;

    /// Wall-clock start if known (a file's creation-time tag); default `None`.
    fn start_utc(&self) -> Option<DateTime<Utc>> {
        None
    }

    /// Total duration in seconds when the container states it.
    fn duration(&self) -> Option<f64> {
        None
    }

    /// Non-fatal problems seen so far (e.g. "file.mp3: truncated after
    /// 12.3 s; kept what decoded"), drained: each is returned once.
    fn take_warnings(&mut self) -> Vec<String> {
        Vec::new()
    }
}

impl<S: AudioSource + ?Sized> AudioSource for Box<S> {
    fn format(&self) -> SourceFormat {
        (**self).format()
    }
    fn name(&self) -> &str {
        (**self).name()
    }
    fn read_block(&mut self, buf: &mut Vec<f32>) -> Result<bool, SourceError> {
        (**self).read_block(buf)
    }
    fn start_utc(&self) -> Option<DateTime<Utc>> {
        (**self).start_utc()
    }
    fn duration(&self) -> Option<f64> {
        (**self).duration()
    }
    fn take_warnings(&mut self) -> Vec<String> {
        (**self).take_warnings()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validate_rejects_absurd_formats() {
        let ok = SourceFormat {
            sample_rate: 44_100,
            channels: 2,
        };
        assert!(ok.validate().is_ok());
        for (rate, ch) in [(0, 1), (44_100, 0), (4_000_000_000, 1), (16_000, 1000)] {
            let f = SourceFormat {
                sample_rate: rate,
                channels: ch,
            };
            assert!(f.validate().is_err(), "{rate} Hz {ch} ch accepted");
        }
    }
}
