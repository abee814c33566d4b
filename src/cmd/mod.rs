//! One module per command.

pub mod actions;
pub mod closeout;
pub mod devices;
pub mod embedder;
pub mod eval_asr;
pub mod eval_library;
pub mod eval_live;
pub mod eval_postmortem;
pub mod interrupt;
pub mod library;
pub mod live;
pub mod manifest;
pub mod models;
pub mod paths;
pub mod postmortem;
pub mod progress;
pub mod review;
pub mod show;
pub mod train;
pub mod transcribe;
