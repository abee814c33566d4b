//! `hotwash eval postmortem`: build records from each scenario's reference
//! transcript (and, when given, the engine's transcript of its audio) and
//! score them against the scenario's `truth`.

pub mod score;
pub mod truth;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::extract::{build_record, Options};
use crate::input::{load_transcripts, read_transcript};
pub use score::{Accuracy, Prf, Scores};
pub use truth::{read_scenario, Scenario};

/// Scenario files in a directory (or the file itself), sorted.
pub fn scenario_files(dir: &Path) -> Result<Vec<PathBuf>> {
    if dir.is_file() {
        return Ok(vec![dir.to_path_buf()]);
    }
    let rd = std::fs::read_dir(dir).map_err(|source| Error::Read {
        path: dir.to_path_buf(),
        err: source,
    })?;
    let mut out: Vec<PathBuf> = rd
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension().is_some_and(|e| e == "json")
                && !p.to_string_lossy().ends_with(".ref.json")
                && std::fs::read_to_string(p).is_ok_and(|t| t.contains("\"truth\""))
        })
        .collect();
    out.sort();
    Ok(out)
}

fn reference_for(scenario_path: &Path, id: &str) -> Option<PathBuf> {
    let dir = scenario_path.parent().unwrap_or(Path::new("."));
    [
        dir.join("rendered").join(format!("{id}.ref.json")),
        dir.join(format!("{id}.ref.json")),
    ]
    .into_iter()
    .find(|p| p.is_file())
}

/// Turn id → (start, end) seconds from a reference transcript.
pub fn turn_spans(reference: &Path) -> Result<HashMap<String, (f64, f64)>> {
    let t = read_transcript(reference)?;
    Ok(t.utterances
        .into_iter()
        .map(|u| (u.id, (u.start, u.end)))
        .collect())
}

/// Scores every scenario under `dirs`: from the reference transcript, and from
/// `transcripts/<id>.json` (the engine's transcript) when that exists; the
/// engine's transcript is read with the scenario's participant list as its
/// roster, as a team would pass `--roster` for its own call.
pub fn evaluate(dirs: &[PathBuf], transcripts: Option<&Path>) -> Result<Vec<Scores>> {
    let mut out = Vec::new();
    for dir in dirs {
        for path in scenario_files(dir)? {
            let sc = read_scenario(&path)?;
            let Some(reference) = reference_for(&path, &sc.id) else {
                return Err(Error::Scenario {
                    path,
                    reason: format!(
                        "no reference transcript rendered/{}.ref.json beside it",
                        sc.id
                    ),
                });
            };
            let spans = turn_spans(&reference)?;
            let call = load_transcripts(&[&reference], None)?;
            let record = build_record(&call, &Options::default());
            out.push(score::score(&record, &sc, &spans, "reference"));
            if let Some(dir) = transcripts {
                for name in [format!("{}.json", sc.id), format!("{}.jsonl", sc.id)] {
                    let p = dir.join(&name);
                    if p.is_file() {
                        let roster = sc.roster();
                        let call = load_transcripts(&[&p], Some(&roster))?;
                        let record = build_record(&call, &Options::default());
                        out.push(score::score(&record, &sc, &spans, "engine"));
                        break;
                    }
                }
            }
        }
    }
    Ok(out)
}

/// Micro-averaged totals per source (`reference`, `engine`).
pub fn totals(scores: &[Scores]) -> Vec<Scores> {
    let mut out: Vec<Scores> = Vec::new();
    for s in scores {
        let t = match out.iter_mut().find(|t| t.source == s.source) {
            Some(t) => t,
            None => {
                out.push(Scores {
                    scenario: "total".into(),
                    source: s.source.clone(),
                    ..Scores::default()
                });
                let n = out.len() - 1;
                &mut out[n]
            }
        };
        t.add(s);
    }
    out
}

fn pct(v: f64) -> String {
    format!("{:.2}", v)
}

/// The scores as a plain-text table.
pub fn table(scores: &[Scores]) -> String {
    let mut rows = vec![vec![
        "scenario".to_string(),
        "source".into(),
        "act P".into(),
        "act R".into(),
        "owner".into(),
        "due".into(),
        "vague".into(),
        "dec P".into(),
        "dec R".into(),
        "mit P".into(),
        "mit R".into(),
        "worked".into(),
        "evid P".into(),
        "evid R".into(),
        "hyp P".into(),
        "hyp R".into(),
        "hyp F1".into(),
        "tl R".into(),
    ]];
    let all: Vec<Scores> = scores.iter().cloned().chain(totals(scores)).collect();
    for s in &all {
        rows.push(vec![
            s.scenario.clone(),
            s.source.clone(),
            pct(s.action_items.precision()),
            pct(s.action_items.recall()),
            pct(s.owner.rate()),
            pct(s.due.rate()),
            pct(s.vague.rate()),
            pct(s.decisions.precision()),
            pct(s.decisions.recall()),
            pct(s.mitigations.precision()),
            pct(s.mitigations.recall()),
            pct(s.worked.rate()),
            pct(s.evidence.precision()),
            pct(s.evidence.recall()),
            pct(s.hypotheses.precision()),
            pct(s.hypotheses.recall()),
            pct(s.hypotheses.f1()),
            pct(s.timeline.recall()),
        ]);
    }
    let widths: Vec<usize> = (0..rows[0].len())
        .map(|c| rows.iter().map(|r| r[c].len()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for r in rows {
        let line: Vec<String> = r
            .iter()
            .enumerate()
            .map(|(c, v)| format!("{v:<w$}", w = widths[c]))
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out
}
