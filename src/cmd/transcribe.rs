//! `transcribe` (also `hotwash transcribe`): audio in, timestamped utterances out.

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::{bail, Context, Result};
use chrono::{DateTime, Utc};
use clap::{Args, ValueEnum};
use hotwash_engine::format::{
    BoxedSink, JsonLinesSink, JsonSink, SubtitleFormat, SubtitleSink, TeeSink, TextSink,
};
use hotwash_engine::pipeline::{available_cores, Packing, Pipeline, Track};
use hotwash_engine::segment::SegmenterConfig;
use hotwash_engine::source::{AudioSource, FileSource, RawPcmSource, RawSampleFormat};
use hotwash_engine::transcriber::{AudioContext, Decoding, Model, TranscriberConfig};
use hotwash_engine::vad::VadConfig;
use hotwash_engine::{Sink, Summary};

use hotwash_postmortem::input::{initial_prompt, PROMPT_MAX_CHARS};
use hotwash_postmortem::Roster;

use crate::cmd::progress::ProgressBar;

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// `[start --> end] speaker: text`, one utterance a line.
    Txt,
    /// One JSON object per utterance per line.
    Jsonl,
    /// One JSON document (schema hotwash.transcript/1).
    Json,
    /// SubRip subtitles.
    Srt,
    /// WebVTT subtitles.
    Vtt,
}

/// Voice activity detector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum VadKind {
    /// webrtc-vad (fast, no model).
    Webrtc,
    /// whisper.cpp's Silero VAD (model fetched like the whisper model).
    Silero,
}

/// Raw PCM sample formats accepted on stdin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RawFormat {
    /// Signed 16-bit little-endian.
    S16le,
    /// 32-bit float little-endian.
    F32le,
}

/// Encoder context for short windows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AudioCtxArg {
    /// Always 30 s.
    Full,
    /// Just enough for the window.
    Fit,
}

/// Options of the engine shared by `transcribe`, `eval asr` and `postmortem`.
#[derive(Debug, Args, Clone)]
pub struct EngineArgs {
    /// Model: a catalogue name (tiny.en, base…) or a path to any whisper.cpp ggml file.
    #[arg(short, long, env = "HOTWASH_MODEL", default_value = hotwash_models::DEFAULT_MODEL)]
    pub model: String,
    /// Whisper workers (default: chosen from the core count; at most the
    /// cores this process may use).
    #[arg(long, value_parser = at_least_one)]
    pub workers: Option<usize>,
    /// Compute threads per worker (default: cores / workers).
    #[arg(long, value_parser = at_least_one)]
    pub threads: Option<usize>,
    /// Voice activity detector.
    #[arg(long, value_enum, default_value_t = VadKind::Webrtc)]
    pub vad: VadKind,
    /// webrtc-vad aggressiveness, 0 (keeps most) to 3 (strictest).
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u8).range(0..=3))]
    pub vad_level: u8,
    /// Beam search with this many beams instead of greedy decoding.
    #[arg(long, value_name = "N")]
    pub beam: Option<u8>,
    /// Prompt with the team's jargon and service names.
    #[arg(long)]
    pub prompt: Option<String>,
    /// Spoken language for multilingual models (en, de, auto…).
    #[arg(long)]
    pub language: Option<String>,
    /// Encoder context for windows shorter than 30 s (fit: measured faster
    /// at equal accuracy, see README).
    #[arg(long, value_enum, default_value_t = AudioCtxArg::Fit)]
    pub audio_ctx: AudioCtxArg,
}

/// A count of 1 or more (`--workers 0` is an error, not "auto": leave the
/// flag out for the default).
fn at_least_one(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(0) => Err("must be at least 1 (leave the flag out for the default)".into()),
        Ok(n) => Ok(n),
        Err(e) => Err(e.to_string()),
    }
}

