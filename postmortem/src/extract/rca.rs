//! RCA skeleton: trigger, contributing factors, detection / mitigation /
//! prevention gaps, and hypotheses nobody settled — filled from the call for
//! people to finish.

use std::sync::LazyLock;

use regex::Regex;

use super::context::{Ctx, Sentence};
use super::evidence;
use super::lexicon;
use crate::record::{
    ActionItem, Category, EvidenceKind, Finding, Hypothesis, HypothesisStatus, Mitigation, Rca,
};

static TRIGGER: LazyLock<Regex> = LazyLock::new(|| lexicon::regex(r"\b(%rca.trigger%)\b"));
static CHANGE_VERB: LazyLock<Regex> = LazyLock::new(|| lexicon::regex(r"\b(%rca.change_verb%)\b"));
static FACTOR: LazyLock<Regex> = LazyLock::new(|| lexicon::regex(r"\b(%rca.factor%)\b"));
static DETECTION_GAP: LazyLock<Regex> =
    LazyLock::new(|| lexicon::regex(r"\b(%rca.detection_gap%)\b"));
static PREVENTION_GAP: LazyLock<Regex> =
    LazyLock::new(|| lexicon::regex(r"\b(%rca.prevention_gap%)\b"));

fn finding(ctx: &Ctx, s: &Sentence) -> Finding {
    Finding {
        text: s.text.trim().to_string(),
        offset_s: s.offset_s,
        sources: vec![ctx.source(s)],
    }
}

static UNDO: LazyLock<Regex> = LazyLock::new(|| lexicon::regex(r"\b(%rca.undo%)\b"));
static ANNOUNCE: LazyLock<Regex> =
    LazyLock::new(|| lexicon::regex(r"\b(%rca.change_announce%|%rca.change_verb%)\b"));

/// The identifiers of changes a sentence names: deploys, releases, pull
/// requests, commits, tickets and config keys, lowercased.
fn change_ids(s: &Sentence) -> Vec<String> {
    evidence::find(s, None)
        .into_iter()
        .filter(|f| {
            matches!(
                f.kind,
                EvidenceKind::Deploy
                    | EvidenceKind::Release
                    | EvidenceKind::PullRequest
                    | EvidenceKind::Commit
                    | EvidenceKind::Ticket
                    | EvidenceKind::Config
            )
        })
        .map(|f| f.value.to_lowercase())
        .collect()
}

/// The trigger is where the change that started it all was first said,
/// not where someone later named it the cause: the change a cause
/// statement names, or the one whose rollback or revert worked, traced
/// back to its first mention ("we shipped 4.2 at nine" long before "4.2
/// is the cause"). Failing both, the first change announced with its id
/// ("we pushed CHG 1188 at six"), when no cause statement was heard.
fn first_mention_of_culprit(
    ctx: &Ctx,
    stated: Option<&Finding>,
    mitigations: &[Mitigation],
) -> Option<Finding> {
    let of_sources = |sources: &[String]| -> Vec<usize> {
        (0..ctx.sents.len())
            .filter(|&i| sources.contains(&ctx.source(&ctx.sents[i])))
            .collect()
    };
    let mut culprit: Vec<String> = Vec::new();
    let mut latest = f64::INFINITY;
    if let Some(t) = stated {
        for i in of_sources(&t.sources) {
            culprit.extend(change_ids(&ctx.sents[i]));
        }
        latest = t.offset_s;
    }
    for m in mitigations.iter().filter(|m| m.worked == Some(true)) {
        if !UNDO.is_match(&m.what.to_lowercase()) {
            continue;
        }
        for i in of_sources(&m.sources) {
            let ids = change_ids(&ctx.sents[i]);
            if !ids.is_empty() {
                latest = latest.min(m.offset_s);
            }
            culprit.extend(ids);
        }
    }
    if !culprit.is_empty() {
        return ctx
            .sents
            .iter()
            .filter(|s| !s.question && s.offset_s < latest)
            .find(|s| change_ids(s).iter().any(|id| culprit.contains(id)))
            .map(|s| finding(ctx, s));
    }
    if stated.is_some() {
        return None;
    }
    ctx.sents
        .iter()
        .filter(|s| !s.question && ANNOUNCE.is_match(&s.norm))
        .find(|s| !change_ids(s).is_empty())
        .map(|s| finding(ctx, s))
}

