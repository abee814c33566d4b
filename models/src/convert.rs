//! CTranslate2 Whisper → whisper.cpp ggml conversion: hyper-parameters from
//! tensor shapes, the tensor name mapping (with the fused q/k/v splits), and
//! the ggml writer for f16, q8_0 and q5_1 files.

use std::io::Write;
use std::ops::Range;

use half::f16;
use serde::Deserialize;

use crate::ct2::{Ct2Model, Variable};
use crate::error::{ModelError, Result};
use crate::layout::{self, GgmlType, Hparams, Role, TensorSpec, GGML_MAGIC, QNT_VERSION};
use crate::mel;
use crate::quant;
use crate::vocab;

/// Output precision of a converted file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Precision {
    /// Matrices in f16 (`ftype` 1), the reference conversion.
    F16,
    /// Matrices in q8_0 (`ftype` 7).
    Q8_0,
    /// Matrices in q5_1 (`ftype` 9).
    Q5_1,
}

impl Precision {
    /// The `ggml_ftype` written in the header (quantized files add
    /// 1000 × GGML_QNT_VERSION, as whisper.cpp's quantizer does).
    pub fn ftype(self) -> i32 {
        match self {
            Self::F16 => 1,
            Self::Q8_0 => QNT_VERSION * layout::QNT_VERSION_FACTOR + 7,
            Self::Q5_1 => QNT_VERSION * layout::QNT_VERSION_FACTOR + 9,
        }
    }

    /// The type weight matrices get.
    pub fn matrix_type(self) -> GgmlType {
        match self {
            Self::F16 => GgmlType::F16,
            Self::Q8_0 => GgmlType::Q8_0,
            Self::Q5_1 => GgmlType::Q5_1,
        }
    }
}

/// The parts of CTranslate2's `config.json` the converter checks.
#[derive(Debug, Clone, Deserialize)]
pub struct Ct2Config {
    /// (decoder layer, head) pairs used for word timestamps.
    #[serde(default)]
    pub alignment_heads: Vec<(usize, usize)>,
    /// Token ids of the language tokens.
    #[serde(default)]
    pub lang_ids: Vec<usize>,
    /// Token ids suppressed during decoding.
    #[serde(default)]
    pub suppress_ids: Vec<usize>,
    /// Token ids suppressed at the first step.
    #[serde(default)]
    pub suppress_ids_begin: Vec<usize>,
}

impl Ct2Config {
    /// Parses `config.json`; `origin` names it in errors.
    pub fn parse(json: &[u8], origin: &str) -> Result<Self> {
        serde_json::from_slice(json).map_err(|e| ModelError::InvalidCt2 {
            origin: origin.to_string(),
            reason: format!("config.json is not a CTranslate2 Whisper config: {e}"),
        })
    }
}

/// The files of a CTranslate2 Whisper model directory, already read.
#[derive(Debug, Default)]
pub struct Ct2Files {
    /// `model.bin` (parts already joined).
    pub model_bin: Vec<u8>,
    /// `config.json`, if present.
    pub config_json: Option<Vec<u8>>,
    /// `tokenizer.json`, if present (preferred for the vocabulary).
    pub tokenizer_json: Option<Vec<u8>>,
    /// `vocabulary.txt`, if present (used without `tokenizer.json`).
    pub vocabulary_txt: Option<Vec<u8>>,
    /// A human name for the source, used in errors.
    pub origin: String,
}

/// Tensor data ready for writing.
#[derive(Debug)]
enum Data {
    /// Little-endian f16 bytes.
    F16(Vec<u8>),
    /// f32 values.
    F32(Vec<f32>),
}

/// A model converted in memory, writable at any [`Precision`].
#[derive(Debug)]
pub struct Converted {
    /// Hyper-parameters (with `ftype` 1; [`Converted::write`] sets the real one).
    pub hparams: Hparams,
    /// `n_mels × 201` mel filterbank.
    pub filters: Vec<f32>,
    /// Text tokens as bytes.
    pub tokens: Vec<Vec<u8>>,
    tensors: Vec<(TensorSpec, Data)>,
}

