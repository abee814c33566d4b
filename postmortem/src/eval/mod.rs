//! `hotwash eval postmortem`: build records from each scenario's reference
//! transcript (and, when given, the engine's transcript of its audio) and
//! score them against the scenario's `truth` with [`scorer`], the port of
//! `shared/tools/score_record.py`. Figures are per call and their mean over
//! calls, as the reference script reports them.

pub mod scorer;
pub mod truth;

use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::input::parse::parse_transcript;
use crate::input::{assemble, load_transcripts, Call};
use crate::record::IncidentRecord;
pub use scorer::{mean, score_values, trigger_rate, CallScore};
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

/// One scored call: the scenario, its truth and the reference transcript
/// whose turn spans place the truth in time.
#[derive(Debug, Clone)]
pub struct Case {
    /// Scenario id.
    pub id: String,
    /// The scenario file.
    pub path: PathBuf,
    /// The scenario, typed (names, roles, truth).
    pub scenario: Scenario,
    /// The scenario as JSON (what the scorer reads).
    pub scenario_json: Value,
    /// The reference transcript (`.ref.json`) as JSON.
    pub reference: Value,
    /// Where the reference came from: a rendering, or `None` when it was
    /// laid out from the script's words (a call not rendered yet).
    pub reference_path: Option<PathBuf>,
}

/// Seconds a scripted turn takes when it has not been rendered: about the
/// pace of the corpus's synthetic voices.
fn estimated_turn_s(text: &str) -> f64 {
    0.35 * text.split_whitespace().count() as f64 + 0.4
}

/// A reference transcript laid out from the script alone (turn order,
/// pauses, words at a steady pace), for calls that were not rendered: the
/// record and the truth are placed on the same clock, which is all the
/// scorer needs from reference transcripts.
pub fn estimated_reference(scenario: &Value) -> Value {
    let mut t = 0.8_f64;
    let mut turns = Vec::new();
    for turn in scenario["turns"].as_array().into_iter().flatten() {
        let text = turn["text"].as_str().unwrap_or_default();
        let pause = turn["pause"].as_f64().unwrap_or(0.5);
        let start = (t + pause).max(0.0);
        let end = start + estimated_turn_s(text);
        turns.push(serde_json::json!({
            "id": turn["id"], "speaker": turn["speaker"],
            "start": (start * 1000.0).round() / 1000.0,
            "end": (end * 1000.0).round() / 1000.0,
            "text": text,
        }));
        t = end;
    }
    serde_json::json!({
        "id": scenario["id"],
        "title": scenario["title"],
        "start_utc": scenario["recording"]["start_utc"],
        "speakers": scenario["speakers"],
        "turns": turns,
    })
}

fn read_json(path: &Path) -> Result<Value> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        err: source,
    })?;
    serde_json::from_str(&text).map_err(|e| Error::Scenario {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })
}

impl Case {
    /// Reads a scenario and finds its reference (`rendered/<id>.ref.json` or
    /// `<id>.ref.json` beside it; else one laid out from the script).
    pub fn load(path: &Path) -> Result<Case> {
        let scenario = read_scenario(path)?;
        let scenario_json = read_json(path)?;
        let dir = path.parent().unwrap_or(Path::new("."));
        let reference_path = [
            dir.join("rendered")
                .join(format!("{}.ref.json", scenario.id)),
            dir.join(format!("{}.ref.json", scenario.id)),
        ]
        .into_iter()
        .find(|p| p.is_file());
        let reference = match &reference_path {
            Some(p) => read_json(p)?,
            None => estimated_reference(&scenario_json),
        };
        Ok(Case {
            id: scenario.id.clone(),
            path: path.to_path_buf(),
            scenario,
            scenario_json,
            reference,
            reference_path,
        })
    }

    /// The reference transcript as a call (what `hotwash postmortem` reads).
    pub fn reference_call(&self) -> Result<Call> {
        let name = self
            .reference_path
            .clone()
            .unwrap_or_else(|| PathBuf::from(format!("{}.ref.json", self.id)));
        let parsed = parse_transcript(&name, &self.reference.to_string())?;
        Ok(assemble(vec![(name, parsed)], None))
    }

    /// The engine's transcript `<id>.json` (or `.jsonl`) in `dir`, read with
    /// the scenario's participants as the roster, when it exists.
    pub fn engine_call(&self, dir: &Path) -> Result<Option<Call>> {
        for name in [format!("{}.json", self.id), format!("{}.jsonl", self.id)] {
            let p = dir.join(&name);
            if p.is_file() {
                let roster = self.scenario.roster();
                return load_transcripts(&[&p], Some(&roster)).map(Some);
            }
        }
        Ok(None)
    }

