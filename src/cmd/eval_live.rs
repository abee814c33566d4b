//! `hotwash eval live FILE`: play a recording with a reference through an
//! audio device at real-time pace, capture it with the live pipeline, and
//! report per-utterance latency, WER (against the reference and against an
//! offline transcription of the same file), overruns and backlog.
//!
//! Playback goes through PulseAudio's `pacat` into the default sink (or
//! `--sink`); capture reads the default input (or `--device`). On a machine
//! without a sound card, `scripts/virtual-audio.sh start` makes a server
//! whose default input hears the default sink.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clap::Args;
use hotwash_engine::capture::{CaptureConfig, LiveSource};
use hotwash_engine::format::VecSink;
use hotwash_engine::pipeline::{Packing, Track};
use hotwash_engine::source::{AudioSource, FileSource};
use hotwash_engine::transcriber::Model;
use hotwash_engine::{Partial, RecordingInfo, Sink, Summary, Utterance};
use serde::Serialize;

use crate::cmd::engine::{build_pipeline_for, resolve_model, EngineArgs};
use crate::cmd::reference::read_reference;
use crate::eval::wer::WerCount;

/// Arguments of `hotwash eval live`.
#[derive(Debug, Args)]
pub struct EvalLiveArgs {
    /// A recording with a reference beside it (`NAME.txt`, `NAME.ref.json`
    /// or `NAME.stm`).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// PulseAudio sink to play into (default: the default sink).
    #[arg(long, value_name = "NAME")]
    pub sink: Option<String>,
    /// Input device to capture (default: the default input; see `hotwash devices`).
    #[arg(long, value_name = "NAME")]
    pub device: Option<String>,
    /// Keep the capture (spool, log) in this directory instead of a temporary one.
    #[arg(long = "out", value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
    /// Also produce provisional text while speech is in progress (counted in
    /// the report; it costs worker time).
    #[arg(long)]
    pub partials: bool,
    /// Skip the offline transcription used for the WER comparison.
    #[arg(long)]
    pub no_offline: bool,
    /// Print one JSON document instead of a summary.
    #[arg(long)]
    pub json: bool,
    /// Also print each live utterance with its latency (on stderr).
    #[arg(short, long)]
    pub verbose: bool,
    /// Engine options (model, workers, threads, vad…).
    #[command(flatten)]
    pub engine: EngineArgs,
}

/// What the evaluation measured.
#[derive(Debug, Serialize)]
pub struct LiveReport {
    /// The recording played.
    pub file: String,
    /// Seconds of audio played.
    pub played_s: f64,
    /// Seconds of audio captured (spooled).
    pub captured_s: f64,
    /// Final utterances delivered.
    pub utterances: usize,
    /// Provisional updates delivered (with `--partials`).
    pub partials: usize,
    /// Median latency: emission time minus end of speech, seconds.
    pub latency_p50_s: f64,
    /// 95th percentile latency, seconds.
    pub latency_p95_s: f64,
    /// Worst latency, seconds.
    pub latency_max_s: f64,
    /// WER of the live transcript against the reference.
    pub wer_live: f64,
    /// WER of an offline transcription of the same file (when run).
    pub wer_offline: Option<f64>,
    /// Reference words.
    pub ref_words: usize,
    /// Frames dropped because the capture ring was full.
    pub overrun_frames: u64,
    /// Overruns the device reported.
    pub device_xruns: u64,
    /// Largest capture backlog seen (spooled, not yet transcribed), seconds.
    pub max_backlog_s: f64,
    /// Largest number of windows waiting for or inside a worker.
    pub max_queued_windows: u64,
    /// Whisper workers × threads.
    pub workers: usize,
    /// Threads per worker.
    pub threads: usize,
    /// The spooled capture.
    pub spool: String,
}

/// Notes when each final utterance and partial arrives.
#[derive(Default)]
struct Timed {
    finals: Vec<(Instant, Utterance)>,
    partials: usize,
}

