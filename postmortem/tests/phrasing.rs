//! Extraction on calls phrased in many ways (our own sentences): owners
//! assigned and self-assigned, dates, decisions, mitigations and their
//! outcomes, hedges against confirmations.

use std::path::PathBuf;

use hotwash_postmortem::input::{assemble, ParsedTranscript, RawUtterance};
use hotwash_postmortem::record::{Category, HypothesisStatus, IncidentRecord};
use hotwash_postmortem::{build_record, Extraction, Options};

/// A call from (speaker label, text) lines, 6 s apart, starting 2026-02-04 10:00 UTC (a Wednesday).
fn call(lines: &[(Option<&str>, &str)]) -> IncidentRecord {
    let utterances = lines
        .iter()
        .enumerate()
        .map(|(i, (sp, text))| RawUtterance {
            id: i.to_string(),
            track: Some("main".into()),
            speaker: sp.map(str::to_string),
            start: i as f64 * 6.0,
            end: i as f64 * 6.0 + 5.0,
            wall_start: None,
            text: text.to_string(),
            words: Vec::new(),
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
    let c = assemble(vec![(PathBuf::from("call.json"), t)], None);
    build_record(
        &c,
        &Options {
            // These pin the rule layer's phrasing; the combined labeller is
            // checked on whole calls (tests/own_calls.rs).
            extraction: Extraction::Rules,
            ..Options::default()
        },
    )
}

fn items(r: &IncidentRecord) -> Vec<(Option<String>, Option<String>, bool)> {
    r.action_items
        .iter()
        .map(|a| (a.owner.clone(), a.due.map(|d| d.to_string()), a.vague))
        .collect()
}

#[test]
fn owners_assigned_and_self_assigned() {
    let r = call(&[
        (Some("jess"), "Jess here, I'm the incident commander."),
        (Some("jess"), "Action item for Tariq: add retries to the webhook sender by Friday. We'll verify it with a chaos test."),
        (Some("tariq"), "Yep, mine."),
        (Some("jess"), "Amir, can you take the runbook update? End of next week is fine."),
        (Some("amir"), "Sure, I'll have it done by then."),
        (Some("amir"), "I'll own the cert renewal automation, done by the 20th, and we'll prove it works with a dry run in staging."),
        (Some("tariq"), "Tariq will write the customer letter by tomorrow."),
        (Some("jess"), "We need better monitoring on the webhook queue."),
    ]);
    let got = items(&r);
    assert_eq!(got.len(), 5, "{:#?}", r.action_items);
    assert_eq!(
        got[0],
        (Some("Tariq".into()), Some("2026-02-06".into()), false)
    );
    assert_eq!(
        (got[1].0.as_deref(), got[1].1.as_deref()),
        (Some("Amir"), Some("2026-02-13"))
    );
    assert_eq!(
        got[2],
        (Some("Amir".into()), Some("2026-02-20".into()), false)
    );
    assert_eq!(
        got[3],
        (Some("Tariq".into()), Some("2026-02-05".into()), false)
    );
    assert_eq!(got[4], (None, None, true));
    assert_eq!(r.action_items[3].category, Category::DocumentationComms);
    assert!(r.action_items[4]
        .vague_reasons
        .iter()
        .any(|v| v == "unmeasurable goal"));
}

#[test]
fn unlabelled_speakers_take_names_from_the_text() {
    let r = call(&[
        (None, "Hi, this is Rosa, I'll be incident commander."),
        (None, "Kenji, can you send the merchants a note about the delay?"),
        (None, "Yes, I'll get that out within the hour."),
        (None, "Action item: Kenji owns the retry budget check, due in two weeks, and we'll verify it by replaying Tuesday's traffic."),
    ]);
    let got = items(&r);
    assert_eq!(got[0].0.as_deref(), Some("Kenji"), "{:#?}", r.action_items);
    assert_eq!(got[0].1.as_deref(), Some("2026-02-04"));
    assert!(r.action_items[0]
        .action
        .contains("send the merchants a note"));
    assert_eq!(
        got[1],
        (Some("Kenji".into()), Some("2026-02-18".into()), false)
    );
    assert_eq!(r.incident.commander.as_deref(), Some("Rosa"));
}

#[test]
fn decisions_mitigations_and_outcomes() {
    let r = call(&[
        (
            Some("lee"),
            "This is Lee, I'm the incident commander, we're declaring a sev 1.",
        ),
        (
            Some("ana"),
            "Either we fail over to the secondary region or we restart the primary database.",
        ),
        (
            Some("lee"),
            "We're going with the failover, because a restart could take an hour.",
        ),
        (Some("ana"), "Failing over now."),
        (
            Some("ana"),
            "Failover is complete, but errors are still at 30 percent.",
        ),
        (Some("lee"), "Okay. Ana, flush the CDN cache."),
        (Some("ana"), "Flushing it now."),
        (
            Some("ana"),
            "Cache flush is done and the error rate is down to 0.5 percent.",
        ),
    ]);
    assert_eq!(r.incident.severity.as_deref(), Some("SEV1"));
    assert_eq!(r.decisions.len(), 2, "{:#?}", r.decisions);
    let d = &r.decisions[0];
    assert_eq!(d.who.as_deref(), Some("Lee"));
    assert!(d
        .rationale
        .as_deref()
        .unwrap_or("")
        .contains("restart could take an hour"));
    assert!(
        d.alternatives.iter().any(|a| a.contains("restart")),
        "{d:?}"
    );
    assert_eq!(r.mitigations.len(), 2, "{:#?}", r.mitigations);
    assert_eq!(r.mitigations[0].worked, Some(false), "{:#?}", r.mitigations);
    assert_eq!(r.mitigations[1].worked, Some(true));
    assert_eq!(r.mitigations[0].sources[0], "3");
}

#[test]
fn hedges_confirmations_and_settling() {
    let r = call(&[
        (Some("kai"), "Perhaps the TLS cert expired on the edge proxies?"),
        (Some("mo"), "I reckon it's the DNS change from this morning."),
        (Some("kai"), "Checked it, the cert is valid until August, so it's not the cert."),
        (Some("mo"), "Confirmed, the DNS change is what broke it, the resolver logs show NXDOMAIN for the API host."),
        (Some("kai"), "Maybe ten minutes to revert it."),
    ]);
    let h: Vec<(&str, HypothesisStatus)> = r
        .hypotheses
        .iter()
        .map(|h| (h.sources[0].as_str(), h.status))
        .collect();
    assert_eq!(
        h,
        vec![
            ("0", HypothesisStatus::Refuted),
            ("1", HypothesisStatus::Confirmed)
        ],
        "{:#?}",
        r.hypotheses
    );
    assert!(r.rca.unconfirmed.is_empty());
}

/// Odd input never panics: token soup of number words, names, cues, unicode and punctuation.
#[test]
fn odd_input_never_panics() {
    let vocab = [
        "nine",
        "hundred",
        "million",
        "billion",
        "thousand",
        "point",
        "oh",
        "and",
        "twenty",
        "first",
        "second",
        "Decision:",
        "I'll",
        "own",
        "by",
        "Friday",
        "next",
        "end",
        "of",
        "week",
        "release",
        "deploy",
        "D",
        "7",
        "4.18",
        "OPS-12",
        "PR",
        "#",
        "Maya,",
        "can",
        "you",
        "roll",
        "back",
        "now.",
        "is",
        "complete",
        "but",
        "still",
        "at",
        "40%",
        "?",
        "İstanbul",
        "ß",
        "“Or",
        "—",
        "\u{3000}",
        "rollback",
        "maybe",
        "confirmed",
        "action",
        "item",
        "sev",
        "one",
        "UTC",
        "14:52",
        "999999999999999999999",
        "status",
        "page",
        "shows",
        "flag",
        "key",
        ",",
        "the",
        "tell",
        "them:",
        "we",
        "should",
        "improve",
        "",
    ];
    let mut seed: u64 = 42;
    let mut next = || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) as usize
    };
    for _ in 0..60 {
        let lines: Vec<(Option<String>, String)> = (0..8)
            .map(|_| {
                let n = next() % 25;
                let text: Vec<&str> = (0..n).map(|_| vocab[next() % vocab.len()]).collect();
                (
                    if next() % 2 == 0 {
                        Some("sam".to_string())
                    } else {
                        None
                    },
                    text.join(" "),
                )
            })
            .collect();
        let refs: Vec<(Option<&str>, &str)> = lines
            .iter()
            .map(|(s, t)| (s.as_deref(), t.as_str()))
            .collect();
        let r = call(&refs);
        let _ = hotwash_postmortem::render::markdown::postmortem(&r);
        let _ = hotwash_postmortem::render::briefs::executive(&r);
        let _ = hotwash_postmortem::render::briefs::support(&r);
    }
}

