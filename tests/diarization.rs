//! Speakers on one mixed recording, with the real models: the bundled
//! three-voice call (flite voices, rendered by the project from
//! fixtures/scenarios/db-failover.json, its turns in db-failover.rttm).

mod common;

use std::collections::HashMap;

/// (start, end, speaker) of the reference turns.
fn reference_turns() -> Vec<(f64, f64, String)> {
    std::fs::read_to_string(common::fixture("audio/db-failover.rttm"))
        .unwrap()
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let start: f64 = f.get(3)?.parse().ok()?;
            let dur: f64 = f.get(4)?.parse().ok()?;
            Some((start, start + dur, f.get(7)?.to_string()))
        })
        .collect()
}

/// The reference speaker covering most of [a, b].
fn truth_at(turns: &[(f64, f64, String)], a: f64, b: f64) -> Option<String> {
    turns
        .iter()
        .map(|(s, e, n)| ((e.min(b) - s.max(a)).max(0.0), n))
        .filter(|(o, _)| *o > 0.0)
        .max_by(|x, y| x.0.total_cmp(&y.0))
        .map(|(_, n)| n.clone())
}

#[test]
fn transcribe_labels_each_utterance_with_its_voice() {
    let o = common::transcribe(&[
        "-f",
        "json",
        common::s(&common::fixture("audio/db-failover.flac")),
    ]);
    let doc = common::transcript(&o);
    assert!(
        doc["recording"]["diarizer"]
            .as_str()
            .is_some_and(|d| d.contains("CAM++")),
        "{}",
        doc
    );
    let truth = reference_turns();
    let utts = doc["utterances"].as_array().unwrap();
    // Seconds of speech per (cluster, true speaker).
    let mut table: HashMap<(String, String), f64> = HashMap::new();
    let mut total = 0.0;
    for u in utts {
        let (a, b) = (u["start"].as_f64().unwrap(), u["end"].as_f64().unwrap());
        let label = u["speaker"]
            .as_str()
            .expect("every utterance has a speaker")
            .to_string();
        assert!(label.starts_with("Speaker "), "{label}");
        if let Some(t) = truth_at(&truth, a, b) {
            *table.entry((label, t)).or_default() += b - a;
            total += b - a;
        }
    }
    let clusters: std::collections::HashSet<&String> = table.keys().map(|k| &k.0).collect();
    assert_eq!(clusters.len(), 3, "{table:?}");
    // Each cluster's time goes to its best-matching true speaker.
    let mut right = 0.0;
    for c in &clusters {
        right += table
            .iter()
            .filter(|((k, _), _)| k == *c)
            .map(|(_, v)| *v)
            .fold(0.0, f64::max);
    }
    assert!(
        right / total >= 0.9,
        "{:.2} of speech attributed right: {table:?}",
        right / total
    );
}

#[test]
fn speakers_off_leaves_a_mixed_recording_unlabelled() {
    let o = common::transcribe(&[
        "-f",
        "json",
        "--speakers",
        "off",
        common::s(&common::fixture("audio/db-failover.flac")),
    ]);
    let doc = common::transcript(&o);
    assert!(doc["recording"]["diarizer"].is_null());
    assert!(doc["utterances"]
        .as_array()
        .unwrap()
        .iter()
        .all(|u| u["speaker"].is_null()));
}

#[test]
fn postmortem_names_the_voices_from_the_roster_and_says_how() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("INC-7");
    let o = common::bin("hotwash")
        .arg("postmortem")
        .arg(common::fixture("audio/db-failover.flac"))
        .arg("--roster")
        .arg(common::fixture("audio/db-failover.roster.toml"))
        .args(["--start-time", "2026-10-06T14:10:00Z", "-o"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", common::stderr(&o));
    let record: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("incident.json")).unwrap()).unwrap();
    let speakers = record["speakers"].as_array().unwrap();
    let how = |name: &str| {
        speakers
            .iter()
            .find(|s| s["name"] == name)
            .and_then(|s| s["identified"].as_str())
            .map(str::to_string)
    };
    assert_eq!(
        how("Rosa Diaz").as_deref(),
        Some("introduction"),
        "{speakers:?}"
    );
    // Every voice is named with how, or left unconfirmed, never guessed.
    for s in speakers {
        let id = s["identified"].as_str();
        assert!(id.is_some(), "{s}");
        if id == Some("unconfirmed") {
            assert!(
                s["name"].as_str().unwrap().ends_with("(unconfirmed)"),
                "{s}"
            );
        }
    }
    // Rosa's own lines carry her name.
    let first = &record["utterances"][0];
    assert_eq!(first["speaker"], "Rosa Diaz", "{first}");
}

#[test]
fn eval_diarization_scores_the_fixtures() {
    let o = common::bin("hotwash")
        .args(["eval", "diarization", "--json"])
        .arg(common::fixture("audio/db-failover.flac"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", common::stderr(&o));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let der = doc["overall"]["der_collar"].as_f64().unwrap();
    assert!(der < 0.15, "{doc}");
    assert_eq!(doc["files"][0]["hypothesis_speakers"], 3, "{doc}");
}

#[test]
fn missing_or_broken_speaker_models_fail_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let audio = common::fixture("audio/db-failover.flac");
    let o = common::transcribe(&[
        "--speaker-models",
        common::s(&dir.path().join("nowhere")),
        common::s(&audio),
    ]);
    assert!(!o.status.success());
    let err = common::stderr(&o);
    assert!(err.contains("nowhere") && err.contains("missing"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    std::fs::write(dir.path().join("segmentation-3.0.pt"), b"not a model").unwrap();
    std::fs::write(dir.path().join("campplus_cn_en_common.pt"), b"not a model").unwrap();
    let o = common::transcribe(&["--speaker-models", common::s(dir.path()), common::s(&audio)]);
    assert!(!o.status.success());
    let err = common::stderr(&o);
    assert!(err.contains("segmentation-3.0.pt"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
}
