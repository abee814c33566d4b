//! Damaged recordings (issue 14, "nothing lost, nothing mistimed"): jfk.wav
//! encoded to every container we read, then cut at 50% or overwritten
//! with garbage in the middle, transcribed end to end with the real tiny.en
//! model. What can be decoded is transcribed, a warning says what was lost
//! and where, and the audio after a gap keeps its time. An mp4 without its
//! index is a one-line error naming the file and the cause.
//!
//! Needs `../shared/real/jfk.wav` and ffmpeg; skips without them.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

/// Containers and the ffmpeg options that make them.
const CONTAINERS: [(&str, &[&str]); 8] = [
    ("wav", &[]),
    ("flac", &[]),
    ("mp3", &["-c:a", "libmp3lame", "-b:a", "64k"]),
    (
        "m4a",
        &["-c:a", "aac", "-b:a", "64k", "-movflags", "+faststart"],
    ),
    ("ogg", &["-c:a", "libvorbis"]),
    ("opus", &["-c:a", "libopus", "-b:a", "32k"]),
    ("webm", &["-c:a", "libopus", "-b:a", "32k"]),
    ("mkv", &["-c:a", "libopus", "-b:a", "32k"]),
];

/// jfk.wav, or `None` (with a note) when ../shared or ffmpeg is missing.
fn source() -> Option<PathBuf> {
    let jfk = shared("real/jfk.wav")?;
    let ok = Command::new("ffmpeg").arg("-version").output().is_ok();
    if !ok {
        eprintln!("skipping: ffmpeg is not installed");
        return None;
    }
    Some(jfk)
}

/// Encodes `src` into `out` with `args`.
fn encode(src: &Path, args: &[&str], out: &Path) {
    let st = Command::new("ffmpeg")
        .args(["-loglevel", "error", "-y", "-i"])
        .arg(src)
        .args(args)
        .arg(out)
        .status()
        .expect("run ffmpeg");
    assert!(st.success(), "ffmpeg failed for {}", out.display());
}

/// Overwrites 5% of the file (at least 2 KiB) from 45% on with
/// deterministic garbage.
fn garble(bytes: &mut [u8]) {
    let start = bytes.len() * 45 / 100;
    let len = (bytes.len() / 20).max(2048);
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    for b in bytes.iter_mut().skip(start).take(len) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        *b = x as u8;
    }
}

fn warnings_of(doc: &serde_json::Value) -> Vec<String> {
    doc["summary"]["warnings"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|w| w.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

fn call_seconds(doc: &serde_json::Value) -> f64 {
    doc["summary"]["call_seconds"].as_f64().unwrap_or(0.0)
}

/// Whether stderr has a `warning:` line naming `name`.
fn warned_on_stderr(err: &str, name: &str) -> bool {
    err.lines()
        .any(|l| l.starts_with("warning: ") && l.contains(name))
}

fn run_json(path: &Path) -> (serde_json::Value, String) {
    let o = transcribe(&["-f", "json", s(path)]);
    let err = stderr(&o);
    assert!(!err.contains("panicked"), "{}: {err}", path.display());
    (transcript(&o), err)
}

#[test]
fn cut_at_half_keeps_the_first_half_and_names_the_cut() {
    let Some(jfk) = source() else {
        return;
    };
    let d = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    for (ext, args) in CONTAINERS {
        let good = d.path().join(format!("good.{ext}"));
        encode(&jfk, args, &good);
        let bytes = std::fs::read(&good).unwrap();
        let name = format!("call-cut.{ext}");
        let cut = d.path().join(&name);
        std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
        let o = transcribe(&["-f", "json", s(&cut)]);
        let err = stderr(&o);
        if !o.status.success() {
            failures.push(format!("{ext}: failed: {err}"));
            continue;
        }
        let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let text = text_of(&doc).to_lowercase();
        let warned = warnings_of(&doc)
            .iter()
            .any(|w| w.contains(&name) && w.contains("truncated") && w.contains("ends at"));
        let secs = call_seconds(&doc);
        if !text.contains("fellow americans") {
            failures.push(format!("{ext}: first half not transcribed: {text:?}"));
        }
        if !warned || !warned_on_stderr(&err, &name) {
            failures.push(format!("{ext}: no warning naming the cut: {err}"));
        }
        if !(4.0..7.5).contains(&secs) {
            failures.push(format!("{ext}: decoded {secs} s of a half of 11 s"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn garbage_in_the_middle_keeps_the_audio_around_it_at_its_time() {
    let Some(jfk) = source() else {
        return;
    };
    let d = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    for (ext, args) in CONTAINERS {
        let good = d.path().join(format!("good.{ext}"));
        encode(&jfk, args, &good);
        let (clean, _) = run_json(&good);
        let mut bytes = std::fs::read(&good).unwrap();
        garble(&mut bytes);
        let name = format!("call-garbled.{ext}");
        let bad = d.path().join(&name);
        std::fs::write(&bad, &bytes).unwrap();
        let o = transcribe(&["-f", "json", s(&bad)]);
        let err = stderr(&o);
        if !o.status.success() {
            failures.push(format!("{ext}: failed: {err}"));
            continue;
        }
        let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let text = text_of(&doc).to_lowercase();
        // The words before the damage and the last words after it.
        if !text.contains("fellow americans") || !text.contains("country") {
            failures.push(format!("{ext}: audio around the damage lost: {text:?}"));
        }
        // Nothing after the gap moved: the decoded length is that of the
        // intact file (engine/tests/damaged_timing.rs checks the placement
        // itself, to the millisecond).
        let (secs, want) = (call_seconds(&doc), call_seconds(&clean));
        if (secs - want).abs() > 0.1 {
            failures.push(format!(
                "{ext}: {secs} s decoded, the intact file has {want} s"
            ));
        }
        // PCM has no packets to lose: garbage is noise. Everything else
        // says what could not be decoded, and where.
        if ext != "wav" {
            let warned = warnings_of(&doc).iter().any(|w| {
                w.contains(&name) && w.contains("could not be decoded at") && w.contains("kept")
            });
            if !warned || !warned_on_stderr(&err, &name) {
                failures.push(format!("{ext}: no warning naming the gap: {err}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn an_mp4_without_its_index_is_a_clear_error() {
    let Some(jfk) = source() else {
        return;
    };
    let d = tempfile::tempdir().unwrap();
    // ffmpeg writes moov after mdat unless told otherwise: a recording
    // stopped before it was finalised has none.
    let good = d.path().join("good.m4a");
    encode(&jfk, &["-c:a", "aac", "-b:a", "64k"], &good);
    let bytes = std::fs::read(&good).unwrap();
    let call = d.path().join("call.m4a");
    std::fs::write(&call, &bytes[..bytes.len() / 2]).unwrap();
    let o = transcribe(&["-q", s(&call)]);
    let err = stderr(&o);
    assert!(!o.status.success(), "should fail: {err}");
    assert!(!err.contains("panicked"), "{err}");
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one line expected: {err}");
    assert!(lines[0].contains("call.m4a"), "{err}");
    assert!(
        lines[0].contains("moov atom) is missing") && lines[0].contains("not finalised"),
        "{err}"
    );
    assert!(!lines[0].contains("not a recognised"), "{err}");
}
