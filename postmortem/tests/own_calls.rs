//! End to end on calls the project wrote itself (`fixtures/scenarios`), in
//! styles unlike the evaluation corpus: the record built from the script's
//! transcript, with the shipped rules and learned labeller, holds the
//! decisions, owners and due dates a scribe would write down. `own-10` (a
//! sleepy two-person huddle with a late vendor engineer and a wrong
//! read-back) is held out of the shipped head's training.

use std::path::PathBuf;

use hotwash_postmortem::{build_record, eval, Options};

fn case(id: &str) -> eval::Case {
    let dir = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../fixtures/scenarios"
    ));
    let path = eval::scenario_files(&dir)
        .unwrap()
        .into_iter()
        .find(|p| p.file_name().unwrap().to_string_lossy().starts_with(id))
        .unwrap();
    eval::Case::load(&path).unwrap()
}

#[test]
fn midnight_huddle_record_has_its_owners_dates_and_decisions() {
    let c = case("own-10");
    let call = c.reference_call().unwrap();
    let r = build_record(&call, &Options::default());
    // Within a turn's span (±2 s), as the scorer places items.
    let within = |o: f64, turn: &str| {
        let u = call.utterances.iter().find(|u| u.id == turn).unwrap();
        o >= u.offset_s - 2.0 && o <= u.end_s + 2.0
    };
    let owned: Vec<(f64, &str, String)> = r
        .action_items
        .iter()
        .filter_map(|a| Some((a.offset_s, a.owner.as_deref()?, a.due?.to_string())))
        .collect();
    let has = |turn: &str, who: &str, due: &str| {
        owned
            .iter()
            .any(|(o, w, d)| within(*o, turn) && *w == who && d == due)
    };
    // Two self-assigned items in one turn, each with its own date.
    assert!(has("t34", "Sam", "2026-02-13"), "{owned:?}");
    assert!(has("t34", "Sam", "2026-02-16"), "{owned:?}");
    // Assigned by name to the vendor-side contact.
    assert!(has("t36", "Vikram", "2026-02-12"), "{owned:?}");
    // The read-back named the wrong owner; the reply corrected it.
    assert!(has("t37", "Erin", "2026-02-18"), "{owned:?}");
    assert!(!owned
        .iter()
        .any(|(o, w, _)| within(*o, "t37") && *w == "Sam"));
    // The sslmode workaround, decided by the manager.
    assert!(
        r.decisions
            .iter()
            .any(|d| within(d.offset_s, "t19") && d.who.as_deref() == Some("Erin")),
        "{:#?}",
        r.decisions
    );
    // Every item says why it is there.
    assert!(r.action_items.iter().all(|a| a.why.is_some()));
    assert!(r.decisions.iter().all(|d| d.why.is_some()));
}
