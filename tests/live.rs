//! `transcribe --live` end to end against a real (virtual) audio server:
//! a project fixture is played into a private PulseAudio null sink whose
//! monitor is the default input, captured by the binary for its length with
//! the real tiny.en model, and checked three ways — the transcript against
//! the fixture's reference, provisional text kept out of transcript.jsonl,
//! and the spooled recording against the source. Without PulseAudio the test
//! says so and skips (CI installs it through scripts/setup.sh).

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use hotwash::eval::wer::wer;

const VIRTUAL_AUDIO_SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/virtual-audio.sh");

#[path = "../engine/tests/support/audio.rs"]
mod audio;
use audio::{best_correlation, decode_mono, piecewise_correlation, resample, VirtualAudio};

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
        // A deep buffer: the capture's whisper workers load both cores, and
        // a player starved of CPU stalls the "meeting".
        .arg("--latency-msec=400")
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
    // Piece by piece, so that a stall of the player on a loaded machine (the
    // audio server inserts silence and plays the rest later) is told apart
    // from audio the capture lost: every piece must be in the spool, each
    // at or after the lag of the one before.
    let pieces = piecewise_correlation(&src, &cap, src_rate, 2.0, 1.0);
    let mut stalls = 0;
    for (k, p) in pieces.iter().enumerate() {
        let moved = k > 0 && (p.lag - pieces[k - 1].lag).abs() > (src_rate / 200) as isize;
        println!(
            "  piece at {:5.1} s: ncc {:.3} lag {:.3} s{}",
            p.at,
            p.ncc,
            p.lag as f64 / f64::from(src_rate),
            if moved { " (player stalled)" } else { "" }
        );
        if moved {
            stalls += 1;
        } else {
            assert!(
                p.ncc >= 0.9,
                "spool does not hold the piece played at {:.1} s (ncc {:.3})",
                p.at,
                p.ncc
            );
        }
    }
    assert!(pieces.len() >= 8, "too few voiced pieces: {}", pieces.len());
    assert!(
        stalls <= 2,
        "the spool drifted against the source {stalls} times"
    );
    let drift = pieces.last().unwrap().lag - pieces[0].lag;
    assert!(
        drift >= -((src_rate / 200) as isize),
        "the spool runs ahead of what was played: audio is missing"
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
