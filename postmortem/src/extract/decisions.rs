//! Decisions: what was decided, by whom, why, and the options weighed first.
//! Cues: an explicit "decision:", a choice ("instead of", "I'd rather"), a
//! "yes" that approves a proposal with an instruction, or the commander
//! telling someone to change the system ("Raj, scale out the API").

use std::sync::LazyLock;

use regex::Regex;

use super::context::{Ctx, Sentence};
use super::cues::{self, has};
use super::execution::is_execution;
use super::lexicon;
use super::people;
use crate::record::Decision;

static EXPLICIT: LazyLock<Regex> = LazyLock::new(|| {
    lexicon::regex(
        r"^(okay |ok |right |so |alright )?(, )?(the )?decision( is)? ?[:,-]|\b(%decisions.explicit%)\b",
    )
});

/// A choice closed in a few words: "forty it is", "then option two",
/// "that stays at sev three", "we'll hold off, no failover".
static SETTLED: LazyLock<Regex> = LazyLock::new(|| {
    lexicon::regex(
        r"(^|, )(?P<what>[\w']+( [\w']+)?) it is ?[.!]?$|^(okay |ok |fine |right |great )?(, )?(post|send|ship|publish) it ?[.!]?$|\b(%decisions.settled%)\b",
    )
});

/// What the commander says that settles a course ("we keep this channel
/// going", "I'd leave those nodes drained till the job finishes").
static COMMANDER_SETTLES: LazyLock<Regex> =
    LazyLock::new(|| lexicon::regex(r"\b(%decisions.commander_settles%)\b"));

/// Whether a sentence closes a choice (see [`SETTLED`]); "here it is" and
/// "that's what it is" close nothing.
fn settles(norm: &str) -> bool {
    SETTLED.captures(norm).is_some_and(|c| {
        c.name("what").is_none_or(|w| {
            !lexicon::list("decisions.not_settled_before")
                .has(w.as_str().split(' ').next().unwrap_or(""))
        })
    })
}

static CHOICE: LazyLock<Regex> = LazyLock::new(|| lexicon::regex(r"\b(%decisions.choice%)\b"));

static APPROVAL: LazyLock<Regex> = LazyLock::new(|| lexicon::regex(r"^(%decisions.approval%)\b"));

static RATIONALE: LazyLock<Regex> =
    LazyLock::new(|| lexicon::regex(r"\b(%decisions.rationale%)\b"));

fn strip_interjections(words: &[&str]) -> usize {
    let skip = lexicon::list("decisions.interjection");
    words.iter().take_while(|w| skip.has(w)).count()
}

/// Whether a sentence gives an instruction, returning the index where it starts.
pub fn imperative_at(s: &Sentence, names: &[String]) -> Option<usize> {
    let words: Vec<&str> = s.toks.iter().map(|t| t.lower.as_str()).collect();
    let mut i = strip_interjections(&words);
    if let Some(t) = s.toks.get(i) {
        if people::name_at(t, names).is_some() && words.get(i + 1) == Some(&",") {
            i += 2;
            i += strip_interjections(&words[i..]);
        } else if people::name_at(t, names).is_some()
            && people::unpunctuated_request(&s.toks, i + 1)
        {
            // "Sam roll the gateway back": the comma whisper left out.
            i += 1;
        }
    }
    let w = *words.get(i)?;
    if w == "let's" || w == "lets" {
        return Some(i);
    }
    if (w == "we" || w == "we'll")
        && words
            .get(i + 1)
            .is_some_and(|v| cues::imperative(v) || *v == "do" || *v == "roll")
    {
        return Some(i);
    }
    if (w == "can" || w == "could") && words.get(i + 1) == Some(&"you") {
        return words.get(i + 2).filter(|v| cues::imperative(v)).map(|_| i);
    }
    cues::imperative(w).then_some(i)
}

/// "Decision rolling back …": an explicit decision whose colon whisper dropped.
fn bare_decision_word(norm: &str) -> bool {
    let words: Vec<&str> = norm.split_whitespace().collect();
    let lead = lexicon::list("decisions.decision_lead");
    let i = words.iter().take_while(|w| lead.has(w)).count();
    words.get(i) == Some(&"decision")
        && !words
            .get(i + 1)
            .is_none_or(|w| lexicon::list("decisions.not_decision_after").has(w))
}

/// A mid-sentence "let's" with an instruction ("while we dig let's scale out…",
/// "scale back down and lets watch it"), where whisper left out the comma.
fn inner_lets(s: &Sentence) -> bool {
    let w: Vec<&str> = s.toks.iter().map(|t| t.lower.as_str()).collect();
    w.iter().enumerate().skip(1).any(|(i, x)| {
        let next = w.get(i + 1).copied().unwrap_or("");
        (*x == "let's" && !lexicon::list("decisions.lets_not_instruction").has(next))
            || (*x == "lets" && cues::imperative(next))
    })
}

