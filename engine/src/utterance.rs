//! The data a pipeline produces: utterances and the facts around them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One word (or word piece) inside an utterance, with its own timing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Word {
    /// The word as whisper wrote it, leading space removed.
    pub text: String,
    /// Start, seconds from the recording's start.
    pub start: f64,
    /// End, seconds from the recording's start.
    pub end: f64,
    /// Token probability whisper gave the word (0..1).
    pub probability: f32,
}

/// One stretch of transcribed speech, timed against the recording.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Utterance {
    /// Position in output order, starting at 0 (stable across worker counts).
    pub id: u64,
    /// Name of the track the speech came from (`"main"` for a single file).
    pub track: String,
    /// Speaker label when known (from a named track or a split channel).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speaker: Option<String>,
    /// Start, seconds from the recording's start.
    pub start: f64,
    /// End, seconds from the recording's start.
    pub end: f64,
    /// Wall-clock start, when the recording's start time is known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wall_start: Option<DateTime<Utc>>,
    /// The transcribed text.
    pub text: String,
    /// Word timings.
    #[serde(default)]
    pub words: Vec<Word>,
    /// Mean log-probability of the text's tokens.
    pub avg_logprob: f32,
    /// Whisper's probability that the window held no speech.
    pub no_speech_prob: f32,
}

/// Provisional text for speech still in progress (live capture with
/// partials on): the words two successive passes over the growing speech
/// agreed on. It is superseded by the next final [`Utterance`] of the same
/// track, which may word things differently.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Partial {
    /// Name of the track the speech is on.
    pub track: String,
    /// Speaker label when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speaker: Option<String>,
    /// Start of the speech in progress, seconds from the recording's start.
    pub start: f64,
    /// How far into the speech this text reaches (audio heard so far), seconds.
    pub end: f64,
    /// The agreed text so far.
    pub text: String,
}

/// What is known about a recording before transcription starts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RecordingInfo {
    /// Where the audio came from (paths, `-` for stdin, a device name).
    pub sources: Vec<String>,
    /// Track names, in the order given.
    pub tracks: Vec<String>,
    /// Wall-clock time at offset 0, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_utc: Option<DateTime<Utc>>,
    /// Duration in seconds when the container states it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<f64>,
    /// Model file used.
    pub model: String,
    /// What found the speakers on a mixed track (the diarizer), when one
    /// ran; utterances then carry its labels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diarizer: Option<String>,
    /// Whisper's initial prompt for this run (`--prompt`, names and terms
    /// from a roster), when there was one: what the decoder was told to
    /// expect, kept for audit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt: Option<String>,
}

/// Totals reported when a pipeline finishes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Seconds of audio read, summed over all tracks (the work done; the
    /// realtime factor is this over `elapsed_seconds`).
    pub audio_seconds: f64,
    /// Length of the call: the longest track, in seconds.
    #[serde(default)]
    pub call_seconds: f64,
    /// Number of tracks read.
    #[serde(default)]
    pub tracks: usize,
    /// Seconds of audio detected as speech and sent to whisper.
    pub speech_seconds: f64,
    /// Utterances delivered to the sink.
    pub utterances: u64,
    /// Wall-clock seconds the run took.
    pub elapsed_seconds: f64,
    /// True when the run stopped before the end of the input (sink, Ctrl-C, error).
    pub stopped_early: bool,
    /// Non-fatal problems met on the way (a truncated file, a dropped window).
    #[serde(default)]
    pub warnings: Vec<String>,
}
