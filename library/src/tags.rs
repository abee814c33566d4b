//! Tags by failure mode and symptom signature, suggested from a record's
//! extracted text by the catalogue in `data/failure-modes.toml`.

use serde::Deserialize;

use crate::error::{Error, Result};

/// The catalogue shipped with hotwash.
pub const BUILTIN_CATALOGUE: &str = include_str!("../data/failure-modes.toml");

/// What a tag describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TagKind {
    /// Why it broke (deploy regression, certificate expiry...).
    FailureMode,
    /// How it looked (5xx spike at the edge, queue backlog...).
    Symptom,
}

/// One catalogue entry: a tag and the phrases that suggest it.
#[derive(Debug, Clone, Deserialize)]
pub struct TagRule {
    /// The tag (lowercase, dashes).
    pub name: String,
    /// Failure mode or symptom.
    pub kind: TagKind,
    /// Phrases any one of which suggests the tag.
    #[serde(default)]
    pub signatures: Vec<String>,
    /// Words two of which (distinct) suggest the tag.
    #[serde(default)]
    pub words: Vec<String>,
}

/// The failure-mode catalogue.
#[derive(Debug, Clone, Deserialize)]
pub struct Catalogue {
    /// Every entry.
    #[serde(rename = "tag")]
    pub rules: Vec<TagRule>,
}

/// A suggested tag and the phrases of the record that triggered it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suggestion {
    /// The tag.
    pub tag: String,
    /// The catalogue phrases found in the record.
    pub triggers: Vec<String>,
}

impl Catalogue {
    /// The catalogue shipped with hotwash.
    pub fn builtin() -> Result<Catalogue> {
        Catalogue::from_toml(BUILTIN_CATALOGUE)
    }

    /// Parses a catalogue; every tag name must be valid (see [`normalise_tag`]).
    pub fn from_toml(text: &str) -> Result<Catalogue> {
        let c: Catalogue = toml::from_str(text).map_err(|e| Error::Catalogue(e.to_string()))?;
        for r in &c.rules {
            if normalise_tag(&r.name)? != r.name {
                return Err(Error::Catalogue(format!(
                    "tag {:?} is not lowercase-with-dashes",
                    r.name
                )));
            }
            if r.signatures.is_empty() && r.words.len() < 2 {
                return Err(Error::Catalogue(format!(
                    "tag {:?} has no signature and fewer than two words, so it can never be suggested",
                    r.name
                )));
            }
        }
        Ok(c)
    }

    /// The tags this text suggests, in catalogue order.
    pub fn suggest(&self, text: &str) -> Vec<Suggestion> {
        let hay = normalise_text(text);
        let mut out = Vec::new();
        for r in &self.rules {
            let sig: Vec<String> = r
                .signatures
                .iter()
                .filter(|p| contains_phrase(&hay, p))
                .cloned()
                .collect();
            let words: Vec<String> = r
                .words
                .iter()
                .filter(|p| contains_phrase(&hay, p))
                .cloned()
                .collect();
            if !sig.is_empty() || words.len() >= 2 {
                let mut triggers = sig;
                triggers.extend(words);
                out.push(Suggestion {
                    tag: r.name.clone(),
                    triggers,
                });
            }
        }
        out
    }
}

/// A tag as stored: lowercase, words joined by dashes; letters, digits and
/// dashes only, at most 64 characters.
pub fn normalise_tag(tag: &str) -> Result<String> {
    let t: String = tag
        .trim()
        .to_lowercase()
        .split(|c: char| c.is_whitespace() || c == '_')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    let bad = |reason: &str| Error::BadTag {
        tag: tag.to_string(),
        reason: reason.to_string(),
    };
    if t.is_empty() {
        return Err(bad("empty; give a name such as deploy-regression"));
    }
    if t.chars().count() > 64 {
        return Err(bad("longer than 64 characters"));
    }
    if !t.chars().all(|c| c.is_alphanumeric() || c == '-') {
        return Err(bad("use letters, digits and dashes only"));
    }
    Ok(t)
}

/// Lowercase words separated by single spaces, with a space at each end.
pub(crate) fn normalise_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push(' ');
    let mut space = true;
    for c in text.chars() {
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
            space = false;
        } else if !space {
            out.push(' ');
            space = true;
        }
    }
    if !space {
        out.push(' ');
    }
    out
}

/// Whether the normalised `hay` holds the phrase as whole words; a trailing
/// `*` lets the last word have any ending.
pub(crate) fn contains_phrase(hay: &str, phrase: &str) -> bool {
    let (body, prefix) = match phrase.strip_suffix('*') {
        Some(b) => (b, true),
        None => (phrase, false),
    };
    let norm = normalise_text(body);
    let norm = norm.trim_end();
    if norm.trim().is_empty() {
        return false;
    }
    if prefix {
        hay.contains(norm)
    } else {
        hay.contains(&format!("{norm} "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_catalogue_parses_and_names_every_mode_of_the_issue() {
        let c = Catalogue::builtin().unwrap();
        for name in [
            "deploy-regression",
            "database-saturation",
            "dependency-timeout",
            "cache-stampede",
            "noisy-neighbour",
            "misconfigured-flag",
            "certificate-expiry",
            "capacity",
            "edge-5xx-spike",
            "latency-creep",
            "queue-backlog",
            "connection-pool-exhaustion",
        ] {
            assert!(c.rules.iter().any(|r| r.name == name), "{name}");
        }
    }

    #[test]
    fn a_signature_suggests_alone_and_words_need_two() {
        let c = Catalogue::builtin().unwrap();
        let s = c.suggest("The connection pool exhausted at 09:02; we restarted it.");
        let pool = s
            .iter()
            .find(|s| s.tag == "connection-pool-exhaustion")
            .unwrap();
        assert!(pool.triggers.iter().any(|t| t == "connection pool"));
        // One weak word is not enough.
        assert!(!c
            .suggest("We spoke about the cache.")
            .iter()
            .any(|s| s.tag == "cache-stampede"));
        assert!(c
            .suggest("The cache was cold and redis evictions climbed.")
            .iter()
            .any(|s| s.tag == "cache-stampede"));
    }

    #[test]
    fn phrases_match_whole_words_and_star_endings() {
        let hay = normalise_text("Timeouts from the upstream; TLS-handshake failed.");
        assert!(contains_phrase(&hay, "timeout*"));
        assert!(!contains_phrase(&hay, "timeout"));
        assert!(contains_phrase(&hay, "tls handshake"));
        assert!(!contains_phrase(&hay, "stream"));
    }

    #[test]
    fn tags_are_normalised_and_bad_ones_refused() {
        assert_eq!(
            normalise_tag(" Deploy Regression ").unwrap(),
            "deploy-regression"
        );
        assert_eq!(normalise_tag("db_saturation").unwrap(), "db-saturation");
        assert!(normalise_tag("  ").is_err());
        assert!(normalise_tag("a/b").is_err());
        assert!(Catalogue::from_toml(
            "[[tag]]\nname = \"Bad Name\"\nkind = \"symptom\"\nsignatures = [\"x\"]\n"
        )
        .is_err());
    }
}
