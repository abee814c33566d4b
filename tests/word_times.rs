//! Word and utterance times against real references (issue: "times that
//! hold"): every citation, subtitle and speaker assignment rests on them.
//!
//! Truths used, none written by us: the AMI headset excerpt's turn times
//! (`ami_ES2011a_6s.ref.json`), the spliced three-speaker file's turns (its
//! speakers are joined by near-silence, so each turn is where the signal
//! rises out of the noise floor), and a rendered scenario call's `.ref.json`, which
//! gives every turn's real start and end.
mod common;

use common::{s, shared, transcribe, transcript};
use std::path::Path;

/// One truth turn: start and end in seconds.
#[derive(Debug, Clone, Copy)]
struct Turn {
    start: f64,
    end: f64,
}

/// A transcribed word: start and end.
#[derive(Debug, Clone, Copy)]
struct Word {
    start: f64,
    end: f64,
}

/// Words of a `-f json` transcript, checking the invariants every word must
/// hold whatever the truth: inside its utterance, end after start, starts in
/// order within an utterance.
fn words_of(doc: &serde_json::Value) -> Vec<Word> {
    let mut out = Vec::new();
    for u in doc["utterances"].as_array().expect("utterances") {
        let (us, ue) = (u["start"].as_f64().unwrap(), u["end"].as_f64().unwrap());
        assert!(ue >= us, "utterance ends before it starts: {u}");
        let mut last = us;
        for w in u["words"].as_array().expect("words") {
            let (ws, we) = (w["start"].as_f64().unwrap(), w["end"].as_f64().unwrap());
            assert!(we >= ws, "word ends before it starts: {w}");
            assert!(ws >= last - 1e-6, "word starts go backwards: {w} in {u}");
            assert!(
                ws >= us - 1e-6 && we <= ue + 1e-6,
                "word {w} lies outside its utterance {us}–{ue}"
            );
            last = ws;
            out.push(Word { start: ws, end: we });
        }
    }
    out
}

/// For each truth turn, the error of the first word's start and the last
/// word's end among the words whose middle lies in the turn (widened by
/// `slack` seconds); `None` for a turn no word falls in.
fn edge_errors(turns: &[Turn], words: &[Word], slack: f64) -> Vec<Option<(f64, f64)>> {
    turns
        .iter()
        .map(|t| {
            let inside: Vec<&Word> = words
                .iter()
                .filter(|w| {
                    let mid = (w.start + w.end) / 2.0;
                    mid >= t.start - slack && mid <= t.end + slack
                })
                .collect();
            let first = inside.first()?;
            let last = inside.last()?;
            Some(((first.start - t.start).abs(), (last.end - t.end).abs()))
        })
        .collect()
}

/// Prints and returns the share of edges (starts and ends) within `tol` s.
fn report(name: &str, errors: &[Option<(f64, f64)>], tol: f64) -> f64 {
    let mut all: Vec<f64> = Vec::new();
    let mut missing = 0;
    for e in errors {
        match e {
            Some((a, b)) => {
                all.push(*a);
                all.push(*b);
            }
            None => missing += 1,
        }
    }
    all.sort_by(f64::total_cmp);
    let within = all.iter().filter(|e| **e <= tol).count();
    let share = within as f64 / all.len().max(1) as f64;
    let q = |p: f64| {
        all.get(((all.len() as f64 - 1.0) * p).round() as usize)
            .copied()
    };
    eprintln!(
        "{name}: {} turns ({missing} without words), edges within {tol} s: {within}/{} ({:.0}%), \
         median {:.3} s, p90 {:.3} s, max {:.3} s",
        errors.len(),
        all.len(),
        share * 100.0,
        q(0.5).unwrap_or(f64::NAN),
        q(0.9).unwrap_or(f64::NAN),
        all.last().copied().unwrap_or(f64::NAN),
    );
    share
}

/// Runs `transcribe -f json` on `audio` and returns the document.
fn json_of(audio: &Path) -> serde_json::Value {
    transcript(&transcribe(&["-q", "-f", "json", s(audio)]))
}

