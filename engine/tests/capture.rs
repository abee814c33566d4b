//! Live capture against a real (virtual) audio server.
//!
//! Each test starts its own private PulseAudio with null sinks
//! (`scripts/virtual-audio.sh` in a temporary directory), plays a recording
//! into sink `virt` with `paplay`, and captures `virt.monitor` (the default
//! source) in a child process: the test binary re-runs itself with
//! `HOTWASH_CAPTURE_CHILD` set, so each capture has its own environment
//! (PULSE_SERVER) and can be SIGKILLed. Without pulseaudio/paplay the tests
//! say so and skip.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use hotwash_engine::capture::{list_devices, CaptureConfig, CaptureEnd, CaptureLog, LiveSource};
use hotwash_engine::source::{AudioSource, FileSource};

const VIRTUAL_AUDIO_SCRIPT: &str =
    concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/virtual-audio.sh");
const SHARED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared");

// ---------------------------------------------------------------- helpers

#[path = "support/audio.rs"]
mod audio;
use audio::{best_correlation, decode_mono, resample, VirtualAudio};

/// A speech recording to play: the shared JFK clip, else one made with flite.
fn speech_wav(work: &Path) -> Option<PathBuf> {
    let jfk = Path::new(SHARED).join("real/jfk.wav");
    if jfk.exists() {
        return Some(jfk);
    }
    let out = work.join("speech.wav");
    let ok = Command::new("flite")
        .args([
            "-t",
            "The database failover started at nine fifteen. We rolled back the deploy and \
             latency recovered. Please page the storage team if it happens again.",
            "-o",
        ])
        .arg(&out)
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if ok {
        Some(out)
    } else {
        println!("skipping: neither ../shared/real/jfk.wav nor flite is available");
        None
    }
}

/// Checks that the capture holds the source without dropouts: every
/// half-second of speech in `src` sits at the same offset in `cap` (a lost
/// fragment anywhere would shift everything after it).
fn assert_no_dropouts(src: &[f32], cap: &[f32], rate: u32, lag: isize) {
    let win = (rate / 2) as usize;
    let search = (rate / 16) as isize; // ±62 ms
    let mut checked = 0;
    for start in (0..src.len().saturating_sub(win)).step_by(win) {
        let w = &src[start..start + win];
        let energy: f32 = w.iter().map(|v| v * v).sum::<f32>() / win as f32;
        if energy.sqrt() < 0.02 {
            continue;
        }
        let at = |d: isize| -> f64 {
            let base = start as isize + lag + d;
            if base < 0 || base as usize + win > cap.len() {
                return f64::MIN;
            }
            let c = &cap[base as usize..base as usize + win];
            w.iter()
                .zip(c)
                .map(|(a, b)| f64::from(*a) * f64::from(*b))
                .sum()
        };
        if at(0) == f64::MIN {
            continue;
        }
        let best = (-search..=search)
            .max_by(|a, b| at(*a).total_cmp(&at(*b)))
            .unwrap_or(0);
        assert!(
            best.abs() <= 2,
            "audio shifted by {best} samples at {:.2} s of the source: a dropout",
            start as f64 / f64::from(rate)
        );
        checked += 1;
    }
    assert!(
        checked >= 2,
        "too little speech overlapped to check for dropouts"
    );
}

/// Reads the WAV header's declared data length (bytes) and fmt fields.
fn wav_header(path: &Path) -> (u32, u16, u16, u64) {
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(&bytes[0..4], b"RIFF");
    assert_eq!(&bytes[8..12], b"WAVE");
    assert_eq!(&bytes[36..40], b"data");
    let ch = u16::from_le_bytes([bytes[22], bytes[23]]);
    let rate = u32::from_le_bytes(bytes[24..28].try_into().unwrap());
    let bits = u16::from_le_bytes([bytes[34], bytes[35]]);
    let data = u32::from_le_bytes(bytes[40..44].try_into().unwrap()) as u64;
    let riff = u32::from_le_bytes(bytes[4..8].try_into().unwrap()) as u64;
    assert_eq!(riff, 36 + data, "RIFF size must match the data chunk");
    assert!(
        44 + data <= bytes.len() as u64,
        "header claims more than the file holds"
    );
    (rate, ch, bits, data)
}

/// A capture running in a child process (this test binary, re-run).
struct ChildCapture {
    child: Child,
    lines: Receiver<String>,
}

