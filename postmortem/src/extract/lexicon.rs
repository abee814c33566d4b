//! The rule extractors' phrase lists, as data: `postmortem/lexicon/*.toml`,
//! one file per extractor (plus `cues.toml` for what several share), built
//! into the binary and parsed once.
//!
//! Each file holds named lists:
//!
//! ```toml
//! [strong_hedge]
//! means = "Strong hedges: a guess, whatever else the sentence says."
//! pattern = true   # phrases are regular-expression fragments (default: plain text)
//! phrases = ["might", "may be", "i suspect"]
//! examples = ["I suspect the new index is cold."]
//! ```
//!
//! A list is named `file.list` in code (`cues.strong_hedge`). `means` says
//! what the list is for; every list carries at least one example sentence of
//! the project's own (never taken from an evaluation call) in which one of
//! its phrases occurs, and a test checks that it does. Scoring tables use
//! `weights` (phrase → weight) instead of `phrases`.
//!
//! Code that matches with a regular expression keeps the structure around
//! the words and names lists in it: `\b(%cues.strong_hedge%)\b` is the
//! alternation of that list's phrases on word boundaries (see [`regex`]).

use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex::Regex;
use serde::Deserialize;

use crate::error::{Error, Result};

/// The shipped lexicon files: (name, path for messages, text).
const FILES: &[(&str, &str, &str)] = &[
    (
        "actions",
        "postmortem/lexicon/actions.toml",
        include_str!("../../lexicon/actions.toml"),
    ),
    (
        "context",
        "postmortem/lexicon/context.toml",
        include_str!("../../lexicon/context.toml"),
    ),
    (
        "cues",
        "postmortem/lexicon/cues.toml",
        include_str!("../../lexicon/cues.toml"),
    ),
    (
        "decisions",
        "postmortem/lexicon/decisions.toml",
        include_str!("../../lexicon/decisions.toml"),
    ),
    (
        "evidence",
        "postmortem/lexicon/evidence.toml",
        include_str!("../../lexicon/evidence.toml"),
    ),
    (
        "hypotheses",
        "postmortem/lexicon/hypotheses.toml",
        include_str!("../../lexicon/hypotheses.toml"),
    ),
    (
        "impact",
        "postmortem/lexicon/impact.toml",
        include_str!("../../lexicon/impact.toml"),
    ),
    (
        "meta",
        "postmortem/lexicon/meta.toml",
        include_str!("../../lexicon/meta.toml"),
    ),
    (
        "mitigations",
        "postmortem/lexicon/mitigations.toml",
        include_str!("../../lexicon/mitigations.toml"),
    ),
    (
        "people",
        "postmortem/lexicon/people.toml",
        include_str!("../../lexicon/people.toml"),
    ),
    (
        "rca",
        "postmortem/lexicon/rca.toml",
        include_str!("../../lexicon/rca.toml"),
    ),
    (
        "timeline",
        "postmortem/lexicon/timeline.toml",
        include_str!("../../lexicon/timeline.toml"),
    ),
];

/// One phrase list.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct List {
    /// What the list is for.
    pub means: String,
    /// Whether the phrases are regular-expression fragments rather than text.
    #[serde(default)]
    pub pattern: bool,
    /// The phrases, in the order they are tried.
    #[serde(default)]
    pub phrases: Vec<String>,
    /// Phrase weights, for lists that score rather than match.
    #[serde(default)]
    pub weights: BTreeMap<String, usize>,
    /// Sentences of the project's own in which a phrase of the list occurs.
    pub examples: Vec<String>,
}

impl List {
    /// Whether a word (or whole text) is one of the phrases.
    pub fn has(&self, word: &str) -> bool {
        self.phrases.iter().any(|p| p == word)
    }

    /// Whether any phrase occurs in a text, as a substring.
    pub fn any_in(&self, text: &str) -> bool {
        self.phrases.iter().any(|p| text.contains(p.as_str()))
    }

    /// The first phrase (in list order) that a text starts with.
    pub fn prefix_of(&self, text: &str) -> Option<&str> {
        self.phrases
            .iter()
            .map(String::as_str)
            .find(|p| text.starts_with(p))
    }

    /// The phrases as one regular-expression alternation (text escaped).
    pub fn alternation(&self) -> String {
        self.phrases
            .iter()
            .map(|p| {
                if self.pattern {
                    p.clone()
                } else {
                    regex::escape(p)
                }
            })
            .collect::<Vec<_>>()
            .join("|")
    }

