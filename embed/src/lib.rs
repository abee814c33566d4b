//! Sentence embeddings from all-MiniLM-L6-v2, run in candle on the CPU:
//! WordPiece tokens from the model's own `tokenizer.json`, the six BERT
//! layers, mean pooling over the attention mask and L2 normalisation (what
//! sentence-transformers does for this model). The model directory is the
//! one `hotwash models fetch minilm` installs (`model.safetensors`,
//! `tokenizer.json`, `config.json`).
#![deny(missing_docs)]

use std::path::{Path, PathBuf};

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config};
use tokenizers::{PaddingParams, PaddingStrategy, Tokenizer, TruncationParams};

/// Width of an embedding.
pub const DIM: usize = 384;

/// Longest input in word pieces (the model's `max_seq_length`); longer
/// sentences are truncated.
pub const MAX_TOKENS: usize = 128;

/// Sentences run through the model at once.
const BATCH: usize = 32;

/// The files a model directory must hold.
pub const FILES: [&str; 3] = ["model.safetensors", "tokenizer.json", "config.json"];

/// Why the embedder could not load or run.
#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    /// A model file is not there.
    #[error("{}: missing; run `hotwash models fetch minilm`", path.display())]
    Missing {
        /// The file.
        path: PathBuf,
    },
    /// A model file could not be read or parsed.
    #[error("{}: {reason}; run `hotwash models fetch minilm --force` to reinstall it", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What was wrong.
        reason: String,
    },
    /// Tokenizing or running the model failed.
    #[error("embedding failed: {0}")]
    Run(String),
}

/// all-MiniLM-L6-v2, loaded and ready.
pub struct SentenceEmbedder {
    model: BertModel,
    tokenizer: Tokenizer,
    device: Device,
}

impl std::fmt::Debug for SentenceEmbedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SentenceEmbedder(all-MiniLM-L6-v2)")
    }
}

fn run_err(e: impl std::fmt::Display) -> EmbedError {
    EmbedError::Run(e.to_string())
}

impl SentenceEmbedder {
    /// Loads the model from `dir` (`model.safetensors`, `tokenizer.json`,
    /// `config.json`).
    pub fn load(dir: &Path) -> Result<Self, EmbedError> {
        for f in FILES {
            let path = dir.join(f);
            if !path.is_file() {
                return Err(EmbedError::Missing { path });
            }
        }
        let invalid = |path: PathBuf, e: &dyn std::fmt::Display| EmbedError::Invalid {
            reason: e.to_string(),
            path,
        };
        let config_path = dir.join("config.json");
        let text =
            std::fs::read_to_string(&config_path).map_err(|e| invalid(config_path.clone(), &e))?;
        let config: Config =
            serde_json::from_str(&text).map_err(|e| invalid(config_path.clone(), &e))?;
        let tok_path = dir.join("tokenizer.json");
        let mut tokenizer =
            Tokenizer::from_file(&tok_path).map_err(|e| invalid(tok_path.clone(), &e))?;
        tokenizer.with_padding(Some(PaddingParams {
            strategy: PaddingStrategy::BatchLongest,
            ..PaddingParams::default()
        }));
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: MAX_TOKENS,
                ..TruncationParams::default()
            }))
            .map_err(|e| invalid(tok_path.clone(), &e))?;
        let device = Device::Cpu;
        let weights = dir.join("model.safetensors");
        // SAFETY: the file is memory-mapped read-only; the model store
        // installs it atomically and never rewrites it in place.
        let vb = unsafe {
            VarBuilder::from_mmaped_safetensors(std::slice::from_ref(&weights), DType::F32, &device)
        }
        .map_err(|e| invalid(weights.clone(), &e))?;
        let model = BertModel::load(vb, &config).map_err(|e| invalid(weights.clone(), &e))?;
        Ok(SentenceEmbedder {
            model,
            tokenizer,
            device,
        })
    }

    /// Unit-length embeddings of `texts`, [`DIM`] numbers each, in order.
    pub fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        let mut out = Vec::with_capacity(texts.len());
        for chunk in texts.chunks(BATCH) {
            out.extend(self.embed_batch(chunk)?);
        }
        Ok(out)
    }

    fn embed_batch(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let enc = self
            .tokenizer
            .encode_batch(texts.to_vec(), true)
            .map_err(run_err)?;
        let len = enc.iter().map(|e| e.get_ids().len()).max().unwrap_or(0);
        let n = enc.len();
        let mut ids = Vec::with_capacity(n * len);
        let mut mask = Vec::with_capacity(n * len);
        for e in &enc {
            ids.extend(e.get_ids().iter().map(|&v| v as i64));
            mask.extend(e.get_attention_mask().iter().map(|&v| v as i64));
        }
        let ids = Tensor::from_vec(ids, (n, len), &self.device).map_err(run_err)?;
        let mask = Tensor::from_vec(mask, (n, len), &self.device).map_err(run_err)?;
        let types = ids.zeros_like().map_err(run_err)?;
        let hidden = self
            .model
            .forward(&ids, &types, Some(&mask))
            .map_err(run_err)?;
        let m = mask
            .to_dtype(DType::F32)
            .and_then(|m| m.unsqueeze(2))
            .map_err(run_err)?;
        let summed = hidden
            .broadcast_mul(&m)
            .and_then(|t| t.sum(1))
            .map_err(run_err)?;
        let counts = m
            .sum(1)
            .and_then(|c| c.clamp(1e-9, f64::MAX))
            .map_err(run_err)?;
        let mean = summed.broadcast_div(&counts).map_err(run_err)?;
        let rows: Vec<Vec<f32>> = mean.to_vec2().map_err(run_err)?;
        Ok(rows
            .into_iter()
            .map(|mut r| {
                let norm = r.iter().map(|v| v * v).sum::<f32>().sqrt().max(1e-12);
                r.iter_mut().for_each(|v| *v /= norm);
                r
            })
            .collect())
    }
}

/// Cosine similarity of two vectors (0 if either is all zeros).
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na = a.iter().map(|v| v * v).sum::<f32>().sqrt();
    let nb = b.iter().map(|v| v * v).sum::<f32>().sqrt();
    if na == 0.0 || nb == 0.0 {
        0.0
    } else {
        dot / (na * nb)
    }
}

/// Where the model store keeps MiniLM: `$HOTWASH_MODELS/all-MiniLM-L6-v2`
/// under the given models root.
pub fn model_dir(models_root: &Path) -> PathBuf {
    models_root.join("all-MiniLM-L6-v2")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cosine_of_parallel_and_orthogonal() {
        assert!((cosine(&[1.0, 0.0], &[2.0, 0.0]) - 1.0).abs() < 1e-6);
        assert_eq!(cosine(&[1.0, 0.0], &[0.0, 3.0]), 0.0);
        assert_eq!(cosine(&[0.0, 0.0], &[1.0, 0.0]), 0.0);
    }

    #[test]
    fn a_missing_directory_names_the_file_and_the_fix() {
        let e = SentenceEmbedder::load(Path::new("/nonexistent/minilm")).unwrap_err();
        let s = e.to_string();
        assert!(
            s.contains("model.safetensors") && s.contains("hotwash models fetch minilm"),
            "{s}"
        );
    }
}