impl Sink for Timed {
    type Error = std::convert::Infallible;
    fn begin(&mut self, _: &RecordingInfo) -> Result<(), Self::Error> {
        Ok(())
    }
    fn utterance(&mut self, u: &Utterance) -> Result<bool, Self::Error> {
        self.finals.push((Instant::now(), u.clone()));
        Ok(true)
    }
    fn partial(&mut self, _: &Partial) -> Result<bool, Self::Error> {
        self.partials += 1;
        Ok(true)
    }
    fn finish(&mut self, _: &Summary) -> Result<(), Self::Error> {
        Ok(())
    }
}

/// Value at quantile `q` (0..1) of sorted `v` (nearest rank).
fn quantile(v: &[f64], q: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let rank = (q * v.len() as f64).ceil() as usize;
    v[rank.clamp(1, v.len()) - 1]
}

/// Checks that a PulseAudio server answers, with the fix in the message.
fn check_audio_server() -> Result<()> {
    let ok = Command::new("pactl")
        .arg("info")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    match ok {
        Ok(s) if s.success() => Ok(()),
        Ok(_) => bail!(
            "no PulseAudio server answers: start one (on a machine without a sound card: \
             eval \"$(scripts/virtual-audio.sh start)\") and run this again"
        ),
        Err(_) => bail!(
            "pactl not found: install pulseaudio-utils (scripts/setup.sh does) and run this again"
        ),
    }
}

