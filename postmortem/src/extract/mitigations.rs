//! Mitigations, in order, and whether each worked. An attempt is the moment
//! someone starts it ("Kicking off the revert", "Going from 8 replicas to
//! 16"), or the instruction itself when nobody acknowledged it; the outcome
//! comes from what was said after it ("Revert finished. Failures are
//! dropping" / "Replicas are up, but p99 is unchanged").

use std::sync::LazyLock;

use regex::Regex;

use super::context::{Ctx, Sentence};
use super::cues::{self, has};
use super::decisions;
use super::execution::is_execution;
use super::lexicon;
use crate::record::Mitigation;

static METRIC: LazyLock<Regex> = LazyLock::new(|| lexicon::regex(r"\b(%mitigations.metric%)\b"));

/// A sentence that only acknowledges ("Sure.", "Okay.").
fn bare_ack(s: &Sentence) -> bool {
    let ack = lexicon::list("mitigations.bare_ack");
    s.toks
        .iter()
        .filter(|t| !t.is_punct())
        .all(|t| ack.has(&t.lower))
}

/// The first real sentence of a turn (skipping a bare "Sure.").
fn lead_sentence(ctx: &Ctx, u: usize) -> Option<usize> {
    let mut it = ctx.sentences_of_turn(u);
    let first = it.next()?;
    if bare_ack(&ctx.sents[first]) {
        it.next().or(Some(first))
    } else {
        Some(first)
    }
}

/// What an attempt reported after the fact says produced it.
pub const REPORTED: &str = "rule: reported attempt";

/// A mitigation with the sentence indexes it was read from.
#[derive(Debug, Clone)]
pub struct Found {
    /// The mitigation.
    pub mitigation: Mitigation,
    /// Sentence of the attempt.
    pub sent: usize,
    /// Sentence of the result, when said.
    pub result_sent: Option<usize>,
    /// Sentence of the decision it carried out, when one.
    pub decision_sent: Option<usize>,
}

fn what_of(text: &str) -> String {
    let mut t = text.trim().trim_end_matches(['.', '!']).to_string();
    if let Some(p) = t.find(", because").or_else(|| t.find(" because ")) {
        t.truncate(p);
    }
    for p in &lexicon::list("mitigations.what_prefix").phrases {
        if let Some(r) = t.strip_prefix(p.as_str()) {
            t = r.trim().to_string();
        }
    }
    t
}

