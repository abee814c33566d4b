//! What a whisper.cpp ggml model file must contain: the hyper-parameters, the
//! tensor types, and the full tensor inventory whisper.cpp's loader expects.
//! Shared by the converter (what to write) and the verifier (what to demand).

/// Magic number at the start of every legacy ggml file ("ggml", little-endian).
pub const GGML_MAGIC: u32 = 0x6767_6d6c;

/// whisper.cpp stores `GGML_QNT_VERSION * 1000 + ftype` in quantized files.
pub const QNT_VERSION_FACTOR: i32 = 1000;

/// The quantization-format version ggml's quantizer writes (GGML_QNT_VERSION).
pub const QNT_VERSION: i32 = 2;

/// Tensor element types of the ggml format (values of `enum ggml_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GgmlType {
    /// 32-bit float.
    F32,
    /// 16-bit IEEE float.
    F16,
    /// 4-bit, blocks of 32 with an f16 scale.
    Q4_0,
    /// 4-bit, blocks of 32 with f16 scale and minimum.
    Q4_1,
    /// 5-bit, blocks of 32 with an f16 scale.
    Q5_0,
    /// 5-bit, blocks of 32 with f16 scale and minimum.
    Q5_1,
    /// 8-bit, blocks of 32 with an f16 scale.
    Q8_0,
    /// 2-bit k-quant, super-blocks of 256.
    Q2K,
    /// 3-bit k-quant, super-blocks of 256.
    Q3K,
    /// 4-bit k-quant, super-blocks of 256.
    Q4K,
    /// 5-bit k-quant, super-blocks of 256.
    Q5K,
    /// 6-bit k-quant, super-blocks of 256.
    Q6K,
}

impl GgmlType {
    /// Decodes the on-disk type code; `None` for codes whisper models never use.
    pub fn from_code(code: i32) -> Option<Self> {
        Some(match code {
            0 => Self::F32,
            1 => Self::F16,
            2 => Self::Q4_0,
            3 => Self::Q4_1,
            6 => Self::Q5_0,
            7 => Self::Q5_1,
            8 => Self::Q8_0,
            10 => Self::Q2K,
            11 => Self::Q3K,
            12 => Self::Q4K,
            13 => Self::Q5K,
            14 => Self::Q6K,
            _ => return None,
        })
    }

    /// The on-disk type code.
    pub fn code(self) -> i32 {
        match self {
            Self::F32 => 0,
            Self::F16 => 1,
            Self::Q4_0 => 2,
            Self::Q4_1 => 3,
            Self::Q5_0 => 6,
            Self::Q5_1 => 7,
            Self::Q8_0 => 8,
            Self::Q2K => 10,
            Self::Q3K => 11,
            Self::Q4K => 12,
            Self::Q5K => 13,
            Self::Q6K => 14,
        }
    }

    /// ggml's name for the type.
    pub fn name(self) -> &'static str {
        match self {
            Self::F32 => "f32",
            Self::F16 => "f16",
            Self::Q4_0 => "q4_0",
            Self::Q4_1 => "q4_1",
            Self::Q5_0 => "q5_0",
            Self::Q5_1 => "q5_1",
            Self::Q8_0 => "q8_0",
            Self::Q2K => "q2_K",
            Self::Q3K => "q3_K",
            Self::Q4K => "q4_K",
            Self::Q5K => "q5_K",
            Self::Q6K => "q6_K",
        }
    }

    /// Elements per block (1 for plain floats).
    pub fn block_len(self) -> usize {
        match self {
            Self::F32 | Self::F16 => 1,
            Self::Q4_0 | Self::Q4_1 | Self::Q5_0 | Self::Q5_1 | Self::Q8_0 => 32,
            Self::Q2K | Self::Q3K | Self::Q4K | Self::Q5K | Self::Q6K => 256,
        }
    }

    /// Bytes per block (ggml_type_size).
    pub fn block_bytes(self) -> usize {
        match self {
            Self::F32 => 4,
            Self::F16 => 2,
            Self::Q4_0 => 18,
            Self::Q4_1 => 20,
            Self::Q5_0 => 22,
            Self::Q5_1 => 24,
            Self::Q8_0 => 34,
            Self::Q2K => 84,
            Self::Q3K => 110,
            Self::Q4K => 144,
            Self::Q5K => 176,
            Self::Q6K => 210,
        }
    }

    /// Bytes taken by a tensor of this type with dimensions `ne` (ggml order),
    /// or `None` if rows are not a whole number of blocks or the size overflows.
    pub fn tensor_bytes(self, ne: &[usize]) -> Option<u64> {
        let row = *ne.first()?;
        if row % self.block_len() != 0 {
            return None;
        }
        let rows = ne[1..]
            .iter()
            .try_fold(1u64, |acc, &n| acc.checked_mul(n as u64))?;
        (row as u64 / self.block_len() as u64)
            .checked_mul(self.block_bytes() as u64)?
            .checked_mul(rows)
    }

    /// The matrix type whisper.cpp uses for a file-level `ftype`
    /// (`ggml_ftype`, after removing the quantization version).
    pub fn for_ftype(ftype: i32) -> Option<Self> {
        Some(match ftype {
            0 => Self::F32,
            1 => Self::F16,
            2 => Self::Q4_0,
            3 => Self::Q4_1,
            7 => Self::Q8_0,
            8 => Self::Q5_0,
            9 => Self::Q5_1,
            10 => Self::Q2K,
            11 => Self::Q3K,
            12 => Self::Q4K,
            13 => Self::Q5K,
            14 => Self::Q6K,
            _ => return None,
        })
    }
}

