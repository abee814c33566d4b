//! `hotwash eval postmortem DIR... [--transcripts DIR] [--words-only] [--json]`: score the
//! records built from each scenario's reference transcript (and the engine's
//! transcript of its audio, when given) against the scenario's `truth`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use clap::Args;
use hotwash_postmortem::acts::{Embed, EmbedCache};
use hotwash_postmortem::{build_record, eval, Extraction, Options};

use hotwash_engine::call::{tracks_in_dir, CallTrack};

use crate::cmd::engine::{transcribe_call_into, EngineArgs};

/// Arguments of `hotwash eval postmortem`.
#[derive(Debug, Args)]
pub struct EvalPostmortemArgs {
    /// Scenario directories (or files) holding `*.json` scenarios with `truth`
    /// and `rendered/<id>.ref.json` reference transcripts.
    #[arg(required = true, value_name = "DIR")]
    pub dirs: Vec<PathBuf>,
    /// Directory of engine transcripts named `<scenario-id>.json` to score too.
    #[arg(long, value_name = "DIR")]
    pub transcripts: Option<PathBuf>,
    /// How items are found: the rules alone, or rules with the learned labeller.
    #[arg(long, value_enum, default_value = "combined")]
    pub extraction: ExtractionArg,
    /// Also score each call with a head trained on all the other calls
    /// (leave one call out): the honest figure for anything learned.
    #[arg(long)]
    pub cross_validate: bool,
    /// Score the words-only act head even when all-MiniLM-L6-v2 is in the
    /// model store (by default the eval uses the same labeller as
    /// `hotwash postmortem`: with sentence embeddings when they are there).
    #[arg(long)]
    pub words_only: bool,
    /// Print one JSON document instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Transcribe each scenario's rendered audio with the engine first (into
    /// --transcripts, default `target/eval-transcripts`; existing transcripts are reused).
    #[arg(long)]
    pub from_audio: bool,
    /// With --from-audio: transcribe each scenario's single mixed recording
    /// (speakers from diarization, named from the call and the roster)
    /// even where per-speaker tracks exist (default transcripts directory
    /// `target/eval-transcripts-mixed`).
    #[arg(long, requires = "from_audio")]
    pub mixed: bool,
    /// Write every scored record into this directory as
    /// `<scenario>.<source>.json` (to read item by item, or to score again
    /// with `score_record.py`).
    #[arg(long, value_name = "DIR")]
    pub records_out: Option<PathBuf>,
    /// Engine options for --from-audio.
    #[command(flatten)]
    pub engine: EngineArgs,
}

/// `--extraction`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExtractionArg {
    /// Rule extractors alone.
    Rules,
    /// Rules kept and completed by the learned act labeller.
    Combined,
}

/// Where the eval keeps sentence embeddings between runs (inside the checkout).
const EMBED_CACHE: &str = "target/eval-embeddings.json";

const AUDIO_EXT: &[&str] = &["flac", "wav", "mp3", "ogg", "opus", "m4a", "webm"];

/// Transcribes `rendered/<id>.<ext>` of every scenario into `out` unless present.
/// Whether the transcript at `path` says its transcription stopped before
/// the end of the audio (or cannot be read: then it is not reused either).
fn stopped_early(path: &Path) -> bool {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .is_none_or(|v| v["summary"]["stopped_early"].as_bool().unwrap_or(false))
}