/// Plays `file` through `pacat` at real-time pace (the server paces the
/// pipe); returns the seconds played. Decoding is ours, so any format
/// `transcribe` reads can be played.
fn play(file: &Path, sink: Option<&str>, stop: &AtomicBool) -> Result<f64> {
    let mut source = FileSource::open(file)?;
    let fmt = source.format();
    let mut cmd = Command::new("pacat");
    cmd.args([
        "--playback",
        "--raw",
        "--format=float32le",
        &format!("--rate={}", fmt.sample_rate),
        &format!("--channels={}", fmt.channels),
        "--latency-msec=50",
        "--client-name=hotwash-eval-live",
    ]);
    if let Some(s) = sink {
        cmd.arg(format!("--device={s}"));
    }
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .context("cannot start pacat: install pulseaudio-utils and run this again")?;
    let mut stdin = child.stdin.take().context("pacat has no stdin")?;
    let mut buf = Vec::new();
    let mut bytes = Vec::new();
    let mut frames = 0u64;
    while !stop.load(Ordering::Relaxed) && source.read_block(&mut buf)? {
        bytes.clear();
        for s in &buf {
            bytes.extend_from_slice(&s.to_le_bytes());
        }
        if stdin.write_all(&bytes).is_err() {
            break;
        }
        frames += (buf.len() / fmt.channels.max(1) as usize) as u64;
    }
    drop(stdin);
    let out = child.wait_with_output()?;
    if !out.status.success() && !stop.load(Ordering::Relaxed) {
        bail!(
            "pacat failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(frames as f64 / f64::from(fmt.sample_rate.max(1)))
}

/// Transcribes `file` offline with the same engine settings; returns the text.
fn offline_text(args: &EngineArgs, model: Arc<Model>, file: &Path) -> Result<String> {
    let pipeline = build_pipeline_for(args, model, None, true, Packing::Full, None)?;
    let mut sink = VecSink::default();
    pipeline.run(
        vec![Track::new("main", Box::new(FileSource::open(file)?))],
        &mut sink,
    )?;
    Ok(join_text(sink.utterances.iter()))
}

fn join_text<'a>(us: impl Iterator<Item = &'a Utterance>) -> String {
    us.map(|u| u.text.as_str()).collect::<Vec<_>>().join(" ")
}

/// Runs the evaluation.
pub fn run(args: EvalLiveArgs) -> Result<()> {
    let Some((reference, _)) = read_reference(&args.file)? else {
        if !args.file.is_file() {
            bail!("{}: no such file", args.file.display());
        }
        bail!(
            "{}: no reference beside it (NAME.txt, NAME.ref.json or NAME.stm)",
            args.file.display()
        );
    };
    // Fail early, before the model loads, on a file we cannot play.
    FileSource::open(&args.file)?;
    check_audio_server()?;
    let model = Model::load(&resolve_model(&args.engine.model, args.json)?)?;

    let tmp;
    let dir = match &args.out_dir {
        Some(d) => {
            std::fs::create_dir_all(d)
                .with_context(|| format!("{}: cannot create", d.display()))?;
            d.clone()
        }
        None => {
            tmp = tempfile::tempdir()?;
            tmp.path().to_path_buf()
        }
    };
    let spool = dir.join("eval-live.wav");
    let mut config = CaptureConfig::new(&spool);
    config.device = args.device.clone();
    let source = LiveSource::start(config).with_context(|| {
        format!(
            "{}: cannot start capture",
            args.device.as_deref().unwrap_or("default input")
        )
    })?;
    let monitor = source.monitor();
    let capture_stop = source.stop_handle();
    let pipeline = build_pipeline_for(
        &args.engine,
        Arc::clone(&model),
        None,
        true,
        Packing::Eager,
        args.partials.then_some(Duration::from_secs(1)),
    )?;
    let (workers, threads) = pipeline.parallelism();
    let progress = pipeline.progress();

    // Watch the backlog while it runs.
    let done = Arc::new(AtomicBool::new(false));
    let max_backlog_ms = Arc::new(AtomicU64::new(0));
    let max_queued = Arc::new(AtomicU64::new(0));
    let watcher = {
        let (done, backlog, queued, monitor) = (
            Arc::clone(&done),
            Arc::clone(&max_backlog_ms),
            Arc::clone(&max_queued),
            monitor.clone(),
        );
        let progress = Arc::clone(&progress);
        std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                backlog.fetch_max(
                    (monitor.backlog_seconds() * 1000.0) as u64,
                    Ordering::Relaxed,
                );
                queued.fetch_max(progress.queued_windows(), Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(50));
            }
        })
    };

    // Playback on its own thread, started once the capture delivers audio;
    // the capture stops a moment after the playback ends.
    let interrupted = Arc::new(AtomicBool::new(false));
    let stop_playback = Arc::new(AtomicBool::new(false));
    {
        let interrupted = Arc::clone(&interrupted);
        let stop_playback = Arc::clone(&stop_playback);
        let stop = capture_stop.clone();
        crate::cmd::interrupt::on_ctrl_c_do(move |_| {
            interrupted.store(true, Ordering::SeqCst);
            stop_playback.store(true, Ordering::SeqCst);
            stop.stop();
        });
    }
    let player = {
        let file = args.file.clone();
        let sink = args.sink.clone();
        let stop = capture_stop.clone();
        let monitor = monitor.clone();
        let stop_playback = Arc::clone(&stop_playback);
        std::thread::spawn(move || -> Result<(f64, Instant)> {
            let t = Instant::now();
            while monitor.captured_seconds() <= 0.0 && t.elapsed() < Duration::from_secs(10) {
                std::thread::sleep(Duration::from_millis(20));
            }
            std::thread::sleep(Duration::from_millis(500));
            let played = play(&file, sink.as_deref(), &stop_playback);
            // Let the tail of the playback reach the capture, then stop.
            std::thread::sleep(Duration::from_millis(1500));
            stop.stop();
            Ok((played?, Instant::now()))
        })
    };
    if !args.json {
        eprintln!(
            "playing {} in real time and capturing it live…",
            args.file.display()
        );
    }
    let mut timed = Timed::default();
    let run = pipeline.run(vec![Track::new("live", Box::new(source))], &mut timed);
    let failed = run.is_err();
    if failed {
        // Nothing listens any more: stop the playback instead of waiting it out.
        stop_playback.store(true, Ordering::SeqCst);
    }
    let played = player
        .join()
        .map_err(|_| anyhow::anyhow!("playback thread panicked"))?;
    done.store(true, Ordering::Relaxed);
    let _ = watcher.join();
    run.with_context(|| format!("{}: live transcription failed", args.file.display()))?;
    let (played_s, stopped_at) = played?;
    if interrupted.load(Ordering::SeqCst) {
        bail!("interrupted");
    }

    // Capture time 0 in wall-clock terms: the capture runs at the device's
    // real-time pace, so it began `captured` seconds before it stopped.
    let captured_s = monitor.captured_seconds();
    let capture_zero = stopped_at
        .checked_sub(Duration::from_secs_f64(captured_s.max(0.0)))
        .unwrap_or(stopped_at);
    let mut latencies: Vec<f64> = timed
        .finals
        .iter()
        .map(|(at, u)| at.saturating_duration_since(capture_zero).as_secs_f64() - u.end)
        .collect();
    if args.verbose {
        for ((_, u), l) in timed.finals.iter().zip(&latencies) {
            eprintln!(
                "{:>7.2} s  [{:>7.2} → {:>7.2}] {}",
                l, u.start, u.end, u.text
            );
        }
    }
    latencies.sort_by(f64::total_cmp);
    let live_text = join_text(timed.finals.iter().map(|(_, u)| u));
    let live = WerCount::of(&reference, &live_text);
    let offline = if args.no_offline {
        None
    } else {
        if !args.json {
            eprintln!("transcribing the same file offline for comparison…");
        }
        let text = offline_text(&args.engine, model, &args.file)?;
        Some(WerCount::of(&reference, &text).rate())
    };
    let report = LiveReport {
        file: args.file.display().to_string(),
        played_s,
        captured_s,
        utterances: timed.finals.len(),
        partials: timed.partials,
        latency_p50_s: quantile(&latencies, 0.5),
        latency_p95_s: quantile(&latencies, 0.95),
        latency_max_s: latencies.last().copied().unwrap_or(f64::NAN),
        wer_live: live.rate(),
        wer_offline: offline,
        ref_words: live.words,
        overrun_frames: monitor.overrun_frames(),
        device_xruns: monitor.device_xruns(),
        max_backlog_s: max_backlog_ms.load(Ordering::Relaxed) as f64 / 1000.0,
        max_queued_windows: max_queued.load(Ordering::Relaxed),
        workers,
        threads,
        spool: spool.display().to_string(),
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_report(&report);
    }
    Ok(())
}

