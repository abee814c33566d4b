//! Carrying something out, as opposed to talking about it: "Rolling back
//! now", "Pushing it", "On it", "Failover is in progress". Decisions use it
//! to tell an instruction from its execution, mitigations to find the moment
//! an attempt started. Its words are data (`postmortem/lexicon/mitigations.toml`).

use std::sync::LazyLock;

use regex::Regex;

use super::context::Sentence;
use super::cues::{self, has};
use super::lexicon;

/// A report that something has started: "rollback started", "failover is in progress".
static STARTED: LazyLock<Regex> =
    LazyLock::new(|| lexicon::regex(r"\b(%mitigations.started%)( now)? ?[.!]?$"));

/// Whether a sentence starts doing something now ("Rolling back now", "Pushing it", "On it").
pub fn is_execution(s: &Sentence) -> bool {
    let words: Vec<&str> = s
        .toks
        .iter()
        .filter(|t| !t.is_punct())
        .map(|t| t.lower.as_str())
        .collect();
    let lead = lexicon::list("mitigations.execution_lead");
    let not_gerund = lexicon::list("mitigations.not_gerund");
    let mut i = 0;
    while i < words.len() && lead.has(words[i]) {
        if words[i] == "on" && words.get(i + 1) == Some(&"it") {
            return true;
        }
        i += 1;
    }
    let Some(w) = words.get(i) else { return false };
    // "Rollback started", "failover is in progress".
    if STARTED.is_match(&s.norm) && !s.question {
        return true;
    }
    if matches!(*w, "i'm" | "we're") {
        return words
            .get(i + 1)
            .is_some_and(|v| v.ends_with("ing") && !not_gerund.has(v))
            && (s.norm.contains(" now") || has(&cues::MITIGATION_VERB, &s.norm));
    }
    w.ends_with("ing")
        && w.len() > 4
        && !not_gerund.has(w)
        && !s.question
        && !gerund_subject(&words[i..])
        && (s.norm.contains("now")
            || has(&cues::MITIGATION_VERB, &s.norm)
            || words.len() <= 3
            || words
                .get(i + 1)
                .is_some_and(|n| matches!(*n, "it" | "that" | "the")))
        && !has(&cues::NEGATIVE, &s.norm)
        && !has(&cues::COMPLETION, &s.norm)
}

/// Whether a leading gerund is the subject of a verb that follows ("Rolling
/// back is not great", "Restarting it would take an hour"): talk about the
/// action, not doing it.
fn gerund_subject(words: &[&str]) -> bool {
    let verbs = lexicon::list("mitigations.gerund_subject_verb");
    words.iter().skip(1).take(4).any(|w| verbs.has(w))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::context::sentence;

    #[test]
    fn executions() {
        assert!(is_execution(&sentence("Rolling back now.")));
        assert!(is_execution(&sentence("Starting the failover now.")));
        assert!(is_execution(&sentence("Pushing it.")));
        assert!(is_execution(&sentence("Okay, restarting the workers.")));
        assert!(is_execution(&sentence("On it.")));
        assert!(is_execution(&sentence("I'm draining the node now.")));
        assert!(!is_execution(&sentence(
            "Right, Nadia has her slides up now."
        )));
        assert!(!is_execution(&sentence("Nothing changed.")));
        assert!(!is_execution(&sentence(
            "Rolling back the binary didn't help."
        )));
        assert!(!is_execution(&sentence("Still no sign of the dashboard.")));
        assert!(!is_execution(&sentence("Rolling back is great either.")));
        assert!(!is_execution(&sentence(
            "Restarting it would take an hour."
        )));
        assert!(is_execution(&sentence(
            "Starting it now, vacuum on the ledger table,"
        )));
    }
}
