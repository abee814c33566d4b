//! The roster (`--roster FILE`, TOML): speaker or track label → name, role, aliases.
//!
//! ```toml
//! [speakers.maya]          # the label a transcript uses (track, diarization label)
//! name = "Maya Okafor"
//! role = "Incident commander"
//! aliases = ["S1", "Maya O"]   # other labels or spellings whisper produces
//! ```
//! Top-level `[LABEL]` tables are accepted too.

use std::path::Path;

use crate::error::{Error, Result};

/// One person on the roster.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RosterEntry {
    /// The label the transcript uses.
    pub label: String,
    /// Display name.
    pub name: String,
    /// Role on the call.
    pub role: Option<String>,
    /// Other labels and spellings that mean this person.
    pub aliases: Vec<String>,
}

/// Everyone known before the call is read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Roster {
    /// Entries in file order.
    pub entries: Vec<RosterEntry>,
}

impl Roster {
    /// Reads a roster TOML file.
    pub fn load(path: &Path) -> Result<Roster> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
            path: path.to_path_buf(),
            err: source,
        })?;
        Roster::parse(&text).map_err(|reason| Error::Roster {
            path: path.to_path_buf(),
            reason,
        })
    }

    /// Parses roster TOML text; the error says what is wrong.
    pub fn parse(text: &str) -> std::result::Result<Roster, String> {
        let table: toml::Table = text
            .parse()
            .map_err(|e| format!("is not valid TOML: {e}"))?;
        let people = match table.get("speakers") {
            Some(toml::Value::Table(t)) => t.clone(),
            Some(_) => return Err("has `speakers` that is not a table".into()),
            None => table,
        };
        let mut entries = Vec::new();
        for (label, value) in people {
            let toml::Value::Table(t) = value else {
                return Err(format!("entry `{label}` is not a table"));
            };
            let name = match t.get("name") {
                Some(toml::Value::String(s)) => s.clone(),
                Some(_) => return Err(format!("entry `{label}` has a non-string name")),
                None => label.clone(),
            };
            let role = match t.get("role") {
                Some(toml::Value::String(s)) => Some(s.clone()),
                Some(_) => return Err(format!("entry `{label}` has a non-string role")),
                None => None,
            };
            let aliases = match t.get("aliases") {
                Some(toml::Value::Array(a)) => a
                    .iter()
                    .map(|v| match v {
                        toml::Value::String(s) => Ok(s.clone()),
                        _ => Err(format!("entry `{label}` has a non-string alias")),
                    })
                    .collect::<std::result::Result<Vec<_>, _>>()?,
                Some(_) => return Err(format!("entry `{label}` has aliases that are not a list")),
                None => Vec::new(),
            };
            entries.push(RosterEntry {
                label,
                name,
                role,
                aliases,
            });
        }
        Ok(Roster { entries })
    }

    /// The entry a transcript label (or alias, or name) refers to, ignoring case.
    pub fn lookup(&self, label: &str) -> Option<&RosterEntry> {
        let l = label.trim().to_lowercase();
        self.entries.iter().find(|e| {
            e.label.to_lowercase() == l
                || e.name.to_lowercase() == l
                || e.aliases.iter().any(|a| a.to_lowercase() == l)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_speakers_tables_and_looks_up_aliases() {
        let r = Roster::parse(
            "[speakers.S1]\nname = \"Maya Okafor\"\nrole = \"Incident commander\"\naliases = [\"maya\"]\n",
        )
        .unwrap();
        assert_eq!(r.lookup("s1").unwrap().name, "Maya Okafor");
        assert_eq!(
            r.lookup("Maya").unwrap().role.as_deref(),
            Some("Incident commander")
        );
        assert!(r.lookup("dev").is_none());
    }

    #[test]
    fn top_level_tables_work_and_bad_input_is_named() {
        let r = Roster::parse("[dev]\nrole = \"SRE\"\n").unwrap();
        assert_eq!(r.lookup("dev").unwrap().name, "dev");
        assert!(Roster::parse("[dev]\nname = 3\n")
            .unwrap_err()
            .contains("dev"));
        assert!(Roster::parse("not toml [").is_err());
    }
}
