//! Renderings of a record built from our own fixture call (a whisper-style
//! transcript: one mixed track, no speaker labels, numbers as digits): the
//! briefs only use the record's numbers and times, the support brief is
//! customer-safe, the CSVs have the importers' columns, templates and `show` work.

use std::path::PathBuf;

use hotwash_postmortem::record::IncidentRecord;
use hotwash_postmortem::render::{briefs, csv as exports, markdown, show, template};
use hotwash_postmortem::{build_record, load_transcripts, render_all, Options};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures")).join(name)
}

fn record() -> IncidentRecord {
    let call = load_transcripts(&[fixture("search-bridge.json")], None).unwrap();
    build_record(&call, &Options::default())
}

/// Every number in a text: digit runs with their decimal points, commas dropped.
fn numbers(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for c in text.chars().chain(std::iter::once(' ')) {
        if c.is_ascii_digit() || (c == '.' && !cur.is_empty()) || (c == ',' && !cur.is_empty()) {
            cur.push(c);
        } else if !cur.is_empty() {
            let n = cur.trim_end_matches(['.', ',']).replace(',', "");
            out.push(n);
            cur.clear();
        }
    }
    out
}

#[test]
fn every_number_and_time_in_a_brief_is_the_records() {
    let r = record();
    let json = serde_json::to_string(&r).unwrap();
    for (name, brief) in [
        ("exec", briefs::executive(&r)),
        ("engineering", briefs::engineering(&r)),
        ("support", briefs::support(&r)),
    ] {
        for n in numbers(&brief) {
            assert!(
                json.contains(&n),
                "{name} brief has {n}, which the record does not:\n{brief}"
            );
        }
    }
}

#[test]
fn unsure_items_are_marked_to_confirm_and_kept_out_of_the_briefs() {
    let mut r = record();
    assert!(r.action_items.len() >= 2, "{:#?}", r.action_items);
    let unsure = r.action_items[0].action.clone();
    r.action_items[0].confidence = Some(0.4);
    r.action_items[0].why = Some("acts-head 0.40".into());
    r.action_items[1].confidence = Some(0.8);
    let sure = r.action_items[1].action.clone();
    let md = markdown::postmortem(&r);
    let row = |id: &str| {
        let head = format!("| {id} |");
        md.lines().find(move |l| l.starts_with(&head)).unwrap_or("")
    };
    let line = row(&r.action_items[0].id);
    assert!(
        line.contains(&unsure),
        "the unsure item stays in postmortem.md:\n{md}"
    );
    assert!(line.contains("to confirm (acts-head 0.40)"), "{line}");
    assert!(md.contains("To confirm: 1."), "{md}");
    let sure_line = row(&r.action_items[1].id);
    assert!(sure_line.contains(&sure), "{md}");
    assert!(!sure_line.contains("to confirm"), "{sure_line}");
    let eng = briefs::engineering(&r);
    let listed = |id: &str| eng.lines().any(|l| l.starts_with(&format!("- {id} ")));
    assert!(!listed(&r.action_items[0].id), "{eng}");
    assert!(listed(&r.action_items[1].id), "{eng}");
    assert!(eng.contains("to confirm"), "{eng}");
}

#[test]
fn executive_brief_is_short_and_has_the_essentials() {
    let r = record();
    let b = briefs::executive(&r);
    assert!(
        briefs::word_count(&b) < 120,
        "{} words:\n{b}",
        briefs::word_count(&b)
    );
    assert!(b.contains("SEV2"));
    assert!(b.contains("Next checkpoint"));
    assert!(b.contains("Current risk"));
}

#[test]
fn support_brief_is_customer_safe() {
    let r = record();
    let b = briefs::support(&r);
    for s in &r.speakers {
        assert!(!b.contains(&s.name), "support brief names {}:\n{b}", s.name);
    }
    for e in &r.evidence {
        if matches!(
            e.kind.as_str(),
            "deploy" | "release" | "pull_request" | "ticket" | "commit" | "url" | "config"
        ) {
            assert!(
                !b.contains(&e.value),
                "support brief leaks {}:\n{b}",
                e.value
            );
        }
    }
    assert!(!b.contains("://") && !b.contains(".com"));
    assert!(b.contains("Status:"));
}

