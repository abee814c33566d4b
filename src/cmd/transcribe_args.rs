//! The arguments of `transcribe` (and `hotwash transcribe`): what to read
//! — files or, with `--live`, audio devices — the engine options, and
//! where the transcript goes. Flags of one input mode are refused in the
//! other instead of being ignored.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use clap::{Args, ValueEnum};
use hotwash_engine::call::TrackSpec;

use crate::cmd::args;
use crate::cmd::engine::EngineArgs;
use crate::cmd::output::OutputFormat;

/// Raw PCM sample formats accepted on stdin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RawFormat {
    /// Signed 16-bit little-endian.
    S16le,
    /// 32-bit float little-endian.
    F32le,
}

/// Arguments of `transcribe`.
#[derive(Debug, Args, Clone)]
pub struct TranscribeArgs {
    /// Recorded input (not with --live).
    #[command(flatten)]
    pub input: FileInputArgs,
    /// Engine options.
    #[command(flatten)]
    pub engine: EngineArgs,
    /// Where the transcript goes.
    #[command(flatten)]
    pub out: OutputArgs,
    /// Live capture.
    #[command(flatten)]
    pub capture: LiveArgs,
}

/// Recorded input: files, tracks, raw PCM on stdin (the group `recorded`,
/// which `--live` and its flags conflict with).
#[derive(Debug, Args, Clone)]
#[group(id = "recorded", multiple = true)]
pub struct FileInputArgs {
    /// Audio files (wav, flac, mp3, m4a/mp4, ogg/opus, webm…); `-` reads stdin.
    #[arg(value_name = "FILE")]
    pub files: Vec<String>,
    /// A participant's own track: NAME=FILE (repeatable; one file per speaker).
    #[arg(long = "track", value_name = "NAME=FILE")]
    pub tracks: Vec<TrackSpec>,
    /// One speaker per channel: transcribe each channel as its own track.
    #[arg(long)]
    pub split_channels: bool,
    /// Read raw PCM from stdin in this format (needs --rate and --channels).
    #[arg(long, value_enum)]
    pub raw: Option<RawFormat>,
    /// Sample rate of --raw input.
    #[arg(long, default_value_t = 16_000, requires = "raw")]
    pub rate: u32,
    /// Channel count of --raw input.
    #[arg(long, default_value_t = 1, requires = "raw")]
    pub channels: u16,
    /// Wall-clock time at the recording's start (RFC 3339), e.g. 2026-03-14T09:02:00Z.
    #[arg(
        long,
        alias = "start-utc",
        value_name = "RFC3339",
        value_parser = args::start_time
    )]
    pub start_time: Option<DateTime<Utc>>,
}

/// Where the transcript goes, and what is said on stderr.
#[derive(Debug, Args, Clone)]
pub struct OutputArgs {
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
}

/// Live capture from audio devices; every flag but `--live` needs it.
#[derive(Debug, Args, Clone)]
pub struct LiveArgs {
    /// Capture live from audio input devices instead of reading files.
    #[arg(long, conflicts_with = "recorded")]
    pub live: bool,
    /// Input device for --live (repeatable: each device becomes a track;
    /// see `hotwash devices`). Default: the default input.
    #[arg(
        long = "device",
        value_name = "NAME",
        requires = "live",
        conflicts_with = "recorded"
    )]
    pub devices: Vec<String>,
    /// Incident directory for --live: the raw capture is spooled here
    /// (synced every second) with the transcript beside it.
    #[arg(
        long = "out",
        value_name = "DIR",
        requires = "live",
        conflicts_with = "recorded"
    )]
    pub out_dir: Option<PathBuf>,
    /// Stop --live after this many seconds.
    #[arg(
        long,
        value_name = "SECS",
        requires = "live",
        conflicts_with = "recorded"
    )]
    pub duration: Option<f64>,
    /// Stop --live after this many seconds without speech.
    #[arg(
        long,
        value_name = "SECS",
        requires = "live",
        conflicts_with = "recorded"
    )]
    pub stop_after_silence: Option<f64>,
    /// Keep reopening a lost device (--live), marking the gap.
    #[arg(long, requires = "live", conflicts_with = "recorded")]
    pub reconnect: bool,
    /// With --live: show provisional text for speech in progress, refreshed
    /// about every second (only words two passes agree on), replaced by the
    /// final utterance. Never written to transcript.jsonl.
    #[arg(long, requires = "live", conflicts_with = "recorded")]
    pub partials: bool,
}