    /// The phrase, if any, that occurs in a text as whole words: how the
    /// examples are checked.
    pub fn occurs_in(&self, text: &str) -> Option<&str> {
        let phrases = self.phrases.iter().chain(self.weights.keys());
        phrases
            .filter(|p| !p.trim().is_empty())
            .find(|p| {
                let body = if self.pattern {
                    p.trim().to_string()
                } else {
                    regex::escape(p.trim())
                };
                Regex::new(&format!(r"(?:^|[^\w'])(?:{body})(?:$|[^\w'])"))
                    .is_ok_and(|r| r.is_match(text))
            })
            .map(String::as_str)
    }
}

/// Every list of the lexicon, by `file.list` name.
#[derive(Debug, Clone, Default)]
pub struct Lexicon {
    lists: BTreeMap<String, List>,
}

impl Lexicon {
    /// Parses one lexicon file's text; `name` prefixes its lists' names and
    /// `origin` names the file in errors.
    pub fn parse(name: &str, origin: &str, text: &str) -> Result<Lexicon> {
        let bad = |reason: String| Error::Lexicon {
            path: origin.into(),
            reason,
        };
        let lists: BTreeMap<String, List> = toml::from_str(text).map_err(|e| bad(e.to_string()))?;
        let mut out = BTreeMap::new();
        for (list, l) in lists {
            if l.means.trim().is_empty() {
                return Err(bad(format!("list {list} does not say what it means")));
            }
            if l.phrases.is_empty() && l.weights.is_empty() {
                return Err(bad(format!("list {list} has no phrases")));
            }
            if l.examples.iter().all(|e| e.trim().is_empty()) {
                return Err(bad(format!("list {list} has no example sentence")));
            }
            if let Some(p) = l.phrases.iter().find(|p| p.is_empty()) {
                return Err(bad(format!("list {list} has an empty phrase {p:?}")));
            }
            if l.pattern {
                if let Err(e) = Regex::new(&l.alternation()) {
                    return Err(bad(format!("list {list}: bad pattern: {e}")));
                }
            }
            out.insert(format!("{name}.{list}"), l);
        }
        Ok(Lexicon { lists: out })
    }

    /// The shipped lexicon.
    pub fn shipped() -> Result<Lexicon> {
        let mut lists = BTreeMap::new();
        for (name, origin, text) in FILES {
            lists.extend(Lexicon::parse(name, origin, text)?.lists);
        }
        Ok(Lexicon { lists })
    }

    /// A list by `file.list` name.
    pub fn get(&self, name: &str) -> Option<&List> {
        self.lists.get(name)
    }

    /// Every list, by name.
    pub fn lists(&self) -> impl Iterator<Item = (&str, &List)> {
        self.lists.iter().map(|(k, v)| (k.as_str(), v))
    }
}

/// The shipped lexicon, parsed on first use. The files are built in and a
/// test parses them, so a failure here is a damaged build, reported whole.
static SHIPPED: LazyLock<Lexicon> =
    LazyLock::new(|| Lexicon::shipped().unwrap_or_else(|e| panic!("{e}")));

/// A shipped list by `file.list` name. Names are constants of the code and
/// a test checks that each one used exists.
pub fn list(name: &str) -> &'static List {
    SHIPPED
        .get(name)
        .unwrap_or_else(|| panic!("no lexicon list {name} in postmortem/lexicon/"))
}

