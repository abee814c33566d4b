//! The roster (`--roster FILE`, TOML): speaker or track label → name, role, aliases.
//!
//! ```toml
//! [speakers.maya]          # the label a transcript uses (track, diarization label)
//! name = "Maya Okafor"
//! role = "Incident commander"
//! aliases = ["S1", "Maya O"]   # other labels or spellings whisper produces
//! ```
//! Top-level `[LABEL]` tables are accepted too.
//!
//! An optional top-level `terms` list names what the call will talk about
//! (services, ticket prefixes, product names); it must come before the
//! first table, as TOML requires of top-level keys:
//!
//! ```toml
//! terms = ["checkout-api", "OPS-", "PagerDuty"]
//!
//! [speakers.maya]
//! name = "Maya Okafor"
//! ```
//!
//! When audio is transcribed with a roster, the names (and aliases that
//! read as names, not labels like `S1`) and the terms become whisper's
//! initial prompt ([`initial_prompt`]), so they come out spelt as the team
//! spells them.

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
    /// E-mail address (exports assign by it when it is known).
    pub email: Option<String>,
}

/// Everyone known before the call is read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Roster {
    /// Entries in file order.
    pub entries: Vec<RosterEntry>,
    /// Words the call is expected to use (services, ticket prefixes,
    /// product names), in file order.
    pub terms: Vec<String>,
}

/// The most characters of an initial prompt built from a roster. Whisper
/// reads at most 224 prompt tokens (half its text context) and keeps the
/// *last* ones, so an over-long prompt loses its beginning; 600 characters
/// of names and identifiers stay well under that (about 2.5 characters a
/// token for hyphenated ids and unusual names, the worst case measured
/// with tiny.en's tokenizer is near 3).
pub const PROMPT_MAX_CHARS: usize = 600;

