//! The review section: changes checked against revisions, edits validated,
//! items added by hand, a re-extraction keeping every human decision, the
//! renderings leaving rejected items out, and `/1` records migrated.

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::{TimeZone, Utc};
use hotwash_postmortem::record::{parse_record, IncidentRecord, RecordError, SCHEMA};
use hotwash_postmortem::review::{
    add_item, apply_change, carry_over, item_keys, reviewed, state_of, Addition, Change,
    ChangeAction, ItemKind, ReviewError, ReviewState,
};
use hotwash_postmortem::{build_record, load_transcripts, render_all_with, Options};
use serde_json::json;

fn record() -> IncidentRecord {
    let path = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures"))
        .join("search-bridge.json");
    let call = load_transcripts(&[path], None).unwrap();
    build_record(&call, &Options::default())
}

fn change(key: &str, revision: u64, action: ChangeAction) -> Change {
    Change {
        key: key.to_string(),
        revision,
        reviewer: "Dana Reviewer".into(),
        action,
        fields: BTreeMap::new(),
    }
}

fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 2, 10, 0, 0).unwrap()
}

#[test]
fn keys_are_unique_and_stable_across_extractions() {
    let a = record();
    let b = record();
    for kind in ItemKind::ALL {
        let ka = item_keys(&a, kind);
        let mut uniq = ka.clone();
        uniq.sort();
        uniq.dedup();
        assert_eq!(uniq.len(), ka.len(), "{kind:?} keys repeat: {ka:?}");
        assert_eq!(ka, item_keys(&b, kind));
    }
    assert!(!item_keys(&a, ItemKind::Action).is_empty());
}

#[test]
fn a_stale_change_is_refused_and_changes_nothing() {
    let mut r = record();
    let key = item_keys(&r, ItemKind::Decision)[0].clone();
    let done = apply_change(&mut r, &change(&key, 0, ChangeAction::Confirm), now()).unwrap();
    assert_eq!(done.revision, 1);
    assert_eq!(done.reviewer.as_deref(), Some("Dana Reviewer"));
    let before = r.clone();
    let e = apply_change(&mut r, &change(&key, 0, ChangeAction::Reject), now()).unwrap_err();
    assert!(
        matches!(
            e,
            ReviewError::Stale {
                current: 1,
                given: 0,
                ..
            }
        ),
        "{e}"
    );
    assert!(e.to_string().contains("reload"), "{e}");
    assert_eq!(r, before);
    let mut nobody = change(&key, 1, ChangeAction::Reject);
    nobody.reviewer = " ".into();
    assert_eq!(
        apply_change(&mut r, &nobody, now()).unwrap_err(),
        ReviewError::NoReviewer
    );
}

#[test]
fn edits_are_validated_and_answer_vague_reasons() {
    let mut r = record();
    let key = item_keys(&r, ItemKind::Action)[0].clone();
    let mut c = change(&key, 0, ChangeAction::Edit);
    c.fields.insert("due".into(), json!("not a date"));
    assert!(matches!(
        apply_change(&mut r, &c, now()).unwrap_err(),
        ReviewError::BadValue { .. }
    ));
    let mut c = change(&key, 0, ChangeAction::Edit);
    c.fields.insert("sources".into(), json!(["t1"]));
    assert!(matches!(
        apply_change(&mut r, &c, now()).unwrap_err(),
        ReviewError::NotEditable { .. }
    ));
    let mut c = change(&key, 0, ChangeAction::Edit);
    c.fields.insert("owner".into(), json!("Someone Else"));
    c.fields.insert("due".into(), json!("2026-12-24"));
    c.fields.insert("priority".into(), json!("High"));
    c.fields.insert("category".into(), json!("detection"));
    c.fields
        .insert("verification".into(), json!("an alert fires in staging"));
    let done = apply_change(&mut r, &c, now()).unwrap();
    assert_eq!(done.state, ReviewState::Edited);
    let a = &r.action_items[0];
    assert_eq!(a.owner.as_deref(), Some("Someone Else"));
    assert_eq!(a.due.unwrap().to_string(), "2026-12-24");
    assert!(!a.vague_reasons.iter().any(|w| w.contains("owner")));
    let key = item_keys(&r, ItemKind::Timeline)[0].clone();
    let mut c = change(&key, 0, ChangeAction::Edit);
    c.fields.insert("status".into(), json!("hypothesis"));
    apply_change(&mut r, &c, now()).unwrap();
    assert_eq!(
        r.timeline[0].status,
        hotwash_postmortem::record::Status::Hypothesis
    );
}