fn invalid(origin: &str, reason: impl Into<String>) -> ModelError {
    ModelError::InvalidCt2 {
        origin: origin.to_string(),
        reason: reason.into(),
    }
}

fn require<'m, 'a>(
    m: &'m Ct2Model<'a>,
    name: &str,
    rank: usize,
    origin: &str,
) -> Result<&'m Variable<'a>> {
    let v = m
        .get(name)
        .ok_or_else(|| invalid(origin, format!("variable {name} is missing")))?;
    if v.shape.len() != rank {
        return Err(invalid(
            origin,
            format!(
                "variable {name} has shape {:?}, expected rank {rank}",
                v.shape
            ),
        ));
    }
    Ok(v)
}

fn count_layers(m: &Ct2Model, side: &str, origin: &str) -> Result<usize> {
    let prefix = format!("{side}/layer_");
    let mut seen = std::collections::BTreeSet::new();
    for v in m.variables() {
        // `encoder/layer_norm/...` also starts with `layer_`: require digits then '/'.
        if let Some((num, _)) = v.name.strip_prefix(&prefix).and_then(|r| r.split_once('/')) {
            if let Ok(i) = num.parse::<usize>() {
                seen.insert(i);
            }
        }
    }
    let n = seen.len();
    if n == 0 || seen.iter().copied().ne(0..n) {
        return Err(invalid(
            origin,
            format!("{side} layers are not numbered 0..n: {seen:?}"),
        ));
    }
    Ok(n)
}

fn heads(m: &Ct2Model, side: &str, origin: &str) -> Result<usize> {
    let name = format!("{side}/num_heads");
    m.get(&name)
        .and_then(Variable::as_int)
        .and_then(|h| usize::try_from(h).ok())
        .filter(|&h| h > 0)
        .ok_or_else(|| invalid(origin, format!("integer scalar {name} is missing")))
}

/// Derives whisper.cpp's hyper-parameters from the CTranslate2 tensor shapes.
pub fn hparams_from_ct2(m: &Ct2Model, origin: &str) -> Result<Hparams> {
    if m.spec != "WhisperSpec" {
        return Err(invalid(
            origin,
            format!("spec is {:?}, not WhisperSpec", m.spec),
        ));
    }
    if let Some(v) = m.variables().iter().find(|v| v.name.ends_with("_scale")) {
        return Err(invalid(
            origin,
            format!(
                "quantized CTranslate2 weights ({}) are not supported; use an f16/f32 model",
                v.name
            ),
        ));
    }
    let emb = require(m, "decoder/embeddings/weight", 2, origin)?;
    let enc_pos = require(m, "encoder/position_encodings/encodings", 2, origin)?;
    let dec_pos = require(m, "decoder/position_encodings/encodings", 2, origin)?;
    let conv1 = require(m, "encoder/conv1/weight", 3, origin)?;
    let h = Hparams {
        n_vocab: emb.shape[0],
        n_audio_ctx: enc_pos.shape[0],
        n_audio_state: enc_pos.shape[1],
        n_audio_head: heads(m, "encoder", origin)?,
        n_audio_layer: count_layers(m, "encoder", origin)?,
        n_text_ctx: dec_pos.shape[0],
        n_text_state: emb.shape[1],
        n_text_head: heads(m, "decoder", origin)?,
        n_text_layer: count_layers(m, "decoder", origin)?,
        n_mels: conv1.shape[1],
        ftype: 1,
    };
    if dec_pos.shape[1] != h.n_text_state || conv1.shape[0] != h.n_audio_state {
        return Err(invalid(origin, "embedding widths disagree between tensors"));
    }
    if h.n_vocab < vocab::TEXT_TOKENS {
        return Err(invalid(
            origin,
            format!("vocabulary of {} rows is too small", h.n_vocab),
        ));
    }
    Ok(h)
}

