//! Cue lexicons shared by the extractors: hedges and confirmations,
//! refutations, mitigation verbs, results, verification plans. Patterns match
//! a sentence's normalised text (lowercase, numbers as digits).

use std::sync::LazyLock;

use regex::Regex;

fn re(p: &str) -> Regex {
    // The patterns are constants of this module; a bad one is a programming error caught by tests.
    Regex::new(p).unwrap_or_else(|e| panic!("bad cue pattern {p}: {e}"))
}

/// Strong hedges: a guess, whatever else the sentence says.
pub static STRONG_HEDGE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\b(might|may be|could be|could also be|may also be|could it be|maybe|perhaps|possibly|probably|my guess|i guess|i'd guess|just a guess|a guess|first guess|i'm guessing|my bet|i bet|i suspect|i'm suspecting|suspicion|i wonder if|wondering if|my theory|theory is|hunch|my money is on|not sure but|not sure , but|i'm thinking it's|i'd say it's|likely|what if it's|what if the|i have a feeling|smells like|i'm wondering whether|wondering whether|might be related|my hunch)\b",
    )
});

/// Weak hedges: "I think" and friends, often used assertively.
pub static WEAK_HEDGE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\b(i think|i believe|feels like|seems like|sounds like|i reckon|looks like it's|looks like the)\b",
    )
});

/// Doubts that are not themselves guesses ("I don't think…", "not sure about that").
pub static NEGATED_HEDGE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\b(don't think|do not think|doesn't look like|not sure about that|i doubt|not likely|unlikely|don't believe)\b",
    )
});

/// Confirmations: the statement rests on something observed.
pub static CONFIRM: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\b(confirmed|confirm that|logs show|logs are showing|dashboard shows|graphs show|data shows|i can see|we can see|that's it|that is it|that explains|verified|root cause is|the cause is|was the trigger|is the trigger|that's the cause|that's our cause|you were right|that's us|makes sense)\b",
    )
});

/// Refutations: a guess ruled out.
pub static REFUTE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(\b(don't|do not|doesn't|does not) think (it's|it is|that's|this is)\b|\b(it's|it is|that's|that is|this is) not (the|a|it|our|related)\b|\bnot the (cause|problem|issue)\b|\brule[sd]? out\b|\bruling out\b|\bthat's not it\b|\bisn't the\b|\bis not the\b|\blooks (totally |perfectly |completely )?(healthy|fine|normal|ok|okay)\b|\bnothing to do with\b|\bnot related\b|\bunrelated\b|\bit's not\b)",
    )
});

/// Proposals and plans, which are not guesses about the cause.
pub static PROPOSAL: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\b(we need|we should|let's|lets|action item|i'll|i will|can you|could you|we could|we can|should we|follow ups?|follow-ups?)\b",
    )
});

/// Estimates ("maybe twenty minutes", "might take an hour").
pub static ESTIMATE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\b(might|may|could|maybe|probably|perhaps) (take |be )?(about |around |roughly |another )?(\d[\d .]*|a|an|a few|a couple of) (seconds?|minutes?|mins?|hours?|days?)\b|\b(maybe|might take|should be quick|should take)\b.*\b(seconds?|minutes?|hours?|quick)\b",
    )
});

/// Mitigation verbs (stems and phrases) in normalised text.
pub static MITIGATION_VERB: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\b(roll(ing|ed)? (\w+ ){0,4}?back\b|rollback|revert(ing|ed)?|restart(ing|ed)?|reboot(ing|ed)?|bounc(e|ing|ed)|recycl(e|ing|ed)|fail(ing|ed)? over|failover|scal(e|ing|ed) (it |the \w+ |\w+ )?(out|up|down)|scale out|drain(ing|ed)?|disabl(e|ing|ed)|turn(ing|ed)? off|switch(ing|ed)? off|flip(ping|ped)?|toggl(e|ing|ed)|paus(e|ing|ed)|purg(e|ing|ed)|flush(ing|ed)?|clear(ing|ed)? the cache|block(ing|ed)?|throttl(e|ing|ed)|reroute|rerout(ing|ed)|redirect(ing|ed)?|shift(ing|ed)? traffic|add(ing)? capacity|bump(ing|ed)?|hotfix|hot fix|patch(ing|ed)?|override|overrid(ing)|push(ing)? (the|an?|it|that)\b|kill(ing|ed)?|terminat(e|ing|ed)|evict(ing|ed)?|shed(ding)? load|cordon(ing|ed)?|roll(ing)? forward|freez(e|ing)|halt(ing|ed)?|(build|building|create|creating) (the |an? )?(missing )?index|index build|raise the limit|rais(e|ing) the|lower(ing)? the|increas(e|ing) the|decreas(e|ing) the)\b",
    )
});

/// Completion of a mitigation ("rollback is complete", "the override is live").
pub static COMPLETION: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\b((is|'s|are|was|were|has|have) (now )?(complete|completed|done|finished|live|in place|out|deployed|applied|paused|reverted|rolled back|reloaded|back)|(it's|that's|its) done|all done|finished|completed|is done|'s done|are on \d|now on \d)\b",
    )
});

