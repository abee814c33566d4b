//! Bad input: every case is a one-line error naming the file, a non-zero
//! exit, and never a panic; a truncated file keeps what decoded.

mod common;

use std::path::Path;

use common::*;

fn wav_header(channels: u16, rate: u32, data_len: u32) -> Vec<u8> {
    let mut h = Vec::new();
    h.extend_from_slice(b"RIFF");
    h.extend_from_slice(&(36 + data_len).to_le_bytes());
    h.extend_from_slice(b"WAVEfmt ");
    h.extend_from_slice(&16u32.to_le_bytes());
    h.extend_from_slice(&1u16.to_le_bytes());
    h.extend_from_slice(&channels.to_le_bytes());
    h.extend_from_slice(&rate.to_le_bytes());
    let block = channels.max(1) as u32 * 2;
    h.extend_from_slice(&(rate.wrapping_mul(block)).to_le_bytes());
    h.extend_from_slice(&(block as u16).to_le_bytes());
    h.extend_from_slice(&16u16.to_le_bytes());
    h.extend_from_slice(b"data");
    h.extend_from_slice(&data_len.to_le_bytes());
    h
}

fn assert_clean_failure(path: &Path) {
    let o = transcribe(&["-q", s(path)]);
    let err = stderr(&o);
    assert!(!o.status.success(), "{} should fail", path.display());
    assert!(
        !err.contains("panicked"),
        "panic on {}: {err}",
        path.display()
    );
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(
        lines.len(),
        1,
        "one line expected for {}: {err}",
        path.display()
    );
    let name = path.file_name().unwrap().to_str().unwrap();
    assert!(lines[0].contains(name), "error must name the file: {err}");
}

#[test]
fn missing_file() {
    assert_clean_failure(Path::new("/nonexistent/dir/call.wav"));
}

#[test]
fn empty_file() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("empty.wav");
    std::fs::write(&p, b"").unwrap();
    assert_clean_failure(&p);
}

#[test]
fn random_bytes_and_text_named_wav() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("noise.mp3");
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let bytes: Vec<u8> = (0..50_000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    std::fs::write(&p, &bytes).unwrap();
    assert_clean_failure(&p);
    let t = d.path().join("notes.wav");
    std::fs::write(
        &t,
        "Action items from the bridge call:\n- fix the pool size\n",
    )
    .unwrap();
    assert_clean_failure(&t);
}

#[test]
fn corrupt_headers() {
    let d = tempfile::tempdir().unwrap();
    let zero = d.path().join("zero-channels.wav");
    let mut b = wav_header(0, 16_000, 3200);
    b.extend(vec![0u8; 3200]);
    std::fs::write(&zero, &b).unwrap();
    assert_clean_failure(&zero);
    let absurd = d.path().join("absurd-rate.wav");
    let mut b = wav_header(1, 0, 3200);
    b.extend(vec![0u8; 3200]);
    std::fs::write(&absurd, &b).unwrap();
    assert_clean_failure(&absurd);
    let huge = d.path().join("huge-rate.wav");
    let mut b = wav_header(1, 4_000_000_000, 3200);
    b.extend(vec![0u8; 3200]);
    std::fs::write(&huge, &b).unwrap();
    assert_clean_failure(&huge);
    // A FLAC whose body is garbage after a valid-looking magic.
    let flac = d.path().join("corrupt.flac");
    let mut b = b"fLaC".to_vec();
    b.extend(vec![0xFFu8; 4000]);
    std::fs::write(&flac, &b).unwrap();
    assert_clean_failure(&flac);
}

#[test]
fn video_without_audio_track() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("screen-share.mp4");
    let made = std::process::Command::new("ffmpeg")
        .args([
            "-loglevel",
            "error",
            "-f",
            "lavfi",
            "-i",
            "testsrc=d=1:s=64x48",
            "-c:v",
            "mpeg4",
        ])
        .arg(&p)
        .status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("skipping: ffmpeg is not installed");
        return;
    }
    assert_clean_failure(&p);
}

#[test]
fn truncated_file_keeps_what_decoded() {
    let d = tempfile::tempdir().unwrap();
    let src = std::fs::read(fixture("audio/db-failover.flac")).unwrap();
    let p = d.path().join("cut-off.flac");
    std::fs::write(&p, &src[..src.len() / 2]).unwrap();
    let o = transcribe(&["-f", "json", s(&p)]);
    let err = stderr(&o);
    assert!(!err.contains("panicked"), "{err}");
    assert!(
        o.status.success(),
        "truncated input keeps its transcript: {err}"
    );
    assert!(
        err.contains("cut-off.flac"),
        "a warning names the file: {err}"
    );
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(!doc["utterances"].as_array().unwrap().is_empty());
}

#[test]
fn missing_model_is_a_clear_error() {
    let Some(audio) = shared("real/jfk.wav") else {
        return;
    };
    let o = transcribe(&["-q", "--model", "/nonexistent/ggml-custom.bin", s(&audio)]);
    let err = stderr(&o);
    assert!(!o.status.success());
    assert!(!err.contains("panicked"), "{err}");
    assert!(err.contains("ggml-custom.bin"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
}

#[test]
fn foreign_model_file_is_a_clear_error() {
    let Some(audio) = shared("real/jfk.wav") else {
        return;
    };
    let d = tempfile::tempdir().unwrap();
    let m = d.path().join("not-a-model.bin");
    std::fs::write(&m, vec![7u8; 4096]).unwrap();
    let o = transcribe(&["-q", "--model", s(&m), s(&audio)]);
    let err = stderr(&o);
    assert!(!o.status.success());
    assert!(!err.contains("panicked"), "{err}");
    assert!(err.contains("not-a-model.bin"), "{err}");
}
