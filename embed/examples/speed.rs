//! Embedding speed: `cargo run --release -p hotwash-embed --example speed -- MODEL_DIR [N]`
//! (set `RAYON_NUM_THREADS` to choose the threads). Sentences are made up
//! here, of call-like length.

use std::time::Instant;

use hotwash_embed::SentenceEmbedder;

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = args.next().expect("usage: speed MODEL_DIR [N]");
    let n: usize = args.next().and_then(|v| v.parse().ok()).unwrap_or(256);
    let e = SentenceEmbedder::load(std::path::Path::new(&dir)).unwrap_or_else(|e| {
        eprintln!("speed: {e}");
        std::process::exit(1)
    });
    let subjects = [
        "the checkout service",
        "error rates",
        "the primary database",
        "our queue",
    ];
    let verbs = [
        "is climbing again",
        "looks stable since the rollback",
        "went down at ten past",
        "needs a restart",
    ];
    let tails = [
        "",
        " and I'll keep an eye on it",
        " so let's page the on-call",
        ", can someone confirm on the dashboard?",
    ];
    let texts: Vec<String> = (0..n)
        .map(|i| {
            format!(
                "{} {}{}",
                subjects[i % 4],
                verbs[(i / 4) % 4],
                tails[(i / 16) % 4]
            )
        })
        .collect();
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    e.embed(&refs[..refs.len().min(8)]).unwrap();
    let t = Instant::now();
    let v = e.embed(&refs).unwrap();
    let s = t.elapsed().as_secs_f64();
    println!(
        "{} sentences in {s:.2} s: {:.1} sentences/s (threads: {})",
        v.len(),
        v.len() as f64 / s,
        std::env::var("RAYON_NUM_THREADS").unwrap_or_else(|_| "default".into())
    );
}
