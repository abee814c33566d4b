//! [`FileSource`]: a recording decoded with symphonia, packet by packet.

use std::fs::File;
use std::io::{ErrorKind, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use symphonia::core::codecs::audio::well_known::CODEC_ID_OPUS;
use symphonia::core::codecs::audio::{AudioDecoder, AudioDecoderOptions};
use symphonia::core::codecs::registry::CodecRegistry;
use symphonia::core::errors::Error as SymError;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::{FormatOptions, FormatReader, Track};
use symphonia::core::io::{MediaSource, MediaSourceStream, ReadOnlySource};
use symphonia::core::meta::MetadataOptions;

use super::{created, mp4};
use super::{AudioSource, SourceError, SourceFormat};

/// Decode errors in a row, with nothing decoded yet, after which a file is
/// declared corrupt instead of skipping on.
const MAX_LEADING_BAD_PACKETS: u32 = 64;

/// Symphonia's decoders plus libopus for Opus (ogg, webm, mkv), built once.
fn codecs() -> &'static CodecRegistry {
    static REGISTRY: OnceLock<CodecRegistry> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        let mut registry = CodecRegistry::new();
        symphonia::default::register_enabled_codecs(&mut registry);
        registry.register_audio_decoder::<symphonia_adapter_libopus::OpusDecoder>();
        registry
    })
}

/// A recording in any container and codec symphonia (plus libopus) reads:
/// wav, flac, mp3, aac/m4a, the audio track of an mp4, ogg vorbis/opus,
/// webm/mkv opus, aiff, caf. Decodes one packet per [`AudioSource::read_block`]
/// call, so memory stays flat whatever the length.
pub struct FileSource {
    name: String,
    format: SourceFormat,
    reader: Box<dyn FormatReader>,
    decoder: Box<dyn AudioDecoder>,
    track_id: u32,
    start_utc: Option<DateTime<Utc>>,
    duration: Option<f64>,
    /// Frames the container says the track has, when it says.
    stated_frames: Option<u64>,
    /// Whether `stated_frames` is exact (lossless containers) rather than
    /// an estimate or padded figure.
    exact_length: bool,
    /// Frames handed out so far.
    frames_out: u64,
    /// Leading frames still to drop (encoder priming an mp4 edit list skips).
    skip_frames: u64,
    /// The first decoded block, read while opening to learn the format.
    first_block: Vec<f32>,
    /// Whether `first_block` still has to be handed out.
    first_pending: bool,
    /// Scratch for converting a block whose channel count changed mid-stream.
    remap: Vec<f32>,
    skipped_packets: u64,
    warnings: Vec<String>,
    finished: bool,
}

impl std::fmt::Debug for FileSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileSource")
            .field("name", &self.name)
            .field("format", &self.format)
            .field("frames_out", &self.frames_out)
            .finish_non_exhaustive()
    }
}

