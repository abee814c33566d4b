//! Verifier for ggml model files: walks the header and the tensor directory
//! the way whisper.cpp's loader does and rejects anything it would reject
//! (foreign files, truncation, wrong shapes or types, trailing bytes).

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::error::{ModelError, Result};
use crate::layout::{self, GgmlType, Hparams, GGML_MAGIC};

/// What kind of ggml model a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelKind {
    /// A whisper.cpp speech-recognition model.
    Whisper,
    /// A whisper.cpp Silero voice-activity model (checked by header and checksum only).
    SileroVad,
}

/// What verification found out about a file.
#[derive(Debug, Clone)]
pub struct ModelSummary {
    /// The file verified.
    pub path: PathBuf,
    /// Its kind.
    pub kind: ModelKind,
    /// Its size in bytes.
    pub file_size: u64,
    /// Hyper-parameters (whisper models only).
    pub hparams: Option<Hparams>,
    /// Type of the weight matrices (whisper models only).
    pub matrix_type: Option<GgmlType>,
    /// Number of vocabulary entries stored.
    pub n_tokens: usize,
    /// Number of tensors stored.
    pub n_tensors: usize,
    /// SHA-256, when it was computed.
    pub sha256: Option<String>,
}

/// SHA-256 of a file, lower-case hex.
pub fn sha256_file(path: &Path) -> Result<String> {
    let mut file = File::open(path).map_err(|e| ModelError::io(path, e))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf).map_err(|e| ModelError::io(path, e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(format!("{:x}", hasher.finalize()))
}

/// Checks `path`'s SHA-256 against `expected`.
pub fn check_sha256(path: &Path, expected: &str) -> Result<String> {
    let actual = sha256_file(path)?;
    if actual != expected {
        return Err(ModelError::ChecksumMismatch {
            path: path.to_path_buf(),
            expected: expected.to_string(),
            actual,
            advice: "delete it and fetch it again".into(),
        });
    }
    Ok(actual)
}

/// Verifies `path` structurally (header, vocabulary, every tensor) without
/// reading the tensor data.
pub fn verify_file(path: &Path) -> Result<ModelSummary> {
    let file = File::open(path).map_err(|e| ModelError::io(path, e))?;
    let size = file.metadata().map_err(|e| ModelError::io(path, e))?.len();
    let mut r = Walker {
        inner: BufReader::with_capacity(1 << 16, file),
        pos: 0,
        size,
        path,
    };
    r.walk()
}

/// Verifies `path` structurally and checks its SHA-256 against `expected`.
pub fn verify_file_with_sha256(path: &Path, expected: &str) -> Result<ModelSummary> {
    let mut summary = verify_file(path)?;
    summary.sha256 = Some(check_sha256(path, expected)?);
    Ok(summary)
}

struct Walker<'p> {
    inner: BufReader<File>,
    pos: u64,
    size: u64,
    path: &'p Path,
}

/// Upper bounds no real whisper model comes near; they keep garbage from
/// turning into huge allocations or loops.
const MAX_DIM: usize = 1 << 20;
const MAX_TOKEN_BYTES: usize = 1 << 10;
const MAX_NAME_BYTES: usize = 256;

