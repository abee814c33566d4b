//! Diarization clusters ("Speaker 2") get names from what the call says —
//! a self-introduction, answering when addressed — and a cluster nothing
//! names stays unconfirmed, its action items flagged to confirm.

use std::path::PathBuf;

use hotwash_postmortem::input::{assemble, ParsedTranscript, RawUtterance};
use hotwash_postmortem::record::IncidentRecord;
use hotwash_postmortem::{build_record, Extraction, Options, Roster};

fn call(lines: &[(&str, &str)], roster: &str) -> IncidentRecord {
    let utterances = lines
        .iter()
        .enumerate()
        .map(|(i, (sp, text))| RawUtterance {
            id: i.to_string(),
            track: Some("main".into()),
            speaker: Some(sp.to_string()),
            start: i as f64 * 5.0,
            end: i as f64 * 5.0 + 4.0,
            wall_start: None,
            text: text.to_string(),
            words: Vec::new(),
        })
        .collect();
    let t = ParsedTranscript {
        start_utc: Some("2026-05-12T14:00:00Z".parse().unwrap()),
        duration: None,
        tracks: vec!["main".into()],
        speakers: Vec::new(),
        title: None,
        utterances,
    };
    let roster = Roster::parse(roster).unwrap();
    let c = assemble(vec![(PathBuf::from("bridge.json"), t)], Some(&roster));
    build_record(
        &c,
        &Options {
            extraction: Extraction::Rules,
            ..Options::default()
        },
    )
}

const ROSTER: &str = "[speakers.priya]\nname = \"Priya Raman\"\nrole = \"Incident commander\"\n\
                      [speakers.obi]\nname = \"Obi Okonkwo\"\n\
                      [speakers.lena]\nname = \"Lena Marsh\"\n";

#[test]
fn clusters_are_named_by_introduction_and_by_answering() {
    let r = call(
        &[
            ("Speaker 1", "Hi all, Priya here, I'm running this bridge."),
            (
                "Speaker 1",
                "Obi, can you pull the queue depth for the billing workers?",
            ),
            (
                "Speaker 2",
                "Yes, one moment, it is climbing past forty thousand.",
            ),
            ("Speaker 1", "Obi, is the consumer group still rebalancing?"),
            (
                "Speaker 2",
                "It is, every couple of minutes since the config push.",
            ),
            (
                "Speaker 3",
                "I'll write up the timeline for the review by Thursday.",
            ),
            ("Speaker 1", "Let's roll back the config push now."),
            (
                "Speaker 2",
                "Rolling it back, the rebalancing stopped and the queue is draining.",
            ),
        ],
        ROSTER,
    );
    let who: Vec<(&str, Option<&str>)> = r
        .speakers
        .iter()
        .map(|s| (s.name.as_str(), s.identified.as_deref()))
        .collect();
    assert!(
        who.contains(&("Priya Raman", Some("introduction"))),
        "{who:?}"
    );
    assert!(who.contains(&("Obi Okonkwo", Some("addressed"))), "{who:?}");
    assert!(
        who.contains(&("Speaker 3 (unconfirmed)", Some("unconfirmed"))),
        "{who:?}"
    );
    // No one is guessed: Lena was never tied to a voice.
    assert!(!r
        .utterances
        .iter()
        .any(|u| u.speaker.as_deref() == Some("Lena Marsh")));
    let timeline = r
        .action_items
        .iter()
        .find(|a| a.action.to_lowercase().contains("timeline"))
        .expect("the timeline action");
    assert_eq!(timeline.owner.as_deref(), Some("Speaker 3 (unconfirmed)"));
    assert!(timeline.vague, "{timeline:?}");
    assert!(
        timeline
            .vague_reasons
            .iter()
            .any(|r| r.contains("confirm who it is")),
        "{:?}",
        timeline.vague_reasons
    );
}

#[test]
fn one_exchange_names_a_voice_with_low_confidence_and_its_work_is_flagged() {
    let r = call(
        &[
            ("Speaker 1", "Lena, are you on?"),
            ("Speaker 2", "Yes, I'm here."),
            (
                "Speaker 2",
                "I'll update the failover runbook by Friday, and we verify it with a drill.",
            ),
            ("Speaker 1", "Obi, anything from the replicas?"),
        ],
        ROSTER,
    );
    let lena = r
        .speakers
        .iter()
        .find(|s| s.name == "Lena Marsh")
        .expect("Lena named");
    assert_eq!(
        lena.identified.as_deref(),
        Some("addressed"),
        "{:?}",
        r.speakers
    );
    assert!(lena.identified_confidence.unwrap_or(1.0) < 0.5, "{lena:?}");
    let item = r
        .action_items
        .iter()
        .find(|a| a.action.to_lowercase().contains("runbook"))
        .expect("the runbook action");
    assert_eq!(item.owner.as_deref(), Some("Lena Marsh"));
    assert!(
        item.vague_reasons.iter().any(|v| v.contains("confirm")),
        "{:?}",
        item.vague_reasons
    );
    // Nobody answered Obi: no voice is his.
    assert!(!r
        .speakers
        .iter()
        .any(|s| s.name == "Obi Okonkwo" && s.identified.is_some()));
}
