//! `hotwash eval diarization DIR…`: who-spoke-when against reference RTTM
//! files: per file and overall DER (missed, false alarm, confusion) with no
//! collar and with a 0.25 s collar, overlap scored, and the speaker count.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::Args;
use hotwash_engine::call::is_audio_file_name;
use hotwash_engine::SpeakerTurn;
use hotwash_speakers::{score, DerScore, Rttm};
use serde::Serialize;

use crate::cmd::output::write_document;
use crate::cmd::speakers::SpeakerArgs;

/// Arguments of `eval diarization`.
#[derive(Debug, Args)]
pub struct EvalDiarizationArgs {
    /// Directories (or audio files) with reference turns beside them:
    /// `NAME.rttm`, or an `.rttm` in the same directory holding a file id
    /// that ends the audio's name (`ami_excerpt_dev00.wav` ↔ `dev00`).
    #[arg(required = true, value_name = "DIR")]
    pub paths: Vec<PathBuf>,
    /// Write each file's hypothesis turns as `NAME.rttm` into this directory.
    #[arg(long, value_name = "DIR")]
    pub rttm_out: Option<PathBuf>,
    /// Print one JSON document instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Speaker options (--speakers, --min/max-speakers, --speaker-models).
    #[command(flatten)]
    pub speakers: SpeakerArgs,
}

/// One recording and its reference turns.
struct Case {
    audio: PathBuf,
    reference: Vec<SpeakerTurn>,
}

/// The figures of one file or of all of them.
#[derive(Debug, Serialize)]
struct Figures {
    file: String,
    seconds: f64,
    elapsed_s: f64,
    der: f64,
    der_collar: f64,
    missed: f64,
    false_alarm: f64,
    confusion: f64,
    reference_speakers: usize,
    hypothesis_speakers: usize,
}

impl Figures {
    fn of(
        file: String,
        seconds: f64,
        elapsed_s: f64,
        strict: &DerScore,
        collar: &DerScore,
    ) -> Self {
        let r = collar.reference.max(1e-9);
        Self {
            file,
            seconds,
            elapsed_s,
            der: strict.der(),
            der_collar: collar.der(),
            missed: collar.missed / r,
            false_alarm: collar.false_alarm / r,
            confusion: collar.confusion / r,
            reference_speakers: strict.reference_speakers,
            hypothesis_speakers: strict.hypothesis_speakers,
        }
    }
}

/// The reference turns for `audio`, if there are any.
fn reference_for(audio: &Path) -> Result<Option<Vec<SpeakerTurn>>> {
    let stem = audio
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let beside = audio.with_extension("rttm");
    if beside.is_file() {
        let files = Rttm::read(&beside)?;
        return Ok(Some(files.into_iter().flat_map(|f| f.turns).collect()));
    }
    let Some(dir) = audio.parent() else {
        return Ok(None);
    };
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(None);
    };
    for e in entries.filter_map(|e| e.ok()) {
        let p = e.path();
        if p.extension().and_then(|x| x.to_str()) != Some("rttm") {
            continue;
        }
        for f in Rttm::read(&p)? {
            if !f.file.is_empty() && (stem == f.file || stem.ends_with(&format!("_{}", f.file))) {
                return Ok(Some(f.turns));
            }
        }
    }
    Ok(None)
}

fn find_cases(paths: &[PathBuf]) -> Result<Vec<Case>> {
    let mut files = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut entries: Vec<PathBuf> = std::fs::read_dir(p)
                .with_context(|| format!("{}: cannot list directory", p.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file() && is_audio_file_name(p))
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
    for audio in files {
        if let Some(reference) = reference_for(&audio)? {
            cases.push(Case { audio, reference });
        }
    }
    Ok(cases)
}

/// Runs `eval diarization`.
pub fn run(args: EvalDiarizationArgs) -> Result<()> {
    let cases = find_cases(&args.paths)?;
    if cases.is_empty() {
        bail!("no recordings with reference turns (.rttm) found in the given paths");
    }
    let Some(diarizer) = args.speakers.diarizer(args.json)? else {
        bail!("--speakers off: nothing to evaluate");
    };
    if let Some(dir) = &args.rttm_out {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("{}: cannot create directory", dir.display()))?;
    }
    let mut rows = Vec::new();
    let (mut strict_all, mut collar_all) = (DerScore::default(), DerScore::default());
    let (mut seconds_all, mut elapsed_all) = (0.0, 0.0);
    let mut count_right = 0usize;
    for case in &cases {
        let started = Instant::now();
        let turns = diarizer
            .diarize_file(&case.audio)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let elapsed = started.elapsed().as_secs_f64();
        let seconds = hotwash_engine::source::FileSource::open(&case.audio)
            .ok()
            .and_then(|s| hotwash_engine::source::AudioSource::duration(&s))
            .unwrap_or_else(|| case.reference.iter().map(|t| t.end).fold(0.0, f64::max));
        let strict = score(&case.reference, &turns, 0.0);
        let collar = score(&case.reference, &turns, 0.25);
        if strict.reference_speakers == strict.hypothesis_speakers {
            count_right += 1;
        }
        strict_all.add(&strict);
        collar_all.add(&collar);
        seconds_all += seconds;
        elapsed_all += elapsed;
        if let Some(dir) = &args.rttm_out {
            let stem = case
                .audio
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            let doc = Rttm {
                file: stem.clone(),
                turns: turns.clone(),
            };
            write_document(&dir.join(format!("{stem}.rttm")), doc.to_text().as_bytes())?;
        }
        let name = case
            .audio
            .file_name()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let row = Figures::of(name, seconds, elapsed, &strict, &collar);
        if !args.json {
            eprintln!(
                "{:<44} DER {:5.1}%  collar {:5.1}% (miss {:4.1} fa {:4.1} conf {:4.1})  speakers {}/{}  {:5.1}× realtime",
                row.file,
                row.der * 100.0,
                row.der_collar * 100.0,
                row.missed * 100.0,
                row.false_alarm * 100.0,
                row.confusion * 100.0,
                row.hypothesis_speakers,
                row.reference_speakers,
                seconds / elapsed.max(1e-9)
            );
        }
        rows.push(row);
    }
    let mut overall = Figures::of(
        "overall".into(),
        seconds_all,
        elapsed_all,
        &strict_all,
        &collar_all,
    );
    overall.reference_speakers = 0;
    overall.hypothesis_speakers = 0;
    let speaker_count_right = count_right as f64 / cases.len() as f64;
    if args.json {
        let doc = serde_json::json!({
            "files": rows,
            "overall": overall,
            "speaker_count_right": speaker_count_right,
            "scoring": "md-eval style on 10 ms frames, overlap scored, optimal one-to-one speaker mapping; der: no collar, der_collar: 0.25 s collar",
        });
        println!("{}", serde_json::to_string_pretty(&doc)?);
    } else {
        println!(
            "overall ({} files, {:.0} s): DER {:.1}% (no collar), {:.1}% (0.25 s collar: miss {:.1} fa {:.1} conf {:.1}); speaker count right on {:.0}% of files; {:.1}× realtime",
            cases.len(),
            seconds_all,
            overall.der * 100.0,
            overall.der_collar * 100.0,
            overall.missed * 100.0,
            overall.false_alarm * 100.0,
            overall.confusion * 100.0,
            speaker_count_right * 100.0,
            seconds_all / elapsed_all.max(1e-9)
        );
    }
    Ok(())
}
