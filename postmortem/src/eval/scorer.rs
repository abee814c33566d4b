//! The corpus scorer, figure for figure the same as
//! `shared/tools/score_record.py`: the same placement of items in time, the
//! same greedy one-to-one matching in truth order, the same slot checks and
//! the same rounding, so `hotwash eval postmortem` and the reference script
//! agree on every record (a test runs both on one record).
//!
//! It reads the record and the scenario as JSON values, as the script does,
//! so it scores any record of the schema, not only ones this crate built.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use regex::Regex;
use serde::Serialize;
use serde_json::Value;

/// Seconds of slack around a truth turn's span.
pub const SLACK_S: f64 = 2.0;

/// Precision, recall and F1 of one artifact, with its slot accuracies.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct ActionFigures {
    /// Precision.
    #[serde(rename = "P")]
    pub p: f64,
    /// Recall.
    #[serde(rename = "R")]
    pub r: f64,
    /// F1.
    #[serde(rename = "F1")]
    pub f1: f64,
    /// Owner right among matched items.
    pub owner: f64,
    /// Due date right among matched items.
    pub due: f64,
    /// Vague flag right among matched items.
    pub vague: f64,
}

/// Decisions: precision, recall, F1 and who right among matched.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct DecisionFigures {
    /// Precision.
    #[serde(rename = "P")]
    pub p: f64,
    /// Recall.
    #[serde(rename = "R")]
    pub r: f64,
    /// F1.
    #[serde(rename = "F1")]
    pub f1: f64,
    /// Who decided, right among matched.
    pub who: f64,
}

/// Mitigations: precision, recall, F1 and worked right among matched.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct MitigationFigures {
    /// Precision.
    #[serde(rename = "P")]
    pub p: f64,
    /// Recall.
    #[serde(rename = "R")]
    pub r: f64,
    /// F1.
    #[serde(rename = "F1")]
    pub f1: f64,
    /// Worked or not, right among matched.
    pub worked: f64,
}

/// Precision, recall and F1.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Figures {
    /// Precision.
    #[serde(rename = "P")]
    pub p: f64,
    /// Recall.
    #[serde(rename = "R")]
    pub r: f64,
    /// F1.
    #[serde(rename = "F1")]
    pub f1: f64,
}

/// Timeline recall and fact/hypothesis accuracy.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct TimelineFigures {
    /// Recall over the truth events.
    #[serde(rename = "R")]
    pub r: f64,
    /// Timeline entries in the record.
    pub n_pred: usize,
    /// Fact/hypothesis right among matched.
    pub status: f64,
}

/// Root-cause figures.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct RcaFigures {
    /// 1 when the record's trigger cites the truth trigger's turn.
    pub trigger: u8,
    /// Contributing factors recall.
    #[serde(rename = "factors_R")]
    pub factors_r: f64,
    /// Contributing factors precision.
    #[serde(rename = "factors_P")]
    pub factors_p: f64,
}

/// Impact numbers found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct ImpactFigures {
    /// Recall over the numbers said on the call.
    #[serde(rename = "R")]
    pub r: f64,
    /// Numbers in the truth.
    pub n_truth: usize,
}

/// The mean F1 of the five item kinds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Overall {
    /// Mean of actions, decisions, mitigations, hypotheses and evidence F1.
    #[serde(rename = "F1")]
    pub f1: f64,
}

/// Every figure `score_record.py` prints for one record.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct CallScore {
    /// Action items.
    pub actions: ActionFigures,
    /// Decisions.
    pub decisions: DecisionFigures,
    /// Mitigations.
    pub mitigations: MitigationFigures,
    /// Hypotheses.
    pub hypotheses: Figures,
    /// Evidence.
    pub evidence: Figures,
    /// Timeline.
    pub timeline: TimelineFigures,
    /// Root cause.
    pub rca: RcaFigures,
    /// Impact numbers.
    pub impact: ImpactFigures,
    /// Mean F1.
    pub overall: Overall,
}

/// Python's `round(x, 3)` closely enough for figures in [0, 1].
fn r3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

