//! `hotwash postmortem INPUT... [--roster R] [-o DIR]`: build the incident
//! record from transcripts (or the call's audio) and write every artifact.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use chrono::{DateTime, NaiveDate, Utc};
use clap::Args;
use hotwash_postmortem::record::HypothesisStatus;

use hotwash_engine::call::{tracks_in_dir, CallTrack, TrackSpec};

use crate::cmd::args::{self as arg_parsers, unique_tracks};
use crate::cmd::engine::{transcribe_call_into, with_roster_prompt, EngineArgs};
use crate::cmd::manifest::{self, Overwrite};
use crate::cmd::paths::same_file;
use hotwash_postmortem::{
    build_record, load_transcripts, read_record, render_all_with, IncidentRecord, Options, Roster,
};

/// Arguments of `hotwash postmortem`.
#[derive(Debug, Args)]
pub struct PostmortemArgs {
    /// Transcripts (`transcribe -f json`/`-f jsonl`, or a hand-corrected
    /// `.ref.json`), or the call's audio, which is transcribed first. Several
    /// recordings of one incident are placed on one timeline by wall clock.
    #[arg(required_unless_present = "tracks", value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
    /// A participant's own track of the call's audio: NAME=FILE (repeatable;
    /// NAME is the speaker label, matched against the roster). An INPUT that
    /// is a directory is read as one track per audio file inside it.
    #[arg(long = "track", value_name = "NAME=FILE")]
    pub tracks: Vec<TrackSpec>,
    /// Audio input with one speaker per channel: each channel is its own speaker.
    #[arg(long)]
    pub split_channels: bool,
    /// Roster TOML: speaker or track label → name, role, aliases.
    #[arg(long, value_name = "FILE")]
    pub roster: Option<PathBuf>,
    /// Directory to write the record and renderings into.
    #[arg(
        short = 'o',
        long = "out",
        value_name = "DIR",
        default_value = "postmortem"
    )]
    pub out: PathBuf,
    /// Render postmortem.md through this minijinja template instead of the standard one.
    #[arg(long, value_name = "FILE")]
    pub template: Option<PathBuf>,
    /// Incident title (default: inferred).
    #[arg(long)]
    pub title: Option<String>,
    /// Severity, e.g. SEV1 (default: as declared on the call).
    #[arg(long)]
    pub severity: Option<String>,
    /// Wall clock at the start of the earliest recording (RFC 3339), when the transcripts lack it.
    #[arg(
        long,
        alias = "start-utc",
        value_name = "RFC3339",
        value_parser = arg_parsers::start_time
    )]
    pub start_time: Option<DateTime<Utc>>,
    /// The call's date for resolving due dates (YYYY-MM-DD; default: the start's date).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub date: Option<NaiveDate>,
    /// Incident id (default: inc-YYYYMMDD-HHMM from the start time).
    #[arg(long)]
    pub id: Option<String>,
    /// Overwrite earlier results in the output directory even when they
    /// are another incident's or were edited since hotwash wrote them.
    #[arg(long, conflicts_with = "keep_previous")]
    pub force: bool,
    /// Move earlier results in the output directory aside, into
    /// `previous-<UTC time>/`, before writing.
    #[arg(long)]
    pub keep_previous: bool,
    /// Limit the Jira and Linear exports to action items a person
    /// confirmed or edited in `hotwash review`.
    #[arg(long)]
    pub confirmed_only: bool,
    /// Engine options for audio input (model, workers, threads, vad, prompt…).
    #[command(flatten)]
    pub engine: EngineArgs,
}

fn is_transcript(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("json") || e.eq_ignore_ascii_case("jsonl"))
}

/// The files `render_all` writes into the output directory.
pub const RENDERED: &[&str] = &[
    "incident.json",
    "postmortem.md",
    "brief-exec.md",
    "brief-engineering.md",
    "brief-support.md",
    "actions-jira.csv",
    "actions-jira.config.json",
    "actions-linear.csv",
];

/// One input of the run: a transcript read as it is, or audio to transcribe
/// into `<out>/<stem>.transcript.json`.
enum Job {
    Transcript(PathBuf),
    Audio {
        tracks: Vec<CallTrack>,
        stem: String,
        shown: String,
    },
}