/// Builds the RCA from the sentences and what the other extractors found.
pub fn extract(
    ctx: &Ctx,
    hypotheses: &[Hypothesis],
    mitigations: &[Mitigation],
    actions: &[ActionItem],
) -> Rca {
    let hyp_src: Vec<&String> = hypotheses.iter().flat_map(|h| h.sources.iter()).collect();
    let usable = |s: &&Sentence| !s.question && !hyp_src.contains(&&ctx.source(s));
    let trigger = ctx
        .sents
        .iter()
        .filter(usable)
        .find(|s| TRIGGER.is_match(&s.norm))
        .map(|s| {
            // "That was the trigger." names the sentence before it.
            if s.toks.iter().filter(|t| t.is_word()).count() <= 5 {
                let i = ctx
                    .sents
                    .iter()
                    .position(|x| std::ptr::eq(x, s))
                    .unwrap_or(0);
                if i > 0 && ctx.sents[i - 1].utt == s.utt {
                    let mut f = finding(ctx, &ctx.sents[i - 1]);
                    f.text = format!("{} {}", f.text, s.text.trim());
                    return f;
                }
            }
            finding(ctx, s)
        })
        .or_else(|| {
            ctx.sents
                .iter()
                .filter(usable)
                .find(|s| {
                    CHANGE_VERB.is_match(&s.norm)
                        && evidence::find(s, None).iter().any(|f| {
                            matches!(
                                f.kind,
                                EvidenceKind::PullRequest
                                    | EvidenceKind::Commit
                                    | EvidenceKind::Config
                            )
                        })
                })
                .map(|s| finding(ctx, s))
        });

    let trigger = first_mention_of_culprit(ctx, trigger.as_ref(), mitigations).or(trigger);

    let mut contributing_factors: Vec<Finding> = Vec::new();
    for s in ctx.sents.iter().filter(usable) {
        if FACTOR.is_match(&s.norm)
            && !trigger
                .as_ref()
                .is_some_and(|t| t.text.contains(s.text.trim()))
        {
            contributing_factors.push(finding(ctx, s));
        }
    }

    let detection_gap = ctx
        .sents
        .iter()
        .filter(usable)
        .find(|s| DETECTION_GAP.is_match(&s.norm))
        .map(|s| finding(ctx, s));
    let failed: Vec<&Mitigation> = mitigations
        .iter()
        .filter(|m| m.worked == Some(false))
        .collect();
    let mitigation_gap = failed.first().map(|m| Finding {
        text: format!(
            "{} did not help{}",
            m.what,
            m.result
                .as_ref()
                .map(|r| format!(" ({r})"))
                .unwrap_or_default()
        ),
        offset_s: m.offset_s,
        sources: m.sources.clone(),
    });
    let prevention_gap = contributing_factors
        .iter()
        .find(|f| PREVENTION_GAP.is_match(&f.text.to_ascii_lowercase()))
        .cloned()
        .or_else(|| {
            actions
                .iter()
                .find(|a| a.category == Category::Prevention)
                .map(|a| Finding {
                    text: format!("Missing safeguard: {}", a.action),
                    offset_s: a.offset_s,
                    sources: a.sources.clone(),
                })
        });
    let unconfirmed = hypotheses
        .iter()
        .filter(|h| h.status == HypothesisStatus::Open)
        .map(|h| Finding {
            text: h.text.clone(),
            offset_s: h.offset_s,
            sources: h.sources.clone(),
        })
        .collect();
    Rca {
        trigger,
        contributing_factors,
        detection_gap,
        mitigation_gap,
        prevention_gap,
        unconfirmed,
    }
}