impl ChildCapture {
    fn spawn(va: &VirtualAudio, vars: &[(&str, String)]) -> ChildCapture {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "capture_child",
                "--exact",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("HOTWASH_CAPTURE_CHILD", "1")
            .envs(va.env())
            .envs(vars.iter().map(|(k, v)| (k.to_string(), v.clone())))
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                // libtest may print "test capture_child ... " first.
                if let Some(at) = line.find("@@") {
                    if tx.send(line[at + 2..].to_string()).is_err() {
                        break;
                    }
                }
            }
        });
        ChildCapture { child, lines: rx }
    }

    /// Waits for the next protocol line starting with `tag`, returning its rest.
    fn expect(&self, tag: &str, within: Duration) -> String {
        let deadline = Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    if let Some(rest) = line.strip_prefix(tag) {
                        return rest.trim().to_string();
                    }
                    if let Some(err) = line.strip_prefix("ERROR") {
                        panic!("child capture failed: {err}");
                    }
                }
                Err(RecvTimeoutError::Timeout) => panic!("child never said {tag}"),
                Err(RecvTimeoutError::Disconnected) => panic!("child exited before {tag}"),
            }
        }
    }

    /// Waits until the child reports at least `frames` synced frames; returns
    /// the last count it reported.
    fn wait_synced(&self, frames: u64, within: Duration) -> u64 {
        let deadline = Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let n: u64 = self.expect("SYNCED", left).parse().unwrap();
            if n >= frames {
                return n;
            }
        }
    }

    fn result(&mut self, within: Duration) -> serde_json::Value {
        let json = self.expect("RESULT", within);
        let status = self.child.wait().unwrap();
        assert!(status.success(), "child capture exited with {status}");
        serde_json::from_str(&json).unwrap()
    }
}