/// Turns the command line into jobs, in order.
fn plan(args: &PostmortemArgs) -> Result<Vec<Job>> {
    let mut jobs = Vec::new();
    let mut seen: Vec<&Path> = Vec::new();
    for input in &args.inputs {
        if !input.exists() {
            anyhow::bail!("{}: no such file", input.display());
        }
        if let Some(first) = seen.iter().find(|p| same_file(p, input)) {
            eprintln!(
                "warning: {} is {} again; reading it once",
                input.display(),
                first.display()
            );
            continue;
        }
        seen.push(input);
        if input.is_dir() {
            let tracks = tracks_in_dir(input)?;
            let stem = input
                .file_name()
                .map_or_else(|| "call".into(), |s| s.to_string_lossy().into_owned());
            let stem = stem.trim_end_matches(".tracks").to_string();
            jobs.push(Job::Audio {
                tracks,
                stem,
                shown: input.display().to_string(),
            });
        } else if is_transcript(input) {
            jobs.push(Job::Transcript(input.clone()));
        } else {
            let stem = input
                .file_stem()
                .map_or_else(|| "call".into(), |s| s.to_string_lossy().into_owned());
            jobs.push(Job::Audio {
                tracks: vec![CallTrack::whole(input)],
                stem,
                shown: input.display().to_string(),
            });
        }
    }
    if !args.tracks.is_empty() {
        unique_tracks(&args.tracks)?;
        let mut tracks = Vec::new();
        for spec in &args.tracks {
            if !spec.path.is_file() {
                anyhow::bail!("{}: no such file (--track {spec})", spec.path.display());
            }
            tracks.push(CallTrack::from(spec.clone()));
        }
        let shown = format!("{} tracks", tracks.len());
        jobs.push(Job::Audio {
            tracks,
            stem: "call".into(),
            shown,
        });
    }
    unique_stems(&mut jobs);
    Ok(jobs)
}

/// Gives every transcript written a name of its own: the second `jfk.wav`
/// (from another directory) becomes `jfk-2.transcript.json`.
fn unique_stems(jobs: &mut [Job]) {
    let mut used: HashSet<String> = HashSet::new();
    for job in jobs.iter_mut() {
        if let Job::Audio { stem, .. } = job {
            let base = stem.clone();
            let mut n = 1;
            while !used.insert(stem.to_lowercase()) {
                n += 1;
                *stem = format!("{base}-{n}");
            }
        }
    }
}

/// Every file the run reads.
fn inputs_read<'a>(args: &'a PostmortemArgs, jobs: &'a [Job]) -> Vec<&'a Path> {
    let mut v: Vec<&Path> = Vec::new();
    for j in jobs {
        match j {
            Job::Transcript(p) => v.push(p),
            Job::Audio { tracks, .. } => v.extend(tracks.iter().map(|t| t.path.as_path())),
        }
    }
    v.extend(args.roster.as_deref());
    v.extend(args.template.as_deref());
    v
}

/// Every file the run writes into the output directory.
fn outputs_written(out: &Path, jobs: &[Job]) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = RENDERED.iter().map(|f| out.join(f)).collect();
    for j in jobs {
        if let Job::Audio { stem, .. } = j {
            v.push(out.join(format!("{stem}.transcript.json")));
        }
    }
    v
}

