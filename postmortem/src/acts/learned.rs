//! The learned labeller: one logistic regression per act over the hashed
//! features, trained from labelled utterances by [`LinearHead::train`]
//! (`hotwash train acts`), stored as JSON, shipped in the crate.

use serde::{Deserialize, Serialize};

use super::features::{featurize, Features, DIM};
use super::lexicon::CueLabeller;
use super::{Act, ActScores, Example, Labeller};
use crate::error::{Error, Result};
use crate::input::Call;

/// The head shipped with the crate (`postmortem/model/acts-head.json`).
const SHIPPED: &str = include_str!("../../model/acts-head.json");

/// How the head is trained.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrainConfig {
    /// Passes over the data.
    pub epochs: usize,
    /// Step size.
    pub rate: f32,
    /// L2 penalty per step.
    pub l2: f32,
    /// Cap on the weight of positives (rare acts are up-weighted to balance).
    pub max_positive_weight: f32,
    /// Shuffle seed.
    pub seed: u64,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            epochs: 30,
            rate: 0.5,
            l2: 1e-5,
            max_positive_weight: 4.0,
            seed: 7,
        }
    }
}

/// One logistic regression per act over [`DIM`] hashed features.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinearHead {
    /// Format tag.
    pub format: String,
    /// Feature width (must equal [`DIM`]).
    pub dim: usize,
    /// Act names, in row order.
    pub acts: Vec<String>,
    /// One bias per act.
    pub bias: Vec<f32>,
    /// Row-major weights, `acts.len() × dim`, rounded to 1e-4.
    pub weights: Vec<Vec<f32>>,
    /// What it was trained on (scenario ids) and how.
    pub trained_on: Vec<String>,
}

/// The format tag of head files.
pub const HEAD_FORMAT: &str = "hotwash.acts-head/1";

fn sigmoid(z: f32) -> f32 {
    1.0 / (1.0 + (-z).exp())
}

impl LinearHead {
    /// Trains a head from labelled examples.
    pub fn train(examples: &[Example], cfg: &TrainConfig, trained_on: Vec<String>) -> LinearHead {
        let k = Act::COUNT;
        let mut w = vec![vec![0.0f32; DIM]; k];
        let mut b = vec![0.0f32; k];
        let n = examples.len().max(1) as f32;
        let pos_weight: Vec<f32> = (0..k)
            .map(|a| {
                let pos = examples.iter().filter(|e| e.labels[a]).count() as f32;
                if pos == 0.0 {
                    1.0
                } else {
                    ((n - pos) / pos).sqrt().clamp(1.0, cfg.max_positive_weight)
                }
            })
            .collect();
        let mut order: Vec<usize> = (0..examples.len()).collect();
        let mut state = cfg.seed.wrapping_mul(6364136223846793005).wrapping_add(1);
        for epoch in 0..cfg.epochs {
            // Fisher–Yates with a small LCG: the same head from the same data.
            for i in (1..order.len()).rev() {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let j = (state >> 33) as usize % (i + 1);
                order.swap(i, j);
            }
            let rate = cfg.rate / (1.0 + epoch as f32 * 0.2);
            for &i in &order {
                let ex = &examples[i];
                for a in 0..k {
                    let z = b[a]
                        + ex.features
                            .0
                            .iter()
                            .map(|&(j, v)| w[a][j as usize] * v)
                            .sum::<f32>();
                    let y = if ex.labels[a] { 1.0 } else { 0.0 };
                    let weight = if ex.labels[a] { pos_weight[a] } else { 1.0 };
                    let g = (sigmoid(z) - y) * weight * rate;
                    b[a] -= g;
                    for &(j, v) in &ex.features.0 {
                        let wj = &mut w[a][j as usize];
                        *wj -= g * v + cfg.l2 * *wj;
                    }
                }
            }
        }
        let round = |v: f32| (v * 10_000.0).round() / 10_000.0;
        LinearHead {
            format: HEAD_FORMAT.into(),
            dim: DIM,
            acts: Act::ALL.iter().map(|a| a.as_str().to_string()).collect(),
            bias: b.into_iter().map(round).collect(),
            weights: w
                .into_iter()
                .map(|row| row.into_iter().map(round).collect())
                .collect(),
            trained_on,
        }
    }

