//! Extraction from transcripts written the way whisper writes speech (our own
//! sentences): digits for spoken numbers, dropped or odd punctuation, no
//! speaker labels, and a next speaker's words run onto the end of a segment.

use std::path::PathBuf;

use hotwash_postmortem::input::{assemble, ParsedTranscript, RawUtterance, RawWord};
use hotwash_postmortem::record::IncidentRecord;
use hotwash_postmortem::{build_record, Extraction, Options, Roster};

/// Word timings spread over `start..end`; the last `squashed` words all sit
/// at `end` with no duration, as whisper leaves words it could not align.
fn words(text: &str, start: f64, end: f64, squashed: usize) -> Vec<RawWord> {
    let w: Vec<&str> = text.split_whitespace().collect();
    let timed = w.len() - squashed;
    let step = (end - start) / timed as f64;
    w.iter()
        .enumerate()
        .map(|(i, t)| {
            let (s, e) = if i < timed {
                (start + step * i as f64, start + step * (i + 1) as f64)
            } else {
                (end, end)
            };
            RawWord {
                text: t.to_string(),
                start: s,
                end: e,
            }
        })
        .collect()
}

/// An unlabelled call from (start, end, text, squashed tail words), on 2026-02-04 (a Wednesday).
fn call(lines: &[(f64, f64, &str, usize)]) -> IncidentRecord {
    call_with(lines, None)
}

/// [`call`], read with a roster of who was on it.
fn call_with(lines: &[(f64, f64, &str, usize)], roster: Option<&Roster>) -> IncidentRecord {
    let utterances = lines
        .iter()
        .enumerate()
        .map(|(i, &(start, end, text, squashed))| RawUtterance {
            id: i.to_string(),
            track: Some("main".into()),
            speaker: None,
            start,
            end,
            wall_start: None,
            text: text.to_string(),
            words: words(text, start, end, squashed),
        })
        .collect();
    let t = ParsedTranscript {
        start_utc: Some("2026-02-04T10:00:00Z".parse().unwrap()),
        duration: None,
        tracks: vec!["main".into()],
        speakers: Vec::new(),
        title: None,
        utterances,
    };
    build_record(
        &assemble(vec![(PathBuf::from("call.json"), t)], roster),
        &Options {
            // These pin the rule layer's phrasing; the combined labeller is
            // checked on whole calls (tests/own_calls.rs).
            extraction: Extraction::Rules,
            ..Options::default()
        },
    )
}

fn bridge() -> IncidentRecord {
    call(&[
        (1.0, 6.0, "Ok everyone this is Ines, I'm the incident commander, we're declaring a sev 2 for search.", 0),
        (8.0, 16.0, "The search latency dashboard shows P99 at 3.2 seconds. It started after the search service released to point 14 this morning.", 0),
        (18.0, 23.0, "I think the new ranking model might be too slow. That's just a guest for now.", 0),
        (25.0, 33.0, "Decision roll the search service back to 2.13 now, because it's the fastest fix. Rolling back now.", 3),
        (50.0, 55.0, "Rollback is complete, P99 is back down to 300 milliseconds.", 0),
        (57.0, 62.0, "Recovery confirmed, we'll keep monitoring for 30 minutes.", 0),
        (64.0, 72.0, "Okay, the ranking model was the trigger, it went out without a load test.", 0),
        (74.0, 84.0, "Action item, add a latency check to the ranking pipeline by April 22nd, we'll test it by replaying last week's queries.", 0),
        (86.0, 90.0, "Can someone email the affected customers?", 0),
        (92.0, 96.0, "Yup, I'll have that email out within an hour.", 0),
        (98.0, 106.0, "Yeah, that's mine, I'll also revert pole request 61 02 through the normal pipeline tonight.", 0),
        (108.0, 114.0, "And I'll write a summary for the affected enterprise tenants and their account managers.", 0),
        (116.0, 120.0, "The incident ticket is Ops-5521, thanks everyone.", 0),
    ])
}

#[test]
fn numbers_and_ids_as_whisper_writes_them() {
    let r = bridge();
    let ev: Vec<(&str, &str)> = r
        .evidence
        .iter()
        .map(|e| (e.kind.as_str(), e.value.as_str()))
        .collect();
    for want in [
        ("release", "2.14"),
        ("pull_request", "6102"),
        ("ticket", "OPS-5521"),
        ("dashboard", "search latency"),
    ] {
        assert!(ev.contains(&want), "{want:?} not in {ev:?}");
    }
}

