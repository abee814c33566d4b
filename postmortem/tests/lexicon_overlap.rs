//! The cue lexicon holds no phrase copied from the evaluation calls:
//! `postmortem/lexicon/check_overlap.py` lists every phrase of the rule
//! layer that occurs in the corpus dialogue (`../shared/scenarios`) and in
//! none of our own texts, and every example sentence that shares four words
//! in a row with a corpus turn; it must list nothing. Skips when the shared
//! folder or python3 is absent.

use std::path::PathBuf;
use std::process::Command;

#[test]
fn no_cue_is_copied_from_the_evaluation_calls() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let corpus = root.join("../../shared/scenarios");
    if !corpus.is_dir() {
        println!("skip: {} not found", corpus.display());
        return;
    }
    if Command::new("python3").arg("--version").output().is_err() {
        println!("skip: python3 missing");
        return;
    }
    let out = Command::new("python3")
        .arg(root.join("lexicon/check_overlap.py"))
        .arg("--corpus")
        .arg(&corpus)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "check_overlap.py reports copied cues:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
