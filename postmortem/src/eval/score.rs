//! Scoring a record against a scenario's truth. An item matches a truth turn
//! when its `offset_s` lies within that turn's span (±2 s); each truth item
//! matches at most one extracted item and vice versa (closest first).

use std::collections::HashMap;

use serde::Serialize;

use super::truth::Scenario;
use crate::record::{EvidenceKind, IncidentRecord};

/// Seconds of slack around a truth turn's span.
pub const SLACK_S: f64 = 2.0;

/// True and false positives and misses.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Prf {
    /// Matched.
    pub tp: usize,
    /// Extracted but not in truth.
    pub fp: usize,
    /// In truth but not extracted.
    pub fn_: usize,
}

impl Prf {
    /// Precision (1 when nothing was extracted and nothing was expected).
    pub fn precision(&self) -> f64 {
        if self.tp + self.fp == 0 {
            if self.fn_ == 0 {
                1.0
            } else {
                0.0
            }
        } else {
            self.tp as f64 / (self.tp + self.fp) as f64
        }
    }

    /// Recall (1 when nothing was expected).
    pub fn recall(&self) -> f64 {
        if self.tp + self.fn_ == 0 {
            1.0
        } else {
            self.tp as f64 / (self.tp + self.fn_) as f64
        }
    }

    /// F1.
    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }

    fn add(&mut self, o: &Prf) {
        self.tp += o.tp;
        self.fp += o.fp;
        self.fn_ += o.fn_;
    }
}

/// Right out of total.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Accuracy {
    /// Right.
    pub right: usize,
    /// Judged.
    pub total: usize,
}

impl Accuracy {
    /// Fraction right (1 when nothing was judged).
    pub fn rate(&self) -> f64 {
        if self.total == 0 {
            1.0
        } else {
            self.right as f64 / self.total as f64
        }
    }

    fn judge(&mut self, ok: bool) {
        self.total += 1;
        self.right += usize::from(ok);
    }

    fn add(&mut self, o: &Accuracy) {
        self.right += o.right;
        self.total += o.total;
    }
}

/// Every score for one record.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Scores {
    /// Scenario id (or `total`).
    pub scenario: String,
    /// `reference` or `engine`.
    pub source: String,
    /// Action items.
    pub action_items: Prf,
    /// Owner right, over matched action items.
    pub owner: Accuracy,
    /// Due date right, over matched action items.
    pub due: Accuracy,
    /// Vague flag right, over matched action items.
    pub vague: Accuracy,
    /// Category right, over matched action items.
    pub category: Accuracy,
    /// Decisions.
    pub decisions: Prf,
    /// Mitigations.
    pub mitigations: Prf,
    /// Worked/failed right, over matched mitigations.
    pub worked: Accuracy,
    /// Evidence (kind, and value for ids).
    pub evidence: Prf,
    /// Hypothesis labels.
    pub hypotheses: Prf,
    /// Timeline events (kind-aware).
    pub timeline: Prf,
    /// Severity right.
    pub severity: Accuracy,
    /// What was missed or extra, for reading.
    pub notes: Vec<String>,
}

impl Scores {
    /// Adds another record's counts (micro-average totals).
    pub fn add(&mut self, o: &Scores) {
        self.action_items.add(&o.action_items);
        self.owner.add(&o.owner);
        self.due.add(&o.due);
        self.vague.add(&o.vague);
        self.category.add(&o.category);
        self.decisions.add(&o.decisions);
        self.mitigations.add(&o.mitigations);
        self.worked.add(&o.worked);
        self.evidence.add(&o.evidence);
        self.hypotheses.add(&o.hypotheses);
        self.timeline.add(&o.timeline);
        self.severity.add(&o.severity);
    }
}

/// Distance from an offset to a turn's span (0 inside), None beyond the slack.
fn distance(offset: f64, span: (f64, f64)) -> Option<f64> {
    let d = if offset < span.0 {
        span.0 - offset
    } else if offset > span.1 {
        offset - span.1
    } else {
        0.0
    };
    (d <= SLACK_S).then_some(d)
}

