//! The corpus in `../shared/scenarios`: the project's scorer must agree with
//! the reference script `score_record.py` on every record, and the figures
//! are printed as a measurement (corpus quality is reported by
//! `hotwash eval postmortem`, not asserted here). Skips when the shared
//! folder is absent.

use std::path::PathBuf;
use std::process::Command;

use hotwash_postmortem::{build_record, eval, Options};
use serde_json::Value;

fn shared() -> Option<PathBuf> {
    let p = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared"));
    if p.join("scenarios").is_dir() {
        Some(p)
    } else {
        println!("skip: {} not found", p.display());
        None
    }
}

#[test]
fn corpus_figures_are_printed() {
    let Some(shared) = shared() else { return };
    let cases = eval::load_cases(&[shared.join("scenarios")]).unwrap();
    assert!(cases.len() >= 3);
    let rows: Vec<eval::Row> = cases
        .iter()
        .map(|c| eval::Row {
            scenario: c.id.clone(),
            source: "reference".into(),
            score: c.score(&build_record(
                &c.reference_call().unwrap(),
                &Options::default(),
            )),
            record: None,
        })
        .collect();
    print!("{}", eval::table(&rows));
}

/// Compares every number of two score documents.
fn compare(path: &str, want: &Value, got: &Value, diffs: &mut Vec<String>) {
    match (want, got) {
        (Value::Object(w), Value::Object(g)) => {
            for (k, wv) in w {
                match g.get(k) {
                    Some(gv) => compare(&format!("{path}.{k}"), wv, gv, diffs),
                    None => diffs.push(format!("{path}.{k}: missing")),
                }
            }
        }
        _ => {
            let (w, g) = (want.as_f64(), got.as_f64());
            match (w, g) {
                (Some(w), Some(g)) if (w - g).abs() <= 0.0011 => {}
                _ => diffs.push(format!("{path}: script {want}, ours {got}")),
            }
        }
    }
}

#[test]
fn scorer_agrees_with_the_reference_script() {
    let Some(shared) = shared() else { return };
    let script = shared.join("tools/score_record.py");
    if Command::new("python3").arg("--version").output().is_err() || !script.is_file() {
        println!("skip: python3 or {} missing", script.display());
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let cases = eval::load_cases(&[shared.join("scenarios")]).unwrap();
    let mut diffs = Vec::new();
    for c in &cases {
        let record = build_record(&c.reference_call().unwrap(), &Options::default());
        let rec_path = tmp.path().join(format!("{}.incident.json", c.id));
        std::fs::write(&rec_path, serde_json::to_string(&record).unwrap()).unwrap();
        let out = Command::new("python3")
            .arg(&script)
            .arg(&c.path)
            .arg(c.reference_path.as_ref().unwrap())
            .arg(&rec_path)
            .arg("--json")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let want: Value = serde_json::from_slice(&out.stdout).unwrap();
        let got = serde_json::to_value(c.score(&record)).unwrap();
        let mut d = Vec::new();
        compare(&c.id, &want, &got, &mut d);
        diffs.extend(d);
    }
    assert!(diffs.is_empty(), "scores differ:\n{}", diffs.join("\n"));
}