#[test]
fn other_ways_of_saying_it() {
    let r = call(&[
        (Some("bo"), "Bo here, I'll be IC. This is a P1 incident for the login service."),
        (Some("cy"), "What if it's the new session store? I have a feeling it's the TTL change."),
        (Some("bo"), "The plan is to disable the session store flag. Cy, turn off the new session store flag."),
        (Some("cy"), "Rollout of the flag change started."),
        (Some("cy"), "Flag is off, and logins are back to baseline."),
        (Some("bo"), "Can you own the TTL config validation by end of next week, Cy?"),
        (Some("bo"), "And Dee, please write up the customer notice by EOD."),
    ]);
    assert_eq!(r.incident.severity.as_deref(), Some("SEV1"));
    assert_eq!(r.hypotheses.len(), 1, "{:#?}", r.hypotheses);
    assert_eq!(r.decisions.len(), 1, "{:#?}", r.decisions);
    assert_eq!(r.mitigations.len(), 1, "{:#?}", r.mitigations);
    assert_eq!(r.mitigations[0].worked, Some(true));
    assert_eq!(r.mitigations[0].sources[0], "3");
    let got = items(&r);
    assert_eq!(got.len(), 2, "{:#?}", r.action_items);
    assert_eq!(got[0].0.as_deref(), Some("Cy"));
    assert_eq!(got[0].1.as_deref(), Some("2026-02-13"));
    assert_eq!(
        (got[1].0.as_deref(), got[1].1.as_deref()),
        (Some("Dee"), Some("2026-02-04"))
    );
}

#[test]
fn more_follow_up_phrasings() {
    let r = call(&[
        (Some("eve"), "Eve here, I'm the incident commander."),
        (Some("eve"), "We'll roll back the payments worker to version 8.2."),
        (Some("fin"), "Rolling back now."),
        (Some("fin"), "Rollback is done and payments are succeeding again."),
        (Some("eve"), "Todo for Fin: add a smoke test for the payments worker by 5pm, and it should fail on a bad build."),
        (Some("eve"), "Gus's going to own the release checklist, due the 12th, verified with a dry run."),
        (Some("eve"), "Let's make sure someone improves the deploy docs."),
    ]);
    assert_eq!(r.decisions.len(), 1, "{:#?}", r.decisions);
    assert_eq!(r.mitigations.len(), 1);
    assert_eq!(r.mitigations[0].worked, Some(true));
    assert!(r
        .evidence
        .iter()
        .any(|e| e.kind.as_str() == "release" && e.value == "8.2"));
    let got = items(&r);
    assert_eq!(
        got,
        vec![
            (Some("Fin".into()), Some("2026-02-04".into()), false),
            (Some("Gus".into()), Some("2026-02-12".into()), false),
            (None, None, true),
        ],
        "{:#?}",
        r.action_items
    );
}
