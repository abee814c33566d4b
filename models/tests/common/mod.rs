//! Helpers shared by the integration tests: a synthetic CTranslate2 Whisper
//! model, a ggml tensor-directory reader, and fake pythons.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use half::f16;
use hotwash_models::convert::Ct2Files;

/// Width of the synthetic model (a multiple of 32 so matrices quantize).
pub const D: usize = 32;
/// Text tokens whisper.cpp files carry.
pub const TOKENS: usize = 50_257;

fn string(out: &mut Vec<u8>, v: &str) {
    out.extend_from_slice(&((v.len() + 1) as u16).to_le_bytes());
    out.extend_from_slice(v.as_bytes());
    out.push(0);
}

/// Deterministic f16 values for variable number `seed`.
fn values(seed: usize, n: usize) -> Vec<u8> {
    let mut state = (seed as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    (0..n)
        .flat_map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let v = ((state >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0;
            f16::from_f32(v).to_le_bytes()
        })
        .collect()
}

/// Variables of a 1-layer, width-32 Whisper model in CTranslate2 naming.
pub fn synthetic_variables() -> Vec<(String, Vec<usize>)> {
    let d = D;
    let mut v: Vec<(String, Vec<usize>)> = vec![
        ("encoder/conv1/weight".into(), vec![d, 80, 3]),
        ("encoder/conv1/bias".into(), vec![d]),
        ("encoder/conv2/weight".into(), vec![d, d, 3]),
        ("encoder/conv2/bias".into(), vec![d]),
        ("encoder/position_encodings/encodings".into(), vec![16, d]),
        ("encoder/layer_norm/gamma".into(), vec![d]),
        ("encoder/layer_norm/beta".into(), vec![d]),
        ("decoder/embeddings/weight".into(), vec![TOKENS + 7, d]),
        ("decoder/position_encodings/encodings".into(), vec![8, d]),
        ("decoder/layer_norm/gamma".into(), vec![d]),
        ("decoder/layer_norm/beta".into(), vec![d]),
    ];
    let block = |v: &mut Vec<(String, Vec<usize>)>, p: &str, attn: &[(&str, usize)]| {
        for (m, rows) in attn {
            v.push((format!("{p}/{m}/weight"), vec![rows * d, d]));
            v.push((format!("{p}/{m}/bias"), vec![rows * d]));
        }
        for ln in ["self_attention/layer_norm", "ffn/layer_norm"] {
            v.push((format!("{p}/{ln}/gamma"), vec![d]));
            v.push((format!("{p}/{ln}/beta"), vec![d]));
        }
        v.push((format!("{p}/ffn/linear_0/weight"), vec![4 * d, d]));
        v.push((format!("{p}/ffn/linear_0/bias"), vec![4 * d]));
        v.push((format!("{p}/ffn/linear_1/weight"), vec![d, 4 * d]));
        v.push((format!("{p}/ffn/linear_1/bias"), vec![d]));
    };
    block(
        &mut v,
        "encoder/layer_0",
        &[
            ("self_attention/linear_0", 3),
            ("self_attention/linear_1", 1),
        ],
    );
    block(
        &mut v,
        "decoder/layer_0",
        &[
            ("self_attention/linear_0", 3),
            ("self_attention/linear_1", 1),
            ("attention/linear_0", 1),
            ("attention/linear_1", 2),
            ("attention/linear_2", 1),
        ],
    );
    v.push(("decoder/layer_0/attention/layer_norm/gamma".into(), vec![d]));
    v.push(("decoder/layer_0/attention/layer_norm/beta".into(), vec![d]));
    v
}

/// A synthetic model.bin plus tokenizer and config.
pub fn synthetic_ct2() -> Ct2Files {
    let vars = synthetic_variables();
    let mut out = Vec::new();
    out.extend_from_slice(&6u32.to_le_bytes());
    string(&mut out, "WhisperSpec");
    out.extend_from_slice(&3u32.to_le_bytes());
    out.extend_from_slice(&((vars.len() + 2) as u32).to_le_bytes());
    for (i, (name, shape)) in vars.iter().enumerate() {
        string(&mut out, name);
        out.push(shape.len() as u8);
        for d in shape {
            out.extend_from_slice(&(*d as u32).to_le_bytes());
        }
        out.push(4);
        let data = values(i, shape.iter().product());
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out.extend_from_slice(&data);
    }
    for side in ["encoder", "decoder"] {
        string(&mut out, &format!("{side}/num_heads"));
        out.push(0);
        out.push(2);
        out.extend_from_slice(&2u32.to_le_bytes());
        out.extend_from_slice(&2i16.to_le_bytes());
    }
    out.extend_from_slice(&1u32.to_le_bytes());
    string(&mut out, "decoder/projection/weight");
    string(&mut out, "decoder/embeddings/weight");

    let mut vocab = serde_json::Map::new();
    for id in 0..TOKENS {
        vocab.insert(format!("Ġw{id}"), id.into());
    }
    let tokenizer = serde_json::json!({"model": {"type": "BPE", "vocab": vocab}});
    let config = serde_json::json!({"alignment_heads": [[0, 1]], "lang_ids": [TOKENS + 2]});
    Ct2Files {
        model_bin: out,
        config_json: Some(config.to_string().into_bytes()),
        tokenizer_json: Some(tokenizer.to_string().into_bytes()),
        vocabulary_txt: None,
        origin: "synthetic".into(),
    }
}

/// One tensor read back from a ggml file.
#[derive(Debug, Clone)]
pub struct GgmlTensor {
    /// ggml type code.
    pub ttype: i32,
    /// Dimensions, ggml order.
    pub ne: Vec<usize>,
    /// Raw data.
    pub data: Vec<u8>,
}

/// The parsed content of a (valid) whisper ggml file.
pub struct GgmlFile {
    /// The 11 hparams.
    pub hparams: Vec<i32>,
    /// Mel filters.
    pub filters: Vec<f32>,
    /// Vocabulary.
    pub tokens: Vec<Vec<u8>>,
    /// Tensors in file order.
    pub order: Vec<String>,
    /// Tensors by name.
    pub tensors: BTreeMap<String, GgmlTensor>,
}

/// Reads a whisper ggml file completely (test use only: panics on bad input).
pub fn read_ggml(path: &Path) -> GgmlFile {
    let d = std::fs::read(path).unwrap();
    let mut off = 0usize;
    let i32_at = |off: &mut usize| {
        let v = i32::from_le_bytes(d[*off..*off + 4].try_into().unwrap());
        *off += 4;
        v
    };
    assert_eq!(i32_at(&mut off) as u32, 0x6767_6d6c);
    let hparams: Vec<i32> = (0..11).map(|_| i32_at(&mut off)).collect();
    let (nm, nf) = (i32_at(&mut off) as usize, i32_at(&mut off) as usize);
    let filters = (0..nm * nf)
        .map(|_| f32::from_bits(i32_at(&mut off) as u32))
        .collect();
    let n = i32_at(&mut off) as usize;
    let mut tokens = Vec::new();
    for _ in 0..n {
        let l = i32_at(&mut off) as usize;
        tokens.push(d[off..off + l].to_vec());
        off += l;
    }
    let mut order = Vec::new();
    let mut tensors = BTreeMap::new();
    while off < d.len() {
        let nd = i32_at(&mut off) as usize;
        let nl = i32_at(&mut off) as usize;
        let ttype = i32_at(&mut off);
        let ne: Vec<usize> = (0..nd).map(|_| i32_at(&mut off) as usize).collect();
        let name = String::from_utf8(d[off..off + nl].to_vec()).unwrap();
        off += nl;
        let count: usize = ne.iter().product();
        let size = match ttype {
            0 => count * 4,
            1 => count * 2,
            8 => count / 32 * 34,
            7 => count / 32 * 24,
            t => panic!("unexpected type {t}"),
        };
        tensors.insert(
            name.clone(),
            GgmlTensor {
                ttype,
                ne,
                data: d[off..off + size].to_vec(),
            },
        );
        order.push(name);
        off += size;
    }
    GgmlFile {
        hparams,
        filters,
        tokens,
        order,
        tensors,
    }
}

/// f16 little-endian bytes as f32 values.
pub fn f16_to_f32(bytes: &[u8]) -> Vec<f32> {
    bytes
        .chunks_exact(2)
        .map(|c| f16::from_le_bytes([c[0], c[1]]).to_f32())
        .collect()
}

/// f32 little-endian bytes as values.
pub fn f32s(bytes: &[u8]) -> Vec<f32> {
    bytes
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

/// Writes an executable shell script standing in for python3.
pub fn fake_python(dir: &Path, name: &str, body: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}