/// Arguments of `transcribe`.
#[derive(Debug, Args, Clone)]
pub struct TranscribeArgs {
    /// Audio files (wav, flac, mp3, m4a/mp4, ogg/opus, webm…); `-` reads stdin.
    #[arg(value_name = "FILE")]
    pub files: Vec<String>,
    /// A participant's own track: NAME=FILE (repeatable; one file per speaker).
    #[arg(long = "track", value_name = "NAME=FILE")]
    pub tracks: Vec<String>,
    /// One speaker per channel: transcribe each channel as its own track.
    #[arg(long)]
    pub split_channels: bool,
    /// Read raw PCM from stdin in this format (needs --rate and --channels).
    #[arg(long, value_enum)]
    pub raw: Option<RawFormat>,
    /// Sample rate of --raw input.
    #[arg(long, default_value_t = 16_000)]
    pub rate: u32,
    /// Channel count of --raw input.
    #[arg(long, default_value_t = 1)]
    pub channels: u16,
    /// Wall-clock time at the recording's start (RFC 3339), e.g. 2026-03-14T09:02:00Z.
    #[arg(long, value_name = "RFC3339")]
    pub start_time: Option<String>,
    /// Engine options.
    #[command(flatten)]
    pub engine: EngineArgs,
    /// Roster TOML (see `hotwash postmortem --roster`): its names and
    /// `terms` are added to whisper's initial prompt, after --prompt.
    #[arg(long, value_name = "FILE")]
    pub roster: Option<PathBuf>,
    /// Output format.
    #[arg(short = 'f', long = "format", value_enum, default_value_t = OutputFormat::Txt)]
    pub format: OutputFormat,
    /// Write to this file instead of stdout.
    #[arg(short, long, value_name = "PATH")]
    pub output: Option<PathBuf>,
    /// No progress bar or notes on stderr.
    #[arg(short, long)]
    pub quiet: bool,
    /// Capture live from audio input devices instead of reading files.
    #[arg(long)]
    pub live: bool,
    /// Input device for --live (repeatable: each device becomes a track;
    /// see `hotwash devices`). Default: the default input.
    #[arg(long = "device", value_name = "NAME")]
    pub devices: Vec<String>,
    /// Incident directory for --live: the raw capture is spooled here
    /// (synced every second) with the transcript beside it.
    #[arg(long = "out", value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
    /// Stop --live after this many seconds.
    #[arg(long, value_name = "SECS")]
    pub duration: Option<f64>,
    /// Stop --live after this many seconds without speech.
    #[arg(long, value_name = "SECS")]
    pub stop_after_silence: Option<f64>,
    /// Keep reopening a lost device (--live), marking the gap.
    #[arg(long)]
    pub reconnect: bool,
    /// With --live: show provisional text for speech in progress, refreshed
    /// about every second (only words two passes agree on), replaced by the
    /// final utterance. Never written to transcript.jsonl.
    #[arg(long, requires = "live")]
    pub partials: bool,
}

/// The engine options with whisper's initial prompt built from `--prompt`
/// and the roster's names and terms ([`hotwash_postmortem::input::initial_prompt`]);
/// says on stderr (unless `quiet`) what did not fit.
pub fn with_roster_prompt(engine: &EngineArgs, roster: Option<&Roster>, quiet: bool) -> EngineArgs {
    let mut engine = engine.clone();
    if roster.is_none() {
        return engine;
    }
    let built = initial_prompt(engine.prompt.as_deref(), roster);
    if !quiet && !built.dropped.is_empty() {
        eprintln!(
            "note: whisper's prompt is full ({PROMPT_MAX_CHARS} characters); left out of it: {}",
            built.dropped.join(", ")
        );
    }
    engine.prompt = (!built.text.is_empty()).then_some(built.text);
    engine
}

/// Resolves `--model` to a ggml file: a path is verified as a whisper.cpp
/// model; a catalogue name is fetched and converted on first use.
pub fn resolve_model(spec: &str, quiet: bool) -> Result<PathBuf> {
    let store = hotwash_models::Store::from_env()?;
    match store.resolve(spec) {
        Ok(path) => Ok(path),
        Err(hotwash_models::ModelError::NotPresent { .. }) => {
            if !quiet {
                eprintln!("model {spec} is not here yet: fetching it once (first use)");
            }
            Ok(store.fetch(spec, None, &mut |msg: &str| {
                if !quiet {
                    eprintln!("{msg}");
                }
            })?)
        }
        Err(e) => Err(e.into()),
    }
}

