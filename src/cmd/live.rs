//! `transcribe --live`: capture the call as it happens, spool every second
//! of it to disk, and transcribe alongside.

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use hotwash_engine::capture::{CaptureConfig, CaptureMonitor, LiveSource, StopHandle};
use hotwash_engine::format::{JsonLinesSink, TeeSink, TextSink};
use hotwash_engine::pipeline::{Packing, Track};
use hotwash_engine::transcriber::Model;
use hotwash_engine::{RecordingInfo, Sink, Summary, Utterance};

use crate::cmd::transcribe::{
    build_pipeline_for, make_sink, open_output, resolve_model, OutputFormat, TranscribeArgs,
};

/// Passes utterances on and notes where the last speech ended (for
/// --stop-after-silence), in milliseconds.
struct SpeechClock<S> {
    inner: S,
    last_speech_ms: Arc<AtomicU64>,
}

impl<S: Sink> Sink for SpeechClock<S> {
    type Error = S::Error;
    fn begin(&mut self, info: &RecordingInfo) -> Result<(), Self::Error> {
        self.inner.begin(info)
    }
    fn utterance(&mut self, u: &Utterance) -> Result<bool, Self::Error> {
        self.last_speech_ms
            .fetch_max((u.end * 1000.0) as u64, Ordering::Relaxed);
        self.inner.utterance(u)
    }
    fn partial(&mut self, p: &hotwash_engine::Partial) -> Result<bool, Self::Error> {
        self.inner.partial(p)
    }
    fn finish(&mut self, s: &Summary) -> Result<(), Self::Error> {
        self.inner.finish(s)
    }
}

/// Passes final utterances on and drops provisional text (for the
/// transcript file, which other tools read).
struct FinalOnly<S>(S);

impl<S: Sink> Sink for FinalOnly<S> {
    type Error = S::Error;
    fn begin(&mut self, info: &RecordingInfo) -> Result<(), Self::Error> {
        self.0.begin(info)
    }
    fn utterance(&mut self, u: &Utterance) -> Result<bool, Self::Error> {
        self.0.utterance(u)
    }
    fn finish(&mut self, s: &Summary) -> Result<(), Self::Error> {
        self.0.finish(s)
    }
}

/// Runs a live capture; returns the exit code.
pub fn run(args: TranscribeArgs) -> Result<i32> {
    let dir = args.out_dir.clone().unwrap_or_else(|| {
        std::path::PathBuf::from(format!(
            "incident-{}",
            chrono::Utc::now().format("%Y%m%d-%H%M%S")
        ))
    });
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("{}: cannot create the incident directory", dir.display()))?;
    let model = resolve_model(&args.engine.model, args.quiet)?;
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
        &args.engine,
        Model::load(&model)?,
        start,
        args.quiet,
        Packing::Eager,
        args.partials.then_some(Duration::from_secs(1)),
    )?;
    if !args.quiet {
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
    let last_speech_ms = Arc::new(AtomicU64::new(0));
    if let Some(silence) = args.stop_after_silence {
        let stops = stops.clone();
        let monitors = monitors.clone();
        let last = Arc::clone(&last_speech_ms);
        std::thread::spawn(move || loop {
            std::thread::sleep(Duration::from_millis(200));
            let captured = monitors
                .iter()
                .map(CaptureMonitor::captured_seconds)
                .fold(0.0, f64::max);
            let spoke = last.load(Ordering::Relaxed) as f64 / 1000.0;
            if captured - spoke >= silence {
                stops.iter().for_each(StopHandle::stop);
                return;
            }
        });
    }
    let transcript_path = dir.join("transcript.jsonl");
    let transcript = BufWriter::new(
        File::create(&transcript_path)
            .with_context(|| format!("{}: cannot create", transcript_path.display()))?,
    );
    // Partials go to the output only: transcript.jsonl keeps final text.
    let shown = if args.format == OutputFormat::Txt && args.output.is_none() {
        Box::new(TextSink::new(io::stdout()).overwrite_partials(io::stdout().is_terminal()))
    } else {
        make_sink(args.format, open_output(args.output.as_deref())?)
    };
    let sink = TeeSink::new(vec![
        shown,
        Box::new(FinalOnly(JsonLinesSink::new(transcript))),
    ]);
    let mut sink = SpeechClock {
        inner: sink,
        last_speech_ms,
    };
    let result = pipeline.run(tracks, &mut sink);
    if !args.quiet {
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
    if !args.quiet {
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