/// Mitigation attempts and their outcomes.
pub fn extract(ctx: &Ctx, decisions: &[decisions::Found], recovered_at: Option<f64>) -> Vec<Found> {
    let mut out: Vec<Found> = Vec::new();
    let mut used_sents = std::collections::HashSet::new();
    // 1. Decisions that change the system: the acknowledgement is the attempt.
    for d in decisions.iter().filter(|d| d.mitigating) {
        let dt = ctx.turn[ctx.sents[d.sent].utt];
        let mut attempt: Option<usize> = None;
        for u in dt + 1..(dt + 4).min(ctx.turns()) {
            let Some(first) = ctx.sentences_of_turn(u).next() else {
                continue;
            };
            if ctx.sents[first].offset_s - ctx.sents[d.sent].offset_s > 90.0 {
                break;
            }
            if let Some(k) = lead_sentence(ctx, u) {
                if is_execution(&ctx.sents[k]) && !used_sents.contains(&k) {
                    attempt = Some(k);
                    break;
                }
            }
        }
        let (sent, who) = match attempt {
            Some(k) => (k, ctx.who(&ctx.sents[k]).or(d.assignee.clone())),
            None => (d.sent, d.assignee.clone().or(d.decision.who.clone())),
        };
        // The instruction sentence that changes the system names the attempt.
        let what_sent = if cues::is_mitigating(&ctx.sents[d.sent].norm) {
            d.sent
        } else {
            ctx.sentences_of_turn(ctx.turn[ctx.sents[d.sent].utt])
                .find(|&k| cues::is_mitigating(&ctx.sents[k].norm) && !ctx.sents[k].question)
                .unwrap_or(d.sent)
        };
        let mut what = what_of(&ctx.sents[what_sent].text);
        if let Some(k) = attempt {
            let own = what_of(&ctx.sents[k].text);
            if own.split_whitespace().count() >= 5
                && has(&cues::MITIGATION_VERB, &ctx.sents[k].norm)
            {
                what = own;
            } else if let Some(next) = ctx.sentences_of(ctx.sents[k].utt).find(|&j| {
                j > k
                    && has(&cues::MITIGATION_VERB, &ctx.sents[j].norm)
                    && !has(&cues::COMPLETION, &ctx.sents[j].norm)
                    && !has(&cues::NEGATIVE, &ctx.sents[j].norm)
            }) {
                what = format!("{what} ({})", what_of(&ctx.sents[next].text));
            }
        }
        used_sents.insert(sent);
        out.push(Found {
            mitigation: Mitigation {
                why: Some("rule".into()),
                confidence: None,
                offset_s: ctx.sents[sent].offset_s,
                time_utc: ctx.utc(ctx.sents[sent].offset_s),
                what,
                who,
                worked: None,
                result: None,
                result_offset_s: None,
                sources: vec![ctx.source(&ctx.sents[sent])],
            },
            sent,
            result_sent: None,
            decision_sent: Some(d.sent),
        });
    }
    // 2. Attempts nobody decided on the call: "I'm restarting the pods now".
    for (i, s) in ctx.sents.iter().enumerate() {
        if used_sents.contains(&i) || recovered_at.is_some_and(|r| s.offset_s >= r) {
            continue;
        }
        if !(is_execution(s) && has(&cues::MITIGATION_VERB, &s.norm)) {
            continue;
        }
        let dup = out.iter().any(|m| {
            (m.mitigation.offset_s - s.offset_s).abs() < 120.0
                && cues::overlap(&m.mitigation.what.to_ascii_lowercase(), &s.norm) > 0
        });
        if dup {
            continue;
        }
        out.push(Found {
            mitigation: Mitigation {
                why: Some("rule".into()),
                confidence: None,
                offset_s: s.offset_s,
                time_utc: ctx.utc(s.offset_s),
                what: what_of(&s.text),
                who: ctx.who(s),
                worked: None,
                result: None,
                result_offset_s: None,
                sources: vec![ctx.source(s)],
            },
            sent: i,
            result_sent: None,
            decision_sent: None,
        });
    }
    // 3. Attempts reported after the fact: "I restarted the broker at five
    //    past, it fell over again", "we'd already scaled it out to twelve".
    for (i, s) in ctx.sents.iter().enumerate() {
        if used_sents.contains(&i) || !reported_attempt(s) {
            continue;
        }
        let dup = out.iter().any(|m| {
            cues::overlap(&m.mitigation.what.to_ascii_lowercase(), &s.norm) > 1
                || (m.mitigation.offset_s - s.offset_s).abs() < 30.0
        });
        if dup {
            continue;
        }
        // Its outcome is usually said in the same breath.
        let verdict = ctx
            .sentences_of_turn(ctx.turn[s.utt])
            .filter(|&j| j >= i)
            .take(4)
            .find_map(|j| {
                let n = &ctx.sents[j].norm;
                if has(&cues::NEGATIVE, n) {
                    Some((false, j))
                } else if has(&cues::POSITIVE, n) && !ctx.sents[j].question {
                    Some((true, j))
                } else {
                    None
                }
            });
        let mut sources = vec![ctx.source(s)];
        if let Some((_, j)) = verdict {
            let src = ctx.source(&ctx.sents[j]);
            if !sources.contains(&src) {
                sources.push(src);
            }
        }
        out.push(Found {
            mitigation: Mitigation {
                why: Some(REPORTED.into()),
                confidence: None,
                offset_s: s.offset_s,
                time_utc: ctx.utc(s.offset_s),
                what: what_of(&s.text),
                who: ctx.who(s),
                worked: verdict.map(|(w, _)| w),
                result: verdict.map(|(_, j)| ctx.sents[j].text.clone()),
                result_offset_s: verdict.map(|(_, j)| ctx.sents[j].offset_s),
                sources,
            },
            sent: i,
            result_sent: verdict.map(|(_, j)| j),
            decision_sent: None,
        });
    }
    out.sort_by(|a, b| a.mitigation.offset_s.total_cmp(&b.mitigation.offset_s));
    outcomes(ctx, &mut out);
    out
}

/// Whether a sentence reports, in the first person and the past, a change
/// made to the running system: "I restarted the two workers at ten",
/// "At half past we scaled it out", "I did bounce the proxy". Not a
/// question, a wish or a condition ("if we restarted…").
fn reported_attempt(s: &Sentence) -> bool {
    if s.question
        || !has(&cues::MITIGATION_VERB, &s.norm)
        || has(&cues::PROPOSAL, &s.norm)
        || lexicon::list("mitigations.report_long_ago").any_in(&s.norm)
    {
        return false;
    }
    let words: Vec<&str> = s
        .toks
        .iter()
        .filter(|t| !t.is_punct())
        .map(|t| t.lower.as_str())
        .collect();
    let fillers = lexicon::list("mitigations.report_filler");
    for (k, w) in words.iter().enumerate().take(8) {
        if !matches!(*w, "i" | "we" | "i'd" | "we'd" | "i've" | "we've") {
            continue;
        }
        if k > 0 && lexicon::list("mitigations.report_condition").has(words[k - 1]) {
            return false;
        }
        let mut j = k + 1;
        while j < words.len() && fillers.has(words[j]) {
            j += 1;
        }
        let Some(v) = words.get(j) else { return false };
        let did = *v == "did"
            && words
                .get(j + 1)
                .is_some_and(|n| !n.ends_with("n't") && *n != "not");
        if did || (v.ends_with("ed") && v.len() > 4) {
            return true;
        }
    }
    false
}