/// The eleven hyper-parameters at the head of a whisper ggml file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hparams {
    /// Rows of the token embedding (51864 English-only, 51865 multilingual).
    pub n_vocab: usize,
    /// Encoder positions (1500).
    pub n_audio_ctx: usize,
    /// Encoder width.
    pub n_audio_state: usize,
    /// Encoder attention heads.
    pub n_audio_head: usize,
    /// Encoder blocks.
    pub n_audio_layer: usize,
    /// Decoder positions (448).
    pub n_text_ctx: usize,
    /// Decoder width.
    pub n_text_state: usize,
    /// Decoder attention heads.
    pub n_text_head: usize,
    /// Decoder blocks.
    pub n_text_layer: usize,
    /// Mel bands of the input (80, or 128 for large-v3).
    pub n_mels: usize,
    /// File type as stored: `ggml_ftype`, plus 1000 × quantization version
    /// in quantized files.
    pub ftype: i32,
}

impl Hparams {
    /// The `ggml_ftype` without the quantization-version part.
    pub fn base_ftype(&self) -> i32 {
        self.ftype % QNT_VERSION_FACTOR
    }

    /// The values in file order.
    pub fn to_array(&self) -> [i32; 11] {
        [
            self.n_vocab as i32,
            self.n_audio_ctx as i32,
            self.n_audio_state as i32,
            self.n_audio_head as i32,
            self.n_audio_layer as i32,
            self.n_text_ctx as i32,
            self.n_text_state as i32,
            self.n_text_head as i32,
            self.n_text_layer as i32,
            self.n_mels as i32,
            self.ftype,
        ]
    }

    /// True for multilingual vocabularies (whisper.cpp's own test).
    pub fn is_multilingual(&self) -> bool {
        self.n_vocab >= 51865
    }
}

/// How a tensor is stored, which decides its type in a given file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// A 2-D weight matrix: f16 in f16 files, quantized in quantized files.
    Matrix,
    /// A convolution kernel: f16 (f32 only in all-f32 files), never quantized.
    Conv,
    /// Biases, norms, positional embeddings: always f32.
    Float,
}

impl Role {
    /// The tensor type whisper.cpp expects for this role in a file whose
    /// matrix type is `wtype`.
    pub fn ggml_type(self, wtype: GgmlType) -> GgmlType {
        match self {
            Role::Matrix => wtype,
            Role::Conv if wtype == GgmlType::F32 => GgmlType::F32,
            Role::Conv => GgmlType::F16,
            Role::Float => GgmlType::F32,
        }
    }
}

/// One tensor whisper.cpp expects: name, dimensions in ggml order (fastest
/// first, i.e. numpy shape reversed) and storage role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TensorSpec {
    /// Tensor name, e.g. `encoder.blocks.0.attn.query.weight`.
    pub name: String,
    /// Dimensions, ggml order.
    pub ne: Vec<usize>,
    /// Storage role.
    pub role: Role,
}

fn spec(name: String, ne: &[usize], role: Role) -> TensorSpec {
    TensorSpec {
        name,
        ne: ne.to_vec(),
        role,
    }
}

fn linear(out: &mut Vec<TensorSpec>, prefix: &str, n_in: usize, n_out: usize, bias: bool) {
    out.push(spec(
        format!("{prefix}.weight"),
        &[n_in, n_out],
        Role::Matrix,
    ));
    if bias {
        out.push(spec(format!("{prefix}.bias"), &[n_out], Role::Float));
    }
}

fn norm(out: &mut Vec<TensorSpec>, prefix: &str, n: usize) {
    out.push(spec(format!("{prefix}.weight"), &[n], Role::Float));
    out.push(spec(format!("{prefix}.bias"), &[n], Role::Float));
}

