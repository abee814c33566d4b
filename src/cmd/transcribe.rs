//! `transcribe` (also `hotwash transcribe`) on recorded input: audio files
//! in, timestamped utterances out.

use std::io::{self, Write};
use std::path::Path;

use anyhow::{bail, Result};
use hotwash_engine::format::TeeSink;
use hotwash_engine::pipeline::Track;
use hotwash_engine::source::{AudioSource, FileSource, RawPcmSource, RawSampleFormat};
use hotwash_engine::transcriber::Model;
use hotwash_engine::Summary;

use crate::cmd::args::unique_tracks;
use crate::cmd::engine::{build_pipeline, resolve_model, with_ui};
use crate::cmd::output::{make_sink, open_output, write_document, OutputFormat, SharedBuf};
use crate::cmd::transcribe_args::{FileInputArgs, RawFormat, TranscribeArgs};

fn open_source(arg: &str, input: &FileInputArgs) -> Result<Box<dyn AudioSource>> {
    if let Some(raw) = input.raw {
        if arg != "-" {
            bail!("{arg}: --raw reads standard input; pass `-` as the file");
        }
        let sample = match raw {
            RawFormat::S16le => RawSampleFormat::S16Le,
            RawFormat::F32le => RawSampleFormat::F32Le,
        };
        let src = RawPcmSource::new(
            "-",
            Box::new(io::stdin()),
            sample,
            input.rate,
            input.channels,
        )?;
        return Ok(Box::new(src));
    }
    if arg == "-" {
        return Ok(Box::new(FileSource::stdin()?));
    }
    Ok(Box::new(FileSource::open(Path::new(arg))?))
}

/// The input files named on the command line (files, `--track` files and
/// the roster; not stdin).
fn input_paths(args: &TranscribeArgs) -> impl Iterator<Item = &Path> {
    args.input
        .files
        .iter()
        .map(Path::new)
        .chain(args.input.tracks.iter().map(|t| t.path.as_path()))
        .filter(|f| *f != Path::new("-"))
        .chain(args.out.roster.as_deref())
}

/// Opens every input as a pipeline track.
fn open_tracks(input: &FileInputArgs) -> Result<Vec<Track>> {
    unique_tracks(&input.tracks)?;
    let mut tracks = Vec::new();
    for (i, f) in input.files.iter().enumerate() {
        let name = if input.files.len() + input.tracks.len() == 1 {
            "main".to_string()
        } else {
            Path::new(f).file_stem().map_or_else(
                || format!("track{}", i + 1),
                |s| s.to_string_lossy().into_owned(),
            )
        };
        let mut t = Track::new(name, open_source(f, input)?);
        t.split_channels = input.split_channels;
        tracks.push(t);
    }
    for spec in &input.tracks {
        let file = spec.path.to_string_lossy();
        let mut t = Track::new(spec.name.as_str(), open_source(&file, input)?);
        t.speaker = Some(spec.name.clone());
        t.split_channels = input.split_channels;
        tracks.push(t);
    }
    if tracks.is_empty() {
        bail!("no input: give audio files, `-` for stdin, or --track NAME=FILE");
    }
    Ok(tracks)
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

/// Transcribes recorded input (the engine options already carry the
/// roster's prompt); returns the process exit code.
pub fn run(args: TranscribeArgs) -> Result<i32> {
    let out = &args.out;
    if let Some(path) = &out.output {
        crate::cmd::paths::refuse_output_onto_input(path, input_paths(&args))?;
    }
    let tracks = open_tracks(&args.input)?;
    let model = resolve_model(&args.engine.model, out.quiet)?;
    let pipeline = build_pipeline(
        &args.engine,
        Model::load(&model)?,
        args.input.start_time,
        out.quiet,
    )?;
    // A whole document (-f json) is written atomically at the end; the
    // streaming formats go straight to the file, flushed per utterance.
    let document = match (&out.output, out.format) {
        (Some(p), OutputFormat::Json) => Some((p.clone(), SharedBuf::default())),
        _ => None,
    };
    let writer: Box<dyn Write + Send> = match &document {
        Some((_, buf)) => Box::new(buf.clone()),
        None => open_output(out.output.as_deref())?,
    };
    let mut sink = TeeSink::new(vec![make_sink(out.format, writer)]);
    let (result, interrupted) = with_ui(&pipeline, out.quiet, || pipeline.run(tracks, &mut sink));
    let summary = result?;
    drop(sink);
    if let Some((path, buf)) = &document {
        write_document(path, &buf.take())?;
    }
    if !out.quiet {
        for w in &summary.warnings {
            eprintln!("warning: {w}");
        }
        let rtf = if summary.elapsed_seconds > 0.0 {
            summary.audio_seconds / summary.elapsed_seconds
        } else {
            0.0
        };
        eprintln!("{}", summary_line(&summary, rtf));
        if let Some(p) = &out.output {
            eprintln!("wrote {}", p.display());
        }
    }
    Ok(if interrupted {
        crate::cmd::interrupt::stopped_exit_code()
    } else {
        0
    })
}