#[test]
fn csv_exports_have_the_importers_columns() {
    let r = record();
    let dir = tempfile::tempdir().unwrap();
    let written = render_all(&r, dir.path(), None).unwrap();
    let names: Vec<String> = written
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().to_string())
        .collect();
    for n in [
        "incident.json",
        "postmortem.md",
        "brief-exec.md",
        "brief-engineering.md",
        "brief-support.md",
        "actions-jira.csv",
        "actions-jira.config.json",
        "actions-linear.csv",
    ] {
        assert!(names.contains(&n.to_string()), "{n} not written");
    }
    let cfg: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("actions-jira.config.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(cfg["config.date.format"], exports::JIRA_DATE_FORMAT);
    let mut rd = csv::Reader::from_path(dir.path().join("actions-jira.csv")).unwrap();
    let header: Vec<String> = rd.headers().unwrap().iter().map(String::from).collect();
    // Jira's conventions: one `Labels` column per label, the header repeated.
    assert_eq!(header[..5], exports::JIRA_COLUMNS[..5]);
    assert_eq!(header.last().unwrap(), "Issue Type");
    let labels = header.len() - 6;
    assert!(labels >= 3, "{header:?}");
    assert!(header[5..5 + labels].iter().all(|h| h == "Labels"));
    let rows: Vec<csv::StringRecord> = rd.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), r.action_items.len());
    for (row, a) in rows.iter().zip(&r.action_items) {
        let marker = exports::marker(&r.incident.id, &a.id);
        assert!(
            row.iter().skip(5).take(labels).any(|l| l == marker),
            "no marker label {marker} in {row:?}"
        );
        assert_eq!(
            exports::parse_marker(&marker),
            Some((r.incident.id.clone(), a.id.clone()))
        );
        assert!(
            row[1].contains(&r.incident.id),
            "no link back to the incident"
        );
        assert!(row[1].contains("Verification plan"));
        if let Some(v) = &a.verification {
            assert!(row[1].contains(v.as_str()));
        }
        assert_eq!(
            &row[3],
            a.due.map(|d| d.to_string()).unwrap_or_default().as_str()
        );
        assert_eq!(&row[row.len() - 1], "Task");
    }
    let mut rd = csv::Reader::from_path(dir.path().join("actions-linear.csv")).unwrap();
    assert_eq!(
        rd.headers().unwrap().iter().collect::<Vec<_>>(),
        exports::LINEAR_COLUMNS.to_vec()
    );
    assert_eq!(rd.records().count(), r.action_items.len());
    let back: IncidentRecord =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("incident.json")).unwrap())
            .unwrap();
    assert_eq!(back, r);
}

#[test]
fn user_templates_render_the_record() {
    let r = record();
    let t = "# {{ incident.title }}\n{% for a in action_items %}- {{ a.id }} {{ a.owner or 'nobody' }} {{ a.due or 'no date' }}\n{% endfor %}{{ impact.recovered_utc | hhmm }}\n";
    let out = template::render_str(std::path::Path::new("t.md.j2"), t, &r).unwrap();
    assert!(out.starts_with(&format!("# {}", r.incident.title)));
    assert!(out.contains("A1 "));
    assert!(out.contains("13:31"));
    let err = template::render_str(std::path::Path::new("bad.j2"), "{% for %}", &r)
        .unwrap_err()
        .to_string();
    assert!(err.contains("bad.j2"));
}

#[test]
fn show_answers_questions() {
    let r = record();
    let t = show::show(&r, show::View::Timeline);
    assert!(t.contains("detection") && t.contains("recovery"));
    let h = show::show(&r, show::View::Hypotheses);
    assert!(h.contains("ranking model"));
    let f = show::show(&r, show::View::Facts);
    assert!(!f.contains("[hypothesis]"));
    assert!(show::show(&r, show::View::Actions).contains("A1"));
}

