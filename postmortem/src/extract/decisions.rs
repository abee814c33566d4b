//! Decisions: what was decided, by whom, why, and the options weighed first.
//! Cues: an explicit "decision:", a choice ("instead of", "I'd rather"), a
//! "yes" that approves a proposal with an instruction, or the commander
//! telling someone to change the system ("Raj, scale out the API").

use super::context::{Ctx, Sentence};
use super::cues::{self, has};
use super::people;
use crate::record::Decision;
use regex::Regex;
use std::sync::LazyLock;

static EXPLICIT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(okay |ok |right |so |alright )?(, )?(the )?decision( is)? ?[:,-]|\b(we've decided|we have decided|i've decided|we decided|i'm deciding|the call is|my call is|let's go with|we're going with|we'll go with|we go with|i'm making the call|i'm calling it :|the decision is|we're going to go with|decided to|the plan is (to|that|we|:|,)|plan is to|go ahead and|i want us to|i'm approving|we'll go ahead|let's go ahead)\b").unwrap_or_else(|e| panic!("{e}"))
});

static CHOICE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(instead of|rather than|i'd rather|we'd rather|i would rather|instead)\b")
        .unwrap_or_else(|e| panic!("{e}"))
});

static APPROVAL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(yes|yeah|yep|ok|okay|agreed|approved|do it|go ahead|go for it|sounds good|let's do it|let's do that|makes sense|fine|right)\b").unwrap_or_else(|e| panic!("{e}"))
});

static RATIONALE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(because|since|as it's|given that|so that|fastest|faster|safest|safer|quickest|quicker|cheapest|lower risk|low risk|less risky|too long|too slow|too risky|additive|we don't know|can reach them|buy (ourselves|us) some|headroom|drags|would also|otherwise)\b").unwrap_or_else(|e| panic!("{e}"))
});

/// Verbs that start an instruction.
pub const IMPERATIVE: &[&str] = &[
    "roll", "revert", "restart", "reboot", "bounce", "scale", "drain", "disable", "enable", "turn",
    "switch", "flip", "toggle", "pause", "purge", "flush", "clear", "block", "throttle", "reroute",
    "redirect", "shift", "add", "bump", "raise", "lower", "increase", "decrease", "patch", "push",
    "deploy", "ship", "kill", "stop", "halt", "freeze", "fail", "failover", "build", "create",
    "apply", "post", "tell", "send", "update", "email", "publish", "notify", "announce", "hold",
    "keep", "proceed", "go", "do", "move", "put", "cut", "run", "unpause", "override", "undo",
    "back", "don't", "watch", "monitor",
];

fn strip_interjections(words: &[&str]) -> usize {
    let mut i = 0;
    while i < words.len()
        && matches!(
            words[i],
            "yes"
                | "yeah"
                | "yep"
                | "ok"
                | "okay"
                | "so"
                | "right"
                | "alright"
                | "great"
                | "agreed"
                | ","
                | "."
                | ":"
                | "decision"
                | "and"
                | "then"
                | "please"
                | "now"
                | "perfect"
                | "good"
        )
    {
        i += 1;
    }
    i
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
            .is_some_and(|v| IMPERATIVE.contains(v) || *v == "do" || *v == "roll")
    {
        return Some(i);
    }
    if (w == "can" || w == "could") && words.get(i + 1) == Some(&"you") {
        return words
            .get(i + 2)
            .filter(|v| IMPERATIVE.contains(v))
            .map(|_| i);
    }
    IMPERATIVE.contains(&w).then_some(i)
}

/// "Decision rolling back …": an explicit decision whose colon whisper dropped.
fn bare_decision_word(norm: &str) -> bool {
    let words: Vec<&str> = norm.split_whitespace().collect();
    let mut i = 0;
    while words.get(i).is_some_and(|w| {
        matches!(
            *w,
            "okay" | "ok" | "so" | "right" | "alright" | "," | "the" | "final" | "my"
        )
    }) {
        i += 1;
    }
    words.get(i) == Some(&"decision")
        && !matches!(
            words.get(i + 1).copied(),
            Some("time" | "pending" | "making" | "maker" | "makers" | "needed" | "?" | "on" | ".")
                | None
        )
}