    /// Reads a head from JSON text; `origin` names it in errors.
    pub fn from_json(origin: &str, text: &str) -> Result<LinearHead> {
        let bad = |reason: String| Error::Model {
            path: origin.into(),
            reason,
        };
        let h: LinearHead = serde_json::from_str(text).map_err(|e| bad(e.to_string()))?;
        if h.format != HEAD_FORMAT {
            return Err(bad(format!(
                "format {:?}, expected {HEAD_FORMAT:?}",
                h.format
            )));
        }
        if h.acts.is_empty() || h.acts.iter().any(|a| Act::parse(a).is_none()) {
            return Err(bad("no acts, or an act this build does not know".into()));
        }
        if h.dim != DIM
            || h.weights.len() != h.acts.len()
            || h.bias.len() != h.acts.len()
            || h.weights.iter().any(|r| r.len() != DIM)
        {
            return Err(bad(format!("shape does not match {} features", DIM)));
        }
        Ok(h)
    }

    /// The head shipped with the crate.
    pub fn shipped() -> Result<LinearHead> {
        LinearHead::from_json("postmortem/model/acts-head.json", SHIPPED)
    }

    /// Scores of one utterance's features.
    pub fn predict(&self, f: &Features) -> ActScores {
        let mut s = ActScores::default();
        for (row, name) in self.acts.iter().enumerate() {
            let Some(a) = Act::parse(name) else { continue };
            let z = self.bias[row]
                + f.0
                    .iter()
                    .map(|&(j, v)| self.weights[row][j as usize] * v)
                    .sum::<f32>();
            s.set(a, sigmoid(z));
        }
        s
    }
}

/// The learned labeller: cue hits and words into the linear head.
#[derive(Debug, Clone)]
pub struct LearnedLabeller {
    head: std::sync::Arc<LinearHead>,
    cues: CueLabeller,
}

impl LearnedLabeller {
    /// A labeller from a head and the cue lexicon its features use.
    pub fn new(head: std::sync::Arc<LinearHead>, cues: CueLabeller) -> Self {
        LearnedLabeller { head, cues }
    }

    /// The shipped head and lexicon.
    pub fn shipped() -> Result<Self> {
        Ok(LearnedLabeller::new(
            std::sync::Arc::new(LinearHead::shipped()?),
            CueLabeller::shipped()?,
        ))
    }

    /// Features of every utterance (what the head reads).
    pub fn features(&self, call: &Call) -> Vec<Features> {
        featurize(call, &self.cues.hits(call))
    }
}

impl Labeller for LearnedLabeller {
    fn name(&self) -> &str {
        "learned"
    }

    fn label(&self, call: &Call) -> Vec<ActScores> {
        self.features(call)
            .iter()
            .map(|f| self.head.predict(f))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `build_record` falls back to the rules alone if the shipped head
    /// cannot be read; this keeps that from happening unnoticed.
    #[test]
    fn shipped_head_loads_with_every_act() {
        let h = LinearHead::shipped().unwrap();
        for a in Act::ALL {
            assert!(h.acts.iter().any(|n| n == a.as_str()), "{a:?} missing");
        }
        assert!(!h.trained_on.is_empty());
    }

    #[test]
    fn an_empty_or_foreign_head_is_refused() {
        let empty = r#"{"format":"hotwash.acts-head/1","dim":8192,"acts":[],"bias":[],"weights":[],"trained_on":[]}"#;
        assert!(LinearHead::from_json("x.json", empty).is_err());
        assert!(LinearHead::from_json("x.json", "{}").is_err());
    }
}