#[test]
fn whisper_style_call_extracts_what_a_scribe_would() {
    let r = record();
    assert_eq!(r.incident.severity.as_deref(), Some("SEV2"));
    assert_eq!(r.incident.commander.as_deref(), Some("Grace"));
    let ev: Vec<(String, String)> = r
        .evidence
        .iter()
        .map(|e| (e.kind.as_str().to_string(), e.value.clone()))
        .collect();
    for want in [
        ("release", "7.3.0"),
        ("deploy", "D9012"),
        ("pull_request", "5120"),
        ("release", "7.2.4"),
        ("ticket", "SRCH-88"),
    ] {
        assert!(
            ev.contains(&(want.0.to_string(), want.1.to_string())),
            "missing {want:?} in {ev:?}"
        );
    }
    assert!(
        ev.iter()
            .any(|(k, v)| k == "config" && v.contains("new-ranking")),
        "{ev:?}"
    );
    assert!(ev.iter().any(|(k, _)| k == "dashboard"), "{ev:?}");
    // The guess about the ranking model and the cluster; the cluster ruled out.
    assert_eq!(r.hypotheses.len(), 1, "{:?}", r.hypotheses);
    assert_eq!(
        r.hypotheses[0].status,
        hotwash_postmortem::record::HypothesisStatus::Refuted
    );
    // The flag decision with the rollback weighed, and the status page decision.
    assert_eq!(r.decisions.len(), 2, "{:#?}", r.decisions);
    assert!(
        r.decisions[0]
            .alternatives
            .iter()
            .any(|a| a.contains("roll back")),
        "{:?}",
        r.decisions[0]
    );
    assert_eq!(r.mitigations.len(), 1, "{:#?}", r.mitigations);
    assert_eq!(r.mitigations[0].worked, Some(true));
    let a: Vec<(Option<&str>, Option<String>, bool)> = r
        .action_items
        .iter()
        .map(|a| (a.owner.as_deref(), a.due.map(|d| d.to_string()), a.vague))
        .collect();
    assert_eq!(
        a,
        vec![
            (Some("Omar"), Some("2026-06-12".into()), false),
            (Some("Lina"), Some("2026-06-04".into()), false),
            (None, Some("2026-06-05".into()), true),
            (None, None, true),
        ],
        "{:#?}",
        r.action_items
    );
    assert_eq!(r.impact.duration_min, Some(27.0));
}

#[test]
fn recordings_of_one_incident_share_a_timeline() {
    let call = load_transcripts(
        &[
            fixture("search-handoff.jsonl"),
            fixture("search-bridge.json"),
        ],
        None,
    )
    .unwrap();
    let r = build_record(&call, &Options::default());
    assert_eq!(r.recordings[0].name, "search-bridge");
    assert_eq!(r.recordings[1].offset_s, 3000.0);
    let last = r.utterances.last().unwrap();
    assert!(last.id.starts_with("search-handoff:"));
    assert_eq!(last.speaker.as_deref(), Some("Kim"));
    assert!(r.timeline.iter().any(|e| e.kind.as_str() == "handoff"));
    let kim = r
        .action_items
        .iter()
        .find(|a| a.owner.as_deref() == Some("Kim"))
        .expect("Kim's follow-up");
    assert_eq!(
        kim.due.map(|d| d.to_string()).as_deref(),
        Some("2026-06-08")
    );
}

#[test]
#[ignore]
fn print_fixture_record() {
    println!("{}", serde_json::to_string_pretty(&record()).unwrap());
}

#[test]
fn shipped_example_template_renders() {
    let r = record();
    let p = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/templates/one-page.md.j2"
    ));
    let out = template::render_file(&p, &r).unwrap();
    assert!(out.contains("## Follow-ups"));
    assert!(out.contains("Omar"));
    assert!(out.contains("13:31"));
}
