//! `transcribe` end to end with the real tiny.en model on real and project-made recordings.

mod common;

use common::*;
use hotwash::eval::wer::wer;

#[test]
fn jfk_is_exact() {
    let Some(audio) = shared("real/jfk.wav") else {
        return;
    };
    let reference = std::fs::read_to_string(audio.with_extension("txt")).unwrap();
    let o = transcribe(&["-q", "-f", "json", s(&audio)]);
    let doc = transcript(&o);
    let hyp = text_of(&doc);
    assert_eq!(wer(&reference, &hyp), 0.0, "got: {hyp}");
}

#[test]
fn librivox_within_ten_percent() {
    let Some(audio) = shared("real/librivox_sense_and_sensibility.wav") else {
        return;
    };
    let reference = std::fs::read_to_string(audio.with_extension("txt")).unwrap();
    let doc = transcript(&transcribe(&["-q", "-f", "json", s(&audio)]));
    let hyp = text_of(&doc);
    let w = wer(&reference, &hyp);
    assert!(w <= 0.10, "WER {w:.3}: {hyp}");
}

#[test]
fn split_channels_gives_each_channel_its_speaker() {
    let Some(audio) = shared("real/stereo_one_speaker_per_channel.wav") else {
        return;
    };
    let reference = std::fs::read_to_string(audio.with_extension("txt")).unwrap();
    let doc = transcript(&transcribe(&[
        "-q",
        "--split-channels",
        "-f",
        "json",
        s(&audio),
    ]));
    for side in ["left", "right"] {
        let want = reference
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{side}: ")))
            .unwrap();
        let got: Vec<&str> = doc["utterances"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|u| u["speaker"] == side)
            .filter_map(|u| u["text"].as_str())
            .collect();
        let got = got.join(" ");
        assert!(
            wer(want, &got) <= 0.25,
            "{side}: want {want:?}, got {got:?}"
        );
    }
}

#[test]
fn long_quiet_recording_keeps_time() {
    let audio = fixture("audio/long-quiet.flac");
    let reference: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(fixture("audio/long-quiet.ref.json")).unwrap(),
    )
    .unwrap();
    let doc = transcript(&transcribe(&["-q", "-f", "json", s(&audio)]));
    let utts = doc["utterances"].as_array().unwrap();
    let turns = reference["turns"].as_array().unwrap();
    assert_eq!(
        utts.len(),
        turns.len(),
        "one utterance per remark: {utts:#?}"
    );
    for (u, t) in utts.iter().zip(turns) {
        let (us, ue) = (u["start"].as_f64().unwrap(), u["end"].as_f64().unwrap());
        let (ts, te) = (t["start"].as_f64().unwrap(), t["end"].as_f64().unwrap());
        assert!((us - ts).abs() <= 0.3, "start {us} vs {ts} ({})", t["text"]);
        assert!((ue - te).abs() <= 0.3, "end {ue} vs {te} ({})", t["text"]);
        let w = wer(t["text"].as_str().unwrap(), u["text"].as_str().unwrap());
        assert!(w <= 0.34, "{w}: {} vs {}", u["text"], t["text"]);
    }
    assert!(doc["summary"]["audio_seconds"].as_f64().unwrap() > 600.0);
}

#[test]
fn four_workers_equal_one() {
    let audio = fixture("audio/db-failover.flac");
    let one = transcribe(&[
        "-q",
        "-f",
        "jsonl",
        "--workers",
        "1",
        "--threads",
        "1",
        s(&audio),
    ]);
    let four = transcribe(&[
        "-q",
        "-f",
        "jsonl",
        "--workers",
        "4",
        "--threads",
        "1",
        s(&audio),
    ]);
    assert!(
        one.status.success() && four.status.success(),
        "{}",
        stderr(&four)
    );
    assert!(!stdout(&one).trim().is_empty());
    assert_eq!(stdout(&one), stdout(&four));
}