fn open_source(arg: &str, args: &TranscribeArgs) -> Result<Box<dyn AudioSource>> {
    if let Some(raw) = args.raw {
        if arg != "-" {
            bail!("{arg}: --raw reads standard input; pass `-` as the file");
        }
        let sample = match raw {
            RawFormat::S16le => RawSampleFormat::S16Le,
            RawFormat::F32le => RawSampleFormat::F32Le,
        };
        let src = RawPcmSource::new("-", Box::new(io::stdin()), sample, args.rate, args.channels)?;
        return Ok(Box::new(src));
    }
    if arg == "-" {
        return Ok(Box::new(FileSource::stdin()?));
    }
    Ok(Box::new(FileSource::open(Path::new(arg))?))
}

/// The input files named on the command line (files and `--track` files;
/// not stdin).
fn input_paths(args: &TranscribeArgs) -> impl Iterator<Item = &Path> {
    args.files
        .iter()
        .map(String::as_str)
        .chain(
            args.tracks
                .iter()
                .filter_map(|t| t.split_once('=').map(|(_, f)| f)),
        )
        .filter(|f| *f != "-")
        .map(Path::new)
        .chain(args.roster.as_deref())
}

/// Parses `--track NAME=FILE` flags: every NAME non-empty and used once
/// (case-insensitively: it is the speaker label), every FILE non-empty.
pub fn parse_track_specs(specs: &[String]) -> Result<Vec<(String, String)>> {
    let mut out: Vec<(String, String)> = Vec::new();
    for spec in specs {
        let Some((name, file)) = spec.split_once('=') else {
            bail!("--track {spec}: expected NAME=FILE, e.g. --track maya=maya.flac");
        };
        let name = name.trim();
        if name.is_empty() {
            bail!("--track {spec}: the NAME before `=` is empty (it labels the speaker)");
        }
        if file.is_empty() {
            bail!("--track {spec}: the FILE after `=` is empty");
        }
        if out.iter().any(|(n, _)| n.eq_ignore_ascii_case(name)) {
            bail!("--track {spec}: the name {name} is given to two tracks; give each track its own name");
        }
        out.push((name.to_string(), file.to_string()));
    }
    Ok(out)
}

/// Opens every input as a pipeline track.
pub fn open_tracks(args: &TranscribeArgs) -> Result<Vec<Track>> {
    let mut tracks = Vec::new();
    for (i, f) in args.files.iter().enumerate() {
        let name = if args.files.len() + args.tracks.len() == 1 {
            "main".to_string()
        } else {
            Path::new(f).file_stem().map_or_else(
                || format!("track{}", i + 1),
                |s| s.to_string_lossy().into_owned(),
            )
        };
        let mut t = Track::new(name, open_source(f, args)?);
        t.split_channels = args.split_channels;
        tracks.push(t);
    }
    for (name, file) in parse_track_specs(&args.tracks)? {
        let name = name.as_str();
        let mut t = Track::new(name, open_source(&file, args)?);
        t.speaker = Some(name.to_string());
        t.split_channels = args.split_channels;
        tracks.push(t);
    }
    if tracks.is_empty() {
        bail!("no input: give audio files, `-` for stdin, or --track NAME=FILE");
    }
    Ok(tracks)
}

/// Parses `--start-time`.
pub fn parse_start_time(s: &str) -> Result<DateTime<Utc>> {
    Ok(DateTime::parse_from_rfc3339(s)
        .with_context(|| format!("--start-time {s}: expected RFC 3339, e.g. 2026-03-14T09:02:00Z"))?
        .with_timezone(&Utc))
}

/// Builds the pipeline the engine options describe, sharing a loaded model.
pub fn build_pipeline(
    args: &EngineArgs,
    model: Arc<Model>,
    start_time: Option<DateTime<Utc>>,
    quiet: bool,
) -> Result<Pipeline> {
    build_pipeline_for(args, model, start_time, quiet, Packing::Full, None)
}

