//! Fact or hypothesis: hedged guesses at the cause, and the later turns that
//! confirmed or refuted them.

use super::context::{Ctx, Sentence};
use super::cues::{self, has};
use super::evidence;
use super::lexicon;
use crate::record::{Hypothesis, HypothesisStatus};

/// Whether a sentence states a guess rather than a fact.
/// `turn` is the whole utterance's sentences, for weak hedges that need context.
pub fn is_hypothesis(s: &Sentence, turn: &[&Sentence]) -> bool {
    let n = &s.norm;
    if has(&cues::NEGATED_HEDGE, n) || has(&cues::PROPOSAL, n) || has(&cues::ESTIMATE, n) {
        return false;
    }
    if s.question && !has(&cues::STRONG_HEDGE, n) {
        return false;
    }
    if has(&cues::STRONG_HEDGE, n) {
        return !has(&cues::CONFIRM, n);
    }
    if has(&cues::WEAK_HEDGE, n) {
        let assertive = lexicon::list("hypotheses.assertive").any_in(n);
        let turn_backed = turn.iter().any(|t| {
            has(&cues::CONFIRM, &t.norm)
                || evidence::find(t, None).iter().any(|f| {
                    matches!(
                        f.kind,
                        crate::record::EvidenceKind::PullRequest
                            | crate::record::EvidenceKind::Commit
                            | crate::record::EvidenceKind::Config
                            | crate::record::EvidenceKind::LogQuery
                    )
                })
        });
        return !assertive && !turn_backed;
    }
    false
}

/// Hypotheses of the call, consecutive hedged sentences of one utterance merged,
/// each linked to the turn that settled it when one did.
pub fn extract(ctx: &Ctx) -> Vec<(Hypothesis, Vec<usize>)> {
    let mut out: Vec<(Hypothesis, Vec<usize>)> = Vec::new();
    let mut last_utt: Option<(usize, usize)> = None;
    for (i, s) in ctx.sents.iter().enumerate() {
        let turn: Vec<&Sentence> = ctx
            .sents
            .iter()
            .filter(|t| ctx.turn[t.utt] == ctx.turn[s.utt])
            .collect();
        if !is_hypothesis(s, &turn) {
            continue;
        }
        if let Some((u, _)) = last_utt {
            if u == ctx.turn[s.utt] {
                if let Some((h, idx)) = out.last_mut() {
                    h.text = format!("{} {}", h.text, s.text);
                    idx.push(i);
                    continue;
                }
            }
        }
        // Include the sentence just before when it carries the subject ("We shipped X. Could be that.").
        let mut text = s.text.clone();
        let mut idx = vec![i];
        if s.toks.iter().filter(|t| t.is_word()).count() <= 8 {
            if let Some(prev) = i
                .checked_sub(1)
                .and_then(|p| ctx.sents.get(p))
                .filter(|p| ctx.turn[p.utt] == ctx.turn[s.utt])
            {
                text = format!("{} {}", prev.text, text);
                idx.insert(0, i - 1);
            }
        }
        last_utt = Some((ctx.turn[s.utt], i));
        out.push((
            Hypothesis {
                why: Some("rule".into()),
                confidence: None,
                offset_s: ctx.sents[idx[0]].offset_s.min(s.offset_s),
                time_utc: ctx.utc(s.offset_s),
                text,
                who: ctx.who(s),
                status: HypothesisStatus::Open,
                settled_by: Vec::new(),
                settled_text: None,
                sources: vec![ctx.source(s)],
            },
            idx,
        ));
    }
    settle(ctx, &mut out);
    out
}

fn settle(ctx: &Ctx, hyps: &mut [(Hypothesis, Vec<usize>)]) {
    for (i, s) in ctx.sents.iter().enumerate() {
        let confirm = has(&cues::CONFIRM, &s.norm) && !has(&cues::STRONG_HEDGE, &s.norm);
        let refute = has(&cues::REFUTE, &s.norm);
        if !(confirm || refute) || s.question {
            continue;
        }
        // The open hypothesis from an earlier utterance that shares most topic words.
        let mut best: Option<(usize, usize)> = None;
        for (k, (h, idx)) in hyps.iter().enumerate() {
            let Some(&last) = idx.last() else { continue };
            if h.status != HypothesisStatus::Open
                || ctx.turn[ctx.sents[last].utt] >= ctx.turn[s.utt]
                || last >= i
            {
                continue;
            }
            let ov = cues::overlap(&h.text.to_lowercase(), &s.norm);
            if ov > 0 && best.is_none_or(|(_, b)| ov >= b) {
                best = Some((k, ov));
            }
        }
        if let Some((k, _)) = best {
            let h = &mut hyps[k].0;
            h.status = if refute {
                HypothesisStatus::Refuted
            } else {
                HypothesisStatus::Confirmed
            };
            h.settled_by = vec![ctx.source(s)];
            h.settled_text = Some(s.text.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::context::sentence;

    fn hyp(text: &str) -> bool {
        let s = sentence(text);
        is_hypothesis(&s, &[&s])
    }

    #[test]
    fn hedges_are_hypotheses() {
        assert!(hyp(
            "I think the billing worker might be stalling on locks."
        ));
        assert!(hyp("My bet would be a stuck ingest queue."));
        assert!(hyp(
            "Maybe the sidecars are restarting and dropping requests."
        ));
        assert!(hyp("Could be the DNS change from this morning."));
        assert!(hyp("I suspect the new index."));
        assert!(hyp("I think it's the load balancer."));
        assert!(hyp("Could it be the cert rotation?"));
    }

    #[test]
    fn confirmations_doubts_and_plans_are_not() {
        assert!(!hyp("Verified in the traces, the worker is starved."));
        assert!(!hyp(
            "The graph has disk usage pinned at ninety eight percent."
        ));
        assert!(!hyp("Honestly, the firewall is not the cause."));
        assert!(!hyp("Not sure that holds up."));
        assert!(!hyp("There are twelve shards, so maybe half an hour."));
        assert!(!hyp("We should add a staged rollout for flags maybe."));
        assert!(!hyp("Any ideas?"));
        assert!(!hyp("I think I found it, the cron ran twice."));
        let a = sentence("I think that one was ours.");
        let b = sentence("Pull request sixty one oh two changed the sort order.");
        assert!(!is_hypothesis(&a, &[&a, &b]));
    }
}
