//! The spool's file format: a plain RIFF/WAVE file whose header is rewritten
//! on every sync.
//!
//! The header is written (with zero lengths) and synced before any audio, and
//! each [`WavWriter::sync`] flushes the samples, rewrites the RIFF and `data`
//! lengths to cover exactly the samples written so far, and `fsync`s. So
//! whenever the process dies, even by SIGKILL, the file is a valid, playable
//! WAV holding everything up to the last sync (bytes written after it sit
//! past the declared `data` length and are ignored by readers).
//!
//! Integer devices (8/16-bit) spool as 16-bit PCM, losslessly; everything
//! else as 32-bit float. The fixed 44-byte header keeps offsets simple.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

/// Bytes before the first sample.
pub(crate) const HEADER_BYTES: u64 = 44;

/// How samples are stored in the spool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpoolEncoding {
    /// 16-bit signed little-endian PCM (format tag 1).
    Pcm16,
    /// 32-bit IEEE float little-endian (format tag 3).
    Float32,
}

impl SpoolEncoding {
    /// The encoding that stores a device's native format without loss.
    pub fn for_device(format: cpal::SampleFormat) -> Self {
        use cpal::SampleFormat as F;
        match format {
            F::I8 | F::U8 | F::I16 | F::U16 => SpoolEncoding::Pcm16,
            _ => SpoolEncoding::Float32,
        }
    }

    /// Bytes per sample.
    pub fn sample_bytes(self) -> u64 {
        match self {
            SpoolEncoding::Pcm16 => 2,
            SpoolEncoding::Float32 => 4,
        }
    }

    /// Short name for logs (`pcm_s16le`, `f32le`).
    pub fn name(self) -> &'static str {
        match self {
            SpoolEncoding::Pcm16 => "pcm_s16le",
            SpoolEncoding::Float32 => "f32le",
        }
    }
}

/// The 44-byte header for `data_bytes` of audio.
fn header(encoding: SpoolEncoding, sample_rate: u32, channels: u16, data_bytes: u32) -> [u8; 44] {
    let bits = (encoding.sample_bytes() * 8) as u16;
    let block_align = channels * (bits / 8);
    let byte_rate = sample_rate * u32::from(block_align);
    let tag: u16 = match encoding {
        SpoolEncoding::Pcm16 => 1,
        SpoolEncoding::Float32 => 3,
    };
    let mut h = [0u8; 44];
    h[0..4].copy_from_slice(b"RIFF");
    h[4..8].copy_from_slice(&(36u32.saturating_add(data_bytes)).to_le_bytes());
    h[8..12].copy_from_slice(b"WAVE");
    h[12..16].copy_from_slice(b"fmt ");
    h[16..20].copy_from_slice(&16u32.to_le_bytes());
    h[20..22].copy_from_slice(&tag.to_le_bytes());
    h[22..24].copy_from_slice(&channels.to_le_bytes());
    h[24..28].copy_from_slice(&sample_rate.to_le_bytes());
    h[28..32].copy_from_slice(&byte_rate.to_le_bytes());
    h[32..34].copy_from_slice(&block_align.to_le_bytes());
    h[34..36].copy_from_slice(&bits.to_le_bytes());
    h[36..40].copy_from_slice(b"data");
    h[40..44].copy_from_slice(&data_bytes.to_le_bytes());
    h
}

/// Largest `data` chunk a WAV file can declare, rounded down to whole frames.
pub(crate) fn max_data_bytes(encoding: SpoolEncoding, channels: u16) -> u64 {
    let frame = encoding.sample_bytes() * u64::from(channels.max(1));
    let limit = u64::from(u32::MAX) - HEADER_BYTES;
    limit / frame * frame
}

/// Appends samples to one spool file and keeps its header valid.
pub(crate) struct WavWriter {
    path: PathBuf,
    out: BufWriter<File>,
    encoding: SpoolEncoding,
    sample_rate: u32,
    channels: u16,
    data_bytes: u64,
    scratch: Vec<u8>,
}

impl WavWriter {
    /// Creates `path` (which must not exist: a recording is never
    /// overwritten), writes an empty header and syncs it.
    pub fn create(
        path: &Path,
        encoding: SpoolEncoding,
        sample_rate: u32,
        channels: u16,
    ) -> std::io::Result<Self> {
        let file = OpenOptions::new().write(true).create_new(true).open(path)?;
        let mut writer = WavWriter {
            path: path.to_path_buf(),
            out: BufWriter::with_capacity(1 << 16, file),
            encoding,
            sample_rate,
            channels,
            data_bytes: 0,
            scratch: Vec::new(),
        };
        writer
            .out
            .write_all(&header(encoding, sample_rate, channels, 0))?;
        writer.sync()?;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            // Make the new directory entry itself durable.
            if let Ok(d) = File::open(dir) {
                let _ = d.sync_all();
            }
        }
        Ok(writer)
    }

    /// The file being written.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// How samples are stored.
    pub fn encoding(&self) -> SpoolEncoding {
        self.encoding
    }

    /// Channels per frame.
    pub fn channels(&self) -> u16 {
        self.channels
    }

    /// Audio bytes written so far (synced or not).
    pub fn data_bytes(&self) -> u64 {
        self.data_bytes
    }

    /// Appends interleaved samples (whole frames).
    pub fn write(&mut self, samples: &[f32]) -> std::io::Result<()> {
        self.scratch.clear();
        match self.encoding {
            SpoolEncoding::Pcm16 => {
                for &s in samples {
                    let v = (s * 32768.0).round().clamp(-32768.0, 32767.0) as i16;
                    self.scratch.extend_from_slice(&v.to_le_bytes());
                }
            }
            SpoolEncoding::Float32 => {
                for &s in samples {
                    self.scratch.extend_from_slice(&s.to_le_bytes());
                }
            }
        }
        self.out.write_all(&self.scratch)?;
        self.data_bytes += self.scratch.len() as u64;
        Ok(())
    }

    /// Hands buffered samples to the OS, so a reader of the file sees them
    /// (not yet durable, and not yet covered by the header).
    pub fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }

    /// Flushes, rewrites the header to cover every sample written, and
    /// fsyncs: after this returns the file is valid up to here whatever
    /// happens to the process.
    pub fn sync(&mut self) -> std::io::Result<()> {
        self.out.flush()?;
        let data = u32::try_from(self.data_bytes).unwrap_or(u32::MAX);
        let h = header(self.encoding, self.sample_rate, self.channels, data);
        let file = self.out.get_ref();
        file.write_all_at(&h[4..8], 4)?;
        file.write_all_at(&h[40..44], 40)?;
        file.sync_data()?;
        Ok(())
    }
}

