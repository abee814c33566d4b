//! Loads the real all-MiniLM-L6-v2 when the model store has it
//! (`hotwash models fetch minilm`), else skips with a note.

use std::path::PathBuf;

use hotwash_embed::{cosine, model_dir, SentenceEmbedder, DIM};

fn store() -> Option<PathBuf> {
    let root = std::env::var_os("HOTWASH_MODELS")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/hotwash/models"))
        })?;
    let dir = model_dir(&root);
    dir.join("model.safetensors").is_file().then_some(dir)
}

#[test]
fn paraphrases_are_closer_than_unrelated_sentences() {
    let Some(dir) = store() else {
        eprintln!("skipped: no all-MiniLM-L6-v2 in the model store (hotwash models fetch minilm)");
        return;
    };
    let e = SentenceEmbedder::load(&dir).unwrap();
    let v = e
        .embed(&[
            "roll it back now",
            "let's revert the deploy",
            "the weather is lovely by the sea today",
        ])
        .unwrap();
    assert_eq!(v.len(), 3);
    for r in &v {
        assert_eq!(r.len(), DIM);
        let n: f32 = r.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((n - 1.0).abs() < 1e-4);
    }
    let near = cosine(&v[0], &v[1]);
    let far = cosine(&v[0], &v[2]);
    assert!(near > far + 0.1, "paraphrase {near}, unrelated {far}");
}

#[test]
fn batches_match_single_sentences_and_long_input_is_truncated() {
    let Some(dir) = store() else {
        eprintln!("skipped: no all-MiniLM-L6-v2 in the model store");
        return;
    };
    let e = SentenceEmbedder::load(&dir).unwrap();
    let long = "the queue is backing up again ".repeat(60);
    let texts = ["page the database on-call", "short", long.as_str()];
    let batch = e.embed(&texts).unwrap();
    for (t, b) in texts.iter().zip(&batch) {
        let one = e.embed(&[t]).unwrap();
        assert!(cosine(&one[0], b) > 0.9999, "{t}");
    }
}