/// Good news after a mitigation.
pub static POSITIVE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\b(dropping|dropped|recovered|recovering|back to normal|back down|back up|stopped|is normal|our normal|looks normal|healthy|green|resolved|fixed|improv(ed|ing)|down to|under \d|below \d|cleared|again|working again|works again|working now|is gone|are gone|went away|picked it up|coming down|baseline|back to baseline|looks good|looking good|all green|zero errors|no more errors|no errors|fully recovered|healthy again|succeeding)\b",
    )
});

/// Bad news after a mitigation.
pub static NEGATIVE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\b(hasn't moved|haven't moved|has not moved|hasn't changed|haven't changed|has not changed|no change|didn't help|did not help|not helping|no improvement|still (at|about|around|seeing|\d)|worse|same as before|not improved|didn't work|did not work|no effect|unchanged|no difference|didn't make a difference|not moved|no better|still failing|still broken|still erroring|didn't fix|did not fix|not fixed|made it worse|getting worse)\b",
    )
});

/// A verification plan.
pub static VERIFICATION: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\b(verify|verified|verification|we'll verify|test it by|tested by|test it with|prove it|to prove|to show|should (fire|fail|pass|come back clean|catch|page|alert|trigger|go green|be green|block|reject)|once the \w+ shows|we'll know|success (is|means|criteria)|validate (it )?(by|with)|confirm (it )?(by|with)|game ?day|a test that|replay(ing)?|dry run)\b",
    )
});

/// Goals nobody can measure.
pub static UNMEASURABLE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\b(improve|improves|improving|better|smarter|more robust|look into|looking into|revisit|consider|discuss|some kind of|figure out|think about|explore|rethink|in general|more generally|somehow)\b",
    )
});

/// Whether normalised text matches, as a convenience.
pub fn has(re: &Regex, norm: &str) -> bool {
    re.is_match(norm)
}

/// Words that carry no topic, for overlap between statements.
const STOP: &[&str] = &[
    "the", "a", "an", "and", "or", "but", "so", "to", "of", "in", "on", "at", "for", "with", "is",
    "are", "was", "were", "be", "been", "it", "it's", "that", "that's", "this", "these", "those",
    "i", "i'm", "i'll", "we", "we're", "we'll", "you", "they", "them", "our", "my", "your",
    "their", "think", "guess", "might", "could", "maybe", "just", "now", "for", "from", "by", "as",
    "not", "don't", "do", "does", "did", "have", "has", "had", "can", "will", "would", "should",
    "about", "really", "very", "there", "here", "what", "which", "who", "all", "any", "some",
    "more", "also", "then", "than", "if", "into", "out", "up", "down", "over", "still", "yet",
    "okay", "yeah", "yes", "no", "new", "one", "get", "got", "see", "look", "looks", "like", "bit",
    "lot", "much", "way", "because", "sure", "first", "my", "bet", "is", "much", "well", "right",
    "let's", "lets", "actually", "been", "being", "how", "why", "when", "where", "everyone",
    "thanks", "fine", "us", "me", "an", "be", "so", "no", "if", "up", "oh", "ok", "hi", "go", "am",
    "he", "she",
];

/// Content words of normalised text (stemmed lightly) for topic overlap.
pub fn content_words(norm: &str) -> Vec<String> {
    let norm = norm
        .replace("rollback", "roll back")
        .replace("hotfix", "hot fix");
    norm.split(|c: char| !(c.is_alphanumeric() || c == '.' || c == '\''))
        .map(|w| w.trim_matches('.').trim_end_matches("'s"))
        .filter(|w| {
            w.len() >= 2 && !STOP.contains(w) && !w.chars().all(|c| c.is_ascii_digit() || c == '.')
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
        assert!(has(&CONFIRM, "confirmed from the logs , it's the pool"));
        assert!(has(&REFUTE, "so i don't think it's the cache"));
        assert!(has(&REFUTE, "cache hit rate looks totally healthy"));
        assert!(has(&NEGATIVE, "but p 99 hasn't moved"));
        assert!(has(
            &POSITIVE,
            "error rate is dropping , now under 1 percent"
        ));
        assert!(has(
            &ESTIMATE,
            "maybe 20 minutes and it doesn't lock the table"
        ));
        assert!(has(&MITIGATION_VERB, "roll the eu gateway back to 3.9.1"));
        assert!(has(&MITIGATION_VERB, "scale out the orders api"));
        assert!(!has(&MITIGATION_VERB, "pull up the cache hit rate"));
    }

    #[test]
    fn overlap_ignores_filler() {
        assert!(
            overlap(
                "my bet is the cache hit rate is bad",
                "i don't think it's the cache"
            ) >= 1
        );
        assert_eq!(overlap("i think so", "yes we should"), 0);
        assert!(overlap("starting the rollback now", "rollback is complete") >= 1);
    }
}
