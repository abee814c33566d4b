//! `hotwash eval asr DIR...`: transcribe every recording that has a reference
//! beside it and report normalised WER, realtime factor and peak memory.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::Args;
use hotwash_engine::format::VecSink;
use hotwash_engine::pipeline::{Pipeline, Track};
use hotwash_engine::source::FileSource;
use hotwash_engine::transcriber::Model;
use serde::Serialize;

use crate::cmd::engine::{build_pipeline, resolve_model, EngineArgs};
use crate::cmd::reference::read_reference;
use crate::eval::wer::WerCount;

/// Arguments of `hotwash eval asr`.
#[derive(Debug, Args)]
pub struct EvalAsrArgs {
    /// Directories (or files) holding recordings with references beside them
    /// (`NAME.txt`, `NAME.ref.json` or `NAME.stm`).
    #[arg(required = true, value_name = "DIR")]
    pub paths: Vec<PathBuf>,
    /// Print one JSON document instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Engine options (model, workers, threads, vad, beam…).
    #[command(flatten)]
    pub engine: EngineArgs,
}

const AUDIO_EXT: &[&str] = &[
    "wav", "flac", "mp3", "ogg", "opus", "m4a", "mp4", "webm", "aac",
];

/// One recording and its reference.
#[derive(Debug, Clone)]
struct Case {
    audio: PathBuf,
    reference: String,
    /// Reference labels channels `left:`/`right:`: transcribe per channel.
    per_channel: bool,
}

/// Figures for one file.
#[derive(Debug, Serialize)]
pub struct FileScore {
    /// The recording.
    pub file: String,
    /// Seconds of audio.
    pub audio_s: f64,
    /// Wall-clock seconds to transcribe (model already loaded).
    pub elapsed_s: f64,
    /// Audio seconds per wall-clock second.
    pub realtime: f64,
    /// Normalised word error rate.
    pub wer: f64,
    /// Reference words.
    pub ref_words: usize,
    /// Peak resident memory during this file, MiB.
    pub peak_rss_mib: f64,
}

/// Overall figures.
#[derive(Debug, Serialize)]
pub struct EvalReport {
    /// Model file.
    pub model: String,
    /// Whisper workers × threads.
    pub workers: usize,
    /// Threads per worker.
    pub threads: usize,
    /// Per file.
    pub files: Vec<FileScore>,
    /// Word-weighted WER over all files.
    pub wer: f64,
    /// Total audio / total time.
    pub realtime: f64,
    /// Highest peak resident memory, MiB.
    pub peak_rss_mib: f64,
}

fn find_cases(paths: &[PathBuf]) -> Result<Vec<Case>> {
    let mut files = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut entries: Vec<PathBuf> = std::fs::read_dir(p)
                .with_context(|| format!("{}: cannot list directory", p.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .collect();
            entries.sort();
            files.extend(entries);
        } else if p.is_file() {
            files.push(p.clone());
        } else {
            bail!("{}: no such file or directory", p.display());
        }
    }
    let mut cases = Vec::new();
    for f in files {
        let is_audio = f
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| AUDIO_EXT.contains(&e.to_ascii_lowercase().as_str()));
        if !is_audio {
            continue;
        }
        if let Some((reference, per_channel)) = read_reference(&f)? {
            cases.push(Case {
                audio: f,
                reference,
                per_channel,
            });
        }
    }
    Ok(cases)
}

/// Peak resident memory since the last reset, in MiB (Linux; 0 elsewhere).
fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn transcribe_case(pipeline: &Pipeline, case: &Case) -> Result<(String, f64, f64)> {
    let source = FileSource::open(&case.audio)?;
    let mut track = Track::new("main", Box::new(source));
    track.split_channels = case.per_channel;
    let mut sink = VecSink::default();
    let started = Instant::now();
    let summary = pipeline.run(vec![track], &mut sink)?;
    let elapsed = started.elapsed().as_secs_f64();
    let text = if case.per_channel {
        // Reference order: left then right.
        let mut by_track: Vec<(String, String)> = Vec::new();
        for u in &sink.utterances {
            match by_track.iter_mut().find(|(t, _)| *t == u.track) {
                Some((_, s)) => {
                    s.push(' ');
                    s.push_str(&u.text);
                }
                None => by_track.push((u.track.clone(), u.text.clone())),
            }
        }
        by_track.sort_by_key(|(t, _)| t != "left");
        by_track
            .into_iter()
            .map(|(_, s)| s)
            .collect::<Vec<_>>()
            .join(" ")
    } else {
        sink.utterances
            .iter()
            .map(|u| u.text.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    };
    Ok((text, summary.audio_seconds, elapsed))
}

/// Runs the evaluation.
pub fn run(args: EvalAsrArgs) -> Result<()> {
    let cases = find_cases(&args.paths)?;
    if cases.is_empty() {
        bail!("no recordings with a reference (.txt, .ref.json, .stm) found in the given paths");
    }
    let model_path = resolve_model(&args.engine.model, args.json)?;
    let model = Model::load(&model_path)?;
    let mut files = Vec::new();
    let mut total = WerCount::default();
    let (mut audio, mut elapsed, mut peak) = (0.0, 0.0, 0.0f64);
    let mut parallel = (0, 0);
    for case in &cases {
        let pipeline = build_pipeline(&args.engine, Arc::clone(&model), None, true)?;
        parallel = pipeline.parallelism();
        reset_peak_rss();
        let (hyp, audio_s, elapsed_s) = transcribe_case(&pipeline, case)
            .with_context(|| format!("{}: transcription failed", case.audio.display()))?;
        let rss = peak_rss_mib();
        let count = WerCount::of(&case.reference, &hyp);
        total += count;
        audio += audio_s;
        elapsed += elapsed_s;
        peak = peak.max(rss);
        let score = FileScore {
            file: case.audio.display().to_string(),
            audio_s,
            elapsed_s,
            realtime: audio_s / elapsed_s.max(1e-9),
            wer: count.rate(),
            ref_words: count.words,
            peak_rss_mib: rss,
        };
        if !args.json {
            eprintln!(
                "{:<60} {:>7.1} s  {:>6.1}×  WER {:>5.1}%  {:>6.0} MiB",
                score.file,
                score.audio_s,
                score.realtime,
                score.wer * 100.0,
                score.peak_rss_mib
            );
        }
        files.push(score);
    }
    let report = EvalReport {
        model: model_path.display().to_string(),
        workers: parallel.0,
        threads: parallel.1,
        files,
        wer: total.rate(),
        realtime: audio / elapsed.max(1e-9),
        peak_rss_mib: peak,
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!(
            "overall: {} files, {:.1} s of audio, WER {:.1}% ({} ref words), {:.1}× realtime, peak {:.0} MiB  [{} workers × {} threads, {}]",
            report.files.len(),
            audio,
            report.wer * 100.0,
            total.words,
            report.realtime,
            report.peak_rss_mib,
            report.workers,
            report.threads,
            report.model
        );
    }
    Ok(())
}
