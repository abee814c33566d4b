//! The incident directory's manifest (`.hotwash-manifest.json`): what
//! hotwash wrote there, from which inputs, with each file's sha256. A re-run
//! over the same inputs replaces files nobody touched; anything else (hand
//! edits, another incident, files hotwash did not write) is refused unless
//! the user says `--force` or `--keep-previous`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The manifest's file name inside an incident directory.
pub const MANIFEST: &str = ".hotwash-manifest.json";
const SCHEMA: &str = "hotwash.manifest/1";

/// What hotwash wrote into an incident directory.
#[derive(Debug, Serialize, Deserialize)]
pub struct Manifest {
    /// Always `hotwash.manifest/1`.
    pub schema: String,
    /// The incident's id.
    pub incident: String,
    /// The inputs it was built from (canonical paths, sorted).
    pub inputs: Vec<String>,
    /// File name → sha256 (hex) of the bytes hotwash wrote.
    pub files: BTreeMap<String, String>,
}

/// The sha256 of a file, hex.
pub fn sha256_of(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).with_context(|| format!("{}: cannot read", path.display()))?;
    Ok(format!("{:x}", Sha256::digest(&bytes)))
}

/// Canonical, sorted input paths as the manifest records them.
pub fn canonical_inputs<'a>(inputs: impl IntoIterator<Item = &'a Path>) -> Vec<String> {
    let mut v: Vec<String> = inputs
        .into_iter()
        .map(|p| {
            std::fs::canonicalize(p)
                .unwrap_or_else(|_| p.to_path_buf())
                .display()
                .to_string()
        })
        .collect();
    v.sort();
    v.dedup();
    v
}

/// What `--force` / `--keep-previous` ask for when the directory holds earlier results.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overwrite {
    /// Refuse unless the earlier results are this run's own, untouched.
    Refuse,
    /// Overwrite anyway.
    Force,
    /// Move the earlier version aside first.
    KeepPrevious,
}

fn read_manifest(out: &Path) -> Option<Manifest> {
    let text = std::fs::read_to_string(out.join(MANIFEST)).ok()?;
    serde_json::from_str(&text).ok()
}

/// Earlier results in `out`: the files hotwash writes there (`names`,
/// every `*.transcript.json`, whatever the manifest lists) that exist.
fn earlier_files(out: &Path, names: &[String], manifest: Option<&Manifest>) -> Vec<String> {
    let mut v: Vec<String> = names.to_vec();
    if let Some(m) = manifest {
        v.extend(m.files.keys().cloned());
    }
    if let Ok(rd) = std::fs::read_dir(out) {
        for e in rd.flatten() {
            let n = e.file_name().to_string_lossy().into_owned();
            if n.ends_with(".transcript.json") {
                v.push(n);
            }
        }
    }
    v.sort();
    v.dedup();
    v.retain(|n| out.join(n).is_file());
    v
}

/// Why the earlier results in `out` must not be overwritten, if they must not.
fn conflict(
    out: &Path,
    existing: &[String],
    manifest: Option<&Manifest>,
    inputs: &[String],
    id: Option<&str>,
) -> Result<Option<String>> {
    let Some(m) = manifest else {
        return Ok(Some(format!(
            "holds {} that hotwash has no record of writing",
            existing.join(", ")
        )));
    };
    if m.inputs != inputs || id.is_some_and(|id| id != m.incident) {
        return Ok(Some(format!(
            "holds incident {} built from other inputs",
            m.incident
        )));
    }
    for name in existing {
        match m.files.get(name) {
            None => return Ok(Some(format!("holds {name}, which hotwash did not write"))),
            Some(sha) if *sha != sha256_of(&out.join(name))? => {
                return Ok(Some(format!("{name} was changed since hotwash wrote it")))
            }
            Some(_) => {}
        }
    }
    Ok(None)
}

/// Checks `out` before anything is written into it; with `KeepPrevious`
/// moves the earlier version into `previous-<UTC time>/`, with `Force`
/// lets it be overwritten, else refuses when it is not this run's own.
pub fn prepare(
    out: &Path,
    names: &[String],
    inputs: &[String],
    id: Option<&str>,
    mode: Overwrite,
) -> Result<()> {
    if !out.is_dir() {
        return Ok(());
    }
    let manifest = read_manifest(out);
    let existing = earlier_files(out, names, manifest.as_ref());
    if existing.is_empty() {
        return Ok(());
    }
    match mode {
        Overwrite::Force => Ok(()),
        Overwrite::KeepPrevious => {
            let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
            let mut aside = out.join(format!("previous-{stamp}"));
            let mut n = 1;
            while aside.exists() {
                n += 1;
                aside = out.join(format!("previous-{stamp}-{n}"));
            }
            std::fs::create_dir(&aside)
                .with_context(|| format!("{}: cannot create", aside.display()))?;
            let mut moved = existing;
            if out.join(MANIFEST).is_file() {
                moved.push(MANIFEST.to_string());
            }
            for name in &moved {
                std::fs::rename(out.join(name), aside.join(name))
                    .with_context(|| format!("{}: cannot move aside", out.join(name).display()))?;
            }
            eprintln!("moved the previous version to {}", aside.display());
            Ok(())
        }
        Overwrite::Refuse => match conflict(out, &existing, manifest.as_ref(), inputs, id)? {
            None => Ok(()),
            Some(why) => bail!(
                "{}: {why}; pass --keep-previous to move it aside or --force to overwrite",
                out.display()
            ),
        },
    }
}

/// Records what was written (after every file is in place).
pub fn write(out: &Path, incident: &str, inputs: Vec<String>, written: &[PathBuf]) -> Result<()> {
    let mut files = BTreeMap::new();
    for p in written {
        if let Some(name) = p.file_name() {
            files.insert(name.to_string_lossy().into_owned(), sha256_of(p)?);
        }
    }
    let m = Manifest {
        schema: SCHEMA.to_string(),
        incident: incident.to_string(),
        inputs,
        files,
    };
    let json = serde_json::to_string_pretty(&m)? + "\n";
    crate::cmd::output::write_document(&out.join(MANIFEST), json.as_bytes())
}

/// After `hotwash review` rewrote files in `out`: records their new hashes
/// in the manifest (when there is one), so a later `hotwash postmortem`
/// over the same inputs still knows them as its own.
pub fn refresh(out: &Path, written: &[PathBuf]) -> Result<()> {
    let Some(mut m) = read_manifest(out) else {
        return Ok(());
    };
    for p in written {
        if let Some(name) = p.file_name() {
            m.files
                .insert(name.to_string_lossy().into_owned(), sha256_of(p)?);
        }
    }
    let json = serde_json::to_string_pretty(&m)? + "\n";
    crate::cmd::output::write_document(&out.join(MANIFEST), json.as_bytes())
}
