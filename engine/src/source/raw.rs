//! [`RawPcmSource`]: headerless PCM from any reader
//! (`--raw s16le --rate R --channels C`, typically piped from ffmpeg).

use std::io::{ErrorKind, Read};

use super::{AudioSource, SourceError, SourceFormat};

/// Frames per block handed out.
const BLOCK_FRAMES: usize = 4096;

/// Sample encoding of raw PCM input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RawSampleFormat {
    /// Signed 16-bit little-endian integers (ffmpeg's `-f s16le`).
    S16Le,
    /// 32-bit little-endian IEEE floats (ffmpeg's `-f f32le`).
    F32Le,
}

impl RawSampleFormat {
    /// Bytes per sample.
    pub fn bytes(self) -> usize {
        match self {
            RawSampleFormat::S16Le => 2,
            RawSampleFormat::F32Le => 4,
        }
    }
}

impl std::str::FromStr for RawSampleFormat {
    type Err = String;

    /// Parses `s16le` or `f32le` (the names ffmpeg's `-f` uses).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "s16le" | "s16" => Ok(RawSampleFormat::S16Le),
            "f32le" | "f32" => Ok(RawSampleFormat::F32Le),
            other => Err(format!(
                "unknown raw sample format {other:?}; use s16le or f32le"
            )),
        }
    }
}

/// Interleaved raw PCM read from any byte stream at a rate and channel
/// count given by the caller.
pub struct RawPcmSource {
    name: String,
    reader: Box<dyn Read + Send>,
    sample: RawSampleFormat,
    format: SourceFormat,
    bytes: Vec<u8>,
    /// Bytes at the front of `bytes` carried over from the last read (a
    /// partial frame).
    carry: usize,
    warnings: Vec<String>,
    finished: bool,
}

impl std::fmt::Debug for RawPcmSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawPcmSource")
            .field("name", &self.name)
            .field("sample", &self.sample)
            .field("format", &self.format)
            .finish_non_exhaustive()
    }
}

impl RawPcmSource {
    /// Wraps `reader`; fails when the rate or channel count is unusable.
    pub fn new(
        name: impl Into<String>,
        reader: Box<dyn Read + Send>,
        sample: RawSampleFormat,
        sample_rate: u32,
        channels: u16,
    ) -> Result<Self, SourceError> {
        let name = name.into();
        let format = SourceFormat {
            sample_rate,
            channels,
        };
        format
            .validate()
            .map_err(|detail| SourceError::InvalidRaw {
                name: name.clone(),
                detail,
            })?;
        let frame_bytes = sample.bytes() * usize::from(channels);
        Ok(RawPcmSource {
            name,
            reader,
            sample,
            format,
            bytes: vec![0; BLOCK_FRAMES * frame_bytes],
            carry: 0,
            warnings: Vec::new(),
            finished: false,
        })
    }

    fn frame_bytes(&self) -> usize {
        self.sample.bytes() * usize::from(self.format.channels)
    }
}

impl AudioSource for RawPcmSource {
    fn format(&self) -> SourceFormat {
        self.format
    }

    fn name(&self) -> &str {
        &self.name
    }

    fn read_block(&mut self, buf: &mut Vec<f32>) -> Result<bool, SourceError> {
        buf.clear();
        if self.finished {
            return Ok(false);
        }
        let frame_bytes = self.frame_bytes();
        // Fill the byte buffer as far as the stream allows.
        let mut filled = self.carry;
        while filled < self.bytes.len() {
            match self.reader.read(&mut self.bytes[filled..]) {
                Ok(0) => {
                    self.finished = true;
                    break;
                }
                Ok(n) => {
                    filled += n;
                    // A pipe delivers what it has; hand out whole frames
                    // as soon as there are some, rather than waiting.
                    if filled >= frame_bytes {
                        break;
                    }
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => {
                    return Err(SourceError::Io {
                        name: self.name.clone(),
                        err: e,
                    })
                }
            }
        }
        let whole = filled - filled % frame_bytes;
        let data = &self.bytes[..whole];
        match self.sample {
            RawSampleFormat::S16Le => buf.extend(
                data.chunks_exact(2)
                    .map(|b| f32::from(i16::from_le_bytes([b[0], b[1]])) / 32768.0),
            ),
            RawSampleFormat::F32Le => buf.extend(data.chunks_exact(4).map(|b| {
                let v = f32::from_le_bytes([b[0], b[1], b[2], b[3]]);
                if v.is_finite() {
                    v
                } else {
                    0.0
                }
            })),
        }
        self.bytes.copy_within(whole..filled, 0);
        self.carry = filled - whole;
        if self.finished && self.carry > 0 {
            self.warnings.push(format!(
                "{}: input ended inside a frame; dropped its last {} byte(s)",
                self.name, self.carry
            ));
            self.carry = 0;
        }
        Ok(!buf.is_empty() || !self.finished)
    }

    fn take_warnings(&mut self) -> Vec<String> {
        std::mem::take(&mut self.warnings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_s16le_frames_and_drops_a_partial_tail() {
        let samples: Vec<i16> = (0..10_001)
            .map(|i| (i % 200) as i16 * 100 - 10_000)
            .collect();
        let mut bytes: Vec<u8> = samples.iter().flat_map(|s| s.to_le_bytes()).collect();
        bytes.push(7); // half a sample: a partial frame
        let mut src = RawPcmSource::new(
            "pipe",
            Box::new(std::io::Cursor::new(bytes)),
            RawSampleFormat::S16Le,
            8_000,
            1,
        )
        .unwrap();
        let mut all = Vec::new();
        let mut buf = Vec::new();
        while src.read_block(&mut buf).unwrap() {
            all.extend_from_slice(&buf);
        }
        assert_eq!(all.len(), samples.len());
        assert_eq!(all[0], -10_000.0 / 32768.0);
        assert_eq!(src.take_warnings().len(), 1);
    }

    #[test]
    fn reads_f32le_stereo() {
        let samples: Vec<f32> = (0..9_000).map(|i| (i as f32 / 9_000.0) - 0.5).collect();
        let bytes: Vec<u8> = samples.iter().flat_map(|s| s.to_le_bytes()).collect();
        let mut src = RawPcmSource::new(
            "pipe",
            Box::new(std::io::Cursor::new(bytes)),
            RawSampleFormat::F32Le,
            48_000,
            2,
        )
        .unwrap();
        let mut all = Vec::new();
        let mut buf = Vec::new();
        while src.read_block(&mut buf).unwrap() {
            assert_eq!(buf.len() % 2, 0);
            all.extend_from_slice(&buf);
        }
        assert_eq!(all, samples);
        assert!(src.take_warnings().is_empty());
    }

    #[test]
    fn rejects_bad_settings() {
        for (rate, ch) in [(0, 1), (16_000, 0), (10_000_000, 2)] {
            let r = RawPcmSource::new(
                "-",
                Box::new(std::io::empty()),
                RawSampleFormat::S16Le,
                rate,
                ch,
            );
            assert!(matches!(r, Err(SourceError::InvalidRaw { .. })));
        }
        assert!("s16le".parse::<RawSampleFormat>().is_ok());
        assert!("u8".parse::<RawSampleFormat>().is_err());
    }
}