/// [`build_pipeline`] with a packing policy (eager for live capture).
pub fn build_pipeline_for(
    args: &EngineArgs,
    model: Arc<Model>,
    start_time: Option<DateTime<Utc>>,
    quiet: bool,
    packing: Packing,
    partials: Option<std::time::Duration>,
) -> Result<Pipeline> {
    let vad = match args.vad {
        VadKind::Webrtc => VadConfig::WebRtc {
            aggressiveness: args.vad_level,
        },
        VadKind::Silero => VadConfig::Silero {
            model: resolve_model("silero-v6.2.0", quiet)?,
            threshold: 0.5,
        },
    };
    let config = TranscriberConfig {
        decoding: args.beam.map_or(Decoding::Greedy, Decoding::Beam),
        prompt: args.prompt.clone(),
        language: args.language.clone(),
        audio_context: match args.audio_ctx {
            AudioCtxArg::Full => AudioContext::Full,
            AudioCtxArg::Fit => AudioContext::Fit,
        },
        ..TranscriberConfig::default()
    };
    let segmenter = match packing {
        Packing::Eager => SegmenterConfig::live(),
        Packing::Full => SegmenterConfig::default(),
    };
    let mut b = Pipeline::builder()
        .model(model)
        .transcriber(config)
        .vad(vad)
        .segmenter(segmenter)
        .packing(packing)
        .partials(partials);
    if let Some((w, t)) = fit_to_cores(args.workers, args.threads, available_cores(), quiet) {
        b = b.workers(w).threads(t);
    }
    if let Some(t) = start_time {
        b = b.start_utc(t);
    }
    let pipeline = b.build()?;
    if let (Some(prompt), false) = (args.prompt.as_deref(), quiet) {
        let budget = pipeline.model().prompt_token_budget();
        match pipeline.model().token_count(prompt) {
            Ok(n) if n > budget => eprintln!(
                "warning: the prompt is {n} tokens; whisper reads only its last {budget} (shorten --prompt or the roster's terms)"
            ),
            Ok(_) => {}
            Err(e) => eprintln!("warning: cannot count the prompt's tokens: {e}"),
        }
    }
    if let (Some((asked, started)), false) = (pipeline.lowered_for_memory(), quiet) {
        eprintln!(
            "note: {asked} worker(s) need more memory than is free; using {started} (about {} MB each)",
            hotwash_engine::memory::per_worker_bytes(
                std::fs::metadata(pipeline.model().path()).map_or(0, |m| m.len())
            ) >> 20
        );
    }
    Ok(pipeline)
}

/// Workers × threads for the request, never more compute threads than the
/// `cores` this process may use (`available_parallelism` follows the CPU
/// affinity mask and the cgroup quota): oversubscribed whisper threads spin
/// against each other and a run gets 20–40× slower. Says so on stderr when
/// a request is lowered. `None`: nothing asked, the engine's default split.
pub fn fit_to_cores(
    workers: Option<usize>,
    threads: Option<usize>,
    cores: usize,
    quiet: bool,
) -> Option<(usize, usize)> {
    let cores = cores.max(1);
    let (w, t) = match (workers, threads) {
        (None, None) => return None,
        (Some(w), Some(t)) => (w, t),
        (Some(w), None) => (w, (cores / w.max(1)).max(1)),
        (None, Some(t)) => ((cores / t.max(1)).max(1), t),
    };
    let (w, t) = (w.max(1), t.max(1));
    if w.saturating_mul(t) <= cores {
        return Some((w, t));
    }
    let fw = w.min(cores);
    let ft = (cores / fw).max(1);
    if !quiet {
        eprintln!(
            "note: {w} worker(s) × {t} thread(s) is more than the {cores} core(s) this process may use; using {fw} × {ft}"
        );
    }
    Some((fw, ft))
}

/// Where `-o PATH` points (created, buffered), or stdout without it.
pub fn open_output(path: Option<&Path>) -> Result<Box<dyn Write + Send>> {
    Ok(match path {
        Some(p) => {
            Box::new(BufWriter::new(File::create(p).with_context(|| {
                format!("{}: cannot create output file", p.display())
            })?))
        }
        None => Box::new(io::stdout()),
    })
}

