//! `hotwash postmortem` on the call's audio, end to end with the real
//! tiny.en model: the project's own bridge-call fixture, as one mixed file
//! and as one track per participant, with a roster.

mod common;

use std::collections::HashSet;
use std::path::Path;

fn read_json(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

const ROSTER: &str = r#"
[speakers.rosa]
name = "Rosa Diaz"
role = "Incident commander"

[speakers.ken]
name = "Ken Ito"
role = "Database on-call"

[speakers.ian]
name = "Ian Park"
role = "Customer support"
"#;

/// Every artifact is written and every extracted line cites utterances
/// that exist in the record.
fn check_artifacts(out: &Path) -> serde_json::Value {
    for f in [
        "incident.json",
        "postmortem.md",
        "brief-exec.md",
        "brief-engineering.md",
        "brief-support.md",
        "actions-jira.csv",
        "actions-linear.csv",
    ] {
        let p = out.join(f);
        assert!(
            p.is_file() && std::fs::metadata(&p).unwrap().len() > 0,
            "{f} missing or empty"
        );
    }
    let record = read_json(&out.join("incident.json"));
    assert_eq!(record["schema"], "hotwash.incident/2", "{record}");
    let ids: HashSet<String> = record["utterances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap().to_string())
        .collect();
    assert!(ids.len() >= 5, "too few utterances: {}", ids.len());
    for list in [
        "timeline",
        "decisions",
        "mitigations",
        "action_items",
        "evidence",
    ] {
        for item in record[list].as_array().unwrap() {
            let sources = item["sources"].as_array().unwrap();
            assert!(!sources.is_empty(), "{list} item without sources: {item}");
            for s in sources {
                assert!(
                    ids.contains(s.as_str().unwrap()),
                    "{list} cites unknown utterance {s}"
                );
            }
        }
    }
    record
}

#[test]
fn postmortem_from_per_participant_tracks_uses_the_roster() {
    let dir = tempfile::tempdir().unwrap();
    let roster = dir.path().join("roster.toml");
    std::fs::write(&roster, ROSTER).unwrap();
    let out = dir.path().join("INC-1");
    let tracks = common::fixture("audio/db-failover.tracks");
    let o = common::bin("hotwash")
        .arg("postmortem")
        .arg(&tracks)
        .arg("--roster")
        .arg(&roster)
        .args(["--start-time", "2026-10-06T14:10:00Z", "-o"])
        .arg(&out)
        .output()
        .unwrap();
    println!("{}\n{}", common::stdout(&o), common::stderr(&o));
    assert!(o.status.success(), "{}", common::stderr(&o));
    assert!(common::stdout(&o).contains("wrote"));
    // The transcript is kept beside the record, with each track's speaker.
    let transcript = read_json(&out.join("db-failover.transcript.json"));
    let speakers: HashSet<&str> = transcript["utterances"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|u| u["speaker"].as_str())
        .collect();
    assert_eq!(speakers, HashSet::from(["rosa", "ken", "ian"]));
    // Transcribed with the roster's names in whisper's prompt, said in the transcript.
    assert_eq!(
        transcript["recording"]["prompt"], "Ian Park, Ken Ito, Rosa Diaz.",
        "{}",
        transcript["recording"]
    );

    let record = check_artifacts(&out);
    let names: HashSet<&str> = record["speakers"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["name"].as_str())
        .collect();
    for n in ["Rosa Diaz", "Ken Ito", "Ian Park"] {
        assert!(names.contains(n), "roster name {n} missing: {names:?}");
    }
    assert_eq!(
        record["incident"]["start_utc"].as_str().map(|s| &s[..16]),
        Some("2026-10-06T14:10")
    );
    // The runbook follow-up (whisper may mishear "runbook" and the name):
    // found with its due date and verification plan, owned by someone on
    // the roster, and exported.
    let actions = record["action_items"].as_array().unwrap();
    let followup = actions
        .iter()
        .find(|a| {
            a["verification"]
                .as_str()
                .unwrap_or("")
                .to_lowercase()
                .contains("drill")
        })
        .unwrap_or_else(|| panic!("no follow-up verified by a drill in {actions:?}"));
    assert!(followup["due"].is_string(), "{followup}");
    let owner = followup["owner"].as_str().unwrap_or("");
    assert!(
        names.contains(owner),
        "owner {owner:?} is not on the roster"
    );
    let jira = std::fs::read_to_string(out.join("actions-jira.csv")).unwrap();
    assert!(jira.contains(owner), "{jira}");
    // "My guess is …" is a hypothesis, not a fact.
    assert!(
        !record["hypotheses"].as_array().unwrap().is_empty(),
        "{}",
        record["hypotheses"]
    );

    // The questions people ask, over the record.
    let show = common::bin("hotwash")
        .arg("show")
        .arg(out.join("incident.json"))
        .arg("actions")
        .output()
        .unwrap();
    assert!(show.status.success(), "{}", common::stderr(&show));
    assert!(common::stdout(&show).contains(owner));
}

#[test]
fn postmortem_from_one_mixed_recording() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("INC-2");
    let o = common::bin("hotwash")
        .arg("postmortem")
        .arg(common::fixture("audio/db-failover.flac"))
        .args(["--start-time", "2026-10-06T14:10:00Z", "-o"])
        .arg(&out)
        .output()
        .unwrap();
    println!("{}\n{}", common::stdout(&o), common::stderr(&o));
    assert!(o.status.success(), "{}", common::stderr(&o));
    assert!(out.join("db-failover.transcript.json").is_file());
    let record = check_artifacts(&out);
    assert!(!record["action_items"].as_array().unwrap().is_empty());
    assert!(!record["timeline"].as_array().unwrap().is_empty());
}

#[test]
fn postmortem_names_a_missing_track_and_fails_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let o = common::bin("hotwash")
        .args(["postmortem", "--track", "rosa=/nonexistent/rosa.flac", "-o"])
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    assert!(!o.status.success());
    let err = common::stderr(&o);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("/nonexistent/rosa.flac"), "{err}");
}
