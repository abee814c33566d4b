//! One module per command.

pub mod devices;
pub mod eval_asr;
pub mod interrupt;
pub mod models;
pub mod progress;
pub mod transcribe;