/// Where a ggml tensor comes from: CTranslate2 variable and, for the fused
/// attention projections, the slice of rows (first dimension) to take.
fn source_of(name: &str, d: usize) -> Option<(String, Option<Range<usize>>)> {
    let fixed = |s: &str| Some((s.to_string(), None));
    match name {
        "encoder.positional_embedding" => return fixed("encoder/position_encodings/encodings"),
        "decoder.positional_embedding" => return fixed("decoder/position_encodings/encodings"),
        "decoder.token_embedding.weight" => return fixed("decoder/embeddings/weight"),
        _ => {}
    }
    let (side, rest) = name.split_once('.')?;
    let param = |p: &str| match p {
        "weight" => Some("weight"),
        "bias" => Some("bias"),
        _ => None,
    };
    let ln_param = |p: &str| match p {
        "weight" => Some("gamma"),
        "bias" => Some("beta"),
        _ => None,
    };
    if let Some(rest) = rest.strip_prefix("blocks.") {
        let (layer, rest) = rest.split_once('.')?;
        let (module, p) = rest.rsplit_once('.')?;
        let base = format!("{side}/layer_{layer}");
        let (var, rows) = match module {
            "attn.query" => (format!("self_attention/linear_0/{}", param(p)?), Some(0..d)),
            "attn.key" => (
                format!("self_attention/linear_0/{}", param(p)?),
                Some(d..2 * d),
            ),
            "attn.value" => (
                format!("self_attention/linear_0/{}", param(p)?),
                Some(2 * d..3 * d),
            ),
            "attn.out" => (format!("self_attention/linear_1/{}", param(p)?), None),
            "attn_ln" => (format!("self_attention/layer_norm/{}", ln_param(p)?), None),
            "cross_attn.query" => (format!("attention/linear_0/{}", param(p)?), None),
            "cross_attn.key" => (format!("attention/linear_1/{}", param(p)?), Some(0..d)),
            "cross_attn.value" => (format!("attention/linear_1/{}", param(p)?), Some(d..2 * d)),
            "cross_attn.out" => (format!("attention/linear_2/{}", param(p)?), None),
            "cross_attn_ln" => (format!("attention/layer_norm/{}", ln_param(p)?), None),
            "mlp.0" => (format!("ffn/linear_0/{}", param(p)?), None),
            "mlp.2" => (format!("ffn/linear_1/{}", param(p)?), None),
            "mlp_ln" => (format!("ffn/layer_norm/{}", ln_param(p)?), None),
            _ => return None,
        };
        return Some((format!("{base}/{var}"), rows));
    }
    let (module, p) = rest.rsplit_once('.')?;
    match (side, module) {
        ("encoder", "conv1" | "conv2") => Some((format!("encoder/{module}/{}", param(p)?), None)),
        ("encoder", "ln_post") | ("decoder", "ln") => {
            Some((format!("{side}/layer_norm/{}", ln_param(p)?), None))
        }
        _ => None,
    }
}