#[test]
fn a_re_extraction_keeps_every_human_decision() {
    let mut reviewed_record = record();
    let actions = item_keys(&reviewed_record, ItemKind::Action);
    let decisions = item_keys(&reviewed_record, ItemKind::Decision);
    apply_change(
        &mut reviewed_record,
        &change(&actions[0], 0, ChangeAction::Confirm),
        now(),
    )
    .unwrap();
    let mut edit = change(&decisions[0], 0, ChangeAction::Edit);
    edit.fields
        .insert("decision".into(), json!("our own wording of it"));
    apply_change(&mut reviewed_record, &edit, now()).unwrap();
    let rejected = actions.last().unwrap().clone();
    apply_change(
        &mut reviewed_record,
        &change(&rejected, 0, ChangeAction::Reject),
        now(),
    )
    .unwrap();
    let u = reviewed_record.utterances[2].id.clone();
    let mut fields = BTreeMap::new();
    fields.insert("action".into(), json!("write the runbook page"));
    let added = add_item(
        &mut reviewed_record,
        &Addition {
            kind: ItemKind::Action,
            utterance: u,
            reviewer: "Dana Reviewer".into(),
            fields,
        },
        now(),
    )
    .unwrap();

    // Through JSON, as the file holds it, then a fresh extraction.
    let text = serde_json::to_string(&reviewed_record).unwrap();
    let prev = parse_record(&text).unwrap();
    let mut again = record();
    carry_over(&mut again, &prev);
    assert_eq!(again.review, prev.review);
    assert_eq!(again.decisions[0].decision, "our own wording of it");
    assert_eq!(state_of(&again, &decisions[0]), ReviewState::Edited);
    assert_eq!(state_of(&again, &actions[0]), ReviewState::Confirmed);
    assert_eq!(state_of(&again, &rejected), ReviewState::Rejected);
    assert!(item_keys(&again, ItemKind::Action).contains(&added));
    assert!(again
        .action_items
        .iter()
        .any(|a| a.action == "write the runbook page"));

    // Renderings: the rejected item is gone; confirmed-only keeps two.
    let shown = reviewed(&again, false);
    assert_eq!(shown.action_items.len(), again.action_items.len() - 1);
    let confirmed = reviewed(&again, true);
    assert_eq!(confirmed.action_items.len(), 2);
    let dir = tempfile::tempdir().unwrap();
    render_all_with(&again, dir.path(), None, true).unwrap();
    let jira = std::fs::read_to_string(dir.path().join("actions-jira.csv")).unwrap();
    let rows = csv::Reader::from_reader(jira.as_bytes()).records().count();
    assert_eq!(rows, 2, "{jira}");
    let mut back = hotwash_postmortem::read_record(&dir.path().join("incident.json")).unwrap();
    // The record notes how its files were rendered (for the review page's
    // saves), and is otherwise the record given.
    assert!(back.rendering.confirmed_only);
    assert_eq!(back.rendering.template, None);
    back.rendering = Default::default();
    assert_eq!(back, again);
}

