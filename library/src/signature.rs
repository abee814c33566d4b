//! Exact error signatures: the normalised names of error strings and alerts
//! a record holds (`http-503`, `connection-pool-exhausted`,
//! `alert:checkout-latency-high`), found by the catalogue in
//! `data/signatures.toml`. Two incidents sharing one rank first in
//! `similar`.

use serde::Deserialize;

use crate::error::{Error, Result};
use crate::tags::{contains_phrase, normalise_tag, normalise_text};

/// The signature catalogue shipped with hotwash.
pub const BUILTIN_SIGNATURES: &str = include_str!("../data/signatures.toml");

/// One catalogue entry.
#[derive(Debug, Clone, Deserialize)]
pub struct SignatureRule {
    /// The normalised name (lowercase, dashes).
    pub name: String,
    /// Phrases any one of which is this signature.
    pub said: Vec<String>,
}

/// The signature catalogue.
#[derive(Debug, Clone, Deserialize)]
pub struct Signatures {
    /// Every entry.
    #[serde(rename = "signature")]
    pub rules: Vec<SignatureRule>,
}

/// A signature found in a text, with the catalogue phrase that found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// The normalised signature.
    pub signature: String,
    /// The phrase of the catalogue (or the alert as said) that matched.
    pub said: String,
}

impl Signatures {
    /// The catalogue shipped with hotwash.
    pub fn builtin() -> Result<Signatures> {
        Signatures::from_toml(BUILTIN_SIGNATURES)
    }

    /// Parses a catalogue; names must be lowercase-with-dashes and every
    /// entry needs a phrase.
    pub fn from_toml(text: &str) -> Result<Signatures> {
        let c: Signatures = toml::from_str(text).map_err(|e| Error::Catalogue(e.to_string()))?;
        for r in &c.rules {
            if normalise_tag(&r.name)? != r.name {
                return Err(Error::Catalogue(format!(
                    "signature {:?} is not lowercase-with-dashes",
                    r.name
                )));
            }
            if r.said.is_empty() {
                return Err(Error::Catalogue(format!(
                    "signature {:?} has no phrase",
                    r.name
                )));
            }
        }
        Ok(c)
    }

    /// The signatures in `text`, in catalogue order, each once.
    pub fn find(&self, text: &str) -> Vec<Found> {
        let hay = normalise_text(text);
        self.rules
            .iter()
            .filter_map(|r| {
                r.said
                    .iter()
                    .find(|p| contains_phrase(&hay, p))
                    .map(|p| Found {
                        signature: r.name.clone(),
                        said: p.clone(),
                    })
            })
            .collect()
    }
}

/// The signature of an alert's name: `alert:` and its words joined by
/// dashes (`CheckoutLatencyHigh` and `checkout latency high` are one).
pub fn alert_signature(name: &str) -> Option<String> {
    let mut words: Vec<String> = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if c.is_alphanumeric() {
            if c.is_uppercase() && prev_lower && !cur.is_empty() {
                words.push(std::mem::take(&mut cur));
            }
            cur.extend(c.to_lowercase());
            prev_lower = c.is_lowercase() || c.is_ascii_digit();
        } else {
            if !cur.is_empty() {
                words.push(std::mem::take(&mut cur));
            }
            prev_lower = false;
        }
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    let words: Vec<String> = words
        .into_iter()
        .filter(|w| !matches!(w.as_str(), "alert" | "the" | "a" | "an"))
        .collect();
    (!words.is_empty()).then(|| format!("alert:{}", words.join("-")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spoken_and_written_forms_are_one_signature() {
        let s = Signatures::builtin().unwrap();
        let names =
            |t: &str| -> Vec<String> { s.find(t).into_iter().map(|f| f.signature).collect() };
        assert_eq!(
            names("we are seeing five oh threes on the edge"),
            ["http-503"]
        );
        assert_eq!(names("HTTP 503 from the gateway"), ["http-503"]);
        assert_eq!(
            names("the connection pool is exhausted again"),
            ["connection-pool-exhausted"]
        );
        assert!(names("the pool party is on friday").is_empty());
        assert_eq!(names("pods in CrashLoopBackOff"), ["crash-loop"]);
    }

    #[test]
    fn alert_names_normalise_across_spellings() {
        assert_eq!(
            alert_signature("CheckoutLatencyHigh").as_deref(),
            Some("alert:checkout-latency-high")
        );
        assert_eq!(
            alert_signature("checkout latency high alert").as_deref(),
            Some("alert:checkout-latency-high")
        );
        assert_eq!(alert_signature("  --  "), None);
    }
}
