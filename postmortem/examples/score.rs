//! Scores the records built from the scenarios' reference transcripts
//! against their truth, without building the engine.
//!
//! `cargo run -p hotwash-postmortem --example score [SCENARIOS...]`
//! (default: `../shared/scenarios` beside the checkout).

use std::path::PathBuf;

use hotwash_postmortem::{build_record, eval, Options};

fn main() {
    let mut dirs: Vec<PathBuf> = std::env::args().skip(1).map(PathBuf::from).collect();
    if dirs.is_empty() {
        dirs.push(PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/scenarios"
        )));
    }
    let cases = match eval::load_cases(&dirs) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("score: {e}");
            std::process::exit(1);
        }
    };
    let mut rows = Vec::new();
    for case in &cases {
        match case.reference_call() {
            Ok(call) => rows.push(eval::Row {
                scenario: case.id.clone(),
                source: "reference".into(),
                score: case.score(&build_record(&call, &Options::default())),
                record: None,
            }),
            Err(e) => eprintln!("score: {e}"),
        }
    }
    print!("{}", eval::table(&rows));
}