#[test]
fn an_old_record_is_migrated_and_another_schema_refused() {
    let r = record();
    let mut v = serde_json::to_value(&r).unwrap();
    v["schema"] = json!("hotwash.incident/1");
    v.as_object_mut().unwrap().remove("review");
    let migrated = parse_record(&v.to_string()).unwrap();
    assert_eq!(migrated.schema, SCHEMA);
    assert!(migrated.review.items.is_empty());
    v["schema"] = json!("someone.else/7");
    let e = parse_record(&v.to_string()).unwrap_err();
    assert!(matches!(e, RecordError::Schema { .. }), "{e}");
    assert!(e.to_string().contains("someone.else/7"), "{e}");
}

/// Every number in a text (digit runs with decimal points, commas dropped).
fn numbers(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for c in text.chars().chain(std::iter::once(' ')) {
        if c.is_ascii_digit() || (c == '.' && !cur.is_empty()) || (c == ',' && !cur.is_empty()) {
            cur.push(c);
        } else if !cur.is_empty() {
            out.push(cur.trim_end_matches(['.', ',']).replace(',', ""));
            cur.clear();
        }
    }
    out
}

#[test]
fn briefs_of_a_reviewed_record_use_only_its_numbers() {
    use hotwash_postmortem::render::briefs;
    let mut r = record();
    let actions = item_keys(&r, ItemKind::Action);
    let mut c = change(&actions[0], 0, ChangeAction::Edit);
    c.fields.insert("due".into(), json!("2026-12-31"));
    apply_change(&mut r, &c, now()).unwrap();
    let decisions = item_keys(&r, ItemKind::Decision);
    apply_change(
        &mut r,
        &change(&decisions[0], 0, ChangeAction::Reject),
        now(),
    )
    .unwrap();
    let shown = reviewed(&r, false);
    assert_eq!(shown.decisions.len(), r.decisions.len() - 1);
    let json = serde_json::to_string(&shown).unwrap();
    for (name, brief) in [
        ("exec", briefs::executive(&shown)),
        ("engineering", briefs::engineering(&shown)),
        ("support", briefs::support(&shown)),
    ] {
        for n in numbers(&brief) {
            assert!(
                json.contains(&n),
                "{name} brief has {n}, which the reviewed record does not:\n{brief}"
            );
        }
        assert!(
            !brief.contains(&r.decisions[0].decision),
            "{name} brief shows the rejected decision"
        );
    }
}

#[test]
fn a_save_renders_again_through_the_template_and_choice_of_the_first_run() {
    let dir = tempfile::tempdir().unwrap();
    let template = dir.path().join("ours.md.j2");
    std::fs::write(&template, "OUR FORMAT {{ incident.id }}\n").unwrap();
    let out = dir.path().join("incident");
    render_all_with(&record(), &out, Some(&template), true).unwrap();
    let written = hotwash_postmortem::read_record(&out.join("incident.json")).unwrap();
    assert!(written.rendering.confirmed_only);
    assert!(written.rendering.template.is_some());

    // What the review page does after a change: the same template, the
    // same export choice.
    std::fs::remove_file(out.join("postmortem.md")).unwrap();
    hotwash_postmortem::render_again(&written, &out).unwrap();
    let pm = std::fs::read_to_string(out.join("postmortem.md")).unwrap();
    assert!(pm.starts_with("OUR FORMAT "), "{pm}");
    let again = hotwash_postmortem::read_record(&out.join("incident.json")).unwrap();
    assert_eq!(again.rendering, written.rendering);

    // The template gone: the save is refused naming it, and nothing is
    // rewritten (the record on disk is the one before).
    std::fs::remove_file(&template).unwrap();
    let before = std::fs::read_to_string(out.join("incident.json")).unwrap();
    let mut changed = written.clone();
    changed.incident.title = "a title the save would have written".into();
    let err = hotwash_postmortem::render_again(&changed, &out).unwrap_err();
    assert!(err.to_string().contains("ours.md.j2"), "{err}");
    assert_eq!(
        std::fs::read_to_string(out.join("incident.json")).unwrap(),
        before
    );
}