/// One-to-one matching of extracted offsets to truth turns, closest first.
/// Returns (truth index, extracted index) pairs.
pub fn match_items(
    preds: &[f64],
    truths: &[&str],
    spans: &HashMap<String, (f64, f64)>,
    compatible: &dyn Fn(usize, usize) -> bool,
) -> Vec<(usize, usize)> {
    let mut pairs: Vec<(f64, usize, usize)> = Vec::new();
    for (ti, turn) in truths.iter().enumerate() {
        let Some(&span) = spans.get(*turn) else {
            continue;
        };
        for (pi, &off) in preds.iter().enumerate() {
            if let Some(d) = distance(off, span) {
                if compatible(ti, pi) {
                    pairs.push((d, ti, pi));
                }
            }
        }
    }
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    let mut used_t = vec![false; truths.len()];
    let mut used_p = vec![false; preds.len()];
    let mut out = Vec::new();
    for (_, ti, pi) in pairs {
        if !used_t[ti] && !used_p[pi] {
            used_t[ti] = true;
            used_p[pi] = true;
            out.push((ti, pi));
        }
    }
    out
}

fn prf(matched: usize, preds: usize, truths: usize) -> Prf {
    Prf {
        tp: matched,
        fp: preds - matched,
        fn_: truths - matched,
    }
}

fn ident(v: &str) -> String {
    v.to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == '.')
        .collect()
}

fn evidence_value_matches(kind: &str, truth: &str, got: &str) -> bool {
    match kind {
        "deploy" | "release" | "commit" | "ticket" => ident(truth) == ident(got),
        "pull_request" => {
            let d = |s: &str| s.chars().filter(char::is_ascii_digit).collect::<String>();
            d(truth) == d(got)
        }
        _ => true,
    }
}

fn first_name(s: &str) -> String {
    s.split_whitespace().next().unwrap_or("").to_lowercase()
}