/// A decision with where it was found.
#[derive(Debug, Clone)]
pub struct Found {
    /// The decision.
    pub decision: Decision,
    /// Index of the sentence holding the instruction (or the cue).
    pub sent: usize,
    /// Whether it changes the running system (a mitigation to execute).
    pub mitigating: bool,
    /// Who was told to carry it out.
    pub assignee: Option<String>,
    /// Whether it was an explicit "decision:".
    pub explicit: bool,
}

fn clean_decision(text: &str) -> String {
    let mut t = text.trim().to_string();
    for list in ["decisions.marker_prefix", "decisions.answer_prefix"] {
        for p in &lexicon::list(list).phrases {
            if let Some(r) = t.strip_prefix(p.as_str()) {
                t = r.trim().to_string();
            }
        }
    }
    t.trim_end_matches(['.', '!']).to_string()
}

/// Options said before a decision ("Either we roll back or patch forward", "we could X, or", "Or I Y").
fn options_before(ctx: &Ctx, from: usize, upto: usize, since_offset: f64) -> Vec<String> {
    let mut out = Vec::new();
    let mut listing = false;
    for s in ctx.sents[from..upto]
        .iter()
        .filter(|s| s.offset_s >= since_offset)
    {
        let n = &s.norm;
        let text = s.text.trim().trim_end_matches(['.', '?', '!']).to_string();
        if let Some(p) = lexicon::list("decisions.options_intro")
            .phrases
            .iter()
            .find_map(|o| n.find(o.as_str()))
        {
            let rest = &n[p..];
            let rest = rest.split_once(' ').map(|x| x.1).unwrap_or("");
            let rest = rest.trim_start_matches("are ").trim_start_matches("is ");
            for o in rest.split(" or ").flat_map(|x| x.split(" , ")) {
                let o = o.trim().trim_end_matches(['.', '?']).trim();
                if !o.is_empty() {
                    out.push(o.to_string());
                }
            }
            continue;
        }
        if lexicon::list("decisions.options_count").any_in(n) {
            listing = true;
            continue;
        }
        if let Some(p) = n.find("we could ").or_else(|| n.find("we can either ")) {
            let rest = &n[p + 9..];
            let first = rest
                .split(" or")
                .next()
                .unwrap_or(rest)
                .trim()
                .trim_end_matches([',', '.'])
                .trim();
            if !first.is_empty() {
                out.push(first.to_string());
            }
            continue;
        }
        if n.starts_with("or ") {
            let o = text
                .get(3..)
                .unwrap_or("")
                .split(", that's")
                .next()
                .unwrap_or("")
                .split(". ")
                .next()
                .unwrap_or("");
            out.push(
                o.trim_start_matches("I ")
                    .trim_start_matches("we ")
                    .trim()
                    .to_string(),
            );
            continue;
        }
        if listing && !s.question {
            let o = text.split(", that's").next().unwrap_or(&text).to_string();
            out.push(o);
        }
    }
    out.retain(|o| o.split_whitespace().count() <= 14);
    out
}

fn alternatives(
    ctx: &Ctx,
    sents: &[usize],
    decision: &str,
    sent: usize,
    since: usize,
) -> Vec<String> {
    // The choice itself, without its reasons ("… since reverting beats patching forward").
    let lower = decision.to_ascii_lowercase();
    let decision = lower
        .split(" because ")
        .next()
        .unwrap_or(&lower)
        .split(" since ")
        .next()
        .unwrap_or(&lower);
    let mut alts: Vec<String> = Vec::new();
    for &i in sents {
        let n = &ctx.sents[i].norm;
        for cue in &lexicon::list("decisions.alternative_cue").phrases {
            if let Some(p) = n.find(cue.as_str()) {
                let rest = &n[p + cue.len()..];
                let alt: String = rest
                    .split([',', '.', '?', '!'])
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_string();
                if !alt.is_empty() {
                    alts.push(alt);
                }
            }
        }
    }
    let here = ctx.sents[sent].offset_s;
    let first = sents.first().copied().unwrap_or(sent);
    let mut opts = options_before(ctx, since.min(first), first, here - 150.0);
    // Drop the option that was chosen.
    if let Some((k, _)) = opts
        .iter()
        .enumerate()
        .map(|(k, o)| (k, cues::overlap(&o.to_ascii_lowercase(), decision)))
        .filter(|(_, ov)| *ov > 0)
        .max_by_key(|(_, ov)| *ov)
    {
        opts.remove(k);
    }
    for o in opts {
        if !alts
            .iter()
            .any(|a| cues::overlap(a, &o.to_ascii_lowercase()) > 0 && a.len() >= o.len())
        {
            alts.retain(|a| cues::overlap(a, &o.to_ascii_lowercase()) == 0);
            alts.push(o);
        }
    }
    alts.iter()
        .map(|a| {
            a.trim_start_matches("a ")
                .trim_start_matches("an ")
                .to_string()
        })
        .collect()
}