fn transcribe_scenarios(
    dirs: &[PathBuf],
    out: &Path,
    engine: &EngineArgs,
    mixed: bool,
    quiet: bool,
) -> Result<()> {
    for dir in dirs {
        let rendered = dir.join("rendered");
        let Ok(entries) = std::fs::read_dir(&rendered) else {
            continue;
        };
        let mut audio: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.extension()
                    .and_then(|e| e.to_str())
                    .is_some_and(|e| AUDIO_EXT.contains(&e))
            })
            .collect();
        audio.sort();
        for a in audio {
            let stem = a
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            let target = out.join(format!("{stem}.json"));
            if target.is_file() && !stopped_early(&target) {
                continue;
            }
            let start = std::fs::read_to_string(rendered.join(format!("{stem}.ref.json")))
                .ok()
                .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
                .and_then(|v| v["start_utc"].as_str().map(str::to_string))
                .and_then(|s| DateTime::parse_from_rfc3339(&s).ok())
                .map(|t| t.with_timezone(&Utc));
            if !quiet {
                eprintln!("transcribing {}", a.display());
            }
            // Per-speaker tracks beside the mix (as a Zoom or Riverside
            // export gives them) carry who said what; use them when present.
            let track_dir = rendered.join(format!("{stem}.tracks"));
            let audio = if track_dir.is_dir() && !mixed {
                tracks_in_dir(&track_dir)?
            } else {
                vec![CallTrack::whole(&a)]
            };
            let written = transcribe_call_into(&audio, &stem, false, out, engine, start, true)?;
            if stopped_early(&written) {
                // Interrupted: a partial transcript must not be reused as if whole.
                let _ = std::fs::remove_file(&written);
                anyhow::bail!(
                    "{}: transcription was interrupted; nothing kept for it (run the eval again)",
                    a.display()
                );
            }
            std::fs::rename(&written, &target)
                .with_context(|| format!("{}: cannot write", target.display()))?;
        }
    }
    Ok(())
}

/// Runs `hotwash eval postmortem`.
/// Writes every scored record as `DIR/<scenario>.<source>.json`, so the same
/// record can be scored by `score_record.py` or read item by item.
fn write_records(dir: &Path, rows: &[eval::Row]) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| {
        format!(
            "cannot create {}: choose another --records-out",
            dir.display()
        )
    })?;
    for row in rows {
        if let Some(record) = &row.record {
            let path = dir.join(format!("{}.{}.json", row.scenario, row.source));
            let text = serde_json::to_string_pretty(record)?;
            hotwash_postmortem::fsutil::write_atomic(&path, text.as_bytes())
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
    }
    Ok(())
}

pub fn run(args: EvalPostmortemArgs) -> Result<()> {
    let transcripts = if args.from_audio {
        let dir = args.transcripts.clone().unwrap_or_else(|| {
            PathBuf::from(if args.mixed {
                "target/eval-transcripts-mixed"
            } else {
                "target/eval-transcripts"
            })
        });
        transcribe_scenarios(&args.dirs, &dir, &args.engine, args.mixed, args.json)?;
        Some(dir)
    } else {
        args.transcripts.clone()
    };
    let cases = eval::load_cases(&args.dirs)?;
    if cases.is_empty() {
        anyhow::bail!("no scenarios with `truth` found in the given directories");
    }
    // Each sentence is embedded once for all folds and kept for the next run.
    let cache = if args.words_only || args.extraction == ExtractionArg::Rules {
        None
    } else {
        crate::cmd::embedder::from_store_or_note()
            .map(|e| Arc::new(EmbedCache::with_file(e, Path::new(EMBED_CACHE))))
    };
    let opts = Options {
        extraction: match args.extraction {
            ExtractionArg::Rules => Extraction::Rules,
            ExtractionArg::Combined => Extraction::Combined,
        },
        embedder: cache.clone().map(|c| c as Arc<dyn Embed>),
        ..Options::default()
    };
    if args.extraction == ExtractionArg::Combined {
        eprintln!(
            "act labeller: {}",
            if opts.embedder.is_some() {
                "words + all-MiniLM-L6-v2 sentence embeddings"
            } else {
                "words only"
            }
        );
    }
    let mut rows = eval::reference_rows(&cases, "reference", &opts)?;
    if args.cross_validate {
        rows.extend(eval::cross_validate(
            &cases,
            &hotwash_postmortem::acts::TrainConfig::default(),
            &opts,
        )?);
    }
    for case in &cases {
        if let Some(dir) = &transcripts {
            if let Some(call) = case.engine_call(dir)? {
                let record = build_record(&call, &opts);
                rows.push(eval::Row {
                    scenario: case.id.clone(),
                    source: "engine".into(),
                    score: case.score(&record),
                    record: Some(Box::new(record)),
                });
            }
        }
    }
    if let Some(dir) = &args.records_out {
        write_records(dir, &rows)?;
    }
    if let Some(c) = &cache {
        if let Err(e) = c.save() {
            eprintln!("note: the embedding cache was not kept: {e}");
        }
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(());
    }
    print!("{}", eval::table(&rows));
    Ok(())
}