/// Scores a record against a scenario, with turn spans from its reference transcript.
pub fn score(
    record: &IncidentRecord,
    sc: &Scenario,
    spans: &HashMap<String, (f64, f64)>,
    source: &str,
) -> Scores {
    let t = &sc.truth;
    let mut s = Scores {
        scenario: sc.id.clone(),
        source: source.to_string(),
        ..Scores::default()
    };
    // Action items.
    let preds: Vec<f64> = record.action_items.iter().map(|a| a.offset_s).collect();
    let truths: Vec<&str> = t.action_items.iter().map(|a| a.turn.as_str()).collect();
    let m = match_items(&preds, &truths, spans, &|_, _| true);
    s.action_items = prf(m.len(), preds.len(), truths.len());
    for &(ti, pi) in &m {
        let (ta, pa) = (&t.action_items[ti], &record.action_items[pi]);
        let want = ta
            .owner
            .as_ref()
            .map(|k| first_name(sc.names.get(k).unwrap_or(k)));
        let got = pa.owner.as_deref().map(first_name);
        s.owner.judge(want == got);
        if want != got {
            s.notes
                .push(format!("owner {}: want {want:?} got {got:?}", ta.turn));
        }
        let got_due = pa.due.map(|d| d.to_string());
        s.due.judge(ta.due == got_due);
        if ta.due != got_due {
            s.notes.push(format!(
                "due {}: want {:?} got {got_due:?}",
                ta.turn, ta.due
            ));
        }
        s.vague.judge(ta.vague == pa.vague);
        if ta.vague != pa.vague {
            s.notes.push(format!(
                "vague {}: want {} got {} {:?}",
                ta.turn, ta.vague, pa.vague, pa.vague_reasons
            ));
        }
        if let Some(c) = &ta.category {
            s.category.judge(c == pa.category.as_str());
            if c != pa.category.as_str() {
                s.notes.push(format!(
                    "category {}: want {c} got {}",
                    ta.turn,
                    pa.category.as_str()
                ));
            }
        }
    }
    note_misses(
        &mut s.notes,
        "action",
        &truths,
        &m,
        &record
            .action_items
            .iter()
            .map(|a| format!("{:.1}s {}", a.offset_s, a.action))
            .collect::<Vec<_>>(),
    );
    // Decisions.
    let preds: Vec<f64> = record.decisions.iter().map(|d| d.offset_s).collect();
    let truths: Vec<&str> = t.decisions.iter().map(|d| d.turn.as_str()).collect();
    let m = match_items(&preds, &truths, spans, &|_, _| true);
    s.decisions = prf(m.len(), preds.len(), truths.len());
    note_misses(
        &mut s.notes,
        "decision",
        &truths,
        &m,
        &record
            .decisions
            .iter()
            .map(|d| format!("{:.1}s {}", d.offset_s, d.decision))
            .collect::<Vec<_>>(),
    );
    // Mitigations.
    let preds: Vec<f64> = record.mitigations.iter().map(|d| d.offset_s).collect();
    let truths: Vec<&str> = t.mitigations.iter().map(|d| d.turn.as_str()).collect();
    let m = match_items(&preds, &truths, spans, &|_, _| true);
    s.mitigations = prf(m.len(), preds.len(), truths.len());
    for &(ti, pi) in &m {
        s.worked
            .judge(t.mitigations[ti].worked == record.mitigations[pi].worked);
    }
    note_misses(
        &mut s.notes,
        "mitigation",
        &truths,
        &m,
        &record
            .mitigations
            .iter()
            .map(|d| format!("{:.1}s {}", d.offset_s, d.what))
            .collect::<Vec<_>>(),
    );
    // Evidence.
    let preds: Vec<f64> = record.evidence.iter().map(|e| e.offset_s).collect();
    let truths: Vec<&str> = t.evidence.iter().map(|e| e.turn.as_str()).collect();
    let kinds: Vec<EvidenceKind> = record.evidence.iter().map(|e| e.kind).collect();
    let m = match_items(&preds, &truths, spans, &|ti, pi| {
        let te = &t.evidence[ti];
        te.kind == kinds[pi].as_str()
            && evidence_value_matches(&te.kind, &te.value, &record.evidence[pi].value)
    });
    s.evidence = prf(m.len(), preds.len(), truths.len());
    note_misses(
        &mut s.notes,
        "evidence",
        &truths,
        &m,
        &record
            .evidence
            .iter()
            .map(|e| format!("{:.1}s {} {}", e.offset_s, e.kind.as_str(), e.value))
            .collect::<Vec<_>>(),
    );
    // Hypothesis labels.
    let preds: Vec<f64> = record.hypotheses.iter().map(|h| h.offset_s).collect();
    let truths: Vec<&str> = t.hypotheses.iter().map(String::as_str).collect();
    let m = match_items(&preds, &truths, spans, &|_, _| true);
    s.hypotheses = prf(m.len(), preds.len(), truths.len());
    note_misses(
        &mut s.notes,
        "hypothesis",
        &truths,
        &m,
        &record
            .hypotheses
            .iter()
            .map(|h| format!("{:.1}s {}", h.offset_s, h.text))
            .collect::<Vec<_>>(),
    );
    // Timeline.
    let preds: Vec<f64> = record.timeline.iter().map(|e| e.offset_s).collect();
    let truths: Vec<&str> = t.events.iter().map(|e| e.turn.as_str()).collect();
    let m = match_items(&preds, &truths, spans, &|ti, pi| {
        t.events[ti].kind == record.timeline[pi].kind.as_str()
    });
    s.timeline = prf(m.len(), preds.len(), truths.len());
    if let Some(sev) = &t.severity {
        s.severity
            .judge(record.incident.severity.as_deref() == Some(sev.as_str()));
    }
    s
}

fn note_misses(
    notes: &mut Vec<String>,
    what: &str,
    truths: &[&str],
    m: &[(usize, usize)],
    preds: &[String],
) {
    for (ti, turn) in truths.iter().enumerate() {
        if !m.iter().any(|x| x.0 == ti) {
            notes.push(format!("missed {what} {turn}"));
        }
    }
    for (pi, p) in preds.iter().enumerate() {
        if !m.iter().any(|x| x.1 == pi) {
            notes.push(format!("extra {what} {p}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matching_is_one_to_one_and_uses_slack() {
        let spans: HashMap<String, (f64, f64)> = [
            ("t1".to_string(), (10.0, 15.0)),
            ("t2".to_string(), (16.0, 20.0)),
        ]
        .into();
        let m = match_items(&[9.0, 16.5, 30.0], &["t1", "t2"], &spans, &|_, _| true);
        assert_eq!(m, vec![(1, 1), (0, 0)]);
        let p = prf(m.len(), 3, 2);
        assert_eq!((p.precision() * 3.0).round(), 2.0);
        assert_eq!(p.recall(), 1.0);
        assert!(match_items(&[7.5], &["t1"], &spans, &|_, _| true).is_empty());
    }
}
