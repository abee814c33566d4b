//! The cue lexicon: phrase lists as data (`postmortem/lexicon/*.toml`), each
//! phrase with an example sentence of the project's own that a test checks
//! is labelled as its entry says. The phrases are written from how people
//! talk on calls, not taken from any evaluation call.

use serde::Deserialize;

use super::features::words;
use super::{Act, ActScores, Labeller};
use crate::error::{Error, Result};
use crate::input::Call;

/// The shipped lexicon files, by name.
const SHIPPED: &[(&str, &str)] = &[(
    "postmortem/lexicon/acts.toml",
    include_str!("../../lexicon/acts.toml"),
)];

/// One phrase of the lexicon.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct LexiconEntry {
    /// The act the phrase signals.
    pub act: String,
    /// The phrase, matched on whole words, case-insensitively.
    pub phrase: String,
    /// A sentence of the project's own in which the phrase does its job.
    pub example: String,
}

/// A set of phrases.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct Lexicon {
    /// The phrases.
    #[serde(rename = "cue")]
    pub entries: Vec<LexiconEntry>,
}

impl Lexicon {
    /// Parses a lexicon file's text; `origin` names it in errors.
    pub fn parse(origin: &str, text: &str) -> Result<Lexicon> {
        let lex: Lexicon = toml::from_str(text).map_err(|e| Error::Model {
            path: origin.into(),
            reason: e.to_string(),
        })?;
        for e in &lex.entries {
            if Act::parse(&e.act).is_none() {
                return Err(Error::Model {
                    path: origin.into(),
                    reason: format!("unknown act {:?} for phrase {:?}", e.act, e.phrase),
                });
            }
        }
        Ok(lex)
    }
}

/// Labels utterances by the lexicon's phrases: an act scores 1 where one of
/// its phrases occurs.
#[derive(Debug, Clone)]
pub struct CueLabeller {
    phrases: Vec<(Vec<String>, Act)>,
}

impl CueLabeller {
    /// A labeller over the given lexicons.
    pub fn new(lexicons: &[Lexicon]) -> Self {
        let phrases = lexicons
            .iter()
            .flat_map(|l| &l.entries)
            .filter_map(|e| Some((words(&e.phrase), Act::parse(&e.act)?)))
            .filter(|(w, _)| !w.is_empty())
            .collect();
        CueLabeller { phrases }
    }

    /// The shipped lexicon.
    pub fn shipped() -> Result<Self> {
        let mut lex = Vec::new();
        for (origin, text) in SHIPPED {
            lex.push(Lexicon::parse(origin, text)?);
        }
        Ok(CueLabeller::new(&lex))
    }

    /// The acts whose phrases occur in a text.
    pub fn acts_in(&self, text: &str) -> Vec<Act> {
        let ws = words(text);
        let mut out: Vec<Act> = Vec::new();
        for (p, a) in &self.phrases {
            if !out.contains(a) && ws.windows(p.len()).any(|w| w == p.as_slice()) {
                out.push(*a);
            }
        }
        out.sort();
        out
    }

    /// The acts found in each utterance of a call.
    pub fn hits(&self, call: &Call) -> Vec<Vec<Act>> {
        call.utterances
            .iter()
            .map(|u| self.acts_in(&u.text))
            .collect()
    }
}

impl Labeller for CueLabeller {
    fn name(&self) -> &str {
        "cue"
    }

    fn label(&self, call: &Call) -> Vec<ActScores> {
        self.hits(call)
            .into_iter()
            .map(|acts| {
                let mut s = ActScores::default();
                for a in acts {
                    s.set(a, 1.0);
                }
                s
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_example_carries_its_act() {
        let cues = CueLabeller::shipped().unwrap();
        for (origin, text) in SHIPPED {
            let lex = Lexicon::parse(origin, text).unwrap();
            assert!(lex.entries.len() > 50, "{origin}: too few phrases");
            for e in &lex.entries {
                let act = Act::parse(&e.act).unwrap();
                assert!(
                    cues.acts_in(&e.example).contains(&act),
                    "{origin}: example {:?} does not carry {:?} (phrase {:?})",
                    e.example,
                    e.act,
                    e.phrase
                );
                let ws = words(&e.example);
                let p = words(&e.phrase);
                assert!(
                    ws.windows(p.len()).any(|w| w == p.as_slice()),
                    "{origin}: example {:?} lacks its phrase {:?}",
                    e.example,
                    e.phrase
                );
            }
        }
    }

    #[test]
    fn unknown_acts_are_refused() {
        let err = Lexicon::parse(
            "x.toml",
            "[[cue]]\nact = \"nope\"\nphrase = \"a\"\nexample = \"a\"\n",
        )
        .unwrap_err();
        assert!(err.to_string().contains("unknown act"));
    }
}