#[test]
fn tracks_carry_their_speakers_on_one_timeline() {
    let t = |n: &str| {
        format!(
            "{n}={}",
            s(&fixture(&format!("audio/db-failover.tracks/{n}.flac")))
        )
    };
    let (rosa, ken, ian) = (t("rosa"), t("ken"), t("ian"));
    let doc = transcript(&transcribe(&[
        "-q", "-f", "json", "--track", &rosa, "--track", &ken, "--track", &ian,
    ]));
    let utts = doc["utterances"].as_array().unwrap();
    let starts: Vec<f64> = utts.iter().map(|u| u["start"].as_f64().unwrap()).collect();
    assert!(
        starts.windows(2).all(|w| w[0] <= w[1]),
        "not in time order: {starts:?}"
    );
    let reference: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(fixture("audio/db-failover.ref.json")).unwrap(),
    )
    .unwrap();
    // Every reference turn is found, with its speaker, near its time.
    for turn in reference["turns"].as_array().unwrap() {
        let ts = turn["start"].as_f64().unwrap();
        let hit = utts
            .iter()
            .find(|u| (u["start"].as_f64().unwrap() - ts).abs() < 1.0);
        let hit = hit.unwrap_or_else(|| panic!("no utterance near {ts}: {}", turn["text"]));
        assert_eq!(hit["speaker"], turn["speaker"], "{}", turn["text"]);
    }
}

#[test]
fn output_formats() {
    let audio = shared("real/jfk.wav");
    let Some(audio) = audio else { return };
    let srt = stdout(&transcribe(&["-q", "-f", "srt", s(&audio)]));
    assert!(srt.starts_with("1\n00:00:00,"), "{srt}");
    assert!(srt.contains(" --> "));
    let vtt = stdout(&transcribe(&["-q", "-f", "vtt", s(&audio)]));
    assert!(vtt.starts_with("WEBVTT\n\n1\n00:00:00."), "{vtt}");
    let txt = stdout(&transcribe(&["-q", s(&audio)]));
    assert!(txt.starts_with("[00:00:00."), "{txt}");
    let jsonl = stdout(&transcribe(&["-q", "-f", "jsonl", s(&audio)]));
    for line in jsonl.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(v["start"].as_f64().unwrap() <= v["end"].as_f64().unwrap());
        assert!(!v["words"].as_array().unwrap().is_empty());
    }
    // -o writes the file.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("t.json");
    let o = transcribe(&["-q", "-f", "json", "-o", s(&out), s(&audio)]);
    assert!(o.status.success());
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(v["schema"], "hotwash.transcript/1");
}

#[test]
fn start_time_gives_wall_clock() {
    let Some(audio) = shared("real/jfk.wav") else {
        return;
    };
    let doc = transcript(&transcribe(&[
        "-q",
        "-f",
        "json",
        "--start-time",
        "2026-03-14T09:02:00Z",
        s(&audio),
    ]));
    assert_eq!(doc["recording"]["start_utc"], "2026-03-14T09:02:00Z");
    let w = doc["utterances"][0]["wall_start"].as_str().unwrap();
    assert!(w.starts_with("2026-03-14T09:02:0"), "{w}");
}

#[test]
fn stdin_file_and_raw_pcm() {
    let Some(audio) = shared("real/jfk.wav") else {
        return;
    };
    let reference = std::fs::read_to_string(audio.with_extension("txt")).unwrap();
    let bytes = std::fs::read(&audio).unwrap();
    let run = |args: &[&str], input: &[u8]| {
        use std::io::Write;
        let mut child = bin("transcribe")
            .args(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(input).unwrap();
        child.wait_with_output().unwrap()
    };
    let doc = transcript(&run(&["-q", "-f", "json", "-"], &bytes));
    assert_eq!(wer(&reference, &text_of(&doc)), 0.0);
    // jfk.wav is 16 kHz mono s16le after its header; find the data chunk.
    let data = bytes
        .windows(4)
        .position(|w| w == b"data")
        .expect("a data chunk")
        + 8;
    let doc = transcript(&run(
        &[
            "-q",
            "-f",
            "json",
            "--raw",
            "s16le",
            "--rate",
            "16000",
            "--channels",
            "1",
            "-",
        ],
        &bytes[data..],
    ));
    assert!(wer(&reference, &text_of(&doc)) <= 0.05);
}