#[test]
fn decisions_without_their_colon_and_a_run_on_acknowledgement() {
    let r = bridge();
    assert_eq!(r.decisions.len(), 1, "{:#?}", r.decisions);
    assert!(r.decisions[0]
        .decision
        .contains("roll the search service back"));
    assert_eq!(r.mitigations.len(), 1, "{:#?}", r.mitigations);
    // "Rolling back now." was cut off the decision's segment and placed after it.
    let m = &r.mitigations[0];
    assert!(m.what.to_lowercase().contains("roll"), "{m:#?}");
    assert!(m.offset_s > 33.0 && m.offset_s < 36.0, "{m:#?}");
    assert_eq!(m.sources[0], "3.1");
    assert_eq!(m.worked, Some(true));
    assert_eq!(r.hypotheses.len(), 1, "{:#?}", r.hypotheses);
}

#[test]
fn follow_ups_said_the_whisper_way() {
    let r = bridge();
    let got: Vec<(f64, Option<String>)> = r
        .action_items
        .iter()
        .map(|a| (a.offset_s, a.due.map(|d| d.to_string())))
        .collect();
    assert_eq!(
        got,
        vec![
            (74.0, Some("2026-04-22".into())),
            (92.0, Some("2026-02-04".into())),
            (98.0, Some("2026-02-04".into())),
            (108.0, None),
        ],
        "{:#?}",
        r.action_items
    );
    assert!(r.action_items[3].vague);
    assert!(
        r.action_items[2].action.starts_with("revert pole request"),
        "{:#?}",
        r.action_items[2]
    );
}

#[test]
fn unpunctuated_requests_name_who_was_asked() {
    let r = call(&[
        (1.0, 5.0, "Hi all, Bea here, I'm the incident commander.", 0),
        (7.0, 10.0, "Cal here from the platform team.", 0),
        (12.0, 18.0, "Cal drain the bad node in zone b now.", 0),
        (20.0, 23.0, "Draining it now.", 0),
        (
            40.0,
            45.0,
            "Node is drained and errors are back to normal.",
            0,
        ),
    ]);
    assert_eq!(r.decisions.len(), 1, "{:#?}", r.decisions);
    assert_eq!(r.mitigations.len(), 1, "{:#?}", r.mitigations);
    assert_eq!(r.mitigations[0].offset_s, 20.0);
    assert_eq!(r.mitigations[0].worked, Some(true));
}

#[test]
fn an_owner_addressed_after_a_thank_you_on_an_unlabelled_call() {
    // Whisper ran "Thanks Jo. Omar, please own…" together with commas.
    let r = call(&[
        (1.0, 5.0, "We are declaring a sev 3 for the billing exports.", 0),
        (7.0, 12.0, "I restarted the export workers and the queue is draining now.", 0),
        (14.0, 22.0, "Thanks Jo, Omar, please own a retry limit for the export workers by next Friday, and we verify it with a load test.", 0),
    ]);
    let a = r
        .action_items
        .iter()
        .find(|a| a.action.contains("retry limit"))
        .unwrap_or_else(|| panic!("{:#?}", r.action_items));
    assert_eq!(a.owner.as_deref(), Some("Omar"), "{a:#?}");
    assert!(a.due.is_some(), "{a:#?}");
    assert!(
        a.verification
            .as_deref()
            .unwrap_or("")
            .contains("load test"),
        "{a:#?}"
    );
}

#[test]
fn a_known_name_run_into_the_next_word_in_the_owner_slot() {
    // "Action item for Raj: move…" heard as "Rajex move…"; "Action item,
    // Dev owns a…" as "Devonsa…"; the roster knows Raj and Dev.
    let roster =
        Roster::parse("[raj]\nname = \"Raj\"\n[dev]\nname = \"Dev\"\n[tomas]\nname = \"Tomas\"\n")
            .unwrap();
    let r = call_with(
        &[
            (1.0, 9.0, "Action item for Rajex move the disk alert to 80% by this Friday, and we test it with a fill script.", 0),
            (11.0, 19.0, "Action item, Devonsa retry budget for the exporter due March 28, we verify it with a game day.", 0),
        ],
        Some(&roster),
    );
    let owners: Vec<Option<&str>> = r.action_items.iter().map(|a| a.owner.as_deref()).collect();
    assert_eq!(
        owners,
        vec![Some("Raj"), Some("Dev")],
        "{:#?}",
        r.action_items
    );
}
