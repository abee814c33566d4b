//! Training data from the corpus truth: every turn of a scenario's
//! reference transcript, labelled with the acts its truth gives it (the
//! turn of an action item is an `action`, a mitigation's `result_turn` a
//! result that worked or not, a hypothesis's `refuted_by` a refutation…).

use std::collections::HashMap;

use serde_json::Value;

use super::embed::{embed_call, Embed};
use super::features::{featurize_with, Features};
use super::lexicon::CueLabeller;
use super::Act;
use crate::error::Result;
use crate::eval::Case;

/// One labelled utterance.
#[derive(Debug, Clone, PartialEq)]
pub struct Example {
    /// Scenario id it came from.
    pub call: String,
    /// Its features.
    pub features: Features,
    /// Whether each act (by [`Act::index`]) holds.
    pub labels: [bool; Act::COUNT],
}

fn event_act(kind: &str) -> Option<Act> {
    Some(match kind {
        "declaration" => Act::Declaration,
        "detection" => Act::Detection,
        "change" => Act::Change,
        "hypothesis" => Act::Hypothesis,
        "triage" => Act::Triage,
        "mitigation" => Act::Mitigation,
        "comms" => Act::Comms,
        "escalation" => Act::Escalation,
        "handoff" => Act::Handoff,
        "recovery" => Act::Recovery,
        "monitoring" => Act::Monitoring,
        _ => return None,
    })
}

/// Turn id → the acts the truth gives it.
pub fn truth_acts(scenario: &Value) -> HashMap<String, Vec<Act>> {
    let mut m: HashMap<String, Vec<Act>> = HashMap::new();
    let mut put = |turn: Option<&str>, a: Act| {
        if let Some(t) = turn {
            let v = m.entry(t.to_string()).or_default();
            if !v.contains(&a) {
                v.push(a);
            }
        }
    };
    let t = &scenario["truth"];
    let items = |k: &str| t[k].as_array().cloned().unwrap_or_default();
    for a in items("action_items") {
        put(a["turn"].as_str(), Act::Action);
    }
    for d in items("decisions") {
        put(d["turn"].as_str(), Act::Decision);
    }
    for mi in items("mitigations") {
        put(mi["turn"].as_str(), Act::Mitigation);
        let r = match mi["worked"].as_bool() {
            Some(true) => Some(Act::ResultWorked),
            Some(false) => Some(Act::ResultFailed),
            None => None,
        };
        if let Some(r) = r {
            put(mi["result_turn"].as_str(), r);
        }
    }
    for h in items("hypotheses") {
        put(h.as_str(), Act::Hypothesis);
    }
    for e in items("evidence") {
        put(e["turn"].as_str(), Act::Evidence);
    }
    put(t["trigger"]["turn"].as_str(), Act::Trigger);
    for c in items("contributing_factors") {
        put(c["turn"].as_str(), Act::Factor);
    }
    for e in items("events") {
        if let Some(a) = e["kind"].as_str().and_then(event_act) {
            put(e["turn"].as_str(), a);
        }
        put(e["confirmed_by"].as_str(), Act::Confirmation);
        put(e["refuted_by"].as_str(), Act::Refutation);
    }
    m
}

/// Every turn of a scenario's reference transcript as a labelled example;
/// with an embedder, the examples carry the embedding features too.
pub fn examples_from_case(
    case: &Case,
    cues: &CueLabeller,
    embedder: Option<&dyn Embed>,
) -> Result<Vec<Example>> {
    let call = case.reference_call()?;
    let acts = truth_acts(&case.scenario_json);
    let emb = embedder.map(|e| embed_call(&call, e)).transpose()?;
    let feats = featurize_with(&call, &cues.hits(&call), emb.as_deref());
    Ok(call
        .utterances
        .iter()
        .zip(feats)
        .map(|(u, features)| {
            let mut labels = [false; Act::COUNT];
            for a in acts.get(&u.id).into_iter().flatten() {
                labels[a.index()] = true;
            }
            Example {
                call: case.id.clone(),
                features,
                labels,
            }
        })
        .collect())
}

/// Trains a head on the reference transcripts of some calls; with an
/// embedder, a head that reads its embeddings too.
pub fn train_on(
    cases: &[&Case],
    cues: &CueLabeller,
    cfg: &super::TrainConfig,
    embedder: Option<&dyn Embed>,
) -> Result<super::LinearHead> {
    let mut examples = Vec::new();
    for c in cases {
        examples.extend(examples_from_case(c, cues, embedder)?);
    }
    let ids = cases.iter().map(|c| c.id.clone()).collect();
    Ok(super::LinearHead::train_with(
        &examples,
        cfg,
        ids,
        embedder.map(|e| e.name()),
    ))
}
