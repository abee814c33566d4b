//! The real download path: pip fetches the (small) Silero VAD wheel from
//! PyPI into an empty store, which checks, installs and verifies it.

use hotwash_models::catalogue::{self, Variant};
use hotwash_models::verify::{verify_file_with_sha256, ModelKind};
use hotwash_models::Store;

#[test]
fn fetches_silero_with_pip_into_an_empty_store() {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let store = Store::new(dir.path());
    let store = match std::env::var_os("HOTWASH_PYTHON") {
        Some(p) => store.with_python(p),
        None => store,
    };
    let mut messages = Vec::new();
    let path = store
        .fetch("silero-v6.2.0", None, &mut |m| messages.push(m.to_string()))
        .unwrap();
    assert!(
        messages
            .iter()
            .any(|m| m.contains("fetching silero-v6.2.0 from PyPI")),
        "{messages:?}"
    );
    let out = catalogue::find("silero-v6.2.0")
        .unwrap()
        .output(Variant::AsIs)
        .unwrap();
    assert_eq!(path, dir.path().join(out.file_name));
    let summary = verify_file_with_sha256(&path, out.sha256).unwrap();
    assert_eq!(summary.kind, ModelKind::SileroVad);
    assert!(store
        .wheel_dir()
        .join(catalogue::find("silero-v6.2.0").unwrap().wheels[0].filename)
        .is_file());
    let notice = std::fs::read_to_string(hotwash_models::license::notice_path(&path)).unwrap();
    assert!(notice.contains("MIT License"), "{notice}");
    assert_eq!(store.resolve("silero-v6.2.0").unwrap(), path);
}
