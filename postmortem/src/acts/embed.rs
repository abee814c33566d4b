//! Sentence embeddings as features of the act head, behind a trait so this
//! crate needs no ML runtime: the caller that has a model (the `hotwash`
//! binary loads all-MiniLM-L6-v2 through `hotwash-embed`) passes an
//! [`Embed`] in [`crate::Options::embedder`]; without one the words-only
//! head is used. [`EmbedCache`] keeps each sentence's vector so training
//! and cross-validation embed every utterance once.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Width of the sentence embeddings the act head reads.
pub const EMBED_DIM: usize = 384;

/// Turns sentences into unit-length vectors of [`EMBED_DIM`] numbers.
pub trait Embed: Send + Sync + std::fmt::Debug {
    /// The model's name, stored in heads trained on it (e.g. `all-MiniLM-L6-v2`).
    fn name(&self) -> &str;
    /// One vector per text, in order.
    fn embed(&self, texts: &[&str]) -> std::result::Result<Vec<Vec<f32>>, String>;
}

fn key(model: &str, text: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in model.bytes().chain([0]).chain(text.bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{h:016x}{:04x}", text.len() & 0xffff)
}

#[derive(Serialize, Deserialize)]
struct CacheFile {
    format: String,
    model: String,
    vectors: HashMap<String, Vec<f32>>,
}

const CACHE_FORMAT: &str = "hotwash.embed-cache/1";

/// An [`Embed`] that remembers every vector by a hash of its text, and can
/// keep them in a JSON file between runs.
#[derive(Debug)]
pub struct EmbedCache {
    inner: Arc<dyn Embed>,
    vectors: Mutex<HashMap<String, Vec<f32>>>,
    file: Option<PathBuf>,
}

impl EmbedCache {
    /// A cache in memory only.
    pub fn new(inner: Arc<dyn Embed>) -> Self {
        EmbedCache {
            inner,
            vectors: Mutex::new(HashMap::new()),
            file: None,
        }
    }

    /// A cache kept in `file` (read now if it exists and is for the same
    /// model; written by [`EmbedCache::save`]).
    pub fn with_file(inner: Arc<dyn Embed>, file: &Path) -> Self {
        let vectors = std::fs::read_to_string(file)
            .ok()
            .and_then(|t| serde_json::from_str::<CacheFile>(&t).ok())
            .filter(|c| c.format == CACHE_FORMAT && c.model == inner.name())
            .map(|c| c.vectors)
            .unwrap_or_default();
        EmbedCache {
            inner,
            vectors: Mutex::new(vectors),
            file: Some(file.to_path_buf()),
        }
    }

    /// Number of vectors held.
    pub fn len(&self) -> usize {
        self.vectors.lock().map(|v| v.len()).unwrap_or(0)
    }

    /// True when no vector is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Writes the cache to its file (if it has one).
    pub fn save(&self) -> Result<()> {
        let Some(path) = &self.file else {
            return Ok(());
        };
        let vectors = self.vectors.lock().map(|v| v.clone()).unwrap_or_default();
        let text = serde_json::to_string(&CacheFile {
            format: CACHE_FORMAT.into(),
            model: self.inner.name().into(),
            vectors,
        })
        .map_err(|e| Error::Embed {
            reason: e.to_string(),
        })?;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            let _ = std::fs::create_dir_all(dir);
        }
        let tmp = path.with_extension("json.partial");
        std::fs::write(&tmp, text)
            .and_then(|_| std::fs::rename(&tmp, path))
            .map_err(|err| Error::Write {
                path: path.clone(),
                err,
            })
    }
}

impl Embed for EmbedCache {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn embed(&self, texts: &[&str]) -> std::result::Result<Vec<Vec<f32>>, String> {
        let model = self.inner.name().to_string();
        let keys: Vec<String> = texts.iter().map(|t| key(&model, t)).collect();
        let missing: Vec<&str> = {
            let held = self.vectors.lock().map_err(|e| e.to_string())?;
            let mut seen = std::collections::HashSet::new();
            texts
                .iter()
                .zip(&keys)
                .filter(|(_, k)| !held.contains_key(*k) && seen.insert((*k).clone()))
                .map(|(t, _)| *t)
                .collect()
        };
        if !missing.is_empty() {
            let got = self.inner.embed(&missing)?;
            if got.len() != missing.len() {
                return Err(format!(
                    "{} vectors for {} sentences",
                    got.len(),
                    missing.len()
                ));
            }
            let mut held = self.vectors.lock().map_err(|e| e.to_string())?;
            for (t, v) in missing.iter().zip(got) {
                held.insert(key(&model, t), v);
            }
        }
        let held = self.vectors.lock().map_err(|e| e.to_string())?;
        Ok(keys.iter().map(|k| held[k].clone()).collect())
    }
}

/// The embedding of every utterance of a call, checked for width.
pub fn embed_call(call: &crate::input::Call, e: &dyn Embed) -> Result<Vec<Vec<f32>>> {
    let texts: Vec<&str> = call.utterances.iter().map(|u| u.text.as_str()).collect();
    let v = e.embed(&texts).map_err(|reason| Error::Embed { reason })?;
    if v.len() != texts.len() || v.iter().any(|r| r.len() != EMBED_DIM) {
        return Err(Error::Embed {
            reason: format!(
                "{} gave vectors of the wrong shape (want {} of {EMBED_DIM})",
                e.name(),
                texts.len()
            ),
        });
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A stand-in embedder: counts calls, vector from the text's length.
    #[derive(Debug, Default)]
    pub(crate) struct Fake(pub AtomicUsize);

    impl Embed for Fake {
        fn name(&self) -> &str {
            "fake"
        }
        fn embed(&self, texts: &[&str]) -> std::result::Result<Vec<Vec<f32>>, String> {
            self.0.fetch_add(texts.len(), Ordering::SeqCst);
            Ok(texts
                .iter()
                .map(|t| {
                    let mut v = vec![0.0; EMBED_DIM];
                    v[t.len() % EMBED_DIM] = 1.0;
                    v
                })
                .collect())
        }
    }

    #[test]
    fn the_cache_embeds_each_text_once_and_survives_a_file() {
        let fake = Arc::new(Fake::default());
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("c.json");
        let c = EmbedCache::with_file(fake.clone(), &file);
        let a = c.embed(&["one", "two!", "one"]).unwrap();
        assert_eq!(a[0], a[2]);
        assert_eq!(fake.0.load(Ordering::SeqCst), 2);
        c.embed(&["two!"]).unwrap();
        assert_eq!(fake.0.load(Ordering::SeqCst), 2);
        c.save().unwrap();
        let fake2 = Arc::new(Fake::default());
        let c2 = EmbedCache::with_file(fake2.clone(), &file);
        assert_eq!(c2.len(), 2);
        assert_eq!(c2.embed(&["one"]).unwrap()[0], a[0]);
        assert_eq!(fake2.0.load(Ordering::SeqCst), 0);
    }
}
