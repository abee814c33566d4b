//! The learned labeller: one logistic regression per act over the hashed
//! features (and, for a head trained with sentence embeddings, the
//! [`DENSE`] embedding features after them), trained from labelled
//! utterances by [`LinearHead::train`] (`hotwash train acts`), stored as
//! JSON, shipped in the crate: `acts-head.json` (words only) and
//! `acts-head-minilm.json` (words and all-MiniLM-L6-v2 embeddings).

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::embed::{embed_call, Embed};
use super::features::{featurize_with, Features, DENSE, DIM};
use super::lexicon::CueLabeller;
use super::{Act, ActScores, Example, Labeller};
use crate::error::{Error, Result};
use crate::input::Call;

/// The words-only head shipped with the crate (`postmortem/model/acts-head.json`).
const SHIPPED: &str = include_str!("../../model/acts-head.json");

/// The head with sentence embeddings (`postmortem/model/acts-head-minilm.json`).
const SHIPPED_MINILM: &str = include_str!("../../model/acts-head-minilm.json");

/// The embedding model the shipped embedding head was trained on.
pub const MINILM: &str = "all-MiniLM-L6-v2";

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

/// One logistic regression per act over [`DIM`] hashed features, plus
/// [`DENSE`] embedding features when `dense` is set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinearHead {
    /// Format tag ([`HEAD_FORMAT`]; [`HEAD_FORMAT_V1`] files are read too).
    pub format: String,
    /// Hashed feature width (must equal [`DIM`]).
    pub dim: usize,
    /// Embedding features after the hashed ones: 0 or [`DENSE`] (absent in
    /// version 1 files).
    #[serde(default)]
    pub dense: usize,
    /// The sentence-embedding model the dense features come from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub embedding: Option<String>,
    /// Act names, in row order.
    pub acts: Vec<String>,
    /// One bias per act.
    pub bias: Vec<f32>,
    /// Row-major weights, `acts.len() × (dim + dense)`, rounded to 1e-4.
    pub weights: Vec<Vec<f32>>,
    /// What it was trained on (scenario ids) and how.
    pub trained_on: Vec<String>,
}

/// The format tag of head files written now.
pub const HEAD_FORMAT: &str = "hotwash.acts-head/2";

/// The first format (hashed features only, no `dense`), still read.
pub const HEAD_FORMAT_V1: &str = "hotwash.acts-head/1";

fn sigmoid(z: f32) -> f32 {
    1.0 / (1.0 + (-z).exp())
}

impl LinearHead {
    /// Trains a words-only head from labelled examples.
    pub fn train(examples: &[Example], cfg: &TrainConfig, trained_on: Vec<String>) -> LinearHead {
        LinearHead::train_with(examples, cfg, trained_on, None)
    }