/// Reads each attempt's outcome from what was said after it.
fn outcomes(ctx: &Ctx, ms: &mut [Found]) {
    let mut completed: Vec<Option<usize>> = vec![None; ms.len()];
    for (i, s) in ctx.sents.iter().enumerate() {
        let n = &s.norm;
        let done = has(&cues::COMPLETION, n);
        let pos = has(&cues::POSITIVE, n);
        let neg = has(&cues::NEGATIVE, n);
        if !(done || pos || neg) || s.question {
            continue;
        }
        // Which open attempt does this speak to?
        let open: Vec<usize> = (0..ms.len())
            .filter(|&k| {
                ms[k].mitigation.worked.is_none()
                    && ms[k].sent < i
                    && ctx.sents[ms[k].sent].utt < s.utt
            })
            .collect();
        if open.is_empty() {
            continue;
        }
        // Topic from the clause holding the completion ("…, and the US rollout is paused").
        let clause: String = if done {
            n.split(" , ")
                .flat_map(|c| c.split(" and "))
                .find(|c| has(&cues::COMPLETION, c))
                .unwrap_or(n)
                .to_string()
        } else {
            n.clone()
        };
        let by_topic = open
            .iter()
            .copied()
            .map(|k| {
                (
                    k,
                    cues::overlap(&ms[k].mitigation.what.to_ascii_lowercase(), &clause),
                )
            })
            .filter(|(_, ov)| *ov > 0)
            .max_by_key(|(k, ov)| (*ov, *k))
            .map(|(k, _)| k);
        let metric = METRIC.is_match(n)
            && !n.contains("cause")
            && !n.contains("because")
            && !n.contains("which");
        let target = if done {
            by_topic.or_else(|| open.last().copied())
        } else {
            // Outcome words alone speak to an attempt already completed, or to a
            // metric moving after the latest attempt.
            by_topic
                .filter(|k| completed[*k].is_some())
                .or_else(|| open.iter().rev().copied().find(|k| completed[*k].is_some()))
                .or_else(|| if metric { open.last().copied() } else { None })
        };
        let Some(k) = target else { continue };
        if s.offset_s - ms[k].mitigation.offset_s > 900.0 {
            continue;
        }
        if done && completed[k].is_none() {
            completed[k] = Some(i);
        }
        // The verdict: this sentence or the next one of the utterance, unless that one is about another attempt.
        let rest: Vec<usize> = ctx
            .sentences_of_turn(ctx.turn[s.utt])
            .filter(|&j| j >= i)
            .take(2)
            .collect();
        let verdict = rest.iter().find_map(|&j| {
            let nn = &ctx.sents[j].norm;
            if j != i {
                let other = (0..ms.len()).any(|o| {
                    o != k
                        && cues::overlap(&ms[o].mitigation.what.to_ascii_lowercase(), nn)
                            > cues::overlap(&ms[k].mitigation.what.to_ascii_lowercase(), nn)
                });
                if other || has(&cues::COMPLETION, nn) {
                    return None;
                }
            }
            if has(&cues::NEGATIVE, nn) {
                Some((false, j))
            } else if has(&cues::POSITIVE, nn) {
                Some((true, j))
            } else {
                None
            }
        });
        if let Some((worked, j)) = verdict {
            {
                let m = &mut ms[k];
                m.mitigation.worked = Some(worked);
                m.mitigation.result = Some(ctx.sents[j].text.clone());
                m.mitigation.result_offset_s = Some(ctx.sents[j].offset_s);
                let src = ctx.source(&ctx.sents[j]);
                if !m.mitigation.sources.contains(&src) {
                    m.mitigation.sources.push(src);
                }
                m.result_sent = Some(j);
            }
        }
    }
    // Completed with no bad news heard: it did what it was meant to.
    for (k, m) in ms.iter_mut().enumerate() {
        if m.mitigation.worked.is_none() {
            if let Some(j) = completed[k] {
                m.mitigation.worked = Some(true);
                m.mitigation.result = Some(ctx.sents[j].text.clone());
                m.mitigation.result_offset_s = Some(ctx.sents[j].offset_s);
                let src = ctx.source(&ctx.sents[j]);
                if !m.mitigation.sources.contains(&src) {
                    m.mitigation.sources.push(src);
                }
                m.result_sent = Some(j);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::context::sentence;

    #[test]
    fn attempts_reported_after_the_fact() {
        for yes in [
            "I restarted the two ingest workers at ten past.",
            "At half past eleven we scaled it out to nine nodes.",
            "Before I joined, I did bounce the proxy on the west side.",
            "So first I rolled the scheduler back, around midnight.",
            "We'd already drained the bad zone by then.",
            "I did bounce one replica earlier, mind you.",
        ] {
            assert!(reported_attempt(&sentence(yes)), "{yes}");
        }
        for no in [
            "If we restarted it, we would lose the queue.",
            "Should we restart the workers?",
            "I think we should roll back the scheduler.",
            "We didn't restart anything yet.",
            "I looked at the graphs and nothing moved.",
            "The workers restarted on their own at ten.",
            "When we bounced the fleet last spring, it took an hour.",
        ] {
            assert!(!reported_attempt(&sentence(no)), "{no}");
        }
    }
}