/// The samples and rate of a 16-bit PCM wav (mono, or the first channel).
fn read_wav(path: &Path) -> (Vec<i16>, u32) {
    let bytes = std::fs::read(path).unwrap();
    let mut i = 12;
    let (mut rate, mut channels) = (16_000u32, 1usize);
    while i + 8 <= bytes.len() {
        let id = &bytes[i..i + 4];
        let len = u32::from_le_bytes(bytes[i + 4..i + 8].try_into().unwrap()) as usize;
        if id == b"fmt " {
            channels = u16::from_le_bytes([bytes[i + 10], bytes[i + 11]]) as usize;
            rate = u32::from_le_bytes(bytes[i + 12..i + 16].try_into().unwrap());
        }
        if id == b"data" {
            let data = &bytes[i + 8..(i + 8 + len).min(bytes.len())];
            let samples = data
                .chunks_exact(2 * channels.max(1))
                .map(|c| i16::from_le_bytes([c[0], c[1]]))
                .collect();
            return (samples, rate);
        }
        i += 8 + len + (len & 1);
    }
    panic!("{}: no data chunk", path.display());
}

/// Levels of 10 ms frames, dB re full scale.
fn frame_levels(samples: &[i16], rate: u32) -> Vec<f64> {
    samples
        .chunks(rate as usize / 100)
        .map(|f| {
            let p = f.iter().map(|&x| (x as f64 / 32768.0).powi(2)).sum::<f64>() / f.len() as f64;
            10.0 * (p + 1e-12).log10()
        })
        .collect()
}

/// The spans of a wav where someone speaks: 10 ms frames whose peak passes
/// 1% of the file's peak (the spliced file's gaps between speakers hold
/// only a faint noise floor, under 0.3%), merged across pauses under a
/// second.
fn loud_runs(path: &Path) -> Vec<Turn> {
    let (samples, rate) = read_wav(path);
    let peaks: Vec<i32> = samples
        .chunks(rate as usize / 100)
        .map(|f| f.iter().map(|&x| i32::from(x).abs()).max().unwrap_or(0))
        .collect();
    let threshold = peaks.iter().copied().max().unwrap_or(0) / 100;
    let mut runs: Vec<Turn> = Vec::new();
    for (k, &p) in peaks.iter().enumerate() {
        if p <= threshold {
            continue;
        }
        let (start, end) = (k as f64 / 100.0, (k + 1) as f64 / 100.0);
        match runs.last_mut() {
            Some(r) if start - r.end < 1.0 => r.end = end,
            _ => runs.push(Turn { start, end }),
        }
    }
    runs
}

/// A scripted turn's voice: the rendered `.ref.json` turn spans include
/// the synthesiser's own lead-in and tail silence (measured: a median
/// 0.21–0.25 s at each end on dev-01, 06, 15 and 27), so each turn is
/// trimmed to where its level passes the file's noise floor (10th
/// percentile of frame levels) by 15 dB.
fn voiced(turns: &[Turn], path: &Path) -> Vec<Turn> {
    let (samples, rate) = read_wav(path);
    let levels = frame_levels(&samples, rate);
    let mut sorted = levels.clone();
    sorted.sort_by(f64::total_cmp);
    let threshold = sorted[sorted.len() / 10] + 15.0;
    turns
        .iter()
        .filter_map(|t| {
            let (a, b) = (
                (t.start * 100.0) as usize,
                ((t.end * 100.0) as usize).min(levels.len()),
            );
            let loud: Vec<usize> = (a..b).filter(|&k| levels[k] > threshold).collect();
            Some(Turn {
                start: *loud.first()? as f64 / 100.0,
                end: (*loud.last()? + 1) as f64 / 100.0,
            })
        })
        .collect()
}

#[test]
fn jfk_words_do_not_collapse() {
    let Some(audio) = shared("real/jfk.wav") else {
        return;
    };
    let doc = json_of(&audio);
    let words = words_of(&doc);
    assert!(words.len() >= 20, "{doc}");
    // The address runs to about 10.6 s: the last word must end there, and
    // no run of words may share one instant.
    let last = words.last().unwrap();
    assert!(last.end >= 10.2, "last word ends at {:.2} s", last.end);
    let mut same = 1;
    for pair in words.windows(2) {
        if (pair[1].start - pair[0].start).abs() < 1e-3 {
            same += 1;
            assert!(same < 3, "words stamped at one instant: {doc}");
        } else {
            same = 1;
        }
    }
    // The first word ("And") starts near 0.3 s, "country" at the end.
    assert!(words[0].start < 0.8, "first word at {:.2}", words[0].start);
}

