//! Timeline anchors: declaration, detection, change, triage, mitigation and
//! its result, comms, escalation, handoff, recovery and monitoring — each
//! marked fact or hypothesis, customer-visible or not, with its sources.

use std::sync::LazyLock;

use regex::Regex;

use super::context::{Ctx, Sentence};
use super::cues::{self, has};
use crate::record::{EventKind, Status, TimelineEvent};

fn re(p: &str) -> Regex {
    Regex::new(p).unwrap_or_else(|e| panic!("bad timeline pattern {p}: {e}"))
}

static DECLARATION: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\b(declar(e|ing|ed)|open(ing)? this as|this is a sev|calling (this|it) a sev|rais(e|ing) (this|it) to|upgrad(e|ing) (this|it) to|kick(ing)? off the incident|major incident)\b",
    )
});
static DETECTION: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\b(alert (fired|went off|triggered|is firing|paged)|alarm (fired|went off)|got paged|we got paged|paged (me|us)|customers? (are |were )?(reporting|complaining|escalating|saying)|escalating|we're at \d+ tickets|\d+ tickets|tickets (about|from)|reports of|started (getting|seeing)|noticed|merchants saying|can't load|cannot load)\b",
    )
});
static ESCALATION: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\b(escalat(e|ing|ed)|pull(ing|ed)? in|pull us in|page (the|in)|paging (the|in)|bring(ing)? in|loop(ing)? in|called me directly|get .* on the bridge)\b",
    )
});
static CHANGE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\b(went out|go out|shipped|ship(ped)? \w+ to|deployed|rolled out|merged|released|we did ship|config change|was changed|pushed out)\b",
    )
});
static TRIAGE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\b(confirmed|logs show|dashboard|i see|i can see|we can see|error rate|p \d+|latency|cpu|is at|are at|it's only|only \w+ tenants|searched|query|that explains|that's it|the cause|i've got something|hit rate|looks healthy|don't think it's|not the|it's not|spread evenly|grouped by|pointing at|traced|found)\b",
    )
});
static COMMS: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\b(status page (update|post)|post (a|on the|to the) status page|status page update|tell (them|customers|merchants|the agents)|targeted email|email (to )?the|send(ing)? (that|it|this|an? \w+) to the (agents|customers|merchants|tenants)|update the agents|all clear|macro for|customer update|holding statement|in writing|send an? (update|email|notice)|notify (customers|the))\b",
    )
});
static HANDOFF: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\b(taking over|take over|picking up from|handing (it )?over|hand(ing)? off|handoff|hand-off|summary for|catch me up|i've got it from here|i'll drop off|shift change)\b",
    )
});
static RECOVERY: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\b(recovery confirmed|confirm(ed)? recovery|calling (it )?(recovery|recovered|mitigated|resolved)|calling recovery|we've recovered|fully recovered|back to normal|which is our normal|is our normal|back down to|can load \w+ again|working again|mitigated at|resolved at|recovered at|back to baseline|back at baseline|service is restored|fully restored)\b",
    )
});
static MONITORING: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\b(keep monitoring|monitor (it )?for|watch (it )?for|keep an eye|watching it for|let's watch|monitoring for)\b",
    )
});
static CUSTOMER: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\b(customers?|users?|merchants?|tenants?|clients?|banks?|status page|public|publicly|agents can|shoppers|buyers)\b",
    )
});
static SYMPTOM: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\b(error rate|errors|latency|p \d+|slow|slower|timeout|times out|timing out|5\d\d|4\d\d|down|outage|can't|cannot|unable|failing|failed)\b",
    )
});

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
    if has(&ESCALATION, n) && !n.contains("support escalations") {
        return Some(EventKind::Escalation);
    }
    if has(&CHANGE, n) {
        return Some(EventKind::Change);
    }
    let planning = has(&cues::PROPOSAL, n) || n.contains(" will ") || n.contains("going to");
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
                has(&CUSTOMER, n) || n.contains("status page") || n.contains("tell them")
            }
            EventKind::Detection | EventKind::Triage | EventKind::Escalation => {
                has(&CUSTOMER, n)
                    || (kind == EventKind::Detection && has(&SYMPTOM, n))
                    || (has(&SYMPTOM, n)
                        && (n.contains("error rate")
                            || n.contains("p 99")
                            || n.contains("latency")))
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