fn prf(n_match: usize, n_truth: usize, n_pred: usize) -> (f64, f64, f64) {
    let p = if n_pred > 0 {
        n_match as f64 / n_pred as f64
    } else if n_truth == 0 {
        1.0
    } else {
        0.0
    };
    let r = if n_truth > 0 {
        n_match as f64 / n_truth as f64
    } else {
        1.0
    };
    let f = if p + r > 0.0 {
        2.0 * p * r / (p + r)
    } else {
        0.0
    };
    (r3(p), r3(r), r3(f))
}

/// `re.sub(r"[^a-z0-9]", "", str(s or "").lower())`.
fn norm(s: &str) -> String {
    s.to_lowercase()
        .chars()
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        .collect()
}

/// A JSON value as Python's `str(v or "")` would print a string or number.
fn text(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Bool(b)) => {
            if *b {
                "True".into()
            } else {
                String::new()
            }
        }
        Some(Value::Number(n)) => {
            if n.as_f64() == Some(0.0) {
                String::new()
            } else {
                n.to_string()
            }
        }
        Some(other) => other.to_string(),
    }
}

fn truthy(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Number(n)) => n.as_f64() != Some(0.0),
        Some(Value::Array(a)) => !a.is_empty(),
        Some(Value::Object(o)) => !o.is_empty(),
    }
}

/// The identifier-like tokens of a value (see the script's `idents`).
fn idents(value: &str) -> HashSet<String> {
    static ID: OnceLock<Regex> = OnceLock::new();
    static HOST: OnceLock<Regex> = OnceLock::new();
    let id = ID.get_or_init(|| Regex::new(r"[a-z]*\d[a-z0-9]*").expect("valid regex"));
    let host =
        HOST.get_or_init(|| Regex::new(r"[a-z0-9-]+(?:\.[a-z0-9-]+)+").expect("valid regex"));
    let v = value.to_lowercase();
    let n = norm(&v);
    id.find_iter(&n)
        .map(|m| m.as_str().to_string())
        .chain(host.find_iter(&v).map(|m| m.as_str().to_string()))
        .filter(|t| t.chars().count() >= 2)
        .map(|t| t.replace('.', ""))
        .collect()
}

fn item_time(item: &Value, utt_off: &HashMap<String, f64>) -> Option<f64> {
    if let Some(off) = item.get("offset_s").and_then(Value::as_f64) {
        return Some(off);
    }
    item.get("sources")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|s| s.as_str().and_then(|s| utt_off.get(s)).copied())
        .fold(None, |m: Option<f64>, o| Some(m.map_or(o, |m| m.min(o))))
}

type Span = HashMap<String, (f64, f64)>;

/// Greedy one-to-one matching in truth order: each truth turn takes the
/// unused prediction inside its span ±2 s closest to the span's start.
fn match_items(
    truth_turns: &[String],
    preds: &[Option<f64>],
    span: &Span,
    ok: &dyn Fn(usize, usize) -> bool,
) -> Vec<(usize, usize)> {
    let mut used = vec![false; preds.len()];
    let mut pairs = Vec::new();
    for (ti, turn) in truth_turns.iter().enumerate() {
        let Some(&(lo, hi)) = span.get(turn) else {
            continue;
        };
        let mut best: Option<(f64, usize)> = None;
        for (pi, t) in preds.iter().enumerate() {
            let Some(t) = *t else { continue };
            if used[pi] || !(lo - SLACK_S <= t && t <= hi + SLACK_S) || !ok(ti, pi) {
                continue;
            }
            let d = (t - lo).abs();
            if best.is_none_or(|(bd, _)| d < bd) {
                best = Some((d, pi));
            }
        }
        if let Some((_, pi)) = best {
            used[pi] = true;
            pairs.push((ti, pi));
        }
    }
    pairs
}

fn list<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v.get(key)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

