//! Conversion and verification on a small synthetic model: tensor mapping,
//! quantized layouts, and every way verify must reject a file.

mod common;

use std::path::{Path, PathBuf};

use common::*;
use hotwash_models::convert::{Converted, Precision};
use hotwash_models::ct2::Ct2Model;
use hotwash_models::verify::{verify_file, verify_file_with_sha256, ModelKind};
use hotwash_models::ModelError;

fn write(dir: &Path, name: &str, precision: Precision) -> PathBuf {
    let files = synthetic_ct2();
    let converted = Converted::from_ct2(&files).unwrap();
    let path = dir.join(name);
    let mut f = std::fs::File::create(&path).unwrap();
    converted.write(precision, &mut f).unwrap();
    path
}

#[test]
fn converted_tensors_are_the_ct2_data_bit_for_bit() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "f16.bin", Precision::F16);
    let summary = verify_file(&path).unwrap();
    assert_eq!(summary.kind, ModelKind::Whisper);
    assert_eq!(summary.n_tensors, 5 + 15 + 2 + 2 + 24 + 2);
    assert_eq!(summary.n_tokens, TOKENS);

    let g = read_ggml(&path);
    assert_eq!(
        g.hparams,
        vec![TOKENS as i32 + 7, 16, 32, 2, 1, 8, 32, 2, 1, 80, 1]
    );
    assert_eq!(g.tokens[5], b" w5".to_vec());
    let files = synthetic_ct2();
    let m = Ct2Model::parse(&files.model_bin, "synthetic").unwrap();
    let var = |n: &str| m.get(n).unwrap().data.to_vec();
    let rows = |n: &str, r: std::ops::Range<usize>| {
        let v = m.get(n).unwrap();
        let row: usize = v.shape[1..].iter().product();
        v.data[2 * r.start * row..2 * r.end * row].to_vec()
    };
    let t = |n: &str| g.tensors[n].clone();
    let d = D;
    let qkv = "encoder/layer_0/self_attention/linear_0/weight";
    assert_eq!(
        t("encoder.blocks.0.attn.query.weight").data,
        rows(qkv, 0..d)
    );
    assert_eq!(
        t("encoder.blocks.0.attn.key.weight").data,
        rows(qkv, d..2 * d)
    );
    assert_eq!(
        t("encoder.blocks.0.attn.value.weight").data,
        rows(qkv, 2 * d..3 * d)
    );
    assert_eq!(t("encoder.blocks.0.attn.value.weight").ne, vec![d, d]);
    let kv = "decoder/layer_0/attention/linear_1/weight";
    assert_eq!(
        t("decoder.blocks.0.cross_attn.key.weight").data,
        rows(kv, 0..d)
    );
    assert_eq!(
        t("decoder.blocks.0.cross_attn.value.weight").data,
        rows(kv, d..2 * d)
    );
    let kv_bias = f16_to_f32(&var("decoder/layer_0/attention/linear_1/bias"));
    assert_eq!(
        f32s(&t("decoder.blocks.0.cross_attn.value.bias").data),
        kv_bias[d..]
    );
    assert!(!g
        .tensors
        .contains_key("decoder.blocks.0.cross_attn.key.bias"));

    let conv_b = t("encoder.conv1.bias");
    assert_eq!((conv_b.ttype, conv_b.ne.clone()), (0, vec![1, d]));
    assert_eq!(f32s(&conv_b.data), f16_to_f32(&var("encoder/conv1/bias")));
    let conv_w = t("encoder.conv1.weight");
    assert_eq!((conv_w.ttype, conv_w.ne.clone()), (1, vec![3, 80, d]));
    assert_eq!(conv_w.data, var("encoder/conv1/weight"));
    let emb = t("decoder.token_embedding.weight");
    assert_eq!((emb.ttype, emb.ne.clone()), (1, vec![d, TOKENS + 7]));
    assert_eq!(emb.data, var("decoder/embeddings/weight"));
    let ln = t("decoder.blocks.0.cross_attn_ln.weight");
    assert_eq!(
        f32s(&ln.data),
        f16_to_f32(&var("decoder/layer_0/attention/layer_norm/gamma"))
    );
    let pos = t("encoder.positional_embedding");
    assert_eq!((pos.ttype, pos.ne.clone()), (0, vec![d, 16]));
    assert_eq!(g.filters.len(), 80 * 201);
    assert!(g.filters.iter().all(|v| v.is_sign_positive()));
}

#[test]
fn quantized_files_quantize_exactly_the_matrices() {
    let dir = tempfile::tempdir().unwrap();
    let f16 = read_ggml(&write(dir.path(), "f16.bin", Precision::F16));
    for (precision, code, ftype) in [(Precision::Q8_0, 8, 2007), (Precision::Q5_1, 7, 2009)] {
        let path = write(dir.path(), "q.bin", precision);
        let summary = verify_file(&path).unwrap();
        assert_eq!(summary.hparams.unwrap().ftype, ftype);
        let q = read_ggml(&path);
        assert_eq!(q.order, f16.order);
        for (name, t) in &q.tensors {
            let base = &f16.tensors[name];
            let is_matrix = base.ne.len() == 2 && base.ttype == 1;
            if is_matrix {
                assert_eq!(t.ttype, code, "{name}");
                let orig = f16_to_f32(&base.data);
                let back = if code == 8 {
                    hotwash_models::quant::dequantize_q8_0(&t.data)
                } else {
                    hotwash_models::quant::dequantize_q5_1(&t.data)
                };
                let err = orig
                    .iter()
                    .zip(&back)
                    .map(|(a, b)| (a - b).abs())
                    .fold(0.0, f32::max);
                assert!(
                    err < if code == 8 { 0.01 } else { 0.04 },
                    "{name}: max error {err}"
                );
            } else {
                assert_eq!(t.ttype, base.ttype, "{name}");
                assert_eq!(t.data, base.data, "{name}");
            }
        }
    }
}

