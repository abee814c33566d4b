//! Dialogue acts: what each utterance of the call does (commits to work,
//! decides, starts a mitigation, reports a result, guesses at a cause…),
//! with a score and the reason for it. Extraction reads these labels; the
//! labellers behind [`Labeller`] are interchangeable:
//!
//! - [`CueLabeller`]: phrase lists from `postmortem/lexicon/*.toml`, data
//!   written from how people talk, each phrase with an example sentence;
//! - [`LearnedLabeller`]: a linear head over hashed lexical features, the
//!   cue hits and the neighbouring turns, and, when the caller passes an
//!   [`Embed`] (all-MiniLM-L6-v2 in the `hotwash` binary), the sentence
//!   embeddings of the utterance and the turn before; trained from the
//!   corpus truth by `hotwash train acts`;
//!
//! and [`apply`] combines the labels with the rule extractors' record.

mod combine;
mod embed;
mod features;
mod learned;
mod lexicon;
mod training;

pub use combine::{apply, Thresholds};
pub use embed::{embed_call, Embed, EmbedCache, EMBED_DIM};
pub use features::{featurize, featurize_with, Features, DENSE, DIM};
pub use learned::{LearnedLabeller, LinearHead, TrainConfig, HEAD_FORMAT, HEAD_FORMAT_V1, MINILM};
pub use lexicon::{CueLabeller, Lexicon, LexiconEntry};
pub use training::{examples_from_case, train_on, truth_acts, Example};

use crate::input::Call;

/// The acts a labeller scores, one score each per utterance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Act {
    /// Follow-up work taken or given: a commitment ("I'll…"), an assignment
    /// ("Sam, can you…") or the acceptance of a request for an owner.
    Action,
    /// A proposal approved or a course of action settled.
    Decision,
    /// A mitigation started or carried out.
    Mitigation,
    /// A mitigation's result: it worked.
    ResultWorked,
    /// A mitigation's result: it did not work.
    ResultFailed,
    /// A guess at the cause, not yet confirmed.
    Hypothesis,
    /// Evidence that confirms a guess.
    Confirmation,
    /// Evidence that rules a guess out.
    Refutation,
    /// A deploy, ticket, dashboard, query, config or alert named.
    Evidence,
    /// What started the chain of events.
    Trigger,
    /// Something that made it worse or let it happen.
    Factor,
    /// How the problem was noticed.
    Detection,
    /// An incident declared, a severity or commander set.
    Declaration,
    /// Updates to customers, status page, stakeholders.
    Comms,
    /// Someone else paged or pulled in.
    Escalation,
    /// Ownership handed to another person or shift.
    Handoff,
    /// Service back to normal.
    Recovery,
    /// Watching after a fix.
    Monitoring,
    /// A finding while diagnosing.
    Triage,
    /// A change to the system named (deploy, config, migration).
    Change,
}

impl Act {
    /// Every act, in a fixed order (the order of a score vector).
    pub const ALL: [Act; 20] = [
        Act::Action,
        Act::Decision,
        Act::Mitigation,
        Act::ResultWorked,
        Act::ResultFailed,
        Act::Hypothesis,
        Act::Confirmation,
        Act::Refutation,
        Act::Evidence,
        Act::Trigger,
        Act::Factor,
        Act::Detection,
        Act::Declaration,
        Act::Comms,
        Act::Escalation,
        Act::Handoff,
        Act::Recovery,
        Act::Monitoring,
        Act::Triage,
        Act::Change,
    ];

    /// Number of acts.
    pub const COUNT: usize = Act::ALL.len();

    /// Position in [`Act::ALL`].
    pub fn index(self) -> usize {
        Act::ALL.iter().position(|&a| a == self).unwrap_or(0)
    }

    /// The name used in lexicon files and model files.
    pub fn as_str(self) -> &'static str {
        match self {
            Act::Action => "action",
            Act::Decision => "decision",
            Act::Mitigation => "mitigation",
            Act::ResultWorked => "result_worked",
            Act::ResultFailed => "result_failed",
            Act::Hypothesis => "hypothesis",
            Act::Confirmation => "confirmation",
            Act::Refutation => "refutation",
            Act::Evidence => "evidence",
            Act::Trigger => "trigger",
            Act::Factor => "factor",
            Act::Detection => "detection",
            Act::Declaration => "declaration",
            Act::Comms => "comms",
            Act::Escalation => "escalation",
            Act::Handoff => "handoff",
            Act::Recovery => "recovery",
            Act::Monitoring => "monitoring",
            Act::Triage => "triage",
            Act::Change => "change",
        }
    }

    /// The act of a name (see [`Act::as_str`]).
    pub fn parse(name: &str) -> Option<Act> {
        Act::ALL.iter().copied().find(|a| a.as_str() == name)
    }
}

/// One utterance's scores, indexed by [`Act::index`], each in [0, 1].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ActScores(pub [f32; Act::COUNT]);

impl Default for ActScores {
    fn default() -> Self {
        ActScores([0.0; Act::COUNT])
    }
}

impl ActScores {
    /// The score of one act.
    pub fn get(&self, a: Act) -> f32 {
        self.0[a.index()]
    }

    /// Sets the score of one act.
    pub fn set(&mut self, a: Act, v: f32) {
        self.0[a.index()] = v;
    }
}

/// Labels every utterance of a call.
pub trait Labeller {
    /// A short name for the record's `why` (e.g. `cue`, `learned`).
    fn name(&self) -> &str;
    /// One score vector per utterance of `call`, in order.
    fn label(&self, call: &Call) -> Vec<ActScores>;
}

impl<L: Labeller + ?Sized> Labeller for &L {
    fn name(&self) -> &str {
        (**self).name()
    }
    fn label(&self, call: &Call) -> Vec<ActScores> {
        (**self).label(call)
    }
}

impl<L: Labeller + ?Sized> Labeller for Box<L> {
    fn name(&self) -> &str {
        (**self).name()
    }
    fn label(&self, call: &Call) -> Vec<ActScores> {
        (**self).label(call)
    }
}