fn turn_of(v: &Value) -> String {
    v.get("turn")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

/// Scores a record (as JSON) against a scenario (as JSON) with the turn
/// spans of its reference transcript (the renderer's `.ref.json`).
pub fn score_values(scenario: &Value, reference: &Value, record: &Value) -> CallScore {
    let empty = Value::Null;
    let truth = scenario.get("truth").unwrap_or(&empty);
    let span: Span = list(reference, "turns")
        .iter()
        .filter_map(|t| {
            Some((
                t.get("id")?.as_str()?.to_string(),
                (t.get("start")?.as_f64()?, t.get("end")?.as_f64()?),
            ))
        })
        .collect();
    let names: HashMap<String, String> = scenario
        .get("speakers")
        .and_then(Value::as_object)
        .map(|o| {
            o.iter()
                .map(|(k, v)| (k.clone(), text(v.get("name"))))
                .collect()
        })
        .unwrap_or_default();
    let name_of = |v: Option<&Value>| -> String {
        let k = text(v);
        names.get(&k).cloned().unwrap_or(k)
    };
    let utt_off: HashMap<String, f64> = list(record, "utterances")
        .iter()
        .filter_map(|u| {
            Some((
                u.get("id")?.as_str()?.to_string(),
                u.get("offset_s").and_then(Value::as_f64).unwrap_or(0.0),
            ))
        })
        .collect();
    let at = |items: &[Value]| -> Vec<Option<f64>> {
        items.iter().map(|x| item_time(x, &utt_off)).collect()
    };
    let any = |_: usize, _: usize| true;
    let mut out = CallScore::default();

    // Action items.
    let ta = list(truth, "action_items");
    let pa_items = list(record, "action_items");
    let pa = at(pa_items);
    let turns: Vec<String> = ta.iter().map(turn_of).collect();
    let pairs = match_items(&turns, &pa, &span, &any);
    let (p, r, f1) = prf(pairs.len(), ta.len(), pa.len());
    let (mut own, mut due, mut vag) = (0usize, 0usize, 0usize);
    for &(ti, pi) in &pairs {
        let (t, a) = (&ta[ti], &pa_items[pi]);
        let want = name_of(t.get("owner"));
        let got = text(a.get("owner"));
        own += usize::from(if !want.is_empty() && !got.is_empty() {
            norm(&got).contains(&norm(&want))
        } else {
            want.is_empty() && got.is_empty()
        });
        let d = |v: Option<&Value>| text(v).chars().take(10).collect::<String>();
        due += usize::from(d(a.get("due")) == d(t.get("due")));
        vag += usize::from(truthy(a.get("vague")) == truthy(t.get("vague")));
    }
    let n = pairs.len().max(1) as f64;
    out.actions = ActionFigures {
        p,
        r,
        f1,
        owner: r3(own as f64 / n),
        due: r3(due as f64 / n),
        vague: r3(vag as f64 / n),
    };

    // Decisions.
    let td = list(truth, "decisions");
    let pd_items = list(record, "decisions");
    let pd = at(pd_items);
    let turns: Vec<String> = td.iter().map(turn_of).collect();
    let pairs = match_items(&turns, &pd, &span, &any);
    let who = pairs
        .iter()
        .filter(|&&(ti, pi)| {
            truthy(td[ti].get("who"))
                && norm(&text(pd_items[pi].get("who"))).contains(&norm(&name_of(td[ti].get("who"))))
        })
        .count();
    let (p, r, f1) = prf(pairs.len(), td.len(), pd.len());
    out.decisions = DecisionFigures {
        p,
        r,
        f1,
        who: r3(who as f64 / pairs.len().max(1) as f64),
    };

    // Mitigations.
    let tm = list(truth, "mitigations");
    let pm_items = list(record, "mitigations");
    let pm = at(pm_items);
    let turns: Vec<String> = tm.iter().map(turn_of).collect();
    let pairs = match_items(&turns, &pm, &span, &any);
    let worked = pairs
        .iter()
        .filter(|&&(ti, pi)| {
            let a = pm_items[pi].get("worked").unwrap_or(&Value::Null);
            let b = tm[ti].get("worked").unwrap_or(&Value::Null);
            a == b
        })
        .count();
    let (p, r, f1) = prf(pairs.len(), tm.len(), pm.len());
    out.mitigations = MitigationFigures {
        p,
        r,
        f1,
        worked: r3(worked as f64 / pairs.len().max(1) as f64),
    };

    // Hypotheses: the record's list, else timeline entries marked hypothesis.
    let th: Vec<String> = list(truth, "hypotheses")
        .iter()
        .map(|v| v.as_str().unwrap_or_default().to_string())
        .collect();
    let mut ph = at(list(record, "hypotheses"));
    if ph.is_empty() {
        let tl: Vec<Value> = list(record, "timeline")
            .iter()
            .filter(|e| e.get("status").and_then(Value::as_str) == Some("hypothesis"))
            .cloned()
            .collect();
        ph = at(&tl);
    }
    let pairs = match_items(&th, &ph, &span, &any);
    let (p, r, f1) = prf(pairs.len(), th.len(), ph.len());
    out.hypotheses = Figures { p, r, f1 };

    // Evidence: same kind in the turn's span, else any item holding the
    // truth value's identifiers.
    let te = list(truth, "evidence");
    let pe_items = list(record, "evidence");
    let pe = at(pe_items);
    let turns: Vec<String> = te.iter().map(turn_of).collect();
    let kind = |v: &Value| text(v.get("kind"));
    let pairs = match_items(&turns, &pe, &span, &|ti, pi| {
        kind(&pe_items[pi]) == kind(&te[ti])
    });
    let mut hit_t: HashSet<usize> = pairs.iter().map(|&(t, _)| t).collect();
    let mut hit_p: HashSet<usize> = pairs.iter().map(|&(_, p)| p).collect();
    for (ti, e) in te.iter().enumerate() {
        if hit_t.contains(&ti) {
            continue;
        }
        let want = idents(&text(e.get("value")));
        for (pi, x) in pe_items.iter().enumerate() {
            if hit_p.contains(&pi) || want.is_empty() {
                continue;
            }
            let said = match x.get("said") {
                None => String::new(),
                Some(Value::Null) => "None".into(),
                s => text(s),
            };
            let value = match x.get("value") {
                None | Some(Value::Null) => "None".into(),
                v => text(v),
            };
            if want.is_subset(&idents(&format!("{value} {said}"))) {
                hit_t.insert(ti);
                hit_p.insert(pi);
                break;
            }
        }
    }
    let (p, r, f1) = prf(hit_t.len(), te.len(), pe.len());
    out.evidence = Figures { p, r, f1 };

    // Timeline.
    let tev = list(truth, "events");
    let ptl_items = list(record, "timeline");
    let ptl = at(ptl_items);
    let turns: Vec<String> = tev.iter().map(turn_of).collect();
    let pairs = match_items(&turns, &ptl, &span, &any);
    let status = pairs
        .iter()
        .filter(|&&(ti, pi)| {
            (ptl_items[pi].get("status").and_then(Value::as_str) == Some("fact"))
                == truthy(tev[ti].get("fact"))
        })
        .count();
    out.timeline = TimelineFigures {
        r: r3(pairs.len() as f64 / tev.len().max(1) as f64),
        n_pred: ptl.len(),
        status: r3(status as f64 / pairs.len().max(1) as f64),
    };

    // Root cause.
    let rca = record.get("rca").unwrap_or(&empty);
    let mut got_trig = false;
    if let (Some(trig), Some(rt)) = (
        truth.get("trigger").filter(|t| truthy(Some(t))),
        rca.get("trigger").filter(|t| truthy(Some(t))),
    ) {
        if let (Some(t), Some(&(lo, hi))) = (item_time(rt, &utt_off), span.get(&turn_of(trig))) {
            got_trig = lo - SLACK_S <= t && t <= hi + SLACK_S;
        }
    }
    let tc = list(truth, "contributing_factors");
    let pc = at(list(rca, "contributing_factors"));
    let turns: Vec<String> = tc.iter().map(turn_of).collect();
    let pairs = match_items(&turns, &pc, &span, &any);
    out.rca = RcaFigures {
        trigger: u8::from(got_trig),
        factors_r: r3(pairs.len() as f64 / tc.len().max(1) as f64),
        factors_p: if pc.is_empty() {
            0.0
        } else {
            r3(pairs.len() as f64 / pc.len() as f64)
        },
    };

    // Impact numbers.
    let nums: Vec<f64> = truth
        .get("impact")
        .and_then(Value::as_object)
        .map(|o| {
            o.iter()
                .filter(|(k, _)| !k.ends_with("turn") && !k.ends_with("utc"))
                .filter_map(|(_, v)| v.as_f64())
                .collect()
        })
        .unwrap_or_default();
    let impact = record.get("impact").unwrap_or(&empty);
    let mut said: Vec<f64> = list(impact, "numbers")
        .iter()
        .filter_map(|x| x.get("value").and_then(Value::as_f64))
        .collect();
    said.extend(
        ["duration_min", "impact_duration_min"]
            .iter()
            .filter_map(|k| impact.get(*k).and_then(Value::as_f64)),
    );
    let hit = nums
        .iter()
        .filter(|&&v| {
            said.iter()
                .any(|&s| (s - v).abs() <= (0.01 * v.abs()).max(0.01))
        })
        .count();
    out.impact = ImpactFigures {
        r: r3(hit as f64 / nums.len().max(1) as f64),
        n_truth: nums.len(),
    };

    out.overall = Overall {
        f1: r3((out.actions.f1
            + out.decisions.f1
            + out.mitigations.f1
            + out.hypotheses.f1
            + out.evidence.f1)
            / 5.0),
    };
    out
}

/// The mean of each figure over several calls (each call weighs the same).
pub fn mean(scores: &[CallScore]) -> CallScore {
    let n = scores.len().max(1) as f64;
    let m = |f: &dyn Fn(&CallScore) -> f64| r3(scores.iter().map(f).sum::<f64>() / n);
    CallScore {
        actions: ActionFigures {
            p: m(&|s| s.actions.p),
            r: m(&|s| s.actions.r),
            f1: m(&|s| s.actions.f1),
            owner: m(&|s| s.actions.owner),
            due: m(&|s| s.actions.due),
            vague: m(&|s| s.actions.vague),
        },
        decisions: DecisionFigures {
            p: m(&|s| s.decisions.p),
            r: m(&|s| s.decisions.r),
            f1: m(&|s| s.decisions.f1),
            who: m(&|s| s.decisions.who),
        },
        mitigations: MitigationFigures {
            p: m(&|s| s.mitigations.p),
            r: m(&|s| s.mitigations.r),
            f1: m(&|s| s.mitigations.f1),
            worked: m(&|s| s.mitigations.worked),
        },
        hypotheses: Figures {
            p: m(&|s| s.hypotheses.p),
            r: m(&|s| s.hypotheses.r),
            f1: m(&|s| s.hypotheses.f1),
        },
        evidence: Figures {
            p: m(&|s| s.evidence.p),
            r: m(&|s| s.evidence.r),
            f1: m(&|s| s.evidence.f1),
        },
        timeline: TimelineFigures {
            r: m(&|s| s.timeline.r),
            n_pred: scores.iter().map(|s| s.timeline.n_pred).sum::<usize>() / scores.len().max(1),
            status: m(&|s| s.timeline.status),
        },
        rca: RcaFigures {
            trigger: 0,
            factors_r: m(&|s| s.rca.factors_r),
            factors_p: m(&|s| s.rca.factors_p),
        },
        impact: ImpactFigures {
            r: m(&|s| s.impact.r),
            n_truth: scores.iter().map(|s| s.impact.n_truth).sum(),
        },
        overall: Overall {
            f1: m(&|s| s.overall.f1),
        },
    }
}

/// The share of calls whose trigger was found.
pub fn trigger_rate(scores: &[CallScore]) -> f64 {
    r3(scores.iter().map(|s| f64::from(s.rca.trigger)).sum::<f64>() / scores.len().max(1) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idents_follow_the_script() {
        let got = idents("PR 2231");
        assert!(got.contains("pr2231"));
        let got = idents("api.example.com down");
        assert!(got.contains("apiexamplecom"));
        assert!(idents("no ids here").is_empty());
    }

    #[test]
    fn empty_record_scores_zero_recall() {
        let scen = serde_json::json!({"speakers": {}, "truth": {
            "action_items": [{"turn": "t1", "owner": null, "due": null}],
            "hypotheses": ["t1"]}});
        let reference = serde_json::json!({"turns": [{"id": "t1", "start": 0.0, "end": 3.0}]});
        let rec = serde_json::json!({"utterances": [], "action_items": []});
        let s = score_values(&scen, &reference, &rec);
        assert_eq!(s.actions.r, 0.0);
        assert_eq!(s.actions.p, 0.0);
        assert_eq!(s.decisions.f1, 1.0);
    }
}
