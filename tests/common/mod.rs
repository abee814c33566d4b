//! Helpers shared by the end-to-end tests: paths, running the binaries.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `../shared` beside the checkout, or `None` (with a note) when absent.
pub fn shared(rel: &str) -> Option<PathBuf> {
    let p = root().join("../shared").join(rel);
    if p.exists() {
        Some(p)
    } else {
        eprintln!("skipping: {} is not here (../shared missing)", p.display());
        None
    }
}

/// A project fixture.
pub fn fixture(rel: &str) -> PathBuf {
    root().join("fixtures").join(rel)
}

/// A command for one of the package's binaries, quiet unless asked.
pub fn bin(name: &str) -> Command {
    let path = match name {
        "transcribe" => env!("CARGO_BIN_EXE_transcribe"),
        _ => env!("CARGO_BIN_EXE_hotwash"),
    };
    let mut c = Command::new(path);
    c.stdin(Stdio::null());
    c
}

/// Runs `transcribe ARGS…` and returns its output.
pub fn transcribe(args: &[&str]) -> Output {
    bin("transcribe")
        .args(args)
        .output()
        .expect("run transcribe")
}

/// stdout as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// stderr as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Parses a `-f json` transcript document.
pub fn transcript(o: &Output) -> serde_json::Value {
    assert!(
        o.status.success(),
        "transcribe failed: {}\n{}",
        o.status,
        stderr(o)
    );
    serde_json::from_slice(&o.stdout).expect("transcript JSON")
}

/// All utterance texts of a transcript, joined.
pub fn text_of(doc: &serde_json::Value) -> String {
    doc["utterances"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|u| u["text"].as_str())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default()
}

/// Path as &str.
pub fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}