#[test]
fn every_truncation_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "f16.bin", Precision::F16);
    let bytes = std::fs::read(&path).unwrap();
    let cut_path = dir.path().join("cut.bin");
    let header = 4 + 44 + 8 + 80 * 201 * 4;
    let mut cuts = vec![0, 3, 10, header - 2, header + 100, bytes.len() - 1];
    cuts.extend((1..40).map(|i| bytes.len() * i / 40));
    for cut in cuts {
        std::fs::write(&cut_path, &bytes[..cut]).unwrap();
        let err = verify_file(&cut_path).unwrap_err();
        if cut < 4 {
            assert!(
                matches!(err, ModelError::NotGgml { .. }),
                "cut {cut}: {err}"
            );
        } else {
            assert!(
                matches!(err, ModelError::GgmlTruncated { .. }),
                "cut {cut}: {err}"
            );
            assert!(err.to_string().contains("truncated"), "{err}");
        }
    }
}

#[test]
fn foreign_files_are_not_whisper_models() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&str, &[u8]); 4] = [
        ("text.txt", b"This is a meeting transcript, not a model.\n"),
        (
            "gguf.bin",
            b"GGUF\x03\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00",
        ),
        ("zip.whl", b"PK\x03\x04\x14\x00\x00\x00\x08\x00"),
        (
            "ggml-garbage.bin",
            b"lmgg\xff\xff\xff\xff\x00\x00\x00\x00\x00\x00\x00\x00",
        ),
    ];
    for (name, bytes) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let err = verify_file(&path).unwrap_err();
        assert!(matches!(err, ModelError::NotGgml { .. }), "{name}: {err}");
        assert!(
            err.to_string().contains("not a whisper ggml model"),
            "{err}"
        );
        assert!(err.to_string().contains(name), "{err}");
    }
}

#[test]
fn trailing_bytes_duplicates_and_wrong_types_are_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "f16.bin", Precision::F16);
    let good = std::fs::read(&path).unwrap();

    let mut trailing = good.clone();
    trailing.extend_from_slice(&[0; 16]);
    std::fs::write(&path, &trailing).unwrap();
    let err = verify_file(&path).unwrap_err();
    assert!(err.to_string().contains("trailing bytes"), "{err}");

    // Claim ftype 0 (all f32): the f16 matrices no longer fit.
    let mut wrong = good.clone();
    wrong[44..48].copy_from_slice(&0i32.to_le_bytes());
    std::fs::write(&path, &wrong).unwrap();
    let err = verify_file(&path).unwrap_err();
    assert!(matches!(err, ModelError::InvalidGgml { .. }), "{err}");
    assert!(err.to_string().contains("expects f32"), "{err}");

    std::fs::write(&path, &good).unwrap();
    let err = verify_file_with_sha256(&path, &"0".repeat(64)).unwrap_err();
    assert!(matches!(err, ModelError::ChecksumMismatch { .. }), "{err}");
    let sha = hotwash_models::verify::sha256_file(&path).unwrap();
    assert_eq!(
        verify_file_with_sha256(&path, &sha).unwrap().sha256,
        Some(sha)
    );
}

#[test]
fn silero_vad_files_are_recognised() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ggml-silero.bin");
    let mut bytes = b"lmgg".to_vec();
    bytes.extend_from_slice(&10i32.to_le_bytes());
    bytes.extend_from_slice(b"silero-16k");
    bytes.extend_from_slice(&[0; 32]);
    std::fs::write(&path, &bytes).unwrap();
    assert_eq!(verify_file(&path).unwrap().kind, ModelKind::SileroVad);
}

#[test]
fn broken_ct2_inputs_give_typed_errors() {
    let mut files = synthetic_ct2();
    files.model_bin.truncate(files.model_bin.len() / 2);
    let err = Converted::from_ct2(&files).unwrap_err();
    assert!(matches!(err, ModelError::Ct2Truncated { .. }), "{err}");

    let mut files = synthetic_ct2();
    files.config_json = Some(br#"{"alignment_heads": [[5, 0]]}"#.to_vec());
    let err = Converted::from_ct2(&files).unwrap_err();
    assert!(err.to_string().contains("alignment head"), "{err}");

    let mut files = synthetic_ct2();
    files.tokenizer_json = Some(b"{\"model\": {}}".to_vec());
    let err = Converted::from_ct2(&files).unwrap_err();
    assert!(matches!(err, ModelError::InvalidTokenizer { .. }), "{err}");
}
