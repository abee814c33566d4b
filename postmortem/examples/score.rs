//! Scores the records built from the scenarios' reference transcripts and the
//! engine's transcripts against their truth, without building the engine.
//!
//! `cargo run -p hotwash-postmortem --example score [SCENARIOS] [TRANSCRIPTS] [-q]`
//! (defaults: `/work/shared/scenarios`, `target/eval-transcripts`; `-q` hides
//! the per-scenario missed/extra notes).

use std::path::{Path, PathBuf};

use hotwash_postmortem::eval;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let quiet = args.iter().any(|a| a == "-q");
    let mut pos = args.iter().filter(|a| !a.starts_with('-'));
    let scenarios = pos
        .next()
        .cloned()
        .unwrap_or_else(|| "/work/shared/scenarios".into());
    let transcripts = pos
        .next()
        .cloned()
        .unwrap_or_else(|| "/work/main/target/eval-transcripts".into());
    let scores = match eval::evaluate(&[PathBuf::from(scenarios)], Some(Path::new(&transcripts))) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("score: {e}");
            std::process::exit(1);
        }
    };
    print!("{}", eval::table(&scores));
    if !quiet {
        for s in &scores {
            for n in &s.notes {
                println!("{} [{}] {n}", s.scenario, s.source);
            }
        }
    }
}