/// Warns when the roster names nobody who spoke: its labels match no
/// speaker or track label of the call (a roster for another call, or
/// labels spelt differently from the tracks).
fn warn_unheard_roster(roster: &Roster, call: &hotwash_postmortem::Call, path: &Path) {
    let heard: Vec<&str> = {
        let mut v: Vec<&str> = call
            .utterances
            .iter()
            .filter_map(|u| u.label.as_deref())
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    let spoke = |e: &hotwash_postmortem::input::RosterEntry| {
        heard.iter().any(|h| {
            h.eq_ignore_ascii_case(&e.label)
                || h.eq_ignore_ascii_case(&e.name)
                || e.aliases.iter().any(|a| h.eq_ignore_ascii_case(a))
        })
    };
    if !roster.entries.is_empty() && !roster.entries.iter().any(spoke) {
        let labels = if heard.is_empty() {
            "none".to_string()
        } else {
            heard.join(", ")
        };
        eprintln!(
            "warning: {}: the roster names nobody who spoke (speaker labels heard: {labels})",
            path.display()
        );
    }
}

/// The record an earlier run left in `out`, whose review is to be kept
/// (a warning, and none, when it cannot be read).
fn previous_record(out: &Path) -> Option<IncidentRecord> {
    let path = out.join("incident.json");
    if !path.is_file() {
        return None;
    }
    match read_record(&path) {
        Ok(r) => Some(r),
        Err(e) => {
            eprintln!("warning: {e}; its review (if any) is not carried over");
            None
        }
    }
}

/// Carries the people's decisions of `prev` into the new `record` when both
/// are the same incident.
fn keep_review(record: &mut IncidentRecord, prev: &IncidentRecord) {
    if prev.review.items.is_empty() {
        return;
    }
    if prev.incident.id != record.incident.id {
        eprintln!(
            "warning: the earlier record is incident {}, this one {}; its review is not carried over",
            prev.incident.id, record.incident.id
        );
        return;
    }
    hotwash_postmortem::review::carry_over(record, prev);
    println!(
        "kept {} review decisions from the earlier record",
        record
            .review
            .items
            .values()
            .filter(|r| r.state.is_human())
            .count()
    );
}

/// Runs `hotwash postmortem`; returns the exit code (130/143 when Ctrl-C or
/// SIGTERM stopped the transcription: the transcripts so far are kept, the
/// record is not built from a part of the call).
pub fn run(args: PostmortemArgs) -> Result<i32> {
    crate::cmd::interrupt::install();
    let jobs = plan(&args)?;
    let inputs = inputs_read(&args, &jobs);
    for out in outputs_written(&args.out, &jobs) {
        crate::cmd::paths::refuse_output_onto_input(&out, inputs.iter().copied())?;
    }
    // The incident's identity: its recordings and transcripts (a new roster
    // or template is a re-run of the same incident).
    let n_recordings =
        inputs.len() - usize::from(args.roster.is_some()) - usize::from(args.template.is_some());
    let input_list = manifest::canonical_inputs(inputs[..n_recordings].iter().copied());
    let names: Vec<String> = outputs_written(Path::new(""), &jobs)
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    let mode = if args.force {
        Overwrite::Force
    } else if args.keep_previous {
        Overwrite::KeepPrevious
    } else {
        Overwrite::Refuse
    };
    let previous = previous_record(&args.out);
    manifest::prepare(&args.out, &names, &input_list, args.id.as_deref(), mode)?;
    let roster = match &args.roster {
        Some(p) => Some(Roster::load(p)?),
        None => None,
    };
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("{}: cannot create the output directory", args.out.display()))?;
    // Audio is transcribed with the roster's names and terms in whisper's
    // prompt, after the user's own --prompt.
    let engine = if jobs.iter().any(|j| matches!(j, Job::Audio { .. })) {
        with_roster_prompt(&args.engine, roster.as_ref(), false)
    } else {
        args.engine.clone()
    };
    let mut transcripts = Vec::new();
    let mut written_transcripts = Vec::new();
    for job in &jobs {
        match job {
            Job::Transcript(p) => transcripts.push(p.clone()),
            Job::Audio {
                tracks,
                stem,
                shown,
            } => {
                let t = transcribe_call_into(
                    tracks,
                    stem,
                    args.split_channels,
                    &args.out,
                    &engine,
                    args.start_time,
                    false,
                )?;
                println!("transcribed {shown} -> {}", t.display());
                written_transcripts.push(t.clone());
                transcripts.push(t);
                if crate::cmd::interrupt::was_interrupted() {
                    eprintln!(
                        "stopped: kept {}; the record was not rebuilt from part of the call",
                        transcripts
                            .last()
                            .map_or_else(String::new, |p| p.display().to_string())
                    );
                    return Ok(crate::cmd::interrupt::stopped_exit_code());
                }
            }
        }
    }
    let call = load_transcripts(&transcripts, roster.as_ref())?;
    for w in &call.warnings {
        eprintln!("warning: {w}");
    }
    if let (Some(r), Some(path)) = (&roster, &args.roster) {
        warn_unheard_roster(r, &call, path);
    }
    let opts = Options {
        id: args.id.clone(),
        title: args.title.clone(),
        severity: args.severity.clone(),
        start_utc: args.start_time,
        date: args.date,
        embedder: crate::cmd::embedder::from_store_or_note(),
        ..Options::default()
    };
    let mut record = build_record(&call, &opts);
    if let Some(prev) = previous {
        keep_review(&mut record, &prev);
    }
    let written = render_all_with(
        &record,
        &args.out,
        args.template.as_deref(),
        args.confirmed_only,
    )?;
    for p in &written {
        println!("wrote {}", p.display());
    }
    written_transcripts.extend(written);
    manifest::write(
        &args.out,
        &record.incident.id,
        input_list,
        &written_transcripts,
    )?;
    println!(
        "{}: {} timeline events, {} decisions, {} mitigations, {} action items, {} evidence",
        record.incident.id,
        record.timeline.len(),
        record.decisions.len(),
        record.mitigations.len(),
        record.action_items.len(),
        record.evidence.len()
    );
    if record.incident.start_utc.is_none() {
        println!(
            "flag: no wall-clock start in the transcripts; times are offsets (pass --start-time)"
        );
    }
    for a in record.action_items.iter().filter(|a| a.vague) {
        println!(
            "flag: vague action {} \"{}\": {}",
            a.id,
            a.action,
            a.vague_reasons.join(", ")
        );
    }
    for h in record
        .hypotheses
        .iter()
        .filter(|h| h.status == HypothesisStatus::Open)
    {
        println!(
            "flag: unconfirmed hypothesis \"{}\" [{}]",
            h.text,
            h.sources.join(", ")
        );
    }
    Ok(0)
}