fn rationale(ctx: &Ctx, sents: &[usize], decision_sent: usize) -> Option<String> {
    for &i in sents {
        let s = &ctx.sents[i];
        for cue in &lexicon::list("decisions.reason_cue").phrases {
            if let Some(p) = s.text.to_ascii_lowercase().find(cue.as_str()) {
                return Some(
                    s.text[p + cue.len()..]
                        .trim()
                        .trim_end_matches('.')
                        .to_string(),
                );
            }
        }
    }
    let reasons: Vec<String> = sents
        .iter()
        .filter(|&&i| {
            i != decision_sent && has(&RATIONALE, &ctx.sents[i].norm) && !ctx.sents[i].question
        })
        .map(|&i| clean_decision(&ctx.sents[i].text))
        .collect();
    if !reasons.is_empty() {
        return Some(reasons.join("; "));
    }
    // A reason inside the decision sentence after a comma ("Leave X out, it isn't confirmed").
    let s = &ctx.sents[decision_sent];
    if has(&RATIONALE, &s.norm) {
        if let Some((_, r)) = s.text.split_once(", ") {
            return Some(r.trim_end_matches('.').to_string());
        }
    }
    None
}

/// Every decision on the call.
pub fn extract(ctx: &Ctx, recovered_at: Option<f64>) -> Vec<Found> {
    let mut out = Vec::new();
    for u in 0..ctx.turns() {
        let sents: Vec<usize> = ctx.sentences_of_turn(u).collect();
        if sents.is_empty() {
            continue;
        }
        let in_action_items = sents
            .iter()
            .any(|&i| ctx.sents[i].norm.contains("action item"));
        let prev_proposal = u > 0 && {
            let prev: Vec<usize> = ctx.sentences_of_turn(u - 1).collect();
            let proposing = lexicon::list("decisions.proposal_before");
            prev.iter()
                .any(|&i| ctx.sents[i].question || proposing.any_in(&ctx.sents[i].norm))
        };
        // An utterance that carries something out, or lists options, decides nothing.
        let executing = ctx
            .sentences_of_turn(u)
            .next()
            .is_some_and(|k| is_execution(&ctx.sents[k]));
        let listing = sents.iter().any(|&i| {
            let n = &ctx.sents[i].norm;
            n.contains("options") || n.starts_with("or ") || n.contains("we could")
        });
        let speaker = ctx.who(&ctx.sents[sents[0]]);
        let may_command = speaker.is_none() || ctx.commander.is_none() || speaker == ctx.commander;
        let mut chosen: Option<(usize, bool)> = None;
        for &i in &sents {
            let s = &ctx.sents[i];
            if s.question && !s.norm.contains("can you") {
                continue;
            }
            if has(&EXPLICIT, &s.norm)
                || bare_decision_word(&s.norm)
                || settles(&s.norm)
                || (may_command && has(&COMMANDER_SETTLES, &s.norm))
            {
                chosen = Some((i, true));
                break;
            }
        }
        if chosen.is_none() && !in_action_items && !executing && !listing {
            for &i in &sents {
                let s = &ctx.sents[i];
                let imperative = imperative_at(s, &ctx.names).is_some();
                let choice = has(&CHOICE, &s.norm) && !s.question;
                let approval = s.pos == 0 && has(&APPROVAL, &s.norm) && prev_proposal;
                if choice {
                    chosen = Some((i, false));
                    break;
                }
                if approval {
                    // "Yes, Tom, post …" / "Yes. Tell them: …"
                    if let Some(k) = sents
                        .iter()
                        .copied()
                        .filter(|&k| k >= i)
                        .find(|&k| imperative_at(&ctx.sents[k], &ctx.names).is_some())
                    {
                        chosen = Some((k, false));
                        break;
                    }
                }
                let addressed = people::addressed(s, &ctx.names).is_some();
                if imperative
                    && cues::is_mitigating(&s.norm)
                    && !s.norm.starts_with("can you")
                    && (addressed || may_command)
                    && !has(&cues::COMPLETION, &s.norm)
                {
                    chosen = Some((i, false));
                    break;
                }
                if imperative
                    && (s.norm.starts_with("let's") || s.norm.contains(", let's"))
                    && cues::is_mitigating(&s.norm)
                {
                    chosen = Some((i, false));
                    break;
                }
                if inner_lets(s) && cues::is_mitigating(&s.norm) && !s.question {
                    chosen = Some((i, false));
                    break;
                }
            }
        }
        let Some((cue, explicit)) = chosen else {
            continue;
        };
        // The decision itself: the instruction in the utterance, preferring one that changes the system.
        let directive = sents
            .iter()
            .copied()
            .filter(|&k| k >= cue || explicit)
            .find(|&k| {
                imperative_at(&ctx.sents[k], &ctx.names).is_some()
                    && cues::is_mitigating(&ctx.sents[k].norm)
            })
            .or_else(|| {
                sents
                    .iter()
                    .copied()
                    .filter(|&k| k >= cue)
                    .find(|&k| imperative_at(&ctx.sents[k], &ctx.names).is_some())
            });
        let cue_is_reason = has(&RATIONALE, &ctx.sents[cue].norm)
            && imperative_at(&ctx.sents[cue], &ctx.names).is_none();
        let main = match directive {
            Some(d) if cue_is_reason || !explicit => d,
            Some(d)
                if explicit && ctx.sents[cue].toks.iter().filter(|t| t.is_word()).count() <= 2 =>
            {
                d
            }
            _ => cue,
        };
        let mut decision_text = clean_decision(&ctx.sents[main].text);
        // "Let's go with the flag. Omar, turn off the flag.": the choice and its instruction.
        if explicit && main == cue {
            if let Some(d) =
                directive.filter(|&d| d != cue && cues::is_mitigating(&ctx.sents[d].norm))
            {
                decision_text = format!("{decision_text}: {}", clean_decision(&ctx.sents[d].text));
            }
        }
        let decision_text = if decision_text.is_empty() {
            clean_decision(&ctx.sents[cue].text)
        } else {
            decision_text
        };
        let s = &ctx.sents[cue];
        let who = ctx.who(s);
        let (who, who_inferred) = match who {
            Some(w) => (Some(w), false),
            None => (ctx.commander.clone(), ctx.commander.is_some()),
        };
        let comms_verb = imperative_at(&ctx.sents[main], &ctx.names)
            .and_then(|k| ctx.sents[main].toks.get(k))
            .is_some_and(|t| lexicon::list("decisions.comms_verb").has(&t.lower));
        let mitigating = !comms_verb
            && sents.iter().any(|&k| {
                k >= cue.min(main)
                    && cues::is_mitigating(&ctx.sents[k].norm)
                    && !ctx.sents[k].question
            })
            && recovered_at.is_none_or(|r| ctx.sents[main].offset_s < r);
        let assignee = people::addressed(&ctx.sents[main], &ctx.names)
            .map(|(_, n)| n)
            .or_else(|| {
                sents
                    .iter()
                    .find_map(|&k| people::addressed(&ctx.sents[k], &ctx.names).map(|(_, n)| n))
            });
        let rationale = rationale(ctx, &sents, main);
        let since = out.last().map(|f: &Found| f.sent + 1).unwrap_or(0);
        let alternatives = alternatives(ctx, &sents, &decision_text, main, since);
        out.push(Found {
            decision: Decision {
                why: Some("rule".into()),
                confidence: None,
                offset_s: s.offset_s.min(ctx.sents[main].offset_s),
                time_utc: ctx.utc(s.offset_s.min(ctx.sents[main].offset_s)),
                decision: decision_text,
                who,
                who_inferred,
                rationale,
                alternatives,
                sources: vec![ctx.source(s)],
            },
            sent: main,
            mitigating,
            assignee,
            explicit,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::{normalise, tokenize};

    fn norm(text: &str) -> String {
        normalise(&tokenize(text))
    }

    #[test]
    fn choices_closed_in_a_few_words() {
        for yes in [
            "Okay, thirty it is.",
            "Read replica it is.",
            "Okay, then option two, the read replica.",
            "That stays at sev three until the batch is through.",
            "We'll hold off, no failover for now.",
            "Fine, post it.",
        ] {
            assert!(settles(&norm(yes)), "{yes}: {}", norm(yes));
        }
        for no in [
            "Here it is.",
            "That's what it is.",
            "I don't know where it is.",
            "Post it in the channel when you have the graph.",
        ] {
            assert!(!settles(&norm(no)), "{no}: {}", norm(no));
        }
        assert!(has(
            &COMMANDER_SETTLES,
            &norm("We keep this channel going another twenty minutes.")
        ));
        assert!(!has(
            &COMMANDER_SETTLES,
            &norm("Keep an eye on the queue, please.")
        ));
    }
}