impl Walker<'_> {
    fn truncated(&self, what: &str) -> ModelError {
        ModelError::GgmlTruncated {
            path: self.path.to_path_buf(),
            reason: format!("the file ends at byte {} inside {what}", self.size),
        }
    }

    fn invalid(&self, reason: impl Into<String>) -> ModelError {
        ModelError::InvalidGgml {
            path: self.path.to_path_buf(),
            reason: reason.into(),
        }
    }

    fn not_ggml(&self, reason: impl Into<String>) -> ModelError {
        ModelError::NotGgml {
            path: self.path.to_path_buf(),
            reason: reason.into(),
        }
    }

    fn bytes(&mut self, n: usize, what: &str) -> Result<Vec<u8>> {
        if self.pos + n as u64 > self.size {
            return Err(self.truncated(what));
        }
        let mut buf = vec![0u8; n];
        self.inner
            .read_exact(&mut buf)
            .map_err(|e| ModelError::io(self.path, e))?;
        self.pos += n as u64;
        Ok(buf)
    }

    fn i32(&mut self, what: &str) -> Result<i32> {
        let b = self.bytes(4, what)?;
        Ok(i32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn skip(&mut self, n: u64, what: &str) -> Result<()> {
        if self.pos + n > self.size {
            return Err(self.truncated(what));
        }
        let offset = i64::try_from(n).map_err(|_| self.invalid(format!("{what} is too large")))?;
        self.inner
            .seek_relative(offset)
            .map_err(|e| ModelError::io(self.path, e))?;
        self.pos += n;
        Ok(())
    }

    fn walk(&mut self) -> Result<ModelSummary> {
        if self.size < 4 {
            return Err(self.not_ggml(format!("only {} bytes long", self.size)));
        }
        let magic = self.bytes(4, "the magic number")?;
        if magic == b"GGUF" {
            return Err(
                self.not_ggml("it is a GGUF file; whisper.cpp needs the legacy ggml format")
            );
        }
        if u32::from_le_bytes([magic[0], magic[1], magic[2], magic[3]]) != GGML_MAGIC {
            return Err(self.not_ggml(format!("bad magic number {magic:02x?}")));
        }
        let first = self.i32("the hyper-parameters")?;
        // Silero VAD files follow the magic with a short model-type string.
        let buffered = self
            .inner
            .fill_buf()
            .map_err(|e| ModelError::io(self.path, e))?;
        if (1..=64).contains(&first) && buffered.starts_with(b"silero") {
            return Ok(self.summary(ModelKind::SileroVad, None, None, 0, 0));
        }
        self.whisper(first)
    }

    fn summary(
        &self,
        kind: ModelKind,
        hparams: Option<Hparams>,
        matrix_type: Option<GgmlType>,
        n_tokens: usize,
        n_tensors: usize,
    ) -> ModelSummary {
        ModelSummary {
            path: self.path.to_path_buf(),
            kind,
            file_size: self.size,
            hparams,
            matrix_type,
            n_tokens,
            n_tensors,
            sha256: None,
        }
    }

    /// Reads the hyper-parameters; `first` (n_vocab) is already read.
    fn hparams(&mut self, first: i32) -> Result<Hparams> {
        let mut raw = vec![first];
        loop {
            // Judge each value as it comes, so garbage after a ggml magic
            // reads as "not a whisper model" rather than as truncation.
            let last = raw[raw.len() - 1];
            let ok = if raw.len() <= 10 {
                usize::try_from(last).is_ok_and(|v| (1..=MAX_DIM).contains(&v))
            } else {
                last >= 0
            };
            if !ok {
                return Err(self.not_ggml(format!(
                    "hyper-parameter {} is {last}, which no whisper model has",
                    raw.len()
                )));
            }
            if raw.len() == 11 {
                break;
            }
            raw.push(self.i32("the hyper-parameters")?);
        }
        let dims: Vec<usize> = raw[..10]
            .iter()
            .map(|&v| {
                usize::try_from(v)
                    .ok()
                    .filter(|&v| (1..=MAX_DIM).contains(&v))
            })
            .collect::<Option<_>>()
            .ok_or_else(|| {
                self.not_ggml(format!(
                    "hyper-parameters {:?} are not those of a whisper model",
                    &raw[..10]
                ))
            })?;
        let h = Hparams {
            n_vocab: dims[0],
            n_audio_ctx: dims[1],
            n_audio_state: dims[2],
            n_audio_head: dims[3],
            n_audio_layer: dims[4],
            n_text_ctx: dims[5],
            n_text_state: dims[6],
            n_text_head: dims[7],
            n_text_layer: dims[8],
            n_mels: dims[9],
            ftype: raw[10],
        };
        let plausible = h.n_audio_state.is_multiple_of(h.n_audio_head)
            && h.n_text_state.is_multiple_of(h.n_text_head)
            && h.n_audio_layer <= 256
            && h.n_text_layer <= 256
            && h.n_mels <= 1024
            && h.ftype >= 0;
        if !plausible {
            return Err(self.not_ggml(format!(
                "hyper-parameters {h:?} are not those of a whisper model"
            )));
        }
        Ok(h)
    }

    fn whisper(&mut self, first: i32) -> Result<ModelSummary> {
        let h = self.hparams(first)?;
        let wtype = GgmlType::for_ftype(h.base_ftype())
            .ok_or_else(|| self.invalid(format!("unsupported ftype {}", h.ftype)))?;

        let n_mel = self.i32("the mel filter header")?;
        let n_fft = self.i32("the mel filter header")?;
        if usize::try_from(n_mel).ok() != Some(h.n_mels) || !(1..=4096).contains(&n_fft) {
            return Err(self.invalid(format!(
                "mel filters are {n_mel} × {n_fft}, expected {} × (1 + n_fft/2)",
                h.n_mels
            )));
        }
        self.skip(4 * n_mel as u64 * n_fft as u64, "the mel filters")?;

        let n_tokens = self.i32("the vocabulary size")?;
        let n_tokens = usize::try_from(n_tokens)
            .ok()
            .filter(|&n| n <= h.n_vocab)
            .ok_or_else(|| {
                self.invalid(format!(
                    "{n_tokens} vocabulary entries for n_vocab {}",
                    h.n_vocab
                ))
            })?;
        for i in 0..n_tokens {
            let len = self.i32("the vocabulary")?;
            let len = usize::try_from(len)
                .ok()
                .filter(|&l| l <= MAX_TOKEN_BYTES)
                .ok_or_else(|| self.invalid(format!("vocabulary entry {i} has length {len}")))?;
            self.skip(len as u64, "the vocabulary")?;
        }

        let expected: HashMap<String, layout::TensorSpec> = layout::whisper_tensors(&h)
            .into_iter()
            .map(|s| (s.name.clone(), s))
            .collect();
        let mut seen = std::collections::HashSet::new();
        while self.pos < self.size {
            if seen.len() == expected.len() {
                return Err(self.invalid(format!(
                    "{} trailing bytes after the last of {} tensors",
                    self.size - self.pos,
                    expected.len()
                )));
            }
            let n_dims = self.i32("a tensor header")?;
            let name_len = self.i32("a tensor header")?;
            let code = self.i32("a tensor header")?;
            if !(1..=4).contains(&n_dims) || !(1..=MAX_NAME_BYTES as i32).contains(&name_len) {
                return Err(self.invalid(format!(
                    "tensor header at byte {} is corrupt (n_dims {n_dims}, name length {name_len})",
                    self.pos - 12
                )));
            }
            let mut ne = Vec::with_capacity(n_dims as usize);
            for _ in 0..n_dims {
                let d = self.i32("a tensor header")?;
                let d = usize::try_from(d)
                    .ok()
                    .filter(|&d| (1..=1 << 24).contains(&d))
                    .ok_or_else(|| {
                        self.invalid(format!("tensor dimension {d} at byte {}", self.pos - 4))
                    })?;
                ne.push(d);
            }
            let name = self.bytes(name_len as usize, "a tensor name")?;
            let name = String::from_utf8(name).map_err(|_| {
                self.invalid(format!("tensor name at byte {} is not UTF-8", self.pos))
            })?;
            let spec = expected
                .get(&name)
                .ok_or_else(|| self.invalid(format!("unknown tensor '{name}'")))?;
            if !seen.insert(name.clone()) {
                return Err(self.invalid(format!("tensor '{name}' appears twice")));
            }
            let pad = |v: &[usize]| {
                let mut p = v.to_vec();
                p.resize(4, 1);
                p
            };
            if pad(&ne) != pad(&spec.ne) {
                return Err(self.invalid(format!(
                    "tensor '{name}' has dimensions {ne:?}, expected {:?}",
                    spec.ne
                )));
            }
            let ttype = GgmlType::from_code(code)
                .ok_or_else(|| self.invalid(format!("tensor '{name}' has unknown type {code}")))?;
            let want = spec.role.ggml_type(wtype);
            if ttype != want {
                return Err(self.invalid(format!(
                    "tensor '{name}' is {}, whisper.cpp expects {} in an ftype {} file",
                    ttype.name(),
                    want.name(),
                    h.ftype
                )));
            }
            let nbytes = ttype.tensor_bytes(&ne).ok_or_else(|| {
                self.invalid(format!(
                    "tensor '{name}' rows are not whole {} blocks",
                    ttype.name()
                ))
            })?;
            self.skip(nbytes, &format!("the data of tensor '{name}'"))?;
        }
        if seen.len() < expected.len() {
            let mut missing: Vec<&String> =
                expected.keys().filter(|k| !seen.contains(*k)).collect();
            missing.sort();
            return Err(ModelError::GgmlTruncated {
                path: self.path.to_path_buf(),
                reason: format!(
                    "the file ends after {} of {} tensors; missing e.g. '{}'",
                    seen.len(),
                    expected.len(),
                    missing[0]
                ),
            });
        }
        Ok(self.summary(
            ModelKind::Whisper,
            Some(h),
            Some(wtype),
            n_tokens,
            seen.len(),
        ))
    }
}
