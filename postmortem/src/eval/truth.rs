//! Scenario files with `truth` (see `shared/scenarios/README.md`): what a
//! careful scribe extracted, by turn id.

use std::collections::HashMap;
use std::path::Path;

use serde::Deserialize;

use crate::error::{Error, Result};
use crate::input::roster::{Roster, RosterEntry};

/// A truth decision.
#[derive(Debug, Clone, Deserialize)]
pub struct TruthDecision {
    /// Turn id.
    pub turn: String,
    /// Who decided (speaker key).
    #[serde(default)]
    pub who: Option<String>,
}

/// A truth mitigation.
#[derive(Debug, Clone, Deserialize)]
pub struct TruthMitigation {
    /// Turn id.
    pub turn: String,
    /// Whether it worked.
    #[serde(default)]
    pub worked: Option<bool>,
}

/// A truth action item.
#[derive(Debug, Clone, Deserialize)]
pub struct TruthAction {
    /// Turn id.
    pub turn: String,
    /// Owner speaker key, or null.
    #[serde(default)]
    pub owner: Option<String>,
    /// Due date (YYYY-MM-DD), or null.
    #[serde(default)]
    pub due: Option<String>,
    /// Category.
    #[serde(default)]
    pub category: Option<String>,
    /// Whether a scribe would flag it vague.
    #[serde(default)]
    pub vague: bool,
}

/// A truth evidence item.
#[derive(Debug, Clone, Deserialize)]
pub struct TruthEvidence {
    /// Turn id.
    pub turn: String,
    /// Kind.
    pub kind: String,
    /// Value.
    pub value: String,
}

/// A truth timeline event.
#[derive(Debug, Clone, Deserialize)]
pub struct TruthEvent {
    /// Turn id.
    pub turn: String,
    /// Kind.
    pub kind: String,
}

/// The `truth` block.
#[derive(Debug, Clone, Deserialize, Default)]
pub struct Truth {
    /// Severity.
    #[serde(default)]
    pub severity: Option<String>,
    /// Timeline events.
    #[serde(default)]
    pub events: Vec<TruthEvent>,
    /// Turns that state a guess.
    #[serde(default)]
    pub hypotheses: Vec<String>,
    /// Decisions.
    #[serde(default)]
    pub decisions: Vec<TruthDecision>,
    /// Mitigations.
    #[serde(default)]
    pub mitigations: Vec<TruthMitigation>,
    /// Action items.
    #[serde(default)]
    pub action_items: Vec<TruthAction>,
    /// Evidence.
    #[serde(default)]
    pub evidence: Vec<TruthEvidence>,
}

#[derive(Debug, Clone, Deserialize)]
struct ScenarioSpeaker {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    role: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
struct ScenarioFile {
    id: String,
    #[serde(default)]
    speakers: HashMap<String, ScenarioSpeaker>,
    truth: Truth,
}

/// One scenario: its id, speaker names and truth.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// Scenario id (file names of its renderings start with it).
    pub id: String,
    /// Speaker key → display name.
    pub names: HashMap<String, String>,
    /// Speaker key → role on the call, where the scenario gives one.
    pub roles: HashMap<String, String>,
    /// The truth.
    pub truth: Truth,
}

impl Scenario {
    /// The call's participant list as a roster (speaker key → name, role):
    /// what a team passes with `--roster` for its own calls. Engine
    /// transcripts made from per-speaker tracks label utterances with these
    /// keys.
    pub fn roster(&self) -> Roster {
        let mut entries: Vec<RosterEntry> = self
            .names
            .iter()
            .map(|(key, name)| RosterEntry {
                label: key.clone(),
                name: name.clone(),
                role: self.roles.get(key).cloned(),
                aliases: Vec::new(),
                email: None,
            })
            .collect();
        entries.sort_by(|a, b| a.label.cmp(&b.label));
        Roster {
            entries,
            terms: Vec::new(),
        }
    }
}

/// Reads a scenario JSON file.
pub fn read_scenario(path: &Path) -> Result<Scenario> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        err: source,
    })?;
    let f: ScenarioFile = serde_json::from_str(&text).map_err(|e| Error::Scenario {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    Ok(Scenario {
        id: f.id,
        roles: f
            .speakers
            .iter()
            .filter_map(|(k, v)| Some((k.clone(), v.role.clone()?)))
            .collect(),
        names: f
            .speakers
            .into_iter()
            .map(|(k, v)| (k.clone(), v.name.unwrap_or(k)))
            .collect(),
        truth: f.truth,
    })
}