/// A mid-sentence "let's" with an instruction ("while we dig let's scale out…",
/// "scale back down and lets watch it"), where whisper left out the comma.
fn inner_lets(s: &Sentence) -> bool {
    let w: Vec<&str> = s.toks.iter().map(|t| t.lower.as_str()).collect();
    w.iter().enumerate().skip(1).any(|(i, x)| {
        let next = w.get(i + 1).copied().unwrap_or("");
        (*x == "let's" && !matches!(next, "see" | "hope" | "wait" | "not" | "say"))
            || (*x == "lets" && IMPERATIVE.contains(&next))
    })
}

/// Whether a sentence changes the system (roll back, scale, pause, override…).
pub fn is_mitigating(norm: &str) -> bool {
    has(&cues::MITIGATION_VERB, norm)
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
    for p in ["Decision:", "decision:", "Decision -", "Decision,"] {
        if let Some(r) = t.strip_prefix(p) {
            t = r.trim().to_string();
        }
    }
    for p in [
        "Yes, ", "Yes. ", "Yeah, ", "Okay, ", "OK, ", "Okay. ", "Right, ",
    ] {
        if let Some(r) = t.strip_prefix(p) {
            t = r.trim().to_string();
        }
    }
    t.trim_end_matches(['.', '!']).to_string()
}

/// Options said before a decision ("Options are rollback or a hotfix", "we could X, or", "Or I Y").
fn options_before(ctx: &Ctx, from: usize, upto: usize, since_offset: f64) -> Vec<String> {
    let mut out = Vec::new();
    let mut listing = false;
    for s in ctx.sents[from..upto]
        .iter()
        .filter(|s| s.offset_s >= since_offset)
    {
        let n = &s.norm;
        let text = s.text.trim().trim_end_matches(['.', '?', '!']).to_string();
        if let Some(p) = n
            .find("options are ")
            .or_else(|| n.find("option is "))
            .or_else(|| n.find("either "))
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
        if n.contains("two options")
            || n.contains("couple of options")
            || n.contains("few options")
            || n.contains("three options")
        {
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
    // The choice itself, without its reasons ("… because a rollback is faster than a hotfix").
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
        for cue in ["instead of ", "rather than ", "rather not "] {
            if let Some(p) = n.find(cue) {
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
        for cue in [" because ", " since ", " as it's ", " given that "] {
            if let Some(p) = s.text.to_ascii_lowercase().find(cue) {
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
    // A reason inside the decision sentence after a comma ("Don't mention X, we don't know that yet").
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
            prev.iter().any(|&i| {
                let n = &ctx.sents[i].norm;
                ctx.sents[i].question
                    || n.contains("we should")
                    || n.contains("should we")
                    || n.contains("can we")
                    || n.contains("shall we")
                    || n.contains("i propose")
                    || n.contains("i suggest")
            })
        };
        // An utterance that carries something out, or lists options, decides nothing.
        let executing = ctx
            .sentences_of_turn(u)
            .next()
            .is_some_and(|k| super::mitigations::is_execution(&ctx.sents[k]));
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
            if has(&EXPLICIT, &s.norm) || bare_decision_word(&s.norm) {
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
                    && is_mitigating(&s.norm)
                    && !s.norm.starts_with("can you")
                    && (addressed || may_command)
                    && !has(&cues::COMPLETION, &s.norm)
                {
                    chosen = Some((i, false));
                    break;
                }
                if imperative
                    && (s.norm.starts_with("let's") || s.norm.contains(", let's"))
                    && is_mitigating(&s.norm)
                {
                    chosen = Some((i, false));
                    break;
                }
                if inner_lets(s) && is_mitigating(&s.norm) && !s.question {
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
                    && is_mitigating(&ctx.sents[k].norm)
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
            if let Some(d) = directive.filter(|&d| d != cue && is_mitigating(&ctx.sents[d].norm)) {
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
            .is_some_and(|t| {
                matches!(
                    t.lower.as_str(),
                    "post"
                        | "tell"
                        | "send"
                        | "update"
                        | "email"
                        | "publish"
                        | "notify"
                        | "announce"
                )
            });
        let mitigating = !comms_verb
            && sents.iter().any(|&k| {
                k >= cue.min(main) && is_mitigating(&ctx.sents[k].norm) && !ctx.sents[k].question
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