fn print_report(r: &LiveReport) {
    println!("file:        {}", r.file);
    println!(
        "audio:       {:.1} s played, {:.1} s captured (spool {})",
        r.played_s, r.captured_s, r.spool
    );
    println!(
        "latency:     p50 {:.2} s, p95 {:.2} s, max {:.2} s over {} utterances (emission − end of speech)",
        r.latency_p50_s, r.latency_p95_s, r.latency_max_s, r.utterances
    );
    match r.wer_offline {
        Some(off) => println!(
            "WER:         live {:.1}%, offline {:.1}% ({:+.1} points; {} reference words)",
            r.wer_live * 100.0,
            off * 100.0,
            (r.wer_live - off) * 100.0,
            r.ref_words
        ),
        None => println!(
            "WER:         live {:.1}% ({} reference words)",
            r.wer_live * 100.0,
            r.ref_words
        ),
    }
    println!(
        "dropped:     {} overrun frames, {} device overruns",
        r.overrun_frames, r.device_xruns
    );
    println!(
        "backlog:     max {:.2} s of audio, max {} windows queued  [{} workers × {} threads]",
        r.max_backlog_s, r.max_queued_windows, r.workers, r.threads
    );
    if r.partials > 0 {
        println!("partials:    {} provisional updates", r.partials);
    }
}