/// A regular expression from a template: each `%file.list%` becomes the
/// list's alternation, in a group of its own.
pub fn regex(template: &str) -> Regex {
    let mut out = String::new();
    let mut rest = template;
    while let Some(a) = rest.find('%') {
        let Some(b) = rest[a + 1..].find('%') else {
            break;
        };
        out.push_str(&rest[..a]);
        out.push_str("(?:");
        out.push_str(&list(&rest[a + 1..a + 1 + b]).alternation());
        out.push(')');
        rest = &rest[a + 2 + b..];
    }
    out.push_str(rest);
    Regex::new(&out).unwrap_or_else(|e| panic!("bad cue pattern {template}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::{normalise, tokenize};

    /// The rule modules' source, to find the list names they use.
    const SOURCES: &[(&str, &str)] = &[
        ("actions.rs", include_str!("actions.rs")),
        ("context.rs", include_str!("context.rs")),
        ("cues.rs", include_str!("cues.rs")),
        ("decisions.rs", include_str!("decisions.rs")),
        ("evidence.rs", include_str!("evidence.rs")),
        ("execution.rs", include_str!("execution.rs")),
        ("hypotheses.rs", include_str!("hypotheses.rs")),
        ("impact.rs", include_str!("impact.rs")),
        ("mentions.rs", include_str!("mentions.rs")),
        ("meta.rs", include_str!("meta.rs")),
        ("mitigations.rs", include_str!("mitigations.rs")),
        ("mod.rs", include_str!("mod.rs")),
        ("people.rs", include_str!("people.rs")),
        ("rca.rs", include_str!("rca.rs")),
        ("timeline.rs", include_str!("timeline.rs")),
    ];

    fn used_names() -> Vec<(String, &'static str)> {
        let names = Regex::new(r#"(?:"|%)([a-z]+\.[a-z_]+)(?:"|%)"#).unwrap();
        let files: Vec<&str> = FILES.iter().map(|f| f.0).collect();
        let mut out = Vec::new();
        for (file, text) in SOURCES {
            for c in names.captures_iter(text) {
                let n = &c[1];
                if files.iter().any(|f| n.starts_with(&format!("{f}."))) {
                    out.push((n.to_string(), *file));
                }
            }
        }
        out
    }

    #[test]
    fn every_shipped_file_parses() {
        for (name, origin, text) in FILES {
            if let Err(e) = Lexicon::parse(name, origin, text) {
                panic!("{e}");
            }
        }
    }

    #[test]
    fn every_list_used_exists_and_every_list_is_used() {
        let lex = Lexicon::shipped().unwrap();
        let used = used_names();
        for (n, file) in &used {
            assert!(
                lex.get(n).is_some(),
                "{file} uses {n}, which no lexicon file has"
            );
        }
        for (n, _) in lex.lists() {
            assert!(used.iter().any(|(u, _)| u == n), "{n} is used nowhere");
        }
    }

    #[test]
    fn every_example_carries_a_phrase_of_its_list() {
        let lex = Lexicon::shipped().unwrap();
        let mut bad = Vec::new();
        for (name, l) in lex.lists() {
            for e in &l.examples {
                let norm = normalise(&tokenize(e));
                let lower = e.to_lowercase();
                if ![norm.as_str(), lower.as_str(), e.as_str()]
                    .iter()
                    .any(|t| l.occurs_in(t).is_some())
                {
                    bad.push(format!("{name}: {e:?} (normalised: {norm:?})"));
                }
            }
        }
        assert!(
            bad.is_empty(),
            "examples that hold none of their list's phrases:\n{}",
            bad.join("\n")
        );
    }

    #[test]
    fn malformed_files_are_refused_with_their_name() {
        let err = Lexicon::parse("x", "x.toml", "[a]\nmeans = 1\n").unwrap_err();
        assert!(err.to_string().starts_with("x.toml:"), "{err}");
        let err =
            Lexicon::parse("x", "x.toml", "[a]\nmeans = \"m\"\nexamples = [\"e\"]\n").unwrap_err();
        assert!(err.to_string().contains("no phrases"), "{err}");
        let err = Lexicon::parse(
            "x",
            "x.toml",
            "[a]\nmeans = \"m\"\nphrases = [\"b\"]\nexamples = []\n",
        )
        .unwrap_err();
        assert!(err.to_string().contains("no example"), "{err}");
        let err = Lexicon::parse(
            "x",
            "x.toml",
            "[a]\nmeans = \"m\"\npattern = true\nphrases = [\"(b\"]\nexamples = [\"b\"]\n",
        )
        .unwrap_err();
        assert!(err.to_string().contains("bad pattern"), "{err}");
        let err = Lexicon::parse(
            "x",
            "x.toml",
            "[a]\nmeans = \"m\"\nphrase = [\"b\"]\nexamples = [\"b\"]\n",
        )
        .unwrap_err();
        assert!(err.to_string().contains("unknown field"), "{err}");
    }

    #[test]
    fn templates_fill_in_lists() {
        let lex = Lexicon::parse(
            "t",
            "t.toml",
            "[w]\nmeans = \"m\"\nphrases = [\"a.b\", \"c\"]\nexamples = [\"c\"]\n",
        )
        .unwrap();
        let l = lex.get("t.w").unwrap();
        assert_eq!(l.alternation(), r"a\.b|c");
        assert!(l.has("c") && !l.has("a"));
        assert_eq!(l.prefix_of("c d"), Some("c"));
        assert_eq!(l.occurs_in("x a.b y"), Some("a.b"));
        assert_eq!(l.occurs_in("xa.b"), None);
    }
}
