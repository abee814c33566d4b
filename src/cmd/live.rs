//! `transcribe --live`: capture the call as it happens, spool every second
//! of it to disk, and transcribe alongside.

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal};
use std::time::Duration;

use anyhow::{Context, Result};
use hotwash_engine::capture::{
    CaptureConfig, CaptureMonitor, LastSpeech, LiveSource, SilenceWatcher, SpeechClock, StopHandle,
};
use hotwash_engine::format::{JsonLinesSink, TeeSink, TextSink};
use hotwash_engine::pipeline::{Packing, Track};
use hotwash_engine::transcriber::Model;
use hotwash_engine::FinalOnly;

use crate::cmd::engine::{build_pipeline_for, resolve_model, EngineArgs};
use crate::cmd::output::{make_sink, open_output, OutputFormat};
use crate::cmd::transcribe_args::{LiveArgs, OutputArgs};

/// Runs a live capture (the engine options already carry the roster's
/// prompt); returns the exit code.
pub fn run(args: &LiveArgs, engine: &EngineArgs, out: &OutputArgs) -> Result<i32> {
    let dir = args.out_dir.clone().unwrap_or_else(|| {
        std::path::PathBuf::from(format!(
            "incident-{}",
            chrono::Utc::now().format("%Y%m%d-%H%M%S")
        ))
    });
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("{}: cannot create the incident directory", dir.display()))?;
    let model = resolve_model(&engine.model, out.quiet)?;
    let devices: Vec<Option<String>> = if args.devices.is_empty() {
        vec![None]
    } else {
        args.devices.iter().cloned().map(Some).collect()
    };
    let mut tracks = Vec::new();
    let mut stops: Vec<StopHandle> = Vec::new();
    let mut monitors: Vec<CaptureMonitor> = Vec::new();
    let mut spools = Vec::new();
    for (i, device) in devices.iter().enumerate() {
        let label = if devices.len() == 1 {
            "mic".to_string()
        } else {
            format!("track{}", i + 1)
        };
        let mut spool = dir.join(format!("{label}.wav"));
        let mut n = 2;
        while spool.exists() {
            spool = dir.join(format!("{label}-{n}.wav"));
            n += 1;
        }
        let mut config = CaptureConfig::new(&spool);
        config.device = device.clone();
        config.label = device.clone().or(Some(label.clone()));
        config.reconnect = args.reconnect;
        config.max_duration = args.duration.map(Duration::from_secs_f64);
        let source = LiveSource::start(config).with_context(|| {
            format!(
                "{}: cannot start capture",
                device.as_deref().unwrap_or("default input")
            )
        })?;
        stops.push(source.stop_handle());
        monitors.push(source.monitor());
        spools.push(spool);
        let name = device.clone().unwrap_or(label);
        let mut track = Track::new(name.clone(), Box::new(source));
        if devices.len() > 1 {
            track.speaker = Some(name);
        }
        tracks.push(track);
    }
    let start = monitors.first().map(|_| chrono::Utc::now());
    let pipeline = build_pipeline_for(
        engine,
        Model::load(&model)?,
        start,
        out.quiet,
        Packing::Eager,
        args.partials.then_some(Duration::from_secs(1)),
    )?;
    if !out.quiet {
        eprintln!(
            "capturing into {} (Ctrl-C to stop){}",
            dir.display(),
            args.duration
                .map_or(String::new(), |d| format!(", for {d} s"))
        );
    }
    // Ctrl-C stops the captures; the sources end once everything spooled
    // has been read, so the pipeline finishes the speech in flight.
    let capture_stops = stops.clone();
    let pipeline_stop = pipeline.stop_handle();
    crate::cmd::interrupt::on_ctrl_c_do(move |n| {
        if n == 1 {
            eprintln!("\nstopping capture: finishing speech in flight (Ctrl-C again to abort)");
            capture_stops.iter().for_each(StopHandle::stop);
        } else {
            pipeline_stop.abort();
        }
    });
    let last_speech = LastSpeech::default();
    let _watcher = args.stop_after_silence.map(|silence| {
        let stops = stops.clone();
        let monitors = monitors.clone();
        SilenceWatcher::spawn(
            silence,
            last_speech.clone(),
            move || {
                monitors
                    .iter()
                    .map(CaptureMonitor::captured_seconds)
                    .fold(0.0, f64::max)
            },
            move || stops.iter().for_each(StopHandle::stop),
        )
    });
    let transcript_path = dir.join("transcript.jsonl");
    let transcript = BufWriter::new(
        File::create(&transcript_path)
            .with_context(|| format!("{}: cannot create", transcript_path.display()))?,
    );
    // Partials go to the output only: transcript.jsonl keeps final text.
    let shown = if out.format == OutputFormat::Txt && out.output.is_none() {
        Box::new(TextSink::new(io::stdout()).overwrite_partials(io::stdout().is_terminal()))
    } else {
        make_sink(out.format, open_output(out.output.as_deref())?)
    };
    let sink = TeeSink::new(vec![
        shown,
        Box::new(FinalOnly(JsonLinesSink::new(transcript))),
    ]);
    let mut sink = SpeechClock::new(sink, last_speech);
    let result = pipeline.run(tracks, &mut sink);
    if !out.quiet {
        for m in &monitors {
            if m.overrun_frames() > 0 || m.device_xruns() > 0 {
                eprintln!(
                    "warning: {} frames overran the ring buffer, {} device overruns",
                    m.overrun_frames(),
                    m.device_xruns()
                );
            }
        }
        for p in &spools {
            eprintln!("recording: {}", p.display());
        }
        eprintln!("transcript: {}", transcript_path.display());
    }
    let summary = result?;
    if !out.quiet {
        for w in &summary.warnings {
            eprintln!("warning: {w}");
        }
    }
    Ok(if crate::cmd::interrupt::was_interrupted() {
        crate::cmd::interrupt::stopped_exit_code()
    } else {
        0
    })
}