    /// Scores a record against this call's truth.
    pub fn score(&self, record: &IncidentRecord) -> CallScore {
        let rec = serde_json::to_value(record).unwrap_or(Value::Null);
        score_values(&self.scenario_json, &self.reference, &rec)
    }
}

/// Every scenario under `dirs`, in order.
pub fn load_cases(dirs: &[PathBuf]) -> Result<Vec<Case>> {
    let mut out = Vec::new();
    for dir in dirs {
        for path in scenario_files(dir)? {
            out.push(Case::load(&path)?);
        }
    }
    Ok(out)
}

/// One call's figures from one kind of transcript.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// Scenario id.
    pub scenario: String,
    /// `reference`, `engine`, or a labeller variant.
    pub source: String,
    /// The figures.
    pub score: CallScore,
    /// The record that was scored, kept so it can be written out and
    /// scored again by another tool (`score_record.py`).
    #[serde(skip)]
    pub record: Option<Box<IncidentRecord>>,
}

fn f2(v: f64) -> String {
    format!("{v:.2}")
}

/// The header and cells of one table row.
fn cells(name: &str, source: &str, s: &CallScore, trigger: f64) -> Vec<String> {
    vec![
        name.to_string(),
        source.to_string(),
        f2(s.actions.f1),
        f2(s.actions.owner),
        f2(s.actions.due),
        f2(s.decisions.f1),
        f2(s.decisions.who),
        f2(s.mitigations.f1),
        f2(s.mitigations.worked),
        f2(s.hypotheses.f1),
        f2(s.evidence.f1),
        f2(s.timeline.r),
        f2(trigger),
        f2(s.rca.factors_r),
        f2(s.impact.r),
        f2(s.overall.f1),
    ]
}

/// The figures as a plain-text table: one row per call and source, then
/// the mean over calls of each source.
pub fn table(rows: &[Row]) -> String {
    let mut out_rows = vec![[
        "scenario",
        "source",
        "act F1",
        "owner",
        "due",
        "dec F1",
        "who",
        "mit F1",
        "worked",
        "hyp F1",
        "evid F1",
        "tl R",
        "trigger",
        "factors R",
        "impact R",
        "mean F1",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect::<Vec<_>>()];
    for r in rows {
        out_rows.push(cells(
            &r.scenario,
            &r.source,
            &r.score,
            f64::from(r.score.rca.trigger),
        ));
    }
    let mut sources: Vec<&str> = Vec::new();
    for r in rows {
        if !sources.contains(&r.source.as_str()) {
            sources.push(&r.source);
        }
    }
    for src in sources {
        let of: Vec<CallScore> = rows
            .iter()
            .filter(|r| r.source == src)
            .map(|r| r.score)
            .collect();
        out_rows.push(cells(
            &format!("mean of {}", of.len()),
            src,
            &mean(&of),
            trigger_rate(&of),
        ));
    }
    let widths: Vec<usize> = (0..out_rows[0].len())
        .map(|c| out_rows.iter().map(|r| r[c].len()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for r in out_rows {
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

/// Scores every case's reference transcript under the given options.
pub fn reference_rows(cases: &[Case], source: &str, opts: &crate::Options) -> Result<Vec<Row>> {
    cases
        .iter()
        .map(|c| {
            let record = crate::build_record(&c.reference_call()?, opts);
            Ok(Row {
                scenario: c.id.clone(),
                source: source.to_string(),
                score: c.score(&record),
                record: Some(Box::new(record)),
            })
        })
        .collect()
}

/// Leave-one-call-out: each case is scored with a head trained on all the
/// other cases, never on itself (with `opts.embedder`, a head that reads
/// its embeddings; wrap it in an [`crate::acts::EmbedCache`] so each
/// utterance is embedded once).
pub fn cross_validate(
    cases: &[Case],
    cfg: &crate::acts::TrainConfig,
    opts: &crate::Options,
) -> Result<Vec<Row>> {
    let cues = crate::acts::CueLabeller::shipped()?;
    let mut rows = Vec::new();
    for (k, c) in cases.iter().enumerate() {
        let others: Vec<&Case> = cases
            .iter()
            .enumerate()
            .filter(|&(i, _)| i != k)
            .map(|(_, c)| c)
            .collect();
        let head = crate::acts::train_on(&others, &cues, cfg, opts.embedder.as_deref())?;
        let opts = crate::Options {
            extraction: crate::Extraction::Combined,
            head: Some(std::sync::Arc::new(head)),
            ..opts.clone()
        };
        let record = crate::build_record(&c.reference_call()?, &opts);
        rows.push(Row {
            scenario: c.id.clone(),
            source: "cross-validated".into(),
            score: c.score(&record),
            record: Some(Box::new(record)),
        });
    }
    Ok(rows)
}