/// A writer into memory that can be read back after a sink that owns it is
/// done: whole documents are collected here and then written atomically.
#[derive(Clone, Default)]
pub struct SharedBuf(Arc<Mutex<Vec<u8>>>);

impl SharedBuf {
    /// The bytes written so far.
    pub fn take(&self) -> Vec<u8> {
        self.0
            .lock()
            .map(|mut v| std::mem::take(&mut *v))
            .unwrap_or_default()
    }
}

impl Write for SharedBuf {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0
            .lock()
            .map_err(|_| io::Error::other("output buffer poisoned"))?
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Writes a whole document atomically: temporary file beside `path`,
/// fsync, rename. A killed run leaves the previous file untouched.
pub fn write_document(path: &Path, bytes: &[u8]) -> Result<()> {
    hotwash_postmortem::fsutil::write_atomic(path, bytes)
        .with_context(|| format!("{}: cannot write output file", path.display()))
}

/// Makes the sink for `format` writing to `out`.
pub fn make_sink(format: OutputFormat, out: Box<dyn Write + Send>) -> BoxedSink {
    match format {
        OutputFormat::Txt => Box::new(TextSink::new(out)),
        OutputFormat::Jsonl => Box::new(JsonLinesSink::new(out)),
        OutputFormat::Json => Box::new(JsonSink::new(out)),
        OutputFormat::Srt => Box::new(SubtitleSink::new(out, SubtitleFormat::Srt)),
        OutputFormat::Vtt => Box::new(SubtitleSink::new(out, SubtitleFormat::Vtt)),
    }
}

/// Runs `pipeline` over `tracks` into `sink` with a progress bar and Ctrl-C
/// handling; returns the summary and whether Ctrl-C stopped it.
pub fn run_with_ui<S: Sink>(
    pipeline: &Pipeline,
    tracks: Vec<Track>,
    sink: &mut S,
    quiet: bool,
) -> Result<(Summary, bool)> {
    let stop = pipeline.stop_handle();
    crate::cmd::interrupt::on_ctrl_c(Arc::clone(&stop));
    let bar =
        (!quiet && io::stderr().is_terminal()).then(|| ProgressBar::start(pipeline.progress()));
    let result = pipeline.run(tracks, sink);
    if let Some(bar) = bar {
        bar.finish();
    }
    let interrupted = crate::cmd::interrupt::was_interrupted();
    Ok((result?, interrupted))
}

/// The closing line: audio processed is the sum over tracks (what the
/// realtime factor is computed from); with several tracks, the call's
/// length (the longest track) is said too.
fn summary_line(summary: &Summary, rtf: f64) -> String {
    let audio = if summary.tracks > 1 {
        format!(
            "{:.1} s of audio ({} tracks; the call is {:.1} s)",
            summary.audio_seconds, summary.tracks, summary.call_seconds
        )
    } else {
        format!("{:.1} s of audio", summary.audio_seconds)
    };
    format!(
        "{} utterances from {audio} in {:.1} s ({rtf:.0}× realtime)",
        summary.utterances, summary.elapsed_seconds
    )
}

/// Runs `transcribe`; returns the process exit code.
pub fn run(mut args: TranscribeArgs) -> Result<i32> {
    crate::cmd::interrupt::install();
    if let Some(path) = &args.roster {
        let roster = Roster::load(path)?;
        args.engine = with_roster_prompt(&args.engine, Some(&roster), args.quiet);
    }
    if args.live {
        return crate::cmd::live::run(args);
    }
    if let Some(out) = &args.output {
        crate::cmd::paths::refuse_output_onto_input(out, input_paths(&args))?;
    }
    let tracks = open_tracks(&args)?;
    let model = resolve_model(&args.engine.model, args.quiet)?;
    let start = args
        .start_time
        .as_deref()
        .map(parse_start_time)
        .transpose()?;
    let pipeline = build_pipeline(&args.engine, Model::load(&model)?, start, args.quiet)?;
    // A whole document (-f json) is written atomically at the end; the
    // streaming formats go straight to the file, flushed per utterance.
    let document = match (&args.output, args.format) {
        (Some(p), OutputFormat::Json) => Some((p.clone(), SharedBuf::default())),
        _ => None,
    };
    let out: Box<dyn Write + Send> = match &document {
        Some((_, buf)) => Box::new(buf.clone()),
        None => open_output(args.output.as_deref())?,
    };
    let mut sink = TeeSink::new(vec![make_sink(args.format, out)]);
    let (summary, interrupted) = run_with_ui(&pipeline, tracks, &mut sink, args.quiet)?;
    drop(sink);
    if let Some((path, buf)) = &document {
        write_document(path, &buf.take())?;
    }
    if !args.quiet {
        for w in &summary.warnings {
            eprintln!("warning: {w}");
        }
        let rtf = if summary.elapsed_seconds > 0.0 {
            summary.audio_seconds / summary.elapsed_seconds
        } else {
            0.0
        };
        eprintln!("{}", summary_line(&summary, rtf));
        if let Some(p) = &args.output {
            eprintln!("wrote {}", p.display());
        }
    }
    Ok(if interrupted {
        crate::cmd::interrupt::stopped_exit_code()
    } else {
        0
    })
}

/// File extensions read as audio when a directory of tracks is given.
pub const AUDIO_EXTENSIONS: &[&str] = &[
    "wav", "flac", "mp3", "ogg", "opus", "m4a", "mp4", "webm", "aac",
];

/// The audio files in `dir` (one per participant, as Zoom, Riverside or
/// Craig export them), sorted, each labelled with its file stem.
pub fn tracks_in_dir(dir: &Path) -> Result<Vec<(Option<String>, PathBuf)>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("{}: cannot list directory", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.is_file()
                && p.extension()
                    .and_then(|e| e.to_str())
                    .is_some_and(|e| AUDIO_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
        })
        .collect();
    files.sort();
    if files.is_empty() {
        bail!(
            "{}: no audio files in this directory (expected one track per participant)",
            dir.display()
        );
    }
    Ok(files
        .into_iter()
        .map(|p| {
            let name = p.file_stem().map(|s| s.to_string_lossy().into_owned());
            (name, p)
        })
        .collect())
}