impl FileSource {
    /// Opens and probes a file, decoding its first packet so that the
    /// format is known and a damaged file fails here with a typed error.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, SourceError> {
        let path = path.as_ref();
        let name = path.display().to_string();
        let file = File::open(path).map_err(|e| match e.kind() {
            ErrorKind::NotFound => SourceError::NotFound { name: name.clone() },
            _ => SourceError::Io {
                name: name.clone(),
                err: e,
            },
        })?;
        let meta = file.metadata().map_err(|e| SourceError::Io {
            name: name.clone(),
            err: e,
        })?;
        if meta.is_dir() {
            return Err(SourceError::Io {
                name,
                err: std::io::Error::new(ErrorKind::IsADirectory, "is a directory"),
            });
        }
        if meta.is_file() && meta.len() == 0 {
            return Err(SourceError::Empty { name });
        }
        let mut hint = Hint::new();
        if let Some(ext) = path.extension().and_then(|e| e.to_str()) {
            hint.with_extension(ext);
        }
        if meta.is_file() {
            Self::probe_file(name, file, &hint)
        } else {
            // A FIFO or device: read it as a stream.
            Self::probe(name, Box::new(ReadOnlySource::new(file)), &hint)
        }
    }

    /// Probes a seekable regular file, first reading the mp4 facts
    /// symphonia leaves out (creation time, encoder priming).
    fn probe_file(name: String, mut file: File, hint: &Hint) -> Result<Self, SourceError> {
        let mp4_time = mp4::creation_time(&mut file);
        let priming = mp4::audio_priming(&mut file);
        file.seek(SeekFrom::Start(0)).map_err(|e| SourceError::Io {
            name: name.clone(),
            err: e,
        })?;
        let mut source = Self::probe(name, Box::new(file), hint)?;
        if source.reader.format_info().short_name == "isomp4" {
            source.start_utc = source.start_utc.or(mp4_time);
            if let Some((media_time, timescale)) = priming {
                let frames = u128::from(media_time) * u128::from(source.format.sample_rate)
                    / u128::from(timescale);
                source.set_priming(u64::try_from(frames).unwrap_or(0));
            }
        }
        Ok(source)
    }

    /// Reads a recording from a stream that cannot seek, such as stdin
    /// (`-`). Formats that need seeking (mp4 with its index at the end)
    /// fail with a message saying to pass the file's path instead.
    pub fn from_reader<R>(name: impl Into<String>, reader: R) -> Result<Self, SourceError>
    where
        R: Read + Send + Sync + 'static,
    {
        let name = name.into();
        let mut reader = reader;
        // Peek one byte so that an empty stream gets its own message.
        let mut first = [0u8; 1];
        let n = loop {
            match reader.read(&mut first) {
                Ok(n) => break n,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => return Err(SourceError::Io { name, err: e }),
            }
        };
        if n == 0 {
            return Err(SourceError::Empty { name });
        }
        let chained = std::io::Cursor::new(first).chain(reader);
        Self::probe(name, Box::new(ReadOnlySource::new(chained)), &Hint::new())
    }

    /// Reads stdin: seekably when stdin is a redirected regular file (so
    /// mp4 works), as a stream otherwise.
    pub fn stdin() -> Result<Self, SourceError> {
        #[cfg(unix)]
        {
            use std::os::fd::AsFd;
            let stdin = std::io::stdin();
            if let Ok(fd) = stdin.as_fd().try_clone_to_owned() {
                let file = File::from(fd);
                if let Ok(meta) = file.metadata() {
                    if meta.is_file() {
                        if meta.len() == 0 {
                            return Err(SourceError::Empty { name: "-".into() });
                        }
                        return Self::probe_file("-".into(), file, &Hint::new());
                    }
                }
            }
        }
        Self::from_reader("-", std::io::stdin())
    }

    fn probe(name: String, media: Box<dyn MediaSource>, hint: &Hint) -> Result<Self, SourceError> {
        let mss = MediaSourceStream::new(media, Default::default());
        let mut reader = symphonia::default::get_probe()
            .probe(
                hint,
                mss,
                FormatOptions::default(),
                MetadataOptions::default(),
            )
            .map_err(|e| probe_error(&name, e))?;

        let mut start_utc = None;
        {
            let mut meta = reader.metadata();
            if let Some(rev) = meta.skip_to_latest() {
                start_utc = created::from_revision(rev);
            }
        }

        let exact_length = matches!(
            reader.format_info().short_name,
            "wave" | "aiff" | "caf" | "flac"
        );
        let (track, decoder) = pick_track(&name, reader.tracks())?;
        let track_id = track.id;
        let declared_rate = track
            .codec_params
            .as_ref()
            .and_then(|p| p.audio())
            .and_then(|a| a.sample_rate);
        let stated_frames = track.num_frames;
        let duration = stated_duration(&track);

        let mut source = FileSource {
            name,
            format: SourceFormat {
                sample_rate: declared_rate.unwrap_or(0),
                channels: 0,
            },
            reader,
            decoder,
            track_id,
            start_utc,
            duration,
            stated_frames,
            exact_length: false,
            frames_out: 0,
            skip_frames: 0,
            first_block: Vec::new(),
            first_pending: false,
            remap: Vec::new(),
            skipped_packets: 0,
            warnings: Vec::new(),
            finished: false,
        };
        source.exact_length = exact_length;
        source.prime()?;
        // The container counts frames at its declared rate; the decoder
        // may deliver another (Opus at 16 kHz).
        if let Some(declared) = declared_rate.filter(|&r| r > 0 && r != source.format.sample_rate) {
            let rate = u128::from(source.format.sample_rate);
            source.stated_frames = source
                .stated_frames
                .map(|n| (u128::from(n) * rate / u128::from(declared)) as u64);
        }
        if source.duration.is_none() {
            source.duration = source
                .stated_frames
                .map(|f| f as f64 / f64::from(source.format.sample_rate));
        }
        Ok(source)
    }

    /// Drops `frames` leading frames (encoder priming) so that frame 0 is
    /// the recording's first instant; the stated length shrinks to match.
    fn set_priming(&mut self, frames: u64) {
        self.skip_frames = frames;
        let rate = f64::from(self.format.sample_rate);
        self.stated_frames = self.stated_frames.map(|n| n.saturating_sub(frames));
        self.duration = self.duration.map(|d| (d - frames as f64 / rate).max(0.0));
    }

    /// Decodes until the first non-empty block, which fixes the format.
    fn prime(&mut self) -> Result<(), SourceError> {
        let mut bad_in_a_row = 0u32;
        loop {
            let packet = match self.reader.next_packet() {
                Ok(Some(p)) => p,
                Ok(None) => {
                    return Err(SourceError::Corrupt {
                        name: self.name.clone(),
                        detail: "the audio track holds no samples".into(),
                    })
                }
                Err(e) => return Err(self.fatal(e)),
            };
            if packet.track_id != self.track_id {
                continue;
            }
            match self.decoder.decode(&packet) {
                Ok(buf) => {
                    if buf.frames() == 0 {
                        continue;
                    }
                    let spec = buf.spec();
                    let format = SourceFormat {
                        sample_rate: spec.rate(),
                        channels: u16::try_from(spec.channels().count()).unwrap_or(u16::MAX),
                    };
                    format.validate().map_err(|detail| SourceError::BadHeader {
                        name: self.name.clone(),
                        detail,
                    })?;
                    buf.copy_to_vec_interleaved(&mut self.first_block);
                    self.format = format;
                    self.first_pending = true;
                    return Ok(());
                }
                Err(SymError::DecodeError(msg)) => {
                    bad_in_a_row += 1;
                    if bad_in_a_row >= MAX_LEADING_BAD_PACKETS {
                        return Err(SourceError::Corrupt {
                            name: self.name.clone(),
                            detail: msg.to_string(),
                        });
                    }
                }
                Err(SymError::Unsupported(msg)) => {
                    return Err(SourceError::UnsupportedCodec {
                        name: self.name.clone(),
                        detail: msg.to_string(),
                    })
                }
                Err(e) => return Err(self.fatal(e)),
            }
        }
    }

    /// Maps an error met before any audio decoded.
    fn fatal(&self, e: SymError) -> SourceError {
        let name = self.name.clone();
        match e {
            SymError::IoError(io) if io.kind() != ErrorKind::UnexpectedEof => {
                SourceError::Io { name, err: io }
            }
            SymError::IoError(_) => SourceError::Corrupt {
                name,
                detail: "the file ends before its first audio packet".into(),
            },
            SymError::Unsupported(msg) => SourceError::UnsupportedCodec {
                name,
                detail: msg.to_string(),
            },
            other => SourceError::Corrupt {
                name,
                detail: other.to_string(),
            },
        }
    }

    /// Seconds handed out so far.
    fn seconds_out(&self) -> f64 {
        self.frames_out as f64 / f64::from(self.format.sample_rate)
    }

    /// Ends the stream after a problem met once audio had decoded: keep
    /// what decoded, and say so.
    fn stop_with_warning(&mut self, what: &str) {
        let at = self.seconds_out();
        self.warnings.push(format!(
            "{}: {what} after {at:.1} s; kept what decoded",
            self.name
        ));
        self.finished = true;
    }

    /// Called at a clean end of stream: warn when the container promised
    /// noticeably more audio than arrived (a truncated file).
    fn check_length(&mut self) {
        if self.skipped_packets > 0 {
            self.warnings.push(format!(
                "{}: skipped {} damaged packet(s)",
                self.name, self.skipped_packets
            ));
        }
        if let Some(stated) = self.stated_frames {
            let rate = u64::from(self.format.sample_rate);
            // Lossless containers state the length exactly (allow 20 ms);
            // lossy ones may pad or estimate it (allow 0.5 s or 2%).
            let slack = if self.exact_length {
                rate / 50
            } else {
                (rate / 2).max(stated / 50)
            };
            if self.frames_out + slack < stated {
                let what = format!(
                    "truncated ({:.1} s of a stated {:.1} s)",
                    self.seconds_out(),
                    stated as f64 / rate as f64
                );
                self.warnings
                    .push(format!("{}: {what}; kept what decoded", self.name));
            }
        }
    }

    /// Fills `buf` with the next decoded block, before priming is dropped.
    fn next_block(&mut self, buf: &mut Vec<f32>) -> Result<bool, SourceError> {
        buf.clear();
        if self.first_pending {
            self.first_pending = false;
            std::mem::swap(buf, &mut self.first_block);
            self.first_block = Vec::new();
            return Ok(true);
        }
        while !self.finished {
            let packet = match self.reader.next_packet() {
                Ok(Some(p)) => p,
                Ok(None) => {
                    self.finished = true;
                    self.check_length();
                    break;
                }
                Err(SymError::IoError(io)) if io.kind() == ErrorKind::UnexpectedEof => {
                    self.stop_with_warning("truncated");
                    break;
                }
                Err(SymError::IoError(io)) => {
                    return Err(SourceError::Io {
                        name: self.name.clone(),
                        err: io,
                    })
                }
                Err(SymError::ResetRequired) => {
                    self.stop_with_warning("stream layout changed (chained stream)");
                    break;
                }
                Err(e) => {
                    self.stop_with_warning(&format!("damaged data ({e})"));
                    break;
                }
            };
            if packet.track_id != self.track_id {
                continue;
            }
            match self.decoder.decode(&packet) {
                Ok(decoded) => {
                    if decoded.frames() == 0 {
                        continue;
                    }
                    if decoded.spec().rate() != self.format.sample_rate {
                        let rate = decoded.spec().rate();
                        self.stop_with_warning(&format!("sample rate changed to {rate} Hz"));
                        break;
                    }
                    self.copy_decoded(buf);
                    return Ok(true);
                }
                Err(SymError::DecodeError(_)) | Err(SymError::IoError(_)) => {
                    self.skipped_packets += 1;
                }
                Err(e) => {
                    self.stop_with_warning(&format!("decoder failed ({e})"));
                    break;
                }
            }
        }
        Ok(false)
    }

    /// Copies the last decoded block into `out` at the stream's channel count.
    fn copy_decoded(&mut self, out: &mut Vec<f32>) {
        let buf = self.decoder.last_decoded();
        let channels = buf.spec().channels().count();
        let want = usize::from(self.format.channels);
        if channels == want {
            buf.copy_to_vec_interleaved(out);
        } else {
            // A stream changed its channel count mid-file: average to mono
            // and spread that over the stream's original channels.
            buf.copy_to_vec_interleaved(&mut self.remap);
            out.clear();
            let frames = self.remap.len() / channels.max(1);
            out.reserve(frames * want);
            for frame in self.remap.chunks_exact(channels.max(1)) {
                let mono = frame.iter().sum::<f32>() / channels.max(1) as f32;
                out.extend(std::iter::repeat_n(mono, want));
            }
        }
    }
}