/// Whisper's initial prompt as built from `--prompt` and a roster.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct InitialPrompt {
    /// The prompt text; empty when there is nothing to say.
    pub text: String,
    /// Roster names and terms left out to stay within [`PROMPT_MAX_CHARS`].
    pub dropped: Vec<String>,
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
        let terms = match table.get("terms") {
            Some(toml::Value::Array(a)) => {
                let mut terms: Vec<String> = Vec::new();
                for (i, v) in a.iter().enumerate() {
                    let toml::Value::String(s) = v else {
                        return Err(format!(
                            "has `terms` item {} that is not a string ({})",
                            i + 1,
                            v.type_str()
                        ));
                    };
                    let s = s.trim();
                    if !s.is_empty() && !terms.iter().any(|t| t.eq_ignore_ascii_case(s)) {
                        terms.push(s.to_string());
                    }
                }
                terms
            }
            Some(v) => {
                return Err(format!(
                    "has `terms` that is not a list of strings ({})",
                    v.type_str()
                ))
            }
            None => Vec::new(),
        };
        let people = match table.get("speakers") {
            Some(toml::Value::Table(t)) => t.clone(),
            Some(_) => return Err("has `speakers` that is not a table".into()),
            None => {
                let mut t = table;
                t.remove("terms");
                t
            }
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
            let email = match t.get("email") {
                Some(toml::Value::String(s))
                    if s.contains('@') && !s.contains(char::is_whitespace) =>
                {
                    Some(s.trim().to_string())
                }
                Some(toml::Value::String(s)) => {
                    return Err(format!(
                        "entry `{label}` has {s:?} as e-mail, which is not an address"
                    ))
                }
                Some(_) => return Err(format!("entry `{label}` has a non-string email")),
                None => None,
            };
            entries.push(RosterEntry {
                label,
                name,
                role,
                aliases,
                email,
            });
        }
        Ok(Roster { entries, terms })
    }

    /// What whisper should hear spelt right, in roster order: every name,
    /// then aliases that read as names (not labels like `S1`), then the
    /// terms; each once, ignoring case.
    pub fn prompt_terms(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let mut add = |s: &str| {
            let s = s.trim();
            if !s.is_empty() && !out.iter().any(|o| o.eq_ignore_ascii_case(s)) {
                out.push(s.to_string());
            }
        };
        for e in &self.entries {
            if !looks_like_label(&e.name) {
                add(&e.name);
            }
        }
        for e in &self.entries {
            for a in &e.aliases {
                if looks_like_name(a) && !is_part_of_name(a, e) {
                    add(a);
                }
            }
        }
        for t in &self.terms {
            add(t);
        }
        out
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

/// A speaker label rather than a name: has a digit or an underscore
/// (`S1`, `SPEAKER_00`, `spk2`) or is a channel name.
fn looks_like_label(s: &str) -> bool {
    let s = s.trim();
    s.is_empty()
        || s.chars().any(|c| c.is_ascii_digit() || c == '_')
        || ["left", "right", "main", "mic"]
            .iter()
            .any(|l| s.eq_ignore_ascii_case(l))
}

/// An alias that reads as a name: starts with a capital letter and is not
/// a label.
fn looks_like_name(s: &str) -> bool {
    let s = s.trim();
    s.chars().next().is_some_and(char::is_uppercase) && !looks_like_label(s)
}

/// True when `alias` only repeats a word of the entry's name ("Maya" for
/// "Maya Okafor"): the name already carries it.
fn is_part_of_name(alias: &str, e: &RosterEntry) -> bool {
    let alias = alias.trim();
    e.name
        .split_whitespace()
        .any(|w| w.eq_ignore_ascii_case(alias))
}

/// Whisper's initial prompt: the user's own `prompt` first, as given, then
/// the roster's [`Roster::prompt_terms`] as one comma-separated list ending
/// in a full stop ("Maya Okafor, Dev Patel, checkout-api, OPS-."). Items
/// that would take the whole past [`PROMPT_MAX_CHARS`] are left out and
/// listed in [`InitialPrompt::dropped`]; the user's prompt is never cut.
pub fn initial_prompt(prompt: Option<&str>, roster: Option<&Roster>) -> InitialPrompt {
    let mut text = prompt.map(str::trim).unwrap_or_default().to_string();
    let items = roster.map(Roster::prompt_terms).unwrap_or_default();
    if items.is_empty() {
        return InitialPrompt {
            text,
            dropped: Vec::new(),
        };
    }
    if !text.is_empty() && !text.ends_with(['.', '?', '!']) {
        text.push('.');
    }
    let lead = if text.is_empty() { 0 } else { text.len() + 1 };
    let mut kept: Vec<String> = Vec::new();
    let mut dropped = Vec::new();
    let mut len = lead;
    for item in items {
        // ", " before every item but the first, "." after the last.
        let cost = item.len() + if kept.is_empty() { 1 } else { 2 };
        if len + cost <= PROMPT_MAX_CHARS {
            len += cost;
            kept.push(item);
        } else {
            dropped.push(item);
        }
    }
    if !kept.is_empty() {
        if !text.is_empty() {
            text.push(' ');
        }
        text.push_str(&kept.join(", "));
        if !text.ends_with(['.', '?', '!']) {
            text.push('.');
        }
    }
    InitialPrompt { text, dropped }
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

    #[test]
    fn terms_parse_and_wrong_types_are_said() {
        let r = Roster::parse(
            "terms = [\"checkout-api\", \"OPS-\", \" \", \"ops-\"]\n[speakers.maya]\nname = \"Maya Okafor\"\n",
        )
        .unwrap();
        assert_eq!(r.terms, ["checkout-api", "OPS-"]);
        assert_eq!(r.entries.len(), 1);
        // Top-level tables with terms: `terms` is not a person.
        let r = Roster::parse("terms = [\"PagerDuty\"]\n[dev]\nname = \"Dev Patel\"\n").unwrap();
        assert_eq!(r.terms, ["PagerDuty"]);
        assert_eq!(r.entries.len(), 1);
        let e = Roster::parse("terms = \"checkout\"\n").unwrap_err();
        assert!(e.contains("`terms`") && e.contains("string"), "{e}");
        let e = Roster::parse("terms = [\"a\", 3]\n").unwrap_err();
        assert!(e.contains("item 2"), "{e}");
    }

    #[test]
    fn load_names_the_file_for_bad_terms() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("team.toml");
        std::fs::write(&p, "terms = 3\n").unwrap();
        let e = Roster::load(&p).unwrap_err().to_string();
        assert!(e.contains("team.toml") && e.contains("terms"), "{e}");
    }

    #[test]
    fn prompt_lists_names_name_like_aliases_and_terms() {
        let r = Roster::parse(
            "terms = [\"checkout-api\", \"OPS-1234\"]\n\
             [speakers.S1]\nname = \"Maya Okafor\"\naliases = [\"S1\", \"maya\", \"Maya\", \"Mai O\"]\n\
             [speakers.dev]\nname = \"Dev Patel\"\naliases = [\"SPEAKER_01\"]\n\
             [speakers.spk3]\n",
        )
        .unwrap();
        assert_eq!(
            r.prompt_terms(),
            [
                "Maya Okafor",
                "Dev Patel",
                "Mai O",
                "checkout-api",
                "OPS-1234"
            ]
        );
        let p = initial_prompt(None, Some(&r));
        assert_eq!(
            p.text,
            "Maya Okafor, Dev Patel, Mai O, checkout-api, OPS-1234."
        );
        assert!(p.dropped.is_empty());
        // The user's prompt comes first and is closed as a sentence.
        let p = initial_prompt(Some("Bridge call for the payments team"), Some(&r));
        assert!(
            p.text
                .starts_with("Bridge call for the payments team. Maya Okafor, "),
            "{}",
            p.text
        );
        // No roster: the user's prompt as given; nothing: empty.
        assert_eq!(initial_prompt(Some("jargon"), None).text, "jargon");
        assert_eq!(initial_prompt(None, None).text, "");
        assert_eq!(initial_prompt(None, Some(&Roster::default())).text, "");
    }

    #[test]
    fn prompt_is_capped_and_says_what_it_left_out() {
        let terms: Vec<String> = (0..200).map(|i| format!("\"service-{i:03}\"")).collect();
        let r = Roster::parse(&format!("terms = [{}]\n", terms.join(", "))).unwrap();
        let p = initial_prompt(Some("Our call."), Some(&r));
        assert!(p.text.len() <= PROMPT_MAX_CHARS, "{}", p.text.len());
        assert!(p.text.starts_with("Our call. service-000, "));
        assert!(p.text.ends_with('.'));
        assert!(!p.dropped.is_empty());
        assert_eq!(
            p.dropped[0],
            format!("service-{:03}", 200 - p.dropped.len())
        );
        let kept = p.text.matches("service-").count();
        assert_eq!(kept + p.dropped.len(), 200);
    }
}