/// Reads one ggml tensor's data out of the CTranslate2 model, checking shape.
fn tensor_data(m: &Ct2Model, spec: &TensorSpec, h: &Hparams, origin: &str) -> Result<Data> {
    let d = if spec.name.starts_with("encoder") {
        h.n_audio_state
    } else {
        h.n_text_state
    };
    let (var_name, rows) = source_of(&spec.name, d).ok_or_else(|| {
        invalid(
            origin,
            format!("no CTranslate2 source known for {}", spec.name),
        )
    })?;
    let var = m.get(&var_name).ok_or_else(|| {
        invalid(
            origin,
            format!("variable {var_name} (for {}) is missing", spec.name),
        )
    })?;
    let row_len: usize = var.shape.iter().skip(1).product();
    let (shape, range) = match &rows {
        Some(r) if var.shape.first().is_some_and(|&n| n >= r.end) => {
            let mut s = var.shape.clone();
            s[0] = r.len();
            (s, r.start * row_len..r.end * row_len)
        }
        Some(r) => {
            return Err(invalid(
                origin,
                format!(
                    "variable {var_name} has shape {:?}, too small for rows {r:?}",
                    var.shape
                ),
            ))
        }
        None => (var.shape.clone(), 0..var.len()),
    };
    // ggml dims are numpy dims reversed; conv biases gain a trailing 1 ([n] -> [n, 1]).
    let mut want: Vec<usize> = spec.ne.iter().rev().copied().collect();
    if want.len() == 2 && want[1] == 1 && shape.len() == 1 {
        want.pop();
    }
    if shape != want {
        return Err(invalid(
            origin,
            format!(
                "{var_name} has shape {shape:?}, {} needs {want:?}",
                spec.name
            ),
        ));
    }
    let not_float = || invalid(origin, format!("variable {var_name} is not a float tensor"));
    Ok(match spec.role {
        Role::Matrix | Role::Conv => Data::F16(var.f16_bytes_range(range).ok_or_else(not_float)?),
        Role::Float => Data::F32(var.f32_range(range).ok_or_else(not_float)?),
    })
}

impl Converted {
    /// Converts a CTranslate2 Whisper model held in memory.
    pub fn from_ct2(files: &Ct2Files) -> Result<Self> {
        let origin = files.origin.as_str();
        let model = Ct2Model::parse(&files.model_bin, &format!("{origin} model.bin"))?;
        let hparams = hparams_from_ct2(&model, origin)?;
        if let Some(json) = &files.config_json {
            let config = Ct2Config::parse(json, &format!("{origin} config.json"))?;
            check_config(&config, &hparams, origin)?;
        }
        let tokens = match (&files.tokenizer_json, &files.vocabulary_txt) {
            (Some(json), _) => {
                vocab::from_tokenizer_json(json, &format!("{origin} tokenizer.json"))?
            }
            (None, Some(txt)) => {
                vocab::from_vocabulary_txt(txt, &format!("{origin} vocabulary.txt"))?
            }
            (None, None) => {
                return Err(invalid(
                    origin,
                    "neither tokenizer.json nor vocabulary.txt is present",
                ))
            }
        };
        let tensors = layout::whisper_tensors(&hparams)
            .into_iter()
            .map(|spec| {
                let data = tensor_data(&model, &spec, &hparams, origin)?;
                Ok((spec, data))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            filters: mel::slaney_filters(mel::SAMPLE_RATE, mel::N_FFT, hparams.n_mels),
            hparams,
            tokens,
            tensors,
        })
    }

    /// Names of the tensors, in file order.
    pub fn tensor_names(&self) -> impl Iterator<Item = &str> {
        self.tensors.iter().map(|(s, _)| s.name.as_str())
    }

