//! Development loop for the act labeller without building the engine:
//! rules alone vs leave-one-call-out combined, over scenario directories.
//!
//! `cargo run --release -p hotwash-postmortem --example acts -- DIR... [--keep X --add Y --timeline Z --trigger W]
//!  [--embed MODEL_DIR [--cache FILE]] [--hold-out ID... [--write HEAD.json]]`
//!
//! `--embed` adds all-MiniLM-L6-v2 sentence embeddings to the head's
//! features (vectors cached in `--cache`, default
//! `$CARGO_TARGET_DIR/acts-embed-cache.json`, so reruns embed nothing).
//! `--hold-out` trains once on the other calls and scores only the held
//! ones (the figures of the data card); `--write` saves that head.

use std::path::PathBuf;
use std::sync::Arc;

use hotwash_embed::SentenceEmbedder;
use hotwash_postmortem::acts::{
    train_on, CueLabeller, Embed, EmbedCache, Thresholds, TrainConfig, MINILM,
};
use hotwash_postmortem::{eval, Extraction, Options};

#[derive(Debug)]
struct MiniLm(SentenceEmbedder);

impl Embed for MiniLm {
    fn name(&self) -> &str {
        MINILM
    }
    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, String> {
        self.0.embed(texts).map_err(|e| e.to_string())
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut dirs = Vec::new();
    let mut th = Thresholds::default();
    let mut embed_dir: Option<PathBuf> = None;
    let mut cache_file: Option<PathBuf> = None;
    let mut hold_out: Vec<String> = Vec::new();
    let mut write: Option<PathBuf> = None;
    let mut it = args.iter().peekable();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--keep" | "--add" | "--timeline" | "--trigger" => {
                let v = it.next().and_then(|v| v.parse().ok()).unwrap_or(0.5);
                match a.as_str() {
                    "--keep" => th.keep = v,
                    "--add" => th.add = v,
                    "--timeline" => th.timeline = v,
                    _ => th.trigger = v,
                }
            }
            "--embed" => embed_dir = it.next().map(PathBuf::from),
            "--cache" => cache_file = it.next().map(PathBuf::from),
            "--write" => write = it.next().map(PathBuf::from),
            "--hold-out" => {
                while let Some(id) =
                    it.next_if(|v| !v.starts_with("--") && !std::path::Path::new(v).exists())
                {
                    hold_out.push(id.clone());
                }
            }
            d => dirs.push(PathBuf::from(d)),
        }
    }
    let fail = |e: &dyn std::fmt::Display| -> ! {
        eprintln!("acts: {e}");
        std::process::exit(1)
    };
    let cases = eval::load_cases(&dirs).unwrap_or_else(|e| fail(&e));
    let cache = embed_dir.map(|d| {
        let model = SentenceEmbedder::load(&d).unwrap_or_else(|e| fail(&e));
        let file = cache_file.unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("CARGO_TARGET_DIR").unwrap_or_else(|| "target".into()))
                .join("acts-embed-cache.json")
        });
        Arc::new(EmbedCache::with_file(Arc::new(MiniLm(model)), &file))
    });
    let embedder: Option<Arc<dyn Embed>> = cache.clone().map(|c| c as Arc<dyn Embed>);
    let label = if embedder.is_some() {
        "words+minilm"
    } else {
        "words"
    };
    let opts = Options {
        thresholds: Some(th),
        embedder: embedder.clone(),
        ..Options::default()
    };
    let rows = if hold_out.is_empty() {
        let rules = Options {
            extraction: Extraction::Rules,
            ..Options::default()
        };
        let mut rows = eval::reference_rows(&cases, "rules", &rules).unwrap_or_else(|e| fail(&e));
        let started = std::time::Instant::now();
        rows.extend(
            eval::cross_validate(&cases, &TrainConfig::default(), &opts)
                .unwrap_or_else(|e| fail(&e)),
        );
        eprintln!(
            "acts: leave-one-call-out ({label}) in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        rows
    } else {
        let is_held = |id: &str| hold_out.iter().any(|h| id.starts_with(h.as_str()));
        let train: Vec<&eval::Case> = cases.iter().filter(|c| !is_held(&c.id)).collect();
        let held: Vec<eval::Case> = cases.iter().filter(|c| is_held(&c.id)).cloned().collect();
        let cues = CueLabeller::shipped().unwrap_or_else(|e| fail(&e));
        let head = train_on(&train, &cues, &TrainConfig::default(), embedder.as_deref())
            .unwrap_or_else(|e| fail(&e));
        if let Some(path) = &write {
            let text = serde_json::to_string(&head).unwrap_or_else(|e| fail(&e));
            std::fs::write(path, text).unwrap_or_else(|e| fail(&e));
            eprintln!(
                "acts: trained on {} calls; wrote {}",
                train.len(),
                path.display()
            );
        }
        let rules = Options {
            extraction: Extraction::Rules,
            ..Options::default()
        };
        let mut rows = eval::reference_rows(&held, "rules", &rules).unwrap_or_else(|e| fail(&e));
        let opts = Options {
            head: Some(Arc::new(head)),
            ..opts
        };
        rows.extend(
            eval::reference_rows(&held, &format!("held-aside {label}"), &opts)
                .unwrap_or_else(|e| fail(&e)),
        );
        rows
    };
    if let Some(c) = &cache {
        c.save().unwrap_or_else(|e| fail(&e));
    }
    print!("{}", eval::table(&rows));
}
