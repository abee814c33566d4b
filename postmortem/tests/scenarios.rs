//! Builds records from the scenarios' reference transcripts (../shared) and
//! checks the scores are sane. Skips when the shared folder is absent.

use std::path::PathBuf;

use hotwash_postmortem::eval;

fn scenarios() -> Option<PathBuf> {
    let p = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/scenarios"
    ));
    if p.is_dir() {
        Some(p)
    } else {
        println!("skip: {} not found", p.display());
        None
    }
}

#[test]
fn reference_transcripts_score_sanely() {
    let Some(dir) = scenarios() else { return };
    let scores = eval::evaluate(&[dir], None).unwrap();
    assert!(scores.len() >= 3);
    print!("{}", eval::table(&scores));
    if std::env::var("HOTWASH_EVAL_NOTES").is_ok() {
        for s in &scores {
            for n in &s.notes {
                println!("{} {n}", s.scenario);
            }
        }
    }
    let total = eval::totals(&scores).remove(0);
    assert!(
        total.action_items.recall() >= 0.8,
        "action recall {}",
        total.action_items.recall()
    );
    assert!(total.action_items.precision() >= 0.8);
    assert!(total.decisions.recall() >= 0.7);
    assert!(total.evidence.recall() >= 0.8);
    assert!(total.hypotheses.f1() >= 0.7);
    assert!(total.owner.rate() >= 0.8 && total.due.rate() >= 0.8);
}

/// Writes each reference record to $HOTWASH_DUMP (for reading by hand).
#[test]
fn dump_records_when_asked() {
    let (Some(dir), Ok(out)) = (scenarios(), std::env::var("HOTWASH_DUMP")) else {
        return;
    };
    for p in eval::scenario_files(&dir).unwrap() {
        let sc = eval::read_scenario(&p).unwrap();
        let r = dir.join("rendered").join(format!("{}.ref.json", sc.id));
        let call = hotwash_postmortem::load_transcripts(&[&r], None).unwrap();
        let rec = hotwash_postmortem::build_record(&call, &Default::default());
        std::fs::write(
            format!("{out}/{}.json", sc.id),
            serde_json::to_string_pretty(&rec).unwrap(),
        )
        .unwrap();
    }
}

/// Scores engine-style transcripts in $HOTWASH_TRANSCRIPTS (named `<id>.json`) as well.
#[test]
fn score_engine_transcripts_when_given() {
    let (Some(dir), Ok(t)) = (scenarios(), std::env::var("HOTWASH_TRANSCRIPTS")) else {
        return;
    };
    let scores = eval::evaluate(&[dir], Some(std::path::Path::new(&t))).unwrap();
    print!("{}", eval::table(&scores));
    for s in scores.iter().filter(|s| s.source == "engine") {
        for n in &s.notes {
            println!("{} {n}", s.scenario);
        }
    }
}

/// The briefs of the scenario records only use the records' own numbers and
/// times, the executive brief stays under 120 words, and the support brief
/// names nobody.
#[test]
fn scenario_briefs_agree_with_their_records() {
    let Some(dir) = scenarios() else { return };
    for p in eval::scenario_files(&dir).unwrap() {
        let sc = eval::read_scenario(&p).unwrap();
        let r = dir.join("rendered").join(format!("{}.ref.json", sc.id));
        let call = hotwash_postmortem::load_transcripts(&[&r], None).unwrap();
        let rec = hotwash_postmortem::build_record(&call, &Default::default());
        let json = serde_json::to_string(&rec).unwrap();
        use hotwash_postmortem::render::briefs;
        let exec = briefs::executive(&rec);
        assert!(briefs::word_count(&exec) < 120, "{exec}");
        for b in [exec, briefs::engineering(&rec), briefs::support(&rec)] {
            let mut cur = String::new();
            for c in b.chars().chain(std::iter::once(' ')) {
                if c.is_ascii_digit() || (c == '.' && !cur.is_empty()) {
                    cur.push(c);
                } else if !cur.is_empty() {
                    let n = cur.trim_end_matches('.').to_string();
                    assert!(
                        json.contains(&n),
                        "{}: brief number {n} not in the record",
                        sc.id
                    );
                    cur.clear();
                }
            }
        }
        let support = briefs::support(&rec);
        for s in &rec.speakers {
            assert!(
                !support.contains(&s.name),
                "{}: support brief names {}",
                sc.id,
                s.name
            );
        }
    }
}