    /// Trains a head; with `embedding` (the model's name) the examples carry
    /// the [`DENSE`] embedding features and the head reads them.
    pub fn train_with(
        examples: &[Example],
        cfg: &TrainConfig,
        trained_on: Vec<String>,
        embedding: Option<&str>,
    ) -> LinearHead {
        let k = Act::COUNT;
        let dense = if embedding.is_some() { DENSE } else { 0 };
        let width = DIM + dense;
        let mut w = vec![vec![0.0f32; width]; k];
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
                            .filter(|&&(j, _)| (j as usize) < width)
                            .map(|&(j, v)| w[a][j as usize] * v)
                            .sum::<f32>();
                    let y = if ex.labels[a] { 1.0 } else { 0.0 };
                    let weight = if ex.labels[a] { pos_weight[a] } else { 1.0 };
                    let g = (sigmoid(z) - y) * weight * rate;
                    b[a] -= g;
                    for &(j, v) in ex.features.0.iter().filter(|&&(j, _)| (j as usize) < width) {
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
            dense,
            embedding: embedding.map(str::to_string),
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
        if h.format != HEAD_FORMAT && h.format != HEAD_FORMAT_V1 {
            return Err(bad(format!(
                "format {:?}, expected {HEAD_FORMAT:?} or {HEAD_FORMAT_V1:?}",
                h.format
            )));
        }
        let words_only = h.dense == 0;
        let with_embedding =
            h.dense == DENSE && h.embedding.is_some() && h.format != HEAD_FORMAT_V1;
        if !(words_only || with_embedding) {
            return Err(bad(format!(
                "dense width {} (expected 0, or {DENSE} with an embedding model named)",
                h.dense
            )));
        }
        if h.acts.is_empty() || h.acts.iter().any(|a| Act::parse(a).is_none()) {
            return Err(bad("no acts, or an act this build does not know".into()));
        }
        if h.dim != DIM
            || h.weights.len() != h.acts.len()
            || h.bias.len() != h.acts.len()
            || h.weights.iter().any(|r| r.len() != DIM + h.dense)
        {
            return Err(bad(format!(
                "shape does not match {} features",
                DIM + h.dense
            )));
        }
        Ok(h)
    }

    /// The words-only head shipped with the crate.
    pub fn shipped() -> Result<LinearHead> {
        LinearHead::from_json("postmortem/model/acts-head.json", SHIPPED)
    }

    /// The shipped head that also reads all-MiniLM-L6-v2 embeddings.
    pub fn shipped_minilm() -> Result<LinearHead> {
        LinearHead::from_json("postmortem/model/acts-head-minilm.json", SHIPPED_MINILM)
    }

    /// Whether this head reads sentence embeddings.
    pub fn needs_embeddings(&self) -> bool {
        self.dense > 0
    }

    /// Scores of one utterance's features.
    pub fn predict(&self, f: &Features) -> ActScores {
        let mut s = ActScores::default();
        for (row, name) in self.acts.iter().enumerate() {
            let Some(a) = Act::parse(name) else { continue };
            let w = &self.weights[row];
            let z = self.bias[row]
                + f.0
                    .iter()
                    .filter_map(|&(j, v)| w.get(j as usize).map(|wj| wj * v))
                    .sum::<f32>();
            s.set(a, sigmoid(z));
        }
        s
    }
}

/// The learned labeller: cue hits, words and (for an embedding head) the
/// sentence embeddings into the linear head.
#[derive(Debug, Clone)]
pub struct LearnedLabeller {
    head: Arc<LinearHead>,
    cues: CueLabeller,
    embedder: Option<Arc<dyn Embed>>,
}

impl LearnedLabeller {
    /// A labeller from a head and the cue lexicon its features use.
    pub fn new(head: Arc<LinearHead>, cues: CueLabeller) -> Self {
        LearnedLabeller {
            head,
            cues,
            embedder: None,
        }
    }

    /// Gives the labeller the embedder an embedding head reads. Without one
    /// (or if it fails on a call) the dense features are left out, which
    /// such a head was not trained for: use a words-only head then.
    pub fn with_embedder(mut self, embedder: Option<Arc<dyn Embed>>) -> Self {
        self.embedder = embedder;
        self
    }

    /// The shipped head and lexicon.
    pub fn shipped() -> Result<Self> {
        Ok(LearnedLabeller::new(
            Arc::new(LinearHead::shipped()?),
            CueLabeller::shipped()?,
        ))
    }

    /// Features of every utterance (what the head reads).
    pub fn features(&self, call: &Call) -> Vec<Features> {
        let emb = match (&self.embedder, self.head.needs_embeddings()) {
            (Some(e), true) => embed_call(call, e.as_ref()).ok(),
            _ => None,
        };
        featurize_with(call, &self.cues.hits(call), emb.as_deref())
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
        assert!(!h.needs_embeddings());
    }

    #[test]
    fn shipped_minilm_head_reads_embeddings_and_keeps_the_held_aside_calls_out() {
        let h = LinearHead::shipped_minilm().unwrap();
        assert_eq!(h.format, HEAD_FORMAT);
        assert_eq!(h.dense, DENSE);
        assert_eq!(h.embedding.as_deref(), Some(MINILM));
        for held in ["dev-25", "dev-26", "dev-27", "own-09", "own-10"] {
            assert!(!h.trained_on.iter().any(|t| t.starts_with(held)), "{held}");
        }
        assert_eq!(h.trained_on, LinearHead::shipped().unwrap().trained_on);
    }

    #[test]
    fn a_version_1_head_with_dense_weights_is_refused() {
        let mut h = LinearHead::shipped().unwrap();
        h.format = HEAD_FORMAT_V1.into();
        h.dense = DENSE;
        h.embedding = Some(MINILM.into());
        for r in &mut h.weights {
            r.resize(DIM + DENSE, 0.0);
        }
        let text = serde_json::to_string(&h).unwrap();
        assert!(LinearHead::from_json("x.json", &text).is_err());
        h.format = HEAD_FORMAT.into();
        let text = serde_json::to_string(&h).unwrap();
        assert!(LinearHead::from_json("x.json", &text).is_ok());
    }

    #[test]
    fn an_empty_or_foreign_head_is_refused() {
        let empty = r#"{"format":"hotwash.acts-head/1","dim":8192,"acts":[],"bias":[],"weights":[],"trained_on":[]}"#;
        assert!(LinearHead::from_json("x.json", empty).is_err());
        assert!(LinearHead::from_json("x.json", "{}").is_err());
    }
}
