//! Timeline anchors: declaration, detection, change, triage, mitigation and
//! its result, comms, escalation, handoff, recovery and monitoring — each
//! marked fact or hypothesis, customer-visible or not, with its sources.

use std::sync::LazyLock;

use regex::Regex;

use super::context::{Ctx, Sentence};
use super::cues::{self, has};
use super::lexicon;
use crate::record::{EventKind, Status, TimelineEvent};

static DECLARATION: LazyLock<Regex> =
    LazyLock::new(|| lexicon::regex(r"\b(%timeline.declaration%)\b"));
static DETECTION: LazyLock<Regex> = LazyLock::new(|| lexicon::regex(r"\b(%timeline.detection%)\b"));
static ESCALATION: LazyLock<Regex> =
    LazyLock::new(|| lexicon::regex(r"\b(%timeline.escalation%)\b"));
static CHANGE: LazyLock<Regex> = LazyLock::new(|| lexicon::regex(r"\b(%timeline.change%)\b"));
static TRIAGE: LazyLock<Regex> = LazyLock::new(|| lexicon::regex(r"\b(%timeline.triage%)\b"));
static COMMS: LazyLock<Regex> = LazyLock::new(|| lexicon::regex(r"\b(%timeline.comms%)\b"));
static HANDOFF: LazyLock<Regex> = LazyLock::new(|| lexicon::regex(r"\b(%timeline.handoff%)\b"));
static RECOVERY: LazyLock<Regex> = LazyLock::new(|| lexicon::regex(r"\b(%timeline.recovery%)\b"));
static MONITORING: LazyLock<Regex> =
    LazyLock::new(|| lexicon::regex(r"\b(%timeline.monitoring%)\b"));
static CUSTOMER: LazyLock<Regex> = LazyLock::new(|| lexicon::regex(r"\b(%timeline.customer%)\b"));
static SYMPTOM: LazyLock<Regex> = LazyLock::new(|| lexicon::regex(r"\b(%timeline.symptom%)\b"));

/// Whether a sentence confirms recovery.
pub fn is_recovery(s: &Sentence) -> bool {
    has(&RECOVERY, &s.norm) && !s.question
}

/// Offset of the first recovery statement.
pub fn recovery_offset(ctx: &Ctx) -> Option<f64> {
    ctx.sents
        .iter()
        .find(|s| is_recovery(s))
        .map(|s| s.offset_s)
}

fn kind_of(s: &Sentence, detected: bool) -> Option<EventKind> {
    let n = &s.norm;
    if s.question {
        return None;
    }
    if has(&HANDOFF, n) {
        return Some(EventKind::Handoff);
    }
    if is_recovery(s) {
        return Some(EventKind::Recovery);
    }
    if has(&DECLARATION, n) && n.contains("sev") || n.contains("declaring") {
        return Some(EventKind::Declaration);
    }
    if !detected && has(&DETECTION, n) {
        return Some(EventKind::Detection);
    }
    if has(&COMMS, n) {
        return Some(EventKind::Comms);
    }
    if has(&MONITORING, n) {
        return Some(EventKind::Monitoring);
    }
    if has(&ESCALATION, n) {
        return Some(EventKind::Escalation);
    }
    if has(&CHANGE, n) {
        return Some(EventKind::Change);
    }
    let planning = has(&cues::PROPOSAL, n) || lexicon::list("timeline.planning").any_in(n);
    if !planning && (has(&TRIAGE, n) || has(&cues::CONFIRM, n) || has(&cues::REFUTE, n)) {
        return Some(EventKind::Triage);
    }
    None
}

/// Builds timeline events from the sentences, plus the mitigation, result and
/// hypothesis anchors the other extractors found (given as (sentence, kind, status)).
pub fn extract(
    ctx: &Ctx,
    anchors: &[(usize, EventKind, Status, Option<String>)],
    evidence_of: &dyn Fn(usize) -> Vec<String>,
) -> Vec<TimelineEvent> {
    let mut out: Vec<TimelineEvent> = Vec::new();
    let mut detected = false;
    let mut seen: Vec<(usize, EventKind)> = Vec::new();
    let anchored: Vec<usize> = anchors.iter().map(|a| ctx.sents[a.0].utt).collect();
    let push = |out: &mut Vec<TimelineEvent>,
                seen: &mut Vec<(usize, EventKind)>,
                i: usize,
                kind: EventKind,
                status: Status,
                text: Option<&String>| {
        let s = &ctx.sents[i];
        if seen.contains(&(s.utt, kind)) {
            return;
        }
        seen.push((s.utt, kind));
        let n = &s.norm;
        let customer_visible = match kind {
            EventKind::Comms => {
                has(&CUSTOMER, n) || lexicon::list("timeline.customer_comms").any_in(n)
            }
            EventKind::Detection | EventKind::Triage | EventKind::Escalation => {
                has(&CUSTOMER, n)
                    || (kind == EventKind::Detection && has(&SYMPTOM, n))
                    || (has(&SYMPTOM, n) && lexicon::list("timeline.user_metric").any_in(n))
            }
            EventKind::Recovery => has(&CUSTOMER, n),
            _ => false,
        };
        out.push(TimelineEvent {
            offset_s: s.offset_s,
            time_utc: ctx.utc(s.offset_s),
            kind,
            event: text.cloned().unwrap_or_else(|| s.text.trim().to_string()),
            owner: ctx.who(s),
            evidence: evidence_of(i),
            status,
            customer_visible,
            sources: vec![ctx.source(s)],
        });
    };
    for (i, s) in ctx.sents.iter().enumerate() {
        if let Some(a) = anchors.iter().find(|a| a.0 == i) {
            push(&mut out, &mut seen, i, a.1, a.2, a.3.as_ref());
            continue;
        }
        if anchored.contains(&s.utt) && !is_recovery(s) {
            // The utterance already anchors a mitigation, result or hypothesis.
            continue;
        }
        let Some(kind) = kind_of(s, detected) else {
            continue;
        };
        if kind == EventKind::Detection {
            detected = true;
        }
        // One triage event per utterance, and none in an utterance that already has an event.
        if kind == EventKind::Triage && seen.iter().any(|(u, _)| *u == s.utt) {
            continue;
        }
        push(&mut out, &mut seen, i, kind, Status::Fact, None);
    }
    out.sort_by(|a, b| a.offset_s.total_cmp(&b.offset_s));
    out
}