#[test]
fn jfk_subtitle_spans_the_speech() {
    let Some(audio) = shared("real/jfk.wav") else {
        return;
    };
    let o = transcribe(&["-q", "-f", "srt", s(&audio)]);
    assert!(o.status.success());
    let text = String::from_utf8_lossy(&o.stdout).into_owned();
    let times: Vec<(f64, f64)> = text
        .lines()
        .filter_map(|l| l.split_once(" --> "))
        .map(|(a, b)| (srt_time(a), srt_time(b)))
        .collect();
    assert!(!times.is_empty(), "{text}");
    let first = times.first().unwrap().0;
    let last = times.last().unwrap().1;
    assert!(
        first < 0.8 && last >= 10.2,
        "subtitles span {first}–{last}: {text}"
    );
}

fn srt_time(t: &str) -> f64 {
    let t = t.trim().replace(',', ".");
    let parts: Vec<f64> = t.split(':').map(|p| p.parse().unwrap()).collect();
    parts[0] * 3600.0 + parts[1] * 60.0 + parts[2]
}

#[test]
fn ami_turn_times_hold() {
    let (Some(audio), Some(reference)) = (
        shared("real/ami_ES2011a_6s.wav"),
        shared("real/ami_ES2011a_6s.ref.json"),
    ) else {
        return;
    };
    let refs: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(reference).unwrap()).unwrap();
    let turns: Vec<Turn> = refs
        .iter()
        .map(|r| Turn {
            start: r["start"].as_f64().unwrap(),
            end: r["end"].as_f64().unwrap(),
        })
        .collect();
    let words = words_of(&json_of(&audio));
    let errors = edge_errors(&turns, &words, 0.3);
    let share = report("ami_ES2011a_6s", &errors, 0.2);
    assert!(errors.iter().all(Option::is_some), "{errors:?}");
    assert!(share >= 0.75, "{errors:?}");
}

#[test]
fn spliced_speaker_turns_hold() {
    let Some(audio) = shared("real/three_speakers_spliced.wav") else {
        return;
    };
    let turns = loud_runs(&audio);
    assert_eq!(turns.len(), 3, "{turns:?}");
    let words = words_of(&json_of(&audio));
    let errors = edge_errors(&turns, &words, 0.3);
    let share = report("three_speakers_spliced", &errors, 0.2);
    assert!(errors.iter().all(Option::is_some), "{errors:?}");
    assert!(share >= 5.0 / 6.0, "{errors:?}");
    // No word may straddle two speakers' turns, nor lie in the silence
    // between them.
    for w in &words {
        let mid = (w.start + w.end) / 2.0;
        let home = turns
            .iter()
            .find(|t| mid >= t.start - 0.3 && mid <= t.end + 0.3)
            .unwrap_or_else(|| panic!("word at {mid:.2} s lies in no turn"));
        assert!(
            w.start >= home.start - 0.3 && w.end <= home.end + 0.3,
            "word {w:?} runs out of its turn {home:?}"
        );
    }
}

#[test]
fn rendered_call_turn_times_hold() {
    let Some(dir) = shared("scenarios/rendered") else {
        return;
    };
    let reference = dir.join("dev-15-finance-pipeline-hallway.ref.json");
    let audio = dir.join("dev-15-finance-pipeline-hallway.wav");
    if !reference.exists() || !audio.exists() {
        eprintln!("skipping: {} is not here", audio.display());
        return;
    }
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&reference).unwrap()).unwrap();
    let turns: Vec<Turn> = doc["turns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| Turn {
            start: t["start"].as_f64().unwrap(),
            end: t["end"].as_f64().unwrap(),
        })
        .collect();
    let turns = voiced(&turns, &audio);
    let words = words_of(&json_of(&audio));
    let errors = edge_errors(&turns, &words, 0.3);
    let share = report("dev-15 rendered", &errors, 0.2);
    let found = errors.iter().filter(|e| e.is_some()).count();
    assert!(found as f64 >= 0.95 * turns.len() as f64, "{errors:?}");
    assert!(share >= 0.9, "{errors:?}");
}
