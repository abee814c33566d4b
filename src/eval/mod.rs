//! Evaluation: word error rate and the `hotwash eval` commands.
pub mod wer;
