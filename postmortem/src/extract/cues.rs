//! Cues shared by the extractors: hedges and confirmations, refutations,
//! mitigation verbs, results, verification plans, instruction verbs. The
//! phrases are data (`postmortem/lexicon/cues.toml`); the patterns built
//! from them match a sentence's normalised text (lowercase, numbers as
//! digits).

use std::sync::LazyLock;

use regex::Regex;

use super::lexicon;

/// Strong hedges: a guess, whatever else the sentence says.
pub static STRONG_HEDGE: LazyLock<Regex> =
    LazyLock::new(|| lexicon::regex(r"\b(%cues.strong_hedge%)\b"));

/// Weak hedges: "I think" and friends, often used assertively.
pub static WEAK_HEDGE: LazyLock<Regex> =
    LazyLock::new(|| lexicon::regex(r"\b(%cues.weak_hedge%)\b"));

/// Doubts that are not themselves guesses ("I don't think…", "not sure about that").
pub static NEGATED_HEDGE: LazyLock<Regex> =
    LazyLock::new(|| lexicon::regex(r"\b(%cues.negated_hedge%)\b"));

/// Confirmations: the statement rests on something observed.
pub static CONFIRM: LazyLock<Regex> = LazyLock::new(|| lexicon::regex(r"\b(%cues.confirm%)\b"));

/// Refutations: a guess ruled out.
pub static REFUTE: LazyLock<Regex> = LazyLock::new(|| lexicon::regex(r"\b(%cues.refute%)\b"));

/// Proposals and plans, which are not guesses about the cause.
pub static PROPOSAL: LazyLock<Regex> = LazyLock::new(|| lexicon::regex(r"\b(%cues.proposal%)\b"));

/// Estimates ("maybe twenty minutes", "might take an hour").
pub static ESTIMATE: LazyLock<Regex> = LazyLock::new(|| {
    lexicon::regex(
        r"\b(%cues.estimate_hedge%) (take |be )?(about |around |roughly |another )?(\d[\d .]*|a|an|a few|a couple of) (seconds?|minutes?|mins?|hours?|days?)\b|\b(%cues.estimate_lead%)\b.*\b(seconds?|minutes?|hours?|quick)\b",
    )
});

/// Mitigation verbs (stems and phrases) in normalised text.
pub static MITIGATION_VERB: LazyLock<Regex> =
    LazyLock::new(|| lexicon::regex(r"\b(%cues.mitigation_verb%)\b"));

/// Completion of a mitigation ("rollback is complete", "the override is live").
pub static COMPLETION: LazyLock<Regex> = LazyLock::new(|| {
    lexicon::regex(
        r"\b((is|'s|are|was|were|has|have) (now )?(%cues.completion_state%)|%cues.completion%)\b",
    )
});

/// Good news after a mitigation.
pub static POSITIVE: LazyLock<Regex> = LazyLock::new(|| lexicon::regex(r"\b(%cues.positive%)\b"));

/// Bad news after a mitigation.
pub static NEGATIVE: LazyLock<Regex> = LazyLock::new(|| lexicon::regex(r"\b(%cues.negative%)\b"));

/// A verification plan.
pub static VERIFICATION: LazyLock<Regex> =
    LazyLock::new(|| lexicon::regex(r"\b(%cues.verification%)\b"));

/// Goals nobody can measure.
pub static UNMEASURABLE: LazyLock<Regex> =
    LazyLock::new(|| lexicon::regex(r"\b(%cues.unmeasurable%)\b"));

/// Whether a word starts an instruction ("scale", "post", "revert"…).
pub fn imperative(word: &str) -> bool {
    lexicon::list("cues.imperative").has(word)
}

/// Whether a sentence changes the system (roll back, scale, pause, override…).
pub fn is_mitigating(norm: &str) -> bool {
    has(&MITIGATION_VERB, norm)
}

/// Whether normalised text matches, as a convenience.
pub fn has(re: &Regex, norm: &str) -> bool {
    re.is_match(norm)
}

/// Content words of normalised text (stemmed lightly) for topic overlap.
pub fn content_words(norm: &str) -> Vec<String> {
    let norm = norm
        .replace("rollback", "roll back")
        .replace("hotfix", "hot fix");
    norm.split(|c: char| !(c.is_alphanumeric() || c == '.' || c == '\''))
        .map(|w| w.trim_matches('.').trim_end_matches("'s"))
        .filter(|w| {
            w.len() >= 2
                && !lexicon::list("cues.stop").has(w)
                && !w.chars().all(|c| c.is_ascii_digit() || c == '.')
                || w.contains('.') && w.len() >= 3
        })
        .map(|w| {
            // One suffix, so "pause", "paused", "pauses" and "pausing" meet.
            ["ing", "ed", "es", "s", "e"]
                .iter()
                .find_map(|suf| w.strip_suffix(suf).filter(|s| s.len() >= 3))
                .unwrap_or(w)
                .to_string()
        })
        .collect()
}

/// How many content words two texts share.
pub fn overlap(a: &str, b: &str) -> usize {
    let a = content_words(a);
    let mut b = content_words(b);
    b.sort();
    b.dedup();
    b.iter().filter(|w| a.contains(w)).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hedges_and_confirmations() {
        assert!(has(
            &STRONG_HEDGE,
            "i think the new cache might be thrashing"
        ));
        assert!(has(&STRONG_HEDGE, "my bet is the connection pool"));
        assert!(has(&STRONG_HEDGE, "could be the dns change"));
        assert!(!has(&STRONG_HEDGE, "the logs show pool exhaustion"));
        assert!(has(&CONFIRM, "confirmed from the traces , it's the worker"));
        assert!(has(&REFUTE, "honestly we do not think that's the firewall"));
        assert!(has(&REFUTE, "the disk latency looks totally healthy"));
        assert!(has(&NEGATIVE, "but p 95 hasn't moved"));
        assert!(has(
            &POSITIVE,
            "the failures are dropping , now below 2 percent"
        ));
        assert!(has(&ESTIMATE, "maybe 15 minutes and it won't block writes"));
        assert!(has(
            &MITIGATION_VERB,
            "roll the billing worker back to 7.2.0"
        ));
        assert!(has(&MITIGATION_VERB, "scale out the ingest workers"));
        assert!(!has(&MITIGATION_VERB, "bring up the disk graphs"));
    }

    #[test]
    fn overlap_ignores_filler() {
        assert!(
            overlap(
                "my bet would be a deep disk queue",
                "the disk is not the cause"
            ) >= 1
        );
        assert_eq!(overlap("i think so", "yes we should"), 0);
        assert!(overlap("kicking off the rollback", "rollback is complete") >= 1);
    }
}