/// Chooses the first audio track a registered decoder can decode.
fn pick_track(name: &str, tracks: &[Track]) -> Result<(Track, Box<dyn AudioDecoder>), SourceError> {
    let mut unsupported = None;
    for track in tracks {
        let Some(params) = track.codec_params.as_ref().and_then(|p| p.audio()) else {
            continue;
        };
        if let Some(rate) = params.sample_rate {
            let channels = params.channels.as_ref().map_or(1, |c| c.count());
            let format = SourceFormat {
                sample_rate: rate,
                channels: u16::try_from(channels).unwrap_or(u16::MAX),
            };
            if let Err(detail) = format.validate() {
                return Err(SourceError::BadHeader {
                    name: name.to_string(),
                    detail,
                });
            }
        }
        if params.channels.as_ref().is_some_and(|c| c.count() == 0) {
            return Err(SourceError::BadHeader {
                name: name.to_string(),
                detail: "zero channels".into(),
            });
        }
        // libopus decodes straight to 16 kHz (any of 8/12/16/24/48 kHz
        // is native to Opus): cheaper than decoding 48 kHz and resampling.
        let opus16;
        let params = if params.codec == CODEC_ID_OPUS {
            let mut p = params.clone();
            p.sample_rate = Some(crate::SAMPLE_RATE);
            opus16 = p;
            &opus16
        } else {
            params
        };
        match codecs().make_audio_decoder(params, &AudioDecoderOptions::default()) {
            Ok(decoder) => return Ok((track.clone(), decoder)),
            Err(SymError::Unsupported(msg)) => {
                unsupported = Some(format!("{msg}, codec id {}", params.codec));
            }
            Err(e) => {
                return Err(SourceError::BadHeader {
                    name: name.to_string(),
                    detail: e.to_string(),
                })
            }
        }
    }
    Err(match unsupported {
        Some(detail) => SourceError::UnsupportedCodec {
            name: name.to_string(),
            detail,
        },
        None => SourceError::NoAudioTrack {
            name: name.to_string(),
        },
    })
}

