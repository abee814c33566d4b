//! hotwash-postmortem: turns an incident call's transcripts into one
//! auditable incident record (`incident.json`, schema `hotwash.incident/2`)
//! and renders everything people read from it: the postmortem, three briefs,
//! Jira and Linear exports, and answers to `hotwash show`.
//!
//! Extraction is deterministic and offline: cue phrases over normalised
//! tokens, with spoken numbers, times and dates resolved first. Every
//! extracted line cites the utterance ids it was read from.

pub mod acts;
pub mod error;
pub mod eval;
pub mod extract;
pub mod fsutil;
pub mod input;
pub mod record;
pub mod render;
pub mod review;
pub mod text;

pub use error::{Error, Result};
pub use extract::{build_record, Extraction, Options};
pub use input::{load_transcripts, Call, Roster};
pub use record::{IncidentRecord, Rendering};
pub use render::show::{read_record, show, View};
pub use render::{render_again, render_all, render_all_with};
