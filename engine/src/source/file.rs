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
use symphonia::core::formats::{FormatOptions, FormatReader, SeekMode, SeekTo, Track};
use symphonia::core::io::{MediaSource, MediaSourceStream, ReadOnlySource};
use symphonia::core::meta::MetadataOptions;
use symphonia::core::packet::Packet;
use symphonia::core::units::{TimeBase, Timestamp};

use super::guarded::guarded;
use super::mpa::{self, FrameMap};
use super::timeline::{Gap, Timeline};
use super::view::RepairedView;
use super::{created, matroska, mp4};
use super::{AudioSource, SourceError, SourceFormat};

/// Decode errors in a row, with nothing decoded yet, after which a file is
/// declared corrupt instead of skipping on.
const MAX_LEADING_BAD_PACKETS: u32 = 64;
/// Gaps reported one by one; later ones are summed up at the end.
const MAX_GAP_WARNINGS: u32 = 8;
/// Times the demuxer may be moved past damage in one file.
const MAX_RESYNCS: u32 = 256;
/// Seek attempts per resync, each a little further past the damage.
const MAX_SEEK_TRIES: u32 = 200;
/// Longest gap filled when the container states no length (seconds).
const MAX_UNSTATED_GAP_SECS: u64 = 30 * 60;

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
    /// The last decoded block, not yet handed out (the first one is read
    /// while opening, to learn the format).
    held: Vec<f32>,
    /// Whether `held` still has to be handed out.
    held_pending: bool,
    /// Frames of silence to hand out before `held`: a gap being filled.
    silence_left: u64,
    /// The track's time base, to place packets by their timestamps.
    time_base: Option<TimeBase>,
    /// Packet times against frames handed out.
    timeline: Timeline,
    /// Scratch for converting a block whose channel count changed mid-stream.
    remap: Vec<f32>,
    /// Packets that failed to decode since the last good one.
    lost_since_good: u64,
    /// Failed packets whose loss was too short to shift the times (or at
    /// the end), so no gap stands for them.
    unplaced_lost: u64,
    /// Whether the demuxer reported damage since the last good packet.
    demuxer_damage: bool,
    /// Whether damaged container structure was padded over before reading.
    repaired: bool,
    /// For an mp3 whose frame chain breaks: each frame's true index.
    frame_map: Option<FrameMap>,
    /// Timestamp (track units) of the last packet read, and the furthest
    /// point a resync has sought to.
    last_ts: Option<i64>,
    resync_floor: Option<i64>,
    resyncs: u32,
    /// Gaps reported so far, and those summed up at the end.
    gaps_reported: u32,
    gaps_unreported: (u32, f64),
    /// The last gap, not yet reported: one that follows within a second
    /// joins it (damage often leaves a packet or two intact).
    open_gap: Option<OpenGap>,
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

    /// Decodes a recording held in memory (any container [`FileSource::open`]
    /// reads, damaged files included); `name` is used in messages.
    pub fn from_bytes(name: impl Into<String>, bytes: Vec<u8>) -> Result<Self, SourceError> {
        let name = name.into();
        if bytes.is_empty() {
            return Err(SourceError::Empty { name });
        }
        Self::probe_file(name, std::io::Cursor::new(bytes), &Hint::new())
    }

    /// Probes a seekable file, first reading the mp4 facts symphonia leaves
    /// out (creation time, encoder priming), and showing a file cut short
    /// at the length it declares so that what is there can be read.
    fn probe_file<R>(name: String, mut file: R, hint: &Hint) -> Result<Self, SourceError>
    where
        R: Read + Seek + Send + Sync + 'static,
    {
        let io_err = |name: &String, e| SourceError::Io {
            name: name.clone(),
            err: e,
        };
        let real_len = file.seek(SeekFrom::End(0)).map_err(|e| io_err(&name, e))?;
        let layout = mp4::layout(&mut file);
        if let Some(layout) = layout.filter(|l| !l.has_moov) {
            return Err(SourceError::Mp4IndexMissing {
                name,
                problem: if layout.moov_cut {
                    "is cut off (the file ends inside it)"
                } else {
                    "is missing (the recording was not finalised: the app stopped or the \
                     disk filled before writing it)"
                },
            });
        }
        let mp4_time = mp4::creation_time(&mut file);
        let priming = mp4::audio_priming(&mut file);
        let (shown_len, patches, repaired) = match layout {
            Some(l) => (l.declared_len, Vec::new(), false),
            None => match matroska::repair(&mut file, real_len) {
                Some(r) => (r.declared_len, r.patches, r.damaged),
                None => (real_len, Vec::new(), false),
            },
        };
        let mut head = [0u8; 4];
        file.seek(SeekFrom::Start(0))
            .and_then(|_| file.read(&mut head))
            .map_err(|e| io_err(&name, e))?;
        let frame_map = if layout.is_none() && !repaired && mpa::may_be_mpa(&head) {
            mpa::scan(&mut file)
        } else {
            None
        };
        file.seek(SeekFrom::Start(0))
            .map_err(|e| io_err(&name, e))?;
        let media = Box::new(RepairedView::new(file, real_len, shown_len, patches));
        let mut source = Self::probe_with(name, media, hint, frame_map, repaired)?;
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
        Self::probe_with(name, media, hint, None, false)
    }

    /// Probes `media` and decodes its first block; `frame_map` (used when
    /// the file turns out to be MPEG audio) and `repaired` are what a look
    /// at the whole file found.
    fn probe_with(
        name: String,
        media: Box<dyn MediaSource>,
        hint: &Hint,
        frame_map: Option<FrameMap>,
        repaired: bool,
    ) -> Result<Self, SourceError> {
        let mss = MediaSourceStream::new(media, Default::default());
        let probed = guarded(|| {
            symphonia::default::get_probe().probe(
                hint,
                mss,
                FormatOptions::default(),
                MetadataOptions::default(),
            )
        })
        .map_err(|msg| SourceError::Corrupt {
            name: name.clone(),
            detail: format!("its header could not be parsed: {msg}"),
        })?;
        let mut reader = probed.map_err(|e| probe_error(&name, e))?;

        let start_utc = guarded(|| {
            let mut meta = reader.metadata();
            meta.skip_to_latest().and_then(created::from_revision)
        })
        .ok()
        .flatten();

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
        let time_base = track.time_base;

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
            held: Vec::new(),
            held_pending: false,
            silence_left: 0,
            time_base,
            timeline: Timeline::new(declared_rate.unwrap_or(1)),
            remap: Vec::new(),
            lost_since_good: 0,
            unplaced_lost: 0,
            demuxer_damage: false,
            repaired,
            frame_map,
            last_ts: None,
            resync_floor: None,
            resyncs: 0,
            gaps_reported: 0,
            gaps_unreported: (0, 0.0),
            open_gap: None,
            warnings: Vec::new(),
            finished: false,
        };
        source.exact_length = exact_length;
        if !matches!(
            source.reader.format_info().short_name,
            "mp1" | "mp2" | "mp3"
        ) {
            source.frame_map = None;
        }
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
        // Gaps are filled only as far as the stream can reach.
        let rate = u64::from(source.format.sample_rate);
        match source.stated_frames {
            Some(n) => source
                .timeline
                .set_bounds(n.saturating_add((n / 20).max(rate)), u64::MAX),
            None => source
                .timeline
                .set_bounds(u64::MAX, MAX_UNSTATED_GAP_SECS.saturating_mul(rate)),
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
    /// Damaged packets before it are skipped (and become a gap), up to a
    /// limit; the first error decides what a file that never decodes is.
    fn prime(&mut self) -> Result<(), SourceError> {
        let mut bad_in_a_row = 0u32;
        let mut first_lost: Option<(i64, u64)> = None;
        let mut first_error: Option<SymError> = None;
        loop {
            let next =
                guarded(|| self.reader.next_packet()).map_err(|msg| SourceError::Corrupt {
                    name: self.name.clone(),
                    detail: format!("the demuxer failed on damaged data: {msg}"),
                })?;
            let packet = match next {
                Ok(Some(p)) => p,
                Ok(None) => {
                    return Err(match first_error {
                        Some(e) => self.fatal(e),
                        None => SourceError::Corrupt {
                            name: self.name.clone(),
                            detail: "the audio track holds no samples".into(),
                        },
                    })
                }
                Err(e) => return Err(self.fatal(first_error.unwrap_or(e))),
            };
            if packet.track_id != self.track_id {
                continue;
            }
            self.last_ts = Some(packet.pts.get());
            let decoded = guarded(|| self.decoder.decode(&packet)).unwrap_or(Err(
                SymError::DecodeError("the decoder failed on damaged data"),
            ));
            match decoded {
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
                    buf.copy_to_vec_interleaved(&mut self.held);
                    scrub(&mut self.held);
                    self.format = format;
                    self.held_pending = true;
                    self.timeline = Timeline::new(format.sample_rate);
                    if let Some((pts, trim)) = first_lost {
                        self.timeline.lost(self.time_of(pts, trim));
                    }
                    let frames = (self.held.len() / usize::from(format.channels)) as u64;
                    let at = self.packet_time(&packet);
                    if let Some(gap) = self.timeline.decoded(at, frames) {
                        self.fill(gap);
                    } else {
                        self.unplaced_lost += self.lost_since_good;
                    }
                    self.lost_since_good = 0;
                    return Ok(());
                }
                Err(e @ (SymError::DecodeError(_) | SymError::Unsupported(_))) => {
                    bad_in_a_row += 1;
                    self.lost_since_good += 1;
                    first_lost.get_or_insert((packet.pts.get(), packet.trim_start.get()));
                    self.reset_decoder();
                    let first = first_error.get_or_insert(e);
                    if bad_in_a_row >= MAX_LEADING_BAD_PACKETS {
                        let first = std::mem::replace(first, SymError::ResetRequired);
                        return Err(self.fatal(first));
                    }
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

    /// A packet's time in output frames (its timestamp plus the frames the
    /// decoder trims from its start), when the track has a time base.
    /// For an mp3 with a frame map, the time comes from the frame's true
    /// index instead: the reader's timestamps do not count lost frames.
    fn packet_time(&mut self, packet: &Packet) -> Option<i64> {
        if let Some(map) = self.frame_map.as_mut() {
            let spf = i64::from(map.samples_per_frame());
            let index = i64::try_from(map.locate(&packet.data)?).ok()?;
            let trim = i64::try_from(packet.trim_start.get()).ok()?;
            return index.checked_mul(spf)?.checked_add(trim);
        }
        self.time_of(packet.pts.get(), packet.trim_start.get())
    }

    /// [`Self::packet_time`] from a timestamp and a start trim.
    fn time_of(&self, pts: i64, trim_start: u64) -> Option<i64> {
        let tb = self.time_base?;
        let ts = i128::from(pts) + i128::from(trim_start);
        let frames = ts * i128::from(tb.numer.get()) * i128::from(self.format.sample_rate)
            / i128::from(tb.denom.get());
        i64::try_from(frames).ok()
    }

    /// Seconds handed out so far.
    fn seconds_out(&self) -> f64 {
        self.frames_out as f64 / f64::from(self.format.sample_rate)
    }

    /// Queues silence for a gap and notes it for a warning.
    fn fill(&mut self, gap: Gap) {
        self.silence_left = gap.frames;
        let corrupt = self.lost_since_good > 0 || self.demuxer_damage || self.repaired;
        self.demuxer_damage = false;
        // Frames still to be dropped as priming are not output time.
        let rate = f64::from(self.format.sample_rate);
        let start = self.frames_out as f64 / rate;
        let secs = gap.frames.saturating_sub(self.skip_frames) as f64 / rate;
        match self.open_gap.as_mut() {
            Some(open) if start - open.end <= 1.0 => {
                open.end = start + secs;
                open.lost += secs;
                open.corrupt |= corrupt;
            }
            _ => {
                self.report_gap();
                self.open_gap = Some(OpenGap {
                    start,
                    end: start + secs,
                    lost: secs,
                    corrupt,
                });
            }
        }
    }

    /// Reports the open gap, if any (the first few one by one, the rest
    /// summed up at the end).
    fn report_gap(&mut self) {
        let Some(g) = self.open_gap.take() else {
            return;
        };
        if self.gaps_reported >= MAX_GAP_WARNINGS {
            self.gaps_unreported.0 += 1;
            self.gaps_unreported.1 += g.lost;
            return;
        }
        self.gaps_reported += 1;
        let cause = if g.corrupt {
            "corrupt data"
        } else {
            "damaged or missing data"
        };
        self.warnings.push(format!(
            "{}: {:.1} s could not be decoded at {}–{} ({cause}); filled with silence, times \
             after it are kept",
            self.name,
            g.lost,
            clock(g.start),
            clock(g.end),
        ));
    }

    /// Ends the stream after a problem met once audio had decoded: keep
    /// what decoded, and say so.
    fn stop_with_warning(&mut self, what: &str) {
        self.finish_notes();
        self.warnings.push(format!(
            "{}: {what} at {}; kept what decoded before it",
            self.name,
            clock(self.seconds_out())
        ));
        self.finished = true;
    }

    /// The file ends before its stream does: say where it was cut.
    fn cut_short(&mut self) {
        self.finish_notes();
        let rate = f64::from(self.format.sample_rate);
        let stated = self.stated_frames.map(|n| n as f64 / rate);
        let short = match stated {
            Some(s) if s > self.seconds_out() => {
                format!(
                    ", {:.1} s before its stated end at {}",
                    s - self.seconds_out(),
                    clock(s)
                )
            }
            _ => String::new(),
        };
        self.warnings.push(format!(
            "{}: truncated: the file ends at {}{short}; kept what decoded",
            self.name,
            clock(self.seconds_out())
        ));
        self.finished = true;
    }

    /// Sums up what was not reported one by one: further gaps, and damaged
    /// packets no gap stands for.
    fn finish_notes(&mut self) {
        self.report_gap();
        let (n, secs) = std::mem::take(&mut self.gaps_unreported);
        if n > 0 {
            self.warnings.push(format!(
                "{}: {n} more stretch(es), {secs:.1} s in all, could not be decoded; filled \
                 with silence, times after them are kept",
                self.name,
            ));
        }
        let unplaced = self.unplaced_lost + std::mem::take(&mut self.lost_since_good);
        self.unplaced_lost = 0;
        if unplaced > 0 {
            self.warnings.push(format!(
                "{}: skipped {unplaced} damaged packet(s) that could not be decoded",
                self.name
            ));
        }
    }

    /// Called at a clean end of stream: warn when the container promised
    /// noticeably more audio than arrived (a truncated file).
    fn check_length(&mut self) {
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
                self.cut_short();
                return;
            }
        }
        self.finish_notes();
        self.finished = true;
    }

    /// After the demuxer reported damage: seek a little past it, further on
    /// each try, until reading resumes. `false` when it cannot (a stream
    /// that cannot seek, nothing readable after the damage).
    fn resync(&mut self) -> bool {
        if self.resyncs >= MAX_RESYNCS {
            return false;
        }
        self.resyncs += 1;
        let (Some(tb), Some(last)) = (self.time_base, self.last_ts) else {
            return false;
        };
        let from = match self.resync_floor {
            Some(floor) => floor.max(last),
            None => last,
        };
        // Steps of a quarter second at first, then growing by a tenth of
        // the distance already covered.
        let quarter = (i64::from(tb.denom.get()) / (4 * i64::from(tb.numer.get()))).max(1);
        let mut offset = 0i64;
        for _ in 0..MAX_SEEK_TRIES {
            offset = offset.saturating_add(quarter.max(offset / 10));
            let Some(target) = from.checked_add(offset) else {
                return false;
            };
            let to = SeekTo::Timestamp {
                ts: Timestamp::new(target),
                track_id: self.track_id,
            };
            let Ok(sought) = guarded(|| self.reader.seek(SeekMode::Accurate, to)) else {
                return false;
            };
            match sought {
                Ok(_) => {
                    self.resync_floor = Some(target);
                    self.demuxer_damage = true;
                    self.reset_decoder();
                    return true;
                }
                Err(SymError::SeekError(_)) | Err(SymError::IoError(_)) => return false,
                Err(_) => continue,
            }
        }
        false
    }

    /// Decodes packets until one yields audio (held, perhaps after a gap
    /// of silence) or the stream ends.
    fn decode_next(&mut self) -> Result<(), SourceError> {
        while !self.finished {
            let next = match guarded(|| self.reader.next_packet()) {
                Ok(next) => next,
                Err(msg) => {
                    // The reader's state is unknown after this: stop.
                    self.stop_with_warning(&format!("the demuxer failed on damaged data ({msg})"));
                    break;
                }
            };
            let packet = match next {
                Ok(Some(p)) => p,
                Ok(None) => {
                    self.check_length();
                    break;
                }
                Err(SymError::IoError(io)) if io.kind() == ErrorKind::UnexpectedEof => {
                    self.cut_short();
                    break;
                }
                Err(SymError::IoError(io)) => {
                    return Err(SourceError::Io {
                        name: self.name.clone(),
                        err: io,
                    })
                }
                Err(SymError::ResetRequired) => {
                    self.stop_with_warning("the stream layout changes (a chained stream)");
                    break;
                }
                Err(e) => {
                    if !self.resync() {
                        self.stop_with_warning(&format!("damaged data ({e})"));
                    }
                    continue;
                }
            };
            if packet.track_id != self.track_id {
                continue;
            }
            self.last_ts = Some(packet.pts.get());
            let at = self.packet_time(&packet);
            let decoded = guarded(|| self.decoder.decode(&packet)).unwrap_or(Err(
                SymError::DecodeError("the decoder failed on damaged data"),
            ));
            match decoded {
                Ok(decoded) => {
                    if decoded.frames() == 0 {
                        continue;
                    }
                    if decoded.spec().rate() != self.format.sample_rate {
                        let rate = decoded.spec().rate();
                        self.stop_with_warning(&format!("the sample rate changes to {rate} Hz"));
                        break;
                    }
                    let mut held = std::mem::take(&mut self.held);
                    self.copy_decoded(&mut held);
                    self.held = held;
                    self.held_pending = true;
                    let frames = (self.held.len() / usize::from(self.format.channels)) as u64;
                    match self.timeline.decoded(at, frames) {
                        Some(gap) => self.fill(gap),
                        None => self.unplaced_lost += self.lost_since_good,
                    }
                    self.lost_since_good = 0;
                    self.demuxer_damage = false;
                    return Ok(());
                }
                Err(_) => {
                    // Damaged data in a packet: skip it; the next good
                    // packet's timestamp places what follows.
                    self.lost_since_good += 1;
                    self.timeline.lost(at);
                    self.reset_decoder();
                }
            }
        }
        Ok(())
    }

    /// Fills `buf` with the next block (silence for a gap, or decoded
    /// audio), before priming is dropped.
    fn next_block(&mut self, buf: &mut Vec<f32>) -> Result<bool, SourceError> {
        buf.clear();
        loop {
            if self.silence_left > 0 {
                let frames = self.silence_left.min(u64::from(self.format.sample_rate));
                self.silence_left -= frames;
                buf.resize(frames as usize * usize::from(self.format.channels), 0.0);
                return Ok(true);
            }
            if self.held_pending {
                self.held_pending = false;
                std::mem::swap(buf, &mut self.held);
                return Ok(true);
            }
            if self.finished {
                return Ok(false);
            }
            self.decode_next()?;
        }
    }

    /// Resets the decoder after damaged data (guarded: a decoder that
    /// panicked may do so again).
    fn reset_decoder(&mut self) {
        let _ = guarded(|| self.decoder.reset());
    }

    /// Copies the last decoded block into `out` at the stream's channel count.
    fn copy_decoded(&mut self, out: &mut Vec<f32>) {
        let buf = self.decoder.last_decoded();
        let channels = buf.spec().channels().count();
        let want = usize::from(self.format.channels);
        if channels == want {
            buf.copy_to_vec_interleaved(out);
            scrub(out);
        } else {
            // A stream changed its channel count mid-file: average to mono
            // and spread that over the stream's original channels.
            buf.copy_to_vec_interleaved(&mut self.remap);
            out.clear();
            let frames = self.remap.len() / channels.max(1);
            out.reserve(frames * want);
            scrub(&mut self.remap);
            for frame in self.remap.chunks_exact(channels.max(1)) {
                let mono = frame.iter().sum::<f32>() / channels.max(1) as f32;
                out.extend(std::iter::repeat_n(mono, want));
            }
        }
    }
}

/// Replaces samples that are not finite (NaN and infinite floats in a
/// damaged float PCM file) with silence: downstream they would poison the
/// resampler's filter state and whisper's input.
fn scrub(samples: &mut [f32]) {
    for x in samples.iter_mut().filter(|x| !x.is_finite()) {
        *x = 0.0;
    }
}

/// A gap being reported: where it starts and ends in output time, the
/// silence it holds (seconds), and whether decoding failed in it.
#[derive(Debug, Clone, Copy)]
struct OpenGap {
    start: f64,
    end: f64,
    lost: f64,
    corrupt: bool,
}

/// `mm:ss.d`, or `h:mm:ss.d` from an hour on.
fn clock(secs: f64) -> String {
    let tenths = (secs.max(0.0) * 10.0).round() as u64;
    let (h, m, s, t) = (
        tenths / 36_000,
        tenths / 600 % 60,
        tenths / 10 % 60,
        tenths % 10,
    );
    if h > 0 {
        format!("{h}:{m:02}:{s:02}.{t}")
    } else {
        format!("{m:02}:{s:02}.{t}")
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
        let made = guarded(|| codecs().make_audio_decoder(params, &AudioDecoderOptions::default()))
            .map_err(|msg| SourceError::BadHeader {
                name: name.to_string(),
                detail: format!("the codec setup could not be parsed: {msg}"),
            })?;
        match made {
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
