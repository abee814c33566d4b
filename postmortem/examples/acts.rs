//! Development loop for the act labeller without building the engine:
//! rules alone vs leave-one-call-out combined, over scenario directories.
//!
//! `cargo run --release -p hotwash-postmortem --example acts -- DIR... [--keep X --add Y --timeline Z --trigger W]`

use std::path::PathBuf;

use hotwash_postmortem::acts::{Thresholds, TrainConfig};
use hotwash_postmortem::{eval, Extraction, Options};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut dirs = Vec::new();
    let mut th = Thresholds::default();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut num = || it.next().and_then(|v| v.parse().ok()).unwrap_or(0.5);
        match a.as_str() {
            "--keep" => th.keep = num(),
            "--add" => th.add = num(),
            "--timeline" => th.timeline = num(),
            "--trigger" => th.trigger = num(),
            d => dirs.push(PathBuf::from(d)),
        }
    }
    let cases = eval::load_cases(&dirs).unwrap_or_else(|e| {
        eprintln!("acts: {e}");
        std::process::exit(1)
    });
    let rules = Options {
        extraction: Extraction::Rules,
        ..Options::default()
    };
    let mut rows = eval::reference_rows(&cases, "rules", &rules).unwrap();
    let opts = Options {
        thresholds: Some(th),
        ..Options::default()
    };
    rows.extend(eval::cross_validate(&cases, &TrainConfig::default(), &opts).unwrap());
    print!("{}", eval::table(&rows));
}