impl Drop for ChildCapture {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn env_or<T: std::str::FromStr>(key: &str, default: T) -> T {
    std::env::var(key)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The child side: captures with `LiveSource` as the pipeline would, and
/// reports over stdout. Does nothing in a normal test run.
#[test]
fn capture_child() {
    if std::env::var("HOTWASH_CAPTURE_CHILD").is_err() {
        return;
    }
    if std::env::var("CHILD_LIST").is_ok() {
        match list_devices() {
            Ok(devices) => println!("@@DEVICES {}", serde_json::to_string(&devices).unwrap()),
            Err(e) => println!("@@ERROR {e}"),
        }
        return;
    }
    let spools: Vec<String> = std::env::var("CHILD_SPOOL")
        .unwrap()
        .split(',')
        .map(str::to_string)
        .collect();
    let devices: Vec<Option<String>> = match std::env::var("CHILD_DEVICE") {
        Ok(d) => d.split(',').map(|s| Some(s.to_string())).collect(),
        Err(_) => vec![None],
    };
    let mut handles = Vec::new();
    let (started_tx, started_rx) = std::sync::mpsc::channel();
    for (spool, device) in spools.into_iter().zip(devices) {
        let mut config = CaptureConfig::new(&spool);
        config.device = device;
        config.max_duration = std::env::var("CHILD_SECONDS")
            .ok()
            .map(|s| Duration::from_secs_f64(s.parse().unwrap()));
        config.reconnect = std::env::var("CHILD_RECONNECT").is_ok();
        if let Ok(host) = std::env::var("CHILD_HOST") {
            config.host = host.parse().unwrap();
        }
        config.stall_timeout = Duration::from_millis(env_or("CHILD_STALL_MS", 5000));
        config.max_segment_bytes = env_or("CHILD_SEGMENT_BYTES", u64::from(u32::MAX));
        if let Ok(ms) = std::env::var("CHILD_BUFFER_MS") {
            config.device_buffer = Some(Duration::from_millis(ms.parse().unwrap()));
        }
        let read_delay = Duration::from_millis(env_or("CHILD_READ_DELAY_MS", 0));
        config.retry_every = Duration::from_millis(env_or("CHILD_RETRY_MS", 1000));
        config.sync_every = Duration::from_millis(env_or("CHILD_SYNC_MS", 1000));
        let started_tx = started_tx.clone();
        handles.push(std::thread::spawn(move || {
            let mut source = match LiveSource::start(config) {
                Ok(s) => s,
                Err(e) => {
                    println!("@@ERROR {e}");
                    return serde_json::Value::Null;
                }
            };
            let monitor = source.monitor();
            started_tx
                .send(serde_json::json!({
                    "device": source.capture().device_id(),
                    "host": source.capture().host(),
                    "rate": source.format().sample_rate,
                    "channels": source.format().channels,
                }))
                .unwrap();
            drop(started_tx);
            let m2 = monitor.clone();
            std::thread::spawn(move || {
                let mut last = 0;
                loop {
                    let n = m2.synced_frames();
                    if n != last {
                        println!("@@SYNCED {n}");
                        last = n;
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
            });
            // A pipeline that falls behind: the capture must not wait for it.
            std::thread::sleep(read_delay);
            let mut buf = Vec::new();
            let (mut samples, mut sum, mut sum_sq) = (0u64, 0.0f64, 0.0f64);
            let mut max_backlog = 0.0f64;
            let mut warnings = Vec::new();
            let result = loop {
                match source.read_block(&mut buf) {
                    Ok(true) => {
                        samples += buf.len() as u64;
                        for &s in &buf {
                            sum += f64::from(s);
                            sum_sq += f64::from(s) * f64::from(s);
                        }
                        max_backlog = max_backlog.max(monitor.backlog_seconds());
                    }
                    Ok(false) => break Ok(()),
                    Err(e) => break Err(e.to_string()),
                }
                warnings.extend(source.take_warnings());
            };
            warnings.extend(source.take_warnings());
            let latency = monitor.first_audio_latency().map(|d| d.as_secs_f64());
            let log = source.finish();
            serde_json::json!({
                "read_error": result.err(),
                "samples": samples,
                "sum": sum,
                "sum_sq": sum_sq,
                "warnings": warnings,
                "first_audio_latency": latency,
                "max_backlog": max_backlog,
                "log": log.map_err(|e| e.to_string()).map(|l| serde_json::to_value(l).unwrap()).unwrap_or_default(),
            })
        }));
    }
    drop(started_tx);
    // One message per capture that started (a failed start drops its sender).
    let started: Vec<serde_json::Value> = (0..handles.len())
        .map_while(|_| started_rx.recv().ok())
        .collect();
    if !started.is_empty() {
        println!("@@STARTED {}", serde_json::Value::Array(started));
    }
    let results: Vec<serde_json::Value> =
        handles.into_iter().filter_map(|h| h.join().ok()).collect();
    println!("@@RESULT {}", serde_json::Value::Array(results));
}

/// The spool's audio, decoded, checked against what the live source read.
fn check_spool_matches_source_reads(spool: &Path, result: &serde_json::Value) -> (Vec<f32>, u32) {
    let (rate, ch, bits, data) = wav_header(spool);
    let mut src = FileSource::open(spool).unwrap();
    let mut buf = Vec::new();
    let (mut n, mut sum) = (0u64, 0.0f64);
    let mut mono = Vec::new();
    while src.read_block(&mut buf).unwrap() {
        n += buf.len() as u64;
        sum += buf.iter().map(|&s| f64::from(s)).sum::<f64>();
        mono.extend(
            buf.chunks_exact(usize::from(ch))
                .map(|f| f.iter().sum::<f32>() / f32::from(ch)),
        );
    }
    assert_eq!(
        n * u64::from(bits / 8),
        data,
        "symphonia decodes exactly the header's length"
    );
    assert_eq!(
        result["samples"].as_u64().unwrap(),
        n,
        "the live source delivered every spooled sample"
    );
    let diff = (result["sum"].as_f64().unwrap() - sum).abs();
    assert!(
        diff < 1e-3 * (1.0 + sum.abs()),
        "live source and spool differ ({diff})"
    );
    (mono, rate)
}

// ------------------------------------------------------------------ tests

#[test]
fn live_capture_spools_what_was_played() {
    let Some(va) = VirtualAudio::start() else {
        return;
    };
    let Some(speech) = speech_wav(&va.work()) else {
        return;
    };
    let (src, src_rate) = decode_mono(&speech);
    let src_seconds = src.len() as f64 / f64::from(src_rate);
    let spool = va.work().join("incident/mic.wav");
    let mut child = ChildCapture::spawn(
        &va,
        &[
            ("CHILD_SPOOL", spool.display().to_string()),
            ("CHILD_SECONDS", format!("{}", src_seconds + 3.0)),
        ],
    );
    let started = child.expect("STARTED", Duration::from_secs(20));
    println!("capture started: {started}");
    let mut player = va.play(&speech, "virt");
    let result = child.result(Duration::from_secs(60));
    let _ = player.wait();
    let r = &result[0];
    println!(
        "first audio after {:?} s, max backlog {:.3} s",
        r["first_audio_latency"],
        r["max_backlog"].as_f64().unwrap()
    );
    assert!(r["read_error"].is_null(), "{r}");
    let (cap, cap_rate) = check_spool_matches_source_reads(&spool, r);
    let cap = resample(&cap, cap_rate, src_rate);
    let peak = cap.iter().fold(0.0f32, |m, s| m.max(s.abs()));
    println!(
        "captured {} samples at {src_rate} Hz, peak {peak}; source {} samples",
        cap.len(),
        src.len()
    );
    let (ncc, lag) = best_correlation(&src, &cap, src_rate);
    println!(
        "correlation {ncc:.3} at lag {:.3} s",
        lag as f64 / f64::from(src_rate)
    );
    assert!(
        ncc >= 0.9,
        "spool does not match what was played (ncc {ncc:.3})"
    );
    assert_no_dropouts(&src, &cap, src_rate, lag);

    let log = CaptureLog::read(&CaptureLog::path_for(&spool)).unwrap();
    assert_eq!(log.end, Some(CaptureEnd::DurationReached));
    assert_eq!(log.overrun_frames, 0);
    assert!(log.gaps.is_empty(), "{:?}", log.gaps);
    assert_eq!(log.frames, log.synced_frames);
    assert_eq!(
        log.frames,
        ((src_seconds + 3.0) * f64::from(cap_rate)).round() as u64
    );
}

#[test]
fn capture_loses_nothing_while_the_cpu_is_saturated() {
    let Some(va) = VirtualAudio::start() else {
        return;
    };
    let Some(speech) = speech_wav(&va.work()) else {
        return;
    };
    let (src, src_rate) = decode_mono(&speech);
    let src_seconds = src.len() as f64 / f64::from(src_rate);
    let spool = va.work().join("incident/mic.wav");
    // Busy threads stand in for whisper workers and a compile on a 2-core laptop.
    let busy = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let burners: Vec<_> = (0..4)
        .map(|_| {
            let busy = busy.clone();
            std::thread::spawn(move || {
                let mut x = 0u64;
                while busy.load(std::sync::atomic::Ordering::Relaxed) {
                    x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
                }
                x
            })
        })
        .collect();
    let mut child = ChildCapture::spawn(
        &va,
        &[
            ("CHILD_SPOOL", spool.display().to_string()),
            ("CHILD_SECONDS", format!("{}", src_seconds + 4.0)),
        ],
    );
    child.expect("STARTED", Duration::from_secs(30));
    let mut player = va.play(&speech, "virt");
    let result = child.result(Duration::from_secs(90));
    let _ = player.wait();
    busy.store(false, std::sync::atomic::Ordering::Relaxed);
    for b in burners {
        b.join().unwrap();
    }
    let r = &result[0];
    assert!(r["read_error"].is_null(), "{r}");
    let (cap, cap_rate) = check_spool_matches_source_reads(&spool, r);
    let cap = resample(&cap, cap_rate, src_rate);
    let (ncc, lag) = best_correlation(&src, &cap, src_rate);
    assert!(ncc >= 0.9, "spool does not match under load (ncc {ncc:.3})");
    assert_no_dropouts(&src, &cap, src_rate, lag);
}

#[test]
fn sigkill_leaves_a_valid_spool_up_to_the_last_sync() {
    let Some(va) = VirtualAudio::start() else {
        return;
    };
    let Some(speech) = speech_wav(&va.work()) else {
        return;
    };
    let spool = va.work().join("incident/mic.wav");
    let mut child = ChildCapture::spawn(
        &va,
        &[
            ("CHILD_SPOOL", spool.display().to_string()),
            ("CHILD_SECONDS", "60".to_string()),
            ("CHILD_SYNC_MS", "500".to_string()),
        ],
    );
    let started = child.expect("STARTED", Duration::from_secs(20));
    let rate = serde_json::from_str::<serde_json::Value>(&started).unwrap()[0]["rate"]
        .as_u64()
        .unwrap();
    let mut player = va.play(&speech, "virt");
    let synced = child.wait_synced(3 * rate, Duration::from_secs(30));
    child.child.kill().unwrap(); // SIGKILL
    child.child.wait().unwrap();
    let _ = player.kill();
    let _ = player.wait();
    let (_, ch, bits, data) = wav_header(&spool);
    let frames = data / (u64::from(ch) * u64::from(bits / 8));
    assert!(
        frames >= synced,
        "spool holds {frames} frames but {synced} were reported synced"
    );
    // symphonia (the `transcribe` reader) opens it and decodes it all.
    let (mono, _) = decode_mono(&spool);
    assert_eq!(mono.len() as u64, frames);
    assert!(
        mono.iter().any(|&s| s.abs() > 0.01),
        "the spool holds the played audio"
    );
}

#[test]
fn audio_server_killed_mid_capture_ends_cleanly() {
    let Some(va) = VirtualAudio::start() else {
        return;
    };
    let Some(speech) = speech_wav(&va.work()) else {
        return;
    };
    let spool = va.work().join("incident/mic.wav");
    let mut child = ChildCapture::spawn(
        &va,
        &[
            ("CHILD_SPOOL", spool.display().to_string()),
            ("CHILD_SECONDS", "60".to_string()),
        ],
    );
    let started = child.expect("STARTED", Duration::from_secs(20));
    let rate = serde_json::from_str::<serde_json::Value>(&started).unwrap()[0]["rate"]
        .as_u64()
        .unwrap();
    let mut player = va.play(&speech, "virt");
    child.wait_synced(2 * rate, Duration::from_secs(30));
    va.kill_server();
    let result = child.result(Duration::from_secs(30));
    let _ = player.wait();
    let r = &result[0];
    assert!(r["read_error"].is_null(), "{r}");
    let warnings = r["warnings"].to_string();
    println!("warnings: {warnings}");
    assert!(
        warnings.contains("lost"),
        "no device-lost warning: {warnings}"
    );
    let log = CaptureLog::read(&CaptureLog::path_for(&spool)).unwrap();
    assert!(
        matches!(log.end, Some(CaptureEnd::DeviceLost(_))),
        "{:?}",
        log.end
    );
    assert!(log.frames >= 2 * rate, "audio before the crash is kept");
    assert_eq!(
        log.frames, log.synced_frames,
        "spool closed with a final sync"
    );
    check_spool_matches_source_reads(&spool, r);
}

#[test]
fn alsa_host_captures_and_reports_a_dead_server_as_a_lost_device() {
    let Some(va) = VirtualAudio::start() else {
        return;
    };
    let Some(speech) = speech_wav(&va.work()) else {
        return;
    };
    let (src, src_rate) = decode_mono(&speech);
    let spool = va.work().join("incident/mic.wav");
    let mut child = ChildCapture::spawn(
        &va,
        &[
            ("CHILD_SPOOL", spool.display().to_string()),
            ("CHILD_SECONDS", "60".to_string()),
            ("CHILD_HOST", "alsa".to_string()),
            ("CHILD_STALL_MS", "2000".to_string()),
        ],
    );
    let started = child.expect("STARTED", Duration::from_secs(20));
    let started: serde_json::Value = serde_json::from_str(&started).unwrap();
    assert_eq!(started[0]["host"], "alsa");
    let rate = started[0]["rate"].as_u64().unwrap();
    let mut player = va.play(&speech, "virt");
    child.wait_synced(4 * rate, Duration::from_secs(30));
    // Through ALSA's pulse plugin a dead server is a silent stall, which the
    // watchdog turns into a device loss; closing the hung stream is abandoned.
    va.kill_server();
    let result = child.result(Duration::from_secs(30));
    let _ = player.wait();
    let r = &result[0];
    assert!(r["read_error"].is_null(), "{r}");
    let log = CaptureLog::read(&CaptureLog::path_for(&spool)).unwrap();
    match &log.end {
        Some(CaptureEnd::DeviceLost(why)) => assert!(why.contains("no audio"), "{why}"),
        other => panic!("expected a lost device, got {other:?}"),
    }
    let (cap, cap_rate) = check_spool_matches_source_reads(&spool, r);
    let (ncc, _) = best_correlation(&src, &resample(&cap, cap_rate, src_rate), src_rate);
    assert!(
        ncc >= 0.9,
        "ALSA spool does not match what was played ({ncc:.3})"
    );
}

#[test]
fn reconnect_resumes_the_same_spool_and_marks_the_gap() {
    let Some(va) = VirtualAudio::start() else {
        return;
    };
    let spool = va.work().join("incident/mic.wav");
    let mut child = ChildCapture::spawn(
        &va,
        &[
            ("CHILD_SPOOL", spool.display().to_string()),
            ("CHILD_SECONDS", "10".to_string()),
            ("CHILD_RECONNECT", "1".to_string()),
            ("CHILD_RETRY_MS", "300".to_string()),
        ],
    );
    let started = child.expect("STARTED", Duration::from_secs(20));
    let rate = serde_json::from_str::<serde_json::Value>(&started).unwrap()[0]["rate"]
        .as_u64()
        .unwrap();
    child.wait_synced(rate, Duration::from_secs(30));
    va.kill_server();
    std::thread::sleep(Duration::from_millis(1500));
    va.script("start");
    let result = child.result(Duration::from_secs(60));
    let r = &result[0];
    assert!(r["read_error"].is_null(), "{r}");
    let log = CaptureLog::read(&CaptureLog::path_for(&spool)).unwrap();
    assert_eq!(log.end, Some(CaptureEnd::DurationReached), "{log:?}");
    assert_eq!(log.frames, 10 * rate, "timeline kept whole");
    let gap = log
        .gaps
        .iter()
        .find(|g| g.reason.starts_with("device lost"))
        .unwrap_or_else(|| panic!("no device-lost gap logged: {:?}", log.gaps));
    println!("gap: {gap:?}; warnings: {:?}", log.warnings);
    assert!(gap.seconds > 0.5, "gap too short: {gap:?}");
    assert!(gap.offset_seconds >= 1.0, "{gap:?}");
    check_spool_matches_source_reads(&spool, r);
}

#[test]
fn a_slow_reader_builds_a_backlog_and_still_gets_every_sample() {
    let Some(va) = VirtualAudio::start() else {
        return;
    };
    let Some(speech) = speech_wav(&va.work()) else {
        return;
    };
    let spool = va.work().join("incident/mic.wav");
    let mut child = ChildCapture::spawn(
        &va,
        &[
            ("CHILD_SPOOL", spool.display().to_string()),
            ("CHILD_SECONDS", "6".to_string()),
            ("CHILD_READ_DELAY_MS", "3000".to_string()),
            // 48 kHz stereo 16-bit is 192 kB/s: about three segments a second.
            ("CHILD_SEGMENT_BYTES", "65536".to_string()),
        ],
    );
    child.expect("STARTED", Duration::from_secs(20));
    let mut player = va.play(&speech, "virt");
    let result = child.result(Duration::from_secs(60));
    let _ = player.kill();
    let _ = player.wait();
    let r = &result[0];
    assert!(r["read_error"].is_null(), "{r}");
    let backlog = r["max_backlog"].as_f64().unwrap();
    println!("max backlog {backlog:.2} s");
    assert!(backlog >= 2.0, "the backlog was not measured ({backlog} s)");
    let log = CaptureLog::read(&CaptureLog::path_for(&spool)).unwrap();
    assert_eq!(log.end, Some(CaptureEnd::DurationReached));
    assert!(log.segments.len() > 10, "{} segments", log.segments.len());
    assert_eq!(log.overrun_frames, 0);
    // Every segment is a valid WAV; together they hold what the source read.
    let dir = spool.parent().unwrap();
    let (mut n, mut sum) = (0u64, 0.0f64);
    for segment in &log.segments {
        let path = dir.join(&segment.file);
        let (_, ch, bits, data) = wav_header(&path);
        assert_eq!(data, segment.frames * u64::from(ch) * u64::from(bits / 8));
        let mut src = FileSource::open(&path).unwrap();
        let mut buf = Vec::new();
        while src.read_block(&mut buf).unwrap() {
            n += buf.len() as u64;
            sum += buf.iter().map(|&s| f64::from(s)).sum::<f64>();
        }
    }
    assert_eq!(n, r["samples"].as_u64().unwrap());
    assert_eq!(n, log.frames * 2);
    let diff = (r["sum"].as_f64().unwrap() - sum).abs();
    assert!(
        diff < 1e-3 * (1.0 + sum.abs()),
        "segments and live source differ"
    );
}

#[test]
fn two_devices_are_two_tracks() {
    let Some(va) = VirtualAudio::start() else {
        return;
    };
    let Some(speech) = speech_wav(&va.work()) else {
        return;
    };
    let (src, src_rate) = decode_mono(&speech);
    let seconds = src.len() as f64 / f64::from(src_rate) + 3.0;
    let mic = va.work().join("incident/mic.wav");
    let monitor = va.work().join("incident/meeting.wav");
    let mut child = ChildCapture::spawn(
        &va,
        &[
            (
                "CHILD_SPOOL",
                format!("{},{}", mic.display(), monitor.display()),
            ),
            ("CHILD_DEVICE", "virt.monitor,virt2.monitor".to_string()),
            ("CHILD_SECONDS", format!("{seconds}")),
        ],
    );
    child.expect("STARTED", Duration::from_secs(20));
    let mut player = va.play(&speech, "virt2");
    let result = child.result(Duration::from_secs(60));
    let _ = player.wait();
    assert_eq!(result.as_array().unwrap().len(), 2);
    let (mic_audio, rate) = check_spool_matches_source_reads(&mic, &result[0]);
    let (meeting_audio, _) = check_spool_matches_source_reads(&monitor, &result[1]);
    let meeting_audio = resample(&meeting_audio, rate, src_rate);
    let (ncc, lag) = best_correlation(&src, &meeting_audio, src_rate);
    assert!(
        ncc >= 0.9,
        "meeting track does not hold the meeting audio ({ncc:.3})"
    );
    assert_no_dropouts(&src, &meeting_audio, src_rate, lag);
    let peak = mic_audio.iter().fold(0.0f32, |m, s| m.max(s.abs()));
    assert!(
        peak < 1e-3,
        "the mic track picked up the meeting audio (peak {peak})"
    );
}

#[test]
fn devices_lists_the_virtual_sources_with_the_default_marked() {
    let Some(va) = VirtualAudio::start() else {
        return;
    };
    let mut child = ChildCapture::spawn(&va, &[("CHILD_LIST", "1".to_string())]);
    let json = child.expect("DEVICES", Duration::from_secs(20));
    let _ = child.child.wait();
    let devices: serde_json::Value = serde_json::from_str(&json).unwrap();
    let list = devices.as_array().unwrap();
    let find = |id: &str| list.iter().find(|d| d["id"] == id).cloned();
    let virt = find("virt.monitor").unwrap_or_else(|| panic!("virt.monitor missing: {json}"));
    assert_eq!(virt["is_default"], true);
    assert_eq!(virt["sample_rate"], 48000);
    let virt2 = find("virt2.monitor").unwrap_or_else(|| panic!("virt2.monitor missing: {json}"));
    assert_eq!(virt2["is_default"], false);
}

#[test]
fn unknown_device_is_a_clear_error_and_no_spool_is_left() {
    let Some(va) = VirtualAudio::start() else {
        return;
    };
    let spool = va.work().join("incident/mic.wav");
    let child = ChildCapture::spawn(
        &va,
        &[
            ("CHILD_SPOOL", spool.display().to_string()),
            ("CHILD_DEVICE", "no-such-mic".to_string()),
        ],
    );
    let err = child.expect("ERROR", Duration::from_secs(20));
    assert!(
        err.contains("no-such-mic") && err.contains("hotwash devices"),
        "{err}"
    );
    assert!(!spool.exists());
}

#[test]
fn an_existing_recording_is_never_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let spool = dir.path().join("mic.wav");
    std::fs::write(&spool, b"precious").unwrap();
    let err = match LiveSource::start(CaptureConfig::new(&spool)) {
        Ok(_) => panic!("capture overwrote an existing recording"),
        Err(e) => e.to_string(),
    };
    assert!(err.contains("refusing to overwrite"), "{err}");
    assert_eq!(std::fs::read(&spool).unwrap(), b"precious");
}

#[test]
fn sync_interval_above_two_seconds_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = CaptureConfig::new(dir.path().join("mic.wav"));
    config.sync_every = Duration::from_secs(5);
    let err = LiveSource::start(config).err().unwrap().to_string();
    assert!(err.contains("at most 2 s"), "{err}");
}
