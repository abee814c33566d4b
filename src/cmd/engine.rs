//! The engine's options shared by every command that transcribes
//! (`transcribe`, `postmortem`, `eval *`): the model, the pipeline they
//! describe, and running it with a progress bar and Ctrl-C handling.

use std::io::{self, IsTerminal};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use clap::{Args, ValueEnum};
use hotwash_engine::call::{transcribe_call, CallTrack};
use hotwash_engine::pipeline::{available_cores, Packing, Pipeline};
use hotwash_engine::segment::SegmenterConfig;
use hotwash_engine::transcriber::{AudioContext, Decoding, Model, TranscriberConfig};
use hotwash_engine::vad::VadConfig;
use hotwash_postmortem::input::{initial_prompt, PROMPT_MAX_CHARS};
use hotwash_postmortem::Roster;

use crate::cmd::args;
use crate::cmd::output::write_document;
use crate::cmd::progress::ProgressBar;
use crate::cmd::speakers::SpeakerArgs;

/// Voice activity detector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum VadKind {
    /// webrtc-vad (fast, no model).
    Webrtc,
    /// whisper.cpp's Silero VAD (model fetched like the whisper model).
    Silero,
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
    #[arg(long, value_parser = args::at_least_one)]
    pub workers: Option<usize>,
    /// Compute threads per worker (default: cores / workers).
    #[arg(long, value_parser = args::at_least_one)]
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
    /// Who speaks on a single mixed recording.
    #[command(flatten)]
    pub speakers: SpeakerArgs,
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
    // Speakers on a mixed recording (files only: live capture streams its
    // utterances as they come and cannot hold them for the turns).
    if packing == Packing::Full {
        if let Some(d) = args.speakers.diarizer(quiet)? {
            b = b.diarizer(d);
        }
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

/// Runs `f` (which runs `pipeline`) with a progress bar on stderr (unless
/// `quiet` or not a terminal) and Ctrl-C stopping the pipeline; returns its
/// result and whether Ctrl-C stopped it.
pub fn with_ui<R>(pipeline: &Pipeline, quiet: bool, f: impl FnOnce() -> R) -> (R, bool) {
    let stop = pipeline.stop_handle();
    crate::cmd::interrupt::on_ctrl_c(Arc::clone(&stop));
    let bar =
        (!quiet && io::stderr().is_terminal()).then(|| ProgressBar::start(pipeline.progress()));
    let result = f();
    if let Some(bar) = bar {
        bar.finish();
    }
    (result, crate::cmd::interrupt::was_interrupted())
}

/// Transcribes one recording of a call ([`transcribe_call`]) into
/// `<out_dir>/<stem>.transcript.json`, written atomically, and returns that
/// path.
pub fn transcribe_call_into(
    audio: &[CallTrack],
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
    let model = resolve_model(&engine.model, quiet)?;
    let pipeline = build_pipeline(engine, Model::load(&model)?, start_time, quiet)?;
    let (result, _) = with_ui(&pipeline, quiet, || {
        transcribe_call(&pipeline, audio, split_channels)
    });
    let transcript = result?;
    write_document(&out_path, &transcript.document)?;
    if !quiet {
        for w in &transcript.summary.warnings {
            eprintln!("warning: {w}");
        }
    }
    Ok(out_path)
}