/// The track's duration in seconds as the container states it.
fn stated_duration(track: &Track) -> Option<f64> {
    let tb = track.time_base?;
    let dur = track.duration?;
    let secs = tb.calc_duration(dur)?.as_secs_f64();
    (secs.is_finite() && secs > 0.0).then_some(secs)
}

/// Maps a probe failure to a typed error.
fn probe_error(name: &str, e: SymError) -> SourceError {
    let name = name.to_string();
    match e {
        SymError::Unsupported(_) => SourceError::UnknownFormat { name },
        SymError::IoError(io) if io.kind() == ErrorKind::UnexpectedEof => SourceError::Corrupt {
            name,
            detail: "the file ends inside its header".into(),
        },
        SymError::IoError(io) if io.kind() == ErrorKind::Other => SourceError::Corrupt {
            name,
            detail: format!("{io} (reading from a pipe? pass the file's path instead)"),
        },
        SymError::IoError(io) => SourceError::Io { name, err: io },
        SymError::DecodeError(msg) | SymError::LimitError(msg) => SourceError::BadHeader {
            name,
            detail: msg.to_string(),
        },
        other => SourceError::Corrupt {
            name,
            detail: other.to_string(),
        },
    }
}

impl AudioSource for FileSource {
    fn format(&self) -> SourceFormat {
        self.format
    }

    fn name(&self) -> &str {
        &self.name
    }

    fn read_block(&mut self, buf: &mut Vec<f32>) -> Result<bool, SourceError> {
        loop {
            if !self.next_block(buf)? {
                return Ok(false);
            }
            let channels = usize::from(self.format.channels);
            if self.skip_frames > 0 {
                let frames = (buf.len() / channels) as u64;
                let drop = self.skip_frames.min(frames);
                buf.drain(..drop as usize * channels);
                self.skip_frames -= drop;
            }
            if !buf.is_empty() {
                self.frames_out += (buf.len() / channels) as u64;
                return Ok(true);
            }
        }
    }

    fn start_utc(&self) -> Option<DateTime<Utc>> {
        self.start_utc
    }

    fn duration(&self) -> Option<f64> {
        self.duration
    }

    fn take_warnings(&mut self) -> Vec<String> {
        std::mem::take(&mut self.warnings)
    }
}