/// Reads samples back from a spool file that may still be growing (the
/// live source's view of the backlog).
pub(crate) struct WavReader {
    file: File,
    encoding: SpoolEncoding,
    scratch: Vec<u8>,
}

impl WavReader {
    /// Opens a spool file written by [`WavWriter`] with `encoding`.
    pub fn open(path: &Path, encoding: SpoolEncoding) -> std::io::Result<Self> {
        Ok(WavReader {
            file: File::open(path)?,
            encoding,
            scratch: Vec::new(),
        })
    }

    /// Appends `samples` samples starting at sample index `first` to `out`.
    pub fn read(&mut self, first: u64, samples: usize, out: &mut Vec<f32>) -> std::io::Result<()> {
        let width = self.encoding.sample_bytes();
        self.scratch.resize(samples * width as usize, 0);
        self.file
            .read_exact_at(&mut self.scratch, HEADER_BYTES + first * width)?;
        match self.encoding {
            SpoolEncoding::Pcm16 => out.extend(
                self.scratch
                    .chunks_exact(2)
                    .map(|b| f32::from(i16::from_le_bytes([b[0], b[1]])) / 32768.0),
            ),
            SpoolEncoding::Float32 => out.extend(
                self.scratch
                    .chunks_exact(4)
                    .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])),
            ),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_covers_synced_samples_and_reader_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        for encoding in [SpoolEncoding::Pcm16, SpoolEncoding::Float32] {
            let path = dir.path().join(format!("{}.wav", encoding.name()));
            let mut w = WavWriter::create(&path, encoding, 48_000, 2).unwrap();
            let bytes = std::fs::read(&path).unwrap();
            assert_eq!(bytes.len(), 44);
            assert_eq!(&bytes[40..44], &0u32.to_le_bytes());
            let samples: Vec<f32> = (0..200).map(|i| (i as f32 - 100.0) / 128.0).collect();
            w.write(&samples).unwrap();
            w.sync().unwrap();
            w.write(&samples[..20]).unwrap();
            w.flush().unwrap();
            let bytes = std::fs::read(&path).unwrap();
            let declared = u32::from_le_bytes(bytes[40..44].try_into().unwrap()) as u64;
            assert_eq!(declared, 200 * encoding.sample_bytes());
            let riff = u32::from_le_bytes(bytes[4..8].try_into().unwrap()) as u64;
            assert_eq!(riff, 36 + declared);
            // Unsynced bytes are in the file, past the declared length.
            assert_eq!(bytes.len() as u64, 44 + 220 * encoding.sample_bytes());
            let mut r = WavReader::open(&path, encoding).unwrap();
            let mut out = Vec::new();
            r.read(10, 190, &mut out).unwrap();
            assert_eq!(out.len(), 190);
            for (a, b) in out.iter().zip(&samples[10..]) {
                assert!((a - b).abs() < 1e-4, "{a} vs {b}");
            }
            // A new writer never clobbers an existing recording.
            assert!(WavWriter::create(&path, encoding, 48_000, 2).is_err());
        }
    }

    #[test]
    fn pcm16_round_trip_of_i16_input_is_exact() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.wav");
        let mut w = WavWriter::create(&path, SpoolEncoding::Pcm16, 8_000, 1).unwrap();
        let ints: Vec<i16> = vec![-32768, -1, 0, 1, 12345, 32767];
        let f: Vec<f32> = ints.iter().map(|&i| f32::from(i) / 32768.0).collect();
        w.write(&f).unwrap();
        w.sync().unwrap();
        let bytes = std::fs::read(&path).unwrap();
        let back: Vec<i16> = bytes[44..]
            .chunks_exact(2)
            .map(|b| i16::from_le_bytes([b[0], b[1]]))
            .collect();
        assert_eq!(back, ints);
    }

    #[test]
    fn max_data_bytes_is_whole_frames_below_4_gib() {
        let m = max_data_bytes(SpoolEncoding::Float32, 6);
        assert_eq!(m % 24, 0);
        assert!(m + HEADER_BYTES <= u64::from(u32::MAX));
    }
}
