//! all-MiniLM-L6-v2 from the model store as the act head's [`Embed`].

use std::path::{Path, PathBuf};
use std::sync::Arc;

use hotwash_embed::SentenceEmbedder;
use hotwash_postmortem::acts::{Embed, MINILM};

/// [`SentenceEmbedder`] behind the postmortem crate's trait.
#[derive(Debug)]
pub struct MiniLm(pub SentenceEmbedder);

impl Embed for MiniLm {
    fn name(&self) -> &str {
        MINILM
    }
    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, String> {
        self.0.embed(texts).map_err(|e| e.to_string())
    }
}

/// Where the model store keeps MiniLM (`$HOTWASH_MODELS/all-MiniLM-L6-v2`).
pub fn store_dir() -> Option<PathBuf> {
    hotwash_models::default_model_dir()
        .ok()
        .map(|d| hotwash_embed::model_dir(&d))
}

/// Loads MiniLM from `dir`.
pub fn load(dir: &Path) -> Result<Arc<dyn Embed>, hotwash_embed::EmbedError> {
    Ok(Arc::new(MiniLm(SentenceEmbedder::load(dir)?)))
}

/// MiniLM from the model store when it is there; otherwise `None` and one
/// note on stderr saying how to fetch it (the words-only head is used).
pub fn from_store_or_note() -> Option<Arc<dyn Embed>> {
    let dir = store_dir()?;
    match load(&dir) {
        Ok(e) => Some(e),
        Err(hotwash_embed::EmbedError::Missing { .. }) => {
            eprintln!(
                "note: act labeller without sentence embeddings (words only); `hotwash models fetch minilm` adds them"
            );
            None
        }
        Err(e) => {
            eprintln!("note: act labeller without sentence embeddings (words only): {e}");
            None
        }
    }
}