/// Audio files holding one recording of a call: a single file (`name:
/// None`), or one track per participant (`name` is their label).
pub type CallTracks = [(Option<String>, PathBuf)];

/// Transcribes one recording of a call into `<out_dir>/<stem>.transcript.json`
/// (schema hotwash.transcript/1) and returns that path. Several tracks are
/// transcribed together onto one timeline, each utterance labelled with its
/// track's name; `split_channels` makes each channel its own speaker.
pub fn transcribe_to_json(
    audio: &CallTracks,
    stem: &str,
    split_channels: bool,
    out_dir: &Path,
    engine: &EngineArgs,
    start_time: Option<DateTime<Utc>>,
    quiet: bool,
) -> Result<PathBuf> {
    std::fs::create_dir_all(out_dir)
        .with_context(|| format!("{}: cannot create directory", out_dir.display()))?;
    let out_path = out_dir.join(format!("{stem}.transcript.json"));
    let mut tracks = Vec::with_capacity(audio.len());
    for (name, path) in audio {
        let source = FileSource::open(path)?;
        let mut track = Track::new(name.as_deref().unwrap_or("main"), Box::new(source));
        track.speaker = name.clone();
        track.split_channels = split_channels;
        tracks.push(track);
    }
    let model = resolve_model(&engine.model, quiet)?;
    let pipeline = build_pipeline(engine, Model::load(&model)?, start_time, quiet)?;
    // Collected in memory and written atomically: a killed run never
    // leaves a partial transcript behind, nor loses an earlier one.
    let buf = SharedBuf::default();
    let mut sink = JsonSink::new(buf.clone());
    let (summary, _) = run_with_ui(&pipeline, tracks, &mut sink, quiet)?;
    drop(sink);
    write_document(&out_path, &buf.take())?;
    if !quiet {
        for w in &summary.warnings {
            eprintln!("warning: {w}");
        }
    }
    Ok(out_path)
}
