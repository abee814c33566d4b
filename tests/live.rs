//! `transcribe --live` end to end against a real (virtual) audio server:
//! a project fixture is played into a private PulseAudio null sink whose
//! monitor is the default input, captured by the binary for its length with
//! the real tiny.en model, and checked three ways — the transcript against
//! the fixture's reference, provisional text kept out of transcript.jsonl,
//! and the spooled recording against the source. Without PulseAudio the test
//! says so and skips (CI installs it through scripts/setup.sh).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use hotwash::eval::wer::wer;
use hotwash_engine::source::{AudioSource, FileSource};

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/virtual-audio.sh");

/// A private PulseAudio server in a temporary directory; stopped on drop.
struct VirtualAudio {
    dir: tempfile::TempDir,
}

impl VirtualAudio {
    fn start() -> Option<VirtualAudio> {
        for tool in ["pulseaudio", "pactl", "paplay"] {
            let found = Command::new("sh")
                .args(["-c", &format!("command -v {tool}")])
                .stdout(Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            if !found {
                eprintln!(
                    "skipping: {tool} is not installed (scripts/setup.sh installs pulseaudio and pulseaudio-utils)"
                );
                return None;
            }
        }
        let dir = tempfile::Builder::new()
            .prefix("hw-live-")
            .tempdir()
            .unwrap();
        let out = Command::new("bash")
            .arg(SCRIPT)
            .arg("start")
            .arg(dir.path().join("pa"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "virtual-audio.sh start failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Some(VirtualAudio { dir })
    }

    fn env(&self) -> Vec<(String, String)> {
        let pa = self.dir.path().join("pa");
        vec![
            (
                "XDG_RUNTIME_DIR".into(),
                pa.join("run").display().to_string(),
            ),
            (
                "PULSE_SERVER".into(),
                format!("unix:{}", pa.join("run/native").display()),
            ),
        ]
    }

    fn work(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }
}

impl Drop for VirtualAudio {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(SCRIPT)
            .arg("stop")
            .arg(self.dir.path().join("pa"))
            .output();
    }
}

/// Decodes a file with the engine's reader into mono samples at its rate.
fn decode_mono(path: &Path) -> (Vec<f32>, u32) {
    let mut src = FileSource::open(path).unwrap();
    let fmt = src.format();
    let ch = usize::from(fmt.channels);
    let mut buf = Vec::new();
    let mut mono = Vec::new();
    while src.read_block(&mut buf).unwrap() {
        mono.extend(
            buf.chunks_exact(ch)
                .map(|f| f.iter().sum::<f32>() / ch as f32),
        );
    }
    (mono, fmt.sample_rate)
}

/// Linear-interpolation resampling (enough for a correlation check).
fn resample(x: &[f32], from: u32, to: u32) -> Vec<f32> {
    if from == to {
        return x.to_vec();
    }
    let n = (x.len() as u64 * u64::from(to) / u64::from(from)) as usize;
    (0..n)
        .map(|i| {
            let t = i as f64 * f64::from(from) / f64::from(to);
            let j = t.floor() as usize;
            let f = (t - j as f64) as f32;
            let a = x.get(j).copied().unwrap_or(0.0);
            let b = x.get(j + 1).copied().unwrap_or(a);
            a + (b - a) * f
        })
        .collect()
}

/// Normalised cross-correlation when `cap[i]` is compared with `src[i - lag]`.
fn ncc_at(src: &[f32], cap: &[f32], lag: isize) -> f64 {
    let first = lag.max(0) as usize;
    let last = (src.len() as isize + lag).clamp(0, cap.len() as isize) as usize;
    let (mut sx, mut sy, mut sxy) = (0.0f64, 0.0f64, 0.0f64);
    for i in first..last {
        let (x, y) = (
            f64::from(src[(i as isize - lag) as usize]),
            f64::from(cap[i]),
        );
        sx += x * x;
        sy += y * y;
        sxy += x * y;
    }
    if sx == 0.0 || sy == 0.0 {
        0.0
    } else {
        sxy / (sx * sy).sqrt()
    }
}

/// Best correlation of `src` inside `cap` (same rate): coarse on 10 ms
/// energy envelopes, then sample-exact around the best coarse lag.
fn best_correlation(src: &[f32], cap: &[f32], rate: u32) -> (f64, isize) {
    let hop = (rate / 100) as usize;
    let env = |x: &[f32]| -> Vec<f32> {
        x.chunks(hop)
            .map(|c| (c.iter().map(|v| v * v).sum::<f32>() / c.len() as f32).sqrt())
            .collect()
    };
    let (es, ec) = (env(src), env(cap));
    let pick = |a: (f64, isize), b: (f64, isize)| if b.0 > a.0 { b } else { a };
    let coarse = (-(es.len() as isize) + 100..=ec.len() as isize - 100)
        .map(|l| (ncc_at(&es, &ec, l), l))
        .fold((f64::MIN, 0), pick)
        .1;
    let centre = coarse * hop as isize;
    let span = 2 * hop as isize;
    ((centre - span)..=(centre + span))
        .map(|l| (ncc_at(src, cap, l), l))
        .fold((f64::MIN, 0), pick)
}

fn lines(text: &str) -> Vec<serde_json::Value> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON line {l:?}: {e}")))
        .collect()
}

fn joined(utterances: &[&serde_json::Value]) -> String {
    utterances
        .iter()
        .map(|u| u["text"].as_str().unwrap())
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn live_capture_of_a_played_fixture_transcribes_and_spools_it() {
    let Some(va) = VirtualAudio::start() else {
        return;
    };
    let fixture = common::fixture("audio/live-check.flac");
    let reference = std::fs::read_to_string(common::fixture("audio/live-check.txt")).unwrap();
    let (src, src_rate) = decode_mono(&fixture);
    let seconds = src.len() as f64 / f64::from(src_rate);
    let out_dir = va.work().join("incident");

    let capture = common::bin("transcribe")
        .args(["--live", "--partials", "-f", "jsonl", "--out"])
        .arg(&out_dir)
        .args(["--duration", &format!("{:.1}", seconds + 4.0)])
        .envs(va.env())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start transcribe --live");
    // Play once the capture is running (its spool exists).
    let spool = out_dir.join("mic.wav");
    let t = std::time::Instant::now();
    while !spool.exists() && t.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(spool.exists(), "the capture never started its spool");
    std::thread::sleep(Duration::from_millis(500));
    let played = Command::new("paplay")
        .arg("--device=virt")
        .arg(&fixture)
        .envs(va.env())
        .status()
        .expect("run paplay");
    assert!(played.success());
    let out = capture.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stderr}");
    assert!(out.status.success(), "transcribe --live failed: {stderr}");
    assert!(
        stderr.contains("recording:") && stderr.contains("transcript:"),
        "{stderr}"
    );

    // stdout: final utterances, plus provisional lines marked as such.
    let shown = lines(&String::from_utf8_lossy(&out.stdout));
    let finals: Vec<&serde_json::Value> = shown
        .iter()
        .filter(|v| v.get("provisional").is_none())
        .collect();
    let partials: Vec<&serde_json::Value> = shown
        .iter()
        .filter(|v| v["provisional"] == serde_json::Value::Bool(true))
        .collect();
    let live_text = joined(&finals);
    let rate = wer(&reference, &live_text);
    println!("live WER {rate:.3}: {live_text}");
    println!("{} provisional updates", partials.len());
    assert!(
        rate <= 0.25,
        "live transcript WER {rate:.3} > 0.25: {live_text}"
    );
    assert!(
        !partials.is_empty(),
        "--partials showed no provisional text"
    );
    for p in &partials {
        let text = p["text"].as_str().unwrap();
        assert!(!text.is_empty(), "empty provisional text: {p}");
    }
    // Times are ordered and inside the capture.
    for w in finals.windows(2) {
        assert!(w[0]["start"].as_f64() <= w[1]["start"].as_f64());
    }

    // transcript.jsonl beside the spool holds the same final text, no partials.
    let saved = lines(&std::fs::read_to_string(out_dir.join("transcript.jsonl")).unwrap());
    assert!(saved.iter().all(|v| v.get("provisional").is_none()));
    let saved: Vec<&serde_json::Value> = saved.iter().collect();
    assert_eq!(joined(&saved), live_text);

    // The spool holds what was played, and `transcribe` reads it later.
    let (cap, cap_rate) = decode_mono(&spool);
    let cap = resample(&cap, cap_rate, src_rate);
    let (ncc, lag) = best_correlation(&src, &cap, src_rate);
    println!(
        "spool correlation {ncc:.3} at lag {:.3} s",
        lag as f64 / f64::from(src_rate)
    );
    assert!(
        ncc >= 0.9,
        "spool does not match what was played (ncc {ncc:.3})"
    );
    let later = common::transcribe(&["-q", "-f", "jsonl", spool.to_str().unwrap()]);
    assert!(later.status.success(), "{}", common::stderr(&later));
    let later = lines(&common::stdout(&later));
    let later_rate = wer(&reference, &joined(&later.iter().collect::<Vec<_>>()));
    assert!(
        later_rate <= 0.25,
        "spool transcribed offline: WER {later_rate:.3}"
    );
}