    /// Writes the ggml file at `precision` to `out`.
    pub fn write(&self, precision: Precision, out: &mut impl Write) -> std::io::Result<()> {
        let h = Hparams {
            ftype: precision.ftype(),
            ..self.hparams
        };
        out.write_all(&GGML_MAGIC.to_le_bytes())?;
        for v in h.to_array() {
            out.write_all(&v.to_le_bytes())?;
        }
        let n_bins = self.filters.len() / h.n_mels.max(1);
        out.write_all(&(h.n_mels as i32).to_le_bytes())?;
        out.write_all(&(n_bins as i32).to_le_bytes())?;
        for v in &self.filters {
            out.write_all(&v.to_le_bytes())?;
        }
        out.write_all(&(self.tokens.len() as i32).to_le_bytes())?;
        for t in &self.tokens {
            out.write_all(&(t.len() as i32).to_le_bytes())?;
            out.write_all(t)?;
        }
        let wtype = precision.matrix_type();
        let mut buf = Vec::new();
        for (spec, data) in &self.tensors {
            let ttype = spec.role.ggml_type(wtype);
            out.write_all(&(spec.ne.len() as i32).to_le_bytes())?;
            out.write_all(&(spec.name.len() as i32).to_le_bytes())?;
            out.write_all(&ttype.code().to_le_bytes())?;
            for &n in &spec.ne {
                out.write_all(&(n as i32).to_le_bytes())?;
            }
            out.write_all(spec.name.as_bytes())?;
            buf.clear();
            match (data, ttype) {
                (Data::F32(v), _) => buf.extend(v.iter().flat_map(|x| x.to_le_bytes())),
                (Data::F16(b), GgmlType::F16) => buf.extend_from_slice(b),
                (Data::F16(b), q) => {
                    let x: Vec<f32> = b
                        .chunks_exact(2)
                        .map(|c| f16::from_le_bytes([c[0], c[1]]).to_f32())
                        .collect();
                    match q {
                        GgmlType::Q8_0 => quant::quantize_q8_0(&x, &mut buf),
                        _ => quant::quantize_q5_1(&x, &mut buf),
                    }
                }
            }
            out.write_all(&buf)?;
        }
        Ok(())
    }
}

fn check_config(c: &Ct2Config, h: &Hparams, origin: &str) -> Result<()> {
    if let Some((l, hd)) = c
        .alignment_heads
        .iter()
        .find(|(l, hd)| *l >= h.n_text_layer || *hd >= h.n_text_head)
    {
        return Err(invalid(
            origin,
            format!(
                "config.json alignment head ({l}, {hd}) is outside the decoder's {} layers × {} heads",
                h.n_text_layer, h.n_text_head
            ),
        ));
    }
    if let Some(id) = c
        .lang_ids
        .iter()
        .chain(&c.suppress_ids)
        .chain(&c.suppress_ids_begin)
        .find(|&&id| id >= h.n_vocab)
    {
        return Err(invalid(
            origin,
            format!(
                "config.json token id {id} is outside the vocabulary of {}",
                h.n_vocab
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_fused_attention_rows() {
        assert_eq!(
            source_of("encoder.blocks.2.attn.key.weight", 384),
            Some((
                "encoder/layer_2/self_attention/linear_0/weight".into(),
                Some(384..768)
            ))
        );
        assert_eq!(
            source_of("decoder.blocks.0.cross_attn.value.bias", 8),
            Some((
                "decoder/layer_0/attention/linear_1/bias".into(),
                Some(8..16)
            ))
        );
        assert_eq!(
            source_of("decoder.blocks.3.cross_attn_ln.weight", 8),
            Some(("decoder/layer_3/attention/layer_norm/gamma".into(), None))
        );
        assert_eq!(
            source_of("encoder.ln_post.bias", 8),
            Some(("encoder/layer_norm/beta".into(), None))
        );
        assert_eq!(
            source_of("encoder.conv2.bias", 8),
            Some(("encoder/conv2/bias".into(), None))
        );
        assert_eq!(source_of("decoder.blocks.0.mystery.weight", 8), None);
    }

    #[test]
    fn every_layout_tensor_has_a_source() {
        let h = Hparams {
            n_vocab: 51865,
            n_audio_ctx: 1500,
            n_audio_state: 512,
            n_audio_head: 8,
            n_audio_layer: 6,
            n_text_ctx: 448,
            n_text_state: 512,
            n_text_head: 8,
            n_text_layer: 6,
            n_mels: 80,
            ftype: 1,
        };
        for spec in layout::whisper_tensors(&h) {
            assert!(source_of(&spec.name, 512).is_some(), "{}", spec.name);
        }
    }

    #[test]
    fn quantized_ftypes_carry_the_quantization_version() {
        assert_eq!(Precision::F16.ftype(), 1);
        assert_eq!(Precision::Q8_0.ftype(), 2007);
        assert_eq!(Precision::Q5_1.ftype(), 2009);
    }
}