fn attention(out: &mut Vec<TensorSpec>, prefix: &str, d: usize) {
    linear(out, &format!("{prefix}.query"), d, d, true);
    linear(out, &format!("{prefix}.key"), d, d, false);
    linear(out, &format!("{prefix}.value"), d, d, true);
    linear(out, &format!("{prefix}.out"), d, d, true);
}

fn mlp(out: &mut Vec<TensorSpec>, prefix: &str, d: usize) {
    linear(out, &format!("{prefix}.mlp.0"), d, 4 * d, true);
    linear(out, &format!("{prefix}.mlp.2"), 4 * d, d, true);
    norm(out, &format!("{prefix}.mlp_ln"), d);
}

/// Every tensor of a whisper model with these hyper-parameters, in the order
/// of OpenAI's PyTorch `state_dict` (the order `convert-pt-to-ggml.py` writes).
pub fn whisper_tensors(h: &Hparams) -> Vec<TensorSpec> {
    let mut out = Vec::new();
    let da = h.n_audio_state;
    let dt = h.n_text_state;

    out.push(spec(
        "encoder.positional_embedding".into(),
        &[da, h.n_audio_ctx],
        Role::Float,
    ));
    out.push(spec(
        "encoder.conv1.weight".into(),
        &[3, h.n_mels, da],
        Role::Conv,
    ));
    out.push(spec("encoder.conv1.bias".into(), &[1, da], Role::Float));
    out.push(spec(
        "encoder.conv2.weight".into(),
        &[3, da, da],
        Role::Conv,
    ));
    out.push(spec("encoder.conv2.bias".into(), &[1, da], Role::Float));
    for i in 0..h.n_audio_layer {
        let p = format!("encoder.blocks.{i}");
        attention(&mut out, &format!("{p}.attn"), da);
        norm(&mut out, &format!("{p}.attn_ln"), da);
        mlp(&mut out, &p, da);
    }
    norm(&mut out, "encoder.ln_post", da);

    out.push(spec(
        "decoder.positional_embedding".into(),
        &[dt, h.n_text_ctx],
        Role::Float,
    ));
    out.push(spec(
        "decoder.token_embedding.weight".into(),
        &[dt, h.n_vocab],
        Role::Matrix,
    ));
    for i in 0..h.n_text_layer {
        let p = format!("decoder.blocks.{i}");
        attention(&mut out, &format!("{p}.attn"), dt);
        norm(&mut out, &format!("{p}.attn_ln"), dt);
        attention(&mut out, &format!("{p}.cross_attn"), dt);
        norm(&mut out, &format!("{p}.cross_attn_ln"), dt);
        mlp(&mut out, &p, dt);
    }
    norm(&mut out, "decoder.ln", dt);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny() -> Hparams {
        Hparams {
            n_vocab: 51864,
            n_audio_ctx: 1500,
            n_audio_state: 384,
            n_audio_head: 6,
            n_audio_layer: 4,
            n_text_ctx: 448,
            n_text_state: 384,
            n_text_head: 6,
            n_text_layer: 4,
            n_mels: 80,
            ftype: 1,
        }
    }

    #[test]
    fn tiny_has_167_tensors_and_base_245() {
        assert_eq!(whisper_tensors(&tiny()).len(), 167);
        let base = Hparams {
            n_audio_state: 512,
            n_text_state: 512,
            n_audio_layer: 6,
            n_text_layer: 6,
            n_audio_head: 8,
            n_text_head: 8,
            n_vocab: 51865,
            ..tiny()
        };
        assert_eq!(whisper_tensors(&base).len(), 245);
    }

    #[test]
    fn block_sizes_match_ggml() {
        assert_eq!(GgmlType::Q8_0.tensor_bytes(&[384, 2]), Some(2 * 12 * 34));
        assert_eq!(GgmlType::Q5_1.tensor_bytes(&[64]), Some(48));
        assert_eq!(GgmlType::Q5_1.tensor_bytes(&[48]), None);
        assert_eq!(GgmlType::F16.tensor_bytes(&[3, 80, 384]), Some(184_320));
        for code in 0..40 {
            if let Some(t) = GgmlType::from_code(code) {
                assert_eq!(t.code(), code);
            }
        }
    }

    #[test]
    fn roles_give_whisper_cpp_types() {
        assert_eq!(Role::Conv.ggml_type(GgmlType::Q5_1), GgmlType::F16);
        assert_eq!(Role::Conv.ggml_type(GgmlType::F32), GgmlType::F32);
        assert_eq!(Role::Matrix.ggml_type(GgmlType::Q8_0), GgmlType::Q8_0);
        assert_eq!(Role::Float.ggml_type(GgmlType::F16), GgmlType::F32);
        assert_eq!(GgmlType::for_ftype(7), Some(GgmlType::Q8_0));
        assert_eq!(GgmlType::for_ftype(9), Some(GgmlType::Q5_1));
    }
}
